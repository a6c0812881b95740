//! `Scanner` over arbitrary bytes: the default sets, read through small buffers in uneven
//! chunks (so lines straddle reads and exceed the line cap), checked against a one-shot scan.
#![no_main]

use std::io::{self, Read};
use std::sync::OnceLock;

use ir_triage::{PatternSet, Scanner};
use libfuzzer_sys::fuzz_target;

/// A reader handing out the input in chunks whose sizes come from the input's first byte.
struct Chunked<'a> {
    data: &'a [u8],
    step: usize,
    n: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.n += 1;
        let want = 1 + (self.n * self.step) % 97;
        let k = want.min(out.len()).min(self.data.len());
        out[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}

/// Line caps tried; each with a scanner on the smallest buffer and one on a large buffer.
const MAX_LINES: [usize; 3] = [9, 40, 300];

fn scanners() -> &'static [(Scanner, Scanner)] {
    static S: OnceLock<Vec<(Scanner, Scanner)>> = OnceLock::new();
    S.get_or_init(|| {
        let sets = PatternSet::defaults();
        MAX_LINES
            .iter()
            .filter_map(|&max_line| {
                let small = Scanner::with_limits(&sets, max_line, 0).ok()?;
                let big = Scanner::with_limits(&sets, max_line, 1 << 16).ok()?;
                Some((small, big))
            })
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, data)) = data.split_first() else {
        return;
    };
    let pick = usize::from(first) % MAX_LINES.len();
    let max_line = MAX_LINES[pick];
    let Some((small, big)) = scanners().get(pick) else {
        return;
    };
    let mut hits_small = Vec::new();
    let stats_small = small
        .scan(
            Chunked {
                data,
                step: usize::from(first) + 1,
                n: 0,
            },
            |m| {
                assert!(m.line.bytes.len() <= max_line);
                assert!(!m.sets.is_empty());
                hits_small.push((m.line.number, m.sets.bits()));
            },
        )
        .unwrap_or_default();
    let mut hits_big = Vec::new();
    let stats_big = big
        .scan(data, |m| hits_big.push((m.line.number, m.sets.bits())))
        .unwrap_or_default();
    // The buffer size and how reads are cut never change what matches.
    assert_eq!(hits_small, hits_big);
    assert_eq!(stats_small, stats_big);
    assert_eq!(stats_small.bytes, data.len() as u64);
    let counted = big.count(data).unwrap_or_default();
    assert_eq!(counted.matched_lines, stats_big.matched_lines);
});
