//! Debugging aid: the labelled groups of one dataset that the miner got wrong, with an example
//! message for each mined template.
//!
//! `cargo run -p ir-triage --example loghub_debug -- DIR DATASET [given]`

use std::collections::BTreeMap;
use std::path::PathBuf;

use ir_triage::{HeaderMode, MinerConfig, find_datasets, given_format, mine_dataset};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("DIR")?);
    let name = args.next().ok_or("DATASET")?;
    let given = args.next().is_some();
    let d = find_datasets(&dir)?
        .into_iter()
        .find(|d| d.name == name)
        .ok_or("no such dataset")?;
    let mode = if given {
        given_format(&name)?
    } else {
        HeaderMode::Auto
    };
    let m = mine_dataset(&d, &mode, &MinerConfig::default())?;
    let mut groups: BTreeMap<&str, BTreeMap<&str, Vec<usize>>> = BTreeMap::new();
    for (i, (t, p)) in m.truth.iter().zip(&m.templates).enumerate() {
        groups.entry(t).or_default().entry(p).or_default().push(i);
    }
    for (t, ps) in &groups {
        let ok = ps.len() == 1 && ps.keys().all(|p| p == t);
        if !ok {
            println!("TRUTH {t}");
            for (p, lines) in ps {
                println!(
                    "   {:>4}x MINED {p}\n         e.g. {}",
                    lines.len(),
                    m.messages[lines[0]]
                );
            }
        }
    }
    Ok(())
}
