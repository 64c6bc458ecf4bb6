// cmdb_csv.test.mjs -- CSV export (?format=csv) and import (POST
// /R/import): UTF-8 with BOM, headers in English or Chinese, references by
// name, the spreadsheet formula guard, selected or filtered rows; the
// export → import round trip with Chinese text, the same file re-encoded in
// GB18030 (as Excel on a Chinese Windows saves it), per-row errors with line
// numbers and nothing stored when any row is bad.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { assertError, assertStatus, uniq } from './common.mjs';
import { API, mk, list, listAll, parseCsv, toCsv, gb18030, importCsv, auditOf } from './cmdb_lib.mjs';

let server, admin, idc, cab, gWeb, gDb, owner, cred;

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  idc = await mk(admin, 'idcs', { code: 'bj1', name: '北京一号' });
  cab = await mk(admin, 'cabinets', { idc_id: idc.id, name: 'A-01 机柜' });
  gWeb = await mk(admin, 'groups', { name: 'web' });
  gDb = await mk(admin, 'groups', { name: '数据库' });
  owner = await mk(admin, 'owners', { name: '张三' });
  cred = await mk(admin, 'credentials', { name: '运维账号', username: 'ops', password: 'not-exported-pw' });
});
after(async () => { await server?.stop(); });

const KEEP = ['hostname', 'ip', 'other_ips', 'group_ids', 'idc_id', 'cabinet_id', 'asset_no', 'asset_type',
  'asset_status', 'os', 'kernel', 'vendor', 'model', 'sn', 'cpu_model', 'cpu_count', 'memory_mb', 'disks',
  'position', 'racked_at', 'purchased_at', 'warranty_end', 'owner_id', 'credential_id', 'ssh_port', 'tags', 'memo'];
const pick = (h) => Object.fromEntries(KEEP.map((k) => [k, k === 'group_ids' ? [...h[k]].sort() : h[k]]));

function roundTripHosts(tag) {
  return [
    { hostname: `${tag}-北京-web-01`, ip: '10.20.0.1', other_ips: '10.20.0.2, 2001:db8::1', group_ids: [gWeb.id, gDb.id],
      idc_id: idc.id, cabinet_id: cab.id, asset_no: '+86-资产-001', asset_type: 'vm', asset_status: 'faulty',
      os: 'CentOS 7.9', kernel: '3.10.0', vendor: '华为', model: '@泰山 2280', sn: 'SN,with,commas',
      cpu_model: 'Kunpeng 920', cpu_count: 64, memory_mb: 524288, disks: 'sda 1T; sdb "2T"', position: '-2 层 B 区',
      racked_at: '2022-01-31', purchased_at: '2021-12-01', warranty_end: '2027-01-31', owner_id: owner.id,
      credential_id: cred.id, ssh_port: 22022, tags: ['生产', 'web'], memo: '=SUM(A1:A9)\n第二行，中文逗号 "引号"' },
    { hostname: `${tag}-上海-db-02`, ip: '10.20.0.3', other_ips: '', group_ids: [], idc_id: null, cabinet_id: null,
      asset_no: "'=not a formula", asset_type: 'physical', asset_status: 'in_use', os: '', kernel: '', vendor: '',
      model: '', sn: '', cpu_model: '', cpu_count: null, memory_mb: null, disks: '', position: '',
      racked_at: null, purchased_at: null, warranty_end: null, owner_id: null, credential_id: null, ssh_port: null,
      tags: [], memo: '' },
  ];
}

test('export: BOM, English or Chinese headers, references by name, no secrets, formula guard', async () => {
  const g = await mk(admin, 'groups', { name: uniq('exp') });
  const h = await mk(admin, 'hosts', { hostname: uniq('exp'), ip: '10.30.0.1', group_ids: [g.id, gWeb.id], idc_id: idc.id,
    memo: '=cmd|\' /C calc\'!A0', position: '@SUM(1)', asset_no: '-1+1', os: '+1', credential_id: cred.id });
  const r = await admin.get(`${API}/hosts?format=csv&group_id=${g.id}`);
  assertStatus(r, 200);
  assert.match(r.headers.get('content-type'), /^text\/csv; charset=utf-8/);
  assert.match(r.headers.get('content-disposition'), /attachment; filename="hosts\.csv"/);
  const raw = Buffer.from(await (await fetch(`${server.url}${API}/hosts?format=csv&group_id=${g.id}`, {
    headers: { Cookie: admin.cookie } })).arrayBuffer());
  assert.deepEqual([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte-order mark');
  const rows = parseCsv(r.text.replace(/^\uFEFF/, ''));
  const [head, row] = rows;
  assert.equal(rows.length, 2);
  assert.equal(head[0], 'id');
  assert.ok(head.includes('Hostname') && head.includes('Management IP') && head.includes('Groups'));
  const cell = (name) => row[head.indexOf(name)];
  assert.equal(cell('Hostname'), h.hostname);
  assert.equal(cell('IDC'), '北京一号');
  assert.deepEqual(cell('Groups').split('; ').sort(), [g.name, 'web'].sort());
  assert.equal(cell('Credential'), '运维账号');
  // Cells a spreadsheet would run as formulas start with a quote.
  assert.equal(cell('Memo'), "'=cmd|' /C calc'!A0");
  assert.equal(cell('Position'), "'@SUM(1)");
  assert.equal(cell('Asset number'), "'-1+1");
  assert.equal(cell('OS'), "'+1");
  const tabbed = await mk(admin, 'idcs', { code: uniq('tab'), name: uniq('tab'), memo: '\t=1+2' });
  const ic = parseCsv((await admin.get(`${API}/idcs?format=csv&ids=${tabbed.id}`)).text.replace(/^\uFEFF/, ''));
  assert.equal(ic[1][ic[0].indexOf('Memo')], "'\t=1+2");
  assert.ok(!r.text.includes('not-exported-pw'));

  const zh = await admin.get(`${API}/hosts?format=csv&lang=zh&group_id=${g.id}`);
  const zhHead = parseCsv(zh.text.replace(/^\uFEFF/, ''))[0];
  for (const l of ['主机名', '管理IP', '主机组', '机房', '设备类型', '备注']) assert.ok(zhHead.includes(l), l);

  // Every resource exports; credentials never carry their secrets.
  const c = await admin.get(`${API}/credentials?format=csv`);
  assertStatus(c, 200);
  assert.ok(!/password|私钥|密码|not-exported-pw|passphrase/i.test(c.text), c.text);
  assertError(await admin.get(`${API}/hosts?format=xlsx`), 400, 'bad_request', 'format');
});

test('export in Chinese: asset types and statuses by their Chinese names, English keeps the codes; both import back', async () => {
  const tag = uniq('lbl');
  const h = await mk(admin, 'hosts', { hostname: tag, ip: '10.32.0.1', asset_type: 'vm', asset_status: 'in_use' });
  const cells = async (lang) => {
    const [head, row] = parseCsv((await admin.get(`${API}/hosts?format=csv&lang=${lang}&ids=${h.id}`)).text.replace(/^\uFEFF/, ''));
    return { head, row };
  };
  for (const lang of ['zh', 'zh-CN']) {
    const { head, row } = await cells(lang);
    assert.equal(row[head.indexOf('设备类型')], '虚拟机', lang);
    assert.equal(row[head.indexOf('设备状态')], '使用中', lang);
  }
  const en = await cells('en');
  assert.equal(en.row[en.head.indexOf('Asset type')], 'vm');
  assert.equal(en.row[en.head.indexOf('Status')], 'in_use');
  // The Chinese file comes back as the same codes.
  const file = (await admin.get(`${API}/hosts?format=csv&lang=zh-CN&ids=${h.id}`)).text;
  assertStatus(await admin.post(`${API}/hosts/bulk-delete`, { ids: [h.id] }), 200);
  assert.deepEqual((await importCsv(admin, 'hosts', file)).body, { rows: 1, created: 1, updated: 0 });
  const [back] = await listAll(admin, `${API}/hosts?q=${encodeURIComponent(tag)}`);
  assert.equal(back.asset_type, 'vm');
  assert.equal(back.asset_status, 'in_use');
});

test('export: selected ids, filters and search apply', async () => {
  const a = await mk(admin, 'hosts', { hostname: uniq('sel'), ip: '10.31.0.1' });
  const b = await mk(admin, 'hosts', { hostname: uniq('sel'), ip: '10.31.0.2' });
  await mk(admin, 'hosts', { hostname: uniq('sel'), ip: '10.31.0.3' });
  const ids = async (path) => parseCsv((await admin.get(path)).text.replace(/^\uFEFF/, '')).slice(1).map((r) => Number(r[0])).sort((x, y) => x - y);
  assert.deepEqual(await ids(`${API}/hosts?format=csv&ids=${a.id},${b.id}`), [a.id, b.id]);
  assert.deepEqual(await ids(`${API}/hosts?format=csv&q=10.31.0.2`), [b.id]);
  // The export is not paged: every matching row.
  const all = await listAll(admin, `${API}/hosts`);
  assert.equal((await ids(`${API}/hosts?format=csv&per_page=10`)).length, all.length);
});

test('export → import round trip with Chinese text, commas, quotes, newlines and formulas', async () => {
  const tag = uniq('rt');
  const made = [];
  for (const body of roundTripHosts(tag)) made.push(await mk(admin, 'hosts', body));
  // Chinese headers, English headers, and the Chinese file as Excel on a
  // Chinese Windows saves it again (GB18030, no byte-order mark).
  for (const variant of ['zh', 'en', 'gb18030']) {
    const lang = variant === 'en' ? 'en' : 'zh';
    const ids = made.map((h) => h.id).join(',');
    const exp = await admin.get(`${API}/hosts?format=csv&lang=${lang}&ids=${ids}`);
    assertStatus(exp, 200);
    const file = variant === 'gb18030' ? gb18030(exp.text.replace(/^\uFEFF/, '')) : exp.text;
    assert.equal((await admin.post(`${API}/hosts/bulk-delete`, { ids: made.map((h) => h.id) })).status, 200);
    const imp = await importCsv(admin, 'hosts', file);
    assertStatus(imp, 200, `import ${variant}`);
    assert.deepEqual(imp.body, { rows: 2, created: 2, updated: 0 });
    const back = (await listAll(admin, `${API}/hosts?q=${encodeURIComponent(tag)}`)).sort((x, y) => x.hostname.localeCompare(y.hostname));
    const want = roundTripHosts(tag).sort((x, y) => x.hostname.localeCompare(y.hostname));
    assert.deepEqual(back.map(pick), want.map(pick), `round trip (${variant})`);
    made.splice(0, made.length, ...back);
    // The same file again updates the same rows.
    const again = await importCsv(admin, 'hosts', file);
    assert.deepEqual(again.body, { rows: 2, created: 0, updated: 2 });
    const back2 = (await listAll(admin, `${API}/hosts?q=${encodeURIComponent(tag)}`)).sort((x, y) => x.hostname.localeCompare(y.hostname));
    assert.deepEqual(back2.map(pick), want.map(pick));
  }
  const [a] = await auditOf(admin, 'host.import');
  assert.equal(a.result, 'ok');
  assert.equal(a.detail.updated, 2);
  assert.deepEqual([...a.detail.rows].sort(), roundTripHosts(tag).map((h) => h.hostname).sort(), 'which rows');
});

test('import of a GB18030 file (Excel on Chinese Windows), without BOM, Excel-style dates', async () => {
  const tag = uniq('gb');
  const text = toCsv([
    ['主机名', '管理IP', '机房', '主机组', '设备类型', '设备状态', '厂商', '位置', '上架日期', '标签', '备注'],
    [`${tag}-杭州`, '10.40.0.1', '北京一号', 'web；数据库', '虚拟机', '故障', '浪潮', '杭州 滨江 机房', '2023/5/6', '生产; 核心；相似；波涛', '€ 欧元符号 𠀀 扩展字'],
    [`${tag}-深圳`, '10.40.0.2', '', '', 'Physical server', 'In use', '', '', '2024-12-31', '', ''],
  ]);
  const buf = gb18030(text);
  assert.ok(!buf.includes(Buffer.from('杭州', 'utf8')), 'really GB18030');
  const r = await importCsv(admin, 'hosts', buf);
  assertStatus(r, 200);
  assert.equal(r.body.created, 2);
  const [h] = await listAll(admin, `${API}/hosts?q=${encodeURIComponent(`${tag}-杭州`)}`);
  assert.equal(h.vendor, '浪潮');
  assert.equal(h.position, '杭州 滨江 机房');
  assert.equal(h.idc_id, idc.id);
  assert.deepEqual([...h.group_ids].sort(), [gWeb.id, gDb.id].sort());
  assert.equal(h.asset_type, 'vm');
  assert.equal(h.asset_status, 'faulty');
  assert.equal(h.racked_at, '2023-05-06');
  assert.deepEqual(h.tags, ['生产', '核心', '相似', '波涛']);
  assert.equal(h.memo, '€ 欧元符号 𠀀 扩展字');
  const [s] = await listAll(admin, `${API}/hosts?q=${encodeURIComponent(`${tag}-深圳`)}`);
  assert.equal(s.asset_type, 'physical');
  assert.equal(s.racked_at, '2024-12-31');
  // Chinese search finds the imported text.
  assert.equal((await list(admin, `${API}/hosts?q=${encodeURIComponent('滨江')}`)).total, 1);
});

test('one bad row: every problem reported with its line number, nothing stored', async () => {
  const tag = uniq('bad');
  const before = (await list(admin, `${API}/hosts`)).total;
  const text = toCsv([
    ['hostname', 'ip', 'IDC', 'cpu_count', 'racked_at', 'memo'],
    [`${tag}-ok1`, '10.50.0.1', '', '4', '', '多行\n备注'],
    [`${tag}-badip`, '10.50.0.999', '', '', '', ''],
    [`${tag}-ok2`, '10.50.0.2', '', '', '', ''],
    [`${tag}-badidc`, '10.50.0.3', '不存在的机房', '', '', ''],
    [`${tag}-badint`, '10.50.0.4', '', 'four', '', ''],
    [`${tag}-baddate`, '10.50.0.5', '', '', '2023-02-30', ''],
    ['', '10.50.0.6', '', '', '', ''],
    [`${tag}-ok1`, 'not-an-ip', '', '', '', ''],
  ]);
  const r = await importCsv(admin, 'hosts', text);
  assertError(r, 400, 'bad_request');
  // The first data row spans lines 2-3 (a quoted newline), so the bad ones
  // are on lines 4, 6, 7, 8, 9 and 10.
  assert.deepEqual(r.body.rows.map((e) => [e.line, e.field]), [
    [4, 'ip'], [6, 'idc_id'], [7, 'cpu_count'], [8, 'racked_at'], [9, 'hostname'], [10, 'ip'],
  ]);
  for (const e of r.body.rows) assert.ok(e.message.length > 5, e.message);
  assert.match(r.body.rows[1].message, /不存在的机房/);
  assert.equal((await list(admin, `${API}/hosts`)).total, before, 'nothing stored');
  assert.equal((await list(admin, `${API}/hosts?q=${tag}`)).total, 0);
  // A key repeated in the file updates the row made above it. Cabinets are
  // keyed by IDC and name together.
  const dupCab = toCsv([['idc_id', 'name', 'description'], ['北京一号', 'X1', 'first'], ['北京一号', 'X1', 'second']]);
  const d = await importCsv(admin, 'cabinets', dupCab);
  assertStatus(d, 200);
  assert.deepEqual(d.body, { rows: 2, created: 1, updated: 1 });
  const cabs = await listAll(admin, `${API}/cabinets?q=X1`);
  assert.deepEqual(cabs.map((c) => c.description), ['second']);
});

test('import: headers, columns and file problems', async () => {
  const tag = uniq('hdr');
  let r = await importCsv(admin, 'hosts', toCsv([['hostname', 'colour'], [`${tag}`, 'red']]));
  assertError(r, 400, 'bad_request');
  assert.match(r.body.error.message, /colour/);
  r = await importCsv(admin, 'hosts', toCsv([['ip', 'memo'], ['10.0.0.1', 'x']]));
  assertError(r, 400, 'bad_request', 'hostname');
  r = await importCsv(admin, 'hosts', toCsv([['hostname', 'ip', '管理IP'], [tag, '10.0.0.1', '10.0.0.2']]));
  assertError(r, 400, 'bad_request', 'ip');
  assert.match(r.body.error.message, /twice/);
  assertError(await importCsv(admin, 'hosts', ''), 400, 'bad_request');
  assertError(await importCsv(admin, 'hosts', '\uFEFF'), 400, 'bad_request');
  assertError(await importCsv(admin, 'hosts', 'hostname,ip\r\nx,10.0.0.1', 'application/json'), 415, 'unsupported_media_type');
  assertError(await importCsv(admin, 'hosts', Buffer.from([0x68, 0x2c, 0x69, 0x0a, 0xff, 0xff, 0xff, 0x0a])), 400, 'bad_request');
  r = await importCsv(admin, 'hosts', 'hostname,ip\r\n"unclosed,10.0.0.1\r\n');
  assertError(r, 400, 'bad_request');
  assert.equal(r.body.rows[0].line, 2);
  // Read-only columns (id, source, created) are ignored; headers are matched
  // by name, English label or Chinese label, any case, spaces trimmed.
  r = await importCsv(admin, 'hosts', toCsv([[' ID ', 'HOSTNAME', '管理IP', 'Source', 'Created', 'cpus'],
    ['77', `${tag}-a`, '10.60.0.1', 'agent', '2020-01-01 00:00:00', '2']]));
  assertStatus(r, 200);
  const [h] = await listAll(admin, `${API}/hosts?q=${tag}-a`);
  assert.equal(h.source, 'manual');
  assert.equal(h.cpu_count, 2);
  assert.notEqual(h.id, 77);
  // Trailing empty cells (spreadsheets add them) are fine; extra values are not.
  r = await importCsv(admin, 'hosts', `hostname,ip\r\n${tag}-b,10.60.0.2,,\r\n`);
  assertStatus(r, 200);
  r = await importCsv(admin, 'hosts', `hostname,ip\r\n${tag}-c,10.60.0.3,surprise\r\n`);
  assertError(r, 400, 'bad_request');
  assert.deepEqual(r.body.rows.map((e) => e.line), [2]);
  // Fewer cells than headers: the missing ones are empty. Blank lines skipped.
  r = await importCsv(admin, 'hosts', `hostname,ip,memo\r\n\r\n${tag}-d,10.60.0.4\r\n\r\n`);
  assertStatus(r, 200);
  assert.equal(r.body.created, 1);
  // An update by key changes only the cells given.
  r = await importCsv(admin, 'hosts', `hostname,memo\n${tag}-d,新备注\n`);
  assert.deepEqual(r.body, { rows: 1, created: 0, updated: 1 });
  const [d] = await listAll(admin, `${API}/hosts?q=${tag}-d`);
  assert.equal(d.memo, '新备注');
  assert.equal(d.ip, '10.60.0.4');
});

test('import looks names up: a cabinet within the row\'s IDC; ambiguous names are refused', async () => {
  const tag = uniq('nm');
  const i1 = await mk(admin, 'idcs', { code: `${tag}a`, name: `${tag}-一` });
  const i2 = await mk(admin, 'idcs', { code: `${tag}b`, name: `${tag}-二` });
  await mk(admin, 'cabinets', { idc_id: i1.id, name: 'C01' });
  const c2 = await mk(admin, 'cabinets', { idc_id: i2.id, name: 'C01' });
  // The cabinet column comes first; the IDC after it still decides.
  let r = await importCsv(admin, 'hosts', toCsv([['机柜', 'hostname', 'ip', '机房'], ['C01', `${tag}-h`, '10.70.0.1', `${tag}-二`]]));
  assertStatus(r, 200);
  const [h] = await listAll(admin, `${API}/hosts?q=${tag}-h`);
  assert.equal(h.cabinet_id, c2.id);
  assert.equal(h.idc_id, i2.id);
  // Without the IDC, "C01" could be either.
  r = await importCsv(admin, 'hosts', toCsv([['hostname', 'ip', 'cabinet'], [`${tag}-x`, '10.70.0.2', 'C01']]));
  assertError(r, 400, 'bad_request');
  assert.equal(r.body.rows[0].field, 'cabinet_id');
  assert.match(r.body.rows[0].message, /several/);
  // A cabinet that is not in the row's IDC.
  r = await importCsv(admin, 'hosts', toCsv([['hostname', 'ip', 'cabinet', 'idc'], [`${tag}-y`, '10.70.0.3', 'A-01 机柜', `${tag}-一`]]));
  assertError(r, 400, 'bad_request');
  assert.equal(r.body.rows[0].field, 'cabinet_id');
  // The export of such hosts imports back to the same cabinets.
  const exp = await admin.get(`${API}/hosts?format=csv&ids=${h.id}`);
  assert.equal((await admin.del(`${API}/hosts/${h.id}`)).status, 200);
  r = await importCsv(admin, 'hosts', exp.text);
  assertStatus(r, 200);
  const [back] = await listAll(admin, `${API}/hosts?q=${tag}-h`);
  assert.equal(back.cabinet_id, c2.id);
});

test('long lists: a group of 300 hosts goes out and comes back whole', async () => {
  const tag = uniq('big');
  const rows = [['hostname', 'ip']];
  for (let i = 0; i < 300; i++) rows.push([`${tag}-主机-${String(i).padStart(3, '0')}.example.com`, `10.80.${i >> 8}.${i & 255}`]);
  let r = await importCsv(admin, 'hosts', toCsv(rows));
  assertStatus(r, 200);
  assert.equal(r.body.created, 300);
  const ids = (await listAll(admin, `${API}/hosts?q=${tag}`)).map((h) => h.id).sort((a, b) => a - b);
  const g = await mk(admin, 'groups', { name: `${tag}-组`, host_ids: ids });
  const exp = await admin.get(`${API}/groups?format=csv&lang=zh&ids=${g.id}`);
  assert.ok(Buffer.byteLength(exp.text) > 8192, 'longer than any fixed cell buffer');
  assertStatus(await admin.del(`${API}/groups/${g.id}`), 200);
  r = await importCsv(admin, 'groups', exp.text);
  assertStatus(r, 200);
  const [back] = await listAll(admin, `${API}/groups?q=${encodeURIComponent(`${tag}-组`)}`);
  assert.deepEqual([...back.host_ids].sort((a, b) => a - b), ids);
  assertStatus(await admin.post(`${API}/hosts/bulk-delete`, { ids }), 200);
});

test('import of other resources: IDCs by Chinese headers, resources with dates and amounts', async () => {
  const tag = uniq('i');
  let r = await importCsv(admin, 'idcs', toCsv([['机房编码', '机房名称', '地址', '带宽'], [`${tag}`, `广州${tag}`, '广州市天河区', '10G']]));
  assertStatus(r, 200);
  const [i] = (await listAll(admin, `${API}/idcs?q=${tag}`));
  assert.equal(i.address, '广州市天河区');
  const br = await mk(admin, 'branches', { name: `分支${tag}` });
  r = await importCsv(admin, 'resources', toCsv([
    ['资源编码', '资源名称', '规格', '合同金额', '合同开始', '合同结束', '所属机构', '供应商'],
    [`R${tag}`, '专线', '100M', '1200.5', '2024-01-01', '2024-12-31', br.name, '中国联通'],
  ]));
  assertStatus(r, 200);
  const [res] = await listAll(admin, `${API}/resources?q=R${tag}`);
  assert.equal(res.branch_id, br.id);
  assert.equal(res.paid, '1200.5');
  assert.equal(res.supplier, '中国联通');
  r = await importCsv(admin, 'resources', toCsv([['code', 'name', 'spec', 'paid'], [`R${tag}x`, 'n', 's', '-3']]));
  assertError(r, 400, 'bad_request');
  assert.equal(r.body.rows[0].field, 'paid');
});
