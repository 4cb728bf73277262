//! Linked documents and images in a scan, on 127.0.0.1: a 公示 list with
//! full ID numbers in a spreadsheet, mobiles in a PDF behind
//! `download.jsp?id=…`, a fraud ad in a Word file, a masked list that must
//! stay clean; an encrypted PDF, a zip bomb and an oversize file said to
//! be unreadable; a missing document and a missing image as `link.broken`
//! with their kind.

use crate::support::server::{Reply, Request, Server};
use sitesweep::documents::testgen;
use sitesweep::findings::Finding;
use sitesweep::register::Register;
use sitesweep::rules::{Packs, RuleSet};
use sitesweep::scan::{self, ScanOptions, ScanResult};
use std::collections::HashMap;
use std::sync::Arc;

fn rows(table: &[&[&str]]) -> Vec<Vec<String>> {
    table
        .iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn reply(content_type: &str, body: Vec<u8>) -> Reply {
    Reply::with_type(200, content_type, body)
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn site() -> Server {
    let ids = [
        testgen::cn_id("51010719800812345"),
        testgen::cn_id("11010519491231002"),
    ];
    let list = testgen::xlsx(
        &[(
            "名单",
            rows(&[
                &["2024年低保公示名单"],
                &["序号", "姓名", "身份证号码", "联系电话"],
                &["1", "张三", &ids[0], "13800138000"],
                &["2", "李四", &ids[1], "13912345678"],
            ]),
        )],
        true,
    );
    let masked = testgen::xlsx(
        &[(
            "名单",
            rows(&[
                &["序号", "姓名", "身份证号码", "联系电话"],
                &["1", "张*", "5101**********1234", "138****8000"],
                &["2", "李*", "1101**********0021", "139****5678"],
            ]),
        )],
        false,
    );
    let mut runs = Vec::new();
    for (i, (name, mobile)) in [
        ("王五", "13800138000"),
        ("赵六", "13912345678"),
        ("钱七", "15012345678"),
    ]
    .iter()
    .enumerate()
    {
        runs.push((72.0, 700.0 - 20.0 * i as f64, name.to_string()));
        runs.push((200.0, 700.0 - 20.0 * i as f64, mobile.to_string()));
    }
    let pdf = testgen::pdf(&[runs]);
    let ad = testgen::docx(&testgen::w_p("专业办证 诚信为本 代办毕业证 联系QQ 123456"));
    // An xlsx that inflates far past the 1 MiB cap this site sets.
    let bomb = testgen::zip(&[
        ("[Content_Types].xml", b"<Types/>".as_slice()),
        ("xl/workbook.xml", b"<workbook/>".as_slice()),
        ("xl/media/zeros.bin", vec![0u8; 8 << 20].as_slice()),
    ]);
    // A real PDF body over the download cap.
    let mut big = testgen::pdf(&[vec![(72.0, 700.0, "大文件".to_string())]]);
    big.extend(std::iter::repeat_n(b' ', 2 << 20));
    let page = "<html><head><meta charset=utf-8><title>公示</title>\
        <link rel=alternate type=application/pdf href=/files/gone-linked.pdf></head><body>\
        <p>低保公示</p><img src=/img/logo.png><img src=/img/gone.png srcset=\"/img/gone-2x.png 2x\">\
        <a href=/gs/list.xlsx>名单</a><a href=\"/download.jsp?id=2\">附件</a>\
        <a href=/files/ad.docx>说明</a><a href=/files/masked.xlsx>已脱敏名单</a>\
        <a href=/files/bomb.xlsx>表格</a><a href=/files/big.pdf>大文件</a>\
        <a href=/files/missing.pdf>缺失</a></body></html>";
    let mut routes: HashMap<String, Reply> = HashMap::new();
    routes.insert("/".into(), Reply::html(page));
    routes.insert(
        "/img/logo.png".into(),
        reply("image/png", vec![0x89, b'P', b'N', b'G', 0, 0, 0, 0]),
    );
    routes.insert("/gs/list.xlsx".into(), reply(XLSX, list));
    routes.insert("/files/masked.xlsx".into(), reply(XLSX, masked));
    routes.insert(
        "/download.jsp?id=2".into(),
        Reply::Full {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/octet-stream".into()),
                (
                    "Content-Disposition".into(),
                    "attachment; filename=\"mobiles.pdf\"".into(),
                ),
            ],
            body: pdf,
        },
    );
    routes.insert(
        "/files/ad.docx".into(),
        reply(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ad,
        ),
    );
    routes.insert("/files/bomb.xlsx".into(), reply(XLSX, bomb));
    routes.insert("/files/big.pdf".into(), reply("application/pdf", big));
    Server::start(Arc::new(move |req: &Request| {
        routes
            .get(&req.target)
            .cloned()
            .unwrap_or_else(|| Reply::status(404))
    }))
    .unwrap()
}

fn scan(server: &Server, extra: &str) -> ScanResult {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sites.toml");
    std::fs::write(
        &path,
        format!(
            "[[site]]\nid = \"mz\"\nname = \"民政局\"\nurl = \"{}\"\noperator = \"民政局办公室\"\nallow_private = true\nprobes = []\ncheck_outbound = false\nmax_attachment_mb = 1\n{extra}\n",
            server.url("/")
        ),
    )
    .unwrap();
    let reg = Register::load(&path).unwrap();
    let rules = Arc::new(RuleSet::compile(Packs::builtin()).unwrap());
    scan::run(
        &reg,
        rules,
        ScanOptions {
            keep_records: true,
            ..ScanOptions::default()
        },
    )
    .unwrap()
}

fn at<'a>(r: &'a ScanResult, server: &Server, path: &str, rule: &str) -> Vec<&'a Finding> {
    r.findings
        .iter()
        .filter(|f| f.url == server.url(path) && f.rule == rule)
        .collect()
}

#[test]
fn documents_are_read_with_where_and_who_links_them_and_bad_ones_are_said() {
    let server = site();
    let r = scan(&server, "");
    let home = server.url("/");

    // Full ID numbers in the list, each with its cell and the linking page.
    let ids = at(&r, &server, "/gs/list.xlsx", "pii-cn-id");
    assert_eq!(ids.len(), 2, "{:#?}", r.findings);
    let mut cells: Vec<&str> = ids.iter().map(|f| f.location.as_deref().unwrap()).collect();
    cells.sort();
    assert_eq!(cells, ["名单!C3", "名单!C4"]);
    assert!(ids
        .iter()
        .all(|f| f.referrer.as_deref() == Some(home.as_str())));
    assert!(ids
        .iter()
        .all(|f| f.field.map(|x| x.name()) == Some("attachment")));

    // Mobiles in a PDF table behind a download URL, by its bytes.
    let mobiles = at(&r, &server, "/download.jsp?id=2", "pii-cn-mobile-list");
    assert_eq!(mobiles.len(), 3, "{:#?}", r.findings);
    assert!(mobiles
        .iter()
        .all(|f| f.location.as_deref() == Some("第1页")));

    // A fraud ad in a Word file.
    assert!(!at(&r, &server, "/files/ad.docx", "fraud-fake-certificates").is_empty());
    // The masked list is clean.
    assert!(r
        .findings
        .iter()
        .all(|f| f.url != server.url("/files/masked.xlsx")));

    // The zip bomb and the oversize file: unreadable, with the cause.
    let bomb = at(&r, &server, "/files/bomb.xlsx", "attachment.unreadable");
    assert_eq!(bomb.len(), 1, "{:#?}", r.findings);
    assert!(bomb[0].snippet.contains("cap"), "{}", bomb[0].snippet);
    assert_eq!(bomb[0].severity.name(), "info");
    let big = at(&r, &server, "/files/big.pdf", "attachment.unreadable");
    assert_eq!(big.len(), 1, "{:#?}", r.findings);
    assert_eq!(big[0].referrer.as_deref(), Some(home.as_str()));

    // A missing document and missing images: link.broken with their kind.
    for gone in ["/files/missing.pdf", "/files/gone-linked.pdf"] {
        let missing = at(&r, &server, gone, "link.broken");
        assert_eq!(missing.len(), 1, "{gone}: {:#?}", r.findings);
        assert_eq!(missing[0].kind.as_deref(), Some("document"));
    }
    for image in ["/img/gone.png", "/img/gone-2x.png"] {
        let broken = at(&r, &server, image, "link.broken");
        assert_eq!(broken.len(), 1, "{image}: {:#?}", r.findings);
        assert_eq!(broken[0].kind.as_deref(), Some("image"));
        assert_eq!(broken[0].referrer.as_deref(), Some(home.as_str()));
    }
    assert!(at(&r, &server, "/img/logo.png", "link.broken").is_empty());

    let s = &r.sites[0];
    assert_eq!(s.documents_read, 4, "{s:?}");
    assert_eq!(s.documents_unreadable, 2, "{s:?}");
    assert_eq!((s.images_checked, s.images_broken), (3, 2));
}

#[test]
fn attachments_off_leaves_documents_unread() {
    let server = site();
    let r = scan(&server, "attachments = false");
    assert!(r
        .findings
        .iter()
        .all(|f| f.field.map(|x| x.name()) != Some("attachment")));
    assert!(r.findings.iter().all(|f| f.rule != "attachment.unreadable"));
    assert_eq!(r.sites[0].documents_read, 0);
}

#[test]
fn image_checks_stop_when_images_get_no_answer_in_a_row() {
    let imgs: String = (0..12).map(|i| format!("<img src=/img/{i}.png>")).collect();
    let page = format!("<html><head><meta charset=utf-8><title>图片</title></head><body><p>相册</p>{imgs}</body></html>");
    let server = Server::start(Arc::new(move |req: &Request| {
        if req.path().starts_with("/img/") {
            Reply::Stall(std::time::Duration::from_secs(10))
        } else if req.path() == "/" {
            Reply::html(page.clone())
        } else {
            Reply::status(404)
        }
    }))
    .unwrap();
    let r = scan(&server, "timeout_s = 1");
    let s = &r.sites[0];
    assert!(s.images_checked < 12, "{s:?}");
    assert!(s.images_checked >= 5, "{s:?}");
    assert!(
        s.notes.iter().any(|n| n.contains("image checks stopped")),
        "{:?}",
        s.notes
    );
}
