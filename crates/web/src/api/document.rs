//! The OpenAPI document as the API really answers: what utoipa derives from the handlers, then
//! completed by rules that hold for every operation — every error is a problem document
//! (`application/problem+json`), and each operation lists the errors its extractors and layers
//! can answer besides its own (401/403 when it takes a credential, 400 for a malformed query or
//! body, 404 for a path id, 413/415/422 for a JSON body, the idempotency conflicts of POST,
//! 429 where attempts are limited, 500); ids are 64-bit integers; a file upload is binary.

use serde_json::{Map, Value, json};

const PROBLEM: &str = "#/components/schemas/Problem";

fn problem(description: &str) -> Value {
    json!({"description": description,
        "content": {"application/problem+json": {"schema": {"$ref": PROBLEM}}}})
}

/// Replaces references to the integer types utoipa makes components of (`i64` in path
/// parameters) by the integer itself.
fn inline_integers(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.get("$ref").and_then(Value::as_str) == Some("#/components/schemas/i64") {
                *v = json!({"type": "integer", "format": "int64"});
                return;
            }
            map.values_mut().for_each(inline_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(inline_integers),
        _ => {}
    }
}

fn add(responses: &mut Map<String, Value>, status: &str, description: &str) {
    responses.entry(status.to_string()).or_insert_with(|| problem(description));
}

fn finish_operation(path: &str, method: &str, op: &mut Value) {
    let anonymous =
        op["security"].as_array().is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(Map::is_empty)));
    let params: Vec<(String, String)> = op["parameters"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| (p["in"].as_str().unwrap_or("").to_string(), p["name"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    let json_body = op["requestBody"]["content"].get("application/json").is_some();
    let binary_body = op["requestBody"]["content"].get("application/octet-stream").is_some();
    if binary_body {
        op["requestBody"]["content"]["application/octet-stream"]["schema"] =
            json!({"type": "string", "format": "binary"});
    }
    let keyed = method == "post" && !path.starts_with("/api/v1/auth/");
    if keyed {
        let header = json!({"name": "Idempotency-Key", "in": "header", "required": false,
            "description": "Retries with the same key and request get the first answer, with no second effect.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255}});
        match op["parameters"].as_array_mut() {
            Some(ps) => ps.push(header),
            None => op["parameters"] = json!([header]),
        }
    }
    let Some(responses) = op["responses"].as_object_mut() else { return };
    // Errors are problem documents, whatever the handler declared.
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            response["content"] = json!({"application/problem+json": {"schema": {"$ref": PROBLEM}}});
        } else if response.get("content").is_none_or(|c| c.as_object().is_some_and(Map::is_empty)) && status != "204" {
            // A file: whatever type it was stored with.
            response["content"] = json!({"*/*": {"schema": {"type": "string", "format": "binary"}}});
        }
    }
    if !anonymous {
        add(responses, "401", "No valid credential");
        add(responses, "403", "The credential does not allow this");
    }
    if params.iter().any(|(at, _)| at == "query") || json_body || keyed {
        add(responses, "400", "A malformed query, body or idempotency key");
    }
    if params.iter().any(|(at, _)| at == "path") {
        add(responses, "404", "No such record (or not the caller's)");
    }
    if json_body {
        add(responses, "413", "The body is too large");
        add(responses, "415", "The body is not JSON");
        add(responses, "422", "The body does not fit the schema or its rules");
    }
    if binary_body {
        add(responses, "413", "The file is too large");
    }
    if keyed {
        add(responses, "409", "A request with this idempotency key is still running");
        add(responses, "422", "This idempotency key was used for another request");
    }
    if path == "/api/v1/auth/login" || path == "/api/v1/auth/signup" {
        add(responses, "429", "Too many attempts: wait a minute");
    }
    add(responses, "500", "Something went wrong on the server's side");
}

/// The served document.
pub fn finish(doc: utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(doc).expect("the OpenAPI document serialises");
    inline_integers(&mut doc);
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        schemas.remove("i64");
    }
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            for method in ["get", "put", "post", "patch", "delete"] {
                if let Some(op) = item.get_mut(method) {
                    finish_operation(path, method, op);
                }
            }
        }
    }
    doc
}
