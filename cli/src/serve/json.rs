//! Reading a JSON request body within the service's limits: its bytes
//! (`--max-body`), a large-body slot for one over 256 KiB, its nesting
//! depth, checked before it is parsed, and UTF-8.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;

/// A body up to this size needs no large-body slot.
pub(super) const SMALL_BODY_BYTES: usize = 256 << 10;

/// Bodies over [`SMALL_BODY_BYTES`] read and evaluated at once: with up to
/// 16 MiB each, what a burst of large requests holds stays bounded.
pub(super) const LARGE_BODY_SLOTS: usize = 2;

/// The deepest nesting of arrays and objects a request may hold: a firm's
/// answers need three (the answers, a list, a record).
pub(super) const MAX_JSON_DEPTH: usize = 32;

/// Reads a whole body of at most `limit` bytes (one that declares more is
/// refused unread). One that grows over [`SMALL_BODY_BYTES`] waits up to
/// a second for one of the `large` slots, held until the answer is made.
pub(super) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    large: &Arc<Semaphore>,
) -> Result<(Bytes, Option<OwnedSemaphorePermit>), ApiError> {
    let too_large = || ApiError::body_too_large(limit as u64);
    let declared = headers.get(axum::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let (mut bytes, mut slot) = (Vec::new(), None);
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?;
        let len = bytes.len() + chunk.len();
        if len > limit {
            return Err(too_large());
        }
        if len > SMALL_BODY_BYTES && slot.is_none() {
            let wait = tokio::time::timeout(super::state::SLOT_WAIT, large.clone().acquire_owned()).await;
            let busy = || ApiError::busy(format!("the {LARGE_BODY_SLOTS} slots for bodies over 256 KiB are taken"));
            slot = Some(wait.map_err(|_| busy())?.map_err(|_| busy())?);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((Bytes::from(bytes), slot))
}

/// The body as a JSON object, after checking its depth.
pub(super) fn parse_object(bytes: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        ApiError::bad_json(format!("the body is not UTF-8 (line {line})"))
    })?;
    check_depth(text)?;
    match safegrade::parse_firm_json(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_json("the body is not a JSON object")),
        Err(e) => Err(ApiError::bad_json(format!("the body is not valid JSON: {e}"))),
    }
}

/// Refuses text whose arrays and objects nest deeper than
/// [`MAX_JSON_DEPTH`], counting brackets outside strings, so a hostile
/// body is refused before any value is built.
pub(super) fn check_depth(text: &str) -> Result<(), ApiError> {
    let bytes = text.as_bytes();
    let (mut depth, mut at) = (0usize, 0usize);
    while at < bytes.len() {
        match bytes[at] {
            // A string: skip to its closing quote, past escaped characters.
            b'"' => {
                at += 1;
                loop {
                    let Some(n) = memchr::memchr2(b'"', b'\\', bytes.get(at..).unwrap_or_default()) else {
                        return Ok(()); // Unclosed: the parser says so.
                    };
                    at += n + 1;
                    if bytes[at - 1] == b'"' {
                        break;
                    }
                    at += 1;
                }
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
                    let at_line =
                        if memchr::memchr(b'\n', bytes).is_some() { format!(" (line {line})") } else { String::new() };
                    return Err(ApiError::new(
                        axum::http::StatusCode::BAD_REQUEST,
                        "too_deep",
                        format!("the JSON nests deeper than {MAX_JSON_DEPTH} levels{at_line}, the limit"),
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_brackets_outside_strings() {
        let deep = format!("{}{}", "[".repeat(MAX_JSON_DEPTH + 1), "]".repeat(MAX_JSON_DEPTH + 1));
        assert_eq!(check_depth(&deep).unwrap_err().code, "too_deep");
        let fine = format!("{}{}", "[".repeat(MAX_JSON_DEPTH), "]".repeat(MAX_JSON_DEPTH));
        assert!(check_depth(&fine).is_ok());
        let quoted = format!("{{\"a\": \"{}\\\"{}\"}}", "[".repeat(100), "{".repeat(100));
        assert!(check_depth(&quoted).is_ok());
        // An escaped backslash ends before the quote that closes the string.
        let backslash = format!("[\"\\\\\", {}{}]", "[".repeat(MAX_JSON_DEPTH), "]".repeat(MAX_JSON_DEPTH));
        assert_eq!(check_depth(&backslash).unwrap_err().code, "too_deep", "{backslash}");
        // An unclosed string ends the text.
        assert!(check_depth(&format!("[\"{}", "[".repeat(100))).is_ok());
    }

    #[test]
    fn a_body_must_be_a_json_object() {
        assert_eq!(parse_object(b"[1]").unwrap_err().code, "bad_json");
        assert_eq!(parse_object(b"{\"a\":1,\"a\":2}").unwrap_err().code, "bad_json");
        assert_eq!(parse_object(b"{\"a\":").unwrap_err().code, "bad_json");
        assert_eq!(parse_object(b"\xff").unwrap_err().code, "bad_json");
        assert_eq!(parse_object(b"{\"a\":1}").unwrap()["a"], 1);
    }
}
