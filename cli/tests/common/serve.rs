//! Helpers of the `safegrade serve` tests: start the real binary on a
//! port the OS picks, find that port in its JSON log on stderr, talk HTTP
//! to it over loopback, and stop it when the test ends.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// How long a server may take to say `listening`.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `safegrade serve`; killed when dropped.
pub(crate) struct Server {
    child: Child,
    /// `127.0.0.1:PORT`, from the `listening` log line.
    pub(crate) addr: String,
    /// Every stderr line so far.
    pub(crate) log: Arc<Mutex<Vec<String>>>,
    agent: ureq::Agent,
}

impl Server {
    /// Starts `safegrade serve --rules RULES --addr 127.0.0.1:0 EXTRA…` and
    /// waits for its `listening` line.
    pub(crate) fn start(rules: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_safegrade"))
            .arg("serve")
            .arg("--rules")
            .arg(rules)
            .args(["--addr", "127.0.0.1:0"])
            .args(extra)
            .current_dir(crate::common::root())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<String>();
        {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut tx = Some(tx);
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                        if v["message"] == "listening" {
                            if let (Some(t), Some(addr)) = (tx.take(), v["addr"].as_str()) {
                                let _ = t.send(addr.to_string());
                            }
                        }
                    }
                    log.lock().expect("log").push(line);
                }
            });
        }
        let mut server = Server { child, addr: String::new(), log, agent: agent() };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(addr) => server.addr = addr,
            Err(e) => {
                // Give the reader a moment to collect the last lines.
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "`safegrade serve` did not log `listening` ({e}); exit: {:?}; stderr:\n{}",
                    server.child.try_wait(),
                    server.log_text()
                );
            }
        }
        server
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn log_text(&self) -> String {
        self.log.lock().expect("log").join("\n")
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `GET path` (with a bearer token when given).
    pub(crate) fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut req = self.agent.get(self.url(path));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        Reply::of(req.call(), path)
    }

    /// `POST path` with this body and content type.
    pub(crate) fn post(&self, path: &str, content_type: &str, body: &[u8], token: Option<&str>) -> Reply {
        let mut req = self.agent.post(self.url(path)).header("content-type", content_type);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        Reply::of(req.send(body), path)
    }

    /// `POST path` with this body; a transport failure as an error.
    pub(crate) fn try_post(&self, path: &str, content_type: &str, body: &[u8]) -> Result<Reply, String> {
        let res = self.agent.post(self.url(path)).header("content-type", content_type).send(body);
        res.map(|r| Reply::of(Ok(r), path)).map_err(|e| format!("{path}: no HTTP answer: {e}"))
    }

    /// `POST path` whose body is read from `body` as it is sent (chunked).
    pub(crate) fn post_reader(&self, path: &str, content_type: &str, body: impl std::io::Read + 'static) -> Reply {
        let req = self.agent.post(self.url(path)).header("content-type", content_type);
        Reply::of(req.send(ureq::SendBody::from_owned_reader(body)), path)
    }

    /// The log lines so far, parsed (lines that are not JSON left out).
    pub(crate) fn log_json(&self) -> Vec<serde_json::Value> {
        self.log.lock().expect("log").iter().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }

    /// `POST /v1/reload` with no body.
    pub(crate) fn reload(&self) -> Reply {
        Reply::of(self.agent.post(self.url("/v1/reload")).send_empty(), "/v1/reload")
    }

    /// `POST path` with a JSON body.
    pub(crate) fn post_json(&self, path: &str, body: &serde_json::Value) -> Reply {
        self.post(path, "application/json", body.to_string().as_bytes(), None)
    }

    /// Sends a signal with `kill -SIG PID`.
    pub(crate) fn signal(&self, sig: &str) {
        let status =
            Command::new("kill").arg(format!("-{sig}")).arg(self.pid().to_string()).status().expect("kill runs");
        assert!(status.success(), "kill -{sig} failed");
    }

    /// Waits up to `limit` for the process to exit; its exit status.
    pub(crate) fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that returns every status as a response.
pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .new_agent()
}

/// An HTTP answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    fn of(res: Result<ureq::http::Response<ureq::Body>, ureq::Error>, path: &str) -> Reply {
        let mut res = res.unwrap_or_else(|e| panic!("{path}: no HTTP answer: {e}"));
        let status = res.status().as_u16();
        let headers = res
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = res
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .unwrap_or_else(|e| panic!("{path}: body not read: {e}"));
        Reply { status, headers, body }
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics naming the body when it is not.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.text()))
    }
}

/// A fresh folder under the system temp dir; removed when dropped.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "safegrade-serve-{tag}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        TempDir(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies a folder tree (files and folders only).
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a folder");
    for entry in std::fs::read_dir(from).expect("readable") {
        let entry = entry.expect("an entry");
        let ty = entry.file_type().expect("a type");
        let dest = to.join(entry.file_name());
        if ty.is_dir() {
            copy_tree(&entry.path(), &dest);
        } else if ty.is_file() {
            std::fs::copy(entry.path(), &dest).expect("copied");
        }
    }
}

/// One Prometheus sample: name, labels, value.
pub(crate) type Sample = (String, Vec<(String, String)>, f64);

/// Prometheus text: every sample.
pub(crate) fn metric_samples(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name_end = line.find(['{', ' ']).unwrap_or(line.len());
        let name = line[..name_end].to_string();
        let mut labels = Vec::new();
        let mut rest = &line[name_end..];
        if rest.starts_with('{') {
            let mut chars = rest[1..].char_indices().peekable();
            let mut key = String::new();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '}' => {
                        end = Some(i + 2);
                        break;
                    }
                    ',' | ' ' => {}
                    '=' => {
                        // A quoted value, with \" \\ \n escapes.
                        let _ = chars.next(); // the opening quote
                        let mut value = String::new();
                        while let Some((_, c)) = chars.next() {
                            match c {
                                '\\' => {
                                    if let Some((_, e)) = chars.next() {
                                        value.push(if e == 'n' { '\n' } else { e });
                                    }
                                }
                                '"' => break,
                                c => value.push(c),
                            }
                        }
                        labels.push((std::mem::take(&mut key), value));
                    }
                    c => key.push(c),
                }
            }
            rest = &rest[end.unwrap_or(rest.len())..];
        }
        let value = rest.split_whitespace().next().unwrap_or("");
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse::<f64>().unwrap_or(f64::NAN),
        };
        out.push((name, labels, value));
    }
    out
}

/// The sum of the samples named `name` whose labels include every pair of `with`.
pub(crate) fn metric_sum(text: &str, name: &str, with: &[(&str, &str)]) -> f64 {
    metric_samples(text)
        .into_iter()
        .filter(|(n, labels, _)| {
            n == name && with.iter().all(|(k, v)| labels.iter().any(|(lk, lv)| lk == k && lv == v))
        })
        .map(|(_, _, v)| v)
        .sum()
}
