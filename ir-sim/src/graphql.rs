//! Just enough GraphQL execution for the simulated Railway and GitHub endpoints: the document
//! is parsed with `apollo-compiler`, each root field's arguments are resolved against the
//! request's variables, the vendor's resolver answers it with the whole object, and the answer
//! is cut down to the selection set (aliases, fragments and `__typename` included), so a client
//! gets exactly the fields it asked for.

use apollo_compiler::ast::{self, Definition, OperationType, Selection};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

/// A resolver's refusal: GraphQL's `errors[]` entry (the path is added here).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldError {
    pub message: String,
    pub extensions: Option<Value>,
    /// GitHub's top-level `type` (`NOT_FOUND`, `FORBIDDEN`).
    pub kind: Option<String>,
}

impl FieldError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            extensions: None,
            kind: None,
        }
    }

    pub(crate) fn with_type(mut self, kind: &str) -> Self {
        self.kind = Some(kind.to_owned());
        self
    }

    pub(crate) fn with_extensions(mut self, extensions: Value) -> Self {
        self.extensions = Some(extensions);
        self
    }
}

/// One root field to resolve.
#[derive(Debug)]
pub(crate) struct RootField<'a> {
    pub mutation: bool,
    pub name: &'a str,
    pub args: Map<String, Value>,
}

impl RootField<'_> {
    /// A string argument.
    pub(crate) fn str(&self, name: &str) -> Option<&str> {
        self.args.get(name).and_then(Value::as_str)
    }

    /// A string argument that must be there.
    pub(crate) fn required(&self, name: &str) -> Result<&str, FieldError> {
        self.str(name).ok_or_else(|| {
            FieldError::new(format!(
                "Variable \"${name}\" of required type \"String!\" was not provided."
            ))
        })
    }

    /// An integer argument.
    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        self.args.get(name).and_then(Value::as_i64)
    }
}

/// The request's `operationName` (for the request log), if the body is JSON that names one.
pub(crate) fn operation_name(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    value.get("operationName")?.as_str().map(str::to_owned)
}

/// A body of `{"errors": [...]}` with HTTP 400, as GraphQL servers answer a document they
/// cannot run.
fn request_error(message: impl Into<String>) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({ "errors": [{ "message": message.into(), "extensions": { "code": "GRAPHQL_VALIDATION_FAILED" } }] }),
    )
}

/// Runs the GraphQL request in `body`, resolving each root field with `resolve`.
pub(crate) fn execute(
    body: &[u8],
    mut resolve: impl FnMut(&RootField<'_>) -> Result<Value, FieldError>,
) -> (StatusCode, Value) {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return request_error("POST body sent invalid JSON.");
    };
    let Some(query) = request.get("query").and_then(Value::as_str) else {
        return request_error("GraphQL operations must contain a non-empty `query`.");
    };
    let variables = match request.get("variables") {
        Some(Value::Object(vars)) => vars.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return request_error("Variables must be provided as an Object."),
    };
    let wanted = request.get("operationName").and_then(Value::as_str);
    let document = match ast::Document::parse(query, "request.graphql") {
        Ok(document) => document,
        Err(with_errors) => {
            let first = with_errors
                .errors
                .iter()
                .next()
                .map(|d| d.error.to_string())
                .unwrap_or_else(|| "the document does not parse".to_owned());
            return request_error(format!("Syntax Error: {first}"));
        }
    };
    let operations: Vec<&ast::OperationDefinition> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::OperationDefinition(op) => Some(op.as_ref()),
            _ => None,
        })
        .collect();
    let operation = match wanted {
        Some(name) => operations
            .iter()
            .find(|op| op.name.as_ref().is_some_and(|n| n.as_str() == name)),
        None if operations.len() == 1 => operations.first(),
        None => None,
    };
    let Some(operation) = operation else {
        return request_error(match wanted {
            Some(name) => format!("Unknown operation named \"{name}\"."),
            None => "Must provide operation name if query contains multiple operations.".into(),
        });
    };
    let fragments: Vec<&ast::FragmentDefinition> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::FragmentDefinition(f) => Some(f.as_ref()),
            _ => None,
        })
        .collect();
    let mutation = operation.operation_type == OperationType::Mutation;
    let mut data = Map::new();
    let mut errors = Vec::new();
    for field in fields(&operation.selection_set, &fragments) {
        let key = field.alias.as_ref().unwrap_or(&field.name).to_string();
        let args = field
            .arguments
            .iter()
            .map(|a| (a.name.to_string(), literal(&a.value, &variables)))
            .collect();
        let root = RootField {
            mutation,
            name: field.name.as_str(),
            args,
        };
        match resolve(&root) {
            Ok(value) => {
                let value = project(value, &field.selection_set, &fragments, &key, &mut errors);
                data.insert(key, value);
            }
            Err(e) => {
                let mut entry = json!({ "message": e.message, "path": [key] });
                if let Some(ext) = e.extensions {
                    entry["extensions"] = ext;
                }
                if let Some(kind) = e.kind {
                    entry["type"] = Value::String(kind);
                }
                errors.push(entry);
                // Root fields are non-null in both schemas: an error nulls `data`.
                data.insert(key, Value::Null);
            }
        }
    }
    let failed_root = errors
        .iter()
        .any(|e| e["path"].as_array().is_some_and(|p| p.len() == 1));
    let mut answer = Map::new();
    answer.insert(
        "data".into(),
        if failed_root {
            Value::Null
        } else {
            Value::Object(data)
        },
    );
    if !errors.is_empty() {
        answer.insert("errors".into(), Value::Array(errors));
    }
    (StatusCode::OK, Value::Object(answer))
}

/// The fields of a selection set, fragments spread in.
fn fields<'a>(
    selection: &'a [Selection],
    fragments: &[&'a ast::FragmentDefinition],
) -> Vec<&'a ast::Field> {
    let mut out = Vec::new();
    for s in selection {
        match s {
            Selection::Field(f) => out.push(f.as_ref()),
            Selection::InlineFragment(f) => out.extend(fields(&f.selection_set, fragments)),
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = fragments.iter().find(|f| f.name == spread.fragment_name) {
                    out.extend(fields(&fragment.selection_set, fragments));
                }
            }
        }
    }
    out
}

/// `value` cut down to `selection` (everything, for a scalar or a JSON scalar).
fn project(
    value: Value,
    selection: &[Selection],
    fragments: &[&ast::FragmentDefinition],
    path: &str,
    errors: &mut Vec<Value>,
) -> Value {
    if selection.is_empty() {
        return value;
    }
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| project(item, selection, fragments, path, errors))
                .collect(),
        ),
        Value::Object(mut object) => {
            let mut out = Map::new();
            for field in fields(selection, fragments) {
                let key = field.alias.as_ref().unwrap_or(&field.name).to_string();
                let name = field.name.as_str();
                let inner = match object.remove(name) {
                    Some(v) => project(v, &field.selection_set, fragments, path, errors),
                    None if name == "__typename" => Value::String("Object".into()),
                    None => {
                        errors.push(json!({
                            "message": format!("Cannot query field \"{name}\": the simulator does not model it."),
                            "path": [path, key],
                        }));
                        Value::Null
                    }
                };
                out.insert(key, inner);
            }
            Value::Object(out)
        }
        other => other,
    }
}

/// An argument's value with variables filled in (an unset variable is `null`).
fn literal(value: &ast::Value, variables: &Map<String, Value>) -> Value {
    match value {
        ast::Value::Null => Value::Null,
        ast::Value::Variable(name) => variables.get(name.as_str()).cloned().unwrap_or(Value::Null),
        ast::Value::Enum(name) => Value::String(name.to_string()),
        ast::Value::String(s) => Value::String(s.clone()),
        ast::Value::Boolean(b) => Value::Bool(*b),
        ast::Value::Int(i) => i.as_str().parse::<i64>().map_or(Value::Null, Value::from),
        ast::Value::Float(f) => f
            .as_str()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        ast::Value::List(items) => {
            Value::Array(items.iter().map(|v| literal(v, variables)).collect())
        }
        ast::Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), literal(v, variables)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_aliases_variables_and_errors() {
        let body = json!({
            "query": "query Q($id: String!) { d: deployment(id: $id) { id ...F } } fragment F on Deployment { status }",
            "operationName": "Q",
            "variables": { "id": "d1" },
        });
        let (status, answer) = execute(body.to_string().as_bytes(), |f| {
            assert_eq!(f.name, "deployment");
            assert_eq!(f.str("id"), Some("d1"));
            Ok(json!({ "id": "d1", "status": "SUCCESS", "meta": {} }))
        });
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            answer,
            json!({ "data": { "d": { "id": "d1", "status": "SUCCESS" } } })
        );

        let (_, answer) = execute(body.to_string().as_bytes(), |_| {
            Err(FieldError::new("Deployment not found"))
        });
        assert_eq!(answer["data"], Value::Null);
        assert_eq!(answer["errors"][0]["message"], "Deployment not found");

        let (status, _) = execute(b"{not json", |_| Ok(Value::Null));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, answer) = execute(br#"{"query":"query {"}"#, |_| Ok(Value::Null));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    }
}
