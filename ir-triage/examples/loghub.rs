//! Scores the miner on every dataset of a directory laid out like Loghub's `loghub2k/`:
//! grouping accuracy (GA), parsing accuracy (PA) and F1 of grouping accuracy (FGA), as
//! Loghub-2.0 defines them, once with automatic headers and once with Loghub's given formats,
//! with one miner configuration for all datasets.
//!
//! ```text
//! cargo run --release -p ir-triage --example loghub -- [DIR]
//! ```
//! `DIR` defaults to `$IR_LOGHUB_DIR`, else `../shared/data/loghub2k` from the workspace root.

use std::path::PathBuf;
use std::process::ExitCode;

use ir_triage::{HeaderMode, MinerConfig, find_datasets, given_format, score_dataset};

fn default_dir() -> PathBuf {
    std::env::var_os("IR_LOGHUB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/loghub2k")
        })
}

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(default_dir);
    let datasets = match find_datasets(&dir) {
        Ok(d) if !d.is_empty() => d,
        Ok(_) => {
            eprintln!("no Loghub datasets in {}", dir.display());
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("{}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    let config = MinerConfig::default();
    println!("miner configuration (all datasets): {config:?}");
    for (label, given) in [("automatic headers", false), ("given header formats", true)] {
        println!("\n{label}");
        println!(
            "{:<12} {:>6} {:>6} {:>6} {:>6} {:>9} {:>7}",
            "dataset", "lines", "GA", "PA", "FGA", "templates", "mined"
        );
        let (mut ga, mut pa, mut fga, mut n) = (0.0, 0.0, 0.0, 0.0);
        for d in &datasets {
            let mode = if given {
                match given_format(&d.name) {
                    Ok(m) => m,
                    Err(e) => {
                        eprintln!("{}: {e}", d.name);
                        return ExitCode::FAILURE;
                    }
                }
            } else {
                HeaderMode::Auto
            };
            match score_dataset(d, &mode, &config) {
                Ok(s) => {
                    println!(
                        "{:<12} {:>6} {:>6.3} {:>6.3} {:>6.3} {:>9} {:>7}",
                        s.name, s.lines, s.ga, s.pa, s.fga, s.truth_templates, s.mined_templates
                    );
                    ga += s.ga;
                    pa += s.pa;
                    fga += s.fga;
                    n += 1.0;
                }
                Err(e) => {
                    eprintln!("{}: {e}", d.name);
                    return ExitCode::FAILURE;
                }
            }
        }
        println!(
            "{:<12} {:>6} {:>6.3} {:>6.3} {:>6.3}",
            "mean",
            "",
            ga / n,
            pa / n,
            fga / n
        );
    }
    ExitCode::SUCCESS
}
