//! Lists on pages: the search form above a list (words, status, period) and the link to the
//! next page below it. Plain GET forms and links: they work without JavaScript, can be
//! bookmarked, and carry the filters from page to page.

use immovr_core::DomainError;
use immovr_core::listing::{ListQuery, Page};
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::Tr;
use super::{Ctx, error_page};

/// A list page's query string, read leniently: what does not parse is reported, not a 400.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ListForm {
    pub cursor: Option<String>,
    pub q: Option<String>,
    pub status: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Staff lists of one client.
    pub client: Option<String>,
}

impl ListForm {
    /// The store's query, or the reason it is not one (shown above the list).
    pub fn query(&self) -> Result<ListQuery, DomainError> {
        let date = |field: &str, v: &Option<String>| -> Result<_, DomainError> {
            match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                Some(v) => v.parse().map(Some).map_err(|_| DomainError::validation(field, "a date such as 2026-06-15")),
                None => Ok(None),
            }
        };
        let after = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some(immovr_core::listing::parse_cursor(c)?),
            None => None,
        };
        let client_id = match self.client.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(c.parse().map_err(|_| DomainError::validation("client", "not a client"))?),
            None => None,
        };
        Ok(ListQuery {
            limit: 0,
            after,
            status: self.status.clone().filter(|s| !s.is_empty()),
            client_id,
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            q: self.q.clone().filter(|q| !q.trim().is_empty()),
        })
    }

    /// The same filters from the first page.
    fn filters(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        for (k, v) in
            [("q", &self.q), ("status", &self.status), ("from", &self.from), ("to", &self.to), ("client", &self.client)]
        {
            if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
                out.push((k, v));
            }
        }
        out
    }

    pub fn is_filtered(&self) -> bool {
        !self.filters().is_empty()
    }
}

/// The store's query of a list page, or the page saying what is wrong with the query string.
#[allow(clippy::result_large_err)] // a handler's early return: the response it answers with
pub fn list_query(ctx: &Ctx, form: &ListForm) -> Result<ListQuery, axum::response::Response> {
    form.query().map_err(|e| error_page(ctx, axum::http::StatusCode::BAD_REQUEST, &e.to_string()))
}

fn encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn link(path: &str, pairs: &[(&str, &str)]) -> String {
    if pairs.is_empty() {
        return path.to_string();
    }
    let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    format!("{path}?{}", q.join("&"))
}

/// The search form: words, and, when the list has them, a status and a period.
pub fn search_form(tr: &Tr, path: &str, form: &ListForm, statuses: &[&str], period: bool) -> Markup {
    html! {
        form.filters method="get" action=(path) role="search" {
            label { (tr.t("list.search")) " "
                input type="search" name="q" value=(form.q.as_deref().unwrap_or("")) maxlength="200"; }
            @if !statuses.is_empty() {
                label { (tr.t("status")) " "
                    select name="status" {
                        option value="" { (tr.t("list.any")) }
                        @for s in statuses {
                            option value=(s) selected[form.status.as_deref() == Some(*s)] { (tr.status(s)) }
                        }
                    }
                }
            }
            @if period {
                label { (tr.t("list.from")) " " input type="date" name="from" value=(form.from.as_deref().unwrap_or("")); }
                label { (tr.t("list.to")) " " input type="date" name="to" value=(form.to.as_deref().unwrap_or("")); }
            }
            @if let Some(c) = form.client.as_deref().filter(|c| !c.is_empty()) {
                input type="hidden" name="client" value=(c);
            }
            button type="submit" { (tr.t("list.search_button")) }
            @if form.is_filtered() { " " a href=(path) { (tr.t("list.clear")) } }
        }
    }
}

/// Under the first items of a list shown elsewhere (home, dashboard, a client's page): a link to
/// the whole list when there are more.
pub fn see_all(tr: &Tr, next: &Option<String>, href: &str) -> Markup {
    html! { @if next.is_some() { p { a href=(href) { (tr.t("list.all")) " »" } } } }
}

/// Below a list: nothing found, the next page, back to the first.
pub fn pager<T>(tr: &Tr, path: &str, form: &ListForm, page: &Page<T>) -> Markup {
    pager_with(tr, path, &[], form, page)
}

/// `pager` for a list with filters of its own (`extra`, kept from page to page).
pub fn pager_with<T>(tr: &Tr, path: &str, extra: &[(&'static str, String)], form: &ListForm, page: &Page<T>) -> Markup {
    let mut filters = form.filters();
    filters.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
    let next = page.next_cursor.as_deref().map(|c| {
        let mut pairs = filters.clone();
        pairs.push(("cursor", c));
        link(path, &pairs)
    });
    html! {
        @if page.items.is_empty() {
            p.hint { (tr.t(if form.is_filtered() { "list.none_found" } else { "home.nothing" })) }
        }
        nav.pager aria-label=(tr.t("list.pages")) {
            @if form.cursor.as_deref().is_some_and(|c| !c.is_empty()) {
                a href=(link(path, &filters)) { "« " (tr.t("list.first")) }
            }
            @if let Some(next) = &next {
                " " a rel="next" href=(next) { (tr.t("list.next")) " »" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_filters_and_encode_them() {
        let form = ListForm { q: Some("Lumière & fils".into()), status: Some("sent".into()), ..ListForm::default() };
        assert_eq!(link("/gestion/devis", &form.filters()), "/gestion/devis?q=Lumi%C3%A8re%20%26%20fils&status=sent");
        assert!(ListForm { from: Some("demain".into()), ..ListForm::default() }.query().is_err());
        assert!(ListForm { cursor: Some("c12".into()), ..ListForm::default() }.query().unwrap().after == Some(12));
    }
}
