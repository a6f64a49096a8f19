//! The decision service's load benchmark (`cargo bench -p safegrade-cli --bench
//! serve`): single-firm evaluations of the hazchem scheme through
//! `safegrade serve` on loopback, from many clients at once.
//!
//! It starts the release binary on a free port of 127.0.0.1 with the
//! shipped rules, and runs `CLIENTS` client threads (default 64), each with
//! one kept-alive HTTP/1.1 connection (a small client of its own, so that
//! the cores go to the service), sending `POST /v1/rulesets/hazchem/evaluate`
//! for one firm (an orange firm with a penalty: all four steps evaluate)
//! until `REQUESTS` requests (default 1,000,000) are answered. Every answer
//! must be `200` and byte-identical to the library's result for the same
//! firm; any other answer is counted as an error and the run exits 1. It
//! prints the evaluations per second, the latency percentiles measured by
//! the clients (p50, p99, p99.9, max), and the service's resident memory
//! after each tenth of the requests (flat: over the last four tenths it
//! moves less than 2 %, where memory kept by every request would grow it
//! 15 % or more). Targets: at least 20,000 evaluations a second
//! and p99 under 10 ms on 2 cores with 64 clients.
//!
//! A run stops after 300 s whatever its count, and a connection waits at
//! most 10 s for an answer.
//!
//! `--check` (and `cargo test -p safegrade-cli --bench serve`, which passes no
//! `--bench`) runs 2,000 requests from 8 clients and checks the answers
//! only. `--requests N` and `--clients N` set the counts.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The firm: the hazchem scheme's fourth test case (orange, B, tier 2).
const ANSWERS: &str = r#"{"standardization":"level_2","n_major_hazards_grade_2":1,"n_hazard_processes":3,"safety_distance_noncompliant":true,"no_dual_power":true,"fine_chem_no_reaction_assessment":true,"penalties":[{"date":"2024-01-15"}]}"#;
const AS_OF: &str = "2024-06-30";
/// The longest a run may take; it stops there, short of its count.
const TIME_LIMIT: Duration = Duration::from_secs(300);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check_only = args.iter().any(|a| a == "--check") || !args.iter().any(|a| a == "--bench");
    let number = |flag: &str| {
        let at = args.iter().position(|a| a == flag)?;
        args.get(at + 1)?.parse::<u64>().ok()
    };
    let requests = number("--requests").unwrap_or(if check_only { 2_000 } else { 1_000_000 });
    let clients = number("--clients").unwrap_or(if check_only { 8 } else { 64 }).max(1);

    let expected = expected_answer();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut server = Server::start(&format!("{root}/rules"));
    let path = "/v1/rulesets/hazchem/evaluate".to_string();
    let body = format!(r#"{{"answers":{ANSWERS},"as_of":"{AS_OF}"}}"#);

    let (sent, errors) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let tenth = (requests / 10).max(1);
    // The service's memory after each tenth of the requests.
    let rss_by_tenth: Arc<Vec<AtomicU64>> = Arc::new((0..10).map(|_| AtomicU64::new(0)).collect());
    let start = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (addr, path, body, expected) = (server.addr.clone(), path.clone(), body.clone(), expected.clone());
            let (sent, errors, rss_by_tenth, pid) = (sent.clone(), errors.clone(), rss_by_tenth.clone(), server.pid());
            std::thread::spawn(move || {
                let mut client = Client::connect(&addr, &path, &body);
                let mut latencies = Vec::new();
                loop {
                    let n = sent.fetch_add(1, Ordering::Relaxed);
                    if n >= requests || start.elapsed() > TIME_LIMIT {
                        break;
                    }
                    if n % tenth == 0 && n / tenth < 10 && n > 0 {
                        rss_by_tenth[(n / tenth - 1) as usize].store(rss_kib(pid), Ordering::Relaxed);
                    }
                    let t = Instant::now();
                    let answer = client.call();
                    latencies.push(t.elapsed().as_micros() as u32);
                    let shown = match &answer {
                        Ok((200, text)) if *text == expected.as_bytes() => None,
                        Ok((status, text)) => Some(format!("{status}: {}", String::from_utf8_lossy(text))),
                        Err(e) => Some(e.to_string()),
                    };
                    let broken = answer.is_err();
                    if let Some(shown) = shown {
                        if errors.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("unexpected answer: {shown}");
                        }
                        if broken {
                            client = Client::connect(&addr, &path, &body);
                        }
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<u32> = threads.into_iter().flat_map(|t| t.join().expect("client thread")).collect();
    let elapsed = start.elapsed().as_secs_f64();
    let rss_end = rss_kib(server.pid());
    server.stop();

    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)] as f64 / 1000.0;
    let errors = errors.load(Ordering::Relaxed);
    let answered = latencies.len() as u64;
    let per_second = answered as f64 / elapsed;
    println!("safegrade serve, hazchem scheme, one firm per request: {answered} requests from {clients} clients");
    if answered < requests {
        println!("  stopped at the time limit of {} s, before {requests}", TIME_LIMIT.as_secs());
    }
    println!("  {per_second:.0} evaluations/s in {elapsed:.1} s, {errors} errors");
    println!(
        "  latency ms: p50 {:.2}, p99 {:.2}, p99.9 {:.2}, max {:.2}",
        at(0.50),
        at(0.99),
        at(0.999),
        latencies.last().copied().unwrap_or(0) as f64 / 1000.0
    );
    rss_by_tenth[9].store(rss_end, Ordering::Relaxed);
    let rss: Vec<f64> = rss_by_tenth.iter().map(|r| r.load(Ordering::Relaxed) as f64 / 1024.0).collect();
    let shown: Vec<String> = rss.iter().map(|mb| format!("{mb:.1}")).collect();
    println!("  service memory (RSS, MB) after each tenth of the requests: {}", shown.join(", "));
    // Flat: over the last four tenths the memory moves less than 2 %. The
    // first half fills the allocator's pages and the connections' buffers
    // in steps; memory kept by every request (one small allocation, 16
    // bytes or more) would grow it 6 MB or more over those 400,000.
    let last = &rss[6..];
    let (low, high) = last.iter().fold((f64::MAX, 0f64), |(lo, hi), &mb| (lo.min(mb), hi.max(mb)));
    let growth = (rss[9] - rss[5]) * 1024.0 * 1024.0 / (4 * tenth) as f64;
    println!("  memory growth over the last four tenths: {growth:.2} bytes a request");
    let flat = high <= low * 1.02;
    if !check_only {
        println!(
            "  targets: >= 20000 evaluations/s: {}; p99 < 10 ms: {}; memory flat (last four tenths within 2 %): {}",
            verdict(per_second >= 20_000.0),
            verdict(at(0.99) < 10.0),
            verdict(flat)
        );
    }
    if errors > 0 {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

/// What `safegrade eval --format json` prints for the firm: the library's
/// result, pretty-printed, with a final line end.
fn expected_answer() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/schemes/hazchem.toml");
    let loader = |p: &str| std::fs::read_to_string(p).map_err(|e| e.to_string());
    let rules = safegrade::load(path, &loader).rules.expect("the hazchem scheme checks");
    let answers: serde_json::Value = serde_json::from_str(ANSWERS).expect("answers");
    let as_of = chrono::NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").expect("date");
    let result = rules.assess_json(&answers, as_of).expect("the firm evaluates");
    format!("{}\n", serde_json::to_string_pretty(&result).expect("JSON"))
}

/// The service, on a port the system chose.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(rules: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_safegrade"))
            .args(["serve", "--rules", rules, "--addr", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start safegrade serve");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let addr = loop {
            let line = lines.next().expect("the service logs `listening`").expect("a log line");
            let json: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if json["message"] == "listening" {
                break json["addr"].as_str().expect("addr").to_string();
            }
        };
        // The request log: read and dropped, so the service never waits on the pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, addr }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then waits for the exit.
    fn stop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client of one kept-alive HTTP/1.1 connection that sends the same
/// request again and again: small, so that the machine's cores go to the
/// service (a general HTTP client took about a quarter of them).
struct Client {
    stream: BufReader<TcpStream>,
    request: Vec<u8>,
    line: String,
    body: Vec<u8>,
}

impl Client {
    fn connect(addr: &str, path: &str, body: &str) -> Client {
        let stream = TcpStream::connect(addr).expect("connects to the service");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        // A service that stops answering ends the bench, never hangs it.
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("a read timeout");
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        Client { stream: BufReader::new(stream), request: request.into_bytes(), line: String::new(), body: Vec::new() }
    }

    /// Sends the request; the answer's status and body (read by its
    /// `content-length`).
    fn call(&mut self) -> std::io::Result<(u16, &[u8])> {
        self.stream.get_mut().write_all(&self.request)?;
        self.line.clear();
        self.stream.read_line(&mut self.line)?;
        let status = self.line.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut length = None;
        loop {
            self.line.clear();
            if self.stream.read_line(&mut self.line)? == 0 {
                return Err(std::io::Error::other("the connection closed"));
            }
            let line = self.line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                }
            }
        }
        let length = length.ok_or_else(|| std::io::Error::other("an answer without content-length"))?;
        self.body.resize(length, 0);
        self.stream.read_exact(&mut self.body)?;
        Ok((status, &self.body))
    }
}

/// The resident memory of process `pid`, in KiB (0 when unknown).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap_or("");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}
