//! The routes that answer with one JSON document: health, readiness,
//! metrics, the OpenAPI description, the rule sets served, a rule set's
//! questionnaire, one firm's evaluation, and a reload.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use safegrade::{AssessError, Rules};
use serde_json::{json, Value};

use super::catalog::Entry;
use super::error::ApiError;
use super::guard::{LoggedAnswers, Served};
use super::json::{parse_object, read_body, SMALL_BODY_BYTES};

/// The OpenAPI description of this service, as kept in the repository.
const OPENAPI: &str = include_str!("../../../docs/openapi.json");

pub(super) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub(super) async fn readyz(State(shared): State<super::state::State>) -> Json<Value> {
    Json(json!({ "status": "ready", "rulesets": shared.catalog().len() }))
}

pub(super) async fn metrics(State(shared): State<super::state::State>) -> Response {
    // prometheus-client writes the OpenMetrics text format (counters typed, `# EOF` last).
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], shared.metrics.render()).into_response()
}

pub(super) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

pub(super) async fn rulesets(State(shared): State<super::state::State>) -> Json<Value> {
    Json(shared.catalog().listing())
}

pub(super) async fn reload(State(shared): State<super::state::State>) -> Result<Json<Value>, ApiError> {
    let catalog =
        shared.reload().await.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "reload_failed", e))?;
    let mut answer = catalog.listing();
    answer["reloaded"] = json!(true);
    Ok(Json(answer))
}

/// The rule set or scheme `id`, or the 404 that lists those served.
pub(super) fn entry(shared: &super::state::Shared, id: &str) -> Result<Arc<Entry>, ApiError> {
    let catalog = shared.catalog();
    catalog.get(id).ok_or_else(|| ApiError::unknown_ruleset(id, &catalog.ids()))
}

/// Marks a response with the rules it was computed with: a header for the
/// client, an extension for the log line.
pub(super) fn served(mut response: Response, entry: &Entry) -> Response {
    if let Ok(hash) = HeaderValue::from_str(&entry.hash) {
        response.headers_mut().insert("x-safegrade-hash", hash);
    }
    response.extensions_mut().insert(Served { id: entry.id.clone(), hash: entry.hash.clone() });
    response
}

pub(super) async fn schema(
    State(shared): State<super::state::State>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let entry = entry(&shared, &id)?;
    let schema = match &entry.rules {
        Rules::Set(r) => json!({ "kind": "ruleset", "schema": r.schema() }),
        Rules::Scheme(s) => {
            let steps: Vec<Value> =
                s.steps().map(|(alias, r)| json!({ "alias": alias, "schema": r.schema() })).collect();
            json!({ "kind": "scheme", "steps": steps })
        }
    };
    Ok(served(Json(schema).into_response(), &entry))
}

pub(super) async fn evaluate(
    State(shared): State<super::state::State>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let entry = entry(&shared, &id)?;
    let answer = evaluate_with(&shared, &entry, &headers, body).await;
    Ok(served(answer.unwrap_or_else(IntoResponse::into_response), &entry))
}

async fn evaluate_with(
    shared: &super::state::Shared,
    entry: &Arc<Entry>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let (bytes, _large) = read_body(headers, body, shared.max_body, &shared.large_bodies).await?;
    // A large body is parsed and evaluated off the threads that serve requests.
    let (big, log_answers) = (bytes.len() > SMALL_BODY_BYTES, shared.log_answers);
    let work = {
        let entry = entry.clone();
        move || evaluate_body(&entry, &bytes, log_answers)
    };
    let (result, answers) = if big {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))??
    } else {
        work()?
    };
    shared.metrics.evaluated(&entry.id, 1);
    let mut text = result;
    text.push('\n');
    let mut response = ([(header::CONTENT_TYPE, "application/json")], text).into_response();
    if let Some(answers) = answers {
        response.extensions_mut().insert(LoggedAnswers(answers));
    }
    Ok(response)
}

/// Evaluates the body `{"answers": {…}, "as_of": "YYYY-MM-DD"}`: the result
/// JSON, pretty-printed, and the answers as text when they are to be logged.
fn evaluate_body(entry: &Entry, bytes: &[u8], log_answers: bool) -> Result<(String, Option<String>), ApiError> {
    let mut body = parse_object(bytes)?;
    if let Some(other) = body.keys().find(|k| !matches!(k.as_str(), "answers" | "as_of")) {
        return Err(ApiError::bad_json(format!(
            "the body has a member `{other}`; it holds `answers` (an object) and `as_of` (YYYY-MM-DD)"
        )));
    }
    let as_of = match body.get("as_of") {
        None => as_of(None)?,
        Some(Value::String(s)) => as_of(Some(s))?,
        Some(other) => return Err(bad_as_of(&other.to_string())),
    };
    let answers = match body.remove("answers") {
        Some(answers @ Value::Object(_)) => answers,
        Some(_) => return Err(ApiError::bad_json("`answers` is not an object of the firm's answers")),
        None => {
            return Err(ApiError::bad_json("the body has no `answers`: {\"answers\": {…}, \"as_of\": \"YYYY-MM-DD\"}"))
        }
    };
    let logged = log_answers.then(|| answers.to_string());
    // Each result serialised straight from its struct: the same text as
    // through a `serde_json::Value` (`safegrade eval`), at less cost.
    let pretty = match &entry.rules {
        Rules::Set(r) => r.assess_json(&answers, as_of).map(|a| serde_json::to_string_pretty(&a)),
        Rules::Scheme(s) => s.assess_json(&answers, as_of).map(|a| serde_json::to_string_pretty(&a)),
    };
    match pretty {
        Ok(text) => Ok((text.unwrap_or_default(), logged)),
        Err(AssessError::Input { errors }) => {
            let problems: Vec<Value> =
                errors.iter().map(|e| json!({ "message": e.to_string(), "message_zh": e.to_string_zh() })).collect();
            let message = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_input", message).with("problems", json!(problems)))
        }
        Err(AssessError::Eval { error }) => {
            Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "eval_error", format!("evaluation failed: {error}")))
        }
    }
}

/// An as-of date, exactly `YYYY-MM-DD`, or the server's local date when none is given.
pub(super) fn as_of(text: Option<&str>) -> Result<chrono::NaiveDate, ApiError> {
    super::super::eval::as_of_date(text).map_err(|_| bad_as_of(text.unwrap_or("")))
}

fn bad_as_of(text: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_as_of", format!("`as_of` {text} is not a date YYYY-MM-DD"))
}

pub(super) async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route; GET /v1/openapi.json describes the API")
}

pub(super) async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take that method")
}
