// The client portal: a small single-page app over the public GraphQL API.
// Routing is by path (history API); the server answers every page path with index.html.

import { ApiError, request, session } from "./api.js";
import { h, replace } from "./dom.js";
import { focusOn } from "./forms.js";
import { LANGUAGES, language, pickLanguage, setLanguage, t } from "./i18n.js";
import * as views from "./views.js";

const ROUTES = [
  { path: /^\/(?:items\/?)?$/, view: views.items, signedIn: true },
  { path: /^\/items\/new\/?$/, view: views.newItem, signedIn: true },
  { path: /^\/items\/([^/]+)\/?$/, view: views.item, signedIn: true },
  { path: /^\/projects\/([^/]+)\/?$/, view: views.project, signedIn: true },
  { path: /^\/organizations\/([^/]+)\/?$/, view: views.organization, signedIn: true },
  { path: /^\/set-password\/?$/, view: views.setPassword, signedIn: false },
];

// During a preview `viewer` is the client shown and `previewer` the person signed in.
// `pinnedLanguage`: the page was opened with ?lang= (an email's link), which wins until the
// person chooses another.
const state = { viewer: null, previewer: null, settings: null, flash: null, pinnedLanguage: null, unread: 0 };

// The language chosen in this browser while signed out (with the switch, or by an email's link).
const LANGUAGE_KEY = "clientela.language";
// The language the app last used here, which the server reads to send the first page in it
// (web/__init__.py). A preference only: the API reads no cookie.
const LANGUAGE_COOKIE = "clientela_lang";

function storedLanguage() {
  const stored = localStorage.getItem(LANGUAGE_KEY);
  return LANGUAGES.includes(stored) ? stored : null;
}

function browserLanguage() {
  return pickLanguage(navigator.languages?.length ? navigator.languages : [navigator.language]);
}

/** The page's language: pinned by the link, else the person's, else this browser's choice, else
 * the browser's own. */
function useLanguage(personal) {
  const chosen = setLanguage(state.pinnedLanguage || personal || storedLanguage() || browserLanguage());
  document.cookie = `${LANGUAGE_COOKIE}=${chosen}; path=/; max-age=31536000; samesite=lax`;
}

/** What views may use: the viewer, the portal settings, navigation and messages. */
const app = {
  get viewer() {
    return state.viewer;
  },
  get settings() {
    return state.settings;
  },
  navigate,
  /** Show `text` on the next page rendered. */
  flash(text) {
    state.flash = text;
  },
  /** Whether the signed-in person previews the portal as a client (read-only). */
  get previewing() {
    return Boolean(session.viewAs && state.viewer);
  },
  /** `signedIn`: logIn's { token, expiresAt }; `kept`: "keep me signed in". */
  async signIn(signedIn, kept) {
    session.start(signedIn.token, signedIn.expiresAt, kept);
    await loadViewer();
  },
  /** Signed out, in this tab and every other of the portal. */
  forget() {
    session.end();
    clearState();
  },
  render,
  /** The number of items with something new, shown in the header. */
  showUnread(count) {
    state.unread = count;
    renderUnread();
  },
};

function clearState() {
  session.viewAs = null;
  state.viewer = null;
  state.previewer = null;
  state.settings = null;
  state.unread = 0;
  useLanguage(null);
}

async function loadViewer() {
  if (!session.token) return;
  try {
    const { viewer } = await request("Viewer");
    if (!viewer) return sessionEnded();
    state.viewer = viewer;
    state.previewer = session.viewAs ? (await request("Viewer", {}, { asPreviewer: true })).viewer : null;
    useLanguage(viewer.language);
  } catch (error) {
    if (error.code === "UNAUTHENTICATED") return sessionEnded();
    if (error.code === "FORBIDDEN" && session.viewAs) {
      // Not a client this person may preview: back to their own portal, told why.
      session.viewAs = null;
      app.flash(t("previewRefused"));
      return loadViewer();
    }
    throw error;
  }
  try {
    state.settings = (await request("PortalSettings")).portalSettings;
  } catch {
    state.settings = null; // unknown: show the actions and let the API answer
  }
  try {
    state.unread = (await request("PortalUnreadCount")).portalUnreadCount;
  } catch {
    state.unread = 0; // the item list tells again
  }
}

function sessionEnded() {
  app.forget();
  app.flash(t("sessionEnded"));
}

function match(pathname) {
  for (const route of ROUTES) {
    const found = pathname.match(route.path);
    if (found) return { ...route, params: found.slice(1).map(decodeURIComponent) };
  }
  return null;
}

export function navigate(to, { replace: replaceEntry = false } = {}) {
  history[replaceEntry ? "replaceState" : "pushState"](null, "", to);
  return render();
}

function onClick(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest("a[href]");
  if (!link || link.target || link.hasAttribute("download")) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || !match(url.pathname)) return;
  if (url.hash && url.pathname === location.pathname) return; // in-page links, e.g. "skip to content"
  event.preventDefault();
  navigate(url.pathname + url.search);
}

/** The language switch: a signed-in person's choice is their own language (setMyLanguage), a
 * signed-out one is kept in this browser only; during a preview, only this page changes. */
function renderLanguageSwitch() {
  const names = { en: "English", es: "Español", pt: "Português", ru: "Русский" };
  const select = h(
    "select",
    { id: "language", "aria-label": t("languageLabel") },
    LANGUAGES.map((code) => h("option", { value: code, lang: code, selected: code === language() }, names[code])),
  );
  select.addEventListener("change", async () => {
    const chosen = select.value;
    state.pinnedLanguage = null;
    localStorage.setItem(LANGUAGE_KEY, chosen);
    try {
      if (state.viewer && !app.previewing) {
        const { setMyLanguage } = await request("SetMyLanguage", { language: chosen });
        state.viewer = { ...state.viewer, language: setMyLanguage.language };
      }
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      app.flash(t("languageNotSaved"));
    }
    useLanguage(chosen);
    await render({ focus: false });
    document.getElementById("language").focus();
  });
  replace(document.getElementById("language-switch"), select);
}

function renderHeader(pathname) {
  document.getElementById("skip-link").textContent = t("skip");
  renderLanguageSwitch();
  const nav = document.getElementById("nav");
  nav.setAttribute("aria-label", t("navLabel"));
  if (!state.viewer) return replace(nav);
  const current = (href) => (href === pathname || (href === "/" && pathname === "/items") ? "page" : null);
  const links = [["/", t("items")]];
  if (state.settings?.canSubmitItems !== false) links.push(["/items/new", t("newItem")]);
  const signOut = h("button", { type: "button", className: "link-button" }, t("signOut"));
  signOut.addEventListener("click", async () => {
    try {
      await request("LogOut", {}, { asPreviewer: true });
    } catch {
      // The session ends here either way.
    }
    app.forget();
    navigate("/");
  });
  replace(
    nav,
    h("ul", {}, links.map(([href, label]) => h("li", {}, h("a", { href, "aria-current": current(href) }, label, href === "/" ? unreadBadge() : null)))),
    h("p", { className: "who" }, t("signedInAs", { name: (state.previewer ?? state.viewer).name })),
    signOut,
  );
}

function unreadBadge() {
  return h("span", { className: "unread-count", id: "unread-count" });
}

/** "3 unread" beside Items in the header; nothing when there is nothing new. */
function renderUnread() {
  const badge = document.getElementById("unread-count");
  if (!badge) return;
  badge.textContent = state.unread ? t("unreadCount", { count: state.unread }) : "";
  badge.hidden = !state.unread;
}

/** The banner of a preview as a client: whose portal this is, and the way back. */
function renderBanner() {
  const banner = document.getElementById("preview-banner");
  if (!app.previewing) {
    banner.hidden = true;
    return replace(banner);
  }
  const end = h("button", { type: "button", className: "link-button" }, t("endPreview"));
  end.addEventListener("click", () => {
    session.viewAs = null;
    location.assign("/"); // a fresh start as the signed-in person
  });
  replace(banner, h("p", { role: "status" }, h("strong", {}, t("previewing", { name: state.viewer.name }))), end);
  banner.hidden = false;
}

/** During a preview nothing can be changed: every form's controls are disabled. */
function disableForms(container) {
  // Finding changes nothing, so a preview may search and filter.
  for (const form of container.querySelectorAll("form:not([role=search])")) {
    form.setAttribute("aria-disabled", "true");
    for (const control of form.elements) control.disabled = true;
  }
}

// A page that takes longer than this says it is loading; a quicker one does not flash the word.
const LOADING_DELAY_MS = 300;

let loadingTimer = null;

/** Main is busy (aria-busy) at once, and after a moment a visible status, outside main so that
 * it is read out, says that the page is loading; `doneLoading` ends both. */
function showLoading(main) {
  clearTimeout(loadingTimer);
  main.setAttribute("aria-busy", "true");
  loadingTimer = setTimeout(() => {
    document.getElementById("loading-status").textContent = t("loading");
  }, LOADING_DELAY_MS);
}

function doneLoading(main) {
  clearTimeout(loadingTimer);
  document.getElementById("loading-status").textContent = "";
  main.removeAttribute("aria-busy");
}

let renders = 0;

async function render({ focus = true } = {}) {
  const ticket = ++renders;
  const url = new URL(location.href);
  // Conversation emails link to /projects/{id}?task={taskId}: open the item itself.
  const task = url.searchParams.get("task");
  if (/^\/projects\/[^/]+\/?$/.test(url.pathname) && task) {
    history.replaceState(null, "", `/items/${encodeURIComponent(task)}`);
    return render({ focus });
  }
  const route = match(url.pathname);
  renderHeader(url.pathname);
  renderUnread();
  renderBanner();
  let view = route ? route.view : views.notFound;
  if (route?.signedIn && !state.viewer) view = views.signIn;
  const main = document.getElementById("main");
  showLoading(main);
  let content;
  try {
    content = await view({ app, url, params: route?.params ?? [] });
  } catch (error) {
    if (error instanceof ApiError && error.code === "UNAUTHENTICATED" && state.viewer) {
      sessionEnded();
      return ticket === renders ? render({ focus }) : undefined;
    }
    if (!(error instanceof ApiError)) console.error(error);
    content = views.failure(error);
  }
  if (ticket !== renders) return; // a newer navigation has taken over
  doneLoading(main);
  replace(main, content);
  if (app.previewing) disableForms(main);
  const heading = main.querySelector("h1");
  if (state.flash) {
    const notice = h("p", { className: "notice", role: "status" }, state.flash);
    state.flash = null;
    heading ? heading.after(notice) : main.prepend(notice);
  }
  const title = heading?.dataset.documentTitle ?? heading?.textContent;
  document.title = title ? `${title} · Clientela` : "Clientela";
  if (focus) focusOn(heading ?? main);
}

/** /?viewAs=<person id>: preview the portal as that client (kept for the session's pages). */
function takeViewAs() {
  const url = new URL(location.href);
  const viewAs = url.searchParams.get("viewAs");
  if (viewAs === null) return;
  session.viewAs = viewAs.trim() || null;
  url.searchParams.delete("viewAs");
  history.replaceState(null, "", url.pathname + url.search + url.hash);
}

/** ?lang=<language> (an email's link): the page's language, whatever the browser prefers. */
function takeLanguage() {
  const url = new URL(location.href);
  const pinned = url.searchParams.get("lang");
  if (pinned === null) return;
  if (LANGUAGES.includes(pinned)) {
    state.pinnedLanguage = pinned;
    localStorage.setItem(LANGUAGE_KEY, pinned);
  }
  url.searchParams.delete("lang");
  history.replaceState(null, "", url.pathname + url.search + url.hash);
}

async function start() {
  takeViewAs();
  takeLanguage();
  useLanguage(null);
  const main = document.getElementById("main");
  main.before(h("p", { id: "loading-status", className: "loading-status", role: "status" }));
  main.setAttribute("aria-busy", "true");
  document.addEventListener("click", onClick);
  window.addEventListener("popstate", () => render());
  session.onSignedOutElsewhere(() => {
    clearState();
    app.flash(t("signedOutElsewhere"));
    render();
  });
  await session.fromOpenTabs();
  try {
    await loadViewer();
  } catch {
    // The page itself will show what is wrong when it asks again.
  }
  await render({ focus: false });
}

start();
