// cmdb_lib.mjs -- helpers shared by the CMDB integration tests
// (tests/integration/cmdb_*.test.mjs): a valid sample body for every
// resource, creating the rows a sample refers to, reading every page of a
// list, CSV parsing, and GB18030 encoding (as Excel on a Chinese Windows
// writes it) through the system's iconv.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { assertStatus, uniq } from './common.mjs';

export const API = '/api/v1';

// Every resource served by the generic layer, by URL segment.
export const RESOURCES = ['hosts', 'groups', 'idcs', 'cabinets', 'asset-types', 'asset-statuses',
  'credentials', 'owners', 'products', 'projects', 'regions', 'branches', 'resources', 'nav-links'];

// POST a row, asserting 201; returns the created row.
export async function mk(c, res, body) {
  const r = await c.post(`${API}/${res}`, body);
  assertStatus(r, 201, `create ${res} ${JSON.stringify(body).slice(0, 200)}`);
  return r.body;
}

// The rows other samples refer to: an owner, an IDC, a cabinet, a group, a
// credential, a host, a product, a region and a branch. Returns their ids.
export async function makeDeps(c) {
  const d = {};
  d.owner = (await mk(c, 'owners', { name: uniq('负责人') })).id;
  d.idc = (await mk(c, 'idcs', { code: uniq('idc'), name: uniq('机房') })).id;
  d.cabinet = (await mk(c, 'cabinets', { idc_id: d.idc, name: uniq('柜') })).id;
  d.group = (await mk(c, 'groups', { name: uniq('grp') })).id;
  d.credential = (await mk(c, 'credentials', { name: uniq('cred'), username: 'root' })).id;
  d.host = (await mk(c, 'hosts', { hostname: uniq('dep-host'), ip: '192.0.2.1' })).id;
  d.product = (await mk(c, 'products', { name: uniq('产品') })).id;
  d.region = (await mk(c, 'regions', { name: uniq('华北') })).id;
  d.branch = (await mk(c, 'branches', { name: uniq('分公司'), region_id: d.region })).id;
  return d;
}

// A body setting every writable field of `res` to a valid value.
export function sample(res, d) {
  const u = uniq('');
  switch (res) {
  case 'owners':
    return { name: `张三${u}`, phone: '13800138000', email: `zs${u}@example.com`, wechat: `wx${u}`, qq: '10001' };
  case 'idcs':
    return { code: `bj${u}`, name: `北京一号${u}`, address: '北京市海淀区中关村', phone: '010-12345678',
      contact: '李四', contact_phone: '13900000000', ip_range: '10.1.0.0/16', bandwidth: '1G',
      memo: '第一行\n第二行' };
  case 'cabinets':
    return { idc_id: d.idc, name: `A${u}`, description: '二楼 机柜', host_ids: [d.host] };
  case 'groups':
    return { name: `web${u}`, description: 'Web 服务器', host_ids: [d.host] };
  case 'asset-types':
  case 'asset-statuses':
    return { code: `c${u}`, name_en: `Kind ${u}`, name_zh: `类型${u}`, sort_order: 50 };
  case 'credentials':
    return { name: `cred${u}`, username: 'deploy', port: 2222, password: `pw-${u}`,
      private_key: `-----BEGIN OPENSSH PRIVATE KEY-----\nkey${u}\n-----END OPENSSH PRIVATE KEY-----`,
      passphrase: `pp-${u}`, memo: '部署账号' };
  case 'hosts':
    return { hostname: `host${u}.example`, ip: '10.9.8.7', other_ips: '10.9.8.8, fe80::1', group_ids: [d.group],
      idc_id: d.idc, cabinet_id: d.cabinet, asset_no: `ZC-${u}`, asset_type: 'vm', asset_status: 'unused',
      os: 'Debian 12', kernel: '6.1.0-18-amd64', vendor: '华为', model: 'RH2288', sn: `SN${u}`,
      cpu_model: 'Intel Xeon Gold 6230', cpu_count: 40, memory_mb: 131072, disks: 'sda 480G; sdb 4T',
      position: '三楼 A 区', racked_at: '2023-05-06', purchased_at: '2023-04-01', warranty_end: '2026-03-31',
      owner_id: d.owner, credential_id: d.credential, ssh_port: 2222, tags: ['生产', 'web'], memo: '备注\n两行' };
  case 'products':
    return { name: `产品线${u}`, description: '核心业务', owner_id: d.owner };
  case 'projects':
    return { name: `proj${u}`, description: '订单服务', language: 'java', app_type: 'backend',
      server_type: 'tomcat', framework: 'spring_boot', source_type: 'git',
      source_url: `https://git.example.com/shop/${u}.git`, deploy_path: '/opt/app', config_path: '/etc/app',
      product_id: d.product, owner_id: d.owner, host_ids: [d.host] };
  case 'regions':
    return { name: `区域${u}`, address: '上海市', phone: '021-1234', owner_id: d.owner, description: '华东' };
  case 'branches':
    return { name: `分支${u}`, address: '杭州市', phone: '0571-1234', region_id: d.region, owner_id: d.owner,
      description: '浙江' };
  case 'resources':
    return { code: `R${u}`, name: `专线${u}`, spec: '100M MSTP', budget: '12000.00', paid: '11800.50',
      contract_no: `HT-${u}`, contract_start: '2024-01-01', contract_end: '2025-12-31', supplier: '中国电信',
      service_phone: '10000', branch_id: d.branch, owner_id: d.owner, description: '总部到分支' };
  case 'nav-links':
    return { name: `Grafana${u}`, description: '监控', url: `https://grafana.example.com/${u}`,
      icon: 'fa-solid fa-chart-line', sort_order: 3 };
  default:
    throw new Error(`no sample for ${res}`);
  }
}

// Secret fields per resource (write-only).
export const SECRETS = { credentials: ['password', 'private_key', 'passphrase'] };

// Assert that row shows every value of body (secrets as <name>_set: true).
export function assertShows(res, row, body) {
  for (const [k, v] of Object.entries(body)) {
    if ((SECRETS[res] || []).includes(k)) {
      assert.equal(row[`${k}_set`], v !== null && v !== '', `${res}.${k}_set`);
      assert.ok(!(k in row), `${res}.${k} must not be returned`);
    } else {
      assert.deepEqual(row[k], v, `${res}.${k}`);
    }
  }
}

// Every item of a list (all pages).
export async function listAll(c, path) {
  const out = [];
  for (let page = 1; ; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const r = await c.get(`${path}${sep}per_page=200&page=${page}`);
    assertStatus(r, 200, path);
    out.push(...r.body.items);
    if (out.length >= r.body.total || r.body.items.length === 0) return out;
  }
}

// GET a list, asserting 200; returns the body ({items, total}).
export async function list(c, path) {
  const r = await c.get(path);
  assertStatus(r, 200, path);
  return r.body;
}

// Parse CSV text (RFC 4180: quotes, doubled quotes, CRLF) into rows of cells.
export function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', i = 0, quoted = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i += 2; continue; }
      if (ch === '"') { quoted = false; i++; continue; }
      cell += ch; i++; continue;
    }
    if (ch === '"') { quoted = true; i++; continue; }
    if (ch === ',') { row.push(cell); cell = ''; i++; continue; }
    if (ch === '\r' && text[i + 1] === '\n') i++;
    if (ch === '\n' || ch === '\r') { row.push(cell); rows.push(row); row = []; cell = ''; i++; continue; }
    cell += ch; i++;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

// Quote one CSV cell.
export function csvCell(v) {
  const s = String(v ?? '');
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// Rows (arrays) to CSV text with CRLF line ends.
export function toCsv(rows) {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

// text encoded as GB18030 (a Buffer), through iconv(1).
export function gb18030(text) {
  return execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: Buffer.from(text, 'utf8') });
}

// POST a CSV body to /R/import.
export function importCsv(c, res, body, contentType = 'text/csv') {
  return c.req('POST', `${API}/${res}/import`, body, { headers: { 'Content-Type': contentType }, raw: true });
}

// Audit rows of one object (newest first).
export async function auditOf(admin, action, id) {
  const r = await admin.get(`${API}/audit?action=${encodeURIComponent(action)}&per_page=200`);
  assertStatus(r, 200, 'audit');
  return r.body.items.filter((x) => id === undefined || x.object_id === String(id));
}
