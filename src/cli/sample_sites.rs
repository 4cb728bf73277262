//! `sitesweep demo`: built-in sample sites served on 127.0.0.1, scanned with
//! the bundled packs. No network, no set-up.
//!
//! The sites are what district scans really meet: a government portal with
//! a hidden dark-link block, a script-written spam link and a spam writer
//! appended to its own common.js, next to a legitimate anti-gambling article; a GBK school site with spam in a 1px
//! marquee; a social-security office publishing ID and phone numbers in a
//! list, with fraud ads in its guestbook; a clean hospital site; and a site
//! that does not answer.

use super::server::{Reply, Server};
use sitesweep::register::{Register, Settings, Site};
use std::path::Path;
use url::Url;

/// The running sample sites and the register that lists them.
pub struct DemoSites {
    pub register: Register,
    _servers: Vec<Server>,
}

impl DemoSites {
    /// Write the register to `path` as a `sites.toml` a
    /// [`sitesweep::service::Service`] reads (`demo --serve`: re-scans and
    /// re-checks), and name it as the register's file. Valid while the
    /// sample sites run: their ports change every run.
    pub fn write_register(&mut self, path: &Path) -> std::io::Result<()> {
        let sites: Vec<toml::Value> = self
            .register
            .sites
            .iter()
            .map(|s| {
                let mut t = toml::Table::new();
                t.insert("id".into(), s.id.clone().into());
                t.insert("name".into(), s.name.clone().into());
                t.insert("url".into(), s.url.to_string().into());
                t.insert("operator".into(), s.operator.clone().into());
                if let Some(c) = &s.contact {
                    t.insert("contact".into(), c.clone().into());
                }
                t.insert("tags".into(), s.tags.clone().into());
                let st = &s.settings;
                t.insert("max_pages".into(), (st.max_pages as i64).into());
                t.insert("allow_private".into(), st.allow_private.into());
                t.insert("timeout_s".into(), (st.timeout_s as i64).into());
                t.insert(
                    "per_host_concurrency".into(),
                    (st.per_host_concurrency as i64).into(),
                );
                t.insert("check_outbound".into(), st.check_outbound.into());
                toml::Value::Table(t)
            })
            .collect();
        let mut doc = toml::Table::new();
        doc.insert("site".into(), sites.into());
        let text = toml::to_string(&doc).map_err(std::io::Error::other)?;
        std::fs::write(
            path,
            format!(
                "# The sample sites of `sitesweep demo --serve`, on 127.0.0.1 while it runs\n\
                 # (their ports change every run).\n\n{text}"
            ),
        )?;
        self.register.path = path.to_path_buf();
        self.register.files = vec![path.to_path_buf()];
        Ok(())
    }
}

/// Append the ISO 7064 MOD 11-2 check character to 17 digits.
fn with_check(first17: &str) -> String {
    let check = sitesweep::rules::validate::cn_id_check_char(first17.as_bytes());
    format!("{first17}{}", check as char)
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"description\" content=\"{title}\"></head>\n<body>\n{body}\n</body></html>\n"
    )
}

const GOV_NAV: &str = "<script src=\"/js/common.js\"></script>\
    <div class=\"nav\"><a href=\"/\">首页</a> <a href=\"/zwgk/\">政务公开</a> \
    <a href=\"/news/\">新闻动态</a> <a href=\"/bsfw/\">办事服务</a></div>";

/// The portal's own script, with a spam writer appended by the intruder.
const GOV_JS: &str = "/* 城南区政府网站公共脚本 */\nfunction setHome(){}\nfunction addFav(){}\n\
    document.writeln('<div style=\"position:absolute;left:-3000px\"><a href=\"http://www.xpj8888.com/\">新葡京娱乐城</a>\
    <a href=\"http://www.xpj8888.com/\">真人视讯</a></div>');\n";

fn gov_site() -> Vec<(&'static str, Reply)> {
    // The injected block: off-screen, links to gambling sites, as hacked
    // portals carry them in the footer of every page.
    let dark_links = "<div style=\"position:absolute;top:-999px;left:-999px\">\
        <a href=\"http://www.amjs8888.com/\">澳门葡京</a> <a href=\"http://www.bjl-online.example/\">百.家.乐在线</a> \
        <a href=\"http://www.hg0088.vip/\">皇冠體育</a> <a href=\"http://www.bet365.example/\">ｂｅｔ３６５官网</a></div>";
    let footer = format!(
        "<div class=\"footer\"><p>主办：城南区人民政府办公室 地址：城南区人民路1号 电话：0571-8700 0000</p>{dark_links}</div>"
    );
    let index = page(
        "城南区人民政府门户网站",
        &format!(
            "{GOV_NAV}<div class=\"main\"><h2>新闻动态</h2><ul>\
             <li><a href=\"/news/1.html\">我区召开打击网络赌博专项工作推进会</a></li>\
             <li><a href=\"/news/2.html\">城南区2026年冬季安全生产检查全面启动</a></li>\
             <li><a href=\"/news/2019/old.html\">2019年区政府工作报告（全文）</a></li></ul>\
             <h2>政务公开</h2><p>依据《中华人民共和国政府信息公开条例》，现将我区政府信息公开工作情况公布如下。</p></div>{footer}"
        ),
    );
    let article = page(
        "我区召开打击网络赌博专项工作推进会",
        &format!(
            "{GOV_NAV}<h1>我区召开打击网络赌博专项工作推进会</h1>\
             <p>11月20日，我区召开打击网络赌博专项工作推进会。会议指出，要严厉打击网络赌博违法犯罪，\
             坚决斩断“百家乐”“六合彩”等网络赌博利益链条。</p>\
             <p>会议要求，各街道要广泛开展宣传，引导群众远离网络赌博，警惕网络赌博陷阱，发现线索及时向公安机关举报。</p>{footer}"
        ),
    );
    let news2 = page(
        "城南区2026年冬季安全生产检查全面启动",
        &format!(
            "{GOV_NAV}<h1>城南区2026年冬季安全生产检查全面启动</h1>\
             <p>为切实做好冬季安全生产工作，区安委办近日印发通知，对全区重点行业领域开展安全生产大检查。</p>\
             <script type=\"text/javascript\">var _x='\\u6fb3\\u95e8';document.write('<div style=\"display:none\"><a href=\"http://www.js9988.com/\">'+_x+'新葡京'+'</a>' + '<a href=\"http://www.js9988.com/\">真人荷官</a></div>');</script>{footer}"
        ),
    );
    let zwgk = page(
        "政务公开",
        &format!("{GOV_NAV}<h1>政务公开</h1><p>政府信息公开指南、政府信息公开目录、政府信息公开年报。</p>{footer}"),
    );
    let robots = "User-agent: *\nDisallow: /admin/\n";
    vec![
        ("/", Reply::html(index)),
        ("/news/1.html", Reply::html(article)),
        ("/news/2.html", Reply::html(news2)),
        ("/zwgk/", Reply::html(zwgk)),
        ("/news/", Reply::redirect(302, "/")),
        ("/bsfw/", Reply::redirect(302, "/zwgk/")),
        ("/robots.txt", Reply::with_type(200, "text/plain", robots)),
        (
            "/js/common.js",
            Reply::with_type(200, "application/javascript", GOV_JS),
        ),
    ]
}

fn school_site() -> Vec<(&'static str, Reply)> {
    let gbk = |s: String| encoding_rs::GBK.encode(&s).0.into_owned();
    // GBK with the charset only in <meta>, as many old school sites are.
    let head = |title: &str| {
        format!(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"><title>{title}</title></head><body>"
        )
    };
    let index = format!(
        "{}<table width=\"960\"><tr><td><img src=\"/images/logo.gif\"> 城南区第一中学</td></tr>\
         <tr><td><a href=\"/notice/\">通知公告</a> | <a href=\"/jxky/\">教学科研</a> | <a href=\"/test.html\">测试栏目</a></td></tr>\
         <tr><td><marquee height=\"1\" width=\"1\" scrollamount=\"1000\">\
         <a href=\"http://av.example/\">成人视频</a><a href=\"http://av.example/\">午夜福利</a><a href=\"http://cp.example/\">六合彩</a>\
         </marquee>欢迎访问城南区第一中学网站！我校始建于1956年，是区重点中学。</td></tr></table></body></html>",
        head("城南区第一中学")
    );
    let notice = format!(
        "{}<h3>关于2026年寒假放假安排的通知</h3><p>各位家长：根据区教育局校历安排，我校寒假时间为2027年1月20日至2月22日。</p>\
         <p>请家长加强假期安全教育，远离网吧，注意交通安全。</p></body></html>",
        head("通知公告")
    );
    let jxky = format!(
        "{}<h3>教学科研</h3><p>我校数学组开展“彩票与概率”兴趣课，引导学生理性认识概率。</p></body></html>",
        head("教学科研")
    );
    let test = format!(
        "{}<p>测试页面 test page 请勿删除</p></body></html>",
        head("测试页面")
    );
    let html = |b: Vec<u8>| Reply::with_type(200, "text/html", b);
    vec![
        ("/", html(gbk(index))),
        ("/notice/", html(gbk(notice))),
        ("/jxky/", html(gbk(jxky))),
        ("/test.html", html(gbk(test))),
    ]
}

fn shebao_site() -> Vec<(&'static str, Reply)> {
    let people = [
        ("张伟", "33010219580312001", "13805710001", "1200"),
        ("王芳", "33010619620721002", "13905710002", "1200"),
        ("李娜", "33010519700105003", "15005710003", "800"),
        ("刘洋", "33010419811130004", "18605710004", "800"),
    ];
    let mut rows = String::new();
    for (i, (name, id17, phone, amount)) in people.iter().enumerate() {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{name}</td><td>{}</td><td>{phone}</td><td>{amount}</td></tr>",
            i + 1,
            with_check(id17)
        ));
    }
    // A compliant row: masked as the rules require.
    rows.push_str("<tr><td>5</td><td>陈静</td><td>330102********0056</td><td>137****0005</td><td>800</td></tr>");
    let list = page(
        "2026年11月高龄津贴发放名单公示",
        &format!(
            "<h1>2026年11月高龄津贴发放名单公示</h1><p>根据有关规定，现将2026年11月高龄津贴发放名单公示如下，公示期7天。</p>\
             <table border=\"1\"><tr><th>序号</th><th>姓名</th><th>身份证号</th><th>联系电话</th><th>金额（元）</th></tr>{rows}</table>\
             <p>联系人：周老师 0571-8700 1234</p>"
        ),
    );
    let guestbook = page(
        "留言板",
        "<h1>留言板</h1><div class=\"msg\"><p>网友：请问社保卡丢失如何补办？</p><p>回复：请携带身份证到服务大厅办理。</p></div>\
         <div class=\"msg\"><p>网友：专业办证 诚信办证，各类证件 代开发票 加微信 ban-zheng-888</p></div>\
         <div class=\"msg\"><p>网友：兼职刷单，日赚千元，手机就能做！</p></div>",
    );
    let index = page(
        "城南区社会保障服务中心",
        "<h1>城南区社会保障服务中心</h1><ul><li><a href=\"/gs/2026-11.html\">2026年11月高龄津贴发放名单公示</a></li>\
         <li><a href=\"/lyb/\">留言板</a></li><li><a href=\"/bszn/\">办事指南</a></li></ul>\
         <p>办公时间：周一至周五 9:00-17:00。办证大厅地址：城南区民生路8号。</p>",
    );
    let bszn = page(
        "办事指南",
        "<h1>办事指南</h1><p>社保卡申领、补换、挂失均可在办证大厅或线上办理。</p>",
    );
    vec![
        ("/", Reply::html(index)),
        ("/gs/2026-11.html", Reply::html(list)),
        ("/lyb/", Reply::html(guestbook)),
        ("/bszn/", Reply::html(bszn)),
    ]
}

fn hospital_site() -> Vec<(&'static str, Reply)> {
    let index = page(
        "城南区人民医院",
        "<h1>城南区人民医院</h1><p>二级甲等综合医院。门诊时间：周一至周日 8:00-17:00。</p>\
         <ul><li><a href=\"/ksjs/\">科室介绍</a></li><li><a href=\"/jzzn/\">就诊指南</a></li></ul>",
    );
    let ksjs = page(
        "科室介绍",
        "<h1>科室介绍</h1><p>内科、外科、妇产科、儿科、急诊科。</p>",
    );
    let jzzn = page(
        "就诊指南",
        "<h1>就诊指南</h1><p>请携带医保卡或身份证就诊。谨防医托，警惕网络刷单返利类诈骗。</p>",
    );
    vec![
        ("/", Reply::html(index)),
        ("/ksjs/", Reply::html(ksjs)),
        ("/jzzn/", Reply::html(jzzn)),
    ]
}

fn site(id: &str, name: &str, operator: &str, contact: &str, url: &str, tags: &[&str]) -> Site {
    Site {
        id: id.into(),
        name: name.into(),
        url: Url::parse(url).expect("demo URL"),
        try_http: false,
        operator: operator.into(),
        contact: Some(contact.into()),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        extra_urls: Vec::new(),
        exclude: Vec::new(),
        email: None,
        settings: Settings {
            max_pages: 50,
            // The demo serves on 127.0.0.1, which a real scan refuses.
            allow_private: true,
            timeout_s: 5,
            // One request at a time: the sample sites are read in the same
            // order every run, so the demo's reports are the same every run
            // (the report golden test compares them).
            per_host_concurrency: 1,
            // The sample pages link to real spam domains: the demo must not
            // send a request anywhere but 127.0.0.1.
            check_outbound: false,
            ..Settings::default()
        },
        line: 0,
    }
}

/// A hacked site's cloaking kit: its notices page answers Baiduspider with
/// a spam page (a title hijack) and everyone else with the real one, so a
/// visitor never sees it; the demo's second looks do.
fn cloaked(routes: Vec<(&'static str, Reply)>) -> super::server::Handler {
    let map: std::collections::HashMap<String, Reply> = routes
        .into_iter()
        .map(|(p, r)| (p.to_string(), r))
        .collect();
    let spider_page = encoding_rs::GBK
        .encode(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">\
             <title>澳门新葡京娱乐城_百家乐官网_真人视讯</title></head><body>\
             <h1>澳门新葡京娱乐城官方网站</h1><p>新葡京娱乐城提供百家乐、真人视讯、体育投注，注册即送彩金，\
             最新网址请收藏。</p><a href=\"http://www.xpj8888.com/\">进入新葡京</a></body></html>",
        )
        .0
        .into_owned();
    std::sync::Arc::new(move |req: &super::server::Request| {
        let spider = req
            .headers
            .get("user-agent")
            .is_some_and(|ua| ua.contains("Baiduspider"));
        if spider && req.path() == "/notice/" {
            return Reply::with_type(200, "text/html", spider_page.clone());
        }
        map.get(&req.target)
            .cloned()
            .unwrap_or_else(|| Reply::status(404))
    })
}

/// Start the sample sites and build their register.
pub fn start() -> std::io::Result<DemoSites> {
    let gov = Server::routes(gov_site())?;
    let school = Server::start(cloaked(school_site()))?;
    let shebao = Server::routes(shebao_site())?;
    let hospital = Server::routes(hospital_site())?;
    // A port where nothing listens: the unreachable site.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let sites = vec![
        site(
            "gov",
            "城南区人民政府",
            "城南区政府办公室",
            "李主任 0571-87000000",
            &gov.url("/"),
            &["gov"],
        ),
        site(
            "school",
            "城南区第一中学",
            "城南区教育局",
            "王老师 0571-87000001",
            &school.url("/"),
            &["edu"],
        ),
        site(
            "shebao",
            "城南区社会保障服务中心",
            "城南区人力社保局",
            "周老师 0571-87001234",
            &shebao.url("/"),
            &["gov"],
        ),
        site(
            "hospital",
            "城南区人民医院",
            "城南区卫生健康局",
            "赵主任 0571-87000002",
            &hospital.url("/"),
            &["health"],
        ),
        site(
            "archive",
            "城南区档案馆",
            "城南区政府办公室",
            "李主任 0571-87000000",
            &format!("http://{closed}/"),
            &["gov"],
        ),
    ];
    Ok(DemoSites {
        register: Register::from_sites(Path::new("<demo>").to_path_buf(), sites),
        _servers: vec![gov, school, shebao, hospital],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_valid() {
        assert_eq!(with_check("51010719800812345"), "510107198008123459");
        assert!(sitesweep::rules::validate::valid_cn_id(&with_check(
            "33010219580312001"
        )));
    }
}
