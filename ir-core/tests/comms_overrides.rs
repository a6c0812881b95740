//! Overrides by name, strict rendering, and that a message carries only its own fields.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use ir_core::comms::{
    Acknowledgement, InitialNotification, Message, MitigationApplied, StatusUpdate, Templates,
};
use ir_core::{ErrorKind, Severity};

fn at(rfc3339: &str) -> DateTime<Utc> {
    rfc3339.parse().unwrap()
}

fn notification(huddle: Option<&str>) -> Message {
    InitialNotification {
        severity: Severity::P0,
        service: "web".into(),
        impact: "Site down".into(),
        detected_at: at("2026-02-08T15:30:00Z"),
        responder: "@alice".into(),
        status: "Investigating".into(),
        next_update_at: at("2026-02-08T15:50:00Z"),
        update_interval: Duration::from_secs(20 * 60),
        huddle: huddle.map(str::to_owned),
    }
    .into()
}

fn status_update() -> Message {
    StatusUpdate {
        at: at("2026-02-08T15:45:00Z"),
        severity: Severity::P1,
        duration: Duration::from_secs(15 * 60),
        current_status: "Monitoring".into(),
        actions_taken: vec!["Rolled back".into()],
        impact: "Errors back to baseline".into(),
        eta: None,
        next_update_at: at("2026-02-08T16:00:00Z"),
    }
    .into()
}

#[test]
fn an_override_replaces_one_template_by_name() {
    let templates = Templates::builtin()
        .with_override(
            "status_update",
            "{{ 'Update'|bold }} {{ at|strftime('%H:%M') }} ({{ severity }}, {{ duration|duration_short }}): \
             {{ current_status }}{% if mrkdwn %} :eyes:{% endif %}",
        )
        .unwrap();
    let r = templates.render(&status_update()).unwrap();
    assert_eq!(r.text, "Update 15:45 (P1, 15 min): Monitoring");
    assert_eq!(r.mrkdwn, "*Update* 15:45 (P1, 15 min): Monitoring :eyes:");

    // Every other template is still the built-in one.
    let builtin = Templates::builtin();
    let notification = notification(None);
    assert_eq!(
        templates.render(&notification).unwrap(),
        builtin.render(&notification).unwrap()
    );
    assert_eq!(
        templates.overridden().collect::<Vec<_>>(),
        ["status_update"]
    );
}

#[test]
fn a_template_that_does_not_compile_is_a_config_error_naming_it() {
    let err = Templates::builtin()
        .with_override("mitigation_applied", "{% if action %}unterminated")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let text = err.to_string();
    assert!(text.contains("\"mitigation_applied\""), "{text}");
    assert!(text.contains("does not compile"), "{text}");
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn an_override_naming_a_missing_field_is_refused_when_it_is_set() {
    let err = Templates::builtin()
        .with_override(
            "mitigation_applied",
            "Action: {{ action }}\nOwner: {{ owner }}",
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let text = err.to_string();
    assert!(text.contains("\"mitigation_applied\""), "{text}");
    assert!(text.contains("undefined"), "{text}");
}

#[test]
fn a_missing_field_in_a_branch_fails_at_render_never_renders_blank() {
    // The runbook example has a huddle link, so this passes the check at override time; the
    // branch without one names a field that does not exist.
    let templates = Templates::builtin()
        .with_override(
            "initial_notification",
            "{{ service }}: {% if huddle %}{{ huddle }}{% else %}{{ huddle_url }}{% endif %}",
        )
        .unwrap();
    assert_eq!(
        templates.render(&notification(Some("z"))).unwrap().text,
        "web: z"
    );
    let err = templates.render(&notification(None)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let text = err.to_string();
    assert!(text.contains("\"initial_notification\""), "{text}");
    assert!(text.contains("undefined"), "{text}");
}

#[test]
fn printing_an_unset_optional_field_is_an_error_not_none() {
    let templates = Templates::builtin()
        .with_override("initial_notification", "Join: {{ huddle }}")
        .unwrap();
    assert_eq!(
        templates.render(&notification(Some("z"))).unwrap().text,
        "Join: z"
    );
    let err = templates.render(&notification(None)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("none"), "{err}");
}

#[test]
fn a_misused_filter_is_an_error() {
    // `time` of a string that is not a timestamp.
    let err = Templates::builtin()
        .with_override("mitigation_applied", "{{ action|time }}")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("RFC 3339"), "{err}");
}

#[test]
fn rendering_reads_only_the_fields_given() {
    // A secret that exists in the program, and in this process, but in no field of the message.
    let secret = "sk_live_51HkQz9fakeSecretValue0123456789";
    let _held = secrecy::SecretString::from(secret.to_owned());

    // Templates reaching for anything but their message's fields fail: there is no
    // environment, no global state, no other message.
    for source in [
        "{{ NEXTAUTH_SECRET }}",
        "{{ env.NEXTAUTH_SECRET }}",
        "{{ secret }}",
        "{{ incident.title }}",
        "{{ config }}",
    ] {
        let err = Templates::builtin()
            .with_override("acknowledgement", source)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{source}");
        assert!(!err.to_string().contains(secret));
    }

    // What the built-ins print is exactly what the fields hold.
    let templates = Templates::builtin();
    let messages: Vec<Message> = vec![
        Acknowledgement {
            incident_name: "auth down".into(),
        }
        .into(),
        notification(Some("https://meet.example/x")),
        status_update(),
        MitigationApplied {
            at: at("2026-02-08T15:55:00Z"),
            action: "Set NEXTAUTH_SECRET".into(),
            status: "Login works".into(),
            next_steps: "Monitor".into(),
        }
        .into(),
    ];
    for message in &messages {
        let r = templates.render(message).unwrap();
        for out in [&r.text, &r.mrkdwn] {
            assert!(!out.contains(secret), "{out}");
            assert!(!out.contains("sk_live"), "{out}");
        }
    }
    // The context is the message's own serialization: nothing else is added to it.
    let json = serde_json::to_value(&messages[0]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"message": "acknowledgement", "incident_name": "auth down"})
    );
}
