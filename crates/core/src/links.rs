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
