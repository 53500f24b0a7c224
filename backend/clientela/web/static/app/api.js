// GraphQL over fetch to /graphql, with the session token kept in sessionStorage. A staff member
// previewing the portal as a client (/?viewAs=<person id>) sends the Clientela-View-As header
// with every request of their session; the API answers as that client sees it, read-only.

import { FILE_OPERATIONS } from "./file-operations.js";
import { OPERATIONS } from "./operations.js";
import { PORTAL_OPERATIONS } from "./portal-operations.js";

const DOCUMENTS = { ...OPERATIONS, ...FILE_OPERATIONS, ...PORTAL_OPERATIONS };

const TOKEN_KEY = "clientela.token";
const VIEW_AS_KEY = "clientela.viewAs";

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
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

/** Run one operation by name (the contract's, or the portal's about files); resolves to its data,
 * rejects with an ApiError. `asPreviewer`: send it as the signed-in person even during a preview
 * (signing out). */
export async function request(operationName, variables = {}, { asPreviewer = false } = {}) {
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
