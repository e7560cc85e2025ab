// The JSON API, with the session cookie (same origin) and the CSRF token on every
// request that changes something. Every page gets its data here: the BFF's route table
// and ownership checks decide what a caller may see.

let csrfToken = null;
let onSessionEnded = null;

export function setCsrfToken(token) {
  csrfToken = token || null;
}

/** Called when an authenticated request answers 401 (the session ended). */
export function whenSessionEnds(callback) {
  onSessionEnded = callback;
}

export class ApiError extends Error {
  constructor(status, error, retryAfter) {
    super(error.message || `The server answered ${status}.`);
    this.status = status;
    this.code = error.code || "error";
    this.fields = error.fields || {};
    this.requestId = error.request_id || null;
    this.retryAfter = retryAfter ? Number(retryAfter) : null;
  }

  get notFound() {
    return this.status === 404;
  }
}

export function query(params) {
  if (!params) return "";
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export async function request(method, path, body, {quiet401 = false} = {}) {
  const headers = {Accept: "application/json"};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body)});
  } catch {
    throw new ApiError(0, {code: "network_error",
                           message: "The server cannot be reached. Check your connection."});
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, (data && data.error) || {},
                               response.headers.get("Retry-After"));
    if (response.status === 401 && !quiet401 && onSessionEnded) onSessionEnded(error);
    throw error;
  }
  return data;
}

export const get = (path, params, options) => request("GET", path + query(params), undefined,
                                                      options);
export const post = (path, body, options) => request("POST", path, body, options);
export const patch = (path, body) => request("PATCH", path, body);
