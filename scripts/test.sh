#!/usr/bin/env bash
# Runs every test of the workspace. Brings up what the tests need first:
# - PostgreSQL at $DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); started here
#   when it is installed but not running; the run fails, naming what to install, when it is not.
# - PgBouncer on 127.0.0.1:6432 in front of it (installed with apt-get when missing).
# - pgbench, which the store benchmark runs (briefly, as a smoke test, under --all-targets).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib/services.sh
ensure_postgres
ensure_pgbouncer
ensure_pgbench

cargo test --workspace --all-features --all-targets
cargo test --workspace --all-features --doc
