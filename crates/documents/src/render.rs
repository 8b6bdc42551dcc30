//! An issued document's PDF: snapshot → view → pages → PDF/A-3b with krilla (+ Factur-X).

use std::path::Path;

use immovr_core::model::{DocumentKind, DocumentSnapshot};
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::image::{BitsPerComponent, CustomImage, Image, ImageColorspace};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::{Document, SerializeSettings};

use crate::canvas::{Color, Setter, paint};
use crate::compose::{PAGE_H, PAGE_W, Pictures, Style, compose};
use crate::fonts::{Face, Typeface};
use crate::layout;

/// Rendering failed (an invalid snapshot, an unreadable logo, a PDF/A rule broken).
#[derive(Debug)]
pub struct RenderError(pub String);

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RenderError {}

pub use immovr_app::ports::Logo;

/// The application's port: a document's snapshot → its PDF.
impl immovr_app::ports::DocumentRenderer for Renderer {
    fn render(&self, snapshot: &DocumentSnapshot, logo: Option<&Logo>) -> Result<Vec<u8>, String> {
        Renderer::render(self, snapshot, logo).map_err(|e| e.to_string())
    }
}

/// Renders documents in one typeface and style. Build once (it reads the fonts), share.
pub struct Renderer {
    typeface: Typeface,
    style: Style,
}

/// A studio's `document.toml` (in `templates_dir`): colours and typeface.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleFile {
    /// `#rrggbb`: titles, rules, table headers.
    accent: Option<String>,
    /// `#rrggbb`: labels.
    muted: Option<String>,
    /// Font files (relative to the folder) replacing the shipped Noto Sans.
    regular_font: Option<String>,
    bold_font: Option<String>,
}

impl Renderer {
    /// The shipped typeface and colours.
    pub fn new() -> Renderer {
        Renderer { typeface: Typeface::shipped(Vec::new()), style: Style::default() }
    }

    /// A studio's look, from the `templates_dir` folder: `document.toml` may set the `accent`
    /// and `muted` colours and a `regular_font` / `bold_font` pair; every other font file in
    /// `fonts/` is a fallback for characters the typeface lacks (another script, say).
    pub fn from_dir(dir: &Path) -> std::io::Result<Renderer> {
        let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        let file: StyleFile = match std::fs::read_to_string(dir.join("document.toml")) {
            Ok(text) => toml::from_str(&text).map_err(|e| invalid(format!("document.toml: {e}")))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StyleFile::default(),
            Err(e) => return Err(e),
        };
        let colour = |v: &Option<String>, default: Color, what: &str| match v {
            Some(hex) => {
                Color::parse(hex).ok_or_else(|| invalid(format!("document.toml: {what} {hex:?} is not #rrggbb")))
            }
            None => Ok(default),
        };
        let defaults = Style::default();
        let style = Style {
            accent: colour(&file.accent, defaults.accent, "accent")?,
            muted: colour(&file.muted, defaults.muted, "muted")?,
        };
        let load = |rel: &str| -> std::io::Result<Face> {
            let bytes = std::fs::read(dir.join(rel))?;
            Face::load(bytes.into()).ok_or_else(|| invalid(format!("{rel} is not a font this renderer can read")))
        };
        let own: Vec<std::path::PathBuf> =
            [&file.regular_font, &file.bold_font].into_iter().flatten().map(|r| dir.join(r)).collect();
        let mut extra = Vec::new();
        if let Ok(entries) = std::fs::read_dir(dir.join("fonts")) {
            let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for path in paths {
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
                if matches!(ext.as_str(), "ttf" | "otf" | "ttc" | "otc") && !own.contains(&path) {
                    let bytes = std::fs::read(&path)?;
                    extra.push(
                        Face::load(bytes.into())
                            .ok_or_else(|| invalid(format!("{} is not a readable font", path.display())))?,
                    );
                }
            }
        }
        let shipped = Typeface::shipped(extra);
        let typeface = match (&file.regular_font, &file.bold_font) {
            (Some(r), Some(b)) => shipped.with_faces(load(r)?, load(b)?),
            (None, None) => shipped,
            _ => return Err(invalid("document.toml: set both regular_font and bold_font, or neither".into())),
        };
        Ok(Renderer { typeface, style })
    }

    /// True when some font of the typeface can draw `c`.
    pub fn covers(&self, c: char) -> bool {
        self.typeface.covers(c)
    }

    /// The PDF of an issued document. The same snapshot gives the same bytes.
    pub fn render(&self, snapshot: &DocumentSnapshot, logo: Option<&Logo>) -> Result<Vec<u8>, RenderError> {
        let prepared = layout::prepare(snapshot).map_err(|e| RenderError(e.to_string()))?;
        let logo = match logo {
            Some(l) => Some(logo_image(l)?),
            None => None,
        };
        let qr = prepared.qr.as_ref().map(|m| {
            let (px, side) = m.luma();
            // Scaled without interpolation, the modules stay sharp at any size.
            Image::from_custom(QrImage { px, side: side as u32 }, false)
        });
        let qr = qr.transpose().map_err(|e| RenderError(format!("QR code: {e}")))?;
        let setter = Setter { tf: &self.typeface };
        let pages = compose(&setter, &prepared.view, &self.style, &Pictures { logo, qr });

        let config = ConfigurationBuilder::new()
            .with_archival_validator(Archival::A3_B)
            .finish()
            .map_err(|e| RenderError(format!("PDF/A configuration: {e:?}")))?;
        let mut doc = Document::new_with(SerializeSettings { configuration: config, ..SerializeSettings::default() });
        let issued = snapshot.issued_at.to_zoned(jiff::tz::TimeZone::UTC).datetime();
        let when = DateTime::new(issued.year() as u16)
            .month(issued.month() as u8)
            .day(issued.day() as u8)
            .hour(issued.hour() as u8)
            .minute(issued.minute() as u8)
            .second(issued.second() as u8)
            .utc_offset_hour(0)
            .utc_offset_minute(0);
        doc.set_metadata(
            Metadata::new()
                .title(format!("{} {}", prepared.view.title, snapshot.number))
                .authors(vec![snapshot.company.legal_name.clone()])
                .language(snapshot.language.as_str().to_string())
                .creation_date(when)
                .document_id(format!("{}-{}", snapshot.kind.as_str(), snapshot.number)),
        );
        if let Some(xml) = &prepared.facturx_xml {
            doc.embed_file(EmbeddedFile {
                path: "factur-x.xml".into(),
                mime_type: MimeType::new("text/xml"),
                description: Some(match snapshot.kind {
                    DocumentKind::CreditNote => "Factur-X credit note (EN 16931)".into(),
                    _ => "Factur-X invoice (EN 16931)".into(),
                }),
                association_kind: AssociationKind::Alternative,
                data: xml.clone().into_bytes().into(),
                modification_date: Some(when),
                compress: Some(true),
                location: None,
            })
            .ok_or_else(|| RenderError("factur-x.xml embedded twice".into()))?;
        }
        for items in &pages.pages {
            let size = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| RenderError("page size".into()))?;
            let mut page = doc.start_page_with(size);
            let mut surface = page.surface();
            paint(&mut surface, &self.typeface, items);
            surface.finish();
            page.finish();
        }
        let pdf = doc.finish().map_err(|e| RenderError(format!("writing the PDF: {e:?}")))?;
        if prepared.facturx_xml.is_some() { crate::xmp::add_facturx(&pdf).map_err(RenderError) } else { Ok(pdf) }
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Renderer::new()
    }
}

/// The logo as an image (PDF/A forbids asking viewers to interpolate images).
fn logo_image(logo: &Logo) -> Result<(Image, (u32, u32)), RenderError> {
    let data: krilla::Data = logo.bytes.clone().into();
    let image = match logo.content_type.as_str() {
        "image/png" => Image::from_png(data, false),
        "image/jpeg" => Image::from_jpeg(data, false),
        "image/webp" => Image::from_webp(data, false),
        "image/gif" => Image::from_gif(data, false),
        other => Err(format!("unsupported logo type {other}")),
    }
    .map_err(|e| RenderError(format!("logo: {e}")))?;
    let size = image.size();
    Ok((image, size))
}

/// The QR code's modules as an 8-bit grey image.
#[derive(Hash, Clone)]
struct QrImage {
    px: Vec<u8>,
    side: u32,
}

impl CustomImage for QrImage {
    fn color_channel(&self) -> &[u8] {
        &self.px
    }
    fn alpha_channel(&self) -> Option<&[u8]> {
        None
    }
    fn bits_per_component(&self) -> BitsPerComponent {
        BitsPerComponent::Eight
    }
    fn size(&self) -> (u32, u32) {
        (self.side, self.side)
    }
    fn icc_profile(&self) -> Option<&[u8]> {
        None
    }
    fn color_space(&self) -> ImageColorspace {
        ImageColorspace::Luma
    }
}

/// The file name a document is downloaded under, e.g. `Facture F-2026-0001.pdf`.
pub fn file_name(kind: DocumentKind, number: &str, lang: immovr_core::model::Language) -> String {
    kind.file_name(number, lang)
}
