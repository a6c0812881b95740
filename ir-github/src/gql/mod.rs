//! Every GraphQL operation the client sends, one `.graphql` file each, written against GitHub's
//! public schema. `tests/schema.rs` validates every file in this folder against that schema,
//! read from `../shared/data/github/graphql/schema.graphql`.

/// One GraphQL operation: its name (sent as `operationName`), the root field it selects (the
/// operation name in spans and errors), its document, and whether repeating it is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operation {
    pub name: &'static str,
    pub root_field: &'static str,
    pub document: &'static str,
    pub idempotent: bool,
}

// A repeated revert opens another pull request: never retried after a timeout.
pub(crate) const REVERT_PULL_REQUEST: Operation = Operation {
    name: "RevertPullRequest",
    root_field: "revertPullRequest",
    document: include_str!("RevertPullRequest.graphql"),
    idempotent: false,
};
