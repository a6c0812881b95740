//! What enters a record is scrubbed: every string of every event (notes, action errors and
//! details, messages, evidence), by the exact values the run generated or read and by the
//! credential patterns of [`crate::redact`].

use std::sync::{Arc, Mutex, PoisonError};

use secrecy::{ExposeSecret, SecretString};

use crate::incident::EventKind;
use crate::redact::{REDACTED, redact_in_place};

/// Values shorter than this are not scrubbed by value (they would hit ordinary words); the
/// patterns still apply.
const MIN_LEN: usize = 6;

/// The values a run knows to be secret, shared by its journal and its logging.
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    known: Arc<Mutex<Vec<SecretString>>>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.known.lock().map_or(0, |k| k.len());
        write!(f, "Scrubber({n} known values)")
    }
}

impl Scrubber {
    /// Scrubs `value` from everything recorded from now on.
    pub(crate) fn add(&self, value: &SecretString) {
        let v = value.expose_secret();
        if v.len() < MIN_LEN {
            return;
        }
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if !known.iter().any(|k| k.expose_secret() == v) {
            known.push(value.clone());
        }
    }

    /// `text` without any known value or credential pattern.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        self.scrub_in_place(&mut out);
        out
    }

    /// [`Scrubber::scrub`] in place; returns whether anything changed.
    fn scrub_in_place(&self, text: &mut String) -> bool {
        let original = text.clone();
        {
            let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
            for value in known.iter() {
                for form in forms(value.expose_secret()) {
                    if text.contains(form.as_str()) {
                        *text = text.replace(form.as_str(), REDACTED);
                    }
                }
            }
        }
        redact_in_place(text);
        *text != original
    }

    /// `kind` with every string it holds scrubbed. An event with nothing to scrub is returned
    /// as it was.
    pub(crate) fn scrub_event(&self, kind: EventKind) -> EventKind {
        let Ok(mut value) = serde_json::to_value(&kind) else {
            return kind;
        };
        if !self.walk(&mut value) {
            return kind;
        }
        serde_json::from_value(value).unwrap_or(kind)
    }

    fn walk(&self, value: &mut serde_json::Value) -> bool {
        use serde_json::Value;
        match value {
            Value::String(s) => self.scrub_in_place(s),
            Value::Array(items) => items.iter_mut().fold(false, |c, v| self.walk(v) | c),
            Value::Object(map) => map.values_mut().fold(false, |c, v| self.walk(v) | c),
            Value::Null | Value::Bool(_) | Value::Number(_) => false,
        }
    }
}

/// The forms a value takes in text: as it is, JSON-escaped, and percent-encoded.
fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_owned()];
    if let Ok(json) = serde_json::to_string(value) {
        let escaped = json.trim_matches('"').to_owned();
        if !out.contains(&escaped) {
            out.push(escaped);
        }
    }
    let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    if !out.contains(&encoded) {
        out.push(encoded);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_and_patterns_are_scrubbed_from_every_string_of_an_event() {
        let s = Scrubber::default();
        s.add(&SecretString::from("Zm9vYmFyYmF6+/="));
        s.add(&SecretString::from("abc")); // too short to scrub by value
        let kind = EventKind::ActionFailed {
            key: crate::model::IdempotencyKey::new("k"),
            kind: crate::error::ErrorKind::InvalidInput,
            error: "refused value \"Zm9vYmFyYmF6+/=\" (Zm9vYmFyYmF6%2B%2F%3D) via \
                    https://u:hunter22@db/x; abc"
                .into(),
        };
        let EventKind::ActionFailed { error, .. } = s.scrub_event(kind) else {
            panic!("kind changed");
        };
        assert!(!error.contains("Zm9vYmFyYmF6"), "{error}");
        assert!(!error.contains("hunter22"), "{error}");
        assert!(error.contains("abc"), "{error}");
        let note = EventKind::note("nothing secret here");
        assert_eq!(s.scrub_event(note.clone()), note);
    }
}
