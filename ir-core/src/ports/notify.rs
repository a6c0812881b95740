//! `ChatNotifier`, `Pager` and `StatusPage`: keeping people informed.

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::{Role, StatusPageStatus};
use crate::severity::Severity;

/// A chat message, rendered as plain text and as Slack mrkdwn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Channel, e.g. `#incident-response`.
    pub channel: String,
    /// Plain text (also the notification fallback).
    pub text: String,
    /// Slack mrkdwn, when rendered.
    pub mrkdwn: Option<String>,
}

/// A posted chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    /// Channel.
    pub channel: String,
    /// Provider id (Slack `ts`), when there is one.
    pub id: Option<String>,
}

/// Posts messages to a chat channel.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ChatNotifier: Send + Sync + fmt::Debug + 'static {
    /// Posts `message`.
    ///
    /// # Errors
    /// `NotFound` for an unknown channel; `Unauthenticated`; `RateLimited`; `Unavailable`.
    async fn post(&self, message: &ChatMessage) -> Result<MessageRef>;

    /// Posts `message` as a reply in the thread of `parent` (a [`MessageRef`] an earlier
    /// [`post`](Self::post) returned, e.g. the initial notification), so status updates and
    /// the resolution stay under it. The reply goes to `parent`'s channel.
    ///
    /// The default posts `message` on its own, for chats without threads.
    ///
    /// # Errors
    /// As [`post`](Self::post).
    async fn reply(&self, parent: &MessageRef, message: &ChatMessage) -> Result<MessageRef> {
        let _ = parent;
        self.post(message).await
    }

    /// Replaces the text of the posted message `posted` with `message`'s.
    ///
    /// The default posts `message` as a new message, for chats that cannot edit.
    ///
    /// # Errors
    /// As [`post`](Self::post); `NotFound` when `posted` no longer exists.
    async fn update(&self, posted: &MessageRef, message: &ChatMessage) -> Result<MessageRef> {
        let _ = posted;
        self.post(message).await
    }
}

/// A page to a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Deduplicates pages for one incident (the incident's dedup key).
    pub dedup_key: String,
    /// Who is paged.
    pub role: Role,
    /// One line, at most 1024 characters.
    pub summary: String,
    /// Severity.
    pub severity: Severity,
}

/// Pages people (PagerDuty, Opsgenie, ...).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Pager: Send + Sync + fmt::Debug + 'static {
    /// Triggers (or re-triggers, deduplicated by `dedup_key`) a page.
    ///
    /// # Errors
    /// `InvalidInput` for a payload the pager rejects; `RateLimited`; `Unavailable`.
    async fn trigger(&self, page: &Page) -> Result<()>;

    /// Resolves the page with `dedup_key`.
    ///
    /// # Errors
    /// As [`trigger`](Self::trigger).
    async fn resolve(&self, dedup_key: &str) -> Result<()>;

    /// Acknowledges the page with `dedup_key` (the runbook's "Acknowledge PagerDuty alert"):
    /// the pager stops escalating it, and it stays open until [`resolve`](Self::resolve).
    ///
    /// The default does nothing and succeeds, for pagers without an acknowledge step.
    ///
    /// # Errors
    /// As [`trigger`](Self::trigger).
    async fn acknowledge(&self, dedup_key: &str) -> Result<()> {
        let _ = dedup_key;
        Ok(())
    }
}

/// One status-page update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusPageUpdate {
    /// Groups updates of one incident (the incident's dedup key).
    pub incident_key: String,
    /// Public incident title.
    pub title: String,
    /// Status.
    pub status: StatusPageStatus,
    /// Public text.
    pub body: String,
}

/// Publishes customer-facing status updates.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait StatusPage: Send + Sync + fmt::Debug + 'static {
    /// Publishes `update`, creating the public incident on first use of its key.
    ///
    /// # Errors
    /// `Unauthenticated`; `RateLimited`; `Unavailable`.
    async fn publish(&self, update: &StatusPageUpdate) -> Result<()>;

    /// [`publish`](Self::publish), returning the provider's id of the public incident the
    /// update went to, for the runner to record. `incident_id` is such an id recorded earlier
    /// for the same `incident_key` (read back after a restart or on another replica): the
    /// update then goes to that incident instead of one the implementation looks up or
    /// creates.
    ///
    /// The default ignores `incident_id`, calls [`publish`](Self::publish) and returns `None`
    /// (no provider id).
    ///
    /// # Errors
    /// As [`publish`](Self::publish); `NotFound` when `incident_id` names no incident.
    async fn publish_to(
        &self,
        update: &StatusPageUpdate,
        incident_id: Option<String>,
    ) -> Result<Option<String>> {
        let _ = incident_id;
        self.publish(update).await.map(|()| None)
    }
}
