// Translations. Every user-visible string of the console is a key of
// /i18n/en.json and /i18n/zh-CN.json (flat objects, same keys).
// Default language: the one saved by the language switch (localStorage),
// else navigator.language (zh* -> zh-CN, anything else -> en).

const STORAGE_KEY = 'cairn.lang';

export const LANGS = [
  { code: 'zh-CN', label: '简体中文' },
  { code: 'en', label: 'English' },
];

let current = 'en';
let dict = {};

function savedLang() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function detectLang() {
  const saved = savedLang();
  if (saved && LANGS.some((l) => l.code === saved)) return saved;
  const nav = (navigator.languages && navigator.languages[0]) || navigator.language || 'en';
  return /^zh\b/i.test(nav) ? 'zh-CN' : 'en';
}

async function load(code) {
  const res = await fetch(`/i18n/${code}.json`, { credentials: 'same-origin', cache: 'no-cache' });
  if (!res.ok) throw new Error(`i18n: ${code}: HTTP ${res.status}`);
  return res.json();
}

/** Load the dictionary of `code` (default: detected) and mark <html lang>. */
export async function initI18n(code = detectLang()) {
  try {
    dict = await load(code);
    current = code;
  } catch (e) {
    console.error(e);
    if (code !== 'en') {
      dict = await load('en');
      current = 'en';
    }
  }
  document.documentElement.lang = current;
  return current;
}

/** Switch language, remember the choice and translate the static markup. */
export async function setLang(code) {
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    /* private mode: the switch lasts for this page only */
  }
  await initI18n(code);
  applyI18n(document);
}

export function lang() {
  return current;
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(dict, key);
}

/** Translate `key`; `{name}` placeholders are replaced from `params`. */
export function t(key, params) {
  let s = has(key) ? dict[key] : key;
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, k) =>
      Object.prototype.hasOwnProperty.call(params, k) ? String(params[k]) : m);
  }
  return s;
}

/**
 * Translate static markup below `root`: data-i18n (textContent),
 * data-i18n-placeholder, data-i18n-title, data-i18n-aria-label.
 */
export function applyI18n(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((e) => {
    e.textContent = t(e.dataset.i18n);
  });
  root.querySelectorAll('[data-i18n-placeholder]').forEach((e) => {
    e.setAttribute('placeholder', t(e.dataset.i18nPlaceholder));
  });
  root.querySelectorAll('[data-i18n-title]').forEach((e) => {
    e.setAttribute('title', t(e.dataset.i18nTitle));
  });
  root.querySelectorAll('[data-i18n-aria-label]').forEach((e) => {
    e.setAttribute('aria-label', t(e.dataset.i18nAriaLabel));
  });
  if (root === document && has('app.title')) document.title = t('app.title');
}

/** Unix seconds -> local date and time in the current language. */
export function fmtTime(ts) {
  if (ts === null || ts === undefined || ts === '' || Number(ts) <= 0) return '';
  const d = new Date(Number(ts) * 1000);
  return d.toLocaleString(current, {
    year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  });
}

/** Unix seconds -> local date only. */
export function fmtDate(ts) {
  if (ts === null || ts === undefined || ts === '' || Number(ts) <= 0) return '';
  return new Date(Number(ts) * 1000).toLocaleDateString(current, {
    year: 'numeric', month: '2-digit', day: '2-digit',
  });
}

/** Seconds -> "2d 3h 4m" in the current language. */
export function fmtDuration(sec) {
  sec = Math.max(0, Math.floor(Number(sec) || 0));
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  if (d) return t('time.dhm', { d, h, m });
  if (h) return t('time.hm', { h, m });
  if (m) return t('time.m', { m });
  return t('time.s', { s: sec });
}
