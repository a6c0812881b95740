//! The [`ChatNotifier`] port: `chat.postMessage` (threads with `thread_ts`), `chat.update`,
//! and the incoming webhook.

use async_trait::async_trait;
use ir_core::ports::{ChatMessage, ChatNotifier, MessageRef};
use ir_core::{Error, Result};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::client::{PROVIDER, SlackClient};

/// `chat.postMessage`'s and `chat.update`'s answer: the channel id and the message's `ts`.
#[derive(Debug, Deserialize)]
struct Posted {
    channel: String,
    ts: String,
}

impl SlackClient {
    /// The channel `message` goes to: its own, else the configured default.
    fn channel_of(&self, message: &ChatMessage, operation: &'static str) -> Result<String> {
        let channel = message.channel.trim();
        if !channel.is_empty() {
            return Ok(channel.to_owned());
        }
        self.config
            .default_channel()
            .map(str::to_owned)
            .ok_or_else(|| {
                Error::invalid_input("the message names no channel and no default is configured")
                    .with_provider(PROVIDER)
                    .with_operation(operation)
            })
    }

    /// The text Slack shows: the mrkdwn rendering when there is one, else the plain text.
    fn text_of(message: &ChatMessage, operation: &'static str) -> Result<String> {
        let text = message
            .mrkdwn
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .unwrap_or(&message.text);
        if text.trim().is_empty() {
            return Err(Error::invalid_input("the message has no text")
                .with_provider(PROVIDER)
                .with_operation(operation));
        }
        Ok(text.to_owned())
    }

    /// `chat.postMessage`, in the thread of `parent` when given.
    async fn post_message(
        &self,
        message: &ChatMessage,
        parent: Option<&MessageRef>,
    ) -> Result<MessageRef> {
        const OP: &str = "chat.postMessage";
        let text = Self::text_of(message, OP)?;
        if self.is_webhook() {
            // Webhooks are bound to a channel and have no threads.
            let channel = self.channel_of(message, OP).unwrap_or_default();
            self.pace("webhook").await;
            self.post_webhook(&json!({ "text": text })).await?;
            return Ok(MessageRef { channel, id: None });
        }
        let mut body = Map::new();
        let (channel, thread_ts) = match parent {
            Some(MessageRef {
                channel,
                id: Some(ts),
            }) if !channel.trim().is_empty() => (channel.clone(), Some(ts.clone())),
            _ => (self.channel_of(message, OP)?, None),
        };
        body.insert("channel".into(), channel.clone().into());
        body.insert("text".into(), text.into());
        body.insert("mrkdwn".into(), true.into());
        if let Some(ts) = thread_ts {
            body.insert("thread_ts".into(), ts.into());
            if self.config.reply_broadcast() {
                body.insert("reply_broadcast".into(), true.into());
            }
        }
        self.pace(&channel).await;
        // Not idempotent: a repeated post is a second message. A 429 is still retried (Slack
        // refused it unprocessed).
        let posted: Posted = self.call(OP, &Value::Object(body), false).await?;
        Ok(MessageRef {
            channel: posted.channel,
            id: Some(posted.ts),
        })
    }
}

/// With a bot token: `post` is `chat.postMessage`, `reply` the same with `thread_ts` (and
/// `reply_broadcast` when configured), `update` is `chat.update`; each returns the channel id
/// and `ts` Slack answered. With a webhook: each posts a new message to the webhook's channel
/// and returns no id.
#[async_trait]
impl ChatNotifier for SlackClient {
    async fn post(&self, message: &ChatMessage) -> Result<MessageRef> {
        self.post_message(message, None).await
    }

    async fn reply(&self, parent: &MessageRef, message: &ChatMessage) -> Result<MessageRef> {
        self.post_message(message, Some(parent)).await
    }

    async fn update(&self, posted: &MessageRef, message: &ChatMessage) -> Result<MessageRef> {
        const OP: &str = "chat.update";
        let (false, Some(ts)) = (self.is_webhook(), posted.id.as_deref()) else {
            // Nothing to edit: a webhook message has no id.
            return self.post_message(message, None).await;
        };
        let text = Self::text_of(message, OP)?;
        let body = json!({ "channel": posted.channel, "ts": ts, "text": text });
        self.pace(&posted.channel).await;
        // Idempotent: setting the same text twice changes nothing.
        let updated: Posted = self.call(OP, &body, true).await?;
        Ok(MessageRef {
            channel: updated.channel,
            id: Some(updated.ts),
        })
    }
}
