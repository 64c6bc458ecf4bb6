// Settings → Agents (#/agents, settings:admin): the site's enrollment token
// (hidden until asked for: each reading is audited) and the one-line
// install command, both with a copy button; rotating the token (after a
// confirmation); and the hosts that have an agent (GET /api/v1/hosts sorted
// by their last report), each with a button that revokes its agent token
// (POST /api/v1/hosts/ID/agent/revoke, assets:admin).

import { t, fmtTime, fmtDuration } from '../i18n.js';
import { get, post, can } from '../api.js';
import { el, icon, clear, badge, card, toast, confirmDialog, copyText } from '../ui.js';

const PAGE = 200;

function copyButton(id, getText, input) {
  const b = el('button', { type: 'button', class: 'btn btn-outline-primary', id, disabled: true }, icon('copy', 'me-1'), el('span', { text: t('common.copy') }));
  b.addEventListener('click', async () => {
    const ok = await copyText(getText(), input);
    toast(ok ? t('common.copied') : t('common.copy_failed'), ok ? 'success' : 'warning');
  });
  return b;
}

export async function mount(root, { signal }) {
  const canRevoke = can('assets:admin');
  let secret = null; // {token, install_command, server}

  /* ---------------- enrollment */
  const tokenIn = el('input', { type: 'text', class: 'form-control font-monospace', id: 'agent-token', readOnly: true, value: '••••••••••••••••••••••••', attrs: { 'aria-label': t('agent.token') } });
  const cmdIn = el('textarea', { class: 'form-control font-monospace small', id: 'agent-command', readOnly: true, rows: 3, value: t('agent.command_hidden'), attrs: { 'aria-label': t('agent.install_command') } });
  const copyToken = copyButton('agent-copy-token', () => secret.token, tokenIn);
  const copyCmd = copyButton('agent-copy-command', () => secret.install_command, cmdIn);
  const revealBtn = el('button', { type: 'button', class: 'btn btn-outline-secondary', id: 'agent-reveal' }, icon('eye', 'me-1'), el('span', { text: t('agent.reveal') }));
  const rotateBtn = el('button', { type: 'button', class: 'btn btn-outline-danger', id: 'agent-rotate' }, icon('arrows-rotate', 'me-1'), t('agent.rotate'));

  function showSecret() {
    tokenIn.value = secret.token;
    cmdIn.value = secret.install_command;
    copyToken.disabled = false;
    copyCmd.disabled = false;
    revealBtn.classList.add('d-none');
    tokenIn.dataset.revealed = '1';
  }

  async function reveal() {
    revealBtn.disabled = true;
    try {
      secret = await get('/agent/enroll-token');
      showSecret();
    } finally {
      revealBtn.disabled = false;
    }
  }
  revealBtn.addEventListener('click', () => reveal().catch(() => {}));
  rotateBtn.addEventListener('click', async () => {
    const ok = await confirmDialog({ title: t('agent.rotate'), message: t('agent.rotate_confirm'), confirmText: t('agent.rotate'), danger: true });
    if (!ok) return;
    try {
      await post('/agent/enroll-token/rotate', {});
      toast(t('agent.rotated'), 'success');
      await reveal();
    } catch { /* toasted */ }
  });

  const enroll = card({
    title: t('agent.enroll_title'),
    body: el('div', {},
      el('p', { text: t('agent.explain_1') }),
      el('p', { class: 'text-body-secondary small', text: t('agent.explain_2') }),
      el('label', { class: 'form-label', attrs: { for: tokenIn.id }, text: t('agent.token') }),
      el('div', { class: 'input-group mb-3' }, tokenIn, revealBtn, copyToken),
      el('label', { class: 'form-label', attrs: { for: cmdIn.id }, text: t('agent.install_command') }),
      el('div', { class: 'input-group mb-1' }, cmdIn, copyCmd),
      el('div', { class: 'form-text mb-3', text: t('agent.command_help') }),
      el('div', { class: 'd-flex align-items-center gap-2' }, rotateBtn,
        el('span', { class: 'small text-body-secondary', text: t('agent.rotate_help') }))),
  });

  /* ---------------- hosts with an agent */
  const tbody = el('tbody', {});
  const table = el('table', { class: 'table table-sm table-hover align-middle mb-0', id: 'agent-hosts' },
    el('thead', {}, el('tr', {}, ['agent.host', 'agent.ip', 'agent.version', 'agent.last_report', 'agent.interval', 'agent.state', ''].map((k) => el('th', { text: k ? t(k) : '' })))),
    tbody);
  const hostsCard = card({
    title: t('agent.hosts_title'),
    tools: el('a', { href: '#/monitor', class: 'btn btn-sm btn-outline-secondary' }, icon('chart-line', 'me-1'), t('mon.menu')),
    body: el('div', {},
      el('p', { class: 'small text-body-secondary', text: t('agent.revoke_help') }),
      el('div', { class: 'table-responsive' }, table)),
  });
  root.append(el('div', { class: 'row' },
    el('div', { class: 'col-12 col-xxl-5' }, enroll),
    el('div', { class: 'col-12 col-xxl-7' }, hostsCard)));

  async function loadHosts() {
    const hosts = [];
    let now = Math.floor(Date.now() / 1000);
    for (let page = 1; page < 100; page++) {
      let res;
      try {
        res = await get('/hosts', { sort: '-last_seen_at', per_page: PAGE, page }, { quiet: true });
      } catch (e) {
        clear(tbody).appendChild(el('tr', {}, el('td', { attrs: { colspan: '7' }, class: 'text-body-secondary', text: e.status === 403 ? t('agent.no_host_list') : (e.localized || e.message) })));
        return;
      }
      if (res.now) now = res.now;
      const items = res.items || [];
      const withAgent = items.filter((h) => h.last_seen_at);
      hosts.push(...withAgent);
      // sorted newest report first, hosts that never reported last
      if (withAgent.length < items.length || items.length < PAGE) break;
    }
    clear(tbody);
    for (const h of hosts) {
      const iv = Number(h.agent_interval) || 60;
      const up = now - h.last_seen_at <= 3 * iv;
      const btn = canRevoke ? el('button', { type: 'button', class: 'btn btn-sm btn-outline-danger agent-revoke', dataset: { hostId: String(h.id) } }, icon('ban', 'me-1'), t('agent.revoke')) : null;
      if (btn) {
        btn.addEventListener('click', async () => {
          const ok = await confirmDialog({ title: t('agent.revoke'), message: t('agent.revoke_confirm', { host: h.hostname }), confirmText: t('agent.revoke'), danger: true });
          if (!ok) return;
          try {
            const r = await post(`/hosts/${h.id}/agent/revoke`, {});
            toast(t('agent.revoked', { host: h.hostname, n: r.revoked }), 'success');
          } catch { /* toasted */ }
        });
      }
      tbody.appendChild(el('tr', { dataset: { hostId: String(h.id) } },
        el('td', {}, can('assets:view') ? el('a', { href: `#/hosts/${h.id}`, text: h.hostname }) : h.hostname),
        el('td', { class: 'font-monospace small', text: h.ip || '' }),
        el('td', { class: 'small', text: h.agent_version || '—' }),
        el('td', { class: 'small text-nowrap', text: fmtTime(h.last_seen_at) }),
        el('td', { class: 'small', text: fmtDuration(iv) }),
        el('td', {}, badge(up ? t('mon.state_up') : t('mon.state_down'), up ? 'success' : 'danger')),
        el('td', { class: 'text-end' }, btn)));
    }
    if (!hosts.length) tbody.appendChild(el('tr', {}, el('td', { attrs: { colspan: '7' }, class: 'text-body-secondary text-center py-3', id: 'agent-none', text: t('agent.none') })));
    table.dataset.loaded = '1';
  }
  await loadHosts();
  if (signal.aborted) return undefined;
  return undefined;
}
