// Forms whose every input has a label, and whose errors are said beside what caused
// them: the API names each bad field (nested fields as "terms.rate"), and the message
// goes under that input (aria-invalid, aria-describedby); what names no input is said
// above the submit button. Forms are `novalidate`: the API's words, one source of truth.

import {ApiError} from "./api.js";
import {announce, h, replace, uid} from "./dom.js";

/** {"terms": {"rate": ["..."]}} -> {"terms.rate": ["..."]} */
export function flattenErrors(fields, prefix = "", out = {}) {
  for (const [key, value] of Object.entries(fields || {})) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(value)) {
      const texts = value.filter((v) => typeof v === "string");
      const nested = value.filter((v) => v && typeof v === "object");
      if (texts.length) out[name] = (out[name] || []).concat(texts);
      nested.forEach((item) => flattenErrors(item, name, out));
    } else if (value && typeof value === "object") {
      flattenErrors(value, name, out);
    } else if (value) {
      out[name] = (out[name] || []).concat([String(value)]);
    }
  }
  return out;
}

/**
 * One labelled input. spec: {name, label, type, value, required, hint, options:
 * [[value, text]], autocomplete, min, max, step, placeholder, rows}
 */
export function field(spec) {
  const id = uid(`f-${spec.name.replaceAll(".", "-")}`);
  const hintId = spec.hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ");
  let control;
  const common = {id, name: spec.name, "aria-describedby": describedBy,
                  required: spec.required || false, autocomplete: spec.autocomplete || null};
  if (spec.type === "select") {
    control = h("select", common, (spec.options || []).map(([value, text]) =>
      h("option", {value, selected: String(spec.value ?? "") === String(value)}, text)));
  } else if (spec.type === "textarea") {
    control = h("textarea", {...common, rows: spec.rows || 3}, spec.value || "");
  } else if (spec.type === "checkboxes") {
    const group = h("fieldset", {class: "checkboxes", id, "aria-describedby": describedBy,
                                 "data-name": spec.name},
      h("legend", {}, spec.label),
      (spec.options || []).map(([value, text]) => {
        const boxId = uid(id);
        return h("span", {class: "checkbox"},
          h("input", {type: "checkbox", id: boxId, name: spec.name, value,
                      checked: (spec.value || []).includes(value)}),
          h("label", {for: boxId}, text));
      }),
      spec.hint ? h("p", {class: "hint", id: hintId}, spec.hint) : null,
      h("p", {class: "field-error", id: errorId}));
    return group;
  } else {
    control = h("input", {...common, type: spec.type || "text", value: spec.value ?? "",
                          min: spec.min, max: spec.max, step: spec.step,
                          placeholder: spec.placeholder, inputmode: spec.inputmode,
                          readonly: spec.readonly || false});
  }
  return h("div", {class: ["field", spec.class]},
    // "(required)" is seen beside the label; a screen reader hears the input's own
    // `required` state (the label stays the field's name alone)
    h("div", {class: "label-row"}, h("label", {for: id}, spec.label),
      spec.required ? h("span", {class: "req", "aria-hidden": "true"}, "(required)") : null),
    control,
    spec.hint ? h("p", {class: "hint", id: hintId}, spec.hint) : null,
    h("p", {class: "field-error", id: errorId}));
}

/** The values of a form's enabled, visible inputs, nested by their dotted names. */
export function valuesOf(form) {
  const values = {};
  const set = (name, value) => {
    const parts = name.split(".");
    let target = values;
    parts.slice(0, -1).forEach((part) => { target = target[part] = target[part] || {}; });
    target[parts.at(-1)] = value;
  };
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.closest("[hidden]")) continue;
    if (el.type === "checkbox") {
      const group = el.closest("fieldset.checkboxes");
      if (group) {
        const picked = [...group.querySelectorAll("input:checked")].map((box) => box.value);
        set(el.name, picked);
      } else {
        set(el.name, el.checked);
      }
    } else if (el.tagName !== "BUTTON" && el.tagName !== "FIELDSET") {
      set(el.name, el.value.trim());
    }
  }
  return values;
}

function clearErrors(form) {
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  form.querySelectorAll(".field-error, .form-error").forEach((el) => replace(el));
}

function inputNamed(form, name) {
  return [...form.querySelectorAll("[name]")].find(
    (el) => el.name === name && !el.closest("[hidden]"))
    || form.querySelector(`fieldset.checkboxes[data-name="${CSS.escape(name)}"]`);
}

/** The input for an error's name: itself, else its nearest visible relative. */
function inputFor(form, name) {
  let found = inputNamed(form, name);
  let parent = name;
  while (!found && parent.includes(".")) {
    parent = parent.slice(0, parent.lastIndexOf("."));
    found = inputNamed(form, parent) || [...form.querySelectorAll("[name]")].find(
      (el) => el.name.startsWith(`${parent}.`) && !el.closest("[hidden]"));
  }
  return found;
}

const FIELD_NAMES = {_schema: "This form"};

export function showErrors(form, error) {
  clearErrors(form);
  const general = form.querySelector(".form-error");
  const leftover = [];
  const flat = flattenErrors(error.fields || {});
  let first = null;
  for (const [name, messages] of Object.entries(flat)) {
    const input = inputFor(form, name);
    if (!input) {
      leftover.push(`${FIELD_NAMES[name] || name}: ${messages.join(" ")}`);
      continue;
    }
    const holder = input.closest(".field, fieldset.checkboxes");
    const slot = holder && holder.querySelector(".field-error");
    input.setAttribute("aria-invalid", "true");
    if (slot) {
      const shown = slot.textContent ? `${slot.textContent} ` : "";
      slot.textContent = shown + messages.join(" ");
    }
    first = first || input;
  }
  const summary = Object.keys(flat).length
    ? (leftover.length ? leftover.join(" ") : "Please correct the fields marked above.")
    : error.message;
  if (general) {
    replace(general, summary);
  }
  if (first) {
    (first.tagName === "FIELDSET" ? first.querySelector("input") : first).focus();
  } else if (general) {
    general.focus();
  }
  announce(summary);
}

/**
 * A form: fields (nodes), a submit label, and `submit(values, form)` which may return
 * a promise; an ApiError it throws is shown beside the fields it names.
 */
export function form({fields, submitLabel, submit, cancel, class: cls, busyLabel, label}) {
  const errorBox = h("p", {class: "form-error", role: "alert", tabindex: "-1"});
  const button = h("button", {type: "submit", class: "primary"}, submitLabel);
  const el = h("form", {class: ["form", cls], novalidate: true, "aria-label": label || null},
    fields, errorBox,
    h("div", {class: "actions"}, button,
      cancel ? h("button", {type: "button", class: "secondary", onclick: cancel}, "Cancel")
        : null));
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (el.getAttribute("aria-busy") === "true") return;
    clearErrors(el);
    el.setAttribute("aria-busy", "true");
    button.disabled = true;
    const idle = button.textContent;
    button.textContent = busyLabel || "Working…";
    try {
      await submit(valuesOf(el), el);
    } catch (error) {
      if (error instanceof ApiError) {
        showErrors(el, error);
      } else {
        showErrors(el, {message: "Something went wrong in this page. Reload and try again."});
        console.error(error);  // eslint-disable-line no-console
      }
    } finally {
      el.removeAttribute("aria-busy");
      button.disabled = false;
      button.textContent = idle;
    }
  });
  return el;
}

export const PASSWORD_HINT = "12 characters or more; not your email.";

/** A new password's input and its confirmation's (named "confirm"). */
export function newPasswordFields(name, label, againLabel) {
  return [field({name, label, type: "password", autocomplete: "new-password", required: true,
                 hint: PASSWORD_HINT}),
          field({name: "confirm", label: againLabel, type: "password",
                 autocomplete: "new-password", required: true})];
}

/** A link's code as a person chooses it, as typed (the API trims it and takes it
 * lowercase; its refusals go under the input). */
export function referralCodeField(value) {
  const wrapper = field({name: "code", label: "Referral code", value, required: true,
                         autocomplete: "off", hint: "3–16 letters, digits and hyphens. "
                           + "Links with the old code will stop working."});
  const input = wrapper.querySelector("input");
  input.setAttribute("autocapitalize", "none");
  input.setAttribute("spellcheck", "false");
  return wrapper;
}

/** True when the new password was typed the same twice; else says so by "confirm". */
export function confirmed(values, name, formEl) {
  if (values[name] === values.confirm) return true;
  showErrors(formEl, {fields: {confirm: ["The two passwords differ."]}});
  return false;
}

/** "" -> null; a datetime-local value -> ISO 8601 UTC */
export function instant(localValue) {
  if (!localValue) return null;
  const moment = new Date(localValue);
  return Number.isNaN(moment.getTime()) ? localValue : moment.toISOString();
}

export function orNull(value) {
  return value === "" || value === undefined ? null : value;
}

export function integerOrText(value) {
  if (value === "" || value === undefined || value === null) return null;
  return /^-?\d+$/.test(value) ? Number(value) : value;
}
