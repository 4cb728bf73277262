//! Is this hidden from a visitor? Inline styles, `<style>` rules on `#id` and
//! `.class` selectors, and the script idiom `getElementById('x').style.display='none'`.
//! Hacked pages hide injected link blocks in exactly these ways
//! (docs/design-notes.md#hidden-content). Also: the colours that decide
//! whether text is drawn in its background's colour ([`Paint`]).

use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// A colour with its alpha (0 transparent … 1 opaque).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rgba {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: f32,
}

impl Rgba {
    pub const WHITE: Rgba = Rgba::opaque(255, 255, 255);
    pub const TRANSPARENT: Rgba = Rgba {
        r: 0,
        g: 0,
        b: 0,
        a: 0.0,
    };

    pub const fn opaque(r: u8, g: u8, b: u8) -> Rgba {
        Rgba { r, g, b, a: 1.0 }
    }

    /// This colour drawn over an opaque one.
    pub fn over(self, below: Rgba) -> Rgba {
        let mix = |top: u8, bottom: u8| {
            (top as f32 * self.a + bottom as f32 * (1.0 - self.a)).round() as u8
        };
        Rgba::opaque(
            mix(self.r, below.r),
            mix(self.g, below.g),
            mix(self.b, below.b),
        )
    }
}

/// Text in `ink` cannot be told from its background `bg` (opaque): alpha
/// blended, no channel differs by more than 8 of 255 (`#fefefe` on white
/// is hidden, `#eee` is not).
pub fn invisible(ink: Rgba, bg: Rgba) -> bool {
    let drawn = ink.over(bg);
    drawn.r.abs_diff(bg.r) <= 8 && drawn.g.abs_diff(bg.g) <= 8 && drawn.b.abs_diff(bg.b) <= 8
}

/// A CSS colour: `#rgb`, `#rrggbb` (and with alpha), `rgb()`/`rgba()`,
/// named colours, `transparent`. None for what we do not read (`hsl()`,
/// `var(…)`, `currentColor`, system colours).
pub fn colour(value: &str) -> Option<Rgba> {
    let v = value.trim().to_ascii_lowercase();
    if let Some(hex) = v.strip_prefix('#') {
        let (r, g, b, a) = cssparser::color::parse_hash_color(hex.as_bytes()).ok()?;
        return Some(Rgba { r, g, b, a });
    }
    if v == "transparent" {
        return Some(Rgba::TRANSPARENT);
    }
    if let Some(args) = v
        .strip_prefix("rgba(")
        .or_else(|| v.strip_prefix("rgb("))
        .and_then(|rest| rest.strip_suffix(')'))
    {
        return rgb_function(args);
    }
    let (r, g, b) = cssparser::color::parse_named_color(&v).ok()?;
    Some(Rgba::opaque(r, g, b))
}

/// A colour in an HTML attribute (`<font color>`, `bgcolor`): CSS syntax, or
/// hex digits without `#` as old pages write them.
pub fn attr_colour(value: &str) -> Option<Rgba> {
    let v = value.trim();
    colour(v).or_else(|| {
        (matches!(v.len(), 3 | 6) && v.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| colour(&format!("#{v}")))
            .flatten()
    })
}

/// `255, 0, 0`, `255 0 0 / 50%`, `100%, 0%, 0%, 0.5`.
fn rgb_function(args: &str) -> Option<Rgba> {
    let parts: Vec<&str> = args
        .split(|c: char| c == ',' || c == '/' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    if !(3..=4).contains(&parts.len()) {
        return None;
    }
    let channel = |p: &str| -> Option<u8> {
        let n = match p.strip_suffix('%') {
            Some(pct) => pct.parse::<f32>().ok()? * 2.55,
            None => p.parse::<f32>().ok()?,
        };
        Some(n.clamp(0.0, 255.0).round() as u8)
    };
    let a = match parts.get(3) {
        Some(p) => match p.strip_suffix('%') {
            Some(pct) => pct.parse::<f32>().ok()? / 100.0,
            None => p.parse::<f32>().ok()?,
        }
        .clamp(0.0, 1.0),
        None => 1.0,
    };
    Some(Rgba {
        r: channel(parts[0])?,
        g: channel(parts[1])?,
        b: channel(parts[2])?,
        a,
    })
}

/// A colour property as set: a colour we read, or something we cannot
/// (a background image, `var(…)`), which stops any judgement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Set {
    Colour(Rgba),
    Unknown,
}

/// What a declaration block (or an element's attributes) says about its
/// text colour and background. None: not set here (inherited for text, the
/// ancestors' background showing through).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Paint {
    pub color: Option<Set>,
    pub background: Option<Set>,
}

impl Paint {
    pub fn is_empty(&self) -> bool {
        self.color.is_none() && self.background.is_none()
    }

    /// Properties this one leaves unset taken from `other`.
    pub fn or(self, other: Paint) -> Paint {
        Paint {
            color: self.color.or(other.color),
            background: self.background.or(other.background),
        }
    }
}

/// Read `color`, `background-color`, `background` and `background-image`
/// from a declaration block. A background image or gradient makes the
/// background unknown (the picture may be any colour); text clipped to its
/// background (`background-clip:text`) has an unknown colour.
pub fn paint(declarations: &str) -> Paint {
    let mut out = Paint::default();
    if !declarations.contains("olor") && !declarations.contains("ackground") {
        return out;
    }
    let mut image = false;
    let mut clip_text = false;
    for (prop, value) in properties(declarations) {
        if matches!(
            value.as_str(),
            "inherit" | "unset" | "revert" | "revert-layer" | ""
        ) {
            continue;
        }
        let read = |v: &str| colour(v).map_or(Set::Unknown, Set::Colour);
        match prop.as_str() {
            "color" => out.color = Some(read(&value)),
            "background-color" => out.background = Some(read(&value)),
            "background-image" => image = value != "none" && value != "initial",
            "background-clip" | "-webkit-background-clip" => clip_text = value == "text",
            "background" => {
                image = [
                    "url(",
                    "gradient(",
                    "image-set(",
                    "image(",
                    "element(",
                    "var(",
                ]
                .iter()
                .any(|f| value.contains(f));
                // The shorthand resets the colour: transparent unless given.
                let colour = css_words(&value).into_iter().find_map(colour);
                out.background = Some(Set::Colour(colour.unwrap_or(Rgba::TRANSPARENT)));
            }
            _ => {}
        }
    }
    if image {
        out.background = Some(Set::Unknown);
    }
    if clip_text && out.color.is_some() {
        out.color = Some(Set::Unknown);
    }
    out
}

/// Space-separated words of a value, keeping `rgb(1, 2, 3)` whole.
fn css_words(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = None;
    for (i, c) in value.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if c.is_whitespace() && depth == 0 => {
                if let Some(s) = start.take() {
                    out.push(&value[s..i]);
                }
                continue;
            }
            _ => {}
        }
        start.get_or_insert(i);
    }
    if let Some(s) = start {
        out.push(&value[s..]);
    }
    out
}

/// A length in CSS pixels (`em`/`rem` as 16px, `%` and unknown units as None).
fn px(value: &str) -> Option<f64> {
    let v = value.trim();
    let (num, unit) = match v.find(|c: char| c.is_ascii_alphabetic() || c == '%') {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, "px"),
    };
    let n: f64 = num.trim().parse().ok()?;
    match unit.to_ascii_lowercase().as_str() {
        "px" => Some(n),
        "pt" => Some(n * 4.0 / 3.0),
        "em" | "rem" => Some(n * 16.0),
        _ => None,
    }
}

/// The `property: value` pairs of a declaration block, lower case, without
/// `!important`.
fn properties(declarations: &str) -> impl Iterator<Item = (String, String)> + '_ {
    declarations.split(';').filter_map(|decl| {
        let (prop, value) = decl.split_once(':')?;
        let value = value.trim().trim_end_matches("!important").trim();
        Some((prop.trim().to_ascii_lowercase(), value.to_ascii_lowercase()))
    })
}

/// Does this declaration block hide its element?
pub fn hides(declarations: &str) -> bool {
    let mut overflow_hidden = false;
    let mut tiny_box = false;
    let mut positioned = false;
    let mut far_offset = false;
    for (prop, value) in properties(declarations) {
        match prop.as_str() {
            "display" if value == "none" => return true,
            "visibility" if value == "hidden" || value == "collapse" => return true,
            "opacity" if value.parse::<f64>().is_ok_and(|o| o <= 0.01) => return true,
            "font-size" if px(&value).is_some_and(|v| v <= 1.0) => return true,
            "text-indent" if px(&value).is_some_and(|v| v <= -100.0) => return true,
            "clip" if value.replace(' ', "").starts_with("rect(0") => return true,
            "height" | "width" | "max-height" | "max-width"
                if px(&value).is_some_and(|v| v <= 1.0) =>
            {
                tiny_box = true
            }
            "overflow" | "overflow-x" | "overflow-y" if value == "hidden" => overflow_hidden = true,
            "position" if value == "absolute" || value == "fixed" => positioned = true,
            "left" | "top" | "right" | "bottom" | "margin-left" | "margin-top"
                if px(&value).is_some_and(|v| v <= -100.0 || v >= 5000.0) =>
            {
                far_offset = true
            }
            _ => {}
        }
    }
    (tiny_box && overflow_hidden) || (positioned && far_offset)
}

/// Ids and classes that a page's `<style>` rules (or scripts) hide, and the
/// colours its `<style>` rules give ids, classes and (backgrounds only) tags.
#[derive(Debug, Default, Clone)]
pub struct HiddenSelectors {
    pub ids: HashSet<String>,
    pub classes: HashSet<String>,
    pub id_paint: HashMap<String, Paint>,
    pub class_paint: HashMap<String, Paint>,
    /// Backgrounds by tag (`body{background:#000}`). Text colours by tag
    /// are not taken: `a{color:#fff}` over a background from a stylesheet
    /// we do not fetch would mark every link hidden.
    pub tag_paint: HashMap<String, Paint>,
}

impl HiddenSelectors {
    /// Scan a whole document for `<style>` blocks and script hiding idioms.
    /// A prescan, because the style that hides a block may come after it.
    pub fn scan(html: &str) -> HiddenSelectors {
        static STYLE: OnceLock<Regex> = OnceLock::new();
        static SCRIPT_HIDE: OnceLock<Regex> = OnceLock::new();
        let style = STYLE
            .get_or_init(|| Regex::new(r"(?is)<style\b[^>]*>(.*?)</style").expect("valid regex"));
        let script_hide = SCRIPT_HIDE.get_or_init(|| {
            Regex::new(r#"(?i)getElementById\(\s*['"]([^'"]+)['"]\s*\)\.style\.(?:display\s*=\s*['"]none|visibility\s*=\s*['"]hidden)"#)
                .expect("valid regex")
        });
        let mut found = HiddenSelectors::default();
        if !html.contains("<style") && !html.contains("<STYLE") && !html.contains("getElementById")
        {
            return found;
        }
        for cap in style.captures_iter(html) {
            found.add_css(&cap[1]);
        }
        for cap in script_hide.captures_iter(html) {
            found.ids.insert(cap[1].to_string());
        }
        found
    }

    /// Rules of the form `#id`, `.class`, `tag#id`, `tag.class` (comma lists allowed).
    pub fn add_css(&mut self, css: &str) {
        let css = strip_comments(css);
        for rule in css.split('}') {
            let Some((selectors, body)) = rule.split_once('{') else {
                continue;
            };
            let p = paint(body);
            if !p.is_empty() {
                self.add_paint(selectors, p);
            }
            if !hides(body) {
                continue;
            }
            for sel in selectors.split(',') {
                let sel = sel.trim();
                if sel.is_empty()
                    || sel.contains(|c: char| c.is_whitespace() || ">+~[:".contains(c))
                {
                    continue;
                }
                if let Some(i) = sel.find('#') {
                    self.ids.insert(sel[i + 1..].to_string());
                } else if let Some(i) = sel.find('.') {
                    // `div.a.b` hides elements with both; taking each class
                    // alone over-approximates, which only marks more hidden.
                    for c in sel[i + 1..].split('.') {
                        self.classes.insert(c.to_string());
                    }
                }
            }
        }
    }

    /// Colours of simple selectors (as for hiding, plus bare tags for
    /// backgrounds). A background set by any other selector (`.nav li`,
    /// `.x:hover`) makes the background of every id and class it names
    /// unknown: text inside them is never judged by colour.
    fn add_paint(&mut self, selectors: &str, p: Paint) {
        for sel in selectors.split(',') {
            let sel = sel.trim();
            if sel.is_empty() {
                continue;
            }
            if sel.contains(|c: char| c.is_whitespace() || ">+~[:*".contains(c)) {
                if p.background.is_some() {
                    for name in sel.split(|c: char| c.is_whitespace() || ">+~[:*(),".contains(c)) {
                        let (map, key) = if let Some(i) = name.find('#') {
                            (&mut self.id_paint, &name[i + 1..])
                        } else if let Some(i) = name.find('.') {
                            (&mut self.class_paint, &name[i + 1..])
                        } else {
                            continue;
                        };
                        for key in key.split(['.', '#']).filter(|k| !k.is_empty()) {
                            let entry = map.entry(key.to_string()).or_default();
                            entry.background = Some(Set::Unknown);
                        }
                    }
                }
                continue;
            }
            let (map, keys, p): (&mut HashMap<String, Paint>, Vec<String>, Paint) =
                if let Some(i) = sel.find('#') {
                    let id = sel[i + 1..].split('.').next().unwrap_or_default();
                    (&mut self.id_paint, vec![id.to_string()], p)
                } else if let Some(i) = sel.find('.') {
                    let classes = sel[i + 1..].split('.').map(str::to_string).collect();
                    (&mut self.class_paint, classes, p)
                } else {
                    if p.background.is_none() {
                        continue;
                    }
                    let background_only = Paint {
                        color: None,
                        background: p.background,
                    };
                    let tag = vec![sel.to_ascii_lowercase()];
                    (&mut self.tag_paint, tag, background_only)
                };
            for key in keys.into_iter().filter(|k| !k.is_empty()) {
                let entry = map.entry(key).or_default();
                // A background made unknown by another rule stays unknown.
                let keep_unknown = entry.background == Some(Set::Unknown);
                *entry = p.or(*entry);
                if keep_unknown {
                    entry.background = Some(Set::Unknown);
                }
            }
        }
    }

    /// Another fragment's selectors added to these.
    pub fn merge(&mut self, other: HiddenSelectors) {
        self.ids.extend(other.ids);
        self.classes.extend(other.classes);
        for (mine, theirs) in [
            (&mut self.id_paint, other.id_paint),
            (&mut self.class_paint, other.class_paint),
            (&mut self.tag_paint, other.tag_paint),
        ] {
            for (k, p) in theirs {
                let entry = mine.entry(k).or_default();
                *entry = p.or(*entry);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
            && self.classes.is_empty()
            && self.id_paint.is_empty()
            && self.class_paint.is_empty()
            && self.tag_paint.is_empty()
    }

    /// Colours given to an element by `<style>` rules: its id's, then its
    /// classes' (the first class that sets a property wins), then its tag's
    /// background.
    pub fn paint_of(&self, tag: &str, id: Option<&str>, class: Option<&str>) -> Paint {
        let mut p = Paint::default();
        if let Some(id_paint) = id.and_then(|id| self.id_paint.get(id.trim())) {
            p = p.or(*id_paint);
        }
        if let Some(class) = class {
            for c in class.split_whitespace() {
                if let Some(cp) = self.class_paint.get(c) {
                    p = p.or(*cp);
                }
            }
        }
        if let Some(tp) = self.tag_paint.get(tag) {
            p = p.or(*tp);
        }
        p
    }
}

fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = match rest[i + 2..].find("*/") {
            Some(j) => &rest[i + 2 + j + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_hiding_techniques() {
        for s in [
            "display:none",
            "DISPLAY: NONE !important",
            "visibility:hidden",
            "opacity:0",
            "font-size:0px",
            "height:1px;overflow:hidden",
            "width:0;height:0;overflow:hidden",
            "position:absolute;top:-999px;left:-999px",
            "position:fixed;left:-9999em",
            "text-indent:-9999px",
        ] {
            assert!(hides(s), "{s}");
        }
        for s in [
            "display:block",
            "height:1px",
            "position:absolute;top:10px",
            "opacity:0.9",
            "font-size:14px",
        ] {
            assert!(!hides(s), "{s}");
        }
    }

    #[test]
    fn style_rules_on_ids_and_classes_even_after_the_element() {
        let html = "<div id=a1>x</div><style>/* c */ #a1{display:none} .lnk, p.b {height:0;overflow:hidden} .menu a{display:none} .ok{color:red}</style>";
        let h = HiddenSelectors::scan(html);
        assert!(h.ids.contains("a1"));
        assert!(h.classes.contains("lnk") && h.classes.contains("b"));
        assert!(!h.classes.contains("menu") && !h.classes.contains("ok"));
        let js = HiddenSelectors::scan(
            "<script>document.getElementById('spam').style.display='none';</script>",
        );
        assert!(js.ids.contains("spam"));
    }

    #[test]
    fn colours_however_written() {
        let white = Some(Rgba::WHITE);
        for v in [
            "#fff",
            "#FFFFFF",
            "#ffffffff",
            "white",
            "WHITE",
            "rgb(255,255,255)",
            "rgb(255 255 255)",
            "rgba(255, 255, 255, 1)",
            "rgb(100%, 100%, 100%)",
        ] {
            assert_eq!(colour(v), white, "{v}");
        }
        assert_eq!(colour("transparent").map(|c| c.a), Some(0.0));
        assert_eq!(colour("rgba(0,0,0,0)").map(|c| c.a), Some(0.0));
        assert_eq!(colour("rgb(0 0 0 / 50%)").map(|c| c.a), Some(0.5));
        assert_eq!(colour("navy"), Some(Rgba::opaque(0, 0, 128)));
        assert_eq!(attr_colour("ffffff"), white);
        for v in [
            "hsl(0, 0%, 100%)",
            "currentColor",
            "var(--x)",
            "#ggg",
            "rgb(1,2)",
        ] {
            assert_eq!(colour(v), None, "{v}");
        }
        assert!(invisible(Rgba::opaque(250, 250, 250), Rgba::WHITE));
        assert!(!invisible(Rgba::opaque(238, 238, 238), Rgba::WHITE));
    }

    #[test]
    fn paint_of_declarations() {
        let c = |v| Some(Set::Colour(colour(v).unwrap()));
        assert_eq!(
            paint("color:#fff; background:#000"),
            Paint {
                color: c("#fff"),
                background: c("#000")
            }
        );
        assert_eq!(paint("background: none").background, c("transparent"));
        assert_eq!(paint("background: no-repeat").background, c("transparent"));
        assert_eq!(
            paint("background: rgb(45, 102, 165) top left").background,
            c("rgb(45,102,165)")
        );
        for d in [
            "background:#fff url(x.png)",
            "background-color:#fff;background-image:linear-gradient(red,blue)",
            "background:var(--bg)",
            "background-color:hsl(0,0%,100%)",
        ] {
            assert_eq!(paint(d).background, Some(Set::Unknown), "{d}");
        }
        assert_eq!(paint("color:inherit").color, None);
        assert_eq!(paint("font-size:12px"), Paint::default());
    }

    #[test]
    fn style_rules_give_colours_to_ids_classes_and_tag_backgrounds() {
        let h = HiddenSelectors::scan(
            "<style>.w, p.x.y{color:#fff} #box{background-color:#000} div#b2.k{color:#000} BODY{background:#003;color:#fff} \
             .nav li{background:#c00} a{color:#fff} .t:hover{color:red}</style>",
        );
        let white = Some(Set::Colour(Rgba::WHITE));
        assert_eq!(h.class_paint["w"].color, white);
        assert_eq!(h.class_paint["x"].color, white);
        assert_eq!(h.class_paint["y"].color, white);
        assert_eq!(
            h.id_paint["box"].background,
            Some(Set::Colour(Rgba::opaque(0, 0, 0)))
        );
        assert_eq!(
            h.tag_paint["body"],
            Paint {
                color: None,
                background: Some(Set::Colour(Rgba::opaque(0, 0, 0x33)))
            },
            "tags give backgrounds only"
        );
        assert_eq!(h.class_paint["nav"].background, Some(Set::Unknown));
        assert!(
            h.id_paint.contains_key("b2"),
            "`#id.class` is read as `#id`"
        );
        assert!(!h.tag_paint.contains_key("a") && !h.class_paint.contains_key("t"));
        let p = h.paint_of("p", Some("box"), Some("q w"));
        assert_eq!(
            (p.color, p.background),
            (white, h.id_paint["box"].background)
        );
    }
}
