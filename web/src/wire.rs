//! The messages between the page and its worker, as JSON text.
//!
//! The page sends [`Request`]s, each with a sequence number (`seq`) and the
//! number of the rule source it concerns (`source`, given by the page to
//! each source it loads); the worker answers each with one [`Reply`] with
//! the same `seq`:
//!
//! | request | reply |
//! |---|---|
//! | `{"seq", "op": "load", "source", "path", "text", "others": [{"path", "text"}]}` (`text` null for a shipped rule set; `others`, files chosen with it) | `{"seq", "op": "loaded", "schema": {…} \| null, "steps": [{"alias", "schema", "results"}], "diagnostics": […]}` (`steps` empty but for a scheme) |
//! | `{"seq", "op": "eval", "source", "as_of", "answers"}` | `{"seq", "op": "evaluated", "ms", "assessment" \| "steps": [{"alias", "assessment"}] \| "input_errors" \| "failed"}`, or `{"seq", "op": "not_loaded"}` when the worker does not hold that source |
//! | `{"seq", "op": "bench", "source", "as_of", "answers", "n"}` | `{"seq", "op": "bench", "mean_ms"}`, or `not_loaded` |
//! | anything else | `{"seq", "op": "refused", "message"}` |
//!
//! The schema, assessment and input errors are core's JSON forms; the page
//! reads them back into core's types here ([`schema_from_json`],
//! [`assessment_from_json`]) so the components work on the same types
//! natively and in the browser. Reading is total: a missing field reads as
//! empty, never a panic.

use std::sync::Arc;

use safegrade::{
    AppliedOverride, Assessment, FieldSchema, FiredItem, GradeSchema, GroupSchema, Label, ListSchema, Meta,
    MissingInput, MissingTreatment, NextGrade, OptionSchema, RulesetRef, Schema, Warning,
};
use serde_json::{json, Value as Json};

use crate::answers::Answers;
use crate::engine::{AnswerError, DiagView, Evaluation, Outcome, StepSchema};
use crate::state::Source;

/// A request to the worker.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// Load and check a rule source, keeping its compiled rules.
    Load {
        /// Sequence number.
        seq: u64,
        /// The page's number for this source.
        source: u64,
        /// Its path (`rules/x.toml`).
        path: String,
        /// The user's file text; `None` for a shipped rule set.
        text: Option<String>,
        /// The files the user chose with it: path and text.
        others: Vec<(String, String)>,
    },
    /// Evaluate answers with the loaded source; with `bench`, evaluate them
    /// that many times and answer the mean time.
    Eval {
        /// Sequence number.
        seq: u64,
        /// The page's number for the source.
        source: u64,
        /// As-of date.
        as_of: String,
        /// The answers (a JSON object).
        answers: Json,
        /// For a benchmark: how many evaluations.
        bench: Option<u32>,
    },
}

/// A reply from the worker.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// A source was loaded: its questionnaire when it checked, and the
    /// problems found.
    Loaded {
        /// Sequence number.
        seq: u64,
        /// The questionnaire; `None` when loading failed.
        schema: Option<Box<Schema>>,
        /// A scheme's steps; empty for a rule set.
        steps: Vec<StepSchema>,
        /// Errors and warnings.
        diagnostics: Vec<DiagView>,
    },
    /// Answers were evaluated.
    Evaluated {
        /// Sequence number.
        seq: u64,
        /// What core said and how long it took.
        evaluation: Evaluation,
    },
    /// The worker does not hold the source asked for (it was restarted).
    NotLoaded {
        /// Sequence number.
        seq: u64,
    },
    /// The mean time of a benchmark's evaluations.
    Bench {
        /// Sequence number.
        seq: u64,
        /// Milliseconds per evaluation.
        mean_ms: f64,
    },
    /// A request the worker could not read.
    Refused {
        /// Sequence number (0 when it could not be read).
        seq: u64,
        /// Why.
        message: String,
    },
}

impl Reply {
    /// The sequence number of the request answered.
    pub fn seq(&self) -> u64 {
        match self {
            Reply::Loaded { seq, .. }
            | Reply::Evaluated { seq, .. }
            | Reply::NotLoaded { seq }
            | Reply::Bench { seq, .. }
            | Reply::Refused { seq, .. } => *seq,
        }
    }
}

/// The text of a load request.
pub fn load_request(seq: u64, source: u64, src: &Source) -> String {
    let (path, text, others) = match src {
        Source::Shipped(p) => (p.as_str(), None, Vec::new()),
        Source::Own { path, text, others } => {
            (path.as_str(), Some(&**text), others.iter().map(|(p, t)| json!({ "path": p, "text": &**t })).collect())
        }
    };
    json!({ "seq": seq, "op": "load", "source": source, "path": path, "text": text, "others": others }).to_string()
}

/// The text of an evaluation request (`bench`: a benchmark of that many).
pub fn eval_request(seq: u64, source: u64, as_of: &str, answers: &Answers, bench: Option<u32>) -> String {
    let answers = serde_json::to_string(answers).unwrap_or_else(|_| "{}".into());
    let op = if bench.is_some() { "bench" } else { "eval" };
    let head = json!({ "seq": seq, "op": op, "source": source, "as_of": as_of, "n": bench });
    // The answers are spliced in as written rather than built into a JSON
    // tree first: a large answer set is serialised once.
    let head = head.to_string();
    format!("{},\"answers\":{answers}}}", &head[..head.len() - 1])
}

impl Request {
    /// Reads a request's text; an error is the request's sequence number
    /// (0 when unreadable) and what is wrong.
    pub fn parse(text: &str) -> Result<Request, (u64, String)> {
        let refused = |seq, message: &str| (seq, message.to_string());
        let j: Json = serde_json::from_str(text).map_err(|e| refused(0, &e.to_string()))?;
        let seq = j.get("seq").and_then(Json::as_u64).unwrap_or(0);
        let source = j.get("source").and_then(Json::as_u64).ok_or_else(|| refused(seq, "no source"))?;
        let string = |k: &str| j.get(k).and_then(Json::as_str).map(str::to_string);
        match j.get("op").and_then(Json::as_str) {
            Some("load") => Ok(Request::Load {
                seq,
                source,
                path: string("path").ok_or_else(|| refused(seq, "no path"))?,
                text: string("text"),
                others: list(&j, "others")
                    .iter()
                    .filter_map(|o| Some((o.get("path")?.as_str()?.to_string(), o.get("text")?.as_str()?.to_string())))
                    .collect(),
            }),
            Some(op @ ("eval" | "bench")) => Ok(Request::Eval {
                seq,
                source,
                as_of: string("as_of").unwrap_or_default(),
                answers: j.get("answers").cloned().unwrap_or(Json::Null),
                bench: (op == "bench").then(|| j.get("n").and_then(Json::as_u64).unwrap_or(1).clamp(1, 100_000) as u32),
            }),
            _ => Err(refused(seq, "unknown op")),
        }
    }
}

impl Reply {
    /// The reply's text. Core's results are written straight to text, not
    /// built into a JSON tree first (smaller code, one pass).
    pub fn to_json(&self) -> String {
        match self {
            Reply::Loaded { seq, schema, steps, diagnostics } => {
                let diagnostics = Json::Array(diagnostics.iter().map(diag_to_json).collect());
                let steps = steps.iter().map(|s| {
                    let results: Vec<Json> = s.results.iter().map(|(n, l)| json!({ "name": n, "label": l })).collect();
                    format!(
                        r#"{{"alias":{},"schema":{},"results":{}}}"#,
                        text(&s.alias),
                        text(&s.schema),
                        Json::Array(results)
                    )
                });
                let steps = steps.collect::<Vec<_>>().join(",");
                format!(
                    r#"{{"seq":{seq},"op":"loaded","schema":{},"steps":[{steps}],"diagnostics":{diagnostics}}}"#,
                    text(schema)
                )
            }
            Reply::Evaluated { seq, evaluation } => {
                let (k, v) = match &evaluation.outcome {
                    Outcome::Assessed(a) => ("assessment", text(&**a)),
                    Outcome::Steps(steps) => {
                        let steps = steps
                            .iter()
                            .map(|(alias, a)| format!(r#"{{"alias":{},"assessment":{}}}"#, text(alias), text(a)));
                        ("steps", format!("[{}]", steps.collect::<Vec<_>>().join(",")))
                    }
                    Outcome::InputErrors(e) => ("input_errors", text(e)),
                    Outcome::Failed { en, zh } => ("failed", json!({ "en": en, "zh": zh }).to_string()),
                };
                let ms = Json::from(evaluation.millis);
                format!(r#"{{"seq":{seq},"op":"evaluated","ms":{ms},"{k}":{v}}}"#)
            }
            Reply::NotLoaded { seq } => json!({ "seq": seq, "op": "not_loaded" }).to_string(),
            Reply::Bench { seq, mean_ms } => json!({ "seq": seq, "op": "bench", "mean_ms": mean_ms }).to_string(),
            Reply::Refused { seq, message } => json!({ "seq": seq, "op": "refused", "message": message }).to_string(),
        }
    }

    /// Reads a reply's text; `None` when it is not a reply.
    pub fn parse(text: &str) -> Option<Reply> {
        let j: Json = serde_json::from_str(text).ok()?;
        let seq = j.get("seq")?.as_u64()?;
        Some(match j.get("op")?.as_str()? {
            "loaded" => Reply::Loaded {
                seq,
                schema: j.get("schema").filter(|s| s.is_object()).map(|s| Box::new(schema_from_json(s))),
                steps: list(&j, "steps")
                    .iter()
                    .map(|s| StepSchema {
                        alias: string(s, "alias"),
                        schema: schema_from_json(s.get("schema").unwrap_or(&Json::Null)),
                        results: list(s, "results")
                            .iter()
                            .map(|r| (string(r, "name"), label(r.get("label"))))
                            .collect(),
                    })
                    .collect(),
                diagnostics: list(&j, "diagnostics").iter().map(diag_from_json).collect(),
            },
            "evaluated" => {
                let outcome = if let Some(a) = j.get("assessment") {
                    Outcome::Assessed(Box::new(assessment_from_json(a)))
                } else if let Some(Json::Array(steps)) = j.get("steps") {
                    Outcome::Steps(
                        steps
                            .iter()
                            .map(|s| {
                                (string(s, "alias"), assessment_from_json(s.get("assessment").unwrap_or(&Json::Null)))
                            })
                            .collect(),
                    )
                } else if let Some(Json::Array(errors)) = j.get("input_errors") {
                    Outcome::InputErrors(
                        errors
                            .iter()
                            .map(|e| AnswerError {
                                path: string(e, "path"),
                                message: string(e, "message"),
                                message_zh: string(e, "message_zh"),
                            })
                            .collect(),
                    )
                } else {
                    let failed = j.get("failed").unwrap_or(&Json::Null);
                    Outcome::Failed { en: string(failed, "en"), zh: string(failed, "zh") }
                };
                Reply::Evaluated { seq, evaluation: Evaluation { outcome, millis: number(&j, "ms") } }
            }
            "not_loaded" => Reply::NotLoaded { seq },
            "bench" => Reply::Bench { seq, mean_ms: number(&j, "mean_ms") },
            _ => Reply::Refused { seq, message: string(&j, "message") },
        })
    }
}

fn diag_to_json(d: &DiagView) -> Json {
    json!({
        "is_error": d.is_error, "code": d.code, "message": d.message, "location": d.location,
        "line": d.line, "help": d.help, "rendered": d.rendered,
    })
}

fn diag_from_json(j: &Json) -> DiagView {
    DiagView {
        is_error: j.get("is_error").and_then(Json::as_bool).unwrap_or(true),
        code: string(j, "code"),
        message: string(j, "message"),
        location: opt(j, "location"),
        line: j.get("line").and_then(Json::as_u64).map(|l| l as usize),
        help: opt(j, "help"),
        rendered: string(j, "rendered"),
    }
}

fn string(j: &Json, k: &str) -> String {
    j.get(k).and_then(Json::as_str).unwrap_or_default().to_string()
}

fn opt(j: &Json, k: &str) -> Option<String> {
    j.get(k).and_then(Json::as_str).map(str::to_string)
}

fn arc(j: &Json, k: &str) -> Arc<str> {
    Arc::from(j.get(k).and_then(Json::as_str).unwrap_or_default())
}

fn opt_arc(j: &Json, k: &str) -> Option<Arc<str>> {
    j.get(k).and_then(Json::as_str).map(Arc::from)
}

fn number(j: &Json, k: &str) -> f64 {
    j.get(k).and_then(Json::as_f64).unwrap_or(f64::NAN)
}

fn list<'a>(j: &'a Json, k: &str) -> &'a [Json] {
    j.get(k).and_then(Json::as_array).map_or(&[], Vec::as_slice)
}

fn arcs(j: &Json, k: &str) -> Vec<Arc<str>> {
    list(j, k).iter().filter_map(Json::as_str).map(Arc::from).collect()
}

fn label(j: Option<&Json>) -> Label {
    match j {
        Some(Json::String(s)) => Label { zh: Arc::from(s.as_str()), en: None },
        Some(j) => Label { zh: arc(j, "zh"), en: opt_arc(j, "en") },
        None => Label::default(),
    }
}

fn field_schema(j: &Json) -> FieldSchema {
    FieldSchema {
        name: string(j, "name"),
        ty: string(j, "type"),
        label: label(j.get("label")),
        help: j.get("help").map(|h| label(Some(h))),
        group: opt(j, "group"),
        min: opt(j, "min"),
        max: opt(j, "max"),
        allowed: j
            .get("allowed")
            .map(|_| list(j, "allowed").iter().filter_map(Json::as_str).map(str::to_string).collect()),
        max_len: j.get("max_len").and_then(Json::as_u64).map(|m| m.min(u64::from(u32::MAX)) as u32),
        options: list(j, "options")
            .iter()
            .map(|o| OptionSchema { id: string(o, "id"), label: label(o.get("label")) })
            .collect(),
        required: j.get("required").and_then(Json::as_bool).unwrap_or(false),
        default: j.get("default").cloned(),
        missing: string(j, "missing"),
        from: opt(j, "from"),
    }
}

fn group_schema(j: &Json) -> GroupSchema {
    GroupSchema { id: string(j, "id"), label: label(j.get("label")), help: j.get("help").map(|h| label(Some(h))) }
}

/// Reads core's schema JSON (`Schema`'s serialised form) back.
pub fn schema_from_json(j: &Json) -> Schema {
    let m = j.get("ruleset").unwrap_or(&Json::Null);
    Schema {
        ruleset: Meta {
            id: string(m, "id"),
            name: label(m.get("name")),
            version: string(m, "version"),
            kind: string(m, "kind"),
            hash: string(m, "hash"),
            effective_from: opt(m, "effective_from"),
            effective_to: opt(m, "effective_to"),
            sources: list(m, "sources").iter().filter_map(Json::as_str).map(str::to_string).collect(),
            notes: opt(m, "notes"),
        },
        groups: list(j, "groups").iter().map(group_schema).collect(),
        inputs: list(j, "inputs").iter().map(field_schema).collect(),
        lists: list(j, "lists")
            .iter()
            .map(|l| ListSchema {
                name: string(l, "name"),
                label: label(l.get("label")),
                help: l.get("help").map(|h| label(Some(h))),
                group: opt(l, "group"),
                max_records: l
                    .get("max_records")
                    .and_then(Json::as_u64)
                    .map_or(0, |m| m.min(u64::from(u32::MAX)) as u32),
                fields: list(l, "fields").iter().map(field_schema).collect(),
            })
            .collect(),
        grades: list(j, "grades")
            .iter()
            .map(|g| GradeSchema { id: string(g, "id"), label: label(g.get("label")), color: opt(g, "color") })
            .collect(),
        score_groups: list(j, "score_groups").iter().map(group_schema).collect(),
    }
}

/// Reads core's assessment JSON (`Assessment`'s serialised form) back.
pub fn assessment_from_json(j: &Json) -> Assessment {
    let r = j.get("ruleset").unwrap_or(&Json::Null);
    Assessment {
        ruleset: RulesetRef { id: arc(r, "id"), version: arc(r, "version"), hash: arc(r, "hash") },
        as_of: string(j, "as_of"),
        score: string(j, "score"),
        band_grade: arc(j, "band_grade"),
        grade: arc(j, "grade"),
        grade_label: arc(j, "grade_label"),
        grade_label_en: opt_arc(j, "grade_label_en"),
        grade_color: opt_arc(j, "grade_color"),
        items: list(j, "items")
            .iter()
            .map(|i| FiredItem {
                id: arc(i, "id"),
                group: opt_arc(i, "group"),
                points: string(i, "points"),
                raw_points: string(i, "raw_points"),
                label: arc(i, "label"),
                label_en: opt_arc(i, "label_en"),
                cite: opt_arc(i, "cite"),
                advice: opt_arc(i, "advice"),
                advice_en: opt_arc(i, "advice_en"),
                fixable: i.get("fixable").and_then(Json::as_bool).unwrap_or(true),
            })
            .collect(),
        overrides: list(j, "overrides")
            .iter()
            .map(|o| AppliedOverride {
                id: arc(o, "id"),
                action: match o.get("action").and_then(Json::as_str) {
                    Some("force") => "force",
                    Some("ceiling") => "ceiling",
                    Some("floor") => "floor",
                    _ => "down",
                },
                from: arc(o, "from"),
                to: arc(o, "to"),
                reason: arc(o, "reason"),
                reason_en: opt_arc(o, "reason_en"),
                cite: opt_arc(o, "cite"),
            })
            .collect(),
        values: j
            .get("values")
            .and_then(Json::as_object)
            .map(|m| m.iter().map(|(k, v)| (Arc::from(k.as_str()), v.clone())).collect())
            .unwrap_or_default(),
        missing: list(j, "missing")
            .iter()
            .map(|m| MissingInput {
                input: arc(m, "input"),
                treatment: match m.get("treatment").and_then(Json::as_str) {
                    Some("default") => MissingTreatment::Default,
                    Some("penalty") => MissingTreatment::Penalty,
                    _ => MissingTreatment::NotApplicable,
                },
            })
            .collect(),
        skipped: arcs(j, "skipped"),
        next_grade: j.get("next_grade").filter(|n| n.is_object()).map(|n| NextGrade {
            grade: arc(n, "grade"),
            needs: n.get("needs").filter(|x| x.is_array()).map(|_| arcs(n, "needs")),
            blocked_by: arcs(n, "blocked_by"),
            exact: n.get("exact").and_then(Json::as_bool).unwrap_or(false),
            unfixable: arcs(n, "unfixable"),
        }),
        warnings: list(j, "warnings")
            .iter()
            .map(|w| Warning {
                // The one kind core reports.
                code: "future_date",
                list: arc(w, "list"),
                record: w.get("record").and_then(Json::as_u64).map_or(0, |r| usize::try_from(r).unwrap_or(usize::MAX)),
                field: arc(w, "field"),
                date: string(w, "date"),
                message: string(w, "message"),
                message_zh: string(w, "message_zh"),
            })
            .collect(),
    }
}

/// A value's JSON text (`null` if it cannot be written, which core's result
/// types never are).
fn text<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}
