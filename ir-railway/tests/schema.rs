//! Every operation in `src/gql/*.graphql` is valid against Railway's published schema
//! (railwayapp/cli `src/gql/schema.json`).
//!
//! The schema is reference data, read rather than vendored: from `IR_RAILWAY_SCHEMA` when set
//! (a missing file is then a failure), else from `../shared/data/railway/schema.json` beside
//! the workspace (CI always has it there). When neither is found each test prints a
//! `NOT RUN:` line to stderr and returns, so a bare clone still passes but says so.
//!
//! The introspection JSON is printed as SDL and loaded into `apollo-compiler`, which then runs
//! the GraphQL specification's validation on each operation: every root field, argument (name
//! and type, required ones present), variable type, and selected field must exist, and leaves
//! must be scalars or enums.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::Path;

use apollo_compiler::Schema;
use apollo_compiler::executable::{ExecutableDocument, OperationType};
use apollo_compiler::validation::Valid;
use ir_testkit::graphql::{ExpectedOperation, check_operations};
use serde_json::Value;

/// The schema's place beside the workspace: `<workspace>/../shared/data/railway/schema.json`.
const SHARED_SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/railway/schema.json"
);

/// The override of [`SHARED_SCHEMA`].
const SCHEMA_VAR: &str = "IR_RAILWAY_SCHEMA";

/// The built-in scalars apollo-compiler already defines.
const BUILT_IN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

fn type_ref(t: &Value) -> String {
    match t["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", type_ref(&t["ofType"])),
        "LIST" => format!("[{}]", type_ref(&t["ofType"])),
        _ => t["name"].as_str().unwrap().to_owned(),
    }
}

fn input_value(v: &Value) -> String {
    let mut s = format!("{}: {}", v["name"].as_str().unwrap(), type_ref(&v["type"]));
    if let Some(default) = v["defaultValue"].as_str() {
        write!(s, " = {default}").unwrap();
    }
    s
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|items| items.iter().map(|i| i["name"].as_str().unwrap()).collect())
        .unwrap_or_default()
}

/// The introspection result as SDL (descriptions, deprecations and directives left out: they
/// do not change what an operation may select).
fn introspection_to_sdl(json: &str) -> String {
    let root: Value = serde_json::from_str(json).unwrap();
    let schema = &root["data"]["__schema"];
    let mut sdl = String::new();
    let root_name = |key: &str| schema[key]["name"].as_str().map(str::to_owned);
    sdl.push_str("schema {\n");
    for (op, key) in [
        ("query", "queryType"),
        ("mutation", "mutationType"),
        ("subscription", "subscriptionType"),
    ] {
        if let Some(name) = root_name(key) {
            writeln!(sdl, "  {op}: {name}").unwrap();
        }
    }
    sdl.push_str("}\n\n");
    for t in schema["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if name.starts_with("__") {
            continue;
        }
        let fields = |sdl: &mut String| {
            sdl.push_str(" {\n");
            for f in t["fields"].as_array().unwrap() {
                let args: Vec<String> = f["args"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(input_value)
                    .collect();
                let args = if args.is_empty() {
                    String::new()
                } else {
                    format!("({})", args.join(", "))
                };
                writeln!(
                    sdl,
                    "  {}{args}: {}",
                    f["name"].as_str().unwrap(),
                    type_ref(&f["type"])
                )
                .unwrap();
            }
            sdl.push_str("}\n\n");
        };
        let implements = |sdl: &mut String| {
            let interfaces = names(&t["interfaces"]);
            if !interfaces.is_empty() {
                write!(sdl, " implements {}", interfaces.join(" & ")).unwrap();
            }
        };
        match t["kind"].as_str().unwrap() {
            "SCALAR" if BUILT_IN_SCALARS.contains(&name) => {}
            "SCALAR" => writeln!(sdl, "scalar {name}\n").unwrap(),
            "OBJECT" => {
                write!(sdl, "type {name}").unwrap();
                implements(&mut sdl);
                fields(&mut sdl);
            }
            "INTERFACE" => {
                write!(sdl, "interface {name}").unwrap();
                implements(&mut sdl);
                fields(&mut sdl);
            }
            "UNION" => writeln!(
                sdl,
                "union {name} = {}\n",
                names(&t["possibleTypes"]).join(" | ")
            )
            .unwrap(),
            "ENUM" => {
                writeln!(
                    sdl,
                    "enum {name} {{ {} }}\n",
                    names(&t["enumValues"]).join(" ")
                )
                .unwrap();
            }
            "INPUT_OBJECT" => {
                writeln!(sdl, "input {name} {{").unwrap();
                for f in t["inputFields"].as_array().unwrap() {
                    writeln!(sdl, "  {}", input_value(f)).unwrap();
                }
                sdl.push_str("}\n\n");
            }
            other => panic!("unexpected kind {other} for {name}"),
        }
    }
    sdl
}

/// Railway's schema, or `None` (said loudly on stderr) when there is none to read.
fn railway_schema(test: &str) -> Option<Valid<Schema>> {
    let json = ir_testkit::read_reference(SHARED_SCHEMA, SCHEMA_VAR, test)?;
    let sdl = introspection_to_sdl(&json);
    let schema = Schema::parse_and_validate(sdl, "railway-schema.graphql")
        .unwrap_or_else(|e| panic!("Railway's schema does not load:\n{}", e.errors));
    Some(schema)
}

fn gql_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/gql")
}

/// The root field each operation must select, and whether it is a mutation: what the client
/// code assumes of each file.
const EXPECTED: &[ExpectedOperation] = &[
    ("BuildLogs", "buildLogs", OperationType::Query),
    ("Deployment", "deployment", OperationType::Query),
    ("DeploymentLogs", "deploymentLogs", OperationType::Query),
    (
        "DeploymentRedeploy",
        "deploymentRedeploy",
        OperationType::Mutation,
    ),
    (
        "DeploymentRestart",
        "deploymentRestart",
        OperationType::Mutation,
    ),
    (
        "DeploymentRollback",
        "deploymentRollback",
        OperationType::Mutation,
    ),
    ("Deployments", "deployments", OperationType::Query),
    ("EnvironmentLogs", "environmentLogs", OperationType::Query),
    ("ServiceInstance", "serviceInstance", OperationType::Query),
    ("VariableDelete", "variableDelete", OperationType::Mutation),
    ("VariableUpsert", "variableUpsert", OperationType::Mutation),
    ("Variables", "variables", OperationType::Query),
];

#[test]
fn every_operation_is_valid_against_railways_schema() {
    let Some(schema) = railway_schema("every_operation_is_valid_against_railways_schema") else {
        return;
    };
    check_operations(&schema, "Railway", &gql_dir(), EXPECTED);
}

#[test]
fn the_validator_rejects_what_railway_would() {
    let Some(schema) = railway_schema("the_validator_rejects_what_railway_would") else {
        return;
    };
    let broken = [
        // The docs' rollback selects fields, but it returns Boolean!.
        (
            "selection on a Boolean",
            "mutation R($id: String!) { deploymentRollback(id: $id) { id status } }",
        ),
        (
            "unknown argument",
            "query D($id: String!) { deployment(id: $id, first: 1) { id } }",
        ),
        (
            "wrong variable type",
            "query D($id: Int!) { deployment(id: $id) { id } }",
        ),
        (
            "nullable variable for a required argument",
            "query D($id: String) { deployment(id: $id) { id } }",
        ),
        (
            "unknown field",
            "query D($id: String!) { deployment(id: $id) { id commitHash } }",
        ),
        (
            "missing required argument",
            "query S($e: String!) { serviceInstance(environmentId: $e) { serviceName } }",
        ),
        (
            "object without a selection",
            "query S($e: String!, $s: String!) { serviceInstance(environmentId: $e, serviceId: $s) }",
        ),
        (
            "unknown input field",
            "mutation V($p: String!, $e: String!) { variableDelete(input: {projectId: $p, environmentId: $e, name: \"X\", skipDeploys: true}) }",
        ),
        (
            "docs-only status filter",
            "query L { deployments(input: {status: {successfulOnly: true}}) { edges { node { id } } } }",
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
    let Some(schema) = railway_schema("the_schema_holds_the_facts_the_client_relies_on") else {
        return;
    };
    let mutation = schema.get_object("Mutation").unwrap();
    let rollback = &mutation.fields["deploymentRollback"];
    assert_eq!(rollback.ty.to_string(), "Boolean!");
    let status = schema.get_enum("DeploymentStatus").unwrap();
    let values: Vec<&str> = status.values.keys().map(|v| v.as_str()).collect();
    assert_eq!(
        values,
        [
            "BUILDING",
            "CRASHED",
            "DEPLOYING",
            "FAILED",
            "INITIALIZING",
            "NEEDS_APPROVAL",
            "QUEUED",
            "REMOVED",
            "REMOVING",
            "SKIPPED",
            "SLEEPING",
            "SUCCESS",
            "WAITING"
        ]
    );
    let upsert = schema.get_input_object("VariableUpsertInput").unwrap();
    assert!(upsert.fields.contains_key("skipDeploys"));
}
