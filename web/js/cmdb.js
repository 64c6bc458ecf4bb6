// CMDB helpers shared by the asset and application pages: the resource
// descriptions of GET /api/v1/schema (field labels in the console's
// language), referenced rows as select options, how a value is shown in a
// table or a detail list, CSV export (a real download) and import.
// docs/API.md "CMDB and applications" is the contract.

import { t, has, lang, fmtTime } from './i18n.js';
import { get, ApiError, currentUser, refreshMe, redirectToLogin } from './api.js';
import { el, badge, toast } from './ui.js';

// The pages' own styles, once (index.html stays as the shell has it).
if (!document.querySelector('link[data-cmdb-css]')) {
  document.head.appendChild(el('link', { rel: 'stylesheet', href: '/css/cmdb.css', dataset: { cmdbCss: '1' } }));
}

let schemaPromise = null;

/** Every resource description, keyed by resource name (loaded once). */
export function loadSchema() {
  if (!schemaPromise) {
    schemaPromise = get('/schema', null, { quiet: true }).catch((e) => {
      schemaPromise = null;
      throw e;
    });
  }
  return schemaPromise;
}

export async function resourceSchema(name) {
  const all = await loadSchema();
  const res = all && all[name];
  if (!res) throw new Error(`no resource ${name} in /api/v1/schema`);
  return res;
}

export const isZh = () => lang() === 'zh-CN';

/** A label of the schema (field or resource) in the current language. */
export function label(x) {
  if (!x) return '';
  return (isZh() ? x.label_zh : x.label_en) || x.label_en || x.name;
}

/** The name of one row of `res` ("host", "主机") for titles and messages. */
export function oneName(res) {
  return has(`res.one.${res.name}`) ? t(`res.one.${res.name}`) : label(res);
}

export function fieldOf(res, name) {
  return res.fields.find((f) => f.name === name) || null;
}

/** The permission needed to change rows of `res`. */
export function editPerm(res) {
  return `${res.module}:edit`;
}

/* Fields that are timestamps (Unix seconds) rather than counts. */
function isTime(f) {
  return f.type === 'int' && f.readonly && /_at$/.test(f.name);
}

/** Asset types and statuses are codes with a name in each language. */
export function codeName(row) {
  if (!row) return '';
  return (isZh() ? row.name_zh : row.name_en) || row.name_en || row.code || '';
}

/* ------------------------------------------------------------ references */

const PAGE = 200;

/**
 * Every row of a resource (pages of 200, at most `limit` rows), or null when
 * the caller may not list it (another module's permission).
 */
export async function allRows(resName, { limit = 2000, params = {} } = {}) {
  const rows = [];
  for (let page = 1; rows.length < limit; page++) {
    let res;
    try {
      res = await get(`/${resName}`, { ...params, per_page: PAGE, page }, { quiet: true });
    } catch (e) {
      if (e && (e.status === 403 || e.status === 401)) return null;
      throw e;
    }
    const items = (res && res.items) || [];
    rows.push(...items);
    if (items.length < PAGE || rows.length >= Number(res.total || 0)) break;
  }
  return rows;
}

/** The text that names a referenced row. */
export function refName(refRes, row) {
  if (!row) return '';
  if (refRes && (refRes.name === 'asset-types' || refRes.name === 'asset-statuses')) return codeName(row);
  const key = (refRes && refRes.display) || 'name';
  return row[key] === undefined || row[key] === null ? `#${row.id}` : String(row[key]);
}

/**
 * Options for a ref / code field: [{value, text}] (value = id, or the code
 * for `code` fields). null when the referenced resource cannot be listed.
 */
export async function refOptions(f) {
  const schema = await loadSchema();
  const refRes = schema[f.ref];
  const rows = await allRows(f.ref);
  if (!rows) return null;
  return rows.map((r) => ({ value: String(f.type === 'code' ? r.code : r.id), text: refName(refRes, r), row: r }));
}

/* ------------------------------------------------------------ showing values */

/** Bootstrap colour of each asset status code (badges, dashboard). */
export const STATUS_COLORS = { in_use: 'success', unused: 'secondary', faulty: 'danger', other: 'info' };

/** A coloured badge for an asset status code (name in the current language). */
export function statusBadge(code, codes) {
  if (!code) return el('span', { class: 'text-body-secondary', text: '—' });
  const name = codes && codes.get(code) ? codeName(codes.get(code)) : code;
  return el('span', { class: `badge rounded-pill text-bg-${STATUS_COLORS[code] || 'primary'}`, dataset: { status: code }, text: name });
}

// Enum values that are product names: written the way their makers do, in
// every language. Values that are words are translated (res.enum.*).
const PROPER_NAMES = {
  java: 'Java', php: 'PHP', python: 'Python', go: 'Go', csharp: 'C#', javascript: 'JavaScript',
  nodejs: 'Node.js', html: 'HTML', cpp: 'C/C++', ruby: 'Ruby', tomcat: 'Tomcat', weblogic: 'WebLogic',
  jetty: 'Jetty', nginx: 'Nginx', gunicorn: 'Gunicorn', uwsgi: 'uWSGI', apache: 'Apache', iis: 'IIS',
  django: 'Django', flask: 'Flask', tornado: 'Tornado', dubbo: 'Dubbo', ssh: 'SSH',
  spring_boot: 'Spring Boot', spring_cloud: 'Spring Cloud', laravel: 'Laravel', thinkphp: 'ThinkPHP',
  phalcon: 'Phalcon', git: 'Git', svn: 'SVN',
};

export function enumText(v) {
  if (v === null || v === undefined || v === '') return '';
  if (has(`res.enum.${v}`)) return t(`res.enum.${v}`);
  return PROPER_NAMES[v] || String(v);
}

export function memoryGb(mb) {
  if (mb === null || mb === undefined || mb === '') return '';
  const gb = Number(mb) / 1024;
  return Number.isInteger(gb) ? String(gb) : gb.toFixed(gb < 10 ? 1 : 0);
}

/** Bytes as text: disks in powers of 1000 (as sold), memory in 1024 (GiB). */
export function bytesText(n, binary = false) {
  if (n === null || n === undefined || n === '' || !Number.isFinite(Number(n))) return '';
  let v = Number(n);
  const step = binary ? 1024 : 1000;
  const units = binary ? ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] : ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (v >= step && i < units.length - 1) { v /= step; i++; }
  const num = v >= 100 || i === 0 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1);
  return `${num} ${units[i]}`;
}

/** Is `name` a safe Font Awesome class list (the server checks it too)? */
export function safeIconClass(name) {
  return typeof name === 'string' && /^[a-z0-9 -]{1,64}$/.test(name) && /\bfa-/.test(name);
}

export function safeUrl(u) {
  return typeof u === 'string' && /^https?:\/\/[^\s]+$/i.test(u);
}

/** Names of a refs field of a row: `_display` first, ids otherwise. */
export function refsNames(row, name) {
  const d = row._display && row._display[name];
  if (Array.isArray(d)) return d.map(String);
  return (row[name] || []).map((id) => `#${id}`);
}

/** Badges for a list of names, at most `max` and "+N". */
export function nameBadges(names, max = 3, color = 'light border') {
  if (!names.length) return el('span', { class: 'text-body-secondary', text: '—' });
  return el('span', { class: 'd-inline-flex flex-wrap gap-1' },
    names.slice(0, max).map((n) => el('span', { class: `badge text-bg-${color} fw-normal`, text: n })),
    names.length > max ? el('span', { class: 'badge text-bg-secondary fw-normal', title: names.slice(max).join(', '), text: `+${names.length - max}` }) : null);
}

/**
 * A value of field `f` of `row` as a node (tables and detail pages).
 * `ctx.codes`: Map resource -> Map code -> row, for code fields.
 */
export function valueNode(f, row, ctx = {}) {
  const v = row[f.name];
  const dash = () => el('span', { class: 'text-body-secondary', text: '—' });
  switch (f.type) {
    case 'ref': {
      if (v === null || v === undefined) return dash();
      const d = row._display && row._display[f.name];
      return document.createTextNode(d !== undefined && d !== null ? String(d) : `#${v}`);
    }
    case 'refs':
    case 'backrefs':
      return nameBadges(refsNames(row, f.name), ctx.full ? 1000 : 3);
    case 'code': {
      const codes = ctx.codes && ctx.codes.get(f.ref);
      if (f.ref === 'asset-statuses') return statusBadge(v, codes);
      if (!v) return dash();
      return document.createTextNode(codes && codes.get(v) ? codeName(codes.get(v)) : String(v));
    }
    case 'enum':
      return v ? document.createTextNode(enumText(v)) : dash();
    case 'secret':
      return row[`${f.name}_set`]
        ? badge(t('res.secret_set'), 'success')
        : el('span', { class: 'badge text-bg-light border fw-normal', text: t('res.secret_unset') });
    case 'tags':
      return nameBadges(Array.isArray(v) ? v.map(String) : [], ctx.full ? 1000 : 5, 'info');
    case 'url':
      if (!v) return dash();
      return safeUrl(v)
        ? el('a', { href: v, target: '_blank', rel: 'noopener noreferrer', text: v })
        : document.createTextNode(String(v));
    case 'icon':
      if (!v) return dash();
      return el('span', {}, safeIconClass(v) ? el('i', { class: `${v} fa-fw me-1`, attrs: { 'aria-hidden': 'true' } }) : null,
        el('code', { text: v }));
    case 'note':
      if (!v) return dash();
      return el('span', { class: ctx.full ? 'cmdb-note' : 'cmdb-note-cell', title: ctx.full ? null : String(v), text: String(v) });
    case 'int':
      if (v === null || v === undefined || v === '') return dash();
      return document.createTextNode(isTime(f) ? fmtTime(v) : String(v));
    default:
      if (v === null || v === undefined || v === '') return dash();
      return document.createTextNode(String(v));
  }
}

/** Plain text of a value (sorting, titles). */
export function valueText(f, row, ctx) {
  return valueNode(f, row, ctx).textContent;
}

/* ------------------------------------------------------------ raw requests */

/*
 * fetch() for what api.js does not cover (a CSV download, a text/csv
 * upload), with its conventions: CSRF header on writes (token refreshed
 * once on a 403 csrf), 401 -> login page, errors as ApiError.
 */
async function raw(method, path, { body, contentType } = {}, retried = false) {
  const headers = {};
  if (contentType) headers['Content-Type'] = contentType;
  const me = currentUser();
  if (method !== 'GET' && me && me.csrf_token) headers['X-CSRF-Token'] = me.csrf_token;
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', t('error.network'));
  }
  if (res.ok) return res;
  let data = null;
  try {
    data = await res.json();
  } catch { /* not JSON */ }
  const e = (data && data.error) || {};
  if (res.status === 403 && e.code === 'csrf' && !retried) {
    await refreshMe();
    return raw(method, path, { body, contentType }, true);
  }
  if (res.status === 401) redirectToLogin();
  const err = new ApiError(res.status, e.code || `http_${res.status}`, e.message || `HTTP ${res.status}`, e.field);
  err.data = data;
  throw err;
}

function filenameOf(res, fallback) {
  const cd = res.headers.get('Content-Disposition') || '';
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
  return m ? decodeURIComponent(m[1]) : fallback;
}

/** Save a Blob as a file (a real download in the browser). */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: filename, class: 'd-none' });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/**
 * Export resource `resName` as CSV: the filtered list (params = the list's
 * filters) or only `ids`. Chinese headers when the console is in Chinese.
 */
export async function exportCsv(resName, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  q.set('format', 'csv');
  if (isZh()) q.set('lang', 'zh');
  try {
    const res = await raw('GET', `/${resName}?${q}`);
    const blob = await res.blob();
    saveBlob(blob, filenameOf(res, `${resName}.csv`));
  } catch (e) {
    toast(e.localized || e.message, 'danger');
    throw e;
  }
}

/**
 * POST a CSV file to /R/import. Resolves {ok: true, created, updated, rows}
 * or {ok: false, message, rows: [{line, field, message}]} for refused files.
 */
export async function importCsv(resName, file) {
  const body = await file.arrayBuffer();
  try {
    const res = await raw('POST', `/${resName}/import`, { body, contentType: 'text/csv' });
    const data = await res.json();
    return { ok: true, ...data };
  } catch (e) {
    if (e && e.status === 400) {
      const rows = (e.data && Array.isArray(e.data.rows)) ? e.data.rows : [];
      return { ok: false, message: e.localized || e.message, rows };
    }
    toast(e.localized || e.message, 'danger');
    throw e;
  }
}

/** A CSV header of the writable fields (labels, as exports have them): a template for import. */
export function csvTemplate(res) {
  const cols = res.fields.filter((f) => !f.readonly).map((f) => label(f));
  const esc = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return new Blob(['\uFEFF', `${cols.map(esc).join(',')}\r\n`], { type: 'text/csv;charset=utf-8' });
}

/* ------------------------------------------------------------ small bits */

/** Online state of a host from the list's `now`. */
export function hostState(h, now) {
  if (h.last_seen_at === null || h.last_seen_at === undefined) return 'unknown';
  const interval = Number(h.agent_interval) || 60;
  return now - Number(h.last_seen_at) < 3 * interval ? 'up' : 'down';
}

export function onlineDot(h, now) {
  const st = hostState(h, now);
  const title = st === 'up' ? t('asset.online')
    : st === 'down' ? t('asset.offline_since', { time: fmtTime(h.last_seen_at) }) : t('asset.no_agent');
  return el('span', { class: `cmdb-dot cmdb-dot-${st}`, title, dataset: { state: st }, attrs: { role: 'img', 'aria-label': title } });
}

/** A "Loading…" line used while a card fills. */
export function loadingLine() {
  return el('div', { class: 'text-body-secondary py-2' },
    el('span', { class: 'spinner-border spinner-border-sm me-2', attrs: { 'aria-hidden': 'true' } }), t('common.loading'));
}

