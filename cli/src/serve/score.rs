//! `POST /v1/rulesets/{id}/score`: a batch of firms streamed in (CSV, or
//! JSON lines with each firm's lists nested) and their results streamed
//! out as JSON lines, with the rejects and, last, the summary. A CSV body
//! goes through the batch pipeline as a firm file does for `safegrade
//! score`; a JSON-lines body through the library's firm-by-firm
//! [`Scorer`], which gives the same rows and rejects. The body is read as
//! it comes (counted against `--max-batch-body`) and nothing is held but
//! the rows being scored; a client that stops reading stops the run at the
//! time limit.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use rayon::prelude::*;
use safegrade::batch::{
    self, BatchConfig, BatchError, FirmRows, Header, Lang, OutputFormat, Scorer, Scoring, SeenKeys, Summary,
};
use safegrade::Rules;
use serde_json::{json, Map, Value};

use super::super::encoding::Gb18030Cells;
use super::api::{as_of, entry, served};
use super::error::ApiError;
use super::json::check_depth;
use super::spool::{self, Spool};

/// The name rejects and errors give the request body.
const BODY_NAME: &str = "request";

/// Bytes of output gathered before they are sent.
const SEND_BYTES: usize = 64 << 10;

pub(super) async fn score(
    State(shared): State<super::state::State>,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let entry = entry(&shared, &id)?;
    let mut query = BTreeMap::new();
    for (name, value) in pairs {
        if query.insert(name.clone(), value).is_some() {
            return Err(ApiError::bad_request(format!("the query gives `{name}` twice")));
        }
    }
    let (cfg, gb18030) = config(&query)?;
    let format = body_format(&headers)?;
    if gb18030 && matches!(format, BodyFormat::JsonLines) {
        return Err(ApiError::bad_request("`encoding` is for a CSV body; JSON lines are UTF-8"));
    }
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > shared.max_batch_body) {
        return Err(ApiError::body_too_large(shared.max_batch_body));
    }
    let permit =
        shared.batches.clone().try_acquire_owned().map_err(|_| {
            ApiError::busy("the most score requests at once (--max-batches) are running; try again later")
        })?;
    let started = Instant::now();
    let deadline = started + shared.batch_timeout;
    let (limit, seconds) = (shared.max_batch_body, shared.batch_timeout.as_secs());
    let stream = Box::pin(limited(body, limit, deadline, seconds));
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream));
    let spool = Arc::new(Spool::default());
    let answer = spool.clone();
    let (task_entry, task_shared) = (entry.clone(), shared.clone());
    tokio::task::spawn_blocking(move || {
        let outbox = Rc::new(RefCell::new(Outbox { spool, buf: Vec::new() }));
        let mut out = Tagged::new(b"{\"result\":", outbox.clone());
        let mut rejects = Tagged::new(b"{\"reject\":", outbox.clone());
        let rules = &task_entry.rules;
        let run = match format {
            BodyFormat::Csv => {
                let source = match gb18030 {
                    true => batch::Source::with_cells(BODY_NAME, reader, "GB18030", Gb18030Cells),
                    false => batch::Source::new(BODY_NAME, reader),
                };
                batch::score(rules, &cfg, source, Vec::new(), &mut out, &mut rejects, &mut |_| {})
            }
            BodyFormat::JsonLines => score_json_lines(rules, &cfg, BufReader::new(reader), &mut out, &mut rejects),
        };
        // Counted as sent, so a run that stops is counted too; an error's
        // message may quote a firm's key, logged only with --log-answers.
        let (firms, rejected) = (out.lines, rejects.lines);
        let error = run.as_ref().err().map(|e| match task_shared.log_answers {
            true => e.to_string(),
            false => format!(
                "{BODY_NAME}:{}: a batch error (its text, which may quote a key, with --log-answers)",
                e.line().map_or("-".into(), |l| l.to_string())
            ),
        });
        let last = match run {
            Ok(summary) => {
                task_shared.metrics.evaluated(&task_entry.id, summary.firms.used);
                for (reason, n) in &summary.rejects {
                    task_shared.metrics.rejected(&task_entry.id, reason, *n);
                }
                let rules = json!({ "id": task_entry.id, "version": task_entry.version, "hash": task_entry.hash });
                json!({ "summary": summary, "rules": rules })
            }
            Err(e) => json!({ "error": { "code": "batch_error", "message": e.to_string() } }),
        };
        let mut outbox = outbox.borrow_mut();
        let _ = serde_json::to_writer(&mut outbox.buf, &last);
        outbox.buf.push(b'\n');
        let sent = outbox.send().err().map(|e| e.to_string());
        outbox.spool.finish();
        drop(permit);
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let (ruleset, hash) = (&task_entry.id, &task_entry.hash);
        tracing::info!(ruleset, hash, firms, rejected, error, sent, duration_ms, "score finished");
    });
    let body = Body::from_stream(spool::stream(answer));
    let response = ([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response();
    Ok(served(response, &entry))
}

/// The body's chunks, refused past `limit` bytes or the `deadline`,
/// which also ends a wait for a chunk that does not come (a client that
/// stops sending).
fn limited(
    body: Body,
    limit: u64,
    deadline: Instant,
    seconds: u64,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send {
    let state = (body.into_data_stream(), 0u64, false);
    futures_util::stream::unfold(state, move |(mut chunks, read, failed)| async move {
        if failed {
            return None;
        }
        let problem = match tokio::time::timeout_at(deadline.into(), chunks.next()).await {
            Err(_) => format!("the request took longer than its time limit of {seconds} s"),
            Ok(None) => return None,
            Ok(Some(Err(e))) => format!("cannot read the request body: {e}"),
            Ok(Some(Ok(chunk))) => {
                let read = read + chunk.len() as u64;
                if read <= limit {
                    return Some((Ok(chunk), (chunks, read, false)));
                }
                format!("the request body is larger than the limit of {limit} bytes")
            }
        };
        Some((Err(std::io::Error::other(problem)), (chunks, read, true)))
    })
}

/// The run's configuration from the query (`as_of`, `key`, `explain`,
/// `carry`, `by`, `strict`, `sorted`, as `safegrade score` takes them), and whether a
/// CSV body is GB18030 (`encoding`).
fn config(query: &BTreeMap<String, String>) -> Result<(BatchConfig, bool), ApiError> {
    let known = ["as_of", "key", "explain", "carry", "by", "strict", "sorted", "encoding"];
    if let Some(other) = query.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(ApiError::bad_request(format!(
            "unknown query parameter `{other}`; score takes as_of, key, explain, carry, by, strict, sorted and encoding"
        )));
    }
    let gb18030 = match query.get("encoding").map(|e| e.to_ascii_lowercase()).as_deref() {
        None | Some("utf-8" | "utf8") => false,
        Some("gb18030" | "gbk") => true,
        Some(_) => return Err(ApiError::bad_request("`encoding` is utf-8 or gb18030 (GBK)")),
    };
    let date = as_of(query.get("as_of").map(String::as_str))?;
    let mut cfg = BatchConfig::new(date);
    cfg.format = OutputFormat::JsonLines;
    cfg.rejects_format = OutputFormat::JsonLines;
    if let Some(key) = query.get("key") {
        cfg.key = key.clone();
    }
    let flag = |name: &str| match query.get(name).map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!("`{name}` is `{other}`; it is true or false"))),
    };
    (cfg.explain, cfg.strict, cfg.sorted) = (flag("explain")?, flag("strict")?, flag("sorted")?);
    let columns = |name: &str| -> Vec<String> {
        query.get(name).map_or_else(Vec::new, |v| v.split(',').filter(|c| !c.is_empty()).map(str::to_string).collect())
    };
    cfg.carry = columns("carry");
    // As `safegrade score`: grades are counted by the carried sector and region unless `by` says.
    cfg.breakdown = match query.get("by") {
        Some(_) => columns("by"),
        None => cfg.carry.iter().filter(|c| matches!(c.as_str(), "sector" | "region")).cloned().collect(),
    };
    Ok((cfg, gb18030))
}

enum BodyFormat {
    Csv,
    JsonLines,
}

fn body_format(headers: &HeaderMap) -> Result<BodyFormat, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match media.as_str() {
        "text/csv" => Ok(BodyFormat::Csv),
        "application/x-ndjson" | "application/jsonl" | "application/json-lines" => Ok(BodyFormat::JsonLines),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("a score body is text/csv or application/x-ndjson, not `{content_type}`"),
        )),
    }
}

/// Where both writers put their lines, in the order written, and hands
/// them to the answer's spool.
struct Outbox {
    spool: Arc<Spool>,
    buf: Vec<u8>,
}

/// However the run ends (a panic too), its answer ends, so the client is
/// never left waiting.
impl Drop for Outbox {
    fn drop(&mut self) {
        self.spool.finish();
    }
}

impl Outbox {
    /// Hands over what is gathered; fails when the client is gone, or
    /// has left too much unread.
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.spool.push(std::mem::take(&mut self.buf))
    }
}

/// A writer of JSON lines that wraps each line as `{"result":LINE}` or
/// `{"reject":LINE}` on its way to the outbox.
struct Tagged {
    tag: &'static [u8],
    /// Lines written.
    lines: u64,
    /// A line not ended yet.
    pending: Vec<u8>,
    outbox: Rc<RefCell<Outbox>>,
}

impl Tagged {
    fn new(tag: &'static [u8], outbox: Rc<RefCell<Outbox>>) -> Tagged {
        Tagged { tag, lines: 0, pending: Vec::new(), outbox }
    }
}

impl Write for Tagged {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        let mut outbox = self.outbox.borrow_mut();
        let mut start = 0;
        while let Some(end) = memchr::memchr(b'\n', &self.pending[start..]) {
            let line = &self.pending[start..start + end];
            outbox.buf.extend_from_slice(self.tag);
            outbox.buf.extend_from_slice(line);
            outbox.buf.extend_from_slice(b"}\n");
            self.lines += 1;
            start += end + 1;
        }
        self.pending.drain(..start);
        if outbox.buf.len() >= SEND_BYTES {
            outbox.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.outbox.borrow_mut().send()
    }
}

/// Scores firms given as JSON lines, each with its lists nested, through
/// the library's firm-by-firm [`Scorer`]: the same rows, rejects and
/// accounting as the batch pipeline. The first firm's members are the
/// columns, as a CSV file's header is: the rules' inputs and lists, the
/// key and carried columns, and any others, which are ignored (and listed
/// in the summary) unless a name is close to an input's or the run is
/// strict, exactly as for a CSV file.
fn score_json_lines(
    rules: &Rules,
    cfg: &BatchConfig,
    mut input: impl BufRead,
    out: &mut dyn Write,
    rejects: &mut dyn Write,
) -> Result<Summary, BatchError> {
    let mut lines = JsonLines { line: 0, limit: cfg.max_row_bytes };
    let Some((first_line, first_text)) = lines.next_line(&mut input)? else {
        return Err(BatchError::new(BODY_NAME, None, "the body holds no firm: one JSON object per line".to_string()));
    };
    let first = parse_line(&first_text, first_line)?;
    if !first.contains_key(&cfg.key) {
        let near = first.keys().find(|k| k.eq_ignore_ascii_case(&cfg.key) || k.as_str() == "统一社会信用代码");
        let hint = near.map(|k| format!("; is `{k}` the key? (key={k} in the query)")).unwrap_or_default();
        let message = format!("the first line has no key member `{}`{hint}", cfg.key);
        return Err(BatchError::new(BODY_NAME, Some(first_line), message));
    }
    let layout = JsonLayout::new(rules, cfg, &first);
    let scorer = layout.scorer(rules, cfg)?;
    let mut summary = Summary::new(&scorer);
    let mut seen = SeenKeys::new();
    let write_err = |what: &str, e: std::io::Error| BatchError::new(what, None, format!("cannot write: {e}"));
    out.write_all(&scorer.header()).map_err(|e| write_err("output", e))?;
    rejects.write_all(&scorer.rejects_header()).map_err(|e| write_err("rejects", e))?;
    let (mut buf, mut chunk) = (Vec::new(), vec![(first_line, first_text)]);
    loop {
        while chunk.len() < JSON_CHUNK {
            match lines.next_line(&mut input)? {
                Some(line) => chunk.push(line),
                None => break,
            }
        }
        if chunk.is_empty() {
            break;
        }
        // Parsing and scoring run on the worker threads; the key check,
        // the accounting and the writing in line order, here.
        let parsed: Vec<Result<FirmRows, BatchError>> =
            chunk.par_iter().map(|(line, text)| layout.firm_rows(parse_line(text, *line)?, *line)).collect();
        // A line that cannot be read stops the run after the firms before it.
        let (mut firms, mut stop) = (Vec::with_capacity(parsed.len()), None);
        for firm in parsed {
            match firm {
                Ok(firm) => firms.push(firm),
                Err(e) => {
                    stop = Some(e);
                    break;
                }
            }
        }
        let duplicates: Vec<Option<Scoring>> = firms.iter().map(|firm| seen.check(&scorer, firm)).collect();
        let scored: Vec<Scoring> = firms
            .par_iter()
            .zip(duplicates)
            .map(|(firm, duplicate)| duplicate.unwrap_or_else(|| scorer.score(firm)))
            .collect();
        for scoring in &scored {
            summary.count(scoring);
            buf.clear();
            match scoring.result() {
                Ok(result) => out.write_all(&result.row).map_err(|e| write_err("output", e))?,
                Err(rows) => {
                    for r in rows {
                        r.write(cfg.rejects_format, &mut buf);
                    }
                    rejects.write_all(&buf).map_err(|e| write_err("rejects", e))?;
                }
            }
        }
        if let Some(error) = stop {
            out.flush().map_err(|e| write_err("output", e))?;
            rejects.flush().map_err(|e| write_err("rejects", e))?;
            return Err(error);
        }
        chunk.clear();
    }
    out.flush().map_err(|e| write_err("output", e))?;
    rejects.flush().map_err(|e| write_err("rejects", e))?;
    summary.finish();
    Ok(summary)
}

/// Lines read, parsed and scored at a time.
const JSON_CHUNK: usize = 1024;

/// The lines of a JSON-lines body; blank lines are skipped but counted.
struct JsonLines {
    line: u64,
    /// The longest line, in bytes (the row limit).
    limit: usize,
}

impl JsonLines {
    /// The next line that is not blank, and its number; `None` at the
    /// end. A line longer than the row limit stops the run.
    fn next_line(&mut self, input: &mut impl BufRead) -> Result<Option<(u64, Vec<u8>)>, BatchError> {
        loop {
            let mut text = Vec::new();
            let limit = self.limit as u64 + 1;
            let n = std::io::Read::take(&mut *input, limit)
                .read_until(b'\n', &mut text)
                .map_err(|e| BatchError::new(BODY_NAME, Some(self.line + 1), format!("cannot read: {e}")))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if n as u64 == limit && text.last() != Some(&b'\n') {
                let message = format!("the line is longer than {} bytes, the row limit", self.limit);
                return Err(BatchError::new(BODY_NAME, Some(self.line), message));
            }
            if self.line == 1 && text.starts_with("\u{FEFF}".as_bytes()) {
                text.drain(..3); // A UTF-8 BOM, as a CSV body may start with.
            }
            if !text.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some((self.line, text)));
            }
        }
    }
}

/// The JSON object of one line; anything else stops the run.
fn parse_line(text: &[u8], line: u64) -> Result<Map<String, Value>, BatchError> {
    let fail = |message: String| BatchError::new(BODY_NAME, Some(line), message);
    let text = std::str::from_utf8(text).map_err(|_| fail("the line is not UTF-8".into()))?;
    check_depth(text).map_err(|e| fail(e.message))?;
    match safegrade::parse_firm_json(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(fail("the line is not a JSON object (one firm per line)".into())),
        Err(e) => Err(fail(format!("the line is not valid JSON: {e}"))),
    }
}

/// The columns a JSON line's members fill: the firm's (the key, the
/// inputs the rules read, the carried columns, the first line's other
/// members) and each list's (its fields, and the other members of the
/// first line's records).
struct JsonLayout {
    firm: Columns,
    lists: Vec<(String, Columns)>,
    key: String,
}

/// A header's names, and how many of them (from the first) the first line gives.
type Columns = (Vec<String>, usize);

/// `names` with the first, the key's column, named `key`.
fn keyed(mut names: Vec<String>, key: &str) -> Vec<String> {
    if let Some(first) = names.first_mut() {
        *first = key.to_string();
    }
    names
}

impl JsonLayout {
    /// The columns: those of the first line, then the inputs and fields
    /// of the rules it does not have. Each header's first part, what the
    /// first line gives, is checked as a CSV header is (`given`).
    fn new(rules: &Rules, cfg: &BatchConfig, first: &Map<String, Value>) -> JsonLayout {
        let template = batch::template(rules, Lang::En);
        let add = |names: &mut Vec<String>, more: &mut dyn Iterator<Item = &String>| {
            for name in more {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        };
        // The key, then the first line's members (or a list's first records'), then the rest.
        let columns = |given: &mut dyn Iterator<Item = &String>, rest: &[String]| {
            let mut names = vec![cfg.key.clone()];
            add(&mut names, given);
            let n_given = names.len();
            add(&mut names, &mut rest.iter().skip(1));
            (names, n_given)
        };
        let lists: Vec<(String, Columns)> = template
            .lists
            .into_iter()
            .map(|(list, fields)| {
                let records: Vec<&Map<String, Value>> = first
                    .get(&list)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_object)
                    .collect();
                let columns = match records.is_empty() {
                    // No record to take columns from: the list's own fields.
                    true => (keyed(fields.clone(), &cfg.key), fields.len()),
                    false => columns(&mut records.iter().flat_map(|r| r.keys()), &fields),
                };
                (list, columns)
            })
            .collect();
        let members = first.keys().filter(|k| !lists.iter().any(|(l, _)| l == *k));
        let firm = columns(&mut members.chain(&cfg.carry), &template.firms);
        JsonLayout { firm, lists, key: cfg.key.clone() }
    }

    /// A scorer for these columns, after checking the first line's as a
    /// CSV header is checked: a member close to an input's name, or any
    /// member no rule reads in a strict run, stops the run.
    fn scorer(&self, rules: &Rules, cfg: &BatchConfig) -> Result<Scorer, BatchError> {
        let header = |names: &[String]| Header { file: BODY_NAME.into(), line: 1, names: names.to_vec() };
        let build = |part: &dyn Fn(&Columns) -> &[String]| {
            let lists: Vec<(&str, Header)> = self.lists.iter().map(|(l, c)| (l.as_str(), header(part(c)))).collect();
            let lists: Vec<(&str, &Header)> = lists.iter().map(|(l, h)| (*l, h)).collect();
            Scorer::new(rules, cfg, &header(part(&self.firm)), &lists)
        };
        build(&|(names, given)| &names[..*given])?;
        build(&|(names, _)| names)
    }

    /// The firm of one line as rows of cells; a member that is not a
    /// column (not in the first line, and read by no rule) stops the run.
    fn firm_rows(&self, mut members: Map<String, Value>, line: u64) -> Result<FirmRows, BatchError> {
        let fail = |message: String| BatchError::new(BODY_NAME, Some(line), message);
        let key = members.get(&self.key).map(cell);
        let mut records = Vec::new();
        for (i, (list, (names, _))) in self.lists.iter().enumerate() {
            match members.remove(list) {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) => {
                    for (n, item) in items.into_iter().enumerate() {
                        let Value::Object(mut fields) = item else {
                            return Err(fail(format!("record {} of `{list}` is not an object", n + 1)));
                        };
                        match (fields.get(&self.key).map(cell), &key) {
                            (None, Some(key)) => {
                                fields.insert(self.key.clone(), Value::String(key.clone()));
                            }
                            (Some(own), Some(key)) if own != *key => {
                                let message =
                                    format!("record {} of `{list}` has the key `{own}`, not its firm's", n + 1);
                                return Err(fail(message));
                            }
                            _ => {}
                        }
                        let cells = take_cells(&mut fields, names)
                            .map_err(|m| fail(format!("record {} of `{list}`: {m}", n + 1)))?;
                        records.push((i, cells));
                    }
                }
                Some(_) => return Err(fail(format!("`{list}` is not an array of records"))),
            }
        }
        let cells = take_cells(&mut members, &self.firm.0).map_err(fail)?;
        let mut firm = FirmRows::new(line, cells.iter().map(String::as_str));
        for (list, cells) in &records {
            firm.record(*list, line, cells.iter().map(String::as_str));
        }
        Ok(firm)
    }
}

/// Takes the cells of `names` out of `members`; a member left over is not
/// a column of the rules.
fn take_cells(members: &mut Map<String, Value>, names: &[String]) -> Result<Vec<String>, String> {
    let cells =
        names.iter().map(|name| members.remove(name).as_ref().map_or_else(String::new, cell)).collect::<Vec<_>>();
    if let Some(other) = members.keys().next() {
        return Err(format!(
            "`{other}` is not a column: no rule reads it and the first line does not have it (the first line's members are the columns, as a CSV header)"
        ));
    }
    Ok(cells)
}

/// A JSON value as the text of a cell: a string as it is, a number as
/// written, a boolean as `true`/`false`, null as an empty cell, an array
/// or object as its JSON text (which no input reads: a bad value where an
/// input is given one, ignored in a column no rule reads).
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(_) | Value::Object(_) => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_numbers_as_written() {
        let v: Value = serde_json::from_str(r#"[0.10, "x", true, null, -12]"#).unwrap();
        let cells: Vec<String> = v.as_array().unwrap().iter().map(cell).collect();
        assert_eq!(cells, ["0.10", "x", "true", "", "-12"]);
        assert_eq!(cell(&serde_json::json!([1, {"a": "b"}])), r#"[1,{"a":"b"}]"#);
    }

    #[test]
    fn a_member_no_column_takes_is_named() {
        let mut members: Map<String, Value> = serde_json::from_str(r#"{"a": 1, "b": 2, "zz": 3}"#).unwrap();
        let err = take_cells(&mut members, &["a".into(), "b".into()]).unwrap_err();
        assert!(err.starts_with("`zz` is not a column: no rule reads it"), "{err}");
    }
}
