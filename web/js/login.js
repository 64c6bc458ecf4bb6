// Login page: POST /api/v1/auth/login, then back to the console (the route
// the user was on when the session ended, if any).

import { t, initI18n, applyI18n, setLang, lang, LANGS } from './i18n.js';
import { api, post } from './api.js';

const form = document.getElementById('login-form');
const errBox = document.getElementById('login-error');
const submit = document.getElementById('login-submit');
const langSel = document.getElementById('login-lang');
const userIn = document.getElementById('login-username');
const passIn = document.getElementById('login-password');

function next() {
  let h = '';
  try {
    h = sessionStorage.getItem('cairn.next') || '';
    sessionStorage.removeItem('cairn.next');
  } catch { /* ignore */ }
  return /^#\/[\w-]+$/.test(h) ? `/${h}` : '/';
}

function showError(msg) {
  if (!msg) {
    errBox.classList.add('d-none');
    errBox.textContent = '';
    return;
  }
  errBox.textContent = msg;
  errBox.classList.remove('d-none');
}

function fillLangs() {
  langSel.replaceChildren(...LANGS.map((l) => {
    const o = document.createElement('option');
    o.value = l.code;
    o.textContent = l.label;
    o.lang = l.code;
    o.selected = l.code === lang();
    return o;
  }));
}

async function start() {
  await initI18n();
  applyI18n(document);
  fillLangs();
  langSel.addEventListener('change', async () => {
    await setLang(langSel.value);
    fillLangs();
    if (!errBox.classList.contains('d-none') && errBox.dataset.key) errBox.textContent = t(errBox.dataset.key);
  });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(null);
    delete errBox.dataset.key;
    const username = userIn.value.trim();
    const password = passIn.value;
    if (!username || !password) {
      errBox.dataset.key = 'login.missing';
      showError(t('login.missing'));
      (username ? passIn : userIn).focus();
      return;
    }
    submit.disabled = true;
    submit.firstElementChild.classList.remove('d-none');
    try {
      await post('/auth/login', { username, password }, { quiet: true, noAuthRedirect: true });
      location.replace(next());
      return;
    } catch (e) {
      let key = null;
      if (e.status === 401) key = 'login.bad_credentials';
      else if (e.status === 423) key = 'login.locked';
      else if (e.status === 429) key = 'login.too_many';
      else if (e.status === 0) key = 'error.network';
      if (key) errBox.dataset.key = key;
      showError(key ? t(key) : e.localized || e.message);
      passIn.value = '';
      passIn.focus();
    } finally {
      submit.disabled = false;
      submit.firstElementChild.classList.add('d-none');
    }
  });

  // Already signed in (e.g. a second tab): straight to the console.
  try {
    const me = await api('GET', '/auth/me', undefined, { quiet: true, noAuthRedirect: true });
    if (me && me.username) location.replace(next());
  } catch { /* not signed in */ }
  document.body.dataset.ready = '1';
}

start();
