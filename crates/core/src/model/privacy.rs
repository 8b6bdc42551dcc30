//! What a client was shown of the studio's privacy policy, and when (GDPR art. 7 and 13).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Language;

/// A notice presented to a client: the privacy policy, shown with the sign-up form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Consent {
    /// `privacy_policy`.
    pub kind: String,
    /// The version presented (published versions never change; 0 is immovr's model as the
    /// studio's settings gave it then).
    pub version: i64,
    /// The language it was presented in.
    pub language: Language,
    /// When the form that presented it was sent.
    pub shown_at: Timestamp,
    /// When it was recorded with the account (the address confirmed).
    pub recorded_at: Timestamp,
}
