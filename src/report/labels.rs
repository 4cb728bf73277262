//! Labels in the report language (Chinese by default, English with
//! `--lang en`).

use super::Lang;
use crate::findings::{Finding, SiteRule, Status};
use crate::severity::Severity;

/// Labels in the report language.
pub struct L {
    pub lang: Lang,
}

impl L {
    /// The `lang` attribute of an HTML report.
    pub fn html_lang(&self) -> &'static str {
        self.t("zh-CN", "en")
    }

    /// A finding's title: a pack rule's own title (the operator wrote it,
    /// in whatever language), a site-level rule's in the report language.
    pub fn rule_title<'f>(&self, f: &'f Finding) -> &'f str {
        match (self.lang, SiteRule::from_id(&f.rule)) {
            (Lang::En, Some(rule)) => rule.title_en(),
            _ => &f.title,
        }
    }

    pub fn t(&self, zh: &'static str, en: &'static str) -> &'static str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    pub fn severity(&self, s: Severity) -> &'static str {
        match (self.lang, s) {
            (Lang::Zh, Severity::Critical) => "严重",
            (Lang::Zh, Severity::High) => "高",
            (Lang::Zh, Severity::Medium) => "中",
            (Lang::Zh, Severity::Low) => "低",
            (Lang::Zh, Severity::Info) => "提示",
            (Lang::En, s) => s.name(),
        }
    }

    pub fn status(&self, s: &Status) -> &'static str {
        match (self.lang, s) {
            (Lang::Zh, Status::New) => "新发现",
            (Lang::Zh, Status::Persisting) => "仍存在",
            (Lang::En, s) => s.name(),
        }
    }

    pub fn field(&self, f: Option<crate::page::Field>) -> &'static str {
        use crate::page::Field::*;
        match (self.lang, f) {
            (_, None) => "-",
            (Lang::Zh, Some(Title)) => "标题",
            (Lang::Zh, Some(Meta)) => "元信息",
            (Lang::Zh, Some(Text)) => "正文",
            (Lang::Zh, Some(Anchor)) => "链接文字",
            (Lang::Zh, Some(Link)) => "链接地址",
            (Lang::Zh, Some(Script)) => "脚本",
            (Lang::Zh, Some(Url)) => "网址",
            (Lang::Zh, Some(Code)) => "脚本代码",
            (Lang::Zh, Some(Attachment)) => "附件",
            (Lang::En, Some(f)) => f.name(),
        }
    }

    /// Who saw a finding seen only by a second look.
    pub fn probe(&self, probe: &str) -> &'static str {
        match (self.lang, probe) {
            (Lang::Zh, "baiduspider") => "百度蜘蛛",
            (Lang::Zh, "search-referer") => "搜索引擎来访者",
            (Lang::Zh, "mobile") => "手机访问",
            (_, "baiduspider") => "Baiduspider",
            (_, "search-referer") => "visitor from a search engine",
            (_, "mobile") => "phone",
            _ => "",
        }
    }

    /// What a broken link points to (`link.broken`'s `kind`).
    pub fn link_kind(&self, kind: &str) -> &'static str {
        match (self.lang, kind) {
            (Lang::Zh, "image") => "图片",
            (Lang::Zh, "document") => "附件",
            (Lang::Zh, "page") => "页面",
            (_, "image") => "image",
            (_, "document") => "document",
            (_, "page") => "page",
            _ => "",
        }
    }
}
