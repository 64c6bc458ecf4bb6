// Assets -> Hosts: the host list as AdminSet has it, over GET /api/v1/hosts
// in DataTables' server-side mode: online dot (from the list's `now` and each
// host's last report), hostname (link to #/hosts/ID), management IP, groups,
// CPUs, memory in GB, IDC, status badge; filters by IDC, group, type and
// status; search, sort, 10-200 per page, CSV export / import, bulk delete,
// add and edit in a schema-built dialog. #/hosts/ID shows one host (host.js).

import { t } from '../i18n.js';
import { el, icon, nodeCell } from '../ui.js';
import {
  resourceSchema, label, fieldOf, editPerm, onlineDot, hostState, statusBadge, memoryGb,
  refsNames, nameBadges, codeName,
} from '../cmdb.js';
import { resourceList } from '../reslist.js';
import { codeMaps, filtersOf } from './resource.js';
import { resourceDialog } from '../forms.js';
import { mountHost } from './host.js';

export async function mount(root, ctx) {
  if (ctx.args && ctx.args.length) return mountHost(root, ctx);
  const res = await resourceSchema('hosts');
  const canEdit = ctx.can(editPerm(res));
  const [codes, filters] = await Promise.all([
    codeMaps(res),
    filtersOf(res, ['idc_id', 'group_ids', 'asset_type', 'asset_status']),
  ]);
  const statuses = codes.get('asset-statuses');
  const types = codes.get('asset-types');
  const f = (name) => fieldOf(res, name);
  let list = null;
  const now = () => (list ? list.state.now : Math.floor(Date.now() / 1000));

  const columns = [
    {
      data: 'last_seen_at', title: '', className: 'cmdb-dot-col',
      render: nodeCell((h) => onlineDot(h, now()), (h) => hostState(h, now())),
    },
    {
      data: 'hostname', sort: 'hostname', title: label(f('hostname')), className: 'text-nowrap',
      render: nodeCell((h) => el('span', {},
        el('a', { href: `#/hosts/${h.id}`, class: 'fw-semibold cmdb-host-link', text: h.hostname }),
        h.asset_type ? el('div', { class: 'small text-body-secondary', text: types && types.get(h.asset_type) ? codeName(types.get(h.asset_type)) : h.asset_type }) : null),
      (h) => h.hostname),
    },
    {
      data: 'ip', sort: 'ip', title: label(f('ip')), className: 'text-nowrap',
      render: nodeCell((h) => el('span', { class: 'font-monospace small', text: h.ip || '' }), (h) => h.ip),
    },
    {
      data: 'group_ids', title: label(f('group_ids')),
      render: nodeCell((h) => nameBadges(refsNames(h, 'group_ids'), 3)),
    },
    { data: 'cpu_count', sort: 'cpu_count', title: label(f('cpu_count')), className: 'text-end' },
    {
      data: 'memory_mb', sort: 'memory_mb', title: t('asset.memory_gb'), className: 'text-end',
      render: nodeCell((h) => document.createTextNode(memoryGb(h.memory_mb)), (h) => h.memory_mb),
    },
    {
      data: 'idc_id', sort: 'idc_id', title: label(f('idc_id')), className: 'text-nowrap',
      render: nodeCell((h) => document.createTextNode((h._display && h._display.idc_id) || '')),
    },
    {
      data: 'asset_status', sort: 'asset_status', title: label(f('asset_status')),
      render: nodeCell((h) => statusBadge(h.asset_status, statuses), (h) => h.asset_status),
    },
  ];

  // The terminal opens here once WebSSH lands; the slot keeps the column steady.
  const terminalSlot = () => el('button', {
    type: 'button', class: 'btn btn-sm btn-outline-secondary me-1', disabled: true,
    title: t('asset.terminal_soon'), dataset: { action: 'terminal' }, attrs: { 'aria-label': t('asset.terminal') },
  }, icon('terminal'));

  list = resourceList(root, {
    res,
    id: 'hosts',
    titleIcon: 'server',
    columns,
    filters,
    canEdit,
    order: [[2, 'asc']],
    nameOf: (h) => h.hostname,
    rowActions: terminalSlot,
    onAdd: () => resourceDialog({ res, onSaved: () => list.reload(true) }).catch(() => {}),
    onEdit: (h) => resourceDialog({ res, row: h, onSaved: () => list.reload() }).catch(() => {}),
  });
  return () => list.destroy();
}
