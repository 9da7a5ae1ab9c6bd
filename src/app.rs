//! Builds and runs the gRPC server: the eva services, health and
//! reflection. The caller binds the listener and supplies the shutdown
//! signal, so tests run the real server on port 0.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

use crate::api::pb::assessment_service_server::AssessmentServiceServer;
use crate::api::pb::rule_service_server::RuleServiceServer;
use crate::api::{AssessmentApi, Core, RuleApi, pb};

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Reflection could not be built from the descriptors.
    #[error("gRPC reflection could not be set up: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed.
    #[error("the gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Limits the server applies to every request.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// A request that takes longer is cancelled with DEADLINE_EXCEEDED.
    pub request_timeout: std::time::Duration,
    /// Requests served at once across all connections; others wait.
    pub max_concurrent_requests: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            request_timeout: std::time::Duration::from_secs(30),
            max_concurrent_requests: 64,
        }
    }
}

/// Serves `core` on `listener` until `shutdown` completes, with default limits.
pub async fn run(
    listener: TcpListener,
    core: Arc<Core>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    run_with_limits(listener, core, ServerLimits::default(), shutdown).await
}

/// Serves `core` on `listener` until `shutdown` completes.
pub async fn run_with_limits(
    listener: TcpListener,
    core: Arc<Core>,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_serving::<AssessmentServiceServer<AssessmentApi>>()
        .await;
    reporter.set_serving::<RuleServiceServer<RuleApi>>().await;

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
    tracing::info!(%addr, bundle = %core.bundle.id, version = %core.bundle.version, digest = %core.bundle.digest, "serving");
    tonic::transport::Server::builder()
        .timeout(limits.request_timeout)
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            limits.max_concurrent_requests.max(1),
        ))
        .trace_fn(|req| tracing::info_span!("grpc", path = %req.uri().path()))
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(AssessmentServiceServer::new(AssessmentApi::new(
            core.clone(),
        )))
        .add_service(RuleServiceServer::new(RuleApi::new(core)))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await?;
    tracing::info!("stopped");
    Ok(())
}
