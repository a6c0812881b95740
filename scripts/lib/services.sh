# Shared by scripts/test.sh and .ci/run: make sure the services tests need are up.

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"

pg_answers() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -d "$DATABASE_URL" -q
    else
        (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
    fi
}

ensure_postgres() {
    if pg_answers; then
        return 0
    fi
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
        local version
        version="$(ls /etc/postgresql | sort -V | tail -1)"
        echo "PostgreSQL is not answering at $DATABASE_URL; starting cluster $version/main" >&2
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        for _ in $(seq 1 30); do
            pg_answers && return 0
            sleep 1
        done
    fi
    echo "error: no PostgreSQL answers at $DATABASE_URL and none could be started." >&2
    echo "Install it (Debian: apt-get install postgresql) or set DATABASE_URL to a server with trust or password auth." >&2
    return 1
}

# PgBouncer in front of the local server, for ir-postgres's PgBouncer tests.
# Listens on 127.0.0.1:6432 with trust auth; the admin console is the database `pgbouncer`
# (admin user `postgres`). Besides `test`, it serves `ir_waiting`, a pool of one server
# connection, so a test can make clients queue for real.
export PGBOUNCER_URL="${PGBOUNCER_URL:-postgres://postgres@127.0.0.1:6432/test}"
export PGBOUNCER_ADMIN_URL="${PGBOUNCER_ADMIN_URL:-postgres://postgres@127.0.0.1:6432/pgbouncer}"

pgbouncer_answers() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -h 127.0.0.1 -p 6432 -U postgres -d pgbouncer -q
    else
        (exec 3<>/dev/tcp/127.0.0.1/6432) 2>/dev/null
    fi
}

ensure_pgbouncer() {
    if pgbouncer_answers; then
        return 0
    fi
    if ! command -v pgbouncer >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "PgBouncer is not installed; installing Debian's pgbouncer" >&2
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
        else
            echo "error: PgBouncer is not installed (Debian: apt-get install pgbouncer)." >&2
            return 1
        fi
    fi
    local dir="${TMPDIR:-/tmp}/ir-pgbouncer"
    mkdir -p "$dir"
    cat >"$dir/pgbouncer.ini" <<INI
[databases]
test = host=127.0.0.1 port=5432 dbname=test
ir_waiting = host=127.0.0.1 port=5432 dbname=test pool_size=1

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = 6432
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = postgres
pool_mode = session
ignore_startup_parameters = extra_float_digits
pidfile = $dir/pgbouncer.pid
logfile = $dir/pgbouncer.log
INI
    echo '"postgres" ""' >"$dir/userlist.txt"
    # PgBouncer refuses to run as root: run it as the postgres system user.
    local as_user=()
    if [ "$(id -u)" = 0 ]; then
        chown -R postgres "$dir"
        as_user=(-u postgres)
    fi
    # A pidfile left by a PgBouncer that was killed stops the next one from starting.
    if [ -f "$dir/pgbouncer.pid" ]; then
        local pid
        pid="$(cat "$dir/pgbouncer.pid")"
        if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != pgbouncer ]; then
            rm -f "$dir/pgbouncer.pid"
        fi
    fi
    echo "PgBouncer is not answering on 127.0.0.1:6432; starting it ($dir/pgbouncer.ini)" >&2
    if ! pgbouncer -d "${as_user[@]}" "$dir/pgbouncer.ini"; then
        echo "error: PgBouncer did not start; see $dir/pgbouncer.log" >&2
        return 1
    fi
    for _ in $(seq 1 30); do
        pgbouncer_answers && return 0
        sleep 1
    done
    echo "error: PgBouncer did not start; see $dir/pgbouncer.log" >&2
    return 1
}

# pgbench, which ir-postgres's store benchmark (`cargo bench -p ir-postgres --bench store`)
# runs beside PgIncidentStore. Debian ships it with the server (postgresql-<version>, pulled in
# by postgresql-contrib); installed here when missing.
pgbench_found() {
    command -v pgbench >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/pgbench" >/dev/null
}

ensure_pgbench() {
    if pgbench_found; then
        return 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "pgbench is not installed; installing Debian's postgresql-contrib" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-contrib >/dev/null
        pgbench_found && return 0
    fi
    echo "error: pgbench is not installed (Debian: apt-get install postgresql-contrib), or set PGBENCH." >&2
    return 1
}
