// cmdb_crud.test.mjs -- create, read, update (PUT and PATCH) and delete of
// every CMDB and application resource, bulk delete, deleting rows that are
// still referenced, the seeded asset types and statuses, the schema
// endpoint, and the audit row each write leaves (old → new).
//
// Every resource is driven from one sample body (cmdb_lib.mjs) that sets
// every writable field, so a field that does not round-trip fails here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { assertError, assertStatus, uniq } from './common.mjs';
import { API, RESOURCES, SECRETS, makeDeps, sample, mk, assertShows, auditOf, list } from './cmdb_lib.mjs';

let server, admin, deps;

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  deps = await makeDeps(admin);
});
after(async () => { await server?.stop(); });

test('the schema describes every resource with labels in both languages', async () => {
  const r = await admin.get(`${API}/schema`);
  assertStatus(r, 200);
  for (const name of RESOURCES) {
    const s = r.body[name];
    assert.ok(s, `schema of ${name}`);
    assert.ok(s.label_en && s.label_zh, `${name} labels`);
    assert.ok(s.fields.length > 2);
    for (const f of s.fields) {
      assert.ok(f.label_en && f.label_zh, `${name}.${f.name} labels`);
      if (f.type === 'enum') assert.ok(f.values.length > 0);
      if (['ref', 'refs', 'code', 'backrefs'].includes(f.type)) assert.ok(RESOURCES.includes(f.ref), `${name}.${f.name} ref`);
    }
  }
  const pw = r.body.credentials.fields.find((f) => f.name === 'password');
  assert.equal(pw.type, 'secret');
});

for (const res of RESOURCES) {
  test(`${res}: create, read, list, PATCH, PUT, delete, each audited`, async () => {
    const body = sample(res, deps);
    const created = await mk(admin, res, body);
    assert.ok(Number.isInteger(created.id));
    assertShows(res, created, body);
    assert.ok(created.created_at > 1e9 && created.updated_at >= created.created_at);

    const got = await admin.get(`${API}/${res}/${created.id}`);
    assertStatus(got, 200);
    assert.deepEqual(got.body, created);

    const all = await list(admin, `${API}/${res}?per_page=200`);
    assert.ok(all.items.some((x) => x.id === created.id), 'listed');
    assert.ok(all.total >= 1);

    // PATCH one field; the others keep their value.
    const field = Object.keys(body).find((k) => typeof body[k] === 'string' && !(SECRETS[res] || []).includes(k) &&
      !['code', 'url', 'email', 'ip', 'other_ips', 'contract_start', 'contract_end', 'racked_at', 'purchased_at',
        'warranty_end', 'budget', 'paid', 'icon', 'language', 'app_type', 'server_type', 'framework',
        'source_type', 'asset_type', 'asset_status'].includes(k));
    const newValue = `改${uniq('v')}`;
    const p = await admin.patch(`${API}/${res}/${created.id}`, { [field]: newValue });
    assertStatus(p, 200, `patch ${res}.${field}`);
    assertShows(res, p.body, { ...body, [field]: newValue });

    // PUT with only the required fields: absent fields keep their value
    // (docs/API.md), secrets included.
    const schema = (await admin.get(`${API}/schema`)).body[res];
    const now = { ...body, [field]: newValue };
    const required = Object.fromEntries(schema.fields.filter((f) => f.required).map((f) => [f.name, now[f.name]]));
    const put = await admin.put(`${API}/${res}/${created.id}`, required);
    assertStatus(put, 200, `put ${res}`);
    assertShows(res, put.body, { ...body, [field]: newValue });

    // PUT without a required field is refused and changes nothing.
    const [req0] = Object.keys(required);
    const { [req0]: _drop, ...missing } = required;
    assertError(await admin.put(`${API}/${res}/${created.id}`, missing), 400, 'bad_request', req0);

    const del = await admin.del(`${API}/${res}/${created.id}`);
    assertStatus(del, 200, `delete ${res}`);
    assertError(await admin.get(`${API}/${res}/${created.id}`), 404, 'not_found');
    assertError(await admin.del(`${API}/${res}/${created.id}`), 404, 'not_found');
    assertError(await admin.patch(`${API}/${res}/${created.id}`, { [field]: 'x' }), 404, 'not_found');

    // Audit: one row per write, old → new.
    const { object } = schema;
    const [ca] = await auditOf(admin, `${object}.create`, created.id);
    assert.ok(ca, `audit of ${res} create`);
    assert.equal(ca.result, 'ok');
    assert.equal(ca.username, 'admin');
    assert.deepEqual(ca.detail[field], { old: null, new: body[field] });
    const ups = await auditOf(admin, `${object}.update`, created.id);
    assert.equal(ups.length, 4, 'patch, put, refused put, patch after delete');
    assert.equal(ups.filter((u) => u.result === 'ok').length, 2);
    const patched = ups.find((u) => u.detail && u.detail[field] && u.detail[field].new === newValue);
    assert.ok(patched, `audit of the patch: ${JSON.stringify(ups)}`);
    assert.equal(patched.detail[field].old, body[field]);
    assert.ok(ups.some((u) => u.result === 'failed' && u.status === 400));
    const dels = await auditOf(admin, `${object}.delete`, created.id);
    assert.equal(dels.filter((x) => x.result === 'ok').length, 1);
    const gone = dels.find((x) => x.result === 'ok');
    assert.deepEqual(gone.detail[field], { old: newValue, new: null }, 'a delete records what was lost');
    for (const s of SECRETS[res] || []) {
      assert.deepEqual(ca.detail[s], { old: '***', new: '***' });
    }
  });
}

test('unknown, read-only and wrongly typed fields are refused; nothing changes', async () => {
  const before = await list(admin, `${API}/idcs?per_page=200`);
  assertError(await admin.post(`${API}/idcs`, { code: 'x1', name: 'x1', colour: 'red' }), 400, 'bad_request', 'colour');
  assertError(await admin.post(`${API}/idcs`, { code: 'x1', name: 'x1', created_at: 5 }), 400, 'bad_request', 'created_at');
  assertError(await admin.post(`${API}/hosts`, { hostname: 'x1', ip: '10.0.0.1', source: 'agent' }), 400, 'bad_request', 'source');
  assertError(await admin.post(`${API}/idcs`, { code: 'x1', name: 7 }), 400, 'bad_request', 'name');
  assertError(await admin.post(`${API}/idcs`, { code: 'x1' }), 400, 'bad_request', 'name');
  assertError(await admin.post(`${API}/idcs`, { code: 'x1', name: '' }), 400, 'bad_request', 'name');
  assertError(await admin.post(`${API}/idcs`, { code: 'x1', name: null }), 400, 'bad_request', 'name');
  assertError(await admin.post(`${API}/idcs`, [1, 2]), 400, 'bad_request');
  const r = await admin.req('POST', `${API}/idcs`, '{"code":', { raw: true });
  assertError(r, 400, 'bad_request');
  const after = await list(admin, `${API}/idcs?per_page=200`);
  assert.deepEqual(after, before);
});

test('unique names are refused with 409 naming the field, on create and on update', async () => {
  const a = await mk(admin, 'idcs', { code: uniq('u'), name: uniq('唯一') });
  const b = await mk(admin, 'idcs', { code: uniq('u'), name: uniq('唯一') });
  const r = await admin.post(`${API}/idcs`, { code: uniq('u'), name: a.name });
  assertError(r, 409, 'conflict', 'name');
  assert.match(r.body.error.message, new RegExp(a.name));
  assertError(await admin.patch(`${API}/idcs/${b.id}`, { code: a.code }), 409, 'conflict', 'code');
  // Saving a row with its own unique values is not a conflict.
  assertStatus(await admin.put(`${API}/idcs/${a.id}`, { code: a.code, name: a.name }), 200);
  // Cabinet names are unique within an IDC only.
  const c1 = await mk(admin, 'cabinets', { idc_id: a.id, name: 'A01' });
  await mk(admin, 'cabinets', { idc_id: b.id, name: 'A01' });
  const dup = await admin.post(`${API}/cabinets`, { idc_id: a.id, name: 'A01' });
  assertError(dup, 409, 'conflict');
  assert.ok(c1.id);
});

test('references must exist; ids of sets must exist', async () => {
  assertError(await admin.post(`${API}/cabinets`, { idc_id: 999999, name: 'x' }), 400, 'bad_request', 'idc_id');
  assertError(await admin.post(`${API}/hosts`, { hostname: uniq('h'), ip: '10.0.0.1', group_ids: [deps.group, 999999] }),
    400, 'bad_request', 'group_ids');
  assertError(await admin.post(`${API}/hosts`, { hostname: uniq('h'), ip: '10.0.0.1', asset_type: 'spaceship' }),
    400, 'bad_request', 'asset_type');
  assertError(await admin.post(`${API}/projects`, { name: uniq('p'), host_ids: [999999] }), 400, 'bad_request', 'host_ids');
  assertError(await admin.post(`${API}/branches`, { name: uniq('b'), region_id: 999999 }), 400, 'bad_request', 'region_id');
  // The same id twice in a set is one membership.
  const h = await mk(admin, 'hosts', { hostname: uniq('h'), ip: '10.0.0.1', group_ids: [deps.group, deps.group] });
  assert.deepEqual(h.group_ids, [deps.group]);
});

test('sets come back with display names; memberships can be replaced and cleared', async () => {
  const g1 = await mk(admin, 'groups', { name: uniq('g') });
  const g2 = await mk(admin, 'groups', { name: uniq('g') });
  const h = await mk(admin, 'hosts', { hostname: uniq('set'), ip: '10.0.0.2', group_ids: [g1.id], idc_id: deps.idc });
  assert.deepEqual(h._display.group_ids, [g1.name]);
  assert.ok(h._display.idc_id);
  let r = await admin.patch(`${API}/hosts/${h.id}`, { group_ids: [g2.id, g1.id] });
  assertStatus(r, 200);
  assert.deepEqual([...r.body.group_ids].sort(), [g1.id, g2.id].sort());
  const grp = (await admin.get(`${API}/groups/${g2.id}`)).body;
  assert.deepEqual(grp.host_ids, [h.id]);
  assert.deepEqual(grp._display.host_ids, [h.hostname]);
  r = await admin.patch(`${API}/hosts/${h.id}`, { group_ids: [] });
  assert.deepEqual(r.body.group_ids, []);
  // Editing the group edits the same membership.
  r = await admin.patch(`${API}/groups/${g1.id}`, { host_ids: [h.id] });
  assertStatus(r, 200);
  assert.deepEqual((await admin.get(`${API}/hosts/${h.id}`)).body.group_ids, [g1.id]);
  // null clears a set as [] does.
  r = await admin.patch(`${API}/groups/${g1.id}`, { host_ids: null });
  assertStatus(r, 200);
  assert.deepEqual(r.body.host_ids, []);
});

test('cabinets: member hosts move with the cabinet and follow its IDC', async () => {
  const idc1 = await mk(admin, 'idcs', { code: uniq('i'), name: uniq('机房') });
  const idc2 = await mk(admin, 'idcs', { code: uniq('i'), name: uniq('机房') });
  const h1 = await mk(admin, 'hosts', { hostname: uniq('cab'), ip: '10.0.1.1' });
  const h2 = await mk(admin, 'hosts', { hostname: uniq('cab'), ip: '10.0.1.2', idc_id: idc2.id });
  const cab = await mk(admin, 'cabinets', { idc_id: idc1.id, name: uniq('c'), host_ids: [h1.id] });
  assert.deepEqual(cab.host_ids, [h1.id]);
  let host = (await admin.get(`${API}/hosts/${h1.id}`)).body;
  assert.equal(host.cabinet_id, cab.id);
  assert.equal(host.idc_id, idc1.id, 'a host put in a cabinet is in that cabinet\'s IDC');

  // A PUT that does not mention host_ids keeps them.
  let r = await admin.put(`${API}/cabinets/${cab.id}`, { idc_id: idc1.id, name: cab.name, description: '改' });
  assertStatus(r, 200);
  assert.deepEqual(r.body.host_ids, [h1.id]);

  // Replacing the members releases the old ones.
  r = await admin.patch(`${API}/cabinets/${cab.id}`, { host_ids: [h2.id] });
  assertStatus(r, 200);
  assert.deepEqual(r.body.host_ids, [h2.id]);
  host = (await admin.get(`${API}/hosts/${h1.id}`)).body;
  assert.equal(host.cabinet_id, null);
  host = (await admin.get(`${API}/hosts/${h2.id}`)).body;
  assert.equal(host.cabinet_id, cab.id);
  assert.equal(host.idc_id, idc1.id);
  assert.ok(host.updated_at >= h2.updated_at);

  // Moving the cabinet to another IDC moves its hosts.
  r = await admin.patch(`${API}/cabinets/${cab.id}`, { idc_id: idc2.id });
  assertStatus(r, 200);
  assert.equal((await admin.get(`${API}/hosts/${h2.id}`)).body.idc_id, idc2.id);

  // A host cannot be in a cabinet of another IDC.
  assertError(await admin.patch(`${API}/hosts/${h2.id}`, { idc_id: idc1.id }), 400, 'bad_request', 'cabinet_id');
  // Setting only the cabinet takes its IDC.
  r = await admin.patch(`${API}/hosts/${h1.id}`, { cabinet_id: cab.id });
  assertStatus(r, 200);
  assert.equal(r.body.idc_id, idc2.id);
  // Clearing the IDC clears nothing silently: the cabinet must go too.
  assertError(await admin.patch(`${API}/hosts/${h1.id}`, { idc_id: null }), 400, 'bad_request', 'cabinet_id');
  r = await admin.patch(`${API}/hosts/${h1.id}`, { idc_id: null, cabinet_id: null });
  assertStatus(r, 200);
  assert.equal(r.body.cabinet_id, null);
});

test('deleting a row others refer to is refused with 409 naming them', async () => {
  const d = await makeDeps(admin);
  const host = await mk(admin, 'hosts', { ...sample('hosts', d) });
  const proj = await mk(admin, 'projects', sample('projects', d));
  const res = await mk(admin, 'resources', sample('resources', d));
  const cases = [
    ['idcs', d.idc, /cabinets|hosts/],
    ['owners', d.owner, /hosts|projects|resources|products|regions|branches/],
    ['credentials', d.credential, /hosts/],
    ['products', d.product, /projects/],
    ['regions', d.region, /branches/],
    ['branches', d.branch, /resources/],
  ];
  for (const [r, id, names] of cases) {
    const del = await admin.del(`${API}/${r}/${id}`);
    assertError(del, 409, 'conflict');
    assert.match(del.body.error.message, names, del.text);
    assertStatus(await admin.get(`${API}/${r}/${id}`), 200, `${r} still there`);
  }
  const types = (await list(admin, `${API}/asset-types?per_page=200`)).items;
  const vm = types.find((t) => t.code === 'vm');
  assertError(await admin.del(`${API}/asset-types/${vm.id}`), 409, 'conflict');
  const st = (await list(admin, `${API}/asset-statuses?per_page=200`)).items.find((t) => t.code === 'unused');
  assertError(await admin.del(`${API}/asset-statuses/${st.id}`), 409, 'conflict');

  // Memberships go away with either side: a cabinet's hosts are released
  // (they stay in the IDC), a group's hosts leave the group.
  assertStatus(await admin.del(`${API}/cabinets/${d.cabinet}`), 200);
  const released = (await admin.get(`${API}/hosts/${host.id}`)).body;
  assert.equal(released.cabinet_id, null);
  assert.equal(released.idc_id, d.idc);
  assertStatus(await admin.del(`${API}/groups/${d.group}`), 200);
  assert.deepEqual((await admin.get(`${API}/hosts/${host.id}`)).body.group_ids, []);
  assertStatus(await admin.del(`${API}/hosts/${d.host}`), 200);
  assert.deepEqual((await admin.get(`${API}/projects/${proj.id}`)).body.host_ids, []);

  // Once the referring rows are gone, the deletes work.
  assertStatus(await admin.del(`${API}/resources/${res.id}`), 200);
  assertStatus(await admin.del(`${API}/branches/${d.branch}`), 200);
  assertStatus(await admin.del(`${API}/regions/${d.region}`), 200);
  assertStatus(await admin.del(`${API}/projects/${proj.id}`), 200);
  assertStatus(await admin.del(`${API}/products/${d.product}`), 200);
  assertStatus(await admin.del(`${API}/hosts/${host.id}`), 200);
  assertStatus(await admin.del(`${API}/idcs/${d.idc}`), 200);
  assertStatus(await admin.del(`${API}/credentials/${d.credential}`), 200);
  assertStatus(await admin.del(`${API}/owners/${d.owner}`), 200);
});

test('bulk delete is all or nothing', async () => {
  const idc = await mk(admin, 'idcs', { code: uniq('b'), name: uniq('批量') });
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push((await mk(admin, 'hosts', { hostname: uniq('bulk'), ip: '10.0.2.1' })).id);
  const used = await mk(admin, 'hosts', { hostname: uniq('bulk'), ip: '10.0.2.1', idc_id: idc.id });
  // One missing id: nothing deleted.
  assertError(await admin.post(`${API}/hosts/bulk-delete`, { ids: [...ids, 999999] }), 404, 'not_found');
  for (const id of ids) assertStatus(await admin.get(`${API}/hosts/${id}`), 200);
  // One referenced row: nothing deleted.
  assertError(await admin.post(`${API}/idcs/bulk-delete`, { ids: [idc.id] }), 409, 'conflict');
  assertError(await admin.post(`${API}/hosts/bulk-delete`, { ids: [] }), 400, 'bad_request', 'ids');
  assertError(await admin.post(`${API}/hosts/bulk-delete`, { ids: ['1'] }), 400, 'bad_request', 'ids');
  assertError(await admin.post(`${API}/hosts/bulk-delete`, { ids: [1], more: 1 }), 400, 'bad_request', 'ids');
  const r = await admin.post(`${API}/hosts/bulk-delete`, { ids: [...ids, used.id] });
  assertStatus(r, 200);
  assert.equal(r.body.deleted, 4);
  for (const id of ids) assertError(await admin.get(`${API}/hosts/${id}`), 404, 'not_found');
  const [a] = await auditOf(admin, 'host.bulk_delete');
  assert.deepEqual(a.detail.ids, [...ids, used.id]);
  assert.equal(a.detail.names.length, 4);
  assert.ok(a.detail.names.every((n) => n.startsWith('bulk')));
  // The same id twice is one delete.
  const twice = await mk(admin, 'hosts', { hostname: uniq('bulk'), ip: '10.0.2.2' });
  const t = await admin.post(`${API}/hosts/bulk-delete`, { ids: [twice.id, twice.id] });
  assertStatus(t, 200);
  assert.equal(t.body.deleted, 1);
  assertStatus(await admin.del(`${API}/idcs/${idc.id}`), 200);
});

test('asset types and statuses are seeded in both languages and editable; a code change follows to hosts', async () => {
  const types = (await list(admin, `${API}/asset-types?per_page=200`)).items;
  const byCode = Object.fromEntries(types.map((t) => [t.code, t]));
  for (const [code, zh] of [['physical', '物理机'], ['vm', '虚拟机'], ['container', '容器'],
    ['network', '网络设备'], ['security', '安全设备'], ['other', '其他']]) {
    assert.equal(byCode[code]?.name_zh, zh, code);
    assert.ok(byCode[code].name_en);
  }
  assert.deepEqual(types.map((t) => t.sort_order), [...types.map((t) => t.sort_order)].sort((a, b) => a - b));
  const st = (await list(admin, `${API}/asset-statuses?per_page=200`)).items.map((t) => `${t.code}:${t.name_zh}`);
  for (const s of ['in_use:使用中', 'unused:未使用', 'faulty:故障', 'other:其他']) assert.ok(st.includes(s), s);

  const t = await mk(admin, 'asset-types', { code: uniq('blade'), name_en: 'Blade', name_zh: '刀片机', sort_order: 7 });
  const h = await mk(admin, 'hosts', { hostname: uniq('bl'), ip: '10.0.3.1', asset_type: t.code });
  assert.equal(h.asset_type, t.code);
  const code2 = uniq('blade2');
  assertStatus(await admin.patch(`${API}/asset-types/${t.id}`, { code: code2 }), 200);
  assert.equal((await admin.get(`${API}/hosts/${h.id}`)).body.asset_type, code2);
  const f = await list(admin, `${API}/hosts?asset_type=${code2}`);
  assert.deepEqual(f.items.map((x) => x.id), [h.id]);
  // Defaults of a host without type or status.
  const d = await mk(admin, 'hosts', { hostname: uniq('def'), ip: '10.0.3.2' });
  assert.equal(d.asset_type, 'other');
  assert.equal(d.asset_status, 'in_use');
  assert.equal(d.source, 'manual');
});

test('a project\'s servers and enums', async () => {
  const p = await mk(admin, 'projects', { name: uniq('p'), language: 'python', framework: 'django' });
  assert.equal(p.language, 'python');
  assert.equal(p.server_type, 'other');
  assertError(await admin.patch(`${API}/projects/${p.id}`, { language: 'cobol' }), 400, 'bad_request', 'language');
  assertError(await admin.patch(`${API}/projects/${p.id}`, { source_type: 'hg' }), 400, 'bad_request', 'source_type');
  const f = await list(admin, `${API}/projects?language=python&framework=django`);
  assert.ok(f.items.some((x) => x.id === p.id));
  assert.ok(f.items.every((x) => x.language === 'python'));
  const r = await admin.patch(`${API}/projects/${p.id}`, { host_ids: [deps.host] });
  assert.deepEqual(r.body.host_ids, [deps.host]);
  const byHost = await list(admin, `${API}/projects?host_id=${deps.host}`);
  assert.ok(byHost.items.some((x) => x.id === p.id));
});
