//! When `serve` scans: standard 5-field cron expressions in the machine's
//! local time, and a scheduler driven by an injected [`Clock`], so tests
//! step time instead of waiting for it.
//!
//! Parsing and the next firing are the `croner` crate's (kept up, handles
//! day-of-month/day-of-week "either" semantics, names, and local-time
//! gaps and repeats at daylight-saving changes); this module only insists
//! on exactly five fields and turns instants into local times and back.
//!
//! The scheduler's rules:
//! - a schedule is due when its next firing is at or before now; its next
//!   firing is then computed from *now*, so firings missed while the
//!   machine slept (or while a scan ran) are run once, not once each;
//! - a schedule already queued or running is not queued again (a scan due
//!   while the same schedule's scan runs never doubles); other schedules
//!   wait their turn in [`Queue`].

use chrono::{DateTime, FixedOffset, Local, TimeZone, Utc};
use std::collections::VecDeque;
use std::str::FromStr;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, SystemTime};

/// A checked cron expression: minute hour day-of-month month day-of-week.
#[derive(Clone, Debug)]
pub struct Cron {
    text: String,
    inner: croner::Cron,
}

impl PartialEq for Cron {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Cron {
    /// Parse a standard 5-field expression (`0 2 * * *`, `*/15 8-18 * * 1-5`,
    /// names such as `mon` and `jan` allowed). Six fields (seconds) and
    /// `@daily` nicknames are refused: the register says "standard cron".
    pub fn parse(text: &str) -> Result<Cron, String> {
        let fields = text.split_whitespace().count();
        if fields != 5 {
            return Err(format!(
                "cron `{text}` has {fields} field{}: write 5 (minute hour day-of-month month day-of-week), e.g. \"0 2 * * *\"",
                if fields == 1 { "" } else { "s" }
            ));
        }
        let parser = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Disallowed)
            .year(croner::parser::Year::Disallowed)
            .build();
        let inner = parser
            .parse(text)
            .map_err(|e| format!("cron `{text}`: {e}"))?;
        // An expression that never fires (`0 0 31 2 *`) is refused too.
        let probe = Utc.timestamp_opt(0, 0).single().expect("epoch");
        if inner.find_next_occurrence(&probe, false).is_err() {
            return Err(format!("cron `{text}` never fires"));
        }
        Ok(Cron {
            text: text.split_whitespace().collect::<Vec<_>>().join(" "),
            inner,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first firing strictly after `t`, in `zone`.
    pub fn next_after(&self, t: SystemTime, zone: Zone) -> Option<SystemTime> {
        fn next<Tz: TimeZone>(c: &croner::Cron, t: DateTime<Tz>) -> Option<SystemTime> {
            c.find_next_occurrence(&t, false)
                .ok()
                .map(|d| SystemTime::from(d.with_timezone(&Utc)))
        }
        let utc = DateTime::<Utc>::from(t);
        match zone {
            Zone::Local => next(&self.inner, utc.with_timezone(&Local)),
            Zone::Fixed(offset) => next(&self.inner, utc.with_timezone(&offset)),
        }
    }
}

impl FromStr for Cron {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cron::parse(s)
    }
}

/// Which clock face cron expressions are read on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    /// The machine's local time (what `serve` uses).
    Local,
    /// A fixed offset (tests: independent of the machine's zone).
    Fixed(FixedOffset),
}

impl Zone {
    /// `2026-11-27 02:00 +08:00`, for people.
    pub fn show(self, t: SystemTime) -> String {
        let utc = DateTime::<Utc>::from(t);
        match self {
            Zone::Local => utc
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M %:z")
                .to_string(),
            Zone::Fixed(o) => utc
                .with_timezone(&o)
                .format("%Y-%m-%d %H:%M %:z")
                .to_string(),
        }
    }
}

/// What time it is, and a way to wait: the real clock in `serve`, a
/// stepped one in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> SystemTime;
    /// Wait until `until`, or until [`Stop`] is set; at most `max` at a
    /// time (so a clock that jumps — a machine waking up — is noticed).
    fn sleep_until(&self, until: SystemTime, max: Duration, stop: &Stop);
}

/// The machine's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep_until(&self, until: SystemTime, max: Duration, stop: &Stop) {
        let wait = until
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
            .min(max);
        stop.wait(wait);
    }
}

/// A stop request shared by the threads of `serve`: set once (SIGTERM,
/// Ctrl-C), seen by sleepers at once, and by a running scan through
/// [`Stop::watch`].
pub struct Stop {
    set: Mutex<bool>,
    cond: Condvar,
    tx: tokio::sync::watch::Sender<bool>,
}

impl Default for Stop {
    fn default() -> Self {
        Stop {
            set: Mutex::new(false),
            cond: Condvar::new(),
            tx: tokio::sync::watch::channel(false).0,
        }
    }
}

impl Stop {
    pub fn stop(&self) {
        *self.set.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cond.notify_all();
        self.tx.send_replace(true);
    }

    pub fn is_set(&self) -> bool {
        *self.set.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait up to `d`, returning early when stopped.
    pub fn wait(&self, d: Duration) {
        let guard = self.set.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self
            .cond
            .wait_timeout_while(guard, d, |set| !*set)
            .map_err(|e| e.into_inner());
    }

    /// For [`crate::scan::ScanOptions::stop`]: true once stopped.
    pub fn watch(&self) -> tokio::sync::watch::Receiver<bool> {
        self.tx.subscribe()
    }
}

/// The next firing of each schedule.
#[derive(Clone, Debug)]
pub struct Scheduler {
    crons: Vec<Cron>,
    next: Vec<Option<SystemTime>>,
    zone: Zone,
}

impl Scheduler {
    /// Schedules whose first firing is the first after `now` (firings
    /// before `serve` started are not made up for).
    pub fn new(crons: Vec<Cron>, now: SystemTime, zone: Zone) -> Scheduler {
        let next = crons.iter().map(|c| c.next_after(now, zone)).collect();
        Scheduler { crons, next, zone }
    }

    /// The schedules due at `now` (indices), each once however many of
    /// its firings passed; their next firings move past `now`.
    pub fn due(&mut self, now: SystemTime) -> Vec<usize> {
        let mut due = Vec::new();
        for (i, next) in self.next.iter_mut().enumerate() {
            if next.is_some_and(|t| t <= now) {
                due.push(i);
                *next = self.crons[i].next_after(now, self.zone);
            }
        }
        due
    }

    /// The next firing of schedule `i`.
    pub fn next_of(&self, i: usize) -> Option<SystemTime> {
        self.next.get(i).copied().flatten()
    }

    /// The earliest next firing of any schedule.
    pub fn next_wake(&self) -> Option<SystemTime> {
        self.next.iter().flatten().min().copied()
    }

    pub fn zone(&self) -> Zone {
        self.zone
    }
}

/// Scans waiting to run, one at a time: a schedule is in it at most once,
/// and not while its scan runs.
#[derive(Clone, Debug, Default)]
pub struct Queue {
    pending: VecDeque<usize>,
    running: Option<usize>,
}

impl Queue {
    /// Queue schedule `i`; false when it is already queued or running
    /// (the firing is folded into that scan).
    pub fn push(&mut self, i: usize) -> bool {
        if self.running == Some(i) || self.pending.contains(&i) {
            return false;
        }
        self.pending.push_back(i);
        true
    }

    /// The next scan to run, marked running; none while one runs.
    pub fn start_next(&mut self) -> Option<usize> {
        if self.running.is_some() {
            return None;
        }
        self.running = self.pending.pop_front();
        self.running
    }

    pub fn finish(&mut self) {
        self.running = None;
    }

    pub fn running(&self) -> Option<usize> {
        self.running
    }

    pub fn pending(&self) -> Vec<usize> {
        self.pending.iter().copied().collect()
    }

    /// Forget everything queued (the register was reloaded: indices
    /// changed).
    pub fn clear_pending(&mut self) {
        self.pending.clear();
    }
}

/// A clock for tests: time moves only when told, and sleeping moves it to
/// the wake-up time at once.
#[derive(Default)]
pub struct ManualClock {
    now: Mutex<Option<SystemTime>>,
}

impl ManualClock {
    pub fn at(t: SystemTime) -> ManualClock {
        ManualClock {
            now: Mutex::new(Some(t)),
        }
    }

    pub fn set(&self, t: SystemTime) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = Some(t);
    }

    pub fn advance(&self, d: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now = Some(now.unwrap_or(SystemTime::UNIX_EPOCH) + d);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        self.now
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }

    fn sleep_until(&self, until: SystemTime, max: Duration, _stop: &Stop) {
        let now = self.now();
        if until > now {
            self.set(now + until.duration_since(now).unwrap_or_default().min(max));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cst() -> Zone {
        Zone::Fixed(FixedOffset::east_opt(8 * 3600).unwrap())
    }

    /// 2026-11-27 local (+08:00) at hh:mm.
    fn at(hh: u32, mm: u32) -> SystemTime {
        let t = FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 27, hh, mm, 0)
            .unwrap();
        SystemTime::from(t)
    }

    #[test]
    fn five_fields_only_and_errors_say_why() {
        for good in [
            "0 2 * * *",
            "*/15 8-18 * * 1-5",
            "30 6 1,15 * mon",
            "0 0 * jan-mar sun",
        ] {
            assert!(Cron::parse(good).is_ok(), "{good}");
        }
        let cases = [
            ("0 2 * *", "4 fields"),
            ("0 0 2 * * *", "6 fields"),
            ("@daily", "1 field"),
            ("61 2 * * *", "cron `61 2 * * *`"),
            ("0 25 * * *", "cron `0 25 * * *`"),
            ("x 2 * * *", "cron `x 2 * * *`"),
            ("0 0 31 2 *", "never fires"),
        ];
        for (text, want) in cases {
            let got = Cron::parse(text).unwrap_err();
            assert!(got.contains(want), "{text}: {got}");
        }
    }

    #[test]
    fn next_firing_in_local_time() {
        let c = Cron::parse("0 2 * * *").unwrap();
        assert_eq!(c.next_after(at(1, 59), cst()), Some(at(2, 0)));
        // Strictly after: at 02:00 the next is tomorrow's.
        assert_eq!(
            c.next_after(at(2, 0), cst()),
            Some(at(2, 0) + Duration::from_secs(86_400))
        );
        // 2026-11-27 is a Friday: a weekday schedule at 18:00 on Friday
        // evening next fires on Monday the 30th.
        let weekdays = Cron::parse("0 8 * * 1-5").unwrap();
        assert_eq!(
            weekdays.next_after(at(18, 0), cst()),
            Some(at(8, 0) + Duration::from_secs(3 * 86_400))
        );
        // Day of month OR day of week when both are restricted (cron's rule).
        let either = Cron::parse("0 0 1 * fri").unwrap();
        assert_eq!(
            either.next_after(at(0, 0) - Duration::from_secs(60), cst()),
            Some(at(0, 0))
        );
    }

    #[test]
    fn a_slept_machine_runs_a_missed_schedule_once() {
        let hourly = Cron::parse("0 * * * *").unwrap();
        let mut s = Scheduler::new(vec![hourly], at(1, 30), cst());
        assert_eq!(s.next_of(0), Some(at(2, 0)));
        assert!(s.due(at(1, 59)).is_empty());
        // The machine slept from 01:59 to 07:10: five firings passed.
        assert_eq!(s.due(at(7, 10)), vec![0]);
        assert!(s.due(at(7, 10)).is_empty());
        assert_eq!(s.next_of(0), Some(at(8, 0)));
        assert_eq!(s.next_wake(), Some(at(8, 0)));
    }

    #[test]
    fn a_scan_due_while_one_runs_waits_and_never_doubles() {
        let mut q = Queue::default();
        assert!(q.push(0));
        assert_eq!(q.start_next(), Some(0));
        // Schedule 0 fires again while its scan runs: folded in.
        assert!(!q.push(0));
        // Schedule 1 fires twice while 0 runs: queued once, and waits.
        assert!(q.push(1));
        assert!(!q.push(1));
        assert_eq!(q.start_next(), None);
        q.finish();
        assert_eq!(q.start_next(), Some(1));
        q.finish();
        assert_eq!(q.start_next(), None);
    }

    #[test]
    fn a_manual_clock_never_waits() {
        let clock = ManualClock::at(at(1, 0));
        let stop = Stop::default();
        let started = std::time::Instant::now();
        clock.sleep_until(at(3, 0), Duration::from_secs(3600), &stop);
        assert_eq!(clock.now(), at(2, 0));
        clock.sleep_until(at(3, 0), Duration::from_secs(3600), &stop);
        assert_eq!(clock.now(), at(3, 0));
        assert!(started.elapsed() < Duration::from_secs(1));
        // The real clock's sleep ends at once when stopped.
        stop.stop();
        SystemClock.sleep_until(
            SystemTime::now() + Duration::from_secs(60),
            Duration::from_secs(60),
            &stop,
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(*stop.watch().borrow());
    }
}
