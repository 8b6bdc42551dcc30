//! Lifecycle messages of the French e-invoicing reform: a UN/CEFACT Cross Domain
//! Acknowledgement And Response (CDAR, D22B) as the French "cycle de vie" profile wants it
//! (`urn.cpro.gouv.fr:1p0:CDV:invoice`, rules BR-FR-CDV). The studio sends one status, 212
//! Encaissée, for each payment of a service invoice: the amount received per VAT rate (MEN),
//! from which VAT on receipts is due.

use immovr_app::ports::PaidStatus;
use jiff::civil::{Date, DateTime};

use crate::facturx::{amount, esc, number};

fn date_time(t: DateTime) -> String {
    format!(
        "<udt:DateTimeString format=\"204\">{:04}{:02}{:02}{:02}{:02}{:02}</udt:DateTimeString>",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn day(d: Date, ns: &str) -> String {
    format!("<{ns}:DateTimeString format=\"102\">{:04}{:02}{:02}</{ns}:DateTimeString>", d.year(), d.month(), d.day())
}

/// The CDAR message (UTF-8).
pub fn paid_xml(p: &PaidStatus) -> String {
    let s = &p.seller;
    let mut x = String::with_capacity(3000);
    x.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rsm:CrossDomainAcknowledgementAndResponse \
         xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100\" \
         xmlns:ram=\"urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100\" \
         xmlns:udt=\"urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100\" \
         xmlns:qdt=\"urn:un:unece:uncefact:data:standard:QualifiedDataType:100\">",
    );
    // A regulated (French business-to-business) invoice's lifecycle.
    x.push_str(
        "<rsm:ExchangedDocumentContext><ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>REGULATED</ram:ID>\
         </ram:BusinessProcessSpecifiedDocumentContextParameter><ram:GuidelineSpecifiedDocumentContextParameter>\
         <ram:ID>urn.cpro.gouv.fr:1p0:CDV:invoice</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>\
         </rsm:ExchangedDocumentContext>",
    );
    // Sent and issued by the seller, to the buyer (its platform forwards what the tax
    // administration needs).
    x.push_str(&format!(
        "<rsm:ExchangedDocument><ram:ID>{}</ram:ID><ram:Name>Encaissée</ram:Name><ram:IssueDateTime>{}</ram:IssueDateTime>\
         <ram:SenderTradeParty><ram:RoleCode>SE</ram:RoleCode></ram:SenderTradeParty>\
         <ram:IssuerTradeParty><ram:GlobalID schemeID=\"0002\">{}</ram:GlobalID><ram:Name>{}</ram:Name><ram:RoleCode>SE</ram:RoleCode></ram:IssuerTradeParty>\
         <ram:RecipientTradeParty><ram:GlobalID schemeID=\"0002\">{}</ram:GlobalID><ram:Name>{}</ram:Name><ram:RoleCode>BY</ram:RoleCode>\
         <ram:URIUniversalCommunication><ram:URIID schemeID=\"0225\">{}</ram:URIID></ram:URIUniversalCommunication></ram:RecipientTradeParty>\
         </rsm:ExchangedDocument>",
        esc(&p.message_id),
        date_time(p.issued_at),
        esc(&s.siren),
        esc(&s.legal_name),
        esc(&p.buyer_siren),
        esc(&p.buyer_name),
        esc(&p.buyer_siren),
    ));
    // The status of one invoice (type 23: processing phase).
    x.push_str(&format!(
        "<rsm:AcknowledgementDocument><ram:MultipleReferencesIndicator><udt:Indicator>false</udt:Indicator></ram:MultipleReferencesIndicator>\
         <ram:TypeCode>23</ram:TypeCode><ram:IssueDateTime>{}</ram:IssueDateTime><ram:ReferenceReferencedDocument>\
         <ram:IssuerAssignedID>{}</ram:IssuerAssignedID><ram:TypeCode>380</ram:TypeCode>\
         <ram:FormattedIssueDateTime>{}</ram:FormattedIssueDateTime>\
         <ram:ProcessConditionCode>212</ram:ProcessConditionCode><ram:ProcessCondition>Encaissée</ram:ProcessCondition>\
         <ram:IssuerTradeParty><ram:GlobalID schemeID=\"0002\">{}</ram:GlobalID></ram:IssuerTradeParty>\
         <ram:SpecifiedDocumentStatus><ram:SequenceNumeric>1</ram:SequenceNumeric>",
        date_time(p.issued_at),
        esc(&p.invoice_number),
        day(p.invoice_date, "qdt"),
        esc(&s.siren),
    ));
    for (rate, received) in &p.amounts {
        x.push_str(&format!(
            "<ram:SpecifiedDocumentCharacteristic><ram:TypeCode>MEN</ram:TypeCode>\
             <ram:ValueAmount currencyID=\"EUR\">{}</ram:ValueAmount><ram:ValueDateTime>{}</ram:ValueDateTime>\
             <ram:ValuePercent>{}</ram:ValuePercent></ram:SpecifiedDocumentCharacteristic>",
            amount(*received),
            day(p.paid_on, "udt"),
            number(*rate),
        ));
    }
    x.push_str(
        "</ram:SpecifiedDocumentStatus></ram:ReferenceReferencedDocument></rsm:AcknowledgementDocument>\
         </rsm:CrossDomainAcknowledgementAndResponse>\n",
    );
    x
}
