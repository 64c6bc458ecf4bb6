// Task centre (#/tasks): scheduled tasks as AdminSet listed them — name,
// type, arguments, last run, runs, last result, next run, last modified,
// expiry — with tabs All / Interval / Crontab by schedule type, run now,
// edit, delete, and the results page (#/jobs/task/ID: the job history of
// the task). The dialog holds the job (run.js's editor, compact) and the
// schedule: every N seconds/minutes/hours/days (optionally from a start
// time) or a crontab of five fields in a time zone, catch-up once or skip,
// expiry, enabled; the next five run times come live from
// POST /api/v1/schedules/preview, the server's error beside its field
// (cron, timezone, every …).
//
// GET /api/v1/tasks cannot filter by schedule type, so this page reads the
// whole list (tasks are few) and filters and sorts it here.

import { t, lang, fmtTime } from '../i18n.js';
import { get, post, patch, del, can } from '../api.js';
import { el, icon, clear, badge, card, modal, field, toast, confirmDialog, fieldError } from '../ui.js';
import { jobEditor, jobErrorField } from './run.js';
import { specSummary, kindText, jobStatusBadge } from './jobs.js';

const UNITS = ['seconds', 'minutes', 'hours', 'days'];
const CRON_PARTS = [
  { id: 'minute', label: 'task.cron_minute', ph: '*/5' },
  { id: 'hour', label: 'task.cron_hour', ph: '*' },
  { id: 'dom', label: 'task.cron_dom', ph: '*', msg: 'day of month' },
  { id: 'month', label: 'task.cron_month', ph: '*' },
  { id: 'dow', label: 'task.cron_dow', ph: '*', msg: 'day of week' },
];

function zones() {
  let list = [];
  try {
    list = Intl.supportedValuesOf('timeZone');
  } catch { /* old browser */ }
  return ['UTC', ...list.filter((z) => z !== 'UTC')];
}

function localZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function toLocalInput(sec) {
  if (!sec) return '';
  const d = new Date(sec * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function fromLocalInput(v) {
  if (!v) return null;
  const ms = new Date(v).getTime();
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

/* A time in a given IANA zone, e.g. "2026-11-26 03:00 (Asia/Shanghai)". */
function fmtIn(sec, tz) {
  try {
    return new Date(sec * 1000).toLocaleString(lang(), {
      timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false,
    });
  } catch {
    return fmtTime(sec);
  }
}

/* A compact time for the table (full one in the title). */
function shortTime(sec) {
  if (!sec) return el('span', { text: '—' });
  const d = new Date(sec * 1000);
  const opts = { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false };
  if (d.getFullYear() !== new Date().getFullYear()) opts.year = 'numeric';
  return el('span', { class: 'text-nowrap', title: fmtTime(sec), text: d.toLocaleString(lang(), opts) });
}

export function scheduleText(s) {
  if (!s) return '';
  if (s.type === 'interval') return t(`task.every_${s.unit}`, { n: s.every });
  return `${s.cron} (${s.timezone || 'UTC'})`;
}

/* Mark a field of form invalid without moving the focus (live checks). */
function markField(form, name, message) {
  const wrap = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
  if (!wrap) return false;
  wrap.querySelectorAll('input, select, textarea').forEach((c) => c.classList.add('is-invalid'));
  const fb = wrap.querySelector('.invalid-feedback');
  if (fb) {
    fb.textContent = message;
    fb.classList.add('d-block');
  }
  return true;
}

function unmarkFields(form, names) {
  for (const name of names) {
    const wrap = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!wrap) continue;
    wrap.querySelectorAll('.is-invalid').forEach((c) => c.classList.remove('is-invalid'));
    const fb = wrap.querySelector('.invalid-feedback');
    if (fb) {
      fb.textContent = '';
      fb.classList.remove('d-block');
    }
  }
}

const SCHEDULE_FIELDS = ['schedule', 'type', 'cron', 'timezone', 'every', 'unit', 'start_at', 'expires_at', 'catchup', 'grace_seconds', 'enabled'];

/* Same definition? (the server's copy has every field filled in) */
function sameSchedule(a, b) {
  if (!b || a.type !== b.type) return false;
  const keys = a.type === 'interval' ? ['every', 'unit', 'start_at'] : ['cron', 'timezone'];
  return [...keys, 'enabled', 'expires_at', 'catchup'].every((k) => (a[k] ?? null) === (b[k] ?? null));
}

/* ---------------------------------------------------------------- dialog */

function scheduleEditor(initial) {
  const s = initial || { type: 'cron', cron: '0 3 * * *', timezone: localZone(), catchup: 'once', enabled: true };
  const typeBtns = ['interval', 'cron'].map((ty) => {
    const input = el('input', { type: 'radio', class: 'btn-check', name: 'sched-type', id: `task-type-${ty}`, value: ty, checked: s.type === ty });
    return [input, el('label', { class: 'btn btn-outline-primary btn-sm', attrs: { for: input.id }, text: t(`task.type_${ty}`) })];
  });
  // interval
  const every = el('input', { type: 'number', class: 'form-control', id: 'task-every', min: 1, step: 1, value: String(s.every || 5), attrs: { 'aria-label': t('task.every') } });
  const unit = el('select', { class: 'form-select', id: 'task-unit', attrs: { 'aria-label': t('task.unit') } },
    UNITS.map((u) => el('option', { value: u, text: t(`task.unit_${u}`), selected: (s.unit || 'minutes') === u })));
  const startAt = el('input', { type: 'datetime-local', class: 'form-control', id: 'task-start-at', value: toLocalInput(s.start_at) });
  const intervalPart = el('div', { class: 'row g-2', id: 'task-interval' },
    el('div', { class: 'col-sm-6', dataset: { field: 'every' } },
      el('label', { class: 'form-label', attrs: { for: every.id }, text: t('task.every') }),
      el('div', { class: 'input-group' }, every, unit),
      el('div', { class: 'invalid-feedback' })),
    el('div', { class: 'col-sm-6', dataset: { field: 'start_at' } },
      el('label', { class: 'form-label', attrs: { for: startAt.id }, text: t('task.start_at') }),
      startAt,
      el('div', { class: 'invalid-feedback' }),
      el('div', { class: 'form-text', text: t('task.start_at_help') })));
  // crontab
  const cronText = String(s.cron || '* * * * *');
  const macro = cronText.startsWith('@');
  const parts = macro ? [cronText, '', '', '', ''] : cronText.trim().split(/\s+/);
  const cronInputs = CRON_PARTS.map((c, i) => el('input', {
    type: 'text', class: 'form-control font-monospace text-center', id: `task-cron-${c.id}`, value: parts[i] || '*', placeholder: c.ph,
    attrs: { 'aria-label': t(c.label), autocomplete: 'off', spellcheck: 'false' }, dataset: { part: c.msg || c.id },
  }));
  const tz = el('select', { class: 'form-select', id: 'task-timezone' },
    zones().map((z) => el('option', { value: z, text: z, selected: z === (s.timezone || localZone()) })));
  if (s.timezone && !zones().includes(s.timezone)) tz.appendChild(el('option', { value: s.timezone, text: s.timezone, selected: true }));
  const cronPart = el('div', { class: 'row g-2', id: 'task-cron' },
    el('div', { class: 'col-12', dataset: { field: 'cron' } },
      el('div', { class: 'form-label', text: t('task.cron') }),
      el('div', { class: 'd-flex gap-1 task-cron-fields' }, CRON_PARTS.map((c, i) => el('div', { class: 'flex-fill' },
        cronInputs[i], el('div', { class: 'form-text text-center mt-0', text: t(c.label) })))),
      el('div', { class: 'invalid-feedback' }),
      el('div', { class: 'form-text', text: t('task.cron_help') })),
    el('div', { class: 'col-12', dataset: { field: 'timezone' } },
      el('label', { class: 'form-label', attrs: { for: tz.id }, text: t('task.timezone') }), tz,
      el('div', { class: 'invalid-feedback' })));
  // common
  const catchup = el('select', { class: 'form-select', id: 'task-catchup', name: 'catchup' },
    ['once', 'skip'].map((c) => el('option', { value: c, text: t(`task.catchup_${c}`), selected: (s.catchup || 'once') === c })));
  const expires = el('input', { type: 'datetime-local', class: 'form-control', id: 'task-expires', name: 'expires_at', value: toLocalInput(s.expires_at) });
  const enabled = el('input', { type: 'checkbox', id: 'task-enabled', name: 'enabled', checked: s.enabled !== false });
  const common = el('div', { class: 'row g-2 mt-1' },
    el('div', { class: 'col-12' }, field('task.catchup', catchup, { help: t('task.catchup_help') })),
    el('div', { class: 'col-sm-7' }, field('task.expires', expires, { help: t('task.expires_help') })),
    el('div', { class: 'col-sm-5 pt-sm-4' }, field('task.enabled', enabled)));
  const preview = el('div', { class: 'task-preview', id: 'task-preview', attrs: { 'aria-live': 'polite' } });
  const node = el('div', { class: 'task-schedule' },
    el('div', { class: 'btn-group mb-3', attrs: { role: 'group', 'aria-label': t('task.schedule_type') }, dataset: { field: 'type' } }, typeBtns.flat()),
    intervalPart, cronPart, common,
    el('div', { class: 'mt-2' }, el('div', { class: 'fw-semibold small mb-1', text: t('task.next_runs') }), preview));

  function type() {
    return node.querySelector('input[name="sched-type"]:checked').value;
  }
  function showType() {
    const ty = type();
    intervalPart.classList.toggle('d-none', ty !== 'interval');
    cronPart.classList.toggle('d-none', ty !== 'cron');
  }
  showType();

  function cronExpr() {
    const v = cronInputs.map((i) => i.value.trim());
    if (v[0].startsWith('@')) return v[0];
    return v.map((x) => x || '*').join(' ');
  }

  function read() {
    const ty = type();
    const out = { type: ty, enabled: enabled.checked, catchup: catchup.value };
    if (ty === 'interval') {
      const n = Number(every.value);
      if (!every.value.trim() || !Number.isInteger(n)) throw fieldError('every', t('task.every_whole'));
      out.every = n;
      out.unit = unit.value;
      const st = fromLocalInput(startAt.value);
      if (st !== null) out.start_at = st;
    } else {
      out.cron = cronExpr();
      out.timezone = tz.value;
    }
    const ex = fromLocalInput(expires.value);
    out.expires_at = ex;
    return out;
  }

  return { node, read, showType, cronInputs, tz, preview, type };
}

export async function mount(root, { signal }) {
  const canEdit = can('tasks:edit');
  const canRun = can('tasks:execute');
  let tab = 'all';
  let tasks = [];

  const tabs = el('ul', { class: 'nav nav-tabs mb-3', id: 'task-tabs', attrs: { role: 'tablist' } },
    ['all', 'interval', 'cron'].map((k) => el('li', { class: 'nav-item', attrs: { role: 'presentation' } },
      el('button', { type: 'button', class: 'nav-link', dataset: { tab: k }, id: `task-tab-${k}`, attrs: { role: 'tab' } },
        t(`task.tab_${k}`), el('span', { class: 'badge text-bg-light border ms-1 task-tab-count' })))));
  const search = el('input', { type: 'search', class: 'form-control form-control-sm', id: 'task-search', placeholder: t('task.search'), attrs: { 'aria-label': t('task.search') } });
  const newBtn = canEdit ? el('button', { type: 'button', class: 'btn btn-sm btn-primary', id: 'task-new' }, icon('plus', 'me-1'), t('task.new')) : null;
  const tbody = el('tbody', {});
  const table = el('table', { class: 'table table-sm table-hover align-middle mb-0 small', id: 'task-table' },
    el('thead', {}, el('tr', {},
      ['task.name', 'task.kind', 'task.arguments', 'task.schedule', 'task.last_run', 'task.runs', 'task.last_result', 'task.next_run', 'task.modified', 'task.expires', 'common.actions']
        .map((k) => el('th', { class: 'text-nowrap', text: t(k) })))),
    tbody);
  root.appendChild(card({
    title: t('task.title'),
    tools: newBtn,
    body: el('div', {}, tabs, el('div', { class: 'd-flex mb-2' }, el('div', { style: 'width: 18rem' }, search)),
      el('div', { class: 'table-responsive' }, table)),
  }));

  function markTabs() {
    tabs.querySelectorAll('button[data-tab]').forEach((b) => {
      const on = b.dataset.tab === tab;
      b.classList.toggle('active', on);
      b.setAttribute('aria-selected', String(on));
      const n = b.dataset.tab === 'all' ? tasks.length : tasks.filter((x) => x.schedule && x.schedule.type === b.dataset.tab).length;
      b.querySelector('.task-tab-count').textContent = String(n);
    });
  }

  function row(x) {
    const s = x.schedule || {};
    const expired = x.expires_at && x.expires_at <= Date.now() / 1000;
    const actions = el('span', { class: 'text-nowrap' },
      canRun ? el('button', { type: 'button', class: 'btn btn-sm btn-outline-success me-1', title: t('task.run_now'), attrs: { 'aria-label': t('task.run_now') }, dataset: { action: 'run' } }, icon('play')) : null,
      canEdit ? el('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary me-1', title: t('common.edit'), attrs: { 'aria-label': t('common.edit') }, dataset: { action: 'edit' } }, icon('pen')) : null,
      el('a', { href: `#/jobs/task/${x.id}`, class: 'btn btn-sm btn-outline-secondary me-1', title: t('task.results'), attrs: { 'aria-label': t('task.results') }, dataset: { action: 'results' } }, icon('list-check')),
      canEdit ? el('button', { type: 'button', class: 'btn btn-sm btn-outline-danger', title: t('common.delete'), attrs: { 'aria-label': t('common.delete') }, dataset: { action: 'delete' } }, icon('trash')) : null);
    return el('tr', { dataset: { id: String(x.id), type: s.type || '' }, class: x.enabled ? '' : 'text-body-secondary' },
      el('td', {},
        el('div', { class: 'fw-semibold task-name text-nowrap', text: x.name }),
        x.description ? el('div', { class: 'small text-body-secondary', text: x.description }) : null,
        x.enabled ? null : badge(t('task.disabled'), 'secondary')),
      el('td', {}, badge(kindText(x.kind), 'light border text-body')),
      el('td', {}, el('span', { class: 'font-monospace small d-inline-block text-truncate', style: 'max-width: 12rem', title: specSummary(x.kind, x.job), text: specSummary(x.kind, x.job) }),
        el('div', { class: 'small text-body-secondary', text: t('task.targets', { hosts: (x.job.hosts || []).length, groups: (x.job.groups || []).length }) })),
      el('td', { class: 'small' }, el('span', { class: 'font-monospace task-schedule-text', text: scheduleText(s) })),
      el('td', {}, x.last_run_at && x.last_job_id ? el('a', { href: `#/jobs/${x.last_job_id}` }, shortTime(x.last_run_at)) : shortTime(x.last_run_at)),
      el('td', {}, el('a', { href: `#/jobs/task/${x.id}`, class: 'task-runs', text: String(x.run_count || 0) })),
      el('td', {}, x.last_status ? jobStatusBadge(x.last_status) : '—'),
      el('td', { class: 'task-next' }, shortTime(x.next_run_at)),
      el('td', {}, shortTime(x.updated_at)),
      el('td', { class: expired ? 'text-danger' : '' }, shortTime(x.expires_at)),
      el('td', {}, actions));
  }

  function render() {
    markTabs();
    const q = search.value.trim().toLowerCase();
    const shown = tasks.filter((x) => (tab === 'all' || (x.schedule && x.schedule.type === tab))
      && (!q || `${x.name} ${x.description || ''} ${specSummary(x.kind, x.job)}`.toLowerCase().includes(q)));
    clear(tbody);
    for (const x of shown) tbody.appendChild(row(x));
    if (!shown.length) {
      tbody.appendChild(el('tr', {}, el('td', { class: 'text-center text-body-secondary py-4', attrs: { colspan: '11' }, text: tasks.length ? t('table.no_match') : t('task.none') })));
    }
    table.dataset.loaded = '1';
  }

  async function load() {
    const all = [];
    for (let page = 1; page < 100; page++) {
      const res = await get('/tasks', { per_page: 200, page, sort: 'name' });
      all.push(...(res.items || []));
      if ((res.items || []).length < 200 || all.length >= Number(res.total || 0)) break;
    }
    tasks = all;
    render();
  }

  tabs.addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-tab]');
    if (!b) return;
    tab = b.dataset.tab;
    render();
  });
  search.addEventListener('input', render);
  if (newBtn) newBtn.addEventListener('click', () => openDialog(null));

  tbody.addEventListener('click', async (ev) => {
    const b = ev.target.closest('[data-action]');
    if (!b || b.tagName === 'A') return;
    const id = Number(b.closest('tr').dataset.id);
    const x = tasks.find((k) => k.id === id);
    if (!x) return;
    if (b.dataset.action === 'run') {
      b.disabled = true;
      try {
        const r = await post(`/tasks/${id}/run`, {});
        toast(t('task.queued', { name: x.name }), 'success');
        location.hash = `#/jobs/${r.job_id}`;
      } catch {
        b.disabled = false;
      }
    } else if (b.dataset.action === 'edit') {
      openDialog(id);
    } else if (b.dataset.action === 'delete') {
      const ok = await confirmDialog({ title: t('common.delete'), message: t('task.delete_confirm', { name: x.name }), confirmText: t('common.delete') });
      if (!ok) return;
      try {
        await del(`/tasks/${id}`);
        toast(t('task.deleted', { name: x.name }), 'success');
        await load();
      } catch { /* toasted */ }
    }
  });

  /* ---------------- add / edit */
  async function openDialog(id) {
    let task = null;
    if (id) {
      try {
        task = await get(`/tasks/${id}`);
      } catch {
        return;
      }
    }
    const name = el('input', { type: 'text', name: 'name', id: 'task-name', maxLength: 100, value: task ? task.name : '' });
    const description = el('input', { type: 'text', name: 'description', id: 'task-description', maxLength: 255, value: task ? task.description || '' : '' });
    const editor = jobEditor({ p: 'task', compact: true });
    const sched = scheduleEditor(task ? task.schedule : null);
    const body = el('div', {},
      el('div', { class: 'row' },
        el('div', { class: 'col-md-5' }, field('task.name', name, { required: true })),
        el('div', { class: 'col-md-7' }, field('task.description', description))),
      el('div', { class: 'row g-4' },
        el('div', { class: 'col-12 col-xl-7' },
          el('h6', { class: 'border-bottom pb-1 mb-3' }, icon('play', 'me-1'), t('task.job_part')),
          editor.node),
        el('div', { class: 'col-12 col-xl-5' },
          el('h6', { class: 'border-bottom pb-1 mb-3' }, icon('clock', 'me-1'), t('task.schedule_part')),
          sched.node)));
    const m = modal({
      id: 'task-modal',
      title: task ? t('task.edit_title', { name: task.name }) : t('task.new_title'),
      body,
      size: 'modal-xl',
      submitText: t('common.save'),
      onSubmit: async (form) => {
        const b = {};
        const nm = name.value.trim();
        if (!nm) throw fieldError('name', t('form.required'));
        if (!task || nm !== task.name) b.name = nm;
        if (!task || description.value !== (task.description || '')) b.description = description.value;
        if (!task || editor.isDirty()) b.job = await editor.read();
        const sc = sched.read();
        // an unchanged schedule is not sent: saving one restarts its timing
        if (!task || !sameSchedule(sc, task.schedule)) b.schedule = sc;
        try {
          if (task) await patch(`/tasks/${task.id}`, b, { quiet: true });
          else await post('/tasks', b, { quiet: true });
        } catch (e) {
          if (e && e.field) {
            e.field = e.field.startsWith('job.') ? jobErrorField(e.field) : e.field;
            if (e.field === 'schedule') e.field = 'type';
          }
          throw e;
        }
        toast(task ? t('task.saved', { name: nm }) : t('task.created', { name: nm }), 'success');
        await load();
        return true;
      },
    });
    if (task) await editor.load(task.job);

    // live preview of the next run times
    const form = m.form;
    let seq = 0;
    let timer = null;
    async function previewNow() {
      const n = ++seq;
      let s;
      unmarkFields(form, SCHEDULE_FIELDS);
      sched.cronInputs.forEach((i) => i.classList.remove('is-invalid'));
      try {
        s = sched.read();
      } catch (e) {
        markField(form, e.field, e.message);
        clear(sched.preview).appendChild(el('span', { class: 'text-body-secondary small', text: '—' }));
        return;
      }
      sched.preview.dataset.state = 'loading';
      try {
        const r = await post('/schedules/preview', { schedule: s }, { quiet: true });
        if (n !== seq) return;
        const tz = s.type === 'cron' ? s.timezone : null;
        const items = (r.next || []).map((sec) => el('li', { class: 'task-preview-time' },
          el('span', { class: 'font-monospace', text: tz ? fmtIn(sec, tz) : fmtTime(sec) }),
          tz && tz !== localZone() ? el('span', { class: 'text-body-secondary ms-2 small', text: t('task.your_time', { time: fmtTime(sec) }) }) : null));
        clear(sched.preview).appendChild(items.length
          ? el('ol', { class: 'mb-0 small ps-3', id: 'task-preview-list' }, items)
          : el('span', { class: 'text-warning small', id: 'task-preview-none', text: t('task.no_next_runs') }));
        sched.preview.dataset.state = 'ok';
      } catch (e) {
        if (n !== seq) return;
        const f = e.field === 'schedule' ? 'type' : (e.field || 'type');
        const msg = e.localized || e.message;
        if (!markField(form, f, msg)) markField(form, 'type', msg);
        if (f === 'cron') {
          // "hour: 24 is out of range 0-23": the part the message names
          const part = /^(minute|hour|day of month|month|day of week):/.exec(e.message || '');
          if (part) sched.cronInputs.forEach((i) => i.classList.toggle('is-invalid', i.dataset.part === part[1]));
        }
        clear(sched.preview).appendChild(el('span', { class: 'text-danger small', id: 'task-preview-error', text: msg }));
        sched.preview.dataset.state = 'error';
      }
    }
    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(previewNow, 300);
    };
    sched.node.addEventListener('input', schedule);
    sched.node.addEventListener('change', (ev) => {
      if (ev.target.name === 'sched-type') sched.showType();
      schedule();
    });
    m.el.addEventListener('hidden.bs.modal', () => clearTimeout(timer));
    previewNow();
  }

  await load();
  const timer = setInterval(() => {
    if (!document.hidden && !document.querySelector('.modal.show')) load().catch(() => {});
  }, 30000);
  if (signal.aborted) clearInterval(timer);
  return () => clearInterval(timer);
}

