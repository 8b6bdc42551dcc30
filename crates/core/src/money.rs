//! Money and VAT. Amounts are exact decimals in euros. A line total is quantity × unit price −
//! discount, rounded to the cent (half away from zero); VAT is computed per rate on the sum of
//! the lines of that rate, rounded to the cent; the document total is the sum of the per-rate
//! totals, so every figure printed adds up.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{DomainError, Result};

/// Rounds an amount to the cent, half away from zero (the usual commercial rule in France).
pub fn to_cents(amount: Decimal) -> Decimal {
    let mut cents = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    cents.rescale(2); // always two decimals: "390.00", as printed
    cents
}

/// What a document line is made of, before totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// Catalogue code this line came from, if any (free-text lines have none).
    #[serde(default)]
    pub code: Option<String>,
    pub description: String,
    #[serde(deserialize_with = "strict::decimal")]
    pub quantity: Decimal,
    /// Unit as printed: "forfait", "m²", "pièce", "heure", …
    pub unit: String,
    /// Unit price excluding VAT, in euros.
    #[serde(deserialize_with = "strict::decimal")]
    pub unit_price: Decimal,
    /// Discount on the line, an amount in euros excluding VAT.
    #[serde(default, deserialize_with = "strict::decimal")]
    pub discount: Decimal,
    /// VAT rate in percent (20, 10, 5.5, 0).
    #[serde(deserialize_with = "strict::decimal")]
    pub vat_rate: Decimal,
}

/// A line with its computed total excluding VAT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Line {
    pub position: i64,
    pub code: Option<String>,
    pub description: String,
    pub quantity: Decimal,
    pub unit: String,
    pub unit_price: Decimal,
    pub discount: Decimal,
    pub vat_rate: Decimal,
    pub total_excl_vat: Decimal,
}

/// Totals for one VAT rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VatBreakdown {
    pub rate: Decimal,
    pub base_excl_vat: Decimal,
    pub vat: Decimal,
    pub total_incl_vat: Decimal,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    /// One entry per VAT rate used, by increasing rate.
    pub per_rate: Vec<VatBreakdown>,
    pub total_excl_vat: Decimal,
    pub total_vat: Decimal,
    pub total_incl_vat: Decimal,
}

const MAX_QUANTITY: i64 = 1_000_000;
const MAX_UNIT_PRICE: i64 = 100_000_000;

impl LineInput {
    /// Checks a line against the rules and the VAT rates in force; `index` names it in errors.
    /// Gives it with its text as kept (trimmed, line breaks normalised).
    pub fn validate(&self, index: usize, allowed_rates: &[Decimal]) -> Result<LineInput> {
        let mut checks = crate::Checks::new();
        let line = self.checked(index, allowed_rates, &mut checks);
        checks.done().map(|()| line)
    }

    /// Checks a line, keeping every refusal in `checks` (each field once).
    fn checked(&self, index: usize, allowed_rates: &[Decimal], checks: &mut crate::Checks) -> LineInput {
        let field = |name: &str| format!("lines[{index}].{name}");
        let description = checks.check(crate::text::text(&field("description"), &self.description, 2000));
        let unit = checks.check(crate::text::line(&field("unit"), &self.unit, 30));
        let code = checks.check(crate::text::opt_line(&field("code"), self.code.as_deref(), 40));
        if self.quantity <= Decimal::ZERO || self.quantity > Decimal::from(MAX_QUANTITY) {
            checks.refuse(field("quantity"), format!("must be greater than 0 and at most {MAX_QUANTITY}"));
        } else if self.quantity.scale() > 3 {
            checks.refuse(field("quantity"), "at most 3 decimals");
        }
        if self.unit_price < Decimal::ZERO || self.unit_price > Decimal::from(MAX_UNIT_PRICE) {
            checks.refuse(field("unit_price"), format!("must be between 0 and {MAX_UNIT_PRICE}"));
        } else if self.unit_price.scale() > 4 {
            checks.refuse(field("unit_price"), "at most 4 decimals");
        }
        if self.discount < Decimal::ZERO || self.discount.scale() > 2 {
            checks.refuse(field("discount"), "must be a non-negative amount in euros with at most 2 decimals");
        } else if !checks.refused(&field("quantity"))
            && !checks.refused(&field("unit_price"))
            && self.discount > self.quantity * self.unit_price
        {
            checks.refuse(field("discount"), "must not exceed quantity × unit price");
        }
        if !allowed_rates.contains(&self.vat_rate) {
            let rates: Vec<String> = allowed_rates.iter().map(|r| r.normalize().to_string()).collect();
            checks.refuse(field("vat_rate"), format!("must be one of {}", rates.join(", ")));
        }
        LineInput { code, description, unit, ..self.clone() }
    }

    pub fn total_excl_vat(&self) -> Decimal {
        to_cents(self.quantity * self.unit_price - self.discount)
    }

    pub fn to_line(&self, position: i64) -> Line {
        Line {
            position,
            code: self.code.clone(),
            description: self.description.clone(),
            quantity: self.quantity.normalize(),
            unit: self.unit.clone(),
            unit_price: self.unit_price,
            discount: self.discount,
            vat_rate: self.vat_rate.normalize(),
            total_excl_vat: self.total_excl_vat(),
        }
    }
}

/// Validates every line and returns the computed lines, numbered from 1.
/// Every refusal is given at once, line by line.
pub fn build_lines(inputs: &[LineInput], allowed_rates: &[Decimal]) -> Result<Vec<Line>> {
    let mut checks = crate::Checks::new();
    let lines = check_lines(inputs, allowed_rates, &mut checks);
    checks.done().map(|()| lines)
}

/// [`build_lines`], keeping its refusals in `checks` (with the other fields of a form).
pub fn check_lines(inputs: &[LineInput], allowed_rates: &[Decimal], checks: &mut crate::Checks) -> Vec<Line> {
    if inputs.len() > 500 {
        checks.refuse("lines", "at most 500 lines");
        return Vec::new();
    }
    inputs.iter().enumerate().map(|(i, l)| l.checked(i, allowed_rates, checks).to_line(i as i64 + 1)).collect()
}

impl Line {
    pub fn to_input(&self) -> LineInput {
        LineInput {
            code: self.code.clone(),
            description: self.description.clone(),
            quantity: self.quantity,
            unit: self.unit.clone(),
            unit_price: self.unit_price,
            discount: self.discount,
            vat_rate: self.vat_rate,
        }
    }
}

/// Totals of a document: VAT per rate on the sum of that rate's line totals.
pub fn totals(lines: &[Line]) -> Totals {
    let mut rates: Vec<(Decimal, Decimal)> = Vec::new();
    for line in lines {
        let rate = line.vat_rate.normalize();
        match rates.iter_mut().find(|(r, _)| *r == rate) {
            Some((_, base)) => *base += line.total_excl_vat,
            None => rates.push((rate, line.total_excl_vat)),
        }
    }
    rates.sort_by_key(|r| r.0);
    let per_rate: Vec<VatBreakdown> = rates
        .into_iter()
        .map(|(rate, base)| {
            let vat = to_cents(base * rate / Decimal::ONE_HUNDRED);
            VatBreakdown { rate, base_excl_vat: base, vat, total_incl_vat: base + vat }
        })
        .collect();
    let total_excl_vat = to_cents(per_rate.iter().map(|r| r.base_excl_vat).sum());
    let total_vat = to_cents(per_rate.iter().map(|r| r.vat).sum());
    let total_incl_vat = to_cents(per_rate.iter().map(|r| r.total_incl_vat).sum());
    Totals { per_rate, total_excl_vat, total_vat, total_incl_vat }
}

/// Parses a decimal stored as text; a corrupt value is an internal error.
pub fn parse_decimal(text: &str) -> Result<Decimal> {
    text.parse::<Decimal>().map_err(|e| DomainError::internal(format!("stored decimal {text:?}: {e}")))
}

/// Groups the integer digits by three with `sep`.
fn group_digits(int: &str, sep: &str) -> String {
    let digits: Vec<char> = int.chars().collect();
    let mut out = String::with_capacity(int.len() + int.len() / 3 * sep.len());
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(*c);
    }
    out
}

/// An amount in euros the local way: "1 234,50 €" (French typography: narrow no-break spaces,
/// no-break space before €) or "€1,234.50".
pub fn format_eur(amount: Decimal, lang: crate::model::Language) -> String {
    let mut d = amount.round_dp(2);
    d.rescale(2);
    let text = d.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let sign = if d.is_sign_negative() && !d.is_zero() { "−" } else { "" };
    match lang {
        crate::model::Language::Fr => format!("{sign}{},{frac}\u{a0}€", group_digits(int, "\u{202f}")),
        crate::model::Language::En => format!("{sign}€{}.{frac}", group_digits(int, ",")),
    }
}

/// A date as documents and emails write it: "15/07/2026" or "15 July 2026".
pub fn format_date(d: jiff::civil::Date, lang: crate::model::Language) -> String {
    match lang {
        crate::model::Language::Fr => format!("{:02}/{:02}/{}", d.day(), d.month(), d.year()),
        crate::model::Language::En => d.strftime("%-d %B %Y").to_string(),
    }
}

/// A quantity or rate the local way, without trailing zeros: "1 234,5" or "1,234.5".
pub fn format_number(d: Decimal, lang: crate::model::Language) -> String {
    let text = d.normalize().to_string();
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (text.clone(), None),
    };
    let (sep, point) = if lang == crate::model::Language::Fr { ("\u{202f}", ",") } else { (",", ".") };
    let int = match int.strip_prefix('-') {
        Some(rest) => format!("−{}", group_digits(rest, sep)),
        None => group_digits(&int, sep),
    };
    match frac {
        Some(f) => format!("{int}{point}{f}"),
        None => int,
    }
}

/// A decimal number as written by a person or a program: an optional `-`, digits, and at most
/// one decimal separator with digits after it (`.`; `,` too as French writes it, when
/// `comma` says so). Spaces between digit groups (`1 250,50`, also no-break spaces) are
/// allowed in what a person types; anything else — `1_000`, `1e3`, `+5`, `0x10`, `١٢` — is
/// refused instead of being read as some other number.
pub fn read_decimal(text: &str, comma: bool) -> Option<Decimal> {
    let t: String = text.trim().chars().filter(|c| !(comma && matches!(c, ' ' | '\u{A0}' | '\u{202F}'))).collect();
    let t = if comma { t.replacen(',', ".", 1) } else { t };
    let digits = t.strip_prefix('-').unwrap_or(&t);
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !whole.is_empty()
        && whole.len() <= 20
        && frac.len() <= 20
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (frac.is_empty() != digits.contains('.'));
    if !ok {
        return None;
    }
    t.parse().ok()
}

/// Strict decimals in JSON inputs (`#[serde(deserialize_with = …)]`): a string as
/// [`read_decimal`] reads it (no comma), or a JSON number.
pub mod strict {
    use rust_decimal::Decimal;
    use serde::de::{self, Deserializer, Visitor};

    struct Strict;

    impl<'de> Visitor<'de> for Strict {
        type Value = Decimal;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a decimal number such as \"1250.50\"")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            super::read_decimal(v, false)
                .ok_or_else(|| E::custom(format!("{v:?} is not a decimal number such as 1250.50")))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
            // The shortest text that reads back as this number: what the sender wrote.
            if !v.is_finite() {
                return Err(E::custom("not a finite number"));
            }
            self.visit_str(&v.to_string())
        }
    }

    pub fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        d.deserialize_any(Strict)
    }

    pub fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        struct Opt;
        impl<'de> Visitor<'de> for Opt {
            type Value = Option<Decimal>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a decimal number or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                decimal(d).map(Some)
            }
        }
        d.deserialize_option(Opt)
    }

    pub fn decimals<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Decimal>, D::Error> {
        struct Many;
        impl<'de> Visitor<'de> for Many {
            type Value = Vec<Decimal>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of decimal numbers")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                struct One(Decimal);
                impl<'de> serde::Deserialize<'de> for One {
                    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                        decimal(d).map(One)
                    }
                }
                let mut out = Vec::new();
                while let Some(One(v)) = seq.next_element()? {
                    out.push(v);
                }
                Ok(out)
            }
        }
        d.deserialize_seq(Many)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::dec;

    fn rates() -> Vec<Decimal> {
        vec![dec!(0), dec!(5.5), dec!(10), dec!(20)]
    }

    fn line(q: Decimal, p: Decimal, d: Decimal, rate: Decimal) -> LineInput {
        LineInput {
            code: None,
            description: "Visite virtuelle 360°".into(),
            quantity: q,
            unit: "forfait".into(),
            unit_price: p,
            discount: d,
            vat_rate: rate,
        }
    }

    #[test]
    fn rounds_half_away_from_zero_per_line() {
        let l = line(dec!(3), dec!(0.335), dec!(0), dec!(20));
        assert_eq!(l.total_excl_vat(), dec!(1.01)); // 1.005 → 1.01
    }

    #[test]
    fn vat_is_computed_per_rate_on_the_sum_of_lines() {
        // Three lines at 1.05 € and 20 %: per-line VAT would be 0.21×3 = 0.63, on the sum 0.63.
        // Two lines at 0.03 € and 5.5 %: per-line 0.00 + 0.00, on the sum 0.06 × 5.5 % = 0.0033 → 0.00.
        let lines = build_lines(
            &[
                line(dec!(1), dec!(1.05), dec!(0), dec!(20)),
                line(dec!(1), dec!(1.05), dec!(0), dec!(20)),
                line(dec!(1), dec!(1.05), dec!(0), dec!(20)),
                line(dec!(1), dec!(10.10), dec!(0), dec!(5.5)),
                line(dec!(1), dec!(10.10), dec!(0), dec!(5.5)),
            ],
            &rates(),
        )
        .unwrap();
        let t = totals(&lines);
        assert_eq!(t.per_rate.len(), 2);
        assert_eq!(t.per_rate[0].rate, dec!(5.5));
        assert_eq!(t.per_rate[0].base_excl_vat, dec!(20.20));
        assert_eq!(t.per_rate[0].vat, dec!(1.11)); // 1.111
        assert_eq!(t.per_rate[1].vat, dec!(0.63));
        assert_eq!(t.total_incl_vat, dec!(25.09));
    }

    #[test]
    fn rejects_bad_lines_with_the_field_named() {
        let err = build_lines(&[line(dec!(-1), dec!(10), dec!(0), dec!(20))], &rates()).unwrap_err();
        assert_eq!(err, DomainError::validation("lines[0].quantity", "must be greater than 0 and at most 1000000"));
        let err = build_lines(&[line(dec!(1), dec!(10), dec!(11), dec!(20))], &rates()).unwrap_err();
        assert!(matches!(err, DomainError::Validation { ref field, .. } if field == "lines[0].discount"));
        let err = build_lines(&[line(dec!(1), dec!(10), dec!(0), dec!(19.6))], &rates()).unwrap_err();
        assert!(matches!(err, DomainError::Validation { ref field, .. } if field == "lines[0].vat_rate"));
    }

    #[test]
    fn every_bad_field_of_every_line_is_named_at_once() {
        let bad = [line(dec!(0), dec!(10), dec!(0), dec!(20)), line(dec!(1), dec!(-1), dec!(0), dec!(19.6))];
        let fields: Vec<String> =
            build_lines(&bad, &rates()).unwrap_err().field_errors().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["lines[0].quantity", "lines[1].unit_price", "lines[1].vat_rate"]);
    }

    fn arb_line() -> impl Strategy<Value = LineInput> {
        (1i64..10_000, 0i64..100_000_000, 0usize..4, 0i64..100).prop_map(|(q, p, r, dpct)| {
            let quantity = Decimal::new(q, 2); // 0.01 .. 99.99
            let unit_price = Decimal::new(p, 4); // 0 .. 9999.9999
            let discount = to_cents(quantity * unit_price * Decimal::new(dpct, 2));
            line(quantity, unit_price, discount, rates()[r])
        })
    }

    proptest! {
        #[test]
        fn totals_add_up(inputs in proptest::collection::vec(arb_line(), 0..40)) {
            let lines = build_lines(&inputs, &rates()).unwrap();
            let t = totals(&lines);
            prop_assert_eq!(t.total_excl_vat + t.total_vat, t.total_incl_vat);
            let sum_lines: Decimal = lines.iter().map(|l| l.total_excl_vat).sum();
            prop_assert_eq!(sum_lines, t.total_excl_vat);
            let per_rate_incl: Decimal = t.per_rate.iter().map(|r| r.total_incl_vat).sum();
            prop_assert_eq!(per_rate_incl, t.total_incl_vat);
            for r in &t.per_rate {
                prop_assert_eq!(r.base_excl_vat + r.vat, r.total_incl_vat);
                prop_assert_eq!(r.vat, to_cents(r.base_excl_vat * r.rate / Decimal::ONE_HUNDRED));
                prop_assert!(r.vat.scale() <= 2 && r.base_excl_vat.scale() <= 2);
            }
            // Each rate appears once, in increasing order.
            prop_assert!(t.per_rate.windows(2).all(|w| w[0].rate < w[1].rate));
            prop_assert!(t.total_incl_vat >= Decimal::ZERO);
        }
    }

    #[test]
    fn decimals_are_read_strictly() {
        assert_eq!(read_decimal("1250.50", false), Some(dec!(1250.50)));
        assert_eq!(read_decimal("-3", false), Some(dec!(-3)));
        assert_eq!(read_decimal("1 250,50", true), Some(dec!(1250.50)));
        assert_eq!(read_decimal("1\u{202F}250,5", true), Some(dec!(1250.5)));
        for bad in ["1_000", "1e3", "+5", "0x10", "1.", ".5", "1.2.3", "", "-", "١٢", "1 000", "1,5", "NaN", " 1 "] {
            let comma_ok = matches!(bad, "1 000" | "1,5" | " 1 ");
            assert_eq!(read_decimal(bad, false).is_some(), bad == " 1 ", "{bad:?}");
            if comma_ok {
                assert!(read_decimal(bad, true).is_some(), "{bad:?} as French");
            }
        }
        let line: Result<LineInput, _> = serde_json::from_str(
            r#"{"description": "d", "quantity": "1_000", "unit": "u", "unit_price": "1", "vat_rate": "20"}"#,
        );
        assert!(line.is_err());
        let line: LineInput = serde_json::from_str(
            r#"{"description": "d", "quantity": 2, "unit": "u", "unit_price": 19.99, "vat_rate": "5.5"}"#,
        )
        .unwrap();
        assert_eq!((line.quantity, line.unit_price, line.vat_rate), (dec!(2), dec!(19.99), dec!(5.5)));
    }
}
