//! A small synchronous client of the Chrome DevTools protocol, for tests
//! that drive Debian's headless `chromium`.
//!
//! The browser is started with `--remote-debugging-pipe`: it reads
//! commands on its file descriptor 3 and writes answers and events on its
//! descriptor 4, each message a JSON object ended by a NUL byte. Two pipes
//! are made here and put on 3 and 4 in the child between fork and exec. A
//! thread reads the browser's messages into a channel, so every wait has a
//! timeout; the browser is killed when the [`Browser`] is dropped.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How long any one answer or event is waited for.
pub const WAIT: Duration = Duration::from_secs(15);

/// Where Debian (and CI, which installs it) has chromium.
pub fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

pub struct Browser {
    child: Child,
    to: std::io::PipeWriter,
    from: Receiver<Value>,
    next_id: u64,
    /// The page's session (flat mode: every page command names it).
    session: String,
    /// Events not yet looked at.
    pending: Vec<Value>,
    /// The method of every event received, in order.
    pub seen: Vec<String>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// Ask the browser to close (it ends its own renderer and GPU
    /// processes); after 3 s kill its process group. Then reap it; the
    /// profile is removed after.
    fn drop(&mut self) {
        let _ = self
            .to
            .write_all(b"{\"id\":999999999,\"method\":\"Browser.close\"}\0");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: a signal to the group our child leads (setpgid below).
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Start headless chromium with a fresh profile and open one page (a
    /// tab of `width`×`height`) with the Page, Runtime and Network events
    /// on.
    pub fn start(chromium: &Path, width: u32, height: u32) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (cmd_read, cmd_write) = std::io::pipe().unwrap();
        let (out_read, out_write) = std::io::pipe().unwrap();
        let (r, w) = (cmd_read.as_raw_fd(), out_write.as_raw_fd());
        let mut command = Command::new(chromium);
        command
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--mute-audio",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(["--remote-debugging-pipe", "about:blank"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only async-signal-safe calls (setpgid, fcntl, dup2)
        // between fork and exec. The browser leads a process group of its
        // own, killed whole on drop. The ends are first copied above 10 so
        // that putting one on 3 cannot overwrite the other; dup2 clears
        // close-on-exec.
        unsafe {
            command.pre_exec(move || {
                libc::setpgid(0, 0);
                let r2 = libc::fcntl(r, libc::F_DUPFD, 10);
                let w2 = libc::fcntl(w, libc::F_DUPFD, 10);
                if r2 < 0 || w2 < 0 || libc::dup2(r2, 3) < 0 || libc::dup2(w2, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::close(r2);
                libc::close(w2);
                Ok(())
            });
        }
        let child = command.spawn().expect("chromium starts");
        // The child's ends: closed here, so a browser that dies is an end
        // of file for the reader.
        drop(cmd_read);
        drop(out_write);
        let (tx, from) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(out_read);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(0, &mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if buf.last() == Some(&0) {
                            buf.pop();
                        }
                        let Ok(v) = serde_json::from_slice::<Value>(&buf) else {
                            continue;
                        };
                        if tx.send(v).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let mut b = Browser {
            child,
            to: cmd_write,
            from,
            next_id: 0,
            session: String::new(),
            pending: Vec::new(),
            seen: Vec::new(),
            _profile: profile,
        };
        let target = b.browser_call("Target.createTarget", json!({"url": "about:blank"}));
        let target = target["targetId"].as_str().unwrap().to_string();
        let attached = b.browser_call(
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        );
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        for domain in ["Page.enable", "Runtime.enable", "Network.enable"] {
            b.call(domain, json!({}));
        }
        b.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
        b
    }

    fn send(&mut self, method: &str, params: Value, session: Option<String>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = Value::String(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to
            .write_all(&bytes)
            .unwrap_or_else(|e| panic!("{method}: the browser is gone: {e}"));
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self.recv(deadline, method);
            if v["id"].as_u64() == Some(id) {
                if let Some(err) = v.get("error") {
                    panic!("{method}: {err}");
                }
                return v["result"].clone();
            }
        }
    }

    /// One message, events kept aside.
    fn recv(&mut self, deadline: Instant, waiting_for: &str) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.from.recv_timeout(left) {
            Ok(v) => {
                if let Some(m) = v["method"].as_str() {
                    self.seen.push(m.to_string());
                    self.pending.push(v.clone());
                }
                v
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("no answer from the browser in {WAIT:?} (waiting for {waiting_for})")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("the browser closed its pipe (waiting for {waiting_for})")
            }
        }
    }

    /// A command to the browser itself.
    pub fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None)
    }

    /// A command to the page.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let s = self.session.clone();
        self.send(method, params, Some(s))
    }

    /// Wait for an event of the page (one received since the last
    /// [`Browser::forget_events`] counts).
    pub fn wait_event(&mut self, method: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(i) = self
                .pending
                .iter()
                .position(|e| e["method"] == method && e["sessionId"] == self.session.as_str())
            {
                return self.pending.remove(i);
            }
            self.recv(deadline, method);
        }
    }

    pub fn forget_events(&mut self) {
        while let Ok(v) = self.from.try_recv() {
            if let Some(m) = v["method"].as_str() {
                self.seen.push(m.to_string());
            }
        }
        self.pending.clear();
    }

    /// Events received so far and not yet waited for, by method.
    pub fn events(&self, method: &str) -> Vec<&Value> {
        self.pending
            .iter()
            .filter(|e| e["method"] == method)
            .collect()
    }

    /// Go to `url` and wait for its load event; the HTTP status of the
    /// page.
    pub fn navigate(&mut self, url: &str) -> u16 {
        self.after_load(|b| {
            let r = b.call("Page.navigate", json!({"url": url}));
            assert!(r.get("errorText").is_none(), "{url}: {r}");
        })
    }

    /// Do `action` (which makes the page navigate: a form sent) and wait
    /// for the new page's load event; its HTTP status.
    pub fn after_load(&mut self, action: impl FnOnce(&mut Browser)) -> u16 {
        self.forget_events();
        action(self);
        self.wait_event("Page.loadEventFired");
        self.events("Network.responseReceived")
            .into_iter()
            .rev()
            .find(|e| e["params"]["type"] == "Document")
            .and_then(|e| e["params"]["response"]["status"].as_u64())
            .unwrap_or(0) as u16
    }

    /// The value of a JavaScript expression evaluated in the page (a
    /// promise is awaited); a thrown exception fails the test.
    pub fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expression}: {e}");
        }
        r["result"]["value"].clone()
    }

    pub fn eval_str(&mut self, expression: &str) -> String {
        match self.eval(expression) {
            Value::String(s) => s,
            other => panic!("{expression}: not a string: {other}"),
        }
    }

    /// The page as PNG bytes: the viewport, or with `whole` the page's
    /// full height.
    pub fn screenshot(&mut self, whole: bool) -> Vec<u8> {
        let params = if whole {
            let h = self
                .eval("document.documentElement.scrollHeight")
                .as_f64()
                .unwrap();
            let w = self.eval("window.innerWidth").as_f64().unwrap();
            json!({"format": "png", "captureBeyondViewport": true,
                   "clip": {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}})
        } else {
            json!({"format": "png"})
        };
        let r = self.call("Page.captureScreenshot", params);
        base64_decode(r["data"].as_str().unwrap())
    }
}

/// Standard base64, as CDP sends binary data.
fn base64_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        acc = acc << 6 | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
