#!/bin/sh
# pg-test.sh -- a throwaway PostgreSQL 15 cluster for tests.
#
# usage: scripts/pg-test.sh start DIR   create (if needed) and start a cluster in DIR
#        scripts/pg-test.sh url DIR     print its libpq URL, creating database "cairn"
#        scripts/pg-test.sh stop DIR    stop the cluster and remove DIR
#
# The cluster lives entirely in DIR: data in DIR/data, log in DIR/pg.log, the
# port number in DIR/port, and the server listens only on a unix socket in DIR
# (listen_addresses=''), with trust authentication. It runs as user postgres
# (initdb refuses root), so when run as root the commands go through runuser
# and DIR is handed to postgres; every parent of DIR must be searchable by
# postgres (e.g. DIR=$(mktemp -d /tmp/cairn-pg.XXXXXX)). Durability is off
# (fsync=off): the data is thrown away anyway.
#
# stop only deletes a DIR that this script created (it holds .cairn-pg-test).
set -eu

BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
me=pg-test.sh
marker=.cairn-pg-test

die() {
    echo "$me: $*" >&2
    exit 1
}

usage() {
    echo "usage: $me start|stop|url DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2
[ -n "$dir" ] || usage

# Run a command as postgres (directly when we already are not root).
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# The absolute, physical path of an existing directory, checked to be safe to
# put in a URL and short enough for a unix socket path.
abs_dir() {
    [ -d "$1" ] || die "no directory $1"
    p=$(cd "$1" && pwd -P) || die "cannot enter $1"
    case $p in
    *[!A-Za-z0-9._/-]*) die "directory path '$p' has characters unsafe in a URL" ;;
    esac
    [ ${#p} -le 80 ] || die "directory path '$p' is too long for a unix socket"
    printf '%s\n' "$p"
}

running() {
    [ -f "$dir/data/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# A port number with no TCP listener on it (the socket file name uses it).
pick_port() {
    i=0
    while [ $i -lt 50 ]; do
        port=$(awk -v s="$$$i" 'BEGIN { srand(s + 0); printf "%d", 20000 + int(rand() * 40000) }')
        if ! command -v ss >/dev/null 2>&1 || [ -z "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; then
            printf '%s\n' "$port"
            return 0
        fi
        i=$((i + 1))
    done
    die "no free port found"
}

start() {
    [ -x "$BIN/initdb" ] || die "$BIN/initdb not found (apt-get install postgresql)"
    if [ -e "$dir" ] && [ ! -f "$dir/$marker" ] && [ -n "$(ls -A "$dir")" ]; then
        die "$dir exists, is not empty and was not made by $me"
    fi
    mkdir -p "$dir"
    dir=$(abs_dir "$dir")
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || die "user postgres does not exist"
        chown postgres: "$dir"
        chmod 755 "$dir"
        runuser -u postgres -- test -x "$dir" ||
            die "postgres cannot reach $dir: make its parent directories searchable (chmod o+x)"
    fi
    if running; then
        return 0
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        : >"$dir/$marker"
        port=$(pick_port)
        printf '%s\n' "$port" >"$dir/port"
        as_pg "$BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C -N >"$dir/initdb.log" 2>&1 ||
            { cat "$dir/initdb.log" >&2; die "initdb failed"; }
        cat >>"$dir/data/postgresql.conf" <<EOF

# added by $me: throwaway test cluster, unix socket only
listen_addresses = ''
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    fi
    as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w -t 60 start >/dev/null ||
        { tail -n 20 "$dir/pg.log" >&2 2>/dev/null; die "PostgreSQL did not start"; }
}

url() {
    dir=$(abs_dir "$dir")
    running || die "no cluster running in $dir (run: $me start $dir)"
    port=$(cat "$dir/port")
    psql="$BIN/psql -X -q -h $dir -p $port -U postgres -d postgres -At"
    if [ -z "$($psql -c "SELECT 1 FROM pg_database WHERE datname = 'cairn'")" ]; then
        # Two callers may race here; the loser's "already exists" is harmless.
        $psql -c 'CREATE DATABASE cairn' >/dev/null 2>&1 || true
        [ -n "$($psql -c "SELECT 1 FROM pg_database WHERE datname = 'cairn'")" ] ||
            die "cannot create database cairn"
    fi
    printf 'postgresql:///cairn?host=%s&port=%s&user=postgres\n' "$dir" "$port"
}

stop() {
    [ -d "$dir" ] || return 0
    dir=$(abs_dir "$dir")
    [ -f "$dir/$marker" ] || die "$dir was not made by $me; not touching it"
    if running; then
        as_pg "$BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null ||
            as_pg "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null ||
            die "cannot stop the cluster in $dir"
    fi
    rm -rf "$dir"
}

case $cmd in
start) start ;;
url) url ;;
stop) stop ;;
*) usage ;;
esac
