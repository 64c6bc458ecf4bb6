# cairn_jsonl.py -- Ansible stdout callback for Cairn: one JSON object per line.
#
# Cairn (src/jobs/ansible_out.c) runs ansible / ansible-playbook with
#   ANSIBLE_CALLBACK_PLUGINS=<share>/ansible/callback_plugins
#   ANSIBLE_STDOUT_CALLBACK=cairn_jsonl  ANSIBLE_LOAD_CALLBACK_PLUGINS=True
# and reads this plugin's standard output line by line while the run goes on.
# ansible-core 2.14 ships no JSON stdout callback of its own (the json and
# jsonl callbacks live in the ansible.posix collection), hence this file.
#
# Events (every line is one compact JSON object with an "event" key):
#   {"event": "start"}
#   {"event": "play", "name": ...}
#   {"event": "task", "name": ..., "action": ..., "handler": bool}
#   {"event": "result", "host": <inventory name>, "task": ..., "action": ...,
#    "status": "ok"|"changed"|"failed"|"unreachable"|"skipped",
#    "changed": bool, "failed": bool, "unreachable": bool, "ignored": bool,
#    "item": <label, loops only>, "rc": int, "msg": ..., "stdout": ...,
#    "stderr": ..., "warnings": [...], "result": {the rest of the result}}
#   {"event": "no_hosts", "name": ...}
#   {"event": "stats", "hosts": {<name>: {"ok", "changed", "unreachable",
#    "failures", "skipped", "rescued", "ignored"}}}
# Results are Ansible's own, already censored for no_log tasks; internal
# "_ansible_*" keys, "invocation" and the *_lines duplicates are dropped, and
# long texts are cut (MAX_TEXT) so that one line stays a bounded size.
# Warnings and errors of Ansible itself still go to standard error as text.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = '''
    name: cairn_jsonl
    type: stdout
    short_description: one JSON object per line, read by Cairn
    description:
      - Writes task starts, per-host results and the final stats as JSON lines.
    version_added: "2.14"
'''

import json

from ansible.parsing.ajson import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase
from ansible.vars.clean import strip_internal_keys, module_response_deepcopy

MAX_TEXT = 256 * 1024       # characters kept of msg, stdout, stderr each
MAX_REST = 64 * 1024        # characters of the serialised "result" rest

_TOP = ('msg', 'stdout', 'stderr', 'rc', 'changed', 'failed', 'unreachable',
        'skipped', 'skip_reason', 'invocation', 'stdout_lines', 'stderr_lines',
        'warnings', 'deprecations', 'results', 'exception', 'item',
        'ansible_loop_var')


def _cut(value, limit=MAX_TEXT):
    """Text of at most limit characters (non-text values are serialised)."""
    if value is None:
        return None
    if not isinstance(value, str):
        try:
            value = json.dumps(value, cls=AnsibleJSONEncoder, ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError):
            value = str(value)
    if len(value) > limit:
        value = value[:limit] + '\n[... cut by Cairn: %d more characters]' % (len(value) - limit)
    return value


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'cairn_jsonl'

    def _emit(self, obj):
        try:
            line = json.dumps(obj, cls=AnsibleJSONEncoder, ensure_ascii=False, separators=(',', ':'))
        except (TypeError, ValueError) as e:
            line = json.dumps({'event': 'error', 'msg': 'cairn_jsonl cannot serialise an event: %s' % e})
        self._display.display(line, screen_only=True)

    def _result(self, result, status, ignored=False, item=False):
        res = strip_internal_keys(module_response_deepcopy(result._result))
        ev = {
            'event': 'result',
            'host': result._host.get_name(),
            'task': result._task.get_name(),
            'action': result._task.action,
            'status': status,
            'changed': bool(res.get('changed', False)),
            'failed': status == 'failed',
            'unreachable': status == 'unreachable',
            'ignored': bool(ignored),
        }
        if item:
            ev['item'] = _cut(self._get_item_label(result._result), 1024)
        if isinstance(res.get('rc'), int):
            ev['rc'] = res['rc']
        for key in ('msg', 'stdout', 'stderr'):
            if res.get(key) not in (None, ''):
                ev[key] = _cut(res[key])
        if status == 'skipped' and res.get('skip_reason'):
            ev['msg'] = _cut(res['skip_reason'])
        warnings = [_cut(w, 4096) for w in (res.get('warnings') or [])]
        warnings += [_cut(d.get('msg', d) if isinstance(d, dict) else d, 4096) for d in (res.get('deprecations') or [])]
        if warnings:
            ev['warnings'] = warnings
        if status in ('failed', 'unreachable') and res.get('exception') and 'msg' not in ev:
            ev['msg'] = _cut(res['exception'], 8192)
        rest = dict((k, v) for k, v in res.items() if k not in _TOP)
        if rest:
            try:
                text = json.dumps(rest, cls=AnsibleJSONEncoder, ensure_ascii=False, sort_keys=True)
                ev['result'] = rest if len(text) <= MAX_REST else _cut(text, MAX_REST)
            except (TypeError, ValueError):
                ev['result'] = _cut(str(rest), MAX_REST)
        self._emit(ev)

    # ---- play and task boundaries -------------------------------------------------

    def v2_playbook_on_start(self, playbook):
        self._emit({'event': 'start'})

    def v2_playbook_on_play_start(self, play):
        self._emit({'event': 'play', 'name': play.get_name()})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._emit({'event': 'task', 'name': task.get_name(), 'action': task.action, 'handler': False})

    def v2_playbook_on_handler_task_start(self, task):
        self._emit({'event': 'task', 'name': task.get_name(), 'action': task.action, 'handler': True})

    def v2_playbook_on_no_hosts_matched(self):
        self._emit({'event': 'no_hosts', 'name': 'no hosts matched'})

    def v2_playbook_on_no_hosts_remaining(self):
        self._emit({'event': 'no_hosts', 'name': 'no hosts remaining'})

    # ---- results ---------------------------------------------------------------------

    def v2_runner_on_ok(self, result):
        if result._task.loop and 'results' in result._result:
            return  # every item was reported on its own
        self._result(result, 'changed' if result._result.get('changed', False) else 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, 'failed', ignored=ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._result(result, 'unreachable')

    def v2_runner_on_skipped(self, result):
        if result._task.loop and 'results' in result._result:
            return
        self._result(result, 'skipped')

    def v2_runner_item_on_ok(self, result):
        self._result(result, 'changed' if result._result.get('changed', False) else 'ok', item=True)

    def v2_runner_item_on_failed(self, result):
        self._result(result, 'failed', item=True)

    def v2_runner_item_on_skipped(self, result):
        self._result(result, 'skipped', item=True)

    def v2_runner_on_async_failed(self, result):
        self._result(result, 'failed')

    # ---- the recap ---------------------------------------------------------------------

    def v2_playbook_on_stats(self, stats):
        hosts = {}
        for name in sorted(stats.processed.keys()):
            s = stats.summarize(name)
            hosts[name] = {
                'ok': s.get('ok', 0),
                'changed': s.get('changed', 0),
                'unreachable': s.get('unreachable', 0),
                'failures': s.get('failures', 0),
                'skipped': s.get('skipped', 0),
                'rescued': s.get('rescued', 0),
                'ignored': s.get('ignored', 0),
            }
        self._emit({'event': 'stats', 'hosts': hosts})
