#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL 15 cluster on 127.0.0.1 for the test suite.
#   scripts/test-postgres.sh start DIR PORT   prints the TEST_DATABASE_URL to use
#   scripts/test-postgres.sh stop DIR
# The server refuses to run as root, so as root the cluster belongs to the postgres user.
set -euo pipefail

command="${1:?usage: $0 start DIR PORT | stop DIR}"
dir="${2:?data folder required}"

bindir=""
for candidate in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
  if [ -x "$candidate/pg_ctl" ]; then bindir="$candidate"; break; fi
done
if [ -z "$bindir" ] && command -v pg_ctl >/dev/null 2>&1; then bindir="$(dirname "$(command -v pg_ctl)")"; fi

run() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

case "$command" in
  start)
    port="${3:?port required}"
    if [ -z "$bindir" ]; then
      echo "PostgreSQL binaries not found; installing the postgresql package" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
      bindir="$(ls -d /usr/lib/postgresql/*/bin | head -n 1)"
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    run "'$bindir/initdb' -D '$dir' -U postgres --auth-local=trust --auth-host=trust >/dev/null"
    run "'$bindir/pg_ctl' -D '$dir' -l '$dir/server.log' -o \"-p $port -c listen_addresses=127.0.0.1 -k '$dir' -c max_connections=200 -c fsync=off\" -w start >/dev/null"
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -f "$dir/postmaster.pid" ]; then run "'$bindir/pg_ctl' -D '$dir' -m fast -w stop >/dev/null"; fi
    ;;
  *)
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
