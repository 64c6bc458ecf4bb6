// Schema-driven forms for CMDB resources (GET /api/v1/schema): one control
// per field type, the two-list picker for sets of rows (as AdminSet's dual
// listbox), a tags input, and the add/edit dialog that POSTs a new row or
// PATCHes only the fields that changed. Errors of the API with a `field`
// appear beside that field (ui.js modal()).

import { t } from './i18n.js';
import { get, post, patch } from './api.js';
import { el, icon, modal, toast, fieldError } from './ui.js';
import { loadSchema, label, oneName, refOptions, refName, enumText } from './cmdb.js';

let uid = 0;
const nextId = (name) => `cf-${name}-${++uid}`;

/** A labelled field wrapper; errors land in its .invalid-feedback. */
export function fieldWrap(name, labelText, control, { required, help, forId, wide } = {}) {
  return el('div', { class: wide ? 'col-12' : 'col-md-6' },
    el('div', { class: 'mb-3', dataset: { field: name } },
      el('label', { class: `form-label${required ? ' required' : ''}`, attrs: { for: forId || control.id || null }, text: labelText }),
      control,
      el('div', { class: 'invalid-feedback' }),
      help ? el('div', { class: 'form-text', text: help }) : null));
}

/* ------------------------------------------------------------- tags input */

/** Tags as removable chips; Enter, comma or blur adds the typed tag. */
export function tagsInput({ name, value = [], max = 32 }) {
  let tags = [...value];
  const input = el('input', {
    type: 'text', id: nextId(name), class: 'cmdb-tags-input', name, autocomplete: 'off',
    placeholder: t('res.tags_placeholder'), maxLength: 64,
  });
  const box = el('div', { class: 'form-control cmdb-tags d-flex flex-wrap align-items-center gap-1', dataset: { role: 'tags' } });
  function draw() {
    box.querySelectorAll('.cmdb-tag').forEach((c) => c.remove());
    tags.forEach((tag, i) => {
      box.insertBefore(el('span', { class: 'badge text-bg-info cmdb-tag d-inline-flex align-items-center', dataset: { tag } },
        el('span', { text: tag }),
        el('button', {
          type: 'button', class: 'btn-close btn-close-white ms-1', title: t('common.delete'),
          attrs: { 'aria-label': `${t('common.delete')} ${tag}` },
          on: { click: () => { tags.splice(i, 1); draw(); input.focus(); } },
        })), input);
    });
  }
  function addTyped() {
    const parts = input.value.split(/[,，;；]/).map((s) => s.trim()).filter(Boolean);
    for (const p of parts) if (!tags.includes(p) && tags.length < max) tags.push(p);
    input.value = '';
    draw();
  }
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' || ev.key === ',') {
      ev.preventDefault();
      addTyped();
    } else if (ev.key === 'Backspace' && !input.value && tags.length) {
      tags.pop();
      draw();
    }
  });
  input.addEventListener('blur', addTyped);
  box.addEventListener('click', (ev) => { if (ev.target === box) input.focus(); });
  box.appendChild(input);
  draw();
  return { node: box, input, get: () => { addTyped(); return [...tags]; }, set: (v) => { tags = [...v]; draw(); } };
}

/* ------------------------------------------------------- two-list picker */

/**
 * Two lists: available rows of `resName` on the left (searched on the
 * server, at most 200 shown), the chosen ones on the right; move with the
 * buttons or a double-click. `chosen` = [{id, text}]. get() -> ids.
 */
export function dualList({ name, resName, chosen = [] }) {
  const picked = new Map(chosen.map((c) => [Number(c.id), c.text]));
  const ids = { search: nextId(`${name}-search`), avail: nextId(`${name}-available`), chosen: nextId(`${name}-chosen`) };
  const search = el('input', { type: 'search', class: 'form-control form-control-sm mb-1', id: ids.search, placeholder: t('res.picker_search'), dataset: { role: 'search' }, attrs: { 'aria-label': t('res.picker_search') } });
  const avail = el('select', { class: 'form-select cmdb-dual-list', id: ids.avail, multiple: true, size: 10, dataset: { role: 'available' }, attrs: { 'aria-label': t('res.picker_available') } });
  const filter = el('input', { type: 'search', class: 'form-control form-control-sm mb-1', placeholder: t('res.picker_filter'), dataset: { role: 'filter' }, attrs: { 'aria-label': t('res.picker_filter') } });
  const chosenSel = el('select', { class: 'form-select cmdb-dual-list', id: ids.chosen, multiple: true, size: 10, dataset: { role: 'chosen' }, attrs: { 'aria-label': t('res.picker_chosen') } });
  const availInfo = el('div', { class: 'form-text mt-1', dataset: { role: 'available-info' } });
  const chosenCount = el('span', { class: 'badge text-bg-primary ms-1', dataset: { role: 'chosen-count' }, text: '0' });
  const btn = (iconName, key, role) => el('button', {
    type: 'button', class: 'btn btn-outline-secondary btn-sm', title: t(key), dataset: { role },
    attrs: { 'aria-label': t(key) },
  }, icon(iconName, 'fa-fw'));
  const bAdd = btn('angle-right', 'res.picker_add', 'add');
  const bAddAll = btn('angles-right', 'res.picker_add_all', 'add-all');
  const bRemove = btn('angle-left', 'res.picker_remove', 'remove');
  const bRemoveAll = btn('angles-left', 'res.picker_remove_all', 'remove-all');
  let lastRows = [];
  let total = 0;
  let seq = 0;

  function drawChosen() {
    const want = filter.value.trim().toLowerCase();
    chosenSel.replaceChildren(...[...picked.entries()]
      .filter(([, text]) => !want || text.toLowerCase().includes(want))
      .sort((a, b) => a[1].localeCompare(b[1]))
      .map(([id, text]) => el('option', { value: String(id), text })));
    chosenCount.textContent = String(picked.size);
  }
  function drawAvail() {
    const rows = lastRows.filter((r) => !picked.has(r.id));
    avail.replaceChildren(...rows.map((r) => el('option', { value: String(r.id), text: r.text })));
    availInfo.textContent = total > lastRows.length
      ? t('res.picker_more', { shown: lastRows.length, total })
      : t('res.picker_count', { n: rows.length });
  }
  async function load() {
    const my = ++seq;
    const schema = await loadSchema();
    const refRes = schema[resName];
    let res;
    try {
      const params = { per_page: 200, q: search.value.trim() };
      if (refRes && refRes.display) params.sort = refRes.display;
      res = await get(`/${resName}`, params, { quiet: true });
    } catch (e) {
      if (my !== seq) return;
      availInfo.textContent = e.localized || e.message;
      return;
    }
    if (my !== seq) return;
    total = Number(res.total || 0);
    lastRows = (res.items || []).map((r) => ({ id: r.id, text: pickerText(refRes, r) }));
    drawAvail();
    avail.dataset.loaded = String(my);
  }
  function move(from, toChosen, all = false) {
    const opts = [...from.options].filter((o) => all || o.selected);
    for (const o of opts) {
      const id = Number(o.value);
      if (toChosen) picked.set(id, o.textContent);
      else picked.delete(id);
    }
    drawChosen();
    drawAvail();
  }
  bAdd.addEventListener('click', () => move(avail, true));
  bAddAll.addEventListener('click', () => move(avail, true, true));
  bRemove.addEventListener('click', () => move(chosenSel, false));
  bRemoveAll.addEventListener('click', () => move(chosenSel, false, true));
  avail.addEventListener('dblclick', (ev) => { if (ev.target.tagName === 'OPTION') move(avail, true); });
  chosenSel.addEventListener('dblclick', (ev) => { if (ev.target.tagName === 'OPTION') move(chosenSel, false); });
  filter.addEventListener('input', drawChosen);
  filter.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') ev.preventDefault(); });
  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  search.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); clearTimeout(timer); load(); } });

  const node = el('div', { class: `row g-2 align-items-center cmdb-dual${resName === 'hosts' ? '' : ' cmdb-dual-sm'}`, dataset: { role: 'dual', name } },
    el('div', { class: 'col' },
      el('div', { class: 'small fw-semibold mb-1', text: t('res.picker_available') }),
      search, avail, availInfo),
    el('div', { class: 'col-auto d-flex flex-column gap-1' }, bAdd, bAddAll, bRemove, bRemoveAll),
    el('div', { class: 'col' },
      el('div', { class: 'small fw-semibold mb-1' }, t('res.picker_chosen'), chosenCount),
      filter, chosenSel,
      el('div', { class: 'form-text mt-1', text: t('res.picker_hint') })));
  drawChosen();
  load();
  return { node, focusId: ids.search, get: () => [...picked.keys()] };
}

function pickerText(refRes, r) {
  const name = refName(refRes, r);
  return refRes && refRes.name === 'hosts' && r.ip ? `${name} (${r.ip})` : name;
}

/* ------------------------------------------------------------- controls */

const WIDE = new Set(['note', 'refs', 'backrefs', 'tags']);

function optionList(opts, current, { empty = true, emptyText } = {}) {
  const cur = current === null || current === undefined ? '' : String(current);
  const list = [];
  if (empty) list.push(el('option', { value: '', text: emptyText || t('res.none') }));
  let found = cur === '';
  for (const o of opts) {
    if (o.value === cur) found = true;
    list.push(el('option', { value: o.value, text: o.text, selected: o.value === cur, dataset: o.idc ? { idc: o.idc } : undefined }));
  }
  return { list, found };
}

/* The empty choice of a select: codes and enums left empty on a new row
   take the server's default. */
function emptyText(f, row) {
  if (f.required) return t('res.choose');
  return !row && (f.type === 'code' || f.type === 'enum') ? t('res.default') : t('res.none');
}

/*
 * One control for field `f` with the row's value. Returns
 * { node (wrapped, with label), get() -> JSON value, orig, secret? }.
 */
async function control(f, row) {
  const v = row ? row[f.name] : undefined;
  const id = nextId(f.name);
  const base = { name: f.name, id };
  const req = !!f.required;
  const lbl = label(f);
  const wrap = (c, opts = {}) => fieldWrap(f.name, lbl, c, { required: req, wide: WIDE.has(f.type), ...opts });
  const str = (x) => (x === null || x === undefined ? '' : String(x));

  switch (f.type) {
    case 'note': {
      const c = el('textarea', { ...base, class: 'form-control', rows: 3, maxLength: f.max || null, value: str(v) });
      return { node: wrap(c), get: () => c.value.trim(), orig: str(v).trim() };
    }
    case 'int': {
      const c = el('input', {
        ...base, type: 'number', class: 'form-control', step: 1, value: str(v),
        min: f.min !== undefined ? f.min : null, max: f.max ? f.max : null,
      });
      return {
        node: wrap(c),
        orig: v === undefined ? null : v,
        get: () => {
          const s = c.value.trim();
          if (s === '') {
            if (c.validity && c.validity.badInput) throw fieldError(f.name, t('form.number'));
            return null;
          }
          const n = Number(s);
          if (!Number.isInteger(n)) throw fieldError(f.name, t('form.number'));
          return n;
        },
      };
    }
    case 'decimal': {
      const c = el('input', { ...base, type: 'text', class: 'form-control', value: str(v), attrs: { inputmode: 'decimal' } });
      return {
        node: wrap(c),
        orig: v === undefined ? null : v,
        get: () => {
          const s = c.value.trim();
          if (s === '') return null;
          if (!/^-?\d+(\.\d+)?$/.test(s)) throw fieldError(f.name, t('form.number'));
          return s;
        },
      };
    }
    case 'date': {
      const c = el('input', { ...base, type: 'date', class: 'form-control', value: str(v) });
      return { node: wrap(c), orig: v === undefined ? null : v, get: () => c.value || null };
    }
    case 'ref':
    case 'code': {
      const opts = await refOptions(f);
      const c = el('select', { ...base, class: 'form-select' });
      let help = null;
      if (opts === null) {
        // Not allowed to list the referenced rows: keep the current one.
        const shown = row && row._display && row._display[f.name];
        c.append(el('option', { value: str(v), text: v ? str(shown || v) : t('res.none') }));
        c.disabled = true;
        help = t('res.ref_unavailable');
      } else {
        // a cabinet is named with its IDC (names repeat across IDCs)
        const cabIdc = (x) => (f.ref === 'cabinets' && x.row._display ? x.row._display.idc_id : null);
        const o = optionList(opts.map((x) => ({
          ...x,
          text: cabIdc(x) ? `${x.text} · ${cabIdc(x)}` : x.text,
          idc: f.ref === 'cabinets' ? str(x.row.idc_id) : null,
        })), v, { emptyText: emptyText(f, row) });
        c.append(...o.list);
        if (!o.found) c.append(el('option', { value: str(v), selected: true, text: str((row._display && row._display[f.name]) || v) }));
      }
      const get = () => {
        if (c.disabled) return v === undefined ? null : v;
        if (c.value === '') return null;
        return f.type === 'ref' ? Number(c.value) : c.value;
      };
      return { node: wrap(c, { help }), orig: v === undefined ? null : v, get, select: c };
    }
    case 'enum': {
      const c = el('select', { ...base, class: 'form-select' });
      const o = optionList((f.values || []).map((x) => ({ value: x, text: enumText(x) })), v, { empty: !row || !f.required, emptyText: emptyText(f, row) });
      c.append(...o.list);
      return { node: wrap(c), orig: v === undefined ? null : v, get: () => c.value || null };
    }
    case 'refs':
    case 'backrefs': {
      const names = (row && row._display && row._display[f.name]) || [];
      const chosen = (v || []).map((x, i) => ({ id: x, text: names[i] !== undefined ? String(names[i]) : `#${x}` }));
      const d = dualList({ name: f.name, resName: f.ref, chosen });
      const norm = (a) => JSON.stringify([...(a || [])].map(Number).sort((x, y) => x - y));
      return {
        node: wrap(d.node, { forId: d.focusId }),
        orig: v === undefined ? [] : v,
        get: () => d.get(),
        same: (a, b) => norm(a) === norm(b),
      };
    }
    case 'tags': {
      const ti = tagsInput({ name: f.name, value: Array.isArray(v) ? v : [] });
      return {
        node: wrap(ti.node, { forId: ti.input.id, help: t('res.tags_help') }),
        orig: Array.isArray(v) ? v : [],
        get: () => ti.get(),
      };
    }
    case 'secret': {
      const isSet = !!(row && row[`${f.name}_set`]);
      const big = f.max > 2000;
      const c = big
        ? el('textarea', { ...base, class: 'form-control font-monospace', rows: 4, maxLength: f.max || null, attrs: { spellcheck: 'false' } })
        : el('input', { ...base, type: 'password', class: 'form-control', maxLength: f.max || null, autocomplete: 'new-password' });
      if (isSet) c.placeholder = '••••••••';
      const clear = isSet ? el('input', { type: 'checkbox', class: 'form-check-input', id: nextId(`${f.name}-clear`), name: `${f.name}_clear` }) : null;
      const node = wrap(c, { help: isSet ? t('res.secret_keep') : null, wide: big });
      if (clear) {
        node.querySelector('.mb-3').append(el('div', { class: 'form-check mt-1' }, clear,
          el('label', { class: 'form-check-label small', attrs: { for: clear.id }, text: t('res.secret_clear') })));
        clear.addEventListener('change', () => { c.disabled = clear.checked; });
      }
      return {
        node,
        secret: true,
        // undefined = unchanged (not sent), null = clear, string = new value
        get: () => {
          if (clear && clear.checked) return null;
          return c.value === '' ? undefined : c.value;
        },
      };
    }
    default: {
      const type = { email: 'email', url: 'url' }[f.type] || 'text';
      const c = el('input', { ...base, type, class: 'form-control', value: str(v), maxLength: f.max || null, autocomplete: 'off' });
      let help = null;
      let node;
      if (f.type === 'ips') help = t('res.help_ips');
      if (f.type === 'icon') {
        help = t('res.help_icon');
        const preview = el('span', { class: 'input-group-text cmdb-icon-preview' });
        const drawPreview = () => {
          preview.replaceChildren(/^[a-z0-9 -]{1,64}$/.test(c.value) && /\bfa-/.test(c.value)
            ? el('i', { class: `${c.value} fa-fw`, attrs: { 'aria-hidden': 'true' } }) : icon('question', 'fa-fw text-body-tertiary'));
        };
        c.addEventListener('input', drawPreview);
        drawPreview();
        node = wrap(el('div', { class: 'input-group has-validation' }, preview, c), { forId: id, help });
      }
      if (f.type === 'url') c.placeholder = 'https://';
      return { node: node || wrap(c, { help }), orig: str(v).trim(), get: () => c.value.trim() };
    }
  }
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const isEmpty = (x) => x === null || x === undefined || x === '' || (Array.isArray(x) && !x.length);

/**
 * Build the form of resource `res` for `row` (null = new). Returns
 * { node, collect() -> body (throws fieldError) }. `only` limits the fields.
 */
export async function resourceForm(res, row, { only } = {}) {
  const fields = res.fields.filter((f) => !f.readonly && (!only || only.includes(f.name)));
  const controls = await Promise.all(fields.map((f) => control(f, row)));
  const byName = new Map(fields.map((f, i) => [f.name, controls[i]]));
  linkCabinetToIdc(byName);
  const node = el('div', { class: 'row' }, controls.map((c) => c.node));
  return {
    node,
    hasRequired: fields.some((f) => f.required),
    collect() {
      const body = {};
      fields.forEach((f, i) => {
        const c = controls[i];
        const val = c.get();
        if (c.secret) {
          if (val !== undefined) body[f.name] = val;
          return;
        }
        if (f.required && isEmpty(val)) throw fieldError(f.name, t('form.required'));
        if (row) {
          if (!(c.same || same)(val, c.orig)) body[f.name] = val;
        } else if (!isEmpty(val)) {
          body[f.name] = val;
        }
      });
      return body;
    },
  };
}

/* In the host form a cabinet belongs to the chosen IDC: offer only those. */
function linkCabinetToIdc(byName) {
  const idc = byName.get('idc_id');
  const cab = byName.get('cabinet_id');
  if (!idc || !cab || !idc.select || !cab.select) return;
  const sync = () => {
    const want = idc.select.value;
    for (const o of cab.select.options) {
      if (!o.value || !o.dataset.idc) continue;
      o.hidden = !!want && o.dataset.idc !== want;
    }
    const cur = cab.select.selectedOptions[0];
    if (cur && cur.hidden) cab.select.value = '';
  };
  idc.select.addEventListener('change', sync);
  sync();
}

/**
 * The add/edit dialog of a row of `res`. onSaved(row) after a save.
 * Modal id: `<object>-modal` (host-modal, group-modal …).
 */
export async function resourceDialog({ res, row, onSaved, only }) {
  const editing = !!(row && row.id);
  // Edit what is stored now, not the list's copy of a while ago.
  if (editing) row = await get(`/${res.name}/${row.id}`);
  const form = await resourceForm(res, editing ? row : null, { only });
  const resName = oneName(res);
  const rowName = editing ? String(row[res.display] ?? `#${row.id}`) : '';
  const many = res.fields.filter((f) => !f.readonly).length;
  return modal({
    id: `${res.object.replace(/_/g, '-')}-modal`,
    size: many > 12 ? 'modal-xl' : 'modal-lg',
    title: editing ? t('res.edit_title', { what: resName, name: rowName }) : t('res.add_title', { what: resName }),
    body: el('div', {}, form.node, form.hasRequired ? el('p', { class: 'small text-body-secondary mb-0' },
      el('span', { class: 'text-danger', text: '* ' }), t('res.required_note')) : null),
    submitText: editing ? t('common.save') : t('common.create'),
    onSubmit: async () => {
      const body = form.collect();
      if (editing && !Object.keys(body).length) {
        toast(t('res.unchanged'), 'info');
        return true;
      }
      const saved = editing
        ? await patch(`/${res.name}/${row.id}`, body, { quiet: true })
        : await post(`/${res.name}`, body, { quiet: true });
      const name = (saved && saved[res.display]) || rowName;
      toast(t(editing ? 'res.saved' : 'res.created', { what: resName, name }), 'success');
      if (onSaved) await onSaved(saved);
      return true;
    },
  });
}

