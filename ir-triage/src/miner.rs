//! Online signature mining: a Drain-style fixed-depth prefix tree over masked tokens.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::mask::{
    WILDCARD, correct_token, has_wildcard, is_path_delim, mask_token, starts_timestamp,
    timestamp_run,
};

/// FNV-1a: the tree's keys are short strings, where SipHash's setup dominates.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Letters only: a word of the message's wording rather than a value.
fn is_word(t: &str) -> bool {
    let t = t.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphabetic())
}

/// `HTTP/1.1"` and the like: what follows the protocol (a closing quote), when `tok` is one.
fn http_version_suffix(tok: &str) -> Option<&str> {
    let rest = tok.strip_prefix("HTTP/")?;
    let n = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    (n > 0).then(|| &rest[n..])
}

/// Two different tokens at one position: when their delimiters (Loghub's reduced set) are the
/// same, only the differing text between them becomes `<*>` — `rhost=<*>` and `rhost=h.example`
/// give `rhost=<*>`, `()` and `(name)` give `(<*>)`; otherwise the whole token does.
fn merge_tokens(a: &str, b: &str) -> String {
    fn slots(s: &str) -> (Vec<u8>, Vec<&str>) {
        let mut delims = Vec::new();
        let mut texts = Vec::new();
        let mut start = 0;
        for (i, c) in s.bytes().enumerate() {
            if is_path_delim(c) {
                delims.push(c);
                texts.push(&s[start..i]);
                start = i + 1;
            }
        }
        texts.push(&s[start..]);
        (delims, texts)
    }
    let (da, ta) = slots(a);
    let (db, tb) = slots(b);
    if da != db {
        return WILDCARD.to_owned();
    }
    let mut joined = String::with_capacity(a.len().max(b.len()));
    for (i, (x, y)) in ta.iter().zip(&tb).enumerate() {
        if i > 0 {
            joined.push(char::from(da[i - 1]));
        }
        joined.push_str(if x == y { x } else { WILDCARD });
    }
    let mut out = String::with_capacity(joined.len());
    correct_token(&joined, &mut out);
    out
}

/// The identity of a mined signature. Stable for the miner's life, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SignatureId(pub u64);

/// The miner's one configuration, the same for every input.
#[derive(Debug, Clone, PartialEq)]
pub struct MinerConfig {
    /// A message joins the most similar signature of its length and prefix when at least this
    /// share of its tokens equal the signature's (wildcards agreeing with wildcards count).
    pub similarity: f64,
    /// How many leading tokens route a message in the tree (Drain's depth minus two).
    pub prefix_tokens: usize,
    /// The most signatures kept; beyond it the least recently used are evicted.
    pub max_signatures: usize,
    /// Messages are cut to this many bytes before mining.
    pub max_message: usize,
    /// Messages are cut to this many tokens; the rest becomes one trailing wildcard.
    pub max_tokens: usize,
    /// Two different plain words (letters only) at one position never merge: `VM Paused` and
    /// `VM Resumed` are two signatures, not `VM <*>`. Variables rarely are bare words.
    pub distinct_words: bool,
}

impl Default for MinerConfig {
    fn default() -> Self {
        Self {
            similarity: 0.5,
            prefix_tokens: 2,
            max_signatures: 20_000,
            max_message: 4096,
            max_tokens: 80,
            distinct_words: true,
        }
    }
}

/// A mined signature: its template and how many messages it has absorbed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    id: SignatureId,
    tokens: Vec<Box<str>>,
    size: u64,
    last_used: u64,
}

impl Signature {
    /// The signature's identity.
    pub fn id(&self) -> SignatureId {
        self.id
    }

    /// The template, tokens joined by single spaces, variables as `<*>`.
    pub fn template(&self) -> String {
        self.tokens.join(" ")
    }

    /// How many messages matched it.
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// One pass, online, deterministic template miner (after Drain, He et al., ICWS 2017).
///
/// Each message is masked ([`mask_token`](crate::mask_token)), routed by its token count and
/// first tokens, and joined to the most similar signature in that leaf, or starts a new one.
/// Joining turns the positions where they differ into `<*>`. Memory is bounded by
/// [`MinerConfig::max_signatures`], `max_message` and `max_tokens`.
///
/// ```
/// use ir_triage::{Miner, MinerConfig};
///
/// let mut miner = Miner::new(MinerConfig::default());
/// let a = miner.add("Received block blk_1 of size 67108864 from /10.250.19.102");
/// let b = miner.add("Received block blk_-2 of size 512 from /10.250.10.6");
/// assert_eq!(a, b);
/// assert_eq!(miner.template(a).as_deref(), Some("Received block <*> of size <*> from <*>"));
/// ```
#[derive(Debug)]
pub struct Miner {
    config: MinerConfig,
    tree: FnvMap<String, Vec<usize>>,
    slots: Vec<Option<Signature>>,
    free: Vec<usize>,
    by_id: FnvMap<u64, usize>,
    live: usize,
    next_id: u64,
    tick: u64,
    evicted: u64,
    masked: String,
    spans: Vec<(usize, usize)>,
    raw: Vec<(usize, usize)>,
    key: String,
}

impl Miner {
    /// A miner with `config`.
    pub fn new(config: MinerConfig) -> Self {
        Self {
            config,
            tree: FnvMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            by_id: FnvMap::default(),
            live: 0,
            next_id: 0,
            tick: 0,
            evicted: 0,
            masked: String::new(),
            spans: Vec::new(),
            raw: Vec::new(),
            key: String::new(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &MinerConfig {
        &self.config
    }

    /// Signatures currently held.
    pub fn len(&self) -> usize {
        self.live
    }

    /// No signature yet.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Signatures evicted so far to stay under the cap.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The signature `id`, unless it was evicted.
    pub fn signature(&self, id: SignatureId) -> Option<&Signature> {
        let slot = *self.by_id.get(&id.0)?;
        self.slots.get(slot)?.as_ref()
    }

    /// The current template of `id`, unless it was evicted.
    pub fn template(&self, id: SignatureId) -> Option<String> {
        self.signature(id).map(Signature::template)
    }

    /// All signatures held, in no particular order.
    pub fn signatures(&self) -> impl Iterator<Item = &Signature> {
        self.slots.iter().flatten()
    }

    /// Mines one message (header already removed) and returns its signature.
    pub fn add(&mut self, message: &str) -> SignatureId {
        self.tick += 1;
        self.tokenize(message);
        self.build_key();
        let best = self.best_match();
        let id = match best {
            Some(slot) => self.merge(slot),
            None => self.create(),
        };
        if self.live > self.config.max_signatures {
            self.evict();
        }
        id
    }

    fn tokenize(&mut self, message: &str) {
        let mut cut = message.len().min(self.config.max_message);
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        let message = &message[..cut];
        self.masked.clear();
        self.spans.clear();
        let mut truncated = false;
        self.raw.clear();
        let base = message.as_ptr() as usize;
        self.raw.extend(
            message
                .split_ascii_whitespace()
                .map(|t| (t.as_ptr() as usize - base, t.len())),
        );
        let tok = |k: usize, raw: &[(usize, usize)]| raw.get(k).map(|&(s, n)| &message[s..s + n]);
        let mut i = 0;
        while i < self.raw.len() {
            if self.spans.len() + 1 >= self.config.max_tokens {
                truncated = true;
                break;
            }
            let start = self.masked.len();
            let Some(current) = tok(i, &self.raw) else {
                break;
            };
            let run = if starts_timestamp(current) {
                let window: Vec<&str> = (i..i + 7).filter_map(|k| tok(k, &self.raw)).collect();
                timestamp_run(&window)
            } else {
                0
            };
            if run > 0 {
                // One variable for the whole timestamp, keeping its trailing punctuation.
                let Some(last) = tok(i + run - 1, &self.raw) else {
                    break;
                };
                let trail = last.len() - last.trim_end_matches(['.', ',', ';', ')', ']']).len();
                self.masked.push_str(WILDCARD);
                self.masked.push_str(&last[last.len() - trail..]);
                i += run;
            } else {
                let tok = current;
                // A request line's path and protocol are one variable: "GET <*>".
                if let Some(rest) = http_version_suffix(tok)
                    && let Some(&(ps, pe)) = self.spans.last()
                    && &self.masked[ps..pe] == WILDCARD
                {
                    self.masked.push_str(rest);
                    self.spans.pop();
                    let start = ps;
                    self.spans.push((start, self.masked.len()));
                    i += 1;
                    continue;
                }
                mask_token(tok, &mut self.masked);
                i += 1;
            }
            self.spans.push((start, self.masked.len()));
        }
        if truncated {
            let start = self.masked.len();
            self.masked.push_str(WILDCARD);
            self.spans.push((start, self.masked.len()));
        }
    }

    fn build_key(&mut self) {
        use std::fmt::Write;
        self.key.clear();
        let _ = write!(self.key, "{}", self.spans.len());
        for &(s, e) in self.spans.iter().take(self.config.prefix_tokens) {
            self.key.push('\u{1f}');
            let t = &self.masked[s..e];
            // A token holding a variable routes to the wildcard branch, as in Drain.
            self.key
                .push_str(if has_wildcard(t) { WILDCARD } else { t });
        }
    }

    fn best_match(&self) -> Option<usize> {
        let leaf = self.tree.get(&self.key)?;
        let n = self.spans.len();
        let mut best: Option<(usize, usize, usize)> = None; // (slot, equal, wildcards)
        for &slot in leaf {
            let Some(sig) = self.slots.get(slot).and_then(Option::as_ref) else {
                continue;
            };
            let mut equal = 0;
            let mut wild = 0;
            let mut conflict = false;
            for (t, &(s, e)) in sig.tokens.iter().zip(&self.spans) {
                let m = &self.masked[s..e];
                if &**t == WILDCARD {
                    wild += 1;
                    if m == WILDCARD {
                        equal += 1;
                    }
                } else if **t == *m {
                    equal += 1;
                } else if self.config.distinct_words && is_word(t) && is_word(m) {
                    conflict = true;
                    break;
                }
            }
            if conflict {
                continue;
            }
            let better = match best {
                None => true,
                Some((_, be, bw)) => equal > be || (equal == be && wild > bw),
            };
            if better {
                best = Some((slot, equal, wild));
            }
        }
        let (slot, equal, _) = best?;
        let sim = if n == 0 { 1.0 } else { equal as f64 / n as f64 };
        (sim >= self.config.similarity).then_some(slot)
    }

    fn merge(&mut self, slot: usize) -> SignatureId {
        let tick = self.tick;
        let masked = &self.masked;
        let spans = &self.spans;
        let Some(sig) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
            return self.create();
        };
        for (t, &(s, e)) in sig.tokens.iter_mut().zip(spans) {
            if **t != masked[s..e] && &**t != WILDCARD {
                *t = merge_tokens(t, &masked[s..e]).into();
            }
        }
        sig.size += 1;
        sig.last_used = tick;
        sig.id
    }

    fn create(&mut self) -> SignatureId {
        let id = SignatureId(self.next_id);
        self.next_id += 1;
        let sig = Signature {
            id,
            tokens: self
                .spans
                .iter()
                .map(|&(s, e)| self.masked[s..e].into())
                .collect(),
            size: 1,
            last_used: self.tick,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some(sig);
                slot
            }
            None => {
                self.slots.push(Some(sig));
                self.slots.len() - 1
            }
        };
        self.by_id.insert(id.0, slot);
        self.tree.entry(self.key.clone()).or_default().push(slot);
        self.live += 1;
        id
    }

    /// Drops the least recently used tenth of the signatures, so eviction costs little per line.
    fn evict(&mut self) {
        let target = self.config.max_signatures - self.config.max_signatures / 10;
        let mut ages: Vec<(u64, usize)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (s.last_used, i)))
            .collect();
        ages.sort_unstable();
        let drop = ages.len().saturating_sub(target);
        let mut dropped = vec![false; self.slots.len()];
        for &(_, slot) in ages.iter().take(drop) {
            if let Some(sig) = self.slots[slot].take() {
                self.by_id.remove(&sig.id.0);
                dropped[slot] = true;
                self.free.push(slot);
                self.live -= 1;
                self.evicted += 1;
            }
        }
        self.tree.retain(|_, leaf| {
            leaf.retain(|s| !dropped[*s]);
            !leaf.is_empty()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_generalises() {
        let mut m = Miner::new(MinerConfig::default());
        let a = m.add("PacketResponder 1 for block blk_38865049064139660 terminating");
        let b = m.add("PacketResponder 0 for block blk_-6952295868487656571 terminating");
        let c = m.add("Verification succeeded for blk_-4980916519894289629");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            m.template(a).as_deref(),
            Some("PacketResponder <*> for block <*> terminating")
        );
        assert_eq!(m.signature(a).map(Signature::size), Some(2));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn differing_tokens_merge_between_equal_delimiters() {
        assert_eq!(merge_tokens("()", "(host.example)"), "(<*>)");
        assert_eq!(merge_tokens("rhost=<*>", "rhost=h.example"), "rhost=<*>");
        assert_eq!(merge_tokens("tty=NODEVssh", "tty=:<*>"), "<*>");
        assert_eq!(merge_tokens("(uid=<*>)", "LOGIN(uid=<*>)"), "<*>(uid=<*>)");
    }

    #[test]
    fn distinct_words_stay_apart() {
        let mut m = Miner::new(MinerConfig::default());
        let a = m.add("[instance: 7] VM Paused (Lifecycle Event)");
        let b = m.add("[instance: 8] VM Resumed (Lifecycle Event)");
        assert_ne!(a, b);
        let mut loose = Miner::new(MinerConfig {
            distinct_words: false,
            ..MinerConfig::default()
        });
        let a = loose.add("[instance: 7] VM Paused (Lifecycle Event)");
        let b = loose.add("[instance: 8] VM Resumed (Lifecycle Event)");
        assert_eq!(a, b);
        assert_eq!(
            loose.template(a).as_deref(),
            Some("[instance: <*>] VM <*> (Lifecycle Event)")
        );
    }

    #[test]
    fn deterministic() {
        let lines = ["a b c", "a b d", "x 1 2", "a q d", "x 3 4"];
        let run = || {
            let mut m = Miner::new(MinerConfig::default());
            lines.iter().map(|l| m.add(l)).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn signatures_are_capped_by_evicting_the_least_recently_used() {
        let config = MinerConfig {
            max_signatures: 10,
            ..MinerConfig::default()
        };
        let mut m = Miner::new(config);
        let keep = m.add("always here");
        for i in 0..100 {
            m.add(&format!(
                "distinct{} words only{}",
                "x".repeat(i % 50 + 1),
                "y".repeat(i)
            ));
            m.add("always here");
        }
        assert!(m.len() <= 10);
        assert!(m.evicted() > 0);
        assert!(m.template(keep).is_some());
    }

    #[test]
    fn long_messages_are_cut() {
        let mut m = Miner::new(MinerConfig {
            max_tokens: 4,
            ..MinerConfig::default()
        });
        let id = m.add("a b c d e f g");
        assert_eq!(m.template(id).as_deref(), Some("a b c <*>"));
        let huge = "é".repeat(10_000);
        let id = m.add(&huge);
        assert!(m.template(id).is_some_and(|t| t.len() <= 4096));
    }
}
