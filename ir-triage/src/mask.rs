//! Masking variable tokens, and Loghub-2.0's template correction rules.
//!
//! Mining compares messages token by token after masking, so `block blk_-6952 of 67108864`
//! and `block blk_1234 of 512` look the same. Masking is two steps: a variable-shape rule
//! (numbers, hex, UUIDs, IPs and `host:port`, paths, durations and sizes, pieces with four or
//! more digits, `0x...`), then the eight template-correction rules Loghub-2.0 applies to every
//! parser's output (Khan et al., ICSE'22; `correct_single_template` in logpai/loghub-2.0
//! `benchmark/evaluation/utils/common.py`), re-implemented here: double spaces (DS), booleans
//! (BL), user strings `null`/`root`/`admin` (US), digits (DG), path-like strings (PS), words
//! glued to a variable (WV), dot-separated variables (DV) and consecutive variables (CV).

/// The wildcard a masked token or a generalised template position becomes.
pub const WILDCARD: &str = "<*>";

/// Loghub's reduced delimiter set, used to find path-like strings (PS).
pub(crate) fn is_path_delim(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b','
            | b'!'
            | b';'
            | b':'
            | b'='
            | b'|'
            | b'"'
            | b'\''
            | b'['
            | b']'
            | b'('
            | b')'
            | b'{'
            | b'}'
    )
}

/// Loghub's full delimiter set for the other rules.
fn is_token_delim(b: u8) -> bool {
    is_path_delim(b) || matches!(b, b'.' | b'-' | b'+' | b'@' | b'#' | b'$' | b'%' | b'&')
}

/// Whether `s` holds `<*>`; a byte loop, as `str::contains` builds a searcher per call.
pub(crate) fn has_wildcard(s: &str) -> bool {
    s.as_bytes().windows(3).any(|w| w == b"<*>")
}

fn has_double_slash(s: &str) -> bool {
    s.as_bytes().windows(2).any(|w| w == b"//")
}

/// `^(/[^/]+)+$`
fn is_path(s: &str) -> bool {
    s.len() > 1 && s.starts_with('/') && !has_double_slash(s) && !s.ends_with('/')
}

const USER_STRINGS: &[&str] = &["true", "false", "null", "root", "admin"];

/// Splits `s` keeping delimiter runs as their own pieces, like `re.split('(d1|d2|...)')`.
pub(crate) fn split_keep(s: &str, delim: impl Fn(u8) -> bool) -> impl Iterator<Item = &str> {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        if i >= b.len() {
            return None;
        }
        let start = i;
        if delim(b[i]) {
            i += 1;
        } else {
            while i < b.len() && !delim(b[i]) {
                i += 1;
            }
        }
        Some(&s[start..i])
    })
}

fn wv(piece: &str) -> bool {
    // ^[^\s/]*<\*>[^\s/]*$ and not <*>/<*>
    has_wildcard(piece) && !piece.contains('/') && !piece.contains(char::is_whitespace)
}

/// Loghub-2.0's correction of one whitespace-free token (every rule but DS).
pub fn correct_token(token: &str, out: &mut String) {
    let start = out.len();
    // PS, then BL/US/DG/WV on the finer split; PS output is re-split, so collect it first.
    let ps: std::borrow::Cow<'_, str> = if token.contains('/') {
        let mut ps = String::with_capacity(token.len());
        for piece in split_keep(token, is_path_delim) {
            if is_path(piece) {
                ps.push_str(WILDCARD);
            } else {
                ps.push_str(piece);
            }
        }
        ps.into()
    } else {
        token.into()
    };
    for piece in split_keep(&ps, is_token_delim) {
        let is_var = USER_STRINGS.iter().any(|u| piece.eq_ignore_ascii_case(u))
            || (!piece.is_empty() && piece.bytes().all(|b| b.is_ascii_digit()))
            || (wv(piece) && piece != "<*>/<*>");
        out.push_str(if is_var { WILDCARD } else { piece });
    }
    // DV, then CV.
    if has_wildcard(&out[start..]) {
        collapse(out, start, "<*>.<*>");
        collapse(out, start, "<*><*>");
    }
}

fn collapse(out: &mut String, start: usize, pair: &str) {
    let pair_b = pair.as_bytes();
    loop {
        let found = out.as_bytes()[start..]
            .windows(pair_b.len())
            .position(|w| w == pair_b);
        let Some(p) = found else { break };
        let at = start + p;
        out.replace_range(at..at + pair.len(), WILDCARD);
    }
}

/// Loghub-2.0's `correct_single_template`: the eight rules over a whole template.
///
/// ```
/// use ir_triage::correct_template;
///
/// assert_eq!(correct_template("user=root  uid=0 path /var/log/x"), "user=<*> uid=<*> path <*>");
/// assert_eq!(correct_template("blk_<*> at <*>.<*>:<*>"), "<*> at <*>:<*>");
/// ```
pub fn correct_template(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    for (i, tok) in template.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        correct_token(tok, &mut out);
    }
    out
}

fn is_hexish(s: &str) -> bool {
    s.len() >= 8
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// Whether a piece of a token is a variable by shape.
fn is_variable(core: &str) -> bool {
    let b = core.as_bytes();
    if b.is_empty() {
        return false;
    }
    let first = if b[0] == b'/' || b[0] == b'-' || b[0] == b'+' {
        b.get(1)
    } else {
        b.first()
    };
    if first.is_some_and(u8::is_ascii_digit) {
        return true;
    }
    if core.starts_with("0x") || core.starts_with("0X") {
        return true;
    }
    // Versions: v1, v0.97.
    if (b[0] == b'v' || b[0] == b'V') && b.get(1).is_some_and(u8::is_ascii_digit) {
        return true;
    }
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    // Dotted names with a digit: host names (`cp-1.slowvm1.utah.cloudlab.us`), versions.
    if digits > 0 && b.iter().filter(|c| **c == b'.').count() >= 2 {
        return true;
    }
    // Paths, a trailing slash allowed: `/latest/meta-data/`.
    let path = core.len() > 1 && core.starts_with('/') && !has_double_slash(core);
    digits >= 4 || is_hexish(core) || path
}

/// Whether a whole token (brackets and trailing punctuation aside) is one variable:
/// `10.251.73.220:50010`, `/10.250.19.102:54106`, `0.2477829`, `54fadb41...`, `1.5s`.
fn whole_token_variable(core: &str) -> bool {
    let b = core.as_bytes();
    let body = core.strip_prefix('/').unwrap_or(core);
    let starts_digit = body.as_bytes().first().is_some_and(u8::is_ascii_digit);
    // Dotted names with a digit: host names (`cp-1.slowvm1.utah.cloudlab.us`), versions.
    let dotted = b.iter().filter(|c| **c == b'.').count() >= 2 && b.iter().any(u8::is_ascii_digit);
    (starts_digit || dotted)
        && b.iter().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, b'.' | b':' | b'_' | b'/' | b'-' | b'+' | b'%' | b'@')
        })
}

/// A token needs no work when it has no digit, no `/`, no `<` and none of Loghub's user strings.
fn plain(token: &str) -> bool {
    let b = token.as_bytes();
    if b.iter()
        .any(|c| c.is_ascii_digit() || *c == b'/' || *c == b'<')
    {
        return false;
    }
    if b.len() < 4 {
        return true;
    }
    !b.windows(4).any(|w| {
        let w = [w[0] | 0x20, w[1] | 0x20, w[2] | 0x20, w[3] | 0x20];
        matches!(&w, b"true" | b"fals" | b"null" | b"root" | b"admi")
    })
}

/// Masks one whitespace-free token into `out`: variables by shape become `<*>`, then the
/// Loghub correction rules run, so mined templates compare equal to corrected labels.
pub fn mask_token(token: &str, out: &mut String) {
    if plain(token) {
        out.push_str(token);
        return;
    }
    let lead = token
        .bytes()
        .take_while(|b| matches!(b, b'[' | b'(' | b'{' | b'"' | b'\''))
        .count();
    let rest = &token[lead..];
    // A path keeps a trailing dot (`/a/part-00590.`), as Loghub's path rule does.
    let is_path_like = rest.starts_with('/');
    let trail = rest
        .bytes()
        .rev()
        .take_while(|b| {
            matches!(b, b']' | b')' | b'}' | b'"' | b'\'' | b',' | b';' | b':')
                || (*b == b'.' && !is_path_like)
        })
        .count();
    let core = &rest[..rest.len() - trail];
    // `host:port:Word`: the address is one variable, the word stays.
    if let Some(p) = core.rfind(':')
        && p + 1 < core.len()
        && core[p + 1..].bytes().all(|c| c.is_ascii_alphabetic())
        && whole_token_variable(&core[..p])
    {
        out.push_str(&token[..lead]);
        out.push_str(WILDCARD);
        out.push_str(&rest[p..]);
        return;
    }
    let url_path = core.len() > 1 && is_path_like && !core.starts_with("//");
    if !core.is_empty() && (url_path || whole_token_variable(core)) {
        // Brackets, quotes and punctuation around one variable: the correction rules leave it.
        out.push_str(&token[..lead]);
        out.push_str(WILDCARD);
        out.push_str(&rest[rest.len() - trail..]);
        return;
    }
    let mut pre = String::with_capacity(token.len() + 8);
    pre.push_str(&token[..lead]);
    {
        let chunk_delim = |b: u8| is_path_delim(b) || b == b'#';
        for piece in split_keep(core, chunk_delim) {
            if (piece.len() > 1 || !chunk_delim(piece.as_bytes()[0])) && is_variable(piece) {
                pre.push_str(WILDCARD);
                continue;
            }
            pre.push_str(piece);
        }
    }
    pre.push_str(&rest[rest.len() - trail..]);
    correct_token(&pre, out);
}

const MONTH_NAMES: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAY_NAMES: &[&str] = &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Whether a timestamp inside a message can start with `t`: a day or month name, an ISO date.
pub(crate) fn starts_timestamp(t: &str) -> bool {
    DAY_NAMES.contains(&t) || MONTH_NAMES.contains(&t) || is_iso_date(t)
}

fn is_clock(s: &str) -> bool {
    let s = s.trim_end_matches(['.', ',', ';', ')', ']']);
    let parts: Vec<&str> = s.splitn(3, ':').collect();
    parts.len() == 3
        && parts[0].len() <= 2
        && parts[1].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_digit())
        && parts[1].bytes().all(|b| b.is_ascii_digit())
        && parts[2].len() >= 2
        && parts[2].bytes().take(2).all(|b| b.is_ascii_digit())
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// How many tokens from `tokens[0]` spell one timestamp inside a message (`Fri Jun 17
/// 07:07:00 2005`, `Jun 17 07:07:00`, `2017-05-16 05:00:00`), or 0. A timestamp is one
/// variable, however many tokens it takes.
pub(crate) fn timestamp_run(tokens: &[&str]) -> usize {
    if !tokens.first().is_some_and(|t| starts_timestamp(t)) {
        return 0;
    }
    let mut i = 0;
    if tokens.first().is_some_and(|t| is_iso_date(t)) {
        return if tokens.get(1).is_some_and(|t| is_clock(t)) {
            2
        } else {
            0
        };
    }
    if tokens.first().is_some_and(|t| DAY_NAMES.contains(t)) {
        i = 1;
    }
    if !tokens.get(i).is_some_and(|t| MONTH_NAMES.contains(t)) {
        return 0;
    }
    if !tokens
        .get(i + 1)
        .is_some_and(|d| d.len() <= 2 && d.bytes().all(|b| b.is_ascii_digit()))
    {
        return 0;
    }
    if !tokens.get(i + 2).is_some_and(|t| is_clock(t)) {
        return 0;
    }
    let mut n = i + 3;
    if tokens
        .get(n)
        .is_some_and(|z| (3..=4).contains(&z.len()) && z.bytes().all(|b| b.is_ascii_uppercase()))
    {
        n += 1;
    }
    if tokens
        .get(n)
        .is_some_and(|y| y.len() >= 4 && y.bytes().take(4).all(|b| b.is_ascii_digit()))
    {
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(t: &str) -> String {
        let mut s = String::new();
        mask_token(t, &mut s);
        s
    }

    #[test]
    fn masks_variables_by_shape() {
        let table = [
            ("blk_-6952295868487656571", "<*>"),
            ("10.251.73.220:50010", "<*>"),
            ("/10.250.19.102:54106", "<*>"),
            ("rhost=218.188.2.4", "rhost=<*>"),
            ("onExtend:1514038530000", "onExtend:<*>"),
            ("uid=0", "uid=<*>"),
            ("user=root", "user=<*>"),
            ("[mice.c(123)]:", "[mice.c(<*>)]:"),
            ("b9000564-fe1a-409b-b8cc-1e88b294cd1d", "<*>"),
            ("0x7f3a", "<*>"),
            ("/var/log/nova/x.log", "<*>"),
            ("1.5s", "<*>"),
            ("(200)", "(<*>)"),
            ("L1", "L1"),
            ("eth0", "eth0"),
            ("terminating", "terminating"),
            ("'next/dist/server'", "'next/dist/server'"),
            ("req-38101a0b-2096-447d-96ea-a692162415ae", "<*>"),
            ("true", "<*>"),
            ("10.251.30.85:50010:Got", "<*>:Got"),
            ("/user/root/part-00590.", "<*>"),
            ("/user/root/part-00590,", "<*>,"),
        ];
        for (token, want) in table {
            assert_eq!(mask(token), want, "token {token:?}");
        }
    }

    #[test]
    fn correction_follows_loghub_rules() {
        assert_eq!(correct_template("a  b\tc"), "a b c");
        assert_eq!(correct_template("<*><*> <*>.<*>.<*>"), "<*> <*>");
        assert_eq!(correct_template("x<*>y <*>/<*>"), "<*> <*>/<*>");
        assert_eq!(correct_template("is False or NULL"), "is <*> or <*>");
        assert_eq!(correct_template("ver 12 in (/a/b)"), "ver <*> in (<*>)");
    }
}
