#!/bin/bash
# deps.sh -- install what building, running and testing Cairn needs, and
# nothing when it is all there already (make run and make test call it).
#
# Debian packages are installed with apt-get when missing (as root; otherwise
# the missing ones are listed and the script fails). Front-end packages come
# from npm at the exact versions of web/package-lock.json.
set -eu
cd "$(dirname "$0")/.."

PACKAGES="gcc make pkg-config libc6-dev
  libmicrohttpd-dev libwslay-dev libjansson-dev libsqlite3-dev libpq-dev libsodium-dev libcmocka-dev
  librrd-dev libcurl4-openssl-dev zlib1g-dev libssh-dev libssl-dev libgit2-dev clang libclang-rt-14-dev curl
  openssh-server openssh-client ansible-core sshpass tzdata fonts-wqy-microhei procps passwd
  postgresql postgresql-client nodejs npm chromium"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# nodejs/npm may come from elsewhere (e.g. nodesource): accept working binaries.
if command -v node >/dev/null && command -v npm >/dev/null; then
    missing=$(echo "$missing" | tr ' ' '\n' | grep -vxE 'nodejs|npm' | tr '\n' ' ')
fi
missing=$(echo "$missing" | xargs || true)
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps: missing Debian packages: $missing" >&2
        echo "deps: run as root, or: sudo apt-get install $missing" >&2
        exit 1
    fi
    echo "deps: installing $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Front end: npm ci when node_modules is missing or older than the lock file.
if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    echo "deps: npm ci (web/)"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
