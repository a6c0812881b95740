//! `VariableStore` operations against wiremock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::ErrorKind;
use ir_core::ports::{SetOptions, VariableStore};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use wiremock::MockServer;

fn variables_request() -> serde_json::Value {
    json!({"projectId": PROJECT, "environmentId": ENVIRONMENT, "serviceId": SERVICE})
}

#[tokio::test]
async fn list_names_is_sorted() {
    let server = MockServer::start().await;
    graphql("Variables", variables_request())
        .respond_with(ok(&resource("variables.json")))
        .expect(1)
        .mount(&server)
        .await;

    let names = client(&server).list_names().await.unwrap();

    assert_eq!(
        names,
        [
            "DATABASE_URL",
            "FEATURE_FLAG_X",
            "NEXTAUTH_SECRET",
            "NEXTAUTH_URL",
            "RAILWAY_ENVIRONMENT_NAME"
        ]
    );
}

#[tokio::test]
async fn get_returns_the_value_or_none() {
    let server = MockServer::start().await;
    graphql("Variables", variables_request())
        .respond_with(ok(&resource("variables.json")))
        .expect(2)
        .mount(&server)
        .await;
    let railway = client(&server);

    let url = railway.get("DATABASE_URL").await.unwrap().unwrap();
    assert_eq!(
        url.expose_secret(),
        "postgresql://app:pw-db-secret@pgbouncer.railway.internal:6432/app"
    );
    assert!(railway.get("MISSING_VAR").await.unwrap().is_none());
}

#[tokio::test]
async fn set_upserts_with_skip_deploys() {
    let server = MockServer::start().await;
    graphql(
        "VariableUpsert",
        json!({"input": {
            "projectId": PROJECT,
            "environmentId": ENVIRONMENT,
            "serviceId": SERVICE,
            "name": "NEXTAUTH_SECRET",
            "value": "generated-secret-value",
            "skipDeploys": true,
        }}),
    )
    .respond_with(ok(&resource("variable_upsert.json")))
    .expect(1)
    .mount(&server)
    .await;

    client(&server)
        .set(
            "NEXTAUTH_SECRET",
            SecretString::from("generated-secret-value"),
            SetOptions { skip_deploys: true },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn set_redeploys_by_default() {
    let server = MockServer::start().await;
    graphql(
        "VariableUpsert",
        json!({"input": {
            "projectId": PROJECT,
            "environmentId": ENVIRONMENT,
            "serviceId": SERVICE,
            "name": "FEATURE_FLAG_X",
            "value": "false",
            "skipDeploys": false,
        }}),
    )
    .respond_with(ok(&resource("variable_upsert.json")))
    .expect(1)
    .mount(&server)
    .await;

    client(&server)
        .set(
            "FEATURE_FLAG_X",
            SecretString::from("false"),
            SetOptions::default(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_name_with_spaces_is_refused_before_sending() {
    let server = MockServer::start().await;
    any_graphql("VariableUpsert")
        .respond_with(ok(&resource("variable_upsert.json")))
        .expect(0)
        .mount(&server)
        .await;

    let err = client(&server)
        .set("BAD NAME", SecretString::from("v"), SetOptions::default())
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn delete_sends_the_name() {
    let server = MockServer::start().await;
    graphql(
        "VariableDelete",
        json!({"input": {
            "projectId": PROJECT,
            "environmentId": ENVIRONMENT,
            "serviceId": SERVICE,
            "name": "FEATURE_FLAG_X",
        }}),
    )
    .respond_with(ok(&resource("variable_delete.json")))
    .expect(1)
    .mount(&server)
    .await;

    client(&server).delete("FEATURE_FLAG_X").await.unwrap();
}

#[tokio::test]
async fn deleting_an_unset_variable_is_not_an_error() {
    let server = MockServer::start().await;
    any_graphql("VariableDelete")
        .respond_with(ok(
            r#"{"errors":[{"message":"Variable not found","path":["variableDelete"]}],"data":null}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;

    client(&server).delete("NEVER_SET").await.unwrap();
}

#[tokio::test]
async fn a_failed_upsert_never_shows_the_value() {
    let server = MockServer::start().await;
    any_graphql("VariableUpsert")
        .respond_with(ok(&resource("error_not_authorized.json")))
        .expect(1)
        .mount(&server)
        .await;
    let railway = client(&server);

    let err = railway
        .set(
            "NEXTAUTH_SECRET",
            SecretString::from("generated-secret-value"),
            SetOptions::default(),
        )
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    let shown = format!("{err} {err:?} {railway:?}");
    assert!(!shown.contains("generated-secret-value"), "{shown}");
    assert!(!shown.contains(TOKEN), "{shown}");
}

/// Every way an error can show itself: message, `Display`, `Debug` and the source chain.
fn everything_shown(err: &ir_core::Error) -> String {
    let mut shown = format!("{err} {err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        shown.push_str(&format!(" {inner} {inner:?}"));
        source = inner.source();
    }
    shown
}

#[tokio::test]
async fn a_validation_error_echoing_the_value_is_redacted() {
    let server = MockServer::start().await;
    // graphql-js echoes the offending variable in its validation errors.
    any_graphql("VariableUpsert")
        .respond_with(ok(
            r#"{"errors":[{"message":"Variable \"$input\" got invalid value { projectId: \"p\", name: \"API_KEY\", value: \"hunter2-\\\"quoted\\\"\" }; Field \"serviceId\" of required type \"String!\" was not provided.","extensions":{"code":"BAD_USER_INPUT"}}]}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .set(
            "API_KEY",
            SecretString::from(r#"hunter2-"quoted""#),
            SetOptions::default(),
        )
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let shown = everything_shown(&err);
    assert!(!shown.contains("hunter2"), "{shown}");
    // The rest of the server's explanation is kept.
    // The value goes, its quotes stay.
    assert!(err.message().contains(r#"value: "<redacted>" }"#), "{err}");
    assert!(err.message().contains("serviceId"), "{err}");
}

#[tokio::test]
async fn an_unparsable_upsert_answer_shows_no_excerpt() {
    let server = MockServer::start().await;
    any_graphql("VariableUpsert")
        .respond_with(
            wiremock::ResponseTemplate::new(500)
                .set_body_raw("upstream echoed value=hunter2 and died", "text/plain"),
        )
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .set(
            "API_KEY",
            SecretString::from("hunter2"),
            SetOptions::default(),
        )
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unavailable);
    let shown = everything_shown(&err);
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!shown.contains("upstream echoed"), "{shown}");
}

#[tokio::test]
async fn a_truncated_variables_answer_shows_no_excerpt() {
    let server = MockServer::start().await;
    graphql("Variables", variables_request())
        .respond_with(ok(
            r#"{"data":{"variables":{"DATABASE_URL":"postgresql://app:pw-db-secret@db:5432/app","#,
        ))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).get("DATABASE_URL").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol);
    let shown = everything_shown(&err);
    assert!(!shown.contains("pw-db-secret"), "{shown}");
    assert!(!shown.contains("DATABASE_URL"), "{shown}");
}

#[tokio::test]
async fn a_misshapen_variables_answer_shows_no_value() {
    let server = MockServer::start().await;
    graphql("Variables", variables_request())
        .respond_with(ok(r#"{"data":{"variables":"pw-db-secret"}}"#))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).get("DATABASE_URL").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol);
    let shown = everything_shown(&err);
    assert!(!shown.contains("pw-db-secret"), "{shown}");
}

#[tokio::test]
async fn deleting_fails_when_what_is_missing_is_not_the_variable() {
    let answers = [
        // A wrong endpoint: an HTML 404 page.
        wiremock::ResponseTemplate::new(404)
            .set_body_raw("<html><title>404 Not Found</title></html>", "text/html"),
        // Railway's own 404.
        wiremock::ResponseTemplate::new(404).set_body_raw(
            r#"{"errors":[{"message":"Variable not found"}]}"#,
            "application/json",
        ),
        ok(r#"{"errors":[{"message":"Project not found"}],"data":null}"#),
        ok(r#"{"errors":[{"message":"Environment not found"}],"data":null}"#),
        ok(r#"{"errors":[{"message":"Service not found"}],"data":null}"#),
        ok(r#"{"errors":[{"message":"x","extensions":{"code":"NOT_FOUND"}}],"data":null}"#),
    ];
    for answer in answers {
        let server = MockServer::start().await;
        any_graphql("VariableDelete")
            .respond_with(answer)
            .expect(1)
            .mount(&server)
            .await;

        let err = client(&server).delete("FEATURE_FLAG_X").await.unwrap_err();

        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    }
}
