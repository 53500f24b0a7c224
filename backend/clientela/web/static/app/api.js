// GraphQL over fetch to /graphql, with the session's bearer token. A staff member previewing the
// portal as a client (/?viewAs=<person id>) sends the Clientela-View-As header with every request
// of their session; the API answers as that client sees it, read-only.
//
// Where the token is kept (README, "Sessions in the portal"): "keep me signed in" puts it in
// localStorage, shared by every tab and kept across browser restarts; otherwise it is in this
// tab's sessionStorage (it survives a reload, not a restart), and a new tab of the portal (a
// Ctrl+click or middle-click on a link, which copies no sessionStorage) asks the open tabs for
// it over a BroadcastChannel. The API reads no cookie, so no other site can send a request
// with the session (no CSRF). Before a request, a session past half its idle time is refreshed
// (the token rotates) under a Web Lock, so that the tabs sharing it refresh it once.

import { FILE_OPERATIONS } from "./file-operations.js";
import { OPERATIONS } from "./operations.js";
import { PORTAL_OPERATIONS } from "./portal-operations.js";
import { SESSION_OPERATIONS } from "./session-operations.js";

const DOCUMENTS = { ...OPERATIONS, ...FILE_OPERATIONS, ...SESSION_OPERATIONS, ...PORTAL_OPERATIONS };

const TOKEN_KEY = "clientela.token";
// {issuedAt, expiresAt} of the token, in milliseconds: when to refresh it.
const TIMES_KEY = "clientela.tokenTimes";
const VIEW_AS_KEY = "clientela.viewAs";
// How long a new tab waits for an open tab to hand it the session.
const ASK_TABS_MS = 300;

const channel = "BroadcastChannel" in window ? new BroadcastChannel("clientela.session") : null;
const signedOutElsewhere = new Set();

function store() {
  return localStorage.getItem(TOKEN_KEY) ? localStorage : sessionStorage;
}

function keep(storage, token, expiresAt) {
  storage.setItem(TOKEN_KEY, token);
  storage.setItem(TIMES_KEY, JSON.stringify({ issuedAt: Date.now(), expiresAt: Date.parse(expiresAt) }));
}

function forget() {
  for (const storage of [localStorage, sessionStorage]) {
    storage.removeItem(TOKEN_KEY);
    storage.removeItem(TIMES_KEY);
  }
}

channel?.addEventListener("message", ({ data }) => {
  if (data.type === "ask" && sessionStorage.getItem(TOKEN_KEY)) {
    channel.postMessage({ type: "session", token: sessionStorage.getItem(TOKEN_KEY), times: sessionStorage.getItem(TIMES_KEY) });
  } else if (data.type === "refreshed" && sessionStorage.getItem(TOKEN_KEY) === data.previous) {
    sessionStorage.setItem(TOKEN_KEY, data.token);
    sessionStorage.setItem(TIMES_KEY, data.times);
  } else if (data.type === "signed-out") {
    forget();
    for (const listener of signedOutElsewhere) listener();
  }
});

export const session = {
  get token() {
    return localStorage.getItem(TOKEN_KEY) ?? sessionStorage.getItem(TOKEN_KEY);
  },
  /** Signed in: `kept` ("keep me signed in") keeps the session across browser restarts. */
  start(token, expiresAt, kept) {
    forget();
    keep(kept ? localStorage : sessionStorage, token, expiresAt);
  },
  /** Signed out: here and in every other tab of the portal. */
  end() {
    forget();
    channel?.postMessage({ type: "signed-out" });
  },
  /** `listener` runs when another tab signs out. */
  onSignedOutElsewhere(listener) {
    signedOutElsewhere.add(listener);
  },
  /** In a new tab without a session: the session of an open tab of the portal, if any answers. */
  async fromOpenTabs() {
    if (this.token || !channel) return;
    await new Promise((resolve) => {
      const timer = setTimeout(done, ASK_TABS_MS);
      function done() {
        clearTimeout(timer);
        channel.removeEventListener("message", answered);
        resolve();
      }
      function answered({ data }) {
        if (data.type !== "session" || session.token) return;
        sessionStorage.setItem(TOKEN_KEY, data.token);
        if (data.times) sessionStorage.setItem(TIMES_KEY, data.times);
        done();
      }
      channel.addEventListener("message", answered);
      channel.postMessage({ type: "ask" });
    });
  },
  /** The client person this session previews the portal as, or null. */
  get viewAs() {
    return sessionStorage.getItem(VIEW_AS_KEY);
  },
  set viewAs(value) {
    if (value) sessionStorage.setItem(VIEW_AS_KEY, value);
    else sessionStorage.removeItem(VIEW_AS_KEY);
  },
};

/** An error to show the person: `code` is the API's extensions.code, or NETWORK / SERVER. */
export class ApiError extends Error {
  constructor(code, message = code, extensions = {}) {
    super(message);
    this.code = code;
    this.field = extensions.field ?? null;
    this.extensions = extensions;
  }
}

/** Who is asking, for every request to the service: the bearer token, and during a preview the
 * client previewed (unless `asPreviewer`). */
export function authHeaders({ asPreviewer = false } = {}) {
  const headers = {};
  const token = session.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (token && session.viewAs && !asPreviewer) headers["Clientela-View-As"] = session.viewAs;
  return headers;
}

/** The first error of a response body shaped as GraphQL's (`{"errors": [...]}`), as an ApiError. */
export function firstError(body) {
  const [error] = body?.errors ?? [];
  if (!error) return null;
  const extensions = error.extensions ?? {};
  return new ApiError(extensions.code ?? "SERVER", error.message, extensions);
}

function refreshDue() {
  const times = JSON.parse(store().getItem(TIMES_KEY) ?? "null");
  return Boolean(times && session.token && Date.now() > (times.issuedAt + times.expiresAt) / 2);
}

/** A session past half its idle time gets a new token, once for all the tabs that share it. A
 * refresh that fails changes nothing: the request itself then tells whether the session is over. */
async function refreshIfDue() {
  if (!refreshDue()) return;
  const refresh = async () => {
    if (!refreshDue()) return; // another tab did it meanwhile
    const storage = store();
    const previous = session.token;
    try {
      const { refreshSession } = await send("RefreshSession", {}, { asPreviewer: true });
      keep(storage, refreshSession.token, refreshSession.expiresAt);
      if (storage === sessionStorage) {
        channel?.postMessage({ type: "refreshed", previous, token: refreshSession.token, times: storage.getItem(TIMES_KEY) });
      }
    } catch {
      // Left to the request.
    }
  };
  await (navigator.locks ? navigator.locks.request("clientela.refresh", refresh) : refresh());
}

/** Run one operation by name (the contract's, or the portal's about files and sessions);
 * resolves to its data, rejects with an ApiError. `asPreviewer`: send it as the signed-in person
 * even during a preview (signing out). */
export async function request(operationName, variables = {}, options = {}) {
  await refreshIfDue();
  const token = session.token;
  try {
    return await send(operationName, variables, options);
  } catch (error) {
    // Another tab rotated the token while this request was on its way: once more with the new one.
    if (error.code === "UNAUTHENTICATED" && token && session.token && session.token !== token) {
      return send(operationName, variables, options);
    }
    throw error;
  }
}

async function send(operationName, variables, { asPreviewer = false } = {}) {
  const query = DOCUMENTS[operationName];
  if (!query) throw new Error(`No such operation: ${operationName}`);
  const headers = { "Content-Type": "application/json", Accept: "application/json", ...authHeaders({ asPreviewer }) };
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ query, operationName, variables }),
    });
  } catch {
    throw new ApiError("NETWORK");
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(response.status === 429 ? "RATE_LIMITED" : "SERVER");
  }
  const error = firstError(body);
  if (error) throw error;
  if (!body.data) throw new ApiError("SERVER");
  return body.data;
}
