//! The service's error answers: a status, a stable code and a message,
//! always as JSON (`{"error": {"code", "message", …}}`), so a client can
//! act on the code and show the message.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// An error answer.
#[derive(Debug)]
pub(super) struct ApiError {
    pub(super) status: StatusCode,
    pub(super) code: &'static str,
    pub(super) message: String,
    /// Members added to the error object (`problems`).
    extra: Option<Box<(&'static str, Value)>>,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), extra: None }
    }

    pub(super) fn with(mut self, name: &'static str, value: Value) -> ApiError {
        self.extra = Some(Box::new((name, value)));
        self
    }

    pub(super) fn bad_json(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_json", message)
    }

    pub(super) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub(super) fn unknown_ruleset(id: &str, served: &[&str]) -> ApiError {
        let message = format!("no rule set or scheme `{id}` is served; served: {}", served.join(", "));
        ApiError::new(StatusCode::NOT_FOUND, "unknown_ruleset", message)
    }

    pub(super) fn body_too_large(limit: u64) -> ApiError {
        let message = format!("the request body is larger than the limit of {limit} bytes");
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", message)
    }

    pub(super) fn busy(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message)
    }

    /// The error object, as the last line of a streamed answer carries it.
    pub(super) fn body(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some((name, value)) = self.extra.as_deref() {
            error[*name] = value.clone();
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::to_vec(&self.body()).unwrap_or_default();
        body.push(b'\n');
        let mut response = (self.status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // The body may be left unread: the connection is not used again.
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        if self.code == "busy" {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response.extensions_mut().insert(ErrorCode(self.code));
        response
    }
}

/// The code of an error answer, for the request log.
#[derive(Clone, Copy, Debug)]
pub(super) struct ErrorCode(pub(super) &'static str);
