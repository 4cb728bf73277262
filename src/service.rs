//! The office service behind `sitesweep serve`: the register's
//! `[[schedule]]`s run as scans, one at a time, through [`crate::scan::run`]
//! and its database lock; each site's home page probed about once an hour
//! for `site.availability`; `[notify]` messages after each scan and when a
//! site goes down; the register reloaded when its files change.
//!
//! Time comes from an injected [`Clock`], so tests drive a week of
//! schedules and probes in milliseconds. The pieces are public
//! ([`Service::tick`], [`Service::run_queued_scan`],
//! [`Service::probe_due`], [`Service::health`]) for the web interface to
//! build on; [`Service::run`] is the loop `serve` runs.
//!
//! Stopping ([`Stop`]): a running scan is interrupted as Ctrl-C does — it
//! is marked `interrupted`, keeps everything it stored, and is resumed
//! when `serve` starts again (or by `sitesweep scan --resume`).

use crate::availability;
use crate::error::{Error, InputError};
use crate::notify::{self, Down, News, Notifier, Outcome};
use crate::register::Register;
use crate::scan::{ScanOptions, ScanResult};
use crate::schedule::{Clock, Queue, Scheduler, Stop, Zone};
use crate::store::Store;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// How long to wait before trying again when another process holds the
/// database's scan lock.
pub const LOCK_RETRY: Duration = Duration::from_secs(30);
/// Most time the loop sleeps at once: a changed register or a clock that
/// jumped (a machine waking up) is noticed within it.
pub const MAX_SLEEP: Duration = Duration::from_secs(30);
/// Home pages probed at once.
pub const PROBES_AT_ONCE: usize = 8;

/// What `serve` is given.
#[derive(Clone, Debug)]
pub struct ServiceOptions {
    pub register: PathBuf,
    pub db: PathBuf,
    /// `--rules`; else `rules/` beside the register, else the built-in
    /// packs (read again for every scan, so edited packs apply).
    pub rules: Option<PathBuf>,
    /// Sites crawled at once within a scan.
    pub concurrency: usize,
    /// The clock face of the cron expressions.
    pub zone: Zone,
    /// Probe home pages (`site.availability`).
    pub probes: bool,
}

/// Where the loop's messages go (stderr in `serve`).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// How one scheduled scan went.
#[derive(Debug)]
pub struct ScanDone {
    /// Index of the schedule in the register.
    pub schedule: usize,
    /// The scan, or why it failed.
    pub result: Result<ScanResult, Error>,
    pub notifications: Vec<Outcome>,
}

/// New home-page titles told per site between two scans, at most.
const RETITLES_TOLD: usize = 3;

struct State {
    register: Arc<Register>,
    /// Modification times of the register's files when it was read (or
    /// last refused).
    stamps: Vec<Option<SystemTime>>,
    scheduler: Scheduler,
    queue: Queue,
    next_probe: HashMap<String, SystemTime>,
    /// The scan running now: schedule and since when.
    running_since: Option<SystemTime>,
    /// Per site, the title the last scan read on the home page and the
    /// other titles hourly probes have told the office of since: each is
    /// told once, and at most [`RETITLES_TOLD`] between two scans (a title
    /// that changes with every visit must not page the office hourly).
    retitle_told: HashMap<String, (String, Vec<String>)>,
}

pub struct Service {
    opts: ServiceOptions,
    clock: Arc<dyn Clock>,
    stop: Arc<Stop>,
    log: Log,
    state: Mutex<State>,
    /// `serve`'s own connection: probes, availability findings,
    /// notifications, health.
    store: Mutex<Store>,
    /// How notifications wait between tries (tests: not at all).
    pub notify_sleep: Option<Arc<dyn Fn(Duration) + Send + Sync>>,
    /// What the web interface asked for: a site scanned now, a page
    /// re-checked. Run in turn by [`Service::run_jobs`].
    jobs: Mutex<std::collections::VecDeque<Job>>,
    jobs_ready: std::sync::Condvar,
}

/// Work asked for from the web interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Job {
    /// Scan one site of the register now (a scan of its own, through the
    /// database lock like any other).
    ScanSite(String),
    /// Fetch and analyse a finding's page again (after 已整改): the
    /// finding is closed when its fingerprint is gone, reopened when not.
    Recheck(String),
}

/// How a job went.
#[derive(Debug)]
pub enum JobDone {
    Scanned(Result<ScanResult, Error>),
    Rechecked {
        fingerprint: String,
        outcome: crate::workflow::Recheck,
        state: crate::workflow::State,
    },
    Failed(String),
}

fn stamps(files: &[PathBuf]) -> Vec<Option<SystemTime>> {
    files
        .iter()
        .map(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok())
        .collect()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Service {
    /// Read the register (a bad one is refused: exit 2) and open the
    /// database (created and migrated as needed).
    pub fn start(
        mut opts: ServiceOptions,
        clock: Arc<dyn Clock>,
        stop: Arc<Stop>,
        log: Log,
    ) -> Result<Service, Error> {
        if let Ok(abs) = std::path::absolute(&opts.register) {
            opts.register = abs;
        }
        let register = Register::load(&opts.register)?;
        // Rules are read for each scan; refuse bad ones now too.
        crate::rules::load(
            crate::rules::resolve_dir(opts.rules.as_deref(), Some(&opts.register)).as_deref(),
        )?;
        let store = Store::open(&opts.db)?;
        let now = clock.now();
        let scheduler = Scheduler::new(
            register.schedules.iter().map(|s| s.cron.clone()).collect(),
            now,
            opts.zone,
        );
        let next_probe = register
            .sites
            .iter()
            .map(|s| (s.id.clone(), availability::next_probe_after(&s.id, now)))
            .collect();
        Ok(Service {
            state: Mutex::new(State {
                stamps: stamps(&register.files),
                register: Arc::new(register),
                scheduler,
                queue: Queue::default(),
                next_probe,
                running_since: None,
                retitle_told: HashMap::new(),
            }),
            store: Mutex::new(store),
            opts,
            clock,
            stop,
            log,
            notify_sleep: None,
            jobs: Mutex::new(Default::default()),
            jobs_ready: std::sync::Condvar::new(),
        })
    }

    pub fn register(&self) -> Arc<Register> {
        lock(&self.state).register.clone()
    }

    fn notifier(&self, register: &Register) -> Option<Notifier> {
        let mut n = Notifier::new(register.notify.clone()?);
        if let Some(sleep) = &self.notify_sleep {
            n.sleep = sleep.clone();
        }
        Some(n)
    }

    fn say(&self, text: &str) {
        (self.log)(text);
    }

    /// Read the register again when one of its files changed. A register
    /// that no longer loads is reported and the one in use kept. Returns
    /// whether a new register was taken.
    pub fn reload_if_changed(&self) -> bool {
        let (files, old) = {
            let st = lock(&self.state);
            (st.register.files.clone(), st.stamps.clone())
        };
        let now_stamps = stamps(&files);
        if now_stamps == old {
            return false;
        }
        match Register::load(&self.opts.register) {
            Ok(register) => {
                let now = self.clock.now();
                let mut st = lock(&self.state);
                st.stamps = stamps(&register.files);
                st.scheduler = Scheduler::new(
                    register.schedules.iter().map(|s| s.cron.clone()).collect(),
                    now,
                    self.opts.zone,
                );
                // Schedules are numbered anew: what waited is dropped
                // (the running scan finishes).
                st.queue.clear_pending();
                st.next_probe
                    .retain(|id, _| register.sites.iter().any(|s| &s.id == id));
                for s in &register.sites {
                    st.next_probe
                        .entry(s.id.clone())
                        .or_insert_with(|| availability::next_probe_after(&s.id, now));
                }
                self.say(&format!(
                    "register {} reloaded: {} sites, {} schedules",
                    self.opts.register.display(),
                    register.sites.len(),
                    register.schedules.len()
                ));
                st.register = Arc::new(register);
                true
            }
            Err(e) => {
                lock(&self.state).stamps = now_stamps;
                self.say(&format!(
                    "register not reloaded, the one read before stays in use: {e}"
                ));
                false
            }
        }
    }

    /// Queue the schedules due now (each once, however many firings
    /// passed; one already queued or running is not queued again).
    /// Returns the schedules queued.
    pub fn tick(&self) -> Vec<usize> {
        self.reload_if_changed();
        let now = self.clock.now();
        let (mut queued, mut folded) = (Vec::new(), Vec::new());
        {
            let mut st = lock(&self.state);
            for i in st.scheduler.due(now) {
                if st.queue.push(i) {
                    queued.push(i);
                } else {
                    folded.push((i, st.register.schedules[i].cron.as_str().to_string()));
                }
            }
        }
        for (i, cron) in folded {
            self.say(&format!(
                "schedule {} (\"{cron}\") is due while its scan is queued or running: folded into it",
                i + 1
            ));
        }
        queued
    }

    /// Run the next queued scan to its end (blocking), then judge its
    /// sites' availability and send notifications. None when nothing is
    /// queued or the service is stopping.
    pub fn run_queued_scan(&self) -> Option<ScanDone> {
        if self.stop.is_set() {
            return None;
        }
        let (i, register) = {
            let mut st = lock(&self.state);
            let i = st.queue.start_next()?;
            st.running_since = Some(self.clock.now());
            (i, st.register.clone())
        };
        let done = self.run_schedule(i, &register);
        let mut st = lock(&self.state);
        st.queue.finish();
        st.running_since = None;
        Some(done)
    }

    fn run_schedule(&self, i: usize, register: &Register) -> ScanDone {
        let schedule = &register.schedules[i];
        let mut selected = register.clone();
        // Keeps `hosts`: links to any registered site are never dark links.
        selected.sites.retain(|s| schedule.sites.contains(&s.id));
        self.say(&format!(
            "schedule {} (\"{}\"): scanning {} site{}",
            i + 1,
            schedule.cron.as_str(),
            selected.sites.len(),
            if selected.sites.len() == 1 { "" } else { "s" }
        ));
        let result = self.scan(&selected, false);
        let notifications = self.after_scan(&selected, &result);
        ScanDone {
            schedule: i,
            result,
            notifications,
        }
    }

    /// Run a scan through the database lock: while another process holds
    /// it, wait and try again (never two scans at once).
    fn scan(&self, register: &Register, resume: bool) -> Result<ScanResult, Error> {
        loop {
            if Store::writer_active(&self.opts.db) {
                self.say(&format!(
                    "{}: another scan holds the database; trying again in {} s",
                    self.opts.db.display(),
                    LOCK_RETRY.as_secs()
                ));
                self.clock
                    .sleep_until(self.clock.now() + LOCK_RETRY, LOCK_RETRY, &self.stop);
                if self.stop.is_set() {
                    return Err(Error::Failed(
                        "stopped while waiting for the database".into(),
                    ));
                }
                continue;
            }
            let rules = crate::rules::load(
                crate::rules::resolve_dir(self.opts.rules.as_deref(), Some(&register.path))
                    .as_deref(),
            )?;
            // The ignore file beside the register says which title changes
            // the office accepted (a broken one is said and not applied).
            let rule_ids: Vec<String> = rules.rules.iter().map(|r| r.id.clone()).collect();
            let answered = crate::ignore::IgnoreList::locate(None, Some(&register.path), &rule_ids)
                .unwrap_or_else(|e| {
                    self.say(&format!("ignore file not applied to the scan: {e}"));
                    Default::default()
                });
            let result = crate::scan::run(
                register,
                Arc::new(rules),
                ScanOptions {
                    db: Some(self.opts.db.clone()),
                    concurrency: self.opts.concurrency,
                    resume,
                    stop: Some(self.stop.watch()),
                    answered,
                    ..ScanOptions::default()
                },
            );
            match result {
                // The lock was taken between the look and the scan.
                Err(Error::Input(_)) if Store::writer_active(&self.opts.db) => continue,
                other => return other,
            }
        }
    }

    /// After a scan: `site.availability` findings for its sites, then the
    /// notifications (a failed scan is told too; a stop is not a failure).
    fn after_scan(&self, register: &Register, result: &Result<ScanResult, Error>) -> Vec<Outcome> {
        let notifier = self.notifier(register);
        let outcomes = match result {
            Ok(r) => {
                self.judge_availability(register, &r.scan);
                match crate::workflow::reopen_found_again(&lock(&self.store), &r.scan) {
                    Ok(0) => {}
                    Ok(n) => self.say(&format!("{n} closed findings found again: reopened")),
                    Err(e) => self.say(&format!(
                        "closed findings not checked against the scan: {e}"
                    )),
                }
                self.say(&format!(
                    "scan {} finished: {} findings",
                    r.scan, r.total_findings
                ));
                match &notifier {
                    None => Vec::new(),
                    Some(n) => {
                        // The ignore file beside the register applies, as
                        // it does to reports and exit codes.
                        let rule_ids: Vec<String> = crate::rules::load(
                            crate::rules::resolve_dir(
                                self.opts.rules.as_deref(),
                                Some(&register.path),
                            )
                            .as_deref(),
                        )
                        .map(|r| r.rules.iter().map(|r| r.id.clone()).collect())
                        .unwrap_or_default();
                        let ignore = crate::ignore::IgnoreList::locate(
                            None,
                            Some(&register.path),
                            &rule_ids,
                        )
                        .unwrap_or_else(|e| {
                            self.say(&format!("ignore file not applied to notifications: {e}"));
                            Default::default()
                        });
                        notify::after_scan(n, register, &self.opts.db, &r.scan, &ignore)
                            .unwrap_or_else(|e| {
                                self.say(&format!("notifications not sent: {e}"));
                                Vec::new()
                            })
                    }
                }
            }
            Err(e) if self.stop.is_set() => {
                self.say(&format!("stopped: {e}"));
                Vec::new()
            }
            Err(e) => {
                self.say(&format!("scan failed: {e}"));
                match &notifier {
                    Some(n) => {
                        notify::scan_failed(n, register, Some(&self.opts.db), &e.to_string())
                    }
                    None => Vec::new(),
                }
            }
        };
        for o in &outcomes {
            self.say(&notify::describe(o));
        }
        outcomes
    }

    /// Add `site.availability` to a scan for each of its sites whose last
    /// 7 days of probes call for it.
    fn judge_availability(&self, register: &Register, scan: &str) {
        let now = self.clock.now();
        let mut store = lock(&self.store);
        for site in &register.sites {
            let Ok(probes) = store.probes_since(&site.id, availability::window_start(now)) else {
                continue;
            };
            let verdict = availability::judge(&probes, now);
            if let Some(mut f) = availability::finding(site, scan, &verdict, now) {
                if let Err(e) = store.add_site_finding(&mut f) {
                    drop(store);
                    self.say(&format!("site.availability of {} not stored: {e}", site.id));
                    store = lock(&self.store);
                }
            }
        }
    }

    /// Finish the database's last scan if it was interrupted (a stop, a
    /// kill): as `scan --resume` would. Nothing when it finished, when
    /// another process holds the lock, or when the register or rules
    /// changed since (said so; `scan --resume` cannot take it either).
    pub fn resume_unfinished(&self) -> Option<Result<ScanResult, Error>> {
        if self.stop.is_set() || Store::writer_active(&self.opts.db) {
            return None;
        }
        let row = lock(&self.store).unfinished().ok().flatten()?;
        self.say(&format!("resuming the unfinished scan {}", row.id));
        let register = self.register();
        let result = self.scan(&register, true);
        match &result {
            Err(Error::Input(e)) => {
                self.say(&format!("scan {} not resumed: {e}", row.id));
            }
            _ => {
                let mut selected = (*register).clone();
                selected.sites.retain(|s| row.sites.contains(&s.id));
                self.after_scan(&selected, &result);
            }
        }
        Some(result)
    }

    /// Probe the home pages due now (blocking), store each probe, and tell
    /// of sites that just went down. Returns the probes made.
    pub fn probe_due(&self) -> Vec<crate::store::ProbeRow> {
        let now = self.clock.now();
        let (register, due) = {
            let st = lock(&self.state);
            let due: Vec<_> = st
                .register
                .sites
                .iter()
                .filter(|s| st.next_probe.get(&s.id).is_some_and(|t| *t <= now))
                .cloned()
                .collect();
            (st.register.clone(), due)
        };
        if due.is_empty() {
            return Vec::new();
        }
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                self.say(&format!("probes not made: {e}"));
                return Vec::new();
            }
        };
        let probed: Vec<availability::Probed> = runtime.block_on(async {
            use futures_util::stream::{self, StreamExt};
            stream::iter(due.iter())
                .map(|s| availability::probe(s, now))
                .buffer_unordered(PROBES_AT_ONCE)
                .collect()
                .await
        });
        drop(runtime);
        let retitled = self.retitled(&register, &probed);
        let rows: Vec<crate::store::ProbeRow> = probed.into_iter().map(|p| p.row).collect();
        let mut down = Vec::new();
        {
            let store = lock(&self.store);
            for row in &rows {
                if let Err(e) = store.add_probe(row) {
                    (self.log)(&format!("probe of {} not stored: {e}", row.site));
                    continue;
                }
                let last = store
                    .last_probes(&row.site, availability::DOWN_AFTER + 1)
                    .unwrap_or_default();
                if availability::became_unreachable(&last) {
                    if let Some(site) = register.sites.iter().find(|s| s.id == row.site) {
                        down.push(Down {
                            site: site.id.clone(),
                            name: site.name.clone(),
                            operator: site.operator.clone(),
                            cause: format!(
                                "{} home-page probes in a row failed: {}",
                                availability::DOWN_AFTER,
                                row.error.clone().unwrap_or_default()
                            ),
                        });
                    }
                }
            }
        }
        {
            let mut st = lock(&self.state);
            for row in &rows {
                st.next_probe.insert(
                    row.site.clone(),
                    availability::next_probe_after(&row.site, now),
                );
            }
        }
        if !down.is_empty() || !retitled.is_empty() {
            if let Some(n) = self.notifier(&register) {
                // A home page retitled is told whatever `min_severity`
                // says, as a site gone down is: both are seen within the
                // hour and cannot wait for the next scan.
                let news = News {
                    down,
                    findings: retitled,
                    ..News::default()
                };
                let store = lock(&self.store);
                for o in n.send(&news, &register, Some(&store)) {
                    (self.log)(&notify::describe(&o));
                }
            }
        }
        rows
    }

    /// The probed home pages whose title differs from the one the last
    /// scan of the site read, each new title once.
    fn retitled(
        &self,
        register: &Register,
        probed: &[availability::Probed],
    ) -> Vec<crate::findings::Finding> {
        // (site, the title the last scan read, the title now); the store
        // and the state are never held together.
        let seen: Vec<(&crate::register::Site, Option<String>, &String)> = {
            let store = lock(&self.store);
            probed
                .iter()
                .filter_map(|p| {
                    let site = register.sites.iter().find(|s| s.id == p.row.site)?;
                    let now = p.title.as_ref()?;
                    let last = store
                        .last_title(&site.id, &crate::urls::canonical(&site.url))
                        .ok()
                        .flatten();
                    Some((site, last, now))
                })
                .collect()
        };
        let mut out = Vec::new();
        let mut st = lock(&self.state);
        for (site, last, now) in seen {
            let Some(last) = last else {
                continue;
            };
            let Some(f) = availability::retitled(site, &last, now) else {
                continue;
            };
            let told = st
                .retitle_told
                .entry(site.id.clone())
                .or_insert_with(|| (last.clone(), Vec::new()));
            if told.0 != last {
                // A scan has read the page since: start again from it.
                *told = (last.clone(), Vec::new());
            }
            if told.1.len() < RETITLES_TOLD && !told.1.contains(now) {
                told.1.push(now.clone());
                out.push(f);
            }
        }
        out
    }

    /// Queue a job (one already waiting is not queued twice). Returns
    /// whether it was queued.
    pub fn queue_job(&self, job: Job) -> bool {
        let mut jobs = lock(&self.jobs);
        if jobs.contains(&job) {
            return false;
        }
        jobs.push_back(job);
        self.jobs_ready.notify_all();
        true
    }

    /// Jobs waiting.
    pub fn jobs_waiting(&self) -> Vec<Job> {
        lock(&self.jobs).iter().cloned().collect()
    }

    /// Run the jobs waiting, in turn (blocking). Returns how each went.
    pub fn run_jobs(&self) -> Vec<(Job, JobDone)> {
        let mut out = Vec::new();
        while !self.stop.is_set() {
            let Some(job) = lock(&self.jobs).pop_front() else {
                break;
            };
            let done = self.run_job(&job);
            out.push((job, done));
        }
        out
    }

    /// Wait for jobs and run them, until stopped.
    pub fn run_jobs_until_stopped(&self) {
        while !self.stop.is_set() {
            self.run_jobs();
            let jobs = lock(&self.jobs);
            if jobs.is_empty() && !self.stop.is_set() {
                let _ = self
                    .jobs_ready
                    .wait_timeout(jobs, Duration::from_millis(500));
            }
        }
    }

    fn run_job(&self, job: &Job) -> JobDone {
        let register = self.register();
        match job {
            Job::ScanSite(id) => {
                let mut selected = (*register).clone();
                selected.sites.retain(|s| &s.id == id);
                if selected.sites.is_empty() {
                    return JobDone::Failed(format!("no site {id} in the register"));
                }
                self.say(&format!(
                    "scanning site {id} now (asked from the web interface)"
                ));
                let result = self.scan(&selected, false);
                self.after_scan(&selected, &result);
                JobDone::Scanned(result)
            }
            Job::Recheck(fp) => match self.recheck(&register, fp) {
                Ok(done) => done,
                Err(e) => {
                    self.say(&format!("re-check of {fp} failed: {e}"));
                    JobDone::Failed(e.to_string())
                }
            },
        }
    }

    fn recheck(&self, register: &Register, fp: &str) -> Result<JobDone, Error> {
        use crate::workflow::{self, Actor, Event, Recheck, State};
        let finding = workflow::latest_finding(&lock(&self.store), fp)?
            .ok_or_else(|| Error::Failed(format!("no finding {fp} stored")))?;
        let site = register
            .sites
            .iter()
            .find(|s| s.id == finding.site)
            .ok_or_else(|| {
                Error::Failed(format!("site {} is no longer registered", finding.site))
            })?;
        let rules = crate::rules::load(
            crate::rules::resolve_dir(self.opts.rules.as_deref(), Some(&register.path)).as_deref(),
        )?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))?;
        let outcome = runtime.block_on(workflow::recheck(site, &rules, &finding));
        let store = lock(&self.store);
        let event = match &outcome {
            Recheck::Found => Some(Event::RecheckFound),
            Recheck::Gone => Some(Event::RecheckGone),
            Recheck::Undecided(_) => None,
        };
        let state = match event {
            Some(e) => workflow::apply(&store, &finding, &e, "re-check", Actor::Service)?
                .unwrap_or_else(|_| workflow::state_of(&store, fp).unwrap_or(State::Open)),
            None => workflow::state_of(&store, fp)?,
        };
        self.say(&format!(
            "re-check of {} ({} on {}): {:?} → {}",
            fp,
            finding.rule,
            finding.url,
            outcome,
            state.name()
        ));
        Ok(JobDone::Rechecked {
            fingerprint: fp.to_string(),
            outcome,
            state,
        })
    }

    /// The earliest next probe.
    pub fn next_probe(&self) -> Option<SystemTime> {
        lock(&self.state).next_probe.values().min().copied()
    }

    /// Run until stopped: the unfinished scan resumed first, then
    /// schedules and probes (on a thread of their own, so an hours-long
    /// scan does not stop the hourly probes).
    pub fn run(self: &Arc<Self>) {
        let prober = self.opts.probes.then(|| {
            let me = self.clone();
            std::thread::Builder::new()
                .name("availability-probes".into())
                .spawn(move || {
                    while !me.stop.is_set() {
                        me.probe_due();
                        let wake = me
                            .next_probe()
                            .unwrap_or_else(|| me.clock.now() + MAX_SLEEP);
                        me.clock.sleep_until(wake, MAX_SLEEP, &me.stop);
                    }
                })
        });
        let jobs = {
            let me = self.clone();
            std::thread::Builder::new()
                .name("web-jobs".into())
                .spawn(move || me.run_jobs_until_stopped())
        };
        self.resume_unfinished();
        while !self.stop.is_set() {
            self.tick();
            if self.run_queued_scan().is_some() {
                continue;
            }
            let wake = lock(&self.state)
                .scheduler
                .next_wake()
                .unwrap_or_else(|| self.clock.now() + MAX_SLEEP);
            self.clock.sleep_until(wake, MAX_SLEEP, &self.stop);
        }
        if let Some(Ok(handle)) = prober {
            let _ = handle.join();
        }
        if let Ok(handle) = jobs {
            self.jobs_ready.notify_all();
            let _ = handle.join();
        }
    }

    /// What `GET /health` answers: the schedules and their next firing,
    /// the scan running or last run, and each site's availability.
    pub fn health(&self) -> serde_json::Value {
        use serde_json::json;
        let now = self.clock.now();
        let (register, schedules, running, queued, running_since) = {
            let st = lock(&self.state);
            let zone = st.scheduler.zone();
            let schedules: Vec<_> = st
                .register
                .schedules
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    json!({
                        "cron": s.cron.as_str(),
                        "sites": s.sites,
                        "next": st.scheduler.next_of(i).map(|t| zone.show(t)),
                    })
                })
                .collect();
            (
                st.register.clone(),
                schedules,
                st.queue.running(),
                st.queue.pending(),
                st.running_since,
            )
        };
        let store = lock(&self.store);
        let last_scan = store.scans().ok().and_then(|s| s.into_iter().last()).map(
            |r| json!({"id": r.id, "state": r.state, "started": r.started, "finished": r.finished}),
        );
        let availability: Vec<_> = register
            .sites
            .iter()
            .map(|s| {
                let probes = store
                    .probes_since(&s.id, availability::window_start(now))
                    .unwrap_or_default();
                let v = availability::judge(&probes, now);
                json!({
                    "site": s.id,
                    "probes": v.probes,
                    "failed": v.failed,
                    "percent": (v.percent() * 10.0).round() / 10.0,
                    "judged": v.judged(),
                    "severity": v.severity,
                    "last": probes.last().map(|p| json!({
                        "at": crate::time::rfc3339(std::time::UNIX_EPOCH + Duration::from_secs(p.at.max(0) as u64)),
                        "ok": p.ok,
                        "elapsed_ms": p.elapsed_ms,
                        "status": p.status,
                        "error": p.error,
                    })),
                })
            })
            .collect();
        json!({
            "status": if self.stop.is_set() { "stopping" } else { "ok" },
            "register": register.path.display().to_string(),
            "sites": register.sites.len(),
            "schedules": schedules,
            "running": running.map(|i| json!({
                "schedule": i + 1,
                "since": running_since.map(crate::time::rfc3339),
            })),
            "queued": queued.iter().map(|i| i + 1).collect::<Vec<_>>(),
            "last_scan": last_scan,
            "availability": availability,
        })
    }
}

/// Refuse a `--listen` address that is not loopback while the database
/// holds no account: anything listening elsewhere would show every
/// operator's findings to anyone on the network. With accounts, every page
/// needs a login and any address is allowed.
pub fn check_listen(text: &str, accounts: bool) -> Result<std::net::SocketAddr, InputError> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<std::net::SocketAddr> = match text.parse::<std::net::SocketAddr>() {
        Ok(a) => vec![a],
        Err(_) => text
            .to_socket_addrs()
            .map_err(|e| InputError::plain(format!("--listen {text}: {e} (write 127.0.0.1:8600)")))?
            .collect(),
    };
    let Some(addr) = addrs.first().copied() else {
        return Err(InputError::plain(format!("--listen {text}: no address")));
    };
    if !accounts && addrs.iter().any(|a| !a.ip().is_loopback()) {
        return Err(InputError::plain(format!(
            "--listen {text}: serve listens on loopback only (127.0.0.1, ::1) until accounts exist \
             (`sitesweep user add`): without them anyone who can reach the port would see every operator's findings"
        )));
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_is_loopback_only() {
        assert!(check_listen("0.0.0.0:8600", true).is_ok(), "with accounts");
        assert_eq!(
            check_listen("127.0.0.1:8600", false).unwrap(),
            "127.0.0.1:8600".parse().unwrap()
        );
        assert!(check_listen("[::1]:8600", false).is_ok());
        assert!(check_listen("localhost:8600", false).is_ok());
        for bad in ["0.0.0.0:8600", "192.168.1.5:80", "[::]:8600"] {
            let e = check_listen(bad, false).unwrap_err().to_string();
            assert!(e.contains("loopback only"), "{bad}: {e}");
        }
        assert!(check_listen("127.0.0.1", false).is_err());
        assert!(check_listen("nonsense:port", false).is_err());
    }
}
