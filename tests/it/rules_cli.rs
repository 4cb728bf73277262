//! The `rules` commands as a user runs them: exit codes and output.

use crate::support::sitesweep;

use std::process::Output;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const RULE_HEAD: &str =
    "[[rule]]\nid = \"r\"\ntitle = \"T\"\ncategory = \"c\"\nseverity = \"high\"\n";

#[test]
fn rules_test_passes_on_the_built_in_packs_outside_a_project() {
    let empty = tempfile::tempdir().unwrap();
    let out = sitesweep(&["rules", "test"], empty.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains(" passed, 0 failed"));
    assert!(
        stderr(&out).contains("from the built-in packs"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rules_test_reports_each_failure_with_file_rule_and_string() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mine.toml"),
        format!("{RULE_HEAD}keywords = [\"百家乐\"]\ntests = {{ hit = [\"百家乐\", \"六合彩\"], miss = [\"百 家 乐\"] }}\n"),
    )
    .unwrap();
    let out = sitesweep(&["rules", "test", "--rules", "."], dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("mine.toml:1 rule `r`: a `hit` string did not hit: \"六合彩\""),
        "{text}"
    );
    assert!(text.contains("a `miss` string hit: \"百 家 乐\""), "{text}");
    assert!(text.contains("1 passed, 2 failed"), "{text}");
}

#[test]
fn a_bad_pack_is_refused_with_file_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        format!("{RULE_HEAD}keywords = [\"x\"]\nseverty = \"low\"\n"),
    )
    .unwrap();
    for cmd in ["test", "lint"] {
        let out = sitesweep(&["rules", cmd, "--rules", "."], dir.path());
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(err.contains("bad.toml:7: unknown field `severty`"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn rules_beside_the_working_directory_are_used_by_default() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/only.toml"),
        format!("{RULE_HEAD}keywords = [\"百家乐\"]\ntests = {{ hit = [\"百家乐\"], miss = [\"百家\"] }}\n"),
    )
    .unwrap();
    let out = sitesweep(&["rules", "test"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("loaded 1 rule packs, 1 rules from rules"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn lint_warns_about_risky_terms() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.toml"),
        "[[rule]]\nid = \"a\"\ntitle = \"A\"\ncategory = \"c\"\nseverity = \"low\"\n\
         keywords = [\"赌\", \"av\", \"百家乐\", \"百家乐平台\"]\nallow = [\"禁毒宣传\"]\n\
         tests = { hit = [\"百家乐\"], miss = [\"x\"] }\n\n\
         [[rule]]\nid = \"b\"\ntitle = \"B\"\ncategory = \"c\"\nseverity = \"low\"\n\
         keywords = [\"百家樂\"]\n",
    )
    .unwrap();
    let out = sitesweep(&["rules", "lint", "--rules", "."], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for want in [
        "p.toml:6: warning: term `赌` is too short",
        "p.toml:6: warning: term `av` is too short",
        "p.toml:6: warning: term `百家乐平台` contains `百家乐`",
        "p.toml:7: warning: allow phrase `禁毒宣传` contains no term",
        "p.toml:15: warning: term `百家樂` is also in rule `a`",
        "p.toml:10: warning: rule `b` has no `tests`",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn lint_warns_about_an_impossible_min_distinct_and_a_context_word_that_is_a_term() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.toml"),
        format!(
            "{RULE_HEAD}keywords = [\"身份证号\", \"住址\"]\ncontext = [\"身份證號\"]\nmin_distinct = 3\n\
             tests = {{ hit = [\"身份证号 住址\"], miss = [\"x\"] }}\n"
        ),
    )
    .unwrap();
    let out = sitesweep(&["rules", "lint", "--rules", "."], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for want in [
        "p.toml:1: warning: min_distinct = 3 but rule `r` has only 2 distinct terms",
        "p.toml:7: warning: context word `身份證號` is the term `身份证号` of rule `r`",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    // min_distinct = 0 is not a warning but an error.
    std::fs::write(
        dir.path().join("p.toml"),
        format!("{RULE_HEAD}keywords = [\"身份证号\"]\nmin_distinct = 0\n"),
    )
    .unwrap();
    let out = sitesweep(&["rules", "lint", "--rules", "."], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("p.toml:7: min_distinct must be at least 1"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn explain_shows_hits_and_why_matches_were_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let out = sitesweep(
        &[
            "rules",
            "explain",
            "--text",
            // The spam more than 30 characters from the warning words
            // (exclude_context of the gambling rules, same block).
            "警方取缔网上赌场。本栏目其他信息：区政府召开常务会议研究部署今冬明春各项重点工作安排。友情链接：澳门葡京 真.人.荷.官 身份证 510107198008123458",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("HIT  gambling-promo [gambling, high] term `真人荷官` matched `真.人.荷.官` at line 1, column 54"), "{text}");
    assert!(text.contains("DROP gambling-promo term `网上赌场` matched `网上赌场` at line 1, column 5 (text): inside the allow phrase `取缔网上赌场`"), "{text}");
    assert!(text.contains("refused by validator cn-id"), "{text}");
    assert!(
        text.contains("visible text, rule counts hidden text only"),
        "{text}"
    );
    // gambling-contact sees the brands too, and drops them for want of a
    // seller's contact beside them.
    assert!(text.contains("DROP gambling-contact term `澳门葡京` matched `澳门葡京` at line 1, column 49 (text): no mobile number or messaging handle or domain written out within 40 characters in the block (needs_contact)"), "{text}");
    assert!(text.contains("2 hits, 13 dropped"), "{text}");
}

#[test]
fn explain_reads_a_file_and_needs_an_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("page.txt"), "第一行\n新 葡 京 ｂｅｔ３６５").unwrap();
    let out = sitesweep(&["rules", "explain", "--file", "page.txt"], dir.path());
    let text = stdout(&out);
    assert!(
        text.contains("matched `ｂｅｔ３６５` at line 2, column 7"),
        "{text}"
    );
    let none = sitesweep(&["rules", "explain"], dir.path());
    assert_eq!(none.status.code(), Some(2));
}

#[test]
fn init_writes_the_built_in_packs_which_then_pass_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = sitesweep(&["rules", "init", "myrules"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.path().join("myrules/gambling.toml").is_file());
    assert!(dir.path().join("myrules/gambling.txt").is_file());
    let test = sitesweep(&["rules", "test", "--rules", "myrules"], dir.path());
    assert_eq!(test.status.code(), Some(0), "{}", stdout(&test));
    let again = sitesweep(&["rules", "init", "myrules"], dir.path());
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("would overwrite"));
}

#[test]
fn a_missing_rules_directory_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = sitesweep(&["rules", "test", "--rules", "nope"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope: rules directory not found"));
}

#[test]
fn explain_says_when_punctuation_breaks_a_term() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.toml"),
        format!("{RULE_HEAD}keywords = [\"刻章办证\"]\ntests = {{ hit = [\"刻.章.办.证\"], miss = [\"刻章、办证\"] }}\n"),
    )
    .unwrap();
    let out = sitesweep(&["rules", "test", "--rules", "."], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = sitesweep(
        &[
            "rules",
            "explain",
            "--rules",
            ".",
            "--text",
            "警惕“刻章、办证”小广告",
        ],
        dir.path(),
    );
    let text = stdout(&out);
    assert!(
        text.contains("`、` between two characters of the term: read as two words"),
        "{text}"
    );
    assert!(text.contains("0 hits, 1 dropped"), "{text}");
}

#[test]
fn exclude_context_works_in_rule_tests_explain_and_lint() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.toml"),
        format!(
            "{RULE_HEAD}keywords = [\"刷单返利\", \"兼职刷单\"]\nexclude_context = [\"诈骗\", \"警方\", \"兼職刷單\"]\n\
             tests = {{ hit = [\"刷单返利，日结工资\"], miss = [\"谨防刷单返利诈骗\", \"警方提醒：刷单返利都是骗局\"] }}\n"
        ),
    )
    .unwrap();
    let out = sitesweep(&["rules", "test", "--rules", "."], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("3 passed, 0 failed"),
        "{}",
        stdout(&out)
    );

    let out = sitesweep(
        &[
            "rules",
            "explain",
            "--rules",
            ".",
            "--text",
            "谨防刷单返利詐騙",
        ],
        dir.path(),
    );
    let text = stdout(&out);
    assert!(
        text.contains("DROP r term `刷单返利` matched `刷单返利` at line 1, column 3 (text): exclude_context `诈骗` at line 1, column 7 (written `詐騙`)"),
        "{text}"
    );

    let out = sitesweep(&["rules", "lint", "--rules", "."], dir.path());
    let text = stdout(&out);
    assert!(
        text.contains("p.toml:7: warning: exclude_context word `兼職刷單` is the term `兼职刷单`"),
        "{text}"
    );
}

#[test]
fn explain_prints_a_conditional_redirect_of_a_script_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tiaozhuan.js"),
        "var r=document.referrer;if(/baidu|sogou/.test(r)){window.location.href='http://x.example/';}",
    )
    .unwrap();
    let out = sitesweep(&["rules", "explain", "--file", "tiaozhuan.js"], dir.path());
    let text = stdout(&out);
    assert!(
        text.contains(
            "FIND script.conditional-redirect [malicious-script, critical] term `referrer:baidu,sogou->location`"
        ),
        "{text}"
    );
    assert!(text.contains("(to http://x.example/)"), "{text}");
}

#[test]
fn the_bundled_brand_lists_are_what_rules_mine_makes_of_the_collected_texts() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for kind in ["gambling", "porn"] {
        let out = sitesweep(
            &[
                "rules",
                "mine",
                "fixtures/brandfeed/texts.tsv",
                "--kind",
                kind,
                "--against",
                "fixtures/realworld",
            ],
            root,
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let shipped =
            std::fs::read_to_string(root.join(format!("rules/{kind}-brands.txt"))).unwrap();
        assert!(
            stdout(&out).lines().filter(|l| !l.starts_with('#')).count() > 5,
            "{}",
            stdout(&out)
        );
        assert_eq!(
            stdout(&out),
            shipped,
            "rules/{kind}-brands.txt is not what `rules mine` makes of fixtures/brandfeed: regenerate it (docs/brandfeed.md)"
        );
    }
}

#[test]
fn rules_mine_leaves_out_the_sets_sources_and_drops_a_term_a_legitimate_tune_page_carries() {
    let dir = tempfile::tempdir().unwrap();
    let texts = "source\tkind\ttext\n\
        a\tgambling\t开云体育官网\nb\tgambling\t开云体育app\nc\tgambling\t开云体育\n\
        d\tgambling\t乐鱼体育\ne\tgambling\t乐鱼体育\nf\tgambling\t乐鱼体育\n\
        g\tgambling\t米乐体育\nh\tgambling\t米乐体育\ni\tgambling\t米乐体育\n";
    std::fs::write(dir.path().join("texts.tsv"), texts).unwrap();
    let set = dir.path().join("set");
    std::fs::create_dir_all(set.join("legit")).unwrap();
    std::fs::create_dir_all(set.join("spam")).unwrap();
    // Sample sources: i is a spam sample's source, so 米乐 is left with two
    // sources; a legitimate tune page names 乐鱼体育 as a sponsor.
    std::fs::write(
        set.join("PROVENANCE.tsv"),
        "file\tclass\tcategory\tsplit\tsource\tnotes\n\
         spam/1.html\tspam\tgambling\theldout\ti\t\n\
         legit/1.html\tlegit\tother\ttune\tx\t\n",
    )
    .unwrap();
    std::fs::write(set.join("spam/1.html"), "<title>米乐体育</title>").unwrap();
    std::fs::write(
        set.join("legit/1.html"),
        "<title>俱乐部新赛季</title><p>球衣赞助商为乐鱼体育</p>",
    )
    .unwrap();
    let out = sitesweep(
        &[
            "rules",
            "mine",
            "texts.tsv",
            "--kind",
            "gambling",
            "--against",
            "set",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let terms: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    assert_eq!(terms, ["开云体育"], "{}", stdout(&out));
    assert!(
        stdout(&out).contains("乐鱼体育 (legit/1.html)"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("1 texts left out"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn rules_mine_refuses_a_bad_texts_file_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("texts.tsv"),
        "source\tkind\ttext\na\tgambling\t开云体育\nb\tpoker\t德州\n",
    )
    .unwrap();
    let out = sitesweep(
        &["rules", "mine", "texts.tsv", "--kind", "gambling"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("texts.tsv:3: kind `poker`: use gambling or porn"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rules_mine_reads_an_offices_own_history_and_its_list_catches_the_page_without_the_shape() {
    use crate::support::server::{Reply, Server};
    // A hacked site: three pages whose titles carry the hijack's shape
    // (体育官网登录入口), caught whatever the brand; a fourth where the brand
    // stands for the school's name alone, which no bundled rule knows.
    let page = |title: &str| {
        Reply::html(format!("<html><head><title>{title}</title></head><body><p>校园新闻</p><a href='/a'>一</a><a href='/b'>二</a><a href='/c'>三</a><a href='/d'>四</a></body></html>"))
    };
    let server = Server::routes(vec![
        ("/", page("学院新闻网")),
        ("/a", page("米兰体育官网登录入口-开学典礼")),
        ("/b", page("米兰体育官网登录入口-招生简章")),
        ("/c", page("米兰体育官网登录入口-学术报告")),
        ("/d", page("米兰体育-校运会圆满落幕")),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    crate::support::register_one_site(dir.path(), &server.url("/"), "学院办公室");
    let out = sitesweep(&["scan", "-q", "--fail-on", "high"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = sitesweep(
        &[
            "rules",
            "mine",
            "--db",
            "sitesweep.db",
            "--kind",
            "gambling",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = stdout(&out);
    assert!(
        list.lines().any(|l| l == "米兰体育"),
        "{list}{}",
        stderr(&out)
    );
    // The office's own pack with the mined list finds the fourth page.
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("brands.txt"), &list).unwrap();
    std::fs::write(
        mine.join("brands.toml"),
        format!("{RULE_HEAD}keywords_file = \"brands.txt\"\nfields = [\"title\"]\ntests = {{ hit = [\"米兰体育\"], miss = [\"体育\"] }}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("d.html"),
        "<html><head><title>米兰体育-校运会圆满落幕</title></head><body><p>校园新闻</p></body></html>",
    )
    .unwrap();
    let bundled = sitesweep(&["rules", "explain", "--file", "d.html"], dir.path());
    assert!(!stdout(&bundled).contains("HIT"), "{}", stdout(&bundled));
    let out = sitesweep(
        &["rules", "explain", "--file", "d.html", "--rules", "mine"],
        dir.path(),
    );
    assert!(
        stdout(&out).contains("HIT  r [c, high] term `米兰体育`"),
        "{}",
        stdout(&out)
    );
}
