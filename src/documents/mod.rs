//! Linked documents → text blocks (docs/documents.md).
//!
//! One document's bytes become [`Block`]s, each with its text, an optional
//! context (a spreadsheet or Word table cell's column header, which counts
//! as context for hits in the cell as in HTML tables) and a `location`
//! that tells a person where to look: `第3页`, `名单!C7`, `段落 12`,
//! `表格 2 行 3 列 1`, `行 12`.
//!
//! What a body is, is told by its bytes first (`%PDF`, an OLE2 compound
//! file, a zip holding `[Content_Types].xml` or `mimetype`), then by its
//! content type, then by the URL path: `download.jsp?id=…` is how many
//! sites serve their files, so the extension alone never decides.
//!
//! Documents are hostile input. Every reader is bounded by [`Limits`]: the
//! size after decompression (zip entries are inflated against a budget
//! before anything reads them; PDF deflate streams too), cells or blocks,
//! pages, nesting depth and wall time. A document that cannot be read —
//! encrypted, corrupt, over the cap, a format no reader here knows — is an
//! [`Unreadable`] with a cause a person can act on, never silence; a limit
//! that cuts a readable document short is said in [`Document::cut`]. No
//! input panics the caller: readers known to panic on bad input run under
//! `catch_unwind`.

mod csv;
mod ole;
mod pdf;
mod sheet;
#[doc(hidden)]
pub mod testgen;
mod word;
mod zipped;

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// A document format this module knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Pdf,
    Xlsx,
    /// Excel binary workbook (read by calamine like xlsx).
    Xlsb,
    Xls,
    /// WPS spreadsheet: an OLE2 workbook like `.xls`.
    Et,
    Ods,
    Docx,
    Odt,
    /// Word 97–2003: not read (no maintained reader).
    Doc,
    /// WPS text: an OLE2 file like `.doc`, not read.
    Wps,
    Csv,
    Txt,
}

impl Format {
    /// The usual extension, without the dot: how reports name the format.
    pub fn name(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Xlsx => "xlsx",
            Format::Xlsb => "xlsb",
            Format::Xls => "xls",
            Format::Et => "et",
            Format::Ods => "ods",
            Format::Docx => "docx",
            Format::Odt => "odt",
            Format::Doc => "doc",
            Format::Wps => "wps",
            Format::Csv => "csv",
            Format::Txt => "txt",
        }
    }

    /// By extension (lower case, no dot).
    pub fn by_extension(ext: &str) -> Option<Format> {
        Some(match ext {
            "pdf" => Format::Pdf,
            "xlsx" | "xlsm" => Format::Xlsx,
            "xlsb" => Format::Xlsb,
            "xls" => Format::Xls,
            "et" => Format::Et,
            "ods" => Format::Ods,
            "docx" | "docm" => Format::Docx,
            "odt" => Format::Odt,
            "doc" => Format::Doc,
            "wps" => Format::Wps,
            "csv" => Format::Csv,
            "txt" => Format::Txt,
            _ => return None,
        })
    }

    /// By the extension of a file name or of a URL's last path segment
    /// (query and fragment dropped; quotes of a header value trimmed).
    pub fn by_file_name(name: &str) -> Option<Format> {
        let path = name.split(['?', '#']).next().unwrap_or("");
        let last = path
            .rsplit('/')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        last.rsplit_once('.')
            .and_then(|(_, ext)| Format::by_extension(&ext.to_ascii_lowercase()))
    }

    /// By a content type's essence (parameters dropped, lower case).
    fn by_content_type(essence: &str) -> Option<Format> {
        Some(match essence {
            "application/pdf" | "application/x-pdf" => Format::Pdf,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Format::Xlsx,
            "application/vnd.ms-excel.sheet.binary.macroenabled.12" => Format::Xlsb,
            "application/vnd.ms-excel" | "application/excel" | "application/x-excel" => Format::Xls,
            "application/vnd.oasis.opendocument.spreadsheet" => Format::Ods,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
                Format::Docx
            }
            "application/vnd.oasis.opendocument.text" => Format::Odt,
            "application/msword" => Format::Doc,
            "application/kswps" | "application/vnd.ms-works" => Format::Wps,
            "application/kset" => Format::Et,
            "text/csv" | "application/csv" | "text/comma-separated-values" => Format::Csv,
            "text/plain" => Format::Txt,
            _ => return None,
        })
    }

    /// CSV and plain text: read only when nothing else (a page, a script,
    /// a sitemap) claims the body.
    pub fn is_text(self) -> bool {
        matches!(self, Format::Csv | Format::Txt)
    }

    /// "a PDF document", "an xlsx spreadsheet" …: what `rules explain`
    /// says it read.
    pub fn described(self) -> &'static str {
        match self {
            Format::Pdf => "a PDF document",
            Format::Xlsx => "an xlsx spreadsheet",
            Format::Xlsb => "an xlsb spreadsheet",
            Format::Xls => "an xls spreadsheet",
            Format::Et => "a WPS spreadsheet (.et)",
            Format::Ods => "an ods spreadsheet",
            Format::Docx => "a docx document",
            Format::Odt => "an odt document",
            Format::Doc => "a Word 97-2003 document (.doc)",
            Format::Wps => "a WPS document (.wps)",
            Format::Csv => "a CSV file",
            Format::Txt => "a plain text file",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What else is known about a body: its content type and where it came
/// from (a URL path, or the file name of a `Content-Disposition` header
/// when the server sends one, or a local file's name).
#[derive(Clone, Copy, Debug, Default)]
pub struct Hint<'a> {
    pub content_type: Option<&'a str>,
    pub path: &'a str,
}

impl<'a> Hint<'a> {
    pub fn new(content_type: Option<&'a str>, path: &'a str) -> Self {
        Hint { content_type, path }
    }

    fn essence(&self) -> Option<String> {
        self.content_type
            .map(|ct| {
                ct.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|e| !e.is_empty())
    }

    fn extension(&self) -> Option<String> {
        let last = self.path.rsplit(['/', '\\']).next().unwrap_or(self.path);
        let (_, ext) = last.rsplit_once('.')?;
        Some(ext.to_ascii_lowercase())
    }
}

/// Bounds on reading one document.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The largest document, and the most bytes its parts may inflate to
    /// (zip entries, PDF deflate streams other than images): SPEC
    /// `max_attachment_mb`, 20 MiB by default.
    pub max_bytes: u64,
    /// Blocks read at most: spreadsheet cells, paragraphs, table cells,
    /// PDF lines, text lines. The rest is cut.
    pub max_cells: usize,
    /// PDF pages read at most; later pages are cut.
    pub max_pages: usize,
    /// Nesting of tables in tables (Word, ODF) and of form objects in PDF
    /// pages deeper than this is not read.
    pub max_depth: usize,
    /// Wall time per document; what was read by then is kept, the rest cut.
    pub max_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 20 * 1024 * 1024,
            max_cells: 200_000,
            max_pages: 2_000,
            max_depth: 16,
            max_time: Duration::from_secs(20),
        }
    }
}

impl Limits {
    /// The defaults with a size cap of `mb` MiB (`max_attachment_mb`).
    pub fn with_max_mb(mb: u64) -> Self {
        Limits {
            max_bytes: mb.saturating_mul(1024 * 1024),
            ..Limits::default()
        }
    }

    fn cap_text(&self) -> String {
        let mib = self.max_bytes as f64 / (1024.0 * 1024.0);
        if mib.fract() == 0.0 {
            format!("{mib:.0} MiB")
        } else {
            format!("{mib:.1} MiB")
        }
    }

    pub(crate) fn over_cap(&self, format: Format) -> Unreadable {
        Unreadable::new(
            Some(format),
            format!("over the {} cap after decompression", self.cap_text()),
        )
    }
}

/// One run of text of a document that a hit may not cross.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub text: String,
    /// A cell's column header (spreadsheets, CSV, Word and ODF tables).
    pub context: Option<String>,
    /// Where it is: `第3页`, `名单!C7`, `段落 12`, `表格 2 行 3 列 1`, `行 4`.
    pub location: String,
}

/// A document read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub format: Format,
    pub blocks: Vec<Block>,
    /// A limit cut the document short (cells, pages, depth, time): what,
    /// for a person. The blocks before the cut are all there.
    pub cut: Option<String>,
}

/// A document that could not be read, and why (`encrypted PDF`, `corrupt
/// xlsx: …`, `over the 20 MiB cap after decompression`, `format not
/// read: .doc`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub format: Option<Format>,
    pub cause: String,
}

impl Unreadable {
    pub(crate) fn new(format: Option<Format>, cause: impl Into<String>) -> Self {
        Unreadable {
            format,
            cause: cause.into(),
        }
    }

    pub(crate) fn corrupt(format: Format, detail: impl fmt::Display) -> Self {
        let detail = detail.to_string();
        let detail: String = detail.chars().take(200).collect();
        Unreadable::new(Some(format), format!("corrupt {format}: {detail}"))
    }
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cause)
    }
}

impl std::error::Error for Unreadable {}

/// Reading state shared by the readers: the blocks so far and the limits.
pub(crate) struct Sink<'l> {
    pub limits: &'l Limits,
    pub blocks: Vec<Block>,
    pub cut: Option<String>,
    deadline: Instant,
}

impl<'l> Sink<'l> {
    fn new(limits: &'l Limits) -> Self {
        Sink {
            limits,
            blocks: Vec::new(),
            cut: None,
            deadline: Instant::now() + limits.max_time,
        }
    }

    /// Add a block (empty text is dropped). False once a limit is reached:
    /// the reader stops.
    pub fn push(&mut self, text: &str, context: Option<&str>, location: String) -> bool {
        if self.full() {
            return false;
        }
        let text = text.trim();
        if !text.is_empty() {
            self.blocks.push(Block {
                text: text.to_string(),
                context: context
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string),
                location,
            });
        }
        !self.full()
    }

    /// A limit is reached (and [`Sink::cut`] says which).
    pub fn full(&mut self) -> bool {
        if self.cut.is_some() {
            return true;
        }
        if self.blocks.len() >= self.limits.max_cells {
            self.cut = Some(format!(
                "more than {} cells or lines: the rest not read",
                self.limits.max_cells
            ));
            return true;
        }
        if Instant::now() >= self.deadline {
            self.cut = Some(format!(
                "the {} s time limit was reached: the rest not read",
                self.limits.max_time.as_secs_f32()
            ));
            return true;
        }
        false
    }

    /// Record a cut (the first one said is kept).
    pub fn cut(&mut self, why: impl Into<String>) {
        if self.cut.is_none() {
            self.cut = Some(why.into());
        }
    }

    fn finish(self, format: Format) -> Document {
        Document {
            format,
            blocks: self.blocks,
            cut: self.cut,
        }
    }
}

/// The document a response announces before its body is read: by its
/// content type, or — for `application/octet-stream`, a download type or
/// none, as `download.jsp?id=…` answers — by the extension of the file name
/// in `Content-Disposition` or of the URL path. CSV and plain text are
/// left to the page reader (they arrive as text anyway).
pub fn announced(
    content_type: Option<&str>,
    path: &str,
    file_name: Option<&str>,
) -> Option<Format> {
    let hint = Hint::new(content_type, path);
    let essence = hint.essence();
    if let Some(f) = essence.as_deref().and_then(Format::by_content_type) {
        return (!f.is_text()).then_some(f);
    }
    let generic = essence.as_deref().is_none_or(|e| {
        matches!(
            e,
            "application/octet-stream"
                | "application/x-download"
                | "application/force-download"
                | "application/download"
                | "binary/octet-stream"
                | "application/zip"
        )
    });
    if !generic {
        return None;
    }
    file_name
        .and_then(Format::by_file_name)
        .or_else(|| Format::by_file_name(path))
        .filter(|f| !f.is_text())
}

/// A link or path whose file name names a document that is read as one
/// (not CSV or plain text, which arrive as text): `/files/名单.xlsx`,
/// `list.pdf?v=2`.
pub fn names_a_document(href: &str) -> bool {
    Format::by_file_name(href).is_some_and(|f| !f.is_text())
}

/// What the bytes, content type and path say the body is, when it is a
/// document this module knows (read or not): for the crawler to decide
/// whether a body is a document. HTML is never a document, whatever its
/// URL says; a `text/plain` or `text/csv` body is.
pub fn sniff(bytes: &[u8], hint: Hint) -> Option<Format> {
    if let Some(f) = by_magic(bytes, hint) {
        return Some(f);
    }
    let essence = hint.essence();
    if essence.as_deref().is_some_and(|e| {
        e.contains("html") || e == "text/xml" || e == "application/xml" || e.ends_with("+xml")
    }) {
        return None;
    }
    let by_type = essence.as_deref().and_then(Format::by_content_type);
    let by_ext = hint.extension().as_deref().and_then(Format::by_extension);
    let format = match (by_type, by_ext) {
        // `text/plain` in front of a `.csv`: the name is more precise.
        (Some(Format::Txt), Some(Format::Csv)) => Some(Format::Csv),
        (Some(f), _) => Some(f),
        (None, ext) => ext,
    }?;
    // A text format must look like text; a binary format without its magic
    // is still that format (and reads as corrupt: a broken download).
    if format.is_text() && looks_binary(bytes) {
        return None;
    }
    Some(format)
}

fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    // UTF-16 text has NULs; a BOM says it is text.
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    head.contains(&0)
}

/// By the bytes alone (the hint only tells `.et` from `.xls` and `.wps`
/// from `.doc`, which share their container).
fn by_magic(bytes: &[u8], hint: Hint) -> Option<Format> {
    let head = &bytes[..bytes.len().min(1024)];
    // Readers accept junk before the header; a page quoting `%PDF-` is
    // not a PDF.
    let html = hint.essence().is_some_and(|e| e.contains("html"));
    if let Some(at) = find(head, b"%PDF-") {
        if at == 0 || !html {
            return Some(Format::Pdf);
        }
    }
    if bytes.starts_with(&ole::MAGIC) {
        let ext = hint.extension();
        return Some(match ole::kind(bytes) {
            ole::Kind::Workbook if ext.as_deref() == Some("et") => Format::Et,
            ole::Kind::Workbook => Format::Xls,
            ole::Kind::Word if ext.as_deref() == Some("wps") => Format::Wps,
            ole::Kind::Word => Format::Doc,
            // An encrypted OOXML file: which one only its name says.
            ole::Kind::Encrypted | ole::Kind::Unknown => {
                match ext.as_deref().and_then(Format::by_extension) {
                    Some(f) if !f.is_text() && f != Format::Pdf => f,
                    _ => match hint.essence().as_deref().and_then(Format::by_content_type) {
                        Some(f) if !f.is_text() && f != Format::Pdf => f,
                        _ => Format::Doc,
                    },
                }
            }
        });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return zipped::kind(bytes);
    }
    None
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Read one document into text blocks, within `limits`. The format is
/// found as [`sniff`] finds it; a body that is no known document is
/// Unreadable ("not a document this scanner reads").
pub fn read(bytes: &[u8], hint: Hint, limits: &Limits) -> Result<Document, Unreadable> {
    let Some(format) = sniff(bytes, hint) else {
        return Err(Unreadable::new(
            None,
            "not a document this scanner reads (no known format by its bytes, type or name)",
        ));
    };
    read_as(bytes, format, hint, limits)
}

/// Read a body known to be of `format`.
pub fn read_as(
    bytes: &[u8],
    format: Format,
    hint: Hint,
    limits: &Limits,
) -> Result<Document, Unreadable> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(Unreadable::new(
            Some(format),
            format!("over the {} cap", limits.cap_text()),
        ));
    }
    // A password-protected xlsx or docx is an OLE2 file, whatever its name.
    if bytes.starts_with(&ole::MAGIC) && ole::kind(bytes) == ole::Kind::Encrypted {
        return Err(Unreadable::new(
            Some(format),
            "encrypted Office document (password-protected)",
        ));
    }
    // Our own readers do not panic; the crates under them may on hostile
    // input (calamine's xls, pdf-extract's many unwraps).
    let run = || -> Result<Document, Unreadable> {
        let mut sink = Sink::new(limits);
        match format {
            Format::Pdf => pdf::read(bytes, &mut sink)?,
            Format::Xlsx | Format::Xlsb | Format::Ods => {
                zipped::check(bytes, format, limits)?;
                sheet::read(bytes, format, &mut sink)?
            }
            Format::Xls | Format::Et => {
                ole::check_readable(bytes, format)?;
                sheet::read(bytes, format, &mut sink)?
            }
            Format::Docx | Format::Odt => word::read(bytes, format, &mut sink)?,
            Format::Doc | Format::Wps => {
                ole::check_readable(bytes, format)?;
                return Err(Unreadable::new(
                    Some(format),
                    format!("format not read: .{format}"),
                ));
            }
            Format::Csv | Format::Txt => csv::read(bytes, format, hint.content_type, &mut sink),
        }
        Ok(sink.finish(format))
    };
    quiet_panics();
    let was = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(run));
    QUIET.with(|q| q.set(was));
    match result {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Unreadable::corrupt(
                format,
                format!("the {format} reader failed on it ({what})"),
            ))
        }
    }
}

thread_local! {
    /// This thread is reading a document: a panic in a reader is caught and
    /// becomes an Unreadable, so the panic hook says nothing.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Wrap the panic hook once so that panics caught while reading a
/// document print nothing (pdf-extract panics on many damaged files; a
/// scan reading thousands would fill the terminal). Panics anywhere else,
/// and on other threads, are reported as before.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
}

/// `C7` for row 6, column 2 (both from 0).
pub fn cell_ref(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col as u64 + 1;
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        String::from_utf8(letters).unwrap_or_default(),
        row + 1
    )
}

#[cfg(test)]
mod tests;
