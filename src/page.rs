//! A page as the matcher sees it: text blocks, each with its field and
//! hidden flag. Extraction produces it; the rule engine consumes it.

use serde::{Deserialize, Serialize};
use std::fmt;

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
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::Title,
        Field::Meta,
        Field::Text,
        Field::Anchor,
        Field::Link,
        Field::Script,
        Field::Url,
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
        }
    }

    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Bit for a field set.
    pub fn bit(self) -> u8 {
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
}

impl Block {
    pub fn new(field: Field, text: impl Into<String>) -> Self {
        Block {
            field,
            hidden: false,
            text: text.into(),
            header: None,
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
