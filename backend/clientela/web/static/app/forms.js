// What every page is built from: headings, labelled fields, forms that show the API's errors,
// lists of facts. Fields the portal settings hide come back null from the API and are not shown.

import { ApiError } from "./api.js";
import { h } from "./dom.js";
import { formatMinutes, formatMoney, t } from "./i18n.js";

const FIELD_MESSAGES = { password: "fieldPassword", email: "fieldEmail", title: "fieldTitle", body: "fieldBody" };

/** A friendly, localized message for an error from the API (or anything else). */
export function errorMessage(error) {
  if (!(error instanceof ApiError)) return t("errSERVER");
  if (error.code === "LOCAL") return error.message;
  if (error.code === "BAD_USER_INPUT" && FIELD_MESSAGES[error.field]) return t(FIELD_MESSAGES[error.field]);
  const key = `err${error.code}`;
  return t(key) === key ? t("errSERVER") : t(key);
}

/** An error found before asking the server, shown like the server's. */
export function problem(message, field = null) {
  return new ApiError("LOCAL", message, { field });
}

export function heading(text) {
  return h("h1", { tabindex: "-1" }, text);
}

let ids = 0;

/** A labelled form control; `control` is the element, given an id here. */
export function field(label, control, hint) {
  const id = `f${++ids}`;
  control.id = id;
  let hintElement = null;
  if (hint) {
    hintElement = h("p", { className: "hint", id: `${id}-hint` }, hint);
    control.setAttribute("aria-describedby", hintElement.id);
  }
  return h("div", { className: "field" }, h("label", { for: id }, label), hintElement, control);
}

/** A form that shows errors in an alert above its fields and never submits twice at once. */
export function form(submitLabel, children, onSubmit) {
  const alert = h("p", { className: "error", role: "alert", hidden: true });
  const button = h("button", { type: "submit" }, submitLabel);
  const element = h("form", {}, alert, children, h("div", { className: "actions" }, button));
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    alert.hidden = true;
    for (const control of element.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
    button.disabled = true;
    try {
      await onSubmit(new FormData(element), element);
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
      alert.textContent = errorMessage(error);
      alert.hidden = false;
      const control = error.field && element.elements.namedItem(error.field);
      if (control) {
        control.setAttribute("aria-invalid", "true");
        control.focus();
      }
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

/** A definition list of the [label, value] pairs whose value is not null. */
export function facts(pairs, className = "facts") {
  const shown = pairs.filter(([, value]) => value !== null && value !== undefined && value !== "");
  if (!shown.length) return null;
  return h("dl", { className }, shown.map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", {}, value))));
}

/** A section named by its heading (a landmark region for screen readers). */
export function section(title, ...children) {
  const id = `s${++ids}`;
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

export function list(items, render) {
  return h("ul", {}, items.map((item) => h("li", {}, render(item))));
}

const present = (value) => value !== null && value !== undefined;
export const nonEmpty = (values) => (values?.length ? values : null);
/** An enum value in words, or as it is when this version of the portal has no words for it. */
export const named = (prefix, value) => (t(`${prefix}${value}`) === `${prefix}${value}` ? value : t(`${prefix}${value}`));
export const status = (value) => (value ? h("span", { className: `badge status-${value.toLowerCase()}` }, named("status", value)) : null);
export const priority = (value) => (value ? named("priority", value) : null);
export const labelList = (labels) => (nonEmpty(labels) ? h("ul", { className: "labels" }, labels.map((l) => h("li", {}, l))) : null);
export const names = (people) => (nonEmpty(people) ? people.map((p) => p.name).join(", ") : null);
export const money = (value) => (value ? formatMoney(value) : null);
export const minutes = (value) => (present(value) ? formatMinutes(value) : null);

export function paragraphs(text) {
  return text.split(/\n{2,}/).map((part) => h("p", { className: "text" }, part));
}
