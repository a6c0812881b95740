//! Redaction by pattern and by value: never a panic, and no known secret (of at least the
//! minimum length) survives in any form `Secrets` documents, wherever the input puts it.
//!
//! Input: up to three secrets and a text, separated by `\u{1}`; bytes of the text above 0xF0
//! after a `\u{2}` plant a form of a secret there (the fuzzer could not guess a base64 form).
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use ir_core::redact::{Secrets, redact};
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;

/// The forms of `value` the target checks (a test oracle written apart from ir-core's).
fn forms(value: &str) -> Vec<String> {
    let json = serde_json::to_string(value).unwrap_or_default();
    let json = json[1..json.len() - 1].to_owned();
    let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    vec![
        value.to_owned(),
        json.clone(),
        json.replace('/', "\\/"),
        form,
        STANDARD.encode(value),
        STANDARD_NO_PAD.encode(value),
        URL_SAFE.encode(value),
        URL_SAFE_NO_PAD.encode(value),
        // The password part of `Basic base64(user:password)`, at offset 2 of 3 ("ab:").
        STANDARD.encode(format!("ab:{value}")),
    ]
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let mut parts = input.split('\u{1}');
    let Some(first) = parts.next() else {
        return;
    };
    let rest: Vec<&str> = parts.collect();
    let (values, text) = match rest.split_last() {
        Some((text, values)) => {
            let mut all = vec![first];
            all.extend_from_slice(values);
            all.truncate(3);
            (all, *text)
        }
        None => (Vec::new(), first),
    };
    // Patterns alone, on anything.
    let _ = redact(text);
    let _ = ir_core::redact::redact_url(text);

    let secrets = Secrets::new();
    let known: Vec<&str> = values
        .iter()
        .copied()
        .filter(|v| secrets.add(&SecretString::from(v.to_string())))
        .collect();
    // Plant forms where the text asks for them.
    let mut planted = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{2}' && !known.is_empty() {
            let pick = chars.next().map_or(0, |c| c as usize);
            let value = known[pick % known.len()];
            let all = forms(value);
            planted.push_str(&all[(pick / known.len()) % all.len()]);
        } else {
            planted.push(c);
        }
    }
    let out = secrets.redact(&planted);
    for value in &known {
        for form in forms(value) {
            assert!(!out.contains(&form), "{form:?} survived in {out:?}");
        }
    }
    // Clean text comes back as it was.
    if known.is_empty() {
        assert_eq!(secrets.scrub(&planted), planted.as_str());
    }
});
