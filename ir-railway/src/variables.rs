//! `VariableStore` over Railway: `variables`, `variableUpsert`, `variableDelete`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use ir_core::ports::{SetOptions, VariableStore};
use ir_core::{Error, ErrorKind, Result};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::client::{PROVIDER, RailwayClient, variables};
use crate::gql;

/// Reads of the variables in flight at once share one `variables` query (a read that arrives
/// while another is in flight takes its answer, as fresh as a query sent at that moment); a
/// change made through this client makes every later read query again. Several probes of one
/// diagnosis ask for variables at the same moment; Railway answers all of them with one query.
#[derive(Debug, Default)]
pub(crate) struct VariablesFlight {
    gate: tokio::sync::Mutex<()>,
    state: std::sync::Mutex<FlightState>,
}

#[derive(Debug, Default)]
struct FlightState {
    /// Queries answered so far.
    answered: u64,
    /// Changes made through this client so far.
    changes: u64,
    /// The last answer: its number, the changes made before its query started, the variables.
    last: Option<(u64, u64, BTreeMap<String, SecretString>)>,
}

impl VariablesFlight {
    fn state(&self) -> std::sync::MutexGuard<'_, FlightState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A change was made: no answer from before it is shared any more.
    pub(crate) fn changed(&self) {
        self.state().changes += 1;
    }
}

impl RailwayClient {
    /// The service's variables: the answer of a query in flight when this read arrived, when
    /// no change was made since it started, or a new query.
    async fn all_variables(&self) -> Result<BTreeMap<String, SecretString>> {
        let flight = &self.variables_flight;
        let arrived = flight.state().answered;
        let _one_at_a_time = flight.gate.lock().await;
        let changes = {
            let state = flight.state();
            if let Some((answered, changes_before, vars)) = &state.last
                && *answered > arrived
                && *changes_before == state.changes
            {
                return Ok(vars.clone());
            }
            state.changes
        };
        let vars = self.query_variables().await?;
        let mut state = flight.state();
        state.answered += 1;
        state.last = Some((state.answered, changes, vars.clone()));
        Ok(vars)
    }

    /// The service's variables, references rendered, each value wrapped as a secret at once.
    async fn query_variables(&self) -> Result<BTreeMap<String, SecretString>> {
        let raw: BTreeMap<String, Value> = self
            .execute(
                &gql::VARIABLES,
                variables([
                    ("projectId", Some(json!(self.project_id))),
                    ("environmentId", Some(json!(self.environment_id))),
                    ("serviceId", Some(json!(self.service_id))),
                ]),
                true,
            )
            .await?;
        Ok(raw
            .into_iter()
            .filter_map(|(name, value)| {
                let text = match value {
                    Value::Null => return None,
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                Some((name, SecretString::from(text)))
            })
            .collect())
    }

    fn check_name(name: &str, operation: &'static str) -> Result<()> {
        if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
            return Err(
                Error::invalid_input(format!("`{name}` is not a variable name"))
                    .with_provider(PROVIDER)
                    .with_operation(operation),
            );
        }
        Ok(())
    }
}

/// Marks a change when dropped: on every exit of a mutating call, its errors (which may have
/// taken effect) included.
struct Changed<'a>(&'a VariablesFlight);

impl Drop for Changed<'_> {
    fn drop(&mut self) {
        self.0.changed();
    }
}

#[async_trait]
impl VariableStore for RailwayClient {
    async fn list_names(&self) -> Result<Vec<String>> {
        // A BTreeMap's keys come sorted.
        Ok(self.all_variables().await?.into_keys().collect())
    }

    async fn get(&self, name: &str) -> Result<Option<SecretString>> {
        Ok(self.all_variables().await?.remove(name))
    }

    /// `variableUpsert`. Retried after a timeout only with `skip_deploys`: otherwise a repeat
    /// could start a second deploy. An error never shows the value, even when Railway's
    /// message echoes it.
    async fn set(&self, name: &str, value: SecretString, options: SetOptions) -> Result<()> {
        Self::check_name(name, gql::VARIABLE_UPSERT.root_field)?;
        let _changed = Changed(&self.variables_flight);
        let done: bool = self
            .execute_with_secret(
                &gql::VARIABLE_UPSERT,
                variables([(
                    "input",
                    Some(json!({
                        "projectId": self.project_id,
                        "environmentId": self.environment_id,
                        "serviceId": self.service_id,
                        "name": name,
                        "value": value.expose_secret(),
                        "skipDeploys": options.skip_deploys,
                    })),
                )]),
                options.skip_deploys,
                Some(&value),
            )
            .await?;
        declined_unless(done, &gql::VARIABLE_UPSERT, "set", name)
    }

    /// `variableDelete`. Railway saying the variable itself is not found means it was not set,
    /// which is success; anything else not found (the project, environment or service, or an
    /// HTTP 404 from a wrong endpoint) is an error.
    async fn delete(&self, name: &str) -> Result<()> {
        Self::check_name(name, gql::VARIABLE_DELETE.root_field)?;
        let _changed = Changed(&self.variables_flight);
        let result: Result<bool> = self
            .execute(
                &gql::VARIABLE_DELETE,
                variables([(
                    "input",
                    Some(json!({
                        "projectId": self.project_id,
                        "environmentId": self.environment_id,
                        "serviceId": self.service_id,
                        "name": name,
                    })),
                )]),
                false,
            )
            .await;
        match result {
            Ok(done) => declined_unless(done, &gql::VARIABLE_DELETE, "delete", name),
            Err(e) if is_unset_variable(&e) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Whether `error` is Railway's GraphQL answer (under a 2xx status) that the variable does not
/// exist. An HTTP 404, an error naming the project, environment, service or another resource,
/// or a bare `NOT_FOUND` code is not: `delete` must not report those as done.
fn is_unset_variable(error: &Error) -> bool {
    const OTHER_RESOURCES: [&str; 6] = [
        "project",
        "environment",
        "service",
        "deployment",
        "workspace",
        "team",
    ];
    if error.kind() != ErrorKind::NotFound
        || !error.status().is_some_and(|s| (200..300).contains(&s))
    {
        return false;
    }
    let message = error.message().to_ascii_lowercase();
    message.contains("variable")
        && message.contains("not found")
        && !OTHER_RESOURCES.iter().any(|other| message.contains(other))
}

fn declined_unless(done: bool, op: &gql::Operation, what: &str, name: &str) -> Result<()> {
    if done {
        Ok(())
    } else {
        Err(
            Error::conflict(format!("Railway declined to {what} variable {name}"))
                .with_provider(PROVIDER)
                .with_operation(op.root_field),
        )
    }
}
