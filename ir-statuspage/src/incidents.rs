//! The [`StatusPage`] port: one Statuspage incident per `ir` incident, created on first
//! publish and updated after, found again after a restart.

use async_trait::async_trait;
use http::Method;
use ir_core::model::StatusPageStatus;
use ir_core::ports::{StatusPage, StatusPageUpdate};
use ir_core::{Error, Result};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::client::{PROVIDER, StatuspageClient};
use crate::config::StatuspageComponentStatus;

/// The `metadata` key under which the `ir` incident key is stored:
/// `{"ir": {"incident_key": "<key>"}}`.
pub const METADATA_KEY: &str = "ir";

/// Statuspage's incident status for `status`: `investigating`, `identified`, `monitoring`,
/// `resolved`.
pub fn statuspage_status(status: StatusPageStatus) -> &'static str {
    match status {
        StatusPageStatus::Investigating => "investigating",
        StatusPageStatus::Identified => "identified",
        StatusPageStatus::Monitoring => "monitoring",
        StatusPageStatus::Resolved => "resolved",
    }
}

/// The part of Statuspage's incident object this crate reads.
#[derive(Debug, Deserialize)]
struct Incident {
    id: String,
    #[serde(default)]
    metadata: Option<Value>,
}

impl Incident {
    fn incident_key(&self) -> Option<&str> {
        self.metadata
            .as_ref()?
            .get(METADATA_KEY)?
            .get("incident_key")?
            .as_str()
    }
}

impl StatuspageClient {
    /// The `incident` object of a create or update.
    fn incident_body(&self, update: &StatusPageUpdate, create: bool) -> Value {
        let config = &self.config;
        let mut incident = Map::new();
        if create {
            incident.insert("name".into(), update.title.clone().into());
        }
        incident.insert("status".into(), statuspage_status(update.status).into());
        incident.insert("body".into(), update.body.clone().into());
        if !config.component_ids().is_empty() {
            let status = if update.status == StatusPageStatus::Resolved {
                StatuspageComponentStatus::Operational
            } else {
                config.outage_status()
            };
            incident.insert("component_ids".into(), json!(config.component_ids()));
            incident.insert(
                "components".into(),
                Value::Object(
                    config
                        .component_ids()
                        .iter()
                        .map(|id| (id.clone(), status.as_str().into()))
                        .collect(),
                ),
            );
        }
        incident.insert(
            "deliver_notifications".into(),
            config.deliver_notifications().into(),
        );
        if create {
            incident.insert(
                "metadata".into(),
                json!({ METADATA_KEY: { "incident_key": update.incident_key } }),
            );
        }
        json!({ "incident": incident })
    }

    /// The unresolved incident whose metadata names `incident_key`, if any.
    async fn find_unresolved(&self, incident_key: &str) -> Result<Option<String>> {
        let open: Vec<Incident> = self
            .call(Method::GET, "incidents/unresolved", "list_unresolved", None)
            .await?;
        Ok(open
            .into_iter()
            .find(|i| i.incident_key() == Some(incident_key))
            .map(|i| i.id))
    }
}

/// `publish` creates the Statuspage incident on the first update of an `incident_key`
/// (`POST /pages/{page_id}/incidents`) and updates it after (`PATCH
/// /pages/{page_id}/incidents/{id}`). The id comes from, in order: the `incident_id` given to
/// `publish_to`; the ids this client learnt; the unresolved incidents whose `metadata` holds
/// the key (after a restart or on another replica).
#[async_trait]
impl StatusPage for StatuspageClient {
    async fn publish(&self, update: &StatusPageUpdate) -> Result<()> {
        self.publish_to(update, None).await.map(|_| ())
    }

    async fn publish_to(
        &self,
        update: &StatusPageUpdate,
        incident_id: Option<String>,
    ) -> Result<Option<String>> {
        if update.incident_key.trim().is_empty() || update.title.trim().is_empty() {
            return Err(Error::invalid_input(
                "a status-page update needs an incident key and a title",
            )
            .with_provider(PROVIDER)
            .with_operation("publish"));
        }
        // Held to the end: a second publish of the same key waits and then finds the id.
        let mut known = self.incidents.lock().await;
        let id = match incident_id.filter(|id| !id.trim().is_empty()) {
            Some(id) => Some(id),
            None => match known.get(&update.incident_key) {
                Some(id) => Some(id.clone()),
                None => self.find_unresolved(&update.incident_key).await?,
            },
        };
        let id = match id {
            Some(id) => {
                if !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(Error::invalid_input(format!(
                        "`{id}` is not a Statuspage incident id"
                    ))
                    .with_provider(PROVIDER)
                    .with_operation("update_incident"));
                }
                let path = format!("incidents/{id}");
                let body = self.incident_body(update, false);
                let updated: Incident = self
                    .call(Method::PATCH, &path, "update_incident", Some(&body))
                    .await?;
                updated.id
            }
            None => {
                let body = self.incident_body(update, true);
                let created: Incident = self
                    .call(Method::POST, "incidents", "create_incident", Some(&body))
                    .await?;
                created.id
            }
        };
        known.insert(update.incident_key.clone(), id.clone());
        Ok(Some(id))
    }
}
