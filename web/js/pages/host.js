// One host (#/hosts/ID): every field with its label (references by name,
// the credential by its name only, never a secret), the agent's facts (OS,
// kernel, CPU, memory, disks, NICs, filesystems from GET /hosts/ID/facts) and
// the history of the changes the agent made, with edit and delete buttons.

import { t, fmtTime } from '../i18n.js';
import { get, del } from '../api.js';
import { el, icon, badge, card, confirmDialog, toast, clear } from '../ui.js';
import {
  resourceSchema, label, oneName, fieldOf, editPerm, valueNode, hostState, statusBadge, codeName, bytesText,
} from '../cmdb.js';
import { resourceDialog } from '../forms.js';
import { codeMaps } from './resource.js';

const dash = () => el('span', { class: 'text-body-secondary', text: '—' });

function dl(pairs) {
  return el('dl', { class: 'row mb-0 cmdb-dl' }, pairs.flatMap(([k, v, key]) => [
    el('dt', { class: 'col-sm-4 fw-normal text-body-secondary', text: k }),
    el('dd', { class: 'col-sm-8', dataset: key ? { field: key } : undefined },
      v === null || v === undefined || v === '' ? dash() : (v instanceof Node ? v : String(v))),
  ]));
}

function smallTable(id, heads, rows) {
  if (!rows.length) return el('p', { class: 'text-body-secondary small mb-0', text: t('asset.none') });
  return el('div', { class: 'table-responsive' },
    el('table', { class: 'table table-sm mb-0', id },
      el('thead', {}, el('tr', {}, heads.map((h) => el('th', { class: 'fw-semibold small', text: h })))),
      el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', { class: 'small' }, c === null || c === undefined || c === '' ? dash() : c)))))));
}

function factsCard(f, updatedAt) {
  if (!f) {
    return card({
      title: t('asset.facts'),
      body: el('p', { class: 'text-body-secondary mb-0', id: 'host-facts-none', text: t('asset.facts_none') }),
    });
  }
  const os = f.os || {};
  const cpu = f.cpu || {};
  const cpuText = [cpu.model, cpu.sockets || cpu.cores || cpu.threads
    ? t('asset.cpu_topology', { sockets: cpu.sockets ?? '?', cores: cpu.cores ?? '?', threads: cpu.threads ?? '?' }) : '']
    .filter(Boolean).join(' · ');
  const body = el('div', { id: 'host-facts' },
    dl([
      [t('asset.fact_os'), os.pretty || [os.name, os.version].filter(Boolean).join(' '), 'os'],
      [t('asset.fact_kernel'), [f.kernel, f.arch].filter(Boolean).join(' · '), 'kernel'],
      [t('asset.fact_virt'), f.virtualization ? [f.virtualization, f.hypervisor].filter(Boolean).join(' / ') : '', 'virtualization'],
      [t('asset.fact_cpu'), cpuText, 'cpu'],
      [t('asset.fact_memory'), bytesText(f.memory_bytes, true), 'memory'],
      [t('asset.fact_swap'), f.swap_bytes ? bytesText(f.swap_bytes, true) : '', 'swap'],
      [t('asset.fact_hardware'), [f.vendor, f.model].filter(Boolean).join(' · '), 'hardware'],
      [t('asset.fact_serial'), f.serial, 'serial'],
      [t('asset.fact_fqdn'), f.fqdn, 'fqdn'],
      [t('asset.fact_boot'), f.boot_time ? fmtTime(f.boot_time) : '', 'boot'],
    ]),
    el('h6', { class: 'mt-3 mb-2', text: t('asset.fact_disks') }),
    smallTable('host-disks', [t('asset.col_name'), t('asset.col_size'), t('asset.col_model'), t('asset.col_kind')],
      (f.disks || []).map((d) => [d.name, bytesText(d.size_bytes), d.model,
        d.rotational === undefined ? '' : t(d.rotational ? 'asset.disk_hdd' : 'asset.disk_ssd')])),
    el('h6', { class: 'mt-3 mb-2', text: t('asset.fact_nics') }),
    smallTable('host-nics', [t('asset.col_name'), t('asset.col_mac'), t('asset.col_addresses'), t('asset.col_speed')],
      (f.nics || []).map((n) => [n.name, n.mac ? el('code', { text: n.mac }) : '',
        (n.addresses || []).join(', '), n.speed_mbps ? `${n.speed_mbps} Mb/s` : ''])),
    el('h6', { class: 'mt-3 mb-2', text: t('asset.fact_filesystems') }),
    smallTable('host-filesystems', [t('asset.col_mount'), t('asset.col_type'), t('asset.col_device'), t('asset.col_size')],
      (f.filesystems || []).map((x) => [x.mount, x.type, x.device, bytesText(x.size_bytes)])));
  const c = card({ title: t('asset.facts'), body });
  if (updatedAt) {
    c.querySelector('.card-tools').append(el('small', { class: 'text-body-secondary', text: t('asset.facts_updated', { time: fmtTime(updatedAt) }) }));
  }
  return c;
}

function historyCard(res, history) {
  const name = (field) => {
    const f = fieldOf(res, field);
    return f ? label(f) : field;
  };
  const val = (v) => (v === null || v === undefined || v === '' ? el('span', { class: 'text-body-secondary', text: t('asset.empty_value') }) : el('code', { text: String(v) }));
  const body = history.length
    ? el('div', { class: 'table-responsive cmdb-history' },
      el('table', { class: 'table table-sm table-striped mb-0', id: 'host-history' },
        el('thead', {}, el('tr', {},
          el('th', { text: t('asset.history_time') }),
          el('th', { text: t('asset.history_field') }),
          el('th', { text: t('asset.history_change') }))),
        el('tbody', {}, history.map((h) => el('tr', { dataset: { field: h.field } },
          el('td', { class: 'text-nowrap small', text: fmtTime(h.ts) }),
          el('td', { class: 'small', text: name(h.field) }),
          el('td', { class: 'small' }, val(h.old_value), el('span', { class: 'mx-2 text-body-secondary', text: '→' }), val(h.new_value)))))))
    : el('p', { class: 'text-body-secondary mb-0', text: t('asset.history_none') });
  return card({ title: t('asset.history'), body });
}

function stateBadge(h, now) {
  const st = hostState(h, now);
  if (st === 'up') return badge(t('asset.online'), 'success');
  if (st === 'down') return el('span', { class: 'badge text-bg-danger', title: fmtTime(h.last_seen_at), text: t('asset.offline') });
  return badge(t('asset.no_agent'), 'secondary');
}

function setHeading(host) {
  document.getElementById('page-title').textContent = host.hostname;
  document.title = `${host.hostname} - ${t('app.title')}`;
  const bc = document.getElementById('breadcrumb');
  const items = bc.querySelectorAll('.breadcrumb-item');
  const listItem = items[items.length - 1];
  if (listItem && !listItem.dataset.host) {
    listItem.classList.remove('active');
    listItem.removeAttribute('aria-current');
    listItem.replaceChildren(el('a', { href: '#/hosts', text: listItem.textContent }));
    bc.appendChild(el('li', { class: 'breadcrumb-item active', dataset: { host: '1' }, attrs: { 'aria-current': 'page' } }));
  }
  bc.lastElementChild.textContent = host.hostname;
}

export async function mountHost(root, { args, can, signal }) {
  const id = Number(args[0]);
  const res = await resourceSchema('hosts');
  const canEdit = can(editPerm(res));
  let host;
  try {
    host = await get(`/hosts/${Number.isInteger(id) && id > 0 ? id : 0}`, null, { quiet: true });
  } catch (e) {
    root.appendChild(el('div', { class: 'callout callout-warning', id: 'host-missing' },
      el('h5', {}, icon('circle-question', 'me-2'), t('asset.host_missing')),
      el('p', { class: 'mb-0' }, e.localized || e.message, ' ', el('a', { href: '#/hosts', text: t('asset.back_to_list') }))));
    return undefined;
  }
  const codes = await codeMaps(res);
  const types = codes.get('asset-types');

  async function draw() {
    const factsAnswer = await get(`/hosts/${host.id}/facts`, null, { quiet: true }).catch(() => ({ facts: null, history: [] }));
    if (signal.aborted) return;
    const now = Math.floor(Date.now() / 1000);
    setHeading(host);
    const head = el('div', { class: 'card mb-4 cmdb-host-head', id: 'host-head' },
      el('div', { class: 'card-body d-flex flex-wrap align-items-center gap-3' },
        el('span', { class: 'cmdb-host-icon text-bg-primary' }, icon('server')),
        el('div', { class: 'me-auto' },
          el('h4', { class: 'mb-1', id: 'host-name', text: host.hostname }),
          el('div', { class: 'd-flex flex-wrap gap-2 align-items-center small' },
            stateBadge(host, now),
            statusBadge(host.asset_status, codes.get('asset-statuses')),
            host.asset_type ? el('span', { class: 'text-body-secondary', text: types && types.get(host.asset_type) ? codeName(types.get(host.asset_type)) : host.asset_type }) : null,
            el('span', { class: 'font-monospace', text: host.ip }),
            host._display && host._display.idc_id ? el('span', { class: 'text-body-secondary' }, icon('building', 'me-1'), host._display.idc_id) : null)),
        el('div', { class: 'd-flex flex-wrap gap-2' },
          el('a', { href: '#/hosts', class: 'btn btn-outline-secondary btn-sm' }, icon('arrow-left', 'me-1'), t('asset.back_to_list')),
          el('button', { type: 'button', class: 'btn btn-outline-secondary btn-sm', disabled: true, title: t('asset.terminal_soon'), dataset: { action: 'terminal' } }, icon('terminal', 'me-1'), t('asset.terminal')),
          canEdit ? el('button', { type: 'button', class: 'btn btn-primary btn-sm', id: 'host-edit', on: { click: edit } }, icon('pen-to-square', 'me-1'), t('common.edit')) : null,
          canEdit ? el('button', { type: 'button', class: 'btn btn-outline-danger btn-sm', id: 'host-delete', on: { click: remove } }, icon('trash-can', 'me-1'), t('common.delete')) : null)));

    const ctx = { codes, full: true };
    const fields = res.fields.filter((f) => f.name !== 'hostname');
    const details = card({
      title: t('asset.details'),
      body: el('div', { id: 'host-details' }, dl(fields.map((f) => [label(f), valueNode(f, host, ctx), f.name]))),
    });
    clear(root).append(head, el('div', { class: 'row' },
      el('div', { class: 'col-xl-6' }, details),
      el('div', { class: 'col-xl-6' }, factsCard(factsAnswer.facts, factsAnswer.updated_at), historyCard(res, factsAnswer.history || []))));
  }

  function edit() {
    resourceDialog({
      res,
      row: host,
      onSaved: async (saved) => {
        host = saved && saved.id ? saved : await get(`/hosts/${host.id}`);
        await draw();
      },
    }).catch(() => {});
  }

  async function remove() {
    const ok = await confirmDialog({
      title: t('res.delete_title', { what: oneName(res) }),
      message: t('res.delete_confirm', { name: host.hostname }),
      confirmText: t('common.delete'),
    });
    if (!ok) return;
    try {
      await del(`/hosts/${host.id}`);
    } catch {
      return;
    }
    toast(t('res.deleted', { name: host.hostname }), 'success');
    location.hash = '#/hosts';
  }

  await draw();
  return undefined;
}
