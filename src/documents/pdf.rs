//! PDF text with pdf-extract (on lopdf): fonts, encodings and ToUnicode
//! maps are its business; where each character lands is ours. Characters
//! are collected with their positions and laid out per page into lines by
//! baseline, left to right, so a table row — whatever order the producer
//! drew its cells in — is one line, one block at `第3页`.
//!
//! Before pdf-extract sees a file: every deflate stream other than an
//! image is inflated against the cap (a deflate bomb is refused, not
//! decoded); form objects that draw themselves, or nest deeper than
//! `max_depth`, are refused (pdf-extract would recurse without end); an
//! encrypted file that does not open with the empty password is
//! Unreadable. pdf-extract unwraps freely, so each page runs under
//! `catch_unwind`; a page that fails is skipped and said.

use super::{find, Format, Sink, Unreadable};
use flate2::bufread::ZlibDecoder;
use lopdf::{Dictionary, Document, Object, ObjectId};
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Characters collected on one page at most.
const MAX_PAGE_CHARS: usize = 500_000;
/// Form objects visited when checking nesting, over all pages.
const MAX_FORM_VISITS: usize = 100_000;

pub fn read(bytes: &[u8], sink: &mut Sink) -> Result<(), Unreadable> {
    let format = Format::Pdf;
    let limits = sink.limits;
    if find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_none() {
        return Err(Unreadable::corrupt(format, "no %PDF header"));
    }
    check_inflated(bytes, limits.max_bytes).map_err(|_| limits.over_cap(format))?;
    let encrypted = || find(bytes, b"/Encrypt").is_some();
    let mut doc = match catch_unwind(|| Document::load_mem(bytes)) {
        Ok(Ok(doc)) => doc,
        Ok(Err(_)) | Err(_) if encrypted() => return Err(encrypted_pdf()),
        Ok(Err(e)) => return Err(Unreadable::corrupt(format, e)),
        Err(_) => return Err(Unreadable::corrupt(format, "the PDF parser failed on it")),
    };
    // Permissions-only encryption (an empty user password) is common on
    // official PDFs and opens like any other.
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(encrypted_pdf());
    }
    check_forms(&doc, limits.max_depth).map_err(|why| Unreadable::corrupt(format, why))?;
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    if pages.is_empty() {
        return Err(Unreadable::corrupt(format, "no pages"));
    }
    if pages.len() > limits.max_pages {
        sink.cut(format!(
            "{} pages, more than {}: the rest not read",
            pages.len(),
            limits.max_pages
        ));
    }
    let mut failed: Vec<(u32, String)> = Vec::new();
    let mut out = Lines {
        sink,
        glyphs: Vec::new(),
        page: 0,
        stopped: false,
    };
    for &n in pages.iter().take(limits.max_pages) {
        if out.sink.full() {
            break;
        }
        out.glyphs.clear();
        let run = catch_unwind(AssertUnwindSafe(|| {
            pdf_extract::output_doc_page(&doc, &mut out, n)
        }));
        match run {
            Ok(Ok(())) => {}
            _ if out.stopped => {
                out.flush();
                break;
            }
            Ok(Err(e)) => {
                out.flush();
                failed.push((n, format!("{e:?}")));
            }
            Err(_) => {
                out.flush();
                failed.push((n, "the text extractor failed".into()));
            }
        }
    }
    let read_pages = pages.len().min(limits.max_pages);
    if !failed.is_empty() && failed.len() == read_pages && out.sink.blocks.is_empty() {
        let (_, why) = &failed[0];
        return Err(Unreadable::corrupt(
            format,
            format!("no page could be read ({why})"),
        ));
    }
    if !failed.is_empty() {
        let list: Vec<String> = failed.iter().take(10).map(|(n, _)| n.to_string()).collect();
        out.sink.cut(format!(
            "{} of {} pages could not be read (pages {})",
            failed.len(),
            read_pages,
            list.join(", ")
        ));
    }
    Ok(())
}

fn encrypted_pdf() -> Unreadable {
    Unreadable::new(
        Some(Format::Pdf),
        "encrypted PDF (a password is needed to open it)",
    )
}

/// Counts what is written to it.
struct Count(u64);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Inflate every deflate stream that is not an image, stopping once the
/// total passes `cap`: Err(()) then. Streams are found by their `stream`
/// keyword; the dictionary before it says the filter and the subtype.
fn check_inflated(bytes: &[u8], cap: u64) -> Result<(), ()> {
    let mut left = cap;
    let mut at = 0;
    while let Some(pos) = find(&bytes[at..], b"stream") {
        let start = at + pos;
        at = start + 6;
        if start >= 3 && &bytes[start - 3..start] == b"end" {
            continue;
        }
        let mut data = at;
        if bytes.get(data) == Some(&b'\r') {
            data += 1;
        }
        if bytes.get(data) == Some(&b'\n') {
            data += 1;
        }
        if data == at {
            continue;
        }
        let dict = &bytes[start.saturating_sub(4096)..start];
        let dict = match dict.windows(3).rposition(|w| w == b"obj") {
            Some(i) => &dict[i..],
            None => dict,
        };
        if find(dict, b"/Image").is_some() || find(dict, b"/Fl").is_none() {
            continue;
        }
        let mut decoder = ZlibDecoder::new(&bytes[data..]);
        let mut count = Count(0);
        let _ = io::copy(&mut (&mut decoder).take(left + 1), &mut count);
        if count.0 > left {
            return Err(());
        }
        left -= count.0;
        at = data + (decoder.total_in() as usize).max(1);
        at = at.min(bytes.len());
    }
    Ok(())
}

/// Form objects that draw themselves, or nest deeper than `max_depth`,
/// or too many to check: the cause.
fn check_forms(doc: &Document, max_depth: usize) -> Result<(), String> {
    let mut memo: HashMap<ObjectId, usize> = HashMap::new();
    let mut visits = 0;
    for (_, page) in doc.get_pages() {
        let Some(resources) = page_resources(doc, page) else {
            continue;
        };
        let children = xobjects(doc, resources);
        for child in &children {
            let mut stack = Vec::new();
            let h = height(
                doc,
                *child,
                &children,
                &mut stack,
                &mut memo,
                &mut visits,
                max_depth,
            )?;
            if h > max_depth {
                return Err(format!("form objects nested deeper than {max_depth}"));
            }
        }
    }
    Ok(())
}

fn page_resources(doc: &Document, page: ObjectId) -> Option<&Dictionary> {
    let mut node = doc.get_dictionary(page).ok()?;
    for _ in 0..64 {
        if let Ok(r) = node.get(b"Resources") {
            return doc.dereference(r).ok()?.1.as_dict().ok();
        }
        let parent = node.get(b"Parent").ok()?.as_reference().ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

fn xobjects(doc: &Document, resources: &Dictionary) -> Vec<ObjectId> {
    let Ok(x) = resources.get(b"XObject") else {
        return Vec::new();
    };
    let Ok((_, x)) = doc.dereference(x) else {
        return Vec::new();
    };
    let Ok(x) = x.as_dict() else {
        return Vec::new();
    };
    x.iter()
        .filter_map(|(_, v)| v.as_reference().ok())
        .collect()
}

/// Nesting height of a form object (1 for a form drawing no forms; 0 for
/// an image). A form without resources of its own draws from its
/// parent's, as pdf-extract reads it.
fn height(
    doc: &Document,
    id: ObjectId,
    parent_children: &[ObjectId],
    stack: &mut Vec<ObjectId>,
    memo: &mut HashMap<ObjectId, usize>,
    visits: &mut usize,
    max_depth: usize,
) -> Result<usize, String> {
    if let Some(&h) = memo.get(&id) {
        return Ok(h);
    }
    if stack.contains(&id) {
        return Err("a form object that draws itself".into());
    }
    if stack.len() > max_depth {
        return Err(format!("form objects nested deeper than {max_depth}"));
    }
    *visits += 1;
    if *visits > MAX_FORM_VISITS {
        return Err(format!("more than {MAX_FORM_VISITS} form objects drawn"));
    }
    let Ok(Object::Stream(stream)) = doc.get_object(id) else {
        return Ok(0);
    };
    if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form".as_slice()) {
        return Ok(0);
    }
    let own = stream
        .dict
        .get(b"Resources")
        .ok()
        .and_then(|r| doc.dereference(r).ok())
        .and_then(|(_, r)| r.as_dict().ok());
    let children = match own {
        Some(r) => xobjects(doc, r),
        None => parent_children.to_vec(),
    };
    stack.push(id);
    let mut h = 0;
    for child in &children {
        h = h.max(height(
            doc, *child, &children, stack, memo, visits, max_depth,
        )?);
    }
    stack.pop();
    if own.is_some() {
        memo.insert(id, h + 1);
    }
    Ok(h + 1)
}

/// One character drawn: where, how big, how wide, what.
struct Glyph {
    x: f64,
    y: f64,
    end: f64,
    size: f64,
    text: String,
}

/// pdf-extract's output: glyphs of the page being read, laid out into
/// lines when the page ends.
struct Lines<'s, 'l> {
    sink: &'s mut Sink<'l>,
    glyphs: Vec<Glyph>,
    page: u32,
    /// A limit stopped the reading (cells, time).
    stopped: bool,
}

fn stop() -> OutputError {
    OutputError::FormatError(std::fmt::Error)
}

impl Lines<'_, '_> {
    /// The page's glyphs as lines: grouped by baseline (within half a
    /// character's height), top to bottom, each left to right with a space
    /// where a gap is wider than a sixth of a character.
    fn flush(&mut self) {
        let mut glyphs = std::mem::take(&mut self.glyphs);
        if glyphs.is_empty() {
            return;
        }
        glyphs.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
        let mut lines: Vec<Vec<Glyph>> = Vec::new();
        let mut line_y = f64::NAN;
        let mut line_size = 0.0f64;
        for g in glyphs {
            let tol = 0.5 * line_size.max(g.size).max(1.0);
            if lines.is_empty() || (line_y - g.y).abs() > tol {
                line_y = g.y;
                line_size = g.size;
                lines.push(Vec::new());
            }
            lines.last_mut().expect("a line").push(g);
        }
        let location = format!("第{}页", self.page);
        for mut line in lines {
            line.sort_by(|a, b| a.x.total_cmp(&b.x));
            let mut text = String::new();
            let mut prev: Option<&Glyph> = None;
            for g in &line {
                if let Some(p) = prev {
                    // Fake bold: the same glyph drawn twice, a hair apart.
                    if p.text == g.text && (g.x - p.x).abs() < 0.1 * g.size.max(1.0) {
                        continue;
                    }
                    if g.x - p.end > g.size.max(1.0) / 6.0
                        && !text.ends_with(' ')
                        && !g.text.starts_with(' ')
                    {
                        text.push(' ');
                    }
                }
                text.push_str(&g.text);
                prev = Some(g);
            }
            if !self.sink.push(&text, None, location.clone()) {
                self.stopped = true;
                return;
            }
        }
    }
}

impl OutputDev for Lines<'_, '_> {
    fn begin_page(
        &mut self,
        page_num: u32,
        _media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.page = page_num;
        self.glyphs.clear();
        if self.sink.full() {
            self.stopped = true;
            return Err(stop());
        }
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.flush();
        if self.stopped {
            return Err(stop());
        }
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        char: &str,
    ) -> Result<(), OutputError> {
        if self.glyphs.len() % 1024 == 1023 && self.sink.full() {
            self.stopped = true;
            return Err(stop());
        }
        if self.glyphs.len() >= MAX_PAGE_CHARS {
            self.sink.cut(format!(
                "page {} has more than {MAX_PAGE_CHARS} characters: the rest not read",
                self.page
            ));
            return Ok(());
        }
        let vx = font_size * (trm.m11 + trm.m21);
        let vy = font_size * (trm.m12 + trm.m22);
        let size = (vx * vy).abs().sqrt();
        let size = if size.is_finite() && size > 0.0 {
            size
        } else {
            1.0
        };
        let (x, y) = (trm.m31, trm.m32);
        if !x.is_finite() || !y.is_finite() {
            return Ok(());
        }
        self.glyphs.push(Glyph {
            x,
            y,
            end: x + width * size,
            size,
            text: char.to_string(),
        });
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}
