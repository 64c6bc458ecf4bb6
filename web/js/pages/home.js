// Home: the site navigation (GET /api/v1/nav-links, readable by every
// signed-in user), one card per link with its Font Awesome icon, name,
// description and address, opening in a new tab. Holders of settings:edit
// add, edit and delete links here (the table page #/nav-links does bulk work).

import { t } from '../i18n.js';
import { del } from '../api.js';
import { el, icon, card, confirmDialog, toast, clear, actionButton } from '../ui.js';
import { resourceSchema, oneName, allRows, safeIconClass, safeUrl, loadingLine } from '../cmdb.js';
import { resourceDialog } from '../forms.js';

function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function linkCard(link, { canEdit, onEdit, onDelete }) {
  const ok = safeUrl(link.url);
  const iconEl = safeIconClass(link.icon)
    ? el('i', { class: `${link.icon} fa-fw`, attrs: { 'aria-hidden': 'true' } })
    : icon('link', 'fa-fw');
  const inner = [
    el('span', { class: 'cmdb-nav-icon' }, iconEl),
    el('span', { class: 'cmdb-nav-text' },
      el('span', { class: 'cmdb-nav-name', text: link.name }),
      link.description ? el('span', { class: 'cmdb-nav-desc', text: link.description }) : null,
      el('span', { class: 'cmdb-nav-url' }, icon('arrow-up-right-from-square', 'me-1'), hostOf(link.url))),
  ];
  const a = ok
    ? el('a', { class: 'cmdb-nav-link', href: link.url, target: '_blank', rel: 'noopener noreferrer', title: link.url }, inner)
    : el('div', { class: 'cmdb-nav-link', title: link.url }, inner);
  return el('div', { class: 'col-12 col-sm-6 col-lg-4 col-xxl-3' },
    el('div', { class: 'card cmdb-nav-card h-100', dataset: { link: String(link.id), name: link.name } },
      a,
      canEdit ? el('div', { class: 'cmdb-nav-tools' },
        actionButton({ iconName: 'pen-to-square', label: t('common.edit'), role: 'edit', color: 'light', onClick: () => onEdit(link) }),
        actionButton({ iconName: 'trash-can', label: t('common.delete'), role: 'delete', color: 'light', onClick: () => onDelete(link) })) : null));
}

export async function mount(root, { can, signal }) {
  const canEdit = can('settings:edit');
  const res = await resourceSchema('nav-links');
  const grid = el('div', { class: 'row g-3', id: 'nav-cards' }, loadingLine());
  const tools = canEdit ? [
    el('button', { type: 'button', class: 'btn btn-primary btn-sm me-2', id: 'nav-add' }, icon('plus', 'me-1'), t('nav.links_add')),
    el('a', { href: '#/nav-links', class: 'btn btn-outline-secondary btn-sm', id: 'nav-manage' }, icon('table-list', 'me-1'), t('nav.links_manage')),
  ] : [];
  const c = card({ title: t('nav.links_title'), tools, body: grid });
  c.classList.add('cmdb-card');
  c.querySelector('.card-title').prepend(icon('compass', 'me-2'));
  root.appendChild(c);

  async function draw() {
    const links = (await allRows('nav-links', { params: { sort: 'sort_order' } })) || [];
    if (signal.aborted) return;
    clear(grid);
    if (!links.length) {
      grid.appendChild(el('div', { class: 'col-12' },
        el('div', { class: 'text-center text-body-secondary py-5', id: 'nav-empty' },
          el('div', { class: 'display-6 mb-2' }, icon('compass')),
          el('p', { class: 'mb-0', text: canEdit ? t('nav.links_empty_admin') : t('nav.links_empty') }))));
      return;
    }
    grid.append(...links.map((l) => linkCard(l, { canEdit, onEdit: edit, onDelete: remove })));
  }

  function edit(link) {
    resourceDialog({ res, row: link, onSaved: draw }).catch(() => {});
  }

  async function remove(link) {
    const ok = await confirmDialog({
      title: t('res.delete_title', { what: oneName(res) }),
      message: t('res.delete_confirm', { name: link.name }),
      confirmText: t('common.delete'),
    });
    if (!ok) return;
    try {
      await del(`/nav-links/${link.id}`);
    } catch {
      return;
    }
    toast(t('res.deleted', { name: link.name }), 'success');
    await draw();
  }

  if (canEdit) root.querySelector('#nav-add').addEventListener('click', () => edit(null));
  await draw();
  return undefined;
}
