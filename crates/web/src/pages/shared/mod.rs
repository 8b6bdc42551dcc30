//! What the portal, the back office and the sign-in pages share: the request's context, the
//! page layout, errors as pages, forms, paging, the texts in French and English.

mod context;
mod documents;
mod error;
mod forms;
pub mod i18n;
mod i18n_reform;
mod i18n_rights;
mod layout;
pub mod messages;
pub mod paging;

pub use context::*;
pub use documents::*;
pub use error::*;
pub use forms::*;
pub use layout::*;
