//! Spreadsheets (`.xlsx`, `.xlsb`, `.xls`, `.et`, `.ods`) with calamine.
//! Each non-empty cell is a block at `Sheet!C7`, with its column's header
//! cell as context. xlsx sheets are streamed cell by cell (a hostile
//! `dimension` of a million rows allocates nothing); the other formats come
//! as calamine ranges, which calamine bounds (ODS repeats are capped).
//!
//! The header row is found as a person would: the first row whose cells
//! are mostly non-empty text and span at least half the width of the rows
//! under it. A merged title row (`2024年低保公示名单`, one cell) or a
//! `填报单位：… 日期：…` line above the table is passed over.

use super::{cell_ref, Format, Sink, Unreadable};
use calamine::{Data, Ods, Reader, Sheets, Xls, Xlsb, Xlsx};
use std::collections::BTreeMap;
use std::io::Cursor;

/// One cell read: row, column (from 0), text, and whether it is text (not
/// a number, date or flag) for the header-row test.
pub(crate) struct Cell {
    pub row: u32,
    pub col: u32,
    pub text: String,
    pub is_text: bool,
}

/// Rows looked at for the header, and rows under a candidate measured.
const HEADER_SEARCH_ROWS: usize = 30;
const WIDTH_ROWS: usize = 5;

pub fn read(bytes: &[u8], format: Format, sink: &mut Sink) -> Result<(), Unreadable> {
    match format {
        Format::Ods => ods_guard(bytes, sink.limits)?,
        Format::Xls | Format::Et => xls_guard(bytes, sink.limits)?,
        _ => {}
    }
    let cursor = Cursor::new(bytes);
    let corrupt = |e: &dyn std::fmt::Display| cause(format, &e.to_string());
    let mut book: Sheets<Cursor<&[u8]>> = match format {
        Format::Xlsx => Sheets::Xlsx(
            calamine::open_workbook_from_rs::<Xlsx<_>, _>(cursor).map_err(|e| corrupt(&e))?,
        ),
        Format::Xlsb => Sheets::Xlsb(
            calamine::open_workbook_from_rs::<Xlsb<_>, _>(cursor).map_err(|e| corrupt(&e))?,
        ),
        Format::Ods => Sheets::Ods(
            calamine::open_workbook_from_rs::<Ods<_>, _>(cursor).map_err(|e| corrupt(&e))?,
        ),
        _ => Sheets::Xls(
            calamine::open_workbook_from_rs::<Xls<_>, _>(cursor).map_err(|e| corrupt(&e))?,
        ),
    };
    let names = book.sheet_names();
    let mut failed: Vec<(String, Unreadable)> = Vec::new();
    for name in &names {
        if sink.full() {
            break;
        }
        if let Err(e) = read_sheet(&mut book, name, format, sink) {
            failed.push((name.clone(), e));
        }
    }
    if !failed.is_empty() {
        if failed.len() == names.len() {
            return Err(failed.swap_remove(0).1);
        }
        let list: Vec<&str> = failed.iter().map(|(n, _)| n.as_str()).collect();
        sink.cut(format!("sheets not readable: {}", list.join(", ")));
    }
    Ok(())
}

fn read_sheet(
    book: &mut Sheets<Cursor<&[u8]>>,
    name: &str,
    format: Format,
    sink: &mut Sink,
) -> Result<(), Unreadable> {
    let corrupt = |e: &dyn std::fmt::Display| cause(format, &e.to_string());
    {
        let room = sink.limits.max_cells.saturating_sub(sink.blocks.len());
        let mut cells = Vec::new();
        if let Sheets::Xlsx(x) = book {
            let mut reader = x.worksheet_cells_reader(name).map_err(|e| corrupt(&e))?;
            while let Some(cell) = reader.next_cell().map_err(|e| corrupt(&e))? {
                let (row, col) = cell.get_position();
                let data: Data = cell.get_value().clone().into();
                if let Some((text, is_text)) = cell_text(&data) {
                    cells.push(Cell {
                        row,
                        col,
                        text,
                        is_text,
                    });
                    if cells.len() > room {
                        break;
                    }
                }
            }
        } else {
            let range = book.worksheet_range(name).map_err(|e| corrupt(&e))?;
            let (r0, c0) = range.start().unwrap_or((0, 0));
            for (r, c, data) in range.used_cells() {
                if let Some((text, is_text)) = cell_text(data) {
                    cells.push(Cell {
                        row: r0 + r as u32,
                        col: c0 + c as u32,
                        text,
                        is_text,
                    });
                    if cells.len() > room {
                        break;
                    }
                }
            }
        }
        emit_grid(cells, &format!("{name}!"), sink);
    }
    Ok(())
}

fn cause(format: Format, text: &str) -> Unreadable {
    let lower = text.to_ascii_lowercase();
    if lower.contains("password") || lower.contains("encrypt") {
        Unreadable::new(
            Some(format),
            format!("encrypted {format} (password-protected)"),
        )
    } else {
        Unreadable::corrupt(format, text)
    }
}

/// calamine expands ODF's repeated rows and cells into a dense range (up
/// to a million rows): count what a sheet's repeats expand to before it
/// does, up to the last cell with a value in each row (trailing empty
/// repeats, which every LibreOffice file ends with, cost nothing).
/// Dense cells a sheet may be expanded to: calamine holds the `.xls` and
/// `.ods` sheets it reads as dense ranges (every cell between the first and
/// the last, empty ones too), so the span counts, not the cells written. A
/// safe multiple of the cells we read.
fn most_dense_cells(limits: &super::Limits) -> u64 {
    (limits.max_cells as u64).saturating_mul(20).max(1_000_000)
}

/// A `.xls`/`.et` workbook is refused before calamine reads it when a
/// sheet spans more cells than [`most_dense_cells`]: two cells at A1 and
/// IV65536 in a file of a few KB would make calamine allocate 16.7 million
/// cells (about a gigabyte with the formula range). The `Workbook` stream's
/// BIFF records are scanned for the cell records' rows and columns, sheet
/// by sheet (each sheet starts with a BOF record).
fn xls_guard(bytes: &[u8], limits: &super::Limits) -> Result<(), Unreadable> {
    use std::io::Read;
    let format = Format::Xls;
    let mut file =
        cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| Unreadable::corrupt(format, e))?;
    let name = if file.is_stream("/Workbook") {
        "/Workbook"
    } else {
        "/Book"
    };
    let mut stream = Vec::new();
    file.open_stream(name)
        .map_err(|e| Unreadable::corrupt(format, e))?
        .take(limits.max_bytes)
        .read_to_end(&mut stream)
        .map_err(|e| Unreadable::corrupt(format, e))?;
    let most = most_dense_cells(limits);
    let mut extent: Option<(u32, u32, u32, u32)> = None;
    let check = |extent: Option<(u32, u32, u32, u32)>| match extent {
        Some((r0, r1, c0, c1)) => {
            let span = u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1);
            if span > most {
                Err(Unreadable::new(
                    Some(format),
                    format!(
                        "a sheet spans {} rows × {} columns, over the cell limit ({most})",
                        r1 - r0 + 1,
                        c1 - c0 + 1
                    ),
                ))
            } else {
                Ok(())
            }
        }
        None => Ok(()),
    };
    let mut at = 0;
    while at + 4 <= stream.len() {
        let kind = u16::from_le_bytes([stream[at], stream[at + 1]]);
        let len = u16::from_le_bytes([stream[at + 2], stream[at + 3]]) as usize;
        let data = &stream[at + 4..(at + 4 + len).min(stream.len())];
        at += 4 + len;
        let u16_at = |i: usize| {
            data.get(i..i + 2)
                .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
        };
        let cells: Option<(u32, u32, u32)> = match kind {
            // BOF: a new sheet (or the workbook globals).
            0x0809 => {
                check(extent.take())?;
                None
            }
            // FORMULA, BLANK, NUMBER, LABEL, BOOLERR, RK, LABELSST, RSTRING.
            0x0006 | 0x0201 | 0x0203 | 0x0204 | 0x0205 | 0x027E | 0x00FD | 0x00D6 => {
                match (u16_at(0), u16_at(2)) {
                    (Some(r), Some(c)) => Some((r, c, c)),
                    _ => None,
                }
            }
            // MULRK, MULBLANK: a row, the first column, …, the last column.
            0x00BD | 0x00BE if data.len() >= 6 => {
                match (u16_at(0), u16_at(2), u16_at(data.len() - 2)) {
                    (Some(r), Some(c0), Some(c1)) => Some((r, c0, c1.max(c0))),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some((r, c0, c1)) = cells {
            extent = Some(match extent {
                None => (r, r, c0, c1),
                Some((r0, r1, a, b)) => (r0.min(r), r1.max(r), a.min(c0), b.max(c1)),
            });
        }
    }
    check(extent)
}

fn ods_guard(bytes: &[u8], limits: &super::Limits) -> Result<(), Unreadable> {
    use quick_xml::events::Event;
    let format = Format::Ods;
    let mut archive = super::zipped::open(bytes, format)?;
    let mut budget = limits.max_bytes;
    let Some(xml) = super::zipped::entry(&mut archive, "content.xml", format, &mut budget, limits)?
    else {
        return Err(Unreadable::corrupt(format, "no content.xml in the archive"));
    };
    let number = |e: &quick_xml::events::BytesStart, key: &[u8]| -> u64 {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == key)
            .and_then(|a| std::str::from_utf8(&a.value).ok()?.trim().parse().ok())
            .unwrap_or(1)
    };
    let most = most_dense_cells(limits);
    let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
    let mut buf = Vec::new();
    let (mut total, mut row_repeat, mut col, mut last) = (0u64, 1u64, 0u64, 0u64);
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| Unreadable::corrupt(format, e))?;
        let (e, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) if e.local_name().as_ref() == b"table-row" => {
                total = total.saturating_add(row_repeat.saturating_mul(last));
                if total > most {
                    return Err(Unreadable::new(
                        Some(format),
                        format!("its repeated rows and cells expand to more than {most} cells"),
                    ));
                }
                buf.clear();
                continue;
            }
            Event::Eof => break,
            _ => {
                buf.clear();
                continue;
            }
        };
        match e.local_name().as_ref() {
            b"table-row" => {
                row_repeat = number(e, b"table:number-rows-repeated").min(1 << 20);
                (col, last) = (0, 0);
            }
            b"table-cell" | b"covered-table-cell" => {
                let repeat = number(e, b"table:number-columns-repeated").min(1 << 14);
                let valued = !empty
                    || e.attributes()
                        .flatten()
                        .any(|a| a.key.as_ref() == b"office:value-type");
                col = col.saturating_add(repeat);
                if valued {
                    last = col;
                }
            }
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

/// A cell's text as a person sees it; None for empty and error cells. An
/// integral number is written without `.0` (mobiles typed as numbers).
fn cell_text(data: &Data) -> Option<(String, bool)> {
    match data {
        Data::Empty | Data::Error(_) => None,
        Data::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return None;
            }
            let numeric = t
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | ',' | ' ' | '%'));
            Some((t.to_string(), !numeric))
        }
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e16 => Some((format!("{f:.0}"), false)),
        other => Some((other.to_string(), false)),
    }
}

/// Emit a sheet's cells (row-major once sorted) as blocks at
/// `{prefix}C7`, with the header row found and each column's header as
/// context for the cells under it.
pub(crate) fn emit_grid(mut cells: Vec<Cell>, prefix: &str, sink: &mut Sink) {
    cells.sort_by_key(|c| (c.row, c.col));
    let mut rows: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, c) in cells.iter().enumerate() {
        rows.entry(c.row).or_default().push(i);
    }
    let header_row = find_header_row(&cells, &rows);
    let mut headers: BTreeMap<u32, &str> = BTreeMap::new();
    if let Some(h) = header_row {
        for &i in &rows[&h] {
            headers.insert(cells[i].col, cells[i].text.as_str());
        }
    }
    let room = sink.limits.max_cells.saturating_sub(sink.blocks.len());
    let over = cells.len() > room;
    for cell in &cells {
        let context = match header_row {
            Some(h) if cell.row > h => headers.get(&cell.col).copied(),
            _ => None,
        };
        let at = format!("{prefix}{}", cell_ref(cell.row, cell.col));
        if !sink.push(&cell.text, context, at) {
            break;
        }
    }
    if over {
        sink.full();
    }
}

/// The first of the top rows whose cells are at least two, two thirds
/// text, and at least half as many as the widest of the next rows.
fn find_header_row(cells: &[Cell], rows: &BTreeMap<u32, Vec<usize>>) -> Option<u32> {
    let list: Vec<(&u32, &Vec<usize>)> = rows.iter().collect();
    for (k, (row, idx)) in list.iter().enumerate().take(HEADER_SEARCH_ROWS) {
        let n = idx.len();
        let text = idx.iter().filter(|&&i| cells[i].is_text).count();
        if n < 2 || text * 3 < n * 2 {
            continue;
        }
        let below = list[k + 1..]
            .iter()
            .take(WIDTH_ROWS)
            .map(|(_, v)| v.len())
            .max()
            .unwrap_or(0);
        if n * 2 >= below {
            return Some(**row);
        }
    }
    None
}
