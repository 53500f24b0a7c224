// The client portal: a small single-page app over the public GraphQL API.
// Routing is by path (history API); the server answers every page path with index.html.

import { ApiError, request, session } from "./api.js";
import { h, replace } from "./dom.js";
import { pickLanguage, setLanguage, t } from "./i18n.js";
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
const state = { viewer: null, previewer: null, settings: null, flash: null, unread: 0 };

function browserLanguage() {
  return pickLanguage(navigator.languages?.length ? navigator.languages : [navigator.language]);
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
  async signIn(token) {
    session.token = token;
    await loadViewer();
  },
  forget() {
    session.token = null;
    session.viewAs = null;
    state.viewer = null;
    state.previewer = null;
    state.settings = null;
    state.unread = 0;
    setLanguage(browserLanguage());
  },
  render,
  /** The number of items with something new, shown in the header. */
  showUnread(count) {
    state.unread = count;
    renderUnread();
  },
};

async function loadViewer() {
  if (!session.token) return;
  try {
    const { viewer } = await request("Viewer");
    if (!viewer) return sessionEnded();
    state.viewer = viewer;
    state.previewer = session.viewAs ? (await request("Viewer", {}, { asPreviewer: true })).viewer : null;
    setLanguage(viewer.language || browserLanguage());
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

function renderHeader(pathname) {
  document.getElementById("skip-link").textContent = t("skip");
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
  main.setAttribute("aria-busy", "true");
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
  replace(main, content);
  if (app.previewing) disableForms(main);
  main.removeAttribute("aria-busy");
  const heading = main.querySelector("h1");
  if (state.flash) {
    const notice = h("p", { className: "notice", role: "status" }, state.flash);
    state.flash = null;
    heading ? heading.after(notice) : main.prepend(notice);
  }
  const title = heading?.dataset.documentTitle ?? heading?.textContent;
  document.title = title ? `${title} · Clientela` : "Clientela";
  if (focus && heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
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

async function start() {
  takeViewAs();
  setLanguage(browserLanguage());
  document.addEventListener("click", onClick);
  window.addEventListener("popstate", () => render());
  try {
    await loadViewer();
  } catch {
    // The page itself will show what is wrong when it asks again.
  }
  await render({ focus: false });
}

start();
