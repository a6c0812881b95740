//! Checks every GraphQL adapter runs on its own documents: each `.graphql` file of a crate
//! is one named operation, valid against the provider's published schema, selecting the root
//! field the client code assumes. Reference schemas are read, never vendored
//! ([`read_reference`](crate::read_reference)).

use std::path::Path;

use apollo_compiler::Schema;
use apollo_compiler::executable::{ExecutableDocument, OperationType};
use apollo_compiler::validation::Valid;

/// What the client code assumes of one document: its operation name, its one root field, and
/// whether it is a query or a mutation.
pub type ExpectedOperation = (&'static str, &'static str, OperationType);

/// Every `*.graphql` file under `dir` as `(file stem, text)`, sorted by name.
///
/// # Panics
/// When the directory or a file cannot be read (a test aid: the failure is the report).
pub fn operations(dir: &Path) -> Vec<(String, String)> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut files: Vec<(String, String)> = entries
        .map(|entry| {
            entry
                .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
                .path()
        })
        .filter(|path| path.extension().is_some_and(|e| e == "graphql"))
        .map(|path| {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            (name, text)
        })
        .collect();
    files.sort();
    files
}

/// Checks that the documents in `dir` are exactly `expected` (by name, in order), that each
/// is valid against `schema`, holds one operation of the expected name and kind, and selects
/// the expected root field. `provider` names the schema in failure messages.
///
/// # Panics
/// On the first document that breaks a rule, naming the file and the rule.
pub fn check_operations(
    schema: &Valid<Schema>,
    provider: &str,
    dir: &Path,
    expected: &[ExpectedOperation],
) {
    let ops = operations(dir);
    let names: Vec<&str> = ops.iter().map(|(n, _)| n.as_str()).collect();
    let wanted: Vec<&str> = expected.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(
        names, wanted,
        "every .graphql file is listed in the expectations"
    );
    for ((file, text), (name, root_field, kind)) in ops.iter().zip(expected) {
        let doc = ExecutableDocument::parse_and_validate(
            schema,
            text.as_str(),
            format!("{file}.graphql"),
        )
        .unwrap_or_else(|e| {
            panic!(
                "{file}.graphql is not valid against {provider}'s schema:\n{}",
                e.errors
            )
        });
        let operations: Vec<_> = doc.operations.iter().collect();
        assert_eq!(operations.len(), 1, "{file}: one operation per file");
        let op = operations[0];
        assert_eq!(
            op.name.as_ref().map(|n| n.as_str()),
            Some(*name),
            "{file}: operation name"
        );
        assert_eq!(op.operation_type, *kind, "{file}: query or mutation");
        let roots: Vec<&str> = op.root_fields(&doc).map(|f| f.name.as_str()).collect();
        assert_eq!(roots, [*root_field], "{file}: root field");
    }
}
