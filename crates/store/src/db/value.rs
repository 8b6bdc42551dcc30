//! Values bound to and read from SQL (`V`), and the rows read back (`Row`).

use std::str::FromStr;
use std::sync::Arc;

use immovr_core::DomainError;
use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;

/// A value bound to or read from SQL: every column is an integer or text.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    I(Option<i64>),
    T(Option<String>),
}

impl From<i64> for V {
    fn from(v: i64) -> Self {
        V::I(Some(v))
    }
}
impl From<Option<i64>> for V {
    fn from(v: Option<i64>) -> Self {
        V::I(v)
    }
}
impl From<bool> for V {
    fn from(v: bool) -> Self {
        V::I(Some(v as i64))
    }
}
impl From<&str> for V {
    fn from(v: &str) -> Self {
        V::T(Some(v.to_string()))
    }
}
impl From<String> for V {
    fn from(v: String) -> Self {
        V::T(Some(v))
    }
}
impl From<&String> for V {
    fn from(v: &String) -> Self {
        V::T(Some(v.clone()))
    }
}
impl From<Option<String>> for V {
    fn from(v: Option<String>) -> Self {
        V::T(v)
    }
}
impl From<Option<&str>> for V {
    fn from(v: Option<&str>) -> Self {
        V::T(v.map(str::to_string))
    }
}
impl From<&Option<String>> for V {
    fn from(v: &Option<String>) -> Self {
        V::T(v.clone())
    }
}
// Decimals keep their scale: amounts are stored as "390.00", as computed.
impl From<Decimal> for V {
    fn from(v: Decimal) -> Self {
        V::T(Some(v.to_string()))
    }
}
impl From<Option<Decimal>> for V {
    fn from(v: Option<Decimal>) -> Self {
        V::T(v.map(|d| d.to_string()))
    }
}
impl From<Date> for V {
    fn from(v: Date) -> Self {
        V::T(Some(v.to_string()))
    }
}
impl From<Option<Date>> for V {
    fn from(v: Option<Date>) -> Self {
        V::T(v.map(|d| d.to_string()))
    }
}
/// Timestamps are stored as RFC 3339 UTC text with nine fractional digits: fixed width, so SQL
/// compares them correctly as text.
fn ts_text(t: Timestamp) -> String {
    format!("{t:.9}")
}
impl From<Timestamp> for V {
    fn from(v: Timestamp) -> Self {
        V::T(Some(ts_text(v)))
    }
}
impl From<Option<Timestamp>> for V {
    fn from(v: Option<Timestamp>) -> Self {
        V::T(v.map(ts_text))
    }
}

/// A row read back: column names (shared by the rows of one result) and values.
#[derive(Debug, Clone)]
pub struct Row {
    pub(super) names: Arc<[String]>,
    pub(super) values: Vec<V>,
}

type R<T> = Result<T, DomainError>;

fn corrupt(col: &str, what: &str) -> DomainError {
    DomainError::internal(format!("column {col}: {what}"))
}

impl Row {
    /// This row with one more column (a value the caller holds, e.g. what a join would add).
    pub fn with(self, col: &str, value: V) -> Row {
        let mut names: Vec<String> = self.names.to_vec();
        names.push(col.to_string());
        let mut values = self.values;
        values.push(value);
        Row { names: names.into(), values }
    }

    /// Rows from a JSON array of objects: what PostgreSQL's `json_agg(t)` gives for rows of a
    /// table (every column an integer or text, as everywhere here).
    pub fn from_json_rows(json: &str) -> R<Vec<Row>> {
        let objects: Vec<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_str(json).map_err(|e| corrupt("(json rows)", &e.to_string()))?;
        let Some(first) = objects.first() else { return Ok(Vec::new()) };
        let names: Arc<[String]> = first.keys().cloned().collect();
        objects
            .iter()
            .map(|o| {
                let values = names
                    .iter()
                    .map(|n| match o.get(n) {
                        None | Some(serde_json::Value::Null) => Ok(V::T(None)),
                        Some(serde_json::Value::String(s)) => Ok(V::T(Some(s.clone()))),
                        Some(serde_json::Value::Number(x)) => {
                            x.as_i64().map(|i| V::I(Some(i))).ok_or_else(|| corrupt(n, "not an integer"))
                        }
                        Some(_) => Err(corrupt(n, "neither an integer nor text")),
                    })
                    .collect::<R<Vec<V>>>()?;
                Ok(Row { names: names.clone(), values })
            })
            .collect()
    }

    /// Whether the row has this column.
    pub fn has(&self, col: &str) -> bool {
        self.names.iter().any(|n| n == col)
    }

    fn get(&self, col: &str) -> R<&V> {
        self.names.iter().position(|n| n == col).map(|i| &self.values[i]).ok_or_else(|| corrupt(col, "missing"))
    }

    pub fn opt_i64(&self, col: &str) -> R<Option<i64>> {
        match self.get(col)? {
            V::I(v) => Ok(*v),
            V::T(None) => Ok(None),
            V::T(Some(t)) => t.parse().map(Some).map_err(|_| corrupt(col, "not an integer")),
        }
    }

    pub fn i64(&self, col: &str) -> R<i64> {
        self.opt_i64(col)?.ok_or_else(|| corrupt(col, "null"))
    }

    pub fn bool(&self, col: &str) -> R<bool> {
        Ok(self.i64(col)? != 0)
    }

    pub fn opt_text(&self, col: &str) -> R<Option<String>> {
        match self.get(col)? {
            V::T(v) => Ok(v.clone()),
            V::I(None) => Ok(None),
            V::I(Some(i)) => Ok(Some(i.to_string())),
        }
    }

    pub fn text(&self, col: &str) -> R<String> {
        self.opt_text(col)?.ok_or_else(|| corrupt(col, "null"))
    }

    fn parse_opt<T: FromStr>(&self, col: &str) -> R<Option<T>> {
        self.opt_text(col)?.map(|t| t.parse::<T>().map_err(|_| corrupt(col, "unparsable"))).transpose()
    }

    fn parse<T: FromStr>(&self, col: &str) -> R<T> {
        self.parse_opt(col)?.ok_or_else(|| corrupt(col, "null"))
    }

    pub fn dec(&self, col: &str) -> R<Decimal> {
        self.parse(col)
    }
    pub fn opt_dec(&self, col: &str) -> R<Option<Decimal>> {
        self.parse_opt(col)
    }
    pub fn date(&self, col: &str) -> R<Date> {
        self.parse(col)
    }
    pub fn opt_date(&self, col: &str) -> R<Option<Date>> {
        self.parse_opt(col)
    }
    pub fn ts(&self, col: &str) -> R<Timestamp> {
        self.parse(col)
    }
    pub fn opt_ts(&self, col: &str) -> R<Option<Timestamp>> {
        self.parse_opt(col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_timestamps_sort_as_text_like_in_time() {
        let whole: Timestamp = "2026-06-15T08:00:00Z".parse().unwrap();
        let later = whole + jiff::SignedDuration::from_millis(500);
        assert_eq!(ts_text(whole), "2026-06-15T08:00:00.000000000Z");
        assert!(ts_text(whole) < ts_text(later), "text order is time order");
        assert_eq!(ts_text(later).parse::<Timestamp>().unwrap(), later);
    }

    #[test]
    fn rows_from_json_read_as_rows_from_sql() {
        let rows = Row::from_json_rows(
            r#"[{"position": 1, "code": null, "unit_price": "390.00"}, {"position": 2, "code": "PHOTO", "unit_price": "12.50"}]"#,
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].i64("position").unwrap(), 1);
        assert_eq!(rows[0].opt_text("code").unwrap(), None);
        assert_eq!(rows[1].text("code").unwrap(), "PHOTO");
        assert_eq!(rows[1].dec("unit_price").unwrap().to_string(), "12.50", "decimals keep their scale");
        assert!(rows[1].has("unit_price") && !rows[1].has("nothing"));
        assert!(Row::from_json_rows("[]").unwrap().is_empty());
        assert!(Row::from_json_rows(r#"[{"paid": true}]"#).is_err(), "neither an integer nor text");
        assert!(Row::from_json_rows(r#"[{"amount": 1.5}]"#).is_err());
        assert!(Row::from_json_rows("{").is_err());
    }
}
