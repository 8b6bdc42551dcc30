//! Lists that grow for years: pages of a bounded size, newest first, continued with a cursor —
//! a keyset (the last id seen), so a deep page costs what the first does and rows added
//! meanwhile do not shift the next one — with filters, and the words a text search matches.

use jiff::civil::Date;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{DomainError, Result};
use crate::model::Id;

/// Rows per page unless the caller asks otherwise, and the most it may ask for.
pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

/// What a list shows: a page of it, optionally filtered.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListQuery {
    /// Rows per page (1 to `MAX_PAGE`; 0 means `DEFAULT_PAGE`).
    pub limit: i64,
    /// Continue after this row (from the previous page's cursor).
    pub after: Option<Id>,
    /// One of the list's statuses (each list documents its own).
    pub status: Option<String>,
    pub client_id: Option<Id>,
    /// A period, both ends included, on the date each list documents (issue date, creation…).
    pub from: Option<Date>,
    pub to: Option<Date>,
    /// Words to find in the number, title and client name (each word matches the start of a
    /// word; accents and case do not matter).
    pub q: Option<String>,
}

impl ListQuery {
    /// The first page, default size, no filter.
    pub fn first() -> ListQuery {
        ListQuery::default()
    }

    /// The page size to use.
    pub fn page_size(&self) -> i64 {
        if self.limit <= 0 { DEFAULT_PAGE } else { self.limit.min(MAX_PAGE) }
    }

    /// Checks what the caller chose: a known status, a period in order, a page size in range.
    pub fn check(&self, statuses: &[&str]) -> Result<()> {
        if self.limit < 0 || self.limit > MAX_PAGE {
            return Err(DomainError::validation("limit", format!("from 1 to {MAX_PAGE}")));
        }
        if let Some(s) = &self.status
            && !statuses.contains(&s.as_str())
        {
            return Err(DomainError::validation("status", format!("one of: {}", statuses.join(", "))));
        }
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(DomainError::validation("from", "the period starts after it ends"));
        }
        if let Some(q) = &self.q {
            crate::text::plain("q", q, 200)?;
        }
        Ok(())
    }

    /// The search words, normalised (empty: no text search).
    pub fn words(&self) -> Vec<String> {
        self.q.as_deref().map(query_terms).unwrap_or_default()
    }
}

/// A page of a list and the cursor of the next one (`None`: this is the last).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass it back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page from `fetched` rows, fetched with one row more than the page size: that extra row
    /// only says there is a next page.
    pub fn from_rows(mut fetched: Vec<T>, size: i64, id: impl Fn(&T) -> Id) -> Page<T> {
        let size = size.max(1) as usize;
        let next_cursor = if fetched.len() > size {
            fetched.truncate(size);
            fetched.last().map(|t| cursor(id(t)))
        } else {
            None
        };
        Page { items: fetched, next_cursor }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

/// Every row of a list, page after page (exports: a client's data, the accounting).
pub async fn every<T, F, Fut>(query: ListQuery, mut fetch: F) -> Result<Vec<T>>
where
    F: FnMut(ListQuery) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>>>,
{
    let mut out = Vec::new();
    let mut query = ListQuery { limit: MAX_PAGE, ..query };
    loop {
        let page = fetch(query.clone()).await?;
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => query.after = Some(parse_cursor(&c)?),
            None => return Ok(out),
        }
    }
}

/// The cursor that continues after row `id`. Callers treat it as opaque.
pub fn cursor(id: Id) -> String {
    format!("c{id}")
}

pub fn parse_cursor(text: &str) -> Result<Id> {
    text.strip_prefix('c')
        .and_then(|n| n.parse::<Id>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| DomainError::validation("cursor", "not a cursor from a previous page"))
}

/// Lower case, accents removed (the French and other Latin ones; other scripts kept as they are).
fn fold(c: char, out: &mut String) {
    let folded = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' => "i",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ś' | 'š' | 'ş' => "s",
        'ź' | 'ż' | 'ž' => "z",
        'ł' => "l",
        'ř' => "r",
        'ť' | 'ţ' => "t",
        'œ' => "oe",
        'æ' => "ae",
        'ß' => "ss",
        _ => {
            out.push(c);
            return;
        }
    };
    out.push_str(folded);
}

fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        fold(c, &mut out);
    }
    out
}

/// Tokens of normalised text: runs of letters and digits, where `-`, `/`, `.` and `_` between
/// two of them join (document numbers such as `d-2026-0042` stay one token).
fn tokens(text: &str) -> Vec<String> {
    let text = normalise(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, c) in chars.iter().enumerate() {
        let joiner = matches!(c, '-' | '/' | '.' | '_')
            && !current.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || joiner {
            current.push(*c);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The terms a record is found by: every token of its texts, and the parts of joined tokens
/// (`d-2026-0042` is also found by `2026` and `0042`). Sorted, without duplicates; at most 40
/// characters each.
pub fn index_terms<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut terms = Vec::new();
    for text in texts {
        for token in tokens(text) {
            if token.contains(['-', '/', '.', '_']) {
                terms.extend(token.split(['-', '/', '.', '_']).filter(|p| !p.is_empty()).map(str::to_string));
            }
            terms.push(token);
        }
    }
    let mut terms: Vec<String> = terms.into_iter().map(|t| t.chars().take(40).collect()).collect();
    terms.sort();
    terms.dedup();
    terms
}

/// The words of a search, each matched against the start of a term. Single letters are dropped
/// when longer words are there (they would match nearly everything).
pub fn query_terms(q: &str) -> Vec<String> {
    let all: Vec<String> = tokens(q).into_iter().map(|t| t.chars().take(40).collect()).collect();
    let long: Vec<String> = all.iter().filter(|t| t.chars().count() > 1).cloned().collect();
    let mut words = if long.is_empty() { all } else { long };
    words.sort();
    words.dedup();
    words.truncate(8);
    words
}

/// The upper bound of the terms starting with `prefix`: `term >= prefix AND term < upper`.
pub fn prefix_upper(prefix: &str) -> String {
    format!("{prefix}\u{10ffff}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_fold_accents_and_keep_numbers_whole() {
        let t = index_terms(["D-2026-0042", "Visite virtuelle — « Les Terrasses »", "Agence Lumière & Fils"]);
        for expected in ["d-2026-0042", "2026", "0042", "visite", "terrasses", "lumiere", "fils", "agence"] {
            assert!(t.contains(&expected.to_string()), "{expected} in {t:?}");
        }
        assert!(!t.iter().any(|w| w.contains('«') || w.contains('&')));
        assert_eq!(query_terms("  Lumière  D-2026 a "), vec!["d-2026".to_string(), "lumiere".to_string()]);
        assert_eq!(query_terms("a"), vec!["a".to_string()]);
        assert!(query_terms(" — ").is_empty());
        assert_eq!(index_terms(["Œuvre ÉTÉ straße"]), vec!["ete", "oeuvre", "strasse"]);
        assert!(index_terms(["Ελληνικά кириллица"]).contains(&"кириллица".to_string()));
        assert!("lumiere" >= "lum" && "lumiere" < prefix_upper("lum").as_str());
    }

    #[test]
    fn pages_know_whether_there_is_a_next_one() {
        let p = Page::from_rows(vec![9, 8, 7], 2, |n| *n);
        assert_eq!(p.items, vec![9, 8]);
        assert_eq!(p.next_cursor.as_deref(), Some("c8"));
        assert_eq!(parse_cursor("c8").unwrap(), 8);
        let last = Page::from_rows(vec![2, 1], 2, |n| *n);
        assert!(last.next_cursor.is_none());
        assert!(parse_cursor("8").is_err() && parse_cursor("c-1").is_err() && parse_cursor("cx").is_err());
        let q = ListQuery { limit: 500, ..ListQuery::first() };
        assert!(q.check(&[]).is_err());
        assert_eq!(ListQuery::first().page_size(), DEFAULT_PAGE);
        let bad = ListQuery { status: Some("nope".into()), ..ListQuery::first() };
        assert!(bad.check(&["sent"]).is_err());
    }
}
