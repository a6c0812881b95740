//! The in-memory `ChatNotifier`, `Pager` and `StatusPage`: they keep what they are sent.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::error::{Error, ErrorKind, Result};
use crate::ports::{
    ChatMessage, ChatNotifier, MessageRef, Page, Pager, StatusPage, StatusPageUpdate,
};

use super::lock;

/// A `ChatNotifier` that keeps every message posted.
#[derive(Debug, Clone, Default)]
pub struct InMemoryChat {
    messages: Arc<Mutex<Vec<ChatMessage>>>,
}

impl InMemoryChat {
    /// An empty chat.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every message posted, in order.
    pub fn messages(&self) -> Vec<ChatMessage> {
        lock(&self.messages).clone()
    }
}

#[async_trait]
impl ChatNotifier for InMemoryChat {
    async fn post(&self, message: &ChatMessage) -> Result<MessageRef> {
        if message.channel.trim().is_empty() {
            return Err(
                Error::new(ErrorKind::NotFound, "channel_not_found: empty channel name")
                    .with_provider("memory")
                    .with_operation("post"),
            );
        }
        let mut messages = lock(&self.messages);
        messages.push(message.clone());
        Ok(MessageRef {
            channel: message.channel.clone(),
            id: Some(messages.len().to_string()),
        })
    }
}

/// A page as the in-memory pager saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PagerEvent {
    /// A page was triggered.
    Triggered(Page),
    /// The page with this dedup key was resolved.
    Resolved(String),
}

/// A `Pager` that keeps every trigger and resolve.
#[derive(Debug, Clone, Default)]
pub struct InMemoryPager {
    events: Arc<Mutex<Vec<PagerEvent>>>,
}

impl InMemoryPager {
    /// An empty pager.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every trigger and resolve, in order.
    pub fn events(&self) -> Vec<PagerEvent> {
        lock(&self.events).clone()
    }

    /// Dedup keys triggered and not resolved since.
    pub fn open_pages(&self) -> Vec<String> {
        let mut open: Vec<String> = Vec::new();
        for event in lock(&self.events).iter() {
            match event {
                PagerEvent::Triggered(p) if !open.contains(&p.dedup_key) => {
                    open.push(p.dedup_key.clone())
                }
                PagerEvent::Resolved(k) => open.retain(|o| o != k),
                PagerEvent::Triggered(_) => {}
            }
        }
        open
    }
}

#[async_trait]
impl Pager for InMemoryPager {
    async fn trigger(&self, page: &Page) -> Result<()> {
        if page.summary.chars().count() > 1024 {
            return Err(
                Error::invalid_input("page summary is longer than 1024 characters")
                    .with_provider("memory")
                    .with_operation("trigger"),
            );
        }
        lock(&self.events).push(PagerEvent::Triggered(page.clone()));
        Ok(())
    }

    async fn resolve(&self, dedup_key: &str) -> Result<()> {
        lock(&self.events).push(PagerEvent::Resolved(dedup_key.to_owned()));
        Ok(())
    }
}

/// A `StatusPage` that keeps every update.
#[derive(Debug, Clone, Default)]
pub struct InMemoryStatusPage {
    updates: Arc<Mutex<Vec<StatusPageUpdate>>>,
}

impl InMemoryStatusPage {
    /// An empty status page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every update, in order.
    pub fn updates(&self) -> Vec<StatusPageUpdate> {
        lock(&self.updates).clone()
    }
}

#[async_trait]
impl StatusPage for InMemoryStatusPage {
    async fn publish(&self, update: &StatusPageUpdate) -> Result<()> {
        let mut updates = lock(&self.updates);
        updates.push(update.clone());
        Ok(())
    }
}
