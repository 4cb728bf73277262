//! `sitesweep serve`: the office service ([`sitesweep::service`]) on the
//! machine's clock, stopped by SIGTERM or Ctrl-C, with the web interface
//! ([`sitesweep::web`]) on `--listen` (loopback only until the database
//! holds an account).

use sitesweep::error::Error;
use sitesweep::schedule::{Stop, SystemClock, Zone};
use sitesweep::service::{Service, ServiceOptions};
use std::path::PathBuf;
use std::sync::Arc;

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
    let accounts = sitesweep::accounts::any_account(&args.db);
    let addr = sitesweep::service::check_listen(&args.listen, accounts)?;
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
    let web = Arc::new(sitesweep::web::Web::new(
        args.db.clone(),
        Some(service.clone()),
        addr.ip().is_loopback(),
    )?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(addr))
        .map_err(|e| Error::Failed(format!("--listen {addr}: {e}")))?;
    let bound = listener.local_addr().unwrap_or(addr);
    let register = service.register();
    log(&format!(
        "serving {} ({} sites, {} schedule{}) with {}; web interface on http://{bound}/ ({})",
        register.path.display(),
        register.sites.len(),
        register.schedules.len(),
        if register.schedules.len() == 1 {
            ""
        } else {
            "s"
        },
        args.db.display(),
        if accounts {
            "log in with an account of `sitesweep user add`"
        } else {
            "no accounts: every visitor on this machine is an implicit local admin"
        }
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
    if let Err(e) = runtime.block_on(sitesweep::web::serve(listener, web, stop_signal())) {
        log(&format!("web interface stopped: {e}"));
    }
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
