//! PDF rendering with typst, in-process: a `World` that serves the template, the document's data
//! (`data.json`) and fonts from memory (typst-assets), exported to PDF/A-3b.

use std::sync::OnceLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

/// The layout shipped with the program; a studio may pass its own.
pub const DEFAULT_TEMPLATE: &str = include_str!("../templates/document.typ");

/// The fonts documents can use: those of typst-assets (Libertinus Serif, New Computer Modern,
/// DejaVu Sans Mono), plus any a studio adds.
pub struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

impl Fonts {
    /// The embedded fonts and, when given, the `.ttf`/`.otf`/`.ttc` files of `extra`.
    pub fn load(extra: &[Vec<u8>]) -> Fonts {
        let fonts: Vec<Font> = typst_assets::fonts()
            .map(Bytes::new)
            .chain(extra.iter().map(|data| Bytes::new(data.clone())))
            .flat_map(Font::iter)
            .collect();
        Fonts { book: LazyHash::new(FontBook::from_fonts(&fonts)), fonts }
    }

    /// True when some font has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        self.fonts.iter().any(|f| f.info().coverage.contains(c as u32))
    }
}

/// The embedded fonts only.
pub fn default_fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| Fonts::load(&[]))
}

fn library() -> &'static LazyHash<Library> {
    static LIBRARY: OnceLock<LazyHash<Library>> = OnceLock::new();
    LIBRARY.get_or_init(|| LazyHash::new(Library::default()))
}

fn file_id(name: &str) -> FileId {
    FileId::new(RootedPath::new(VirtualRoot::Project, VirtualPath::new(name).expect("a valid path")))
}

struct DocWorld<'a> {
    fonts: &'a Fonts,
    main: Source,
    files: Vec<(FileId, Bytes)>,
}

impl World for DocWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() { Ok(self.main.clone()) } else { Err(FileError::AccessDenied) }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files.iter().find(|(f, _)| *f == id).map(|(_, b)| b.clone()).ok_or(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

#[derive(Debug)]
pub struct RenderError(pub String);

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RenderError {}

/// Renders `template` with `data` (serialised as `data.json`) to PDF/A-3b, with the embedded
/// fonts. `issued` (UTC) is the document's timestamp and `ident` its identifier, so the same
/// input gives the same bytes.
pub fn render(
    template: &str,
    data: &serde_json::Value,
    ident: &str,
    issued: jiff::Timestamp,
) -> Result<Vec<u8>, RenderError> {
    render_with(default_fonts(), template, data, &[], ident, issued)
}

/// Renders with these fonts and extra files the template may read (`files`: name, bytes).
pub fn render_with(
    fonts: &Fonts,
    template: &str,
    data: &serde_json::Value,
    files: &[(&str, Vec<u8>)],
    ident: &str,
    issued: jiff::Timestamp,
) -> Result<Vec<u8>, RenderError> {
    let mut all =
        vec![(file_id("data.json"), Bytes::new(serde_json::to_vec(data).map_err(|e| RenderError(e.to_string()))?))];
    all.extend(files.iter().map(|(name, bytes)| (file_id(name), Bytes::new(bytes.clone()))));
    let world = DocWorld { fonts, main: Source::new(file_id("main.typ"), template.to_string()), files: all };
    let document: PagedDocument = typst::compile(&world)
        .output
        .map_err(|errors| RenderError(errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; ")))?;
    let dt = issued.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    let datetime = Datetime::from_ymd_hms(
        dt.year() as i32,
        dt.month() as u8,
        dt.day() as u8,
        dt.hour() as u8,
        dt.minute() as u8,
        dt.second() as u8,
    )
    .ok_or_else(|| RenderError("timestamp out of range".into()))?;
    let options = PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        timestamp: Some(Timestamp::new_utc(datetime)),
        standards: PdfStandards::new(&[PdfStandard::A_3b]).map_err(|e| RenderError(format!("{e:?}")))?,
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&document, &options)
        .map_err(|errors| RenderError(errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; ")))
}
