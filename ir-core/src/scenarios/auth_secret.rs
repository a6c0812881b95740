//! Scenario 2: NextAuth NO_SECRET Error.
//!
//! NextAuth v4 refuses to run in production without `NEXTAUTH_SECRET` (`[next-auth][error]
//! [NO_SECRET]`, `/api/auth/session` answering 500 "There is a problem with the server
//! configuration"); Auth.js v5 reads `AUTH_SECRET` and raises `MissingSecret`. The mitigation
//! generates 32 random bytes from the operating system's CSPRNG, base64 encoded (the runbook's
//! `openssl rand -base64 32`), and sets them through the variable store; the service restarts.
//! The value never leaves memory: the timeline holds its fingerprint.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::common::{self, lines};
use crate::error::Result;
use crate::model::Hypothesis;
use crate::model::{Check, Verification, VerificationTimings};
use crate::playbook::signatures::{
    LogPattern, auth_secret_variable, is_auth_server_configuration_error, is_missing_auth_secret,
};
use crate::playbook::{
    Context, EvidenceSet, Mitigation, NewValue, Plan, Playbook, Probe, Remedy, Scorer,
};

/// Scenario 2: NextAuth NO_SECRET Error.
///
/// **Selected** when an outage of authentication or of the dashboard is reported, when the
/// alert's text is NextAuth's missing-secret error or its "There is a problem with the server
/// configuration" answer, or when the 5xx rate is over the P2 threshold (1 %).
///
/// # Ports and probes
///
/// | port | probes | without it |
/// |---|---|---|
/// | [`VariableStore`](crate::ports::VariableStore) | whether `v4_variable` (`NEXTAUTH_SECRET`) and `v5_variable` (`AUTH_SECRET`) are set (`list_names`, never a value) | whether the secret is set is unknown; **the mitigation fails** (`Unsupported`: it sets the variable through this port) |
/// | [`LogSource`](crate::ports::LogSource) | the environment's logs from 30 minutes before onset, 500 lines, searched for NextAuth's missing secret ([`LogPattern::NextAuthNoSecret`]: `[next-auth][error][NO_SECRET]`, `MissingSecret`, "Please define a `secret`"); with the deploy platform, the new log signatures since the current deployment | no log evidence; which variable to set is read from the alert text alone (else `v4_variable`) |
/// | [`HealthProbe`](crate::ports::HealthProbe) | `session_path` (`/api/auth/session`) | no session evidence, and **the mitigation cannot verify** |
/// | [`ErrorTracker`](crate::ports::ErrorTracker) | issues first seen from 30 minutes before onset | no tracker evidence |
/// | [`DeployPlatform`](crate::ports::DeployPlatform) | with the log source, the new log signatures | no signature evidence |
///
/// # Hypotheses
///
/// Weights as in [`Scorer`](crate::playbook::Scorer) (raise `c → 1 − (1 − c)(1 − w)`, lower
/// `c → c(1 − w)`):
///
/// **`auth_secret_missing`**, "NEXTAUTH_SECRET is not set: NextAuth refuses to run
/// (`[next-auth][error][NO_SECRET]`)":
/// - +0.30 and +0.20 both variables unset; +0.35 `NEXTAUTH_SECRET` unset (`AUTH_SECRET`
///   unknown); +0.25 `AUTH_SECRET` unset (`NEXTAUTH_SECRET` unknown);
/// - −0.85 for each of the two that is set;
/// - +0.55 NO_SECRET lines in the logs;
/// - +0.40 the session endpoint answers 500 "There is a problem with the server configuration";
/// - +0.30 a new error-tracker issue whose title is the missing-secret error;
/// - +0.25 a new or spiking NO_SECRET signature since the current deployment;
/// - −0.60 the session endpoint is healthy.
///
/// Both variables unset, NO_SECRET lines and the session's 500 give 0.85.
///
/// **`auth_configuration_error`**, "NextAuth reports a server configuration error other than a
/// missing secret":
/// - +0.20 for each secret variable that is set; +0.40 the session's 500 configuration answer;
/// - −0.70 NO_SECRET lines; −0.60 the session endpoint is healthy.
///
/// # Mitigations
///
/// | cause | mitigation | risk | verification |
/// |---|---|---|---|
/// | missing secret | generate `secret_bytes` (32) random bytes from the operating system's CSPRNG, base64 encoded (the runbook's `openssl rand -base64 32`), and set them as `AUTH_SECRET` when the logs or the alert are Auth.js v5's, else as `NEXTAUTH_SECRET`; the service restarts. The value never leaves memory: the timeline holds its fingerprint. A change that does not verify is undone | reversible | `verification` |
/// | other configuration error | none: a recommendation to read the NextAuth error code (`UntrustedHost`: set `AUTH_TRUST_HOST` or `AUTH_URL`/`NEXTAUTH_URL`) | | |
///
/// A reversible action runs without asking only at P0/P1 with the top hypothesis at 0.7 or
/// more ([`ApprovalPolicy::runbook`](crate::playbook::ApprovalPolicy::runbook)); otherwise
/// the [`Approver`](crate::ports::Approver) decides.
///
/// # Verification
///
/// `signin_path` (`/api/auth/signin`, the runbook's `curl -I`) answers 2xx/3xx, and
/// `session_path` answers 2xx/3xx without NextAuth's configuration message, in rounds timed by
/// `verification`: runbook default 3 rounds in a row, 30 s apart, within 10 minutes (expected
/// 90 s, [`VerificationTimings::expected_duration`]).
///
/// ```
/// use std::time::Duration;
/// use ir_core::model::VerificationTimings;
/// use ir_core::scenarios::AuthSecretMissing;
///
/// let auth = AuthSecretMissing::default()
///     .with_verification(VerificationTimings::new(1, Duration::from_secs(2), Duration::from_secs(60)));
/// assert_eq!(auth.verification.expected_duration(), Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AuthSecretMissing {
    /// next-auth v4's variable.
    pub v4_variable: String,
    /// Auth.js v5's variable.
    pub v5_variable: String,
    /// The session endpoint (500 with "server configuration" when the secret is missing).
    pub session_path: String,
    /// The sign-in page the runbook verifies with `curl -I`.
    pub signin_path: String,
    /// Random bytes in a new secret.
    pub secret_bytes: usize,
    /// Verifying the new secret (runbook: 3 × 30 s within 10 minutes).
    pub verification: VerificationTimings,
}

impl Default for AuthSecretMissing {
    fn default() -> Self {
        Self {
            v4_variable: "NEXTAUTH_SECRET".into(),
            v5_variable: "AUTH_SECRET".into(),
            session_path: "/api/auth/session".into(),
            signin_path: "/api/auth/signin".into(),
            secret_bytes: 32,
            verification: VerificationTimings::runbook(),
        }
    }
}

impl AuthSecretMissing {
    /// Sets how the new secret is verified.
    pub fn with_verification(mut self, timings: VerificationTimings) -> Self {
        self.verification = timings;
        self
    }

    /// Checks the verification timings ([`VerificationTimings::validate`]).
    ///
    /// # Errors
    /// `Config` naming the field whose timings can never verify.
    pub fn validate(&self) -> Result<()> {
        common::validate_timings(&[("verification", &self.verification)])
    }
}

const NAME: &str = "auth_secret_missing";

impl AuthSecretMissing {
    fn logs(&self) -> Probe {
        Probe::recent_logs([LogPattern::NextAuthNoSecret])
    }

    fn new_issues(&self) -> Probe {
        Probe::NewIssues {
            lookback: Duration::from_secs(30 * 60),
        }
    }

    /// Which variable to set: the one the failing version reads, by the text it printed.
    fn variable(&self, ctx: &Context<'_>, ev: &EvidenceSet) -> String {
        let from_logs = ev
            .log_lines(&self.logs())
            .into_iter()
            .flat_map(|(_, ls)| ls.iter().map(|l| l.message.as_str()))
            .chain(ctx.symptoms.texts.iter().map(String::as_str))
            .find_map(auth_secret_variable);
        match from_logs {
            Some("AUTH_SECRET") => self.v5_variable.clone(),
            _ => self.v4_variable.clone(),
        }
    }
}

impl Playbook for AuthSecretMissing {
    fn name(&self) -> &str {
        NAME
    }

    fn title(&self) -> &str {
        "NextAuth NO_SECRET Error"
    }

    fn applies(&self, ctx: &Context<'_>) -> bool {
        use crate::classify::Capability;
        let s = &ctx.symptoms.signals;
        s.outages
            .iter()
            .any(|o| matches!(o.capability, Capability::Auth | Capability::Dashboard))
            || ctx
                .symptoms
                .any_text(|t| is_missing_auth_secret(t) || is_auth_server_configuration_error(t))
            || s.error_rate_5xx
                .is_some_and(|r| r > ctx.thresholds.error_rate_5xx_p2)
    }

    fn probes(&self, _ctx: &Context<'_>) -> Vec<Probe> {
        vec![
            Probe::variable(self.v4_variable.clone()),
            Probe::variable(self.v5_variable.clone()),
            self.logs(),
            Probe::health(self.session_path.clone()),
            self.new_issues(),
            common::signatures_probe(),
        ]
    }

    fn assess(&self, _ctx: &Context<'_>, ev: &EvidenceSet) -> Vec<Hypothesis> {
        let v4 = ev.variable_present(&Probe::variable(self.v4_variable.clone()));
        let v5 = ev.variable_present(&Probe::variable(self.v5_variable.clone()));
        let no_secret = lines(ev, &self.logs(), &LogPattern::NextAuthNoSecret);
        let session = ev.health(&Probe::health(self.session_path.clone()));
        let config_error = session.filter(|(_, h)| {
            h.status == Some(500) && is_auth_server_configuration_error(&h.body_excerpt)
        });
        let tracker = ev
            .tracker_issues(&self.new_issues())
            .and_then(|(id, issues)| {
                issues
                    .iter()
                    .any(|i| is_missing_auth_secret(&i.title))
                    .then_some(id)
            });

        let mut missing = Scorer::new(
            NAME,
            "auth_secret_missing",
            format!(
                "{} is not set: NextAuth refuses to run ([next-auth][error][NO_SECRET])",
                self.v4_variable
            ),
        );
        let mut other = Scorer::new(
            NAME,
            "auth_configuration_error",
            "NextAuth reports a server configuration error other than a missing secret",
        );
        match (v4, v5) {
            (Some((a, false)), Some((b, false))) => {
                missing = missing.raise(0.3, a).raise(0.2, b);
            }
            (Some((a, false)), None) => missing = missing.raise(0.35, a),
            (None, Some((b, false))) => missing = missing.raise(0.25, b),
            _ => {}
        }
        for (id, present) in [v4, v5].into_iter().flatten() {
            if present {
                missing = missing.lower(0.85, id);
                other = other.raise(0.2, id);
            }
        }
        missing = missing
            .raise_if(0.55, no_secret.as_ref().map(|(id, _)| *id))
            .raise_if(0.4, config_error.map(|(id, _)| id))
            .raise_if(0.3, tracker)
            .raise_if(
                0.25,
                common::new_signature(ev, Some(&LogPattern::NextAuthNoSecret)),
            );
        other = other
            .raise_if(0.4, config_error.map(|(id, _)| id))
            .lower_if(0.7, no_secret.as_ref().map(|(id, _)| *id));
        if let Some((id, h)) = session
            && h.is_healthy()
        {
            missing = missing.lower(0.6, id);
            other = other.lower(0.6, id);
        }
        vec![missing.build(), other.build()]
    }

    fn plan(&self, ctx: &Context<'_>, h: &Hypothesis, ev: &EvidenceSet) -> Plan {
        match h.cause.as_str() {
            "auth_secret_missing" => {
                let variable = self.variable(ctx, ev);
                Plan::new().mitigate(Mitigation::new(
                    h,
                    Remedy::SetVariable {
                        name: variable.clone(),
                        value: NewValue::RandomBase64 {
                            bytes: self.secret_bytes,
                        },
                    },
                    format!(
                        "generate a new secret ({} random bytes, base64) and set {variable}; \
                         the service restarts",
                        self.secret_bytes
                    ),
                    Verification::health(self.signin_path.clone())
                        .with(Check::AuthWorks {
                            path: self.session_path.clone(),
                        })
                        .with_timings(self.verification),
                ))
            }
            "auth_configuration_error" => Plan::new().recommend(
                "Read the server log for the NextAuth error code (UntrustedHost: set \
                 AUTH_TRUST_HOST or AUTH_URL/NEXTAUTH_URL)",
            ),
            _ => Plan::new(),
        }
    }

    fn prevention(&self) -> Vec<String> {
        vec![
            "Run pre-deployment validation script".into(),
            format!("Add {} to env var validation", self.v4_variable),
            "Alert if secret is missing on startup".into(),
        ]
    }
}
