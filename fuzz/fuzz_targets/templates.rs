//! The comms templates with arbitrary user overrides: an override that does not compile or
//! render is an error, never a panic, and a template that compiles renders its message.
#![no_main]

use ir_core::comms::Templates;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, source)) = data.split_first() else {
        return;
    };
    let name = Templates::NAMES[usize::from(which) % Templates::NAMES.len()];
    let source = String::from_utf8_lossy(source).into_owned();
    // A name that is not a template is refused too.
    let name = if which == 0xff {
        "no_such_template"
    } else {
        name
    };
    if let Ok(templates) = Templates::builtin().with_override(name, source) {
        assert!(templates.overridden().any(|n| n == name));
    }
});
