// One job (#/jobs/ID, mounted by jobs.js): what it runs, summary counts
// (succeeded / failed / unreachable / running), one pane per host with its
// output, status, exit code and error; Cancel while it runs, Rerun failed
// hosts and Rerun all once it ended.
//
// Live output comes over the WebSocket GET /api/v1/jobs/ID/stream (ws.js):
// first {"type":"snapshot","job":{…}} (the job as stored, with the output of
// hosts that already finished), then the stream's events from the start of
// the job: output chunks, host status changes and the job's end. Because
// the stream replays from the start, a host's pane switches from the stored
// output to the live text at its first output event, and every new snapshot
// (after a reconnect) starts the panes again. If the socket cannot be opened
// (three attempts), the page polls GET /api/v1/jobs/ID every 2 s instead.
// Output is text: ANSI colour codes (SGR) become classes on <span>s, every
// other escape sequence and control character is dropped.

import { t, fmtTime, fmtDuration } from '../i18n.js';
import { get, post, can } from '../api.js';
import { el, icon, clear, toast, confirmDialog } from '../ui.js';
import { socket } from '../ws.js';
import { jobStatusBadge, hostStatusBadge, kindText, hostStatusText, nHosts } from './jobs.js';
import { fmtBytes } from '../charts.js';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);
const HOST_DONE = new Set(['ok', 'failed', 'unreachable', 'timeout', 'cancelled']);
const VIEW_MAX = 2 * 1024 * 1024; // characters shown per host; the rest is in the download
const POLL_MS = 2000;
const WATCHDOG_MS = 20000;

/* ------------------------------------------------------------------ ANSI */

const BASIC = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];

function xterm256(n) {
  if (n < 16) return null; // handled by classes
  if (n >= 232) {
    const g = 8 + (n - 232) * 10;
    return `rgb(${g}, ${g}, ${g})`;
  }
  const i = n - 16;
  const c = (x) => (x ? 55 + x * 40 : 0);
  return `rgb(${c(Math.floor(i / 36))}, ${c(Math.floor(i / 6) % 6)}, ${c(i % 6)})`;
}

/**
 * Writes terminal output into a <pre> as text nodes and styled spans. Keeps
 * the SGR state and an unfinished escape sequence across chunks.
 */
export class AnsiWriter {
  constructor(pre) {
    this.pre = pre;
    this.reset();
  }

  reset() {
    clear(this.pre);
    this.sgr = { fg: null, bg: null, fgRgb: null, bgRgb: null, bold: false, dim: false, italic: false, underline: false };
    this.pending = '';
    this.shown = 0;
    this.raw = [];
    this.rawLen = 0;
    this.cut = false;
  }

  text() {
    return this.raw.join('');
  }

  applySgr(params) {
    const p = params === '' ? [0] : params.split(';').map((x) => (x === '' ? 0 : Number(x)));
    const s = this.sgr;
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (c === 0) Object.assign(s, { fg: null, bg: null, fgRgb: null, bgRgb: null, bold: false, dim: false, italic: false, underline: false });
      else if (c === 1) s.bold = true;
      else if (c === 2) s.dim = true;
      else if (c === 3) s.italic = true;
      else if (c === 4) s.underline = true;
      else if (c === 22) { s.bold = false; s.dim = false; }
      else if (c === 23) s.italic = false;
      else if (c === 24) s.underline = false;
      else if (c >= 30 && c <= 37) { s.fg = c - 30; s.fgRgb = null; }
      else if (c >= 90 && c <= 97) { s.fg = c - 90 + 8; s.fgRgb = null; }
      else if (c === 39) { s.fg = null; s.fgRgb = null; }
      else if (c >= 40 && c <= 47) { s.bg = c - 40; s.bgRgb = null; }
      else if (c >= 100 && c <= 107) { s.bg = c - 100 + 8; s.bgRgb = null; }
      else if (c === 49) { s.bg = null; s.bgRgb = null; }
      else if (c === 38 || c === 48) {
        const fg = c === 38;
        let idx = null;
        let rgb = null;
        if (p[i + 1] === 5 && p.length > i + 2) {
          idx = p[i + 2] & 255;
          i += 2;
        } else if (p[i + 1] === 2 && p.length > i + 4) {
          rgb = `rgb(${p[i + 2] & 255}, ${p[i + 3] & 255}, ${p[i + 4] & 255})`;
          i += 4;
        } else {
          break;
        }
        if (idx !== null && idx < 16) {
          if (fg) { s.fg = idx; s.fgRgb = null; } else { s.bg = idx; s.bgRgb = null; }
        } else {
          const col = rgb || xterm256(idx);
          if (fg) { s.fg = null; s.fgRgb = col; } else { s.bg = null; s.bgRgb = col; }
        }
      }
    }
  }

  emit(text, isErr) {
    if (!text) return;
    if (this.shown >= VIEW_MAX) {
      if (!this.cut) {
        this.cut = true;
        this.pre.appendChild(el('span', { class: 'job-cut', text: `\n${t('job.view_cut')}\n` }));
      }
      return;
    }
    if (this.shown + text.length > VIEW_MAX) text = text.slice(0, VIEW_MAX - this.shown);
    this.shown += text.length;
    const s = this.sgr;
    const cls = [];
    if (isErr) cls.push('job-stderr');
    if (s.fg !== null) cls.push(`ansi-fg-${s.fg < 8 ? BASIC[s.fg] : `bright-${BASIC[s.fg - 8]}`}`);
    if (s.bg !== null) cls.push(`ansi-bg-${s.bg < 8 ? BASIC[s.bg] : `bright-${BASIC[s.bg - 8]}`}`);
    if (s.bold) cls.push('ansi-bold');
    if (s.dim) cls.push('ansi-dim');
    if (s.italic) cls.push('ansi-italic');
    if (s.underline) cls.push('ansi-underline');
    const last = this.pre.lastChild;
    if (!cls.length && !s.fgRgb && !s.bgRgb) {
      if (last && last.nodeType === Node.TEXT_NODE) last.appendData(text);
      else this.pre.appendChild(document.createTextNode(text));
      return;
    }
    const span = document.createElement('span');
    span.className = cls.join(' ');
    if (s.fgRgb) span.style.color = s.fgRgb;
    if (s.bgRgb) span.style.backgroundColor = s.bgRgb;
    span.textContent = text;
    this.pre.appendChild(span);
  }

  /** Append a chunk of output (isErr: from stderr). */
  write(chunk, isErr = false) {
    if (!chunk) return;
    if (this.rawLen < 16 * 1024 * 1024) {
      this.raw.push(chunk.replace(/\x1b\[[0-9;?]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g, ''));
      this.rawLen += chunk.length;
    }
    const s = this.pending + chunk;
    this.pending = '';
    let out = '';
    let i = 0;
    const special = /[\x00-\x08\x0b-\x1f\x7f]/g;
    const csi = /\x1b\[([0-?]*)([ -/]*)([@-~])/y;
    const osc = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/y;
    const other = /\x1b[ -/]+[0-~]?/y;
    while (i < s.length) {
      special.lastIndex = i;
      const sm = special.exec(s);
      const j = sm ? sm.index : s.length;
      if (j > i) out += s.slice(i, j);
      if (!sm) break;
      i = j;
      if (s.charCodeAt(i) !== 0x1b) { // CR (CRLF is a newline; a lone CR of a progress bar is dropped), other controls
        i += 1;
        continue;
      }
      csi.lastIndex = i;
      let m = csi.exec(s);
      if (m) {
        if (m[3] === 'm' && !m[2] && /^[0-9;]*$/.test(m[1])) {
          this.emit(out, isErr);
          out = '';
          this.applySgr(m[1]);
        }
        i += m[0].length;
        continue;
      }
      osc.lastIndex = i;
      m = osc.exec(s);
      if (m) {
        i += m[0].length;
        continue;
      }
      const rest = s.length - i < 4096 ? s.slice(i) : null;
      if (rest !== null && (rest.length === 1 || /^\x1b\[[0-?]*[ -/]*$/.test(rest) || /^\x1b\][^\x07]*$/.test(rest))) {
        this.pending = rest; // an escape sequence cut by the chunk boundary
        break;
      }
      other.lastIndex = i;
      m = other.exec(s); // charset selection and the like (ESC ( B)
      i += m ? m[0].length : 2;
    }
    this.emit(out, isErr);
  }
}

/* ------------------------------------------------------------------ page */

function specDetails(job) {
  const s = job.spec || {};
  const rows = [];
  const pre = (text) => el('pre', { class: 'job-spec mb-0', text });
  switch (job.kind) {
    case 'command':
      rows.push(['job.command', pre(s.command || '')]);
      break;
    case 'script':
      rows.push(['job.script', el('span', {}, el('a', { href: '#/library', text: s.name || `#${s.script_id}` }), s.version ? ` v${s.version}` : '', s.interpreter ? ` (${s.interpreter})` : '')]);
      rows.push(['job.args', (s.args || []).length
        ? el('ol', { class: 'mb-0 ps-3 job-args' }, s.args.map((a) => el('li', {}, el('code', { text: a }))))
        : el('span', { class: 'text-body-secondary', text: t('job.no_args') })]);
      break;
    case 'file': {
      const f = s.file || {};
      rows.push(['job.file_path', el('code', { text: f.path || '' })]);
      rows.push(['job.file_mode', el('code', { text: f.mode || '' })]);
      rows.push(['job.file_size', `${fmtBytes(f.size)} · sha256 ${f.sha256 || ''}`]);
      break;
    }
    case 'ansible_module':
      rows.push(['job.module', el('code', { text: s.module || '' })]);
      if (s.module_args) rows.push(['job.module_args', pre(s.module_args)]);
      rows.push(['job.check', s.check ? t('job.yes') : t('job.no')]);
      break;
    case 'playbook':
      rows.push(['job.playbook', el('span', {}, el('a', { href: '#/library', text: s.name || `#${s.playbook_id}` }), s.version ? ` v${s.version}` : '')]);
      if (s.extra_vars && Object.keys(s.extra_vars).length) rows.push(['job.extra_vars', pre(JSON.stringify(s.extra_vars, null, 2))]);
      rows.push(['job.check', s.check ? t('job.yes') : t('job.no')]);
      break;
    default:
      break;
  }
  rows.push(['job.timeout', t('job.seconds', { n: s.timeout || 300 })]);
  return rows;
}

export async function mount(root, { jobId, signal }) {
  const canRun = can('tasks:execute');
  let job = null;
  let sock = null;
  let pollTimer = null;
  let watchdog = null;
  let lastMessage = Date.now();
  let mode = 'connecting'; // live | polling | reconnecting | done
  let truncatedLive = false;
  const hosts = new Map(); // host_id -> pane state

  /* ---------------- skeleton */
  const statusSlot = el('span', { id: 'job-status' });
  const liveBadge = el('span', { class: 'badge text-bg-light border ms-2', id: 'job-live' });
  const cancelBtn = el('button', { type: 'button', class: 'btn btn-sm btn-outline-danger d-none', id: 'job-cancel' }, icon('stop', 'me-1'), t('job.cancel'));
  const rerunFailedBtn = el('button', { type: 'button', class: 'btn btn-sm btn-outline-primary d-none', id: 'job-rerun-failed' }, icon('rotate-right', 'me-1'), t('job.rerun_failed'));
  const rerunAllBtn = el('button', { type: 'button', class: 'btn btn-sm btn-outline-primary d-none', id: 'job-rerun-all' }, icon('rotate', 'me-1'), t('job.rerun_all'));
  const info = el('div', { class: 'row job-info', id: 'job-info' });
  const countBox = (id, color, key, iconName) => el('div', { class: 'col-6 col-md-3' },
    el('div', { class: 'info-box mb-0', id },
      el('span', { class: `info-box-icon text-bg-${color}` }, icon(iconName)),
      el('div', { class: 'info-box-content' },
        el('span', { class: 'info-box-text', text: t(key) }),
        el('span', { class: 'info-box-number', text: '0' }))));
  const countsRow = el('div', { class: 'row g-2 mb-3', id: 'job-counts' },
    countBox('job-count-ok', 'success', 'job.count_ok', 'circle-check'),
    countBox('job-count-failed', 'danger', 'job.count_failed', 'circle-xmark'),
    countBox('job-count-unreachable', 'warning', 'job.count_unreachable', 'plug-circle-xmark'),
    countBox('job-count-running', 'primary', 'job.count_running', 'spinner'));
  const hostFilter = el('input', { type: 'search', class: 'form-control form-control-sm', id: 'job-host-filter', placeholder: t('job.filter_hosts'), attrs: { 'aria-label': t('job.filter_hosts') } });
  const statusFilter = el('select', { class: 'form-select form-select-sm', id: 'job-status-filter', attrs: { 'aria-label': t('job.status') } },
    el('option', { value: '', text: t('job.all_hosts') }),
    el('option', { value: 'bad', text: t('job.not_ok_hosts') }),
    ['ok', 'failed', 'unreachable', 'timeout', 'cancelled', 'running', 'pending'].map((s) => el('option', { value: s, text: hostStatusText(s) })));
  const panes = el('div', { class: 'row g-3', id: 'job-hosts' });
  const header = el('div', { class: 'card card-outline card-primary mb-3' },
    el('div', { class: 'card-header d-flex flex-wrap align-items-center gap-2' },
      el('h3', { class: 'card-title mb-0 me-2', id: 'job-title', text: t('job.title', { id: jobId }) }),
      statusSlot, liveBadge,
      el('div', { class: 'ms-auto d-flex flex-wrap gap-1' },
        cancelBtn, rerunFailedBtn, rerunAllBtn,
        el('a', { href: '#/jobs', class: 'btn btn-sm btn-outline-secondary', id: 'job-back' }, icon('list', 'me-1'), t('job.history')))),
    el('div', { class: 'card-body' }, info));
  root.append(header, countsRow,
    el('div', { class: 'd-flex flex-wrap gap-2 mb-2 align-items-center' },
      el('h5', { class: 'mb-0 me-auto', text: t('job.hosts') }),
      el('div', { style: 'width: 14rem' }, hostFilter),
      el('div', { style: 'width: 12rem' }, statusFilter)),
    panes);

  function setMode(m) {
    mode = m;
    const map = {
      connecting: ['secondary', 'job.live_connecting'], live: ['success', 'job.live_on'], reconnecting: ['warning', 'job.live_reconnecting'],
      polling: ['info', 'job.live_polling'], done: ['light', 'job.live_done'],
    };
    const [color, key] = map[m];
    liveBadge.className = `badge ms-2 ${color === 'light' ? 'text-bg-light border' : `text-bg-${color}`}`;
    liveBadge.textContent = t(key);
    liveBadge.dataset.mode = m;
  }
  setMode('connecting');

  /* ---------------- rendering */
  function renderInfo() {
    const what = [['job.kind', kindText(job.kind)], ...specDetails(job)];
    const when = [
      ['job.targets', nHosts(job.host_count || hosts.size)],
      ['job.user', job.created_by_name || '—'],
      ['job.created', fmtTime(job.created_at)],
      ['job.started', job.started_at ? fmtTime(job.started_at) : '—'],
      ['job.finished', job.finished_at ? fmtTime(job.finished_at) : '—'],
      ['job.duration', job.started_at && job.finished_at ? fmtDuration(job.finished_at - job.started_at) : '—'],
    ];
    if (job.task_id) when.push(['job.task', el('a', { href: `#/jobs/task/${job.task_id}`, text: t('job.task_link', { id: job.task_id }) })]);
    if (job.rerun_of) when.push(['job.rerun_of', el('a', { href: `#/jobs/${job.rerun_of}`, text: `#${job.rerun_of}` })]);
    const dl = (rows, dt, dd) => el('dl', { class: 'row mb-0' }, rows.flatMap(([k, v]) => [
      el('dt', { class: dt, text: t(k) }),
      el('dd', { class: `${dd} mb-1` }, v instanceof Node ? v : String(v)),
    ]));
    clear(info).append(
      el('div', { class: 'col-12 col-lg-7' }, dl(what, 'col-sm-3', 'col-sm-9')),
      el('div', { class: 'col-12 col-lg-5' }, dl(when, 'col-sm-4', 'col-sm-8')));
  }

  function renderStatus() {
    clear(statusSlot).appendChild(jobStatusBadge(job.status));
    root.dataset.jobStatus = job.status;
    const final = FINAL.has(job.status);
    cancelBtn.classList.toggle('d-none', !canRun || final);
    const notOk = [...hosts.values()].some((h) => h.status !== 'ok');
    const rerunnable = canRun && final && job.kind !== 'file';
    rerunFailedBtn.classList.toggle('d-none', !rerunnable || !notOk);
    rerunAllBtn.classList.toggle('d-none', !rerunnable);
  }

  function renderCounts() {
    let ok = 0;
    let failed = 0;
    let unreachable = 0;
    let running = 0;
    for (const h of hosts.values()) {
      if (h.status === 'ok') ok++;
      else if (h.status === 'unreachable') unreachable++;
      else if (h.status === 'running' || h.status === 'pending') running++;
      else failed++;
    }
    const set = (id, n) => { document.querySelector(`#${id} .info-box-number`).textContent = String(n); };
    set('job-count-ok', ok);
    set('job-count-failed', failed);
    set('job-count-unreachable', unreachable);
    set('job-count-running', running);
  }

  function applyFilter() {
    const q = hostFilter.value.trim().toLowerCase();
    const st = statusFilter.value;
    for (const h of hosts.values()) {
      const matchQ = !q || h.hostname.toLowerCase().includes(q);
      const matchS = !st || (st === 'bad' ? h.status !== 'ok' : h.status === st);
      h.col.classList.toggle('d-none', !(matchQ && matchS));
    }
  }
  hostFilter.addEventListener('input', applyFilter);
  statusFilter.addEventListener('change', applyFilter);

  function downloadOutput(h) {
    const text = h.live ? h.writer.text() : `${h.stdout || ''}${h.stderr ? `\n--- stderr ---\n${h.stderr}` : ''}`;
    const blob = new Blob([text], { type: 'text/plain;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: `job-${jobId}-${h.hostname}.txt`, class: 'd-none' });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  async function acceptKey(h) {
    const ok = await confirmDialog({ title: t('job.accept_key'), message: t('job.accept_key_confirm', { host: h.hostname }), confirmText: t('job.accept_key'), danger: true });
    if (!ok) return;
    await post(`/hosts/${h.host_id}/host-key/accept`, {});
    toast(t('job.key_accepted', { host: h.hostname }), 'success');
  }

  function paneFor(r) {
    let h = hosts.get(r.host_id);
    if (h) return h;
    const pre = el('pre', { class: 'job-output mb-0', attrs: { tabindex: '0', 'aria-label': t('job.output_of', { host: r.hostname }) } });
    const statusEl = el('span', { class: 'job-host-status' });
    const exitEl = el('span', { class: 'small text-body-secondary job-host-exit' });
    const timeEl = el('span', { class: 'small text-body-secondary job-host-time' });
    const errEl = el('div', { class: 'alert alert-danger py-1 px-2 mb-2 small d-none job-host-error' });
    const noteEl = el('div', { class: 'small text-body-secondary mb-1 d-none job-host-note' });
    const keyBtn = el('button', { type: 'button', class: 'btn btn-sm btn-outline-warning d-none job-accept-key' }, icon('key', 'me-1'), t('job.accept_key'));
    const dlBtn = el('button', { type: 'button', class: 'btn btn-sm btn-link p-0 ms-2 job-download', title: t('job.download'), attrs: { 'aria-label': t('job.download') } }, icon('download'));
    const card = el('div', { class: 'card job-host h-100', dataset: { hostId: String(r.host_id), hostname: r.hostname } },
      el('div', { class: 'card-header py-2 d-flex align-items-center gap-2 flex-wrap' },
        el('span', { class: 'fw-semibold job-hostname', text: r.hostname }),
        statusEl, exitEl, timeEl,
        el('span', { class: 'ms-auto' }, keyBtn, dlBtn)),
      el('div', { class: 'card-body p-2' }, errEl, noteEl, pre));
    const col = el('div', { class: 'col-12 col-xxl-6' }, card);
    h = {
      host_id: r.host_id, hostname: r.hostname, status: null, exit_code: null, error: '', stdout: '', stderr: '',
      live: false, stored: false, col, card, pre, statusEl, exitEl, timeEl, errEl, noteEl, keyBtn, writer: new AnsiWriter(pre),
    };
    keyBtn.addEventListener('click', () => acceptKey(h).catch(() => {}));
    dlBtn.addEventListener('click', () => downloadOutput(h));
    hosts.set(r.host_id, h);
    // keep the panes in host name order
    const after = [...hosts.values()].filter((x) => x !== h && x.hostname.localeCompare(h.hostname) > 0)
      .sort((a, b) => a.hostname.localeCompare(b.hostname))[0];
    if (after) panes.insertBefore(col, after.col);
    else panes.appendChild(col);
    return h;
  }

  function setHostState(h, { status, exit_code: exitCode, error, started_at: startedAt, finished_at: finishedAt }) {
    if (status) h.status = status;
    if (exitCode !== undefined) h.exit_code = exitCode;
    if (error !== undefined) h.error = error || '';
    if (startedAt !== undefined) h.started_at = startedAt;
    if (finishedAt !== undefined) h.finished_at = finishedAt;
    h.card.dataset.status = h.status || '';
    clear(h.statusEl).appendChild(hostStatusBadge(h.status));
    h.exitEl.textContent = h.exit_code !== null && h.exit_code !== undefined ? t('job.exit_code', { code: h.exit_code }) : '';
    h.timeEl.textContent = h.started_at && h.finished_at ? fmtDuration(h.finished_at - h.started_at) : '';
    h.errEl.textContent = h.error && h.error !== 'cancelled' ? h.error : '';
    h.errEl.classList.toggle('d-none', !h.errEl.textContent);
    h.keyBtn.classList.toggle('d-none', !(/HOST KEY CHANGED/.test(h.error || '') && can('assets:admin')));
    h.card.classList.toggle('border-danger', ['failed', 'timeout'].includes(h.status));
    h.card.classList.toggle('border-warning', h.status === 'unreachable');
    h.card.classList.toggle('border-success', h.status === 'ok');
  }

  function scrollKeep(h, fn) {
    const pre = h.pre;
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
    fn();
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  }

  function renderStored(h, r) {
    h.stdout = r.stdout || '';
    h.stderr = r.stderr || '';
    if (h.live) return;
    scrollKeep(h, () => {
      h.writer.reset();
      h.writer.write(h.stdout, false);
      if (h.stderr) h.writer.write(h.stderr, true);
    });
    h.stored = !!(h.stdout || h.stderr);
    if (r.truncated) {
      h.noteEl.textContent = t('job.truncated_server');
      h.noteEl.classList.remove('d-none');
    }
    updateEmpty(h);
  }

  function updateEmpty(h) {
    const empty = !h.pre.firstChild;
    h.pre.classList.toggle('job-output-empty', empty);
    h.pre.dataset.placeholder = empty
      ? (HOST_DONE.has(h.status) ? t('job.no_output') : t('job.waiting_output'))
      : '';
  }

  /* The job as stored (snapshot, poll, reconcile). withOutput: render the
   * stored output of hosts that have no live text. */
  function applyJob(j, { withOutput, resetLive }) {
    job = j;
    for (const r of j.results || []) {
      const h = paneFor(r);
      if (resetLive) {
        h.live = false;
        h.writer.reset();
      }
      setHostState(h, r);
      if (withOutput && (!h.live || truncatedLive)) {
        if (truncatedLive) h.live = false;
        renderStored(h, r);
      }
      updateEmpty(h);
    }
    renderInfo();
    renderStatus();
    renderCounts();
    applyFilter();
  }

  /* ---------------- live */
  function onMessage(m) {
    lastMessage = Date.now();
    switch (m.type) {
      case 'snapshot':
        truncatedLive = false;
        applyJob(m.job, { withOutput: true, resetLive: true });
        if (FINAL.has(m.job.status)) finish(false);
        break;
      case 'output': {
        const h = hosts.get(m.host_id);
        if (!h || truncatedLive) break;
        if (!h.live) {
          h.live = true;
          h.writer.reset();
        }
        scrollKeep(h, () => h.writer.write(String(m.data || ''), m.stream === 'stderr'));
        updateEmpty(h);
        break;
      }
      case 'host': {
        const h = hosts.get(m.host_id);
        if (!h) break;
        const patch = { status: m.status };
        if ('exit_code' in m) patch.exit_code = m.exit_code;
        if ('error' in m) patch.error = m.error;
        if (m.status === 'running') patch.started_at = Math.floor(Date.now() / 1000);
        setHostState(h, patch);
        updateEmpty(h);
        renderCounts();
        applyFilter();
        break;
      }
      case 'job':
        job.status = m.status;
        renderStatus();
        if (FINAL.has(m.status)) finish(true);
        break;
      case 'truncated':
        truncatedLive = true;
        for (const h of hosts.values()) {
          h.noteEl.textContent = t('job.truncated_live');
          h.noteEl.classList.remove('d-none');
        }
        break;
      default:
        break;
    }
  }

  async function reload(withOutput) {
    const j = await get(`/jobs/${jobId}`, null, { quiet: true });
    if (signal.aborted) return null;
    applyJob(j, { withOutput, resetLive: false });
    return j;
  }

  /* The job ended: read it once more (counts, times, stored output of hosts
   * the stream did not show), stop listening. */
  async function finish(reread) {
    if (mode === 'done') return;
    setMode('done');
    clearInterval(watchdog);
    clearTimeout(pollTimer);
    if (sock) {
      sock.close();
      sock = null;
    }
    if (reread) {
      try {
        await reload(true);
      } catch { /* the live view is good enough */ }
    }
    root.dataset.done = '1';
  }

  function startPolling() {
    setMode('polling');
    const tick = async () => {
      if (signal.aborted || mode === 'done') return;
      try {
        const j = await reload(true);
        if (j && FINAL.has(j.status)) {
          finish(false);
          return;
        }
      } catch { /* keep trying */ }
      pollTimer = setTimeout(tick, POLL_MS);
    };
    tick();
  }

  /* ---------------- buttons */
  cancelBtn.addEventListener('click', async () => {
    const ok = await confirmDialog({ title: t('job.cancel'), message: t('job.cancel_confirm', { id: jobId }), confirmText: t('job.cancel'), danger: true });
    if (!ok) return;
    try {
      await post(`/jobs/${jobId}/cancel`, {});
      toast(t('job.cancel_requested'), 'info');
      cancelBtn.disabled = true;
      if (mode === 'polling') return;
      // without a live stream the poll shows the end
      if (mode !== 'live') startPolling();
    } catch { /* toasted */ }
  });
  async function rerun(onlyFailed) {
    try {
      const r = await post(`/jobs/${jobId}/rerun`, { only_failed: onlyFailed });
      location.hash = `#/jobs/${r.id}`;
    } catch { /* toasted */ }
  }
  rerunFailedBtn.addEventListener('click', () => rerun(true));
  rerunAllBtn.addEventListener('click', () => rerun(false));

  /* ---------------- start */
  try {
    await reload(true);
  } catch (e) {
    clear(root).appendChild(el('div', { class: 'callout callout-danger' },
      el('h5', { text: t('job.not_found', { id: jobId }) }),
      el('p', { class: 'mb-0', text: e.localized || e.message }),
      el('a', { href: '#/jobs', text: t('job.history') })));
    return () => {};
  }
  if (FINAL.has(job.status)) {
    finish(false);
  } else {
    sock = socket(`/jobs/${jobId}/stream`, {
      onMessage,
      onOpen: () => setMode('live'),
      onClose: () => { if (mode !== 'done') setMode('reconnecting'); },
      shouldReconnect: () => mode !== 'done' && !signal.aborted,
      onGiveUp: () => { sock = null; if (mode !== 'done' && !signal.aborted) startPolling(); },
    });
    // A stream that stays silent (the job runs on another cairnd, or waits
    // in the queue) is checked against the database now and then.
    watchdog = setInterval(async () => {
      if (mode !== 'live' || Date.now() - lastMessage < WATCHDOG_MS) return;
      lastMessage = Date.now();
      try {
        const j = await reload(false);
        if (j && FINAL.has(j.status)) finish(true);
      } catch { /* next time */ }
    }, 5000);
  }

  return () => {
    mode = 'done';
    clearInterval(watchdog);
    clearTimeout(pollTimer);
    if (sock) sock.close();
  };
}

