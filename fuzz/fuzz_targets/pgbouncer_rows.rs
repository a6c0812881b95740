//! PgBouncer's `SHOW POOLS` / `SHOW STATS` rows, as arbitrary bytes, read by ir-postgres:
//! never a panic. Built only with `--features postgres`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ir_postgres::fuzzing::pgbouncer_rows(data);
});
