// Signed out: sign in, sign up as a partner, accept a brand user's invitation, ask for a
// password reset link (forgotten password), choose a new password with a reset link.

import {ApiError, post} from "../api.js";
import {announce, h} from "../dom.js";
import {countries} from "../format.js";
import {PASSWORD_HINT, confirmed, field, form, newPasswordFields} from "../forms.js";
import {heading} from "../widgets.js";

const PARTNER_TYPES = [["affiliate", "Affiliate"], ["influencer", "Influencer"],
                       ["ambassador", "Ambassador"], ["media", "Media"], ["b2b", "B2B"]];

function safeNext(next) {
  return next && next.startsWith("/app/") && !next.startsWith("//") ? next : null;
}

function minutes(seconds) {
  const n = Math.max(1, Math.ceil((seconds || 60) / 60));
  return n === 1 ? "a minute" : `${n} minutes`;
}

async function logIn(email, password) {
  try {
    return await post("/api/v1/auth/login", {email, password}, {quiet401: true});
  } catch (error) {
    if (error instanceof ApiError && error.status === 429) {
      error.message = `Too many failed attempts for this email. Try again in `
        + `${minutes(error.retryAfter)}.`;
    }
    throw error;
  }
}

export async function login(page, ctx) {
  const emailValue = ctx.query.get("email") || "";
  page.append(
    heading("Sign in"),
    form({
      label: "Sign in",
      fields: [
        field({name: "email", label: "Email", type: "email", autocomplete: "username",
               value: emailValue, required: true}),
        field({name: "password", label: "Password", type: "password",
               autocomplete: "current-password", required: true}),
      ],
      submitLabel: "Sign in",
      busyLabel: "Signing in…",
      submit: async (values) => {
        const answer = await logIn(values.email, values.password);
        await ctx.begin(answer);
        ctx.navigate(safeNext(ctx.query.get("next")) || ctx.homePath(), {replace: true});
      },
    }),
    h("p", {}, h("a", {href: "/app/forgot"}, "Forgot your password?")),
    h("p", {}, "New partner? ", h("a", {href: "/app/signup"}, "Sign up")),
  );
}

export function forgotPassword(page) {
  page.append(
    heading("Forgot your password?"),
    h("p", {}, "Type your account's email: we will send it a link to choose a new password."),
    form({
      label: "Ask for a reset link",
      fields: [field({name: "email", label: "Email", type: "email", autocomplete: "username",
                      required: true})],
      submitLabel: "Send me a link",
      busyLabel: "Sending…",
      submit: async (values, el) => {
        const answer = await post("/api/v1/auth/password-reset-requests",
                                  {email: values.email});
        const requested = h("p", {class: "notice", role: "status", tabindex: "-1"},
                            answer.message);
        el.replaceWith(requested);
        requested.focus();
        announce(answer.message);
      },
    }),
    h("p", {}, h("a", {href: "/app/login"}, "Back to sign in")),
  );
}

export async function signup(page, ctx) {
  const method = h("div", {class: "payout-method"});
  const paypal = h("div", {hidden: true},
    field({name: "payout_method.email", label: "PayPal email", type: "email"}));
  const bank = h("div", {hidden: true},
    field({name: "payout_method.account_holder", label: "Account holder"}),
    field({name: "payout_method.iban", label: "IBAN", autocomplete: "off"}),
    field({name: "payout_method.bic", label: "BIC (optional)", autocomplete: "off"}));
  const kind = field({name: "payout_type", label: "How you get paid", type: "select",
                      options: [["", "Later (set it in your profile)"], ["paypal", "PayPal"],
                                ["bank_transfer", "Bank transfer"]]});
  kind.querySelector("select").addEventListener("change", (event) => {
    paypal.hidden = event.target.value !== "paypal";
    bank.hidden = event.target.value !== "bank_transfer";
  });
  method.append(kind, paypal, bank);
  page.append(
    heading("Become a partner"),
    h("p", {}, "Sign up, then an operator checks your identity and activates your account: "
      + "you can join campaigns from then on."),
    form({
      label: "Sign up",
      fields: [
        field({name: "name", label: "Name", autocomplete: "name", required: true}),
        field({name: "email", label: "Email", type: "email", autocomplete: "email",
               required: true}),
        field({name: "password", label: "Password", type: "password",
               autocomplete: "new-password", required: true, hint: PASSWORD_HINT}),
        field({name: "type", label: "Kind of partner", type: "select", required: true,
               options: PARTNER_TYPES}),
        field({name: "country", label: "Country", type: "select", required: true,
               options: [["", "Choose your country"], ...countries()]}),
        method,
      ],
      submitLabel: "Sign up",
      busyLabel: "Signing up…",
      submit: async (values) => {
        const body = {name: values.name, email: values.email, password: values.password,
                      type: values.type, country: values.country};
        if (values.payout_type) {
          body.payout_method = {type: values.payout_type, ...values.payout_method};
          if (body.payout_method.bic === "") delete body.payout_method.bic;
        }
        await post("/api/v1/partners/signup", body);
        const answer = await logIn(values.email, values.password);
        await ctx.begin(answer);
        ctx.navigate("/app/partner", {replace: true,
                                      notice: "Welcome! Your account awaits verification."});
      },
    }),
    h("p", {}, "Already a partner? ", h("a", {href: "/app/login"}, "Sign in")),
  );
}

export function acceptInvitation(page, ctx) {
  return passwordByLink(page, ctx, {
    title: "Join your brand's console",
    incomplete: "This invitation link is incomplete. Ask for a new invitation.",
    intro: "Choose the password you will sign in with.",
    formLabel: "Create your account", passwordLabel: "Choose a password",
    submitLabel: "Create my account", path: "/api/v1/auth/invitations/accept",
    unusable: "This invitation is unknown, used or expired. Ask for a new one.",
    done: "Your account is ready: sign in."});
}

export function resetPassword(page, ctx) {
  return passwordByLink(page, ctx, {
    title: "Choose a new password",
    incomplete: "This reset link is incomplete. Ask for a new one from the sign-in page.",
    intro: "Every session of your account ends; then sign in with the new password.",
    formLabel: "Choose a new password", passwordLabel: "New password",
    submitLabel: "Set my password", path: "/api/v1/auth/password-reset",
    unusable: "This reset link is unknown, used or expired. Ask for a new one from the "
      + "sign-in page.",
    done: "Your password is set: sign in."});
}

/** A page reached by a link whose fragment holds a token (#token=..., never sent to a
 * server with the page): choose a password, post it with the token, then sign in. */
async function passwordByLink(page, ctx, spec) {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  page.append(heading(spec.title));
  if (!token) {
    page.append(h("p", {class: "notice error", role: "alert"}, spec.incomplete));
    return;
  }
  page.append(h("p", {}, spec.intro), form({
    label: spec.formLabel,
    fields: newPasswordFields("password", spec.passwordLabel, "Type it again"),
    submitLabel: spec.submitLabel,
    submit: async (values, el) => {
      if (!confirmed(values, "password", el)) return;
      let account;
      try {
        account = await post(spec.path, {token, password: values.password});
      } catch (error) {
        if (error instanceof ApiError && error.fields && error.fields.token) {
          error.message = spec.unusable;
          error.fields = {};
        }
        throw error;
      }
      history.replaceState({}, "", location.pathname);  // the token leaves the address bar
      ctx.navigate(`/app/login?email=${encodeURIComponent(account.email)}`,
                   {notice: spec.done});
    },
  }));
}
