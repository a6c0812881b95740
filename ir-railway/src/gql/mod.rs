//! Every GraphQL operation the client sends, one `.graphql` file each, written against Railway's
//! published schema (railwayapp/cli `src/gql/schema.json`). `tests/schema.rs` validates every
//! file in this folder against a vendored copy of that schema.

/// One GraphQL operation: its name (sent as `operationName`), the root field it selects (the
/// operation name in spans and errors), its document, whether repeating it is harmless, and
/// whether its request or answer carries secret values (then no error quotes the answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Operation {
    pub name: &'static str,
    pub root_field: &'static str,
    pub document: &'static str,
    pub idempotent: bool,
    pub carries_secrets: bool,
}

macro_rules! operation {
    ($const:ident, $name:literal, $field:literal, idempotent: $idempotent:expr) => {
        operation!($const, $name, $field, idempotent: $idempotent, carries_secrets: false);
    };
    ($const:ident, $name:literal, $field:literal, idempotent: $idempotent:expr, carries_secrets: $secrets:expr) => {
        pub(crate) const $const: Operation = Operation {
            name: $name,
            root_field: $field,
            document: include_str!(concat!($name, ".graphql")),
            idempotent: $idempotent,
            carries_secrets: $secrets,
        };
    };
}

operation!(SERVICE_INSTANCE, "ServiceInstance", "serviceInstance", idempotent: true);
operation!(DEPLOYMENTS, "Deployments", "deployments", idempotent: true);
operation!(DEPLOYMENT, "Deployment", "deployment", idempotent: true);
// A repeated rollback, redeploy or restart starts another one: never retried after a timeout.
operation!(DEPLOYMENT_ROLLBACK, "DeploymentRollback", "deploymentRollback", idempotent: false);
operation!(DEPLOYMENT_REDEPLOY, "DeploymentRedeploy", "deploymentRedeploy", idempotent: false);
operation!(DEPLOYMENT_RESTART, "DeploymentRestart", "deploymentRestart", idempotent: false);
// The answer holds every variable's value.
operation!(VARIABLES, "Variables", "variables", idempotent: true, carries_secrets: true);
// Setting a value twice leaves the same value, but each call may trigger a redeploy: the client
// marks an upsert idempotent only when it skips deploys.
// The request holds the value; validation errors may echo it.
operation!(VARIABLE_UPSERT, "VariableUpsert", "variableUpsert", idempotent: false, carries_secrets: true);
operation!(VARIABLE_DELETE, "VariableDelete", "variableDelete", idempotent: false);
operation!(DEPLOYMENT_LOGS, "DeploymentLogs", "deploymentLogs", idempotent: true);
operation!(BUILD_LOGS, "BuildLogs", "buildLogs", idempotent: true);
operation!(ENVIRONMENT_LOGS, "EnvironmentLogs", "environmentLogs", idempotent: true);

/// Every operation, for the checks below.
#[cfg(test)]
pub(crate) const ALL: &[Operation] = &[
    SERVICE_INSTANCE,
    DEPLOYMENTS,
    DEPLOYMENT,
    DEPLOYMENT_ROLLBACK,
    DEPLOYMENT_REDEPLOY,
    DEPLOYMENT_RESTART,
    VARIABLES,
    VARIABLE_UPSERT,
    VARIABLE_DELETE,
    DEPLOYMENT_LOGS,
    BUILD_LOGS,
    ENVIRONMENT_LOGS,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Each constant's name and root field are the ones its document declares (the schema
    /// test checks the documents themselves).
    #[test]
    fn names_match_documents() {
        for op in ALL {
            let body: String = op
                .document
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n");
            let header = body.trim_start();
            let declared = header
                .strip_prefix("query ")
                .or_else(|| header.strip_prefix("mutation "))
                .unwrap_or_else(|| panic!("{} is not a query or mutation", op.name));
            assert!(
                declared.starts_with(&format!("{}(", op.name)),
                "{} declares {declared:.40}",
                op.name
            );
            assert!(
                body.contains(&format!("  {}(", op.root_field)),
                "{} does not select {}",
                op.name,
                op.root_field
            );
            let is_query = header.starts_with("query ");
            assert_eq!(
                is_query, op.idempotent,
                "{}: queries are idempotent, mutations are not (by default)",
                op.name
            );
        }
    }

    #[test]
    fn every_file_has_a_constant() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/gql");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter_map(|name| name.strip_suffix(".graphql").map(str::to_owned))
            .collect();
        files.sort();
        let mut names: Vec<String> = ALL.iter().map(|op| op.name.to_owned()).collect();
        names.sort();
        assert_eq!(files, names);
    }
}
