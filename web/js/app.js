// Console shell: loads the caller (/auth/me), draws the AdminLTE sidebar
// with the entries the caller may use, the top-bar menus (language, change
// password, logout) and routes hash URLs (#/users …) to one ES module per
// page under ./pages/. Each page module exports
//   mount(root, ctx) -> optional cleanup function
// where ctx = { me, can, signal, name, args, route } (signal aborts when the
// page is left; args = the path after the name, #/hosts/12 -> ['12'];
// route = the ROUTES entry).

import { t, initI18n, setLang, lang, LANGS, applyI18n } from './i18n.js';
import { get, post, refreshMe, currentUser, can, redirectToLogin } from './api.js';
import { el, icon, clear, modal, field, toast, fieldError } from './ui.js';

/* Routes: hash -> page module, title key, permission (null = any user). */
const ROUTES = {
  home: { module: './pages/home.js', title: 'nav.home', perm: null },
  dashboard: { module: './pages/dashboard.js', title: 'menu.dashboard', perm: null },
  // CMDB (assets) and applications: #/hosts/ID is the host's page; the other
  // resources share one schema-driven page (`resource` = API resource name).
  hosts: { module: './pages/assets.js', title: 'nav.hosts', perm: 'assets:view', parent: 'nav.assets' },
  groups: { module: './pages/resource.js', resource: 'groups', title: 'nav.groups', perm: 'assets:view', parent: 'nav.assets' },
  idcs: { module: './pages/resource.js', resource: 'idcs', title: 'nav.idcs', perm: 'assets:view', parent: 'nav.assets' },
  cabinets: { module: './pages/resource.js', resource: 'cabinets', title: 'nav.cabinets', perm: 'assets:view', parent: 'nav.assets' },
  'asset-types': { module: './pages/resource.js', resource: 'asset-types', title: 'nav.asset_types', perm: 'assets:view', parent: 'nav.assets' },
  'asset-statuses': { module: './pages/resource.js', resource: 'asset-statuses', title: 'nav.asset_statuses', perm: 'assets:view', parent: 'nav.assets' },
  products: { module: './pages/resource.js', resource: 'products', title: 'nav.products', perm: 'apps:view', parent: 'nav.apps' },
  projects: { module: './pages/resource.js', resource: 'projects', title: 'nav.projects', perm: 'apps:view', parent: 'nav.apps' },
  owners: { module: './pages/resource.js', resource: 'owners', title: 'nav.owners', perm: 'apps:view', parent: 'nav.apps' },
  credentials: { module: './pages/resource.js', resource: 'credentials', title: 'nav.credentials', perm: 'apps:view', parent: 'nav.apps' },
  regions: { module: './pages/resource.js', resource: 'regions', title: 'nav.regions', perm: 'apps:view', parent: 'nav.apps' },
  branches: { module: './pages/resource.js', resource: 'branches', title: 'nav.branches', perm: 'apps:view', parent: 'nav.apps' },
  resources: { module: './pages/resource.js', resource: 'resources', title: 'nav.resources', perm: 'apps:view', parent: 'nav.apps' },
  'nav-links': { module: './pages/resource.js', resource: 'nav-links', title: 'nav.links', perm: 'settings:edit', parent: 'nav.home' },
  // Tasks and monitoring: #/jobs/ID is one job, #/jobs/task/ID a task's runs;
  // #/monitor/ID opens the charts of a host.
  run: { module: './pages/run.js', title: 'task.menu_run', perm: 'tasks:execute', parent: 'task.menu' },
  jobs: { module: './pages/jobs.js', title: 'job.menu', perm: 'tasks:view', parent: 'task.menu' },
  library: { module: './pages/library.js', title: 'lib.menu', perm: 'tasks:view', parent: 'task.menu' },
  tasks: { module: './pages/tasks.js', title: 'task.menu_scheduled', perm: 'tasks:view', parent: 'task.menu' },
  monitor: { module: './pages/monitor.js', title: 'mon.menu', perm: 'monitor:view' },
  agents: { module: './pages/agents.js', title: 'agent.menu', perm: 'settings:admin', parent: 'menu.settings' },
  users: { module: './pages/users.js', title: 'menu.users_list', perm: 'users:view', parent: 'menu.users' },
  roles: { module: './pages/roles.js', title: 'menu.roles', perm: 'users:view', parent: 'menu.users' },
  tokens: { module: './pages/tokens.js', title: 'menu.tokens', perm: null, parent: 'menu.users' },
  audit: { module: './pages/audit.js', title: 'menu.audit', perm: 'audit:view', parent: 'menu.users' },
  settings: { module: './pages/settings.js', title: 'menu.settings', perm: 'settings:view' },
};
const DEFAULT_ROUTE = 'home';

/*
 * The sidebar (DESIGN.md §1, in its order). Only entries that work in this
 * milestone are listed; Assets, Applications, Tasks, Delivery and Monitoring
 * join here as their pages land.
 */
const MENU = [
  { route: 'home', icon: 'compass', label: 'nav.home' },
  { route: 'dashboard', icon: 'gauge-high', label: 'menu.dashboard' },
  {
    id: 'assets', icon: 'server', label: 'nav.assets',
    children: [
      { route: 'hosts', icon: 'server', label: 'nav.hosts' },
      { route: 'groups', icon: 'object-group', label: 'nav.groups' },
      { route: 'idcs', icon: 'building', label: 'nav.idcs' },
      { route: 'cabinets', icon: 'table-cells-large', label: 'nav.cabinets' },
      { route: 'asset-types', icon: 'shapes', label: 'nav.asset_types' },
      { route: 'asset-statuses', icon: 'tag', label: 'nav.asset_statuses' },
    ],
  },
  {
    id: 'apps', icon: 'cubes', label: 'nav.apps',
    children: [
      { route: 'products', icon: 'layer-group', label: 'nav.products' },
      { route: 'projects', icon: 'diagram-project', label: 'nav.projects' },
      { route: 'owners', icon: 'address-card', label: 'nav.owners' },
      { route: 'credentials', icon: 'key', label: 'nav.credentials' },
      { route: 'regions', icon: 'map-location-dot', label: 'nav.regions' },
      { route: 'branches', icon: 'code-branch', label: 'nav.branches' },
      { route: 'resources', icon: 'file-contract', label: 'nav.resources' },
    ],
  },
  {
    id: 'tasks', icon: 'list-check', label: 'task.menu',
    children: [
      { route: 'run', icon: 'play', label: 'task.menu_run' },
      { route: 'jobs', icon: 'clock-rotate-left', label: 'job.menu' },
      { route: 'library', icon: 'book', label: 'lib.menu' },
      { route: 'tasks', icon: 'calendar-days', label: 'task.menu_scheduled' },
    ],
  },
  { route: 'monitor', icon: 'chart-line', label: 'mon.menu' },
  {
    id: 'users', icon: 'users', label: 'menu.users',
    children: [
      { route: 'users', icon: 'user', label: 'menu.users_list' },
      { route: 'roles', icon: 'user-shield', label: 'menu.roles' },
      { route: 'tokens', icon: 'key', label: 'menu.tokens' },
      { route: 'audit', icon: 'clipboard-list', label: 'menu.audit' },
    ],
  },
  { route: 'settings', icon: 'gear', label: 'menu.settings' },
  { route: 'agents', icon: 'satellite-dish', label: 'agent.menu' },
];

let current = null; // { name, cleanup, abort }
let serverVersion = '';
let navSeq = 0;

function routeName() {
  const m = /^#\/([\w-]+)/.exec(location.hash || '');
  return m ? m[1] : '';
}

/* The path after the route name: #/hosts/12 -> ['12']. */
function routeArgs() {
  const m = /^#\/[\w-]+((?:\/[^/?#]+)*)/.exec(location.hash || '');
  return m && m[1] ? m[1].slice(1).split('/').map(decodeURIComponent) : [];
}

function allowed(name) {
  const r = ROUTES[name];
  return !!r && can(r.perm);
}

/* ---------------------------------------------------------------- sidebar */

function menuLink(item) {
  return el('a', { href: `#/${item.route}`, class: 'nav-link', dataset: { route: item.route } },
    icon(item.icon, 'nav-icon'),
    el('p', { text: t(item.label) }));
}

function renderMenu() {
  const ul = clear(document.getElementById('sidebar-menu'));
  for (const item of MENU) {
    if (item.children) {
      const kids = item.children.filter((c) => allowed(c.route));
      if (!kids.length) continue;
      // Groups start closed but the one holding the current page (markActive).
      ul.appendChild(el('li', { class: 'nav-item', dataset: { menu: item.id } },
        el('a', { href: '#', class: 'nav-link', attrs: { 'aria-expanded': 'false' } },
          icon(item.icon, 'nav-icon'),
          el('p', {}, t(item.label), icon('angle-right', 'nav-arrow'))),
        el('ul', { class: 'nav nav-treeview' },
          kids.map((c) => el('li', { class: 'nav-item' }, menuLink(c))))));
    } else if (allowed(item.route)) {
      ul.appendChild(el('li', { class: 'nav-item' }, menuLink(item)));
    }
  }
  markActive(routeName() || DEFAULT_ROUTE);
}

function markActive(name) {
  document.querySelectorAll('#sidebar-menu .nav-link').forEach((a) => {
    const on = a.dataset.route === name;
    a.classList.toggle('active', on);
    const group = on && a.closest('.nav-item[data-menu]');
    if (group && !group.classList.contains('menu-open')) {
      group.classList.add('menu-open');
      group.firstElementChild.setAttribute('aria-expanded', 'true');
      group.querySelector('.nav-treeview').style.removeProperty('display');
    }
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}

/* ------------------------------------------------------------- top bar */

function renderTopBar() {
  const me = currentUser();
  document.getElementById('user-name').textContent = me.display_name || me.username;
  const header = clear(document.getElementById('user-menu-header'));
  header.append(me.username);
  if (me.role && me.role.name) header.append(el('span', { class: 'ms-1 fw-normal', text: `(${me.role.name})` }));
  if (me.superuser) header.append(el('span', { class: 'badge text-bg-danger ms-2', text: t('users.superuser') }));

  document.getElementById('footer-version').textContent = serverVersion ? `${t('dashboard.version')} ${serverVersion}` : '';

  const cur = LANGS.find((l) => l.code === lang());
  document.getElementById('lang-current').textContent = cur ? cur.label : lang();
  const menu = clear(document.getElementById('lang-menu'));
  for (const l of LANGS) {
    menu.appendChild(el('li', {},
      el('button', {
        type: 'button',
        class: `dropdown-item${l.code === lang() ? ' active' : ''}`,
        dataset: { lang: l.code },
        attrs: { lang: l.code, 'aria-current': l.code === lang() ? 'true' : null },
        text: l.label,
      })));
  }
}

async function switchLang(code) {
  if (code === lang()) return;
  await setLang(code);
  renderTopBar();
  renderMenu();
  await route(true);
}

function changePasswordDialog() {
  const oldPw = el('input', { type: 'password', name: 'old_password', autocomplete: 'current-password', required: true });
  const newPw = el('input', { type: 'password', name: 'new_password', autocomplete: 'new-password', required: true });
  const confirmPw = el('input', { type: 'password', name: 'confirm_password', autocomplete: 'new-password', required: true });
  modal({
    id: 'password-modal',
    title: t('user.change_password'),
    body: el('div', {},
      // Helps password managers: the account the password belongs to.
      el('input', { type: 'text', name: 'username', value: currentUser().username, autocomplete: 'username', class: 'd-none', attrs: { 'aria-hidden': 'true', tabindex: '-1' } }),
      field('user.old_password', oldPw, { required: true }),
      field('user.new_password', newPw, { required: true }),
      field('user.confirm_password', confirmPw, { required: true })),
    submitText: t('user.change_password'),
    onSubmit: async () => {
      if (!oldPw.value) throw fieldError('old_password', t('form.required'));
      if (!newPw.value) throw fieldError('new_password', t('form.required'));
      if (newPw.value !== confirmPw.value) throw fieldError('confirm_password', t('user.password_mismatch'));
      await post('/auth/password', { old_password: oldPw.value, new_password: newPw.value }, { quiet: true });
      try {
        await refreshMe(); // the session's CSRF token may have been renewed
      } catch { /* a 401 here redirects to the login page */ }
      toast(t('user.password_changed'), 'success');
    },
  });
}

async function logout() {
  try {
    await post('/auth/logout', {}, { quiet: true, noAuthRedirect: true });
  } catch { /* the session is gone either way */ }
  try {
    sessionStorage.removeItem('cairn.next');
  } catch { /* ignore */ }
  location.replace('/login.html');
}

/* --------------------------------------------------------------- router */

function closeModals() {
  document.querySelectorAll('.modal.show').forEach((m) => {
    const inst = window.bootstrap.Modal.getInstance(m);
    if (inst) inst.hide();
  });
}

function setHeader(name) {
  const r = ROUTES[name];
  const title = t(r ? r.title : 'common.not_found');
  document.getElementById('page-title').textContent = title;
  document.title = `${title} - ${t('app.title')}`;
  const bc = clear(document.getElementById('breadcrumb'));
  bc.appendChild(el('li', { class: 'breadcrumb-item' }, el('a', { href: `#/${DEFAULT_ROUTE}`, text: t('menu.home') })));
  if (r && r.parent) bc.appendChild(el('li', { class: 'breadcrumb-item', text: t(r.parent) }));
  bc.appendChild(el('li', { class: 'breadcrumb-item active', attrs: { 'aria-current': 'page' }, text: title }));
}

function messageCard(iconName, color, titleKey, textKey) {
  return el('div', { class: `callout callout-${color}` },
    el('h5', {}, icon(iconName, 'me-2'), t(titleKey)),
    el('p', { class: 'mb-0', text: t(textKey) }));
}

async function route(force = false) {
  let name = routeName();
  if (!name) {
    location.replace(`#/${DEFAULT_ROUTE}`);
    return;
  }
  const path = [name, ...routeArgs()].join('/');
  if (!force && current && current.path === path) return;
  const seq = ++navSeq;
  if (current) {
    current.abort.abort();
    try {
      if (current.cleanup) current.cleanup();
    } catch (e) { console.error(e); }
    current = null;
  }
  closeModals();
  const root = clear(document.getElementById('page'));
  root.dataset.page = name;
  root.removeAttribute('data-ready');
  markActive(name);
  setHeader(name);
  const r = ROUTES[name];
  if (!r) {
    root.appendChild(messageCard('circle-question', 'warning', 'common.not_found', 'common.not_found_text'));
    root.dataset.ready = '1';
    return;
  }
  if (!can(r.perm)) {
    root.appendChild(messageCard('lock', 'danger', 'error.forbidden', 'common.forbidden_text'));
    root.dataset.ready = '1';
    return;
  }
  const abort = new AbortController();
  current = { name, path, cleanup: null, abort };
  try {
    const mod = await import(r.module);
    if (seq !== navSeq) return;
    const cleanup = await mod.mount(root, { me: currentUser(), can, signal: abort.signal, name, args: routeArgs(), route: r });
    if (seq !== navSeq) {
      if (typeof cleanup === 'function') cleanup();
      return;
    }
    current.cleanup = typeof cleanup === 'function' ? cleanup : null;
    root.dataset.ready = '1';
  } catch (e) {
    if (seq !== navSeq) return;
    console.error(e);
    if (!e || !e.toasted) root.appendChild(messageCard('triangle-exclamation', 'danger', 'error.internal', 'common.load_failed'));
    root.dataset.ready = '1';
  }
}

/* ---------------------------------------------------------------- start */

async function start() {
  await initI18n();
  applyI18n(document);
  let me;
  try {
    me = await refreshMe();
  } catch (e) {
    if (e && e.status === 401) {
      redirectToLogin();
      return;
    }
    document.getElementById('page').appendChild(messageCard('plug-circle-xmark', 'danger', 'error.network', 'common.load_failed'));
    document.body.classList.remove('cairn-loading');
    return;
  }
  if (!me) return;
  renderTopBar();
  renderMenu();

  document.getElementById('lang-menu').addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-lang]');
    if (b) {
      ev.preventDefault();
      switchLang(b.dataset.lang);
    }
  });
  document.getElementById('btn-change-password').addEventListener('click', changePasswordDialog);
  document.getElementById('btn-logout').addEventListener('click', logout);
  window.addEventListener('hashchange', () => route());

  get('/health', null, { quiet: true }).then((h) => {
    if (h && h.version) {
      serverVersion = String(h.version);
      document.getElementById('footer-version').textContent = `${t('dashboard.version')} ${serverVersion}`;
    }
  }).catch(() => {});

  document.body.classList.remove('cairn-loading');
  await route();
  document.body.dataset.ready = '1';
}

start().catch((e) => {
  console.error(e);
  document.body.classList.remove('cairn-loading');
});
