//! QR codes as SVG (the SEPA credit-transfer "GiroCode" of invoices, EPC069-12).

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// An SVG QR code of `payload`, error correction level M as EPC069-12 requires.
pub fn svg(payload: &str) -> Result<String, qrcode::types::QrError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)?;
    Ok(code.render::<svg::Color>().min_dimensions(240, 240).quiet_zone(true).build())
}
