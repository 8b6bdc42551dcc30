//! An issued document's PDF: snapshot → template data → typst → PDF/A-3b (+ Factur-X).

use std::path::Path;

use immovr_core::model::{DocumentKind, DocumentSnapshot};
use serde_json::Value;

use crate::layout;
use crate::pdf::{self, Fonts, RenderError};

/// The layout shipped with the program.
pub const DEFAULT_TEMPLATE: &str = pdf::DEFAULT_TEMPLATE;

/// The company logo, as stored (PNG, JPEG or WebP).
pub struct Logo {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

/// Renders documents with one template and one set of fonts. Build once, share.
pub struct Renderer {
    template: String,
    fonts: Fonts,
}

impl Renderer {
    /// The shipped template and fonts.
    pub fn new() -> Renderer {
        Renderer { template: DEFAULT_TEMPLATE.to_string(), fonts: Fonts::load(&[]) }
    }

    /// A studio's own layout: `dir/document.typ` when it exists, and every font in `dir/fonts`
    /// (for scripts the embedded fonts lack, or the studio's typeface).
    pub fn from_dir(dir: &Path) -> std::io::Result<Renderer> {
        let template = match std::fs::read_to_string(dir.join("document.typ")) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => DEFAULT_TEMPLATE.to_string(),
            Err(e) => return Err(e),
        };
        let mut extra = Vec::new();
        if let Ok(entries) = std::fs::read_dir(dir.join("fonts")) {
            for entry in entries {
                let path = entry?.path();
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
                if matches!(ext.as_str(), "ttf" | "otf" | "ttc" | "otc") {
                    extra.push(std::fs::read(&path)?);
                }
            }
        }
        Ok(Renderer { template, fonts: Fonts::load(&extra) })
    }

    /// Replaces characters no font can draw (PDF/A forbids missing glyphs) in every text.
    fn printable(&self, v: &mut Value) {
        match v {
            Value::String(s) if s.chars().any(|c| !c.is_whitespace() && !self.fonts.covers(c)) => {
                *s = s.chars().map(|c| if c.is_whitespace() || self.fonts.covers(c) { c } else { '?' }).collect();
            }
            Value::Array(a) => a.iter_mut().for_each(|v| self.printable(v)),
            Value::Object(o) => o.values_mut().for_each(|v| self.printable(v)),
            _ => {}
        }
    }

    /// The PDF of an issued document. The same snapshot gives the same bytes.
    pub fn render(&self, snapshot: &DocumentSnapshot, logo: Option<&Logo>) -> Result<Vec<u8>, RenderError> {
        let logo_name = logo.and_then(|l| match l.content_type.as_str() {
            "image/png" => Some("logo.png"),
            "image/jpeg" => Some("logo.jpg"),
            "image/webp" => Some("logo.webp"),
            "image/gif" => Some("logo.gif"),
            _ => None,
        });
        let prepared = layout::prepare(snapshot, logo_name).map_err(|e| RenderError(e.to_string()))?;
        let mut data = prepared.data;
        self.printable(&mut data);
        let mut files: Vec<(&str, Vec<u8>)> = Vec::new();
        if let (Some(name), Some(logo)) = (logo_name, logo) {
            files.push((name, logo.bytes.clone()));
        }
        if let Some(svg) = prepared.qr_svg {
            files.push(("qr.svg", svg.into_bytes()));
        }
        let facturx = prepared.facturx_xml.is_some();
        if let Some(xml) = prepared.facturx_xml {
            files.push(("factur-x.xml", xml.into_bytes()));
        }
        let ident = format!("{}-{}", snapshot.kind.as_str(), snapshot.number);
        let pdf = pdf::render_with(&self.fonts, &self.template, &data, &files, &ident, snapshot.issued_at)?;
        if facturx { crate::xmp::add_facturx(&pdf).map_err(RenderError) } else { Ok(pdf) }
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Renderer::new()
    }
}

/// The file name a document is downloaded under, e.g. `Facture F-2026-0001.pdf`.
pub fn file_name(kind: DocumentKind, number: &str, lang: immovr_core::model::Language) -> String {
    let fr = lang == immovr_core::model::Language::Fr;
    let title = match kind {
        DocumentKind::Quote => {
            if fr {
                "Devis"
            } else {
                "Quote"
            }
        }
        DocumentKind::SignedQuote => {
            if fr {
                "Devis accepté"
            } else {
                "Accepted quote"
            }
        }
        DocumentKind::PurchaseOrder => {
            if fr {
                "Bon de commande"
            } else {
                "Purchase order"
            }
        }
        DocumentKind::Invoice => {
            if fr {
                "Facture"
            } else {
                "Invoice"
            }
        }
        DocumentKind::CreditNote => {
            if fr {
                "Avoir"
            } else {
                "Credit note"
            }
        }
    };
    format!("{title} {number}.pdf")
}
