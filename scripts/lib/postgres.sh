# Sourced by scripts: install PostgreSQL from Debian when missing, and run a private,
# throwaway cluster on a free loopback port.
#   pg_ensure_installed; pg_start; ...; pg_stop
# pg_start exports PULSE_TEST_PG_URL (an ordinary role with CREATEDB, so row-level
# security applies to it) and PG_ADMIN_URL (the superuser).

pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

pg_ensure_installed() {
    if pg_bin >/dev/null; then return 0; fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "PostgreSQL is not installed and this is not root: install the 'postgresql' Debian package" >&2
        return 1
    fi
    echo "installing PostgreSQL from Debian packages..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
    pg_bin >/dev/null || { echo "PostgreSQL install failed" >&2; return 1; }
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_start() {
    local bin run_as=()
    bin=$(pg_bin)
    PG_DIR=$(mktemp -d /tmp/pulse-pg.XXXXXX)
    PG_PORT=$(free_port)
    if [ "$(id -u)" -eq 0 ]; then
        # initdb refuses to run as root.
        chown postgres:postgres "$PG_DIR"
        run_as=(runuser -u postgres --)
    fi
    "${run_as[@]}" "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    "${run_as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w start \
        -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        >/dev/null || { cat "$PG_DIR/server.log" >&2; return 1; }
    "$bin/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE pulse LOGIN CREATEDB" >/dev/null
    export PG_ADMIN_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    export PULSE_TEST_PG_URL="postgres://pulse@127.0.0.1:$PG_PORT/postgres"
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT ($PG_DIR)" >&2
}

pg_stop() {
    [ -n "${PG_DIR:-}" ] || return 0
    local bin run_as=()
    bin=$(pg_bin)
    [ "$(id -u)" -eq 0 ] && run_as=(runuser -u postgres --)
    "${run_as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=
}
