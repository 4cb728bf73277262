//! Zip containers: OOXML (`[Content_Types].xml` with `xl/workbook.xml`,
//! `xl/workbook.bin` or `word/document.xml`) and ODF (a `mimetype` entry).
//!
//! Zip bombs: every entry is inflated against one budget (the document
//! cap) before any reader sees the archive, stopping as soon as the sum of
//! inflated bytes passes it, whatever the entries declare. Declared sizes
//! are checked first, so a declared bomb costs nothing to refuse.

use super::{find, Format, Limits, Unreadable};
use std::io::{self, Cursor, Read};
use zip::result::ZipError;
use zip::ZipArchive;

/// Entries in an archive at most: an office file has dozens.
const MAX_ENTRIES: usize = 10_000;

pub type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;

pub fn open(bytes: &[u8], format: Format) -> Result<Archive<'_>, Unreadable> {
    let archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| zip_error(format, e))?;
    if archive.len() > MAX_ENTRIES {
        return Err(Unreadable::corrupt(
            format,
            format!("{} zip entries (at most {MAX_ENTRIES} read)", archive.len()),
        ));
    }
    Ok(archive)
}

pub fn zip_error(format: Format, e: ZipError) -> Unreadable {
    let text = e.to_string();
    if text.to_ascii_lowercase().contains("password") {
        Unreadable::new(
            Some(format),
            format!("encrypted {format} (password-protected zip)"),
        )
    } else {
        Unreadable::corrupt(format, text)
    }
}

/// The format a zip archive holds, by its entry names.
pub fn kind(bytes: &[u8]) -> Option<Format> {
    match ZipArchive::new(Cursor::new(bytes)) {
        Ok(mut archive) => {
            let names: Vec<String> = archive
                .file_names()
                .take(MAX_ENTRIES)
                .filter_map(Result::ok)
                .map(String::from)
                .collect();
            let has = |n: &str| names.iter().any(|x| x == n);
            if has("[Content_Types].xml") {
                if has("xl/workbook.xml") {
                    return Some(Format::Xlsx);
                }
                if has("xl/workbook.bin") {
                    return Some(Format::Xlsb);
                }
                if has("word/document.xml") {
                    return Some(Format::Docx);
                }
            }
            if has("mimetype") {
                let mut mime = String::new();
                if let Ok(entry) = archive.by_name("mimetype") {
                    let _ = entry.take(200).read_to_string(&mut mime);
                }
                return odf_kind(mime.trim().as_bytes());
            }
            None
        }
        // Cut short or damaged: the first local headers still tell.
        Err(_) => {
            let head = &bytes[..bytes.len().min(64 * 1024)];
            if find(head, b"mimetypeapplication/vnd.oasis.opendocument.").is_some() {
                let at = find(head, b"mimetype")? + 8;
                return odf_kind(&head[at..head.len().min(at + 60)]);
            }
            if find(head, b"xl/workbook.xml").is_some() || find(head, b"xl/worksheets/").is_some() {
                return Some(Format::Xlsx);
            }
            if find(head, b"word/document.xml").is_some() {
                return Some(Format::Docx);
            }
            None
        }
    }
}

fn odf_kind(mime: &[u8]) -> Option<Format> {
    if mime.starts_with(b"application/vnd.oasis.opendocument.spreadsheet") {
        Some(Format::Ods)
    } else if mime.starts_with(b"application/vnd.oasis.opendocument.text") {
        Some(Format::Odt)
    } else {
        None
    }
}

/// Inflate every entry against the cap: Unreadable when the archive is
/// encrypted, corrupt, or inflates past `limits.max_bytes`.
pub fn check(bytes: &[u8], format: Format, limits: &Limits) -> Result<(), Unreadable> {
    let mut archive = open(bytes, format)?;
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| zip_error(format, e))?;
        if entry.encrypted() {
            return Err(Unreadable::new(
                Some(format),
                format!("encrypted {format} (password-protected zip)"),
            ));
        }
        declared = declared.saturating_add(entry.size());
    }
    if declared > limits.max_bytes {
        return Err(limits.over_cap(format));
    }
    let mut left = limits.max_bytes;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| zip_error(format, e))?;
        let n = io::copy(&mut entry.take(left + 1), &mut io::sink())
            .map_err(|e| Unreadable::corrupt(format, e))?;
        if n > left {
            return Err(limits.over_cap(format));
        }
        left -= n;
    }
    Ok(())
}

/// One entry, inflated within `budget` bytes (which it lowers). None when
/// there is no such entry.
pub fn entry(
    archive: &mut Archive,
    name: &str,
    format: Format,
    budget: &mut u64,
    limits: &Limits,
) -> Result<Option<Vec<u8>>, Unreadable> {
    let entry = match archive.by_name(name) {
        Ok(e) => e,
        Err(ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(zip_error(format, e)),
    };
    if entry.size() > *budget {
        return Err(limits.over_cap(format));
    }
    let mut out = Vec::with_capacity(entry.size().min(*budget) as usize);
    entry
        .take(*budget + 1)
        .read_to_end(&mut out)
        .map_err(|e| Unreadable::corrupt(format, e))?;
    if out.len() as u64 > *budget {
        return Err(limits.over_cap(format));
    }
    *budget -= out.len() as u64;
    Ok(Some(out))
}
