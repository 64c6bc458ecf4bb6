// Dashboard: the server's health and version (GET /api/v1/health), then for
// holders of assets:view the CMDB at a glance (GET /api/v1/dashboard): hosts
// up / down / never reported, hosts by IDC, type and status (ECharts), the
// busiest hosts by CPU, memory and disk (links to their pages); a welcome
// card with the logged-in user. Alert and job summaries join as their
// modules land.

import { t, fmtDuration } from '../i18n.js';
import { get } from '../api.js';
import { el, icon, badge, card } from '../ui.js';
import { allRows, codeName, STATUS_COLORS } from '../cmdb.js';
import { chart } from '../charts.js';

/* An info box; with `href` the whole box is a link. */
function infoBox(id, iconName, color, label, value, href) {
  return el('div', { class: 'col-12 col-sm-6 col-lg-3' },
    el(href ? 'a' : 'div', { class: href ? 'info-box cmdb-tile text-reset text-decoration-none' : 'info-box', id, href },
      el('span', { class: `info-box-icon text-bg-${color} shadow-sm` }, icon(iconName)),
      el('div', { class: 'info-box-content' },
        el('span', { class: 'info-box-text', text: label }),
        el('span', { class: 'info-box-number', dataset: { value: '' } }, String(value)))));
}

const PALETTE = ['#0d6efd', '#20c997', '#fd7e14', '#6f42c1', '#d63384', '#ffc107', '#0dcaf0', '#6610f2', '#198754', '#adb5bd'];

/* A chart card; the numbers are also in a table for screen readers. */
function countsCard(id, title, rows) {
  const chartEl = el('div', { class: 'cmdb-chart', id: `${id}-chart`, style: 'height: 15rem' });
  const total = rows.reduce((n, r) => n + r.n, 0);
  const tableEl = el('table', { class: 'visually-hidden', id },
    el('caption', { text: title }),
    el('tbody', {}, rows.map((r) => el('tr', { dataset: { key: r.key } },
      el('th', { attrs: { scope: 'row' }, text: r.name }),
      el('td', { text: String(r.n) })))));
  const body = rows.length ? el('div', {}, chartEl, tableEl)
    : el('p', { class: 'text-body-secondary text-center py-5 mb-0', text: t('dash.no_hosts') });
  const c = card({ title, body, tools: el('span', { class: 'badge text-bg-light border', text: t('dash.n_hosts', { n: total }) }) });
  return { node: el('div', { class: 'col-12 col-lg-4' }, c), chartEl: rows.length ? chartEl : null };
}

function pieOption(rows, colors) {
  return {
    tooltip: { trigger: 'item', formatter: '{b}: {c} ({d}%)' },
    legend: { bottom: 0, type: 'scroll', textStyle: { fontSize: 11 } },
    color: colors || PALETTE,
    series: [{
      type: 'pie', radius: ['45%', '70%'], center: ['50%', '44%'], avoidLabelOverlap: true,
      label: { show: false }, emphasis: { label: { show: true, fontWeight: 'bold' } },
      data: rows.map((r) => ({ name: r.name, value: r.n, itemStyle: r.color ? { color: r.color } : undefined })),
    }],
  };
}

function barOption(rows) {
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.name), axisLabel: { width: 110, overflow: 'truncate' } },
    series: [{ type: 'bar', data: rows.map((r) => r.n), itemStyle: { color: '#0d6efd', borderRadius: [0, 4, 4, 0] }, barMaxWidth: 22, label: { show: true, position: 'right' } }],
  };
}

function topCard(id, title, iconName, rows) {
  const color = (v) => (v >= 90 ? 'danger' : v >= 70 ? 'warning' : 'success');
  const body = rows.length
    ? el('ul', { class: 'list-unstyled mb-0', id }, rows.map((r) => {
      const v = Math.max(0, Math.min(100, Number(r.value) || 0));
      return el('li', { class: 'mb-2', dataset: { host: String(r.id) } },
        el('div', { class: 'd-flex justify-content-between small' },
          el('a', { href: `#/hosts/${r.id}`, class: 'text-truncate me-2', text: r.hostname }),
          el('span', { class: 'fw-semibold', text: `${v.toFixed(1)}%` })),
        el('div', { class: 'progress', style: 'height: 6px', attrs: { role: 'progressbar', 'aria-valuenow': v.toFixed(0), 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-label': r.hostname } },
          el('div', { class: `progress-bar bg-${color(v)}`, style: `width: ${v.toFixed(1)}%` })));
    }))
    : el('p', { class: 'text-body-secondary small mb-0', id, text: t('dash.no_reports') });
  const c = card({ title, body });
  c.querySelector('.card-title').prepend(icon(iconName, 'me-2 text-body-secondary'));
  return el('div', { class: 'col-12 col-lg-4' }, c);
}

/** The CMDB part of the dashboard; returns a cleanup (charts). */
async function cmdbSection(root, signal) {
  const [d, types, statuses] = await Promise.all([
    get('/dashboard', null, { quiet: true }),
    allRows('asset-types').catch(() => null),
    allRows('asset-statuses').catch(() => null),
  ]);
  if (signal.aborted) return () => {};
  const names = (list) => new Map((list || []).map((r) => [r.code, codeName(r)]));
  const typeNames = names(types);
  const statusNames = names(statuses);
  const h = d.hosts || {};
  const total = (h.up || 0) + (h.down || 0) + (h.unknown || 0);
  const section = el('div', { id: 'dash-cmdb' },
    el('div', { class: 'row' },
      infoBox('dash-hosts-total', 'server', 'primary', t('dash.hosts_total'), total, '#/hosts'),
      infoBox('dash-hosts-up', 'circle-check', 'success', t('dash.hosts_up'), h.up || 0, '#/hosts'),
      infoBox('dash-hosts-down', 'circle-xmark', 'danger', t('dash.hosts_down'), h.down || 0, '#/hosts'),
      infoBox('dash-hosts-unknown', 'circle-question', 'secondary', t('dash.hosts_unknown'), h.unknown || 0, '#/hosts')));
  const byIdc = (d.by_idc || []).map((r) => ({ key: r.name || '', name: r.name || t('dash.no_idc'), n: r.n }));
  const byType = (d.by_type || []).map((r) => ({ key: r.name || '', name: (r.name && typeNames.get(r.name)) || r.name || t('dash.unset'), n: r.n }));
  // the status badges' colours (Bootstrap's variables), in the pie too
  const css = getComputedStyle(document.documentElement);
  const color = (code) => css.getPropertyValue(`--bs-${STATUS_COLORS[code] || 'primary'}`).trim() || undefined;
  const byStatus = (d.by_status || []).map((r) => ({ key: r.name || '', name: (r.name && statusNames.get(r.name)) || r.name || t('dash.unset'), n: r.n, color: color(r.name) }));
  const cards = [
    [countsCard('dash-by-idc', t('dash.by_idc'), byIdc), barOption(byIdc)],
    [countsCard('dash-by-type', t('dash.by_type'), byType), pieOption(byType)],
    [countsCard('dash-by-status', t('dash.by_status'), byStatus), pieOption(byStatus)],
  ];
  const top = d.top || {};
  section.append(
    el('div', { class: 'row' }, cards.map(([c]) => c.node)),
    el('div', { class: 'row' },
      topCard('dash-top-cpu', t('dash.top_cpu'), 'microchip', top.cpu || []),
      topCard('dash-top-memory', t('dash.top_memory'), 'memory', top.memory || []),
      topCard('dash-top-disk', t('dash.top_disk'), 'hard-drive', top.disk || [])));
  root.appendChild(section);
  const charts = [];
  try {
    for (const [c, option] of cards) {
      if (c.chartEl) charts.push(await chart(c.chartEl, option));
      if (signal.aborted) break;
    }
  } catch (e) {
    console.error(e);
  }
  section.dataset.charts = String(charts.length);
  return () => charts.forEach((c) => c.dispose());
}

export async function mount(root, { me, signal, can }) {
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

  const cmdb = can('assets:view') ? el('div', {}) : null;
  root.append(...[row, cmdb, welcome].filter(Boolean));
  const health = get('/health', null, { quiet: true })
    .catch((e) => ((e && e.status === 503) ? { status: 'error' } : null));
  let cleanup = () => {};
  if (cmdb) {
    try {
      cleanup = await cmdbSection(cmdb, signal);
    } catch (e) {
      cmdb.appendChild(el('div', { class: 'alert alert-warning', text: (e && (e.localized || e.message)) || t('common.load_failed') }));
    }
  }

  const setVal = (box, text) => { box.querySelector('.info-box-number').textContent = text; };
  const h = await health;
  if (signal.aborted) return cleanup;
  const ok = h && h.status === 'ok';
  const iconEl = statusBox.querySelector('.info-box-icon');
  iconEl.classList.remove('text-bg-secondary');
  iconEl.classList.add(ok ? 'text-bg-success' : 'text-bg-danger');
  setVal(statusBox, ok ? t('dashboard.status_ok') : t('dashboard.status_error'));
  setVal(versionBox, (h && h.version) || '—');
  setVal(dbBox, (h && h.db) ? (h.db === 'postgresql' ? 'PostgreSQL' : h.db === 'sqlite' ? 'SQLite' : h.db) : '—');
  setVal(upBox, h && h.uptime !== undefined ? fmtDuration(h.uptime) : '—');
  return cleanup;
}
