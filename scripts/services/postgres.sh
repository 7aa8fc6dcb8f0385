#!/usr/bin/env bash
# Test service: a private PostgreSQL cluster for tests/DurabilityTests (see scripts/services/README.md for the contract).
#
#   bash scripts/services/postgres.sh start   creates the cluster if missing, starts it, waits until it takes connections
#   bash scripts/services/postgres.sh stop    stops the cluster (fine when it is not running)
#
# ER_POSTGRES_DIR and ER_POSTGRES_PORT choose another cluster; ER_POSTGRES_USER the system user that runs it.
#
# PostgreSQL refuses to run as root, and CI runs as root: the cluster then runs as an unprivileged system user
# (created when missing), through runuser. Otherwise it runs as the current user. It listens on localhost only, on
# its own port and socket directory, with its own data directory, so it never collides with a system server. It
# writes an Npgsql connection string to $ER_POSTGRES_DIR/connection-string; the tests read that file (or
# ER_POSTGRES_CONNECTION_STRING).
set -euo pipefail

ER_POSTGRES_DIR="${ER_POSTGRES_DIR:-/tmp/eventrouter-postgres}"
ER_POSTGRES_PORT="${ER_POSTGRES_PORT:-55432}"
ER_POSTGRES_USER="${ER_POSTGRES_USER:-eventrouter-pg}"
DATA="$ER_POSTGRES_DIR/data"
LOG="$ER_POSTGRES_DIR/server.log"

find_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && BIN="$dir"
    done
    [ -n "${BIN:-}" ]
}

install_if_missing() {
    find_bin && return 0
    echo "postgres.sh: installing postgresql"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q >/dev/null
    # policy-rc.d may refuse to start the system service; that is fine, we start our own cluster.
    $sudo apt-get install -y -q postgresql >/dev/null || true
    find_bin || { echo "postgres.sh: no PostgreSQL binaries under /usr/lib/postgresql" >&2; exit 1; }
}

# Runs a command as the cluster's owner: the unprivileged user when we are root, else ourselves.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$ER_POSTGRES_USER" -- "$@"
    else
        "$@"
    fi
}

ensure_user() {
    [ "$(id -u)" -eq 0 ] || return 0
    id "$ER_POSTGRES_USER" >/dev/null 2>&1 && return 0
    useradd --system --no-create-home --shell /usr/sbin/nologin "$ER_POSTGRES_USER"
}

running() { [ -f "$DATA/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

start() {
    install_if_missing
    ensure_user
    mkdir -p "$ER_POSTGRES_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$ER_POSTGRES_USER" "$ER_POSTGRES_DIR"
        # The owner must reach the directory even when it lives under a private parent.
        chmod 755 "$ER_POSTGRES_DIR"
    fi
    if [ ! -f "$DATA/PG_VERSION" ]; then
        rm -rf "$DATA"
        as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C >"$ER_POSTGRES_DIR/initdb.log" 2>&1 ||
            { echo "postgres.sh: initdb failed" >&2; cat "$ER_POSTGRES_DIR/initdb.log" >&2; exit 1; }
    fi
    if ! running; then
        # fsync stays on: the durability tests kill processes, not the machine, but the store must behave as in production.
        as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 120 \
            -o "-p $ER_POSTGRES_PORT -k $ER_POSTGRES_DIR -c listen_addresses=localhost -c max_connections=200" start >/dev/null ||
            { echo "postgres.sh: the server did not start; log: $LOG" >&2; tail -n 30 "$LOG" >&2 || true; exit 1; }
    fi
    local ready=1 deadline=$((SECONDS + 120))
    while [ $SECONDS -lt $deadline ]; do
        if as_owner "$BIN/pg_isready" -q -h localhost -p "$ER_POSTGRES_PORT"; then
            ready=0
            break
        fi
        sleep 1
    done
    if [ $ready -ne 0 ]; then
        echo "postgres.sh: the server does not accept connections; log: $LOG" >&2
        tail -n 30 "$LOG" >&2 || true
        exit 1
    fi
    echo "Host=localhost;Port=$ER_POSTGRES_PORT;Username=postgres;Database=postgres" >"$ER_POSTGRES_DIR/connection-string"
    echo "postgres.sh: PostgreSQL ready on port $ER_POSTGRES_PORT (data: $DATA)"
}

stop() {
    rm -f "$ER_POSTGRES_DIR/connection-string"
    find_bin || return 0
    if running; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
