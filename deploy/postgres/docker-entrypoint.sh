#!/bin/bash
# Initialise the cluster on first start (empty $PGDATA), then run the server in the foreground.
# The password comes from POSTGRES_PASSWORD_FILE (a Docker secret) or POSTGRES_PASSWORD.
set -euo pipefail

if [[ "${1:-}" != "postgres" ]]; then
  exec "$@"
fi

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  user="${POSTGRES_USER:-postgres}"
  database="${POSTGRES_DB:-$user}"
  if [[ -n "${POSTGRES_PASSWORD_FILE:-}" ]]; then
    password="$(<"$POSTGRES_PASSWORD_FILE")"
  else
    password="${POSTGRES_PASSWORD:-}"
  fi
  if [[ -z "$password" ]]; then
    echo "error: no database password; set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE" >&2
    exit 1
  fi
  echo "initialising a new cluster in $PGDATA for user $user, database $database"
  pwfile="$(mktemp)"
  printf '%s' "$password" > "$pwfile"
  initdb --pgdata="$PGDATA" --username="$user" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  cat >> "$PGDATA/postgresql.conf" <<CONF
listen_addresses = '*'
unix_socket_directories = '/var/run/postgresql'
log_destination = 'stderr'
logging_collector = off
log_timezone = 'UTC'
timezone = 'UTC'
CONF
  if [[ "$database" != "postgres" ]]; then
    pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses=''" --wait start >/dev/null
    createdb --username="$user" --host=/var/run/postgresql "$database"
    pg_ctl --pgdata="$PGDATA" --mode=fast --wait stop >/dev/null
  fi
fi

exec postgres -D "$PGDATA"
