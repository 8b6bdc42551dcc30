//! The state machines: which transition is allowed from which state, as pure functions the
//! store's use cases call inside their transaction, after locking the rows they change.

use jiff::civil::Date;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::error::{DomainError, Result};
use crate::model::*;

/// Formats a document number: `F-2026-0001`. The counter is per series (prefix + year).
pub fn document_number(prefix: &str, year: i16, n: i64) -> String {
    format!("{prefix}-{year}-{n:04}")
}

/// The counter series a number belongs to.
pub fn number_series(prefix: &str, year: i16) -> String {
    format!("{prefix}-{year}")
}

/// A quote's status as the client sees it on `today`: a sent quote past its validity is expired.
pub fn effective_quote_status(stored: QuoteStatus, valid_until: Date, today: Date) -> QuoteStatus {
    if stored == QuoteStatus::Sent && today > valid_until { QuoteStatus::Expired } else { stored }
}

/// Why a quote in `status` cannot be answered (accepted or refused) — or `Ok` if it can.
pub fn check_answerable(status: QuoteStatus) -> Result<()> {
    match status {
        QuoteStatus::Sent => Ok(()),
        QuoteStatus::Draft => Err(DomainError::QuoteNotSent),
        QuoteStatus::Accepted => Err(DomainError::QuoteAlreadyAccepted),
        QuoteStatus::Refused => Err(DomainError::QuoteRefused),
        QuoteStatus::Superseded => Err(DomainError::QuoteSuperseded),
        QuoteStatus::Expired => Err(DomainError::QuoteExpired),
    }
}

/// A revised version can be drafted from a sent, refused or expired version that has no newer one.
pub fn check_revisable(status: QuoteStatus) -> Result<()> {
    match status {
        QuoteStatus::Sent | QuoteStatus::Refused | QuoteStatus::Expired => Ok(()),
        QuoteStatus::Draft => Err(DomainError::QuoteNotDraft),
        QuoteStatus::Accepted | QuoteStatus::Superseded => Err(DomainError::QuoteNotRevisable),
    }
}

pub fn check_draft(status: QuoteStatus) -> Result<()> {
    if status == QuoteStatus::Draft { Ok(()) } else { Err(DomainError::QuoteNotDraft) }
}

/// Validates the signature step of an acceptance.
pub fn check_acceptance(signer_name: &str, consent: bool, terms_accepted: bool) -> Result<String> {
    if signer_name.trim().is_empty() || !consent || !terms_accepted {
        return Err(DomainError::AcceptanceIncomplete);
    }
    crate::text::line("signer_name", signer_name, 200)
}

pub fn check_purchase_order_pending(status: PurchaseOrderStatus) -> Result<()> {
    match status {
        PurchaseOrderStatus::Pending => Ok(()),
        PurchaseOrderStatus::Validated => Err(DomainError::PurchaseOrderAlreadyValidated),
        PurchaseOrderStatus::Cancelled => Err(DomainError::PurchaseOrderCancelled),
    }
}

/// Work (stages, files) can change while the order is registered or in progress.
pub fn check_order_open(status: OrderStatus) -> Result<()> {
    match status {
        OrderStatus::Registered | OrderStatus::InProgress => Ok(()),
        OrderStatus::Delivered => Err(DomainError::OrderAlreadyDelivered),
        OrderStatus::Cancelled => Err(DomainError::OrderWrongState),
    }
}

/// Delivering needs an open order with at least one final file.
pub fn check_deliverable(status: OrderStatus, deliverables: usize) -> Result<()> {
    check_order_open(status)?;
    if deliverables == 0 {
        return Err(DomainError::OrderNothingToDeliver);
    }
    Ok(())
}

/// Invoicing needs a delivered order with no invoice in force.
pub fn check_invoiceable(status: OrderStatus, has_invoice_in_force: bool) -> Result<()> {
    match status {
        OrderStatus::Delivered if has_invoice_in_force => Err(DomainError::AlreadyInvoiced),
        OrderStatus::Delivered => Ok(()),
        OrderStatus::Cancelled => Err(DomainError::OrderWrongState),
        _ => Err(DomainError::OrderNotDelivered),
    }
}

/// Checks a payment against what is due and returns the invoice's status once it is recorded.
pub fn apply_payment(status: InvoiceStatus, due: Decimal, amount: Decimal) -> Result<InvoiceStatus> {
    match status {
        InvoiceStatus::Cancelled => return Err(DomainError::InvoiceCancelled),
        InvoiceStatus::Paid => return Err(DomainError::InvoiceAlreadyPaid),
        _ => {}
    }
    if amount <= Decimal::ZERO || amount.scale() > 2 {
        return Err(DomainError::validation("amount", "must be a positive amount with at most 2 decimals"));
    }
    if amount > due {
        return Err(DomainError::Overpayment);
    }
    Ok(if amount == due { InvoiceStatus::Paid } else { InvoiceStatus::PartiallyPaid })
}

/// A credit note cancels an issued invoice; one with payments must be refunded first.
pub fn check_cancellable(status: InvoiceStatus) -> Result<()> {
    match status {
        InvoiceStatus::Issued => Ok(()),
        InvoiceStatus::Cancelled => Err(DomainError::InvoiceCancelled),
        InvoiceStatus::PartiallyPaid | InvoiceStatus::Paid => Err(DomainError::InvoiceHasPayments),
    }
}

/// The SHA-256 of what the client accepts: number, version, client, validity, every line and the
/// totals, as canonical JSON (fixed key order, decimals as normalised strings). Anyone holding the
/// accepted copy can recompute it.
pub fn quote_content_hash(quote: &Quote) -> String {
    let lines: Vec<serde_json::Value> = quote
        .lines
        .iter()
        .map(|l| {
            serde_json::json!([
                l.position,
                l.code,
                l.description,
                l.quantity.normalize().to_string(),
                l.unit,
                l.unit_price.normalize().to_string(),
                l.discount.normalize().to_string(),
                l.vat_rate.normalize().to_string(),
                l.total_excl_vat.normalize().to_string(),
            ])
        })
        .collect();
    let canonical = serde_json::json!([
        "immovr-quote-v1",
        quote.number,
        quote.version,
        quote.client_id,
        quote.valid_until.to_string(),
        quote.title,
        quote.notes,
        lines,
        quote.totals.total_excl_vat.normalize().to_string(),
        quote.totals.total_vat.normalize().to_string(),
        quote.totals.total_incl_vat.normalize().to_string(),
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn numbers_are_zero_padded_per_series() {
        assert_eq!(document_number("F", 2026, 1), "F-2026-0001");
        assert_eq!(document_number("BC", 2026, 12345), "BC-2026-12345");
        assert_eq!(number_series("AV", 2027), "AV-2027");
    }

    #[test]
    fn sent_quotes_expire_the_day_after_validity() {
        let until = Date::constant(2026, 12, 1);
        assert_eq!(effective_quote_status(QuoteStatus::Sent, until, until), QuoteStatus::Sent);
        let next = Date::constant(2026, 12, 2);
        assert_eq!(effective_quote_status(QuoteStatus::Sent, until, next), QuoteStatus::Expired);
        assert_eq!(effective_quote_status(QuoteStatus::Accepted, until, next), QuoteStatus::Accepted);
        assert_eq!(check_answerable(QuoteStatus::Expired), Err(DomainError::QuoteExpired));
        assert_eq!(check_answerable(QuoteStatus::Superseded), Err(DomainError::QuoteSuperseded));
    }

    #[test]
    fn payments_settle_or_refuse_overpayment() {
        assert_eq!(apply_payment(InvoiceStatus::Issued, dec!(100), dec!(40)), Ok(InvoiceStatus::PartiallyPaid));
        assert_eq!(apply_payment(InvoiceStatus::PartiallyPaid, dec!(60), dec!(60)), Ok(InvoiceStatus::Paid));
        assert_eq!(apply_payment(InvoiceStatus::Issued, dec!(100), dec!(100.01)), Err(DomainError::Overpayment));
        assert_eq!(apply_payment(InvoiceStatus::Paid, dec!(0), dec!(1)), Err(DomainError::InvoiceAlreadyPaid));
        assert!(apply_payment(InvoiceStatus::Issued, dec!(100), dec!(-1)).is_err());
    }

    #[test]
    fn invoicing_needs_a_delivered_order_without_invoice() {
        assert_eq!(check_invoiceable(OrderStatus::InProgress, false), Err(DomainError::OrderNotDelivered));
        assert_eq!(check_invoiceable(OrderStatus::Delivered, true), Err(DomainError::AlreadyInvoiced));
        assert_eq!(check_invoiceable(OrderStatus::Delivered, false), Ok(()));
        assert_eq!(check_deliverable(OrderStatus::Registered, 0), Err(DomainError::OrderNothingToDeliver));
    }

    #[test]
    fn acceptance_needs_name_consent_and_terms() {
        assert_eq!(check_acceptance("  ", true, true), Err(DomainError::AcceptanceIncomplete));
        assert_eq!(check_acceptance("Anne Martin", false, true), Err(DomainError::AcceptanceIncomplete));
        assert_eq!(check_acceptance(" Anne Martin ", true, true), Ok("Anne Martin".into()));
    }
}
