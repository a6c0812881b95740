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
