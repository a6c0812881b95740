//! Railway's answers, any status and any body, read as the answer to every operation the
//! client sends: never a panic; an answer to a query never "may have taken effect"; the value
//! a `variableUpsert` carried never shows in its error, whatever the body echoes.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// The value the upsert carried; the fuzzer finds it in the dictionary-less body by chance
/// only, so the target also plants it.
const SECRET: &str = "s3cr3t-Value-42";

const STATUSES: [u16; 10] = [200, 200, 200, 400, 401, 403, 404, 429, 500, 502];

fuzz_target!(|data: &[u8]| {
    let Some((&head, body)) = data.split_first() else {
        return;
    };
    let status = STATUSES[usize::from(head & 0x0f) % STATUSES.len()];
    let idempotent = head & 0x10 != 0;
    // Half the inputs carry the secret inside a GraphQL error message, raw or escaped.
    let planted;
    let body = if head & 0x20 != 0 {
        let text = String::from_utf8_lossy(body);
        let value = if head & 0x40 != 0 {
            SECRET.to_owned()
        } else {
            serde_json::to_string(SECRET).unwrap_or_default()
        };
        planted = format!(r#"{{"errors":[{{"message":"{text} {value}"}}]}}"#);
        planted.as_bytes()
    } else {
        body
    };
    let results = ir_railway::fuzzing::decode_all(status, body, idempotent, SECRET);
    for (i, result) in results.iter().enumerate() {
        if let Err(e) = result {
            if idempotent {
                assert!(!e.may_have_taken_effect(), "op {i}: {e:?}");
            }
            let _ = e.to_string();
        }
    }
    // The 8th operation is `variableUpsert`, which carried SECRET.
    if let Some(Err(e)) = results.get(7) {
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(SECRET), "{shown}");
    }
});
