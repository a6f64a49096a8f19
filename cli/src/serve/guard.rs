//! What wraps every request: the bearer token (the API's routes and the
//! metrics), a slot among the requests in flight (waiting at most a
//! second, then 503; the health checks need none), the time limit, and
//! afterwards one JSON log line and the metrics. A handler tells the guard which rules it used by putting a
//! [`Served`] into its response.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, ErrorCode};

/// The rules a request was answered with, for its log line.
#[derive(Clone, Debug)]
pub(super) struct Served {
    pub(super) id: String,
    pub(super) hash: String,
}

/// The answers of an evaluate request, logged only with `--log-answers`.
#[derive(Clone, Debug)]
pub(super) struct LoggedAnswers(pub(super) String);

pub(super) async fn guard(State(shared): State<super::state::State>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map_or("other", MatchedPath::as_str).to_string();
    let (method, path) = (request.method().to_string(), request.uri().path().to_string());
    // The health checks answer a supervisor at once, and the portal's
    // static files (no firm data, no rules) load in a browser, which sends
    // no token: only the API and the metrics ask for one.
    let health = matches!(path.as_str(), "/healthz" | "/readyz");
    let api = path.starts_with("/v1/") || path == "/metrics";
    let response = if health {
        next.run(request).await
    } else if api && !authorised(shared.token.as_deref(), &request) {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "this service needs `Authorization: Bearer TOKEN`")
            .into_response()
    } else {
        match tokio::time::timeout(super::state::SLOT_WAIT, shared.slots.acquire()).await {
            Ok(Ok(_slot)) => {
                // A score request streams for longer than this: it keeps its own time limit.
                let limit = if route.ends_with("/score") { shared.batch_timeout } else { shared.timeout };
                match tokio::time::timeout(limit, next.run(request)).await {
                    Ok(response) => response,
                    Err(_) => ApiError::new(
                        StatusCode::REQUEST_TIMEOUT,
                        "timeout",
                        format!("the request took longer than its time limit of {} s", limit.as_secs()),
                    )
                    .into_response(),
                }
            }
            _ => ApiError::busy(format!("all {} request slots are taken; try again", shared.max_concurrent))
                .into_response(),
        }
    };
    let seconds = start.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    shared.metrics.request(&route, status, seconds);
    let served = response.extensions().get::<Served>();
    let (ruleset, hash) = served.map_or(("", ""), |s| (s.id.as_str(), s.hash.as_str()));
    let error = response.extensions().get::<ErrorCode>().map_or("", |c| c.0);
    let answers = response.extensions().get::<LoggedAnswers>().map(|a| a.0.as_str());
    tracing::info!(method, path, status, ruleset, hash, error, answers, duration_ms = seconds * 1000.0, "request");
    response
}

/// Whether the request brings the token, when one is set; compared in
/// time that does not depend on where the texts differ.
fn authorised(token: Option<&str>, request: &Request) -> bool {
    let Some(token) = token else { return true };
    let given = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let Some(given) = given.and_then(|v| v.strip_prefix("Bearer ")) else { return false };
    let (a, b) = (given.as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
