//! `findings.csv`: UTF-8 with BOM for Excel, one finding a row, formula
//! cells neutralised.

use super::{
    crawl_state,
    labels::L,
    redact::{mask, neutralise, without_controls},
    SiteReport,
};
use crate::findings::Finding;
use std::fs::File;
use std::io::{BufWriter, Write};

/// `findings.csv`, one finding a row, written as the findings are read.
pub(super) struct CsvOut {
    pub(super) w: csv::Writer<BufWriter<File>>,
}

impl CsvOut {
    pub(super) fn create(file: File, l: &L) -> Result<CsvOut, String> {
        let mut out = BufWriter::new(file);
        out.write_all(b"\xEF\xBB\xBF").map_err(|e| e.to_string())?;
        let mut w = csv::Writer::from_writer(out);
        let header = [
            l.t("检查批次", "scan"),
            l.t("网站", "site"),
            l.t("网站名称", "site name"),
            l.t("责任单位", "operator"),
            l.t("级别", "severity"),
            l.t("问题", "issue"),
            l.t("规则", "rule"),
            l.t("类别", "category"),
            l.t("状态", "status"),
            l.t("网址", "url"),
            l.t("位置", "field"),
            l.t("文档内位置", "location"),
            l.t("死链类型", "link kind"),
            l.t("隐藏", "hidden"),
            l.t("命中内容", "matched"),
            l.t("上下文", "snippet"),
            l.t("次数", "count"),
            l.t("来源页", "referrer"),
            l.t("发现方式", "seen by"),
            l.t("首次发现", "first seen"),
            l.t("指纹", "fingerprint"),
            l.t("检查情况", "crawl"),
            l.t("整改情况", "remediation"),
        ];
        w.write_record(header).map_err(|e| e.to_string())?;
        Ok(CsvOut { w })
    }

    pub(super) fn row(&mut self, f: &Finding, site: &SiteReport, l: &L) -> Result<(), String> {
        let cells = [
            f.scan.clone(),
            f.site.clone(),
            site.summary.name.clone(),
            f.operator.clone(),
            l.severity(f.severity).to_string(),
            l.rule_title(f).to_string(),
            f.rule.clone(),
            f.category.clone(),
            l.status(&f.status).to_string(),
            mask(&f.url),
            l.field(f.field).to_string(),
            f.location.as_deref().map(mask).unwrap_or_default(),
            f.kind
                .as_deref()
                .map(|k| l.link_kind(k))
                .unwrap_or_default()
                .to_string(),
            if f.hidden {
                l.t("是", "yes").to_string()
            } else {
                String::new()
            },
            mask(&f.matched),
            mask(&f.snippet),
            f.count.to_string(),
            f.referrer.as_deref().map(mask).unwrap_or_default(),
            f.probe
                .as_deref()
                .map(|p| l.probe(p))
                .unwrap_or_default()
                .to_string(),
            f.first_seen.clone(),
            f.fingerprint.clone(),
            crawl_state(site, l).to_string(),
            String::new(),
        ];
        self.w
            .write_record(cells.iter().map(|c| neutralise(&without_controls(c))))
            .map_err(|e| e.to_string())
    }

    pub(super) fn finish(mut self) -> Result<(), String> {
        self.w.flush().map_err(|e| e.to_string())?;
        let out = self.w.into_inner().map_err(|e| e.to_string())?;
        out.into_inner()
            .map(drop)
            .map_err(|e| e.error().to_string())
    }
}
