// The partner portal: home (balance, 30-day chart, links), campaigns to join, links,
// conversions, commissions, payouts, profile. Every page asks the API for the signed-in
// partner's own data; the BFF checks it is theirs.

import {ApiError, get, patch, post, request} from "../api.js";
import {dailyChart} from "../chart.js";
import {announce, h, replace} from "../dom.js";
import * as fmt from "../format.js";
import {field, form, referralCodeField} from "../forms.js";
import {
  actionButton, badge, copyField, csvLink, empty, facts, failure, fill, filteredList, heading,
  loading, pager, periodFilter, section, table,
} from "../widgets.js";

const COMMISSION_STATUSES = ["PENDING", "APPROVED", "IN_PAYOUT", "PAID", "REVERSED",
                             "DECLINED", "REJECTED"];

function me(ctx) {
  return ctx.session.principal.subject;
}

function standing(profile) {
  if (profile.status === "ACTIVE") return null;
  if (profile.status === "SUSPENDED") {
    return h("p", {class: "notice error", role: "status"},
      `Your account is suspended: ${profile.suspension_reason || "ask the operators why"}. `
      + "Your links do not earn meanwhile.");
  }
  const step = profile.kyc_status === "VERIFIED" ? "verified; it awaits activation"
    : "awaiting verification by the operators";
  return h("p", {class: "notice", role: "status"},
    `Your account is ${step}. You can join campaigns once it is active.`);
}

function balances(balance) {
  const list = balance && balance.balances;
  if (!list || list.length === 0) return empty("No earnings yet: join a campaign and share its link.");
  return h("div", {class: "cards"}, list.map((b) => h("article", {class: "card balance"},
    h("h3", {}, b.currency),
    facts([["Pending", fmt.amount(b.pending, b.currency)],
           ["Approved", fmt.amount(b.approved, b.currency)],
           ["In payout", fmt.amount(b.in_payout, b.currency)],
           ["Paid", fmt.amount(b.paid, b.currency)],
           ["Payable now", fmt.amount(b.payable, b.currency)]]))));
}

function partnerChart(chart) {
  const box = h("div", {});
  const currencies = chart.currencies.length ? chart.currencies : [null];
  const draw = (currency) => {
    const earnings = chart.days.map((d) => {
      const found = d.earnings.find((m) => m.currency === currency);
      return found ? Number(found.amount) : 0;
    });
    const totals = chart.days.reduce((t, d) => ({clicks: t.clicks + d.clicks,
                                                 conversions: t.conversions + d.conversions}),
                                     {clicks: 0, conversions: 0});
    const earned = currency ? fmt.amount(earnings.reduce((a, b) => a + b, 0).toFixed(
      fmt.minorUnits(currency)), currency) : null;
    replace(box, dailyChart({
      title: `The last ${chart.days.length} days`,
      days: chart.days.map((d) => d.day),
      bars: [{label: "Clicks", cls: "s-clicks", values: chart.days.map((d) => d.clicks)},
             {label: "Conversions", cls: "s-conversions",
              values: chart.days.map((d) => d.conversions)}],
      line: currency ? {label: `Earnings (${currency})`, cls: "s-earnings", values: earnings,
                        format: (v) => fmt.amount(v.toFixed(fmt.minorUnits(currency)),
                                                  currency)} : null,
      summary: `${fmt.counted(totals.clicks, "click", "clicks")}, `
        + `${fmt.counted(totals.conversions, "conversion", "conversions")}${earned ? `, ${earned} earned` : ""} from ${fmt.day(chart.from)} `
        + `to ${fmt.day(chart.to)}. Figures of the last few seconds may not show yet.`,
    }));
  };
  const picker = currencies.length > 1 ? field({
    name: "chart_currency", label: "Earnings in", type: "select",
    options: currencies.map((c) => [c, c])}) : null;
  if (picker) {
    picker.querySelector("select").addEventListener("change", (e) => draw(e.target.value));
  }
  draw(currencies[0]);
  return h("div", {}, picker, box);
}

export async function home(page, ctx) {
  page.append(heading("Your partner home"));
  const body = h("div", {}, loading());
  page.append(body);
  await fill(body, () => get("/api/v1/partner/dashboard"), (data) => {
    const links = data.enrollments;
    return [
      standing(data.profile),
      data.unavailable.length ? h("p", {class: "notice", role: "status"},
        `Some figures are missing for now (${data.unavailable.join(", ")} did not answer).`)
        : null,
      section("Balance", balances(data.balance),
        h("p", {}, h("a", {href: "/app/partner/payouts"}, "Payouts and balance details"))),
      section("Clicks, conversions and earnings", partnerChart(data.chart)),
      section("Your links", links === null ? failure(new ApiError(503, {})) : table({
        caption: "Each link with its last 30 days",
        emptyText: "You have not joined a campaign yet.",
        columns: [
          {label: "Link", cell: (e) => h("code", {}, e.tracking_url)},
          {label: "Status", cell: (e) => badge(e.status)},
          {label: "Clicks", numeric: true, cell: (e) => fmt.count(e.stats && e.stats.clicks)},
          {label: "Conversions", numeric: true,
           cell: (e) => fmt.count(e.stats && e.stats.conversions)},
        ],
        rows: links}),
      h("p", {}, h("a", {href: "/app/partner/campaigns"}, "Find campaigns to join"))),
    ];
  });
}

function joined(enrollment) {
  return h("div", {class: "joined"},
    copyField("Your link", enrollment.tracking_url),
    h("p", {class: "hint"}, `Referral code ${enrollment.referral_code}: share the link; `
      + "each order it brings earns you the campaign's commission."));
}

const APPLICATION_SENT = "Application sent: the brand reviews it. Your link appears in "
  + "Your links once it is approved.";

/** A campaign that reviews its partners: a note for the brand, then "Apply". */
function applyForm(ctx, c, result) {
  return form({
    label: `Apply to ${c.name}`, submitLabel: `Apply to ${c.name}`, busyLabel: "Applying…",
    fields: [field({name: "note", type: "textarea", label: "A word for the brand (optional)",
                    hint: "Your audience, where you will share the link: up to 1000 characters."})],
    submit: async (values, formEl) => {
      await post(`/api/v1/partners/${me(ctx)}/enrollments`,
                 {campaign_id: c.campaign_id, note: values.note || null});
      formEl.remove();
      replace(result, h("p", {class: "notice", role: "status", tabindex: "-1"},
        badge("PENDING"), " ", APPLICATION_SENT));
      result.firstChild.focus();
    }});
}

function campaignCard(ctx, c) {
  const result = h("div", {class: "join-result"});
  let action;
  if (c.suspension_reason === "partner_left") {
    action = h("div", {}, h("p", {}, badge("SUSPENDED"), " You left this campaign."),
      actionButton(`Join ${c.name} again`, () => post(
        `/api/v1/partners/${me(ctx)}/enrollments`, {campaign_id: c.campaign_id}), {
        kind: "primary", name: "rejoin", busyText: "Joining…",
        done: (enrollment) => {
          action.remove();
          replace(result, joined(enrollment));
          result.querySelector("input").focus();
        }}));
  } else if (c.enrolled) {
    action = h("p", {}, badge("JOINED"), " ", h("a", {href: "/app/partner/links"},
      "See your link"));
  } else if (c.enrollment_status === "PENDING") {
    action = h("div", {}, h("p", {}, badge("PENDING"), " Your application is with the brand."),
      withdrawButton(c.enrollment_id, c.name, () => {
        replace(result, h("p", {class: "notice", role: "status", tabindex: "-1"},
          badge("WITHDRAWN"), " ", APPLICATION_WITHDRAWN), applyForm(ctx, c, result));
        action.remove();
        result.firstChild.focus();
      }));
  } else if (c.enrollment_status === "DECLINED") {
    action = h("div", {}, h("p", {}, badge("DECLINED"), " The brand declined your application."),
      declineReason(c.decline_reason));
  } else if (!c.eligible) {
    action = h("p", {class: "muted"}, "Not open to you: your account must be active, and "
      + "of a kind and country this campaign accepts.");
  } else if (c.admission === "review") {
    action = applyForm(ctx, c, result);
  } else {
    action = actionButton(`Join ${c.name}`, () => post(
      `/api/v1/partners/${me(ctx)}/enrollments`, {campaign_id: c.campaign_id}), {
      kind: "primary", name: "join", busyText: "Joining…",
      done: (enrollment) => {
        replace(result, joined(enrollment));
        result.querySelector("input").focus();
      }});
  }
  const rules = c.eligibility || {};
  return h("article", {class: "card campaign", "data-campaign": c.campaign_id},
    h("h2", {}, c.name),
    c.description ? h("p", {}, c.description) : null,
    facts([["Pays", fmt.terms(c.terms)],
           ["Currency", c.currency],
           ["Runs", `${c.starts_at ? fmt.when(c.starts_at) : "now"} until `
             + `${c.ends_at ? fmt.when(c.ends_at) : "further notice"}`],
           ["Open to", [rules.partner_types && rules.partner_types.length
             ? rules.partner_types.map(fmt.label).join(", ") : "every kind of partner",
           "; ", rules.countries && rules.countries.length
             ? rules.countries.map(fmt.country).join(", ") : "every country"].join("")],
           ["Lands on", c.landing_url],
           ["Joining", c.admission === "review" ? "You apply; the brand reviews each application"
             : "At once"]]),
    action, result);
}

export async function campaigns(page, ctx) {
  page.append(heading("Campaigns you can join"));
  const body = h("div", {});
  page.append(body);
  const show = (n) => fill(body, () => get("/api/v1/partner/campaigns", {page: n}), (data) =>
    (data.items.length ? [h("div", {class: "cards"}, data.items.map((c) => campaignCard(ctx, c))),
                          pager(data, show)]
      : empty("No campaign is running right now. Come back soon.")));
  await show(1);
}

export async function links(page, ctx) {
  page.append(heading("Your links"));
  const body = h("div", {});
  page.append(body);
  await fill(body, () => Promise.all([
    get(`/api/v1/partners/${me(ctx)}/enrollments`, {page_size: 100}),
    get("/api/v1/partner/campaigns", {page_size: 100}),
  ]), ([enrollments, available]) => {
    const names = Object.fromEntries(available.items.map((c) => [c.campaign_id, c.name]));
    const sites = Object.fromEntries(available.items.map((c) => [c.campaign_id, c.landing_url]));
    const terms = Object.fromEntries(available.items.map((c) => [c.campaign_id, c.terms]));
    if (!enrollments.items.length) {
      return [empty("You have not joined a campaign yet."),
              h("p", {}, h("a", {href: "/app/partner/campaigns"}, "Find campaigns to join"))];
    }
    return h("div", {class: "cards"}, enrollments.items.map((e) => (e.tracking_url
      ? linkCard(e, names, sites, terms) : applicationCard(e, names))));
  });
}

const LEFT = " You left this campaign: the link earns nothing until you join it again "
  + "from Campaigns.";

/** The commission the brand pays this partner in place of the campaign's, while it
 * applies (written for the model the campaign pays; a campaign not listed: said anyway). */
function ownCommission(e, terms) {
  const own = e.commission;
  if (!own || (terms && terms.model !== own.model)) return null;
  return h("p", {class: "own-commission"}, h("strong", {}, "Your commission: "),
    `${fmt.figures(own)}, set by the brand on ${fmt.day(e.commission_since)}.`);
}

const ENROLLED = ["ACTIVE", "SUSPENDED"];

/** "Change code…": the link's code of the partner's choosing (a vanity code: `bea10`),
 * typed in a small form; `changed(enrollment)` once the API took it (the API trims it and
 * takes it lowercase; its refusals go under the input, and nothing changes). */
function codeChanger(e, name, changed) {
  const place = h("div", {class: "referral-code"});
  const opener = () => h("button", {
    type: "button", class: "secondary", "data-action": "change-code",
    "aria-label": `Change code for ${name}…`, onclick: () => {
      replace(place, codeForm());
      place.querySelector("input").focus();
    }}, "Change code…");
  const codeForm = () => form({
    label: `Code for ${name}`, submitLabel: "Save code", busyLabel: "Saving…",
    fields: [referralCodeField(e.referral_code)],
    cancel: () => {
      replace(place, opener());
      place.querySelector("button").focus();
    },
    submit: async (values) => {
      changed(await request("PUT", `/api/v1/enrollments/${e.enrollment_id}/referral-code`,
                            {code: values.code}));
    }});
  return replace(place, opener());
}

/** A link's card: its campaign, status, own commission, the link to copy, a deep link;
 * leave it, and give it a code of the partner's choosing while the campaign runs (a
 * campaign this partner can see: an ended or paused one is not listed, its name unknown). */
function linkCard(e, names, sites, terms, notice = null) {
  const name = names[e.campaign_id] || "A campaign that has ended or paused";
  const status = h("p", {}, badge(e.status), e.suspension_reason === "partner_left" ? LEFT
    : e.suspension_reason ? ` ${fmt.reason(e.suspension_reason)}` : "",
    e.suspension_note ? h("span", {class: "decline-reason"}, " The brand said: ",
      h("q", {}, e.suspension_note)) : null);
  const leave = e.status === "ACTIVE" ? actionButton(`Leave ${name}`,
    () => post(`/api/v1/enrollments/${e.enrollment_id}/leave`), {
      name: "leave-campaign", busyText: "Leaving…",
      confirmText: `Leave ${name}? Your link stops earning; you may join again later.`,
      done: () => {
        replace(status, badge("SUSPENDED"), LEFT);
        leave.remove();
      }}) : null;
  const open = Boolean(names[e.campaign_id]) && ENROLLED.includes(e.status);
  const recode = open ? codeChanger(e, name, (changed) => {
    const said = `Your link is now ${changed.tracking_url}. Links with the old code no `
      + "longer work.";
    const fresh = linkCard(changed, names, sites, terms,
                           h("p", {class: "notice", role: "status"}, said));
    card.replaceWith(fresh);
    fresh.querySelector(".copy-field input").focus();
    announce(said);
  }) : null;
  const card = h("article", {class: "card"},
    h("h2", {}, name), notice, status, ownCommission(e, terms[e.campaign_id]),
    copyField(`Link for ${names[e.campaign_id] || e.referral_code}`, e.tracking_url),
    sites[e.campaign_id] ? deepLinkBuilder(e, sites[e.campaign_id]) : null,
    h("p", {class: "hint"}, `Joined ${fmt.when(e.enrolled_at)}; code ${e.referral_code}.`),
    recode, leave);
  return card;
}

const APPLICATION_WITHDRAWN = "Application withdrawn: the brand will not review it. You "
  + "may apply again whenever you wish.";
const APPLICATION_SAYS = {
  PENDING: " Your link comes when the brand approves you.",
  DECLINED: " The brand declined your application.",
  WITHDRAWN: " You withdrew this application; apply again from Campaigns when you wish.",
};

/** Take back an application the brand has not decided (the brand is not told by mail). */
function withdrawButton(enrollmentId, campaignName, done) {
  return actionButton(`Withdraw my application to ${campaignName}`,
    () => post(`/api/v1/enrollments/${enrollmentId}/withdraw`), {
      name: "withdraw-application", busyText: "Withdrawing…",
      confirmText: `Withdraw your application to ${campaignName}? You may apply again later.`,
      done});
}

function declineReason(reason) {
  return reason ? h("p", {class: "decline-reason"}, "The brand said: ", h("q", {}, reason))
    : null;
}

/** An application: no link until the brand approves it. */
function applicationCard(e, names) {
  const name = names[e.campaign_id] || "A campaign that has ended or paused";
  const card = h("article", {class: "card application"});
  const status = h("p", {}, badge(e.status), APPLICATION_SAYS[e.status] || "");
  const withdraw = e.status === "PENDING" ? withdrawButton(e.enrollment_id, name, () => {
    replace(status, badge("WITHDRAWN"), APPLICATION_SAYS.WITHDRAWN);
    withdraw.remove();
  }) : null;
  card.append(h("h2", {}, name), status,
    e.status === "DECLINED" ? declineReason(e.decline_reason) : null, withdraw,
    h("p", {class: "hint"}, `Applied ${fmt.when(e.applied_at)}.`));
  return card;
}

/** The same site as `landing` (its origin, or its https for an http landing page; no
 * user info), as the redirect checks it (`on_site`); null when `page` is not a URL of it. */
function sameSite(page, landing) {
  let url;
  try {
    url = new URL(page);
  } catch {
    return null;
  }
  const site = new URL(landing);
  const upgraded = site.protocol === "http:" && url.protocol === "https:"
    && url.hostname === site.hostname && url.port === "";
  if (url.username || url.password) return null;
  return url.origin === site.origin || upgraded ? url.href : null;
}

/** A deep link: the partner's link landing on a page of the campaign's site they pick. */
function deepLinkBuilder(enrollment, landing) {
  const site = new URL(landing).origin;
  const pageField = field({name: `page-${enrollment.referral_code}`, type: "url",
                           label: "Link to a page of the shop (optional)",
                           hint: `Any page of ${site}.`, placeholder: `${site}/…`});
  const input = pageField.querySelector("input");
  const error = pageField.querySelector(".field-error");
  const out = h("div", {});
  input.addEventListener("input", () => {
    const text = input.value.trim();
    const page = text ? sameSite(text, landing) : null;
    replace(error, text && !page ? `Must be a page of ${site}.` : "");
    replace(out, page ? copyField("Deep link",
      `${enrollment.tracking_url}?to=${encodeURIComponent(page)}`) : null);
  });
  return h("div", {class: "deep-link"}, pageField, out);
}

function statusFilter(name, statuses, current, onChange, labelText = "Status") {
  const el = field({name, label: labelText, type: "select", value: current || "",
                    options: [["", "All"], ...statuses.map((s) => [s, fmt.label(s)])]});
  el.classList.add("filter");
  el.querySelector("select").addEventListener("change", (e) => onChange(e.target.value));
  return el;
}

export async function conversions(page, ctx) {
  page.append(heading("Conversions"),
    h("p", {}, "Orders your links brought, and whether they counted."));
  const body = h("div", {});
  const list = filteredList(`/api/v1/partners/${me(ctx)}/conversions/export`, {}, (n) => show(n));
  const show = (n) => fill(body, () => get(`/api/v1/partners/${me(ctx)}/conversions`,
                                            {page: n, ...list.filters()}), (data) => [
    table({caption: "Your conversions, newest first", emptyText: "No conversion yet.",
           columns: [
             {label: "When", cell: (c) => fmt.when(c.occurred_at)},
             {label: "Order", cell: (c) => c.order_id},
             {label: "Amount", numeric: true, cell: (c) => fmt.money(c.amount)},
             {label: "Status", cell: (c) => badge(c.status)},
             {label: "Credited by", cell: (c) => fmt.attribution(c.attribution)},
             {label: "Reason", cell: (c) => fmt.reason(c.reason)},
           ], rows: data.items}),
    pager(data, show)]);
  page.append(h("div", {class: "filters"},
    statusFilter("status", ["ATTRIBUTED", "REJECTED", "UNATTRIBUTED"], "",
                 (status) => list.refilter({status})),
    periodFilter(list.refilter)), h("p", {}, list.download), body);
  await show(1);
}

export async function commissions(page, ctx) {
  page.append(heading("Commissions"),
    h("p", {}, "Pending until the brand approves them or their hold ends; approved ones "
      + "are paid in the next payout. A bonus a brand awards you is approved at once."));
  const body = h("div", {});
  const list = filteredList(`/api/v1/partners/${me(ctx)}/commissions/export`, {}, (n) => show(n));
  const show = (n) => fill(body, () => get(`/api/v1/partners/${me(ctx)}/commissions`,
                                            {page: n, ...list.filters()}), (data) => [
    table({caption: "Your commissions, newest first", emptyText: "No commission yet.",
           columns: [
             {label: "Earned on", cell: (c) => fmt.when(c.occurred_at)},
             {label: "For", cell: (c) => fmt.commissionFor(c)},
             {label: "Amount", numeric: true, cell: (c) => fmt.money(c.amount)},
             {label: "Status", cell: (c) => badge(c.status)},
             {label: "Details", cell: (c) => [
               c.status === "PENDING" && c.hold_until ? `Held until ${fmt.when(c.hold_until)}`
                 : "", c.reason ? fmt.reason(c.reason) : ""].filter(Boolean).join(" · ")},
           ], rows: data.items, rowAttrs: (c) => ({"data-status": c.status,
                                                   "data-kind": c.kind || null})}),
    pager(data, show)]);
  page.append(h("div", {class: "filters"},
    statusFilter("status", COMMISSION_STATUSES, "", (status) => list.refilter({status})),
    periodFilter(list.refilter)), h("p", {}, list.download), body);
  await show(1);
}

export async function payouts(page, ctx) {
  page.append(heading("Payouts"));
  const body = h("div", {});
  page.append(body);
  await fill(body, () => Promise.all([
    get(`/api/v1/partners/${me(ctx)}/balance`),
    get(`/api/v1/partners/${me(ctx)}/payouts`, {page_size: 50}),
  ]), ([balance, list]) => [
    section("Balance by currency", balances(balance)),
    section("Your payouts",
      h("p", {}, csvLink(`/api/v1/partners/${me(ctx)}/payouts/export`)),
      table({
        caption: "Newest first", emptyText: "No payout yet.",
        columns: [
          {label: "Started", cell: (p) => fmt.when(p.created_at)},
          {label: "Amount", numeric: true, cell: (p) => fmt.money(p.amount)},
          {label: "Status", cell: (p) => badge(p.status)},
          {label: "Details", cell: (p) => p.reason || (p.psp_reference
            ? `Reference ${p.psp_reference}` : "")},
        ], rows: list.items, rowAttrs: (p) => ({"data-status": p.status})})),
  ]);
}

function payoutMethodText(method) {
  if (!method) return "None yet: add one to get paid.";
  if (method.type === "paypal") return `PayPal, ${method.email}`;
  return `Bank transfer to ${method.account_holder}, ${method.iban}`;
}

export async function profile(page, ctx) {
  page.append(heading("Your profile"));
  const body = h("div", {});
  page.append(body);
  const draw = (p) => {
    const paypal = h("div", {hidden: !(p.payout_method && p.payout_method.type === "paypal")},
      field({name: "payout_method.email", label: "PayPal email", type: "email",
             value: p.payout_method && p.payout_method.email}));
    const isBank = Boolean(p.payout_method && p.payout_method.type === "bank_transfer");
    const bank = h("div", {hidden: !isBank},
      field({name: "payout_method.account_holder", label: "Account holder",
             value: isBank ? p.payout_method.account_holder : ""}),
      field({name: "payout_method.iban", label: "IBAN", value: isBank ? p.payout_method.iban
        : ""}),
      field({name: "payout_method.bic", label: "BIC (optional)",
             value: isBank ? p.payout_method.bic || "" : ""}));
    const kind = field({name: "payout_method.type", label: "How you get paid", type: "select",
                        value: p.payout_method ? p.payout_method.type : "paypal",
                        options: [["paypal", "PayPal"], ["bank_transfer", "Bank transfer"]]});
    const sync = (value) => { paypal.hidden = value !== "paypal"; bank.hidden = value !== "bank_transfer"; };
    kind.querySelector("select").addEventListener("change", (e) => sync(e.target.value));
    sync(p.payout_method ? p.payout_method.type : "paypal");
    const saved = h("p", {class: "notice", role: "status", hidden: true});
    return [
      standing(p),
      section("Account", facts([["Name", p.name], ["Email", p.email],
                                ["Kind", fmt.label(p.type)], ["Country", fmt.country(p.country)],
                                ["Status", badge(p.status)], ["Identity check", badge(p.kyc_status)],
                                ["Member since", fmt.when(p.registered_at)]])),
      section("Payout method", h("p", {}, payoutMethodText(p.payout_method)), saved,
        form({label: "Payout method", fields: [kind, paypal, bank], submitLabel: "Save payout method",
              submit: async (values) => {
                const method = values.payout_method;
                if (method.bic === "") delete method.bic;
                const updated = await patch(`/api/v1/partners/${me(ctx)}`,
                                            {payout_method: method});
                replace(body, draw(updated));
                const note = body.querySelector(".notice[hidden]");
                if (note) { note.hidden = false; note.textContent = "Payout method saved."; }
              }})),
    ];
  };
  await fill(body, () => get(`/api/v1/partners/${me(ctx)}`), draw);
}
