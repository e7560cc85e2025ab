// Pieces every page uses: headings, loading / empty / error states, tables, badges,
// buttons that wait for the API, copying a link.

import {ApiError, query} from "./api.js";
import {announce, h, replace} from "./dom.js";
import {field} from "./forms.js";
import {label} from "./format.js";

export function heading(text, ...extra) {
  return h("div", {class: "page-head"}, h("h1", {tabindex: "-1"}, text), extra);
}

export function loading(what = "Loading…") {
  return h("p", {class: "loading", role: "status"}, what);
}

export function empty(text) {
  return h("p", {class: "empty"}, text);
}

/** What an error says, in words, where the data would have been. */
export function failure(error) {
  const text = error instanceof ApiError
    ? (error.status === 503
      ? "A service did not answer in time. Try again in a moment."
      : error.message)
    : "Something went wrong in this page. Reload and try again.";
  return h("div", {class: "notice error", role: "alert"}, h("p", {}, text),
    ...fieldProblems(error),
    error && error.requestId ? h("p", {class: "muted"}, `Reference: ${error.requestId}`) : null);
}

/** A refused filter's reasons, field by field ("To: Must be after 'from'."): a list's
 * query has no form to show them beside. */
function fieldProblems(error) {
  if (!(error instanceof ApiError)) return [];
  return Object.entries(error.fields).filter(([, said]) => Array.isArray(said)).map(
    ([name, said]) => h("p", {}, `${name.charAt(0).toUpperCase()}${name.slice(1)}: `
      + said.join(" ")));
}

export function notFound() {
  return h("section", {class: "not-found"},
    heading("Not found"),
    h("p", {}, "There is nothing here, or it is not yours to see."),
    h("p", {}, h("a", {href: "/app"}, "Back to your home page")));
}

export function badge(status) {
  return h("span", {class: ["badge", `badge-${String(status || "none").toLowerCase()}`]},
    label(status));
}

/**
 * columns: [{label, cell: (row) => node|string, numeric}]; rows: [...]; rowHeader: the
 * index of the column whose cell heads its row (the first, unless a column of checkboxes
 * comes before it).
 */
export function table({caption, columns, rows, emptyText = "Nothing yet.", rowAttrs,
                       rowHeader = 0}) {
  if (!rows || rows.length === 0) return empty(emptyText);
  return h("div", {class: "table-wrap"},
    h("table", {},
      caption ? h("caption", {}, caption) : null,
      h("thead", {}, h("tr", {}, columns.map((column) =>
        h("th", {scope: "col", class: column.numeric ? "num" : null}, column.label)))),
      h("tbody", {}, rows.map((row) =>
        h("tr", rowAttrs ? rowAttrs(row) : {}, columns.map((column, index) => {
          const content = column.cell(row);
          return index === rowHeader
            ? h("th", {scope: "row", class: column.numeric ? "num" : null}, content)
            : h("td", {class: column.numeric ? "num" : null}, content);
        }))))));
}

/** Previous / next over a page of {page, page_size, total}. */
export function pager(page, go) {
  if (!page || page.total <= page.page_size) return null;
  const last = Math.max(1, Math.ceil(page.total / page.page_size));
  return h("nav", {class: "pager", "aria-label": "Pages"},
    h("button", {type: "button", class: "secondary", disabled: page.page <= 1,
                 onclick: () => go(page.page - 1)}, "Previous"),
    h("span", {}, `Page ${page.page} of ${last} (${page.total})`),
    h("button", {type: "button", class: "secondary", disabled: page.page >= last,
                 onclick: () => go(page.page + 1)}, "Next"));
}

/**
 * A button that calls the API: busy while it waits, the error said next to it.
 * action() returns a promise; then done(result).
 */
export function actionButton(text, action, {done, confirmText, kind = "secondary",
                                             busyText = "Working…", name} = {}) {
  const error = h("span", {class: "inline-error", role: "alert"});
  const button = h("button", {type: "button", class: kind, "data-action": name || null},
    text);
  button.addEventListener("click", async () => {
    if (confirmText && !window.confirm(confirmText)) return;
    replace(error);
    button.disabled = true;
    button.textContent = busyText;
    try {
      const result = await action();
      if (done) await done(result);
    } catch (failed) {
      replace(error, failed instanceof ApiError ? failed.message : "That did not work.");
      announce(error.textContent);
    } finally {
      button.disabled = false;
      button.textContent = text;
    }
  });
  return h("span", {class: "action"}, button, error);
}

async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (input) {
      input.select();
      return document.execCommand("copy");
    }
    return false;
  }
}

/** An export's path with the list's filters ({status, from, to}; empty ones left out). */
export function exportPath(path, filters = {}) {
  return path + query(filters);
}

/** "Download CSV": the list, as its filters stand, as a file (the API's export route). */
export function csvLink(path, filters = {}) {
  return h("a", {href: exportPath(path, filters), download: "", class: "download",
                 "data-export": "csv"}, "Download CSV");
}

/** A list's filters and its "Download CSV" kept in step: `refilter(changed)` merges the
 * change, points the link at the export as filtered and shows page 1 again (`show`). */
export function filteredList(exportTo, initial, show) {
  let filters = {...initial};
  const download = csvLink(exportTo, filters);
  const refilter = (changed) => {
    filters = {...filters, ...changed};
    download.href = exportPath(exportTo, filters);
    show(1);
  };
  return {download, refilter, filters: () => filters};
}

/** The day after `day` (YYYY-MM-DD), as the API's excluded end of a period. */
export function dayAfter(day) {
  const next = new Date(`${day}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

/** "From" and "To" days, both included (UTC), over a list; `onChange` gets the period in
 * the API's terms: `from` the first day's start `to` the start of the day after the last. */
export function periodFilter(onChange) {
  const from = field({name: "from", label: "From", type: "date"});
  const to = field({name: "to", label: "To (included)", type: "date"});
  const value = (el) => el.querySelector("input").value;
  const changed = () => onChange({from: value(from),
                                  to: value(to) ? dayAfter(value(to)) : ""});
  for (const el of [from, to]) {
    el.classList.add("filter");
    el.querySelector("input").addEventListener("change", changed);
  }
  return h("div", {class: "period"}, from, to);
}

/** A link to a page of this app whose token rides in the fragment (#token=...): the
 * browser never sends a fragment to a server, so no log holds it. */
export function tokenLink(path, token) {
  return `${location.origin}${path}#token=${encodeURIComponent(token)}`;
}

/** A read-only field with a label and a Copy button (links, keys shown once). */
export function copyField(labelText, value, {id, secret = false} = {}) {
  const inputId = id || `copy-${Math.random().toString(36).slice(2, 9)}`;
  const status = h("span", {class: "copy-status", role: "status"});
  const input = h("input", {id: inputId, type: "text", readonly: true, value,
                            class: secret ? "secret" : null, spellcheck: "false"});
  input.addEventListener("focus", () => input.select());
  const button = h("button", {type: "button", class: "secondary", "data-copy": value},
    "Copy");
  button.addEventListener("click", async () => {
    const copied = await copyText(value, input);
    status.textContent = copied ? "Copied." : "Select the text and copy it.";
  });
  return h("div", {class: "copy-field"},
    h("label", {for: inputId}, labelText),
    h("div", {class: "copy-row"}, input, button, status));
}

/** A definition list of [term, value] pairs. */
export function facts(pairs) {
  return h("dl", {class: "facts"}, pairs.filter(Boolean).map(([term, value]) =>
    h("div", {}, h("dt", {}, term), h("dd", {}, value))));
}

export function section(title, ...content) {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", {class: "panel", "aria-labelledby": id},
    h("h2", {id}, title), content);
}

/** Draw `render(data)` in place of `slot`'s content; a 404 replaces the whole page. */
export function loadInto(slot, page, promise, render) {
  return fill(slot, () => promise, render, page);
}

const latestFill = new WeakMap();  // target -> the fill it shows when answers cross

/** Fill `target` with `render(data)` once `load()` answers; loading and errors meanwhile
 * (a 404 replaces `page` with the not-found page, when one is given). Only the latest
 * fill of a target draws: an earlier one answering later (a list reloaded after an
 * action, then a filter changed before it answered) is dropped. */
export async function fill(target, load, render, page = null) {
  const mine = (latestFill.get(target) || 0) + 1;
  latestFill.set(target, mine);
  const current = () => latestFill.get(target) === mine;
  replace(target, loading());
  target.setAttribute("aria-busy", "true");
  try {
    const data = await load();
    if (current()) replace(target, render(data));
  } catch (error) {
    if (!current()) return;
    if (page && error instanceof ApiError && error.notFound) {
      replace(page, notFound());
    } else {
      replace(target, failure(error));
    }
  } finally {
    if (current()) target.removeAttribute("aria-busy");
  }
}
