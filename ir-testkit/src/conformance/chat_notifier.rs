//! The `ChatNotifier` contract.

use ir_core::ports::{ChatMessage, ChatNotifier};

use super::{check_eq, ok};

/// A message (emoji, several lines, with its mrkdwn rendering) is posted to the channel it
/// names.
pub async fn posts_to_the_named_channel(chat: &dyn ChatNotifier, channel: &str) {
    const RULE: &str = "chat_notifier::posts_to_the_named_channel";
    let message = ChatMessage {
        channel: channel.to_owned(),
        text: "📊 STATUS UPDATE - 15:45 UTC\n\nSeverity: P1".into(),
        mrkdwn: Some("*📊 STATUS UPDATE - 15:45 UTC*\n\n*Severity:* P1".into()),
    };
    let posted = ok(chat.post(&message).await, RULE, "post");
    check_eq!(
        posted.channel,
        channel,
        RULE,
        "the message lands in the channel named"
    );
}

/// Every rule above, posting to `channel`.
pub async fn run_all(chat: &dyn ChatNotifier, channel: &str) {
    posts_to_the_named_channel(chat, channel).await;
}
