//! `Miner` fed arbitrary lines, with a tiny signature cap so eviction runs constantly.
#![no_main]

use ir_triage::{Miner, MinerConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let config = MinerConfig {
        max_signatures: 8,
        max_message: 256,
        max_tokens: 16,
        ..MinerConfig::default()
    };
    let mut miner = Miner::new(config.clone());
    let mut again = Miner::new(config);
    for line in text.lines() {
        let id = miner.add(line);
        // The signature a message just joined is held, and the cap holds.
        assert!(miner.template(id).is_some());
        assert!(miner.len() <= 8);
        // Deterministic: a second miner fed the same lines gives the same ids.
        assert_eq!(again.add(line), id);
    }
});
