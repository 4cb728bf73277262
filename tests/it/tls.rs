//! Certificates: verified by default (`site.tls-invalid`), `insecure_tls`
//! scans anyway and says so, `ca_file` adds a trusted CA.

use crate::support::server::{Reply, Request, Server};
use sitesweep::register::Register;
use sitesweep::rules::{Packs, RuleSet};
use sitesweep::scan::{self, ScanOptions, ScanResult};
use std::path::Path;
use std::sync::Arc;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/tls");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(FIXTURES).join(name)).unwrap()
}

fn tls_site() -> Server {
    serve(vec![fixture("server.der")], fixture("server.key.der"))
}

fn serve(chain: Vec<Vec<u8>>, key: Vec<u8>) -> Server {
    Server::start_tls(
        Arc::new(|req: &Request| match req.target.as_str() {
            "/" => Reply::html(
                "<p>政务公开</p><div hidden><a href='http://x.example/'>六合彩</a></div>",
            ),
            _ => Reply::status(404),
        }),
        chain,
        key,
    )
    .unwrap()
}

fn scan_with(server: &Server, extra: &str) -> ScanResult {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sites.toml");
    std::fs::write(
        &path,
        format!(
            "[[site]]\nid = \"tls\"\nname = \"证书\"\nurl = \"{}\"\noperator = \"运维\"\nallow_private = true\ntimeout_s = 5\nprobes = []\ncheck_outbound = false\n{extra}\n",
            server.https_url("/")
        ),
    )
    .unwrap();
    let register = Register::load(&path).unwrap();
    let rules = Arc::new(RuleSet::compile(Packs::builtin()).unwrap());
    scan::run(
        &register,
        rules,
        ScanOptions {
            concurrency: 1,
            keep_records: true,
            ..ScanOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn an_unknown_issuer_is_tls_invalid_not_unreachable() {
    let server = tls_site();
    let r = scan_with(&server, "");
    let rules: Vec<&str> = r.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, vec!["site.tls-invalid"], "{:#?}", r.findings);
    assert!(
        r.findings[0].snippet.contains("certificate"),
        "{}",
        r.findings[0].snippet
    );
    assert!(!r.sites[0].reachable);
}

#[test]
fn insecure_tls_scans_anyway_and_marks_the_findings() {
    let server = tls_site();
    let r = scan_with(&server, "insecure_tls = true");
    let hidden: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "gambling-hidden")
        .collect();
    assert_eq!(hidden.len(), 1, "{:#?}", r.findings);
    assert!(hidden[0].insecure_tls);
    let tls: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "site.tls-invalid")
        .collect();
    assert_eq!(tls.len(), 1);
    assert!(
        tls[0].snippet.contains("scanned anyway"),
        "{}",
        tls[0].snippet
    );
}

#[test]
fn an_extra_ca_file_is_trusted() {
    let server = tls_site();
    let ca = Path::new(FIXTURES).join("ca.pem");
    let r = scan_with(
        &server,
        &format!("ca_file = {:?}", ca.display().to_string()),
    );
    assert!(
        r.findings.iter().all(|f| f.rule != "site.tls-invalid"),
        "{:#?}",
        r.findings
    );
    assert!(r
        .findings
        .iter()
        .any(|f| f.rule == "gambling-hidden" && !f.insecure_tls));
    assert!(r.sites[0].complete);
}

#[test]
fn a_missing_ca_file_is_a_register_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sites.toml");
    std::fs::write(&path, "[defaults]\nca_file = \"nope.pem\"\n\n[[site]]\nid = \"a\"\nname = \"a\"\nurl = \"https://a.example/\"\noperator = \"o\"\n").unwrap();
    let err = Register::load(&path).unwrap_err().to_string();
    assert!(err.contains("sites.toml:2: ca_file"), "{err}");
}

#[test]
fn an_incomplete_chain_is_said_so() {
    let server = serve(
        vec![fixture("chain-leaf.der")],
        fixture("chain-leaf.key.der"),
    );
    let root = Path::new(FIXTURES).join("chain-root.pem");
    let r = scan_with(
        &server,
        &format!("ca_file = {:?}", root.display().to_string()),
    );
    let f: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "site.tls-invalid")
        .collect();
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert!(
        f[0].snippet.contains("incomplete chain"),
        "{}",
        f[0].snippet
    );
    assert!(
        f[0].snippet
            .contains("http://ca.example.gov.cn/intermediate.crt"),
        "{}",
        f[0].snippet
    );
}

#[test]
fn a_complete_chain_to_a_trusted_root_passes() {
    let server = serve(
        vec![fixture("chain-leaf.der"), fixture("chain-intermediate.der")],
        fixture("chain-leaf.key.der"),
    );
    let root = Path::new(FIXTURES).join("chain-root.pem");
    let r = scan_with(
        &server,
        &format!("ca_file = {:?}", root.display().to_string()),
    );
    assert!(
        r.findings.iter().all(|f| f.rule != "site.tls-invalid"),
        "{:#?}",
        r.findings
    );
    assert!(r.sites[0].reachable);
}
