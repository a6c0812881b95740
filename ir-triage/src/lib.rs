//! # ir-triage
//!
//! Log triage for incident response, usable on its own: scan raw log bytes for the error texts
//! the runbook greps for, cut each line's header off, mine the messages into signatures
//! (templates), and diff a baseline window against an incident window to say what is new,
//! spiking or gone.
//!
//! ```
//! use ir_triage::{PatternSet, Scanner};
//!
//! let scanner = Scanner::new(&PatternSet::defaults())?;
//! let stats = scanner.count(&b"ok\nError: Cannot find module 'next'\n"[..])?;
//! assert_eq!(stats.matched_lines, 1);
//! # Ok::<(), ir_triage::Error>(())
//! ```

mod diff;
mod error;
mod header;
mod lines;
mod loghub;
mod mask;
mod miner;
mod patterns;
mod scan;

pub use diff::{Change, ChangeKind, Diff, DiffPolicy, Redactor, Triage, Window, WindowStat};
pub use error::Error;
pub use header::{Extracted, HeaderFormat, HeaderMode, extract_auto};
pub use lines::{DEFAULT_BUFFER, DEFAULT_MAX_LINE, Line, LineReader, LineStats};
pub use loghub::{
    DatasetScore, LoghubDataset, MinedDataset, find_datasets, given_format, grouping_accuracy,
    loghub_format, mine_dataset, parsing_accuracy, score_dataset,
};
pub use mask::{WILDCARD, correct_template, correct_token, mask_token};
pub use miner::{Miner, MinerConfig, Signature, SignatureId};
pub use patterns::PatternSet;
pub use scan::{MAX_SETS, ScanMatch, ScanStats, Scanner, SetMask};
