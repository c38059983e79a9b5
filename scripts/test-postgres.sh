#!/usr/bin/env bash
# A throwaway PostgreSQL for storage's test suite, on 127.0.0.1 only.
#
#   eval "$(scripts/test-postgres.sh)"        # start (or reuse) it; sets STRONGROOM_TEST_POSTGRES
#   scripts/test-postgres.sh stop             # stop it and delete its data
#
# Installs PostgreSQL from the distribution's packages when it is missing (apt-get, as root).
# The server never runs as root (PostgreSQL refuses to): when this script runs as root it runs
# the server as the `postgres` user; otherwise as the invoking user. Idempotent: a running
# instance in the same directory is reused. Only the export line goes to stdout; everything
# else goes to stderr, so the output can be eval'ed.
set -euo pipefail

DIR="${STRONGROOM_PG_DIR:-${TMPDIR:-/tmp}/strongroom-test-postgres}"
DB=strongroom_test
ROLE=strongroom_test

say() { echo "test-postgres: $*" >&2; }

find_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

if ! BIN="$(find_bin)" || ! command -v psql >/dev/null; then
  if [[ "$(id -u)" -ne 0 ]]; then
    say "PostgreSQL is not installed; install it as root: apt-get install -y postgresql"
    exit 1
  fi
  say "installing postgresql from the distribution's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql postgresql-client >&2
  BIN="$(find_bin)" || { say "postgresql installed but no server binaries found"; exit 1; }
fi

if [[ "$(id -u)" -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
  RUN_AS=postgres
  as_server() { runuser -u postgres -- "$@"; }
else
  RUN_AS="$(id -un)"
  as_server() { "$@"; }
fi

DATA="$DIR/data"
SOCK="$DIR/socket"

if [[ "${1:-}" == "stop" ]]; then
  if [[ -f "$DATA/postmaster.pid" ]]; then
    as_server "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true
  fi
  rm -rf "$DIR"
  say "stopped and removed $DIR"
  exit 0
fi

export_line() {
  echo "export STRONGROOM_TEST_POSTGRES='Host=127.0.0.1;Port=$(cat "$DIR/port");Username=$ROLE;Password=$(cat "$DIR/password");Database=$DB'"
}

# Reuse a running instance.
if [[ -f "$DIR/port" && -f "$DIR/password" && -f "$DATA/postmaster.pid" ]] \
   && "$BIN/pg_isready" -q -h 127.0.0.1 -p "$(cat "$DIR/port")"; then
  say "reusing the server in $DIR on port $(cat "$DIR/port")"
  export_line
  exit 0
fi

# A fresh cluster (anything left from a dead one is discarded: it only ever held test data).
if [[ -f "$DATA/postmaster.pid" ]]; then
  as_server "$BIN/pg_ctl" -D "$DATA" -m immediate stop >&2 2>/dev/null || true
fi
rm -rf "$DIR"
mkdir -p "$DATA" "$SOCK"
chmod 0700 "$DIR" "$DATA"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
SUPERPASS="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
echo "$PORT" >"$DIR/port"
echo "$PASSWORD" >"$DIR/password"
printf '%s\n' "$SUPERPASS" >"$DIR/superpass"
chmod 0600 "$DIR/password" "$DIR/superpass" "$DIR/port"
[[ "$RUN_AS" == postgres && "$(id -u)" -eq 0 ]] && chown -R postgres: "$DIR"

say "initializing a cluster in $DATA as $RUN_AS"
as_server "$BIN/initdb" -D "$DATA" -U postgres --pwfile="$DIR/superpass" -A scram-sha-256 --auth-local=peer -E UTF8 --no-locale >&2
say "starting on 127.0.0.1:$PORT"
as_server "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $SOCK -c fsync=on -c synchronous_commit=on" start >&2

psql_super() {
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q -h "$SOCK" -p "$PORT" -U postgres -d postgres "$@"
  else
    PGPASSWORD="$SUPERPASS" psql -v ON_ERROR_STOP=1 -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"
  fi
}

# A role that owns one database and nothing else; the suite creates a schema per test class in it.
psql_super >&2 <<SQL
CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD';
CREATE DATABASE $DB OWNER $ROLE;
REVOKE ALL ON DATABASE $DB FROM PUBLIC;
SQL
say "ready: role $ROLE, database $DB"
export_line
