// Monitoring (#/monitor, #/monitor/HOST_ID): a host tree on the left (All
// hosts — every host, with or without IDC or group —, IDC → cabinet → hosts,
// IDC → hosts without a cabinet, group → hosts; with search) and, for the
// chosen host, ECharts line charts of its series (GET /api/v1/metrics/ID):
// CPU (stacked user/system/iowait/steal), load, memory, swap, each
// filesystem (% used, inodes % used), each disk (bytes/s, util %), each NIC
// (rx/tx bytes/s). Ranges 1 h … 1 year or a custom one, AVERAGE or MAX.
//
// Refresh: relative ranges refresh by themselves once per step (at least
// every 60 s), fetching only what is new (from = the last known point) and
// appending it. The server picks the resolution from the range it is asked
// for (and groups rows to at most 800 points), so a short incremental fetch
// of a 1-day or 7-day chart comes back per minute: those points are
// consolidated here into the chart's step (AVERAGE or MAX, known when at
// least half are, as RRD does). Unknown values stay null: gaps.

import { t, fmtTime } from '../i18n.js';
import { get, can } from '../api.js';
import { el, icon, clear, toast } from '../ui.js';
import { loadECharts, timeSeriesOption, fmtBytes, fmtPct } from '../charts.js';

const RANGES = [
  { id: '1h', seconds: 3600, label: 'mon.range_1h' },
  { id: '6h', seconds: 6 * 3600, label: 'mon.range_6h' },
  { id: '1d', seconds: 86400, label: 'mon.range_1d' },
  { id: '7d', seconds: 7 * 86400, label: 'mon.range_7d' },
  { id: '30d', seconds: 30 * 86400, label: 'mon.range_30d' },
  { id: '1y', seconds: 365 * 86400, label: 'mon.range_1y' },
];
const MAX_RANGE = 400 * 86400;
const PAGE = 200;

async function fetchAll(path, params = {}, signal) {
  const out = [];
  let now = null;
  for (let page = 1; page < 1000; page++) {
    const res = await get(path, { ...params, per_page: PAGE, page }, { quiet: true });
    if (signal && signal.aborted) break;
    const items = (res && res.items) || [];
    if (res && res.now) now = res.now;
    out.push(...items);
    if (items.length < PAGE || out.length >= Number(res.total || 0)) break;
  }
  return { items: out, now };
}

/* Online state of a host from its last report (as the dashboard counts it). */
function hostState(h, now) {
  if (!h.last_seen_at) return 'none';
  const iv = Number(h.agent_interval) || 60;
  return now - Number(h.last_seen_at) <= 3 * iv ? 'up' : 'down';
}

/* ------------------------------------------------------------ chart plan */

/* Which charts a host gets, from the series it has (GET …/series). */
function chartPlan(seriesList) {
  const byKind = { host: [], fs: [], disk: [], net: [] };
  for (const s of seriesList) if (byKind[s.kind]) byKind[s.kind].push(s);
  for (const k of Object.keys(byKind)) byKind[k].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  const plan = [];
  const v = (name) => (g) => g(name);
  if (byKind.host.length) {
    plan.push({
      id: 'cpu', key: 'host', title: t('mon.chart_cpu'), axes: ['pct'], max: 100,
      series: [
        { name: t('mon.cpu_user'), unit: 'pct', stack: 'cpu', fn: v('cpu_user') },
        { name: t('mon.cpu_system'), unit: 'pct', stack: 'cpu', fn: v('cpu_system') },
        { name: t('mon.cpu_iowait'), unit: 'pct', stack: 'cpu', fn: v('cpu_iowait') },
        { name: t('mon.cpu_steal'), unit: 'pct', stack: 'cpu', fn: v('cpu_steal') },
      ],
    });
    plan.push({
      id: 'load', key: 'host', title: t('mon.chart_load'), axes: ['number'],
      series: [
        { name: t('mon.load1'), unit: 'number', fn: v('load1') },
        { name: t('mon.load5'), unit: 'number', fn: v('load5') },
        { name: t('mon.load15'), unit: 'number', fn: v('load15') },
      ],
    });
    plan.push({
      id: 'mem', key: 'host', title: t('mon.chart_memory'), axes: ['bytes'],
      series: [
        { name: t('mon.mem_used'), unit: 'bytes', fn: v('mem_used') },
        { name: t('mon.mem_available'), unit: 'bytes', fn: v('mem_avail') },
        { name: t('mon.mem_buffers'), unit: 'bytes', fn: v('mem_buffers') },
        { name: t('mon.mem_cached'), unit: 'bytes', fn: v('mem_cached') },
      ],
    });
    plan.push({
      id: 'swap', key: 'host', title: t('mon.chart_swap'), axes: ['bytes'],
      series: [{ name: t('mon.swap_used'), unit: 'bytes', area: true, fn: v('swap_used') }],
    });
  }
  const ratio = (a, b) => (g) => {
    const x = g(a);
    const y = g(b);
    return x === null || y === null || x + y <= 0 ? null : (100 * x) / (x + y);
  };
  byKind.fs.forEach((s, i) => plan.push({
    id: `fs-${i}`, key: s.key, title: t('mon.chart_fs', { name: s.name }), axes: ['pct'], max: 100, fs: true,
    series: [
      { name: t('mon.fs_used_pct'), unit: 'pct', area: true, fn: ratio('used', 'free') },
      { name: t('mon.fs_inodes_pct'), unit: 'pct', fn: ratio('inodes_used', 'inodes_free') },
    ],
  }));
  byKind.disk.forEach((s, i) => plan.push({
    id: `disk-${i}`, key: s.key, title: t('mon.chart_disk', { name: s.name }), axes: ['rate', 'pct'],
    series: [
      { name: t('mon.disk_read'), unit: 'rate', fn: v('read_bytes') },
      { name: t('mon.disk_write'), unit: 'rate', fn: v('write_bytes') },
      { name: t('mon.disk_util'), unit: 'pct', axis: 1, fn: v('util') },
    ],
  }));
  byKind.net.forEach((s, i) => plan.push({
    id: `net-${i}`, key: s.key, title: t('mon.chart_net', { name: s.name }), axes: ['rate'],
    series: [
      { name: t('mon.net_rx'), unit: 'rate', area: true, fn: v('rx_bytes') },
      { name: t('mon.net_tx'), unit: 'rate', area: true, fn: v('tx_bytes') },
    ],
  }));
  return plan;
}

/* ------------------------------------------------------------ data store */

/*
 * Rows of each series, [t, v1, v2 …] with t in Unix seconds, kept in time
 * order on one grid of `step` seconds.
 */
class SeriesStore {
  constructor() {
    this.step = 0;
    this.series = new Map(); // key -> { ds: [...], rows: [[t, ...]] }
    this.lastT = null; // the newest row with a known value (any series)
  }

  /* Replace everything with the answer of a full fetch. */
  load(res) {
    this.series.clear();
    this.step = 0;
    for (const s of res.series || []) {
      if (!this.step) this.step = Number(s.step);
      this.series.set(s.key, { ds: s.ds, rows: s.rows.filter((r) => r[0] <= res.to) });
    }
    this.updateLast();
  }

  updateLast() {
    let last = null;
    for (const s of this.series.values()) {
      for (let i = s.rows.length - 1; i >= 0; i--) {
        const r = s.rows[i];
        if (r.slice(1).some((x) => x !== null)) {
          if (last === null || r[0] > last) last = r[0];
          break;
        }
      }
    }
    this.lastT = last;
  }

  /*
   * Merge an incremental answer (rows after lastT). Returns false when it
   * cannot be merged (different series or a coarser step): reload then.
   */
  merge(res, cf) {
    const step = this.step;
    const incoming = res.series || [];
    if (incoming.length !== this.series.size || incoming.some((s) => !this.series.has(s.key))) return false;
    for (const s of incoming) {
      const sStep = Number(s.step);
      if (sStep > step) return false;
      let rows = s.rows.filter((r) => r[0] > this.lastT && r[0] <= res.to);
      if (sStep < step) rows = consolidate(rows, sStep, step, cf, this.lastT);
      const cur = this.series.get(s.key);
      // rows after lastT were unknown when fetched; the new answer replaces them
      const keep = cur.rows.filter((r) => r[0] <= this.lastT);
      cur.rows = keep.concat(rows);
    }
    this.updateLast();
    return true;
  }

  trim(fromT) {
    for (const s of this.series.values()) {
      let i = 0;
      while (i < s.rows.length && s.rows[i][0] < fromT) i++;
      if (i) s.rows.splice(0, i);
    }
  }

  /* Points [ms, value] of one chart series. */
  points(key, fn) {
    const s = this.series.get(key);
    if (!s) return [];
    const idx = new Map(s.ds.map((d, i) => [d, i + 1]));
    return s.rows.map((r) => {
      const g = (name) => {
        const i = idx.get(name);
        const x = i === undefined ? null : r[i];
        return x === null || x === undefined ? null : Number(x);
      };
      const y = fn(g);
      return [r[0] * 1000, y === null || !Number.isFinite(y) ? null : y];
    });
  }

  latest(key) {
    const s = this.series.get(key);
    if (!s) return null;
    for (let i = s.rows.length - 1; i >= 0; i--) {
      if (s.rows[i].slice(1).some((x) => x !== null)) {
        return Object.fromEntries(s.ds.map((d, j) => [d, s.rows[i][j + 1]]));
      }
    }
    return null;
  }
}

/*
 * Fine rows (fineStep) -> rows of `step`: buckets end at origin + k*step
 * (origin: the chart's last point, so the new rows stay on its grid — the
 * server groups rows from the start of the range it was asked for) and are
 * emitted only once complete (a known fine row at or after the end); a
 * bucket's value is the average (or max) of its known fine values, unknown
 * when fewer than half of them are known.
 */
export function consolidate(rows, fineStep, step, cf, origin = 0) {
  if (!rows.length) return [];
  let lastKnown = null;
  for (const r of rows) if (r.slice(1).some((x) => x !== null)) lastKnown = r[0];
  if (lastKnown === null) return [];
  const per = Math.round(step / fineStep);
  const buckets = new Map();
  for (const r of rows) {
    const b = origin + Math.ceil((r[0] - origin) / step) * step;
    if (b > lastKnown) continue;
    if (!buckets.has(b)) buckets.set(b, []);
    buckets.get(b).push(r);
  }
  const out = [];
  for (const [b, rs] of [...buckets.entries()].sort((x, y) => x[0] - y[0])) {
    const n = rs[0].length - 1;
    const row = [b];
    for (let i = 1; i <= n; i++) {
      const vals = rs.map((r) => r[i]).filter((x) => x !== null && x !== undefined);
      if (vals.length * 2 < per) row.push(null);
      else if (cf === 'MAX') row.push(Math.max(...vals));
      else row.push(vals.reduce((a, x) => a + x, 0) / vals.length);
    }
    out.push(row);
  }
  return out;
}

/* ----------------------------------------------------------------- page */

function toLocalInput(sec) {
  const d = new Date(sec * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function fromLocalInput(v) {
  if (!v) return null;
  const ms = new Date(v).getTime();
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

export async function mount(root, { args, signal }) {
  const state = {
    hosts: [], byId: new Map(), skew: 0,
    hostId: args[0] ? Number(args[0]) : null,
    range: { kind: 'rel', id: '1h', seconds: 3600 },
    cf: 'AVERAGE',
    store: new SeriesStore(),
    plan: [],
    charts: new Map(), // id -> echarts instance
    timer: null,
    seq: 0,
    refreshes: 0,
    resizeObs: null,
  };
  const serverNow = () => Math.floor(Date.now() / 1000) + state.skew;

  /* ---------------- layout */
  const search = el('input', {
    type: 'search', class: 'form-control form-control-sm', id: 'mon-search',
    placeholder: t('mon.search_placeholder'), attrs: { 'aria-label': t('mon.search_placeholder') },
  });
  const tree = el('div', { class: 'mon-tree', id: 'mon-tree', attrs: { role: 'tree', 'aria-label': t('mon.tree') } },
    el('p', { class: 'text-body-secondary small', text: t('common.loading') }));
  const treeCard = el('div', { class: 'card card-outline card-primary mb-4 mon-tree-card' },
    el('div', { class: 'card-header' }, el('h3', { class: 'card-title', text: t('mon.hosts') })),
    el('div', { class: 'card-body p-2' }, el('div', { class: 'mb-2' }, search), tree));

  const rangeBtns = RANGES.map((r) => el('button', {
    type: 'button', class: 'btn btn-sm btn-outline-primary', dataset: { range: r.id }, text: t(r.label),
  }));
  const customBtn = el('button', { type: 'button', class: 'btn btn-sm btn-outline-primary', dataset: { range: 'custom' }, text: t('mon.range_custom') });
  const fromIn = el('input', { type: 'datetime-local', class: 'form-control form-control-sm', id: 'mon-from', attrs: { 'aria-label': t('mon.from') } });
  const toIn = el('input', { type: 'datetime-local', class: 'form-control form-control-sm', id: 'mon-to', attrs: { 'aria-label': t('mon.to') } });
  const applyBtn = el('button', { type: 'submit', class: 'btn btn-sm btn-primary', id: 'mon-apply', text: t('mon.apply') });
  const customForm = el('form', { class: 'd-none align-items-center gap-1 flex-wrap', id: 'mon-custom' },
    el('label', { class: 'small text-body-secondary', attrs: { for: 'mon-from' }, text: t('mon.from') }), fromIn,
    el('label', { class: 'small text-body-secondary', attrs: { for: 'mon-to' }, text: t('mon.to') }), toIn,
    applyBtn);
  const cfBtns = ['AVERAGE', 'MAX'].map((cf) => el('button', {
    type: 'button', class: 'btn btn-sm btn-outline-secondary', dataset: { cf }, text: t(cf === 'MAX' ? 'mon.cf_max' : 'mon.cf_average'),
  }));
  const refreshBtn = el('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', id: 'mon-refresh', title: t('mon.refresh'), attrs: { 'aria-label': t('mon.refresh') } }, icon('rotate'));
  const status = el('span', { class: 'small text-body-secondary', id: 'mon-status' });
  const toolbar = el('div', { class: 'd-flex flex-wrap align-items-center gap-2 mb-3', id: 'mon-toolbar' },
    el('div', { class: 'btn-group', attrs: { role: 'group', 'aria-label': t('mon.range') } }, rangeBtns, customBtn),
    customForm,
    el('div', { class: 'btn-group ms-lg-auto', attrs: { role: 'group', 'aria-label': t('mon.cf') } }, cfBtns),
    refreshBtn, status);
  const hostHead = el('div', { class: 'mb-2', id: 'mon-host-head' });
  const chartsEl = el('div', { class: 'row g-3', id: 'mon-charts', dataset: { refreshes: '0' } });
  const right = el('div', { class: 'col-12 col-lg-9' },
    el('div', { class: 'card mb-4' }, el('div', { class: 'card-body' }, hostHead, toolbar, chartsEl)));
  root.appendChild(el('div', { class: 'row', id: 'mon-page' },
    el('div', { class: 'col-12 col-lg-3' }, treeCard), right));

  function markButtons() {
    for (const b of rangeBtns) b.classList.toggle('active', state.range.kind === 'rel' && state.range.id === b.dataset.range);
    for (const b of [...rangeBtns, customBtn]) b.setAttribute('aria-pressed', String(b.classList.contains('active')));
    customBtn.classList.toggle('active', state.range.kind === 'abs' || !customForm.classList.contains('d-none'));
    customBtn.setAttribute('aria-pressed', String(customBtn.classList.contains('active')));
    for (const b of cfBtns) {
      b.classList.toggle('active', b.dataset.cf === state.cf);
      b.setAttribute('aria-pressed', String(b.dataset.cf === state.cf));
    }
  }
  markButtons();

  /* ---------------- tree */
  let idcs = [];
  let cabinets = [];
  let groups = [];
  try {
    const [h, i, c, g] = await Promise.all([
      fetchAll('/hosts', { sort: 'hostname' }, signal),
      fetchAll('/idcs', { sort: 'name' }, signal).catch(() => ({ items: [] })),
      fetchAll('/cabinets', { sort: 'name' }, signal).catch(() => ({ items: [] })),
      fetchAll('/groups', { sort: 'name' }, signal).catch(() => ({ items: [] })),
    ]);
    state.hosts = h.items;
    if (h.now) state.skew = Number(h.now) - Math.floor(Date.now() / 1000);
    idcs = i.items;
    cabinets = c.items;
    groups = g.items;
  } catch (e) {
    clear(tree).appendChild(el('p', { class: 'text-danger small', text: e.status === 403 ? t('mon.no_host_list') : (e.localized || e.message) }));
    hostHead.appendChild(el('p', { class: 'text-body-secondary mb-0', text: t('mon.choose_host') }));
    return () => {};
  }
  for (const h of state.hosts) state.byId.set(h.id, h);
  const now0 = serverNow();

  function leaf(h) {
    const st = hostState(h, now0);
    return el('li', { class: 'mon-leaf', attrs: { role: 'none' }, dataset: { hostname: `${h.hostname} ${h.ip || ''}`.toLowerCase() } },
      el('button', {
        type: 'button', class: 'mon-host btn btn-link btn-sm text-start text-decoration-none w-100',
        dataset: { hostId: String(h.id) }, attrs: { role: 'treeitem' },
        title: `${h.hostname}${h.ip ? ` (${h.ip})` : ''}`,
      },
      el('span', { class: `mon-dot mon-dot-${st}`, title: t(`mon.state_${st}`), attrs: { 'aria-label': t(`mon.state_${st}`) } }),
      el('span', { class: 'mon-host-name', text: h.hostname })));
  }
  function branch(labelText, iconName, children, { open = false, id } = {}) {
    const count = el('span', { class: 'badge text-bg-light border ms-1 mon-count' });
    const d = el('details', { class: 'mon-branch', open, dataset: id ? { branch: id } : undefined },
      el('summary', {}, icon(iconName, 'fa-fw me-1 text-body-secondary'), el('span', { text: labelText }), count),
      el('ul', { class: 'list-unstyled mb-0 ps-3', attrs: { role: 'group' } }, children));
    return d;
  }
  function countLeaves() {
    tree.querySelectorAll('details.mon-branch').forEach((d) => {
      const n = d.querySelectorAll('li.mon-leaf:not(.d-none)').length;
      d.querySelector(':scope > summary .mon-count').textContent = String(n);
    });
  }
  const hostsIn = (pred) => state.hosts.filter(pred).map(leaf);
  const idcNodes = idcs.map((idc) => {
    const cabs = cabinets.filter((c) => c.idc_id === idc.id).map((c) =>
      el('li', {}, branch(c.name, 'table-cells-large', hostsIn((h) => h.cabinet_id === c.id))));
    const loose = hostsIn((h) => h.idc_id === idc.id && !h.cabinet_id);
    return el('li', {}, branch(idc.name, 'building', [...cabs, ...loose]));
  });
  const noIdc = hostsIn((h) => !h.idc_id);
  if (noIdc.length && idcs.length) idcNodes.push(el('li', {}, branch(t('mon.no_idc'), 'circle-question', noIdc)));
  const groupNodes = groups.map((g) => el('li', {}, branch(g.name, 'object-group', hostsIn((h) => (h.group_ids || []).includes(g.id)))));
  const noGroup = hostsIn((h) => !(h.group_ids || []).length);
  if (noGroup.length && groups.length) groupNodes.push(el('li', {}, branch(t('mon.no_group'), 'circle-question', noGroup)));

  clear(tree);
  if (!state.hosts.length) {
    tree.appendChild(el('p', { class: 'text-body-secondary small mb-0', id: 'mon-no-hosts', text: t('mon.no_hosts') }));
  } else {
    tree.append(
      branch(t('mon.all_hosts'), 'server', state.hosts.map(leaf), { open: true, id: 'all' }),
      idcNodes.length ? branch(t('mon.by_idc'), 'building', idcNodes, { id: 'idc' }) : null,
      groupNodes.length ? branch(t('mon.by_group'), 'object-group', groupNodes, { id: 'group' }) : null);
  }
  countLeaves();

  let openBeforeSearch = null;
  search.addEventListener('input', () => {
    const q = search.value.trim().toLowerCase();
    const branches = [...tree.querySelectorAll('details.mon-branch')];
    if (q && !openBeforeSearch) openBeforeSearch = branches.map((d) => d.open);
    tree.querySelectorAll('li.mon-leaf').forEach((li) => li.classList.toggle('d-none', !!q && !li.dataset.hostname.includes(q)));
    branches.forEach((d, i) => {
      const n = d.querySelectorAll('li.mon-leaf:not(.d-none)').length;
      d.parentElement.classList.toggle('d-none', !!q && n === 0 && d.parentElement.tagName === 'LI');
      d.classList.toggle('d-none', !!q && n === 0);
      if (q) d.open = n > 0;
      else if (openBeforeSearch) d.open = openBeforeSearch[i];
    });
    if (!q) openBeforeSearch = null;
    countLeaves();
  });

  tree.addEventListener('click', (ev) => {
    const b = ev.target.closest('button.mon-host');
    if (!b) return;
    selectHost(Number(b.dataset.hostId));
  });

  /* ---------------- charts */
  function disposeCharts() {
    for (const c of state.charts.values()) c.dispose();
    state.charts.clear();
    if (state.resizeObs) state.resizeObs.disconnect();
    state.resizeObs = null;
  }

  function windowBounds() {
    if (state.range.kind === 'abs') return { from: state.range.from, to: state.range.to };
    const to = serverNow();
    return { from: to - state.range.seconds, to };
  }

  function setStatus() {
    const h = state.byId.get(state.hostId);
    status.textContent = h && state.store.lastT ? t('mon.updated', { time: fmtTime(state.store.lastT) }) : '';
  }

  function drawAll() {
    const { from, to } = windowBounds();
    for (const p of state.plan) {
      const c = state.charts.get(p.id);
      if (!c) continue;
      c.setOption({
        xAxis: { min: from * 1000, max: to * 1000 },
        series: p.series.map((s) => {
          const data = state.store.points(p.key, s.fn);
          // a point between two gaps has no line: give it a dot
          const lone = new Set();
          data.forEach((pt, i) => {
            if (pt[1] !== null && (i === 0 || data[i - 1][1] === null) && (i === data.length - 1 || data[i + 1][1] === null)) lone.add(i);
          });
          return { data, showSymbol: lone.size > 0, symbolSize: (v, params) => (lone.has(params.dataIndex) ? 5 : 0) };
        }),
      });
      if (p.fs) {
        const last = state.store.latest(p.key);
        const sub = document.getElementById(`mon-chart-${p.id}-sub`);
        if (sub && last && last.used !== null && last.free !== null) {
          sub.textContent = t('mon.fs_usage', { used: fmtBytes(last.used), size: fmtBytes(Number(last.used) + Number(last.free)), pct: fmtPct((100 * last.used) / (Number(last.used) + Number(last.free))) });
        }
      }
    }
    chartsEl.dataset.points = String(countPoints());
    setStatus();
  }

  function countPoints() {
    const cpu = state.plan.find((p) => p.id === 'cpu');
    if (!cpu) return 0;
    return state.store.points('host', cpu.series[0].fn).filter((p) => p[1] !== null).length;
  }

  function emptyState(h) {
    const canAgents = can('settings:admin');
    return el('div', { class: 'col-12' },
      el('div', { class: 'callout callout-info mb-0', id: 'mon-empty' },
        el('h5', {}, icon('satellite-dish', 'me-2'), t('mon.no_data_title')),
        el('p', { text: h && h.last_seen_at ? t('mon.no_data_yet') : t('mon.no_agent') }),
        canAgents
          ? el('a', { href: '#/agents', class: 'btn btn-sm btn-primary', id: 'mon-empty-agents' }, icon('download', 'me-1'), t('mon.install_agent'))
          : el('p', { class: 'mb-0 small text-body-secondary', text: t('mon.ask_admin') })));
  }

  function hostHeader(h) {
    clear(hostHead);
    if (!h) {
      hostHead.appendChild(el('p', { class: 'text-body-secondary mb-0', id: 'mon-choose', text: t('mon.choose_host') }));
      return;
    }
    const st = hostState(h, serverNow());
    hostHead.append(el('div', { class: 'd-flex flex-wrap align-items-baseline gap-2' },
      el('h4', { class: 'mb-0', id: 'mon-host-name', text: h.hostname }),
      el('span', { class: 'text-body-secondary', text: h.ip || '' }),
      el('span', { class: `badge text-bg-${st === 'up' ? 'success' : st === 'down' ? 'danger' : 'secondary'}`, text: t(`mon.state_${st}`) }),
      h.last_seen_at ? el('span', { class: 'small text-body-secondary', text: t('mon.last_report', { time: fmtTime(h.last_seen_at) }) }) : null,
      can('assets:view') ? el('a', { href: `#/hosts/${h.id}`, class: 'small ms-auto', text: t('mon.host_details') }) : null));
  }

  async function buildCharts(seq) {
    const h = state.byId.get(state.hostId);
    disposeCharts();
    clear(chartsEl);
    state.store = new SeriesStore();
    const list = await get(`/metrics/${state.hostId}/series`, null, { quiet: true });
    if (seq !== state.seq) return false;
    state.plan = chartPlan((list && list.series) || []);
    if (!state.plan.length) {
      chartsEl.appendChild(emptyState(h));
      return false;
    }
    const echarts = await loadECharts();
    if (seq !== state.seq) return false;
    const nodes = state.plan.map((p) => {
      const box = el('div', { class: 'mon-chart', id: `mon-chart-${p.id}`, dataset: { series: p.key } });
      const col = el('div', { class: 'col-12 col-xl-6' },
        el('div', { class: 'card h-100 mon-chart-card' },
          el('div', { class: 'card-header py-2' },
            el('h3', { class: 'card-title fs-6', text: p.title }),
            p.fs ? el('span', { class: 'small text-body-secondary ms-2', id: `mon-chart-${p.id}-sub` }) : null),
          el('div', { class: 'card-body p-2' }, box)));
      return { p, box, col };
    });
    chartsEl.append(...nodes.map((n) => n.col));
    state.resizeObs = new ResizeObserver((entries) => {
      for (const e of entries) {
        const c = echarts.getInstanceByDom(e.target);
        if (c) c.resize();
      }
    });
    for (const { p, box } of nodes) {
      const c = echarts.init(box, null, { renderer: 'canvas' });
      const opt = timeSeriesOption({ series: p.series, axes: p.axes, max: p.max });
      opt.toolbox.feature.saveAsImage.title = t('mon.save_image');
      opt.toolbox.feature.saveAsImage.name = `${h ? h.hostname : 'host'}-${p.id}`;
      c.setOption(opt);
      state.charts.set(p.id, c);
      state.resizeObs.observe(box);
    }
    return true;
  }

  async function fullLoad(seq) {
    const { from, to } = windowBounds();
    const q = { from, cf: state.cf };
    if (state.range.kind === 'abs') q.to = to;
    const res = await get(`/metrics/${state.hostId}`, q, { quiet: true });
    if (seq !== state.seq) return;
    state.store.load(res);
    drawAll();
  }

  async function incremental(seq) {
    const store = state.store;
    if (store.lastT === null) return fullLoad(seq);
    const { from: winFrom } = windowBounds();
    const to = serverNow();
    // a long pause (sleeping laptop): start again
    if (to - store.lastT > state.range.seconds / 2 || to - store.lastT > 2 * 86400 - 3600) return fullLoad(seq);
    if (to <= store.lastT) return undefined;
    const res = await get(`/metrics/${state.hostId}`, { from: store.lastT, to, cf: state.cf }, { quiet: true });
    if (seq !== state.seq) return undefined;
    if (!store.merge(res, state.cf)) return fullLoad(seq);
    store.trim(winFrom);
    drawAll();
    return undefined;
  }

  function schedule(seq) {
    clearTimeout(state.timer);
    state.timer = null;
    if (state.range.kind !== 'rel' || seq !== state.seq || signal.aborted) return;
    const step = state.store.step || 60;
    const period = Math.max(60, step);
    const now = serverNow();
    // just after the next step boundary, when the server has the new point
    const next = (Math.floor(now / period) + 1) * period + 5;
    state.timer = setTimeout(() => refresh(seq, true), (next - now) * 1000);
  }

  async function refresh(seq, incrementalOnly) {
    if (seq !== state.seq || signal.aborted) return;
    if (document.hidden && incrementalOnly) {
      schedule(seq);
      return;
    }
    try {
      if (incrementalOnly) await incremental(seq);
      else await fullLoad(seq);
      if (seq !== state.seq) return;
      state.refreshes += 1;
      chartsEl.dataset.refreshes = String(state.refreshes);
    } catch (e) {
      if (seq !== state.seq) return;
      status.textContent = t('mon.refresh_failed', { error: e.localized || e.message });
    }
    schedule(seq);
  }

  async function show() {
    const seq = ++state.seq;
    clearTimeout(state.timer);
    const h = state.byId.get(state.hostId);
    hostHeader(h);
    tree.querySelectorAll('button.mon-host').forEach((b) => {
      const on = Number(b.dataset.hostId) === state.hostId;
      b.classList.toggle('active', on);
      b.setAttribute('aria-selected', String(on));
    });
    if (!h) {
      disposeCharts();
      clear(chartsEl);
      toolbar.classList.add('d-none');
      return;
    }
    toolbar.classList.remove('d-none');
    try {
      if (await buildCharts(seq)) {
        await fullLoad(seq);
        if (seq !== state.seq) return;
        state.refreshes += 1;
        chartsEl.dataset.refreshes = String(state.refreshes);
        schedule(seq);
      } else {
        toolbar.classList.toggle('d-none', seq === state.seq);
      }
    } catch (e) {
      if (seq !== state.seq) return;
      clear(chartsEl).appendChild(el('div', { class: 'col-12' }, el('div', { class: 'alert alert-danger mb-0', text: e.localized || e.message })));
    }
    chartsEl.dataset.host = String(state.hostId);
  }

  function selectHost(id) {
    state.hostId = id;
    history.replaceState(null, '', `#/monitor/${id}`);
    show();
  }

  /* ---------------- toolbar events */
  for (const b of rangeBtns) {
    b.addEventListener('click', () => {
      const r = RANGES.find((x) => x.id === b.dataset.range);
      state.range = { kind: 'rel', id: r.id, seconds: r.seconds };
      customForm.classList.add('d-none');
      customForm.classList.remove('d-flex');
      markButtons();
      if (state.hostId) reload();
    });
  }
  customBtn.addEventListener('click', () => {
    const { from, to } = windowBounds();
    if (!fromIn.value) fromIn.value = toLocalInput(from);
    if (!toIn.value) toIn.value = toLocalInput(to);
    customForm.classList.remove('d-none');
    customForm.classList.add('d-flex');
    markButtons();
    fromIn.focus();
  });
  customForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const from = fromLocalInput(fromIn.value);
    const to = fromLocalInput(toIn.value);
    fromIn.classList.remove('is-invalid');
    toIn.classList.remove('is-invalid');
    if (from === null || to === null || from >= to) {
      (from === null ? fromIn : toIn).classList.add('is-invalid');
      toast(t('mon.bad_range'), 'warning');
      return;
    }
    if (to - from > MAX_RANGE) {
      fromIn.classList.add('is-invalid');
      toast(t('mon.range_too_long'), 'warning');
      return;
    }
    state.range = { kind: 'abs', from, to, seconds: to - from };
    markButtons();
    if (state.hostId) reload();
  });
  for (const b of cfBtns) {
    b.addEventListener('click', () => {
      state.cf = b.dataset.cf;
      markButtons();
      if (state.hostId) reload();
    });
  }
  refreshBtn.addEventListener('click', () => {
    if (!state.hostId) return;
    const seq = state.seq;
    clearTimeout(state.timer);
    refresh(seq, state.range.kind === 'rel');
  });

  /* Same host, new range or consolidation: refetch, keep the charts. */
  async function reload() {
    const seq = ++state.seq;
    clearTimeout(state.timer);
    if (!state.charts.size) {
      show();
      return;
    }
    state.store = new SeriesStore();
    try {
      await fullLoad(seq);
      if (seq !== state.seq) return;
      state.refreshes += 1;
      chartsEl.dataset.refreshes = String(state.refreshes);
      schedule(seq);
    } catch (e) {
      if (seq === state.seq) toast(e.localized || e.message, 'danger');
    }
  }

  const onVisible = () => {
    if (!document.hidden && state.hostId && state.range.kind === 'rel' && state.charts.size) {
      clearTimeout(state.timer);
      refresh(state.seq, true);
    }
  };
  document.addEventListener('visibilitychange', onVisible);

  if (state.hostId && !state.byId.has(state.hostId)) state.hostId = null;
  if (!state.hostId && state.hosts.length === 1) state.hostId = state.hosts[0].id;
  if (state.hostId) {
    // reveal the chosen host in the tree
    const b = tree.querySelector(`button.mon-host[data-host-id="${state.hostId}"]`);
    if (b) b.scrollIntoView({ block: 'nearest' });
  }
  await show();

  return () => {
    state.seq += 1;
    clearTimeout(state.timer);
    document.removeEventListener('visibilitychange', onVisible);
    disposeCharts();
  };
}
