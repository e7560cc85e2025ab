// Operator pages: partners awaiting KYC (verify, activate, suspend with a reason; a
// password reset link for one who cannot sign in), brands
// (register one, invite its owner, open its console), payout runs (start one, see each
// payout, retry a failed one), dead letters (list, replay).

import {ApiError, get, post} from "../api.js";
import {h, replace} from "../dom.js";
import * as fmt from "../format.js";
import {field, form} from "../forms.js";
import {
  actionButton, badge, copyField, csvLink, exportPath, facts, failure, fill, heading,
  notFound, pager, section, table, tokenLink,
} from "../widgets.js";

function filterSelect(name, labelText, value, options, onChange) {
  const el = field({name, label: labelText, type: "select", value, options});
  el.classList.add("filter");
  el.querySelector("select").addEventListener("change", (e) => onChange(e.target.value));
  return el;
}

function partnerActions(p, after) {
  const place = h("div", {class: "toolbar"});
  const act = (text, path, name) => actionButton(text, () => post(
    `/api/v1/partners/${p.partner_id}/${path}`), {name, done: after, kind: "primary"});
  const suspendForm = () => form({
    label: `Suspend ${p.name}`,
    fields: [field({name: "reason", label: `Why suspend ${p.name}?`, required: true})],
    submitLabel: "Suspend", cancel: () => replace(place, ...buttons()),
    submit: async (values) => {
      await post(`/api/v1/partners/${p.partner_id}/suspend`, {reason: values.reason});
      await after();
    }});
  const buttons = () => {
    const list = [];
    if (p.kyc_status !== "VERIFIED") list.push(act(`Verify ${p.name}`, "verify", "verify"));
    if (p.kyc_status === "VERIFIED" && p.status === "PENDING") {
      list.push(act(`Activate ${p.name}`, "activate", "activate"));
    }
    if (p.status === "SUSPENDED") list.push(act(`Reactivate ${p.name}`, "reactivate", "reactivate"));
    if (p.status !== "SUSPENDED") {
      list.push(h("button", {type: "button", class: "secondary", "data-action": "suspend",
                             onclick: () => {
                               replace(place, suspendForm());
                               place.querySelector("input").focus();
                             }}, `Suspend ${p.name}…`));
    }
    list.push(actionButton(`Reset link for ${p.name}`,
      () => post("/api/v1/admin/password-resets", {email: p.email}), {
        name: "reset-link", done: (made) => {
          place.append(copyField(`Password reset link for ${p.email} (shown once)`,
                                 tokenLink("/app/reset", made.token), {secret: true}));
          place.querySelector("input.secret").focus();
        }}));
    return list;
  };
  replace(place, ...buttons());
  return place;
}

export async function partners(page) {
  let status = "PENDING";
  const body = h("div", {});
  const show = (n) => fill(body, () => get("/api/v1/partners", {page: n, status}), (data) => [
    table({caption: status === "PENDING" ? "Partners awaiting verification or activation"
      : "Partners", emptyText: status === "PENDING" ? "No partner is waiting." : "No partner here.",
           columns: [
             {label: "Name", cell: (p) => p.name},
             {label: "Email", cell: (p) => p.email},
             {label: "Kind", cell: (p) => fmt.label(p.type)},
             {label: "Country", cell: (p) => fmt.country(p.country)},
             {label: "Identity check", cell: (p) => badge(p.kyc_status)},
             {label: "Status", cell: (p) => [badge(p.status), p.suspension_reason
               ? ` ${p.suspension_reason}` : ""]},
             {label: "Signed up", cell: (p) => fmt.when(p.registered_at)},
             {label: "Actions", cell: (p) => partnerActions(p, () => show(data.page))},
           ], rows: data.items, rowAttrs: (p) => ({"data-partner": p.partner_id})}),
    pager(data, show)]);
  page.append(heading("Partners"),
    h("p", {}, "Check each new partner's identity (KYC), then activate them; suspend one "
      + "with a reason and its links stop earning."),
    filterSelect("status", "Show", status, [["PENDING", "Awaiting KYC or activation"],
                                             ["ACTIVE", "Active"], ["SUSPENDED", "Suspended"],
                                             ["", "All"]],
                 (value) => { status = value; show(1); }),
    body);
  await show(1);
}

function inviteOwner(brandInfo) {
  const place = h("div", {});
  const open = () => replace(place, form({
    label: `Invite an owner of ${brandInfo.name}`,
    fields: [field({name: "email", label: `Owner's email for ${brandInfo.name}`, type: "email",
                    required: true})],
    submitLabel: "Invite", cancel: () => replace(place, button()),
    submit: async (values) => {
      const made = await post(`/api/v1/brands/${brandInfo.brand_id}/invitations`,
                              {email: values.email, brand_role: "owner"});
      replace(place, copyField(`Invitation link for ${made.invitation.email} (shown once)`,
                               tokenLink("/app/accept", made.token), {secret: true}));
      place.querySelector("input").focus();
    }}));
  const button = () => h("button", {type: "button", class: "secondary", "data-action": "invite",
                                    onclick: () => { open(); place.querySelector("input").focus(); }},
    `Invite an owner of ${brandInfo.name}…`);
  replace(place, button());
  return place;
}

export async function brands(page) {
  const body = h("div", {});
  const show = (n) => fill(body, () => get("/api/v1/brands", {page: n}), (data) => [
    table({caption: "Brands", emptyText: "No brand yet.", columns: [
      {label: "Brand", cell: (b) => h("a", {href: `/app/brands/${b.brand_id}`}, b.name)},
      {label: "Currency", cell: (b) => b.currency},
      {label: "Registered", cell: (b) => fmt.when(b.registered_at)},
      {label: "Owner", cell: (b) => inviteOwner(b)},
    ], rows: data.items, rowAttrs: (b) => ({"data-brand": b.brand_id})}),
    pager(data, show)]);
  page.append(heading("Brands"),
    section("Register a brand", form({
      label: "Register a brand",
      fields: [field({name: "name", label: "Brand name", required: true}),
               field({name: "currency", label: "Currency", type: "select", value: "EUR",
                      options: fmt.currencies().map((c) => [c, c])})],
      submitLabel: "Register brand",
      submit: async (values, el) => {
        await post("/api/v1/brands", values);
        el.reset();
        await show(1);
      }})),
    section("Every brand", body));
  await show(1);
}

function payoutsTable(items, after) {
  return table({caption: "Newest first", emptyText: "No payout here.", columns: [
    {label: "Payout", cell: (p) => h("a", {href: `/app/admin/payouts/${p.payout_id}`},
      p.payout_id.slice(0, 8))},
    {label: "Partner", cell: (p) => h("code", {}, p.partner_id.slice(0, 8))},
    {label: "Cycle", cell: (p) => p.cycle},
    {label: "Amount", numeric: true, cell: (p) => fmt.money(p.amount)},
    {label: "Status", cell: (p) => badge(p.status)},
    {label: "Why", cell: (p) => p.reason || ""},
    {label: "", cell: (p) => (p.status === "FAILED" ? actionButton("Retry", () => post(
      `/api/v1/payouts/${p.payout_id}/retry`), {name: "retry", done: after}) : "")},
  ], rows: items, rowAttrs: (p) => ({"data-payout": p.payout_id, "data-status": p.status})});
}

function runSummary(run) {
  return h("div", {class: "notice", role: "status"},
    h("p", {}, `Cycle ${run.cycle}, ${run.currency}, threshold ${fmt.money(run.min_amount)}: `
      + `${run.started.length} started, ${run.skipped.length} skipped.`),
    run.started.length ? h("ul", {}, run.started.map((entry) => h("li", {},
      `${fmt.money(entry.payable)} to partner ${entry.partner_id.slice(0, 8)}`))) : null,
    run.skipped.length ? h("ul", {}, run.skipped.map((entry) => h("li", {},
      `Partner ${entry.partner_id.slice(0, 8)} skipped: ${fmt.label(entry.reason)}`))) : null);
}

export async function payouts(page) {
  let status = "";
  const EXPORT = "/api/v1/payouts/export";
  const download = csvLink(EXPORT, {status});
  const body = h("div", {});
  const result = h("div", {});
  const show = (n) => fill(body, () => get("/api/v1/payouts", {page: n, status}), (data) =>
    [payoutsTable(data.items, () => show(n)), pager(data, show)]);
  page.append(heading("Payouts"),
    section("Start a payout run", h("p", {}, "Pays every active partner whose approved "
      + "balance in the currency reaches the threshold. Running the same cycle again pays "
      + "no one twice."),
    form({
      label: "Start a payout run",
      fields: [field({name: "currency", label: "Currency", type: "select", value: "EUR",
                      options: fmt.currencies().map((c) => [c, c])}),
               field({name: "min_amount", label: "Threshold (optional)", inputmode: "decimal",
                      hint: "Default: the platform's threshold (50.00)."}),
               field({name: "cycle", label: "Cycle (optional)", hint: "Default: today (UTC)."})],
      submitLabel: "Start payouts",
      busyLabel: "Starting…",
      submit: async (values) => {
        const body2 = {currency: values.currency};
        if (values.min_amount) body2.min_amount = {amount: values.min_amount, currency: values.currency};
        if (values.cycle) body2.cycle = values.cycle;
        const run = await post("/api/v1/payouts/runs", body2);
        replace(result, runSummary(run));
        await show(1);
      }}), result),
    section("Payouts", filterSelect("status", "Status", status, [["", "All"],
      ...["PENDING", "HELD", "CONFIRMING", "PAID", "COMPENSATING", "FAILED",
          "COMPENSATION_FAILED", "SKIPPED"].map((s) => [s, fmt.label(s)])],
      (value) => { status = value; download.href = exportPath(EXPORT, {status}); show(1); }),
      h("p", {}, download), body));
  await show(1);
}

export async function payout(page, ctx) {
  const body = h("div", {});
  page.append(body);
  const draw = (p) => [
    heading(`Payout ${p.payout_id.slice(0, 8)}`, badge(p.status)),
    section("Payout", facts([["Partner", h("code", {}, p.partner_id)], ["Cycle", p.cycle],
                             ["Amount", fmt.money(p.amount)], ["Status", badge(p.status)],
                             ["Why", p.reason || "—"], ["PSP reference", p.psp_reference || "—"],
                             ["Attempt", String(p.attempt)],
                             ["Commissions", String((p.commission_ids || []).length)],
                             ["Started", fmt.when(p.created_at)], ["Updated", fmt.when(p.updated_at)]]),
      p.status === "FAILED" ? actionButton("Retry this payout", () => post(
        `/api/v1/payouts/${p.payout_id}/retry`), {kind: "primary", name: "retry",
                                                  done: (updated) => replace(body, draw(updated))}) : null),
    section("Saga log", table({caption: "Every step and compensation", emptyText: "No step yet.",
                               columns: [{label: "When", cell: (s) => fmt.when(s.at)},
                                         {label: "Step", cell: (s) => s.step},
                                         {label: "Outcome", cell: (s) => s.outcome},
                                         {label: "Attempt", numeric: true, cell: (s) => String(s.attempt)}],
                               rows: p.saga_log || []})),
    h("p", {}, h("a", {href: "/app/admin/payouts"}, "Every payout")),
  ];
  try {
    replace(body, draw(await get(`/api/v1/payouts/${ctx.payoutId}`)));
  } catch (error) {
    replace(body, error instanceof ApiError && error.notFound ? notFound() : failure(error));
  }
}

export async function deadLetters(page) {
  const body = h("div", {});
  const result = h("div", {});
  const show = () => fill(body, () => get("/api/v1/admin/dead-letters"), (data) => [
    data.items.length ? h("div", {class: "toolbar"}, actionButton("Replay all", () => post(
      "/api/v1/admin/dead-letters/replay", {}), {kind: "primary", name: "replay-all",
                                                  confirmText: "Replay every dead letter?",
                                                  done: (outcome) => report(outcome)})) : null,
    table({caption: "Events a handler gave up on", emptyText: "No dead letter: every event "
      + "was handled.", columns: [
      {label: "Event", cell: (d) => [d.source, d.event_type].filter(Boolean).join(".") || "—"},
      {label: "Handler", cell: (d) => `${d.service || ""} ${d.handler || ""}`.trim() || d.queue},
      {label: "Failed", cell: (d) => fmt.when(d.failed_at)},
      {label: "Why", cell: (d) => [fmt.label(d.reason), d.attempts ? `after ${d.attempts} attempts`
        : "", d.error || ""].filter(Boolean).join(" · ")},
      {label: "", cell: (d) => actionButton("Replay", () => post(
        `/api/v1/admin/dead-letters/${d.id}/replay`), {name: "replay",
                                                                  done: (outcome) => report(outcome)})},
    ], rows: data.items})]);
  const report = async (outcome) => {
    replace(result, h("p", {class: "notice", role: "status"},
      `${outcome.replayed.length} replayed, ${outcome.refused.length} refused (they would fail `
      + "again at once and stay here)."));
    await show();
  };
  page.append(heading("Dead letters"),
    h("p", {}, "Events whose handler failed every retry. Fix the cause, then replay them."),
    result, body);
  await show();
}


