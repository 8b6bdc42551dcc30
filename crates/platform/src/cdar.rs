//! Reading a lifecycle message received (CDAR D22B, French "cycle de vie" profile): which
//! invoice it is about (`ReferenceReferencedDocument/IssuerAssignedID`), its status
//! (`ProcessConditionCode`: 210 Refusée, 207 Litige…), the reason (`ReasonCode`, `Reason`), and
//! who issued it (the issuer's `RoleCode`: the buyer, or a platform).

use quick_xml::Reader;
use quick_xml::events::Event;

/// What a CDAR message says of one invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub invoice_number: String,
    pub code: i64,
    pub reason: Option<String>,
    /// `buyer` or `platform`.
    pub source: String,
}

/// The message's status, or why it cannot be read.
pub fn read(xml: &[u8]) -> Result<Status, String> {
    let mut reader = Reader::from_reader(xml);
    let mut path: Vec<String> = Vec::new();
    let (mut number, mut code, mut reason_code, mut reason, mut role) = (None, None, None, None, None);
    let mut buf = Vec::new();
    // The text of the element being read (entity references arrive as events of their own).
    let mut text = String::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(|e| format!("CDAR: {e}"))? {
            Event::Start(e) => {
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.decode().map_err(|e| format!("CDAR: {e}"))?),
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| format!("CDAR: {e}"))?;
                let c = match r.resolve_char_ref().map_err(|e| format!("CDAR: {e}"))? {
                    Some(c) => c,
                    None => quick_xml::escape::resolve_predefined_entity(&name)
                        .and_then(|s| s.chars().next())
                        .ok_or_else(|| format!("CDAR: unknown entity {name}"))?,
                };
                text.push(c);
            }
            Event::End(_) => {
                let value = text.trim().to_string();
                let ends = |tail: &[&str]| path.len() >= tail.len() && path[path.len() - tail.len()..] == *tail;
                let slot = if ends(&["ReferenceReferencedDocument", "IssuerAssignedID"]) {
                    Some(&mut number)
                } else if ends(&["ReferenceReferencedDocument", "ProcessConditionCode"]) {
                    Some(&mut code)
                } else if ends(&["SpecifiedDocumentStatus", "ReasonCode"]) {
                    Some(&mut reason_code)
                } else if ends(&["SpecifiedDocumentStatus", "Reason"]) {
                    Some(&mut reason)
                } else if ends(&["ExchangedDocument", "IssuerTradeParty", "RoleCode"]) {
                    Some(&mut role)
                } else {
                    None
                };
                if let Some(slot) = slot.filter(|s| s.is_none()) {
                    *slot = Some(value);
                }
                path.pop();
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let invoice_number = number.ok_or("CDAR: no referenced invoice")?;
    let code = code.ok_or("CDAR: no status")?.parse::<i64>().map_err(|e| format!("CDAR status: {e}"))?;
    let reason = match (reason_code, reason) {
        (Some(c), Some(r)) => Some(format!("{c} : {r}")),
        (c, r) => c.or(r),
    };
    let source = if role.as_deref() == Some("WK") { "platform" } else { "buyer" }.to_string();
    Ok(Status { invoice_number, code, reason, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_reads_as_the_buyer_s_with_its_reason() {
        let xml = r#"<?xml version="1.0"?><rsm:CrossDomainAcknowledgementAndResponse xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">
            <rsm:ExchangedDocument><ram:ID>m-1</ram:ID><ram:IssuerTradeParty><ram:Name>Agence</ram:Name><ram:RoleCode>BY</ram:RoleCode></ram:IssuerTradeParty></rsm:ExchangedDocument>
            <rsm:AcknowledgementDocument><ram:ReferenceReferencedDocument><ram:IssuerAssignedID>F-2027-0042</ram:IssuerAssignedID>
            <ram:ProcessConditionCode>210</ram:ProcessConditionCode><ram:SpecifiedDocumentStatus><ram:ReasonCode>TX_TVA_ERR</ram:ReasonCode>
            <ram:Reason>Taux de TVA erroné &amp; à revoir</ram:Reason></ram:SpecifiedDocumentStatus></ram:ReferenceReferencedDocument></rsm:AcknowledgementDocument>
            </rsm:CrossDomainAcknowledgementAndResponse>"#;
        let s = read(xml.as_bytes()).unwrap();
        assert_eq!(s.invoice_number, "F-2027-0042");
        assert_eq!(s.code, 210);
        assert_eq!(s.reason.as_deref(), Some("TX_TVA_ERR : Taux de TVA erroné & à revoir"));
        assert_eq!(s.source, "buyer");
        assert!(read(b"<a><b>").is_err());
        assert!(read(b"<x/>").is_err(), "no invoice referenced");
    }
}
