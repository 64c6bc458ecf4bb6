// DOM helpers shared by the pages: element builder (text only, never HTML
// from data), Bootstrap toasts and modals, confirmation dialog, field errors,
// and the DataTables server-side table over our list API.
// Bootstrap (window.bootstrap) and DataTables (window.DataTable) are loaded by
// classic <script> tags before the modules run.

import { t } from './i18n.js';

/**
 * Build an element. `props`: class, text, html is NOT supported on purpose;
 * attrs (object), dataset (object), on (object of event -> handler), and any
 * other key is set as a property (id, type, name, value, checked, disabled…).
 * Children: nodes, strings (inserted as text), arrays, null/false (skipped).
 */
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = String(v);
    else if (k === 'attrs') for (const [a, av] of Object.entries(v)) { if (av !== null && av !== undefined && av !== false) e.setAttribute(a, av === true ? '' : String(av)); }
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k === 'style') e.setAttribute('style', v);
    else e[k] = v;
  }
  append(e, children);
  return e;
}

function append(parent, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else if (c instanceof Node) parent.appendChild(c);
    else parent.appendChild(document.createTextNode(String(c)));
  }
}

/** Font Awesome icon: icon('user') -> <i class="fa-solid fa-user">. */
export function icon(name, extra = '') {
  const style = name.startsWith('fa-') ? '' : 'fa-solid ';
  const cls = name.startsWith('fa-') ? name : `fa-${name}`;
  return el('i', { class: `${style}${cls} ${extra}`.trim(), attrs: { 'aria-hidden': 'true' } });
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function badge(text, color = 'secondary') {
  return el('span', { class: `badge text-bg-${color}`, text });
}

/* ---------------------------------------------------------------- toasts */

function toastContainer() {
  let c = document.getElementById('toasts');
  if (!c) {
    c = el('div', { id: 'toasts', class: 'toast-container position-fixed bottom-0 end-0 p-3' });
    document.body.appendChild(c);
  }
  return c;
}

/** Show a Bootstrap toast. type: success | danger | warning | info. */
export function toast(message, type = 'info', title = null) {
  const icons = { success: 'circle-check', danger: 'circle-exclamation', warning: 'triangle-exclamation', info: 'circle-info' };
  const tEl = el('div', {
    class: `toast align-items-center text-bg-${type} border-0`,
    attrs: { role: type === 'danger' ? 'alert' : 'status', 'aria-live': type === 'danger' ? 'assertive' : 'polite', 'aria-atomic': 'true', 'data-toast-type': type },
  },
  el('div', { class: 'd-flex' },
    el('div', { class: 'toast-body' },
      icon(icons[type] || 'circle-info', 'me-2'),
      title ? el('strong', { class: 'me-1', text: title }) : null,
      el('span', { class: 'toast-message', text: message })),
    el('button', { type: 'button', class: 'btn-close btn-close-white me-2 m-auto', attrs: { 'data-bs-dismiss': 'toast', 'aria-label': t('common.close') } })));
  toastContainer().appendChild(tEl);
  const inst = new window.bootstrap.Toast(tEl, { delay: type === 'danger' ? 8000 : 4000 });
  tEl.addEventListener('hidden.bs.toast', () => tEl.remove());
  inst.show();
  return tEl;
}

/* ---------------------------------------------------------------- modals */

/**
 * Create and show a Bootstrap modal. `body` is a node; if `onSubmit` is
 * given the whole content is a <form> and the primary button submits it.
 * onSubmit(form) may return a promise; the modal closes when it resolves to
 * anything but `false` and stays open when it throws or returns false.
 * Returns { el, form, close, bs }.
 */
export function modal({ id, title, body, size = '', submitText, submitClass = 'btn-primary', cancelText, onSubmit, footer = true, onHidden, staticBackdrop = false }) {
  const titleId = `${id || 'modal'}-title`;
  const submitBtn = onSubmit ? el('button', { type: 'submit', class: `btn ${submitClass}`, dataset: { role: 'submit' } },
    el('span', { class: 'spinner-border spinner-border-sm me-1 d-none', attrs: { 'aria-hidden': 'true' } }),
    el('span', { text: submitText || t('common.save') })) : null;
  const footerEl = footer ? el('div', { class: 'modal-footer' },
    el('button', { type: 'button', class: 'btn btn-secondary', attrs: { 'data-bs-dismiss': 'modal' }, text: cancelText || (onSubmit ? t('common.cancel') : t('common.close')) }),
    submitBtn) : null;
  const inner = [
    el('div', { class: 'modal-header' },
      el('h5', { class: 'modal-title', id: titleId, text: title }),
      el('button', { type: 'button', class: 'btn-close', attrs: { 'data-bs-dismiss': 'modal', 'aria-label': t('common.close') } })),
    el('div', { class: 'modal-body' }, body),
    footerEl,
  ];
  const form = onSubmit ? el('form', { attrs: { novalidate: true, autocomplete: 'off' } }, inner) : null;
  const content = el('div', { class: 'modal-content' }, form || inner);
  const m = el('div', {
    class: 'modal fade', id: id || null, tabIndex: -1,
    attrs: { 'aria-labelledby': titleId, 'aria-hidden': 'true', 'data-bs-backdrop': staticBackdrop ? 'static' : null },
  }, el('div', { class: `modal-dialog modal-dialog-scrollable ${size}`.trim() }, content));
  document.body.appendChild(m);
  const bs = new window.bootstrap.Modal(m);
  let busy = false;
  if (form) {
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (busy) return;
      busy = true;
      submitBtn.disabled = true;
      submitBtn.firstChild.classList.remove('d-none');
      clearFieldErrors(form);
      try {
        const r = await onSubmit(form);
        if (r !== false) bs.hide();
      } catch (e) {
        if (e && e.status !== undefined) formError(form, e);
        else console.error(e);
      } finally {
        busy = false;
        submitBtn.disabled = false;
        submitBtn.firstChild.classList.add('d-none');
      }
    });
  }
  m.addEventListener('shown.bs.modal', () => {
    m.dataset.shown = '1'; // fully open (transition over): tests wait for this
    const first = m.querySelector('input:not([type=hidden]):not([disabled]):not([readonly]), select:not([disabled]), textarea:not([disabled])');
    if (first) first.focus();
  });
  m.addEventListener('hide.bs.modal', () => { delete m.dataset.shown; });
  m.addEventListener('hidden.bs.modal', () => {
    bs.dispose();
    m.remove();
    if (onHidden) onHidden();
  });
  bs.show();
  return { el: m, form, bs, close: () => bs.hide() };
}

/** Ask for confirmation in a modal; resolves true (confirmed) or false. */
export function confirmDialog({ title, message, confirmText, danger = true, extra = null }) {
  return new Promise((resolve) => {
    let ok = false;
    modal({
      id: 'confirm-modal',
      title: title || t('common.confirm'),
      body: el('div', {}, el('p', { class: extra ? 'mb-3' : 'mb-0', text: message }), extra),
      submitText: confirmText || t('common.ok'),
      submitClass: danger ? 'btn-danger' : 'btn-primary',
      onSubmit: () => { ok = true; },
      onHidden: () => resolve(ok),
    });
  });
}

/** A modal that shows a secret (generated password, API token) once. */
export function secretDialog({ id, title, intro, value, warning }) {
  const input = el('input', { type: 'text', class: 'form-control font-monospace', readOnly: true, value, id: `${id}-value`, attrs: { 'aria-label': title } });
  const copyBtn = el('button', { type: 'button', class: 'btn btn-outline-primary', dataset: { role: 'copy' } }, icon('copy', 'me-1'), el('span', { text: t('common.copy') }));
  copyBtn.addEventListener('click', async () => {
    const okCopy = await copyText(value, input);
    toast(okCopy ? t('common.copied') : t('common.copy_failed'), okCopy ? 'success' : 'warning');
  });
  return modal({
    id,
    title,
    staticBackdrop: true,
    body: el('div', {},
      intro ? el('p', { text: intro }) : null,
      el('div', { class: 'input-group mb-2 secret-box' }, input, copyBtn),
      el('div', { class: 'alert alert-warning mb-0 py-2' }, icon('triangle-exclamation', 'me-2'), el('span', { text: warning || t('common.shown_once') }))),
  });
}

/** Copy to the clipboard; falls back to selecting the input and execCommand. */
export async function copyText(text, input) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall through */ }
  try {
    if (input) {
      input.focus();
      input.select();
    }
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

/* ---------------------------------------------------------------- forms */

/**
 * A labelled form field (Bootstrap). `input` is the control; the feedback
 * element next to it receives the server's error for that field.
 */
export function field(labelKey, input, { help, required, label } = {}) {
  const labelText = label || t(labelKey);
  if (!input.id) input.id = `f-${input.name}-${Math.random().toString(36).slice(2, 8)}`;
  const isCheck = input.type === 'checkbox';
  if (isCheck) {
    input.classList.add('form-check-input');
    return el('div', { class: 'mb-3 form-check form-switch', dataset: { field: input.name } },
      input,
      el('label', { class: 'form-check-label', attrs: { for: input.id }, text: labelText }),
      el('div', { class: 'invalid-feedback' }),
      help ? el('div', { class: 'form-text', text: help }) : null);
  }
  if (!input.classList.contains('form-select') && !input.classList.contains('form-control')) {
    input.classList.add(input.tagName === 'SELECT' ? 'form-select' : 'form-control');
  }
  return el('div', { class: 'mb-3', dataset: { field: input.name } },
    el('label', { class: `form-label${required ? ' required' : ''}`, attrs: { for: input.id }, text: labelText }),
    input,
    el('div', { class: 'invalid-feedback' }),
    help ? el('div', { class: 'form-text', text: help }) : null);
}

export function clearFieldErrors(form) {
  form.querySelectorAll('.is-invalid').forEach((e) => e.classList.remove('is-invalid'));
  form.querySelectorAll('.invalid-feedback').forEach((e) => { e.textContent = ''; });
  const g = form.querySelector('.form-error');
  if (g) g.remove();
}

/** Mark field `name` of `form` invalid with `message`; false when absent. */
export function showFieldError(form, name, message) {
  const wrap = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
  if (!wrap) return false;
  const controls = wrap.querySelectorAll('input, select, textarea');
  controls.forEach((c) => c.classList.add('is-invalid'));
  const fb = wrap.querySelector('.invalid-feedback');
  if (fb) {
    fb.textContent = message;
    fb.classList.add('d-block');
  }
  if (controls[0]) controls[0].focus();
  return true;
}

/** An error to throw from a form's onSubmit for a client-side check. */
export function fieldError(name, message) {
  return { status: 0, field: name, message };
}

/** An API error on a form: beside its field when the form has it, else a toast. */
export function formError(form, err) {
  if (err && err.field && showFieldError(form, err.field, err.localized || err.message)) {
    err.handled = true;
    return;
  }
  if (err && !err.toasted) {
    err.toasted = true;
    toast(err.localized || err.message || String(err), 'danger');
  }
  if (err) err.handled = true;
}

/* ---------------------------------------------------------------- tables */

/** DataTables language strings from our dictionary. */
export function dtLanguage() {
  return {
    emptyTable: t('table.empty'),
    zeroRecords: t('table.no_match'),
    info: t('table.info'),
    infoEmpty: t('table.info_empty'),
    infoFiltered: '',
    lengthMenu: t('table.length_menu'),
    loadingRecords: t('common.loading'),
    processing: t('common.loading'),
    search: t('table.search'),
    searchPlaceholder: t('table.search_placeholder'),
    entries: { _: t('table.entries'), 1: t('table.entry') },
    paginate: { first: '\u00AB', last: '\u00BB', next: '\u203A', previous: '\u2039' },
    aria: {
      orderable: t('table.aria_orderable'),
      orderableRemove: t('table.aria_orderable_remove'),
      orderableReverse: t('table.aria_orderable_reverse'),
      paginate: { first: t('table.first'), last: t('table.last'), next: t('table.next'), number: '', previous: t('table.previous') },
    },
  };
}

/** Cell renderer: text of the value (for display a text node, never HTML). */
export function textCell(fn) {
  return (v, type, row) => {
    const val = fn ? fn(row) : v;
    if (type !== 'display') return val === null || val === undefined ? '' : val;
    return document.createTextNode(val === null || val === undefined ? '' : String(val));
  };
}

/** Cell renderer returning a DOM node built by fn(row) for display. */
export function nodeCell(fn, sortVal) {
  return (v, type, row) => (type === 'display' ? fn(row) : (sortVal ? sortVal(row) : (v ?? '')));
}

/**
 * A DataTables table in server-side mode over a list endpoint answering
 * {"items":[…],"total":N}. Columns: DataTables column options plus
 * `sort` (API sort field; columns without it are not orderable).
 * `params()` adds filters to every request; `search: false` hides the box.
 */
export function serverTable(table, { path, columns, params, order, pageLength = 20, search = true, get, onError }) {
  const DataTable = window.DataTable;
  DataTable.ext.errMode = 'none';
  const cols = columns.map((c) => ({
    defaultContent: '',
    orderable: !!c.sort,
    render: c.render || textCell(),
    ...c,
  }));
  const dt = new DataTable(table, {
    serverSide: true,
    processing: true,
    searchDelay: 300,
    pageLength,
    lengthMenu: [10, 20, 50, 100],
    ordering: cols.some((c) => c.orderable),
    order: order || [],
    autoWidth: false,
    language: dtLanguage(),
    layout: {
      topStart: 'pageLength',
      topEnd: search ? 'search' : null,
      bottomStart: 'info',
      bottomEnd: 'paging',
    },
    columns: cols,
    ajax: (data, callback) => {
      const q = {
        page: Math.floor((data.start || 0) / (data.length || pageLength)) + 1,
        per_page: data.length || pageLength,
        ...(params ? params() : {}),
      };
      if (data.search && data.search.value) q.q = data.search.value;
      if (data.order && data.order.length) {
        const o = data.order[0];
        const c = cols[o.column];
        if (c && c.sort) q.sort = (o.dir === 'desc' ? '-' : '') + c.sort;
      }
      get(path, q).then((res) => {
        const items = Array.isArray(res) ? res : (res && res.items) || [];
        const total = Array.isArray(res) ? res.length : (res && Number(res.total)) || 0;
        callback({ draw: data.draw, recordsTotal: total, recordsFiltered: total, data: items });
      }).catch((e) => {
        if (onError) onError(e);
        callback({ draw: data.draw, recordsTotal: 0, recordsFiltered: 0, data: [] });
      });
    },
  });
  return dt;
}

/** A small row-action button (icon + accessible label). */
export function actionButton({ iconName, label, color = 'outline-secondary', onClick, role }) {
  return el('button', {
    type: 'button',
    class: `btn btn-sm btn-${color} me-1`,
    title: label,
    attrs: { 'aria-label': label },
    dataset: role ? { action: role } : undefined,
    on: { click: (ev) => { ev.preventDefault(); ev.stopPropagation(); onClick(ev); } },
  }, icon(iconName));
}

/** A page card with header (title + tool buttons) and body. */
export function card({ title, tools = [], body, bodyClass = '' }) {
  return el('div', { class: 'card card-outline card-primary mb-4' },
    el('div', { class: 'card-header' },
      el('h3', { class: 'card-title', text: title }),
      el('div', { class: 'card-tools' }, tools)),
    el('div', { class: `card-body ${bodyClass}`.trim() }, body));
}
