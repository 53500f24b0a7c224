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

/** A labelled form control; `control` is the element, given an id here. Below it, an error
 * message that describes it (empty until `form` writes one there) and is read out when written. */
export function field(label, control, hint) {
  const id = `f${++ids}`;
  control.id = id;
  const hintElement = hint ? h("p", { className: "hint", id: `${id}-hint` }, hint) : null;
  const error = h("p", { className: "field-error", id: `${id}-error`, role: "alert" });
  control.setAttribute("aria-describedby", [hintElement?.id, error.id].filter(Boolean).join(" "));
  return h("div", { className: "field" }, h("label", { for: id }, label), hintElement, control, error);
}

// The browser's own checks, in the page's language; the first that fails is the one shown.
const VALIDITY_MESSAGES = [
  ["valueMissing", (control) => (control.type === "email" ? t("fieldEmail") : t("fieldRequired"))],
  ["typeMismatch", () => t("fieldEmail")],
  ["tooShort", (control) => t("fieldTooShort", { min: control.minLength })],
  ["tooLong", (control) => t("fieldTooLong", { max: control.maxLength })],
];

/** The first control of `element` the browser finds invalid, as a field problem; null if none. */
function invalidControl(element) {
  for (const control of element.elements) {
    if (!control.name || control.validity.valid) continue;
    const [, message] = VALIDITY_MESSAGES.find(([flaw]) => control.validity[flaw]) ?? [null, () => t("errBAD_USER_INPUT")];
    return problem(message(control), control.name);
  }
  return null;
}

/** Tie `message` to `control`: marked invalid, its error text written below it (and read out). */
function markInvalid(control, message) {
  const error = document.getElementById(`${control.id}-error`);
  control.setAttribute("aria-invalid", "true");
  if (error) {
    control.setAttribute("aria-errormessage", error.id);
    error.textContent = message;
  }
}

function clearInvalid(element) {
  for (const control of element.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    control.removeAttribute("aria-errormessage");
  }
  for (const error of element.querySelectorAll(".field-error")) error.textContent = "";
}

/** Move the keyboard focus to `target`, making it focusable when it is not (a notice, a heading). */
export function focusOn(target) {
  if (!target.matches("a[href], button, input, select, textarea, [tabindex]")) target.setAttribute("tabindex", "-1");
  target.focus();
}

/** Run `action` on a button's press, at most once at a time. The button stays focusable while
 * busy (aria-disabled, not disabled): a disabled button loses the focus to the page's body. */
function whileBusy(button, action) {
  button.addEventListener("click", async (event) => {
    if (button.getAttribute("aria-disabled") === "true") return event.preventDefault();
    button.setAttribute("aria-disabled", "true");
    try {
      await action(event);
    } finally {
      button.removeAttribute("aria-disabled");
    }
  });
}

/** A form that checks its fields itself (in the page's language), ties each field's error to the
 * field and moves the focus there, shows other errors in an alert above its fields, and never
 * submits twice at once. `onSubmit` may return the element to focus once done (a notice, say). */
export function form(submitLabel, children, onSubmit) {
  const alert = h("p", { className: "error", role: "alert", hidden: true });
  const button = h("button", { type: "submit" }, submitLabel);
  const element = h("form", { noValidate: true }, alert, children, h("div", { className: "actions" }, button));
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.getAttribute("aria-disabled") === "true") return;
    alert.hidden = true;
    clearInvalid(element);
    button.setAttribute("aria-disabled", "true");
    try {
      const invalid = invalidControl(element);
      if (invalid) throw invalid;
      const done = await onSubmit(new FormData(element), element);
      if (done instanceof Element && done.isConnected) focusOn(done);
    } catch (error) {
      if (!(error instanceof ApiError)) console.error(error);
      const message = errorMessage(error);
      const control = error.field && element.elements.namedItem(error.field);
      if (control instanceof Element) {
        markInvalid(control, message);
        control.focus();
      } else {
        alert.textContent = message;
        alert.hidden = false;
      }
    } finally {
      button.removeAttribute("aria-disabled");
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

/** A list that grows by "show more": `first` is the first page (a connection), `render(node)`
 * makes an <li> of each node, `fetchAfter(cursor)` answers the next page. The focus moves to the
 * first item added, or to the count on the last page; a failure is shown in an alert, which
 * takes the focus. Returns the parts to place and how many items it shows. */
export function pagedList(list, first, render, fetchAfter) {
  const count = h("p", { className: "count", role: "status" });
  const more = h("button", { type: "button", className: "secondary" }, t("moreItems"));
  const alert = h("p", { className: "error", role: "alert", hidden: true });
  let shown = 0;
  let after = null;

  function add(connection) {
    const added = connection.edges.map((edge) => render(edge.node));
    list.append(...added);
    shown += added.length;
    after = connection.pageInfo.endCursor;
    count.textContent = t("shown", { shown, total: connection.totalCount });
    more.hidden = !connection.pageInfo.hasNextPage;
    return added[0];
  }

  whileBusy(more, async () => {
    alert.hidden = true;
    try {
      const added = add(await fetchAfter(after));
      focusOn(added?.querySelector("a") ?? count);
    } catch (error) {
      alert.textContent = errorMessage(error);
      alert.hidden = false;
      focusOn(alert);
    }
  });

  add(first);
  return { count, list, alert, more, shown };
}
