// sshd.mjs -- the throwaway loopback sshd of scripts/sshd-test.sh, from node.
//
//   const sshd = startSshd();     // new directory under the system tmp dir
//   sshd.port, sshd.user ('root'), sshd.key (path), sshd.keyText, sshd.keyPass, sshd.passphrase,
//   sshd.passwordUser ('cairntest'), sshd.password, sshd.fingerprint, sshd.dir
//   sshd.rekey()                  // new host key, same port (refreshes fingerprint)
//   sshd.stop()                   // kill it and remove the directory
//
// The script must run as root (it says why); startSshd throws otherwise.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './harness.mjs';

export const SSHD_SCRIPT = path.join(ROOT, 'scripts/sshd-test.sh');

function parse(out) {
  const kv = {};
  for (const l of out.trim().split('\n')) {
    const i = l.indexOf('=');
    if (i > 0) kv[l.slice(0, i)] = l.slice(i + 1);
  }
  return kv;
}

export function startSshd(prefix = 'cairn-sshd-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const s = { dir };
  const apply = (kv) => Object.assign(s, {
    port: Number(kv.port), user: kv.user, key: kv.key, keyPass: kv.key_pass, passphrase: kv.passphrase,
    passwordUser: kv.password_user, password: kv.password, fingerprint: kv.fingerprint,
    keyText: fs.readFileSync(kv.key, 'utf8'), keyPassText: fs.readFileSync(kv.key_pass, 'utf8'),
  });
  apply(parse(execFileSync(SSHD_SCRIPT, ['start', dir], { encoding: 'utf8' })));
  s.rekey = () => apply(parse(execFileSync(SSHD_SCRIPT, ['rekey', dir], { encoding: 'utf8' })));
  s.stop = () => { if (fs.existsSync(dir)) execFileSync(SSHD_SCRIPT, ['stop', dir]); };
  return s;
}
