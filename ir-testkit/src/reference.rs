//! [`read_reference`]: reference data (a provider's published schema, labelled logs) read from
//! `shared/` beside the workspace rather than vendored into the repository.

use std::path::Path;

/// The text of a reference file: from the path in the environment variable `var` when it is
/// set (a missing file is then a failure), else from `default_path`. When neither can be read,
/// prints `NOT RUN: <test>: ...` to stderr, saying where it looked and how to provide the
/// file, and returns `None`, so a checkout without `shared/` passes but says so loudly.
///
/// ```
/// let text = ir_testkit::read_reference("/nonexistent/schema.json", "IR_DOC_SCHEMA", "doc");
/// assert!(text.is_none());
/// ```
///
/// # Panics
/// When `var` is set and names a file that cannot be read.
pub fn read_reference(default_path: &str, var: &str, test: &str) -> Option<String> {
    if let Some(path) = std::env::var_os(var) {
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{var}={}: {e}", Path::new(&path).display()));
        return Some(text);
    }
    match std::fs::read_to_string(default_path) {
        Ok(text) => Some(text),
        Err(e) => {
            eprintln!(
                "NOT RUN: {test}: nothing at {default_path} ({e}); check out `shared` beside \
                 the workspace or set {var}=<path>"
            );
            None
        }
    }
}
