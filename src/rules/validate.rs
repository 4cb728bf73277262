//! Validators for regex hits on personal data (docs/design-notes.md#personal-data-validators).
//!
//! A validator sees the width-folded matched text. Masked numbers
//! (`110101********1234`, `138****1234`) contain no run of digits long
//! enough to match the bundled regexes, and validators refuse anything that
//! is not all digits, so they never hit.

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validator {
    /// Resident identity number: region, birth date, ISO 7064 MOD 11-2.
    CnId,
    /// Bank card number: Luhn checksum.
    Luhn,
    /// Mainland mobile number: 1[3-9] and 11 digits.
    CnMobile,
}

impl Validator {
    pub const NAMES: &'static str = "cn-id, luhn, cn-mobile";

    pub fn parse(name: &str) -> Option<Validator> {
        match name {
            "cn-id" => Some(Validator::CnId),
            "luhn" => Some(Validator::Luhn),
            "cn-mobile" => Some(Validator::CnMobile),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Validator::CnId => "cn-id",
            Validator::Luhn => "luhn",
            Validator::CnMobile => "cn-mobile",
        }
    }

    pub fn check(self, text: &str) -> bool {
        match self {
            Validator::CnId => valid_cn_id(text),
            Validator::Luhn => valid_luhn(text),
            Validator::CnMobile => valid_cn_mobile(text),
        }
    }
}

/// Province-level codes that start a resident ID.
const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

pub fn valid_cn_id(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let digit = |i: usize| (b[i] - b'0') as u32;
    if !PROVINCES.contains(&((digit(0) * 10 + digit(1)) as u8)) {
        return false;
    }
    let year = (6..10).fold(0, |acc, i| acc * 10 + digit(i));
    let month = digit(10) * 10 + digit(11);
    let day = digit(12) * 10 + digit(13);
    if !(1900..=current_year()).contains(&year) || !(1..=12).contains(&month) {
        return false;
    }
    if day == 0 || day > days_in_month(year, month) {
        return false;
    }
    b[17].to_ascii_uppercase() == cn_id_check_char(&b[..17])
}

/// The ISO 7064 MOD 11-2 check character of an ID's first 17 digits.
pub fn cn_id_check_char(first17: &[u8]) -> u8 {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn current_year() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Good to within a day, which is all a birth-date check needs.
    (1970 + secs / 31_556_952) as u32
}

pub fn valid_luhn(text: &str) -> bool {
    let b = text.as_bytes();
    if !(13..=19).contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &c)| {
            let d = (c - b'0') as u32;
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 {
                    dd - 9
                } else {
                    dd
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

pub fn valid_cn_mobile(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 11
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cn_id_checks_checksum_date_and_region() {
        assert!(valid_cn_id("510107198008123459"));
        assert!(!valid_cn_id("510107198008123458"), "wrong check digit");
        assert!(valid_cn_id("11010519491231002X"));
        assert!(valid_cn_id("11010519491231002x"));
        assert!(!valid_cn_id("110105194913310023"), "month 13");
        assert!(!valid_cn_id("110101********1234"));
        assert!(!valid_cn_id("990107198008123459"), "no such province");
    }

    #[test]
    fn luhn_and_mobile() {
        assert!(valid_luhn("4111111111111111"));
        assert!(!valid_luhn("4111111111111112"));
        assert!(valid_cn_mobile("13800138000"));
        assert!(!valid_cn_mobile("12800138000"));
        assert!(!valid_cn_mobile("138****1234"));
    }
}
