# Sourced by scripts: install Redis from Debian when missing, and run a private,
# throwaway server on a free loopback port.
#   redis_ensure_installed; redis_start; ...; redis_stop
# redis_start exports PULSE_TEST_REDIS_URL.

redis_ensure_installed() {
    if command -v redis-server >/dev/null; then return 0; fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "Redis is not installed and this is not root: install the 'redis-server' Debian package" >&2
        return 1
    fi
    echo "installing Redis from Debian packages..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # The package's service is not started here (no init system); we run our own server.
    apt-get install -y -qq --no-install-recommends redis-server >&2
    command -v redis-server >/dev/null || { echo "Redis install failed" >&2; return 1; }
}

redis_start() {
    REDIS_DIR=$(mktemp -d /tmp/pulse-redis.XXXXXX)
    REDIS_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
        --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" >/dev/null
    for _ in $(seq 1 50); do
        if redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
            export PULSE_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
            echo "Redis $(redis-server --version | awk '{print $3}' | cut -d= -f2) on 127.0.0.1:$REDIS_PORT" >&2
            return 0
        fi
        sleep 0.1
    done
    cat "$REDIS_DIR/redis.log" >&2
    return 1
}

redis_stop() {
    [ -n "${REDIS_DIR:-}" ] || return 0
    if [ -f "$REDIS_DIR/redis.pid" ]; then
        kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true
    fi
    rm -rf "$REDIS_DIR"
    REDIS_DIR=
}
