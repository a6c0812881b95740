//! Header extraction over arbitrary text: `extract_auto`, and a Loghub format falling back to it.
#![no_main]

use std::sync::OnceLock;

use ir_triage::{HeaderFormat, HeaderMode, extract_auto};
use libfuzzer_sys::fuzz_target;

fn format() -> Option<&'static HeaderMode> {
    static F: OnceLock<Option<HeaderMode>> = OnceLock::new();
    F.get_or_init(|| {
        HeaderFormat::parse("<Date> <Time> <Pid> <Level> <Component>: <Content>")
            .ok()
            .map(HeaderMode::Format)
    })
    .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let auto = extract_auto(&line);
    // Deterministic: the same line splits the same way.
    assert_eq!(auto, extract_auto(&line));
    if let Some(mode) = format() {
        let _ = mode.extract(&line);
    }
    let _ = HeaderMode::None.extract(&line);
});
