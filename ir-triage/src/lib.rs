#![doc = include_str!("../README.md")]
//!
//! ## Entry points
//! - [`Scanner`] over [`PatternSet`]s: case-insensitive multi-pattern search of raw bytes
//!   through one bounded buffer ([`LineReader`] for plain line splitting).
//! - [`extract_auto`] / [`HeaderMode`] / [`HeaderFormat`]: the message behind a line's header.
//! - [`Miner`]: online, deterministic, bounded Drain-style signature mining, with masking
//!   ([`mask_token`]) and Loghub-2.0's template correction ([`correct_template`]).
//! - [`Triage`] and [`Diff`]: baseline vs incident, with a [`Redactor`] hook for example lines.
//! - [`score_dataset`] and friends: GA, PA and FGA on Loghub-style labelled datasets.

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
