// The portal's pages. Each view gets { app, url, params } and returns the contents of <main>.

import { ApiError } from "./api.js";
import { h } from "./dom.js";
import { errorMessage, heading } from "./forms.js";
import { t } from "./i18n.js";

export { setPassword, signIn } from "./account-views.js";
export { organization, project } from "./directory-views.js";
export { item, items, newItem } from "./item-views.js";

export function notFound() {
  return [heading(t("notFoundTitle")), h("p", {}, h("a", { href: "/" }, t("allItems")))];
}

export function failure(error) {
  const missing = error instanceof ApiError && error.code === "NOT_FOUND";
  return [
    heading(missing ? t("notFoundTitle") : t("errorTitle")),
    h("p", {}, errorMessage(error)),
    h("p", {}, h("a", { href: "/" }, t("allItems"))),
  ];
}
