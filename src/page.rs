//! A page as the matcher sees it: text blocks, each with its field and
//! hidden flag. Extraction produces it; the rule engine consumes it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// `text` cut to at most `max` characters, with an ellipsis when cut
/// (notifications, a finding's examples).
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max).collect();
        s.push('…');
        s
    }
}

/// Where on a page a piece of text lives (docs/contract.md#fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Title,
    Meta,
    Text,
    Anchor,
    Link,
    Script,
    Url,
    /// The source of scripts, comments dropped: for regex rules on code
    /// (`document\.referrer`). Read only by rules that name it.
    Code,
    /// Text of a linked document (PDF line, spreadsheet cell, paragraph),
    /// each block with its `location` in the document.
    Attachment,
}

impl Field {
    /// The fields a rule reads when it names none: every field but
    /// [`Field::Code`], which repeats every script literal as source text
    /// and would double each script hit.
    pub const ALL: [Field; 8] = [
        Field::Title,
        Field::Meta,
        Field::Text,
        Field::Anchor,
        Field::Link,
        Field::Script,
        Field::Url,
        Field::Attachment,
    ];

    /// Every field, as a rule's `fields` may name them.
    pub const NAMED: [Field; 9] = [
        Field::Title,
        Field::Meta,
        Field::Text,
        Field::Anchor,
        Field::Link,
        Field::Script,
        Field::Url,
        Field::Code,
        Field::Attachment,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Meta => "meta",
            Field::Text => "text",
            Field::Anchor => "anchor",
            Field::Link => "link",
            Field::Script => "script",
            Field::Url => "url",
            Field::Code => "code",
            Field::Attachment => "attachment",
        }
    }

    pub fn parse(name: &str) -> Option<Field> {
        Field::NAMED.into_iter().find(|f| f.name() == name)
    }

    /// Bit for a field set.
    pub fn bit(self) -> u16 {
        1 << (self as u8)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One run of text that a hit may not cross: a block-level element's text,
/// an attribute value, a script string literal, the URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub field: Field,
    /// Hidden from a visitor (CSS, `hidden` attribute, tiny marquee …).
    pub hidden: bool,
    pub text: String,
    /// For a table cell: the text of its column's header cell, which counts
    /// as context for hits in the cell.
    pub header: Option<String>,
    /// For a document's block: where in the document (`第3页`, `名单!C7`,
    /// `段落 12`), for the finding's `location`.
    pub location: Option<String>,
}

impl Block {
    pub fn new(field: Field, text: impl Into<String>) -> Self {
        Block {
            field,
            hidden: false,
            text: text.into(),
            header: None,
            location: None,
        }
    }

    pub fn hidden(mut self, hidden: bool) -> Self {
        self.hidden = hidden;
        self
    }

    pub fn with_header(mut self, header: impl Into<String>) -> Self {
        self.header = Some(header.into());
        self
    }

    pub fn with_location(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }
}

/// A page's text in document order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub blocks: Vec<Block>,
}

impl Page {
    /// A page whose whole text is one visible body block, as rule tests and
    /// `rules explain --text` take their input.
    pub fn from_text(text: impl Into<String>) -> Self {
        Page {
            blocks: vec![Block::new(Field::Text, text)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_a_field_rules_name_but_not_a_default_one() {
        assert_eq!(Field::parse("code"), Some(Field::Code));
        assert_eq!(Field::Code.name(), "code");
        assert!(!Field::ALL.contains(&Field::Code));
        for f in Field::NAMED {
            assert_eq!(Field::parse(f.name()), Some(f));
        }
        let bits: Vec<u16> = Field::NAMED.iter().map(|f| f.bit()).collect();
        assert_eq!(bits.iter().fold(0u16, |a, b| a | b).count_ones(), 9);
        assert_eq!(Field::parse("attachment"), Some(Field::Attachment));
        assert!(
            Field::ALL.contains(&Field::Attachment),
            "packs read documents by default"
        );
        assert_eq!(
            serde_json::to_string(&Field::Code).unwrap(),
            "\"code\"",
            "stored and streamed by name"
        );
    }

    #[test]
    fn a_pack_may_name_code_and_only_such_rules_read_it() {
        use crate::rules::{Packs, RuleSet};
        let pack = "[[rule]]\nid = \"referrer\"\ncategory = \"c\"\nseverity = \"low\"\nregex = ['document\\.referrer']\nfields = [\"code\"]\n\n\
                    [[rule]]\nid = \"any\"\ncategory = \"c\"\nseverity = \"low\"\nregex = ['document\\.referrer']\n";
        let rules =
            RuleSet::compile(Packs::from_text(std::path::Path::new("p.toml"), pack).unwrap())
                .unwrap();
        let page = Page {
            blocks: vec![Block::new(
                Field::Code,
                "if(r.test(document.referrer))location.href=u",
            )],
        };
        let hits: Vec<&str> = rules
            .match_page(&page)
            .iter()
            .map(|h| rules.rules[h.rule].id.as_str())
            .collect();
        assert_eq!(hits, vec!["referrer"], "a rule without `fields` skips code");
    }
}
