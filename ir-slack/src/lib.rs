#![doc = include_str!("../README.md")]
//!
//! ## Behaviour
//! - **Bot token** ([`SlackAuth::BotToken`], `Authorization: Bearer xoxb-…`, scope
//!   `chat:write`): `post` sends `chat.postMessage` with the JSON body `channel`, `text` (the
//!   message's mrkdwn when it has one, else its plain text) and `mrkdwn: true`; `reply` adds
//!   `thread_ts` (the parent's `ts`) and, with
//!   [`with_reply_broadcast`](SlackConfigBuilder::with_reply_broadcast), `reply_broadcast:
//!   true`; `update` sends `chat.update` with `channel`, `ts` and `text`. Each returns a
//!   [`MessageRef`](ir_core::ports::MessageRef) holding the channel **id** Slack answered
//!   (`C…`, even when the message named `#name`) and the message's `ts`.
//! - **Incoming webhook** ([`SlackAuth::Webhook`]; the URL is the secret and never appears in
//!   `Debug`, errors or traces): every call POSTs `{"text": …}` to the webhook, which is
//!   bound to one channel: the message's channel is not sent, there are no threads (a
//!   `reply` is a new message) and no edits (an `update` is a new message), and the returned
//!   `MessageRef` has no id.
//! - A message with an empty channel goes to the configured default channel.
//! - Pacing: at most one message per second per channel (Slack's limit for
//!   `chat.postMessage`; [`with_min_interval`](SlackConfigBuilder::with_min_interval)),
//!   shared by clones of a client; the wait runs on the configured clock.
//! - Retries and timeouts are [`ir_http`]'s ([`ir_http::ClientOptions`]): a 429 is retried
//!   after its `Retry-After`; `chat.postMessage` and webhook posts are not idempotent (a
//!   repeat would be a second message) and are not retried after a timeout or a 5xx;
//!   `chat.update` is.
//!
//! ## Configuration
//! [`SlackConfig::builder`] takes a [`SlackAuth`]; `with_*` setters change the rest
//! (`with_default_channel`, `with_reply_broadcast`, `with_min_interval`, `with_base_url`,
//! `with_client_options`); [`SlackConfig::from_env`] reads the variables it documents.
//!
//! ## From answer to error
//!
//! | Slack answered | [`ErrorKind`](ir_core::ErrorKind) |
//! |---|---|
//! | 200 `{"ok": true, "channel": …, "ts": …}` | none |
//! | 200 `{"ok": false, "error": …}` with `invalid_auth`, `not_authed`, `account_inactive`, `token_revoked`, `token_expired`, `invalid_token` | `Unauthenticated` |
//! | … `missing_scope`, `not_in_channel`, `is_archived`, `channel_is_archived`, `restricted_action*`, `cant_update_message`, `edit_window_closed`, `action_prohibited`, `ekm_access_denied`, `access_denied` | `PermissionDenied` |
//! | … `channel_not_found`, `message_not_found`, `thread_not_found`, `no_service`, `no_active_hooks` | `NotFound` |
//! | … `ratelimited`, `rate_limited`, `message_limit_exceeded` | `RateLimited` |
//! | … `internal_error`, `fatal_error`, `service_unavailable`, `request_timeout` | `Unavailable` |
//! | … `msg_too_long`, `no_text`, `invalid_blocks`, `invalid_arguments`, and any other code | `InvalidInput` |
//! | 429 (with `Retry-After`, after the retries) | `RateLimited` |
//! | a webhook's 4xx with a plain-text code (`invalid_payload`, `no_text`, `channel_not_found`, `channel_is_archived`, `action_prohibited`, `no_service`, …) | the code's kind as above |
//! | any other non-2xx | the shared table, [`ir_http::error_kind`] |
//! | a 200 that is not JSON with `ok` (Web API) or not `ok` (webhook), or an answer without `channel`/`ts` | `Protocol` |
//!
//! The message is Slack's error code, with Slack's `response_metadata.messages` when sent.

mod chat;
mod client;
mod config;

pub use client::SlackClient;
pub use config::{DEFAULT_BASE_URL, SlackAuth, SlackConfig, SlackConfigBuilder};
