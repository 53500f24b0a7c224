#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for the test suite.
#   scripts/postgres.sh start   # init if needed, start, create role + database (idempotent)
#   scripts/postgres.sh url     # the Tortoise URL for CLIENTELA_TEST_DATABASE_URL
#   scripts/postgres.sh stop
# Port: CLIENTELA_PG_PORT (default 54329). Data lives in /tmp/clientela-pg-<port>,
# outside the repo, because the postgres user may not be able to read the checkout.
set -euo pipefail

PORT=${CLIENTELA_PG_PORT:-54329}
DATA=/tmp/clientela-pg-$PORT
URL="postgres://clientela:clientela@127.0.0.1:$PORT/clientela_test"

# postgres refuses to run as root; as root we run it as the postgres user,
# otherwise as whoever we are. cd / because postgres fails in a cwd it cannot read.
cd /
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

find_bin() {
    local initdb
    initdb=$(command -v initdb || true)
    if [ -n "$initdb" ]; then dirname "$(readlink -f "$initdb")"; return; fi
    # Debian keeps the server binaries off PATH; take the newest version.
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

BIN=$(find_bin)
if [ -z "$BIN" ] && [ "${1:-}" = start ]; then
    echo "postgres.sh: initdb not found, installing postgresql with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    BIN=$(find_bin)
fi

running() { [ -n "$BIN" ] && [ -f "$DATA/PG_VERSION" ] && as_pg "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; }

start() {
    [ -x "$BIN/initdb" ] || { echo "postgres.sh: no PostgreSQL server binaries found" >&2; exit 1; }
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    fi
    # Serialise concurrent starts so two callers never initdb the same directory.
    exec 9>"/tmp/clientela-pg-$PORT.lock"
    flock 9
    running || start_server
    fresh_database
}

start_server() {

    # A half-initialised directory, or one from another major version, is just thrown away.
    local major
    major=$("$BIN/postgres" --version | sed -E 's/.* ([0-9]+)[.].*/\1/')
    if [ "$(cat "$DATA/PG_VERSION" 2>/dev/null)" != "$major" ]; then
        rm -rf "$DATA"
        mkdir -m 700 "$DATA"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$DATA"
        # Socket (local, trust) is only reachable by postgres/root inside the 0700 data dir;
        # TCP needs the password, so the URL's credentials are really exercised.
        as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            -E UTF8 --locale=C >"$DATA.initdb.log" 2>&1 \
            || { cat "$DATA.initdb.log" >&2; exit 1; }
        # Durability is worthless for a test database; these make it several times faster.
        as_pg tee -a "$DATA/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DATA'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    fi

    # 9>&-: the server must not inherit the lock, or it would hold it forever.
    as_pg "$BIN/pg_ctl" start -D "$DATA" -l "$DATA/server.log" -w -t 60 >/dev/null 9>&- \
        || { tail -n 20 "$DATA/server.log" >&2; exit 1; }
    for _ in $(seq 60); do
        "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break
        sleep 0.5
    done
}

fresh_database() {
    # \gexec runs the generated statement only when the role is missing.
    as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DATA" -p "$PORT" -U postgres -d postgres >/dev/null <<'SQL'
SELECT 'CREATE ROLE clientela LOGIN CREATEDB PASSWORD ''clientela'''
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'clientela') \gexec
-- Made anew on every start: a run never meets tables that an older checkout migrated.
DROP DATABASE IF EXISTS clientela_test WITH (FORCE);
CREATE DATABASE clientela_test OWNER clientela;
SQL
}

case "${1:-}" in
    start) start; echo "PostgreSQL running: $URL" >&2 ;;
    stop) if running; then as_pg "$BIN/pg_ctl" stop -D "$DATA" -m fast >/dev/null; fi ;;
    url) echo "$URL" ;;
    *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
