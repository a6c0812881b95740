//! A `ChatNotifier` that writes each message to `tracing`.

use async_trait::async_trait;

use crate::error::{Error, ErrorKind, Result};
use crate::ports::{ChatMessage, ChatNotifier, MessageRef};

/// The `tracing` target [`TracingChat`] writes to unless told otherwise.
const DEFAULT_TARGET: &str = "ir::chat";

/// A `ChatNotifier` that writes every message as one `info` event (target `ir::chat`, fields
/// `channel` and `text`, the plain-text rendering), so a service with no chat integration
/// still sees in its logs what the runbook says to post.
///
/// Message texts never hold a secret's value (the timeline and the messages carry
/// fingerprints), so writing them to the logs discloses nothing the timeline does not.
///
/// ```
/// use ir_core::memory::TracingChat;
/// use ir_core::ports::{ChatMessage, ChatNotifier};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> ir_core::Result<()> {
/// let chat = TracingChat::new();
/// let message = ChatMessage {
///     channel: "#incident-response".into(),
///     text: "🚨 INCIDENT DECLARED - P1".into(),
///     mrkdwn: None,
/// };
/// let posted = chat.post(&message).await?;
/// assert_eq!(posted.channel, "#incident-response");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct TracingChat {
    _private: (),
}

impl TracingChat {
    /// A notifier writing to the `ir::chat` target.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl ChatNotifier for TracingChat {
    async fn post(&self, message: &ChatMessage) -> Result<MessageRef> {
        if message.channel.trim().is_empty() {
            return Err(
                Error::new(ErrorKind::NotFound, "channel_not_found: empty channel name")
                    .with_provider("tracing")
                    .with_operation("post"),
            );
        }
        tracing::info!(
            target: DEFAULT_TARGET,
            channel = %message.channel,
            text = %message.text,
            "chat message"
        );
        Ok(MessageRef {
            channel: message.channel.clone(),
            id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Keeps the target and fields of every event.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<String>>>);

    struct Fields<'a>(&'a mut String);

    impl tracing::field::Visit for Fields<'_> {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            use std::fmt::Write as _;
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    impl tracing::Subscriber for Captured {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            let meta = event.metadata();
            let mut line = format!("{} {}", meta.level(), meta.target());
            event.record(&mut Fields(&mut line));
            self.0.lock().unwrap().push(line);
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    #[test]
    fn each_message_is_one_info_event_on_ir_chat() {
        let captured = Captured::default();
        let chat = TracingChat::new();
        let message = ChatMessage {
            channel: "#incident-response".into(),
            text: "✅ RESOLVED".into(),
            mrkdwn: Some("*✅ RESOLVED*".into()),
        };
        let posted = tracing::subscriber::with_default(captured.clone(), || {
            futures::executor::block_on(chat.post(&message))
        })
        .unwrap();
        assert_eq!(posted.channel, "#incident-response");
        let lines = captured.0.lock().unwrap().clone();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].starts_with("INFO ir::chat"), "{lines:?}");
        assert!(lines[0].contains("channel=#incident-response"), "{lines:?}");
        assert!(lines[0].contains("text=✅ RESOLVED"), "{lines:?}");
    }

    #[test]
    fn an_empty_channel_is_not_found() {
        let chat = TracingChat::new();
        let message = ChatMessage {
            channel: " ".into(),
            text: "x".into(),
            mrkdwn: None,
        };
        let err = futures::executor::block_on(chat.post(&message)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }
}
