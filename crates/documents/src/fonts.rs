//! The typeface documents are set in: a regular and a bold face, fallback faces for characters
//! they lack, and the measuring every layout decision rests on — each character's glyph and
//! advance, read once from the font's `cmap` and `hmtx` tables when the fonts are loaded.
//!
//! Glyphs are placed by their advances, without shaping (no kerning, no ligatures): invoices
//! and quotes are set in Latin, Greek or Cyrillic text, where that reads well, and it makes
//! measuring a line a table lookup per character.

use std::collections::HashMap;

use krilla::Data;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

/// One font file's face, with its character map.
pub struct Face {
    pub font: Font,
    /// character → (glyph, advance in em).
    glyphs: HashMap<char, (u32, f32)>,
    /// Ascender and descender, in em (descender negative).
    pub ascent: f32,
    pub descent: f32,
    space: (u32, f32),
}

impl Face {
    /// Reads a font file (the first face of a collection); `None` when it is not a font.
    pub fn load(data: Data) -> Option<Face> {
        let font_ref = FontRef::from_index(data.as_ref(), 0).ok()?;
        let metrics = font_ref.metrics(Size::unscaled(), LocationRef::default());
        let upem = f32::from(metrics.units_per_em.max(1));
        let advances = font_ref.glyph_metrics(Size::unscaled(), LocationRef::default());
        let mut glyphs = HashMap::new();
        for (codepoint, glyph) in font_ref.charmap().mappings() {
            if let Some(c) = char::from_u32(codepoint) {
                glyphs.insert(c, (glyph.to_u32(), advances.advance_width(glyph).unwrap_or(0.0) / upem));
            }
        }
        let space = *glyphs.get(&' ')?;
        let (ascent, descent) = (metrics.ascent / upem, metrics.descent / upem);
        let font = Font::new(data, 0)?;
        Some(Face { font, glyphs, ascent, descent, space })
    }

    fn glyph(&self, c: char) -> Option<(u32, f32)> {
        self.glyphs.get(&c).copied()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weight {
    Regular,
    Bold,
}

/// A piece of a line set in one face: what `krilla` draws in one go.
pub struct Run {
    pub face: usize,
    /// The text the glyphs stand for (characters no face has are `?`).
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
}

/// Regular and bold faces, then fallbacks, tried in order for each character.
pub struct Typeface {
    faces: Vec<Face>,
}

const REGULAR: usize = 0;
const BOLD: usize = 1;

impl Typeface {
    /// `regular` and `bold`, then `fallbacks` for what they lack.
    pub fn new(regular: Face, bold: Face, fallbacks: Vec<Face>) -> Typeface {
        let mut faces = vec![regular, bold];
        faces.extend(fallbacks);
        Typeface { faces }
    }

    /// The shipped typeface: Noto Sans (Latin, Greek, Cyrillic; TrueType outlines, which are
    /// quick to subset), with Libertinus Serif, New Computer Modern and DejaVu Sans Mono (fonts of
    /// the `typst-assets` crate) behind it for other characters, after the `extra` fallbacks.
    pub fn shipped(extra: Vec<Face>) -> Typeface {
        let face = |name: &str| {
            shipped_font(name)
                .and_then(|data| Face::load(Data::from(data)))
                .unwrap_or_else(|| panic!("the shipped font {name} is missing"))
        };
        let mut fallbacks = extra;
        fallbacks.push(face("LibertinusSerif-Regular"));
        fallbacks.push(face("NewCM10-Regular"));
        fallbacks.push(face("DejaVuSansMono"));
        Typeface::new(face("NotoSans"), face("NotoSans-Bold"), fallbacks)
    }

    /// The same fallbacks behind another regular and bold face.
    pub fn with_faces(mut self, regular: Face, bold: Face) -> Typeface {
        self.faces[REGULAR] = regular;
        self.faces[BOLD] = bold;
        self
    }

    pub fn face(&self, index: usize) -> &Face {
        &self.faces[index]
    }

    pub fn regular(&self) -> &Face {
        &self.faces[REGULAR]
    }

    /// True when some face has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        self.faces.iter().any(|f| f.glyph(c).is_some())
    }

    /// The face and glyph that draw `c`, in order of preference; `?` when no face has it.
    fn resolve(&self, c: char, weight: Weight) -> (usize, char, u32, f32) {
        let first = if weight == Weight::Bold { BOLD } else { REGULAR };
        if let Some((g, a)) = self.faces[first].glyph(c) {
            return (first, c, g, a);
        }
        if c.is_whitespace() {
            // No-break and narrow spaces: the face's own space, a narrow one for U+202F.
            let (g, a) = self.faces[first].space;
            let a = if c == '\u{202f}' { a * 0.6 } else { a };
            return (first, c, g, a);
        }
        for (i, face) in self.faces.iter().enumerate().skip(BOLD + 1) {
            if let Some((g, a)) = face.glyph(c) {
                return (i, c, g, a);
            }
        }
        let (g, a) = self.faces[first].glyph('?').unwrap_or(self.faces[first].space);
        (first, '?', g, a)
    }

    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, weight: Weight, size: f32) -> f32 {
        text.chars().map(|c| self.resolve(c, weight).3).sum::<f32>() * size
    }

    /// `text` cut into runs of one face each, with every glyph's advance.
    pub fn runs(&self, text: &str, weight: Weight) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        for c in text.chars() {
            let c = if c.is_control() { ' ' } else { c };
            let (face, shown, glyph, advance) = self.resolve(c, weight);
            if runs.last().is_none_or(|r| r.face != face) {
                runs.push(Run { face, text: String::new(), glyphs: Vec::new() });
            }
            let run = runs.last_mut().expect("a run was just pushed");
            let start = run.text.len();
            run.text.push(shown);
            run.glyphs.push(KrillaGlyph {
                glyph_id: GlyphId::new(glyph),
                text_range: start..run.text.len(),
                x_advance: advance,
                x_offset: 0.0,
                y_offset: 0.0,
                y_advance: 0.0,
                location: None,
            });
        }
        runs
    }

    /// Splits `text` into lines no wider than `width` at `size`: at spaces, and inside a word
    /// only when the word alone is wider than the line. Explicit newlines are kept.
    pub fn wrap(&self, text: &str, weight: Weight, size: f32, width: f32) -> Vec<String> {
        // A column sized to its widest text must hold that text despite rounding.
        let width = width + 0.01;
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            let mut line_w = 0.0;
            for word in paragraph.split(' ') {
                let word_w = self.width(word, weight, size);
                let space_w = if line.is_empty() { 0.0 } else { self.width(" ", weight, size) };
                if !line.is_empty() && line_w + space_w + word_w > width {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                if word_w > width {
                    // A word wider than the line: cut it where it overflows.
                    for c in word.chars() {
                        let c_w = self.width(c.encode_utf8(&mut [0; 4]), weight, size);
                        if !line.is_empty() && line_w + c_w > width {
                            lines.push(std::mem::take(&mut line));
                            line_w = 0.0;
                        }
                        line.push(c);
                        line_w += c_w;
                    }
                    continue;
                }
                if !line.is_empty() {
                    line.push(' ');
                    line_w += space_w;
                }
                line.push_str(word);
                line_w += word_w;
            }
            lines.push(line);
        }
        lines
    }
}

/// A font file shipped in the binary (`notosans`, `typst-assets`), by PostScript name, e.g.
/// `NotoSans`, `NotoSans-Bold`, `LibertinusSerif-Regular` or `DejaVuSansMono`.
pub fn shipped_font(postscript: &str) -> Option<&'static [u8]> {
    [notosans::REGULAR_TTF, notosans::BOLD_TTF]
        .into_iter()
        .chain(typst_assets::fonts())
        .find(|data| postscript_name(data).is_some_and(|n| n == postscript))
}

/// The PostScript name in a font's `name` table (ID 6).
fn postscript_name(data: &[u8]) -> Option<String> {
    let font = FontRef::from_index(data, 0).ok()?;
    let name = font.localized_strings(skrifa::string::StringId::POSTSCRIPT_NAME).english_or_first()?;
    Some(name.chars().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_wraps_and_falls_back() {
        let tf = Typeface::shipped(Vec::new());
        let w = tf.width("Facture", Weight::Regular, 10.0);
        assert!(w > 20.0 && w < 50.0, "{w}");
        assert!(tf.width("Facture", Weight::Bold, 10.0) > w * 0.98);
        assert_eq!(
            tf.width("ab", Weight::Regular, 10.0),
            tf.width("a", Weight::Regular, 10.0) + tf.width("b", Weight::Regular, 10.0)
        );
        let lines = tf.wrap("un deux trois quatre cinq six sept huit", Weight::Regular, 10.0, 60.0);
        assert!(lines.len() > 1 && lines.iter().all(|l| tf.width(l, Weight::Regular, 10.0) <= 60.0), "{lines:?}");
        assert_eq!(lines.join(" "), "un deux trois quatre cinq six sept huit");
        let cut = tf.wrap(&"x".repeat(200), Weight::Regular, 10.0, 50.0);
        assert!(cut.len() > 3 && cut.concat() == "x".repeat(200));
        assert!(tf.covers('é') && tf.covers('Ж') && tf.covers('λ') && tf.covers('€'));
        assert!(!tf.covers('東'));
        let runs = tf.runs("a東b", Weight::Regular);
        assert_eq!(runs.iter().map(|r| r.text.as_str()).collect::<String>(), "a?b");
    }
}
