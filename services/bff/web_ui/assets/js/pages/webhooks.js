// Webhook endpoints, for a brand's owners (its console) and for a partner (its portal):
// subscribe an endpoint, copy its signing secret once, rotate it, disable, send a test
// event, read the delivery log. The API decides whose endpoints these are (404 for
// another owner's) and which event types the caller's side may pick.

import {get, post} from "../api.js";
import {h, replace} from "../dom.js";
import * as fmt from "../format.js";
import {field, form} from "../forms.js";
import {
  actionButton, badge, copyField, empty, facts, failure, heading, loadInto, section, table,
} from "../widgets.js";

function deliveriesTable(items) {
  return table({caption: "Newest first", emptyText: "No delivery yet.", columns: [
    {label: "Event", cell: (d) => d.event_type},
    {label: "Status", cell: (d) => badge(d.failing ? "FAILING" : d.status)},
    {label: "Attempts", numeric: true, cell: (d) => String(d.attempts)},
    {label: "Last answer", cell: (d) => (d.last_status_code ? `HTTP ${d.last_status_code}`
      : d.last_error || "—")},
    {label: "Accepted", cell: (d) => fmt.when(d.created_at)},
    {label: "Delivered", cell: (d) => (d.delivered_at ? fmt.when(d.delivered_at) : "—")},
  ], rows: items});
}

function endpointCard(ctx, endpoint, show, fresh) {
  const path = `/api/v1/webhooks/endpoints/${endpoint.endpoint_id}`;
  const log = h("div", {});
  const logBox = h("details", {class: "change-terms"}, h("summary", {}, "Delivery log"), log);
  logBox.addEventListener("toggle", () => {
    if (logBox.open) loadInto(log, log, get(`${path}/deliveries`, {page_size: 20}),
                              (page) => deliveriesTable(page.items));
  });
  const enabled = endpoint.status === "ENABLED";
  return h("article", {class: "card", "data-endpoint": endpoint.endpoint_id},
    h("h3", {}, endpoint.url, " ", badge(endpoint.status)),
    facts([["Events", endpoint.event_types.join(", ")],
           endpoint.description ? ["Description", endpoint.description] : null,
           endpoint.disabled_reason ? ["Disabled because", fmt.label(endpoint.disabled_reason)] : null,
           ["Failures in a row", String(endpoint.consecutive_failures || 0)]]),
    h("div", {class: "toolbar"},
      actionButton("Rotate secret", () => post(`${path}/rotate-secret`), {
        name: "rotate", confirmText: "Make a new signing secret? The old one keeps signing for a while.",
        done: (made) => { replace(fresh, secretNotice(made)); fresh.querySelector("input").focus(); }}),
      actionButton(enabled ? "Disable" : "Enable", () => post(`${path}/${enabled ? "disable" : "enable"}`),
                   {name: enabled ? "disable" : "enable", done: show}),
      actionButton("Send a test event", () => post(`${path}/test`), {name: "test"})),
    logBox);
}

function secretNotice(made) {
  return h("div", {class: "notice", role: "status"},
    h("p", {}, h("strong", {}, "Copy the signing secret now: it is not shown again.")),
    copyField(`Signing secret for ${made.url}`, made.secret, {id: "webhook-secret", secret: true}));
}

// A brand's console (ctx.brandId: an admin there acts for that brand) or the partner
// portal (no brand: the signed-in partner's own endpoints).
export async function webhooks(page, ctx) {
  const list = h("div", {});
  const fresh = h("div", {});
  const show = () => loadInto(list, page, get("/api/v1/webhooks/endpoints",
                                              {brand_id: ctx.brandId, page_size: 100}),
    (data) => (data.items.length ? h("div", {class: "cards"},
      data.items.map((e) => endpointCard(ctx, e, show, fresh)))
      : empty("No endpoint yet.")));
  page.append(heading("Webhooks"),
    h("p", {}, "Your servers hear about conversions, commissions and payouts as they happen: "
      + "each event is posted to your endpoints, signed with their secret. Only the events "
      + (ctx.brandId ? "of this brand's campaigns" : "that concern you") + " are sent."));
  let types = [];
  try {
    types = (await get("/api/v1/webhooks/event-types")).items;
  } catch (error) {
    page.append(failure(error));
    return;
  }
  page.append(section("New endpoint", form({
    label: "New webhook endpoint",
    fields: [field({name: "url", label: "Endpoint URL", type: "url", required: true,
                    placeholder: "https://hooks.example.com/alpes"}),
             field({name: "event_types", label: "Events to send", type: "checkboxes",
                    options: types.map((t) => [t.type, `${t.type}: ${t.description}`])}),
             field({name: "description", label: "Description (optional)"})],
    submitLabel: "Add endpoint",
    submit: async (values, el) => {
      const body = {url: values.url, event_types: values.event_types,
                    description: values.description};
      if (ctx.session.principal.role === "admin") body.brand_id = ctx.brandId;
      const made = await post("/api/v1/webhooks/endpoints", body);
      el.reset();
      replace(fresh, secretNotice(made));
      fresh.querySelector("input").focus();
      await show();
    }}), fresh),
    section("Endpoints", list));
  await show();
}
