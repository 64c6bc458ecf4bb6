// Audit log: server-side paged table over GET /api/v1/audit (newest first),
// filters (text, user, action, from/to dates), each entry's detail shown in
// an expandable child row.

import { t, has, fmtTime } from '../i18n.js';
import { get } from '../api.js';
import { el, icon, badge, card, serverTable, textCell, nodeCell } from '../ui.js';

function dayStart(value) {
  const [y, m, d] = value.split('-').map(Number);
  return Math.floor(new Date(y, m - 1, d, 0, 0, 0).getTime() / 1000);
}

function dayEnd(value) {
  const [y, m, d] = value.split('-').map(Number);
  return Math.floor(new Date(y, m - 1, d, 23, 59, 59).getTime() / 1000);
}

// Results the server records: ok, denied (401/403/423), failed.
const RESULTS = ['ok', 'denied', 'failed'];
const RESULT_COLOR = { ok: 'success', denied: 'warning', failed: 'danger' };

function resultLabel(r) {
  return has(`audit.result_${r}`) ? t(`audit.result_${r}`) : r;
}

function resultBadge(e) {
  const r = e.result === undefined || e.result === null ? '' : String(e.result);
  const st = Number(e.status);
  const color = RESULT_COLOR[r] || (st >= 400 ? 'danger' : 'secondary');
  return el('span', { class: 'text-nowrap', dataset: { result: r } },
    badge(r ? resultLabel(r) : (st ? String(st) : '—'), color),
    r && Number.isFinite(st) && st ? el('small', { class: 'text-body-secondary ms-1', text: String(st) }) : null);
}

/** Detail of an entry as readable text (pretty JSON when it is JSON). */
function detailText(detail) {
  if (detail === null || detail === undefined || detail === '') return '';
  if (typeof detail === 'object') return Object.keys(detail).length ? JSON.stringify(detail, null, 2) : '';
  const s = String(detail);
  if (/^\s*[{[]/.test(s)) {
    try {
      return JSON.stringify(JSON.parse(s), null, 2);
    } catch { /* plain text */ }
  }
  return s;
}

function detailNode(e) {
  const rows = [
    ['audit.id', e.id],
    ['audit.time', fmtTime(e.ts)],
    ['audit.user', e.username ? `${e.username}${e.user_id ? ` (#${e.user_id})` : ''}` : (e.user_id ? `#${e.user_id}` : '')],
    ['audit.ip', e.ip],
    ['audit.action', e.action],
    ['audit.object', [e.object_type, e.object_id].filter((x) => x !== null && x !== undefined && x !== '').join(' #')],
    ['audit.status', e.status],
    ['audit.result', e.result ? resultLabel(String(e.result)) : ''],
    ['audit.via', e.via],
  ];
  const text = detailText(e.detail);
  return el('div', { class: 'audit-detail p-2' },
    el('dl', { class: 'row mb-2' }, rows.flatMap(([k, v]) => [
      el('dt', { class: 'col-sm-2', text: t(k) }),
      el('dd', { class: 'col-sm-10 mb-1', text: v === null || v === undefined || v === '' ? '—' : String(v) }),
    ])),
    el('div', { class: 'fw-semibold mb-1', text: t('audit.detail') }),
    text ? el('pre', { class: 'bg-body-tertiary border rounded p-2 mb-0 audit-detail-text', text }) : el('p', { class: 'text-body-secondary mb-0', text: t('audit.no_detail') }));
}

export async function mount(root) {
  const inputs = {
    q: el('input', { type: 'search', class: 'form-control', name: 'q', id: 'audit-q', placeholder: t('audit.search_placeholder') }),
    user: el('input', { type: 'text', class: 'form-control', name: 'user', id: 'audit-user', placeholder: t('audit.user_placeholder') }),
    action: el('input', { type: 'text', class: 'form-control', name: 'action', id: 'audit-action', placeholder: t('audit.action_placeholder') }),
    from: el('input', { type: 'date', class: 'form-control', name: 'from', id: 'audit-from' }),
    to: el('input', { type: 'date', class: 'form-control', name: 'to', id: 'audit-to' }),
    result: el('select', { class: 'form-select', name: 'result', id: 'audit-result' },
      el('option', { value: '', text: t('audit.result_any') }),
      RESULTS.map((r) => el('option', { value: r, text: resultLabel(r) }))),
  };
  const col = (cls, key, input) => el('div', { class: cls },
    el('label', { class: 'form-label small mb-1', attrs: { for: input.id }, text: t(key) }), input);
  const resetBtn = el('button', { type: 'reset', class: 'btn btn-outline-secondary flex-fill', id: 'audit-reset' },
    icon('rotate-left', 'me-1'), t('common.reset'));
  const filters = el('form', { class: 'row g-2 align-items-end mb-3', id: 'audit-filters', attrs: { role: 'search' } },
    col('col-12 col-md-4', 'audit.filter_text', inputs.q),
    col('col-6 col-md-4', 'audit.user', inputs.user),
    col('col-6 col-md-4', 'audit.action', inputs.action),
    col('col-6 col-md-3', 'audit.result', inputs.result),
    col('col-6 col-md-3', 'audit.from', inputs.from),
    col('col-6 col-md-3', 'audit.to', inputs.to),
    el('div', { class: 'col-6 col-md-3 d-flex gap-2' },
      el('button', { type: 'submit', class: 'btn btn-primary flex-fill', id: 'audit-search' }, icon('magnifying-glass', 'me-1'), t('common.search')),
      resetBtn));

  const table = el('table', { class: 'table table-hover align-middle w-100', id: 'audit-table' },
    el('thead', {}, el('tr', {},
      el('th', { class: 'dt-toggle-col', attrs: { 'aria-label': t('audit.detail') } }),
      el('th', { text: t('audit.time') }),
      el('th', { text: t('audit.user') }),
      el('th', { text: t('audit.ip') }),
      el('th', { text: t('audit.action') }),
      el('th', { text: t('audit.object') }),
      el('th', { text: t('audit.result') }))));

  root.appendChild(card({ title: t('audit.list_title'), body: el('div', {}, filters, table) }));

  const params = () => {
    const p = {
      q: inputs.q.value.trim(),
      user: inputs.user.value.trim(),
      action: inputs.action.value.trim(),
      result: inputs.result.value,
    };
    if (inputs.from.value) p.from = dayStart(inputs.from.value);
    if (inputs.to.value) p.to = dayEnd(inputs.to.value);
    return p;
  };

  const dt = serverTable(table, {
    path: '/audit',
    get,
    params,
    search: false,
    pageLength: 20,
    columns: [
      {
        data: null,
        className: 'dt-toggle-col',
        render: nodeCell(() => el('button', {
          type: 'button', class: 'btn btn-sm btn-link p-0 audit-toggle',
          title: t('audit.show_detail'),
          attrs: { 'aria-label': t('audit.show_detail'), 'aria-expanded': 'false' },
        }, icon('chevron-right', 'fa-fw'))),
      },
      { data: 'ts', render: textCell((e) => fmtTime(e.ts)), className: 'text-nowrap' },
      { data: 'username', render: textCell((e) => e.username || (e.user_id ? `#${e.user_id}` : '—')) },
      { data: 'ip' },
      { data: 'action', render: nodeCell((e) => el('code', { text: e.action || '' })) },
      { data: 'object_type', render: textCell((e) => [e.object_type, e.object_id].filter((x) => x !== null && x !== undefined && x !== '').join(' #')) },
      { data: 'result', render: nodeCell(resultBadge) },
    ],
  });

  table.addEventListener('click', (ev) => {
    if (ev.target.closest('.audit-child')) return; // inside an open detail
    const tr = ev.target.closest('tbody > tr');
    if (!tr) return;
    const row = dt.row(tr);
    if (!row || !row.data()) return;
    const btn = tr.querySelector('.audit-toggle');
    if (row.child.isShown()) {
      row.child.hide();
      tr.classList.remove('shown');
      if (btn) btn.setAttribute('aria-expanded', 'false');
    } else {
      row.child(detailNode(row.data()), 'audit-child').show();
      tr.classList.add('shown');
      if (btn) btn.setAttribute('aria-expanded', 'true');
    }
  });

  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    dt.ajax.reload(null, true);
  });
  filters.addEventListener('reset', () => {
    setTimeout(() => dt.ajax.reload(null, true), 0);
  });

  return () => dt.destroy();
}
