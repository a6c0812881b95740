//! The crate's one error type.

use std::fmt;

/// Why a triage operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The pattern sets could not be compiled (too many sets, or the automaton is too large).
    Patterns(String),
    /// An explicit header format could not be turned into a matcher.
    HeaderFormat(String),
    /// Reading the input failed.
    Io(std::io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Patterns(m) => write!(f, "building the pattern scanner: {m}"),
            Self::HeaderFormat(m) => write!(f, "parsing the header format: {m}"),
            Self::Io(_) => f.write_str("reading the log input"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}
