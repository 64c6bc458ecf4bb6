// Dashboard (foundation milestone): a welcome card with the logged-in user
// and the server's health and version (GET /api/v1/health). Host, alert and
// job summaries join as their modules land.

import { t, fmtDuration } from '../i18n.js';
import { get } from '../api.js';
import { el, icon, badge } from '../ui.js';

function infoBox(id, iconName, color, label, value) {
  return el('div', { class: 'col-12 col-sm-6 col-lg-3' },
    el('div', { class: 'info-box', id },
      el('span', { class: `info-box-icon text-bg-${color} shadow-sm` }, icon(iconName)),
      el('div', { class: 'info-box-content' },
        el('span', { class: 'info-box-text', text: label }),
        el('span', { class: 'info-box-number', dataset: { value: '' } }, value))));
}

export async function mount(root, { me, signal }) {
  const name = me.display_name || me.username;
  const roleText = me.superuser ? t('users.superuser') : (me.role && me.role.name) || t('users.no_role');

  const welcome = el('div', { class: 'card card-primary card-outline mb-4', id: 'welcome-card' },
    el('div', { class: 'card-header' }, el('h3', { class: 'card-title' }, icon('hand', 'me-2'), t('dashboard.welcome_title'))),
    el('div', { class: 'card-body' },
      el('p', { class: 'lead mb-2', id: 'welcome-text', text: t('dashboard.welcome', { name }) }),
      el('dl', { class: 'row mb-0' },
        el('dt', { class: 'col-sm-3', text: t('users.username') }),
        el('dd', { class: 'col-sm-9', id: 'welcome-username', text: me.username }),
        el('dt', { class: 'col-sm-3', text: t('users.role') }),
        el('dd', { class: 'col-sm-9', id: 'welcome-role' }, me.superuser ? badge(roleText, 'danger') : roleText),
        me.email ? el('dt', { class: 'col-sm-3', text: t('users.email') }) : null,
        me.email ? el('dd', { class: 'col-sm-9', text: me.email }) : null),
      el('p', { class: 'text-body-secondary mt-3 mb-0', text: t('dashboard.intro') })));

  const statusBox = infoBox('health-status', 'heart-pulse', 'secondary', t('dashboard.status'), t('common.loading'));
  const versionBox = infoBox('health-version', 'code-branch', 'primary', t('dashboard.version'), '');
  const dbBox = infoBox('health-db', 'database', 'info', t('dashboard.database'), '');
  const upBox = infoBox('health-uptime', 'clock', 'warning', t('dashboard.uptime'), '');
  const row = el('div', { class: 'row', id: 'health-row' }, statusBox, versionBox, dbBox, upBox);

  root.append(row, welcome);

  const setVal = (box, text) => { box.querySelector('.info-box-number').textContent = text; };
  let h;
  try {
    h = await get('/health', null, { quiet: true });
  } catch (e) {
    h = (e && e.status === 503) ? { status: 'error' } : null;
  }
  if (signal.aborted) return;
  const ok = h && h.status === 'ok';
  const iconEl = statusBox.querySelector('.info-box-icon');
  iconEl.classList.remove('text-bg-secondary');
  iconEl.classList.add(ok ? 'text-bg-success' : 'text-bg-danger');
  setVal(statusBox, ok ? t('dashboard.status_ok') : t('dashboard.status_error'));
  setVal(versionBox, (h && h.version) || '—');
  setVal(dbBox, (h && h.db) ? (h.db === 'postgresql' ? 'PostgreSQL' : h.db === 'sqlite' ? 'SQLite' : h.db) : '—');
  setVal(upBox, h && h.uptime !== undefined ? fmtDuration(h.uptime) : '—');
}
