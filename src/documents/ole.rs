//! OLE2 compound files (`D0 CF 11 E0`): `.xls`, `.et`, `.doc`, `.wps`, and
//! password-protected OOXML files (an `EncryptedPackage` stream inside an
//! OLE2 container). Which one is told by the names in the directory: a
//! directory entry is 128 bytes at a 128-byte boundary of a sector, its
//! UTF-16 name first, the name's byte length at +64, the entry type at +66.
//! Scanning the slots is enough to tell them apart without a CFB reader.

use super::{Format, Unreadable};

pub const MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A `Workbook` (or BIFF5 `Book`) stream: a spreadsheet.
    Workbook,
    /// A `WordDocument` stream.
    Word,
    /// `EncryptedPackage`/`EncryptionInfo`: a password-protected xlsx/docx.
    Encrypted,
    Unknown,
}

/// The names of the directory entries (at most 4,096 looked at).
fn names(bytes: &[u8]) -> Vec<String> {
    let shift = bytes
        .get(30..32)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .unwrap_or(9);
    let sector = if shift == 12 { 4096 } else { 512 };
    let mut out = Vec::new();
    let mut at = sector;
    while at + 128 <= bytes.len() && out.len() < 4096 {
        let entry = &bytes[at..at + 128];
        let len = u16::from_le_bytes([entry[64], entry[65]]) as usize;
        let kind = entry[66];
        if (4..=64).contains(&len) && len.is_multiple_of(2) && matches!(kind, 1 | 2 | 5) {
            let units: Vec<u16> = entry[..len - 2]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            if entry[len - 2] == 0 && entry[len - 1] == 0 {
                if let Ok(name) = String::from_utf16(&units) {
                    out.push(name);
                }
            }
        }
        at += 128;
    }
    out
}

pub fn kind(bytes: &[u8]) -> Kind {
    let names = names(bytes);
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("EncryptedPackage") || has("EncryptionInfo") {
        Kind::Encrypted
    } else if has("Workbook") || has("Book") {
        Kind::Workbook
    } else if has("WordDocument") {
        Kind::Word
    } else {
        Kind::Unknown
    }
}

/// Unreadable when the container says encrypted, or holds no stream of the
/// expected kind.
pub fn check_readable(bytes: &[u8], format: Format) -> Result<(), Unreadable> {
    match kind(bytes) {
        Kind::Encrypted => Err(Unreadable::new(
            Some(format),
            "encrypted Office document (password-protected)",
        )),
        Kind::Unknown if bytes.starts_with(&MAGIC) => Err(Unreadable::corrupt(
            format,
            "an OLE2 file without a workbook or Word document stream",
        )),
        Kind::Unknown => Err(Unreadable::corrupt(format, "no OLE2 header")),
        Kind::Workbook if matches!(format, Format::Doc | Format::Wps) => Err(Unreadable::corrupt(
            format,
            "an OLE2 workbook, not a text document",
        )),
        _ => Ok(()),
    }
}
