//! Texts and identifiers where they enter the domain: single lines, paragraphs, SIREN, SIRET,
//! VAT numbers, IBAN, BIC, countries, postcodes, phones, emails. Nothing panics; what is
//! accepted is given in its normal form, which is accepted again unchanged.
#![no_main]

use immovr_core::{identifiers as id, text};
use libfuzzer_sys::fuzz_target;

fn stable(check: impl Fn(&str) -> immovr_core::Result<String>, input: &str) {
    if let Ok(normal) = check(input) {
        assert_eq!(check(&normal).as_deref(), Ok(normal.as_str()), "{input:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    stable(|v| text::line("f", v, 200), s);
    stable(|v| text::text("f", v, 2000), s);
    let _ = text::plain("f", s, 200);
    stable(|v| id::siren("f", v), s);
    stable(|v| id::siret("f", v), s);
    stable(|v| id::vat_number("f", v), s);
    stable(|v| id::iban("f", v), s);
    stable(|v| id::bic("f", v), s);
    stable(|v| id::country("f", v), s);
    stable(|v| id::postcode("f", v, "FR"), s);
    stable(|v| id::postcode("f", v, "BE"), s);
    stable(|v| id::phone("f", v), s);
    stable(|v| id::email("f", v), s);
    let _ = id::french_vat_key(s);
    if let Some((vat, siren)) = s.split_once('|') {
        let _ = id::vat_number_of(vat, siren);
    }
});
