// The list of a CMDB resource, shared by the host list and the generic
// resource pages: a toolbar (search, filter selects, add, import, export,
// delete the checked rows), a DataTables table in server-side mode over
// GET /api/v1/R (q, page, per_page, sort, filters), a checkbox per row (the
// checked rows survive paging), edit and delete per row.

import { t } from './i18n.js';
import { get, post, del } from './api.js';
import {
  el, icon, card, modal, confirmDialog, toast, nodeCell, dtLanguage, actionButton,
} from './ui.js';
import { label, oneName, fieldOf, exportCsv, importCsv, csvTemplate, saveBlob } from './cmdb.js';

const EXPORT_IDS_MAX = 200; // the list API takes at most 200 ids
const SELECT_MAX = 1000; // bulk-delete takes at most 1000 ids

/** Initial filter values from the hash's query: #/hosts?idc_id=3. */
function hashParams() {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i >= 0 ? location.hash.slice(i + 1) : '');
}

/**
 * opts: res (schema entry), id (DOM id prefix), columns (DataTables columns
 * of the data, each with `sort` = API sort field or nothing), filters
 * ([{param, label, options: [{value, text}]}]), canEdit, onAdd(), onEdit(row),
 * nameOf(row), rowActions(row) (extra buttons), order,
 * pageLength, search (default: the resource has searchable fields).
 * Returns { dt, reload(resetPaging), destroy() }.
 */
export function resourceList(root, opts) {
  const { res, id, canEdit } = opts;
  const nameOf = opts.nameOf || ((r) => String(r[res.display] ?? `#${r.id}`));
  const selected = new Map(); // id -> name
  const initial = hashParams();
  const resLabel = label(res);
  const one = oneName(res);

  /* toolbar: search and filters */
  const searchable = opts.search !== undefined ? opts.search : res.fields.some((f) => f.search);
  const search = searchable ? el('input', {
    type: 'search', class: 'form-control', id: `${id}-search`, value: initial.get('q') || '',
    placeholder: t('res.search_placeholder'), attrs: { 'aria-label': t('common.search') },
  }) : null;
  const filterSelects = (opts.filters || []).map((f) => {
    const s = el('select', {
      class: 'form-select', id: `${id}-filter-${f.param}`, name: f.param,
      title: f.label, attrs: { 'aria-label': f.label },
    },
    el('option', { value: '', text: t('res.filter_all', { what: f.label }) }),
    f.none ? el('option', { value: 'none', text: t('res.filter_none', { what: f.label }) }) : null,
    f.options.map((o) => el('option', { value: o.value, text: o.text })));
    const want = initial.get(f.param);
    if (want && [...s.options].some((o) => o.value === want)) s.value = want;
    return s;
  });
  const resetBtn = el('button', { type: 'button', class: 'btn btn-outline-secondary', id: `${id}-reset`, title: t('common.reset'), attrs: { 'aria-label': t('common.reset') } },
    icon('rotate-left'));
  const filterBar = el('div', { class: 'cmdb-toolbar d-flex flex-wrap gap-2 mb-3', attrs: { role: 'search' } },
    search ? el('div', { class: 'input-group cmdb-search' },
      el('span', { class: 'input-group-text' }, icon('magnifying-glass')), search) : null,
    filterSelects.map((s) => el('div', { class: 'cmdb-filter' }, s)),
    (search || filterSelects.length) ? resetBtn : null);

  /* toolbar: actions */
  const countBadge = el('span', { class: 'badge text-bg-secondary ms-2 fw-normal', id: `${id}-total`, text: '' });
  const selInfo = el('span', { class: 'ms-2 small text-body-secondary d-none', id: `${id}-selection` });
  const clearSel = el('button', { type: 'button', class: 'btn btn-link btn-sm p-0 ms-1 align-baseline', text: t('res.clear_selection') });
  selInfo.append(el('span', { dataset: { role: 'text' } }), clearSel);

  const fileInput = el('input', { type: 'file', class: 'd-none', id: `${id}-import-file`, accept: '.csv,text/csv' });
  const dropItem = (role, iconName, text) => el('li', {},
    el('button', { type: 'button', class: 'dropdown-item', dataset: { role } }, icon(iconName, 'fa-fw me-2'), text));
  const dropdown = (btnId, iconName, text, items, color = 'outline-secondary') => el('div', { class: 'btn-group' },
    el('button', {
      type: 'button', class: `btn btn-sm btn-${color} dropdown-toggle`, id: btnId,
      attrs: { 'data-bs-toggle': 'dropdown', 'aria-expanded': 'false' },
    }, icon(iconName, 'me-1'), text),
    el('ul', { class: 'dropdown-menu dropdown-menu-end' }, items));
  const exportSelItem = dropItem('export-selected', 'square-check', t('res.export_selected'));
  const tools = [
    canEdit ? el('button', { type: 'button', class: 'btn btn-sm btn-primary', id: `${id}-add` }, icon('plus', 'me-1'), t('res.add')) : null,
    canEdit ? dropdown(`${id}-import`, 'file-import', t('res.import'), [
      dropItem('import-file', 'file-csv', t('res.import_file')),
      dropItem('import-template', 'file-arrow-down', t('res.import_template')),
    ]) : null,
    dropdown(`${id}-export`, 'file-export', t('res.export'), [
      dropItem('export-all', 'filter', t('res.export_filtered')),
      exportSelItem,
    ]),
    canEdit ? el('button', { type: 'button', class: 'btn btn-sm btn-outline-danger', id: `${id}-bulk-delete`, disabled: true },
      icon('trash-can', 'me-1'), t('res.delete_selected'), el('span', { class: 'badge text-bg-danger ms-1 d-none', dataset: { role: 'count' } })) : null,
    canEdit ? fileInput : null,
  ].filter(Boolean);

  /* table */
  const selectAll = el('input', {
    type: 'checkbox', class: 'form-check-input', id: `${id}-select-all`,
    title: t('res.select_page'), attrs: { 'aria-label': t('res.select_page') },
  });
  const heads = [
    el('th', { class: 'cmdb-check-col' }, selectAll),
    ...opts.columns.map((c) => el('th', { text: c.title || '' })),
    el('th', { class: 'text-end', text: t('common.actions') }),
  ];
  const table = el('table', { class: 'table table-hover align-middle w-100 cmdb-table', id: `${id}-table` },
    el('thead', {}, el('tr', {}, heads)));

  const state = { now: Math.floor(Date.now() / 1000), lastParams: {} };
  let dt = null;
  const reload = (resetPaging = false) => dt && dt.ajax.reload(null, resetPaging);

  function filterParams() {
    const p = {};
    if (search && search.value.trim()) p.q = search.value.trim();
    filterSelects.forEach((s) => { if (s.value) p[s.name] = s.value; });
    return p;
  }

  function syncSelection() {
    const n = selected.size;
    selInfo.classList.toggle('d-none', n === 0);
    selInfo.querySelector('[data-role=text]').textContent = t('res.selected_n', { n });
    const bulk = root.querySelector(`#${id}-bulk-delete`);
    if (bulk) {
      bulk.disabled = n === 0;
      const b = bulk.querySelector('[data-role=count]');
      b.textContent = String(n);
      b.classList.toggle('d-none', n === 0);
    }
    exportSelItem.querySelector('button').disabled = n === 0;
    const boxes = [...table.querySelectorAll('tbody input[data-role=row-check]')];
    const on = boxes.filter((b) => b.checked).length;
    selectAll.checked = boxes.length > 0 && on === boxes.length;
    selectAll.indeterminate = on > 0 && on < boxes.length;
  }

  const rowCheck = (r) => el('input', {
    type: 'checkbox', class: 'form-check-input', checked: selected.has(r.id),
    value: String(r.id), dataset: { role: 'row-check' },
    attrs: { 'aria-label': t('res.select_row', { name: nameOf(r) }) },
  });

  const actions = (r) => el('span', { class: 'text-nowrap' },
    opts.rowActions ? opts.rowActions(r) : null,
    canEdit ? actionButton({ iconName: 'pen-to-square', label: t('common.edit'), role: 'edit', color: 'outline-primary', onClick: () => opts.onEdit(r) }) : null,
    canEdit ? actionButton({ iconName: 'trash-can', label: t('common.delete'), role: 'delete', color: 'outline-danger', onClick: () => removeOne(r).catch(() => {}) }) : null);

  const columns = [
    { data: null, orderable: false, className: 'cmdb-check-col', render: nodeCell(rowCheck) },
    // type 'string': no type detection (ids are not numbers to right-align)
    ...opts.columns.map((c) => ({ defaultContent: '', type: 'string', ...c, orderable: !!c.sort })),
    {
      data: null, orderable: false, visible: !!(canEdit || opts.rowActions),
      className: 'text-end text-nowrap cmdb-actions-col', render: nodeCell(actions),
    },
  ];

  /* the page (in the document before DataTables wraps the table) */
  const tableCard = card({
    title: opts.title || resLabel,
    tools: el('div', { class: 'd-flex flex-wrap gap-2 justify-content-end' }, tools),
    body: el('div', {}, filterBar, table),
  });
  tableCard.classList.add('cmdb-list', 'cmdb-card');
  tableCard.id = `${id}-card`;
  const titleEl = tableCard.querySelector('.card-title');
  if (opts.titleIcon) titleEl.prepend(icon(opts.titleIcon, 'me-2'));
  titleEl.append(countBadge, selInfo);
  root.appendChild(tableCard);

  dt = new window.DataTable(table, {
    serverSide: true,
    processing: true,
    pageLength: opts.pageLength || 20,
    lengthMenu: [10, 20, 50, 100, 200],
    ordering: true,
    order: opts.order || [],
    autoWidth: false,
    language: dtLanguage(),
    layout: { topStart: null, topEnd: null, bottomStart: ['pageLength', 'info'], bottomEnd: 'paging' },
    columns,
    ajax: (data, callback) => {
      const per = data.length || 20;
      const q = { page: Math.floor((data.start || 0) / per) + 1, per_page: per, ...filterParams() };
      if (data.order && data.order.length) {
        const o = data.order[0];
        const c = columns[o.column];
        if (c && c.sort) q.sort = (o.dir === 'desc' ? '-' : '') + c.sort;
      }
      state.lastParams = q;
      get(`/${res.name}`, q).then((answer) => {
        const total = Number(answer.total) || 0;
        state.now = Number(answer.now) || Math.floor(Date.now() / 1000);
        countBadge.textContent = String(total);
        callback({ draw: data.draw, recordsTotal: total, recordsFiltered: total, data: answer.items || [] });
      }).catch(() => {
        callback({ draw: data.draw, recordsTotal: 0, recordsFiltered: 0, data: [] });
      });
    },
  });
  window.DataTable.ext.errMode = 'none';
  dt.on('draw', () => {
    syncSelection();
    table.dataset.drawn = String((Number(table.dataset.drawn) || 0) + 1);
  });

  /* events */
  table.addEventListener('change', (ev) => {
    const cb = ev.target;
    if (cb === selectAll) {
      table.querySelectorAll('tbody input[data-role=row-check]').forEach((b) => {
        const r = dt.row(b.closest('tr')).data();
        if (!r) return;
        b.checked = selectAll.checked;
        if (b.checked && selected.size < SELECT_MAX) selected.set(r.id, nameOf(r));
        else if (!b.checked) selected.delete(r.id);
      });
    } else if (cb.dataset.role === 'row-check') {
      const r = dt.row(cb.closest('tr')).data();
      if (!r) return;
      if (cb.checked) {
        if (selected.size >= SELECT_MAX) {
          cb.checked = false;
          toast(t('res.select_max', { n: SELECT_MAX }), 'warning');
        } else selected.set(r.id, nameOf(r));
      } else selected.delete(r.id);
    }
    syncSelection();
  });
  clearSel.addEventListener('click', () => {
    selected.clear();
    table.querySelectorAll('tbody input[data-role=row-check]').forEach((b) => { b.checked = false; });
    syncSelection();
  });

  let timer = null;
  if (search) {
    search.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => reload(true), 300);
    });
    search.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') { ev.preventDefault(); clearTimeout(timer); reload(true); }
    });
  }
  filterSelects.forEach((s) => s.addEventListener('change', () => reload(true)));
  resetBtn.addEventListener('click', () => {
    if (search) search.value = '';
    filterSelects.forEach((s) => { s.value = ''; });
    reload(true);
  });

  async function removeOne(r) {
    const ok = await confirmDialog({
      title: t('res.delete_title', { what: one }),
      message: t('res.delete_confirm', { name: nameOf(r) }),
      confirmText: t('common.delete'),
    });
    if (!ok) return;
    await del(`/${res.name}/${r.id}`);
    selected.delete(r.id);
    toast(t('res.deleted', { name: nameOf(r) }), 'success');
    reload();
  }

  async function removeSelected() {
    const names = [...selected.values()];
    const ok = await confirmDialog({
      title: t('res.delete_title', { what: resLabel }),
      message: t('res.bulk_confirm', {
        n: names.length,
        names: names.slice(0, 10).join(', ') + (names.length > 10 ? ', …' : ''),
      }),
      confirmText: t('res.delete_n', { n: names.length }),
    });
    if (!ok) return;
    const answer = await post(`/${res.name}/bulk-delete`, { ids: [...selected.keys()] });
    selected.clear();
    toast(t('res.bulk_deleted', { n: (answer && answer.deleted) || names.length }), 'success');
    reload();
  }

  function exportRows(which) {
    const params = { ...state.lastParams };
    delete params.page;
    delete params.per_page;
    if (which === 'selected') {
      if (selected.size > EXPORT_IDS_MAX) {
        toast(t('res.export_max', { n: EXPORT_IDS_MAX }), 'warning');
        return;
      }
      exportCsv(res.name, { ids: [...selected.keys()].join(','), sort: params.sort }).catch(() => {});
    } else {
      exportCsv(res.name, params).catch(() => {});
    }
  }

  tableCard.addEventListener('click', (ev) => {
    const b = ev.target.closest('[data-role]');
    if (!b || b.disabled) return;
    switch (b.dataset.role) {
      case 'export-all': exportRows('all'); break;
      case 'export-selected': exportRows('selected'); break;
      case 'import-file': fileInput.click(); break;
      case 'import-template': saveBlob(csvTemplate(res), `${res.name}-template.csv`); break;
      default:
    }
  });
  const addBtn = root.querySelector(`#${id}-add`);
  if (addBtn) addBtn.addEventListener('click', () => opts.onAdd());
  const bulkBtn = root.querySelector(`#${id}-bulk-delete`);
  if (bulkBtn) bulkBtn.addEventListener('click', () => removeSelected().catch(() => {}));
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = '';
    if (!file) return;
    let result;
    try {
      result = await importCsv(res.name, file);
    } catch {
      return;
    }
    importResultDialog(res, file.name, result);
    if (result.ok) reload();
  });
  syncSelection();

  return {
    dt,
    state,
    reload,
    selected,
    destroy() {
      clearTimeout(timer);
      dt.destroy();
    },
  };
}

/** What an import did: the counts, or every refused row with its line. */
export function importResultDialog(res, fileName, r) {
  const fieldLabel = (name) => {
    const f = name ? fieldOf(res, name) : null;
    return f ? label(f) : (name || '—');
  };
  const body = r.ok
    ? el('div', { class: 'alert alert-success mb-0', dataset: { result: 'ok' } },
      el('h6', { class: 'alert-heading' }, icon('circle-check', 'me-2'), t('res.import_done', { file: fileName })),
      el('p', { class: 'mb-0' },
        t('res.import_created'), ' ', el('strong', { dataset: { count: 'created' }, text: String(r.created ?? 0) }), ' · ',
        t('res.import_updated'), ' ', el('strong', { dataset: { count: 'updated' }, text: String(r.updated ?? 0) })))
    : el('div', { dataset: { result: 'error' } },
      el('div', { class: 'alert alert-danger' },
        el('h6', { class: 'alert-heading' }, icon('circle-exclamation', 'me-2'), t('res.import_failed', { file: fileName })),
        el('p', { class: 'mb-0', text: r.rows.length ? t('res.import_nothing') : r.message })),
      r.rows.length ? el('div', { class: 'table-responsive cmdb-import-errors' },
        el('table', { class: 'table table-sm table-striped mb-0', id: 'import-errors' },
          el('thead', {}, el('tr', {},
            el('th', { class: 'text-nowrap', text: t('res.import_line') }),
            el('th', { text: t('res.import_field') }),
            el('th', { text: t('res.import_message') }))),
          el('tbody', {}, r.rows.map((e) => el('tr', { dataset: { line: String(e.line) } },
            el('td', { class: 'text-nowrap', text: String(e.line) }),
            el('td', { text: fieldLabel(e.field) }),
            el('td', { text: e.message || '' })))))) : null);
  return modal({ id: 'import-result-modal', title: t('res.import_title', { what: label(res) }), body, size: r.ok ? '' : 'modal-lg' });
}
