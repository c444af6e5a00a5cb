// The mobile API (/api/v1/), with the stored session; one token refresh at a time.
import { kv } from "./store.js";

const BASE = document.body.dataset.api;

export class Offline extends Error {}
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function send(path, { method = "GET", body, token, headers = {} } = {}) {
  const all = { Accept: "application/json", ...headers };
  if (body !== undefined) all["Content-Type"] = "application/json";
  if (token) all.Authorization = `Bearer ${token}`;
  if (!navigator.onLine) throw new Offline();
  try {
    return await fetch(BASE + path, {
      method,
      headers: all,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (error) {
    throw new Offline();
  }
}

let refreshing = null;

async function refreshed(session) {
  if (!refreshing) {
    refreshing = (async () => {
      const answer = await send("auth/refresh/", { method: "POST", body: { refresh: session.refresh } });
      if (answer.ok) {
        const pair = await answer.json();
        const next = { ...session, ...pair };
        await kv.set("session", next);
        return next;
      }
      if (answer.status === 401) await kv.set("session", { ...session, expired: true });
      return null;
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

export async function call(path, options = {}) {
  let session = await kv.get("session");
  let answer = await send(path, { ...options, token: session && session.access });
  if (answer.status === 401 && session && session.refresh) {
    session = await refreshed(session);
    if (session) answer = await send(path, { ...options, token: session.access });
  }
  if (answer.status === 304) return { status: 304, data: null, headers: answer.headers };
  const data = answer.status === 204 ? null : await answer.json().catch(() => null);
  if (!answer.ok) throw new ApiError(answer.status, data);
  return { status: answer.status, data, headers: answer.headers };
}

export async function publicCall(path, body) {
  const answer = await send(path, { method: "POST", body });
  const data = await answer.json().catch(() => null);
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}
