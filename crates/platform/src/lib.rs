//! The AFNOR XP Z12-013 Flow Service (Annex A, version 1.1.0), as a client: `POST /v1/flows`
//! (multipart: `flowInfo` in JSON, then the file), `POST /v1/flows/search` paged by
//! `updatedAfter`, with a bearer token from the platform's token URL (OAuth 2 client
//! credentials) or given as is.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use immovr_app::ports::{FlowAck, FlowToSubmit, FlowUpdate, IncomingStatus, InvoicePlatform, PlatformError};
use jiff::Timestamp;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;

pub mod cdar;

/// How the platform is reached.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// The Flow Service's base address (`https://api.flow.example/flow-service`).
    pub base_url: String,
    /// The token URL (client credentials); without one, `client_secret` is the bearer token.
    pub token_url: Option<String>,
    pub client_id: String,
    pub client_secret: String,
}

/// A client of the platform's Flow Service.
pub struct FlowService {
    config: PlatformConfig,
    http: reqwest::Client,
    token: tokio::sync::Mutex<Option<(String, Instant)>>,
}

#[derive(Deserialize)]
struct Token {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FullFlowInfo {
    flow_id: String,
}

#[derive(Deserialize)]
struct SearchContent {
    #[serde(default)]
    results: Vec<Flow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Flow {
    flow_id: String,
    #[serde(default)]
    tracking_id: Option<String>,
    updated_at: Timestamp,
    #[serde(default)]
    flow_direction: Option<String>,
    #[serde(default)]
    acknowledgement: Option<Acknowledgement>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Acknowledgement {
    status: String,
    #[serde(default)]
    details: Vec<Detail>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    #[serde(default)]
    reason_code: String,
    #[serde(default)]
    reason_message: String,
}

/// The platform refused a flow it already has (the same tracking id).
const ALREADY: &str = "AlreadyExistingFlow";

fn unavailable(e: impl std::fmt::Display) -> PlatformError {
    PlatformError::Unavailable(e.to_string())
}

/// A form value, percent-encoded.
fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

impl FlowService {
    pub fn new(config: PlatformConfig) -> Result<FlowService, String> {
        url::Url::parse(&config.base_url).map_err(|e| format!("platform URL {}: {e}", config.base_url))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("platform client: {e}"))?;
        Ok(FlowService { config, http, token: tokio::sync::Mutex::new(None) })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// A bearer token: fetched with the client credentials and kept until shortly before it
    /// ends, or the configured one.
    async fn token(&self, fresh: bool) -> Result<String, PlatformError> {
        let Some(token_url) = &self.config.token_url else { return Ok(self.config.client_secret.clone()) };
        let mut cached = self.token.lock().await;
        if !fresh && let Some((token, until)) = cached.as_ref().filter(|(_, until)| *until > Instant::now()) {
            let _ = until;
            return Ok(token.clone());
        }
        let body = form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &self.config.client_id),
            ("client_secret", &self.config.client_secret),
        ]);
        let r = self
            .http
            .post(token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(unavailable)?;
        if !r.status().is_success() {
            // Tried again with backoff, then parked: credentials being changed at the platform
            // must not park every invoice issued meanwhile at its first try.
            let status = r.status();
            let hint = if status.is_client_error() { " (check the platform's credentials)" } else { "" };
            return Err(unavailable(format!("token: {status}{hint}")));
        }
        let token: Token = serde_json::from_slice(&r.bytes().await.map_err(unavailable)?).map_err(unavailable)?;
        // A minute's margin before it ends.
        let lasts = Duration::from_secs(token.expires_in.unwrap_or(300).saturating_sub(60).max(1));
        *cached = Instant::now().checked_add(lasts).map(|until| (token.access_token.clone(), until));
        Ok(token.access_token)
    }

    /// Sends a request with the bearer token, once more with a fresh token after a 401.
    async fn send(&self, build: impl Fn(&str) -> reqwest::RequestBuilder) -> Result<reqwest::Response, PlatformError> {
        let r = build(&self.token(false).await?).send().await.map_err(unavailable)?;
        if r.status() != StatusCode::UNAUTHORIZED || self.config.token_url.is_none() {
            return Ok(r);
        }
        build(&self.token(true).await?).send().await.map_err(unavailable)
    }

    /// The flow of this tracking id, if the platform has one.
    async fn find(&self, tracking_id: &str) -> Result<Option<String>, PlatformError> {
        let body = json!({"limit": 1, "where": {"trackingId": tracking_id, "flowDirection": ["Out"]}});
        let found = self.search(&body).await?;
        Ok(found.results.into_iter().next().map(|f| f.flow_id))
    }

    async fn search(&self, body: &serde_json::Value) -> Result<SearchContent, PlatformError> {
        let url = self.url("/v1/flows/search");
        let body = body.to_string();
        let r = self
            .send(|token| {
                self.http.post(&url).bearer_auth(token).header("content-type", "application/json").body(body.clone())
            })
            .await?;
        let status = r.status();
        let bytes = r.bytes().await.map_err(unavailable)?;
        if !status.is_success() {
            return Err(error_of(status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|e| unavailable(format!("search: {e}")))
    }
}

/// A refusal's class: worth retrying (5xx, 429), or not.
fn error_of(status: StatusCode, body: &[u8]) -> PlatformError {
    let text: String = String::from_utf8_lossy(body).chars().take(500).collect();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::REQUEST_TIMEOUT {
        unavailable(format!("{status}: {text}"))
    } else {
        PlatformError::Refused(format!("{status}: {text}"))
    }
}

/// The multipart body of a flow: `flowInfo` (JSON) then the file.
fn flow_body(flow: &FlowToSubmit, boundary: &str) -> Vec<u8> {
    let mut info = json!({
        "trackingId": flow.tracking_id,
        "name": flow.name,
        "processingRule": flow.rule,
        "flowSyntax": flow.syntax,
        "sha256": flow.sha256,
    });
    // A profile only for invoices: Factur-X EN 16931 is the CIUS.
    let pdf = flow.syntax == "Factur-X";
    if pdf {
        info["flowProfile"] = json!("CIUS");
    }
    let content_type = if pdf { "application/pdf" } else { "application/xml" };
    let name: String = flow.name.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"flowInfo\"\r\nContent-Type: application/json\r\n\r\n{info}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&flow.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

#[async_trait]
impl InvoicePlatform for FlowService {
    fn name(&self) -> &str {
        &self.config.base_url
    }

    async fn submit(&self, flow: &FlowToSubmit) -> Result<String, PlatformError> {
        let boundary = format!("immovr-flow-{}", flow.sha256.get(..16).unwrap_or("boundary"));
        let body = flow_body(flow, &boundary);
        let url = self.url("/v1/flows");
        let r = self
            .send(|token| {
                self.http
                    .post(&url)
                    .bearer_auth(token)
                    .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                    .body(body.clone())
            })
            .await?;
        let status = r.status();
        let bytes = r.bytes().await.map_err(unavailable)?;
        if status.is_success() {
            let info: FullFlowInfo =
                serde_json::from_slice(&bytes).map_err(|e| unavailable(format!("submission's answer: {e}")))?;
            return Ok(info.flow_id);
        }
        // Sent before (a retry after a crash or a lost answer): the flow it has is ours.
        if status.is_client_error() && String::from_utf8_lossy(&bytes).contains(ALREADY) {
            return match self.find(&flow.tracking_id).await? {
                Some(id) => Ok(id),
                None => Err(unavailable(format!("{ALREADY}, but no flow found for {}", flow.tracking_id))),
            };
        }
        Err(error_of(status, &bytes))
    }

    async fn updates(&self, after: Option<Timestamp>) -> Result<Vec<FlowUpdate>, PlatformError> {
        let after = after.unwrap_or(Timestamp::UNIX_EPOCH);
        let body = json!({"limit": 100, "where": {"updatedAfter": after.to_string(), "flowDirection": ["Out"]}});
        let found = self.search(&body).await?;
        let mut updates: Vec<FlowUpdate> = found.results.into_iter().map(update_of).collect();
        updates.sort_by_key(|u| u.updated_at);
        Ok(updates)
    }

    async fn incoming_statuses(
        &self,
        after: Option<Timestamp>,
    ) -> Result<(Vec<IncomingStatus>, Option<Timestamp>), PlatformError> {
        let after = after.unwrap_or(Timestamp::UNIX_EPOCH);
        let body = json!({"limit": 100, "where": {"updatedAfter": after.to_string(), "flowDirection": ["In"],
            "flowType": ["CustomerInvoiceLC"]}});
        let found = self.search(&body).await?;
        let last = found.results.iter().map(|f| f.updated_at).max();
        let mut statuses = Vec::with_capacity(found.results.len());
        for f in found.results {
            let url = format!("{}?docType=Original", self.url(&format!("/v1/flows/{}", f.flow_id)));
            let r = self.send(|token| self.http.get(&url).bearer_auth(token)).await?;
            let status = r.status();
            let bytes = r.bytes().await.map_err(unavailable)?;
            let read = if status.is_success() {
                cdar::read(&bytes)
            } else {
                match error_of(status, &bytes) {
                    // Tried again later (the platform is down, a rate limit).
                    e @ PlatformError::Unavailable(_) => return Err(e),
                    // Gone or refused: the cursor moves past it rather than stop at it.
                    e if status != StatusCode::UNAUTHORIZED => Err(e.to_string()),
                    e => return Err(e),
                }
            };
            match read {
                Ok(s) => statuses.push(IncomingStatus {
                    invoice_number: s.invoice_number,
                    code: s.code,
                    reason: s.reason,
                    source: s.source,
                    updated_at: f.updated_at,
                    flow_id: f.flow_id.clone(),
                }),
                // Not ours to fix: noted, and the cursor moves past it.
                Err(e) => tracing::warn!(flow_id = %f.flow_id, error = %e, "an unreadable lifecycle message"),
            }
        }
        statuses.sort_by_key(|s| s.updated_at);
        Ok((statuses, last))
    }

    fn read_callback(&self, body: &[u8]) -> Result<FlowUpdate, String> {
        webhook_update(body)
    }
}

/// A flow as the platform's webhook posts it (`{"flowInfo": Flow}`), read like a search result.
pub fn webhook_update(body: &[u8]) -> Result<FlowUpdate, String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Callback {
        flow_info: Flow,
    }
    let c: Callback = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(update_of(c.flow_info))
}

/// What a flow's acknowledgement says: deposited, rejected with its reasons, or nothing yet. A
/// duplicate refused says nothing of the flow that holds the number.
fn update_of(f: Flow) -> FlowUpdate {
    // Only our outgoing flows: an incoming one (a supplier's invoice) may share a number.
    let outgoing = f.flow_direction.as_deref().is_none_or(|d| d == "Out");
    let (ack, reason) = match f.acknowledgement {
        _ if !outgoing => (FlowAck::Pending, None),
        Some(a) if a.status == "Ok" => (FlowAck::Ok, None),
        Some(a)
            if a.status == "Error" && (a.details.is_empty() || a.details.iter().any(|d| d.reason_code != ALREADY)) =>
        {
            let reasons: Vec<String> =
                a.details.iter().map(|d| format!("{} : {}", d.reason_code, d.reason_message)).collect();
            (FlowAck::Error, Some(reasons.join(" ; ")))
        }
        _ => (FlowAck::Pending, None),
    };
    FlowUpdate { flow_id: f.flow_id, tracking_id: f.tracking_id, updated_at: f.updated_at, ack, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn callback(direction: &str, status: &str, details: &str) -> FlowUpdate {
        let body = format!(
            r#"{{"flowInfo": {{"flowId": "f-1", "trackingId": "F-2027-0001", "updatedAt": "2027-09-01T10:00:00Z",
                "flowDirection": "{direction}", "acknowledgement": {{"status": "{status}"{details}}}}}}}"#
        );
        webhook_update(body.as_bytes()).unwrap()
    }

    #[test]
    fn acknowledgements_read_as_the_platform_means_them() {
        assert_eq!(callback("Out", "Ok", "").ack, FlowAck::Ok);
        assert_eq!(callback("Out", "Pending", "").ack, FlowAck::Pending);
        let rejected = callback(
            "Out",
            "Error",
            r#", "details": [{"level": "Error", "item": "BT-49", "reasonCode": "InvalidSchema", "reasonMessage": "absent"}]"#,
        );
        assert_eq!((rejected.ack, rejected.reason.as_deref()), (FlowAck::Error, Some("InvalidSchema : absent")));
        // An error without details is an error still.
        assert_eq!(callback("Out", "Error", "").ack, FlowAck::Error);
        // A duplicate refused says nothing of the flow that holds the number.
        let duplicate = r#", "details": [{"level": "Error", "item": "flow", "reasonCode": "AlreadyExistingFlow", "reasonMessage": "sent before"}]"#;
        assert_eq!(callback("Out", "Error", duplicate).ack, FlowAck::Pending);
        // An incoming flow (a supplier's invoice with the same number) is not ours.
        assert_eq!(callback("In", "Ok", "").ack, FlowAck::Pending);
        assert!(webhook_update(b"{}").is_err());
    }

    #[test]
    fn a_flow_goes_as_two_parts_its_information_then_the_file() {
        let flow = FlowToSubmit {
            syntax: "Factur-X".into(),
            rule: "B2B".into(),
            tracking_id: "F-2027-0001".into(),
            name: "Facture \"F-2027-0001\".pdf".into(),
            sha256: "ab".repeat(32),
            bytes: b"%PDF-1.7 the invoice".to_vec(),
        };
        let body = String::from_utf8(flow_body(&flow, "b0undary")).unwrap();
        assert!(body.starts_with(
            "--b0undary\r\nContent-Disposition: form-data; name=\"flowInfo\"\r\nContent-Type: application/json\r\n\r\n"
        ));
        assert!(body.contains(r#""processingRule":"B2B""#) && body.contains(r#""flowSyntax":"Factur-X""#), "{body}");
        assert!(body.contains("filename=\"Facture F-2027-0001.pdf\""), "quotes taken out of the name: {body}");
        assert!(body.ends_with("%PDF-1.7 the invoice\r\n--b0undary--\r\n"));
    }
}
