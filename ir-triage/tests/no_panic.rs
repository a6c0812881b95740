//! Library code never panics on input: arbitrary bytes and strings through every entry point.

use ir_triage::{
    HeaderFormat, HeaderMode, LineReader, Miner, MinerConfig, PatternSet, Scanner, Triage, Window,
    correct_template, extract_auto,
};
use proptest::prelude::*;

/// Strings mixing header-like pieces, delimiters, digits and multi-byte characters.
fn logish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("2017-05-16".to_owned()),
        Just("00:00:00.008".to_owned()),
        Just("Jun".to_owned()),
        Just("14".to_owned()),
        Just("[req-1 - -]".to_owned()),
        Just("INFO".to_owned()),
        Just("é".to_owned()),
        Just("日本".to_owned()),
        Just("<*>".to_owned()),
        Just("{\"msg\":".to_owned()),
        Just("msg=\"".to_owned()),
        Just("|".to_owned()),
        Just("HTTP/1.1\"".to_owned()),
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ];
    prop::collection::vec(piece, 0..16).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn scanner_and_reader_take_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600), cap in 1usize..64, buf in 1usize..128) {
        let s = Scanner::with_limits(&PatternSet::defaults(), cap, buf).unwrap();
        let _ = s.scan(&bytes[..], |m| { let _ = m.line.text(); }).unwrap();
        let _ = s.count(&bytes[..]).unwrap();
        let mut r = LineReader::with_limits(&bytes[..], cap, buf);
        while let Some(l) = r.next_line().unwrap() {
            prop_assert!(l.bytes.len() <= cap);
        }
    }

    #[test]
    fn header_miner_and_diff_take_any_text(lines in prop::collection::vec(logish(), 1..24)) {
        let format = HeaderFormat::parse("<Date> <Time> <Pid> <Level> <Component>: <Content>").unwrap();
        let mut miner = Miner::new(MinerConfig { max_signatures: 8, max_tokens: 6, max_message: 40, ..MinerConfig::default() });
        let mut t = Triage::new(MinerConfig::default(), HeaderMode::Format(format.clone()));
        for (i, line) in lines.iter().enumerate() {
            let e = extract_auto(line);
            let _ = format.extract(line);
            let id = miner.add(&e.message);
            let _ = miner.template(id).map(|t| correct_template(&t));
            t.observe(if i % 2 == 0 { Window::Baseline } else { Window::Incident }, i as u64, line);
        }
        let _ = t.diff(&Default::default());
        prop_assert!(miner.len() <= 8);
    }
}
