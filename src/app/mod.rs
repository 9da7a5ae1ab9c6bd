//! Builds and runs the gRPC server: the eva services, health and
//! reflection, behind the deadline layer ([`deadline`]) and on connections
//! served within limits ([`connections`]). The caller binds the listener
//! and supplies the shutdown signal, so tests run the real server on port 0.

pub mod connections;
pub mod deadline;

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::api::pb::assessment_service_server::AssessmentServiceServer;
use crate::api::pb::report_service_server::ReportServiceServer;
use crate::api::pb::rule_service_server::RuleServiceServer;
use crate::api::{AssessmentApi, CallLimits, ReportApi, RuleApi, pb};
use crate::service::Records;
pub use connections::ConnectionLimits;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Reflection could not be built from the descriptors.
    #[error("gRPC reflection could not be set up: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// Smallest limit on the size of a request message; see
/// [`ServerLimits::max_message_bytes`].
pub const MIN_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// Limits the server applies to calls and connections.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Calls and stream items: the longest a request may take, and how many
    /// assessments run at once.
    pub calls: CallLimits,
    /// Connections: how many, and their timeouts.
    pub connections: ConnectionLimits,
    /// Largest request message; a larger one is refused with OUT_OF_RANGE
    /// before it is read. Room for the largest text a draft may carry.
    pub max_message_bytes: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            calls: CallLimits {
                request_timeout: Duration::from_secs(30),
                max_concurrent_assessments: 64,
                stream_idle_timeout: Duration::from_secs(60),
            },
            connections: ConnectionLimits {
                max_connections: 1000,
                handshake_timeout: Duration::from_secs(10),
                idle_timeout: Duration::from_secs(300),
                keepalive_interval: Duration::from_secs(60),
                keepalive_timeout: Duration::from_secs(20),
                max_streams_per_connection: 100,
                shutdown_grace: Duration::from_secs(10),
            },
            max_message_bytes: MIN_MESSAGE_BYTES,
        }
    }
}

impl ServerLimits {
    /// The message limit for drafts of up to `max_text_bytes` of text: their
    /// text and 256 KiB for the other fields, and at least 4 MiB.
    pub fn message_bytes_for(max_text_bytes: usize) -> usize {
        max_text_bytes
            .saturating_add(256 * 1024)
            .max(MIN_MESSAGE_BYTES)
    }
}

/// The runtime the server runs on: a worker per core for the transport,
/// and at most one thread per core for assessments. Assessments are
/// CPU-bound, so more threads than cores only add switching between them;
/// calls admitted beyond that wait in the blocking pool's queue, their
/// deadline running (benches/grpc.rs measures the difference).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(cores)
        .build()
}

/// Serves `service` on `listener` until `shutdown` completes, with default
/// limits.
pub async fn run(
    listener: TcpListener,
    records: Records,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    run_with_limits(listener, records, ServerLimits::default(), shutdown).await
}

/// Serves `service` on `listener` until `shutdown` completes; then drains for
/// the grace period, closes what is left and returns.
pub async fn run_with_limits(
    listener: TcpListener,
    records: Records,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter.set_serving::<RuleServiceServer<RuleApi>>().await;
    let store = records.store().clone();
    let serving = check_store(&store, &reporter, None).await;
    let watcher = tokio::spawn(watch_store(store, reporter.clone(), serving));

    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let addr = listener
        .local_addr()
        .map_or_else(|e| format!("unknown ({e})"), |a| a.to_string());
    let service = records.service.clone();
    tracing::info!(%addr, database = records.store().backend(), bundle = %service.bundle.id, version = %service.bundle.version, digest = %service.bundle.digest, "serving");

    let routes = tonic::service::Routes::new(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(
            ReportServiceServer::new(ReportApi::new(records.clone()))
                .max_decoding_message_size(limits.max_message_bytes),
        )
        .add_service(
            AssessmentServiceServer::new(AssessmentApi::new(records, limits.calls))
                .max_decoding_message_size(limits.max_message_bytes),
        )
        .add_service(
            RuleServiceServer::new(RuleApi::new(service))
                .max_decoding_message_size(limits.max_message_bytes),
        )
        .prepare();
    let service = deadline::DeadlineService::new(routes, limits.calls.request_timeout);
    let shutdown = async move {
        shutdown.await;
        watcher.abort();
        // a check in progress must not set SERVING after the NOT_SERVING below
        let _ = watcher.await;
        // load balancers stop sending new calls while the old ones finish
        reporter
            .set_not_serving::<AssessmentServiceServer<AssessmentApi>>()
            .await;
        reporter
            .set_not_serving::<RuleServiceServer<RuleApi>>()
            .await;
        reporter
            .set_not_serving::<ReportServiceServer<ReportApi>>()
            .await;
    };
    connections::serve(listener, service, limits.connections, shutdown).await;
    tracing::info!("stopped");
    Ok(())
}

/// How often the store is checked while it answers, and while it does not.
const STORE_CHECK: (Duration, Duration) = (Duration::from_secs(5), Duration::from_secs(1));

/// Keeps the health of the services that need the store in step with it,
/// from the status `serving` of the first check on: SERVING while it
/// answers, NOT_SERVING while it does not.
async fn watch_store(
    store: std::sync::Arc<dyn crate::store::Store>,
    reporter: tonic_health::server::HealthReporter,
    mut serving: bool,
) {
    loop {
        tokio::time::sleep(if serving {
            STORE_CHECK.0
        } else {
            STORE_CHECK.1
        })
        .await;
        serving = check_store(&store, &reporter, Some(serving)).await;
    }
}

/// Pings the store and, when the answer differs from `before`, sets the
/// health of the services that need it; returns whether it answered.
async fn check_store(
    store: &std::sync::Arc<dyn crate::store::Store>,
    reporter: &tonic_health::server::HealthReporter,
    before: Option<bool>,
) -> bool {
    let answer = match tokio::time::timeout(STORE_CHECK.0, store.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", STORE_CHECK.0.as_secs())),
    };
    let ok = answer.is_ok();
    if before == Some(ok) {
        return ok;
    }
    if ok {
        reporter
            .set_serving::<AssessmentServiceServer<AssessmentApi>>()
            .await;
        reporter
            .set_serving::<ReportServiceServer<ReportApi>>()
            .await;
        if before.is_some() {
            tracing::info!(database = store.backend(), "the database answers again");
        }
    } else {
        reporter
            .set_not_serving::<AssessmentServiceServer<AssessmentApi>>()
            .await;
        reporter
            .set_not_serving::<ReportServiceServer<ReportApi>>()
            .await;
        tracing::warn!(
            database = store.backend(),
            why = %answer.err().unwrap_or_default(),
            "the database does not answer; assessment and report services are NOT_SERVING"
        );
    }
    ok
}
