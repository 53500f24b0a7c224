// Signing in, and creating or resetting a password from an email's link.

import { request } from "./api.js";
import { h } from "./dom.js";
import { field, form, heading, problem } from "./forms.js";
import { t } from "./i18n.js";

export function signIn({ app }) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  return [
    heading(t("signInTitle")),
    form(t("signIn"), [field(t("email"), email), field(t("password"), password), keepSignedIn()], async (data) => {
      const kept = data.get("keep") === "on";
      let result;
      try {
        result = await request("LogInKept", { email: data.get("email"), password: data.get("password"), keepSignedIn: kept });
      } catch (error) {
        if (error.code === "UNAUTHENTICATED") throw problem(t("wrongPassword"), "password");
        throw error;
      }
      await app.signIn(result.logIn, kept);
      await app.render(); // the page asked for, now signed in
    }),
    h("p", {}, h("a", { href: "/set-password" }, t("firstVisit"))),
  ];
}

/** "Keep me signed in": a checkbox with its label after it, and what it means. */
function keepSignedIn() {
  const box = h("input", { type: "checkbox", name: "keep", id: "keep-signed-in", "aria-describedby": "keep-signed-in-hint" });
  return h(
    "div",
    { className: "field checkbox-field" },
    box,
    h("label", { for: "keep-signed-in" }, t("keepSignedIn")),
    h("p", { className: "hint", id: "keep-signed-in-hint" }, t("keepSignedInHint")),
  );
}

function requestLinkForm() {
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true });
  const wrapper = h("div", {});
  wrapper.append(
    h("p", {}, t("requestIntro")),
    form(t("requestSubmit"), [field(t("email"), email)], async (data) => {
      const address = String(data.get("email")).trim();
      await request("RequestPasswordReset", { email: address });
      wrapper.replaceChildren(
        h("p", { className: "notice", role: "status", tabindex: "-1" }, t("requestSent", { email: address })),
        h("p", {}, h("a", { href: "/" }, t("backToSignIn"))),
      );
      wrapper.firstChild.focus();
    }),
  );
  return wrapper;
}

export function setPassword({ app, url }) {
  const token = url.searchParams.get("token");
  if (!token) {
    return [heading(t("requestTitle")), requestLinkForm(), h("p", {}, h("a", { href: "/" }, t("backToSignIn")))];
  }
  const password = h("input", { type: "password", name: "password", autocomplete: "new-password", minlength: "10", required: true });
  const repeat = h("input", { type: "password", name: "repeat", autocomplete: "new-password", minlength: "10", required: true });
  const newLink = h("div", { hidden: true }, h("h2", {}, t("requestTitle")), requestLinkForm());
  return [
    heading(t("setTitle")),
    form(t("savePassword"), [field(t("newPassword"), password, t("passwordHint")), field(t("repeatPassword"), repeat)], async (data) => {
      if (data.get("password") !== data.get("repeat")) throw problem(t("passwordsDiffer"), "repeat");
      try {
        await request("ResetPassword", { token, password: data.get("password") });
      } catch (error) {
        if (error.code === "BAD_USER_INPUT" && error.field === "token") {
          newLink.hidden = false;
          throw problem(t("badLink"));
        }
        throw error;
      }
      // Setting a password ends every session; the person signs in afresh. Replacing the
      // history entry keeps the used link out of the back button.
      app.forget();
      app.flash(t("passwordSaved"));
      await app.navigate("/", { replace: true });
    }),
    newLink,
  ];
}
