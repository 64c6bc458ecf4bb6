// Roles: list (GET /api/v1/roles), add/edit in a modal with the permission
// matrix (modules x actions -> ["assets:view", …]) and the host-group scope
// (GET /api/v1/groups; none selected = all groups), delete with confirmation.

import { t, has } from '../i18n.js';
import { get, post, patch, del } from '../api.js';
import {
  el, icon, badge, card, modal, field, confirmDialog, serverTable,
  nodeCell, actionButton, toast, fieldError,
} from '../ui.js';

const DEFAULT_MODULES = ['assets', 'apps', 'tasks', 'delivery', 'monitor', 'users', 'settings', 'audit'];
const DEFAULT_ACTIONS = ['view', 'edit', 'execute', 'admin'];

function label(prefix, key) {
  return has(`${prefix}.${key}`) ? t(`${prefix}.${key}`) : key;
}

async function loadCatalog() {
  let modules = DEFAULT_MODULES;
  let actions = DEFAULT_ACTIONS;
  try {
    const p = await get('/permissions', null, { quiet: true });
    if (p && Array.isArray(p.modules) && p.modules.length) modules = p.modules;
    if (p && Array.isArray(p.actions) && p.actions.length) actions = p.actions;
  } catch { /* the documented lists */ }
  let groups = [];
  let groupsError = false;
  try {
    const g = await get('/groups', { per_page: 200 }, { quiet: true });
    groups = Array.isArray(g) ? g : (g && g.items) || [];
  } catch {
    groupsError = true; // e.g. no assets:view: the scope cannot be listed
  }
  return { modules, actions, groups, groupsError };
}

/** Permission matrix: one row per module, one checkbox per action. */
function permissionMatrix(modules, actions, selected) {
  const held = new Set(selected || []);
  const boxes = [];
  const tbody = el('tbody', {}, modules.map((m) => el('tr', { dataset: { module: m } },
    el('th', { scope: 'row', class: 'fw-normal', text: label('module', m) }),
    actions.map((a) => {
      const id = `perm-${m}-${a}`;
      const cb = el('input', {
        type: 'checkbox', class: 'form-check-input', id, name: 'permissions', value: `${m}:${a}`,
        checked: held.has(`${m}:${a}`),
        dataset: { module: m, action: a },
        attrs: { 'aria-label': `${label('module', m)} – ${label('action', a)}` },
      });
      boxes.push(cb);
      return el('td', { class: 'text-center' }, cb);
    }))));
  // Implications, as the server applies them: admin -> all, edit/execute -> view.
  tbody.addEventListener('change', (ev) => {
    const cb = ev.target;
    if (!cb.matches('input[type=checkbox]')) return;
    const row = boxes.filter((b) => b.dataset.module === cb.dataset.module);
    const find = (a) => row.find((b) => b.dataset.action === a);
    if (cb.checked) {
      if (cb.dataset.action === 'admin') row.forEach((b) => { b.checked = true; });
      if ((cb.dataset.action === 'edit' || cb.dataset.action === 'execute') && find('view')) find('view').checked = true;
    } else if (cb.dataset.action !== 'admin' && find('admin')) {
      find('admin').checked = false;
      if (cb.dataset.action === 'view') row.forEach((b) => { if (b.dataset.action !== 'admin') b.checked = false; });
    }
  });
  const tableEl = el('table', { class: 'table table-sm table-bordered table-hover perm-matrix mb-0', id: 'perm-matrix' },
    el('thead', { class: 'table-light' }, el('tr', {},
      el('th', { scope: 'col', text: t('roles.module') }),
      actions.map((a) => el('th', { scope: 'col', class: 'text-center', text: label('action', a) })))),
    tbody);
  return {
    node: el('div', { class: 'mb-3', dataset: { field: 'permissions' } },
      el('label', { class: 'form-label', text: t('roles.permissions') }),
      el('div', { class: 'table-responsive' }, tableEl),
      el('div', { class: 'invalid-feedback' }),
      el('div', { class: 'form-text', text: t('roles.permissions_help') })),
    value: () => boxes.filter((b) => b.checked).map((b) => b.value),
  };
}

function roleDialog({ role, catalog, onSaved }) {
  const editing = !!role;
  const r = role || { permissions: [], group_ids: [] };
  const name = el('input', { type: 'text', name: 'name', value: r.name || '', maxLength: 64, required: true });
  const description = el('textarea', { name: 'description', rows: 2, value: r.description || '', maxLength: 512 });
  const matrix = permissionMatrix(catalog.modules, catalog.actions, r.permissions);
  const chosen = new Set(r.group_ids || []);
  const groups = el('select', {
    name: 'group_ids', multiple: true, size: Math.min(6, Math.max(3, catalog.groups.length)),
    // nothing to choose from: only the explanation below is shown
    class: catalog.groups.length ? 'form-select' : 'form-select d-none',
    disabled: catalog.groups.length === 0,
  }, catalog.groups.map((g) => el('option', { value: String(g.id), text: g.name, selected: chosen.has(g.id), title: g.description || '' })));
  let groupHelp = t('roles.groups_help');
  if (catalog.groupsError) groupHelp = `${t('roles.groups_unavailable')} ${groupHelp}`;
  else if (!catalog.groups.length) groupHelp = `${t('roles.groups_none')} ${groupHelp}`;

  modal({
    id: 'role-modal',
    size: 'modal-lg',
    title: editing ? t('roles.edit_title', { name: r.name }) : t('roles.add_title'),
    body: el('div', {},
      el('div', { class: 'row' },
        el('div', { class: 'col-md-5' }, field('roles.name', name, { required: true })),
        el('div', { class: 'col-md-7' }, field('roles.description', description))),
      matrix.node,
      field('roles.groups', groups, { help: groupHelp })),
    submitText: editing ? t('common.save') : t('common.create'),
    onSubmit: async () => {
      const body = {
        name: name.value.trim(),
        description: description.value.trim(),
        permissions: matrix.value(),
        // keep a scope we could not list (no assets:view) as it was
        group_ids: catalog.groupsError ? (r.group_ids || []) : [...groups.selectedOptions].map((o) => Number(o.value)),
      };
      if (!body.name) throw fieldError('name', t('form.required'));
      if (editing) {
        await patch(`/roles/${r.id}`, body, { quiet: true });
        toast(t('roles.saved', { name: body.name }), 'success');
      } else {
        await post('/roles', body, { quiet: true });
        toast(t('roles.created', { name: body.name }), 'success');
      }
      onSaved();
    },
  });
}

/** Compact view of a role's permissions: one badge per module. */
function permissionBadges(perms, modules) {
  const byModule = new Map();
  for (const p of perms || []) {
    const [m, a] = String(p).split(':');
    if (!byModule.has(m)) byModule.set(m, []);
    byModule.get(m).push(a);
  }
  const order = (m) => { const i = modules.indexOf(m); return i < 0 ? 99 : i; };
  const mods = [...byModule.keys()].sort((a, b) => order(a) - order(b));
  if (!mods.length) return el('span', { class: 'text-body-secondary', text: t('roles.no_permissions') });
  return el('span', { class: 'd-inline-flex flex-wrap gap-1' }, mods.map((m) => {
    const acts = byModule.get(m);
    const txt = acts.includes('admin')
      ? `${label('module', m)}: ${label('action', 'admin')}`
      : `${label('module', m)}: ${acts.map((a) => label('action', a)).join(' / ')}`;
    return badge(txt, acts.includes('admin') ? 'danger' : 'primary');
  }));
}

export async function mount(root, { can }) {
  const canEdit = can('users:edit');
  const catalog = await loadCatalog();
  const groupNames = new Map(catalog.groups.map((g) => [g.id, g.name]));

  const table = el('table', { class: 'table table-striped table-hover align-middle w-100', id: 'roles-table' },
    el('thead', {}, el('tr', {},
      el('th', { text: t('roles.name') }),
      el('th', { text: t('roles.description') }),
      el('th', { text: t('roles.permissions') }),
      el('th', { text: t('roles.groups') }),
      el('th', { class: 'text-end', text: t('roles.user_count') }),
      el('th', { class: 'text-end', text: t('common.actions') }))));
  const tools = canEdit
    ? [el('button', { type: 'button', class: 'btn btn-primary btn-sm', id: 'btn-add-role' }, icon('plus', 'me-1'), t('roles.add'))]
    : [];
  root.appendChild(card({ title: t('roles.list_title'), tools, body: table }));

  let dt = null;
  const reload = () => dt && dt.ajax.reload(null, false);

  async function remove(r) {
    const ok = await confirmDialog({
      title: t('roles.delete'),
      message: t('roles.delete_confirm', { name: r.name }),
      confirmText: t('common.delete'),
    });
    if (!ok) return;
    await del(`/roles/${r.id}`);
    toast(t('roles.deleted', { name: r.name }), 'success');
    reload();
  }

  dt = serverTable(table, {
    path: '/roles',
    get,
    order: [[0, 'asc']],
    columns: [
      { data: 'name', sort: 'name', render: nodeCell((r) => el('span', { class: 'fw-semibold', text: r.name }), (r) => r.name) },
      { data: 'description' },
      { data: 'permissions', render: nodeCell((r) => permissionBadges(r.permissions, catalog.modules)) },
      {
        data: 'group_ids',
        render: nodeCell((r) => {
          const ids = r.group_ids || [];
          if (!ids.length) return el('span', { class: 'text-body-secondary', text: t('roles.all_groups') });
          return el('span', { text: ids.map((id) => groupNames.get(id) || `#${id}`).join(', ') });
        }),
      },
      { data: 'user_count', className: 'text-end' },
      {
        data: null,
        visible: canEdit,
        className: 'text-end text-nowrap',
        render: nodeCell((r) => el('span', {},
          canEdit ? actionButton({ iconName: 'pen-to-square', label: t('common.edit'), role: 'edit', color: 'outline-primary', onClick: () => roleDialog({ role: r, catalog, onSaved: reload }) }) : null,
          canEdit ? actionButton({ iconName: 'trash-can', label: t('common.delete'), role: 'delete', color: 'outline-danger', onClick: () => remove(r).catch(() => {}) }) : null)),
      },
    ],
  });

  if (canEdit) {
    document.getElementById('btn-add-role').addEventListener('click', () => roleDialog({ role: null, catalog, onSaved: reload }));
  }
  return () => dt.destroy();
}
