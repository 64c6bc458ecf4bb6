// Library (#/library): scripts, playbooks and roles (GET /api/v1/library),
// one tab each. The editor (a dialog) edits a script's interpreter and text,
// a playbook's text, or a role's files as a list of path + content. Saving
// changed content makes a new version with a message (PUT); the history
// lists every version (author, date, message), shows an old one read-only
// and restores it — as a new version, so nothing is ever lost. Reading
// needs tasks:view, changing tasks:edit.
//
// Items can also come from a git repository ("Import from git": URL, ref,
// path, kind, optional credential — the credential needs apps:admin). Such
// an item shows its source and the commit of each version, and has a Sync
// button (POST /library/{id}/sync: a new version only when the content
// changed). Its content is read-only here: "Detach from git" turns it into
// an ordinary item (PUT detach: true), after which it is edited as usual.

import { t, fmtTime } from '../i18n.js';
import { get, post, put, del, can } from '../api.js';
import { el, icon, clear, badge, card, modal, field, toast, confirmDialog, serverTable, textCell, nodeCell, actionButton, fieldError } from '../ui.js';

const KINDS = [
  { id: 'script', label: 'lib.scripts', one: 'lib.kind_script', icon: 'file-code' },
  { id: 'playbook', label: 'lib.playbooks', one: 'lib.kind_playbook', icon: 'book' },
  { id: 'role', label: 'lib.roles', one: 'lib.kind_role', icon: 'cubes' },
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
  const importBtn = canEdit ? el('button', { type: 'button', class: 'btn btn-sm btn-outline-primary ms-2', id: 'lib-import' }, icon('code-branch', 'me-1'), t('lib.git_import')) : null;
  const table = el('table', { class: 'table table-hover align-middle w-100', id: 'lib-table' },
    el('thead', {}, el('tr', {}, ['lib.name', 'lib.description', 'lib.interpreter', 'lib.version', 'lib.updated', 'common.actions'].map((k) => el('th', { text: t(k) })))));
  root.appendChild(card({ title: t('lib.title'), tools: [newBtn, importBtn].filter(Boolean), body: el('div', {}, tabs, table) }));

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
      {
        data: 'name',
        sort: 'name',
        render: nodeCell((it) => el('span', {},
          el('a', { href: '#', class: 'fw-semibold font-monospace lib-open', dataset: { id: String(it.id) }, text: it.name }),
          it.source === 'git' ? el('span', { class: 'badge text-bg-light border ms-2 lib-git-badge', title: it.source_url }, icon('code-branch', 'me-1'), 'git') : null), (it) => it.name),
      },
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
          canEdit && it.source === 'git' ? actionButton({ iconName: 'rotate', label: t('lib.git_sync'), role: 'sync', onClick: () => sync(it) }) : null,
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
  if (importBtn) importBtn.addEventListener('click', () => openImport());

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
    const fromGit = item && item.source === 'git';
    const contentReadOnly = readOnly || fromGit;
    const name = el('input', { type: 'text', name: 'name', value: item ? item.name : '', maxLength: 100, disabled: readOnly, id: 'lib-name', class: 'font-monospace' });
    const desc = el('input', { type: 'text', name: 'description', value: item ? item.description : '', maxLength: 255, disabled: readOnly, id: 'lib-description' });
    const interp = el('select', { name: 'interpreter', disabled: readOnly, id: 'lib-interpreter' },
      INTERPRETERS.map((i) => el('option', { value: i, text: i, selected: item ? item.interpreter === i : i === 'bash' })));
    let content;
    let contentNode;
    if (k === 'role') {
      const fe = filesEditor(item ? roleFiles(item.content) : [['tasks/main.yml', '- name: example\n  ansible.builtin.debug:\n    msg: hello\n']], contentReadOnly);
      contentNode = el('div', { class: 'mb-3', dataset: { field: 'content' } },
        el('div', { class: 'form-label', text: t('lib.files') }), fe.node, el('div', { class: 'invalid-feedback' }));
      content = fe.read;
    } else {
      const ta = el('textarea', {
        name: 'content', id: 'lib-content', rows: 18, spellcheck: false, readOnly: contentReadOnly,
        class: 'form-control font-monospace lib-code',
        value: item ? item.content : (k === 'script' ? '#!/bin/sh\nset -eu\n' : '- hosts: all\n  tasks:\n    - name: ping\n      ansible.builtin.ping:\n'),
      });
      ta.addEventListener('keydown', (ev) => { // Tab indents instead of leaving the editor
        if (ev.key === 'Tab' && !ev.shiftKey && !ev.ctrlKey && !ev.altKey && !contentReadOnly) {
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
      fromGit ? gitPanel(item, readOnly) : null,
      el('div', { class: 'row' },
        el('div', { class: 'col-md-4' }, field('lib.name', name, { required: true, help: t('lib.name_help') })),
        el('div', { class: k === 'script' ? 'col-md-5' : 'col-md-8' }, field('lib.description', desc)),
        k === 'script' ? el('div', { class: 'col-md-3' }, field('lib.interpreter', interp)) : null),
      contentNode,
      contentReadOnly ? null : field('lib.message', message, { help: item ? t('lib.message_help', { v: item.version + 1 }) : null }));
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
        const b = { name: name.value.trim(), description: desc.value };
        if (!fromGit) b.content = content(); // a git item's content changes only by a sync
        if (!b.name) throw fieldError('name', t('form.required'));
        if (k === 'script') b.interpreter = interp.value;
        if (message.value.trim() && !fromGit) b.message = message.value.trim();
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
      el('td', { class: 'font-monospace small lib-commit', title: v.commit || '', text: v.commit ? v.commit.slice(0, 7) : '—' }),
      el('td', { class: 'text-nowrap' },
        el('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary lib-version-view', dataset: { version: String(v.version) } }, icon('eye', 'me-1'), t('lib.view')))));
    const tableEl = el('table', { class: 'table table-sm align-middle', id: 'lib-versions' },
      el('thead', {}, el('tr', {}, ['lib.version', 'lib.author', 'lib.date', 'lib.message', 'lib.git_commit', ''].map((k) => el('th', { text: k ? t(k) : '' })))),
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
      const restore = canEdit && v !== item.version && item.source !== 'git'
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

  /* ---------------- git */
  function hideThen(id, fn) {
    const m = document.getElementById(id);
    const inst = m && window.bootstrap.Modal.getInstance(m);
    if (!inst) {
      fn();
      return;
    }
    m.addEventListener('hidden.bs.modal', fn, { once: true });
    inst.hide();
  }

  /* The source of a git item, with Sync and Detach (editors only). */
  function gitPanel(item, readOnly) {
    const rows = [
      ['url', 'lib.git_url', item.source_url],
      ['ref', 'lib.git_ref', item.source_ref || t('lib.git_default_branch')],
      ['path', 'lib.git_path', item.source_path || t('lib.git_top')],
      ['commit', 'lib.git_commit', item.source_commit ? item.source_commit.slice(0, 12) : '—'],
      ['synced', 'lib.git_synced', item.synced_at ? fmtTime(item.synced_at) : '—'],
    ];
    if (item.source_host_key) rows.push(['host_key', 'lib.git_host_key', item.source_host_key]);
    const syncBtn = readOnly ? null : el('button', { type: 'button', class: 'btn btn-sm btn-primary', id: 'lib-git-sync' }, icon('rotate', 'me-1'), t('lib.git_sync'));
    const detachBtn = readOnly ? null : el('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', id: 'lib-git-detach' }, icon('link-slash', 'me-1'), t('lib.git_detach'));
    const box = el('div', { class: 'alert alert-info py-2', id: 'lib-git-source' },
      el('div', { class: 'd-flex align-items-center gap-2 mb-2' }, icon('code-branch'), el('strong', { text: t('lib.git_follows') }),
        el('span', { class: 'ms-auto d-flex gap-2' }, syncBtn, detachBtn)),
      el('dl', { class: 'row mb-1 small' }, rows.flatMap(([k, label, v]) => [
        el('dt', { class: 'col-sm-3', text: t(label) }),
        el('dd', { class: 'col-sm-9 mb-1 font-monospace text-break', dataset: { key: k }, text: v })])),
      el('div', { class: 'small', text: t('lib.git_readonly') }));
    if (syncBtn) {
      syncBtn.addEventListener('click', async () => {
        syncBtn.disabled = true;
        const r = await sync(item);
        syncBtn.disabled = false;
        if (r && r.changed) hideThen('lib-editor', () => openEditor(item.id));
      });
    }
    if (detachBtn) {
      detachBtn.addEventListener('click', async () => {
        const ok = await confirmDialog({ title: t('lib.git_detach'), message: t('lib.git_detach_confirm', { url: item.source_url }), confirmText: t('lib.git_detach') });
        if (!ok) return;
        try {
          await put(`/library/${item.id}`, { detach: true });
        } catch {
          return;
        }
        toast(t('lib.git_detached', { name: item.name }), 'success');
        dt.ajax.reload(null, false);
        hideThen('lib-editor', () => openEditor(item.id));
      });
    }
    return box;
  }

  /* Sync a git item; the answer, or null when it failed (toasted). When
   * the ssh server shows another host key, ask before accepting it. */
  async function sync(it, hostKey) {
    let r;
    try {
      r = await post(`/library/${it.id}/sync`, hostKey ? { host_key: hostKey } : {}, { quiet: true });
    } catch (e) {
      const key = e.code === 'git_host_key' && !hostKey ? (/SHA256:[A-Za-z0-9+/]{43}/.exec(e.message) || [])[0] : null;
      if (key && await confirmDialog({ title: t('lib.git_host_key_changed'), message: t('lib.git_host_key_confirm', { key }), confirmText: t('lib.git_host_key_accept') })) {
        return sync(it, key);
      }
      if (!key) toast(e.localized || e.message, 'danger');
      return null;
    }
    const commit = r.commit.slice(0, 7);
    toast(r.changed ? t('lib.git_synced_new', { v: r.version, commit }) : t('lib.git_unchanged', { commit }), r.changed ? 'success' : 'info');
    dt.ajax.reload(null, false);
    return r;
  }

  function openImport() {
    const canCred = can('apps:admin');
    const url = el('input', { type: 'text', name: 'url', id: 'lib-git-url', class: 'font-monospace', maxLength: 1024, placeholder: 'https://git.example.com/ops/playbooks.git' });
    const ref = el('input', { type: 'text', name: 'ref', id: 'lib-git-ref', class: 'font-monospace', maxLength: 200, placeholder: t('lib.git_default_branch') });
    const pathIn = el('input', { type: 'text', name: 'path', id: 'lib-git-path', class: 'font-monospace', maxLength: 400 });
    const kindSel = el('select', { name: 'kind', id: 'lib-git-kind' }, KINDS.map((k) => el('option', { value: k.id, text: t(k.one), selected: k.id === kind })));
    const name = el('input', { type: 'text', name: 'name', id: 'lib-git-name', class: 'font-monospace', maxLength: 100, placeholder: t('lib.git_name_placeholder') });
    const interp = el('select', { name: 'interpreter', id: 'lib-git-interpreter' }, INTERPRETERS.map((i) => el('option', { value: i, text: i, selected: i === 'sh' })));
    const cred = el('select', { name: 'credential_id', id: 'lib-git-credential', disabled: !canCred }, el('option', { value: '', text: t('lib.git_no_credential') }));
    const pathField = field('lib.git_path', pathIn, { help: ' ' });
    const interpField = field('lib.interpreter', interp);
    function onKind() {
      const role = kindSel.value === 'role';
      pathField.querySelector('.form-text').textContent = t(role ? 'lib.git_path_help_role' : 'lib.git_path_help_file');
      pathField.querySelector('label').classList.toggle('required', !role);
      interpField.classList.toggle('d-none', kindSel.value !== 'script');
    }
    kindSel.addEventListener('change', onKind);
    onKind();
    if (canCred) {
      get('/credentials', { per_page: 200 }, { quiet: true }).then((r) => {
        for (const c of r.items) cred.appendChild(el('option', { value: String(c.id), text: `${c.name} (${c.username})` }));
      }).catch(() => { /* the picker stays at "none" */ });
    }
    const body = el('div', {},
      field('lib.git_url', url, { required: true, help: t('lib.git_url_help') }),
      el('div', { class: 'row' },
        el('div', { class: 'col-md-4' }, field('lib.git_kind', kindSel)),
        el('div', { class: 'col-md-8' }, field('lib.git_ref', ref))),
      pathField,
      el('div', { class: 'row' },
        el('div', { class: 'col-md-8' }, field('lib.name', name, { help: t('lib.name_help') })),
        el('div', { class: 'col-md-4' }, interpField)),
      field('lib.git_credential', cred, { help: t(canCred ? 'lib.git_credential_help' : 'lib.git_credential_denied') }));
    modal({
      id: 'lib-import-dialog',
      title: t('lib.git_import_title'),
      body,
      size: 'modal-lg',
      submitText: t('lib.git_import_submit'),
      onSubmit: async () => {
        const b = { url: url.value.trim(), kind: kindSel.value, path: pathIn.value.trim().replace(/^\/+|\/+$/g, '') };
        if (!b.url) throw fieldError('url', t('form.required'));
        if (!b.path && b.kind !== 'role') throw fieldError('path', t('form.required'));
        if (ref.value.trim()) b.ref = ref.value.trim();
        if (name.value.trim()) b.name = name.value.trim();
        if (b.kind === 'script') b.interpreter = interp.value;
        if (cred.value) b.credential_id = Number(cred.value);
        const r = await post('/library/import', b, { quiet: true });
        toast(t('lib.git_imported', { ref: r.ref, commit: r.commit.slice(0, 7) }), 'success');
        if (b.kind !== kind) {
          kind = b.kind;
          markTabs();
          dt.column(2).visible(kind === 'script');
        }
        dt.ajax.reload(null, false);
      },
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
