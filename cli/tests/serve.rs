//! Integration tests of `safegrade serve` against the API contract: the
//! real binary on a loopback port, every route, answers compared with what
//! `safegrade eval` and `safegrade score` print for the same data, the
//! error answers, reload (under load, and on SIGHUP) and shutdown.

mod common;

#[path = "common/serve.rs"]
mod serve_util;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::root;
use serve_util::{copy_tree, metric_sum, Reply, Server, TempDir};

// ---------------------------------------------------------------------------
// Rule files, their ids and embedded test cases
// ---------------------------------------------------------------------------

fn rules_dir() -> PathBuf {
    root().join("rules")
}

/// Every `*.toml` under `dir`, recursively, sorted.
fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a readable folder") {
        let entry = entry.expect("an entry");
        let ty = entry.file_type().expect("a type");
        if ty.is_dir() {
            out.extend(toml_files(&entry.path()));
        } else if ty.is_file() && entry.path().extension().is_some_and(|e| e == "toml") {
            out.push(entry.path());
        }
    }
    out.sort();
    out
}

fn read_toml(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A rule file's id, kind and version: `[ruleset]` or `[scheme]`.
fn meta_of(path: &Path) -> (String, String, String) {
    let doc = read_toml(path);
    let (head, kind) = match doc.get("scheme") {
        Some(s) => (s, "scheme".to_string()),
        None => {
            let r = doc.get("ruleset").unwrap_or_else(|| panic!("{}: no [ruleset]", path.display()));
            (r, r["kind"].as_str().expect("a kind").to_string())
        }
    };
    (head["id"].as_str().expect("an id").to_string(), kind, head["version"].as_str().expect("a version").to_string())
}

fn id_of(path: &Path) -> String {
    meta_of(path).0
}

/// The path of a rule file relative to the rules folder, `/`-separated.
fn rel_name(path: &Path, dir: &Path) -> String {
    path.strip_prefix(dir).expect("inside").to_string_lossy().replace('\\', "/")
}

/// TOML to JSON as the rule-file test cases are read (`safegrade` does the
/// same): dates become their text, floats their shortest decimal text.
fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::Number((*i).into()),
        toml::Value::Float(f) => serde_json::from_str(&format!("{f}")).unwrap_or(Value::String(format!("{f}"))),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()),
    }
}

/// One embedded `[[tests]]` case.
#[derive(Clone, Debug)]
struct Case {
    file: PathBuf,
    id: String,
    name: String,
    input: Value,
    as_of: String,
}

fn cases_of(path: &Path) -> Vec<Case> {
    let doc = read_toml(path);
    let id = id_of(path);
    let Some(tests) = doc.get("tests").and_then(|t| t.as_array()) else { return Vec::new() };
    tests
        .iter()
        .map(|t| Case {
            file: path.to_path_buf(),
            id: id.clone(),
            name: t["name"].as_str().unwrap_or("?").to_string(),
            input: t.get("input").map_or(json!({}), toml_to_json),
            as_of: t.get("as_of").map_or(safegrade::DEFAULT_TEST_AS_OF.to_string(), |d| match d {
                toml::Value::Datetime(d) => d.to_string(),
                toml::Value::String(s) => s.clone(),
                other => panic!("{}: as_of {other:?}", path.display()),
            }),
        })
        .collect()
}

/// Runs the binary: (exit code, stdout bytes, stderr text).
fn run_cli(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_safegrade")).args(args).current_dir(root()).output().expect("the CLI runs");
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `safegrade eval --rules FILE --input <answers> --as-of DATE --format json`.
fn cli_eval(file: &Path, answers: &Value, as_of: &str, scratch: &Path) -> (i32, Vec<u8>, String) {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let input = scratch.join(format!("answers-{}.json", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&input, answers.to_string()).expect("written");
    let res = run_cli(&[
        "eval",
        "--rules",
        file.to_str().expect("UTF-8"),
        "--input",
        input.to_str().expect("UTF-8"),
        "--as-of",
        as_of,
        "--format",
        "json",
    ]);
    let _ = std::fs::remove_file(&input);
    res
}

/// The hash `safegrade eval` shows for a rule file (from its first embedded
/// case that evaluates).
fn cli_hash(file: &Path, scratch: &Path) -> String {
    for case in cases_of(file) {
        let (code, out, _) = cli_eval(file, &case.input, &case.as_of, scratch);
        if code == 0 {
            return result_hash(&serde_json::from_slice(&out).expect("eval prints JSON"));
        }
    }
    panic!("{}: no embedded case evaluates", file.display())
}

/// `ruleset.hash` of a rule-set result or `scheme.hash` of a scheme result.
fn result_hash(result: &Value) -> String {
    result
        .get("ruleset")
        .or_else(|| result.get("scheme"))
        .and_then(|r| r["hash"].as_str())
        .unwrap_or_else(|| panic!("no ruleset.hash / scheme.hash in {result}"))
        .to_string()
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Asserts an error answer: status, JSON `{"error":{"code","message"}}`;
/// gives the whole body.
#[track_caller]
fn assert_error(reply: &Reply, status: u16, code: &str) -> Value {
    assert_eq!(reply.status, status, "status of an error answer `{code}`; body: {}", reply.text());
    let body = reply.json();
    assert_eq!(body["error"]["code"], code, "error.code; body: {body}");
    let message = body["error"]["message"].as_str().unwrap_or_else(|| panic!("no error.message: {body}"));
    assert!(!message.trim().is_empty(), "an empty error.message: {body}");
    body
}

fn message(body: &Value) -> String {
    body["error"]["message"].as_str().unwrap_or("").to_string()
}

fn evaluate_path(id: &str) -> String {
    format!("/v1/rulesets/{id}/evaluate")
}

/// The first embedded case of `credit-rating` (evaluates fine).
fn credit_case() -> Case {
    cases_of(&rules_dir().join("credit-rating.toml")).into_iter().next().expect("a case")
}

// ---------------------------------------------------------------------------
// 1. Routes
// ---------------------------------------------------------------------------

#[test]
fn healthz_and_readyz() {
    let server = Server::start(&rules_dir(), &[]);
    let r = server.get("/healthz", None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"status": "ok"}));

    let r = server.get("/readyz", None);
    assert_eq!(r.status, 200, "{}", r.text());
    let n = toml_files(&rules_dir()).len();
    assert_eq!(r.json(), json!({"status": "ready", "rulesets": n}), "every shipped rule set and scheme is served");
}

#[test]
fn metrics_count_requests_evaluations_rejects_and_reloads() {
    let tmp = TempDir::new("metrics");
    let rules = tmp.path().join("rules");
    copy_tree(&rules_dir(), &rules);
    let server = Server::start(&rules, &[]);
    let before = server.get("/metrics", None);
    assert_eq!(before.status, 200, "{}", before.text());
    let ct = before.header("content-type").unwrap_or("");
    assert!(ct.starts_with("application/openmetrics-text"), "content-type of /metrics: {ct}");
    let before = before.text();

    // Three evaluations of lec, one unknown rule set, one score with a reject, one reload.
    let lec = json!({"answers": {"l": 6, "e": 6, "c": 7}, "as_of": "2026-06-30"});
    for _ in 0..3 {
        let r = server.post_json(&evaluate_path("lec"), &lec);
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(server.post_json(&evaluate_path("no-such-ruleset"), &lec).status, 404);
    let firms = std::fs::read_to_string(root().join("tests/data/sample/firms.csv")).expect("firms");
    let mut lines = firms.lines();
    let header = lines.next().expect("a header");
    let good = lines.next().expect("a row");
    let csv = format!("{header}\n{good}\nNOT-A-USCC{}\n", &good[good.find(',').expect("a comma")..]);
    let r = server.post("/v1/rulesets/hazchem/score?as_of=2026-06-30", "text/csv", csv.as_bytes(), None);
    assert_eq!(r.status, 200, "{}", r.text());
    let rejects = r.text().lines().filter(|l| l.starts_with("{\"reject\"")).count();
    assert_eq!(rejects, 1, "one bad key, one reject: {}", r.text());
    let reload = server.reload();
    assert_eq!(reload.status, 200, "{}", reload.text());

    let after = server.get("/metrics", None);
    assert_eq!(after.status, 200);
    let after = after.text();
    for family in [
        "safegrade_requests_total",
        "safegrade_request_duration_seconds_bucket",
        "safegrade_request_duration_seconds_sum",
        "safegrade_request_duration_seconds_count",
        "safegrade_evaluations_total",
        "safegrade_rejects_total",
        "safegrade_reloads_total",
        "safegrade_rulesets_served",
    ] {
        assert!(
            serve_util::metric_samples(&after).iter().any(|(n, _, _)| n == family),
            "no `{family}` sample in /metrics:\n{after}"
        );
    }
    let delta = |name: &str, with: &[(&str, &str)]| metric_sum(&after, name, with) - metric_sum(&before, name, with);
    assert_eq!(delta("safegrade_evaluations_total", &[("ruleset", "lec")]), 3.0, "evaluations of lec:\n{after}");
    // The route label's spelling is the server's: sum every evaluate route.
    let evaluate_200 = |text: &str| -> f64 {
        serve_util::metric_samples(text)
            .iter()
            .filter(|(n, l, _)| {
                n == "safegrade_requests_total"
                    && l.iter().any(|(k, v)| k == "route" && v.contains("evaluate"))
                    && l.iter().any(|(k, v)| k == "status" && v == "200")
            })
            .map(|(_, _, v)| v)
            .sum()
    };
    assert_eq!(evaluate_200(&after) - evaluate_200(&before), 3.0, "evaluate requests with status 200:\n{after}");
    assert!(delta("safegrade_requests_total", &[("status", "404")]) >= 1.0, "a 404 counted:\n{after}");
    assert_eq!(
        delta("safegrade_rejects_total", &[("ruleset", "hazchem")]),
        1.0,
        "one reject of hazchem counted:\n{after}"
    );
    assert_eq!(delta("safegrade_reloads_total", &[("result", "ok")]), 1.0, "one good reload:\n{after}");
    assert_eq!(
        metric_sum(&after, "safegrade_rulesets_served", &[]),
        toml_files(&rules).len() as f64,
        "rule sets served:\n{after}"
    );
    let count = |text: &str| -> f64 {
        serve_util::metric_samples(text)
            .iter()
            .filter(|(n, l, _)| {
                n == "safegrade_request_duration_seconds_count"
                    && l.iter().any(|(k, v)| k == "route" && v.contains("evaluate"))
            })
            .map(|(_, _, v)| v)
            .sum()
    };
    assert!(count(&after) - count(&before) >= 3.0, "evaluate durations observed:\n{after}");
}

#[test]
fn openapi_document() {
    let server = Server::start(&rules_dir(), &[]);
    let r = server.get("/v1/openapi.json", None);
    assert_eq!(r.status, 200, "{}", r.text());
    let doc = root().join("docs/openapi.json");
    if doc.exists() {
        let expected = std::fs::read(&doc).expect("readable");
        assert!(r.body == expected, "/v1/openapi.json differs from docs/openapi.json");
    } else {
        // docs/openapi.json is not in this tree yet: at least the shape.
        eprintln!("docs/openapi.json absent: checking the document's shape only");
    }
    let v = r.json();
    assert!(v["openapi"].as_str().is_some_and(|s| s.starts_with("3.1")), "openapi 3.1: {}", v["openapi"]);
    let paths = v["paths"].as_object().expect("paths");
    for route in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/openapi.json",
        "/v1/rulesets",
        "/v1/rulesets/{id}",
        "/v1/rulesets/{id}/evaluate",
        "/v1/rulesets/{id}/score",
        "/v1/reload",
    ] {
        assert!(paths.contains_key(route), "{route} missing from paths: {:?}", paths.keys().collect::<Vec<_>>());
    }
}

#[test]
fn rulesets_lists_every_shipped_file_with_the_cli_hash() {
    let dir = rules_dir();
    let server = Server::start(&dir, &[]);
    let r = server.get("/v1/rulesets", None);
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    let list = body["rulesets"].as_array().expect("rulesets");
    assert_eq!(body["unloaded"], json!([]), "every shipped file checks");
    let ids: Vec<&str> = list.iter().map(|e| e["id"].as_str().expect("an id")).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "sorted by id");

    let scratch = TempDir::new("hashes");
    let files = toml_files(&dir);
    assert_eq!(list.len(), files.len(), "one entry per rule file: {ids:?}");
    assert!(ids.contains(&"hazchem"), "the scheme is listed: {ids:?}");
    for file in &files {
        let (id, kind, version) = meta_of(file);
        let entry = list.iter().find(|e| e["id"] == id.as_str()).unwrap_or_else(|| panic!("{id} not listed"));
        let hash = entry["hash"].as_str().expect("a hash");
        assert!(is_sha256_hex(hash), "{id}: hash `{hash}` is not 64 hex digits");
        assert_eq!(hash, cli_hash(file, scratch.path()), "{id}: the hash `safegrade eval` shows");
        assert_eq!(entry["kind"], kind.as_str(), "{id}: kind");
        assert_eq!(entry["version"], version.as_str(), "{id}: version");
        // The spec's example names a top-level file by its name; a nested one
        // is taken to be named by its path under --rules.
        assert_eq!(entry["file"], rel_name(file, &dir).as_str(), "{id}: file");
        assert_eq!(entry["problems"], json!([]), "{id}: problems");
        assert!(entry["name"]["zh"].is_string(), "{id}: name.zh in {entry}");
    }
}

/// A rule file loaded with the library, as the CLI loads it.
fn load_rules(path: &Path) -> safegrade::Rules {
    let loader = |p: &str| std::fs::read_to_string(p).map_err(|e| e.to_string());
    let loaded = safegrade::load(path.to_str().expect("UTF-8"), &loader);
    loaded.rules.unwrap_or_else(|| panic!("{} does not load", path.display()))
}

#[test]
fn ruleset_schema_is_the_library_schema() {
    let dir = rules_dir();
    let server = Server::start(&dir, &[]);
    let listed = server.get("/v1/rulesets", None).json();
    // Every rule file is checked; the differences are reported together.
    let mut differ = Vec::new();
    for file in toml_files(&dir) {
        let id = id_of(&file);
        let r = server.get(&format!("/v1/rulesets/{id}"), None);
        assert_eq!(r.status, 200, "{id}: {}", r.text());
        let entry = listed["rulesets"].as_array().expect("a list").iter().find(|e| e["id"] == id.as_str()).cloned();
        assert_eq!(
            r.header("x-safegrade-hash"),
            entry.as_ref().and_then(|e| e["hash"].as_str()),
            "{id}: x-safegrade-hash equals the listed hash"
        );
        let got = r.json();
        assert!(got.is_object(), "{id}: a JSON object");
        match load_rules(&file) {
            safegrade::Rules::Set(rules) => {
                // As the portal's `schema` call gives it, without `type` and `diagnostics`.
                let schema = serde_json::to_value(rules.schema()).expect("serializes");
                let expected = json!({ "kind": "ruleset", "schema": schema });
                if got != expected {
                    differ.push(format!(
                        "{id}: not the schema `safegrade::schema` gives (top-level members {:?}, expected {:?})",
                        got.as_object().map(|o| o.keys().collect::<Vec<_>>()),
                        expected.as_object().map(|o| o.keys().collect::<Vec<_>>()),
                    ));
                }
            }
            safegrade::Rules::Scheme(scheme) => {
                // The portal/wasm `schema` call: `steps: [{alias, schema}]`.
                let expected: Vec<Value> = scheme
                    .steps()
                    .map(|(alias, r)| {
                        json!({"alias": alias, "schema": serde_json::to_value(r.schema()).expect("serializes")})
                    })
                    .collect();
                if got["steps"] != Value::Array(expected) {
                    differ.push(format!("{id}: `steps` is not each step's schema: {got}"));
                }
                if got["kind"] != "scheme" {
                    differ.push(format!("{id}: kind {}", got["kind"]));
                }
            }
        }
    }
    let r = server.get("/v1/rulesets/no-such-ruleset", None);
    assert_error(&r, 404, "unknown_ruleset");
    assert!(differ.is_empty(), "questionnaires differ:\n{}", differ.join("\n"));
}

// ---------------------------------------------------------------------------
// 2. Evaluate = `safegrade eval`
// ---------------------------------------------------------------------------

/// One case through `safegrade eval` and the server: `Ok(true)` when both
/// evaluated alike, `Ok(false)` when both refused alike, or what differs.
fn compare_case(server: &Server, case: &Case, scratch: &Path) -> Result<bool, String> {
    let (code, out, err) = cli_eval(&case.file, &case.input, &case.as_of, scratch);
    let body = json!({"answers": case.input, "as_of": case.as_of});
    let r = server.post_json(&evaluate_path(&case.id), &body);
    let what = format!("{} / {}", case.id, case.name);
    match code {
        0 => {
            if r.status != 200 {
                return Err(format!("{what}: status {} (CLI exit 0): {}", r.status, r.text()));
            }
            if r.body != out {
                return Err(format!(
                    "{what}: body differs from `safegrade eval` stdout\n--- eval\n{}\n--- serve\n{}",
                    String::from_utf8_lossy(&out),
                    r.text()
                ));
            }
            let hash = result_hash(&r.json());
            if r.header("x-safegrade-hash") != Some(hash.as_str()) {
                return Err(format!("{what}: x-safegrade-hash {:?} is not {hash}", r.header("x-safegrade-hash")));
            }
            Ok(true)
        }
        1 => {
            // The CLI's error lines: `error: evaluation failed: X` (422) or
            // `error: FILE: problem` per input problem (400 bad_input).
            let lines: Vec<&str> = err.lines().filter_map(|l| l.strip_prefix("error: ")).collect();
            if let Some(msg) = lines.iter().find_map(|l| l.strip_prefix("evaluation failed: ")) {
                if r.status != 422 {
                    return Err(format!("{what}: status {} for an evaluation error `{msg}`: {}", r.status, r.text()));
                }
                let b = r.json();
                if b["error"]["code"] != "eval_error" || !message(&b).contains(msg) {
                    return Err(format!("{what}: expected eval_error naming `{msg}`, got {b}"));
                }
                return Ok(false);
            }
            let expected: BTreeSet<String> =
                lines.iter().filter_map(|l| l.split_once(": ").map(|(_, m)| m.to_string())).collect();
            if r.status != 400 {
                return Err(format!("{what}: status {} for bad input {expected:?}: {}", r.status, r.text()));
            }
            let b = r.json();
            let got: BTreeSet<String> = b["error"]["problems"]
                .as_array()
                .map(|ps| ps.iter().filter_map(|p| p["message"].as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            if b["error"]["code"] != "bad_input" || got != expected {
                return Err(format!("{what}: expected bad_input with problems {expected:?}, got {b}"));
            }
            Ok(false)
        }
        _ => Err(format!("{what}: the CLI failed ({code}): {err}")),
    }
}

#[test]
fn evaluate_equals_cli_eval_for_every_embedded_case() {
    let dir = rules_dir();
    let server = Server::start(&dir, &[]);
    let cases: Vec<Case> = toml_files(&dir).iter().flat_map(|f| cases_of(f)).collect();
    assert!(cases.len() > 100, "the shipped files embed their cases: {}", cases.len());
    let scratch = TempDir::new("eval");
    let failures = Mutex::new(Vec::new());
    let error_cases = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for part in cases.chunks(cases.len().div_ceil(2)) {
            let (server, scratch, failures, error_cases) = (&server, scratch.path(), &failures, &error_cases);
            s.spawn(move || {
                for case in part {
                    match compare_case(server, case, scratch) {
                        Ok(true) => {}
                        Ok(false) => {
                            error_cases.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(f) => failures.lock().expect("lock").push(f),
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().expect("lock");
    assert!(error_cases.into_inner() > 0, "some embedded cases take the error path");
    assert!(failures.is_empty(), "{} of {} cases differ:\n\n{}", failures.len(), cases.len(), failures.join("\n\n"));
}

// ---------------------------------------------------------------------------
// 3. Score = `safegrade score`
// ---------------------------------------------------------------------------

const SAMPLE: &str = "tests/data/sample";
const AS_OF: &str = "2026-06-30";
const LISTS: [&str; 3] = ["accidents", "penalties", "hidden_dangers"];

/// The lines of a score answer, split by kind, with the result lines' inner
/// objects as text.
struct ScoreAnswer {
    results: Vec<String>,
    rejects: Vec<Value>,
    last: Value,
}

fn split_score(r: &Reply) -> ScoreAnswer {
    assert_eq!(r.status, 200, "score: {}", r.text());
    assert!(
        r.header("content-type").is_some_and(|c| c.starts_with("application/x-ndjson")),
        "score content-type: {:?}",
        r.header("content-type")
    );
    let text = r.text();
    let lines: Vec<&str> = text.lines().collect();
    let (last, body) = lines.split_last().expect("at least the summary line");
    let mut results = Vec::new();
    let mut rejects = Vec::new();
    for (i, line) in body.iter().enumerate() {
        if let Some(inner) = line.strip_prefix("{\"result\":").and_then(|l| l.strip_suffix('}')) {
            results.push(inner.to_string());
        } else if line.starts_with("{\"reject\":") {
            rejects.push(serde_json::from_str::<Value>(line).expect("a JSON line")["reject"].clone());
        } else {
            panic!("score line {} is neither a result nor a reject: {line}", i + 1);
        }
    }
    let last: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("last line not JSON ({e}): {last}"));
    ScoreAnswer { results, rejects, last }
}

/// A `safegrade score` run: result lines, reject rows and the summary.
struct CliScore {
    results: Vec<String>,
    rejects: Vec<BTreeMap<String, String>>,
    summary: Value,
}

fn cli_score(firms: &Path, lists: Option<&Path>, extra: &[&str], scratch: &Path) -> CliScore {
    let out = scratch.join("cli.jsonl");
    let rejects = scratch.join("cli-rejects.csv");
    let summary = scratch.join("cli-summary.json");
    let rules = rules_dir().join("schemes/hazchem.toml");
    let mut args: Vec<String> = vec![
        "score".into(),
        "--rules".into(),
        rules.to_string_lossy().into(),
        "--firms".into(),
        firms.to_string_lossy().into(),
        "--as-of".into(),
        AS_OF.into(),
        "--out".into(),
        out.to_string_lossy().into(),
        "--rejects".into(),
        rejects.to_string_lossy().into(),
        "--summary".into(),
        summary.to_string_lossy().into(),
    ];
    if let Some(dir) = lists {
        for l in LISTS {
            args.push("--list".into());
            args.push(format!("{l}={}", dir.join(format!("{l}.csv")).display()));
        }
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = run_cli(&argv);
    assert!(code == 0 || code == 3, "safegrade score failed ({code}): {err}");
    let results = std::fs::read_to_string(&out).expect("results").lines().map(str::to_string).collect();
    let mut rd = csv::Reader::from_path(&rejects).expect("rejects");
    let headers = rd.headers().expect("a header").clone();
    let rejects = rd
        .records()
        .map(|r| {
            let r = r.expect("a row");
            headers.iter().zip(r.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
        })
        .collect();
    let summary = serde_json::from_slice(&std::fs::read(&summary).expect("summary")).expect("summary JSON");
    CliScore { results, rejects, summary }
}

/// The counts of a summary: firm rows, list rows by list, reject reasons,
/// the grade and item counts of each step and the breakdowns.
fn summary_counts(s: &Value) -> Value {
    let counts = |f: &Value| json!({"rows": f["rows"], "used": f["used"], "rejected": f["rejected"]});
    let lists: BTreeMap<String, Value> = s["lists"]
        .as_array()
        .map(|ls| ls.iter().map(|l| (l["list"].as_str().unwrap_or("?").to_string(), counts(l))).collect())
        .unwrap_or_default();
    json!({
        "firms": counts(&s["firms"]),
        "lists": lists,
        "rejects": s["rejects"],
        "steps": s["steps"],
        "breakdown": s["breakdown"],
    })
}

fn check_summary_line(last: &Value, server: &Server, cli: &CliScore, what: &str) {
    let summary = last.get("summary").unwrap_or_else(|| panic!("{what}: the last line is not a summary: {last}"));
    let (mut got, mut expected) = (summary_counts(summary), summary_counts(&cli.summary));
    let (got_breakdown, expected_breakdown) = (got["breakdown"].take(), expected["breakdown"].take());
    assert_eq!(got, expected, "{what}: summary counts (rows, lists, rejects by reason, grade and item counts)");
    let listed = server.get("/v1/rulesets", None).json();
    let hazchem = listed["rulesets"].as_array().expect("a list").iter().find(|e| e["id"] == "hazchem").cloned();
    let hash = hazchem.as_ref().and_then(|e| e["hash"].as_str()).expect("hazchem listed");
    assert_eq!(last["rules"]["hash"], hash, "{what}: rules.hash on the summary line");
    assert_eq!(last["rules"]["id"], "hazchem", "{what}: rules.id");
    // As `safegrade score --carry name,sector,region`: grades counted by sector and region.
    assert_eq!(got_breakdown, expected_breakdown, "{what}: summary breakdown (grade counts by carried column)");
    let version = meta_of(&rules_dir().join("schemes/hazchem.toml")).2;
    assert_eq!(
        last["rules"]["version"],
        version.as_str(),
        "{what}: rules.version on the summary line: {}",
        last["rules"]
    );
}

/// Result lines equal, in order.
fn check_results(got: &[String], cli: &[String], what: &str) {
    assert_eq!(got.len(), cli.len(), "{what}: number of result lines");
    for (i, (g, c)) in got.iter().zip(cli).enumerate() {
        assert_eq!(g, c, "{what}: result {} differs from `safegrade score --out X.jsonl`", i + 1);
    }
}

fn score_csv(server: &Server, firms: &Path, query: &str) -> (Reply, ScoreAnswer) {
    let body = std::fs::read(firms).expect("firms");
    let r = server.post(&format!("/v1/rulesets/hazchem/score?{query}"), "text/csv", &body, None);
    let a = split_score(&r);
    (r, a)
}

#[test]
fn score_csv_equals_cli_score() {
    let server = Server::start(&rules_dir(), &[]);
    let scratch = TempDir::new("score-csv");
    let firms = root().join(SAMPLE).join("firms.csv");
    let cli = cli_score(&firms, None, &["--carry", "name,sector,region"], scratch.path());
    let (r, a) = score_csv(&server, &firms, &format!("as_of={AS_OF}&carry=name,sector,region"));
    check_results(&a.results, &cli.results, "CSV");
    assert_eq!(a.rejects.len(), cli.rejects.len(), "CSV: rejects: {:?}", a.rejects);
    check_summary_line(&a.last, &server, &cli, "CSV");
    let hash = a.last["rules"]["hash"].as_str().expect("a hash");
    assert_eq!(r.header("x-safegrade-hash"), Some(hash), "x-safegrade-hash of score");
    assert_eq!(cli.results.len(), 1000, "the sample has 1000 firms");
}

#[test]
fn score_csv_rejects_equal_cli_rejects() {
    // The sample's firm file with a bad value on line 6 and a bad key on line 10.
    let server = Server::start(&rules_dir(), &[]);
    let scratch = TempDir::new("score-rejects");
    let text = std::fs::read_to_string(root().join(SAMPLE).join("firms.csv")).expect("firms");
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let headers = rd.headers().expect("a header").clone();
    let col = headers.iter().position(|h| h == "n_explosives").expect("n_explosives");
    let mut wr = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    wr.write_record(&headers).expect("written");
    for (i, rec) in rd.records().enumerate() {
        let mut rec: Vec<String> = rec.expect("a row").iter().map(str::to_string).collect();
        match i + 2 {
            6 => rec[col] = "lots".into(),
            10 => rec[0] = "BADKEY".into(),
            _ => {}
        }
        wr.write_record(&rec).expect("written");
    }
    let firms = scratch.path().join("firms.csv");
    std::fs::write(&firms, wr.into_inner().expect("flushed")).expect("written");

    let cli = cli_score(&firms, None, &[], scratch.path());
    assert_eq!(cli.rejects.len(), 2, "the CLI rejects the two rows: {:?}", cli.rejects);
    let (_, a) = score_csv(&server, &firms, &format!("as_of={AS_OF}"));
    check_results(&a.results, &cli.results, "CSV with rejects");
    let got: Vec<(String, u64, String, String, String)> = a
        .rejects
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap_or("").to_string(),
                r["line"].as_u64().unwrap_or(0),
                r["key"].as_str().unwrap_or("").to_string(),
                r["reason"].as_str().unwrap_or("").to_string(),
                r["reason_code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, u64, String, String, String)> = cli
        .rejects
        .iter()
        .map(|r| {
            (
                "request".to_string(),
                r["line"].parse().expect("a line number"),
                r["key"].clone(),
                r["reason"].clone(),
                r["reason_code"].clone(),
            )
        })
        .collect();
    assert_eq!(got, expected, "rejects (file, line, key, reason, reason_code)");
    for (g, c) in a.rejects.iter().zip(&cli.rejects) {
        let column = g["column"].as_str().unwrap_or("");
        assert_eq!(column, c["column"], "reject column");
    }
    check_summary_line(&a.last, &server, &cli, "CSV with rejects");
}

/// One CSV file as (header, rows).
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rd = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = rd.headers().expect("a header").iter().map(str::to_string).collect();
    let rows = rd.records().map(|r| r.expect("a row").iter().map(str::to_string).collect()).collect();
    (header, rows)
}

fn cell(v: &str) -> Value {
    if v.is_empty() {
        Value::Null
    } else {
        Value::String(v.to_string())
    }
}

/// The sample as NDJSON: one firm a line, its columns as strings (empty:
/// null), and each list's records (without the key) grouped by `uscc`.
fn sample_ndjson(dir: &Path) -> String {
    let (fh, firms) = read_csv(&dir.join("firms.csv"));
    let key = fh.iter().position(|h| h == "uscc").expect("a uscc column");
    let mut lists: Vec<(&str, BTreeMap<String, Vec<Value>>)> = Vec::new();
    for l in LISTS {
        let (h, rows) = read_csv(&dir.join(format!("{l}.csv")));
        let k = h.iter().position(|c| c == "uscc").expect("a uscc column");
        let mut by_key: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for row in rows {
            let rec: serde_json::Map<String, Value> = h
                .iter()
                .zip(&row)
                .enumerate()
                .filter(|(i, _)| *i != k)
                .map(|(_, (c, v))| (c.clone(), cell(v)))
                .collect();
            by_key.entry(row[k].clone()).or_default().push(Value::Object(rec));
        }
        lists.push((l, by_key));
    }
    let mut out = String::new();
    for row in firms {
        let mut obj: serde_json::Map<String, Value> = fh.iter().zip(&row).map(|(c, v)| (c.clone(), cell(v))).collect();
        for (l, by_key) in &lists {
            obj.insert(l.to_string(), Value::Array(by_key.get(&row[key]).cloned().unwrap_or_default()));
        }
        out.push_str(&Value::Object(obj).to_string());
        out.push('\n');
    }
    out
}

/// The sample as NDJSON against `safegrade score` with the three list
/// files, both with the same `carry` (or none).
fn ndjson_equals_cli(carry: Option<&str>, what: &str) {
    let server = Server::start(&rules_dir(), &[]);
    let scratch = TempDir::new("score-ndjson");
    let sample = root().join(SAMPLE);
    let ndjson = sample_ndjson(&sample);
    let (extra, query) = match carry {
        Some(c) => (vec!["--carry", c], format!("as_of={AS_OF}&carry={c}")),
        None => (vec![], format!("as_of={AS_OF}")),
    };
    let cli = cli_score(&sample.join("firms.csv"), Some(&sample), &extra, scratch.path());
    let r =
        server.post(&format!("/v1/rulesets/hazchem/score?{query}"), "application/x-ndjson", ndjson.as_bytes(), None);
    let a = split_score(&r);
    assert!(a.last.get("error").is_none(), "{what}: the run stopped: {}", a.last);
    check_results(&a.results, &cli.results, what);
    let key_reason = |k: &str, reason: &str| (k.to_string(), reason.to_string());
    let got: Vec<(String, String)> = a
        .rejects
        .iter()
        .map(|r| key_reason(r["key"].as_str().unwrap_or(""), r["reason"].as_str().unwrap_or("")))
        .collect();
    let expected: Vec<(String, String)> = cli.rejects.iter().map(|r| key_reason(&r["key"], &r["reason"])).collect();
    assert_eq!(got, expected, "{what}: rejects (key, reason)");
    assert_eq!(r.header("x-safegrade-hash"), a.last["rules"]["hash"].as_str(), "x-safegrade-hash of score");
    check_summary_line(&a.last, &server, &cli, what);
}

#[test]
fn score_ndjson_equals_cli_score_with_lists() {
    ndjson_equals_cli(Some("name,sector,region"), "NDJSON with carry");
}

#[test]
fn score_ndjson_ignores_the_columns_cli_score_ignores() {
    // The firm lines hold every column of firms.csv; `safegrade score`
    // without --carry ignores name, sector and region (a note on stderr).
    // The first line's members are the columns, as a CSV header is.
    ndjson_equals_cli(None, "NDJSON without carry");
}

#[test]
fn score_ndjson_rejects_name_the_ndjson_line() {
    // A bad value in the firm line of a firm with no list records: the same
    // reject as `safegrade score` gives for the CSV row, on the NDJSON line.
    let server = Server::start(&rules_dir(), &[]);
    let scratch = TempDir::new("score-ndjson-rejects");
    let sample = root().join(SAMPLE);
    let data = scratch.path().join("data");
    std::fs::create_dir_all(&data).expect("a folder");
    for l in LISTS {
        std::fs::copy(sample.join(format!("{l}.csv")), data.join(format!("{l}.csv"))).expect("copied");
    }
    let with_records: BTreeSet<String> = LISTS
        .iter()
        .flat_map(|l| read_csv(&sample.join(format!("{l}.csv"))).1.into_iter().map(|r| r[0].clone()))
        .collect();
    let (header, mut rows) = read_csv(&sample.join("firms.csv"));
    let col = header.iter().position(|h| h == "n_explosives").expect("n_explosives");
    let bad = (3..rows.len()).find(|i| !with_records.contains(&rows[*i][0])).expect("a firm without records");
    rows[bad][col] = "lots".into();
    let mut wr = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    wr.write_record(&header).expect("written");
    for r in &rows {
        wr.write_record(r).expect("written");
    }
    std::fs::write(data.join("firms.csv"), wr.into_inner().expect("flushed")).expect("written");

    let carry = "name,sector,region";
    let cli = cli_score(&data.join("firms.csv"), Some(&data), &["--carry", carry], scratch.path());
    assert_eq!(cli.rejects.len(), 1, "the CLI rejects the one row: {:?}", cli.rejects);
    let ndjson = sample_ndjson(&data);
    let query = format!("/v1/rulesets/hazchem/score?as_of={AS_OF}&carry={carry}");
    let r = server.post(&query, "application/x-ndjson", ndjson.as_bytes(), None);
    let a = split_score(&r);
    assert!(a.last.get("error").is_none(), "the run stopped: {}", a.last);
    check_results(&a.results, &cli.results, "NDJSON with a bad value");
    assert_eq!(a.rejects.len(), 1, "one reject: {:?}", a.rejects);
    let (got, c) = (&a.rejects[0], &cli.rejects[0]);
    assert_eq!(c["line"], (bad + 2).to_string(), "the CLI's line counts the header");
    assert_eq!(got["file"], "request", "{got}");
    assert_eq!(got["line"], bad + 1, "the NDJSON line of the firm: {got}");
    for field in ["column", "key", "reason", "reason_code"] {
        assert_eq!(got[field], c[field].as_str(), "reject {field}: {got}");
    }
    let summary = &a.last["summary"];
    assert_eq!(summary_counts(summary)["firms"], summary_counts(&cli.summary)["firms"], "firm counts");
    assert_eq!(summary["rejects"], cli.summary["rejects"], "rejects by reason");
}

// ---------------------------------------------------------------------------
// 4. Errors
// ---------------------------------------------------------------------------

#[test]
fn errors_of_evaluate() {
    let server = Server::start(&rules_dir(), &[]);
    let path = evaluate_path("lec");

    // Not JSON: 400 bad_json, the message has line and column.
    let r = server.post(&path, "application/json", b"{\"answers\": {\"l\": 6,,}}", None);
    let b = assert_error(&r, 400, "bad_json");
    let m = message(&b);
    assert!(m.contains("line") && m.contains("column"), "bad_json names line and column: {m}");

    // JSON but not an object of the right shape.
    let r = server.post(&path, "application/json", b"[1, 2]", None);
    assert_error(&r, 400, "bad_json");

    // Unknown rule set: 404 unknown_ruleset listing the ids served.
    let r = server.post_json(&evaluate_path("no-such-ruleset"), &json!({"answers": {}}));
    let b = assert_error(&r, 404, "unknown_ruleset");
    for file in toml_files(&rules_dir()) {
        let id = id_of(&file);
        assert!(message(&b).contains(&id), "the message lists `{id}`: {b}");
    }

    // Unknown input: 400 bad_input, a problem names it.
    let r = server.post_json(&path, &json!({"answers": {"l": 6, "e": 6, "c": 7, "bogus_input": 1}, "as_of": AS_OF}));
    let b = assert_error(&r, 400, "bad_input");
    let problems = b["error"]["problems"].as_array().unwrap_or_else(|| panic!("error.problems: {b}"));
    assert!(
        problems.iter().any(|p| p["message"].as_str().is_some_and(|m| m.contains("bogus_input"))),
        "a problem names `bogus_input`: {b}"
    );
    for p in problems {
        assert!(p["message"].is_string() && p["message_zh"].is_string(), "message and message_zh: {p}");
    }

    // Wrong type: 400 bad_input naming the input.
    let r = server.post_json(&path, &json!({"answers": {"l": "six", "e": 6, "c": 7}, "as_of": AS_OF}));
    let b = assert_error(&r, 400, "bad_input");
    assert!(
        b["error"]["problems"].as_array().is_some_and(|ps| ps
            .iter()
            .any(|p| p["message"].as_str().is_some_and(|m| m.starts_with("l:") || m.contains("`l`")))),
        "a problem names `l`: {b}"
    );

    // Bad as_of: 400 bad_as_of naming the text.
    for bad in ["2026-13-45", "26-06-30", "tomorrow"] {
        let r = server.post_json(&path, &json!({"answers": {"l": 6, "e": 6, "c": 7}, "as_of": bad}));
        let b = assert_error(&r, 400, "bad_as_of");
        assert!(message(&b).contains(bad), "bad_as_of names `{bad}`: {b}");
    }

    // 40 nested arrays: 400 too_deep naming the limit 32.
    let deep = format!("{{\"answers\": {{\"l\": {}6{}}}, \"as_of\": \"{AS_OF}\"}}", "[".repeat(40), "]".repeat(40));
    let r = server.post(&path, "application/json", deep.as_bytes(), None);
    let b = assert_error(&r, 400, "too_deep");
    assert!(message(&b).contains("32"), "too_deep names the limit: {b}");

    // A good request still works on the same server.
    let r = server.post_json(&path, &json!({"answers": {"l": 6, "e": 6, "c": 7}, "as_of": AS_OF}));
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn error_body_too_large() {
    let server = Server::start(&rules_dir(), &["--max-body", "1000"]);
    let path = evaluate_path("lec");
    let small = json!({"answers": {"l": 6, "e": 6, "c": 7}, "as_of": AS_OF});
    assert_eq!(server.post_json(&path, &small).status, 200, "a small body passes");
    let big = format!("{{\"answers\": {{\"l\": 6, \"e\": 6, \"c\": 7}}, \"as_of\": \"{AS_OF}\"{}}}", " ".repeat(2000));
    let r = server.post(&path, "application/json", big.as_bytes(), None);
    let b = assert_error(&r, 413, "body_too_large");
    assert!(message(&b).contains("1000"), "body_too_large names the limit in bytes: {b}");
}

#[test]
fn errors_of_the_bearer_token() {
    let tmp = TempDir::new("token");
    let token_file = tmp.path().join("token");
    std::fs::write(&token_file, "s3cret-token-42").expect("written");
    let server = Server::start(&rules_dir(), &["--token-file", token_file.to_str().expect("UTF-8")]);

    assert_eq!(server.get("/healthz", None).status, 200, "healthz needs no token");
    assert_eq!(server.get("/readyz", None).status, 200, "readyz needs no token");
    for (token, what) in [(None, "no token"), (Some("wrong"), "a wrong token")] {
        let r = server.get("/v1/rulesets", token);
        assert_error(&r, 401, "unauthorized");
        assert!(
            r.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer")),
            "{what}: WWW-Authenticate: Bearer; headers {:?}",
            r.headers
        );
        let body = serde_json::to_vec(&json!({"answers": {"l": 6, "e": 6, "c": 7}})).expect("JSON");
        let r = server.post(&evaluate_path("lec"), "application/json", &body, token);
        assert_error(&r, 401, "unauthorized");
        for route in ["/metrics", "/v1/openapi.json", "/v1/rulesets/lec"] {
            assert_error(&server.get(route, token), 401, "unauthorized");
        }
        let firms = b"uscc\n";
        let r = server.post(&format!("/v1/rulesets/hazchem/score?as_of={AS_OF}"), "text/csv", firms, token);
        assert_error(&r, 401, "unauthorized");
        assert_error(&server.post("/v1/reload", "application/json", b"", token), 401, "unauthorized");
    }
    let r = server.get("/v1/rulesets", Some("s3cret-token-42"));
    assert_eq!(r.status, 200, "the right token: {}", r.text());
    let body = serde_json::to_vec(&json!({"answers": {"l": 6, "e": 6, "c": 7}, "as_of": AS_OF})).expect("JSON");
    let r = server.post(&evaluate_path("lec"), "application/json", &body, Some("s3cret-token-42"));
    assert_eq!(r.status, 200, "the right token: {}", r.text());
}

/// The header and first two rows of the sample's firm file.
fn small_firms() -> Vec<u8> {
    let text = std::fs::read_to_string(root().join(SAMPLE).join("firms.csv")).expect("firms");
    text.lines().take(3).map(|l| format!("{l}\n")).collect::<String>().into_bytes()
}

#[test]
fn errors_of_media_type_route_and_method() {
    let server = Server::start(&rules_dir(), &[]);
    let firms = small_firms();
    let r = server.post(&format!("/v1/rulesets/hazchem/score?as_of={AS_OF}"), "application/json", &firms, None);
    assert_error(&r, 415, "unsupported_media_type");

    assert_error(&server.get("/v1/no-such-route", None), 404, "not_found");
    assert_error(&server.get("/v2/rulesets", None), 404, "not_found");
    assert_error(&server.get("/v1/rulesets/lec/evaluate", None), 405, "method_not_allowed");
}

// ---------------------------------------------------------------------------
// 5. Reload
// ---------------------------------------------------------------------------

/// Replaces the `version = "…"` line of a rule file's head.
fn bump_version(path: &Path, to: &str) {
    let text = std::fs::read_to_string(path).expect("readable");
    let mut done = false;
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            if !done && l.starts_with("version = ") {
                done = true;
                format!("version = \"{to}\"")
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(done, "{}: no version line", path.display());
    std::fs::write(path, out.join("\n") + "\n").expect("written");
}

fn listed_entry(server: &Server, id: &str) -> Value {
    let r = server.get("/v1/rulesets", None);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["rulesets"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|e| e["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} not listed"))
}

/// Sets the flag when dropped.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[test]
fn reload_under_load_serves_old_or_new_and_keeps_the_good_version() {
    let tmp = TempDir::new("reload");
    let rules = tmp.path().join("rules");
    copy_tree(&rules_dir(), &rules);
    let file = rules.join("credit-rating.toml");
    let case = credit_case();
    let h1 = cli_hash(&file, tmp.path());
    let server = Server::start(&rules, &[]);
    assert_eq!(listed_entry(&server, "credit-rating")["hash"], h1.as_str());

    let metrics_before = server.get("/metrics", None).text();
    let body = serde_json::to_vec(&json!({"answers": case.input, "as_of": case.as_of})).expect("JSON");
    let path = evaluate_path("credit-rating");
    let stop = &AtomicBool::new(false);
    // (sent at, status, hash)
    let seen: Mutex<Vec<(Instant, u16, String)>> = Mutex::new(Vec::new());
    let (h2, after_a) = std::thread::scope(|s| {
        for _ in 0..4 {
            let (server, body, path, seen) = (&server, &body, &path, &seen);
            s.spawn(move || {
                let mut mine = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    match server.try_post(path, "application/json", body) {
                        Ok(r) if r.status == 200 => match serde_json::from_slice::<Value>(&r.body) {
                            Ok(v) => mine.push((sent, 200, result_hash(&v))),
                            Err(e) => mine.push((sent, 200, format!("not JSON ({e}): {}", r.text()))),
                        },
                        Ok(r) => mine.push((sent, r.status, r.text())),
                        Err(e) => mine.push((sent, 0, e)),
                    }
                }
                seen.lock().expect("lock").extend(mine);
            });
        }
        // Stops the clients even when an assertion below fails.
        let _stop = StopOnDrop(stop);
        std::thread::sleep(Duration::from_millis(400));

        // (a) a valid new version.
        bump_version(&file, "9.9.9");
        let r = server.reload();
        let after_a = Instant::now();
        assert_eq!(r.status, 200, "reload: {}", r.text());
        let b = r.json();
        assert_eq!(b["reloaded"], true, "reload answer: {b}");
        let entry = b["rulesets"].as_array().expect("rulesets").iter().find(|e| e["id"] == "credit-rating").cloned();
        let h2 =
            entry.as_ref().and_then(|e| e["hash"].as_str()).expect("credit-rating in the reload answer").to_string();
        assert_ne!(h2, h1, "a new text, a new hash");
        assert_eq!(entry.as_ref().map(|e| &e["version"]), Some(&json!("9.9.9")), "the new version is served");
        let listed = server.get("/v1/rulesets", None).json();
        assert_eq!(b["rulesets"], listed["rulesets"], "the reload answer lists what GET /v1/rulesets lists");
        std::thread::sleep(Duration::from_millis(400));

        // (b) a text that does not check: the second version stays.
        std::fs::write(&file, "this is = = not [ TOML\n").expect("written");
        let r = server.reload();
        assert_eq!(r.status, 200, "reload: {}", r.text());
        std::thread::sleep(Duration::from_millis(400));
        stop.store(true, Ordering::Relaxed);
        (h2, after_a)
    });

    let seen = seen.into_inner().expect("lock");
    assert!(seen.len() >= 8, "the clients made requests: {}", seen.len());
    let failed: Vec<_> = seen.iter().filter(|(_, s, _)| *s != 200).collect();
    assert!(failed.is_empty(), "{} of {} requests failed, e.g. {:?}", failed.len(), seen.len(), failed.first());
    let strange: BTreeSet<&String> = seen.iter().map(|(_, _, h)| h).filter(|h| **h != h1 && **h != h2).collect();
    assert!(strange.is_empty(), "hashes other than the two good versions': {strange:?}");
    let old_after: Vec<_> = seen.iter().filter(|(t, _, h)| *t > after_a && *h == h1).collect();
    assert!(old_after.is_empty(), "{} requests sent after the reload got the old hash", old_after.len());
    assert!(seen.iter().any(|(_, _, h)| *h == h1), "some requests ran on the first version");
    assert!(seen.iter().any(|(_, _, h)| *h == h2), "some requests ran on the second version");

    // The second version is the one the CLI computes for that text.
    let good = tmp.path().join("good");
    copy_tree(&rules_dir(), &good);
    bump_version(&good.join("credit-rating.toml"), "9.9.9");
    assert_eq!(h2, cli_hash(&good.join("credit-rating.toml"), tmp.path()), "the hash of the new text");

    // Still served after the broken reload, with its problems listed.
    let r = server.post(&path, "application/json", &body, None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(result_hash(&r.json()), h2, "the second version keeps serving");
    let entry = listed_entry(&server, "credit-rating");
    assert_eq!(entry["hash"], h2.as_str(), "listed hash after the broken reload");
    let problems = entry["problems"].as_array().unwrap_or_else(|| panic!("problems: {entry}"));
    assert!(!problems.is_empty(), "the broken text's problems are listed: {entry}");
    assert!(
        problems.iter().all(|p| p["message"].is_string() && p["code"].is_string()),
        "problems have code and message: {entry}"
    );
    assert!(
        problems.iter().any(|p| p["file"].as_str().is_some_and(|f| f.ends_with("credit-rating.toml"))),
        "a problem names the file: {entry}"
    );
    let problems_file_names: Vec<&Value> = problems.iter().map(|p| &p["file"]).collect();
    // One good reload and one with problems since the clients started.
    let metrics = server.get("/metrics", None).text();
    let delta = |result: &str| {
        metric_sum(&metrics, "safegrade_reloads_total", &[("result", result)])
            - metric_sum(&metrics_before, "safegrade_reloads_total", &[("result", result)])
    };
    assert_eq!((delta("ok"), delta("problems")), (1.0, 1.0), "reloads counted (ok, problems):\n{metrics}");
    // The problems name the file relative to the rules folder.
    for f in problems_file_names {
        assert_eq!(f, "credit-rating.toml", "problem file, relative to --rules");
    }
}

/// Waits up to 10 s for `id` to be served with `hash`, and checks its version.
fn wait_for_version(server: &Server, id: &str, hash: &str, version: &str, after: &str) {
    let start = Instant::now();
    loop {
        let entry = listed_entry(server, id);
        if entry["hash"] == hash {
            assert_eq!(entry["version"], version);
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no reload 10 s after {after}: {entry}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sighup_reloads() {
    let tmp = TempDir::new("sighup");
    let rules = tmp.path().join("rules");
    copy_tree(&rules_dir(), &rules);
    let server = Server::start(&rules, &[]);
    let before = listed_entry(&server, "lec")["hash"].as_str().expect("a hash").to_string();
    bump_version(&rules.join("lec.toml"), "7.7.7");
    let expected = cli_hash(&rules.join("lec.toml"), tmp.path());
    assert_ne!(before, expected);
    server.signal("HUP");
    wait_for_version(&server, "lec", &expected, "7.7.7", "SIGHUP");
    let r = server.post_json(&evaluate_path("lec"), &json!({"answers": {"l": 6, "e": 6, "c": 7}, "as_of": AS_OF}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(result_hash(&r.json()), expected, "evaluate runs the reloaded version");
}

#[test]
fn watch_reloads_when_a_rule_file_changes() {
    let tmp = TempDir::new("watch");
    let rules = tmp.path().join("rules");
    copy_tree(&rules_dir(), &rules);
    let server = Server::start(&rules, &["--watch"]);
    bump_version(&rules.join("lec.toml"), "7.7.70");
    let expected = cli_hash(&rules.join("lec.toml"), tmp.path());
    wait_for_version(&server, "lec", &expected, "7.7.70", "the change");
    // A file added is served too.
    let lec = std::fs::read_to_string(rules.join("lec.toml")).expect("readable");
    std::fs::write(rules.join("lec-copy.toml"), lec.replacen("id = \"lec\"", "id = \"lec-copy\"", 1)).expect("written");
    let start = Instant::now();
    while server.get("/v1/rulesets/lec-copy", None).status != 200 {
        assert!(start.elapsed() < Duration::from_secs(10), "the new file is not served 10 s after it came");
        std::thread::sleep(Duration::from_millis(200));
    }
}

// ---------------------------------------------------------------------------
// 6. Shutdown
// ---------------------------------------------------------------------------

#[test]
fn sigterm_exits_zero() {
    let mut server = Server::start(&rules_dir(), &[]);
    assert_eq!(server.get("/healthz", None).status, 200);
    server.signal("TERM");
    let status = server.wait_exit(Duration::from_secs(5));
    let status = status.unwrap_or_else(|| panic!("still running 5 s after SIGTERM; log:\n{}", server.log_text()));
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM; log:\n{}", server.log_text());
}

#[test]
fn sigint_exits_zero() {
    let mut server = Server::start(&rules_dir(), &[]);
    assert_eq!(server.get("/healthz", None).status, 200);
    server.signal("INT");
    let status = server.wait_exit(Duration::from_secs(5));
    let status = status.unwrap_or_else(|| panic!("still running 5 s after SIGINT; log:\n{}", server.log_text()));
    assert_eq!(status.code(), Some(0), "exit status after SIGINT; log:\n{}", server.log_text());
}

/// A body sent in two parts with a pause between them.
struct SlowBody {
    parts: Vec<Vec<u8>>,
    pause: Duration,
    sent_first: Arc<AtomicBool>,
}

impl std::io::Read for SlowBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Some(part) = self.parts.first_mut() else { return Ok(0) };
        if part.is_empty() {
            self.parts.remove(0);
            if self.parts.is_empty() {
                return Ok(0);
            }
            self.sent_first.store(true, Ordering::SeqCst);
            std::thread::sleep(self.pause);
            return self.read(buf);
        }
        let n = buf.len().min(part.len());
        buf[..n].copy_from_slice(&part[..n]);
        part.drain(..n);
        Ok(n)
    }
}

#[test]
fn sigterm_lets_a_request_in_flight_finish() {
    let mut server = Server::start(&rules_dir(), &[]);
    let csv = std::fs::read(root().join(SAMPLE).join("firms.csv")).expect("firms");
    let (body, sent_first) = slow_body(&csv, Duration::from_millis(1500));
    let reply = std::thread::scope(|s| {
        let server = &server;
        let request =
            s.spawn(move || server.post_reader(&format!("/v1/rulesets/hazchem/score?as_of={AS_OF}"), "text/csv", body));
        // Half the body is in; the rest comes after the signal.
        wait_for(&sent_first);
        server.signal("TERM");
        request.join().expect("the request thread")
    });
    let a = split_score(&reply);
    assert!(a.last.get("summary").is_some(), "the request in flight ends with its summary: {}", a.last);
    assert_eq!(a.results.len(), 1000, "every firm of the request in flight scored");
    let status = server.wait_exit(Duration::from_secs(5));
    let status = status.unwrap_or_else(|| panic!("still running 5 s after SIGTERM; log:\n{}", server.log_text()));
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM; log:\n{}", server.log_text());
}

#[test]
fn one_log_line_per_request() {
    let server = Server::start(&rules_dir(), &[]);
    let r = server.post_json(&evaluate_path("lec"), &json!({"answers": {"l": 6, "e": 6, "c": 7}, "as_of": AS_OF}));
    assert_eq!(r.status, 200, "{}", r.text());
    let hash = result_hash(&r.json());
    let r404 = server.get("/v1/no-such-route", None);
    assert_eq!(r404.status, 404);
    let start = Instant::now();
    let (eval_line, missing_line) = loop {
        let lines = server.log_json();
        let requests: Vec<&Value> = lines.iter().filter(|l| l["message"] == "request").collect();
        let eval = requests.iter().find(|l| l["path"] == "/v1/rulesets/lec/evaluate").map(|l| (*l).clone());
        let missing = requests.iter().find(|l| l["path"] == "/v1/no-such-route").map(|l| (*l).clone());
        if let (Some(e), Some(m)) = (&eval, &missing) {
            break (e.clone(), m.clone());
        }
        assert!(start.elapsed() < Duration::from_secs(5), "no request log lines:\n{}", server.log_text());
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(eval_line["method"], "POST", "{eval_line}");
    assert_eq!(eval_line["status"], 200, "{eval_line}");
    assert_eq!(eval_line["ruleset"], "lec", "{eval_line}");
    assert_eq!(eval_line["hash"], hash.as_str(), "{eval_line}");
    assert!(eval_line["duration_ms"].as_f64().is_some_and(|d| d >= 0.0), "duration_ms: {eval_line}");
    assert_eq!(eval_line["level"], "INFO", "{eval_line}");
    assert!(eval_line["timestamp"].is_string(), "timestamp: {eval_line}");
    assert_eq!(missing_line["method"], "GET", "{missing_line}");
    assert_eq!(missing_line["status"], 404, "{missing_line}");
    // Every stderr line is one JSON object.
    for line in server.log.lock().expect("log").iter() {
        assert!(serde_json::from_str::<Value>(line).is_ok_and(|v| v.is_object()), "not a JSON object: {line}");
    }
}

#[test]
fn a_file_that_does_not_check_at_start_is_listed_unloaded() {
    let tmp = TempDir::new("unloaded");
    let rules = tmp.path().join("rules");
    copy_tree(&rules_dir(), &rules);
    std::fs::write(rules.join("broken.toml"), "[ruleset]\nid = \"broken\"\nversion = = 1\n").expect("written");
    let server = Server::start(&rules, &[]);
    let body = server.get("/v1/rulesets", None).json();
    let served = body["rulesets"].as_array().expect("rulesets");
    assert_eq!(served.len(), toml_files(&rules_dir()).len(), "the good files are served");
    let unloaded = body["unloaded"].as_array().unwrap_or_else(|| panic!("unloaded: {body}"));
    assert_eq!(unloaded.len(), 1, "one file unloaded: {body}");
    assert_eq!(unloaded[0]["file"], "broken.toml", "{body}");
    let problems = unloaded[0]["problems"].as_array().unwrap_or_else(|| panic!("problems: {body}"));
    assert!(!problems.is_empty(), "{body}");
    for p in problems {
        let code = p["code"].as_str().unwrap_or("");
        assert!(
            code.len() == 5 && code.starts_with(['R', 'W']) && code[1..].bytes().all(|b| b.is_ascii_digit()),
            "problem code: {p}"
        );
        assert!(p["line"].as_u64().is_some_and(|l| l >= 1), "problem line: {p}");
        assert!(p["message"].as_str().is_some_and(|m| !m.is_empty()), "problem message: {p}");
    }
    let ready = server.get("/readyz", None).json();
    assert_eq!(ready["rulesets"], served.len(), "readyz counts the served rule sets: {ready}");
    assert_error(&server.get("/v1/rulesets/broken", None), 404, "unknown_ruleset");
    // A problem's `file` is relative to the rules folder.
    for p in problems {
        assert_eq!(p["file"], "broken.toml", "problem file, relative to --rules: {p}");
    }
}

#[test]
fn errors_of_score_queries() {
    let server = Server::start(&rules_dir(), &[]);
    // A small body: the server may answer before reading a large one and
    // close the connection while the client still sends.
    let firms = small_firms();
    let r = server.post("/v1/rulesets/hazchem/score?as_of=2026-13-01", "text/csv", &firms, None);
    let b = assert_error(&r, 400, "bad_as_of");
    assert!(message(&b).contains("2026-13-01"), "{b}");
    let r = server.post(&format!("/v1/rulesets/hazchem/score?as_of={AS_OF}&bogus=1"), "text/csv", &firms, None);
    let b = assert_error(&r, 400, "bad_request");
    assert!(message(&b).contains("bogus"), "bad_request names the parameter: {b}");
    let r = server.post(&format!("/v1/rulesets/no-such-ruleset/score?as_of={AS_OF}"), "text/csv", &firms, None);
    assert_error(&r, 404, "unknown_ruleset");
}

#[test]
fn score_explain_equals_cli_score_explain() {
    let server = Server::start(&rules_dir(), &[]);
    let scratch = TempDir::new("score-explain");
    let text = std::fs::read_to_string(root().join(SAMPLE).join("firms.csv")).expect("firms");
    let head: String = text.lines().take(101).map(|l| format!("{l}\n")).collect();
    let firms = scratch.path().join("firms.csv");
    std::fs::write(&firms, &head).expect("written");
    let cli = cli_score(&firms, None, &["--explain"], scratch.path());
    let (_, a) = score_csv(&server, &firms, &format!("as_of={AS_OF}&explain=true"));
    check_results(&a.results, &cli.results, "CSV with explain");
    assert!(cli.results[0].contains("\"items\""), "explained results name the items fired: {}", cli.results[0]);
}

#[test]
fn evaluate_without_as_of_uses_the_local_date() {
    let server = Server::start(&rules_dir(), &[]);
    let scratch = TempDir::new("eval-today");
    let case = credit_case();
    let input = scratch.path().join("answers.json");
    std::fs::write(&input, case.input.to_string()).expect("written");
    let file = rules_dir().join("credit-rating.toml");
    let args = ["eval", "--rules", file.to_str().expect("UTF-8"), "--input", input.to_str().expect("UTF-8")];
    let (code, out, err) = run_cli(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(code, 0, "{err}");
    let r = server.post_json(&evaluate_path("credit-rating"), &json!({"answers": case.input}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), String::from_utf8_lossy(&out), "the same result as `safegrade eval` without --as-of");
}

#[test]
fn portal_files_are_served_beside_the_api() {
    let tmp = TempDir::new("portal");
    let portal = tmp.path().join("portal");
    std::fs::create_dir_all(portal.join("assets")).expect("a folder");
    let index = "<!doctype html><title>portal</title>\n";
    let js = "console.log('safegrade');\n";
    std::fs::write(portal.join("index.html"), index).expect("written");
    std::fs::write(portal.join("assets/app.js"), js).expect("written");
    let server = Server::start(&rules_dir(), &["--portal", portal.to_str().expect("UTF-8")]);
    let r = server.get("/", None);
    assert_eq!((r.status, r.text().as_str()), (200, index), "/ is index.html");
    let r = server.get("/index.html", None);
    assert_eq!((r.status, r.text().as_str()), (200, index), "/index.html");
    let r = server.get("/assets/app.js", None);
    assert_eq!((r.status, r.text().as_str()), (200, js), "a file of the portal");
    assert_eq!(server.get("/v1/rulesets", None).status, 200, "the API beside the portal");
    assert_eq!(server.get("/healthz", None).json(), json!({"status": "ok"}));
    assert_eq!(server.get("/no-such-file.css", None).status, 404, "a file the portal does not have");
    assert_error(&server.post("/", "text/plain", b"x", None), 405, "method_not_allowed");
}

/// A body in two parts, the second sent `pause` after the first; the flag
/// turns true once the first part is out.
fn slow_body(bytes: &[u8], pause: Duration) -> (SlowBody, Arc<AtomicBool>) {
    let half = bytes.len() / 2;
    let sent_first = Arc::new(AtomicBool::new(false));
    let body = SlowBody {
        parts: vec![bytes[..half].to_vec(), bytes[half..].to_vec()],
        pause,
        sent_first: Arc::clone(&sent_first),
    };
    (body, sent_first)
}

fn wait_for(flag: &AtomicBool) {
    let start = Instant::now();
    while !flag.load(Ordering::SeqCst) {
        assert!(start.elapsed() < Duration::from_secs(10), "the first part was never sent");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Let the server take the request in.
    std::thread::sleep(Duration::from_millis(200));
}

#[test]
fn a_score_over_max_batches_is_busy_at_once() {
    let server = Server::start(&rules_dir(), &["--max-batches", "1"]);
    let csv = std::fs::read(root().join(SAMPLE).join("firms.csv")).expect("firms");
    let (body, sent_first) = slow_body(&csv, Duration::from_millis(2500));
    let query = format!("/v1/rulesets/hazchem/score?as_of={AS_OF}");
    std::thread::scope(|s| {
        let (server, query) = (&server, &query);
        let first = s.spawn(move || server.post_reader(query, "text/csv", body));
        wait_for(&sent_first);
        let start = Instant::now();
        let r = server.post(query, "text/csv", &small_firms(), None);
        let took = start.elapsed();
        assert_error(&r, 503, "busy");
        assert!(took < Duration::from_millis(900), "busy at once, not after {took:?}");
        // Other routes are not held up by the score run.
        let e = server.post_json(&evaluate_path("lec"), &json!({"answers": {"l": 6, "e": 6, "c": 7}, "as_of": AS_OF}));
        assert_eq!(e.status, 200, "{}", e.text());
        let a = split_score(&first.join().expect("the first request"));
        assert_eq!(a.results.len(), 1000, "the first run is scored whole");
    });
    // The slot is free again.
    let r = server.post(&query, "text/csv", &small_firms(), None);
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn a_request_over_max_concurrent_waits_then_is_busy() {
    let server = Server::start(&rules_dir(), &["--max-concurrent", "1"]);
    let answers = serde_json::to_vec(&json!({"answers": {"l": 6, "e": 6, "c": 7}, "as_of": AS_OF})).expect("JSON");
    let (body, sent_first) = slow_body(&answers, Duration::from_millis(3000));
    let path = evaluate_path("lec");
    std::thread::scope(|s| {
        let (server, path) = (&server, &path);
        let first = s.spawn(move || server.post_reader(path, "application/json", body));
        wait_for(&sent_first);
        let start = Instant::now();
        let r = server.post(path, "application/json", &answers, None);
        let took = start.elapsed();
        assert_error(&r, 503, "busy");
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_millis(2500),
            "busy after waiting about 1 s for a slot, not {took:?}"
        );
        let first = first.join().expect("the first request");
        assert_eq!(first.status, 200, "the request in flight: {}", first.text());
    });
    assert_eq!(server.get("/healthz", None).status, 200);
}

/// Sends raw bytes over a new connection and reads until the server closes
/// it or `limit` passes: (status, body, time to the answer's first byte).
fn raw_exchange(addr: &str, request: &[u8], limit: Duration) -> (u16, String, Duration) {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(addr).expect("connects");
    conn.set_read_timeout(Some(limit)).expect("a timeout");
    let start = Instant::now();
    conn.write_all(request).expect("sent");
    let mut first = [0u8; 1];
    let n = conn.read(&mut first).unwrap_or_else(|e| panic!("no answer within {limit:?}: {e}"));
    assert_eq!(n, 1, "the connection closed without an answer");
    let took = start.elapsed();
    let mut rest = Vec::new();
    let _ = conn.read_to_end(&mut rest);
    let text = format!("{}{}", first[0] as char, String::from_utf8_lossy(&rest));
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body, took)
}

#[test]
fn a_request_over_its_time_limit_gets_timeout() {
    let server = Server::start(&rules_dir(), &["--timeout", "1"]);
    let answers = serde_json::to_vec(&json!({"answers": {"l": 6, "e": 6, "c": 7}, "as_of": AS_OF})).expect("JSON");
    // Half the body is sent; the rest never comes.
    let mut request = format!(
        "POST /v1/rulesets/lec/evaluate HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        server.addr,
        answers.len()
    )
    .into_bytes();
    request.extend_from_slice(&answers[..answers.len() / 2]);
    let (status, body, took) = raw_exchange(&server.addr, &request, Duration::from_secs(5));
    assert_eq!(status, 408, "status; body: {body}");
    // The body may come chunked: find the JSON object in it.
    let json_text = &body[body.find('{').unwrap_or(0)..=body.rfind('}').unwrap_or(0)];
    let b: Value = serde_json::from_str(json_text).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    assert_eq!(b["error"]["code"], "timeout", "{b}");
    assert!(took < Duration::from_millis(2500), "answered at the 1 s limit, not after {took:?}");
    let r = server.post(&evaluate_path("lec"), "application/json", &answers, None);
    assert_eq!(r.status, 200, "a quick request passes: {}", r.text());
}

#[test]
fn score_bodies_over_max_batch_body() {
    let server = Server::start(&rules_dir(), &["--max-batch-body", "5000"]);
    let csv = std::fs::read(root().join(SAMPLE).join("firms.csv")).expect("firms");
    let query = format!("/v1/rulesets/hazchem/score?as_of={AS_OF}");
    // Declared (Content-Length) over the limit: 413, unread.
    let cut = csv[..8000].iter().rposition(|b| *b == b'\n').expect("a line end") + 1;
    let r = server.post(&query, "text/csv", &csv[..cut], None);
    let b = assert_error(&r, 413, "body_too_large");
    assert!(message(&b).contains("5000"), "names the limit in bytes: {b}");
    // Streamed (chunked) past the limit: the firms so far, then a batch_error line.
    let (body, _) = slow_body(&csv[..cut], Duration::from_millis(10));
    let r = server.post_reader(&query, "text/csv", body);
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    let last: Value = serde_json::from_str(text.lines().last().expect("a line")).expect("JSON");
    assert_eq!(last["error"]["code"], "batch_error", "the answer ends with a batch_error: {last}");
    assert!(last["error"]["message"].as_str().is_some_and(|m| m.contains("5000")), "names the limit: {last}");
    assert!(text.lines().all(|l| !l.starts_with("{\"summary\"")), "no summary after a batch error");
    // Under the limit: scored.
    let small = small_firms();
    assert!(small.len() < 5000);
    let r = server.post(&query, "text/csv", &small, None);
    let a = split_score(&r);
    assert_eq!(a.results.len(), 2, "{}", r.text());
}

// ---------------------------------------------------------------------------
// JSON-lines columns, GB18030 bodies, logged answers
// ---------------------------------------------------------------------------

/// Scores a JSON-lines body through the hazchem risk rule set.
fn score_lines(server: &Server, lines: &[Value], query: &str) -> ScoreAnswer {
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let path = format!("/v1/rulesets/hazchem-risk-2018/score?as_of={AS_OF}{query}");
    split_score(&server.post(&path, "application/x-ndjson", body.as_bytes(), None))
}

#[test]
fn json_lines_take_the_first_line_as_their_columns() {
    let server = Server::start(&rules_dir(), &[]);
    let (a, b) = ("91320506012F4QKJ63", "9132050601F2CQCA0D");
    // A member no rule reads is ignored and listed, as a CSV column is.
    let ok = score_lines(
        &server,
        &[json!({"uscc": a, "note": "x", "n_explosives": 2}), json!({"uscc": b, "note": "y"})],
        "",
    );
    assert_eq!(ok.results.len(), 2, "{:?}", ok.last);
    assert_eq!(ok.last["summary"]["firms"]["ignored_columns"], json!(["note"]), "{}", ok.last);
    // ... unless the run is strict.
    let strict = score_lines(&server, &[json!({"uscc": a, "note": "x"})], "&strict=true");
    assert_eq!(strict.last["error"]["code"], "batch_error", "{}", strict.last);
    assert!(message(&strict.last).contains("note"), "{}", strict.last);
    // A member close to an input's name stops the run, naming both.
    let typo = score_lines(&server, &[json!({"uscc": a, "n_explosive": 2})], "");
    let text = message(&typo.last);
    assert!(text.contains("n_explosive") && text.contains("n_explosives"), "a did-you-mean: {text}");
    assert!(typo.results.is_empty(), "nothing scored: {:?}", typo.results);
    // A later line with a member that is not a column stops the run at that line.
    let late = score_lines(&server, &[json!({"uscc": a}), json!({"uscc": b, "surprise": 1})], "");
    assert_eq!(late.results.len(), 1, "the first firm is scored: {:?}", late.last);
    let text = message(&late.last);
    assert!(text.starts_with("request:2:") && text.contains("`surprise`"), "{text}");
    // Numbers are taken exactly as written, and a record may leave out its key.
    let exact = score_lines(
        &server,
        &[
            json!({"uscc": a, "accidents": [{"date": "2025-03-01", "deaths": 1, "serious_injuries": 0, "direct_loss_wan": 120.50}]}),
        ],
        "&explain=true",
    );
    assert_eq!(exact.results.len(), 1, "{}", exact.last);
    assert_eq!(exact.last["summary"]["lists"][0]["used"], 1, "the record is attached: {}", exact.last);
    // A line that is not a JSON object names its line.
    let body = format!("{}\n\n[1]\n", json!({"uscc": a}));
    let path = format!("/v1/rulesets/hazchem-risk-2018/score?as_of={AS_OF}");
    let bad = split_score(&server.post(&path, "application/x-ndjson", body.as_bytes(), None));
    assert!(message(&bad.last).starts_with("request:3:"), "blank lines count: {}", bad.last);
}

#[test]
fn a_gb18030_csv_body_scores_as_its_utf8_twin() {
    let server = Server::start(&rules_dir(), &[]);
    let path = |enc: &str| format!("/v1/rulesets/hazchem-risk-2018/score?as_of={AS_OF}&carry=name{enc}");
    let gbk = std::fs::read(root().join(SAMPLE).join("gbk/firms.csv")).expect("the GBK sample");
    let utf8 = std::fs::read(root().join(SAMPLE).join("firms.csv")).expect("the sample");
    let from_gbk = split_score(&server.post(&path("&encoding=gb18030"), "text/csv", &gbk, None));
    let from_utf8 = split_score(&server.post(&path(""), "text/csv", &utf8, None));
    assert_eq!(from_gbk.results.len(), 1000, "{}", from_gbk.last);
    assert_eq!(from_gbk.results, from_utf8.results, "the same results, names decoded");
    // Read as UTF-8, the GBK body stops at its first Chinese cell.
    let wrong = split_score(&server.post(&path(""), "text/csv", &gbk, None));
    assert!(message(&wrong.last).contains("not UTF-8"), "{}", wrong.last);
}

#[test]
fn answers_are_logged_only_when_asked() {
    let answers = json!({"l": 6, "e": 6, "c": 7});
    for (flags, logged) in [(&[][..], false), (&["--log-answers"][..], true)] {
        let server = Server::start(&rules_dir(), flags);
        let r = server.post_json(&evaluate_path("lec"), &json!({"answers": answers, "as_of": AS_OF}));
        assert_eq!(r.status, 200, "{}", r.text());
        let start = Instant::now();
        let line = loop {
            let lines = server.log_json();
            if let Some(l) = lines.iter().find(|l| l["path"] == "/v1/rulesets/lec/evaluate") {
                break l.clone();
            }
            assert!(start.elapsed() < Duration::from_secs(5), "no log line:\n{}", server.log_text());
            std::thread::sleep(Duration::from_millis(50));
        };
        match logged {
            true => assert_eq!(line["answers"], answers.to_string(), "{line}"),
            false => assert!(line.get("answers").is_none(), "{line}"),
        }
    }
}

#[test]
fn a_score_body_that_stalls_ends_at_the_time_limit_and_frees_its_slot() {
    let server = Server::start(&rules_dir(), &["--max-batches", "1", "--batch-timeout", "1"]);
    let csv = std::fs::read(root().join(SAMPLE).join("firms.csv")).expect("firms");
    // Half the body, then nothing: the answer comes at the time limit (read
    // on a raw socket, since an HTTP client still sending would not read it).
    let query = format!("/v1/rulesets/hazchem/score?as_of={AS_OF}");
    let mut socket = std::net::TcpStream::connect(&server.addr).expect("connects");
    let head = format!(
        "POST {query} HTTP/1.1\r\nhost: {}\r\ncontent-type: text/csv\r\ncontent-length: {}\r\n\r\n",
        server.addr,
        csv.len()
    );
    socket.write_all(head.as_bytes()).expect("sent");
    socket.write_all(&csv[..csv.len() / 2]).expect("sent");
    socket.set_read_timeout(Some(Duration::from_secs(10))).expect("a timeout");
    let start = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 65536];
    while let Ok(n) = socket.read(&mut buf) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if String::from_utf8_lossy(&answer).contains("\"batch_error\"") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("\"batch_error\"") && text.contains("time limit of 1 s"), "{text}");
    // Its slot is free again.
    let next = split_score(&server.post(&query, "text/csv", &small_firms(), None));
    assert!(next.last.get("summary").is_some(), "{}", next.last);
}

#[test]
fn a_client_that_sends_its_whole_body_before_reading_gets_its_answer() {
    // 60,000 firms (about 20 MB each way): far more than the sockets'
    // buffers hold, so a service that waited for the client to read would stop.
    let server = Server::start(&rules_dir(), &[]);
    let mut csv = String::from("name,note,n_major_hazards_grade_2,no_dual_power\n");
    for i in 0..60_000 {
        csv.push_str(&format!("firm-{i:05},{},{},{}\n", "x".repeat(300), i % 3, i % 2 == 0));
    }
    let query = format!("/v1/rulesets/hazchem-risk-2018/score?as_of={AS_OF}&key=name&carry=note");
    let mut socket = std::net::TcpStream::connect(&server.addr).expect("connects");
    let head = format!(
        "POST {query} HTTP/1.1\r\nhost: {}\r\ncontent-type: text/csv\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        server.addr,
        csv.len()
    );
    socket.set_write_timeout(Some(Duration::from_secs(20))).expect("a timeout");
    socket.write_all(head.as_bytes()).expect("sent");
    socket.write_all(csv.as_bytes()).expect("the whole body is taken while the answer waits");
    socket.set_read_timeout(Some(Duration::from_secs(20))).expect("a timeout");
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).expect("the answer");
    let text = unchunked(&answer);
    assert_eq!(text.matches("{\"result\":").count(), 60_000, "every firm's result");
    assert!(text.contains("{\"summary\":"), "the summary line");
}

/// The body of a raw HTTP/1.1 answer sent in chunks.
fn unchunked(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let (_, mut rest) = text.split_once("\r\n\r\n").expect("headers");
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    body
}
