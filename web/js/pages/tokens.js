// API tokens: the caller's own tokens (GET /api/v1/tokens), create one
// (name, optional expiry date) and show it ONCE in a copyable box, revoke.

import { t, fmtTime, fmtDate } from '../i18n.js';
import { get, post, del } from '../api.js';
import { el, icon, badge, card, clear, modal, field, confirmDialog, secretDialog, actionButton, toast, fieldError } from '../ui.js';

/** yyyy-mm-dd of a Date in local time. */
function isoDay(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** End of the chosen local day, in Unix seconds. */
function endOfDay(value) {
  const [y, m, d] = value.split('-').map(Number);
  return Math.floor(new Date(y, m - 1, d, 23, 59, 59).getTime() / 1000);
}

function tokenState(tok) {
  const now = Date.now() / 1000;
  if (tok.revoked) return badge(t('tokens.revoked'), 'secondary');
  if (tok.expires_at && Number(tok.expires_at) <= now) return badge(t('tokens.expired'), 'warning');
  return badge(t('tokens.active'), 'success');
}

export async function mount(root, { signal }) {
  const tbody = el('tbody');
  const table = el('table', { class: 'table table-striped table-hover align-middle mb-0', id: 'tokens-table' },
    el('thead', {}, el('tr', {},
      el('th', { text: t('tokens.name') }),
      el('th', { text: t('tokens.prefix') }),
      el('th', { text: t('tokens.created_at') }),
      el('th', { text: t('tokens.expires_at') }),
      el('th', { text: t('tokens.last_used_at') }),
      el('th', { text: t('tokens.state') }),
      el('th', { class: 'text-end', text: t('common.actions') }))),
    tbody);
  const addBtn = el('button', { type: 'button', class: 'btn btn-primary btn-sm', id: 'btn-add-token' }, icon('plus', 'me-1'), t('tokens.add'));
  root.appendChild(card({
    title: t('tokens.list_title'),
    tools: [addBtn],
    body: el('div', {},
      el('p', { class: 'text-body-secondary', text: t('tokens.intro') }),
      el('div', { class: 'table-responsive' }, table)),
  }));

  async function load() {
    let res;
    try {
      res = await get('/tokens', { per_page: 200 });
    } catch {
      return;
    }
    if (signal.aborted) return;
    const items = Array.isArray(res) ? res : (res && res.items) || [];
    clear(tbody);
    if (!items.length) {
      tbody.appendChild(el('tr', {}, el('td', { colSpan: 7, class: 'text-center text-body-secondary', text: t('tokens.none') })));
      return;
    }
    items.sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
    for (const tok of items) {
      tbody.appendChild(el('tr', { dataset: { id: String(tok.id) } },
        el('td', { class: 'fw-semibold', text: tok.name }),
        el('td', {}, el('code', { text: tok.prefix ? `${tok.prefix}…` : '' })),
        el('td', { text: fmtTime(tok.created_at) }),
        el('td', { text: tok.expires_at ? fmtDate(tok.expires_at) : t('tokens.never') }),
        el('td', { text: tok.last_used_at ? fmtTime(tok.last_used_at) : t('tokens.never_used') }),
        el('td', {}, tokenState(tok)),
        el('td', { class: 'text-end' },
          tok.revoked ? null : actionButton({ iconName: 'ban', label: t('tokens.revoke'), role: 'revoke', color: 'outline-danger', onClick: () => revoke(tok).catch(() => {}) }))));
    }
  }

  async function revoke(tok) {
    const ok = await confirmDialog({
      title: t('tokens.revoke'),
      message: t('tokens.revoke_confirm', { name: tok.name }),
      confirmText: t('tokens.revoke'),
    });
    if (!ok) return;
    await del(`/tokens/${tok.id}`);
    toast(t('tokens.revoked_msg', { name: tok.name }), 'success');
    await load();
  }

  function createDialog() {
    let created = null;
    const name = el('input', { type: 'text', name: 'name', maxLength: 64, required: true, autocomplete: 'off' });
    const tomorrow = new Date();
    tomorrow.setDate(tomorrow.getDate() + 1);
    const expires = el('input', { type: 'date', name: 'expires_at', min: isoDay(tomorrow) });
    modal({
      id: 'token-modal',
      title: t('tokens.add_title'),
      body: el('div', {},
        field('tokens.name', name, { required: true, help: t('tokens.name_help') }),
        field('tokens.expires_at', expires, { help: t('tokens.expires_help') })),
      submitText: t('common.create'),
      onSubmit: async () => {
        const body = { name: name.value.trim() };
        if (!body.name) throw fieldError('name', t('form.required'));
        if (expires.value) {
          body.expires_at = endOfDay(expires.value);
          if (body.expires_at <= Date.now() / 1000) throw fieldError('expires_at', t('tokens.expires_past'));
        }
        const res = await post('/tokens', body, { quiet: true });
        created = { name: body.name, token: (res && res.token) || '' };
        load();
      },
      // Shown once (the server keeps only a hash), after this dialog is gone.
      onHidden: () => {
        if (!created || signal.aborted) return;
        secretDialog({
          id: 'token-result-modal',
          title: t('tokens.created_title', { name: created.name }),
          intro: t('tokens.created_intro'),
          value: created.token,
        });
      },
    });
  }

  addBtn.addEventListener('click', createDialog);
  await load();
}
