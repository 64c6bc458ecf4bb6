// The page of any CMDB or application resource but hosts, built from its
// description in GET /api/v1/schema: a table of the `list` fields
// (references by their `_display` names), search, sort, paging, filter
// selects for filterable references and enums, export, import, bulk delete,
// and the add/edit dialog. Resources with member hosts (groups, cabinets,
// projects) get a "hosts" button that opens the two-list picker alone.
// The route's `resource` names the API resource (app.js ROUTES).

import { t } from '../i18n.js';
import { nodeCell, actionButton } from '../ui.js';
import {
  resourceSchema, loadSchema, label, editPerm, valueNode, valueText, refOptions, enumText, allRows,
} from '../cmdb.js';
import { resourceDialog } from '../forms.js';
import { resourceList } from '../reslist.js';

/** Map code -> row of the code resources the fields of `res` use. */
export async function codeMaps(res) {
  const maps = new Map();
  const refs = [...new Set(res.fields.filter((f) => f.type === 'code').map((f) => f.ref))];
  await Promise.all(refs.map(async (r) => {
    const rows = await allRows(r).catch(() => null);
    maps.set(r, new Map((rows || []).map((x) => [x.code, x])));
  }));
  return maps;
}

/** Filter selects for the filterable reference, code and enum fields. */
export async function filtersOf(res, only) {
  // Sets of references (a group's hosts …) only where asked: a select of
  // every host would not help.
  const kinds = only ? ['ref', 'refs', 'code', 'enum'] : ['ref', 'code', 'enum'];
  // Without a list: the filterable fields that are also columns.
  const fields = res.fields.filter((f) => f.filter && kinds.includes(f.type) && (only ? only.includes(f.name) : f.list));
  if (only) fields.sort((a, b) => only.indexOf(a.name) - only.indexOf(b.name));
  const out = await Promise.all(fields.map(async (f) => {
    let options;
    if (f.type === 'enum') options = (f.values || []).map((v) => ({ value: v, text: enumText(v) }));
    else options = await refOptions(f).catch(() => null);
    if (!options) return null; // not allowed to list them
    return { param: f.filter_name || f.name, label: label(f), options, none: (f.type === 'ref' || f.type === 'refs') && !f.required };
  }));
  return out.filter(Boolean);
}

const NUMERIC = new Set(['int', 'decimal']);

export async function mount(root, { can, route }) {
  const res = await resourceSchema(route.resource);
  await loadSchema();
  const canEdit = can(editPerm(res));
  const [codes, filters] = await Promise.all([codeMaps(res), filtersOf(res)]);
  const ctx = { codes };
  const listFields = res.fields.filter((f) => f.list);
  const hostsField = res.fields.find((f) => f.name === 'host_ids' && !f.readonly);

  const columns = listFields.map((f, i) => ({
    data: f.name,
    title: label(f),
    sort: f.sort ? f.name : undefined,
    className: [i === 0 ? 'fw-semibold' : '', NUMERIC.has(f.type) && !f.name.endsWith('_at') ? 'text-end' : '',
      f.type === 'refs' || f.type === 'backrefs' || f.type === 'note' ? '' : 'text-nowrap'].join(' ').trim(),
    render: nodeCell((row) => valueNode(f, row, ctx), (row) => valueText(f, row, ctx)),
  }));

  let list = null;
  const edit = (row, only) => resourceDialog({ res, row, only, onSaved: () => list.reload(!row) });

  list = resourceList(root, {
    res,
    id: res.name,
    columns,
    filters,
    canEdit,
    order: [],
    onAdd: () => edit(null).catch(() => {}),
    onEdit: (row) => edit(row).catch(() => {}),
    rowActions: hostsField && canEdit ? (row) => actionButton({
      iconName: 'server', label: t('res.edit_members'), role: 'members', color: 'outline-secondary',
      onClick: () => edit(row, ['host_ids']).catch(() => {}),
    }) : null,
  });
  return () => list.destroy();
}
