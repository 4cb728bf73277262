//! Is this hidden from a visitor? Inline styles, `<style>` rules on `#id` and
//! `.class` selectors, and the script idiom `getElementById('x').style.display='none'`.
//! Hacked pages hide injected link blocks in exactly these ways
//! (docs/design-notes.md#hidden-content).

use regex::Regex;
use std::collections::HashSet;
use std::sync::OnceLock;

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

/// Does this declaration block hide its element?
pub fn hides(declarations: &str) -> bool {
    let mut overflow_hidden = false;
    let mut tiny_box = false;
    let mut positioned = false;
    let mut far_offset = false;
    for decl in declarations.split(';') {
        let Some((prop, value)) = decl.split_once(':') else {
            continue;
        };
        let prop = prop.trim().to_ascii_lowercase();
        let value = value
            .trim()
            .trim_end_matches("!important")
            .trim()
            .to_ascii_lowercase();
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

/// Ids and classes that a page's `<style>` rules (or scripts) hide.
#[derive(Debug, Default, Clone)]
pub struct HiddenSelectors {
    pub ids: HashSet<String>,
    pub classes: HashSet<String>,
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

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.classes.is_empty()
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
}
