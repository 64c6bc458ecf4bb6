// Users: server-side paged table over GET /api/v1/users (search, sort),
// add/edit in a modal (errors beside the field), delete with confirmation,
// admin password reset (the generated password is shown once).

import { t, fmtTime } from '../i18n.js';
import { get, post, patch, del } from '../api.js';
import {
  el, icon, badge, card, modal, field, confirmDialog, secretDialog, serverTable,
  textCell, nodeCell, actionButton, toast, fieldError,
} from '../ui.js';

let rolesById = new Map();

async function loadRoles() {
  try {
    const res = await get('/roles', { per_page: 200 }, { quiet: true });
    const items = Array.isArray(res) ? res : (res && res.items) || [];
    rolesById = new Map(items.map((r) => [r.id, r]));
  } catch {
    rolesById = new Map();
  }
  return rolesById;
}

function roleName(u) {
  if (u.role && typeof u.role === 'object' && u.role.name) return u.role.name;
  if (u.role_name) return u.role_name;
  const r = rolesById.get(u.role_id);
  return r ? r.name : '';
}

function userDialog({ user, me, onSaved }) {
  const editing = !!user;
  const u = user || { active: true, superuser: false };
  const inputs = {
    username: el('input', { type: 'text', name: 'username', value: u.username || '', maxLength: 64, autocomplete: 'off', required: true }),
    password: editing ? null : el('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true }),
    display_name: el('input', { type: 'text', name: 'display_name', value: u.display_name || '', maxLength: 128 }),
    email: el('input', { type: 'email', name: 'email', value: u.email || '', maxLength: 254 }),
    phone: el('input', { type: 'tel', name: 'phone', value: u.phone || '', maxLength: 32 }),
    role_id: el('select', { name: 'role_id' },
      el('option', { value: '', text: t('users.no_role') }),
      [...rolesById.values()].map((r) => el('option', { value: String(r.id), text: r.name, selected: r.id === (u.role_id ?? (u.role && u.role.id)) }))),
    active: el('input', { type: 'checkbox', name: 'active', checked: u.active !== false }),
    superuser: me.superuser ? el('input', { type: 'checkbox', name: 'superuser', checked: !!u.superuser }) : null,
  };
  modal({
    id: 'user-modal',
    size: 'modal-lg',
    title: editing ? t('users.edit_title', { name: u.username }) : t('users.add_title'),
    body: el('div', { class: 'row' },
      el('div', { class: 'col-md-6' }, field('users.username', inputs.username, { required: true })),
      el('div', { class: 'col-md-6' }, editing ? field('users.display_name', inputs.display_name) : field('users.password', inputs.password, { required: true })),
      editing ? null : el('div', { class: 'col-md-6' }, field('users.display_name', inputs.display_name)),
      el('div', { class: 'col-md-6' }, field('users.email', inputs.email)),
      el('div', { class: 'col-md-6' }, field('users.phone', inputs.phone)),
      el('div', { class: 'col-md-6' }, field('users.role', inputs.role_id)),
      el('div', { class: 'col-md-6' }, field('users.active', inputs.active)),
      inputs.superuser ? el('div', { class: 'col-md-6' }, field('users.superuser', inputs.superuser, { help: t('users.superuser_help') })) : null),
    submitText: editing ? t('common.save') : t('common.create'),
    onSubmit: async () => {
      const body = {
        username: inputs.username.value.trim(),
        display_name: inputs.display_name.value.trim(),
        email: inputs.email.value.trim(),
        phone: inputs.phone.value.trim(),
        role_id: inputs.role_id.value ? Number(inputs.role_id.value) : null,
        active: inputs.active.checked,
      };
      if (inputs.superuser) body.superuser = inputs.superuser.checked;
      if (!body.username) throw fieldError('username', t('form.required'));
      if (editing) {
        await patch(`/users/${u.id}`, body, { quiet: true });
        toast(t('users.saved', { name: body.username }), 'success');
      } else {
        body.password = inputs.password.value;
        if (!body.password) throw fieldError('password', t('form.required'));
        await post('/users', body, { quiet: true });
        toast(t('users.created', { name: body.username }), 'success');
      }
      onSaved();
    },
  });
}

export async function mount(root, { me, can }) {
  const canEdit = can('users:edit');
  const canAdmin = can('users:admin');
  await loadRoles();

  const table = el('table', { class: 'table table-striped table-hover align-middle w-100', id: 'users-table' },
    el('thead', {}, el('tr', {},
      el('th', { text: t('users.username') }),
      el('th', { text: t('users.display_name') }),
      el('th', { text: t('users.email') }),
      el('th', { text: t('users.phone') }),
      el('th', { text: t('users.role') }),
      el('th', { text: t('users.status') }),
      el('th', { text: t('users.last_login') }),
      el('th', { class: 'text-end', text: t('common.actions') }))));

  const tools = [];
  if (canEdit) {
    tools.push(el('button', { type: 'button', class: 'btn btn-primary btn-sm', id: 'btn-add-user' }, icon('user-plus', 'me-1'), t('users.add')));
  }
  root.appendChild(card({ title: t('users.list_title'), tools, body: table }));

  let dt = null;
  const reload = (resetPaging = false) => dt && dt.ajax.reload(null, resetPaging);

  async function resetPassword(u) {
    const revoke = el('input', { type: 'checkbox', class: 'form-check-input', id: 'reset-revoke-tokens' });
    const ok = await confirmDialog({
      title: t('users.reset_password'),
      message: t('users.reset_confirm', { name: u.username }),
      confirmText: t('users.reset_password'),
      extra: el('div', { class: 'form-check' }, revoke,
        el('label', { class: 'form-check-label', attrs: { for: 'reset-revoke-tokens' }, text: t('users.reset_revoke_tokens') })),
    });
    if (!ok) return;
    const res = await post(`/users/${u.id}/password`, { revoke_tokens: revoke.checked });
    const revoked = res && res.tokens_revoked ? ` ${t('users.tokens_revoked', { n: res.tokens_revoked })}` : '';
    secretDialog({
      id: 'password-result-modal',
      title: t('users.new_password_title', { name: u.username }),
      intro: t('users.new_password_intro') + revoked,
      value: (res && res.password) || '',
    });
    reload();
  }

  async function unlock(u) {
    await post(`/users/${u.id}/unlock`, {});
    toast(t('users.unlocked', { name: u.username }), 'success');
    reload();
  }

  async function remove(u) {
    const ok = await confirmDialog({
      title: t('users.delete'),
      message: t('users.delete_confirm', { name: u.username }),
      confirmText: t('common.delete'),
    });
    if (!ok) return;
    await del(`/users/${u.id}`);
    toast(t('users.deleted', { name: u.username }), 'success');
    reload();
  }

  dt = serverTable(table, {
    path: '/users',
    get,
    order: [[0, 'asc']],
    columns: [
      { data: 'username', sort: 'username', className: 'text-nowrap', render: nodeCell((u) => el('span', {},
        el('span', { class: 'fw-semibold', text: u.username }),
        u.superuser ? badge(t('users.superuser'), 'danger ms-2') : null), (u) => u.username) },
      { data: 'display_name', sort: 'display_name' },
      { data: 'email', sort: 'email' },
      { data: 'phone' },
      { data: null, render: textCell(roleName) },
      { data: 'active', render: nodeCell((u) => el('span', {},
        u.active === false ? badge(t('users.inactive'), 'secondary') : badge(t('users.active'), 'success'),
        u.locked_until ? badge(t('users.locked_until', { time: fmtTime(u.locked_until) }), 'warning ms-1 user-locked') : null)) },
      { data: 'last_login_at', sort: 'last_login_at', className: 'text-nowrap', render: textCell((u) => fmtTime(u.last_login_at)) },
      {
        data: null,
        visible: canEdit || canAdmin,
        className: 'text-end text-nowrap',
        render: nodeCell((u) => el('span', {},
          canEdit ? actionButton({ iconName: 'pen-to-square', label: t('common.edit'), role: 'edit', color: 'outline-primary', onClick: () => userDialog({ user: u, me, onSaved: () => reload() }) }) : null,
          canAdmin && u.locked_until ? actionButton({ iconName: 'lock-open', label: t('users.unlock'), role: 'unlock', color: 'outline-success', onClick: () => unlock(u).catch(() => {}) }) : null,
          canAdmin ? actionButton({ iconName: 'key', label: t('users.reset_password'), role: 'reset-password', color: 'outline-warning', onClick: () => resetPassword(u).catch(() => {}) }) : null,
          canEdit && u.id !== me.id ? actionButton({ iconName: 'trash-can', label: t('common.delete'), role: 'delete', color: 'outline-danger', onClick: () => remove(u).catch(() => {}) }) : null)),
      },
    ],
  });

  if (canEdit) {
    document.getElementById('btn-add-user').addEventListener('click', () => userDialog({ user: null, me, onSaved: () => reload(true) }));
  }
  return () => dt.destroy();
}
