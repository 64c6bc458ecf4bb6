#!/bin/bash
# sshd-test.sh -- a throwaway OpenSSH server on 127.0.0.1 for tests.
#
# usage: scripts/sshd-test.sh start DIR   create DIR, start sshd, print its facts
#        scripts/sshd-test.sh port DIR    print the port
#        scripts/sshd-test.sh info DIR    print the facts again (as start does)
#        scripts/sshd-test.sh rekey DIR   new host key, restart on the same port
#        scripts/sshd-test.sh stop DIR    kill sshd and remove DIR
#
# The server runs as root (PTY sessions fail for other users on our CI
# machines: devpts is mounted mode=600 without gid=5), from an absolute path,
# with StrictModes no and UsePAM no, listening only on 127.0.0.1 on a free
# port. Everything it uses lives in DIR:
#
#   DIR/hostkey            its ed25519 host key (DIR/fingerprint: "SHA256:...")
#   DIR/id_ed25519         client key for root, no passphrase
#   DIR/id_ed25519_pass    client key for root, passphrase in DIR/passphrase
#   DIR/authorized_keys    both public keys (used for root; cairntest has no pubkey auth)
#   DIR/password           password of the local user cairntest
#   DIR/port, DIR/sshd.pid, DIR/sshd_config, DIR/sshd.log (LogLevel VERBOSE),
#   DIR/sshd.out (anything sshd prints outside its log)
#
# Users: root logs in with a key only; cairntest (a system user created here
# when missing, shell /bin/sh) logs in with a password only (Match block).
# cairntest's password is random, made once per machine and kept in
# /var/lib/cairn-sshd-test/password (mode 600), so that concurrent test runs
# agree on it and no well-known password is ever set on a real account.
#
# start prints KEY=VALUE lines: port, user, key, key_pass, passphrase,
# password_user, password, fingerprint, dir. stop only deletes a DIR that this
# script made (it holds .cairn-sshd-test).
set -eu
umask 077

me=sshd-test.sh
marker=.cairn-sshd-test
SSHD=${SSHD_BIN:-/usr/sbin/sshd}
PW_USER=cairntest
PW_STATE=/var/lib/cairn-sshd-test

die() {
    echo "$me: $*" >&2
    exit 1
}

usage() {
    echo "usage: $me start|stop|port|info|rekey DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2
[ -n "$dir" ] || usage

abs_dir() {
    [ -d "$1" ] || die "no directory $1"
    (cd "$1" && pwd -P) || die "cannot enter $1"
}

running() { # true when DIR's sshd is alive
    [ -f "$dir/sshd.pid" ] || return 1
    local pid
    pid=$(cat "$dir/sshd.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

port_busy() { # port -> true when something listens on 127.0.0.1:port
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

pick_port() {
    local i=0 p
    while [ $i -lt 100 ]; do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if ! port_busy "$p"; then
            echo "$p"
            return 0
        fi
        i=$((i + 1))
    done
    die "no free port found"
}

# The local password user: created when missing, password set from the
# per-machine state file (made on first use).
ensure_pw_user() {
    mkdir -p "$PW_STATE"
    chmod 700 "$PW_STATE"
    if [ ! -s "$PW_STATE/password" ]; then
        # 24 characters from [A-Za-z0-9], plus a fixed tail with a space and
        # quote characters so that callers are tested with awkward passwords.
        local pw
        pw=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24)
        printf '%s' "$pw-x \"'y" >"$PW_STATE/password.tmp"
        mv "$PW_STATE/password.tmp" "$PW_STATE/password"
        rm -f "$PW_STATE/set"
    fi
    if ! id "$PW_USER" >/dev/null 2>&1; then
        useradd --system --create-home --home-dir "/home/$PW_USER" --shell /bin/sh "$PW_USER" ||
            id "$PW_USER" >/dev/null 2>&1 || die "cannot create user $PW_USER"
        rm -f "$PW_STATE/set"
    fi
    # Set the password once per state file (not on every start: a concurrent
    # run may be logging in right now).
    if [ ! -f "$PW_STATE/set" ] || [ "$PW_STATE/password" -nt "$PW_STATE/set" ]; then
        { printf '%s:' "$PW_USER"; cat "$PW_STATE/password"; echo; } | chpasswd ||
            die "chpasswd failed for $PW_USER"
        usermod --unlock "$PW_USER" >/dev/null 2>&1 || true
        : >"$PW_STATE/set"
    fi
    cp "$PW_STATE/password" "$dir/password"
}

write_config() {
    cat >"$dir/sshd_config" <<EOF
# written by $me: throwaway test server, loopback only
Port $port
ListenAddress 127.0.0.1
HostKey $dir/hostkey
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
AllowUsers root $PW_USER
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
UseDNS no
MaxStartups 200:30:300
MaxSessions 100
MaxAuthTries 6
LoginGraceTime 30
Subsystem sftp internal-sftp
LogLevel VERBOSE

Match User $PW_USER
    PasswordAuthentication yes
    PubkeyAuthentication no
EOF
}

fingerprint() {
    ssh-keygen -l -E sha256 -f "$dir/hostkey.pub" | awk '{print $2}'
}

launch() { # start sshd on $port; false when it did not come up
    [ -d /run/sshd ] || mkdir -p /run/sshd
    chmod 755 /run/sshd
    "$SSHD" -t -f "$dir/sshd_config" 2>>"$dir/sshd.log" || die "sshd -t rejected the config (see $dir/sshd.log)"
    rm -f "$dir/sshd.pid"
    # -D: no daemon() so a bind failure is seen here; no inherited stdio, so
    # the caller's pipes close when this script exits.
    "$SSHD" -D -E "$dir/sshd.log" -f "$dir/sshd_config" </dev/null >>"$dir/sshd.out" 2>&1 &
    local pid=$! i=0
    echo "$pid" >"$dir/sshd.pid.launch"
    while [ $i -lt 100 ]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        if [ -s "$dir/sshd.pid" ] && port_busy "$port"; then
            return 0
        fi
        sleep 0.05
        i=$((i + 1))
    done
    kill "$pid" 2>/dev/null || true
    return 1
}

kill_sshd() {
    local pid i f
    for f in "$dir/sshd.pid" "$dir/sshd.pid.launch"; do
        [ -f "$f" ] || continue
        pid=$(cat "$f" 2>/dev/null || true)
        [ -n "$pid" ] || continue
        kill "$pid" 2>/dev/null || continue
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
            sleep 0.05
            i=$((i + 1))
        done
        kill -9 "$pid" 2>/dev/null || true
    done
    rm -f "$dir/sshd.pid" "$dir/sshd.pid.launch"
}

info() {
    cat <<EOF
port=$(cat "$dir/port")
user=root
key=$dir/id_ed25519
key_pass=$dir/id_ed25519_pass
passphrase=$(cat "$dir/passphrase")
password_user=$PW_USER
password=$(cat "$dir/password")
fingerprint=$(cat "$dir/fingerprint")
dir=$dir
EOF
}

start() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (PTY sessions need it; see docs)"
    [ -x "$SSHD" ] || die "$SSHD not found (apt-get install openssh-server)"
    command -v ssh-keygen >/dev/null || die "ssh-keygen not found (apt-get install openssh-client)"
    if [ -e "$dir" ] && [ ! -f "$dir/$marker" ] && [ -n "$(ls -A "$dir")" ]; then
        die "$dir exists, is not empty and was not made by $me"
    fi
    mkdir -p "$dir"
    dir=$(abs_dir "$dir")
    case $dir in
    *[!A-Za-z0-9._/-]*) die "directory path '$dir' has characters unsafe in sshd_config" ;;
    esac
    : >"$dir/$marker"
    if running; then
        info
        return 0
    fi
    [ -f "$dir/hostkey" ] || ssh-keygen -q -t ed25519 -N '' -C cairn-test-host -f "$dir/hostkey"
    if [ ! -f "$dir/id_ed25519" ]; then
        ssh-keygen -q -t ed25519 -N '' -C cairn-test -f "$dir/id_ed25519"
        printf '%s' 'cairn test passphrase' >"$dir/passphrase"
        ssh-keygen -q -t ed25519 -N "$(cat "$dir/passphrase")" -C cairn-test-pass -f "$dir/id_ed25519_pass"
        cat "$dir/id_ed25519.pub" "$dir/id_ed25519_pass.pub" >"$dir/authorized_keys"
    fi
    fingerprint >"$dir/fingerprint"
    ensure_pw_user
    local tries=0
    while :; do
        port=$(pick_port)
        echo "$port" >"$dir/port"
        write_config
        launch && break
        kill_sshd
        tries=$((tries + 1))
        [ $tries -lt 5 ] || { tail -n 20 "$dir/sshd.log" >&2; die "sshd did not start"; }
    done
    info
}

rekey() {
    dir=$(abs_dir "$dir")
    [ -f "$dir/$marker" ] || die "$dir was not made by $me"
    kill_sshd
    rm -f "$dir/hostkey" "$dir/hostkey.pub"
    ssh-keygen -q -t ed25519 -N '' -C cairn-test-host -f "$dir/hostkey"
    fingerprint >"$dir/fingerprint"
    port=$(cat "$dir/port")
    local i=0
    # The old listener is gone; the port may take a moment to be free again.
    until launch; do
        kill_sshd
        i=$((i + 1))
        [ $i -lt 20 ] || { tail -n 20 "$dir/sshd.log" >&2; die "sshd did not restart on port $port"; }
        sleep 0.1
    done
    info
}

stop() {
    [ -d "$dir" ] || return 0
    dir=$(abs_dir "$dir")
    [ -f "$dir/$marker" ] || die "$dir was not made by $me; not touching it"
    kill_sshd
    rm -rf "$dir"
}

case $cmd in
start) start ;;
port)
    dir=$(abs_dir "$dir")
    cat "$dir/port"
    ;;
info)
    dir=$(abs_dir "$dir")
    info
    ;;
rekey) rekey ;;
stop) stop ;;
*) usage ;;
esac
