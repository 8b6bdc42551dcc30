//! Factur-X (profile EN 16931) cross-industry invoice XML for an invoice or a credit note.
//! Element order follows the Factur-X 1.09 XSD; amounts are euros with two decimals.

use immovr_core::model::{Address, Client, ClientKind, CompanySettings, OperationCategory};
use immovr_core::money::{Line, Totals};
use jiff::civil::Date;
use rust_decimal::Decimal;

/// Invoice (380) or credit note (381, referring to the invoice it corrects).
pub enum Kind<'a> {
    Invoice,
    CreditNote { invoice_number: &'a str, invoice_date: Date },
}

pub struct CiiInput<'a> {
    pub kind: Kind<'a>,
    pub number: &'a str,
    pub issue_date: Date,
    /// Date the service was delivered.
    pub service_date: Date,
    pub due_date: Date,
    pub payment_reference: &'a str,
    pub purchase_order_number: Option<&'a str>,
    pub lines: &'a [Line],
    pub totals: &'a Totals,
    /// Already paid (prepaid amount); the payable amount is the rest.
    pub amount_paid: Decimal,
    pub seller: &'a CompanySettings,
    pub buyer: &'a Client,
    /// Where the service was performed (the property), as written in the request: the
    /// delivery address (BG-15) when it is not the buyer's billing address.
    pub service_address: Option<&'a str>,
}

/// Escapes text for XML content and attributes.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn amount(d: Decimal) -> String {
    let mut d = d.round_dp(2);
    d.rescale(2);
    d.to_string()
}

pub(crate) fn number(d: Decimal) -> String {
    d.normalize().to_string()
}

fn date(d: Date) -> String {
    format!("<udt:DateTimeString format=\"102\">{:04}{:02}{:02}</udt:DateTimeString>", d.year(), d.month(), d.day())
}

/// UN/ECE Recommendation 20 code for the units a studio writes on its quotes.
pub fn unit_code(unit: &str) -> &'static str {
    match unit.trim().to_lowercase().as_str() {
        "heure" | "heures" | "h" | "hour" => "HUR",
        "jour" | "jours" | "day" => "DAY",
        "m²" | "m2" => "MTK",
        "km" => "KMT",
        "forfait" | "lot" => "LS",
        "an" | "année" | "year" => "ANN",
        "mois" | "month" => "MON",
        _ => "C62", // one (piece, image, plan, room…)
    }
}

fn address(a: Option<&Address>) -> String {
    match a {
        Some(a) => format!(
            "<ram:PostalTradeAddress><ram:PostcodeCode>{}</ram:PostcodeCode><ram:LineOne>{}</ram:LineOne>{}<ram:CityName>{}</ram:CityName><ram:CountryID>{}</ram:CountryID></ram:PostalTradeAddress>",
            esc(&a.postcode),
            esc(&a.line1),
            a.line2.as_deref().map(|l| format!("<ram:LineTwo>{}</ram:LineTwo>", esc(l))).unwrap_or_default(),
            esc(&a.city),
            esc(&a.country)
        ),
        None => "<ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>".into(),
    }
}

/// A free-text French address ("21 rue de la République, 69002 Lyon") as CII address parts:
/// the text before the last 5-digit postcode, the postcode, the city after it; the whole text as
/// its first line when it has no postcode.
fn split_address(text: &str) -> (String, Option<String>, Option<String>) {
    let words: Vec<&str> = text.split_whitespace().collect();
    let postcode = words.iter().rposition(|w| w.len() == 5 && w.bytes().all(|b| b.is_ascii_digit()));
    match postcode {
        Some(i) if i > 0 && i + 1 < words.len() => (
            words[..i].join(" ").trim_end_matches(',').trim().to_string(),
            Some(words[i].to_string()),
            Some(words[i + 1..].join(" ").trim_start_matches(',').trim().to_string()),
        ),
        _ => (text.trim().to_string(), None, None),
    }
}

/// The delivery (service) address, when it is not the billing address.
fn ship_to(service: Option<&str>, billing: Option<&Address>) -> String {
    let Some(text) = service.map(str::trim).filter(|t| !t.is_empty()) else { return String::new() };
    let (line, postcode, city) = split_address(text);
    let same = billing.is_some_and(|b| {
        let norm = |s: &str| s.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
        norm(&b.line1) == norm(&line) && Some(&b.postcode) == postcode.as_ref()
    });
    if same {
        return String::new();
    }
    format!(
        "<ram:ShipToTradeParty><ram:PostalTradeAddress>{}<ram:LineOne>{}</ram:LineOne>{}<ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress></ram:ShipToTradeParty>",
        postcode.map(|p| format!("<ram:PostcodeCode>{p}</ram:PostcodeCode>")).unwrap_or_default(),
        esc(&line),
        city.map(|c| format!("<ram:CityName>{}</ram:CityName>", esc(&c))).unwrap_or_default(),
    )
}

fn vat_category(rate: Decimal) -> &'static str {
    if rate.is_zero() { "E" } else { "S" }
}

fn tax(rate: Decimal) -> String {
    format!(
        "<ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>{}</ram:CategoryCode><ram:RateApplicablePercent>{}</ram:RateApplicablePercent></ram:ApplicableTradeTax>",
        vat_category(rate),
        number(rate)
    )
}

/// The CII XML document (UTF-8).
pub fn cii_xml(d: &CiiInput) -> String {
    let s = d.seller;
    let b = d.buyer;
    let business = b.kind == ClientKind::Company;
    let type_code = match d.kind {
        Kind::Invoice => "380",
        Kind::CreditNote { .. } => "381",
    };
    let mut x = String::with_capacity(8192);
    x.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">"#);
    // The business process (BT-23: S1 services, B1 goods, M1 both, in the French reform) and
    // the EN 16931 profile.
    let e = &s.einvoicing;
    x.push_str(&format!("<rsm:ExchangedDocumentContext><ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>{}</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>", e.category.business_process()));
    x.push_str("<ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>");
    x.push_str(&format!("<rsm:ExchangedDocument><ram:ID>{}</ram:ID><ram:TypeCode>{type_code}</ram:TypeCode><ram:IssueDateTime>{}</ram:IssueDateTime>", esc(d.number), date(d.issue_date)));
    let note = |content: &str, code: &str| {
        format!(
            "<ram:IncludedNote><ram:Content>{}</ram:Content><ram:SubjectCode>{code}</ram:SubjectCode></ram:IncludedNote>",
            esc(content)
        )
    };
    x.push_str(&note(
        &format!("{} {} au capital de {} - {} - SIRET {}", s.legal_name, s.legal_form, s.share_capital, s.rcs, s.siret),
        "REG",
    ));
    // The recovery-costs mention (PMT) is required in every invoice by the French CTC rules
    // (BR-FR-05); the 40 EUR indemnity itself applies between professionals only (L441-10).
    x.push_str(&note(
        if business {
            "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 EUR."
        } else {
            "Indemnité forfaitaire pour frais de recouvrement : non applicable (client particulier)."
        },
        "PMT",
    ));
    x.push_str(&note(&s.late_payment_wording, "PMD"));
    x.push_str(&note("Pas d'escompte pour paiement anticipé.", "AAB"));
    // The option concerns services (goods pay VAT on delivery whatever it says).
    let debits = e.vat_on_debits && e.category != OperationCategory::Goods;
    if debits {
        x.push_str(&note("Option pour le paiement de la taxe d'après les débits.", "TXD"));
    }
    // The processing frame (BAR): between French companies (identified by SIREN), with a
    // company abroad, or with a private person (e-reported, not e-invoiced).
    let buyer_siren = b.siren.as_deref().map(str::trim).filter(|s| business && !s.is_empty());
    let frame = match (business, buyer_siren) {
        (true, Some(_)) => "B2B",
        (true, None) => "B2BINT",
        (false, _) => "B2C",
    };
    x.push_str(&note(frame, "BAR"));
    x.push_str("</rsm:ExchangedDocument><rsm:SupplyChainTradeTransaction>");

    for l in d.lines {
        x.push_str(&format!("<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument><ram:LineID>{}</ram:LineID></ram:AssociatedDocumentLineDocument>", l.position));
        x.push_str(&format!(
            "<ram:SpecifiedTradeProduct>{}<ram:Name>{}</ram:Name></ram:SpecifiedTradeProduct>",
            l.code
                .as_deref()
                .map(|c| format!("<ram:SellerAssignedID>{}</ram:SellerAssignedID>", esc(c)))
                .unwrap_or_default(),
            esc(&l.description)
        ));
        x.push_str(&format!("<ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{}</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>", number(l.unit_price)));
        x.push_str(&format!("<ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode=\"{}\">{}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>", unit_code(&l.unit), number(l.quantity)));
        x.push_str("<ram:SpecifiedLineTradeSettlement>");
        x.push_str(&tax(l.vat_rate));
        if !l.discount.is_zero() {
            x.push_str(&format!("<ram:SpecifiedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>false</udt:Indicator></ram:ChargeIndicator><ram:ActualAmount>{}</ram:ActualAmount><ram:Reason>Remise</ram:Reason></ram:SpecifiedTradeAllowanceCharge>", amount(l.discount)));
        }
        x.push_str(&format!("<ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>", amount(l.total_excl_vat)));
    }

    x.push_str("<ram:ApplicableHeaderTradeAgreement>");
    if let Some(po) = d.purchase_order_number {
        x.push_str(&format!("<ram:BuyerReference>{}</ram:BuyerReference>", esc(po)));
    }
    x.push_str(&format!("<ram:SellerTradeParty><ram:Name>{}</ram:Name><ram:SpecifiedLegalOrganization><ram:ID schemeID=\"0002\">{}</ram:ID><ram:TradingBusinessName>{}</ram:TradingBusinessName></ram:SpecifiedLegalOrganization>",
        esc(&s.legal_name), esc(&s.siren), esc(&s.trade_name)));
    x.push_str(&address(Some(&s.address)));
    // The seller's electronic invoicing address (BT-34, scheme 0225: SIREN-based).
    x.push_str(&format!(
        "<ram:URIUniversalCommunication><ram:URIID schemeID=\"0225\">{}</ram:URIID></ram:URIUniversalCommunication>",
        esc(e.address_or(&s.siren))
    ));
    x.push_str(&format!("<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{}</ram:ID></ram:SpecifiedTaxRegistration></ram:SellerTradeParty>", esc(&s.vat_number)));
    x.push_str(&format!("<ram:BuyerTradeParty><ram:Name>{}</ram:Name>", esc(b.display_name())));
    if let Some(siren) = buyer_siren {
        x.push_str(&format!(
            "<ram:SpecifiedLegalOrganization><ram:ID schemeID=\"0002\">{}</ram:ID></ram:SpecifiedLegalOrganization>",
            esc(siren)
        ));
    }
    x.push_str(&address(b.billing_address.as_ref()));
    // The buyer's electronic address (BT-49): a French company's SIREN-based address (its
    // directory entry), otherwise its email.
    x.push_str(&match buyer_siren {
        Some(siren) => format!(
            "<ram:URIUniversalCommunication><ram:URIID schemeID=\"0225\">{}</ram:URIID></ram:URIUniversalCommunication>",
            esc(siren)
        ),
        None => format!(
            "<ram:URIUniversalCommunication><ram:URIID schemeID=\"EM\">{}</ram:URIID></ram:URIUniversalCommunication>",
            esc(&b.email)
        ),
    });
    if let Some(vat) = b.vat_number.as_deref().filter(|_| business) {
        x.push_str(&format!(
            "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{}</ram:ID></ram:SpecifiedTaxRegistration>",
            esc(vat)
        ));
    }
    x.push_str("</ram:BuyerTradeParty>");
    if let Some(po) = d.purchase_order_number {
        x.push_str(&format!("<ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>{}</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>", esc(po)));
    }
    x.push_str("</ram:ApplicableHeaderTradeAgreement>");
    x.push_str(&format!("<ram:ApplicableHeaderTradeDelivery>{}<ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime>{}</ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent></ram:ApplicableHeaderTradeDelivery>", ship_to(d.service_address, b.billing_address.as_ref()), date(d.service_date)));

    x.push_str(&format!("<ram:ApplicableHeaderTradeSettlement><ram:PaymentReference>{}</ram:PaymentReference><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>", esc(d.payment_reference)));
    let iban: String = s.iban.chars().filter(|c| !c.is_whitespace()).collect();
    x.push_str(&format!("<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode><ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{}</ram:IBANID><ram:AccountName>{}</ram:AccountName></ram:PayeePartyCreditorFinancialAccount><ram:PayeeSpecifiedCreditorFinancialInstitution><ram:BICID>{}</ram:BICID></ram:PayeeSpecifiedCreditorFinancialInstitution></ram:SpecifiedTradeSettlementPaymentMeans>",
        esc(&iban), esc(&s.account_holder), esc(&s.bic)));
    // When VAT is due (BT-8): on the invoice's date when the studio opted for debits, when paid
    // for services, on delivery for goods.
    let vat_due = match (debits, e.category) {
        (true, _) => "5",
        (false, OperationCategory::Services) => "72",
        (false, _) => "29",
    };
    for r in &d.totals.per_rate {
        let exemption =
            if r.rate.is_zero() { "<ram:ExemptionReason>Exonération de TVA</ram:ExemptionReason>" } else { "" };
        x.push_str(&format!("<ram:ApplicableTradeTax><ram:CalculatedAmount>{}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>{exemption}<ram:BasisAmount>{}</ram:BasisAmount><ram:CategoryCode>{}</ram:CategoryCode><ram:DueDateTypeCode>{vat_due}</ram:DueDateTypeCode><ram:RateApplicablePercent>{}</ram:RateApplicablePercent></ram:ApplicableTradeTax>",
            amount(r.vat), amount(r.base_excl_vat), vat_category(r.rate), number(r.rate)));
    }
    x.push_str(&format!("<ram:SpecifiedTradePaymentTerms><ram:Description>Paiement à réception, au plus tard le {:02}/{:02}/{}, par virement ou par chèque à l'ordre de {}</ram:Description><ram:DueDateDateTime>{}</ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>",
        d.due_date.day(), d.due_date.month(), d.due_date.year(), esc(&s.cheque_payee), date(d.due_date)));
    let t = d.totals;
    let prepaid = if d.amount_paid.is_zero() {
        String::new()
    } else {
        format!("<ram:TotalPrepaidAmount>{}</ram:TotalPrepaidAmount>", amount(d.amount_paid))
    };
    x.push_str(&format!("<ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>{}</ram:LineTotalAmount><ram:TaxBasisTotalAmount>{}</ram:TaxBasisTotalAmount><ram:TaxTotalAmount currencyID=\"EUR\">{}</ram:TaxTotalAmount><ram:GrandTotalAmount>{}</ram:GrandTotalAmount>{prepaid}<ram:DuePayableAmount>{}</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation>",
        amount(t.total_excl_vat), amount(t.total_excl_vat), amount(t.total_vat), amount(t.total_incl_vat), amount(t.total_incl_vat - d.amount_paid)));
    if let Kind::CreditNote { invoice_number, invoice_date } = d.kind {
        x.push_str(&format!("<ram:InvoiceReferencedDocument><ram:IssuerAssignedID>{}</ram:IssuerAssignedID><ram:FormattedIssueDateTime><qdt:DateTimeString format=\"102\">{:04}{:02}{:02}</qdt:DateTimeString></ram:FormattedIssueDateTime></ram:InvoiceReferencedDocument>",
            esc(invoice_number), invoice_date.year(), invoice_date.month(), invoice_date.day()));
    }
    x.push_str("</ram:ApplicableHeaderTradeSettlement></rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>\n");
    x
}
