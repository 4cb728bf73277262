//! What the web interface's tests share: a local site with hostile spam
//! that can be cleaned, registers of such sites, the service and the web
//! interface started in-process on 127.0.0.1.

use super::server::{Reply, Request, Server};
use sitesweep::schedule::{Stop, SystemClock, Zone};
use sitesweep::service::{Service, ServiceOptions};
use sitesweep::web::Web;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub const HOSTILE: &str =
    "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(2)&gt;";

/// A site whose home page carries a hidden dark-link block with hostile
/// text in it, while `spam` is set.
pub fn site(spam: Arc<AtomicBool>) -> Server {
    Server::start(Arc::new(move |req: &Request| match req.path() {
        "/" if spam.load(Ordering::SeqCst) => Reply::html(format!(
            "<html><body><p>欢迎</p><div style='display:none'><a href='http://x.example/'>六合彩</a><a href='http://y.example/'>{HOSTILE} 百家乐 {HOSTILE}</a><a href='http://z.example/'>时时彩</a></div></body></html>"
        )),
        "/" => Reply::html("<html><body><p>欢迎访问本站</p></body></html>"),
        _ => Reply::status(404),
    }))
    .unwrap()
}

pub fn site_entry(id: &str, url: &str) -> String {
    format!(
        "[[site]]\nid = \"{id}\"\nname = \"{id} 网站\"\nurl = \"{url}\"\noperator = \"{id} 办公室\"\nallow_private = true\nprobes = []\ncheck_outbound = false\nmax_pages = 5\n\n"
    )
}

/// The web interface on 127.0.0.1:0 in a thread of its own.
pub fn start_web(web: Arc<Web>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let _ = sitesweep::web::serve(listener, web, std::future::pending()).await;
        });
    });
    rx.recv().unwrap()
}

pub fn start_service(dir: &Path) -> Arc<Service> {
    start_service_until(dir, Arc::new(Stop::default()))
}

/// The service over `dir`'s `sites.toml` and `sitesweep.db`, stopped by
/// `stop`.
pub fn start_service_until(dir: &Path, stop: Arc<Stop>) -> Arc<Service> {
    Arc::new(
        Service::start(
            ServiceOptions {
                register: dir.join("sites.toml"),
                db: dir.join("sitesweep.db"),
                rules: None,
                concurrency: 2,
                zone: Zone::Local,
                probes: false,
            },
            Arc::new(SystemClock),
            stop,
            Arc::new(|_: &str| {}),
        )
        .unwrap(),
    )
}
