// The brand console: home, campaigns (create with terms, run, change terms and budget,
// its partners and their links' codes, conversions, commissions and chart), conversions,
// commissions (approve, decline, approve the selected ones at once), partner performance
// reports, API keys and users. The brand id is in the path; the API answers 404 for a
// brand that is not the caller's, and so does every page here.

import {ApiError, get, post, request} from "../api.js";
import {dailyChart} from "../chart.js";
import {announce, h, replace, uid} from "../dom.js";
import * as fmt from "../format.js";
import {field, form, instant, integerOrText, orNull, referralCodeField} from "../forms.js";
import {
  actionButton, badge, copyField, empty, facts, failure, filteredList, heading,
  loadInto, notFound, pager, periodFilter, section, table, tokenLink,
} from "../widgets.js";

const PARTNER_TYPES = [["affiliate", "Affiliate"], ["influencer", "Influencer"],
                       ["ambassador", "Ambassador"], ["media", "Media"], ["b2b", "B2B"]];
const COMMISSION_STATUSES = ["PENDING", "APPROVED", "IN_PAYOUT", "PAID", "REVERSED",
                             "DECLINED", "REJECTED"];

/** Draw `render(data)` into a new part of the page, or the not-found page on a 404. */
async function load(page, promise, render) {
  const body = h("div", {});
  page.append(body);
  await loadInto(body, page, promise, render);
}

const base = (ctx) => `/app/brands/${ctx.brandId}`;
const api = (ctx) => `/api/v1/brands/${ctx.brandId}`;

function budgetText(budget) {
  if (!budget) return "—";
  return `${fmt.money(budget.remaining)} left of ${fmt.money(budget.total)}`;
}

/** How many commissions await the brand's decision, and what they owe (the dashboard
 * carries the totals; the commissions page lists them). */
function pendingSummary(ctx, pending) {
  if (!pending) return failure(new ApiError(503, {}));
  const owed = pending.amounts.map(fmt.money).join(" + ");
  return h("div", {class: "pending"},
    h("p", {}, pending.count
      ? `${fmt.counted(pending.count, "commission awaits", "commissions await")} your decision (${owed}).`
      : "No commission awaits your decision."),
    h("p", {}, h("a", {href: `${base(ctx)}/commissions`},
      pending.count ? "Approve or decline them" : "Every commission")));
}

export async function home(page, ctx) {
  await load(page, get(`${api(ctx)}/dashboard`), (data) => [
    heading(data.brand.name, h("a", {class: "button primary",
                                      href: `${base(ctx)}/campaigns/new`}, "New campaign")),
    data.unavailable.length ? h("p", {class: "notice", role: "status"},
      `Some figures are missing for now (${data.unavailable.join(", ")} did not answer).`)
      : null,
    data.pending_applications ? h("p", {class: "notice"},
      `${fmt.counted(data.pending_applications, "partner's application awaits",
                     "partners' applications await")} your review: see the campaigns below.`)
      : null,
    section("Campaigns", table({
      caption: "Budget and the last 30 days of each campaign",
      emptyText: "No campaign yet: create your first one.",
      columns: [
        {label: "Campaign", cell: (s) => h("a", {href: `${base(ctx)}/campaigns/${s.campaign.campaign_id}`},
          s.campaign.name)},
        {label: "Status", cell: (s) => badge(s.campaign.status)},
        {label: "Budget", cell: (s) => budgetText(s.budget)},
        {label: "Clicks", numeric: true, cell: (s) => fmt.count(s.stats && s.stats.totals.clicks)},
        {label: "Conversions", numeric: true,
         cell: (s) => fmt.count(s.stats && s.stats.totals.conversions)},
        {label: "Revenue", numeric: true, cell: (s) => fmt.money(s.stats && s.stats.totals.revenue)},
        {label: "To approve", numeric: true,
         cell: (s) => fmt.count(s.pending_commissions && s.pending_commissions.count)},
        {label: "Applications", numeric: true, cell: (s) => (s.pending_applications
          ? h("a", {href: `${base(ctx)}/campaigns/${s.campaign.campaign_id}`,
                    "aria-label": `${fmt.counted(s.pending_applications, "application", "applications")} to review for ${s.campaign.name}`},
            fmt.count(s.pending_applications)) : "—")},
      ], rows: data.campaigns})),
    section("Top partners", table({
      caption: "The last 30 days' partners with the most conversions",
      emptyText: "No partner traffic in the last 30 days.",
      columns: [
        {label: "Partner", cell: (p) => partnerCell({partner_id: p.partner_id, partner_name: p.name})},
        {label: "Conversions", numeric: true, cell: (p) => fmt.count(p.conversions)},
        {label: "Clicks", numeric: true, cell: (p) => fmt.count(p.clicks)},
        {label: "Revenue", numeric: true,
         cell: (p) => (p.revenue.length ? p.revenue.map(fmt.money).join(" + ") : "—")},
      ], rows: data.top_partners || []})),
    section("Commissions to approve", pendingSummary(ctx, data.pending_commissions)),
  ]);
}

export async function campaigns(page, ctx) {
  let status = "";
  const body = h("div", {});
  const show = (n) => loadInto(body, page, get(`${api(ctx)}/campaigns`, {page: n, status}), (data) => [
    table({caption: "Your campaigns", emptyText: "No campaign here.", columns: [
      {label: "Campaign", cell: (c) => h("a", {href: `${base(ctx)}/campaigns/${c.campaign_id}`},
        c.name)},
      {label: "Status", cell: (c) => badge(c.status)},
      {label: "Terms", cell: (c) => fmt.terms(c.terms)},
      {label: "Budget", numeric: true, cell: (c) => fmt.money(c.budget)},
      {label: "Ends", cell: (c) => (c.ends_at ? fmt.when(c.ends_at) : "—")},
    ], rows: data.items}), pager(data, show)]);
  const filter = field({name: "status", label: "Status", type: "select",
                        options: [["", "All"], ...["DRAFT", "ACTIVE", "PAUSED", "ENDED",
                                                   "CANCELLED"].map((s) => [s, fmt.label(s)])]});
  filter.classList.add("filter");
  filter.querySelector("select").addEventListener("change", (e) => { status = e.target.value; show(1); });
  page.append(heading("Campaigns", h("a", {class: "button primary", href: `${base(ctx)}/campaigns/new`},
    "New campaign")), filter, body);
  await show(1);
}

/** The terms' inputs; the ones the chosen model does not use are hidden (not sent). */
function termsFields(currency, current) {
  const t = current || {model: "CPS", attribution_window_days: 30, hold_days: 30};
  const money = (m) => (m ? m.amount : "");
  const cps = h("div", {class: "model-fields", "data-model": "CPS"},
    field({name: "terms.rate", label: "Commission rate", value: t.rate || "", inputmode: "decimal",
           hint: "A share of each order's amount: 0.10 is 10%."}),
    field({name: "terms.min.amount", label: "Least per order (optional)", inputmode: "decimal",
           value: money(t.min), class: "money", hint: "In the campaign's currency."}),
    field({name: "terms.max.amount", label: "Most per order (optional)", inputmode: "decimal",
           value: money(t.max), class: "money", hint: "In the campaign's currency."}));
  const fixed = h("div", {class: "model-fields", "data-model": "CPA CPC"},
    field({name: "terms.amount.amount", label: "Amount paid", inputmode: "decimal",
           value: money(t.amount), class: "money",
           hint: "Per order (CPA) or per valid click (CPC), in the campaign's currency."}));
  const cpc = h("div", {class: "model-fields", "data-model": "CPC"},
    field({name: "terms.daily_click_cap", label: "Most paid clicks a day (optional)",
           type: "number", min: 1, value: t.daily_click_cap || ""}));
  const recurring = h("div", {class: "model-fields", "data-model": "CPS CPA"},
    field({name: "terms.recurring_months", label: "Recurring commissions for (months, optional)",
           type: "number", min: 1, max: 120, value: t.recurring_months || "",
           hint: "A referred customer's later orders (subscription renewals) earn the partner "
             + "this many months after their first order, with no new click. Empty: only orders "
             + "a link or code brought."}));
  const model = field({name: "terms.model", label: "Commission model", type: "select",
                       value: t.model, required: true,
                       options: [["CPS", "CPS: a share of each sale"],
                                 ["CPA", "CPA: a fixed amount per order"],
                                 ["CPC", "CPC: a fixed amount per valid click"]]});
  const groups = [cps, fixed, cpc, recurring];
  const sync = (value) => groups.forEach((g) => { g.hidden = !g.dataset.model.split(" ").includes(value); });
  model.querySelector("select").addEventListener("change", (e) => sync(e.target.value));
  sync(t.model);
  return [model, cps, fixed, cpc, recurring,
    field({name: "terms.attribution_window_days", label: "Attribution window (days)",
           type: "number", min: 1, value: t.attribution_window_days, required: true,
           hint: "An order counts for the partner whose link was clicked this many days before."}),
    field({name: "terms.hold_days", label: "Hold (days)", type: "number", min: 0,
           value: t.hold_days, required: true,
           hint: "Commissions wait this long (refunds reverse them) unless you approve them sooner."})];
}

/** Form values -> the API's terms (money fields in `currency`). */
function termsOf(values, currency) {
  const t = values.terms || {};
  const money = (m) => (m && m.amount ? {amount: m.amount, currency} : null);
  const terms = {model: t.model, attribution_window_days: integerOrText(t.attribution_window_days),
                 hold_days: integerOrText(t.hold_days)};
  if (t.model === "CPS") {
    terms.rate = orNull(t.rate);
    terms.min = money(t.min);
    terms.max = money(t.max);
  } else {
    terms.amount = money(t.amount) || (t.amount ? {amount: t.amount.amount, currency} : null);
    if (t.model === "CPC") terms.daily_click_cap = integerOrText(t.daily_click_cap);
  }
  if (t.model !== "CPC") terms.recurring_months = integerOrText(t.recurring_months);
  return terms;
}

export async function newCampaign(page, ctx) {
  await load(page, get(`${api(ctx)}`), (brandInfo) => {
    const currency = brandInfo.currency;
    return [
      heading("New campaign"),
      h("p", {}, `For ${brandInfo.name}. It starts as a draft: activate it when ready.`),
      form({
        label: "New campaign", class: "wide",
        fields: [
          h("fieldset", {}, h("legend", {}, "The campaign"),
            field({name: "name", label: "Name", required: true}),
            field({name: "description", label: "Description (optional)", type: "textarea"}),
            field({name: "landing_url", label: "Landing page", type: "url", required: true,
                   placeholder: "https://shop.example.com/spring",
                   hint: "Where links send visitors; a click_id is added to it."}),
            field({name: "currency", label: "Currency", type: "select", value: currency,
                   required: true, options: fmt.currencies().map((c) => [c, c])}),
            field({name: "budget.amount", label: "Budget", required: true, inputmode: "decimal",
                   hint: "The most its commissions may cost, in the campaign's currency."}),
            field({name: "starts_at", label: "Starts (optional)", type: "datetime-local"}),
            field({name: "ends_at", label: "Ends (optional)", type: "datetime-local",
                   hint: "It ends by itself then."})),
          h("fieldset", {}, h("legend", {}, "Terms"), termsFields(currency)),
          h("fieldset", {}, h("legend", {}, "Who may join (optional)"),
            field({name: "eligibility.partner_types", label: "Kinds of partner (none: all)",
                   type: "checkboxes", options: PARTNER_TYPES}),
            field({name: "eligibility.countries", label: "Countries (none: all)",
                   hint: "Two-letter codes separated by commas, e.g. ES, FR."}),
            field({name: "admission", label: "Partners join", type: "select", value: "open",
                   options: Object.entries(ADMISSIONS),
                   hint: "After your review: partners apply with a note, and get their "
                     + "link when you approve them."})),
        ],
        submitLabel: "Create campaign",
        busyLabel: "Creating…",
        submit: async (values) => {
          const chosen = values.currency;
          const countries = (values.eligibility.countries || "").split(",")
            .map((c) => c.trim().toUpperCase()).filter(Boolean);
          const body = {name: values.name, description: values.description,
                        landing_url: values.landing_url, currency: chosen,
                        budget: {amount: values.budget.amount, currency: chosen},
                        starts_at: instant(values.starts_at), ends_at: instant(values.ends_at),
                        terms: termsOf(values, chosen),
                        eligibility: {partner_types: values.eligibility.partner_types,
                                      countries},
                        admission: values.admission};
          const created = await post(`${api(ctx)}/campaigns`, body);
          ctx.navigate(`${base(ctx)}/campaigns/${created.campaign_id}`,
                       {notice: "Campaign created as a draft."});
        },
      }),
    ];
  });
}

function campaignChart(stats) {
  if (!stats) return empty("No figures yet.");
  const currency = stats.currency;
  const totals = stats.totals;
  return dailyChart({
    title: `The last ${stats.days.length} days`,
    days: stats.days.map((d) => d.day),
    bars: [{label: "Clicks", cls: "s-clicks", values: stats.days.map((d) => d.clicks)},
           {label: "Conversions", cls: "s-conversions",
            values: stats.days.map((d) => d.conversions)}],
    line: {label: `Revenue (${currency})`, cls: "s-earnings",
           values: stats.days.map((d) => Number(d.revenue.amount)),
           format: (v) => fmt.amount(v.toFixed(fmt.minorUnits(currency)), currency)},
    summary: `${fmt.counted(totals.clicks, "click", "clicks")} (${fmt.count(totals.valid_clicks)} `
      + `valid), ${fmt.counted(totals.conversions, "conversion", "conversions")}, `
      + `${fmt.count(totals.rejected_conversions)} rejected, ${fmt.money(totals.revenue)} in orders; conversion rate `
      + `${fmt.rate(totals.conversion_rate)}.`,
  });
}

const ADMISSIONS = {open: "At once", review: "After I review their application"};

const LIFECYCLE = {DRAFT: ["activate", "cancel"], ACTIVE: ["pause", "end"],
                   PAUSED: ["activate", "end", "cancel"], ENDED: [], CANCELLED: []};
const ACTION_TEXT = {activate: "Activate", pause: "Pause", end: "End", cancel: "Cancel campaign"};
const ACTION_PAST = {activate: "activated", pause: "paused", end: "ended", cancel: "cancelled"};
const ACTION_CONFIRM = {end: "End this campaign for good? Links stop earning.",
                        cancel: "Cancel this campaign? It cannot be undone."};

export async function campaign(page, ctx) {
  const id = ctx.campaignId;
  const path = `/api/v1/campaigns/${id}`;
  const reload = (notice) => ctx.navigate(location.pathname, {replace: true, notice});
  // one round trip: every part is asked for at once
  await load(page, Promise.all([
    get(path), get(`${path}/budget`), get(`${path}/stats`),
    get(`${path}/enrollments`, {page_size: 50}),
    get(`${api(ctx)}/conversions`, {campaign_id: id, page_size: 20}),
    get(`${api(ctx)}/commissions`, {campaign_id: id, page_size: 20}),
  ]), ([c, budget, stats, enrollments, conversionPage, commissionPage]) => {
    if (c.brand_id !== ctx.brandId) return notFound();
    const applications = enrollments.items.filter((e) => !e.tracking_url);
    const actions = (LIFECYCLE[c.status] || []).map((action) => actionButton(
      ACTION_TEXT[action], () => post(`${path}/${action}`), {
        kind: action === "activate" ? "primary" : "secondary", name: action,
        confirmText: ACTION_CONFIRM[action],
        done: () => reload(`Campaign ${ACTION_PAST[action]}.`)}));
    return [
      heading(c.name, badge(c.status)),
      h("div", {class: "toolbar", role: "group", "aria-label": "Campaign status"}, actions),
      section("About", facts([
        ["Pays", fmt.terms(c.terms)], ["Currency", c.currency],
        ["Landing page", c.landing_url],
        ["Runs", `${c.starts_at ? fmt.when(c.starts_at) : "from activation"} until `
          + `${c.ends_at ? fmt.when(c.ends_at) : "ended"}`],
        ["Partners join", admissionControl(c, path, reload)],
        ["Created", fmt.when(c.created_at)],
        c.description ? ["Description", c.description] : null])),
      section("Stats", campaignChart(stats)),
      section("Budget", facts([["Total", fmt.money(budget.total)],
                               ["Owed to partners", fmt.money(budget.reserved)],
                               ["Remaining", fmt.money(budget.remaining)],
                               budget.exhausted ? ["", "Exhausted: new commissions are refused."]
                                 : null]),
        form({label: "Change the budget", fields: [
          field({name: "budget.amount", label: `New total budget (${c.currency})`,
                 value: budget.total.amount, inputmode: "decimal", required: true})],
        submitLabel: "Change budget",
        submit: async (values) => {
          await post(`${path}/budget`, {budget: {amount: values.budget.amount,
                                                 currency: c.currency}});
          reload("Budget changed.");
        }})),
      section("Terms",
        table({caption: "Every version (orders keep the version in force when they happened)",
               columns: [{label: "Version", numeric: true, cell: (t) => String(t.version)},
                         {label: "Terms", cell: (t) => fmt.terms(t)},
                         {label: "From", cell: (t) => (t.effective_from ? fmt.when(t.effective_from) : "the start")}],
               rows: [...(c.terms_history || [c.terms])].reverse()}),
        h("details", {class: "change-terms"}, h("summary", {}, "Change the terms"),
          form({label: "Change the terms", class: "wide", fields: [
            termsFields(c.currency, c.terms),
            field({name: "effective_from", label: "In force from (optional)", type: "datetime-local",
                   hint: "Default: now."})],
          submitLabel: "Save new terms",
          submit: async (values) => {
            await post(`${path}/terms`, {terms: termsOf(values, c.currency),
                                         effective_from: instant(values.effective_from)});
            reload("New terms saved.");
          }}))),
      applications.length || c.admission === "review"
        ? section("Applications", applicationsTable(applications, reload)) : null,
      section("Partners", table({
        caption: "Partners who joined", emptyText: "No partner has joined yet.",
        columns: [{label: "Partner", cell: partnerCell},
                  {label: "Code", cell: (e) => codeCell(c, e, reload)},
                  {label: "Status", cell: (e) => badge(e.status)},
                  {label: "Joined", cell: (e) => fmt.when(e.enrolled_at)},
                  {label: "Commission", cell: (e) => commissionCell(c, e, budget, reload)},
                  {label: "Link", cell: (e) => linkDecision(e, reload)}],
        rows: enrollments.items.filter((e) => e.tracking_url)})),
      section("Conversions", conversionsTable(conversionPage.items)),
      section("Commissions", commissionsTable(ctx, commissionPage.items,
                                              () => reload("Commission updated."))),
    ];
  });
}

/** How partners join, and the switch to the other way (not once the campaign is over). */
function admissionControl(c, path, reload) {
  const review = c.admission === "review";
  const text = review ? "After your review" : "At once";
  if (c.status === "ENDED" || c.status === "CANCELLED") return text;
  return h("span", {}, text, " ", actionButton(
    review ? "Let partners join at once" : "Review partners before they join",
    () => post(`${path}/admission`, {admission: review ? "open" : "review"}), {
      name: "admission",
      done: () => reload(review ? "Partners now join at once."
        : "Partners now apply, and you review each application.")}));
}

/** Partners who applied: the pending ones first, each approved or declined here; a
 * declined one may still be approved. */
function applicationsTable(rows, reload) {
  const pendingFirst = [...rows].sort((a, b) => (a.status === "PENDING" ? 0 : 1)
    - (b.status === "PENDING" ? 0 : 1));
  return table({
    caption: "Partners who applied", emptyText: "No application waits for you.",
    columns: [{label: "Partner", cell: partnerCell},
              {label: "Applied", cell: (e) => fmt.when(e.applied_at)},
              {label: "Their note", cell: (e) => e.application_note || "—"},
              {label: "Status", cell: applicationStatus},
              {label: "Decision", cell: (e) => applicationDecision(e, reload)}],
    rows: pendingFirst});
}

function applicationStatus(e) {
  if (e.status === "DECLINED" && e.decline_reason) {
    return h("span", {}, badge(e.status), " ", h("q", {class: "decline-reason"}, e.decline_reason));
  }
  return badge(e.status);
}

/** Approve, or decline with a word for the partner (optional: they see it and are
 * emailed it); a declined partner may still be approved, a withdrawn application not. */
function applicationDecision(e, reload) {
  if (e.status === "WITHDRAWN") return "Withdrawn by the partner";
  const who = e.partner_name || e.partner_id.slice(0, 8);
  const approve = actionButton(`Approve ${who}`, () => post(`/api/v1/enrollments/${e.enrollment_id}/approve`), {
    kind: "primary", name: "approve-application",
    done: () => reload(`${who} is in: their link works from now on.`)});
  if (e.status !== "PENDING") return approve;
  return withAWord({
    before: [approve, " "], action: `Decline ${who}`, name: "decline-application",
    busyLabel: "Declining…", field: "reason",
    send: (word) => post(`/api/v1/enrollments/${e.enrollment_id}/decline`, {reason: word}),
    done: () => reload(`${who}'s application is declined.`)});
}

/** A button that opens a small form: a word for the partner (optional; they see it on
 * their links page and in the email they get), then the action itself. */
function withAWord({before = [], action, name, busyLabel, field: fieldName, send, done}) {
  const place = h("div", {class: "decision"});
  const wordForm = () => form({
    label: action, submitLabel: action, busyLabel,
    fields: [field({name: fieldName, label: "A word for the partner (optional)",
                    hint: "They see it on their links page and in the email they get."})],
    cancel: () => replace(place, buttons()),
    submit: async (values) => {
      await send(values[fieldName] || null);
      await done();
    }});
  const buttons = () => h("span", {}, ...before, h("button", {
    type: "button", class: "secondary", "data-action": name, onclick: () => {
      replace(place, wordForm());
      place.querySelector("input").focus();
    }}, `${action}…`));
  return replace(place, buttons());
}

/** Suspend an active link, or lift the brand's own suspension; the platform's
 * suspension of a partner is not the brand's to lift. */
function linkDecision(e, reload) {
  const who = e.partner_name || e.partner_id.slice(0, 8);
  if (e.status === "ACTIVE") {  // its clicks and orders stop earning until reactivated
    return withAWord({
      action: `Suspend ${who}`, name: "suspend-link", busyLabel: "Suspending…",
      field: "note",
      send: (word) => post(`/api/v1/enrollments/${e.enrollment_id}/suspend`, {note: word}),
      done: () => reload(`${who}'s link is suspended.`)});
  }
  if (e.suspension_reason === "brand_suspended") {
    return actionButton(`Reactivate ${who}`, () => post(`/api/v1/enrollments/${e.enrollment_id}/reactivate`), {
      name: "reactivate-link", done: () => reload(`${who}'s link is active again.`)});
  }
  return fmt.reason(e.suspension_reason);
}

const ENROLLED = ["ACTIVE", "SUSPENDED"];

/** What a partner earns: the campaign's figures, or its own (set by the brand, paid while
 * the campaign's terms keep the model they were written for); while the campaign is open,
 * a CPS or CPA one, the brand gives it figures of its own or the campaign's again; in any
 * open campaign, the brand may award it a one-off bonus. */
function commissionCell(c, e, budget, reload) {
  const who = e.partner_name || e.partner_id.slice(0, 8);
  const latest = (c.terms_history || [c.terms]).at(-1);  // what from now on is paid by
  const said = h("p", {}, commissionText(c.terms, e.commission));
  const open = !["ENDED", "CANCELLED"].includes(c.status) && ENROLLED.includes(e.status);
  if (!open) return said;
  const ownFigures = latest.model !== "CPC";  // clicks pay every partner the campaign's amount
  const place = h("div", {});
  const back = () => replace(place, buttons());
  const opener = (action, text, label, draw) => h("button", {
    type: "button", class: "secondary", "data-action": action, "aria-label": label,
    onclick: () => {
      replace(place, draw());
      place.querySelector("input").focus();
    }}, text);
  const buttons = () => h("div", {class: "toolbar"},
    ownFigures ? opener("partner-commission", "Commission…", `Commission for ${who}…`,
      () => commissionForm(latest, c.currency, e, who, reload, back)) : null,
    opener("award-bonus", "Bonus…", `Bonus for ${who}…`,
      () => bonusForm(c, budget, e, who, reload, back)),
    ownFigures && e.commission ? clearCommission(e, who, reload) : null);
  return h("div", {class: "commission"}, said, replace(place, buttons()));
}

/** The partner's code and, while the campaign is open and the partner in it, "Code…": a
 * code of the brand's choosing for the partner's link (a vanity code: `bea10`); the old
 * link stops working. */
function codeCell(c, e, reload) {
  const code = h("code", {}, e.referral_code);
  const open = !["ENDED", "CANCELLED"].includes(c.status) && ENROLLED.includes(e.status);
  if (!open) return code;
  const who = e.partner_name || e.partner_id.slice(0, 8);
  const place = h("div", {});
  const back = () => replace(place, buttons());
  const buttons = () => h("div", {class: "toolbar"}, h("button", {
    type: "button", class: "secondary", "data-action": "referral-code",
    "aria-label": `Code for ${who}…`, onclick: () => {
      replace(place, codeForm(e, who, reload, back));
      place.querySelector("input").focus();
    }}, "Code…"));
  return h("div", {class: "referral-code"}, h("p", {}, code), replace(place, buttons()));
}

/** The link's new code, as typed (the API trims it and takes it lowercase; a code another
 * link has is refused under the input, and nothing changes). */
function codeForm(e, who, reload, cancel) {
  return form({
    label: `Code for ${who}`, submitLabel: "Save code", busyLabel: "Saving…",
    fields: [referralCodeField(e.referral_code)], cancel,
    submit: async (values) => {
      const changed = await request("PUT",
                                    `/api/v1/enrollments/${e.enrollment_id}/referral-code`,
                                    {code: values.code});
      await reload(`${who}'s link is now ${changed.tracking_url}. Links with the old code `
        + "no longer work.");
    }});
}

/** A name for one bonus, made when its form opens and sent with every submit of it: a
 * double click or a retry after a lost answer pays once (the API answers the same bonus). */
function bonusReference() {
  if (crypto.randomUUID) return `bonus-${crypto.randomUUID()}`;
  const bytes = crypto.getRandomValues(new Uint8Array(16));  // outside a secure context
  return `bonus-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** A one-off bonus for the partner: an amount in the campaign's currency, out of what is
 * left of its budget (never past it), approved at once, and what it is for (the partner
 * reads it beside the amount). */
function bonusForm(c, budget, e, who, reload, cancel) {
  const reference = bonusReference();
  const left = budget && budget.remaining ? ` ${fmt.money(budget.remaining)} is left.` : "";
  return form({
    label: `Bonus for ${who}`, submitLabel: "Award bonus", busyLabel: "Awarding…",
    fields: [
      h("p", {class: "hint"}, "Approved at once and paid with the next payout, out of the "
        + `campaign's budget.${left}`),
      field({name: "amount.amount", label: `Amount (${c.currency})`, required: true,
             inputmode: "decimal", class: "money"}),
      field({name: "note", label: "What it is for", required: true,
             hint: `${who} reads it beside the amount.`})],
    cancel,
    submit: async (values) => {
      let awarded;
      try {
        awarded = await post(`/api/v1/campaigns/${c.campaign_id}/bonuses`, {
          partner_id: e.partner_id, note: values.note, reference,
          amount: {amount: values.amount.amount, currency: c.currency}});
      } catch (error) {
        throw bonusErrors(error);
      }
      await reload(`${who} gets a bonus of ${fmt.money(awarded.amount)}.`);
    }});
}

/** The API's refusals of a bonus where they belong: an amount's (its currency, its shape,
 * more than the budget has left) under the amount; what no input here can fix (the
 * partner left, the reference named another bonus) is the form's error. */
function bonusErrors(error) {
  if (!(error instanceof ApiError)) return error;
  const {partner_id: partner, reference, ...fields} = error.fields;
  const said = {code: error.code, message: error.message, request_id: error.requestId};
  const whole = [partner, reference].filter(Array.isArray).flat();
  if (whole.length) return new ApiError(error.status, {...said, message: whole.join(" ")});
  if (Array.isArray(fields.amount)) fields.amount = {amount: fields.amount};
  return new ApiError(error.status, {...said, fields});
}

/** "Campaign's (10%)", "Own: 15% (max $50.00)"; own figures for another model say so. */
function commissionText(terms, own) {
  const campaigns = `Campaign's (${fmt.figures(terms)})`;
  if (!own) return campaigns;
  if (own.model === terms.model) return `Own: ${fmt.figures(own)}`;
  return `${campaigns}; its own ${own.model} figures (${fmt.figures(own)}) are paid `
    + `only while the campaign pays ${own.model}.`;
}

/** The partner's own figures, from now on: a rate in percent (least and most per order
 * optional) in a CPS campaign, an amount per order in a CPA one. */
function commissionForm(terms, currency, e, who, reload, cancel) {
  const mine = e.commission && e.commission.model === terms.model ? e.commission : {};
  const money = (m) => (m ? m.amount : "");
  const fields = terms.model === "CPA"
    ? [field({name: "amount.amount", label: `Amount per order (${currency})`, required: true,
              inputmode: "decimal", value: money(mine.amount), class: "money",
              hint: `In place of the campaign's ${fmt.figures(terms)}.`})]
    : [field({name: "rate", label: "Rate (%)", required: true, inputmode: "decimal",
              value: mine.rate ? percentOfRate(mine.rate) : "",
              hint: `This partner's share of each order, in percent: 15 is 15%. The `
                + `campaign pays ${fmt.figures(terms)}.`}),
       field({name: "min.amount", label: `Least per order (${currency}, optional)`,
              inputmode: "decimal", value: money(mine.min), class: "money"}),
       field({name: "max.amount", label: `Most per order (${currency}, optional)`,
              inputmode: "decimal", value: money(mine.max), class: "money"})];
  return form({
    label: `Commission for ${who}`, submitLabel: "Save commission", busyLabel: "Saving…",
    fields: [h("p", {class: "hint"}, "For conversions from now on; earlier ones keep "
      + "what they earned."), fields],
    cancel,
    submit: async (values) => {
      let changed;
      try {
        changed = await request("PUT", `/api/v1/enrollments/${e.enrollment_id}/commission`,
                                commissionBody(values, terms.model, currency));
      } catch (error) {
        throw commissionErrors(error);
      }
      await reload(`${who} is paid ${fmt.figures(changed.commission)} from now on.`);
    }});
}

/** The form's values as the API's figures (amounts in the campaign's currency). */
function commissionBody(values, model, currency) {
  const money = (m) => (m && m.amount ? {amount: m.amount, currency} : null);
  if (model === "CPA") return {amount: money(values.amount)};
  return {rate: orNull(rateOfPercent(values.rate)), min: money(values.min),
          max: money(values.max)};
}

/** "Pay the campaign's figures again" for a partner that has its own. */
function clearCommission(e, who, reload) {
  const back = actionButton("Back to the campaign's",
    () => request("DELETE", `/api/v1/enrollments/${e.enrollment_id}/commission`), {
      name: "clear-commission",
      done: () => reload(`${who} is paid the campaign's commission again from now on.`)});
  back.querySelector("button").setAttribute("aria-label",
                                            `Back to the campaign's commission for ${who}`);
  return back;
}

const RATE_IN_PERCENT = {  // the API's words for a rate (a share: 0.10), for a percent
  "Must be greater than 0 and at most 1 (0.10 is 10%).": "Must be more than 0% and at most 100%.",
};

/** The API's errors under this form's inputs: a refusal of the figures as a whole
 * ("commission": a CPC campaign) is the form's error; an amount's goes under its input;
 * the rate's is said in percent, as it was typed. */
function commissionErrors(error) {
  if (!(error instanceof ApiError)) return error;
  const {commission, ...fields} = error.fields;
  const said = {code: error.code, message: error.message, request_id: error.requestId};
  if (Array.isArray(commission)) {
    return new ApiError(error.status, {...said, message: commission.join(" ")});
  }
  for (const name of ["min", "max", "amount"]) {
    if (Array.isArray(fields[name])) fields[name] = {amount: fields[name]};
  }
  if (Array.isArray(fields.rate)) {
    fields.rate = fields.rate.map((text) => RATE_IN_PERCENT[text] || text);
  }
  return new ApiError(error.status, {...said, fields});
}

/** "15" (percent, as typed) -> "0.15": the decimal point moved in the text, no float
 * rounding; what is not a number is sent as typed (the API says what is wrong). */
function rateOfPercent(text) {
  const found = /^(\d*)(?:[.,](\d*))?$/.exec(text.replace(/\s*%$/, ""));
  if (!found || !`${found[1]}${found[2] || ""}`) return text;
  const whole = found[1].padStart(3, "0");
  const units = whole.slice(0, -2).replace(/^0+(?=\d)/, "");
  const decimals = `${whole.slice(-2)}${found[2] || ""}`.replace(/0+$/, "");
  return decimals ? `${units}.${decimals}` : units;
}

/** "0.125" -> "12.5": a rate as the percent typed for it. */
function percentOfRate(decimal) {
  const [units, decimals = ""] = decimal.split(".");
  const digits = `${units}${decimals.padEnd(2, "0")}`;
  const point = units.length + 2;
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, "");
  const rest = digits.slice(point).replace(/0+$/, "");
  return rest ? `${whole}.${rest}` : whole;
}

/** The partner by name, else by the start of its id (a partner the BFF has not heard of yet). */
function partnerCell(item) {
  if (item.partner_name) return item.partner_name;
  return item.partner_id ? h("code", {}, item.partner_id.slice(0, 8)) : "—";
}

function conversionsTable(items) {
  return table({caption: "Newest first", emptyText: "No conversion yet.", columns: [
    {label: "When", cell: (c) => fmt.when(c.occurred_at)},
    {label: "Order", cell: (c) => c.order_id},
    {label: "Partner", cell: partnerCell},
    {label: "Amount", numeric: true, cell: (c) => fmt.money(c.amount)},
    {label: "Status", cell: (c) => badge(c.status)},
    {label: "Credited by", cell: (c) => fmt.attribution(c.attribution)},
    {label: "Reason", cell: (c) => fmt.reason(c.reason)},
    {label: "Refunded", numeric: true, cell: (c) => (c.reversed ? fmt.money(c.reversed) : "—")},
  ], rows: items});
}

function decideCell(ctx, c, after) {
  if (c.status !== "PENDING") return c.reason ? fmt.reason(c.reason) : "—";
  const place = h("div", {class: "decide"});
  const declineForm = () => form({
    label: "Decline", fields: [field({name: "reason", label: "Why decline it?", required: true})],
    submitLabel: "Decline",
    cancel: () => replace(place, buttons()),
    submit: async (values) => {
      await post(`/api/v1/commissions/${c.commission_id}/decline`, {reason: values.reason});
      await after();
    }});
  const buttons = () => h("div", {class: "toolbar"},
    actionButton("Approve", () => post(`/api/v1/commissions/${c.commission_id}/approve`),
                 {kind: "primary", name: "approve", done: after}),
    h("button", {type: "button", class: "secondary", onclick: () => {
      replace(place, declineForm());
      place.querySelector("input").focus();
    }}, "Decline…"));
  replace(place, buttons());
  return place;
}

/** The partner's name, else the start of its id: in words (a label, a message). */
function partnerText(item) {
  return item.partner_name || (item.partner_id ? item.partner_id.slice(0, 8) : "a partner");
}

/** A commission in words: "the commission of $8.00 for Bea Lopez (CPS: order of $80.00,
 * Mar 3, 2025, 10:15 AM)". */
function commissionWords(c) {
  return `the commission of ${fmt.money(c.amount)} for ${partnerText(c)} `
    + `(${fmt.commissionFor(c)}, ${fmt.when(c.occurred_at)})`;
}

/** "Approve selected (N)" over a page of commissions: a box in each pending row and one
 * selecting every pending row of the page; the chosen ones are approved in one request,
 * each on its own (the answer names those refused, and why), then `done(answer)`. No
 * pending row: null. */
function approveSelected(ctx, items, done) {
  const pending = items.filter((c) => c.status === "PENDING");
  if (!pending.length) return null;
  let busy = false;
  const boxes = new Map(pending.map((c) => [c.commission_id, h("input", {
    type: "checkbox", "data-select": c.commission_id,
    "aria-label": `Select ${commissionWords(c)}`, onchange: () => sync()})]));
  const all = h("input", {type: "checkbox", id: uid("select-pending"), onchange: () => {
    for (const box of boxes.values()) box.checked = all.checked;
    sync();
  }});
  const button = h("button", {type: "button", class: "primary",
                              "data-action": "approve-selected"});
  const error = h("span", {class: "inline-error", role: "alert"});
  const chosen = () => [...boxes].filter(([, box]) => box.checked).map(([id]) => id);
  const sync = () => {
    const n = chosen().length;
    all.checked = n === boxes.size;
    all.indeterminate = n > 0 && n < boxes.size;
    if (busy) return;  // "Approving…" until the answer
    button.textContent = `Approve selected (${n})`;
    button.disabled = n === 0;
  };
  button.addEventListener("click", async () => {
    const ids = chosen();
    if (busy || !ids.length) return;
    busy = true;
    replace(error);
    button.disabled = true;
    button.textContent = "Approving…";
    try {
      await done(await post(`${api(ctx)}/commissions/approve`, {commission_ids: ids}));
    } catch (failed) {
      replace(error, failed instanceof ApiError ? failed.message : "That did not work.");
      announce(error.textContent);
    } finally {
      busy = false;
      sync();
    }
  });
  sync();
  return {
    column: {label: "Select", cell: (c) => boxes.get(c.commission_id) || ""},
    bar: h("div", {class: "toolbar", role: "group", "aria-label": "Approve several at once"},
      h("span", {class: "checkbox"}, all,
        h("label", {for: all.id}, "Select all pending on this page")),
      h("span", {class: "action"}, button, error)),
  };
}

/** What "Approve selected" did: how many were approved. */
function approvedNotice(answer) {
  const n = answer.approved.length;
  return h("p", {class: "notice"}, n
    ? fmt.counted(n, "commission approved.", "commissions approved.")
    : "No commission approved.");
}

/** The ones "Approve selected" could not approve (no longer pending, gone), and why;
 * `rows`: the page's commissions, to name them. */
function refusedNotice(answer, rows) {
  if (!answer.refused.length) return null;
  const named = new Map(rows.map((c) => [c.commission_id, c]));
  return h("div", {class: "notice error", role: "alert"},
    h("p", {}, `${fmt.counted(answer.refused.length, "commission was", "commissions were")} `
      + "not approved:"),
    h("ul", {}, answer.refused.map((refused) => {
      const c = named.get(refused.commission_id);
      const what = c ? commissionWords(c) : `the commission ${refused.commission_id.slice(0, 8)}`;
      return h("li", {"data-refused": refused.commission_id},
        `${what.charAt(0).toUpperCase()}${what.slice(1)}: ${refused.error.message}`);
    })));
}

/** `select`: approveSelected's, for a box in each pending row (the Commissions page). */
function commissionsTable(ctx, items, after, select = null) {
  return table({caption: "Newest first", emptyText: "No commission here.",
                rowHeader: select ? 1 : 0, columns: [
    select ? select.column : null,
    {label: "Earned on", cell: (c) => fmt.when(c.occurred_at)},
    {label: "Partner", cell: partnerCell},
    {label: "For", cell: (c) => fmt.commissionFor(c)},
    {label: "Amount", numeric: true, cell: (c) => fmt.money(c.amount)},
    {label: "Status", cell: (c) => badge(c.status)},
    {label: "Hold until", cell: (c) => (c.hold_until && c.status === "PENDING" ? fmt.when(c.hold_until) : "—")},
    {label: "Decision", cell: (c) => decideCell(ctx, c, after)},
  ].filter(Boolean), rows: items, rowAttrs: (c) => ({"data-commission": c.commission_id, "data-status": c.status,
                                    "data-kind": c.kind || null})});
}

export async function conversions(page, ctx) {
  const body = h("div", {});
  const list = filteredList(`${api(ctx)}/conversions/export`, {}, (n) => show(n));
  const show = (n) => loadInto(body, page, get(`${api(ctx)}/conversions`, {page: n, ...list.filters()}),
    (data) => [conversionsTable(data.items), pager(data, show)]);
  const filter = field({name: "status", label: "Status", type: "select",
                        options: [["", "All"], ...["ATTRIBUTED", "REJECTED", "UNATTRIBUTED"]
                          .map((s) => [s, fmt.label(s)])]});
  filter.classList.add("filter");
  filter.querySelector("select").addEventListener("change",
    (e) => list.refilter({status: e.target.value}));
  page.append(heading("Conversions"), h("p", {}, "Orders your servers reported."),
    h("div", {class: "filters"}, filter, periodFilter(list.refilter)), h("p", {}, list.download),
    body);
  await show(1);
}

export async function commissions(page, ctx) {
  const status = ctx.query.get("status") || "PENDING";
  const body = h("div", {});
  const told = h("div", {role: "status"});  // what "Approve selected" did
  const refused = h("div", {});
  const list = filteredList(`${api(ctx)}/commissions/export`, {status}, (n) => show(n));
  const show = (n) => loadInto(body, page, get(`${api(ctx)}/commissions`, {page: n, ...list.filters()}), (data) => {
    const select = approveSelected(ctx, data.items, async (answer) => {
      replace(told, approvedNotice(answer));
      replace(refused, refusedNotice(answer, data.items));
      await show(n);  // the approved ones show Approved (or leave the pending list)
      if (!document.activeElement || document.activeElement === document.body) {
        // the button went with the list: on to the next choice, else the page's heading
        (body.querySelector("input[id^='select-pending']") || page.querySelector("h1")).focus();
      }
    });
    return [select && select.bar, commissionsTable(ctx, data.items, () => show(n), select),
            pager(data, show)];
  });
  const filter = field({name: "status", label: "Status", type: "select", value: status,
                        options: [["", "All"], ...COMMISSION_STATUSES.map((s) => [s, fmt.label(s)])]});
  filter.classList.add("filter");
  filter.querySelector("select").addEventListener("change",
    (e) => list.refilter({status: e.target.value}));
  page.append(heading("Commissions"),
    h("p", {}, "What you owe partners. Approve a pending one to pay it in the next payout, "
      + "or decline it with a reason; select several to approve them at once."),
    h("div", {class: "filters"}, filter, periodFilter(list.refilter)), h("p", {}, list.download),
    told, refused, body);
  await show(1);
}

/** The last day of a report's period: the day before its excluded `to`. */
function dayBefore(day) {
  const previous = new Date(`${day}T00:00:00Z`);
  previous.setUTCDate(previous.getUTCDate() - 1);
  return previous.toISOString().slice(0, 10);
}

function performanceTable(data) {
  const last = dayBefore(data.to);
  return [
    h("p", {class: "muted"},
      data.from === last ? `On ${fmt.day(data.from)} (UTC).`
        : `From ${fmt.day(data.from)} to ${fmt.day(last)}, both included (UTC).`),
    table({caption: "Partners, by conversions", emptyText: "No partner traffic in this period.",
           columns: [
             {label: "Partner", cell: (r) => partnerCell({partner_id: r.partner_id,
                                                          partner_name: r.name})},
             {label: "Clicks", numeric: true, cell: (r) => fmt.count(r.clicks)},
             {label: "Valid clicks", numeric: true, cell: (r) => fmt.count(r.valid_clicks)},
             {label: "Conversions", numeric: true, cell: (r) => fmt.count(r.conversions)},
             {label: "Rejected", numeric: true, cell: (r) => fmt.count(r.rejected_conversions)},
             {label: "Revenue", numeric: true, cell: (r) => fmt.money(r.revenue)},
             {label: "Conversion rate", numeric: true, cell: (r) => fmt.rate(r.conversion_rate)},
           ],
           rows: data.items,
           rowAttrs: (r) => ({"data-partner": r.partner_id, "data-currency": r.currency})}),
  ];
}

/** Partner performance: each partner's figures over a period (the last 30 days unless
 * days are chosen), in one campaign or all; the campaigns and the report's first page are
 * asked for at once. */
export async function reports(page, ctx) {
  const body = h("div", {});
  const list = filteredList(`${api(ctx)}/reports/partners/export`, {}, (n) => show(n));
  const report = (n) => get(`${api(ctx)}/reports/partners`, {page: n, ...list.filters()});
  const draw = (data) => [performanceTable(data), pager(data, show)];
  const show = (n) => loadInto(body, page, report(n), draw);
  page.append(heading("Partner performance"),
    h("p", {}, "Each partner's clicks, conversions and revenue over a period, ranked by "
      + "conversions: a row per partner and currency."));
  await load(page, Promise.all([get(`${api(ctx)}/campaigns`, {page_size: 100}), report(1)]),
    ([campaignPage, first]) => {
      const campaign = field({name: "campaign_id", label: "Campaign", type: "select", options: [
        ["", "All campaigns"], ...campaignPage.items.map((c) => [c.campaign_id, c.name])]});
      campaign.classList.add("filter");
      campaign.querySelector("select").addEventListener("change",
        (e) => list.refilter({campaign_id: e.target.value}));
      replace(body, draw(first));
      return [
        h("div", {class: "filters"}, campaign, periodFilter(list.refilter)),
        h("p", {class: "hint"}, "No days chosen: the last 30 days, today included. From "
          + "and To are both included (UTC)."),
        h("p", {}, list.download),
        body];
    });
}

export async function apiKeys(page, ctx) {
  const list = h("div", {});
  const fresh = h("div", {});
  const show = () => loadInto(list, page, get(`${api(ctx)}/api-keys`, {page_size: 100}), (data) => table({
    caption: "Your keys (the secret is shown once, when made)", emptyText: "No API key yet.",
    columns: [
      {label: "Name", cell: (k) => k.name},
      {label: "Key", cell: (k) => h("code", {}, `${k.prefix}…`)},
      {label: "Scopes", cell: (k) => k.scopes.join(", ")},
      {label: "Status", cell: (k) => badge(k.revoked_at ? "REVOKED" : "ACTIVE")},
      {label: "Last used", cell: (k) => (k.last_used_at ? fmt.when(k.last_used_at) : "never")},
      {label: "", cell: (k) => (k.revoked_at ? `Revoked ${fmt.when(k.revoked_at)}`
        : actionButton(`Revoke ${k.name}`, () => post(`${api(ctx)}/api-keys/${k.api_key_id}/revoke`), {
          name: "revoke", confirmText: `Revoke the key "${k.name}"? Servers using it are refused within seconds.`,
          done: () => { replace(fresh); return show(); }}))},
    ], rows: data.items, rowAttrs: (k) => ({"data-key": k.api_key_id})}));
  page.append(heading("API keys"),
    h("p", {}, "Your servers report orders with a key: ",
      h("code", {}, "Authorization: Bearer ak_live_…"), " on POST /api/v1/conversions."),
    section("New key", form({
      label: "New API key",
      fields: [field({name: "name", label: "Key name", required: true,
                      hint: "Which server or shop uses it."}),
               field({name: "scopes", label: "What it may do", type: "checkboxes",
                      value: ["conversions:write"],
                      options: [["conversions:write", "Report orders and refunds (conversions:write)"],
                                ["reports:read", "Read reports (reports:read)"]]})],
      submitLabel: "Create key",
      submit: async (values, el) => {
        const made = await post(`${api(ctx)}/api-keys`, {name: values.name, scopes: values.scopes});
        el.reset();
        replace(fresh, h("div", {class: "notice", role: "status"},
          h("p", {}, h("strong", {}, "Copy this key now: it is not shown again.")),
          copyField(`API key "${made.api_key.name}"`, made.key, {id: "new-api-key", secret: true})));
        fresh.querySelector("input").focus();
        await show();
      }}), fresh),
    section("Keys", list));
  await show();
}

export async function users(page, ctx) {
  const list = h("div", {});
  const fresh = h("div", {});
  const show = () => loadInto(list, page, get(`${api(ctx)}/users`), (data) => [
    table({caption: "People who sign in to this console", emptyText: "No user yet.", columns: [
      {label: "Email", cell: (u) => u.email},
      {label: "Role", cell: (u) => fmt.label(u.brand_role)},
      {label: "Status", cell: (u) => badge(u.status)},
      {label: "", cell: (u) => (u.status === "REMOVED" ? "—" : actionButton(`Remove ${u.email}`,
        () => post(`${api(ctx)}/users/${u.account_id}/remove`), {
          name: "remove", confirmText: `Remove ${u.email}? They are signed out at once.`,
          done: show}))},
    ], rows: data.items}),
    h("h3", {}, "Pending invitations"),
    table({caption: "Invited, not yet accepted", emptyText: "No pending invitation.", columns: [
      {label: "Email", cell: (i) => i.email},
      {label: "Role", cell: (i) => fmt.label(i.brand_role)},
      {label: "Expires", cell: (i) => fmt.when(i.expires_at)},
      {label: "", cell: (i) => actionButton(`Revoke ${i.email}`,
        () => post(`${api(ctx)}/invitations/${i.invitation_id}/revoke`), {
          name: "revoke", confirmText: `Revoke the invitation of ${i.email}? Its link stops working.`,
          done: show})},
    ], rows: data.invitations || []})]);
  page.append(heading("Users"),
    section("Invite someone", form({
      label: "Invite a user",
      fields: [field({name: "email", label: "Email", type: "email", required: true}),
               field({name: "brand_role", label: "Role", type: "select", value: "member",
                      options: [["member", "Member: runs campaigns"],
                                ["owner", "Owner: also manages users and API keys"]]})],
      submitLabel: "Invite",
      submit: async (values, el) => {
        const made = await post(`${api(ctx)}/invitations`, values);
        el.reset();
        const told = made.emailed
          ? h("p", {}, h("strong", {}, "Emailed to "), made.invitation.email,
              h("strong", {}, ". The link, shown once, if they need it:"))
          : h("p", {}, h("strong", {}, "Send this link to "), made.invitation.email,
              h("strong", {}, ": it is shown once."));
        replace(fresh, h("div", {class: "notice", role: "status"}, told,
          copyField("Invitation link", tokenLink("/app/accept", made.token), {id: "invitation-link", secret: true})));
        fresh.querySelector("input").focus();
        await show();
      }}), fresh),
    section("People", list));
  await show();
}
