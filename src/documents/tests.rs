//! Every document here is made by the test itself (the generators are
//! in [`super::testgen`], shared with the analyse tests and the bench), except
//! one `.xls` made with xlwt (fixtures/documents/make_xls.py).

use super::*;

use super::testgen::*;

fn s(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn xlsx_hint() -> Hint<'static> {
    Hint::new(Some("application/octet-stream"), "/download.jsp")
}

fn at<'d>(doc: &'d Document, location: &str) -> &'d Block {
    doc.blocks
        .iter()
        .find(|b| b.location == location)
        .unwrap_or_else(|| panic!("no block at {location}: {:?}", doc.blocks))
}

/// A 公示 list: merged title row, header row, IDs, mobiles typed as numbers.
fn gongshi() -> (Vec<u8>, Vec<String>) {
    let ids = vec![
        cn_id("51010719800812345"),
        cn_id("11010519491231002"),
        cn_id("32010219900307123"),
    ];
    let rows = s(&[
        &["2024年低保公示名单"],
        &["序号", "姓名", "身份证号码", "联系电话", "保障金额(元)"],
        &["1", "张三", &ids[0], "13800138000", "650"],
        &["2", "李四", &ids[1], "13912345678", "650"],
        &["3", "王五", &ids[2], "15012345678", "420"],
    ]);
    (xlsx(&[("名单", rows)], true), ids)
}

#[test]
fn an_xlsx_list_gives_cells_with_their_column_header() {
    let (bytes, ids) = gongshi();
    assert_eq!(sniff(&bytes, xlsx_hint()), Some(Format::Xlsx));
    let doc = read(&bytes, xlsx_hint(), &Limits::default()).unwrap();
    assert_eq!(doc.format, Format::Xlsx);
    assert_eq!(doc.cut, None);
    let title = at(&doc, "名单!A1");
    assert_eq!(title.text, "2024年低保公示名单");
    assert_eq!(title.context, None, "the title row is not the header");
    assert_eq!(
        at(&doc, "名单!C2").context,
        None,
        "a header cell has no header"
    );
    let id = at(&doc, "名单!C3");
    assert_eq!(id.text, ids[0]);
    assert_eq!(id.context.as_deref(), Some("身份证号码"));
    let mobile = at(&doc, "名单!D5");
    assert_eq!(mobile.text, "15012345678", "a number cell without .0");
    assert_eq!(mobile.context.as_deref(), Some("联系电话"));
    assert_eq!(doc.blocks.len(), 1 + 5 + 15);
}

#[test]
fn the_header_row_is_found_under_a_title_and_a_form_line() {
    let rows = s(&[
        &["", "某街道2024年临时救助名单"],
        &["填报单位：某街道办事处", "", "", "日期：2024-03-01"],
        &[],
        &["姓名", "性别", "手机号码", "住址", "备注"],
        &["张三", "男", "13800138000", "一组", ""],
        &["李四", "女", "13912345678", "二组", ""],
    ]);
    let doc = read(
        &xlsx(&[("Sheet1", rows)], false),
        xlsx_hint(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(at(&doc, "Sheet1!C6").context.as_deref(), Some("手机号码"));
    assert_eq!(at(&doc, "Sheet1!D2").context, None);
    // A sheet with numbers only has no header: no context.
    let rows = s(&[&["1", "2"], &["3", "4"]]);
    let doc = read(
        &xlsx(&[("数", rows)], false),
        xlsx_hint(),
        &Limits::default(),
    )
    .unwrap();
    assert!(doc.blocks.iter().all(|b| b.context.is_none()));
}

#[test]
fn every_sheet_is_read_and_the_cell_limit_cuts() {
    let a = s(&[&["姓名", "电话"], &["张三", "13800138000"]]);
    let b = s(&[&["姓名", "电话"], &["李四", "13912345678"]]);
    let bytes = xlsx(&[("一", a), ("二", b)], false);
    let doc = read(&bytes, xlsx_hint(), &Limits::default()).unwrap();
    assert_eq!(at(&doc, "二!B2").text, "13912345678");
    let limits = Limits {
        max_cells: 3,
        ..Limits::default()
    };
    let doc = read(&bytes, xlsx_hint(), &limits).unwrap();
    assert_eq!(doc.blocks.len(), 3);
    assert!(doc.cut.as_deref().unwrap().contains("more than 3 cells"));
}

#[test]
fn an_xls_made_by_xlwt_is_read() {
    let bytes = std::fs::read("fixtures/documents/list.xls").unwrap();
    assert_eq!(sniff(&bytes, xlsx_hint()), Some(Format::Xls));
    let doc = read(&bytes, xlsx_hint(), &Limits::default()).unwrap();
    assert_eq!(doc.format, Format::Xls);
    assert_eq!(at(&doc, "名单!A1").text, "2024年低保公示名单");
    let id = at(&doc, "名单!C3");
    assert_eq!(id.text, "510107198008123459");
    assert_eq!(id.context.as_deref(), Some("身份证号码"));
    assert_eq!(at(&doc, "名单!D5").text, "15012345678");
    // The same bytes named .et are a WPS spreadsheet, read alike.
    let doc = read(&bytes, Hint::new(None, "/a/b.et"), &Limits::default()).unwrap();
    assert_eq!(doc.format, Format::Et);
}

#[test]
fn an_xls_spanning_the_whole_sheet_is_refused_before_it_is_expanded() {
    // Two cells, at A1 and IV65536, in 5 KB: 16.7 million cells dense.
    let bytes = std::fs::read("fixtures/documents/sparse.xls").unwrap();
    assert!(bytes.len() < 16 * 1024);
    let err = read(&bytes, xlsx_hint(), &Limits::default()).unwrap_err();
    assert!(
        err.cause.contains("65536 rows × 256 columns"),
        "{}",
        err.cause
    );
}

#[test]
fn an_ods_is_read_like_an_xlsx() {
    let bytes = ods(
        "名单",
        &[&["姓名", "身份证号码"], &["张三", "510107198008123459"]],
    );
    assert_eq!(sniff(&bytes, Hint::new(None, "/f?id=3")), Some(Format::Ods));
    let doc = read(&bytes, Hint::default(), &Limits::default()).unwrap();
    let id = at(&doc, "名单!B2");
    assert_eq!(id.text, "510107198008123459");
    assert_eq!(id.context.as_deref(), Some("身份证号码"));
}

#[test]
fn a_docx_gives_paragraphs_and_table_cells() {
    let body = format!(
        "{}{}{}",
        w_p("关于2024年助学金发放的公示"),
        w_table(&[&["姓名", "手机号码"], &["张三", "13800138000"]]),
        w_p("专业办证 诚信为本 代办毕业证 电话 13800000000"),
    );
    let bytes = docx(&body);
    assert_eq!(
        sniff(&bytes, Hint::new(Some("application/msword"), "/x.doc")),
        Some(Format::Docx)
    );
    let doc = read(&bytes, Hint::default(), &Limits::default()).unwrap();
    assert_eq!(at(&doc, "段落 1").text, "关于2024年助学金发放的公示");
    assert_eq!(
        at(&doc, "段落 2").text,
        "专业办证 诚信为本 代办毕业证 电话 13800000000"
    );
    let cell = at(&doc, "表格 1 行 2 列 2");
    assert_eq!(cell.text, "13800138000");
    assert_eq!(cell.context.as_deref(), Some("手机号码"));
    assert_eq!(at(&doc, "表格 1 行 1 列 2").context, None);
}

#[test]
fn word_tables_nested_too_deep_are_cut() {
    let mut t = w_table(&[&["最里面"]]);
    for _ in 0..5 {
        t = format!("<w:tbl><w:tr><w:tc>{t}</w:tc></w:tr></w:tbl>");
    }
    let limits = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    let doc = read(&docx(&t), Hint::default(), &limits).unwrap();
    assert!(doc.cut.as_deref().unwrap().contains("nested deeper than 3"));
    assert!(doc.blocks.iter().all(|b| b.text != "最里面"));
}

#[test]
fn an_odt_uses_its_marked_header_row() {
    let bytes = odt(
        &["公示", "第二段"],
        &["姓名", "联系电话"],
        &[&["张三", "13800138000"]],
    );
    assert_eq!(sniff(&bytes, Hint::default()), Some(Format::Odt));
    let doc = read(&bytes, Hint::default(), &Limits::default()).unwrap();
    assert_eq!(at(&doc, "段落 2").text, "第二段");
    let cell = at(&doc, "表格 1 行 2 列 2");
    assert_eq!(cell.text, "13800138000");
    assert_eq!(cell.context.as_deref(), Some("联系电话"));
}

fn table_pdf() -> Vec<u8> {
    // A table drawn column by column, as some producers do: the names
    // first, then the mobiles; a heading above.
    let names = ["张三", "李四", "王五"];
    let mobiles = ["13800138000", "13912345678", "15012345678"];
    let mut runs = vec![(200.0, 800.0, "联系电话公示".to_string())];
    runs.push((72.0, 760.0, "姓名".to_string()));
    runs.push((200.0, 760.0, "手机号码".to_string()));
    for (i, n) in names.iter().enumerate() {
        runs.push((72.0, 740.0 - 20.0 * i as f64, n.to_string()));
    }
    for (i, m) in mobiles.iter().enumerate() {
        // Baselines a hair off, as in real files.
        runs.push((200.0, 740.3 - 20.0 * i as f64, m.to_string()));
    }
    pdf(&[runs.clone(), vec![(72.0, 800.0, "第二页".to_string())]])
}

#[test]
fn a_pdf_table_row_stays_on_one_line() {
    let bytes = table_pdf();
    assert_eq!(
        sniff(
            &bytes,
            Hint::new(Some("application/octet-stream"), "/download.jsp")
        ),
        Some(Format::Pdf)
    );
    let doc = read(&bytes, Hint::default(), &Limits::default()).unwrap();
    let lines: Vec<(&str, &str)> = doc
        .blocks
        .iter()
        .map(|b| (b.location.as_str(), b.text.as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("第1页", "联系电话公示"),
            ("第1页", "姓名 手机号码"),
            ("第1页", "张三 13800138000"),
            ("第1页", "李四 13912345678"),
            ("第1页", "王五 15012345678"),
            ("第2页", "第二页"),
        ]
    );
    let limits = Limits {
        max_pages: 1,
        ..Limits::default()
    };
    let doc = read(&bytes, Hint::default(), &limits).unwrap();
    assert!(doc.blocks.iter().all(|b| b.location == "第1页"));
    assert!(doc.cut.as_deref().unwrap().contains("2 pages, more than 1"));
}

#[test]
fn a_pdf_deflate_bomb_is_refused() {
    let zeros = deflate(&vec![0u8; 3 << 20]);
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        stream("/Filter /FlateDecode", &zeros),
    ];
    let bytes = pdf_objects(&objects, "");
    assert!(bytes.len() < 64 * 1024);
    let limits = Limits::with_max_mb(2);
    let err = read(&bytes, Hint::default(), &limits).unwrap_err();
    assert_eq!(err.cause, "over the 2 MiB cap after decompression");
    assert_eq!(err.format, Some(Format::Pdf));
}

#[test]
fn a_pdf_form_that_draws_itself_is_refused() {
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /X1 5 0 R >> >> /Contents 4 0 R >>".to_vec(),
        stream("", b"/X1 Do"),
        stream("/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X1 5 0 R >> >>", b"/X1 Do"),
    ];
    let err = read(
        &pdf_objects(&objects, ""),
        Hint::default(),
        &Limits::default(),
    )
    .unwrap_err();
    assert!(err.cause.contains("draws itself"), "{err}");
}

#[test]
fn an_encrypted_pdf_is_unreadable() {
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        stream("", b"\x8a\x11\x93\xfe\x02"),
    ];
    let o = "A".repeat(64);
    let u = "B".repeat(64);
    objects
        .push(format!("<< /Filter /Standard /V 1 /R 2 /O <{o}> /U <{u}> /P -44 >>").into_bytes());
    let bytes = pdf_objects(
        &objects,
        "/Encrypt 5 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>]",
    );
    let err = read(&bytes, Hint::default(), &Limits::default()).unwrap_err();
    assert_eq!(err.cause, "encrypted PDF (a password is needed to open it)");
}

#[test]
fn corrupt_documents_are_unreadable_with_a_cause() {
    let pdf = table_pdf();
    let err = read(&pdf[..200], Hint::default(), &Limits::default()).unwrap_err();
    assert!(err.cause.starts_with("corrupt pdf"), "{err}");
    let err = read(b"%PDF-1.4 garbage", Hint::default(), &Limits::default()).unwrap_err();
    assert!(err.cause.starts_with("corrupt pdf"), "{err}");
    // A zip that says xlsx whose workbook is not XML.
    let types = br#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#;
    let bytes = zip(&[
        ("[Content_Types].xml", types.as_slice()),
        ("xl/workbook.xml", b"\x00\x01 not xml <<<".as_slice()),
    ]);
    assert_eq!(sniff(&bytes, Hint::default()), Some(Format::Xlsx));
    let err = read(&bytes, Hint::default(), &Limits::default()).unwrap_err();
    assert!(err.cause.starts_with("corrupt xlsx"), "{err}");
    // Named .xlsx, served as a spreadsheet, but an HTML error page: not a
    // document (a page); served as octet-stream, a corrupt xlsx.
    let html = b"<html><body>404</body></html>";
    assert_eq!(sniff(html, Hint::new(Some("text/html"), "/a.xlsx")), None);
    let err = read(
        html,
        Hint::new(Some("application/octet-stream"), "/a.xlsx"),
        &Limits::default(),
    )
    .unwrap_err();
    assert!(err.cause.starts_with("corrupt xlsx"), "{err}");
    // A cut docx (the body cap) is corrupt, not a panic.
    let docx = docx(&w_p("正文"));
    let err = read(
        &docx[..docx.len() / 2],
        Hint::new(None, "a.docx"),
        &Limits::default(),
    )
    .unwrap_err();
    assert!(err.cause.starts_with("corrupt docx"), "{err}");
}

/// An OLE2 file whose directory holds the given stream names.
fn ole2(names: &[&str]) -> Vec<u8> {
    let mut b = vec![0u8; 512 * 3];
    b[..8].copy_from_slice(&ole::MAGIC);
    b[30] = 9;
    for (i, name) in ["Root Entry"].iter().chain(names).enumerate() {
        let at = 512 + 128 * i;
        let units: Vec<u16> = name.encode_utf16().collect();
        for (k, u) in units.iter().enumerate() {
            b[at + 2 * k..at + 2 * k + 2].copy_from_slice(&u.to_le_bytes());
        }
        let len = (units.len() as u16 + 1) * 2;
        b[at + 64..at + 66].copy_from_slice(&len.to_le_bytes());
        b[at + 66] = if i == 0 { 5 } else { 2 };
    }
    b
}

#[test]
fn encrypted_office_files_and_doc_are_unreadable_never_silent() {
    let enc = ole2(&["EncryptionInfo", "EncryptedPackage"]);
    assert_eq!(
        sniff(&enc, Hint::new(None, "/名单.xlsx")),
        Some(Format::Xlsx)
    );
    let err = read(&enc, Hint::new(None, "/名单.xlsx"), &Limits::default()).unwrap_err();
    assert_eq!(err.cause, "encrypted Office document (password-protected)");
    let err = read(&enc, Hint::new(None, "/download.jsp"), &Limits::default()).unwrap_err();
    assert!(err.cause.starts_with("encrypted"));
    let doc = ole2(&["WordDocument", "1Table"]);
    assert_eq!(sniff(&doc, Hint::default()), Some(Format::Doc));
    let err = read(&doc, Hint::default(), &Limits::default()).unwrap_err();
    assert_eq!(err.cause, "format not read: .doc");
    let err = read(&doc, Hint::new(None, "/x.wps"), &Limits::default()).unwrap_err();
    assert_eq!(err.cause, "format not read: .wps");
}

#[test]
fn a_zip_bomb_is_refused_before_any_reader_sees_it() {
    let (list, _) = gongshi();
    // The list plus an entry of zeros that inflates past a 1 MiB cap.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(list.as_slice())).unwrap();
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut data).unwrap();
        entries.push((f.name().unwrap().to_string(), data));
    }
    let zeros = vec![0u8; 4 << 20];
    entries.push(("xl/media/image1.bin".into(), zeros));
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let bomb = zip(&refs);
    assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
    let limits = Limits::with_max_mb(1);
    let err = read(&bomb, Hint::default(), &limits).unwrap_err();
    assert_eq!(err.cause, "over the 1 MiB cap after decompression");
    // The declared size is not trusted: a lie in the central directory
    // is caught while inflating.
    let mut lying = bomb.clone();
    let name = b"xl/media/image1.bin";
    let cd = lying
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x01\x02")
        .map(|(i, _)| i)
        .find(|&i| lying[i + 46..].starts_with(name))
        .unwrap();
    lying[cd + 24..cd + 28].copy_from_slice(&10u32.to_le_bytes());
    let err = read(&lying, Hint::default(), &limits).unwrap_err();
    assert!(
        err.cause == "over the 1 MiB cap after decompression" || err.cause.starts_with("corrupt"),
        "{err}"
    );
    // Same for a docx.
    let body = docx(&w_p("x"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body.as_slice())).unwrap();
    let mut doc_xml = Vec::new();
    std::io::Read::read_to_end(
        &mut archive.by_name("word/document.xml").unwrap(),
        &mut doc_xml,
    )
    .unwrap();
    let big = format!(
        "{}{}</w:body></w:document>",
        String::from_utf8_lossy(&doc_xml).replace("</w:body></w:document>", ""),
        "<w:p/>".repeat(300_000)
    );
    let bomb = zip(&[
        ("[Content_Types].xml", b"<Types/>".as_slice()),
        ("word/document.xml", big.as_bytes()),
    ]);
    let err = read(&bomb, Hint::default(), &limits).unwrap_err();
    assert_eq!(err.cause, "over the 1 MiB cap after decompression");
}

#[test]
fn an_oversize_document_is_unreadable() {
    let (list, _) = gongshi();
    let limits = Limits {
        max_bytes: 1000,
        ..Limits::default()
    };
    let err = read(&list, Hint::default(), &limits).unwrap_err();
    assert!(
        err.cause.starts_with("over the 0.0 MiB cap") || err.cause.contains("cap"),
        "{err}"
    );
    assert_eq!(err.format, Some(Format::Xlsx));
}

#[test]
fn a_gbk_csv_is_decoded_and_its_header_is_context() {
    let bytes =
        gbk("2024年名单\r\n姓名,手机号码,备注\r\n张三,13800138000,一组\r\n李四,13912345678,\r\n");
    assert!(std::str::from_utf8(&bytes).is_err());
    let hint = Hint::new(Some("text/csv"), "/export.do");
    assert_eq!(sniff(&bytes, hint), Some(Format::Csv));
    let doc = read(&bytes, hint, &Limits::default()).unwrap();
    let cell = at(&doc, "B4");
    assert_eq!(cell.text, "13912345678");
    assert_eq!(cell.context.as_deref(), Some("手机号码"));
    assert_eq!(at(&doc, "A3").text, "张三");
    assert_eq!(
        at(&doc, "A1").context,
        None,
        "a title line above the header"
    );
    // text/plain named .csv is a CSV; a .txt is lines.
    assert_eq!(
        sniff(&bytes, Hint::new(Some("text/plain"), "/a.csv")),
        Some(Format::Csv)
    );
    let doc = read(
        &gbk("第一行\n\n第三行 13800138000"),
        Hint::new(None, "/a.txt"),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(at(&doc, "行 3").text, "第三行 13800138000");
}

#[test]
fn sniffing_trusts_bytes_then_type_then_name() {
    let pdf = table_pdf();
    // Bytes beat a wrong name and type.
    assert_eq!(
        sniff(&pdf, Hint::new(Some("text/html"), "/a.xlsx")),
        Some(Format::Pdf)
    );
    // HTML is not a document, whatever its name.
    assert_eq!(
        sniff(b"<html></html>", Hint::new(None, "/a.txt")),
        Some(Format::Txt)
    );
    assert_eq!(
        sniff(b"<html></html>", Hint::new(Some("text/html"), "/a.txt")),
        None
    );
    assert_eq!(
        sniff(b"plain", Hint::new(Some("text/plain; charset=gbk"), "/x")),
        Some(Format::Txt)
    );
    assert_eq!(
        sniff(
            b"\x89PNG\r\n\x1a\n\0\0",
            Hint::new(Some("image/png"), "/a.png")
        ),
        None
    );
    assert_eq!(sniff(b"\0\0\0binary", Hint::new(None, "/a.txt")), None);
    assert_eq!(sniff(b"x", Hint::new(None, "/a.js")), None);
    assert_eq!(cell_ref(0, 0), "A1");
    assert_eq!(cell_ref(6, 2), "C7");
    assert_eq!(cell_ref(9, 27), "AB10");
}

#[test]
fn a_masked_list_reads_as_its_masks() {
    let rows = s(&[
        &["姓名", "身份证号码", "手机号码"],
        &["张*", "110101********1234", "138****1234"],
    ]);
    let doc = read(
        &xlsx(&[("名单", rows)], false),
        xlsx_hint(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(at(&doc, "名单!B2").text, "110101********1234");
}

#[test]
fn garbage_never_panics() {
    let (list, _) = gongshi();
    let docx = docx(&w_table(&[&["a", "b"], &["c", "d"]]));
    let pdf = table_pdf();
    let odt = odt(&["p"], &["h"], &[&["c"]]);
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for base in [&list, &docx, &pdf, &odt] {
        for _ in 0..60 {
            let mut b = base.clone();
            for _ in 0..1 + next() % 8 {
                let i = (next() as usize) % b.len();
                b[i] = next() as u8;
            }
            let cut = (next() as usize) % (b.len() + 1);
            let _ = read(&b, Hint::default(), &Limits::default());
            let _ = read(&b[..cut], Hint::default(), &Limits::default());
        }
    }
}

#[test]
fn an_ods_whose_repeats_would_expand_past_the_limit_is_refused() {
    let ns = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0""#;
    let sheet = |rows: &str| {
        let content = format!(
            r#"<office:document-content {ns}><office:body><office:spreadsheet><table:table table:name="S">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
        );
        zip(&[
            ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet".as_slice()),
            ("content.xml", content.as_bytes()),
            ("META-INF/manifest.xml", br#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>"#.as_slice()),
        ])
    };
    let bomb = sheet(
        r#"<table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="1000" office:value-type="float" office:value="1"/></table:table-row>"#,
    );
    let err = read(&bomb, Hint::default(), &Limits::default()).unwrap_err();
    assert!(err.cause.contains("expand to more than"), "{err}");
    // LibreOffice's trailing empty repeats cost nothing.
    let normal = sheet(
        r#"<table:table-row><table:table-cell office:value-type="string"><text:p>姓名</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16383"/></table:table-row><table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#,
    );
    let doc = read(&normal, Hint::default(), &Limits::default()).unwrap();
    assert_eq!(doc.blocks.len(), 1);
}
