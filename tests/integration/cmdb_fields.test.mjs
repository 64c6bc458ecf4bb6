// cmdb_fields.test.mjs -- validation of every field type of the resource
// layer (src/cmdb/resource.h): integers, dates, IP addresses and lists of
// them, URLs, e-mail addresses, amounts, enums, codes, references, sets,
// tags, icons, one-line text and notes, lengths counted in characters.
// Each bad value is refused with 400 naming the field, and changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { assertError, assertStatus, uniq } from './common.mjs';
import { API, mk, makeDeps } from './cmdb_lib.mjs';

let server, admin, deps, host, resrc, nav, owner;

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  deps = await makeDeps(admin);
  host = await mk(admin, 'hosts', { hostname: uniq('f'), ip: '10.0.0.1' });
  resrc = await mk(admin, 'resources', { code: uniq('r'), name: 'n', spec: 's' });
  nav = await mk(admin, 'nav-links', { name: uniq('n'), url: 'https://a.example/' });
  owner = await mk(admin, 'owners', { name: uniq('o') });
});
after(async () => { await server?.stop(); });

// PATCH res/id with {field: v} for each good and bad value; bad values must
// leave the row as it was.
async function check(res, id, field, good, bad) {
  for (const v of good) {
    const r = await admin.patch(`${API}/${res}/${id}`, { [field]: v });
    assertStatus(r, 200, `${res}.${field} = ${JSON.stringify(v)}`);
  }
  const before = (await admin.get(`${API}/${res}/${id}`)).body;
  for (const v of bad) {
    const r = await admin.patch(`${API}/${res}/${id}`, { [field]: v });
    assertError(r, 400, 'bad_request', field);
    assert.ok(r.body.error.message.includes(field), r.body.error.message);
  }
  assert.deepEqual((await admin.get(`${API}/${res}/${id}`)).body, before, `${res}.${field} unchanged`);
}

test('integers: type and range', async () => {
  await check('hosts', host.id, 'ssh_port', [1, 22, 65535, null], [0, 65536, -1, '22', 22.5, true, [22], { p: 1 }]);
  await check('hosts', host.id, 'cpu_count', [0, 128], [-1, 100001, '4']);
  await check('hosts', host.id, 'memory_mb', [0, 2 ** 40], [2 ** 40 + 1, -5, 1e300]);
  await check('nav-links', nav.id, 'sort_order', [0, 10000], [-1, 10001]);
  assert.equal((await admin.patch(`${API}/hosts/${host.id}`, { memory_mb: 65536 })).body.memory_mb, 65536);
});

test('dates: real calendar days as YYYY-MM-DD', async () => {
  await check('hosts', host.id, 'racked_at', ['2024-02-29', '2000-02-29', '1999-12-31', '', null],
    ['2023-02-29', '1900-02-29', '2024-02-30', '2024-04-31', '2024-13-01', '2024-00-10', '2024-1-01', '2024-01-1',
      '20240101', '2024/01/01', '2024-01-01T00:00:00Z', ' 2024-01-01', '２０２４-01-01', 'yesterday', 20240101]);
  await check('resources', resrc.id, 'contract_end', ['2030-06-30'], ['2030-06-31']);
  const r = await admin.patch(`${API}/hosts/${host.id}`, { warranty_end: '2028-02-29' });
  assert.equal(r.body.warranty_end, '2028-02-29');
  assert.equal((await admin.patch(`${API}/hosts/${host.id}`, { warranty_end: '' })).body.warranty_end, null);
});

test('IP addresses: management IP (v4 or v6) and lists of other IPs', async () => {
  await check('hosts', host.id, 'ip', ['192.168.1.1', '0.0.0.0', '255.255.255.255', '::1', '2001:db8::8a2e:370:7334', '::ffff:10.0.0.1'],
    ['', null, '256.1.1.1', '10.0.0', '10.0.0.1.1', '10.0.0.1/24', ' 10.0.0.1', '10.0.0.1 ', 'fe80::1%eth0', 'host.example', '１０.0.0.1', 167772161]);
  await check('hosts', host.id, 'other_ips', ['', '10.0.0.2', '10.0.0.2, 10.0.0.3', '10.0.0.2;10.0.0.3 fe80::2', '10.0.0.2,,10.0.0.3'],
    ['10.0.0.2, x', '10.0.0.300', '10.0.0.2,10.0.0.2.5', ['10.0.0.2']]);
});

test('URLs: http and https only; e-mail addresses', async () => {
  await check('nav-links', nav.id, 'url', ['http://a.example', 'https://a.example:8443/x?y=1&z=%20#f', 'https://监控.example/面板'],
    ['', 'javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'data:text/html,x', 'ftp://a.example', '//a.example', 'https://a.example/"onmouseover=x', 'https://a b', 'https://a.example/<x>', 'https://a.example/\n']);
  await check('owners', owner.id, 'email', ['', 'a@b.example', '张三@例子.中国'], ['a', '@b', 'a@', 'a@b@c', 'a b@c', '<a@b>', 'a@b\n']);
});

test('amounts: non-negative with at most two decimals, as text or number', async () => {
  await check('resources', resrc.id, 'paid', ['0', '0.5', '1234.56', '9999999999999.99', 12.5, 0, '', null],
    ['-1', '1.234', '1,000', '1e3', '.5', '5.', 'abc', '１２', -3, '99999999999999', 1e14]);
  assert.equal((await admin.patch(`${API}/resources/${resrc.id}`, { budget: 1200 })).body.budget, '1200.00');
  assert.equal((await admin.patch(`${API}/resources/${resrc.id}`, { budget: '88.8' })).body.budget, '88.8');
});

test('enums and codes: only the listed values', async () => {
  const p = await mk(admin, 'projects', { name: uniq('p') });
  await check('projects', p.id, 'language', ['go', 'python', 'other'], ['Python', 'cobol', 'java ', 1]);
  await check('projects', p.id, 'app_type', ['frontend'], ['fullstack']);
  await check('hosts', host.id, 'asset_status', ['faulty', 'unused'], ['broken', 'FAULTY', 5]);
  await check('hosts', host.id, 'asset_type', ['physical'], ['物理机', 'Physical server', 'spaceship']);
  // An empty enum or code means the default.
  assert.equal((await admin.patch(`${API}/projects/${p.id}`, { language: '' })).body.language, 'other');
});

test('references and sets: existing ids only', async () => {
  await check('hosts', host.id, 'owner_id', [deps.owner, null], [999999, 0, -1, '1', 1.5, [deps.owner]]);
  await check('hosts', host.id, 'group_ids', [[deps.group], [], null], [[999999], [0], ['1'], deps.group, [deps.group, 999999], [1.5]]);
  await check('groups', deps.group, 'host_ids', [[host.id], []], [[999999], 'x', { a: 1 }]);
  const tooMany = Array.from({ length: 1001 }, (_, i) => i + 1);
  await check('hosts', host.id, 'group_ids', [], [tooMany]);
});

test('tags: a short list of short words', async () => {
  await check('hosts', host.id, 'tags', [[], ['web'], ['生产', '核心', 'a-b_c'], null],
    ['web', [1], [''], ['a,b'], ['x'.repeat(33)], ['a\nb'], Array.from({ length: 33 }, (_, i) => `t${i}`)]);
  assert.deepEqual((await admin.patch(`${API}/hosts/${host.id}`, { tags: ['生产', 'web'] })).body.tags, ['生产', 'web']);
  assert.deepEqual((await admin.patch(`${API}/hosts/${host.id}`, { tags: null })).body.tags, []);
});

test('icons: Font Awesome class names only', async () => {
  await check('nav-links', nav.id, 'icon', ['', 'fa-solid fa-server', 'fa-brands fa-github'],
    ['fa-solid" onload="x', '<i>', 'FA-SOLID', 'fa_solid', 'fa-solid;']);
});

test('text: one line, length in characters, Chinese counted as one each', async () => {
  await check('hosts', host.id, 'os', ['', 'Debian 12', '银河麒麟 V10', 'x'.repeat(128), '中'.repeat(128), 'emoji 🚀', '<b>"\'%_;'],
    ['x'.repeat(129), '中'.repeat(129), 'a\nb', 'a\rb', 'a\tb', 'a\u007fb', 5, true]);
  await check('hosts', host.id, 'hostname', [uniq('host-中文'), 'h'.repeat(253)], ['', 'h'.repeat(254), null, 'a\nb']);
  // Notes keep line breaks and tabs but no other control characters.
  await check('hosts', host.id, 'memo', ['第一行\n第二行\r\n\t缩进', 'x'.repeat(4000), ''], ['x'.repeat(4001), 'a\u0001b', 'a\u001bb']);
  assert.equal((await admin.patch(`${API}/hosts/${host.id}`, { memo: '行一\n行二' })).body.memo, '行一\n行二');
});

test('unique text is compared as written; surrounding spaces are refused', async () => {
  const a = await mk(admin, 'owners', { name: uniq('Name') });
  assertError(await admin.post(`${API}/owners`, { name: ` ${a.name}` }), 400, 'bad_request', 'name');
  assertError(await admin.post(`${API}/owners`, { name: `${a.name} ` }), 400, 'bad_request', 'name');
  assertError(await admin.post(`${API}/owners`, { name: a.name }), 409, 'conflict', 'name');
});
