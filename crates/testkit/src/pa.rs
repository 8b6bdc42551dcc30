//! A small approved platform (PA) for the tests: the AFNOR XP Z12-013 Flow Service's
//! `POST /v1/flows` (multipart `flowInfo` + `file`, the SHA-256 checked, a second flow with the
//! same tracking id refused as `AlreadyExistingFlow`) and `POST /v1/flows/search` (`updatedAfter`,
//! `trackingId`), behind an OAuth 2 client-credentials token URL. The test acknowledges flows
//! (Ok, or Error with a reason) and makes the next submissions fail with a 503.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "immovr-studio";
pub const CLIENT_SECRET: &str = "a-test-client-secret";

/// A flow the platform received.
#[derive(Debug, Clone)]
pub struct Flow {
    pub flow_id: String,
    pub info: Value,
    pub bytes: Vec<u8>,
    pub updated_at: Timestamp,
    /// `Pending`, `Ok` or `Error`, with (code, message) reasons.
    pub ack: (String, Vec<(String, String)>),
}

#[derive(Default)]
struct Platform {
    flows: Vec<Flow>,
    tokens: Vec<String>,
    /// The next submissions answered 503.
    unavailable: usize,
    /// Submissions received (refused ones included).
    submissions: usize,
    last_update: Option<Timestamp>,
}

impl Platform {
    /// The platform's own clock: a second later at each change (its updates' order is what
    /// a client's cursor relies on).
    fn tick(&mut self) -> Timestamp {
        let start: Timestamp = "2026-06-15T08:00:00Z".parse().expect("a timestamp");
        let t = self.last_update.unwrap_or(start) + jiff::SignedDuration::from_secs(1);
        self.last_update = Some(t);
        t
    }
}

#[derive(Clone)]
pub struct FakePlatform {
    /// The Flow Service's base address (its `/v1/flows` under it).
    pub url: String,
    pub token_url: String,
    state: Arc<Mutex<Platform>>,
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(json!({"errorCode": code, "errorMessage": message}))).into_response()
}

fn flow_json(f: &Flow) -> Value {
    let details: Vec<Value> = f
        .ack
        .1
        .iter()
        .map(|(c, m)| json!({"level": "Error", "item": "invoice", "reasonCode": c, "reasonMessage": m}))
        .collect();
    let mut ack = json!({"status": f.ack.0});
    if !details.is_empty() {
        ack["details"] = Value::Array(details);
    }
    json!({
        "flowId": f.flow_id,
        "trackingId": f.info["trackingId"],
        "submittedAt": f.updated_at.to_string(),
        "updatedAt": f.updated_at.to_string(),
        "flowType": "CustomerInvoice",
        "processingRule": f.info["processingRule"],
        "flowDirection": "Out",
        "flowSyntax": f.info["flowSyntax"],
        "acknowledgement": ack,
    })
}

async fn token(State(s): State<Arc<Mutex<Platform>>>, body: String) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("grant_type") != Some("client_credentials")
        || get("client_id") != Some(CLIENT_ID)
        || get("client_secret") != Some(CLIENT_SECRET)
    {
        return error(StatusCode::UNAUTHORIZED, "INVALID_CLIENT", "bad credentials");
    }
    let mut s = s.lock().unwrap();
    let token = format!("token-{}", s.tokens.len() + 1);
    s.tokens.push(token.clone());
    axum::Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600})).into_response()
}

fn authorised(s: &Platform, headers: &HeaderMap) -> bool {
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    bearer.is_some_and(|t| s.tokens.iter().any(|k| k == t))
}

async fn submit(State(state): State<Arc<Mutex<Platform>>>, headers: HeaderMap, mut multipart: Multipart) -> Response {
    {
        let mut s = state.lock().unwrap();
        if !authorised(&s, &headers) {
            return error(StatusCode::UNAUTHORIZED, "MISSING_TOKEN", "");
        }
        s.submissions += 1;
        if s.unavailable > 0 {
            s.unavailable -= 1;
            return error(StatusCode::SERVICE_UNAVAILABLE, "RESOURCE_ERROR", "down for the test");
        }
    }
    let (mut info, mut file) = (None, None);
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("flowInfo") => info = field.text().await.ok().and_then(|t| serde_json::from_str::<Value>(&t).ok()),
            Some("file") => file = field.bytes().await.ok().map(|b| b.to_vec()),
            _ => {}
        }
    }
    let (Some(info), Some(bytes)) = (info, file) else {
        return error(StatusCode::BAD_REQUEST, "MISSING_REQUIRED_FIELD", "flowInfo and file");
    };
    if info["sha256"].as_str() != Some(hex::encode(Sha256::digest(&bytes)).as_str()) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "ChecksumMismatch", "the file is not the one announced");
    }
    let mut s = state.lock().unwrap();
    if s.flows.iter().any(|f| f.info["trackingId"] == info["trackingId"]) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "AlreadyExistingFlow", "this tracking id was received already");
    }
    let updated_at = s.tick();
    let flow = Flow {
        flow_id: format!("flow-{}", s.flows.len() + 1),
        info,
        bytes,
        updated_at,
        ack: ("Pending".into(), vec![]),
    };
    let answer = json!({"flowId": flow.flow_id, "submittedAt": updated_at.to_string(), "trackingId": flow.info["trackingId"], "flowSyntax": flow.info["flowSyntax"]});
    s.flows.push(flow);
    (StatusCode::ACCEPTED, axum::Json(answer)).into_response()
}

async fn search(
    State(state): State<Arc<Mutex<Platform>>>,
    headers: HeaderMap,
    axum::Json(q): axum::Json<Value>,
) -> Response {
    let s = state.lock().unwrap();
    if !authorised(&s, &headers) {
        return error(StatusCode::UNAUTHORIZED, "MISSING_TOKEN", "");
    }
    let w = &q["where"];
    let after: Option<Timestamp> = w["updatedAfter"].as_str().and_then(|t| t.parse().ok());
    let limit = q["limit"].as_u64().unwrap_or(25).min(100) as usize;
    let mut found: Vec<&Flow> = s
        .flows
        .iter()
        .filter(|f| after.is_none_or(|a| f.updated_at > a))
        .filter(|f| w["trackingId"].is_null() || f.info["trackingId"] == w["trackingId"])
        .collect();
    found.sort_by_key(|f| f.updated_at);
    let results: Vec<Value> = found.into_iter().take(limit).map(flow_json).collect();
    axum::Json(json!({"limit": limit, "filters": w, "results": results})).into_response()
}

impl FakePlatform {
    pub async fn start() -> FakePlatform {
        let state = Arc::new(Mutex::new(Platform::default()));
        let app = Router::new()
            .route("/oauth/token", post(token))
            .route("/flow-service/v1/flows", post(submit))
            .route("/flow-service/v1/flows/search", post(search))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakePlatform {
            url: format!("http://{addr}/flow-service"),
            token_url: format!("http://{addr}/oauth/token"),
            state,
        }
    }

    /// The next `n` submissions are answered 503.
    pub fn fail_next(&self, n: usize) {
        self.state.lock().unwrap().unavailable = n;
    }

    pub fn flows(&self) -> Vec<Flow> {
        self.state.lock().unwrap().flows.clone()
    }

    /// Submissions received, refused ones included.
    pub fn submissions(&self) -> usize {
        self.state.lock().unwrap().submissions
    }

    /// The platform's acknowledgement of the flow of `tracking_id`: Ok, or Error with a reason.
    pub fn acknowledge(&self, tracking_id: &str, error: Option<(&str, &str)>) -> Flow {
        let mut s = self.state.lock().unwrap();
        let at = s.tick();
        let f = s.flows.iter_mut().find(|f| f.info["trackingId"] == tracking_id).expect("a flow of that tracking id");
        f.updated_at = at;
        f.ack = match error {
            None => ("Ok".into(), vec![]),
            Some((code, message)) => ("Error".into(), vec![(code.into(), message.into())]),
        };
        f.clone()
    }

    /// A flow as the platform's webhook posts it.
    pub fn webhook_body(flow: &Flow) -> Value {
        json!({"flowInfo": flow_json(flow)})
    }
}
