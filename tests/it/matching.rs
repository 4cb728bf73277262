//! Behaviour of the rule engine: folding, evasions, allow, context,
//! min_distinct, validators, boundaries, blocks, fields, hidden text.

use proptest::prelude::*;
use sitesweep::page::{Block, Field, Page};
use sitesweep::rules::fold::{fold_term, FoldOptions};
use sitesweep::rules::{Packs, Reason, RuleSet};
use std::path::Path;

fn set(toml: &str) -> RuleSet {
    RuleSet::compile(Packs::from_text(Path::new("t.toml"), toml).expect("pack loads"))
        .expect("pack compiles")
}

fn rule(body: &str) -> RuleSet {
    set(&format!(
        "[[rule]]\nid = \"r\"\ntitle = \"T\"\ncategory = \"c\"\nseverity = \"high\"\n{body}\n"
    ))
}

/// Original texts of the hits on a one-block page.
fn hits(set: &RuleSet, text: &str) -> Vec<String> {
    let page = Page::from_text(text);
    set.match_page(&page)
        .iter()
        .map(|h| h.matched(&page).to_string())
        .collect()
}

/// Ids of the rules that hit a one-block page, in hit order, repeats
/// merged.
fn rule_ids(set: &RuleSet, text: &str) -> Vec<String> {
    let mut ids: Vec<String> = set
        .match_page(&Page::from_text(text))
        .iter()
        .map(|h| set.rules[h.rule].id.clone())
        .collect();
    ids.dedup();
    ids
}

#[test]
fn every_evasion_named_in_the_spec_hits() {
    let s = rule(r#"keywords = ["百家乐", "赌博", "bet365", "1号"]"#);
    for (text, matched) in [
        ("百.家.乐", "百.家.乐"),
        ("百 家 乐", "百 家 乐"),
        ("百*家*乐", "百*家*乐"),
        ("百\u{200b}家乐", "百\u{200b}家乐"),
        ("百 \n\t 家乐", "百 \n\t 家乐"),
        ("百.-*家乐", "百.-*家乐"),
        ("賭博", "賭博"),
        ("ｂｅｔ３６５", "ｂｅｔ３６５"),
        ("BET365", "BET365"),
        ("①号", "①号"),
        ("❶号", "❶号"),
    ] {
        assert_eq!(hits(&s, text), vec![matched.to_string()], "text {text:?}");
    }
}

#[test]
fn separators_are_limited_and_letters_digits_cjk_never_skip() {
    let s = rule(r#"keywords = ["百家乐"]"#);
    assert!(hits(&s, "百....家乐").is_empty(), "4 separators in a row");
    assert!(hits(&s, "百a家乐").is_empty());
    assert!(hits(&s, "百1家乐").is_empty());
    assert!(hits(&s, "百万家乐").is_empty());
    assert_eq!(
        hits(&s, "百. .家乐").len(),
        1,
        "whitespace run counts once: 3 in all"
    );
}

#[test]
fn separator_skipping_can_be_switched_off() {
    let s =
        rule("keywords = [\"百家乐\"]\n[rule.normalize]\nseparators = false\ntraditional = false");
    assert!(hits(&s, "百.家.乐").is_empty());
    assert!(hits(&s, "百家樂").is_empty(), "traditional folding off");
    assert_eq!(
        hits(&s, "百\u{200b}家乐").len(),
        1,
        "zero-width is not a separator"
    );
    assert_eq!(hits(&s, "百家乐").len(), 1);
}

#[test]
fn width_and_case_can_be_switched_off() {
    let s = rule("keywords = [\"bet365\"]\n[rule.normalize]\nwidth = false\ncase = false");
    assert!(hits(&s, "ｂｅｔ３６５").is_empty());
    assert!(hits(&s, "BET365").is_empty());
    assert_eq!(hits(&s, "bet365").len(), 1);
}

#[test]
fn latin_terms_need_whole_words_judged_in_the_original() {
    let s = rule(r#"keywords = ["sex", "bet365"]"#);
    assert_eq!(hits(&s, "SEX videos"), vec!["SEX"]);
    assert!(hits(&s, "Essex").is_empty());
    assert!(hits(&s, "this exam").is_empty());
    assert_eq!(hits(&s, "bet365官网"), vec!["bet365"]);
    assert_eq!(hits(&s, "www.bet365.com"), vec!["bet365"]);
    assert!(hits(&s, "abet365").is_empty());
    assert!(hits(&s, "bet3650").is_empty());
}

#[test]
fn terms_written_in_traditional_or_with_separators_fold_too() {
    let s = rule(r#"keywords = ["賭 博"]"#);
    assert_eq!(hits(&s, "赌博"), vec!["赌博"]);
}

#[test]
fn allow_phrases_drop_hits_inside_them_including_separated_forms() {
    let s = rule(
        r#"keywords = ["赌博"]
allow = ["打击赌博"]"#,
    );
    assert!(hits(&s, "严厉打击赌博违法犯罪").is_empty());
    assert!(
        hits(&s, "严厉打击 赌博").is_empty(),
        "`打击 赌博` is an occurrence of `打击赌博`"
    );
    assert!(hits(&s, "打擊賭博").is_empty());
    assert_eq!(
        hits(&s, "打击赌博，也有人赌博"),
        vec!["赌博"],
        "the second one is outside"
    );
    let page = Page::from_text("打击赌博");
    let explained = s.match_page_with(
        &page,
        sitesweep::rules::MatchOptions {
            explain: true,
            ..Default::default()
        },
    );
    assert_eq!(
        explained.rejected[0].reason,
        Reason::Allow("打击赌博".to_string())
    );
}

#[test]
fn min_distinct_counts_distinct_terms_after_the_other_filters() {
    let s = rule(
        r#"keywords = ["百家乐", "六合彩", "赌球"]
min_distinct = 2
allow = ["打击赌球"]"#,
    );
    assert!(
        hits(&s, "百家乐 百家乐 百家乐").is_empty(),
        "one term three times"
    );
    assert_eq!(hits(&s, "百家乐 六合彩").len(), 2);
    assert!(
        hits(&s, "百家乐 打击赌球").is_empty(),
        "allowed hit does not count"
    );
}

#[test]
fn regex_hits_count_distinct_by_folded_text() {
    let s = rule(
        r#"regex = ['1[3-9]\d{9}']
validate = "cn-mobile"
min_distinct = 3"#,
    );
    assert!(hits(&s, "13800138000 13800138000 13800138000").is_empty());
    assert_eq!(hits(&s, "13800138000 13912345678 15012345678").len(), 3);
    assert_eq!(
        hits(&s, "１３８００１３８０００ 13912345678 +8615012345678").len(),
        3,
        "full-width digits fold; +86 may precede"
    );
}

#[test]
fn validators_accept_valid_and_refuse_invalid_and_masked_numbers() {
    let id = rule(
        r#"regex = ['\d{17}[\dX]']
validate = "cn-id""#,
    );
    assert_eq!(
        hits(&id, "身份证 510107198008123459"),
        vec!["510107198008123459"]
    );
    assert!(
        hits(&id, "身份证 510107198008123458").is_empty(),
        "bad checksum"
    );
    assert!(
        hits(&id, "身份证 510107199913453452").is_empty(),
        "impossible birth date"
    );
    assert!(hits(&id, "110101********1234").is_empty(), "masked");
    assert!(
        hits(&id, "5101071980081234590").is_empty(),
        "touches a digit"
    );
    assert_eq!(
        hits(&id, "ID:510107198008123459号"),
        vec!["510107198008123459"]
    );

    let card = rule(
        r#"regex = ['\d{16}']
validate = "luhn""#,
    );
    assert_eq!(hits(&card, "4111111111111111").len(), 1);
    assert!(hits(&card, "4111111111111112").is_empty());
    assert!(hits(&card, "4111 **** **** 1111").is_empty());
}

#[test]
fn context_words_must_be_near_within_the_window_across_blocks() {
    let s = rule(
        r#"regex = ['\d{16}']
validate = "luhn"
context = ["卡号"]
context_window = 10"#,
    );
    assert_eq!(hits(&s, "卡号：4111111111111111").len(), 1);
    assert!(hits(&s, "4111111111111111").is_empty());
    let far = format!("卡号{}4111111111111111", "这是一些很长的无关文字".repeat(3));
    assert!(hits(&s, &far).is_empty(), "context too far");
    // The context word may sit in another block (a label cell beside it).
    let page = Page {
        blocks: vec![
            Block::new(Field::Text, "卡 号"),
            Block::new(Field::Text, "4111111111111111"),
        ],
    };
    assert_eq!(s.match_page(&page).len(), 1);
}

#[test]
fn a_column_header_counts_as_context_for_its_cells() {
    let s = rule(
        r#"regex = ['\d{16}']
validate = "luhn"
context = ["卡号"]
context_window = 5"#,
    );
    let mut blocks = vec![Block::new(Field::Text, "银行卡号")];
    for _ in 0..20 {
        blocks.push(Block::new(Field::Text, "张三"));
        blocks.push(Block::new(Field::Text, "4111111111111111").with_header("银行卡号"));
    }
    let page = Page { blocks };
    assert_eq!(
        s.match_page(&page).len(),
        20,
        "every row, however far from the header"
    );
}

#[test]
fn no_hit_crosses_a_block() {
    let s = rule(r#"keywords = ["时时彩"]"#);
    let page = Page {
        blocks: vec![
            Block::new(Field::Text, "时时"),
            Block::new(Field::Text, "彩色打印"),
        ],
    };
    assert!(s.match_page(&page).is_empty());
    assert_eq!(
        hits(&s, "时时彩色打印").len(),
        1,
        "within one block it would"
    );
}

#[test]
fn fields_and_hidden_only_filter_hits() {
    let s = rule(
        r#"keywords = ["百家乐"]
fields = ["anchor"]
hidden_only = true"#,
    );
    let page = Page {
        blocks: vec![
            Block::new(Field::Text, "百家乐").hidden(true),
            Block::new(Field::Anchor, "百家乐"),
            Block::new(Field::Anchor, "百家乐").hidden(true),
        ],
    };
    let found = s.match_page(&page);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].block, 2);
}

#[test]
fn exclude_block_drops_hits_in_a_warning_paragraph_whatever_the_distance() {
    let s = rule(
        r#"keywords = ["刷单返利"]
exclude_context = ["诈骗", "警方", "被骗"]
exclude_block = 3"#,
    );
    let far = "，以下情况需要注意：一切声称短视频点赞、购物类信息；一切下载App后进行刷单返利操作";
    // Two distinct words far away: kept; three: dropped.
    assert_eq!(
        hits(&s, &format!("警方通报，诈骗高发{far}")),
        vec!["刷单返利"]
    );
    assert!(hits(&s, &format!("警方通报，被骗者众，诈骗高发{far}")).is_empty());
    // Another block's words never count.
    let page = Page {
        blocks: vec![
            Block::new(Field::Text, "警方通报，被骗者众，诈骗高发"),
            Block::new(Field::Text, far),
        ],
    };
    assert_eq!(s.match_page(&page).len(), 1);
    // It needs exclude_context and at least 2.
    for body in [
        "keywords = [\"x\"]\nexclude_block = 3",
        "keywords = [\"x\"]\nexclude_context = [\"y\"]\nexclude_block = 1",
    ] {
        let toml = format!("[[rule]]\nid = \"r\"\ncategory = \"c\"\nseverity = \"high\"\n{body}\n");
        let e = Packs::from_text(Path::new("t.toml"), &toml)
            .unwrap_err()
            .to_string();
        assert!(e.contains("exclude_block must be at least 2"), "{e}");
    }
}

#[test]
fn a_weak_term_needs_a_second_signal() {
    let s = rule(
        r#"keywords = ["百家乐"]
weak = ["网络赌博", "赌博网站"]
hidden_only = true"#,
    );
    let matched = |blocks: Vec<Block>| {
        let page = Page { blocks };
        s.match_page(&page)
            .iter()
            .map(|h| h.matched(&page).to_string())
            .collect::<Vec<_>>()
    };
    let hidden = |field, text: &str| Block::new(field, text).hidden(true);
    // Alone in a hidden headline (a portal's tab panel): no.
    assert!(matched(vec![hidden(Field::Text, "远离网络赌博")]).is_empty());
    // A tab panel linking to its own site (linked visibly too) or to a
    // government site: still no.
    assert!(matched(vec![
        Block::new(Field::Link, "https://www.school.edu.cn/"),
        hidden(Field::Anchor, "远离网络赌博"),
        hidden(Field::Link, "https://www.school.edu.cn/news/1.html"),
        hidden(Field::Link, "http://www.gov.cn/x.htm"),
    ])
    .is_empty());
    // A link to another site in the same hidden block: yes.
    assert_eq!(
        matched(vec![
            hidden(Field::Anchor, "网络赌博"),
            hidden(Field::Link, "//spam.example/"),
        ]),
        vec!["网络赌博"]
    );
    // …but not across a visible block.
    assert!(matched(vec![
        hidden(Field::Anchor, "网络赌博"),
        Block::new(Field::Text, "新闻"),
        hidden(Field::Link, "http://spam.example/"),
    ])
    .is_empty());
    // Two distinct terms, or a strong term beside it: yes.
    assert_eq!(
        matched(vec![hidden(Field::Text, "网络赌博 赌博网站")]).len(),
        2
    );
    assert_eq!(
        matched(vec![
            hidden(Field::Text, "网络赌博"),
            hidden(Field::Text, "百家乐")
        ])
        .len(),
        2
    );
    // The reason is given.
    let page = Page::from_text("网络赌博");
    let out = s.match_page_with(
        &page,
        sitesweep::rules::MatchOptions {
            explain: true,
            term_logic_only: true,
            only_rule: None,
        },
    );
    assert!(out.hits.is_empty());
    assert_eq!(out.rejected[0].reason, Reason::NoSecondSignal);
}

#[test]
fn hits_report_original_text_range_and_snippet() {
    let s = rule(r#"keywords = ["百家乐"]"#);
    let text = "友情链接：ＡＢＣ 百.家.乐 澳门";
    let page = Page::from_text(text);
    let found = s.match_page(&page);
    assert_eq!(found.len(), 1);
    let h = &found[0];
    assert_eq!(&text[h.start..h.end], "百.家.乐");
    assert_eq!(s.term(h), "百家乐");
    assert!(h.snippet(&page).contains("百.家.乐 澳门"));
}

#[test]
fn expansions_map_back_to_the_whole_original_character() {
    let s = rule(r#"keywords = ["会社"]"#);
    assert_eq!(hits(&s, "㍿"), vec!["㍿"]);
}

#[test]
fn regex_errors_name_their_line() {
    let err = RuleSet::compile(
        Packs::from_text(
            Path::new("t.toml"),
            "[[rule]]\nid = \"r\"\ntitle = \"T\"\ncategory = \"c\"\nseverity = \"high\"\nregex = [\n  '(unclosed',\n]\n",
        )
        .unwrap(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.starts_with("t.toml:7: invalid regex `(unclosed`"),
        "{err}"
    );
    let empty = RuleSet::compile(
        Packs::from_text(
            Path::new("t.toml"),
            "[[rule]]\nid = \"r\"\ntitle = \"T\"\ncategory = \"c\"\nseverity = \"high\"\nregex = ['a*']\n",
        )
        .unwrap(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        empty.starts_with("t.toml:6: regex `a*` matches the empty string"),
        "{empty}"
    );
}

#[test]
fn a_term_that_folds_to_nothing_is_refused() {
    let err = RuleSet::compile(
        Packs::from_text(
            Path::new("t.toml"),
            "[[rule]]\nid = \"r\"\ntitle = \"T\"\ncategory = \"c\"\nseverity = \"high\"\nkeywords = [\"ok\",\n \"...\"]\n",
        )
        .unwrap(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.starts_with("t.toml:7:"), "{err}");
}

#[test]
fn a_missing_keywords_file_names_the_pack_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.toml"),
        "[[rule]]\nid = \"r\"\ntitle = \"T\"\ncategory = \"c\"\nseverity = \"high\"\nkeywords_file = \"missing.txt\"\n",
    )
    .unwrap();
    let err = Packs::load_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("p.toml:6: keywords_file"), "{err}");
}

#[test]
fn rule_sets_are_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RuleSet>();
}

#[test]
fn every_bundled_rule_passes_its_own_tests_and_has_both_kinds() {
    let set = RuleSet::compile(Packs::builtin()).unwrap();
    assert!(set.rules.len() >= 15);
    for r in &set.rules {
        assert!(
            !r.tests_hit.is_empty() && !r.tests_miss.is_empty(),
            "rule {} needs hit and miss tests",
            r.id
        );
    }
    let report = sitesweep::rules::tooling::run_tests(&set);
    let failures: Vec<String> = report
        .failures
        .iter()
        .map(|f| format!("{} {:?}: {:?}", set.rules[f.rule].id, f.text, f.detail))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        sitesweep::rules::tooling::lint(&set).is_empty(),
        "bundled packs lint clean"
    );
}

#[test]
fn bundled_packs_leave_anti_gambling_news_alone_and_catch_spam() {
    let set = RuleSet::compile(Packs::builtin()).unwrap();
    let news = Page {
        blocks: vec![
            Block::new(Field::Title, "我区召开打击网络赌博专项工作会议"),
            Block::new(
                Field::Text,
                "会议指出，要严厉打击网络赌博违法犯罪，坚决斩断“百家乐”“六合彩”等网络赌博利益链条，远离网络赌博。",
            ),
        ],
    };
    assert!(
        set.match_page(&news).is_empty(),
        "{:?}",
        set.match_page(&news)
    );
    let spam = Page {
        blocks: vec![
            Block::new(Field::Text, "区政府工作动态"),
            Block::new(Field::Anchor, "澳门新葡京").hidden(true),
            Block::new(Field::Anchor, "皇冠體育").hidden(true),
        ],
    };
    let found = set.match_page(&spam);
    let ids: Vec<&str> = found
        .iter()
        .map(|h| set.rules[h.rule].id.as_str())
        .collect();
    assert!(ids.contains(&"gambling-hidden"), "{ids:?}");
}

#[test]
fn builtin_file_list_matches_the_rules_directory() {
    let mut on_disk: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut built_in: Vec<String> = sitesweep::rules::builtin::FILES
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    built_in.sort();
    assert_eq!(
        on_disk, built_in,
        "every file of rules/ must be listed in src/rules/builtin.rs"
    );
}

const TERMS: [&str; 6] = ["百家乐", "赌博", "bet365", "澳门葡京", "时时彩", "sex"];

fn disguise() -> impl Strategy<Value = (usize, String, String)> {
    // A term, a disguised copy of it, and noise around it.
    let noise = "[a-z 。，、！\u{4e00}-\u{4e20}]{0,6}";
    (
        0..TERMS.len(),
        noise,
        noise,
        prop::collection::vec(0..6u8, 12),
    )
        .prop_map(|(t, before, after, picks)| {
            let term = TERMS[t];
            let mut out = String::new();
            for (i, c) in term.chars().enumerate() {
                let c = match picks[i % picks.len()] {
                    1 if c.is_ascii_alphanumeric() => {
                        char::from_u32(c as u32 - 0x20 + 0xFF00).unwrap_or(c)
                    }
                    2 if c == '赌' => '賭',
                    3 if c.is_ascii_lowercase() => c.to_ascii_uppercase(),
                    _ => c,
                };
                out.push(c);
                if i + 1 < term.chars().count() {
                    match picks[(i + 5) % picks.len()] {
                        1 => out.push('.'),
                        2 => out.push_str(" \u{200b} "),
                        3 => out.push_str("**"),
                        _ => {}
                    }
                }
            }
            (t, format!("{before} {out} {after}"), out)
        })
}

proptest! {
    /// Every hit's original range, folded with separators dropped, equals
    /// the folded term; and a disguised term is always found.
    #[test]
    fn hits_map_back_to_text_that_folds_to_the_term((t, text, disguised) in disguise()) {
        let s = rule(&format!("keywords = {:?}", TERMS));
        let page = Page::from_text(text.clone());
        let found = s.match_page(&page);
        for h in &found {
            let original = &text[h.start..h.end];
            prop_assert_eq!(
                fold_term(original, FoldOptions::ALL),
                fold_term(s.term(h), FoldOptions::ALL)
            );
        }
        prop_assert!(
            found.iter().any(|h| s.term(h) == TERMS[t] && h.matched(&page) == disguised),
            "{:?} not found in {:?}: {:?}", TERMS[t], text, found
        );
    }
}

/// Matches of a page kept with their reasons for being dropped.
fn explained(set: &RuleSet, page: &Page) -> sitesweep::rules::PageMatch {
    set.match_page_with(
        page,
        sitesweep::rules::MatchOptions {
            explain: true,
            ..Default::default()
        },
    )
}

#[test]
fn separator_skipping_does_not_join_words_across_punctuation() {
    let s = rule(r#"keywords = ["刻章办证", "刷单兼职", "赌博", "百家乐"]"#);
    for text in [
        "刻章、办证",
        "“刻章”“办证”",
        "刷單”兼職",
        "刷单，兼职",
        "刷单,兼职",
        "刷单（兼职）",
        "刷单；兼职",
        "刷单：兼职",
        "刷单！兼职",
        "刷单？兼职",
        "刷单。兼职",
        "《刷单》《兼职》",
        "「刷单」兼职",
        "赌、博",
        "赌，博",
        "百家、乐",
        "百. 、家乐",
    ] {
        assert!(hits(&s, text).is_empty(), "{text:?}: {:?}", hits(&s, text));
    }
    for (text, matched) in [
        ("百.家.乐", "百.家.乐"),
        ("百 家 乐", "百 家 乐"),
        ("百*家*乐", "百*家*乐"),
        ("百\u{200b}家乐", "百\u{200b}家乐"),
        ("百 . 家 . 乐", "百 . 家 . 乐"),
        ("百-家_乐", "百-家_乐"),
        ("百|家/乐", "百|家/乐"),
        ("刻章 办证", "刻章 办证"),
        ("刻章·办证", "刻章·办证"),
        // The same punctuation between every two characters is spacing on
        // purpose, not two words.
        ("百，家，乐", "百，家，乐"),
        ("百、家、乐", "百、家、乐"),
        ("刻，章，办，证", "刻，章，办，证"),
        ("百 、 家 、 乐", "百 、 家 、 乐"),
    ] {
        assert_eq!(hits(&s, text), vec![matched.to_string()], "{text:?}");
    }
    assert!(
        hits(&s, "刻章，办，证").is_empty(),
        "not the same everywhere"
    );
    let page = Page::from_text("刻章、办证");
    assert_eq!(
        explained(&s, &page).rejected[0].reason,
        Reason::WordBreak('、')
    );
}

#[test]
fn a_term_written_with_punctuation_may_be_broken_there() {
    let s = rule(r#"keywords = ["恭喜，站点创建成功", "configuration file (php.ini) path"]"#);
    assert_eq!(hits(&s, "恭喜, 站点创建成功！").len(), 1);
    assert_eq!(hits(&s, "恭喜！站点创建成功").len(), 1);
    assert_eq!(hits(&s, "恭喜站点创建成功").len(), 1);
    assert!(
        hits(&s, "恭喜站点、创建成功").is_empty(),
        "not at that place"
    );
    assert_eq!(hits(&s, "Configuration File (php.ini) Path /etc").len(), 1);
}

#[test]
fn allow_phrases_still_match_across_punctuation() {
    // Warnings put the spam word in quotes: `打击“网上赌场”` is an
    // occurrence of the allow phrase `打击网上赌场`.
    let s = rule(
        r#"keywords = ["网上赌场"]
allow = ["打击网上赌场"]"#,
    );
    assert!(hits(&s, "严厉打击“网上赌场”").is_empty());
    assert_eq!(hits(&s, "“网上赌场”").len(), 1);
}

#[test]
fn exclude_context_drops_hits_near_a_warning_word_in_the_same_block() {
    let s = rule(
        r#"keywords = ["刷单返利"]
exclude_context = ["詐騙", "警方"]
exclude_window = 8"#,
    );
    assert_eq!(hits(&s, "刷单返利，日赚千元"), vec!["刷单返利"]);
    assert!(hits(&s, "谨防刷单返利诈骗").is_empty(), "right after it");
    assert!(
        hits(&s, "警方提醒：刷.单.返.利").is_empty(),
        "before it, separators in the hit"
    );
    assert!(
        hits(&s, "刷單返利是詐 騙").is_empty(),
        "folded like terms: traditional, separators"
    );
    assert!(hits(&s, "ＡＢ警方ＣＤ刷单返利").is_empty());
    assert_eq!(
        hits(&s, "警方提醒：这是一些很长的无关文字，刷单返利").len(),
        1,
        "outside the window"
    );
    // Another block is never counted, however near.
    let page = Page {
        blocks: vec![
            Block::new(Field::Text, "警方通报"),
            Block::new(Field::Text, "刷单返利"),
        ],
    };
    assert_eq!(s.match_page(&page).len(), 1);
    // The reason names the word as written in the rule and where it lies.
    let page = Page::from_text("兼职刷单返利\n詐騙");
    let result = explained(&s, &page);
    assert!(result.hits.is_empty());
    assert_eq!(
        result.rejected[0].reason,
        Reason::ExcludeContext {
            word: "詐騙".to_string(),
            written: "詐騙".to_string(),
            line: 2,
            column: 1
        }
    );
    let page = Page::from_text("刷单返利诈骗");
    assert_eq!(
        explained(&s, &page).rejected[0].reason.to_string(),
        "exclude_context `詐騙` at line 1, column 5 (written `诈骗`)"
    );
}

#[test]
fn exclude_context_positions_are_per_block_in_every_fold_group() {
    // A rule in a fold group of its own (no context rule there): each
    // block's positions are its own, whatever the block before held.
    let s = rule(
        r#"keywords = ["刷单返利"]
exclude_context = ["警方"]
exclude_window = 10
[rule.normalize]
traditional = false"#,
    );
    let page = Page {
        blocks: vec![
            Block::new(Field::Text, "abcdefghijklmnopqrstuvwxyz警方"),
            Block::new(Field::Text, format!("刷单返利{}警方", "字".repeat(20))),
            Block::new(Field::Text, "刷单返利 警方"),
        ],
    };
    let found = s.match_page(&page);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].block, 1);
}

#[test]
fn exclude_window_defaults_to_30_folded_characters_and_applies_to_regex_hits() {
    let s = rule(
        r#"keywords = ["刷单返利"]
regex = ['1[3-9]\d{9}']
validate = "cn-mobile"
exclude_context = ["诈骗"]"#,
    );
    let near = format!("诈骗{}刷单返利", "字".repeat(30));
    let far = format!("诈骗{}刷单返利", "字".repeat(31));
    assert!(hits(&s, &near).is_empty());
    assert_eq!(hits(&s, &far).len(), 1);
    // Separators do not count towards the window.
    let spaced = format!("诈骗{}刷单返利", "字 .".repeat(30));
    assert!(hits(&s, &spaced).is_empty());
    assert!(hits(&s, "诈骗分子冒充客服 13800138000").is_empty());
    assert_eq!(hits(&s, "联系 13800138000"), vec!["13800138000"]);
}

#[test]
fn a_negative_exclude_window_is_refused_at_its_line() {
    let err = Packs::from_text(
        Path::new("t.toml"),
        "[[rule]]\nid = \"r\"\ncategory = \"c\"\nseverity = \"high\"\nkeywords = [\"x\"]\nexclude_context = [\"y\"]\nexclude_window = -1\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("t.toml:7: exclude_window"), "{err}");
}

#[test]
fn the_hash_of_a_rule_without_the_new_keys_is_unchanged() {
    // Scans compare rule hashes: adding keys to the format must not make
    // every existing rule look changed.
    let plain = Packs::from_text(
        Path::new("t.toml"),
        "[[rule]]\nid = \"r\"\ncategory = \"c\"\nseverity = \"high\"\nkeywords = [\"x\"]\n",
    )
    .unwrap();
    assert_eq!(plain.rules[0].hash(), "0ebcb88a3f88b1ee");
    let with = Packs::from_text(
        Path::new("t.toml"),
        "[[rule]]\nid = \"r\"\ncategory = \"c\"\nseverity = \"high\"\nkeywords = [\"x\"]\nexclude_context = [\"y\"]\n",
    )
    .unwrap();
    assert_ne!(with.rules[0].hash(), plain.rules[0].hash());
    // The attachment field (added later) leaves the hash of rules that
    // name no fields, or name others, as it was; naming it changes it.
    let hash = |fields: &str| {
        Packs::from_text(
            Path::new("t.toml"),
            &format!("[[rule]]\nid = \"r\"\ncategory = \"c\"\nseverity = \"high\"\nkeywords = [\"x\"]\nfields = [{fields}]\n"),
        )
        .unwrap()
        .rules[0]
            .hash()
    };
    let text = hash("\"text\"");
    assert_ne!(text, hash("\"text\", \"attachment\""));
    assert_eq!(text, hash("\"text\""));
}

fn mobile_rule(extra: &str) -> RuleSet {
    rule(&format!(
        r#"regex = ['1[3-9]\d{{9}}', '1[3-9]\d[ -]\d{{4}}[ -]\d{{4}}']
validate = "cn-mobile"
{extra}"#
    ))
}

#[test]
fn exclude_header_drops_cells_of_an_amount_column() {
    let s = mobile_rule(r#"exclude_header = ["金额", "预算", "(元)"]"#);
    let table = |header: &str| Page {
        blocks: ["13256870000", "13912345678", "15012345678"]
            .iter()
            .map(|n| Block::new(Field::Text, *n).with_header(header))
            .collect(),
    };
    for header in [
        "金额（元）",
        "金　额",
        "项目预算",
        "补贴标准（元）",
        "補貼標準(元)",
    ] {
        assert!(s.match_page(&table(header)).is_empty(), "{header}");
    }
    for header in ["联系电话", "单元负责人电话", "手机号码"] {
        assert_eq!(s.match_page(&table(header)).len(), 3, "{header}");
    }
    let result = explained(&s, &table("金额（元）"));
    assert_eq!(
        result.rejected[0].reason,
        Reason::ExcludeHeader {
            word: "金额".to_string(),
            header: "金额（元）".to_string()
        }
    );
    // Outside a table the header words mean nothing.
    assert_eq!(hits(&s, "金额 13912345678").len(), 1);
}

fn id_rule() -> RuleSet {
    rule(
        r#"regex = ['\d{17}[\dX]', '\d{6}[ -]\d{8}[ -]\d{3}[\dX]']
validate = "cn-id""#,
    )
}

#[test]
fn grouped_numbers_are_validated_and_reported_as_their_digits() {
    let id = id_rule();
    for text in [
        "身份证号 510107 19800812 3459",
        "510107-19800812-3459",
        "５１０１０７　１９８００８１２　３４５９",
    ] {
        let page = Page::from_text(text);
        let found = id.match_page(&page);
        assert_eq!(found.len(), 1, "{text:?}");
        assert_eq!(id.term(&found[0]), "510107198008123459");
        assert!(
            found[0].matched(&page).ends_with("3459")
                || found[0].matched(&page).ends_with("３４５９")
        );
    }
    assert!(hits(&id, "510107 19800812 3458").is_empty(), "checksum");
    assert!(
        hits(&id, "1510107 19800812 3459").is_empty(),
        "touches a digit"
    );
    let page = Page::from_text("11010519491231002X、110105-19491231-002x");
    let terms: Vec<String> = id
        .match_page(&page)
        .iter()
        .map(|h| id.term(h).to_string())
        .collect();
    assert_eq!(terms, ["11010519491231002x", "11010519491231002x"]);

    // One number written three ways is one distinct term.
    let list = mobile_rule("min_distinct = 3");
    assert!(hits(&list, "138-0013-8000 138 0013 8000 13800138000").is_empty());
    assert_eq!(
        hits(
            &list,
            "王五 138-0013-8000 李四 139 1234 5678 赵六 +86 150 1234 5678"
        ),
        vec!["138-0013-8000", "139 1234 5678", "150 1234 5678"]
    );
    assert!(
        hits(&list, "128-0013-8000 129 1234 5678 12012345678").is_empty(),
        "the validator sees the digits"
    );
}

#[test]
fn amounts_are_not_numbers_to_protect() {
    let s = mobile_rule("");
    for text in [
        "合同金额 13256870000元",
        "13256870000 元",
        "13256870000万元",
        "13256870000　亿元",
        "￥13256870000",
        "¥ 13256870000",
        "13256870000.00",
        "132 5687 0000元",
    ] {
        assert!(hits(&s, text).is_empty(), "{text:?}");
    }
    assert_eq!(
        hits(&s, "联系电话 13256870000，元旦照常"),
        vec!["13256870000"]
    );
    let page = Page::from_text("13256870000元");
    assert_eq!(
        explained(&s, &page).rejected[0].reason.to_string(),
        "an amount of money, not a number: `元` follows it"
    );
}

#[test]
fn bundled_pii_rules_find_grouped_numbers_and_leave_amount_columns_alone() {
    let set = RuleSet::compile(Packs::builtin()).unwrap();
    let ids = |page: &Page| -> Vec<String> {
        set.match_page(page)
            .iter()
            .map(|h| format!("{} {}", set.rules[h.rule].id, set.term(h)))
            .collect()
    };
    let page = Page::from_text("张三 身份证号：510107 19800812 3459");
    assert_eq!(ids(&page), ["pii-cn-id 510107198008123459"]);
    let cells = |header: &str, numbers: &[&str]| Page {
        blocks: numbers
            .iter()
            .map(|n| Block::new(Field::Text, *n).with_header(header))
            .collect(),
    };
    let numbers = ["13256870000", "13912345678", "15012345678"];
    assert!(ids(&cells("资金（万元）", &numbers)).is_empty());
    assert!(ids(&cells("合计", &numbers)).is_empty());
    assert_eq!(ids(&cells("联系电话", &numbers)).len(), 3);
    let grouped = ["138-0013-8000", "139 1234 5678", "150 1234 5678"];
    assert_eq!(ids(&cells("手机", &grouped)).len(), 3);
}

#[test]
fn needs_contact_keeps_a_term_only_with_a_contact_near_it_in_its_block() {
    let s = rule(
        r#"keywords = ["私家侦探", "棋牌"]
needs_contact = true
contact_window = 10"#,
    );
    // A mobile number in groups, a handle, a domain with a dot's stand-in.
    assert_eq!(hits(&s, "私家侦探【電—131-6628-2258】"), vec!["私家侦探"]);
    assert_eq!(hits(&s, "棋牌官网 微：my123456vv"), vec!["棋牌"]);
    assert_eq!(hits(&s, "棋牌 263613·cc"), vec!["棋牌"]);
    // No contact, a contact too far away, a landline, a government site.
    assert!(hits(&s, "私家侦探是一种职业").is_empty());
    assert!(hits(&s, &format!("私家侦探{}13166282258", "字".repeat(11))).is_empty());
    assert!(hits(&s, "棋牌 0571-87654321").is_empty());
    assert!(hits(&s, "棋牌 www.sport.gov.cn").is_empty());
    // Another block never lends its contact.
    let page = Page {
        blocks: vec![
            Block::new(Field::Text, "棋牌游戏".to_string()),
            Block::new(Field::Text, "微信 abc12345".to_string()),
        ],
    };
    let m = explained(&s, &page);
    assert!(m.hits.is_empty());
    assert!(matches!(
        m.rejected[0].reason,
        Reason::NoContact { window: 10, .. }
    ));
    let why = m.rejected[0].reason.to_string();
    assert!(why.contains("needs_contact"), "{why}");
    assert!(
        why.contains("mobile number or messaging handle or domain"),
        "{why}"
    );
}

#[test]
fn contact_kinds_narrow_what_counts_as_a_contact() {
    // Everyday words with a messaging handle only: a school gives a
    // teacher's mobile beside 毕业证, an ad gives a WeChat id.
    let s = rule(
        r#"keywords = ["毕业证"]
needs_contact = true
contact_kinds = ["handle"]"#,
    );
    assert_eq!(hits(&s, "毕业证 加微信 zhengshu8888"), vec!["毕业证"]);
    assert!(hits(&s, "毕业证领取请联系张老师 13800138000").is_empty());
    assert!(hits(&s, "毕业证查询 www.chsi.com.cn").is_empty());
    let err = Packs::from_text(
        Path::new("t.toml"),
        "[[rule]]\nid = \"r\"\ncategory = \"c\"\nseverity = \"high\"\nkeywords = [\"x\"]\nneeds_contact = true\ncontact_kinds = [\"fax\"]\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("t.toml:7: unknown contact kind `fax`"),
        "{err}"
    );
}

#[test]
fn contact_window_needs_needs_contact_and_is_not_negative() {
    let load = |keys: &str| {
        Packs::from_text(
            Path::new("t.toml"),
            &format!("[[rule]]\nid = \"r\"\ncategory = \"c\"\nseverity = \"high\"\nkeywords = [\"x\"]\n{keys}\n"),
        )
        .map(|p| p.rules[0].contact_window)
        .map_err(|e| e.to_string())
    };
    assert_eq!(load("needs_contact = true"), Ok(Some(40)));
    assert_eq!(load(""), Ok(None));
    let err = load("contact_window = 20").unwrap_err();
    assert!(err.starts_with("t.toml:6: contact_window"), "{err}");
    let err = load("needs_contact = true\ncontact_window = -1").unwrap_err();
    assert!(err.starts_with("t.toml:7: contact_window"), "{err}");
}

#[test]
fn a_strong_term_counts_alone_whatever_min_distinct_says() {
    let s = rule(
        r#"keywords = ["新葡京", "真人荷官"]
min_distinct = 2
strong = ["开云体育"]"#,
    );
    assert_eq!(hits(&s, "开云体育 点此进入"), vec!["开云体育"]);
    assert!(hits(&s, "新葡京酒店").is_empty());
    assert_eq!(hits(&s, "新葡京 开云体育").len(), 2);
    let err = Packs::from_text(
        Path::new("t.toml"),
        "[[rule]]\nid = \"r\"\ncategory = \"c\"\nseverity = \"high\"\nkeywords = [\"x\"]\nweak = [\"x\"]\nstrong = [\"x\"]\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("t.toml:7: `x` is both weak and strong"),
        "{err}"
    );
}

#[test]
fn contact_rules_are_a_fallback_for_their_category() {
    let s = set(r#"
[[rule]]
id = "ads"
category = "fraud"
severity = "high"
keywords = ["代开发票"]

[[rule]]
id = "ads-contact"
category = "fraud"
severity = "high"
keywords = ["发票"]
needs_contact = true

[[rule]]
id = "ads-handle"
category = "fraud"
severity = "high"
keywords = ["各类发票"]
needs_contact = true

[[rule]]
id = "other"
category = "gambling"
severity = "high"
keywords = ["彩票"]
"#);
    let rules_hit = |text: &str| rule_ids(&s, text);
    // Already reported by a rule of its category: the block is one row.
    assert_eq!(rules_hit("代开发票 微信 fp88888"), vec!["ads"]);
    // Alone, the first contact rule in pack order reports it.
    assert_eq!(rules_hit("各类发票 微信 fp88888"), vec!["ads-contact"]);
    // Another category does not cover it.
    assert_eq!(
        rules_hit("彩票 发票 微信 fp88888"),
        vec!["other", "ads-contact"]
    );
    let page = Page::from_text("代开发票 微信 fp88888");
    let m = explained(&s, &page);
    assert!(m
        .rejected
        .iter()
        .any(|r| r.reason.to_string().contains("already reported by `ads`")));
}

#[test]
fn a_fallback_rule_reports_only_blocks_its_category_leaves_alone() {
    let s = set(r#"
[[rule]]
id = "title"
category = "porn"
severity = "high"
keywords = ["无码"]

[[rule]]
id = "shape"
category = "porn"
severity = "high"
keywords = ["国产", "精品", "久久"]
min_distinct = 2
fallback = true
"#);
    let rules_hit = |text: &str| rule_ids(&s, text);
    assert_eq!(rules_hit("国产精品 无码"), vec!["title"]);
    assert_eq!(rules_hit("国产精品 久久"), vec!["shape"]);
    let m = explained(&s, &Page::from_text("国产精品 无码"));
    assert!(m
        .rejected
        .iter()
        .any(|r| r.reason.to_string().contains("already reported by `title`")));
}

#[test]
fn a_regex_gated_on_its_required_characters_still_sees_their_full_width_forms() {
    // Every match of this regex holds a `[`; blocks without one (after
    // width folding) are not searched, so a full-width `［` must count.
    let s = rule(r#"regex = ['\[url=[a-z./:]+\]']"#);
    assert_eq!(
        hits(&s, "[url=http://a.example/]"),
        vec!["[url=http://a.example/]"]
    );
    assert_eq!(
        hits(&s, "［url=http://a.example/］"),
        vec!["［url=http://a.example/］"]
    );
    // The vertical presentation form folds to `[` too.
    assert_eq!(hits(&s, "﹇url=http://a.example/﹈").len(), 1);
    assert!(hits(&s, "url=http://a.example/").is_empty());
    let s = rule(r#"regex = ['关键词[0-9]']"#);
    assert_eq!(hits(&s, "關鍵詞2"), Vec::<String>::new());
    assert_eq!(hits(&s, "关键词２是"), vec!["关键词２"]);
}

#[test]
fn needs_contact_in_a_huge_block_keeps_only_the_hits_near_a_contact() {
    // 20,000 hits of a contact rule's term in one 140 KB block, one
    // contact in the middle: only the hits within the window of it stay.
    // (Each hit looks at the text around it, not the whole block.)
    let s = rule(
        r#"keywords = ["棋牌"]
needs_contact = true
contact_window = 10"#,
    );
    let half = "棋牌 ".repeat(10_000);
    let text = format!("{half}微信 qp888888 {half}");
    let found = hits(&s, &text);
    // Three on either side lie within 10 characters of the handle.
    assert!(!found.is_empty() && found.len() <= 8, "{}", found.len());
}

#[test]
fn each_regex_of_a_rule_runs_where_its_own_characters_are_and_still_hits() {
    // Two regexes gated on different characters (金 for the first, 娱 or
    // 娛 for the second): a block holding only one of them runs only that
    // regex, and every match is still found, full-width and traditional
    // forms included.
    let s = rule(r#"regex = ['金沙\s*[a-z]{0,4}\d{3}', '[a-z][a-z0-9]{1,7}\s*(?:娱乐城|娛樂城)']"#);
    assert_eq!(hits(&s, "金沙js333官网"), ["金沙js333"]);
    assert_eq!(hits(&s, "在 MBM娛樂城 上下注"), ["MBM娛樂城"]);
    assert_eq!(hits(&s, "ＭＢＭ娱乐城"), ["ＭＢＭ娱乐城"]);
    assert_eq!(hits(&s, "金沙 mbm 娱乐城 888"), ["mbm 娱乐城"]);
    assert!(hits(&s, "金沙江畔的娱乐城").is_empty());
}
