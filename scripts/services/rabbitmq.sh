#!/usr/bin/env bash
# Test service: a private RabbitMQ node for tests/RabbitMQTests (see scripts/services/README.md for the contract).
#
#   bash scripts/services/rabbitmq.sh start   installs Debian's rabbitmq-server if missing, starts the node, waits
#   bash scripts/services/rabbitmq.sh stop    stops the node (fine when it is not running)
#   bash scripts/services/rabbitmq.sh ctl ... runs rabbitmqctl against the node (the tests restart it this way)
#
# ER_RABBITMQ_DIR, ER_RABBITMQ_PORT, ER_RABBITMQ_DIST_PORT and ER_RABBITMQ_NODE choose another node.
#
# The node runs as the current user (root in CI) from /usr/lib/rabbitmq/bin, with its own name, ports, data dir and
# Erlang cookie, and without plugins, so it never collides with a system broker. It writes its AMQP URI to
# $ER_RABBITMQ_DIR/uri; the test fixture reads that file (or ER_RABBITMQ_URI) and reuses the node instead of
# starting its own.
set -euo pipefail

ER_RABBITMQ_DIR="${ER_RABBITMQ_DIR:-/tmp/eventrouter-rabbitmq}"
ER_RABBITMQ_PORT="${ER_RABBITMQ_PORT:-5699}"
ER_RABBITMQ_DIST_PORT="${ER_RABBITMQ_DIST_PORT:-25699}"
ER_RABBITMQ_NODE="${ER_RABBITMQ_NODE:-eventrouter-ci@localhost}"
BIN=/usr/lib/rabbitmq/bin

node_env() {
    export HOME="$ER_RABBITMQ_DIR" # the Erlang cookie lives here
    export RABBITMQ_NODENAME="$ER_RABBITMQ_NODE"
    export RABBITMQ_NODE_PORT="$ER_RABBITMQ_PORT"
    export RABBITMQ_DIST_PORT="$ER_RABBITMQ_DIST_PORT"
    export RABBITMQ_MNESIA_BASE="$ER_RABBITMQ_DIR/mnesia"
    export RABBITMQ_LOG_BASE="$ER_RABBITMQ_DIR/log"
    export RABBITMQ_PID_FILE="$ER_RABBITMQ_DIR/node.pid"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$ER_RABBITMQ_DIR/enabled_plugins"
    export RABBITMQ_CONFIG_FILE="$ER_RABBITMQ_DIR/rabbitmq"
    export RABBITMQ_ADVANCED_CONFIG_FILE="$ER_RABBITMQ_DIR/advanced.config"
}

install_if_missing() {
    [ -x "$BIN/rabbitmq-server" ] && return 0
    echo "rabbitmq.sh: installing rabbitmq-server"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q >/dev/null
    # policy-rc.d may refuse to start the system service; that is fine, we start our own node.
    $sudo apt-get install -y -q rabbitmq-server >/dev/null || [ -x "$BIN/rabbitmq-server" ]
}

running() { node_env; "$BIN/rabbitmqctl" -n "$ER_RABBITMQ_NODE" -q status >/dev/null 2>&1; }

start() {
    install_if_missing
    mkdir -p "$ER_RABBITMQ_DIR/mnesia" "$ER_RABBITMQ_DIR/log"
    echo "[]." >"$ER_RABBITMQ_DIR/enabled_plugins"
    : >"$ER_RABBITMQ_DIR/rabbitmq.conf"
    echo "[]." >"$ER_RABBITMQ_DIR/advanced.config"
    if [ ! -f "$ER_RABBITMQ_DIR/.erlang.cookie" ]; then
        head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$ER_RABBITMQ_DIR/.erlang.cookie"
        chmod 400 "$ER_RABBITMQ_DIR/.erlang.cookie"
    fi
    if ! running; then
        node_env
        "$BIN/rabbitmq-server" -detached
    fi
    node_env
    # The detached node registers with epmd a few seconds after it was launched; until then await_startup fails fast.
    local ready=1 deadline=$((SECONDS + 120))
    while [ $SECONDS -lt $deadline ]; do
        if "$BIN/rabbitmqctl" -n "$ER_RABBITMQ_NODE" -q await_startup --timeout 60 >/dev/null 2>&1; then
            ready=0
            break
        fi
        sleep 1
    done
    if [ $ready -ne 0 ]; then
        echo "rabbitmq.sh: the node did not start; log: $ER_RABBITMQ_DIR/log" >&2
        tail -n 30 "$ER_RABBITMQ_DIR"/log/*.log 2>/dev/null >&2 || true
        exit 1
    fi
    echo "amqp://guest:guest@localhost:$ER_RABBITMQ_PORT/" >"$ER_RABBITMQ_DIR/uri"
    echo "$ER_RABBITMQ_NODE" >"$ER_RABBITMQ_DIR/node"
    echo "rabbitmq.sh: node $ER_RABBITMQ_NODE ready on port $ER_RABBITMQ_PORT"
}

stop() {
    rm -f "$ER_RABBITMQ_DIR/uri" "$ER_RABBITMQ_DIR/node"
    [ -x "$BIN/rabbitmqctl" ] || return 0
    if running; then
        node_env
        "$BIN/rabbitmqctl" -n "$ER_RABBITMQ_NODE" -q stop >/dev/null 2>&1 || true
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    # Used by the tests to restart the broker under load: `rabbitmq.sh ctl stop_app`, `rabbitmq.sh ctl start_app`.
    ctl) shift; node_env; "$BIN/rabbitmqctl" -n "$ER_RABBITMQ_NODE" -q "$@" ;;
    *) echo "usage: $0 start|stop|ctl <rabbitmqctl command>" >&2; exit 2 ;;
esac
