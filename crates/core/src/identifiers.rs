//! The identifiers a French studio and its clients give, checked with their checksums: SIREN
//! and SIRET (Luhn), intra-EU VAT numbers (the French key), IBAN (ISO 13616, with the
//! `iban_validate` crate), BIC (ISO 9362), ISO 3166 countries, postcodes, phone numbers, email
//! addresses (the `email_address` crate) and French VAT rates. Each takes what a person typed
//! (spaces and case forgiven) and gives the normalised form, or a clear error on the field.

use rust_decimal::Decimal;

use crate::{DomainError, Result};

/// Without spaces (including the no-break spaces French formatting uses), dots and dashes.
fn compact(value: &str) -> String {
    value.chars().filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '\u{202F}')).collect()
}

/// The Luhn checksum (ISO/IEC 7812) over ASCII digits.
fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn all_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// A SIREN: 9 digits whose Luhn checksum holds.
pub fn siren(field: &str, value: &str) -> Result<String> {
    let v = compact(value);
    if !all_digits(&v, 9) {
        return Err(DomainError::validation(field, "a SIREN is 9 digits"));
    }
    if !luhn(&v) {
        return Err(DomainError::validation(field, "not a valid SIREN (its check digit is wrong)"));
    }
    Ok(v)
}

/// La Poste's establishments share one SIREN and follow their own SIRET rule (the sum of the
/// digits is a multiple of 5), as INSEE documents.
const LA_POSTE: &str = "356000000";

/// A SIRET: 14 digits, the SIREN then the establishment's number, whose Luhn checksum holds.
pub fn siret(field: &str, value: &str) -> Result<String> {
    let v = compact(value);
    if !all_digits(&v, 14) {
        return Err(DomainError::validation(field, "a SIRET is 14 digits"));
    }
    let valid = if v.starts_with(LA_POSTE) && v != "35600000000048" {
        v.bytes().map(|b| u32::from(b - b'0')).sum::<u32>().is_multiple_of(5)
    } else {
        luhn(&v) && luhn(&v[..9])
    };
    if !valid {
        return Err(DomainError::validation(field, "not a valid SIRET (its check digit is wrong)"));
    }
    Ok(v)
}

/// The member states' prefixes of intra-EU VAT numbers (Greece: EL; Northern Ireland: XI).
const EU_VAT_PREFIXES: [&str; 28] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
];

/// The key of a French VAT number for a SIREN: (12 + 3 × (SIREN mod 97)) mod 97.
pub fn french_vat_key(siren: &str) -> Option<u32> {
    let n: u64 = siren.parse().ok()?;
    Some(((12 + 3 * (n % 97)) % 97) as u32)
}

/// An intra-EU VAT number: a member state's prefix and its number; a French one is `FR`, a
/// two-character key and a valid SIREN, the key checked when it is numeric.
pub fn vat_number(field: &str, value: &str) -> Result<String> {
    let v = compact(value).to_uppercase();
    let invalid = || DomainError::validation(field, "an intra-EU VAT number such as FR40123456824");
    if v.len() < 4 || v.len() > 14 || !v.is_ascii() || !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid());
    }
    let (prefix, number) = v.split_at(2);
    if !EU_VAT_PREFIXES.contains(&prefix) {
        return Err(DomainError::validation(field, "must start with an EU member state's code (FR, DE, BE, …)"));
    }
    if prefix == "FR" {
        if number.len() != 11 {
            return Err(invalid());
        }
        let (key, siren_part) = number.split_at(2);
        siren(field, siren_part).map_err(|_| invalid())?;
        if key.bytes().all(|b| b.is_ascii_digit()) && key.parse::<u32>().ok() != french_vat_key(siren_part) {
            return Err(DomainError::validation(field, "not a valid French VAT number (its key is wrong)"));
        }
    } else if number.len() < 2 || number.len() > 12 {
        return Err(invalid());
    }
    Ok(v)
}

/// Whether a French VAT number is the one of this SIREN (other countries': nothing to compare).
pub fn vat_number_of(vat: &str, siren: &str) -> bool {
    !vat.starts_with("FR") || vat.ends_with(siren)
}

/// An IBAN (ISO 13616: country, check digits, and the country's account format), given back in
/// its printed form (groups of four).
pub fn iban(field: &str, value: &str) -> Result<String> {
    let v = compact(value).to_uppercase();
    match v.parse::<iban::Iban>() {
        Ok(account) => Ok(account.to_string()),
        Err(iban::ParseIbanError::InvalidBaseIban { source: iban::ParseBaseIbanError::InvalidChecksum }) => {
            Err(DomainError::validation(field, "not a valid IBAN (its check digits are wrong)"))
        }
        Err(_) => Err(DomainError::validation(field, "not a valid IBAN, e.g. FR76 3000 6000 0112 3456 7890 189")),
    }
}

/// A BIC (ISO 9362): 4 letters for the bank, its country, 2 characters for the place, and
/// optionally 3 for the branch.
pub fn bic(field: &str, value: &str) -> Result<String> {
    let v = compact(value).to_uppercase();
    let b = v.as_bytes();
    // ASCII first: the slices below are byte ranges (found by the fuzzer: "\nvea\re\u{202e}ret").
    let valid = v.is_ascii()
        && (v.len() == 8 || v.len() == 11)
        && b[..4].iter().all(u8::is_ascii_alphanumeric)
        && is_country(&v[4..6])
        && b[6..].iter().all(u8::is_ascii_alphanumeric);
    if valid { Ok(v) } else { Err(DomainError::validation(field, "a BIC has 8 or 11 characters, e.g. AGRIFRPPXXX")) }
}

/// ISO 3166-1 alpha-2 codes, officially assigned.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR \
    BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI \
    FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS \
    IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO \
    MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA \
    RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT \
    TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

fn is_country(code: &str) -> bool {
    code.len() == 2 && COUNTRIES.split_ascii_whitespace().any(|c| c == code)
}

/// A country, as its ISO 3166-1 alpha-2 code.
pub fn country(field: &str, value: &str) -> Result<String> {
    let v = value.trim().to_uppercase();
    if is_country(&v) { Ok(v) } else { Err(DomainError::validation(field, "a country code such as FR, BE or CH")) }
}

/// Where French postcodes apply: France, its overseas departments and Monaco.
const FRENCH_POSTCODES: [&str; 8] = ["FR", "MC", "GP", "MQ", "GF", "RE", "YT", "PM"];

/// A postcode for `country`: five digits in France (01000–98999); elsewhere 2 to 10 letters,
/// digits, spaces or dashes.
pub fn postcode(field: &str, value: &str, country: &str) -> Result<String> {
    let v = value.trim().to_uppercase();
    if FRENCH_POSTCODES.contains(&country) {
        let valid = all_digits(&v, 5) && !v.starts_with("00") && !v.starts_with("99");
        return if valid { Ok(v) } else { Err(DomainError::validation(field, "a French postcode is 5 digits")) };
    }
    let valid = (2..=10).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
        && v.bytes().any(|b| b.is_ascii_digit() || b.is_ascii_alphabetic());
    if valid { Ok(v) } else { Err(DomainError::validation(field, "not a postcode")) }
}

/// A phone number: an international `+` and 8 to 15 digits, or a French number of 10 digits
/// starting with 0; spaces, dots, dashes and parentheses allowed and kept.
pub fn phone(field: &str, value: &str) -> Result<String> {
    let v = value.trim();
    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
    let only_phone_chars = v.chars().enumerate().all(|(i, c)| {
        c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')' | '\u{A0}') || (c == '+' && i == 0)
    });
    let valid = only_phone_chars
        && if v.starts_with('+') {
            (8..=15).contains(&digits.len()) && !digits.starts_with('0')
        } else {
            digits.len() == 10 && digits.starts_with('0')
        };
    if valid {
        Ok(v.to_string())
    } else {
        Err(DomainError::validation(field, "a phone number such as 01 23 45 67 89 or +33 1 23 45 67 89"))
    }
}

/// An email address (RFC 5321/5322 as the `email_address` crate reads it), trimmed and in
/// lower case; no display name, no quoted local part, no line break (it goes into headers).
pub fn email(field: &str, value: &str) -> Result<String> {
    let v = value.trim().to_lowercase();
    let invalid = || DomainError::validation(field, "not a valid email address");
    if v.len() > 254 || v.chars().any(|c| c.is_control() || c.is_whitespace() || c == '"') {
        return Err(invalid());
    }
    let parsed = v.parse::<email_address::EmailAddress>().map_err(|_| invalid())?;
    // A display name ("Ana <ana@x.fr>") parses too: only a bare address is an email address here.
    if parsed.as_str() != v || !parsed.domain().contains('.') || parsed.domain().starts_with('[') {
        return Err(invalid());
    }
    Ok(v)
}

/// The VAT rates French law knows (mainland, Corsica, overseas departments), in percent.
pub const FRENCH_VAT_RATES: [&str; 10] = ["0", "0.9", "1.05", "1.75", "2.1", "5.5", "8.5", "10", "13", "20"];

/// A VAT rate of French law, in percent.
pub fn vat_rate(field: &str, rate: Decimal) -> Result<Decimal> {
    let known = FRENCH_VAT_RATES.iter().any(|r| r.parse::<Decimal>().is_ok_and(|r| r == rate));
    if known {
        Ok(rate.normalize())
    } else {
        Err(DomainError::validation(field, "not a French VAT rate (20, 10, 5.5, 2.1, 0 …)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn siren_and_siret_check_their_luhn_digit() {
        assert_eq!(siren("siren", "732 829 320").unwrap(), "732829320");
        assert!(siren("siren", "123456789").is_err(), "fails Luhn");
        assert!(siren("siren", "12345678").is_err());
        assert!(siren("siren", "12345678a").is_err());
        assert_eq!(siret("siret", "732 829 320 00074").unwrap(), "73282932000074");
        assert!(siret("siret", "73282932000075").is_err());
        assert!(siret("siret", "12345678900017").is_err(), "its SIREN fails Luhn");
        // La Poste: the digits add up to a multiple of 5.
        assert!(siret("siret", "35600000012300").is_ok());
        assert!(siret("siret", "35600000012345").is_err());
    }

    #[test]
    fn french_vat_numbers_carry_the_key_of_their_siren() {
        assert_eq!(french_vat_key("732829320"), Some(44));
        assert_eq!(vat_number("vat", "fr 44 732829320").unwrap(), "FR44732829320");
        assert!(vat_number("vat", "FR45732829320").is_err(), "wrong key");
        assert!(vat_number("vat", "FR44123456789").is_err(), "SIREN fails Luhn");
        assert!(vat_number("vat", "XX").is_err());
        assert!(vat_number("vat", "US123456789").is_err(), "not a member state");
        assert_eq!(vat_number("vat", "DE 123456789").unwrap(), "DE123456789");
        assert!(vat_number_of("FR44732829320", "732829320"));
        assert!(!vat_number_of("FR44732829320", "552100554"));
    }

    #[test]
    fn ibans_and_bics() {
        assert_eq!(iban("iban", "fr7630006000011234567890189").unwrap(), "FR76 3000 6000 0112 3456 7890 189");
        assert!(iban("iban", "FR7630006000011234567890188").is_err(), "bad checksum");
        assert!(iban("iban", "FR76").is_err());
        assert_eq!(bic("bic", "agri fr pp xxx").unwrap(), "AGRIFRPPXXX");
        assert!(bic("bic", "AGR").is_err());
        assert!(bic("bic", "AGRIZZPP").is_err(), "no such country");
        assert!(bic("bic", "\nvea\re\u{202e}ret\0").is_err(), "multi-byte characters, not a panic");
        assert!(bic("bic", "AGRIÉFPP").is_err());
    }

    #[test]
    fn addresses_phones_emails_and_rates() {
        assert_eq!(country("country", "fr").unwrap(), "FR");
        assert!(country("country", "ZZ").is_err());
        assert!(postcode("postcode", "75011", "FR").is_ok());
        assert!(postcode("postcode", "ABCDE", "FR").is_err());
        assert!(postcode("postcode", "7501", "FR").is_err());
        assert!(postcode("postcode", "SW1A 1AA", "GB").is_ok());
        assert!(postcode("postcode", "1000", "BE").is_ok());
        assert!(phone("phone", "01 23 45 67 89").is_ok());
        assert!(phone("phone", "+33 (0)1 23 45 67 89").is_ok(), "as often written");
        assert!(phone("phone", "+0 1234 5678").is_err(), "no country code starts with 0");
        assert!(phone("phone", "01 23 + 45 67 89").is_err());
        assert!(phone("phone", "+33 1 23 45 67 89").is_ok());
        assert!(phone("phone", "12").is_err());
        assert!(phone("phone", "call me").is_err());
        assert_eq!(email("email", " Ana@Studio.FR ").unwrap(), "ana@studio.fr");
        for bad in ["ana@studio.fr\r\nBcc: x@y.z", "Ana <ana@studio.fr>", "ana", "ana@localhost", "a b@c.fr", "@c.fr"] {
            assert!(email("email", bad).is_err(), "{bad:?}");
        }
        assert_eq!(vat_rate("vat_rate", dec!(20.00)).unwrap(), dec!(20));
        assert!(vat_rate("vat_rate", dec!(5.5)).is_ok());
        assert!(vat_rate("vat_rate", dec!(-5)).is_err());
        assert!(vat_rate("vat_rate", dec!(1000)).is_err());
    }
}
