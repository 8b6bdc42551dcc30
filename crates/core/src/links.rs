//! The one place that names the pages of the client portal (`/compte`) and of the back office
//! (`/gestion`): emails, notifications, redirects and the pages' own links build their URLs
//! here. Paths only; an email prefixes the site's public address.

use crate::model::{Id, ThreadKind};

/// The client portal's pages.
pub mod portal {
    use super::*;

    pub const HOME: &str = "/compte";
    pub const QUOTES: &str = "/compte/devis";
    pub const ORDERS: &str = "/compte/commandes";
    pub const INVOICES: &str = "/compte/factures";
    pub const REQUESTS: &str = "/compte/demandes";
    pub const NEW_REQUEST: &str = "/compte/demandes/nouvelle";
    pub const DELIVERIES: &str = "/compte/livraisons";
    pub const PROFILE: &str = "/compte/profil";

    pub fn quote(id: Id) -> String {
        format!("/compte/devis/{id}")
    }

    pub fn order(id: Id) -> String {
        format!("/compte/commandes/{id}")
    }

    pub fn invoice(id: Id) -> String {
        format!("/compte/factures/{id}")
    }

    pub fn request(id: Id) -> String {
        format!("/compte/demandes/{id}")
    }

    /// A thread's messages, on the page of the quote or the order they are about.
    pub fn thread(kind: ThreadKind, id: Id) -> String {
        match kind {
            ThreadKind::Quote => format!("{}#h-msg", quote(id)),
            ThreadKind::Order => format!("{}#h-msg", order(id)),
        }
    }
}

/// The back office's pages.
pub mod backoffice {
    use super::*;

    pub const HOME: &str = "/gestion";
    pub const REQUESTS: &str = "/gestion/demandes";
    pub const QUOTES: &str = "/gestion/devis";
    pub const NEW_QUOTE: &str = "/gestion/devis/nouveau";
    pub const PURCHASE_ORDERS: &str = "/gestion/bons-de-commande";
    pub const ORDERS: &str = "/gestion/commandes";
    pub const INVOICES: &str = "/gestion/factures";
    pub const CLIENTS: &str = "/gestion/clients";
    pub const CATALOGUE: &str = "/gestion/catalogue";
    pub const EMAILS: &str = "/gestion/courriels";
    pub const JOURNAL: &str = "/gestion/journal";
    pub const SETTINGS: &str = "/gestion/parametres";
    pub const USERS: &str = "/gestion/utilisateurs";
    pub const SECURITY: &str = "/gestion/securite";

    pub fn quote(id: Id) -> String {
        format!("/gestion/devis/{id}")
    }

    pub fn purchase_order(id: Id) -> String {
        format!("/gestion/bons-de-commande/{id}")
    }

    pub fn order(id: Id) -> String {
        format!("/gestion/commandes/{id}")
    }

    pub fn invoice(id: Id) -> String {
        format!("/gestion/factures/{id}")
    }

    pub fn client(id: Id) -> String {
        format!("/gestion/clients/{id}")
    }

    /// A thread's messages, on the page of the quote or the order they are about.
    pub fn thread(kind: ThreadKind, id: Id) -> String {
        match kind {
            ThreadKind::Quote => format!("{}#h-msg", quote(id)),
            ThreadKind::Order => format!("{}#h-msg", order(id)),
        }
    }
}

/// A document's page in the client portal: what an email about it opens, through a signed link
/// (see [`document_access`]) that reaches this page and what it links to, and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentPage {
    Quote(Id),
    Order(Id),
    Invoice(Id),
}

impl DocumentPage {
    /// Its path in the portal; the pages under it (its PDFs, its answers) share the prefix.
    pub fn path(self) -> String {
        match self {
            DocumentPage::Quote(id) => portal::quote(id),
            DocumentPage::Order(id) => portal::order(id),
            DocumentPage::Invoice(id) => portal::invoice(id),
        }
    }

    /// Short and URL-safe, as signed links carry it: `d42` (devis), `c7` (commande), `f4`
    /// (facture).
    pub fn code(self) -> String {
        match self {
            DocumentPage::Quote(id) => format!("d{id}"),
            DocumentPage::Order(id) => format!("c{id}"),
            DocumentPage::Invoice(id) => format!("f{id}"),
        }
    }

    pub fn parse(code: &str) -> Option<DocumentPage> {
        let (kind, id) = code.split_at_checked(1)?;
        // Digits only (no sign, no leading zero): one page has one code.
        if id.is_empty() || id.starts_with('0') || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let id: Id = id.parse().ok()?;
        match kind {
            "d" => Some(DocumentPage::Quote(id)),
            "c" => Some(DocumentPage::Order(id)),
            "f" => Some(DocumentPage::Invoice(id)),
            _ => None,
        }
    }
}

/// Whether `path` is the page `scope` or one under it (`/compte/devis/4` holds
/// `/compte/devis/4/pdf/quote/4`, not `/compte/devis/42`).
pub fn within(scope: &str, path: &str) -> bool {
    path.strip_prefix(scope).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The page an emailed link to a document opens (`token` is signed: see immovr-app's `access`).
pub fn document_access(token: &str) -> String {
    format!("/acces/{token}")
}

/// The page an emailed sign-in link opens (`token` is the raw, single-use token).
pub fn magic_link(token: &str) -> String {
    format!("/lien-magique/{token}")
}

/// The page an emailed sign-up confirmation opens: it creates the account.
pub fn signup_confirm(token: &str) -> String {
    format!("/inscription/confirmer/{token}")
}

/// The page an emailed password-reset link opens.
pub fn password_reset(token: &str) -> String {
    format!("/reinitialiser/{token}")
}

/// `base` (the site's public address) followed by `path`.
pub fn absolute(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_page_reads_back_from_its_code_and_holds_its_own_pages_only() {
        for page in [DocumentPage::Quote(42), DocumentPage::Order(7), DocumentPage::Invoice(1)] {
            assert_eq!(DocumentPage::parse(&page.code()), Some(page));
        }
        for bad in ["", "d", "x4", "d04", "d-4", "d4a", "d99999999999999999999", "D4", "d 4"] {
            assert_eq!(DocumentPage::parse(bad), None, "{bad:?}");
        }
        let scope = DocumentPage::Quote(4).path();
        assert!(within(&scope, "/compte/devis/4"));
        assert!(within(&scope, "/compte/devis/4/accepter"));
        assert!(!within(&scope, "/compte/devis/42"));
        assert!(!within(&scope, "/compte/devis"));
        assert!(!within(&scope, "/compte/factures/4"));
    }
}
