#!/bin/bash
# run.sh -- `make run`: start cairnd on embedded SQLite + RRD in ./var, and a
# local cairn-agent enrolled with it, so this machine shows up at once with
# real facts and growing charts. Prints the URL and how to sign in; Ctrl-C
# stops both. CAIRN_LISTEN overrides 127.0.0.1:8000.
set -eu
cd "$(dirname "$0")/.."
listen=${CAIRN_LISTEN:-127.0.0.1:8000}
url="http://$listen"
mkdir -p var
chmod 700 var
# The local agent enrolls with a token this script chose at first run (cairnd
# adopts CAIRN_ENROLL_TOKEN only while it has none of its own).
if [ ! -s var/local-enroll-token ]; then
    (umask 077; od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > var/local-enroll-token)
fi
token=$(cat var/local-enroll-token)

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

CAIRN_ENROLL_TOKEN=$token build/cairnd --listen "$listen" --data var "$@" &
pids+=($!)
for _ in $(seq 1 100); do
    curl -fsS "$url/api/v1/health" >/dev/null 2>&1 && break
    sleep 0.1
done
if ! curl -fsS "$url/api/v1/health" >/dev/null 2>&1; then
    echo "Cairn: cairnd did not start (see the messages above)" >&2
    exit 1
fi
if [ -x build/cairn-agent ]; then
    build/cairn-agent --server "$url" --enroll-token "$token" --state-dir var/agent --interval 60 \
        >var/agent.log 2>&1 &
    pids+=($!)
fi
echo
echo "Cairn is running: $url/"
if [ -f var/initial-admin-password ]; then
    echo "  sign in as: admin / $(cat var/initial-admin-password)"
else
    echo "  sign in with your accounts (the first admin password was shown at first start;"
    echo "  CAIRN_ADMIN_PASSWORD=… make run on an empty ./var chooses it)"
fi
echo "  a local agent reports this machine every 60 s (log: var/agent.log)"
echo "  Ctrl-C stops Cairn."
wait "${pids[0]}"
