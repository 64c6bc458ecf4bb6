// Library (#/library): scripts, playbooks and roles (GET /api/v1/library),
// one tab each. The editor (a dialog) edits a script's interpreter and text,
// a playbook's text, or a role's files as a list of path + content. Saving
// changed content makes a new version with a message (PUT); the history
// lists every version (author, date, message), shows an old one read-only
// and restores it — as a new version, so nothing is ever lost. Reading
// needs tasks:view, changing tasks:edit.

import { t, fmtTime } from '../i18n.js';
import { get, post, put, del, can } from '../api.js';
import { el, icon, clear, badge, card, modal, field, toast, confirmDialog, serverTable, textCell, nodeCell, actionButton, fieldError } from '../ui.js';

const KINDS = [
  { id: 'script', label: 'lib.scripts', icon: 'file-code' },
  { id: 'playbook', label: 'lib.playbooks', icon: 'book' },
  { id: 'role', label: 'lib.roles', icon: 'cubes' },
];
const INTERPRETERS = ['sh', 'bash', 'python3', 'perl'];

/* A role's content (JSON of files) as [[path, text], …]. */
function roleFiles(content) {
  try {
    const o = JSON.parse(content || '{}');
    if (o && typeof o === 'object' && !Array.isArray(o)) return Object.entries(o).map(([k, v]) => [k, String(v)]);
  } catch { /* shown as one file */ }
  return [['tasks/main.yml', String(content || '')]];
}

/* The files of a role, editable: rows of path + content. */
function filesEditor(files, readOnly) {
  const list = el('div', { class: 'lib-files', id: 'lib-files' });
  function row(path = '', text = '') {
    const p = el('input', { type: 'text', class: 'form-control form-control-sm font-monospace lib-file-path', value: path, placeholder: 'tasks/main.yml', disabled: readOnly, attrs: { 'aria-label': t('lib.file_path') } });
    const c = el('textarea', { class: 'form-control font-monospace lib-code lib-file-content', rows: 8, spellcheck: false, value: text, readOnly, attrs: { 'aria-label': t('lib.file_content') } });
    const r = el('div', { class: 'card mb-2 lib-file' },
      el('div', { class: 'card-header py-1 px-2 d-flex gap-2 align-items-center' },
        icon('file-lines', 'text-body-secondary'), p,
        readOnly ? null : el('button', {
          type: 'button', class: 'btn btn-sm btn-outline-danger lib-file-remove', title: t('lib.remove_file'), attrs: { 'aria-label': t('lib.remove_file') },
          on: { click: () => r.remove() },
        }, icon('trash'))),
      el('div', { class: 'card-body p-1' }, c));
    return r;
  }
  for (const [p, c] of files) list.appendChild(row(p, c));
  const add = readOnly ? null : el('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', id: 'lib-add-file', on: { click: () => { const r = row(); list.appendChild(r); r.querySelector('input').focus(); } } },
    icon('plus', 'me-1'), t('lib.add_file'));
  const node = el('div', {}, list, add);
  function read() {
    const out = {};
    for (const r of list.querySelectorAll('.lib-file')) {
      const path = r.querySelector('.lib-file-path').value.trim();
      const text = r.querySelector('.lib-file-content').value;
      if (!path) throw fieldError('content', t('lib.file_path_required'));
      if (!/^[A-Za-z0-9_./-]+$/.test(path) || path.startsWith('/') || path.includes('..')) throw fieldError('content', t('lib.file_path_bad', { path }));
      if (path in out) throw fieldError('content', t('lib.file_path_twice', { path }));
      out[path] = text;
    }
    if (!Object.keys(out).length) throw fieldError('content', t('lib.role_needs_file'));
    return JSON.stringify(out);
  }
  return { node, read };
}

/* Read-only view of a content (script text, or a role's files). */
function contentView(kind, content) {
  if (kind === 'role') {
    return el('div', { class: 'lib-version-files' }, roleFiles(content).map(([p, c]) => el('div', { class: 'mb-2' },
      el('div', { class: 'small fw-semibold font-monospace', text: p }),
      el('pre', { class: 'lib-pre mb-0', text: c }))));
  }
  return el('pre', { class: 'lib-pre mb-0', id: 'lib-version-content', text: content });
}

export async function mount(root, { signal }) {
  const canEdit = can('tasks:edit');
  let kind = 'script';

  const tabs = el('ul', { class: 'nav nav-tabs mb-3', id: 'lib-tabs', attrs: { role: 'tablist' } },
    KINDS.map((k) => el('li', { class: 'nav-item', attrs: { role: 'presentation' } },
      el('button', { type: 'button', class: 'nav-link', dataset: { kind: k.id }, id: `lib-tab-${k.id}`, attrs: { role: 'tab' } }, icon(k.icon, 'me-1'), t(k.label)))));
  const newBtn = canEdit ? el('button', { type: 'button', class: 'btn btn-sm btn-primary', id: 'lib-new' }, icon('plus', 'me-1'), t('lib.new')) : null;
  const table = el('table', { class: 'table table-hover align-middle w-100', id: 'lib-table' },
    el('thead', {}, el('tr', {}, ['lib.name', 'lib.description', 'lib.interpreter', 'lib.version', 'lib.updated', 'common.actions'].map((k) => el('th', { text: t(k) })))));
  root.appendChild(card({ title: t('lib.title'), tools: newBtn, body: el('div', {}, tabs, table) }));

  function markTabs() {
    tabs.querySelectorAll('button[data-kind]').forEach((b) => {
      const on = b.dataset.kind === kind;
      b.classList.toggle('active', on);
      b.setAttribute('aria-selected', String(on));
    });
  }
  markTabs();

  const dt = serverTable(table, {
    path: '/library',
    get,
    params: () => ({ kind }),
    order: [[0, 'asc']],
    columns: [
      { data: 'name', sort: 'name', render: nodeCell((it) => el('a', { href: '#', class: 'fw-semibold font-monospace lib-open', dataset: { id: String(it.id) }, text: it.name }), (it) => it.name) },
      { data: 'description' },
      { data: 'interpreter', render: textCell((it) => (it.kind === 'script' ? it.interpreter || 'sh' : '—')) },
      { data: 'version', render: nodeCell((it) => badge(`v${it.version}`, 'light border text-body')) },
      { data: 'updated_at', sort: 'updated_at', className: 'text-nowrap', render: textCell((it) => fmtTime(it.updated_at)) },
      {
        data: null,
        className: 'text-nowrap',
        render: nodeCell((it) => el('span', {},
          actionButton({ iconName: canEdit ? 'pen' : 'eye', label: canEdit ? t('common.edit') : t('lib.view'), role: 'edit', onClick: () => openEditor(it.id) }),
          actionButton({ iconName: 'clock-rotate-left', label: t('lib.history'), role: 'history', onClick: () => openHistory(it.id) }),
          canEdit ? actionButton({ iconName: 'trash', label: t('common.delete'), color: 'outline-danger', role: 'delete', onClick: () => remove(it) }) : null)),
      },
    ],
  });
  table.addEventListener('click', (ev) => {
    const a = ev.target.closest('a.lib-open');
    if (a) {
      ev.preventDefault();
      openEditor(Number(a.dataset.id));
    }
  });
  tabs.addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-kind]');
    if (!b || b.dataset.kind === kind) return;
    kind = b.dataset.kind;
    markTabs();
    dt.column(2).visible(kind === 'script');
    dt.ajax.reload(null, true);
  });
  if (newBtn) newBtn.addEventListener('click', () => openEditor(null));

  /* ---------------- editor */
  async function openEditor(id) {
    let item = null;
    if (id) {
      try {
        item = await get(`/library/${id}`);
      } catch {
        return;
      }
    }
    const k = item ? item.kind : kind;
    const readOnly = !canEdit;
    const name = el('input', { type: 'text', name: 'name', value: item ? item.name : '', maxLength: 100, disabled: readOnly, id: 'lib-name', class: 'font-monospace' });
    const desc = el('input', { type: 'text', name: 'description', value: item ? item.description : '', maxLength: 255, disabled: readOnly, id: 'lib-description' });
    const interp = el('select', { name: 'interpreter', disabled: readOnly, id: 'lib-interpreter' },
      INTERPRETERS.map((i) => el('option', { value: i, text: i, selected: item ? item.interpreter === i : i === 'bash' })));
    let content;
    let contentNode;
    if (k === 'role') {
      const fe = filesEditor(item ? roleFiles(item.content) : [['tasks/main.yml', '- name: example\n  ansible.builtin.debug:\n    msg: hello\n']], readOnly);
      contentNode = el('div', { class: 'mb-3', dataset: { field: 'content' } },
        el('div', { class: 'form-label', text: t('lib.files') }), fe.node, el('div', { class: 'invalid-feedback' }));
      content = fe.read;
    } else {
      const ta = el('textarea', {
        name: 'content', id: 'lib-content', rows: 18, spellcheck: false, readOnly,
        class: 'form-control font-monospace lib-code',
        value: item ? item.content : (k === 'script' ? '#!/bin/sh\nset -eu\n' : '- hosts: all\n  tasks:\n    - name: ping\n      ansible.builtin.ping:\n'),
      });
      ta.addEventListener('keydown', (ev) => { // Tab indents instead of leaving the editor
        if (ev.key === 'Tab' && !ev.shiftKey && !ev.ctrlKey && !ev.altKey && !readOnly) {
          ev.preventDefault();
          ta.setRangeText('  ', ta.selectionStart, ta.selectionEnd, 'end');
        }
      });
      contentNode = field(null, ta, { label: k === 'script' ? t('lib.script_text') : t('lib.playbook_text') });
      content = () => {
        if (!ta.value.trim()) throw fieldError('content', t('form.required'));
        return ta.value;
      };
    }
    const message = el('input', { type: 'text', name: 'message', maxLength: 255, id: 'lib-message', placeholder: item ? t('lib.message_placeholder') : t('lib.message_created') });
    const body = el('div', {},
      el('div', { class: 'row' },
        el('div', { class: 'col-md-4' }, field('lib.name', name, { required: true, help: t('lib.name_help') })),
        el('div', { class: k === 'script' ? 'col-md-5' : 'col-md-8' }, field('lib.description', desc)),
        k === 'script' ? el('div', { class: 'col-md-3' }, field('lib.interpreter', interp)) : null),
      contentNode,
      readOnly ? null : field('lib.message', message, { help: item ? t('lib.message_help', { v: item.version + 1 }) : null }));
    const titleText = item ? t('lib.edit_title', { name: item.name, v: item.version }) : t(`lib.new_${k}`);
    if (readOnly) {
      modal({ id: 'lib-editor', title: titleText, body, size: 'modal-xl' });
      return;
    }
    modal({
      id: 'lib-editor',
      title: titleText,
      body,
      size: 'modal-xl',
      submitText: t('common.save'),
      onSubmit: async () => {
        const b = {
          name: name.value.trim(), description: desc.value, content: content(),
        };
        if (!b.name) throw fieldError('name', t('form.required'));
        if (k === 'script') b.interpreter = interp.value;
        if (message.value.trim()) b.message = message.value.trim();
        if (item) {
          const r = await put(`/library/${item.id}`, b, { quiet: true });
          toast(r.version !== item.version ? t('lib.saved_version', { v: r.version }) : t('lib.saved'), 'success');
        } else {
          await post('/library', { kind: k, ...b }, { quiet: true });
          toast(t('lib.created'), 'success');
        }
        dt.ajax.reload(null, false);
      },
    });
  }

  /* ---------------- history */
  async function openHistory(id) {
    let item;
    try {
      item = await get(`/library/${id}`);
    } catch {
      return;
    }
    const viewer = el('div', { class: 'mt-3 d-none', id: 'lib-version-view' });
    const rows = item.versions.map((v) => el('tr', { dataset: { version: String(v.version) } },
      el('td', {}, badge(`v${v.version}`, v.version === item.version ? 'primary' : 'light border text-body')),
      el('td', { text: v.author || '—' }),
      el('td', { class: 'text-nowrap', text: fmtTime(v.created_at) }),
      el('td', { text: v.message || '' }),
      el('td', { class: 'text-nowrap' },
        el('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary lib-version-view', dataset: { version: String(v.version) } }, icon('eye', 'me-1'), t('lib.view')))));
    const tableEl = el('table', { class: 'table table-sm align-middle', id: 'lib-versions' },
      el('thead', {}, el('tr', {}, ['lib.version', 'lib.author', 'lib.date', 'lib.message', ''].map((k) => el('th', { text: k ? t(k) : '' })))),
      el('tbody', {}, rows));
    const m = modal({ id: 'lib-history', title: t('lib.history_title', { name: item.name }), size: 'modal-xl', body: el('div', {}, tableEl, viewer) });
    tableEl.addEventListener('click', async (ev) => {
      const b = ev.target.closest('button.lib-version-view');
      if (!b) return;
      const v = Number(b.dataset.version);
      let ver;
      try {
        ver = await get(`/library/${item.id}/versions/${v}`);
      } catch {
        return;
      }
      tableEl.querySelectorAll('tbody tr').forEach((tr) => tr.classList.toggle('table-active', Number(tr.dataset.version) === v));
      const restore = canEdit && v !== item.version
        ? el('button', { type: 'button', class: 'btn btn-sm btn-warning', id: 'lib-restore' }, icon('clock-rotate-left', 'me-1'), t('lib.restore', { v }))
        : null;
      clear(viewer).append(
        el('div', { class: 'd-flex align-items-center gap-2 mb-2' },
          el('h6', { class: 'mb-0', text: t('lib.version_readonly', { v, author: ver.author || '—', date: fmtTime(ver.created_at) }) }),
          el('span', { class: 'ms-auto' }, restore)),
        contentView(item.kind, ver.content));
      viewer.classList.remove('d-none');
      viewer.dataset.version = String(v);
      if (restore) {
        restore.addEventListener('click', async () => {
          restore.disabled = true;
          try {
            const r = await put(`/library/${item.id}`, { content: ver.content, message: t('lib.restored_message', { v }) });
            toast(t('lib.restored', { v, nv: r.version }), 'success');
            m.close();
            dt.ajax.reload(null, false);
          } catch {
            restore.disabled = false;
          }
        });
      }
    });
  }

  async function remove(it) {
    const ok = await confirmDialog({ title: t('common.delete'), message: t('lib.delete_confirm', { name: it.name }), confirmText: t('common.delete') });
    if (!ok) return;
    try {
      await del(`/library/${it.id}`);
      toast(t('lib.deleted', { name: it.name }), 'success');
      dt.ajax.reload(null, false);
    } catch { /* toasted (409 while a task uses it) */ }
  }

  if (signal.aborted) return undefined;
  return () => dt.destroy();
}
