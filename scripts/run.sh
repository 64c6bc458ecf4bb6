#!/bin/bash
# run.sh -- `make run`: start cairnd on embedded SQLite in ./var and say how
# to sign in. Ctrl-C stops it. CAIRN_LISTEN overrides 127.0.0.1:8000.
set -eu
cd "$(dirname "$0")/.."
listen=${CAIRN_LISTEN:-127.0.0.1:8000}
mkdir -p var
echo "Cairn: starting cairnd on http://$listen/ (data in ./var, SQLite)"
if [ -f var/initial-admin-password ]; then
    echo "Cairn: sign in as admin with password: $(cat var/initial-admin-password)"
elif [ -f var/cairn.db ]; then
    echo "Cairn: sign in with your existing accounts (the first admin password was printed at first start)"
fi
exec build/cairnd --listen "$listen" --data var "$@"
