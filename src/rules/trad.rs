//! Traditional → simplified Chinese, character by character.
//!
//! The table is OpenCC's `TSCharacters.txt` (Apache-2.0, OpenCC commit
//! 5249273a; licence in `data/opencc/LICENSE`), embedded at build time. A
//! line is a key, a tab, then candidates separated by spaces; we take the
//! first candidate, which is OpenCC's own default. Page text and rule terms
//! are folded alike, so a character OpenCC leaves ambiguous (乾 → 干) still
//! folds consistently on both sides.

use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../../data/opencc/TSCharacters.txt");

fn map() -> &'static HashMap<char, char> {
    static MAP: OnceLock<HashMap<char, char>> = OnceLock::new();
    MAP.get_or_init(|| parse(TABLE))
}

fn parse(text: &str) -> HashMap<char, char> {
    let mut map = HashMap::with_capacity(4_200);
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let Some((key, values)) = line.split_once('\t') else {
            continue;
        };
        let mut key_chars = key.chars();
        let (Some(k), None) = (key_chars.next(), key_chars.next()) else {
            continue;
        };
        let first = values.split(' ').next().and_then(|v| {
            let mut cs = v.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => Some(c),
                _ => None,
            }
        });
        if let Some(v) = first {
            if v != k {
                map.insert(k, v);
            }
        }
    }
    map
}

/// The simplified form of `c`, or `c` itself.
pub fn to_simplified(c: char) -> char {
    if (c as u32) < 0x2E80 {
        return c; // below the CJK blocks: nothing to convert
    }
    map().get(&c).copied().unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_common_characters_and_takes_the_first_candidate() {
        assert_eq!(to_simplified('賭'), '赌');
        assert_eq!(to_simplified('於'), '于');
        assert_eq!(to_simplified('乾'), '干');
        assert_eq!(to_simplified('赌'), '赌');
        assert_eq!(to_simplified('a'), 'a');
        // 4,148 lines; those whose first candidate is the key itself add nothing.
        assert!(map().len() > 3_000, "table has {} entries", map().len());
    }
}
