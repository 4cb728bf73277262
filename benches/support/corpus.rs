//! Deterministic benchmark data: a Chinese corpus of news-like paragraphs
//! with disguised spam terms sprinkled in, and a 10,000-term rule pack.
//! Shared by `benches/matching.rs` (criterion) and
//! `examples/matchbench.rs` (the comparison script's timer).

#![allow(dead_code)]

/// Common characters of Chinese government and school pages.
const COMMON: &str = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质给族教北市团县领带收育格非政工局部门办公室通知关于开展工作安全检查学校医院企业服务群众建设发展规划信息公开会议精神落实责任监督管理办法制度改革创新推进";

const PUNCT: &[&str] = &["，", "。", "、", "；", "：", "“", "”", "（", "）", " "];

/// A small, fixed PRNG so every run sees the same data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

fn pool() -> Vec<char> {
    COMMON.chars().collect()
}

/// `n` distinct terms: mostly 3–5 CJK characters, some ASCII brand-like words.
pub fn terms(n: usize) -> Vec<String> {
    let pool = pool();
    let mut rng = Rng::new(0x5eed_7e12);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let term: String = if rng.below(10) == 0 {
            let len = 4 + rng.below(4);
            let mut t: String = (0..len)
                .map(|_| (b'a' + rng.below(26) as u8) as char)
                .collect();
            t.push_str(&rng.below(1000).to_string());
            t
        } else {
            let len = 3 + rng.below(3);
            (0..len).map(|_| pool[rng.below(pool.len())]).collect()
        };
        if seen.insert(term.clone()) {
            out.push(term);
        }
    }
    out
}

/// Paragraphs of about `bytes` bytes in all. Every ~40th paragraph carries a
/// term, disguised one time in three (separators, full-width, zero-width).
pub fn corpus(bytes: usize, terms: &[String]) -> Vec<String> {
    let pool = pool();
    let mut rng = Rng::new(0xc0ff_ee11);
    let mut paragraphs = Vec::new();
    let mut total = 0;
    while total < bytes {
        let mut p = String::with_capacity(400);
        let chars = 60 + rng.below(120);
        for i in 0..chars {
            p.push(pool[rng.below(pool.len())]);
            if i % (8 + rng.below(12)) == 7 {
                p.push_str(PUNCT[rng.below(PUNCT.len())]);
            }
            if rng.below(200) == 0 {
                p.push_str("2026年11月");
            }
        }
        if rng.below(40) == 0 {
            let term = &terms[rng.below(terms.len())];
            let disguised: String = match rng.below(3) {
                0 => term
                    .chars()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join("."),
                1 => term
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            char::from_u32(c as u32 - 0x20 + 0xFF00).unwrap_or(c)
                        } else {
                            c
                        }
                    })
                    .collect(),
                _ => term.chars().map(|c| format!("{c}\u{200b}")).collect(),
            };
            let at = p
                .char_indices()
                .nth(p.chars().count() / 2)
                .map_or(0, |(i, _)| i);
            p.insert_str(at, &format!(" {disguised} "));
        }
        total += p.len();
        paragraphs.push(p);
    }
    paragraphs
}

/// A rule pack with every term in one rule.
pub fn pack_toml(terms: &[String]) -> String {
    let mut toml = String::from(
        "[[rule]]\nid = \"bench\"\ntitle = \"bench\"\ncategory = \"bench\"\nseverity = \"high\"\nkeywords = [\n",
    );
    for t in terms {
        toml.push_str(&format!("  {t:?},\n"));
    }
    toml.push_str("]\n");
    toml
}
