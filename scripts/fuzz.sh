#!/usr/bin/env bash
# Runs each cargo-fuzz target of fuzz/ for N seconds (default 600), one after another, one job
# each, and prints how many inputs each ran. Needs the nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz`).
#
#   scripts/fuzz.sh [seconds] [target...]
#
# Targets: railway_wire, pgbouncer_rows, redact, templates (all by default). pgbouncer_rows
# needs `ir_postgres::fuzzing::pgbouncer_rows`; it is skipped, saying so, until ir-postgres has
# it. Corpora grow in fuzz/corpus/<target> (seeded from the recorded Railway answers and the
# built-in templates); a crash leaves its input in fuzz/artifacts/<target> and fails the run.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${1:-600}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(railway_wire pgbouncer_rows redact templates)
fi

# Seeds: each recorded Railway answer after a header byte 0 (HTTP 200, a mutation), and each
# built-in template after the byte that names it.
seed() {
    local corpus=corpus/$1
    mkdir -p "$corpus"
    [ -n "$(ls -A "$corpus")" ] && return 0
    case "$1" in
        railway_wire)
            for f in ../ir-railway/tests/resources/*.json ../ir-railway/tests/resources/*.html; do
                { printf '\0'; cat "$f"; } >"$corpus/seed-$(basename "$f")"
            done
            ;;
        templates)
            local i=0
            for name in acknowledgement initial_notification initial_assessment status_update \
                mitigation_applied incident_resolved resolution_notification status_page; do
                { printf "\\$(printf '%03o' "$i")"; cat "../ir-core/src/comms/builtin/$name.j2"; } \
                    >"$corpus/seed-$name"
                i=$((i + 1))
            done
            ;;
        redact)
            printf 'hunter2-but-longer\001NEXTAUTH_SECRET=Zm9vYmFyYmF6cXV4\001connect postgres://app:hunter2-but-longer@db/web \002\003 and \002\010 done' \
                >"$corpus/seed-dsn"
            ;;
    esac
}

status=0
summary=()
for target in "${targets[@]}"; do
    features=()
    if [ "$target" = pgbouncer_rows ]; then
        if ! grep -rqs 'fn pgbouncer_rows' ../ir-postgres/src; then
            echo "== $target: skipped (ir_postgres::fuzzing::pgbouncer_rows is not on this branch)"
            summary+=("$target: skipped")
            continue
        fi
        features=(--features postgres)
    fi
    seed "$target"
    mkdir -p "artifacts/$target"
    echo "== $target: ${seconds}s"
    log=$(mktemp)
    # -jobs=1 runs the fuzzer in one child process whose output goes to fuzz-0.log.
    rm -f fuzz-0.log
    # The build goes where cargo's would (CARGO_TARGET_DIR when set): cargo-fuzz must look there.
    if cargo +nightly fuzz run --target-dir "${CARGO_TARGET_DIR:-target}" "${features[@]}" "$target" -- \
        -max_total_time="$seconds" -jobs=1 -workers=1 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="artifacts/$target/" >"$log" 2>&1; then
        outcome=ok
    else
        outcome=FAILED
        status=1
    fi
    [ -f fuzz-0.log ] && cat fuzz-0.log >>"$log" && rm -f fuzz-0.log
    runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -1 | grep -Eo '[0-9]+' || true)
    if [ -z "$runs" ]; then
        runs=$(grep -Eo '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
    fi
    echo "$target: ${runs:-?} runs in ${seconds}s ($outcome)"
    [ "$outcome" = ok ] || tail -40 "$log"
    summary+=("$target: ${runs:-?} runs in ${seconds}s ($outcome)")
    rm -f "$log"
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$status"
