#!/bin/sh
# Build the static web console into build/web/ (served by cairnd at /).
#
#  - runs `npm ci` in web/ when web/node_modules is missing or older than
#    web/package-lock.json (exact versions, nothing else is fetched);
#  - copies our own files (html, js, css, i18n, img) from web/;
#  - copies ONLY the needed dist files of the npm packages into
#    build/web/vendor/ (never committed: web/node_modules is git-ignored).
#
# Idempotent and fast when nothing changed: files are copied only when the
# source is newer than the copy (cp -u), and files that no longer exist in
# web/ are removed from build/web/ (except vendor/, which is rebuilt from the
# list below).
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
WEB="$ROOT/web"
NM="$WEB/node_modules"
OUT="${CAIRN_WEB_OUT:-$ROOT/build/web}"

# 1. npm dependencies --------------------------------------------------------
stamp="$NM/.package-lock.json"   # written by npm on every install
if [ ! -d "$NM" ] || [ ! -f "$stamp" ] || [ "$WEB/package-lock.json" -nt "$stamp" ]; then
    command -v npm >/dev/null 2>&1 || { echo "build-web: npm not found (apt-get install npm)" >&2; exit 1; }
    echo "build-web: npm ci in web/"
    (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
fi

# 2. our own files ------------------------------------------------------------
mkdir -p "$OUT"
for f in index.html login.html; do
    cp -u "$WEB/$f" "$OUT/$f"
done
for d in js css i18n img; do
    [ -d "$WEB/$d" ] || continue
    mkdir -p "$OUT/$d"
    # copy new/changed files
    (cd "$WEB/$d" && find . -type f ! -name '*~' ! -name '.*') | while IFS= read -r f; do
        mkdir -p "$OUT/$d/$(dirname "$f")"
        cp -u "$WEB/$d/$f" "$OUT/$d/$f"
    done
    # drop files deleted from web/
    (cd "$OUT/$d" && find . -type f) | while IFS= read -r f; do
        [ -e "$WEB/$d/$f" ] || rm -f "$OUT/$d/$f"
    done
done

# 3. vendor dist files: "source (relative to node_modules)  destination (relative to vendor/)"
VENDOR_LIST='
admin-lte/dist/css/adminlte.min.css                 adminlte/css/adminlte.min.css
admin-lte/dist/js/adminlte.min.js                   adminlte/js/adminlte.min.js
bootstrap/dist/js/bootstrap.bundle.min.js           bootstrap/js/bootstrap.bundle.min.js
@fortawesome/fontawesome-free/css/all.min.css       fontawesome/css/all.min.css
@fortawesome/fontawesome-free/webfonts/fa-solid-900.woff2        fontawesome/webfonts/fa-solid-900.woff2
@fortawesome/fontawesome-free/webfonts/fa-regular-400.woff2      fontawesome/webfonts/fa-regular-400.woff2
@fortawesome/fontawesome-free/webfonts/fa-brands-400.woff2       fontawesome/webfonts/fa-brands-400.woff2
@fortawesome/fontawesome-free/webfonts/fa-v4compatibility.woff2  fontawesome/webfonts/fa-v4compatibility.woff2
datatables.net/js/dataTables.min.js                 datatables/js/dataTables.min.js
datatables.net-bs5/js/dataTables.bootstrap5.min.js  datatables/js/dataTables.bootstrap5.min.js
datatables.net-bs5/css/dataTables.bootstrap5.min.css datatables/css/dataTables.bootstrap5.min.css
echarts/dist/echarts.min.js                         echarts/echarts.min.js
@xterm/xterm/lib/xterm.js                           xterm/xterm.js
@xterm/xterm/css/xterm.css                          xterm/xterm.css
@xterm/addon-fit/lib/addon-fit.js                   xterm/addon-fit.js
'
V="$OUT/vendor"
missing=0
wanted=""
while read -r src dst; do
    [ -n "$src" ] || continue
    wanted="$wanted $dst "
    if [ ! -f "$NM/$src" ]; then
        echo "build-web: missing $NM/$src" >&2
        missing=1
        continue
    fi
    mkdir -p "$V/$(dirname "$dst")"
    cp -u "$NM/$src" "$V/$dst"
done <<EOF_LIST
$VENDOR_LIST
EOF_LIST
[ "$missing" = 0 ] || { echo "build-web: vendor files missing (delete web/node_modules and retry)" >&2; exit 1; }

# drop vendor files no longer in the list
(cd "$V" && find . -type f | sed 's|^\./||') | while IFS= read -r f; do
    case "$wanted" in *" $f "*) ;; *) rm -f "$V/$f" ;; esac
done
find "$V" -type d -empty -delete

# The agent's systemd unit, served at /agent/cairn-agent.service for the
# one-line installer (GET /agent/install.sh).
mkdir -p "$OUT/agent"
cp -u "$ROOT/packaging/cairn-agent.service" "$OUT/agent/cairn-agent.service"
