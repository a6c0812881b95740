//! Every GraphQL document in `src/gql/*.graphql` is valid against GitHub's public schema
//! (octokit/graphql-schema `schema.graphql`).
//!
//! The schema is reference data, read rather than vendored: from `IR_GITHUB_SCHEMA` when set
//! (a missing file is then a failure), else from `../shared/data/github/graphql/schema.graphql`
//! beside the workspace. When neither is found each test prints a `NOT RUN:` line to stderr and
//! returns, so a bare clone still passes but says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use apollo_compiler::Schema;
use apollo_compiler::executable::{ExecutableDocument, OperationType};
use apollo_compiler::validation::Valid;
use ir_testkit::graphql::{ExpectedOperation, check_operations};

/// The schema's place beside the workspace.
const SHARED_SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/github/graphql/schema.graphql"
);

/// The override of [`SHARED_SCHEMA`].
const SCHEMA_VAR: &str = "IR_GITHUB_SCHEMA";

/// GitHub's schema, or `None` (said loudly on stderr) when there is none to read.
fn github_schema(test: &str) -> Option<Valid<Schema>> {
    let sdl = ir_testkit::read_reference(SHARED_SCHEMA, SCHEMA_VAR, test)?;
    match Schema::parse_and_validate(sdl, "github-schema.graphql") {
        Ok(schema) => Some(schema),
        Err(e) => {
            // The published SDL repeats a few fields of one object type (e.g.
            // `EnterpriseOwnerInfo.repositoryDeployKeySetting`, identical both times); the
            // first definition is kept. Any other defect fails the test.
            let report = e.errors.to_string();
            let errors: Vec<&str> = report
                .lines()
                .filter(|line| line.starts_with("Error: "))
                .collect();
            let unexpected: Vec<&&str> = errors
                .iter()
                .filter(|line| !line.starts_with("Error: duplicate definitions for the `"))
                .collect();
            assert!(
                !errors.is_empty() && unexpected.is_empty(),
                "GitHub's schema does not load:\n{report}"
            );
            eprintln!(
                "note: GitHub's schema repeats {} field definition(s); the first is kept",
                errors.len()
            );
            Some(Valid::assume_valid(e.partial))
        }
    }
}

fn gql_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/gql")
}

/// The root field each operation must select, and whether it is a mutation: what the client
/// code assumes of each file.
const EXPECTED: &[ExpectedOperation] = &[(
    "RevertPullRequest",
    "revertPullRequest",
    OperationType::Mutation,
)];

#[test]
fn every_operation_is_valid_against_githubs_schema() {
    let Some(schema) = github_schema("every_operation_is_valid_against_githubs_schema") else {
        return;
    };
    check_operations(&schema, "GitHub", &gql_dir(), EXPECTED);
}

#[test]
fn the_validator_rejects_what_github_would() {
    let Some(schema) = github_schema("the_validator_rejects_what_github_would") else {
        return;
    };
    let broken = [
        (
            "unknown input type",
            "mutation R($input: RevertInput!) { revertPullRequest(input: $input) { clientMutationId } }",
        ),
        (
            "nullable variable for a required argument",
            "mutation R($input: RevertPullRequestInput) { revertPullRequest(input: $input) { clientMutationId } }",
        ),
        (
            "unknown payload field",
            "mutation R($input: RevertPullRequestInput!) { revertPullRequest(input: $input) { pullRequestUrl } }",
        ),
        (
            "object without a selection",
            "mutation R($input: RevertPullRequestInput!) { revertPullRequest(input: $input) { revertPullRequest } }",
        ),
        (
            "REST's field name",
            "mutation R($input: RevertPullRequestInput!) { revertPullRequest(input: $input) { revertPullRequest { number html_url } } }",
        ),
    ];
    for (why, text) in broken {
        assert!(
            ExecutableDocument::parse_and_validate(&schema, text, "broken.graphql").is_err(),
            "accepted an operation with {why}: {text}"
        );
    }
}

#[test]
fn the_schema_holds_the_facts_the_client_relies_on() {
    let Some(schema) = github_schema("the_schema_holds_the_facts_the_client_relies_on") else {
        return;
    };
    let input = schema.get_input_object("RevertPullRequestInput").unwrap();
    let fields: Vec<&str> = input.fields.keys().map(|f| f.as_str()).collect();
    for field in ["pullRequestId", "title", "body", "draft"] {
        assert!(
            fields.contains(&field),
            "RevertPullRequestInput.{field}: {fields:?}"
        );
    }
    assert_eq!(input.fields["pullRequestId"].ty.to_string(), "ID!");
    let pull = schema.get_object("PullRequest").unwrap();
    assert_eq!(pull.fields["number"].ty.to_string(), "Int!");
    assert_eq!(pull.fields["url"].ty.to_string(), "URI!");
    assert_eq!(pull.fields["headRefName"].ty.to_string(), "String!");
}
