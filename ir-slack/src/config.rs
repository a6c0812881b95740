//! [`SlackConfig`]: how the client reaches Slack (a bot token or an incoming webhook), the
//! default channel, threading, pacing, the endpoint, and the shared transport settings.

use std::fmt;
use std::time::Duration;

use ir_core::redact::redact;
use ir_core::{Error, Result};
use ir_http::ClientOptions;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::client::PROVIDER;

/// Slack's Web API, the default base URL (`chat.postMessage` is `<base>/chat.postMessage`).
pub const DEFAULT_BASE_URL: &str = "https://slack.com/api";

/// How the client reaches Slack.
#[derive(Clone)]
#[non_exhaustive]
pub enum SlackAuth {
    /// A bot token (`xoxb-…`, scope `chat:write`): the Web API's `chat.postMessage` and
    /// `chat.update`, sent as `Authorization: Bearer <token>`. Threads and edits work.
    BotToken(SecretString),
    /// An incoming-webhook URL (`https://hooks.slack.com/services/T…/B…/…`), itself the
    /// secret: for teams without a bot. The webhook is bound to one channel; there are no
    /// threads and no edits.
    Webhook(SecretString),
}

impl fmt::Debug for SlackAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BotToken(_) => f.write_str("SlackAuth::BotToken(<redacted>)"),
            Self::Webhook(_) => f.write_str("SlackAuth::Webhook(<redacted>)"),
        }
    }
}

/// Everything a [`SlackClient`](crate::SlackClient) needs: built with
/// [`SlackConfig::builder`] or read with [`SlackConfig::from_env`].
///
/// ```
/// use ir_slack::{SlackAuth, SlackConfig};
/// use secrecy::SecretString;
///
/// let config = SlackConfig::builder(SlackAuth::BotToken(SecretString::from("xoxb-1-2-abc")))
///     .with_default_channel("C0INCIDENT")
///     .with_reply_broadcast(true)
///     .build()?;
/// assert_eq!(config.base_url().as_str(), "https://slack.com/api");
/// assert!(!format!("{config:?}").contains("xoxb-1-2-abc"));
/// # Ok::<(), ir_core::Error>(())
/// ```
#[derive(Clone)]
pub struct SlackConfig {
    auth: SlackAuth,
    webhook_url: Option<Url>,
    default_channel: Option<String>,
    reply_broadcast: bool,
    min_interval: Duration,
    base_url: Url,
    client_options: ClientOptions,
}

impl SlackConfig {
    /// A builder reaching Slack through `auth`. Everything else has a default.
    pub fn builder(auth: SlackAuth) -> SlackConfigBuilder {
        SlackConfigBuilder {
            auth,
            default_channel: None,
            reply_broadcast: false,
            min_interval: Duration::from_secs(1),
            base_url: DEFAULT_BASE_URL.to_owned(),
            client_options: ClientOptions::default(),
        }
    }

    /// Reads the configuration from the process environment, through
    /// [`from_lookup`](Self::from_lookup):
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `SLACK_BOT_TOKEN` | a bot token, for the Web API (wins when both are set) |
    /// | `SLACK_WEBHOOK_URL` | an incoming-webhook URL, when there is no bot |
    /// | `SLACK_CHANNEL` | the channel for messages that name none (optional) |
    /// | `SLACK_REPLY_BROADCAST` | `true` to also show thread replies in the channel (optional; default `false`) |
    /// | `SLACK_API_URL` | the Web API base URL (optional; default [`DEFAULT_BASE_URL`]) |
    ///
    /// Nothing else is read: pacing and [`ClientOptions`] keep their defaults. A blank value
    /// counts as unset.
    ///
    /// # Errors
    /// `Config` naming the first missing or invalid variable (never its value).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env), reading each variable through `lookup` instead of the
    /// process environment (for tests, and for services that keep configuration elsewhere).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let auth = match (get("SLACK_BOT_TOKEN"), get("SLACK_WEBHOOK_URL")) {
            (Some(token), _) => SlackAuth::BotToken(SecretString::from(token.trim().to_owned())),
            (None, Some(url)) => SlackAuth::Webhook(SecretString::from(url.trim().to_owned())),
            (None, None) => {
                return Err(Error::config(
                    "set SLACK_BOT_TOKEN (a bot token) or SLACK_WEBHOOK_URL (an incoming webhook)",
                )
                .with_provider(PROVIDER));
            }
        };
        let mut builder = Self::builder(auth);
        if let Some(channel) = get("SLACK_CHANNEL") {
            builder = builder.with_default_channel(channel);
        }
        if let Some(broadcast) = get("SLACK_REPLY_BROADCAST") {
            let on = match broadcast.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => {
                    return Err(Error::config("SLACK_REPLY_BROADCAST must be true or false")
                        .with_provider(PROVIDER));
                }
            };
            builder = builder.with_reply_broadcast(on);
        }
        if let Some(url) = get("SLACK_API_URL") {
            builder = builder.with_base_url(url);
        }
        builder.build()
    }

    /// How the client reaches Slack.
    pub fn auth(&self) -> &SlackAuth {
        &self.auth
    }

    /// The parsed webhook URL, in webhook mode.
    pub(crate) fn webhook_url(&self) -> Option<&Url> {
        self.webhook_url.as_ref()
    }

    /// The channel for messages that name none.
    pub fn default_channel(&self) -> Option<&str> {
        self.default_channel.as_deref()
    }

    /// Whether thread replies are also shown in the channel (`reply_broadcast`).
    pub fn reply_broadcast(&self) -> bool {
        self.reply_broadcast
    }

    /// The least time between two messages to one channel.
    pub fn min_interval(&self) -> Duration {
        self.min_interval
    }

    /// The Web API base URL.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The transport settings.
    pub fn client_options(&self) -> &ClientOptions {
        &self.client_options
    }
}

impl fmt::Debug for SlackConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackConfig")
            .field("auth", &self.auth)
            .field("default_channel", &self.default_channel)
            .field("reply_broadcast", &self.reply_broadcast)
            .field("min_interval", &self.min_interval)
            .field("base_url", &redact(self.base_url.as_str()))
            .field("client_options", &self.client_options)
            .finish()
    }
}

/// Builds a [`SlackConfig`] (from [`SlackConfig::builder`]); [`build`](Self::build)
/// validates.
#[derive(Clone)]
pub struct SlackConfigBuilder {
    auth: SlackAuth,
    default_channel: Option<String>,
    reply_broadcast: bool,
    min_interval: Duration,
    base_url: String,
    client_options: ClientOptions,
}

impl SlackConfigBuilder {
    /// The channel (an id such as `C0123456789`, or `#name`) for messages that name none.
    pub fn with_default_channel(mut self, channel: impl Into<String>) -> Self {
        self.default_channel = Some(channel.into());
        self
    }

    /// Whether thread replies are also shown in the channel (Slack's `reply_broadcast`;
    /// default `false`).
    pub fn with_reply_broadcast(mut self, broadcast: bool) -> Self {
        self.reply_broadcast = broadcast;
        self
    }

    /// The least time between two messages to one channel (default 1 s, Slack's
    /// "about one message per second per channel"); waits run on the options' clock.
    /// `Duration::ZERO` turns pacing off.
    pub fn with_min_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval;
        self
    }

    /// The Web API base URL (default [`DEFAULT_BASE_URL`]); point it at a mock. Not used in
    /// webhook mode.
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The transport settings: timeouts, retry policy, clock, user agent (default
    /// [`ClientOptions::default`]).
    pub fn with_client_options(mut self, options: ClientOptions) -> Self {
        self.client_options = options;
        self
    }

    /// Validates and builds.
    ///
    /// # Errors
    /// `Config` when the token cannot travel in a header, the webhook URL is not an http(s)
    /// URL (the message never shows it), the base URL is not an http(s) URL, the interval is
    /// over a minute, or the [`ClientOptions`] are invalid.
    pub fn build(self) -> Result<SlackConfig> {
        let fail = |message: String| Error::config(message).with_provider(PROVIDER);
        let webhook_url = match &self.auth {
            SlackAuth::BotToken(token) => {
                let raw = token.expose_secret();
                if raw.trim().is_empty() {
                    return Err(fail("the Slack bot token is blank".to_owned()));
                }
                ir_http::Auth::bearer(token.clone())
                    .to_header()
                    .map_err(|e| e.with_provider(PROVIDER))?;
                None
            }
            SlackAuth::Webhook(url) => {
                let parsed = Url::parse(url.expose_secret().trim())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                    .ok_or_else(|| {
                        fail("the Slack webhook URL (not shown) is not an http(s) URL".to_owned())
                    })?;
                Some(parsed)
            }
        };
        let shown = redact(&self.base_url);
        let base_url = Url::parse(&self.base_url).map_err(|e| {
            fail(format!("the Slack base URL `{shown}` is not a URL")).with_source(e)
        })?;
        if !matches!(base_url.scheme(), "http" | "https") {
            return Err(fail(format!(
                "the Slack base URL `{shown}` must be http(s)"
            )));
        }
        if self.min_interval > Duration::from_secs(60) {
            return Err(fail(format!(
                "the per-channel interval must be at most 60 s, not {:?}",
                self.min_interval
            )));
        }
        self.client_options
            .validate()
            .map_err(|e| e.with_provider(PROVIDER))?;
        Ok(SlackConfig {
            auth: self.auth,
            webhook_url,
            default_channel: self
                .default_channel
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty()),
            reply_broadcast: self.reply_broadcast,
            min_interval: self.min_interval,
            base_url,
            client_options: self.client_options,
        })
    }
}

impl fmt::Debug for SlackConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackConfigBuilder")
            .field("auth", &self.auth)
            .field("default_channel", &self.default_channel)
            .field("reply_broadcast", &self.reply_broadcast)
            .field("min_interval", &self.min_interval)
            .field("base_url", &redact(&self.base_url))
            .field("client_options", &self.client_options)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ir_core::ErrorKind;
    use std::collections::HashMap;

    const TOKEN: &str = "xoxb-1111-2222-tokensecret";
    const HOOK: &str = "https://hooks.slack.com/services/T000/B000/hooksecret";

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn from_lookup_reads_every_documented_variable() {
        let config = SlackConfig::from_lookup(lookup(&[
            ("SLACK_BOT_TOKEN", TOKEN),
            ("SLACK_WEBHOOK_URL", HOOK),
            ("SLACK_CHANNEL", "C0INCIDENT"),
            ("SLACK_REPLY_BROADCAST", "true"),
            ("SLACK_API_URL", "http://127.0.0.1:9/api"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(config.auth(), SlackAuth::BotToken(_)));
        assert_eq!(config.default_channel(), Some("C0INCIDENT"));
        assert!(config.reply_broadcast());
        assert_eq!(config.base_url().as_str(), "http://127.0.0.1:9/api");
        assert_eq!(config.min_interval(), Duration::from_secs(1));
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("tokensecret") && !debug.contains("hooksecret"),
            "{debug}"
        );

        let config = SlackConfig::from_lookup(lookup(&[("SLACK_WEBHOOK_URL", HOOK)]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(config.auth(), SlackAuth::Webhook(_)));
        assert!(!config.reply_broadcast());
        assert!(!format!("{config:?}").contains("hooksecret"));
    }

    #[test]
    fn missing_and_invalid_variables_are_named() {
        let err = SlackConfig::from_lookup(lookup(&[("SLACK_CHANNEL", "C1")])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("SLACK_BOT_TOKEN"), "{err}");
        let err = SlackConfig::from_lookup(lookup(&[
            ("SLACK_BOT_TOKEN", TOKEN),
            ("SLACK_REPLY_BROADCAST", "maybe"),
        ]))
        .unwrap_err();
        assert!(err.message().contains("SLACK_REPLY_BROADCAST"), "{err}");
    }

    #[test]
    fn build_validates_without_showing_secrets() {
        let bot = |t: &str| SlackConfig::builder(SlackAuth::BotToken(SecretString::from(t)));
        let hook = |u: &str| SlackConfig::builder(SlackAuth::Webhook(SecretString::from(u)));
        assert!(bot(TOKEN).build().is_ok());
        assert!(hook(HOOK).build().is_ok());
        let cases = [
            bot(" "),
            bot("xoxb-bad\ntokensecret"),
            hook("hooks.slack.com/services/hooksecret"),
            hook("ftp://hooks.slack.com/services/hooksecret"),
            bot(TOKEN).with_base_url("ftp://x"),
            bot(TOKEN).with_min_interval(Duration::from_secs(61)),
            bot(TOKEN)
                .with_client_options(ClientOptions::default().with_attempt_timeout(Duration::ZERO)),
        ];
        for builder in cases {
            let err = builder.clone().build().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{builder:?}");
            let text = format!("{err:?} {err} {builder:?}");
            assert!(
                !text.contains("tokensecret") && !text.contains("hooksecret"),
                "{text}"
            );
        }
    }
}
