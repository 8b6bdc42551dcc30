//! Amounts, quantities and line items as people and programs send them: `read_decimal` (forms,
//! with and without the French comma), the strict JSON decimals, and whole line items through
//! validation, line building and totals. Nothing panics (no overflow); what is read reads back.
#![no_main]

use immovr_core::money::{LineInput, build_lines, read_decimal, totals};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for comma in [false, true] {
        if let Some(d) = read_decimal(text, comma) {
            // What was read is a plain decimal: written back, it reads the same.
            assert_eq!(read_decimal(&d.to_string(), false), Some(d), "{text:?}");
        }
    }
    let rates = [Decimal::new(20, 0), Decimal::new(10, 0), Decimal::new(55, 1), Decimal::new(21, 1), Decimal::ZERO];
    if let Ok(lines) = serde_json::from_str::<Vec<LineInput>>(text)
        && let Ok(built) = build_lines(&lines, &rates)
    {
        let t = totals(&built);
        assert_eq!(t.total_excl_vat + t.total_vat, t.total_incl_vat);
        assert!(t.total_excl_vat >= Decimal::ZERO);
    }
    if let Ok(line) = serde_json::from_str::<LineInput>(text) {
        let _ = line.validate(0, &rates).map(|l| l.to_line(1));
    }
});
