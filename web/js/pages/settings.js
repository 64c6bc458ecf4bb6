// Settings: a form over GET/PUT /api/v1/settings. Each key present in the
// response is rendered generically by its JSON type (switch for booleans,
// number input, text input, JSON textarea for lists/objects), labelled from
// the dictionary (settings.<key>, help text settings.<key>.help). Saving
// sends the changed keys only (PATCH), errors beside the field.

import { t, has } from '../i18n.js';
import { get, patch } from '../api.js';
import { el, icon, card, clear, field, clearFieldErrors, formError, toast, fieldError } from '../ui.js';

const SECRET = /(password|secret)$/i;

function humanize(key) {
  const s = key.replace(/[_.]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function labelKey(key) {
  return has(`settings.${key}`) ? `settings.${key}` : null;
}

/** Build the control for one setting; returns { node, read() }. */
function control(key, value, readOnly) {
  const name = key;
  const lk = labelKey(key);
  const helpKey = `settings.${key}.help`;
  const help = has(helpKey) ? t(helpKey) : null;
  let input;
  let read;
  if (typeof value === 'boolean') {
    input = el('input', { type: 'checkbox', name, checked: value, disabled: readOnly });
    read = () => input.checked;
  } else if (typeof value === 'number') {
    input = el('input', { type: 'number', name, value: String(value), step: Number.isInteger(value) ? '1' : 'any', disabled: readOnly });
    read = () => {
      if (input.value.trim() === '' || !Number.isFinite(Number(input.value))) throw fieldError(name, t('form.number'));
      return Number(input.value);
    };
  } else if (value !== null && typeof value === 'object') {
    input = el('textarea', { name, rows: 4, class: 'form-control font-monospace', value: JSON.stringify(value, null, 2), disabled: readOnly });
    read = () => {
      try {
        return JSON.parse(input.value);
      } catch {
        throw fieldError(name, t('form.json'));
      }
    };
  } else {
    input = el('input', { type: SECRET.test(key) ? 'password' : 'text', name, value: value === null ? '' : String(value), disabled: readOnly, autocomplete: 'off' });
    read = () => input.value;
  }
  // Keys without a translation still get a readable label.
  const node = field(lk, input, { help, label: lk ? null : humanize(key) });
  node.querySelector('label').append(el('code', { class: 'ms-2 small text-body-secondary setting-key', text: key }));
  return { node, read };
}

export async function mount(root, { can, signal }) {
  const canEdit = can('settings:edit');
  const body = el('div', {}, el('p', { class: 'text-body-secondary', text: t('common.loading') }));
  root.appendChild(card({ title: t('settings.title'), body }));

  const data = await get('/settings');
  if (signal.aborted) return;
  const keys = Object.keys(data || {});
  const controls = new Map();
  const form = el('form', { id: 'settings-form', attrs: { novalidate: true, autocomplete: 'off' } });
  const grid = el('div', { class: 'row' });
  for (const key of keys) {
    const c = control(key, data[key], !canEdit);
    controls.set(key, c);
    grid.appendChild(el('div', { class: typeof data[key] === 'object' && data[key] !== null ? 'col-12' : 'col-md-6' }, c.node));
  }
  form.appendChild(grid);
  if (!keys.length) form.appendChild(el('p', { class: 'text-body-secondary', text: t('settings.empty') }));
  if (canEdit && keys.length) {
    form.appendChild(el('div', { class: 'd-flex gap-2' },
      el('button', { type: 'submit', class: 'btn btn-primary', id: 'btn-save-settings' }, icon('floppy-disk', 'me-1'), t('common.save')),
      el('button', { type: 'reset', class: 'btn btn-outline-secondary' }, t('common.reset'))));
  } else if (!canEdit) {
    form.prepend(el('div', { class: 'alert alert-info py-2' }, icon('lock', 'me-2'), t('settings.read_only')));
  }
  clear(body).appendChild(form);

  let saved = { ...data };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    const changed = {};
    try {
      for (const [key, c] of controls) {
        const v = c.read();
        if (JSON.stringify(v) !== JSON.stringify(saved[key])) changed[key] = v;
      }
    } catch (e) {
      formError(form, e);
      return;
    }
    if (!Object.keys(changed).length) {
      toast(t('settings.unchanged'), 'info');
      return;
    }
    const btn = form.querySelector('#btn-save-settings');
    btn.disabled = true;
    try {
      const res = await patch('/settings', changed, { quiet: true });
      saved = res && typeof res === 'object' && !Array.isArray(res) && Object.keys(res).length ? { ...saved, ...res } : { ...saved, ...changed };
      // "Reset" now returns to what was saved.
      form.querySelectorAll('input, textarea').forEach((i) => {
        if (i.type === 'checkbox') i.defaultChecked = i.checked;
        else i.defaultValue = i.value;
      });
      toast(t('settings.saved'), 'success');
    } catch (e) {
      formError(form, e);
    } finally {
      btn.disabled = false;
    }
  });
}
