//! The one domain error. Every variant has a stable machine-readable `code` that API clients
//! and pages rely on; the HTTP layer maps the `kind` to a status.

use thiserror::Error;

/// What sort of failure this is; presenters map it to an HTTP status or a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is malformed or violates a rule about its own content (400/422).
    Invalid,
    /// The thing does not exist, or the caller may not know it exists (404).
    NotFound,
    /// The request is valid but the current state forbids it (409).
    Conflict,
    /// The caller is not authenticated (401).
    Unauthenticated,
    /// The caller is authenticated but lacks the role (403).
    Forbidden,
    /// A file larger than allowed (413).
    TooLarge,
    /// Our fault; details are logged, never shown (500).
    Internal,
}

/// One field's refusal: which input, and why (English; pages translate it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn listed(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

#[derive(Debug, Error, Clone, PartialEq)]
pub enum DomainError {
    #[error("invalid input: {field}: {message}")]
    Validation { field: String, message: String },
    /// Several fields refused at once (a form is answered with all its errors); never empty.
    #[error("invalid input: {}", listed(.errors))]
    Invalid { errors: Vec<FieldError> },
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    #[error("authentication required")]
    Unauthenticated,
    #[error("wrong email or password")]
    BadCredentials,
    #[error("this account needs its 6-digit code in `code`")]
    SecondFactorRequired,
    #[error("this action needs the role {role}")]
    Forbidden { role: &'static str },
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("a catalogue item with this code already exists")]
    CatalogueCodeTaken,
    #[error("only a draft quote can be edited or sent")]
    QuoteNotDraft,
    #[error("the quote has no lines")]
    QuoteEmpty,
    #[error("the quote has not been sent to the client yet")]
    QuoteNotSent,
    #[error("the quote has already been accepted")]
    QuoteAlreadyAccepted,
    #[error("the quote has been refused")]
    QuoteRefused,
    #[error("the quote has been replaced by a newer version")]
    QuoteSuperseded,
    #[error("the quote's validity date has passed")]
    QuoteExpired,
    #[error("the quote cannot be revised in its current state")]
    QuoteNotRevisable,
    #[error("a newer version of this quote already exists")]
    QuoteRevisionExists,
    #[error("the signer must give a name, consent ('bon pour accord') and accept the terms")]
    AcceptanceIncomplete,
    #[error("the purchase order has already been validated")]
    PurchaseOrderAlreadyValidated,
    #[error("the purchase order has been cancelled")]
    PurchaseOrderCancelled,
    #[error("the order is not in a state that allows this")]
    OrderWrongState,
    #[error("the order has not been delivered yet")]
    OrderNotDelivered,
    #[error("the order has already been delivered")]
    OrderAlreadyDelivered,
    #[error("the order has no deliverable file")]
    OrderNothingToDeliver,
    #[error("the order already has an invoice in force")]
    AlreadyInvoiced,
    #[error("the stage is already done")]
    StageAlreadyDone,
    #[error("the payment exceeds the amount due")]
    Overpayment,
    #[error("the invoice is already fully paid")]
    InvoiceAlreadyPaid,
    #[error("the invoice has been cancelled by a credit note")]
    InvoiceCancelled,
    #[error("a payment has already been recorded: refund it before cancelling the invoice")]
    InvoiceHasPayments,
    #[error(
        "the client has an order in progress, a purchase order to validate or an invoice not yet settled: finish or cancel them before erasing its data"
    )]
    ErasureBlocked,
    #[error(
        "the client's withdrawal period runs: production starts after it ends, unless the client asked for an earlier start"
    )]
    WithdrawalPeriodRuns,
    #[error("the withdrawal period has ended, or the order was delivered or cancelled")]
    WithdrawalClosed,
    #[error("this client's data has been erased")]
    ClientErased,
    #[error("files are limited to {limit} bytes")]
    FileTooLarge { limit: u64 },
    #[error("a request with this Idempotency-Key is still being processed")]
    IdempotencyInProgress,
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    /// Our fault: logged with its cause, never shown.
    #[error("internal error: {0}")]
    Internal(#[source] Internal),
}

/// What failed on our side: what was being done, and the error that caused it (kept as the
/// `source`, so that the logs show the whole chain).
#[derive(Debug, Clone)]
pub struct Internal {
    pub context: String,
    pub source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

impl std::fmt::Display for Internal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source}", self.context),
            None => f.write_str(&self.context),
        }
    }
}

impl std::error::Error for Internal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl PartialEq for Internal {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl DomainError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Validation { field: field.into(), message: message.into() }
    }

    /// The fields this error refuses, in the order they were checked (none for other errors).
    pub fn field_errors(&self) -> Vec<FieldError> {
        match self {
            DomainError::Validation { field, message } => {
                vec![FieldError { field: field.clone(), message: message.clone() }]
            }
            DomainError::Invalid { errors } => errors.clone(),
            _ => Vec::new(),
        }
    }

    pub fn not_found(entity: &'static str) -> Self {
        DomainError::NotFound { entity }
    }

    /// An internal error described by a message.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        DomainError::Internal(Internal { context: message.to_string(), source: None })
    }

    /// An internal error caused by `source`, while doing `context`.
    pub fn internal_from(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        DomainError::Internal(Internal { context: context.into(), source: Some(std::sync::Arc::from(source.into())) })
    }

    /// Stable code: part of the public API, never renamed.
    pub fn code(&self) -> &'static str {
        use DomainError::*;
        match self {
            Validation { .. } | Invalid { .. } => "validation_failed",
            NotFound { .. } => "not_found",
            Unauthenticated => "unauthenticated",
            BadCredentials => "bad_credentials",
            SecondFactorRequired => "second_factor_required",
            Forbidden { .. } => "forbidden",
            EmailTaken => "email_taken",
            CatalogueCodeTaken => "catalogue_code_taken",
            QuoteNotDraft => "quote_not_draft",
            QuoteEmpty => "quote_empty",
            QuoteNotSent => "quote_not_sent",
            QuoteAlreadyAccepted => "quote_already_accepted",
            QuoteRefused => "quote_refused",
            QuoteSuperseded => "quote_superseded",
            QuoteExpired => "quote_expired",
            QuoteNotRevisable => "quote_not_revisable",
            QuoteRevisionExists => "quote_revision_exists",
            AcceptanceIncomplete => "acceptance_incomplete",
            PurchaseOrderAlreadyValidated => "purchase_order_already_validated",
            PurchaseOrderCancelled => "purchase_order_cancelled",
            OrderWrongState => "order_wrong_state",
            OrderNotDelivered => "order_not_delivered",
            OrderAlreadyDelivered => "order_already_delivered",
            OrderNothingToDeliver => "order_nothing_to_deliver",
            AlreadyInvoiced => "already_invoiced",
            StageAlreadyDone => "stage_already_done",
            Overpayment => "overpayment",
            InvoiceAlreadyPaid => "invoice_already_paid",
            InvoiceCancelled => "invoice_cancelled",
            InvoiceHasPayments => "invoice_has_payments",
            ErasureBlocked => "erasure_blocked",
            WithdrawalPeriodRuns => "withdrawal_period_runs",
            WithdrawalClosed => "withdrawal_closed",
            ClientErased => "client_erased",
            FileTooLarge { .. } => "file_too_large",
            IdempotencyInProgress => "idempotency_in_progress",
            IdempotencyKeyReused => "idempotency_key_reused",
            Internal(_) => "internal",
        }
    }

    pub fn kind(&self) -> ErrorKind {
        use DomainError::*;
        match self {
            Validation { .. } | Invalid { .. } | AcceptanceIncomplete => ErrorKind::Invalid,
            NotFound { .. } => ErrorKind::NotFound,
            Unauthenticated | BadCredentials | SecondFactorRequired => ErrorKind::Unauthenticated,
            Forbidden { .. } => ErrorKind::Forbidden,
            FileTooLarge { .. } => ErrorKind::TooLarge,
            Internal(_) => ErrorKind::Internal,
            _ => ErrorKind::Conflict,
        }
    }
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;

/// Checks every field of an input and keeps every refusal, so that a form is answered with all
/// its errors at once: `let name = checks.check(text::line("name", …))` gives the value, or a
/// default while the refusal is kept; [`Checks::done`] fails with them all. A field refused
/// twice keeps its first reason (a value that could not be read is not also "out of range").
#[derive(Debug, Default)]
pub struct Checks {
    errors: Vec<FieldError>,
    other: Option<DomainError>,
}

impl Checks {
    pub fn new() -> Checks {
        Checks::default()
    }

    /// The value, or its type's default while its refusal is kept.
    pub fn check<T: Default>(&mut self, result: Result<T>) -> T {
        match result {
            Ok(v) => v,
            Err(e) => {
                self.add(e);
                T::default()
            }
        }
    }

    /// Keeps a refusal (a failure that is not about the input is kept as the outcome).
    pub fn add(&mut self, e: DomainError) {
        match e {
            DomainError::Validation { .. } | DomainError::Invalid { .. } => {
                for fe in e.field_errors() {
                    if !self.errors.iter().any(|kept| kept.field == fe.field) {
                        self.errors.push(fe);
                    }
                }
            }
            other => {
                self.other.get_or_insert(other);
            }
        }
    }

    /// Refuses a field.
    pub fn refuse(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.add(DomainError::validation(field, message));
    }

    /// Whether a field is refused already.
    pub fn refused(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty() && self.other.is_none()
    }

    /// Fails with every refusal (one is a `Validation`, several an `Invalid`).
    pub fn done(mut self) -> Result<()> {
        if let Some(other) = self.other {
            return Err(other);
        }
        match self.errors.len() {
            0 => Ok(()),
            1 => {
                let FieldError { field, message } = self.errors.remove(0);
                Err(DomainError::Validation { field, message })
            }
            _ => Err(DomainError::Invalid { errors: self.errors }),
        }
    }
}

/// `.context("…")` on a fallible infrastructure call: its error becomes an internal error that
/// keeps it as its cause.
pub trait Context<T> {
    fn context(self, what: &str) -> Result<T>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Context<T> for std::result::Result<T, E> {
    fn context(self, what: &str) -> Result<T> {
        self.map_err(|e| DomainError::internal_from(what, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_keep_every_refusal_once_per_field() {
        let mut checks = Checks::new();
        assert_eq!(checks.check::<String>(Ok("a".into())), "a");
        assert_eq!(checks.check::<String>(Err(DomainError::validation("name", "must not be empty"))), "");
        checks.refuse("name", "at most 3 characters");
        checks.refuse("phone", "not a phone number");
        assert!(checks.refused("phone") && !checks.refused("email"));
        let err = checks.done().unwrap_err();
        assert_eq!(err.code(), "validation_failed");
        let fields: Vec<_> = err.field_errors().into_iter().map(|e| (e.field, e.message)).collect();
        assert_eq!(
            fields,
            [("name".into(), "must not be empty".into()), ("phone".into(), "not a phone number".into())]
        );
        assert_eq!(err.to_string(), "invalid input: name: must not be empty; phone: not a phone number");

        let mut one = Checks::new();
        one.refuse("email", "not a valid email address");
        assert_eq!(one.done(), Err(DomainError::validation("email", "not a valid email address")));
        assert_eq!(Checks::new().done(), Ok(()));
    }
}
