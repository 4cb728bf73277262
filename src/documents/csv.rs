//! `.csv` and `.txt`: charset found as for pages ([`crate::decode`]: BOM,
//! the content type's charset, valid UTF-8, else a guess — GBK is common
//! in exports from office software). A CSV's cells are read like a
//! spreadsheet's (header row found the same way, location `C7`); a text
//! file's non-empty lines are blocks at `行 12`.

use super::sheet::{emit_grid, Cell};
use super::{Format, Sink};
use crate::decode;

pub fn read(bytes: &[u8], format: Format, content_type: Option<&str>, sink: &mut Sink) {
    // Declared charsets of text documents are as unreliable as pages'.
    let decoded = decode::decode(bytes, content_type, Some("cn"), false);
    let text = decoded.text;
    if format == Format::Txt {
        for (n, line) in text.lines().enumerate() {
            if !sink.push(line, None, format!("行 {}", n + 1)) {
                break;
            }
        }
        return;
    }
    // The delimiter most used in the first lines (a title line above the
    // table has none); a comma when none is.
    let head: Vec<&str> = text.lines().take(20).collect();
    let delimiter = [b'|', b';', b'\t', b',']
        .into_iter()
        .max_by_key(|&d| {
            head.iter()
                .map(|l| l.bytes().filter(|&b| b == d).count())
                .sum::<usize>()
        })
        .unwrap_or(b',');
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let room = sink.limits.max_cells.saturating_sub(sink.blocks.len());
    let mut cells = Vec::new();
    let mut record = ::csv::StringRecord::new();
    let mut row = 0u32;
    'rows: loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            // A stray quote: the rest is read as one field by the next call,
            // or fails again; either way stop at what was read.
            Err(_) => break,
        }
        for (col, field) in record.iter().enumerate() {
            let t = field.trim();
            if t.is_empty() {
                continue;
            }
            let is_text = !t
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | ',' | ' ' | '%'));
            cells.push(Cell {
                row,
                col: col as u32,
                text: t.to_string(),
                is_text,
            });
            if cells.len() > room {
                break 'rows;
            }
        }
        row += 1;
    }
    emit_grid(cells, "", sink);
}
