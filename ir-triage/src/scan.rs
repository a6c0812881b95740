//! The scanner: which lines of a raw byte stream match which pattern sets.

use std::io::{self, Read};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind, Span, packed};

use crate::error::Error;
use crate::lines::{DEFAULT_MAX_LINE, Line};
use crate::patterns::PatternSet;

/// The most pattern sets one scanner holds (a [`SetMask`] is 64 bits).
pub const MAX_SETS: usize = 64;

/// Which of a scanner's pattern sets a line matched: bit `i` is set `i` of [`Scanner::set_names`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SetMask(u64);

impl SetMask {
    /// Whether set number `index` matched.
    pub fn contains(self, index: usize) -> bool {
        index < MAX_SETS && self.0 & (1 << index) != 0
    }

    /// No set matched.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The indices of the sets that matched, in ascending order.
    pub fn indices(self) -> impl Iterator<Item = usize> {
        (0..MAX_SETS).filter(move |i| self.contains(*i))
    }

    /// The raw bits.
    pub fn bits(self) -> u64 {
        self.0
    }
}

/// A matching line handed to [`Scanner::scan`]'s callback.
#[derive(Debug, Clone, Copy)]
pub struct ScanMatch<'a> {
    /// The line (capped at the scanner's `max_line`, without its line ending).
    pub line: Line<'a>,
    /// The sets it matched.
    pub sets: SetMask,
}

/// Counts from one scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Lines read, including an unterminated last line; `None` from [`Scanner::count`], which
    /// skips numbering lines as `rg -c` does.
    pub lines: Option<u64>,
    /// Lines matching at least one set.
    pub matched_lines: u64,
    /// Matching lines per set, indexed like [`Scanner::set_names`].
    pub per_set: Vec<u64>,
    /// Lines longer than `max_line`; only their first `max_line` bytes were searched.
    pub truncated: u64,
    /// Bytes read.
    pub bytes: u64,
}

/// A case-insensitive multi-pattern scanner over raw bytes, reading any [`Read`] through one
/// bounded buffer.
///
/// The search runs over whole buffers, not line by line: each buffer is ASCII-lowercased into a
/// scratch buffer of the same size and searched with aho-corasick's SIMD Teddy searcher
/// (`aho_corasick::packed`) for the lowercased patterns. (An ASCII case-insensitive
/// aho-corasick automaton over the raw bytes ran at a fifth of the speed on logs, its
/// start-byte prefilter firing on every `e`; it remains the fallback where Teddy is not
/// available.) Which sets a matching line hits is then decided by that case-insensitive
/// automaton over the line alone.
///
/// Lines may end in `\n` or `\r\n`, need not be UTF-8, and the last one need not end at all.
/// Only the first `max_line` bytes of a line are searched; longer lines are counted as truncated.
///
/// ```
/// use ir_triage::{PatternSet, Scanner};
///
/// let scanner = Scanner::new(&PatternSet::defaults())?;
/// let log = "GET / 200\r\nError: Cannot find module 'next'\r\nok\r\n[next-auth][error][NO_SECRET]";
/// let mut hits = Vec::new();
/// let stats = scanner.scan(log.as_bytes(), |m| {
///     let sets: Vec<&str> = m.sets.indices().map(|i| scanner.set_names()[i].as_str()).collect();
///     hits.push((m.line.number, sets.join("+")));
/// })?;
/// assert_eq!(hits, [(2, "errors+build".to_string()), (4, "errors+auth".to_string())]);
/// assert_eq!((stats.lines, stats.matched_lines), (Some(4), 2));
/// # Ok::<(), ir_triage::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Scanner {
    teddy: Option<packed::Searcher>,
    ac: AhoCorasick,
    pattern_set: Vec<u8>,
    names: Vec<String>,
    max_line: usize,
    buffer: usize,
}

impl Scanner {
    /// A scanner for `sets`, with the default line cap and a 1 MiB buffer.
    ///
    /// # Errors
    /// [`Error::Patterns`] when there are more than [`MAX_SETS`] sets, no pattern at all, or the
    /// automaton cannot be built.
    pub fn new(sets: &[PatternSet]) -> Result<Self, Error> {
        Self::with_limits(sets, DEFAULT_MAX_LINE, 1 << 20)
    }

    /// A scanner searching at most `max_line` bytes of each line and reading `buffer` bytes at a
    /// time (raised to `2 * max_line` when smaller): the memory it holds is about `buffer`.
    ///
    /// # Errors
    /// As [`Scanner::new`].
    pub fn with_limits(sets: &[PatternSet], max_line: usize, buffer: usize) -> Result<Self, Error> {
        if sets.len() > MAX_SETS {
            return Err(Error::Patterns(format!(
                "{} pattern sets, at most {MAX_SETS}",
                sets.len()
            )));
        }
        let mut patterns = Vec::new();
        let mut pattern_set = Vec::new();
        for (i, set) in sets.iter().enumerate() {
            for p in set.patterns() {
                // A pattern never spans lines.
                let p = p.replace(['\n', '\r'], "");
                if !p.is_empty() {
                    patterns.push(p);
                    pattern_set.push(i as u8);
                }
            }
        }
        if patterns.is_empty() {
            return Err(Error::Patterns("no patterns to search for".into()));
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|e| Error::Patterns(e.to_string()))?;
        let lowered: Vec<String> = patterns.iter().map(|p| p.to_ascii_lowercase()).collect();
        let teddy = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(&lowered)
            .build();
        let max_line = max_line.max(1);
        Ok(Self {
            teddy,
            ac,
            pattern_set,
            names: sets.iter().map(|s| s.name().to_owned()).collect(),
            max_line,
            buffer: buffer.max(2 * max_line).max(64),
        })
    }

    /// The names of the sets, in the order of [`SetMask`] bits.
    pub fn set_names(&self) -> &[String] {
        &self.names
    }

    /// The sets one line matches, looking at its first `max_line` bytes.
    pub fn matched_sets(&self, line: &[u8]) -> SetMask {
        let line = &line[..line.len().min(self.max_line)];
        let mut mask = 0u64;
        for m in self.ac.find_overlapping_iter(line) {
            if let Some(set) = self.pattern_set.get(m.pattern().as_usize()) {
                mask |= 1 << set;
            }
        }
        SetMask(mask)
    }

    /// Counts matching lines, like `rg -c`: lines are not numbered ([`ScanStats::lines`] is
    /// `None`), which saves a pass over every newline.
    ///
    /// # Errors
    /// An I/O error from `reader`.
    pub fn count<R: Read>(&self, reader: R) -> io::Result<ScanStats> {
        self.run(reader, false, |_| {})
    }

    /// Reads `reader` to its end, calling `on_match` for each line matching any set.
    ///
    /// The automaton runs over whole buffers, not line by line, so lines that match nothing cost
    /// a search and a newline count, nothing more.
    ///
    /// # Errors
    /// An I/O error from `reader` (interrupted reads are retried).
    pub fn scan<R: Read>(
        &self,
        reader: R,
        on_match: impl FnMut(&ScanMatch<'_>),
    ) -> io::Result<ScanStats> {
        self.run(reader, true, on_match)
    }

    fn run<R: Read>(
        &self,
        mut reader: R,
        numbered: bool,
        mut on_match: impl FnMut(&ScanMatch<'_>),
    ) -> io::Result<ScanStats> {
        let mut st = ScanState {
            stats: ScanStats {
                per_set: vec![0; self.names.len()],
                ..ScanStats::default()
            },
            skipping: false,
            numbered,
            lines: 0,
        };
        let mut buf = vec![0u8; self.buffer];
        let mut lower = if self.teddy.is_some() {
            vec![0u8; self.buffer]
        } else {
            Vec::new()
        };
        let mut len = 0usize;
        let mut eof = false;
        loop {
            if !eof && len < buf.len() {
                match reader.read(&mut buf[len..]) {
                    Ok(0) => eof = true,
                    Ok(n) => {
                        len += n;
                        st.stats.bytes += n as u64;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
            if st.skipping {
                // Inside a line longer than the buffer whose head was already searched.
                match memchr::memchr(b'\n', &buf[..len]) {
                    Some(p) => {
                        buf.copy_within(p + 1..len, 0);
                        len -= p + 1;
                        st.skipping = false;
                    }
                    None => {
                        len = 0;
                        if eof {
                            break;
                        }
                        continue;
                    }
                }
            }
            let end = match memchr::memrchr(b'\n', &buf[..len]) {
                Some(p) => p + 1,
                None if eof => len,
                None if len > self.max_line => {
                    // No newline within the cap: search the head, drop the rest of the line.
                    self.region(
                        &buf[..self.max_line],
                        &mut lower,
                        true,
                        &mut st,
                        &mut on_match,
                    );
                    st.skipping = true;
                    len = 0;
                    continue;
                }
                None => continue,
            };
            self.region(&buf[..end], &mut lower, false, &mut st, &mut on_match);
            buf.copy_within(end..len, 0);
            len -= end;
            if eof && len == 0 {
                break;
            }
        }
        let mut stats = st.stats;
        stats.lines = numbered.then_some(st.lines);
        Ok(stats)
    }

    /// Searches a run of whole lines (the last one may lack its `\n`), or the head of one
    /// overlong line when `head` is set.
    fn region(
        &self,
        region: &[u8],
        lower: &mut [u8],
        head: bool,
        st: &mut ScanState,
        on_match: &mut impl FnMut(&ScanMatch<'_>),
    ) {
        let end = region.len();
        if end == 0 {
            return;
        }
        let first_line = st.lines + 1;
        if head {
            st.lines += 1;
            st.stats.truncated += 1;
        } else {
            if st.numbered {
                let newlines = memchr::memchr_iter(b'\n', region).count() as u64;
                let unterminated = region[end - 1] != b'\n';
                st.lines += newlines + u64::from(unterminated);
            }
            st.stats.truncated += self.long_lines(region);
        }
        let lowered: &[u8] = if self.teddy.is_some() {
            let l = &mut lower[..end];
            for (d, b) in l.iter_mut().zip(region) {
                *d = b.to_ascii_lowercase();
            }
            l
        } else {
            &[]
        };
        let mut cur_line = first_line;
        let mut counted = 0usize;
        let mut pos = 0usize;
        while pos < end {
            let found = match &self.teddy {
                Some(teddy) => teddy
                    .find_in(lowered, Span::from(pos..end))
                    .map(|m| (m.start(), m.end())),
                None => self
                    .ac
                    .find(Input::new(region).range(pos..end))
                    .map(|m| (m.start(), m.end())),
            };
            let Some((m_start, m_end)) = found else {
                break;
            };
            let ls = memchr::memrchr(b'\n', &region[pos..m_start]).map_or(pos, |p| pos + p + 1);
            let le = memchr::memchr(b'\n', &region[m_end..end]).map_or(end, |p| m_end + p);
            if st.numbered {
                cur_line += memchr::memchr_iter(b'\n', &region[counted..ls]).count() as u64;
                counted = ls;
            }
            if m_end - ls <= self.max_line {
                let truncated = head || le - ls > self.max_line;
                let mut line_end = le.min(ls + self.max_line);
                if !truncated && line_end > ls && region[line_end - 1] == b'\r' {
                    line_end -= 1;
                }
                let bytes = &region[ls..line_end];
                let sets = if self.names.len() == 1 {
                    SetMask(1)
                } else {
                    self.matched_sets(bytes)
                };
                st.stats.matched_lines += 1;
                for i in sets.indices() {
                    if let Some(c) = st.stats.per_set.get_mut(i) {
                        *c += 1;
                    }
                }
                on_match(&ScanMatch {
                    line: Line {
                        bytes,
                        number: if st.numbered { cur_line } else { 0 },
                        truncated,
                    },
                    sets,
                });
            }
            pos = le + 1;
        }
    }

    /// Lines in `region` longer than `max_line`, found by looking for a newline in each window
    /// of `max_line + 1` bytes from a line start: a handful of backward searches per window.
    fn long_lines(&self, region: &[u8]) -> u64 {
        let end = region.len();
        let mut count = 0;
        let mut p = 0;
        while p < end {
            if end - p <= self.max_line {
                break;
            }
            let window = &region[p..=p + self.max_line];
            match memchr::memrchr(b'\n', window) {
                Some(q) => p += q + 1,
                None => {
                    count += 1;
                    match memchr::memchr(b'\n', &region[p + self.max_line..]) {
                        Some(q) => p += self.max_line + q + 1,
                        None => break,
                    }
                }
            }
        }
        count
    }
}

struct ScanState {
    stats: ScanStats,
    skipping: bool,
    numbered: bool,
    lines: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::LineReader;

    type Hit = (u64, Vec<u8>, bool, u64);

    fn sets() -> Vec<PatternSet> {
        PatternSet::defaults()
    }

    fn scan_all(scanner: &Scanner, input: &[u8]) -> (Vec<Hit>, ScanStats) {
        let mut out = Vec::new();
        let stats = scanner
            .scan(input, |m| {
                out.push((
                    m.line.number,
                    m.line.bytes.to_vec(),
                    m.line.truncated,
                    m.sets.bits(),
                ))
            })
            .unwrap();
        (out, stats)
    }

    /// The bulk scanner agrees with a line-by-line reference on every buffer size.
    fn reference(scanner: &Scanner, input: &[u8]) -> (Vec<Hit>, u64, u64) {
        let mut r = LineReader::with_limits(input, scanner.max_line, 7);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            let sets = scanner.matched_sets(l.bytes);
            if !sets.is_empty() {
                out.push((l.number, l.bytes.to_vec(), l.truncated, sets.bits()));
            }
        }
        (out, r.stats().lines, r.stats().truncated)
    }

    #[test]
    fn agrees_with_line_by_line_reference() {
        let input: &[u8] = b"ok\r\nERROR one\r\n\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx error late\n\
            short fail\nexception\xff\xfe bytes\nkilled";
        for max_line in [8, 16, 40, 1000] {
            for buffer in [1, 16, 33, 64, 4096] {
                let s = Scanner::with_limits(&sets(), max_line, buffer).unwrap();
                let (got, stats) = scan_all(&s, input);
                let (want, lines, truncated) = reference(&s, input);
                assert_eq!(got, want, "max_line {max_line} buffer {buffer}");
                assert_eq!(
                    stats.lines,
                    Some(lines),
                    "lines, max_line {max_line} buffer {buffer}"
                );
                let counted = s.count(input).unwrap();
                assert_eq!(counted.matched_lines, stats.matched_lines);
                assert_eq!(counted.truncated, stats.truncated);
                assert_eq!(counted.lines, None);
                // The fallback automaton finds the same lines.
                let mut plain = s.clone();
                plain.teddy = None;
                assert_eq!(
                    scan_all(&plain, input).0,
                    got,
                    "fallback, max_line {max_line} buffer {buffer}"
                );
                assert_eq!(
                    stats.truncated, truncated,
                    "truncated, max_line {max_line} buffer {buffer}"
                );
                assert_eq!(stats.bytes, input.len() as u64);
            }
        }
    }

    #[test]
    fn crlf_is_stripped_and_case_ignored() {
        let s = Scanner::new(&sets()).unwrap();
        let (got, stats) = scan_all(
            &s,
            b"all good\r\nFATAL: Sorry, Too Many Clients Already\r\n",
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 2);
        assert_eq!(got[0].1, b"FATAL: Sorry, Too Many Clients Already");
        let pool = s.set_names().iter().position(|n| n == "pool").unwrap();
        assert!(SetMask(got[0].3).contains(pool));
        assert_eq!(stats.per_set[pool], 1);
        assert_eq!(stats.lines, Some(2));
    }

    #[test]
    fn a_match_past_the_cap_is_not_reported() {
        let s = Scanner::with_limits(&sets(), 10, 64).unwrap();
        let (got, stats) = scan_all(&s, b"0123456789 error\nerror\n");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 2);
        assert_eq!(stats.truncated, 1);
    }

    #[test]
    fn rejects_no_patterns_and_too_many_sets() {
        assert!(matches!(Scanner::new(&[]), Err(Error::Patterns(_))));
        let many: Vec<_> = (0..65)
            .map(|i| PatternSet::new(format!("s{i}"), ["x"]))
            .collect();
        assert!(matches!(Scanner::new(&many), Err(Error::Patterns(_))));
    }

    #[test]
    fn user_sets_are_scanned_too() {
        let mut all = sets();
        all.push(PatternSet::new("payments", ["stripe webhook"]));
        let s = Scanner::new(&all).unwrap();
        let (got, _) = scan_all(&s, b"Stripe Webhook signature mismatch\n");
        assert!(SetMask(got[0].3).contains(all.len() - 1));
    }
}
