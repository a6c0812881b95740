//! Reading lines from a byte stream with a bounded buffer.

use std::io::{self, Read};

/// The longest line kept by default, in bytes; the rest of a longer line is dropped and counted.
pub const DEFAULT_MAX_LINE: usize = 16 * 1024;

/// The default read buffer: the most memory a reader holds, whatever the input.
pub const DEFAULT_BUFFER: usize = 256 * 1024;

/// One line of input: its bytes without `\n` or `\r\n`, cut at the reader's line cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// The line's bytes, at most the reader's `max_line` of them. Not necessarily UTF-8.
    pub bytes: &'a [u8],
    /// 1-based line number in the input.
    pub number: u64,
    /// The line was longer than the cap and was cut.
    pub truncated: bool,
}

impl Line<'_> {
    /// The line as text, invalid UTF-8 replaced by U+FFFD.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.bytes)
    }
}

/// What a reader saw, for reporting: lines read, lines cut at the cap, bytes read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineStats {
    /// Lines read, including a last line without a newline.
    pub lines: u64,
    /// Lines longer than the cap, whose tail was dropped.
    pub truncated: u64,
    /// Bytes read from the input.
    pub bytes: u64,
    /// The input ended without a newline after its last line.
    pub unterminated_last_line: bool,
}

/// Splits any [`Read`] into [`Line`]s, holding at most one buffer of input in memory.
///
/// Handles `\r\n` and `\n`, invalid UTF-8 (bytes are passed through), lines longer than
/// `max_line` (cut, counted in [`LineStats::truncated`]) and a last line without a newline.
///
/// ```
/// use ir_triage::LineReader;
///
/// let input = b"first\r\nsecond\nthird, no newline";
/// let mut reader = LineReader::new(&input[..]);
/// let mut seen = Vec::new();
/// while let Some(line) = reader.next_line()? {
///     seen.push(line.text().into_owned());
/// }
/// assert_eq!(seen, ["first", "second", "third, no newline"]);
/// assert!(reader.stats().unterminated_last_line);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    skipping: bool,
    max_line: usize,
    stats: LineStats,
}

impl<R: Read> LineReader<R> {
    /// A reader with the default line cap ([`DEFAULT_MAX_LINE`]) and buffer ([`DEFAULT_BUFFER`]).
    pub fn new(inner: R) -> Self {
        Self::with_limits(inner, DEFAULT_MAX_LINE, DEFAULT_BUFFER)
    }

    /// A reader keeping at most `max_line` bytes of a line, reading `buffer` bytes at a time.
    /// The buffer is raised to `max_line + 1` when smaller.
    pub fn with_limits(inner: R, max_line: usize, buffer: usize) -> Self {
        let max_line = max_line.max(1);
        Self {
            inner,
            buf: vec![0; buffer.max(max_line + 1)],
            start: 0,
            end: 0,
            eof: false,
            skipping: false,
            max_line,
            stats: LineStats::default(),
        }
    }

    /// Counts so far.
    pub fn stats(&self) -> LineStats {
        self.stats
    }

    /// The next line, or `None` at the end of the input.
    ///
    /// # Errors
    /// An I/O error from the underlying reader (interrupted reads are retried).
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        loop {
            if let Some(pos) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let line_start = self.start;
                let line_end = self.start + pos;
                self.start = line_end + 1;
                if self.skipping {
                    self.skipping = false;
                    continue;
                }
                return Ok(Some(self.emit(line_start, line_end, false)));
            }
            if self.eof {
                if self.start < self.end && !self.skipping {
                    let (s, e) = (self.start, self.end);
                    self.start = self.end;
                    self.stats.unterminated_last_line = true;
                    return Ok(Some(self.emit(s, e, false)));
                }
                if self.skipping && self.start < self.end {
                    self.stats.unterminated_last_line = true;
                }
                self.start = self.end;
                return Ok(None);
            }
            if self.skipping {
                self.start = 0;
                self.end = 0;
            } else if self.end - self.start > self.max_line {
                // A line longer than the cap: hand out its head, drop the rest up to `\n`.
                let s = self.start;
                self.start = self.end;
                self.skipping = true;
                return Ok(Some(self.emit(s, s + self.max_line, true)));
            } else if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            self.fill()?;
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    self.stats.bytes += n as u64;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn emit(&mut self, start: usize, end: usize, cut: bool) -> Line<'_> {
        let mut end = end;
        let mut truncated = cut;
        if end - start > self.max_line {
            end = start + self.max_line;
            truncated = true;
        }
        if !truncated && end > start && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        self.stats.lines += 1;
        if truncated {
            self.stats.truncated += 1;
        }
        Line {
            bytes: &self.buf[start..end],
            number: self.stats.lines,
            truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8], max_line: usize, buffer: usize) -> (Vec<(Vec<u8>, bool)>, LineStats) {
        let mut r = LineReader::with_limits(input, max_line, buffer);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push((l.bytes.to_vec(), l.truncated));
        }
        (out, r.stats())
    }

    #[test]
    fn crlf_and_lf_and_unterminated_last_line() {
        let (lines, stats) = collect(b"a\r\nb\n\nc", 100, 4);
        let texts: Vec<_> = lines.iter().map(|(b, _)| b.as_slice()).collect();
        assert_eq!(texts, [&b"a"[..], b"b", b"", b"c"]);
        assert_eq!(stats.lines, 4);
        assert!(stats.unterminated_last_line);
    }

    #[test]
    fn long_lines_are_cut_and_counted_with_any_buffer() {
        for buffer in [1, 5, 7, 64] {
            let (lines, stats) = collect(b"0123456789abc\nok\nxyzxyzxyz", 4, buffer);
            let texts: Vec<_> = lines.iter().map(|(b, t)| (b.as_slice(), *t)).collect();
            assert_eq!(
                texts,
                [(&b"0123"[..], true), (b"ok", false), (b"xyzx", true)],
                "buffer {buffer}"
            );
            assert_eq!(stats.truncated, 2);
            assert_eq!(stats.lines, 3);
        }
    }

    #[test]
    fn invalid_utf8_passes_through() {
        let (lines, _) = collect(b"bad \xff\xfe byte\n", 100, 100);
        assert_eq!(lines[0].0, b"bad \xff\xfe byte");
        let line = Line {
            bytes: &lines[0].0,
            number: 1,
            truncated: false,
        };
        assert_eq!(line.text(), "bad \u{fffd}\u{fffd} byte");
    }

    #[test]
    fn empty_input_has_no_lines() {
        let (lines, stats) = collect(b"", 10, 10);
        assert!(lines.is_empty());
        assert_eq!(stats, LineStats::default());
    }
}
