// Job history (#/jobs): a server-side paged table over GET /api/v1/jobs
// (newest first) with filters by status, kind and user and a text search;
// #/jobs/task/ID is the same list limited to the runs of one scheduled task
// (?task_id=); #/jobs/ID is one job (job.js). Also the helpers the other
// task pages share: status badges, kind names, a one-line summary of a job
// spec.

import { t, has, fmtTime, fmtDuration } from '../i18n.js';
import { get } from '../api.js';
import { el, icon, badge, card, serverTable, textCell, nodeCell } from '../ui.js';
import { fmtBytes } from '../charts.js';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
export const JOB_KINDS = ['command', 'script', 'file', 'ansible_module', 'playbook'];
const JOB_COLOR = { queued: 'secondary', running: 'primary', succeeded: 'success', failed: 'danger', cancelled: 'warning' };
const HOST_COLOR = {
  pending: 'secondary', running: 'primary', ok: 'success', failed: 'danger', unreachable: 'warning', timeout: 'danger', cancelled: 'secondary',
};

export function jobStatusText(s) {
  return has(`job.status_${s}`) ? t(`job.status_${s}`) : (s || '—');
}

export function jobStatusBadge(s) {
  const b = badge(jobStatusText(s), JOB_COLOR[s] || 'secondary');
  b.dataset.status = s || '';
  if (s === 'running') b.prepend(el('span', { class: 'spinner-grow spinner-grow-sm me-1', attrs: { 'aria-hidden': 'true' } }));
  return b;
}

export function hostStatusText(s) {
  return has(`job.host_${s}`) ? t(`job.host_${s}`) : (s || '—');
}

export function hostStatusBadge(s) {
  const b = badge(hostStatusText(s), HOST_COLOR[s] || 'secondary');
  b.dataset.status = s || '';
  return b;
}

/** "1 host", "3 hosts". */
export function nHosts(n) {
  return Number(n) === 1 ? t('job.one_host') : t('job.n_hosts', { n });
}

export function kindText(k) {
  return has(`job.kind_${k}`) ? t(`job.kind_${k}`) : (k || '—');
}

/* An argument as a shell would need it to read back the same string. */
function shellWord(a) {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${String(a).replace(/'/g, "'\\''")}'`;
}

/** One line saying what a job (or a task's job) does. */
export function specSummary(kind, spec) {
  if (!spec) return '';
  const clip = (s, n = 140) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  switch (kind) {
    case 'command': {
      const lines = String(spec.command || '').split('\n').filter((l) => l.trim());
      return clip(lines[0] || '') + (lines.length > 1 ? ` ${t('job.more_lines', { n: lines.length - 1 })}` : '');
    }
    case 'script': {
      const name = spec.name || `#${spec.script_id}`;
      const v = spec.version ? ` v${spec.version}` : '';
      return clip(`${name}${v} ${(spec.args || []).map(shellWord).join(' ')}`.trim());
    }
    case 'file': {
      const f = spec.file || {};
      return clip(`${f.path || ''} (${f.mode || '0644'}${f.size !== undefined ? `, ${fmtBytes(f.size)}` : ''})`);
    }
    case 'ansible_module':
      return clip(`${spec.module || ''} ${spec.module_args || ''}`.trim()) + (spec.check ? ` ${t('job.check_suffix')}` : '');
    case 'playbook': {
      const name = spec.name || `#${spec.playbook_id}`;
      const ev = spec.extra_vars && Object.keys(spec.extra_vars).length ? ` ${JSON.stringify(spec.extra_vars)}` : '';
      return clip(`${name}${spec.version ? ` v${spec.version}` : ''}${ev}`) + (spec.check ? ` ${t('job.check_suffix')}` : '');
    }
    default:
      return '';
  }
}

/** Kind of a job body (a task's job has no kind field). */
export function kindOfBody(job) {
  if (!job) return '';
  if ('command' in job) return 'command';
  if ('script_id' in job) return 'script';
  if ('file' in job) return 'file';
  if ('module' in job) return 'ansible_module';
  if ('playbook_id' in job) return 'playbook';
  return '';
}

function counts(j) {
  const part = (n, color, key) => el('span', { class: `me-2 text-${color}`, title: t(key), attrs: { 'aria-label': `${t(key)}: ${n}` } },
    icon(color === 'success' ? 'circle-check' : color === 'danger' ? 'circle-xmark' : 'plug-circle-xmark', 'me-1'), String(n));
  return el('span', { class: 'text-nowrap job-counts' },
    part(Number(j.ok_count) || 0, 'success', 'job.count_ok'),
    part(Number(j.failed_count) || 0, 'danger', 'job.count_failed'),
    part(Number(j.unreachable_count) || 0, 'warning', 'job.count_unreachable'),
    el('span', { class: 'text-body-secondary small', text: t('job.of_hosts', { n: j.host_count || 0 }) }));
}

export async function mount(root, ctx) {
  const { args } = ctx;
  if (args[0] && /^\d+$/.test(args[0])) {
    const mod = await import('./job.js');
    return mod.mount(root, { ...ctx, jobId: Number(args[0]) });
  }
  const taskId = args[0] === 'task' && /^\d+$/.test(args[1] || '') ? Number(args[1]) : null;

  const inputs = {
    q: el('input', { type: 'search', class: 'form-control', id: 'jobs-q', placeholder: t('job.search_placeholder') }),
    status: el('select', { class: 'form-select', id: 'jobs-status' },
      el('option', { value: '', text: t('job.any_status') }),
      JOB_STATUSES.map((s) => el('option', { value: s, text: jobStatusText(s) }))),
    kind: el('select', { class: 'form-select', id: 'jobs-kind' },
      el('option', { value: '', text: t('job.any_kind') }),
      JOB_KINDS.map((k) => el('option', { value: k, text: kindText(k) }))),
    user: el('input', { type: 'text', class: 'form-control', id: 'jobs-user', placeholder: t('job.user_placeholder') }),
  };
  const col = (cls, key, input) => el('div', { class: cls },
    el('label', { class: 'form-label small mb-1', attrs: { for: input.id }, text: t(key) }), input);
  const filters = el('form', { class: 'row g-2 align-items-end mb-3', id: 'jobs-filters', attrs: { role: 'search' } },
    col('col-12 col-md-4', 'job.filter_text', inputs.q),
    col('col-6 col-md-2', 'job.status', inputs.status),
    col('col-6 col-md-2', 'job.kind', inputs.kind),
    col('col-6 col-md-2', 'job.user', inputs.user),
    el('div', { class: 'col-6 col-md-2 d-flex gap-2' },
      el('button', { type: 'submit', class: 'btn btn-primary flex-fill', id: 'jobs-search' }, icon('magnifying-glass', 'me-1'), t('common.search')),
      el('button', { type: 'reset', class: 'btn btn-outline-secondary', title: t('common.reset'), attrs: { 'aria-label': t('common.reset') } }, icon('rotate-left'))));

  const table = el('table', { class: 'table table-hover align-middle w-100', id: 'jobs-table' },
    el('thead', {}, el('tr', {},
      ['job.id', 'job.kind', 'job.what', 'job.user', 'job.created', 'job.status', 'job.results', 'job.duration']
        .map((k) => el('th', { text: t(k) })))));

  let title = t('job.history');
  const tools = [];
  if (taskId) {
    try {
      const task = await get(`/tasks/${taskId}`, null, { quiet: true });
      title = t('job.task_runs', { name: task.name });
    } catch {
      title = t('job.task_runs', { name: `#${taskId}` });
    }
    if (ctx.signal.aborted) return undefined; // left while loading
    tools.push(el('a', { href: '#/jobs', class: 'btn btn-sm btn-outline-secondary me-1', id: 'jobs-all' }, t('job.all_jobs')));
    tools.push(el('a', { href: '#/tasks', class: 'btn btn-sm btn-outline-secondary', id: 'jobs-back-tasks' }, icon('arrow-left', 'me-1'), t('task.back')));
  }
  if (ctx.can('tasks:execute')) tools.push(el('a', { href: '#/run', class: 'btn btn-sm btn-primary ms-1', id: 'jobs-new' }, icon('play', 'me-1'), t('job.new')));
  root.appendChild(card({ title, tools, body: el('div', {}, filters, table) }));

  const params = () => ({
    q: inputs.q.value.trim(),
    status: inputs.status.value,
    kind: inputs.kind.value,
    created_by_name: inputs.user.value.trim(),
    task_id: taskId || '',
  });

  let anyRunning = false;
  const dt = serverTable(table, {
    path: '/jobs',
    get: (path, q) => get(path, q).then((res) => {
      anyRunning = ((res && res.items) || []).some((j) => j.status === 'queued' || j.status === 'running');
      return res;
    }),
    params,
    search: false,
    order: [[0, 'desc']],
    columns: [
      { data: 'id', sort: 'id', render: nodeCell((j) => el('a', { href: `#/jobs/${j.id}`, class: 'fw-semibold job-link', text: `#${j.id}` }), (j) => j.id) },
      { data: 'kind', sort: 'kind', render: nodeCell((j) => badge(kindText(j.kind), 'light border text-body')) },
      {
        data: 'spec',
        render: nodeCell((j) => el('span', { class: 'd-inline-block text-truncate font-monospace small job-what', style: 'max-width: 28rem', title: specSummary(j.kind, j.spec), text: specSummary(j.kind, j.spec) },
          j.task_id ? el('a', { href: `#/jobs/task/${j.task_id}`, class: 'badge text-bg-info text-decoration-none ms-1', text: t('job.from_task') }) : null)),
      },
      { data: 'created_by_name', sort: 'created_by_name' },
      { data: 'created_at', sort: 'created_at', className: 'text-nowrap', render: textCell((j) => fmtTime(j.created_at)) },
      { data: 'status', sort: 'status', render: nodeCell((j) => jobStatusBadge(j.status)) },
      { data: null, render: nodeCell(counts) },
      { data: 'finished_at', sort: 'finished_at', className: 'text-nowrap', render: textCell((j) => (j.started_at && j.finished_at ? fmtDuration(j.finished_at - j.started_at) : '')) },
    ],
  });

  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    dt.ajax.reload(null, true);
  });
  filters.addEventListener('reset', () => setTimeout(() => dt.ajax.reload(null, true), 0));
  for (const s of [inputs.status, inputs.kind]) s.addEventListener('change', () => dt.ajax.reload(null, true));

  // While a job on the page runs, keep the page current.
  const timer = setInterval(() => {
    if (anyRunning && !document.hidden) dt.ajax.reload(null, false);
  }, 5000);

  return () => {
    clearInterval(timer);
    dt.destroy();
  };
}
