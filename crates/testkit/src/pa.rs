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

/// What the Flow Service's OpenAPI document (XP Z12-013 Annex A, 1.1.0: `FlowInfo`,
/// `NotOnlyUuid`, `ProcessingRule`, `FlowSyntax`, `FlowProfile`) allows in a submission's
/// `flowInfo`; the first breach, if any. A request that does not conform is answered 400.
pub fn flow_info_breach(info: &Value) -> Option<String> {
    let Some(obj) = info.as_object() else { return Some("flowInfo: not an object".into()) };
    let known = ["trackingId", "name", "processingRule", "flowSyntax", "flowProfile", "sha256"];
    let one_of = |field: &str, allowed: &[&str]| match info.get(field) {
        None => None,
        Some(Value::String(v)) if allowed.contains(&v.as_str()) => None,
        Some(v) => Some(format!("{field}: {v} is not one of {allowed:?}")),
    };
    let at_most = |field: &str, n: usize| match info.get(field) {
        None => None,
        Some(Value::String(v)) if v.chars().count() <= n => None,
        Some(v) => Some(format!("{field}: {v} is not a string of at most {n} characters")),
    };
    if !obj.contains_key("flowSyntax") {
        return Some("flowSyntax: required".into());
    }
    obj.keys()
        .find(|k| !known.contains(&k.as_str()))
        .map(|k| format!("{k}: not a FlowInfo property"))
        .or_else(|| at_most("trackingId", 36))
        .or_else(|| at_most("name", 255))
        .or_else(|| one_of("processingRule", &["B2B", "B2BInt", "B2C", "OutOfScope", "ArchiveOnly", "NotApplicable"]))
        .or_else(|| one_of("flowSyntax", &["CII", "UBL", "Factur-X", "CDAR", "FRR"]))
        .or_else(|| one_of("flowProfile", &["Basic", "CIUS", "Extended-CTC-FR"]))
        .or_else(|| match info.get("sha256") {
            None => None,
            Some(Value::String(h))
                if h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
            {
                None
            }
            Some(v) => Some(format!("sha256: {v} does not match ^[a-f0-9]{{64}}$")),
        })
}

/// The same for a search (`SearchFlowParams`): `where` required, `limit` at most 100, the
/// filters' values from their enumerations.
pub fn search_breach(q: &Value) -> Option<String> {
    let w = match q.get("where") {
        Some(Value::Object(w)) if !w.is_empty() => w,
        _ => return Some("where: required, with at least one criterion".into()),
    };
    if q.get("limit").is_some_and(|l| l.as_u64().is_none_or(|l| l > 100)) {
        return Some("limit: an integer of at most 100".into());
    }
    let known =
        ["updatedAfter", "updatedBefore", "processingRule", "flowType", "flowDirection", "trackingId", "ackStatus"];
    if let Some(k) = w.keys().find(|k| !known.contains(&k.as_str())) {
        return Some(format!("where.{k}: not a criterion"));
    }
    for time in ["updatedAfter", "updatedBefore"] {
        if let Some(v) = w.get(time)
            && v.as_str().and_then(|t| t.parse::<Timestamp>().ok()).is_none()
        {
            return Some(format!("where.{time}: {v} is not a date-time"));
        }
    }
    match w.get("flowDirection") {
        Some(Value::Array(d)) if d.iter().all(|d| d == "In" || d == "Out") => None,
        None => None,
        Some(v) => Some(format!("where.flowDirection: {v} is not an array of In/Out")),
    }
}

/// A flow the platform received.
#[derive(Debug, Clone)]
pub struct Flow {
    pub flow_id: String,
    pub info: Value,
    pub bytes: Vec<u8>,
    pub updated_at: Timestamp,
    /// `Pending`, `Ok` or `Error`, with (code, message) reasons.
    pub ack: (String, Vec<(String, String)>),
    /// `Out` (sent by the studio) or `In` (a lifecycle message about one of its invoices).
    pub direction: &'static str,
}

#[derive(Default)]
struct Platform {
    flows: Vec<Flow>,
    tokens: Vec<String>,
    /// The next submissions answered 503 (or 429 when `throttled`).
    unavailable: usize,
    throttled: bool,
    /// Submissions received (refused ones included).
    submissions: usize,
    /// The next accepted submissions' answers are lost (a 503 after the flow is kept): the
    /// client does not know it was sent.
    lose_answers: usize,
    /// The next accepted submissions are answered only after a while (the flow kept at once).
    hold_answers: usize,
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

fn flow_type(f: &Flow) -> &'static str {
    match f.info["flowSyntax"].as_str() {
        Some("CDAR") => "CustomerInvoiceLC",
        Some("FRR") if f.bytes.windows(14).any(|w| w == b"<PaymentsRepor") => "AggregatedCustomerPaymentReport",
        Some("FRR") => "AggregatedCustomerTransactionReport",
        _ => "CustomerInvoice",
    }
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
        "flowType": flow_type(f),
        "processingRule": f.info["processingRule"],
        "flowDirection": f.direction,
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
            if s.throttled {
                return error(StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS", "slow down for the test");
            }
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
    if let Some(breach) = flow_info_breach(&info) {
        return error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", &breach);
    }
    if info["sha256"].as_str() != Some(hex::encode(Sha256::digest(&bytes)).as_str()) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "ChecksumMismatch", "the file is not the one announced");
    }
    let (answer, hold) = {
        let mut s = state.lock().unwrap();
        if s.flows.iter().any(|f| f.info["trackingId"] == info["trackingId"]) {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "AlreadyExistingFlow",
                "this tracking id was received already",
            );
        }
        let updated_at = s.tick();
        let flow = Flow {
            flow_id: format!("flow-{}", s.flows.len() + 1),
            info,
            bytes,
            updated_at,
            ack: ("Pending".into(), vec![]),
            direction: "Out",
        };
        let answer = json!({"flowId": flow.flow_id, "submittedAt": updated_at.to_string(), "trackingId": flow.info["trackingId"], "flowSyntax": flow.info["flowSyntax"]});
        s.flows.push(flow);
        if s.lose_answers > 0 {
            s.lose_answers -= 1;
            return error(StatusCode::SERVICE_UNAVAILABLE, "RESOURCE_ERROR", "the answer was lost");
        }
        let hold = s.hold_answers > 0;
        s.hold_answers = s.hold_answers.saturating_sub(1);
        (answer, hold)
    };
    if hold {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
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
    if let Some(breach) = search_breach(&q) {
        return error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", &breach);
    }
    let w = &q["where"];
    let after: Option<Timestamp> = w["updatedAfter"].as_str().and_then(|t| t.parse().ok());
    let limit = q["limit"].as_u64().unwrap_or(25).min(100) as usize;
    let mut found: Vec<&Flow> = s
        .flows
        .iter()
        .filter(|f| after.is_none_or(|a| f.updated_at > a))
        .filter(|f| w["trackingId"].is_null() || f.info["trackingId"] == w["trackingId"])
        .filter(|f| w["flowDirection"].as_array().is_none_or(|d| d.iter().any(|d| d == f.direction)))
        .filter(|f| w["flowType"].as_array().is_none_or(|t| t.iter().any(|t| t == flow_type(f))))
        .collect();
    found.sort_by_key(|f| f.updated_at);
    let results: Vec<Value> = found.into_iter().take(limit).map(flow_json).collect();
    axum::Json(json!({"limit": limit, "filters": w, "results": results})).into_response()
}

/// `GET /v1/flows/{flowId}`: the flow's metadata, or its file (`docType=Original`).
async fn get_flow(
    State(state): State<Arc<Mutex<Platform>>>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let s = state.lock().unwrap();
    if !authorised(&s, &headers) {
        return error(StatusCode::UNAUTHORIZED, "MISSING_TOKEN", "");
    }
    let Some(f) = s.flows.iter().find(|f| f.flow_id == id) else {
        return error(StatusCode::NOT_FOUND, "MISSING_RESOURCE", "no such flow");
    };
    match q.get("docType").map(String::as_str) {
        None | Some("Metadata") => axum::Json(flow_json(f)).into_response(),
        Some("Original") => ([("content-type", "application/xml")], f.bytes.clone()).into_response(),
        Some(other) => error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", &format!("docType {other}")),
    }
}

/// A buyer's lifecycle message about an invoice (CDAR, French profile): its status and reason.
pub fn buyer_status(invoice_number: &str, invoice_date: &str, code: u32, reason: (&str, &str)) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossDomainAcknowledgementAndResponse xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100" xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100">
<rsm:ExchangedDocumentContext><ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>REGULATED</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn.cpro.gouv.fr:1p0:CDV:invoice</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument><ram:ID>LC-{invoice_number}-{code}</ram:ID><ram:IssueDateTime><udt:DateTimeString format="204">20260616090000</udt:DateTimeString></ram:IssueDateTime>
<ram:SenderTradeParty><ram:RoleCode>BY</ram:RoleCode></ram:SenderTradeParty>
<ram:IssuerTradeParty><ram:GlobalID schemeID="0002">123456782</ram:GlobalID><ram:Name>Acheteur</ram:Name><ram:RoleCode>BY</ram:RoleCode></ram:IssuerTradeParty>
<ram:RecipientTradeParty><ram:GlobalID schemeID="0002">000000000</ram:GlobalID><ram:Name>Virtuelli</ram:Name><ram:RoleCode>SE</ram:RoleCode><ram:URIUniversalCommunication><ram:URIID schemeID="0225">000000000</ram:URIID></ram:URIUniversalCommunication></ram:RecipientTradeParty></rsm:ExchangedDocument>
<rsm:AcknowledgementDocument><ram:MultipleReferencesIndicator><udt:Indicator>false</udt:Indicator></ram:MultipleReferencesIndicator><ram:TypeCode>23</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="204">20260616090000</udt:DateTimeString></ram:IssueDateTime>
<ram:ReferenceReferencedDocument><ram:IssuerAssignedID>{invoice_number}</ram:IssuerAssignedID><ram:TypeCode>380</ram:TypeCode><ram:FormattedIssueDateTime><qdt:DateTimeString format="102">{invoice_date}</qdt:DateTimeString></ram:FormattedIssueDateTime>
<ram:ProcessConditionCode>{code}</ram:ProcessConditionCode><ram:ProcessCondition>Refusée</ram:ProcessCondition><ram:IssuerTradeParty><ram:GlobalID schemeID="0002">000000000</ram:GlobalID></ram:IssuerTradeParty>
<ram:SpecifiedDocumentStatus><ram:ReasonCode>{}</ram:ReasonCode><ram:Reason>{}</ram:Reason><ram:SequenceNumeric>1</ram:SequenceNumeric></ram:SpecifiedDocumentStatus></ram:ReferenceReferencedDocument></rsm:AcknowledgementDocument>
</rsm:CrossDomainAcknowledgementAndResponse>
"#,
        reason.0, reason.1
    )
}

impl FakePlatform {
    pub async fn start() -> FakePlatform {
        let state = Arc::new(Mutex::new(Platform::default()));
        let app = Router::new()
            .route("/oauth/token", post(token))
            .route("/flow-service/v1/flows", post(submit))
            .route("/flow-service/v1/flows/search", post(search))
            .route("/flow-service/v1/flows/{flow_id}", axum::routing::get(get_flow))
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
        let mut s = self.state.lock().unwrap();
        (s.unavailable, s.throttled) = (n, false);
    }

    /// The next `n` accepted submissions are answered five seconds late (the flow kept at once).
    pub fn hold_answers_next(&self, n: usize) {
        self.state.lock().unwrap().hold_answers = n;
    }

    /// The next `n` accepted submissions' answers are lost.
    pub fn lose_answers_next(&self, n: usize) {
        self.state.lock().unwrap().lose_answers = n;
    }

    /// The next `n` submissions are answered 429 (a rate limit).
    pub fn throttle_next(&self, n: usize) {
        let mut s = self.state.lock().unwrap();
        (s.unavailable, s.throttled) = (n, true);
    }

    /// The flows the studio sent.
    pub fn flows(&self) -> Vec<Flow> {
        self.state.lock().unwrap().flows.iter().filter(|f| f.direction == "Out").cloned().collect()
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

    /// A lifecycle message received for the studio (an incoming CDAR flow).
    pub fn receive(&self, cdar: &str) {
        let mut s = self.state.lock().unwrap();
        let updated_at = s.tick();
        let flow_id = format!("flow-{}", s.flows.len() + 1);
        let info = json!({"trackingId": format!("in-{flow_id}"), "flowSyntax": "CDAR", "processingRule": "B2B"});
        let ack = ("Ok".into(), vec![]);
        s.flows.push(Flow { flow_id, info, bytes: cdar.as_bytes().to_vec(), updated_at, ack, direction: "In" });
    }

    /// A flow as the platform's webhook posts it.
    pub fn webhook_body(flow: &Flow) -> Value {
        json!({"flowInfo": flow_json(flow)})
    }
}
