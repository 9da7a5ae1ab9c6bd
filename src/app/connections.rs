//! Accepting and serving HTTP/2 connections within limits: at most
//! `max_connections` at once (more wait in the listen backlog), accept
//! errors back off instead of spinning, `TCP_NODELAY` on every socket, a
//! connection must send the HTTP/2 preface within the handshake timeout,
//! one without calls for the idle timeout is closed with GOAWAY, keep-alive
//! pings close dead peers, and shutdown drains for a grace period and then
//! closes whatever is left.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::server::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tonic::body::Body;
use tower::ServiceExt;
use tracing::Instrument;

use crate::domain::printable;

/// Limits on connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections served at once; further clients wait in the backlog.
    pub max_connections: usize,
    /// Time a new connection has to send the HTTP/2 preface.
    pub handshake_timeout: Duration,
    /// A connection with no call in progress for this long is closed.
    pub idle_timeout: Duration,
    /// Interval of HTTP/2 keep-alive pings on a connection.
    pub keepalive_interval: Duration,
    /// A ping not answered within this closes the connection.
    pub keepalive_timeout: Duration,
    /// Calls in progress at once on one connection (HTTP/2 streams).
    pub max_streams_per_connection: u32,
    /// On shutdown, time for calls in progress to finish before the
    /// remaining connections are closed.
    pub shutdown_grace: Duration,
}

/// What the connections serve: gRPC routes behind the deadline layer.
pub trait GrpcService:
    tower::Service<
        http::Request<Body>,
        Response = http::Response<Body>,
        Error = Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + 'static
{
}

impl<S> GrpcService for S where
    S: tower::Service<
            http::Request<Body>,
            Response = http::Response<Body>,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
        + Send
        + 'static
{
}

/// Length of the HTTP/2 client connection preface.
const PREFACE_LEN: u64 = 24;
/// First and longest pause after an accept error.
const ACCEPT_BACKOFF: (Duration, Duration) = (Duration::from_millis(5), Duration::from_secs(1));

/// Serves `service` on connections from `listener` until `shutdown`
/// completes; then stops accepting, lets calls in progress finish for the
/// grace period, closes what is still open and returns.
pub async fn serve(
    listener: TcpListener,
    service: impl GrpcService,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.keepalive_interval)
        .keep_alive_timeout(limits.keepalive_timeout)
        .max_concurrent_streams(limits.max_streams_per_connection);
    let builder = Arc::new(builder);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (drain_tx, drain_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut backoff = Duration::ZERO;
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                backoff = Duration::ZERO;
                accepted
            }
            // the peer gave up before we took the connection
            Err(e) if is_per_connection(&e) => continue,
            Err(e) => {
                // out of file descriptors or memory: the backlog still holds
                // the connection, so wait before trying again
                backoff = (backoff * 2).clamp(ACCEPT_BACKOFF.0, ACCEPT_BACKOFF.1);
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "cannot accept a connection");
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = tokio::time::sleep(backoff) => continue,
                }
            }
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "cannot set TCP_NODELAY");
        }
        connections.spawn(serve_connection(
            stream,
            peer,
            service.clone(),
            builder.clone(),
            drain_rx.clone(),
            permit,
            limits,
        ));
    }
    drop(listener);
    let _ = drain_tx.send(true);
    let open = connections.len();
    if open > 0 {
        tracing::info!(
            connections = open,
            grace_secs = limits.shutdown_grace.as_secs_f64(),
            "draining"
        );
    }
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "closing the connections still open after the grace period"
        );
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}

/// Accept errors that concern one connection only.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    service: impl GrpcService,
    builder: Arc<http2::Builder<TokioExecutor>>,
    mut drain: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
    limits: ConnectionLimits,
) {
    let read = Arc::new(AtomicU64::new(0));
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Counted {
        inner: stream,
        read: read.clone(),
    });
    let service = TowerToHyperService::new(Tracked {
        inner: service,
        activity: activity.clone(),
        peer,
    });
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let handshake = tokio::time::sleep(limits.handshake_timeout);
    tokio::pin!(handshake);
    let idle_check = tokio::time::sleep(limits.idle_timeout);
    tokio::pin!(idle_check);
    let (mut in_handshake, mut closing) = (true, false);
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = &mut handshake, if in_handshake => {
                in_handshake = false;
                if read.load(Ordering::Relaxed) < PREFACE_LEN {
                    tracing::debug!(%peer, "no HTTP/2 preface within the handshake timeout; closing");
                    return;
                }
            }
            _ = &mut idle_check, if !closing => match activity.idle_for() {
                Some(idle) if idle >= limits.idle_timeout => {
                    tracing::debug!(%peer, "idle; closing");
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
                Some(idle) => idle_check.as_mut().reset((Instant::now() + (limits.idle_timeout - idle)).into()),
                None => idle_check.as_mut().reset((Instant::now() + limits.idle_timeout).into()),
            },
            _ = drain.wait_for(|draining| *draining), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

/// Calls in progress on one connection, and since when it has had none.
#[derive(Debug)]
struct Activity {
    active: AtomicUsize,
    idle_since: Mutex<Instant>,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            active: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
        }
    }

    fn begin(self: &Arc<Self>) -> CallGuard {
        self.active.fetch_add(1, Ordering::SeqCst);
        CallGuard(self.clone())
    }

    /// How long the connection has had no call, or `None` while it has one.
    fn idle_for(&self) -> Option<Duration> {
        if self.active.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let since = *self.idle_since.lock().unwrap_or_else(|e| e.into_inner());
        Some(since.elapsed())
    }
}

/// One call in progress, until its response body is done or dropped.
struct CallGuard(Arc<Activity>);

impl Drop for CallGuard {
    fn drop(&mut self) {
        let mut since = self.0.idle_since.lock().unwrap_or_else(|e| e.into_inner());
        if self.0.active.fetch_sub(1, Ordering::SeqCst) == 1 {
            *since = Instant::now();
        }
    }
}

/// The service of one connection: counts its calls and gives each a span
/// with the peer and the method.
#[derive(Clone)]
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
    peer: SocketAddr,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> tower::Service<http::Request<B>> for Tracked<S>
where
    S: GrpcService,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let guard = self.activity.begin();
        // what tonic's `Request::remote_addr` reads: the audit log's peer
        request
            .extensions_mut()
            .insert(tonic::transport::server::TcpConnectInfo {
                local_addr: None,
                remote_addr: Some(self.peer),
            });
        let span = tracing::info_span!(
            "grpc",
            peer = %self.peer,
            path = %printable(request.uri().path(), 128)
        );
        let response = self.inner.clone().oneshot(request.map(Body::new));
        Box::pin(
            async move {
                let response = response.await?;
                Ok(response.map(|body| {
                    Body::new(TrackedBody {
                        inner: body,
                        _call: guard,
                    })
                }))
            }
            .instrument(span),
        )
    }
}

/// A response body that ends its call when it is done or dropped.
struct TrackedBody {
    inner: Body,
    _call: CallGuard,
}

impl http_body::Body for TrackedBody {
    type Data = bytes::Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// A socket that counts the bytes read, to tell whether the client sent
/// its preface in time.
struct Counted {
    inner: TcpStream,
    read: Arc<AtomicU64>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = (buf.filled().len() - before) as u64;
        self.read.fetch_add(n, Ordering::Relaxed);
        result
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
