//! The deadline of every call: the server's request timeout, or the
//! client's `grpc-timeout` when that is shorter, counted from the moment the
//! request's headers arrive (reading the body and waiting for a slot count
//! too). A call not answered by then gets `DEADLINE_EXCEEDED`, and the work
//! behind it is dropped, which cancels it (see [`crate::domain::Deadline`]).
//!
//! A streaming call answers its headers at once; its items keep their own
//! deadlines (see [`crate::api::AssessmentApi`]).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tonic::Status;
use tonic::body::Body;

use crate::api::CallDeadline;
use crate::domain::printable;

/// The deadline layer around every service.
#[derive(Debug, Clone)]
pub struct DeadlineService<S> {
    inner: S,
    request_timeout: Duration,
}

impl<S> DeadlineService<S> {
    /// `inner` with `request_timeout` as the longest a call may take.
    pub fn new(inner: S, request_timeout: Duration) -> Self {
        DeadlineService {
            inner,
            request_timeout,
        }
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> tower::Service<http::Request<B>> for DeadlineService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<http::Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let received = Instant::now();
        let client = match client_timeout(request.headers()) {
            Ok(timeout) => timeout.map(|t| received + t),
            Err(value) => {
                let status = Status::invalid_argument(format!(
                    "the grpc-timeout header {} is malformed; send up to 8 digits and a unit (H, M, S, m, u, n), such as 30S",
                    crate::domain::quoted(&value)
                ));
                return Box::pin(async move { Ok(status.into_http()) });
            }
        };
        let call = CallDeadline { received, client };
        let at = call.for_work_from(received, self.request_timeout);
        request.extensions_mut().insert(call);
        let path = printable(request.uri().path(), 128).into_owned();
        let response = self.inner.call(request);
        Box::pin(async move {
            match tokio::time::timeout_at(at.into(), response).await {
                Ok(result) => result,
                Err(_) => {
                    tracing::info!(%path, "deadline exceeded");
                    Ok(Status::deadline_exceeded(
                        "the call was not answered by its deadline; give it a longer deadline (the server's request timeout is the most it allows), send a shorter draft, or retry later",
                    )
                    .into_http())
                }
            }
        })
    }
}

/// The client's `grpc-timeout`, if it sent one; the header's text when it is
/// malformed.
fn client_timeout(headers: &http::HeaderMap) -> Result<Option<Duration>, String> {
    let Some(value) = headers.get("grpc-timeout") else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| "(not ASCII)".to_string())?;
    parse_grpc_timeout(text)
        .map(Some)
        .ok_or_else(|| text.to_string())
}

/// Parses a gRPC `TimeoutValue TimeoutUnit`: at most eight digits and one of
/// `H M S m u n` (the gRPC over HTTP/2 specification).
pub fn parse_grpc_timeout(text: &str) -> Option<Duration> {
    if !text.is_ascii() {
        return None;
    }
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_grpc_timeouts_as_the_specification_writes_them() {
        assert_eq!(parse_grpc_timeout("30S"), Some(Duration::from_secs(30)));
        assert_eq!(parse_grpc_timeout("100m"), Some(Duration::from_millis(100)));
        assert_eq!(parse_grpc_timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(
            parse_grpc_timeout("99999999n"),
            Some(Duration::from_nanos(99_999_999))
        );
        for bad in ["", "S", "1ä", "123456789S", "10s", "-1S", "1.5S", "10"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad}");
        }
    }
}
