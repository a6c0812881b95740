//! # ir-triage
//!
//! Log triage for incident response, usable on its own (no network, no other `ir` crate): scan
//! raw log bytes for the error texts the runbook greps for, cut each line's header off, mine
//! the messages into signatures (templates), and diff a baseline window (before the last
//! deployment) against an incident window to say what is new, spiking or gone — the runbook's
//! "focus on NEW error types or spikes".
//!
//! ```
//! use ir_triage::{DiffPolicy, HeaderMode, MinerConfig, PatternSet, Scanner, Triage, Window};
//!
//! let before = "2026-02-08T14:59:58Z INFO GET /api/items 200 in 12ms\n\
//!               2026-02-08T14:59:59Z ERROR timeout exceeded when trying to connect\n";
//! let after = "2026-02-08T15:00:01Z ERROR Error: Cannot find module '/app/lib/utils/formatDate'\r\n\
//!              2026-02-08T15:00:02Z ERROR [next-auth][error][NO_SECRET] https://next-auth.js.org/errors#no_secret\r\n\
//!              2026-02-08T15:00:03Z ERROR timeout exceeded when trying to connect";
//!
//! // Scan: which lines match the runbook's pattern sets (errors, crashes, auth, build, pool).
//! let scanner = Scanner::new(&PatternSet::defaults())?;
//! let mut triage = Triage::new(MinerConfig::default(), HeaderMode::Auto);
//! for (window, text) in [(Window::Baseline, before), (Window::Incident, after)] {
//!     scanner.scan(text.as_bytes(), |m| {
//!         // Mine: header cut off automatically, variables masked, one signature per template.
//!         triage.observe(window, m.line.number, &m.line.text());
//!     })?;
//! }
//! // Diff: what is new since the deployment.
//! let diff = triage.diff(&DiffPolicy::default());
//! let new: Vec<&str> = diff.new.iter().map(|c| c.template.as_str()).collect();
//! assert_eq!(new, [
//!     "Error: Cannot find module '<*>'",
//!     "[next-auth][error][NO_SECRET] https://next-auth.js.org/errors#no_secret",
//! ]);
//! assert!(diff.spiking.is_empty()); // 1 -> 1 is steady
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Pieces
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
