//! The bundled packs measured on real material: fixtures/realworld (spam
//! and legitimate pages with their provenance), and `rules eval`
//! as a user runs it.

use crate::support::{sitesweep, text};
use sitesweep::analyse::{self, Body};
use sitesweep::evaluate::{self, Class, Figures, LabelledSet, Split};
use sitesweep::findings::Origin;
use sitesweep::rules::{Packs, RuleSet};
use std::path::{Path, PathBuf};
use url::Url;

fn realworld() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/realworld")
}

/// One split's floors: spam caught at least, legitimate pages flagged and
/// critical findings on legitimate pages at most.
struct Floor {
    split: Split,
    spam: usize,
    caught_at_least: usize,
    legit: usize,
    flagged_at_most: usize,
    critical_on_legit_at_most: usize,
}

/// Today's figures (README, "Evaluation on real material"). The floors
/// only move up (and the ceilings only down) as the packs and the engine
/// improve: when a change does better, raise them to the new figures in the
/// same commit; never lower one to make a change pass. The sample counts
/// change only when the set does, and a floor is compared only with the
/// same set. (Four legitimate script samples were added for
/// `script.conditional-redirect`; two of them, referrer attribution and
/// frame busting, were hit by the word rules malicious-search-referrer and
/// malicious-referrer-redirect, which the structural finding replaced.)
///
/// Round 4 grew the set from 222 to 282 samples (30 spam, 30 legitimate,
/// alternating tune/heldout in the order they were saved). Measured on the
/// grown set before any tuning, the packs caught tune 36/57 with 0/121
/// flagged, heldout 18/34 with 5/70 flagged (3 of them new legitimate
/// pages), nothing critical on a legitimate page: those were the floors and
/// ceilings of the grown set when it was committed. Tuning on the tune split
/// (brand and porn-title terms, 高仿毕业证 as a one-term certificate ad,
/// case words instead of the bare 案 in gambling-title) raised tune to
/// 41/57; heldout, measured again only at the end, stayed 18/34 with 5/70
/// flagged. Round 5's `needs_contact` rules (gambling-contact,
/// fraud-contact: a game or illegal service with a seller's contact beside
/// it), built from tune-split misses, raised tune to 45/57 and heldout to
/// 21/34 with the same 0/121 and 4/70 flagged. Serving each sample from a
/// host of its own (as a scan would; device conditions need a site to
/// compare with) and region conditions (an IP lookup's result deciding a
/// redirect to another site) raised tune to 47/57, and a site-group kit's
/// unfilled keyword slot (spam-template-placeholder) to 48/57, BBCode link
/// spam shown as text (spam-bbcode-links) to 49/57.
///
/// Round 5 grew the set to 321 (19 spam, 20 legitimate, alternating
/// tune/heldout as saved). Measured on the grown set before tuning on the
/// new samples: tune 51/66 with 0/131 flagged, heldout 25/44 with 4/80.
/// Tuning on the new tune samples (online casino brands as `strong` terms,
/// court words in gambling-promo, mobiles in 3-4-4 groups with any joiner,
/// three terms) raised tune to 56/66 with 0/131; heldout stayed 25/44 with
/// 4/80. porn-contact then: tune 57/66, heldout 26/44, flagged unchanged.
///
/// Round 6: server-side cloaking source (cloaking-kit-source) and scripts
/// that load an address they hide (script.encoded-url), from tune misses,
/// raised tune to 59/66 and 60/66. Then the set grew to 364 (23 spam, 20
/// legitimate, alternating as saved). Before tuning on them: tune 64/78
/// with 1/141 flagged, heldout 29/55 with 5/90. Tuning on the new tune
/// samples (fraud-invoices needs two terms; a bare Q before a QQ number
/// and look-alike letters in typed domains; platform-agent and tip-tutor
/// words with a contact; account sales with a handle; brands swapped into
/// mirrored pages): tune 72/78 with 0/141, heldout 32/55 with 5/90. Then
/// title shapes (gambling-title: the kind of game, then the site;
/// porn-title-shape: three video-site phrases): heldout 35/55, flagged
/// unchanged.
///
/// Round 6, second gathering: 42 more (22 title hijacks and brand swaps,
/// 20 legitimate pages with a game or casino in the title). Before tuning
/// on them: tune 74/89 with 7/151 flagged, heldout 40/66 with 8/100.
/// Tuning on the tune split (games and venues weak in gambling-title, a
/// game-then-site title shape, 彩金 out of titles, brands as written by
/// tune hijacks): tune 82/89 with 0/151, heldout 40/66 with 1/100.
///
/// Round 6, blind batch: 40 more (20 spam of every kind, 20 legitimate),
/// gathered without their content reported, measured once and not tuned
/// on: 9/20 spam caught, 2/20 legitimate flagged. With them: tune 86/99
/// with 1/161, heldout 45/76 with 2/110. Tuning on its tune half only
/// (backwards base64 and eval beside a hidden address, a venue-and-number
/// casino name, porn live-stream and escort terms, court words in the
/// porn rules): tune 90/99 with 0/161; heldout unchanged, 45/76 with
/// 2/110 (the batch's held-out half: 5/10 before and after).
///
/// Round 7: 48 more (24 spam, 24 legitimate), a blind batch as before:
/// 14/24 spam caught and 0/24 flagged before anything was tuned (tune half
/// 6/12, held-out half 8/12). With them: tune 96/111 with 0/173, heldout
/// 53/88 with 2/122. The brand feed (`rules mine`, gambling-brand and
/// porn-brand) moved nothing. Tuning on the batch's tune half only
/// (cash-out and "recovery" services with a contact, card-cheating
/// lessons, `体育app官网`, a site word standing before a school's students):
/// tune 101/111 with 0/173; heldout unchanged, 53/88 with 2/122 (the
/// batch's held-out half: 8/12 before and after).
///
/// Round 8: 48 more, a blind batch again, its legitimate half asked for
/// the kinds round 7's rules name (card-cheating cases, cash-out scams,
/// campus news). Before tuning: 8/24 spam caught, 3/24 flagged (tune half
/// 4/12 and 1/12, held-out half 4/12 and 2/12). With them: tune 105/123
/// with 1/185, heldout 57/100 with 4/134. Tuning on its tune half only
/// (anti-fraud words as exclude words, credit-repair services with a
/// contact, a Latin "bet" name before a site word, a Latin name before
/// 娱乐城, three porn studios' names in a title, 免费看片, sunbet and
/// 必赢bwin, gambling-cheat out of body text after two tune-split news
/// pages came near it): tune 111/123 with 0/185; heldout 58/100 with
/// 4/134 (the batch's held-out half: 4/12 and 2/12 before and after; one
/// earlier held-out sample caught).
///
/// Round 9: 48 more, a blind batch asked for a broad mix of what district
/// sites meet. Before tuning: 8/24 spam caught (no title hijack of 8),
/// 0/24 flagged. With them: tune 114/135 with 0/197, heldout 63/112 with
/// 4/146. Tuning on its tune half only (web and phone versions after a
/// betting site's kind, misspelled venues 新莆京/新蒲京/新浦京 and 娱人城,
/// 开云电子): tune 118/135 with 0/197; heldout 65/112 with 4/146 (the
/// batch's held-out half: 5/12 → 6/12, 0/12 flagged; one earlier held-out
/// sample caught). Then more of the tune split's misses (a crawler's
/// name beside a user-agent read in PHP source, 百家龙虎 with a contact, a
/// casino game and a sure-win method in a title, 伟德 with a Latin name and
/// a year, 色综合): tune 123/135; heldout unchanged.
///
/// Round 10: 48 more, a blind batch measured once with the round's final
/// packs and not tuned on: 8/24 spam caught, 2/24 flagged (two police
/// warnings, fraud-loans-tasks). With them: tune 128/147 with 0/209,
/// heldout 68/124 with 6/158.
///
/// Round 11: 48 more, a blind batch measured once before tuning: 9/24
/// spam caught (4/12 tune, 5/12 heldout), 0/24 flagged. Tuned on its tune
/// half only: tune 140/159 with 0/221, heldout 73/136 with 6/170 (the
/// batch's held-out half still 5/12).
///
/// Round 12: 46 more (two spam samples dropped on review: no citable
/// source), a blind batch measured once: 7/22 spam caught, 1/24 flagged
/// (a tune police case story, fraud-loans-tasks). Its false positive was
/// fixed (exclude_block 2 for that rule), its misses not tuned on: tune
/// 144/170 with 0/233, heldout 76/147 with 6/182.
///
/// Round 13: the packs were tuned on a development corpus outside the set
/// (fixtures/devcorpus: 433 spam texts, 260 legitimate pages) instead of
/// on the tune split: tune 146/170 with 0/233, heldout 80/147 with 6/182.
/// One new term (半岛娱乐) was dropped because it flagged a held-out page,
/// found when this test failed: that much of the held-out split was spent.
/// More of the same (link farms, escort and SMS-code ads, names swapped in
/// for a college's): tune 148/170, heldout 85/147 with 6/182. Then a blind
/// batch of 47 (one spam sample dropped on review), measured once: 11/23
/// spam caught, 0/24 flagged (the session's first packs: 10/23, 0/24).
/// With it: tune 153/181 with 0/245, heldout 91/159 with 6/194. The floors
/// below are those figures.
const FLOORS: [Floor; 3] = [
    Floor {
        split: Split::Tune,
        spam: 181,
        caught_at_least: 153,
        legit: 245,
        flagged_at_most: 0,
        critical_on_legit_at_most: 0,
    },
    Floor {
        split: Split::Heldout,
        spam: 159,
        caught_at_least: 91,
        legit: 194,
        flagged_at_most: 6,
        critical_on_legit_at_most: 0,
    },
    Floor {
        split: Split::All,
        spam: 340,
        caught_at_least: 244,
        legit: 439,
        flagged_at_most: 6,
        critical_on_legit_at_most: 0,
    },
];

fn show(f: &Figures) {
    eprintln!(
        "{:<8} spam caught {}/{} ({:.1}%), legit flagged {}/{} ({:.1}%), critical on legit {}",
        f.split.name(),
        f.caught,
        f.spam,
        f.recall() * 100.0,
        f.flagged,
        f.legit,
        f.false_positive_rate() * 100.0,
        f.critical_on_legit
    );
    for c in &f.categories {
        let what = match c.class {
            Class::Spam => "caught",
            Class::Legit => "flagged",
        };
        eprintln!(
            "           {} {:<16} {what} {}/{}",
            c.class.name(),
            c.category,
            c.hit,
            c.total
        );
    }
    for (rule, files) in &f.false_positives {
        eprintln!("           false positives of {rule}: {}", files.join(", "));
    }
}

#[test]
fn the_bundled_packs_keep_their_floors_on_real_material() {
    keeps_its_floors(&realworld(), &FLOORS);
}

fn devcorpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/devcorpus")
}

/// The development corpus (fixtures/devcorpus/README.md): what the packs
/// are tuned on, every page split `tune`. Its floors keep a later change
/// from losing what was fitted; they say nothing of generalisation, which
/// is the evaluation set's held-out split's to say. Before this corpus
/// (commit 2f7ccc3) the packs caught 274/553 and flagged 4/388.
const DEV_FLOORS: [Floor; 1] = [Floor {
    split: Split::Tune,
    spam: 553,
    caught_at_least: 453,
    legit: 388,
    flagged_at_most: 0,
    critical_on_legit_at_most: 0,
}];

#[test]
fn the_bundled_packs_keep_their_floors_on_the_development_corpus() {
    keeps_its_floors(&devcorpus(), &DEV_FLOORS);
}

fn keeps_its_floors(dir: &Path, floors: &[Floor]) {
    let set = LabelledSet::load(dir).expect("the set loads");
    let rules = RuleSet::compile(Packs::builtin()).expect("the bundled packs compile");
    let ev = evaluate::evaluate(&rules, &set).expect("every sample is read");
    for split in [Split::Tune, Split::Heldout, Split::All] {
        show(ev.figures(split));
    }
    for floor in floors {
        let f = ev.figures(floor.split);
        let name = floor.split.name();
        assert_eq!(
            (f.spam, f.legit),
            (floor.spam, floor.legit),
            "{name}: the set changed; update the counts (and say why in its README.md)"
        );
        assert!(
            f.caught >= floor.caught_at_least,
            "{name}: {} spam samples caught, the floor is {}; missed: {:?}",
            f.caught,
            floor.caught_at_least,
            f.missed
        );
        assert!(
            f.flagged <= floor.flagged_at_most,
            "{name}: {} legitimate samples flagged, the ceiling is {}; by rule: {:?}",
            f.flagged,
            floor.flagged_at_most,
            f.false_positives
        );
        assert!(
            f.critical_on_legit <= floor.critical_on_legit_at_most,
            "{name}: {} legitimate samples with a critical finding, the ceiling is {}",
            f.critical_on_legit,
            floor.critical_on_legit_at_most
        );
    }
}

#[test]
fn the_set_keeps_its_split_and_its_files() {
    // The split was fixed before any tuning: the k-th sample of a (class,
    // category) in collection order is heldout when k mod 3 == 0 (the
    // first 222 samples); the 60 added in round 4, the 39 of round 5, the
    // 125 of round 6, the 48 each of rounds 7 to 11 and the 46 and 47 of
    // rounds 12 and 13 alternate tune,
    // heldout in the order they were saved, per class. Samples dropped on review left
    // gaps, so today's order no longer gives that rule; what must hold is
    // that every split is one of the two and the held-out share stays a
    // third or more.
    let set = LabelledSet::load(&realworld()).unwrap();
    let heldout = set
        .samples
        .iter()
        .filter(|s| s.split == Split::Heldout)
        .count();
    assert_eq!(set.samples.len(), 779);
    assert_eq!(heldout, 353);
    for s in &set.samples {
        let dir = s.file.split('/').next().unwrap();
        assert_eq!(dir, s.class.name(), "{} is filed under its class", s.file);
    }
    // No sample file is left out of the labels.
    let mut on_disk: Vec<String> = Vec::new();
    for class in ["spam", "legit"] {
        for entry in std::fs::read_dir(realworld().join(class)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            on_disk.push(format!("{class}/{name}"));
        }
    }
    let mut labelled: Vec<String> = set.samples.iter().map(|s| s.file.clone()).collect();
    on_disk.sort();
    labelled.sort();
    assert_eq!(on_disk, labelled);
}

#[test]
fn rules_eval_prints_the_figures_and_exits_0() {
    let out = sitesweep(
        &[
            "rules",
            "eval",
            realworld().to_str().unwrap(),
            "--split",
            "heldout",
        ],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("779 samples (340 spam, 439 legitimate)"),
        "{stdout}"
    );
    assert!(stdout.contains("\nheldout  "), "{stdout}");
    assert!(stdout.contains("per category"), "{stdout}");
    assert!(stdout.contains("missed spam (heldout):"), "{stdout}");
    assert!(!stdout.contains("missed spam (tune)"), "{stdout}");
}

#[test]
fn rules_eval_lists_no_held_out_page_unless_asked() {
    let out = sitesweep(
        &["rules", "eval", realworld().to_str().unwrap()],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    // Every split's figures…
    for row in ["\ntune  ", "\nheldout  ", "\nall  "] {
        assert!(stdout.contains(row), "{row:?} in {stdout}");
    }
    // …but the pages listed are the tune split's only.
    assert!(stdout.contains("missed spam (tune):"), "{stdout}");
    let set = LabelledSet::load(&realworld()).unwrap();
    for s in set.samples.iter().filter(|s| s.split == Split::Heldout) {
        assert!(!stdout.contains(&s.file), "{} listed", s.file);
    }
}

#[test]
fn rules_eval_refuses_a_bad_labels_file_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("spam")).unwrap();
    std::fs::write(dir.path().join("spam/a.html"), "<p>x</p>").unwrap();
    std::fs::write(
        dir.path().join("PROVENANCE.tsv"),
        "file\tclass\tcategory\tsplit\nspam/a.html\tspam\tgambling\ttune\nspam/a.html\tspamm\tgambling\ttune\n",
    )
    .unwrap();
    let out = sitesweep(&["rules", "eval", "."], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("PROVENANCE.tsv:3: class `spamm`: use spam or legit"),
        "{}",
        text(&out.stderr)
    );
}

/// The samples of one class whose scripts make a `script.conditional-redirect`
/// when read as `rules explain --file` and `rules eval` read them.
fn conditional_samples(class: &str) -> Vec<String> {
    let dir = realworld().join(class);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let origin = Origin {
        scan: "t".into(),
        site: "t".into(),
        operator: String::new(),
        insecure_tls: false,
    };
    names
        .into_iter()
        .filter(|name| {
            let path = dir.join(name);
            let bytes = std::fs::read(&path).unwrap();
            let (_, url, read) =
                analyse::read_local(&path, &bytes, evaluate::content_type_of(&path));
            analyse::structure_findings(&origin, &url, &read)
                .iter()
                .any(|f| f.rule == "script.conditional-redirect")
        })
        .collect()
}

#[test]
fn conditional_redirects_are_found_in_the_hijack_scripts_and_in_no_legitimate_page() {
    // Every spam sample whose script reads the referrer or user agent,
    // compares it with engines or spiders and acts on it. Not among them:
    // 002 (the loader's payload is remote), 003 (a form, no condition),
    // 007 (an iframe overlay for everyone), 017 (a condition on the
    // visitor's city), 042 and 079 (PHP source), 080 (remote scripts), and
    // 008, a desktop condition that needs the page's site (below). 081 sends
    // visitors of some cities to a 404 unless they are a spider: the spider
    // condition is what is found. Not the legitimate legit/183, which reads
    // the user agent for crawler flags and sends nobody anywhere.
    assert_eq!(
        conditional_samples("spam"),
        vec![
            "001-zhizhuchi-ua-iframe-template.html",
            "006-referrer-regex-redirect-agm.js",
            "009-referrer-opener-hijack-viewn.js",
            "010-ua-gated-iframe-overlay.js",
            "011-referrer-mobile-cookie-redirect.js",
            "045-referrer-device-matrix-iframe.js",
            "046-geo-network-device-gated-ad-injector.js",
            "081-chess-card-game-region-cloak-404.js",
            // Round 11's blind batch: a referrer loader and a device redirect.
            "297-sojson-referrer-loader-and-device-redirect.html",
            // Round 13's: a mirroring kit's search-referral redirect.
            "328-search-referrer-redirect-loader.js",
        ]
    );
    assert_eq!(conditional_samples("legit"), Vec::<String>::new());
}

#[test]
fn a_desktop_condition_sending_the_office_to_another_site_is_found_on_a_site() {
    // spam/008 as a scan of a registered site reads it: the page has a
    // site, and qq.com is not it.
    let rules = RuleSet::compile(Packs::builtin()).unwrap();
    let origin = Origin {
        scan: "t".into(),
        site: "t".into(),
        operator: String::new(),
        insecure_tls: false,
    };
    let bytes =
        std::fs::read(realworld().join("spam/008-desktop-to-qq404-mobile-only.js")).unwrap();
    let url = Url::parse("http://www.example.gov.cn/js/tiaozhuan.js").unwrap();
    let body = Body {
        url: &url,
        bytes: &bytes,
        content_type: Some("application/javascript"),
        truncated: false,
        max_document: 0,
    };
    let found = analyse::analyse(&rules, &origin, &body).findings;
    let f = found
        .iter()
        .find(|f| f.rule == "script.conditional-redirect")
        .expect("found");
    assert_eq!(f.severity, sitesweep::severity::Severity::Critical);
    assert_eq!(f.term, "user-agent:linux,mac,win,x11->location");
    assert!(
        f.snippet
            .contains("(to http://www.qq.com/babygohome/?pgv_ref=404)"),
        "{}",
        f.snippet
    );
}
