// Signed in: your own account -- who you are, a new password, sign out everywhere.

import {post} from "../api.js";
import {h} from "../dom.js";
import {confirmed, field, form, newPasswordFields} from "../forms.js";
import {actionButton, facts, heading, section} from "../widgets.js";

const ROLE_NAMES = {partner: "Partner", brand: "Brand user", admin: "Operator"};

export async function account(page, ctx) {
  const mine = ctx.session.account;
  page.append(heading("Your account"));
  if (!mine) {  // a bearer token, not a session: nothing here is its own
    page.append(h("p", {}, "You are signed in with a token, not an account."));
    return;
  }
  page.append(
    facts([["Email", mine.email], ["Role", ROLE_NAMES[mine.role] || mine.role]]),
    section("Change your password", passwordForm(ctx)),
    section("Devices",
      h("p", {}, "Sign out everywhere, this browser included: every session of this "
        + "account ends."),
      actionButton("Sign out everywhere", () => post("/api/v1/auth/logout-all"), {
        name: "logout-all", confirmText: "Sign out on every device, this one included?",
        done: () => ctx.signedOut("You are signed out on every device.")})),
  );
}

function passwordForm(ctx) {
  return form({
    label: "Change your password",
    fields: [
      field({name: "current_password", label: "Current password", type: "password",
             autocomplete: "current-password", required: true}),
      ...newPasswordFields("new_password", "New password", "New password again"),
    ],
    submitLabel: "Change password",
    busyLabel: "Changing…",
    submit: async (values, el) => {
      if (!confirmed(values, "new_password", el)) return;
      const answer = await post("/api/v1/auth/password", {
        current_password: values.current_password, new_password: values.new_password});
      const others = answer.revoked === 1 ? "1 other session was"
        : `${answer.revoked} other sessions were`;
      ctx.navigate("/app/account", {replace: true,
                                    notice: `Your password is changed; ${others} signed out.`});
    },
  });
}
