#!/bin/bash
# install.sh -- install a built Cairn (what `make install` runs).
#
# Layout (PREFIX defaults to /usr/local; DESTDIR stages into a directory):
#   PREFIX/lib/cairn/{cairnd,cairn,cairn-agent,web/,share/,README.md}  the
#       programs side by side: cairnd finds the console (web/), the agent binary
#       it serves for the one-line install and Ansible's callback (share/)
#       beside itself
#   PREFIX/bin/{cairnd,cairn}            symbolic links to them
#   /etc/systemd/system/cairnd.service   the unit (packaging/cairnd.service.in)
#   /etc/cairn/cairnd.conf               settings, only when there is none yet
# and, when installing for real (no DESTDIR) as root, the system user `cairn`.
# BUILD (default build) is the directory holding the built programs and web/.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
BUILD=${BUILD:-build}
LIBDIR="$PREFIX/lib/cairn"
die() { echo "install: $*" >&2; exit 1; }

agent="$BUILD/cairn-agent"
[ -x "$agent" ] || agent=build/cairn-agent # build/asan has one too; either serves
for f in "$BUILD/cairnd" "$BUILD/cairn" "$agent" build/web/index.html; do
    [ -e "$f" ] || die "$f is missing: run make first"
done

install -d -m 755 "$DESTDIR$LIBDIR" "$DESTDIR$PREFIX/bin" "$DESTDIR/etc/systemd/system"
install -m 755 "$BUILD/cairnd" "$BUILD/cairn" "$agent" "$DESTDIR$LIBDIR/"
install -m 644 README.md "$DESTDIR$LIBDIR/"
install -D -m 644 share/ansible/callback_plugins/cairn_jsonl.py \
    "$DESTDIR$LIBDIR/share/ansible/callback_plugins/cairn_jsonl.py"
rm -rf "$DESTDIR$LIBDIR/web.new"
cp -r build/web "$DESTDIR$LIBDIR/web.new"
chmod -R a+rX,go-w "$DESTDIR$LIBDIR/web.new"
rm -rf "$DESTDIR$LIBDIR/web"
mv "$DESTDIR$LIBDIR/web.new" "$DESTDIR$LIBDIR/web"
ln -sfn "../lib/cairn/cairnd" "$DESTDIR$PREFIX/bin/cairnd"
ln -sfn "../lib/cairn/cairn" "$DESTDIR$PREFIX/bin/cairn"
sed "s|@LIBDIR@|$LIBDIR|g" packaging/cairnd.service.in >"$DESTDIR/etc/systemd/system/cairnd.service"
chmod 644 "$DESTDIR/etc/systemd/system/cairnd.service"

conf="$DESTDIR/etc/cairn/cairnd.conf"
if [ ! -e "$conf" ]; then
    install -d -m 755 "$DESTDIR/etc/cairn"
    install -m 640 packaging/cairnd.conf "$conf"
    echo "install: wrote $conf"
else
    echo "install: kept $conf (packaging/cairnd.conf has the current example)"
fi

if [ -z "$DESTDIR" ] && [ "$(id -u)" = 0 ]; then
    getent group cairn >/dev/null || groupadd --system cairn
    getent passwd cairn >/dev/null ||
        useradd --system --gid cairn --home-dir /var/lib/cairn --no-create-home --shell /usr/sbin/nologin cairn
    chgrp cairn "$conf"
    command -v systemctl >/dev/null && systemctl daemon-reload 2>/dev/null || true
    echo "install: done. Start it with: systemctl enable --now cairnd"
    echo "install: the first admin password: journalctl -u cairnd, or /var/lib/cairn/initial-admin-password"
else
    echo "install: staged in ${DESTDIR:-/} (no user created)"
fi
