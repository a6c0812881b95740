//! Pure entry points for the fuzz targets in the repository's `fuzz/` crate. Not part of the
//! API: hidden from the docs, and free to change.

use std::collections::BTreeMap;

use http::StatusCode;
use http::header::HeaderMap;
use ir_core::redact::Secrets;
use ir_http::Response;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::{PROVIDER, decode};
use crate::gql::{self, Operation};
use crate::wire::{WireConnection, WireDeployment, WireDeploymentId, WireLog, WireServiceInstance};

/// Reads `body`, answered with HTTP `status`, as the answer to every operation the client
/// sends, as it would (to a request that is `idempotent` or not), and converts what decodes
/// into `ir-core` types. `secret` stands for a value a `variableUpsert` carried. Returns one
/// result per operation; never panics.
pub fn decode_all(
    status: u16,
    body: &[u8],
    idempotent: bool,
    secret: &str,
) -> Vec<ir_core::Result<()>> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let answer = |op: &Operation| {
        Response::from_parts(
            PROVIDER,
            op.root_field,
            status,
            HeaderMap::new(),
            body.to_vec(),
        )
        .with_idempotent_request(idempotent)
    };
    let none = Secrets::new();
    let carried = Secrets::with_min_len(1);
    carried.add(&SecretString::from(secret.to_owned()));
    fn read<T: DeserializeOwned>(
        response: &Response,
        op: &Operation,
        secrets: &Secrets,
    ) -> ir_core::Result<T> {
        decode(response, op, secrets)
    }
    vec![
        read::<WireServiceInstance>(
            &answer(&gql::SERVICE_INSTANCE),
            &gql::SERVICE_INSTANCE,
            &none,
        )
        .map(|w| drop(w.into_status())),
        read::<WireConnection>(&answer(&gql::DEPLOYMENTS), &gql::DEPLOYMENTS, &none).map(|w| {
            for edge in w.edges {
                drop(edge.node.into_deployment());
            }
        }),
        read::<WireDeployment>(&answer(&gql::DEPLOYMENT), &gql::DEPLOYMENT, &none)
            .map(|w| drop(w.into_deployment())),
        read::<bool>(
            &answer(&gql::DEPLOYMENT_ROLLBACK),
            &gql::DEPLOYMENT_ROLLBACK,
            &none,
        )
        .map(drop),
        read::<WireDeploymentId>(
            &answer(&gql::DEPLOYMENT_REDEPLOY),
            &gql::DEPLOYMENT_REDEPLOY,
            &none,
        )
        .map(drop),
        read::<bool>(
            &answer(&gql::DEPLOYMENT_RESTART),
            &gql::DEPLOYMENT_RESTART,
            &none,
        )
        .map(drop),
        read::<BTreeMap<String, Value>>(&answer(&gql::VARIABLES), &gql::VARIABLES, &none).map(drop),
        read::<bool>(
            &answer(&gql::VARIABLE_UPSERT),
            &gql::VARIABLE_UPSERT,
            &carried,
        )
        .map(drop),
        read::<bool>(&answer(&gql::VARIABLE_DELETE), &gql::VARIABLE_DELETE, &none).map(drop),
        read::<Vec<WireLog>>(&answer(&gql::DEPLOYMENT_LOGS), &gql::DEPLOYMENT_LOGS, &none).map(
            |logs| {
                for log in logs {
                    drop(log.into_line());
                }
            },
        ),
    ]
}
