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
# cairn-agent's own libcurl (scripts/build-curl.sh: Debian's curl source,
# mbed TLS) and its TLS test (a CA made with openssl).
PACKAGES="$PACKAGES dpkg-dev libmbedtls-dev openssl ca-certificates"
# Test peers: git (the library's git-source tests make real repositories and
# run git daemon) and rrdcached (tsdb's --rrdcached tests start one).
PACKAGES="$PACKAGES git rrdcached"

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

# cairn-agent's own small libcurl is built from Debian's curl source package
# (scripts/build-curl.sh runs `apt-get source curl`), which needs deb-src
# entries: added once for the release's main component when apt has none.
if [ -z "$(apt-cache showsrc curl 2>/dev/null)" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps: apt has no deb-src entries (needed for: apt-get source curl); run as root" >&2
        exit 1
    fi
    # shellcheck source=/dev/null
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    echo "deps: adding deb-src entries for $codename main"
    cat >/etc/apt/sources.list.d/cairn-deb-src.sources <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $codename-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt-get update -qq
fi

# Front end: npm ci when node_modules is missing or older than the lock file.
if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    echo "deps: npm ci (web/)"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
