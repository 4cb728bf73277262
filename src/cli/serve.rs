//! `sitesweep serve`: the office service ([`sitesweep::service`]) on the
//! machine's clock, stopped by SIGTERM or Ctrl-C, with `GET /health` on
//! `--listen` (loopback only: there are no accounts yet). The web
//! interface is not built; this file holds only the one route, on tokio,
//! until it comes.

use sitesweep::error::Error;
use sitesweep::schedule::{Stop, SystemClock, Zone};
use sitesweep::service::{Service, ServiceOptions};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct ServeArgs {
    pub sites: PathBuf,
    pub db: PathBuf,
    pub listen: String,
    pub rules: Option<PathBuf>,
    pub concurrency: usize,
}

/// Run until SIGTERM or Ctrl-C; exit 0 after a clean stop.
pub fn serve(args: ServeArgs) -> Result<u8, Error> {
    // Refused before anything is read or bound.
    let addr = sitesweep::service::check_listen(&args.listen)?;
    let stop = Arc::new(Stop::default());
    let log: sitesweep::service::Log = Arc::new(|line: &str| {
        eprintln!(
            "{} {}",
            sitesweep::time::now_rfc3339(),
            super::terminal_safe(line)
        );
    });
    let service = Arc::new(Service::start(
        ServiceOptions {
            register: args.sites.clone(),
            db: args.db.clone(),
            rules: args.rules.clone(),
            concurrency: args.concurrency,
            zone: Zone::Local,
            probes: true,
        },
        Arc::new(SystemClock),
        stop.clone(),
        log.clone(),
    )?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(addr))
        .map_err(|e| Error::Failed(format!("--listen {addr}: {e}")))?;
    let bound = listener.local_addr().unwrap_or(addr);
    let register = service.register();
    log(&format!(
        "serving {} ({} sites, {} schedule{}) with {}; GET http://{bound}/health",
        register.path.display(),
        register.sites.len(),
        register.schedules.len(),
        if register.schedules.len() == 1 {
            ""
        } else {
            "s"
        },
        args.db.display()
    ));
    for (i, s) in register.schedules.iter().enumerate() {
        log(&format!(
            "schedule {}: \"{}\", {} site{}",
            i + 1,
            s.cron.as_str(),
            s.sites.len(),
            if s.sites.len() == 1 { "" } else { "s" }
        ));
    }
    let worker = {
        let service = service.clone();
        std::thread::Builder::new()
            .name("schedules".into())
            .spawn(move || service.run())
            .map_err(|e| Error::Failed(format!("cannot start the scheduler: {e}")))?
    };
    runtime.block_on(async {
        let http = accept(listener, service.clone());
        tokio::select! {
            _ = http => {}
            _ = stop_signal() => {}
        }
    });
    log("stopping: a running scan is interrupted and resumed at the next start");
    stop.stop();
    drop(runtime);
    let _ = worker.join();
    log("stopped");
    Ok(super::exit::OK)
}

/// SIGTERM (systemd, `kill`) or Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn accept(listener: tokio::net::TcpListener, service: Arc<Service>) {
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let service = service.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(10), answer(conn, service)).await;
        });
    }
}

/// One request, one answer, then the connection is closed.
async fn answer(mut conn: tokio::net::TcpStream, service: Arc<Service>) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, body) = match (method, path) {
        ("GET" | "HEAD", "/health") => {
            let health = tokio::task::spawn_blocking(move || service.health())
                .await
                .unwrap_or_default();
            ("200 OK", health.to_string())
        }
        ("GET" | "HEAD", _) => (
            "404 Not Found",
            r#"{"error":"not found: only GET /health is served (the web interface is not built yet)"}"#
                .to_string(),
        ),
        _ => (
            "405 Method Not Allowed",
            r#"{"error":"only GET"}"#.to_string(),
        ),
    };
    let mut reply = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if method != "HEAD" {
        reply.extend_from_slice(body.as_bytes());
    }
    conn.write_all(&reply).await?;
    conn.shutdown().await
}
