// Money, dates and numbers in the viewer's own locale. Intl knows each currency's minor
// units (JPY none, BHD three), so amounts are shown as that currency writes them.

const numberFormats = new Map();

function currencyFormat(currency) {
  if (!numberFormats.has(currency)) {
    numberFormats.set(currency, new Intl.NumberFormat(undefined,
      {style: "currency", currency}));
  }
  return numberFormats.get(currency);
}

/** {"amount": "12.50", "currency": "EUR"} -> "€12.50" / "12,50 €"... */
export function money(value) {
  if (!value || value.amount === undefined || value.amount === null) return "—";
  return amount(value.amount, value.currency);
}

/** A decimal string in a currency. The string goes to Intl as it is: no float rounding. */
export function amount(decimal, currency) {
  try {
    return currencyFormat(currency).format(decimal);
  } catch {
    return `${decimal} ${currency}`;
  }
}

/** The currency's number of minor units (2 for EUR, 0 for JPY, 3 for BHD). */
export function minorUnits(currency) {
  try {
    return currencyFormat(currency).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

const dateTime = new Intl.DateTimeFormat(undefined, {dateStyle: "medium", timeStyle: "short"});
const dateOnly = new Intl.DateTimeFormat(undefined, {dateStyle: "medium", timeZone: "UTC"});
const shortDay = new Intl.DateTimeFormat(undefined, {month: "short", day: "numeric",
                                                      timeZone: "UTC"});
const integer = new Intl.NumberFormat(undefined);
const percent = new Intl.NumberFormat(undefined, {style: "percent", maximumFractionDigits: 2});

/** An instant (ISO 8601) in the viewer's time zone. */
export function when(iso) {
  if (!iso) return "—";
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? iso : dateTime.format(moment);
}

/** A UTC day ("2025-05-01"), as a date. */
export function day(isoDay, short = false) {
  if (!isoDay) return "—";
  const moment = new Date(`${isoDay.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(moment.getTime())) return isoDay;
  return (short ? shortDay : dateOnly).format(moment);
}

export function count(n) {
  return integer.format(n ?? 0);
}

/** "1 click", "3 clicks" */
export function counted(n, one, many) {
  return `${count(n)} ${n === 1 ? one : many}`;
}

export function rate(decimal) {
  if (decimal === null || decimal === undefined || decimal === "") return "—";
  return percent.format(Number(decimal));
}

/** Commission figures (a partner's own, or a campaign's terms), in words: "15% (min
 * $1.00, max $50.00)" for a rate, "$12.00 per order" or "$0.30 per click" for an amount. */
export function figures(f) {
  if (!f) return "—";
  if (f.model === "CPA") return `${money(f.amount)} per order`;
  if (f.model === "CPC") return `${money(f.amount)} per click`;
  const bounds = [f.min ? `min ${money(f.min)}` : null, f.max ? `max ${money(f.max)}` : null]
    .filter(Boolean);
  return bounds.length ? `${rate(f.rate)} (${bounds.join(", ")})` : rate(f.rate);
}

/** What a commission pays for, in words: "Bonus: Best month of the quarter" (the brand's
 * own award, its note as written), "CPS: order of $200.00", "CPC: 12 valid clicks on
 * May 1, 2025". Items from before `kind` existed: told by their conversion or clicks. */
export function commissionFor(c) {
  if (!c) return "—";
  const kind = c.kind || (c.conversion_id ? "conversion"
    : (c.clicks !== null && c.clicks !== undefined ? "clicks" : "bonus"));
  if (kind === "bonus") return c.note ? `Bonus: ${c.note}` : "Bonus";
  const model = c.model ? `${c.model}: ` : "";
  if (kind === "clicks") {
    return `${model}${counted(c.clicks, "valid click", "valid clicks")}`
      + (c.click_day ? ` on ${day(c.click_day)}` : "");
  }
  return `${model}${c.order_amount ? `order of ${money(c.order_amount)}` : "an order"}`;
}

/** "PENDING" -> "Pending", "IN_PAYOUT" -> "In payout" */
export function label(code) {
  if (!code) return "—";
  const text = String(code).replaceAll("_", " ").toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What a commission's terms pay, in words. */
export function terms(t) {
  if (!t) return "—";
  const parts = [];
  if (t.model === "CPS") {
    parts.push(`${rate(t.rate)} of each sale`);
    if (t.min) parts.push(`at least ${money(t.min)}`);
    if (t.max) parts.push(`at most ${money(t.max)}`);
  } else if (t.model === "CPA") {
    parts.push(`${money(t.amount)} per order`);
  } else if (t.model === "CPC") {
    parts.push(`${money(t.amount)} per valid click`);
    if (t.daily_click_cap) parts.push(`up to ${count(t.daily_click_cap)} clicks a day`);
  }
  if (t.recurring_months) parts.push(`recurring for ${counted(t.recurring_months, "month", "months")}`);
  parts.push(`${t.attribution_window_days}-day window`);
  parts.push(t.hold_days ? `paid after a ${t.hold_days}-day hold` : "no hold");
  return `${t.model}: ${parts.join(", ")}`;
}

const regionNames = new Intl.DisplayNames(undefined, {type: "region", fallback: "none"});
const NOT_COUNTRIES = new Set(["EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"]);
let countryList = null;

/** Every region the browser can name, as [code, name], by name. */
export function countries() {
  if (!countryList) {
    countryList = [];
    for (let a = 65; a <= 90; a += 1) {
      for (let b = 65; b <= 90; b += 1) {
        const code = String.fromCharCode(a, b);
        const name = NOT_COUNTRIES.has(code) ? undefined : regionNames.of(code);
        if (name && name !== code) countryList.push([code, name]);
      }
    }
    countryList.sort((x, y) => x[1].localeCompare(y[1]));
  }
  return countryList;
}

export function country(code) {
  return (code && regionNames.of(code)) || code || "—";
}

/** ISO 4217 codes the browser knows. */
export function currencies() {
  try {
    return Intl.supportedValuesOf("currency");
  } catch {
    return ["EUR", "USD", "GBP", "JPY", "CHF"];
  }
}

const REASONS = {
  self_referral: "Self-referral: the visit came from the partner's own address",
  click_flooding: "Too many clicks from one address",
  too_fast: "The order came too soon after the click",
  partner_suspended: "The partner is suspended",
  brand_suspended: "Suspended by the brand",
  partner_left: "The partner left the campaign",
  enrollment_suspended: "The link is suspended",
  campaign_inactive: "The campaign was not active",
  duplicate_order: "This order was already reported",
  budget_exhausted: "The campaign's budget is spent",
};

const ATTRIBUTIONS = {
  click: "Link click",
  code: "Referral code",
  customer: "Renewal (referred customer)",
};

/** What credited a conversion to its partner, in words ("—" when nothing did). */
export function attribution(by) {
  return ATTRIBUTIONS[by] || "—";
}

/** Why something was refused, in words (a brand's own reason as it wrote it). */
export function reason(code) {
  if (!code) return "";
  return REASONS[code] || code;
}
