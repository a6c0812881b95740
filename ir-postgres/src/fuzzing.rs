//! Entry points for fuzz targets: the crate's pure parsers over arbitrary bytes. Not part of
//! the API (hidden from the docs, no stability promise); a `cargo fuzz` target calls them, and
//! the property tests below run them on every `cargo test`.

use crate::pgbouncer::{self, Table};

/// Parses `data` as a PgBouncer admin-console answer and runs the `SHOW POOLS` and `SHOW STATS`
/// row parsers over it, as [`PgDiagnostics`](crate::PgDiagnostics) does with the console's
/// rows. Never panics: a malformed answer is an `Err` of the parsers, which this drops.
///
/// `data` is read as text (invalid UTF-8 replaced, as the console's text values never hold
/// any): the first line names the columns, each further line is a row, values are separated by
/// `,` and a value `\N` is NULL (an empty value is the empty string). Rows may be shorter or
/// longer than the header and column names may repeat, as a fuzzer will make them.
///
/// ```
/// ir_postgres::fuzzing::pgbouncer_rows(b"database,user,cl_active\napp,app,\\N\n");
/// ir_postgres::fuzzing::pgbouncer_rows(&[0xff, b'\n', b',']);
/// ```
pub fn pgbouncer_rows(data: &[u8]) {
    let table = table(data);
    drop(pgbouncer::parse_pools(&table));
    drop(pgbouncer::parse_stats(&table));
}

/// The console answer `data` stands for, as [`pgbouncer_rows`] reads it.
fn table(data: &[u8]) -> Table {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let columns = lines
        .next()
        .map(|header| header.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let rows = lines
        .map(|line| {
            line.split(',')
                .map(|v| (v != "\\N").then(|| v.to_owned()))
                .collect()
        })
        .collect();
    Table { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FIXTURES: [&str; 4] = [
        include_str!("../tests/resources/pgbouncer/1.18/show_pools.csv"),
        include_str!("../tests/resources/pgbouncer/1.18/show_stats.csv"),
        include_str!("../tests/resources/pgbouncer/1.7/show_pools.csv"),
        include_str!("../tests/resources/pgbouncer/1.7/show_stats.csv"),
    ];

    /// A recorded answer without its `#` comment lines, as the console sends it.
    fn recorded(fixture: &str) -> String {
        fixture
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_recorded_answers_parse_as_the_console_sent_them() {
        let pools = table(recorded(FIXTURES[0]).as_bytes());
        assert_eq!(pgbouncer::parse_pools(&pools).unwrap().len(), 3);
        let stats = table(recorded(FIXTURES[3]).as_bytes());
        assert_eq!(pgbouncer::parse_stats(&stats).unwrap().len(), 2);
    }

    #[test]
    fn edge_cases_do_not_panic() {
        let max = u64::MAX;
        let header = "database,user,cl_active,cl_waiting,sv_active,sv_idle,sv_used,maxwait";
        let cases = [
            String::new(),
            "\n\n\n".to_owned(),
            ",,,".to_owned(),
            format!("{header},maxwait_us\napp,app,1,1,1,1,1,{max},{max}"),
            format!("{header},maxwait_us\napp,app,1,1,1,1,1,{max}.9,{max}.9"),
            format!("{header}\napp"),
            format!("{header}\napp,app,1,1,1,1,1,1,extra,values,past,the,header"),
            format!("{header},{header}\n\\N,\\N,\\N,\\N,\\N,\\N,\\N,\\N"),
            format!("{header}\n,,-1,1e9,0x10,+1, 1 ,1."),
            "database,total_requests,avg_query\napp,18446744073709551616,.5".to_owned(),
            "database\n\u{0}\n\u{fffd}".to_owned(),
        ];
        for case in &cases {
            pgbouncer_rows(case.as_bytes());
        }
        pgbouncer_rows(&[0xff, 0xfe, b'\n', 0xc3, b',', 0x80]);
    }

    /// Mutations of a recorded answer: one byte replaced, inserted or removed, up to four times.
    fn mutated() -> impl Strategy<Value = Vec<u8>> {
        let fixture = prop::sample::select(FIXTURES.map(recorded).to_vec());
        let edits =
            prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<u8>()), 1..5);
        (fixture, edits).prop_map(|(fixture, edits)| {
            let mut bytes = fixture.into_bytes();
            for (at, edit, byte) in edits {
                let i = at.index(bytes.len() + 1);
                match edit {
                    0 if i < bytes.len() => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    _ => bytes.push(byte),
                }
            }
            bytes
        })
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
            pgbouncer_rows(&data);
        }

        #[test]
        fn mutated_recorded_answers_never_panic(data in mutated()) {
            pgbouncer_rows(&data);
        }

        /// Well-formed tables of any numbers: either parsed or a Protocol error, never a panic.
        #[test]
        fn numbers_of_any_size_never_panic(
            values in prop::collection::vec("[0-9]{0,25}(\\.[0-9]{0,3})?|\\\\N|-?[0-9]{1,3}", 7..16),
        ) {
            let header = "database,user,cl_active,cl_waiting,sv_active,sv_idle,sv_used,maxwait,\
                          maxwait_us,total_xact_count,total_query_count,total_wait_time,\
                          avg_xact_count,avg_query_time,avg_wait_time";
            let data = format!("{header}\napp,app,{}", values.join(","));
            let table = table(data.as_bytes());
            for err in [
                pgbouncer::parse_pools(&table).err(),
                pgbouncer::parse_stats(&table).err(),
            ]
            .into_iter()
            .flatten()
            {
                prop_assert_eq!(err.kind(), ir_core::ErrorKind::Protocol);
            }
        }
    }
}
