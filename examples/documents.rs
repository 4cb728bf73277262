//! Document reading figures (docs/documents.md#figures):
//!
//! ```text
//! cargo run --release --example documents -- gen /tmp/docs
//! cargo run --release --example documents -- read /tmp/docs/list-50k.xlsx
//! ```
//!
//! `gen` writes realistic large files made by the crate's own generators:
//! a 50,000-row 公示 spreadsheet (xlsx), the same as GBK CSV, a 300-page
//! PDF of table rows, a 5,000-paragraph docx, and a small list of each.
//! `read FILE` reads one file repeatedly for at least a second and prints
//! documents/s, MB/s, the blocks read and the process's peak memory
//! (VmHWM), so run it once per file (benches/documents.sh does).

use sitesweep::documents::{read, testgen, Hint, Limits};
use std::time::{Duration, Instant};

/// A valid made-up ID number for person `i`.
fn id(i: usize) -> String {
    testgen::cn_id(&format!(
        "510107{}{:02}{:02}{:03}",
        1950 + i % 50,
        1 + i % 12,
        1 + i % 28,
        i % 1000
    ))
}

fn rows(n: usize) -> Vec<Vec<String>> {
    let mut out = vec![
        vec!["2024年低保公示名单".to_string()],
        [
            "序号",
            "姓名",
            "身份证号码",
            "联系电话",
            "住址",
            "保障金额(元)",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    ];
    for i in 0..n {
        out.push(vec![
            (i + 1).to_string(),
            format!("张{}", i % 1000),
            id(i),
            format!("138{:08}", i),
            format!("某街道第{}社区{}号", i % 40, i % 300),
            format!("{}", 300 + i % 500),
        ]);
    }
    out
}

fn gen(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).expect("create the directory");
    let write = |name: &str, bytes: Vec<u8>| {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).expect("write");
        println!("{} {} bytes", path.display(), bytes.len());
    };
    for (n, name) in [(50_000, "list-50k"), (200, "list-200")] {
        let rows = rows(n);
        write(
            &format!("{name}.xlsx"),
            testgen::xlsx(&[("名单", rows.clone())], true),
        );
        let csv: String = rows.iter().map(|r| r.join(",") + "\r\n").collect();
        write(&format!("{name}.csv"), testgen::gbk(&csv));
    }
    for (pages, name) in [(300, "report-300p.pdf"), (3, "report-3p.pdf")] {
        let mut all = Vec::new();
        for p in 0..pages {
            let mut runs = vec![(200.0, 800.0, format!("低保公示名单 第{}页", p + 1))];
            for line in 0..36 {
                let i = p * 36 + line;
                let y = 770.0 - 20.0 * line as f64;
                runs.push((40.0, y, format!("张{}", i % 1000)));
                runs.push((110.0, y, id(i)));
                runs.push((330.0, y, format!("138{:08}", i)));
                runs.push((450.0, y, format!("某街道第{}社区", i % 40)));
            }
            all.push(runs);
        }
        write(name, testgen::pdf(&all));
    }
    for (n, name) in [(5_000, "notice-5k.docx"), (50, "notice-50.docx")] {
        let mut body = String::new();
        for i in 0..n {
            body.push_str(&testgen::w_p(&format!(
                "第{i}条 为进一步做好城乡居民最低生活保障工作，根据有关规定，现将审核情况公示如下。"
            )));
        }
        body.push_str(&testgen::w_table(&[
            &["姓名", "联系电话"],
            &["张三", "13800138000"],
        ]));
        write(name, testgen::docx(&body));
    }
}

fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn read_file(path: &std::path::Path) {
    let bytes = std::fs::read(path).expect("read the file");
    let name = path.to_string_lossy();
    let limits = Limits {
        max_cells: 2_000_000,
        max_time: Duration::from_secs(120),
        ..Limits::default()
    };
    let start = Instant::now();
    let mut runs = 0u32;
    let mut blocks = 0;
    while runs == 0 || start.elapsed() < Duration::from_secs(1) {
        let doc = read(&bytes, Hint::new(None, &name), &limits).expect("readable");
        blocks = doc.blocks.len();
        runs += 1;
    }
    let secs = start.elapsed().as_secs_f64() / runs as f64;
    println!(
        "{name}: {:.1} MB, {blocks} blocks, {:.3} s each, {:.1} documents/s, {:.1} MB/s, peak {} MiB",
        bytes.len() as f64 / 1e6,
        secs,
        1.0 / secs,
        bytes.len() as f64 / 1e6 / secs,
        peak_kib().map_or("?".to_string(), |k| (k / 1024).to_string()),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen") if args.len() == 2 => gen(std::path::Path::new(&args[1])),
        Some("read") if args.len() >= 2 => {
            for f in &args[1..] {
                read_file(std::path::Path::new(f));
            }
        }
        _ => eprintln!("usage: documents gen DIR | documents read FILE…"),
    }
}
