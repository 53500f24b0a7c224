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

const state = { viewer: null, settings: null, flash: null };

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
  async signIn(token) {
    session.token = token;
    await loadViewer();
  },
  forget() {
    session.token = null;
    state.viewer = null;
    state.settings = null;
    setLanguage(browserLanguage());
  },
  render,
};

async function loadViewer() {
  if (!session.token) return;
  try {
    const { viewer } = await request("Viewer");
    if (!viewer) return sessionEnded();
    state.viewer = viewer;
    setLanguage(viewer.language || browserLanguage());
  } catch (error) {
    if (error.code === "UNAUTHENTICATED") return sessionEnded();
    throw error;
  }
  try {
    state.settings = (await request("PortalSettings")).portalSettings;
  } catch {
    state.settings = null; // unknown: show the actions and let the API answer
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
      await request("LogOut");
    } catch {
      // The session ends here either way.
    }
    app.forget();
    navigate("/");
  });
  replace(
    nav,
    h("ul", {}, links.map(([href, label]) => h("li", {}, h("a", { href, "aria-current": current(href) }, label)))),
    h("p", { className: "who" }, t("signedInAs", { name: state.viewer.name })),
    signOut,
  );
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
  main.removeAttribute("aria-busy");
  const heading = main.querySelector("h1");
  if (state.flash) {
    const notice = h("p", { className: "notice", role: "status" }, state.flash);
    state.flash = null;
    heading ? heading.after(notice) : main.prepend(notice);
  }
  document.title = heading ? `${heading.textContent} · Clientela` : "Clientela";
  if (focus && heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

async function start() {
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
