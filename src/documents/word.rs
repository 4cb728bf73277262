//! Word processing documents: `.docx` (`word/document.xml`, then headers,
//! footers, notes and comments) and `.odt` (`content.xml`), read with
//! quick-xml from a zip whose entries were inflated against the cap first.
//!
//! A paragraph outside tables is a block at `段落 12` (counting paragraphs
//! with text); a table cell is a block at `表格 2 行 3 列 1`, its paragraphs
//! joined by line breaks, with the cell of the table's header row in its
//! column as context: the rows an ODF table marks as header rows, else the
//! first row, as the HTML extractor takes a table without `th`. Text boxes
//! inside a paragraph are paragraphs of their own. Tables nested deeper
//! than `max_depth` are not read (and the document says it was cut).

use super::{zipped, Format, Sink, Unreadable};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Word,
    Odf,
}

pub fn read(bytes: &[u8], format: Format, sink: &mut Sink) -> Result<(), Unreadable> {
    let limits = sink.limits;
    zipped::check(bytes, format, limits)?;
    let mut archive = zipped::open(bytes, format)?;
    let mut budget = limits.max_bytes;
    let (flavor, main) = match format {
        Format::Odt => (Flavor::Odf, "content.xml"),
        _ => (Flavor::Word, "word/document.xml"),
    };
    let xml = zipped::entry(&mut archive, main, format, &mut budget, limits)?
        .ok_or_else(|| Unreadable::corrupt(format, format!("no {main} in the archive")))?;
    Walker::new(flavor, "").run(&xml, format, sink)?;
    if flavor == Flavor::Word {
        let mut extras: Vec<(String, &str)> = archive
            .file_names()
            .filter_map(Result::ok)
            .filter_map(|n| {
                let prefix = if n.starts_with("word/header") {
                    "页眉 "
                } else if n.starts_with("word/footer") {
                    "页脚 "
                } else if n == "word/footnotes.xml" {
                    "脚注 "
                } else if n == "word/endnotes.xml" {
                    "尾注 "
                } else if n == "word/comments.xml" {
                    "批注 "
                } else {
                    return None;
                };
                n.ends_with(".xml").then(|| (n.to_string(), prefix))
            })
            .collect();
        extras.sort();
        for (name, prefix) in extras {
            if sink.full() {
                break;
            }
            if let Some(xml) = zipped::entry(&mut archive, &name, format, &mut budget, limits)? {
                Walker::new(flavor, prefix).run(&xml, format, sink)?;
            }
        }
    }
    Ok(())
}

struct Table {
    index: usize,
    row: usize,
    col: usize,
    headers: Vec<String>,
    /// The table marks its header rows (ODF `table:table-header-rows`).
    explicit_header: bool,
    in_header_rows: bool,
    row_is_header: bool,
    /// The open cell: its column, span and text.
    cell: Option<(usize, usize, String)>,
}

struct Para {
    text: String,
    /// How many tables were open when it started.
    tables: usize,
}

struct Walker<'p> {
    flavor: Flavor,
    prefix: &'p str,
    paras: Vec<Para>,
    tables: Vec<Table>,
    /// Inside `w:t` (Word text runs; ODF text is any text in a paragraph).
    in_text: usize,
    /// Depth inside a subtree that is not read (fallback copies of text
    /// boxes, deleted text, tables nested too deep).
    skip: usize,
    paragraphs: usize,
    table_count: usize,
    stop: bool,
}

impl<'p> Walker<'p> {
    fn new(flavor: Flavor, prefix: &'p str) -> Self {
        Walker {
            flavor,
            prefix,
            paras: Vec::new(),
            tables: Vec::new(),
            in_text: 0,
            skip: 0,
            paragraphs: 0,
            table_count: 0,
            stop: false,
        }
    }

    fn run(&mut self, xml: &[u8], format: Format, sink: &mut Sink) -> Result<(), Unreadable> {
        let mut reader = Reader::from_reader(xml);
        let mut buf = Vec::new();
        loop {
            let event = reader
                .read_event_into(&mut buf)
                .map_err(|e| Unreadable::corrupt(format, e))?;
            match event {
                Event::Start(e) => {
                    let name = local(&e);
                    self.open(&name, &e, sink);
                }
                Event::Empty(e) => {
                    let name = local(&e);
                    self.open(&name, &e, sink);
                    self.close(&name, sink);
                }
                Event::End(e) => {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    self.close(&name, sink);
                }
                Event::Text(t) => {
                    if let Ok(text) = t.decode() {
                        self.add(&text);
                    }
                }
                Event::CData(t) => self.add(&String::from_utf8_lossy(&t)),
                Event::GeneralRef(r) => {
                    if let Some(c) = entity(&String::from_utf8_lossy(&r)) {
                        self.add(c.encode_utf8(&mut [0; 4]));
                    }
                }
                Event::Eof => break,
                _ => {}
            }
            if self.stop || sink.full() {
                break;
            }
            buf.clear();
        }
        Ok(())
    }

    fn add(&mut self, text: &str) {
        if self.skip > 0 || (self.flavor == Flavor::Word && self.in_text == 0) {
            return;
        }
        if let Some(p) = self.paras.last_mut() {
            p.text.push_str(text);
        }
    }

    /// A space or line break written as an element.
    fn add_break(&mut self, c: char) {
        if self.skip == 0 {
            if let Some(p) = self.paras.last_mut() {
                p.text.push(c);
            }
        }
    }

    fn skipped(&self, name: &str) -> bool {
        match self.flavor {
            Flavor::Word => matches!(name, "Fallback" | "del" | "instrText" | "delText"),
            Flavor::Odf => matches!(name, "tracked-changes" | "note-citation"),
        }
    }

    fn open(&mut self, name: &str, e: &BytesStart, sink: &mut Sink) {
        if self.skip > 0 || self.skipped(name) {
            self.skip += 1;
            return;
        }
        let w = self.flavor == Flavor::Word;
        match name {
            "p" | "h" => self.paras.push(Para {
                text: String::new(),
                tables: self.tables.len(),
            }),
            "t" if w => self.in_text += 1,
            "tab" => self.add_break(' '),
            "br" | "cr" if w => self.add_break('\n'),
            "s" if !w => self.add_break(' '),
            "line-break" if !w => self.add_break('\n'),
            "tbl" | "table" if (name == "tbl") == w => {
                if self.tables.len() >= sink.limits.max_depth {
                    sink.cut(format!(
                        "tables nested deeper than {}: the inner ones not read",
                        sink.limits.max_depth
                    ));
                    self.skip += 1;
                    return;
                }
                self.table_count += 1;
                self.tables.push(Table {
                    index: self.table_count,
                    row: 0,
                    col: 0,
                    headers: Vec::new(),
                    explicit_header: false,
                    in_header_rows: false,
                    row_is_header: false,
                    cell: None,
                });
            }
            "table-header-rows" if !w => {
                if let Some(t) = self.tables.last_mut() {
                    t.explicit_header = true;
                    t.in_header_rows = true;
                }
            }
            "tr" | "table-row" if (name == "tr") == w => {
                if let Some(t) = self.tables.last_mut() {
                    t.row += 1;
                    t.col = 0;
                    t.row_is_header = if t.explicit_header {
                        t.in_header_rows
                    } else {
                        t.row == 1
                    };
                }
            }
            "tc" | "table-cell" | "covered-table-cell" if (name == "tc") == w => {
                let span = if w {
                    1
                } else {
                    attr_number(e, b"table:number-columns-repeated")
                        .unwrap_or(1)
                        .clamp(1, 16_384)
                };
                if let Some(t) = self.tables.last_mut() {
                    t.cell = Some((t.col, span, String::new()));
                }
            }
            "gridSpan" if w => {
                let span = attr_number(e, b"w:val").unwrap_or(1).clamp(1, 16_384);
                if let Some((_, s, _)) = self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
                    *s = span;
                }
            }
            _ => {}
        }
    }

    fn close(&mut self, name: &str, sink: &mut Sink) {
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        let w = self.flavor == Flavor::Word;
        match name {
            "p" | "h" => {
                let Some(p) = self.paras.pop() else { return };
                let open_cell = p.tables == self.tables.len()
                    && self.tables.last().is_some_and(|t| t.cell.is_some());
                if open_cell {
                    if let Some((_, _, text)) = self.tables.last_mut().and_then(|t| t.cell.as_mut())
                    {
                        if !text.is_empty() && !p.text.trim().is_empty() {
                            text.push('\n');
                        }
                        text.push_str(p.text.trim());
                    }
                } else if !p.text.trim().is_empty() {
                    self.paragraphs += 1;
                    let at = format!("{}段落 {}", self.prefix, self.paragraphs);
                    if !sink.push(&p.text, None, at) {
                        self.stop = true;
                    }
                }
            }
            "t" if w => self.in_text = self.in_text.saturating_sub(1),
            "tbl" | "table" if (name == "tbl") == w => {
                self.tables.pop();
            }
            "table-header-rows" if !w => {
                if let Some(t) = self.tables.last_mut() {
                    t.in_header_rows = false;
                }
            }
            "tc" | "table-cell" | "covered-table-cell" if (name == "tc") == w => {
                let prefix = self.prefix;
                let Some(t) = self.tables.last_mut() else {
                    return;
                };
                let Some((col, span, text)) = t.cell.take() else {
                    return;
                };
                t.col = col + span;
                let context = if t.row_is_header {
                    if t.headers.len() < col + 1 {
                        t.headers.resize(col + 1, String::new());
                    }
                    t.headers[col] = text.clone();
                    None
                } else {
                    t.headers.get(col).map(String::as_str)
                };
                let at = format!("{prefix}表格 {} 行 {} 列 {}", t.index, t.row, col + 1);
                if !sink.push(&text, context, at) {
                    self.stop = true;
                }
            }
            _ => {}
        }
    }
}

fn local(e: &BytesStart) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

fn attr_number(e: &BytesStart, key: &[u8]) -> Option<usize> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .and_then(|a| std::str::from_utf8(&a.value).ok()?.trim().parse().ok())
}

fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        n => n
            .strip_prefix("#x")
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
            .and_then(char::from_u32),
    }
}
