//! QR codes (the SEPA credit-transfer "GiroCode" of invoices, EPC069-12), as a grid of modules
//! the page draws as a small image.
//!
//! The mask pattern is fixed (checkerboard) instead of chosen by scoring all eight: every mask
//! is valid and decodes the same, and the scoring is most of the cost of encoding (about 1 ms).

use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::types::QrError;
use qrcode::{Color, EcLevel};

/// A QR code's modules, row by row, without the quiet zone.
pub struct Matrix {
    pub width: usize,
    pub dark: Vec<bool>,
}

impl Matrix {
    /// One byte per pixel (0 dark, 255 light), with a 4-module quiet zone; `(pixels, side)`.
    pub fn luma(&self) -> (Vec<u8>, usize) {
        const QUIET: usize = 4;
        let side = self.width + 2 * QUIET;
        let mut px = vec![255u8; side * side];
        for (i, dark) in self.dark.iter().enumerate() {
            if *dark {
                px[(i / self.width + QUIET) * side + i % self.width + QUIET] = 0;
            }
        }
        (px, side)
    }
}

/// The QR code of `payload`, error correction level M as EPC069-12 requires.
pub fn matrix(payload: &str) -> Result<Matrix, QrError> {
    let bits = qrcode::bits::encode_auto(payload.as_bytes(), EcLevel::M)?;
    let version = bits.version();
    let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M)?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    canvas.apply_mask(MaskPattern::Checkerboard);
    Ok(Matrix {
        width: version.width() as usize,
        dark: canvas.into_colors().into_iter().map(|c| c == Color::Dark).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_gives_a_square_grid_with_finder_patterns() {
        let m = matrix("BCD\n002\n1\nSCT\nAGRIFRPPXXX\nVirtuelli SAS\nFR7630006000011234567890189\nEUR10.00\n\n\nF-1")
            .unwrap();
        assert_eq!(m.dark.len(), m.width * m.width);
        // The top-left finder pattern: a dark 7×7 ring.
        assert!((0..7).all(|i| m.dark[i] && m.dark[6 * m.width + i] && m.dark[i * m.width]));
        let (px, side) = m.luma();
        assert_eq!(px.len(), side * side);
        assert_eq!(px[0], 255, "quiet zone");
    }
}
