// Fetch wrapper over /api/v1 (docs/API.md is the contract).
//  - credentials 'same-origin' (session cookie cairn_sid);
//  - X-CSRF-Token on every POST/PUT/PATCH/DELETE (token from login or
//    /auth/me; refreshed once and retried when the server answers 403 csrf);
//  - 401 -> back to the login page (remembering where we were);
//  - other errors -> a toast (unless {quiet: true}) and a thrown ApiError.
// Also the caller's identity and the permission check used to hide what the
// user may not use (the server decides anyway).

import { t, has, lang } from './i18n.js';
import { toast } from './ui.js';

const BASE = '/api/v1';
let csrfToken = null;
let me = null;

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.field = field || null;
    // The server speaks English; prefix a translation of the code elsewhere.
    const key = `error.${code}`;
    this.localized = lang() !== 'en' && has(key) ? `${t(key)}: ${this.message}` : this.message;
  }
}

export function setCsrf(token) {
  csrfToken = token || null;
}

/** Query string from an object, skipping empty values. */
export function qs(params) {
  if (!params) return '';
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    u.append(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

export function loginUrl() {
  return '/login.html';
}

/** Leave for the login page; the current route is restored after login. */
export function redirectToLogin() {
  try {
    if (location.hash && location.hash !== '#/' && location.hash !== '#') sessionStorage.setItem('cairn.next', location.hash);
  } catch { /* ignore */ }
  location.replace(loginUrl());
}

// A request the server has not answered after this long is reported as an
// error instead of leaving a spinner forever.
const TIMEOUT_MS = 30000;

async function send(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  return fetch(BASE + path, init);
}

async function parse(res) {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Call the API. opts.quiet: no toast on error (the caller shows it);
 * opts.noAuthRedirect: a 401 is returned as an error (login page).
 */
export async function api(method, path, body, opts = {}) {
  let res;
  try {
    res = await send(method, path, body);
    if (res.status === 403 && method !== 'GET' && !opts.retried) {
      const data = await parse(res.clone());
      if (data && data.error && data.error.code === 'csrf') {
        // Session CSRF token changed (e.g. after a password change): reload it once.
        await refreshMe();
        return api(method, path, body, { ...opts, retried: true });
      }
    }
  } catch (e) {
    if (e instanceof ApiError) throw e;
    const timedOut = e && (e.name === 'TimeoutError' || e.name === 'AbortError');
    const err = new ApiError(0, timedOut ? 'timeout' : 'network', t(timedOut ? 'error.timeout' : 'error.network'));
    if (!opts.quiet) {
      err.toasted = true;
      toast(err.message, 'danger');
    }
    throw err;
  }
  const data = await parse(res);
  if (res.ok) return data;
  const e = (data && data.error) || {};
  const err = new ApiError(res.status, e.code || `http_${res.status}`, e.message || res.statusText || `HTTP ${res.status}`, e.field);
  if (res.status === 401 && !opts.noAuthRedirect) {
    redirectToLogin();
    err.toasted = true;
    throw err;
  }
  if (!opts.quiet) {
    err.toasted = true;
    toast(err.localized, 'danger', has(`error.${err.code}`) && lang() === 'en' ? t(`error.${err.code}`) + ':' : null);
  }
  throw err;
}

export const get = (path, params, opts) => api('GET', path + qs(params), undefined, opts);
export const post = (path, body, opts) => api('POST', path, body === undefined ? {} : body, opts);
export const put = (path, body, opts) => api('PUT', path, body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);
export const del = (path, opts) => api('DELETE', path, undefined, opts);

/* ------------------------------------------------------------ identity */

/** GET /auth/me; remembers the user and the CSRF token. */
export async function refreshMe() {
  const m = await api('GET', '/auth/me', undefined, { quiet: true, retried: true });
  setMe(m);
  return m;
}

export function setMe(m) {
  me = m;
  if (m && m.csrf_token) setCsrf(m.csrf_token);
}

export function currentUser() {
  return me;
}

/**
 * May the current user do `perm` ("module:action")? `admin` implies every
 * action of its module, `edit` and `execute` imply `view`, a superuser holds
 * everything. `null` means "any logged-in user".
 */
export function can(perm, user = me) {
  if (!perm) return !!user;
  if (!user) return false;
  if (user.superuser) return true;
  const held = new Set(user.permissions || []);
  const [mod, act] = perm.split(':');
  if (held.has(perm) || held.has(`${mod}:admin`)) return true;
  if (act === 'view' && (held.has(`${mod}:edit`) || held.has(`${mod}:execute`))) return true;
  return false;
}
