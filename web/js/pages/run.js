// Tasks → Run (#/run): choose hosts and groups, then one kind of work —
// a command, a library script with arguments (each argument one string,
// never split by a shell), a file to copy (read here as base64, with its
// remote path and mode), an Ansible module with its arguments, or a library
// playbook with extra vars (JSON, or key=value lines turned into JSON) —,
// a time limit, and Run: POST /api/v1/jobs, then the job's page.
//
// jobEditor() is also the job part of the scheduled-task dialog (tasks.js).

import { t } from '../i18n.js';
import { get, post } from '../api.js';
import { el, icon, clear, card, clearFieldErrors, formError, fieldError } from '../ui.js';
import { fmtBytes } from '../charts.js';
import { nHosts } from './jobs.js';

const KINDS = [
  { id: 'command', icon: 'terminal', label: 'job.kind_command' },
  { id: 'script', icon: 'file-code', label: 'job.kind_script' },
  { id: 'file', icon: 'file-arrow-up', label: 'job.kind_file' },
  { id: 'ansible_module', icon: 'puzzle-piece', label: 'job.kind_ansible_module' },
  { id: 'playbook', icon: 'book', label: 'job.kind_playbook' },
];
const MODULES = ['ping', 'command', 'shell', 'raw', 'script', 'copy', 'file', 'template', 'lineinfile', 'service', 'systemd',
  'apt', 'yum', 'dnf', 'package', 'user', 'group', 'cron', 'setup', 'stat', 'fetch', 'get_url', 'unarchive', 'reboot'];
const MAX_FILE = 8 * 1024 * 1024;
const HOST_PAGE = 50;

/** key=value lines (or a JSON object) -> object; throws Error(message). */
export function parseExtraVars(text) {
  const s = String(text || '').trim();
  if (!s) return {};
  if (s.startsWith('{')) {
    let v;
    try {
      v = JSON.parse(s);
    } catch (e) {
      throw new Error(t('job.extra_vars_bad_json', { error: e.message }));
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(t('job.extra_vars_not_object'));
    return v;
  }
  const out = {};
  s.split('\n').forEach((raw, n) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const i = line.indexOf('=');
    const key = i > 0 ? line.slice(0, i).trim() : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(t('job.extra_vars_bad_line', { n: n + 1 }));
    out[key] = line.slice(i + 1).trim();
  });
  return out;
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const s = String(r.result || '');
      resolve(s.slice(s.indexOf(',') + 1));
    };
    r.onerror = () => reject(r.error || new Error('read failed'));
    r.readAsDataURL(file);
  });
}

async function fetchAll(path, params) {
  const out = [];
  for (let page = 1; page < 100; page++) {
    const res = await get(path, { ...params, per_page: 200, page }, { quiet: true });
    const items = (res && res.items) || [];
    out.push(...items);
    if (items.length < 200 || out.length >= Number(res.total || 0)) break;
  }
  return out;
}

/* A labelled block whose data-field receives the server's error. */
function block(name, labelText, control, help, forId) {
  return el('div', { class: 'mb-3', dataset: { field: name } },
    labelText ? el('label', { class: 'form-label', attrs: forId ? { for: forId } : {}, text: labelText }) : null,
    control,
    el('div', { class: 'invalid-feedback' }),
    help ? el('div', { class: 'form-text', text: help }) : null);
}

/**
 * The job part of a form. Returns { node, read() -> Promise<job body>,
 * load(job), isDirty(), kind() }. `p` prefixes the element ids.
 */
export function jobEditor({ p = 'run', compact = false } = {}) {
  let dirty = false;
  let kind = 'command';
  const selHosts = new Map(); // id -> {id, hostname, ip}
  const selGroups = new Map(); // id -> {id, name, n}
  let groups = [];

  /* ---------------- targets */
  const hostSearch = el('input', { type: 'search', class: 'form-control form-control-sm', id: `${p}-host-search`, placeholder: t('job.search_hosts'), attrs: { 'aria-label': t('job.search_hosts') } });
  const hostList = el('div', { class: 'list-group list-group-flush run-pick-list', id: `${p}-host-list` });
  const hostInfo = el('div', { class: 'small text-body-secondary mt-1', id: `${p}-host-info` });
  const addShown = el('button', { type: 'button', class: 'btn btn-link btn-sm p-0', id: `${p}-hosts-all` }, t('job.select_shown'));
  const groupSearch = el('input', { type: 'search', class: 'form-control form-control-sm', id: `${p}-group-search`, placeholder: t('job.search_groups'), attrs: { 'aria-label': t('job.search_groups') } });
  const groupList = el('div', { class: 'list-group list-group-flush run-pick-list', id: `${p}-group-list` });
  const chips = el('div', { class: 'd-flex flex-wrap gap-1 run-chips', id: `${p}-selected` });
  const selCount = el('span', { class: 'small text-body-secondary', id: `${p}-selected-count` });
  let shownHosts = [];

  function pickRow(id, checked, title, sub, onToggle, dataset) {
    const cb = el('input', { type: 'checkbox', class: 'form-check-input me-2', checked, id: `${p}-pick-${dataset.kind}-${id}` });
    cb.addEventListener('change', () => onToggle(cb.checked));
    return el('label', { class: 'list-group-item list-group-item-action d-flex align-items-center py-1', attrs: { for: cb.id }, dataset },
      cb, el('span', { class: 'text-truncate', text: title }),
      sub ? el('span', { class: 'ms-auto small text-body-secondary ps-2 text-nowrap', text: sub }) : null);
  }

  function renderChips() {
    clear(chips);
    for (const g of selGroups.values()) {
      chips.appendChild(chip(`${g.name}`, 'object-group', () => { selGroups.delete(g.id); renderAll(); }, { group: String(g.id) }));
    }
    for (const h of selHosts.values()) {
      chips.appendChild(chip(h.hostname, 'server', () => { selHosts.delete(h.id); renderAll(); }, { host: String(h.id) }));
    }
    if (!selHosts.size && !selGroups.size) chips.appendChild(el('span', { class: 'small text-body-secondary', text: t('job.nothing_selected') }));
    selCount.textContent = t('job.selected_count', { hosts: selHosts.size, groups: selGroups.size });
  }

  function chip(text, iconName, onRemove, dataset) {
    return el('span', { class: 'badge rounded-pill text-bg-light border d-inline-flex align-items-center run-chip', dataset },
      icon(iconName, 'me-1 text-body-secondary'), el('span', { text }),
      el('button', {
        type: 'button', class: 'btn-close ms-1 run-chip-x', title: t('job.remove'), attrs: { 'aria-label': `${t('job.remove')} ${text}` },
        on: { click: (ev) => { ev.preventDefault(); dirty = true; onRemove(); } },
      }));
  }

  function renderHosts() {
    clear(hostList);
    for (const h of shownHosts) {
      hostList.appendChild(pickRow(h.id, selHosts.has(h.id), h.hostname, h.ip || '', (on) => {
        if (on) selHosts.set(h.id, { id: h.id, hostname: h.hostname, ip: h.ip });
        else selHosts.delete(h.id);
        renderChips();
      }, { kind: 'host', hostId: String(h.id) }));
    }
    if (!shownHosts.length) hostList.appendChild(el('div', { class: 'list-group-item small text-body-secondary', text: t('job.no_hosts_found') }));
  }

  function renderGroups() {
    const q = groupSearch.value.trim().toLowerCase();
    clear(groupList);
    const shown = groups.filter((g) => !q || g.name.toLowerCase().includes(q));
    for (const g of shown) {
      const n = (g.host_ids || []).length;
      groupList.appendChild(pickRow(g.id, selGroups.has(g.id), g.name, nHosts(n), (on) => {
        if (on) selGroups.set(g.id, { id: g.id, name: g.name, n });
        else selGroups.delete(g.id);
        renderChips();
      }, { kind: 'group', groupId: String(g.id) }));
    }
    if (!shown.length) groupList.appendChild(el('div', { class: 'list-group-item small text-body-secondary', text: t('job.no_groups_found') }));
  }

  function renderAll() {
    renderHosts();
    renderGroups();
    renderChips();
  }

  let searchSeq = 0;
  let searchTimer = null;
  async function searchHosts() {
    const seq = ++searchSeq;
    try {
      const res = await get('/hosts', { q: hostSearch.value.trim(), per_page: HOST_PAGE, sort: 'hostname' }, { quiet: true });
      if (seq !== searchSeq) return;
      shownHosts = res.items || [];
      hostInfo.textContent = Number(res.total) > shownHosts.length
        ? t('job.hosts_shown_of', { n: shownHosts.length, total: res.total })
        : t('job.hosts_shown', { n: shownHosts.length });
      renderHosts();
      hostList.dataset.loaded = String(seq);
    } catch (e) {
      if (seq === searchSeq) hostInfo.textContent = e.localized || e.message;
    }
  }
  hostSearch.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(searchHosts, 250);
  });
  hostSearch.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      clearTimeout(searchTimer);
      searchHosts();
    }
  });
  groupSearch.addEventListener('input', renderGroups);
  groupSearch.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') ev.preventDefault(); });
  addShown.addEventListener('click', () => {
    dirty = true;
    for (const h of shownHosts) selHosts.set(h.id, { id: h.id, hostname: h.hostname, ip: h.ip });
    renderAll();
  });

  const targets = el('div', { class: 'row g-3 mb-2' },
    el('div', { class: `col-12 ${compact ? 'col-md-6' : 'col-lg-6'}`, dataset: { field: 'hosts' } },
      el('label', { class: 'form-label', attrs: { for: hostSearch.id } }, icon('server', 'me-1'), t('job.hosts')),
      hostSearch, hostList,
      el('div', { class: 'd-flex justify-content-between' }, hostInfo, addShown),
      el('div', { class: 'invalid-feedback' })),
    el('div', { class: `col-12 ${compact ? 'col-md-6' : 'col-lg-6'}`, dataset: { field: 'groups' } },
      el('label', { class: 'form-label', attrs: { for: groupSearch.id } }, icon('object-group', 'me-1'), t('job.groups')),
      groupSearch, groupList,
      el('div', { class: 'form-text', text: t('job.groups_help') }),
      el('div', { class: 'invalid-feedback' })),
    el('div', { class: 'col-12' },
      el('div', { class: 'd-flex align-items-center gap-2 mb-1' }, el('span', { class: 'fw-semibold small', text: t('job.selected') }), selCount),
      chips));

  /* ---------------- kinds */
  const command = el('textarea', { class: 'form-control font-monospace', id: `${p}-command`, name: 'command', rows: compact ? 3 : 6, spellcheck: false, placeholder: 'uname -a' });

  const scriptSel = el('select', { class: 'form-select', id: `${p}-script`, name: 'script_id' }, el('option', { value: '', text: t('common.loading') }));
  const argsList = el('div', { id: `${p}-args` });
  const addArg = el('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', id: `${p}-add-arg` }, icon('plus', 'me-1'), t('job.add_arg'));
  function argRow(value = '') {
    const input = el('input', { type: 'text', class: 'form-control form-control-sm font-monospace run-arg', value, attrs: { 'aria-label': t('job.arg') } });
    const row = el('div', { class: 'input-group input-group-sm mb-1' },
      el('span', { class: 'input-group-text run-arg-n' }), input,
      el('button', {
        type: 'button', class: 'btn btn-outline-secondary', title: t('job.remove'), attrs: { 'aria-label': t('job.remove') },
        on: { click: () => { row.remove(); dirty = true; numberArgs(); } },
      }, icon('xmark')));
    return row;
  }
  function numberArgs() {
    argsList.querySelectorAll('.run-arg-n').forEach((s, i) => { s.textContent = `$${i + 1}`; });
  }
  addArg.addEventListener('click', () => {
    const row = argRow();
    argsList.appendChild(row);
    numberArgs();
    row.querySelector('input').focus();
  });

  const fileIn = el('input', { type: 'file', class: 'form-control', id: `${p}-file` });
  const fileInfo = el('div', { class: 'form-text', id: `${p}-file-info` });
  const filePath = el('input', { type: 'text', class: 'form-control font-monospace', id: `${p}-file-path`, placeholder: '/etc/motd' });
  const fileMode = el('input', { type: 'text', class: 'form-control font-monospace', id: `${p}-file-mode`, value: '0644', maxLength: 4, attrs: { pattern: '[0-7]{3,4}' } });
  let fileKeep = null; // a task's file already stored on the server: {path, mode, size, sha256}
  fileIn.addEventListener('change', () => {
    const f = fileIn.files[0];
    fileInfo.textContent = f ? `${f.name} · ${fmtBytes(f.size)}` : '';
    if (f && !filePath.value) filePath.value = `/tmp/${f.name}`;
  });

  const moduleIn = el('input', { type: 'text', class: 'form-control font-monospace', id: `${p}-module`, placeholder: 'ping', attrs: { list: `${p}-modules`, autocomplete: 'off' } });
  const moduleList = el('datalist', { id: `${p}-modules` }, MODULES.map((m) => el('option', { value: m })));
  const moduleArgs = el('textarea', { class: 'form-control font-monospace', id: `${p}-module-args`, rows: 2, spellcheck: false, placeholder: 'name=nginx state=restarted' });
  const moduleCheck = el('input', { type: 'checkbox', class: 'form-check-input', id: `${p}-module-check` });

  const playbookSel = el('select', { class: 'form-select', id: `${p}-playbook` }, el('option', { value: '', text: t('common.loading') }));
  const extraVars = el('textarea', { class: 'form-control font-monospace', id: `${p}-extra-vars`, rows: compact ? 2 : 4, spellcheck: false, placeholder: 'version=1.2.3\nenv=prod' });
  const extraJson = el('div', { class: 'form-text font-monospace text-break', id: `${p}-extra-vars-json` });
  const playbookCheck = el('input', { type: 'checkbox', class: 'form-check-input', id: `${p}-playbook-check` });
  extraVars.addEventListener('input', () => {
    try {
      const v = parseExtraVars(extraVars.value);
      extraJson.textContent = Object.keys(v).length ? `→ ${JSON.stringify(v)}` : '';
      extraJson.classList.remove('text-danger');
    } catch (e) {
      extraJson.textContent = e.message;
      extraJson.classList.add('text-danger');
    }
  });

  const timeout = el('input', { type: 'number', class: 'form-control', id: `${p}-timeout`, min: 1, max: 86400, step: 1, value: '300' });

  const checkSwitch = (input, key) => el('div', { class: 'form-check form-switch mb-3', dataset: { field: 'check' } },
    input, el('label', { class: 'form-check-label', attrs: { for: input.id }, text: t(key) }), el('div', { class: 'invalid-feedback' }));

  const panes = {
    command: el('div', {}, block('command', t('job.command'), command, t('job.command_help'), command.id)),
    script: el('div', {},
      block('script_id', t('job.script'), scriptSel, null, scriptSel.id),
      el('div', { class: 'mb-3', dataset: { field: 'args' } },
        el('div', { class: 'form-label', text: t('job.args') }),
        argsList, addArg,
        el('div', { class: 'invalid-feedback' }),
        el('div', { class: 'form-text', text: t('job.args_help') }))),
    file: el('div', { class: 'row g-2' },
      el('div', { class: 'col-12' }, block('file', t('job.file'), el('div', {}, fileIn, fileInfo), t('job.file_help'), fileIn.id)),
      el('div', { class: 'col-8' }, block('file_path', t('job.file_path'), filePath, null, filePath.id)),
      el('div', { class: 'col-4' }, block('file_mode', t('job.file_mode'), fileMode, null, fileMode.id))),
    ansible_module: el('div', {},
      block('module', t('job.module'), el('div', {}, moduleIn, moduleList), t('job.module_help'), moduleIn.id),
      block('module_args', t('job.module_args'), moduleArgs, null, moduleArgs.id),
      checkSwitch(moduleCheck, 'job.check_mode')),
    playbook: el('div', {},
      block('playbook_id', t('job.playbook'), playbookSel, null, playbookSel.id),
      block('extra_vars', t('job.extra_vars'), el('div', {}, extraVars, extraJson), t('job.extra_vars_help'), extraVars.id),
      checkSwitch(playbookCheck, 'job.check_mode')),
  };
  const tabBtns = KINDS.map((k) => el('li', { class: 'nav-item', attrs: { role: 'presentation' } },
    el('button', {
      type: 'button', class: 'nav-link', id: `${p}-tab-${k.id}`, dataset: { kind: k.id },
      attrs: { role: 'tab', 'aria-controls': `${p}-pane-${k.id}` },
    }, icon(k.icon, 'me-1'), t(k.label))));
  const paneEls = KINDS.map((k) => el('div', {
    class: 'run-pane pt-3', id: `${p}-pane-${k.id}`, attrs: { role: 'tabpanel', 'aria-labelledby': `${p}-tab-${k.id}` },
  }, panes[k.id]));
  function setKind(k) {
    kind = k;
    for (const li of tabBtns) {
      const b = li.firstChild;
      const on = b.dataset.kind === k;
      b.classList.toggle('active', on);
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
    }
    for (const pe of paneEls) pe.classList.toggle('d-none', pe.id !== `${p}-pane-${k}`);
  }
  const tabs = el('ul', { class: 'nav nav-tabs', id: `${p}-tabs`, attrs: { role: 'tablist' } }, tabBtns);
  tabs.addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-kind]');
    if (b) {
      dirty = true;
      setKind(b.dataset.kind);
    }
  });
  setKind('command');

  const node = el('div', { class: `run-editor${compact ? ' run-compact' : ''}` },
    targets,
    el('div', { class: 'mt-3' }, tabs, paneEls),
    el('div', { class: 'row' }, el('div', { class: 'col-sm-6 col-md-4' },
      block('timeout', t('job.timeout_label'), el('div', { class: 'input-group' }, timeout, el('span', { class: 'input-group-text', text: t('job.seconds_unit') })), t('job.timeout_help'), timeout.id))));
  node.addEventListener('input', (ev) => { if (ev.target !== hostSearch && ev.target !== groupSearch) dirty = true; });
  node.addEventListener('change', () => { dirty = true; });

  /* ---------------- data */
  const libOptions = (sel, items, emptyKey) => {
    const cur = sel.value;
    clear(sel).appendChild(el('option', { value: '', text: items.length ? t('job.choose') : t(emptyKey) }));
    for (const it of items) {
      sel.appendChild(el('option', {
        value: String(it.id),
        text: `${it.name} (v${it.version}${it.interpreter ? `, ${it.interpreter}` : ''})${it.description ? ` — ${it.description}` : ''}`,
      }));
    }
    if (cur) sel.value = cur;
  };
  const ready = (async () => {
    const [g, scripts, books] = await Promise.all([
      fetchAll('/groups', { sort: 'name' }).catch(() => []),
      fetchAll('/library', { kind: 'script', sort: 'name' }).catch(() => []),
      fetchAll('/library', { kind: 'playbook', sort: 'name' }).catch(() => []),
      searchHosts(),
    ]);
    groups = g;
    libOptions(scriptSel, scripts, 'job.no_scripts');
    libOptions(playbookSel, books, 'job.no_playbooks');
    renderAll();
  })();

  async function read() {
    const body = {};
    if (selHosts.size) body.hosts = [...selHosts.keys()];
    if (selGroups.size) body.groups = [...selGroups.keys()];
    if (!selHosts.size && !selGroups.size) throw fieldError('hosts', t('job.choose_targets'));
    const to = timeout.value.trim();
    if (to) {
      const n = Number(to);
      if (!Number.isInteger(n) || n < 1 || n > 86400) throw fieldError('timeout', t('job.timeout_range'));
      body.timeout = n;
    }
    switch (kind) {
      case 'command':
        if (!command.value.trim()) throw fieldError('command', t('form.required'));
        body.command = command.value;
        break;
      case 'script':
        if (!scriptSel.value) throw fieldError('script_id', t('job.choose_script'));
        body.script_id = Number(scriptSel.value);
        body.args = [...argsList.querySelectorAll('input.run-arg')].map((i) => i.value);
        break;
      case 'file': {
        const path = filePath.value.trim();
        const mode = fileMode.value.trim() || '0644';
        if (!/^[0-7]{3,4}$/.test(mode)) throw fieldError('file_mode', t('job.mode_octal'));
        if (!path.startsWith('/')) throw fieldError('file_path', t('job.path_absolute'));
        const f = fileIn.files[0];
        if (!f) {
          if (fileKeep) throw fieldError('file', t('job.file_again'));
          throw fieldError('file', t('job.choose_file'));
        }
        if (f.size > MAX_FILE) throw fieldError('file', t('job.file_too_big', { max: fmtBytes(MAX_FILE) }));
        body.file = { content_base64: await readBase64(f), path, mode };
        break;
      }
      case 'ansible_module': {
        const m = moduleIn.value.trim();
        if (!/^[a-z0-9_.]+$/.test(m)) throw fieldError('module', t('job.module_name'));
        body.module = m;
        body.module_args = moduleArgs.value;
        body.check = moduleCheck.checked;
        break;
      }
      case 'playbook':
        if (!playbookSel.value) throw fieldError('playbook_id', t('job.choose_playbook'));
        body.playbook_id = Number(playbookSel.value);
        try {
          body.extra_vars = parseExtraVars(extraVars.value);
        } catch (e) {
          throw fieldError('extra_vars', e.message);
        }
        body.check = playbookCheck.checked;
        break;
      default:
        break;
    }
    return body;
  }

  async function load(job) {
    await ready;
    selHosts.clear();
    selGroups.clear();
    const ids = job.hosts || [];
    if (ids.length) {
      for (let i = 0; i < ids.length; i += 200) {
        const res = await get('/hosts', { ids: ids.slice(i, i + 200).join(','), per_page: 200 }, { quiet: true }).catch(() => ({ items: [] }));
        for (const h of res.items || []) selHosts.set(h.id, { id: h.id, hostname: h.hostname, ip: h.ip });
      }
      for (const id of ids) if (!selHosts.has(id)) selHosts.set(id, { id, hostname: `#${id}` });
    }
    for (const id of job.groups || []) {
      const g = groups.find((x) => x.id === id);
      selGroups.set(id, { id, name: g ? g.name : `#${id}`, n: g ? (g.host_ids || []).length : 0 });
    }
    if (job.timeout) timeout.value = String(job.timeout);
    if ('command' in job) {
      setKind('command');
      command.value = job.command;
    } else if ('script_id' in job) {
      setKind('script');
      scriptSel.value = String(job.script_id);
      clear(argsList);
      for (const a of job.args || []) argsList.appendChild(argRow(a));
      numberArgs();
    } else if ('file' in job) {
      setKind('file');
      filePath.value = job.file.path || '';
      fileMode.value = job.file.mode || '0644';
      fileKeep = job.file;
      fileInfo.textContent = t('job.file_stored', { size: fmtBytes(job.file.size), sha: String(job.file.sha256 || '').slice(0, 12) });
    } else if ('module' in job) {
      setKind('ansible_module');
      moduleIn.value = job.module;
      moduleArgs.value = job.module_args || '';
      moduleCheck.checked = !!job.check;
    } else if ('playbook_id' in job) {
      setKind('playbook');
      playbookSel.value = String(job.playbook_id);
      extraVars.value = job.extra_vars && Object.keys(job.extra_vars).length ? JSON.stringify(job.extra_vars, null, 2) : '';
      playbookCheck.checked = !!job.check;
    }
    renderAll();
    dirty = false;
  }

  return { node, read, load, ready, isDirty: () => dirty, kind: () => kind };
}

/* Map a server error's field onto the editor's blocks (file.* → file). */
export function jobErrorField(field) {
  if (!field) return field;
  const f = field.replace(/^job\./, '');
  return f.startsWith('file.') ? 'file' : f;
}

export async function mount(root) {
  const editor = jobEditor({ p: 'run' });
  const submit = el('button', { type: 'submit', class: 'btn btn-success', id: 'run-submit' },
    el('span', { class: 'spinner-border spinner-border-sm me-1 d-none', attrs: { 'aria-hidden': 'true' } }),
    icon('play', 'me-1'), t('job.run'));
  const form = el('form', { id: 'run-form', attrs: { novalidate: true, autocomplete: 'off' } },
    editor.node,
    el('div', { class: 'd-flex gap-2 align-items-center' }, submit,
      el('a', { href: '#/jobs', class: 'btn btn-outline-secondary', id: 'run-history' }, icon('clock-rotate-left', 'me-1'), t('job.history'))));
  root.appendChild(card({ title: t('job.run_title'), body: form }));
  let busy = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    busy = true;
    submit.disabled = true;
    submit.firstChild.classList.remove('d-none');
    clearFieldErrors(form);
    try {
      const body = await editor.read();
      const r = await post('/jobs', body, { quiet: true });
      location.hash = `#/jobs/${r.id}`;
    } catch (e) {
      if (e && e.status !== undefined) {
        e.field = jobErrorField(e.field);
        formError(form, e);
      } else {
        console.error(e);
      }
    } finally {
      busy = false;
      submit.disabled = false;
      submit.firstChild.classList.add('d-none');
    }
  });
  await editor.ready;
}
