//! gRPC service implementations over a shared [`Core`].
//!
//! Assessments are CPU work: each one, unary or an item of a stream, waits
//! for one of a fixed number of slots, runs on the blocking pool and stops
//! at its deadline. The slot is taken only once the request has arrived, so
//! a client that stalls its upload holds no slot, and it is held until the
//! work has stopped, so the slots bound the CPU in use.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};
use tonic_types::{ErrorDetails, StatusExt};

use super::convert::{
    assess_request_from_proto, assessed_to_proto, bundle_info, list_query_from_proto,
    page_to_proto, render_choices, renderings_to_proto, review_from_proto, revisions_to_proto,
    stored_to_proto, taxonomy,
};
use super::convert::{
    effects_to_proto, goal_summary_to_proto, report_period, review_statistics_to_proto,
};
use super::pb;
use crate::domain::{Deadline, Interrupted, Violations, printable};
use crate::service::{Caller, RecordError, Records, Service, ServiceError};

/// Where a call's time went when it ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// Every assessment slot stayed busy until the deadline.
    ForSlot,
    /// The assessment itself was not done by the deadline.
    ForAssessment,
}

/// Why a request failed, as the gRPC layer tells it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is wrong; nothing was assessed.
    #[error("invalid request: {0}")]
    InvalidArgument(Violations),
    /// The deadline passed first.
    #[error("deadline exceeded ({0:?})")]
    DeadlineExceeded(Waited),
    /// The caller went away or the server is closing.
    #[error("cancelled")]
    Cancelled,
    /// No such assessment for the tenant.
    #[error("{0}")]
    NotFound(String),
    /// The idempotency key was used for another draft.
    #[error("{0}")]
    AlreadyExists(String),
    /// The store is unavailable; the call can be retried.
    #[error("{0}")]
    Unavailable(String),
    /// A concurrent change came first; read again and retry.
    #[error("{0}")]
    Aborted(String),
    /// The record's state does not allow the change.
    #[error("{0}")]
    FailedPrecondition(String),
    /// Something failed that the caller cannot fix: the bundle at run
    /// time, a template, the task running the assessment, the store.
    #[error("{0}")]
    Internal(String),
}

impl From<RecordError> for ApiError {
    fn from(e: RecordError) -> ApiError {
        match e {
            RecordError::InvalidArgument(v) => ApiError::InvalidArgument(v),
            RecordError::NotFound(m) => ApiError::NotFound(m),
            RecordError::AlreadyExists(m) => ApiError::AlreadyExists(m),
            RecordError::Unavailable(m) => ApiError::Unavailable(m),
            RecordError::Aborted(m) => ApiError::Aborted(m),
            RecordError::FailedPrecondition(m) => ApiError::FailedPrecondition(m),
            RecordError::Service(e) => e.into(),
            RecordError::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl From<Interrupted> for ApiError {
    fn from(i: Interrupted) -> ApiError {
        match i {
            Interrupted::DeadlineExceeded => ApiError::DeadlineExceeded(Waited::ForAssessment),
            Interrupted::Cancelled => ApiError::Cancelled,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            ServiceError::InvalidArgument(v) => ApiError::InvalidArgument(v),
            ServiceError::Interrupted(i) => i.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Status {
        match e {
            ApiError::InvalidArgument(violations) => {
                let mut details = ErrorDetails::new();
                for v in violations.listed() {
                    details.add_bad_request_violation(v.field.clone(), v.description.clone());
                }
                Status::with_error_details(
                    tonic::Code::InvalidArgument,
                    violations.summary(),
                    details,
                )
            }
            ApiError::DeadlineExceeded(Waited::ForSlot) => Status::deadline_exceeded(
                "every assessment slot stayed busy until the request's deadline; retry later with backoff, or give the call a longer deadline",
            ),
            ApiError::DeadlineExceeded(Waited::ForAssessment) => Status::deadline_exceeded(
                "the assessment was not done by the request's deadline; give the call a longer deadline (the server's request timeout is the most it allows) or send a shorter draft",
            ),
            ApiError::Cancelled => Status::cancelled("the request was cancelled"),
            ApiError::NotFound(m) => Status::not_found(m),
            ApiError::AlreadyExists(m) => Status::already_exists(m),
            ApiError::Unavailable(m) => Status::unavailable(m),
            ApiError::Aborted(m) => Status::aborted(m),
            ApiError::FailedPrecondition(m) => Status::failed_precondition(m),
            other => {
                let error = other.to_string();
                tracing::error!(error = %printable(&error, 2000), "assessment failed");
                Status::internal(
                    "the assessment could not be completed; the service log has the details",
                )
            }
        }
    }
}

/// When a call must be answered. The server's deadline layer puts it into
/// each request's extensions; a service used without that layer takes the
/// time the handler was called.
#[derive(Debug, Clone, Copy)]
pub struct CallDeadline {
    /// When the request arrived, before its body was read.
    pub received: Instant,
    /// The client's own deadline (`grpc-timeout`), if it set one.
    pub client: Option<Instant>,
}

impl CallDeadline {
    /// The call's deadline as the server's layer set it, or now.
    pub fn of<T>(request: &Request<T>) -> CallDeadline {
        request
            .extensions()
            .get::<CallDeadline>()
            .copied()
            .unwrap_or(CallDeadline {
                received: Instant::now(),
                client: None,
            })
    }

    /// The deadline of work that started at `start`: the server's timeout
    /// from then, or the client's deadline when that is earlier.
    pub fn for_work_from(&self, start: Instant, timeout: Duration) -> Instant {
        let server = start + timeout;
        self.client.map_or(server, |c| c.min(server))
    }
}

/// How the assessment service runs calls.
#[derive(Debug, Clone, Copy)]
pub struct CallLimits {
    /// Longest time from a request's arrival to its answer (for a stream:
    /// per item, from the item's arrival).
    pub request_timeout: Duration,
    /// Assessments running at once, over all calls and streams.
    pub max_concurrent_assessments: usize,
    /// Longest wait on a stream for the next request, or for the client
    /// to take the next response.
    pub stream_idle_timeout: Duration,
}

/// `eva.v1.AssessmentService`.
#[derive(Debug, Clone)]
pub struct AssessmentApi {
    records: Records,
    slots: Arc<Semaphore>,
    limits: CallLimits,
}

impl AssessmentApi {
    /// The gRPC service over `records`.
    pub fn new(records: Records, limits: CallLimits) -> Self {
        AssessmentApi {
            records,
            slots: Arc::new(Semaphore::new(limits.max_concurrent_assessments.max(1))),
            limits,
        }
    }
}

/// Metadata key under which a caller names itself for the audit log.
pub const CALLER_KEY: &str = "eva-caller";

/// Who made `request`: the name it gives under [`CALLER_KEY`] (printable,
/// at most 128 characters) or `anonymous`, and its network address.
pub fn caller_of<T>(request: &Request<T>) -> Caller {
    let name = request
        .metadata()
        .get(CALLER_KEY)
        .and_then(|v| v.to_str().ok())
        .map(|v| printable(v.trim(), 128).into_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "anonymous".into());
    let peer = request
        .remote_addr()
        .map_or_else(|| "unknown".into(), |a| a.to_string());
    Caller { name, peer }
}

/// Runs one assessment: answers a retry from the store, or waits for a
/// slot until `at`, assesses on the blocking pool with `at` as the
/// deadline and stores the assessment before answering. Dropping the
/// returned future (the caller went away, the deadline fired outside)
/// stops the work.
async fn run(
    records: Records,
    slots: Arc<Semaphore>,
    request: pb::AssessRequest,
    at: Instant,
    caller: Caller,
) -> Result<pb::AssessResponse, ApiError> {
    let request_id = Some(request.request_id.clone()).filter(|k| !k.is_empty());
    let service = records.service.clone();
    let (request, violations) = assess_request_from_proto(request, &service.limits);
    let Some(request) = request else {
        return Err(ApiError::InvalidArgument(violations));
    };
    let (draft, languages, formats) = (
        request.draft.clone(),
        request.languages.clone(),
        request.formats.clone(),
    );
    if let Some(key) = request_id.as_deref()
        && violations.is_empty()
        && service.bundle.municipalities.contains_key(&draft.tenant)
        && let Some(stored) = records
            .replay(&caller, &draft, key, &languages, &formats)
            .await?
    {
        let mut response = assessed_to_proto(&stored);
        response.replayed = true;
        return Ok(response);
    }
    let permit = match tokio::time::timeout_at(at.into(), slots.acquire_owned()).await {
        Ok(Ok(permit)) => permit,
        Ok(Err(_)) => return Err(ApiError::Cancelled),
        Err(_) => return Err(ApiError::DeadlineExceeded(Waited::ForSlot)),
    };
    let deadline = Deadline::at(at);
    let guard = deadline.cancel_on_drop();
    let result = tokio::task::spawn_blocking(move || {
        // the slot is held until the work has stopped
        let _permit = permit;
        service.assess(
            request,
            violations,
            time::OffsetDateTime::now_utc(),
            &deadline,
        )
    })
    .await;
    guard.disarm();
    let assessed =
        result.map_err(|e| ApiError::Internal(format!("the assessment task failed: {e}")))??;
    let id = assessed.assessment.id.clone();
    let kept = records
        .keep(&caller, draft, request_id, assessed, &languages, &formats)
        .await?;
    let mut response = assessed_to_proto(&kept);
    response.replayed = kept.assessment.id != id;
    Ok(response)
}

fn log_result(request_id: &str, result: &Result<pb::AssessResponse, ApiError>) {
    let request_id = printable(request_id, 128);
    match result {
        Ok(r) => tracing::info!(
            %request_id,
            assessment = r.assessment.as_ref().map(|a| a.id.as_str()).unwrap_or(""),
            "assessed"
        ),
        Err(e @ ApiError::InvalidArgument(_)) => {
            tracing::info!(%request_id, error = %e, "rejected")
        }
        Err(e @ (ApiError::DeadlineExceeded(_) | ApiError::Cancelled)) => {
            tracing::info!(%request_id, error = %e, "stopped")
        }
        // logged in full where the status is made
        Err(_) => {}
    }
}

/// Responses of a stream, then the status that ended it, if any.
struct ResponseStream {
    responses: mpsc::Receiver<pb::AssessResponse>,
    end: Option<oneshot::Receiver<Status>>,
}

impl Stream for ResponseStream {
    type Item = Result<pb::AssessResponse, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(r) = std::task::ready!(self.responses.poll_recv(cx)) {
            return Poll::Ready(Some(Ok(r)));
        }
        let Some(end) = self.end.as_mut() else {
            return Poll::Ready(None);
        };
        let status = std::task::ready!(Pin::new(end).poll(cx)).ok();
        self.end = None;
        Poll::Ready(status.map(Err))
    }
}

/// Responses buffered per stream before the stream waits for the client.
const STREAM_BUFFER: usize = 4;

#[tonic::async_trait]
impl pb::assessment_service_server::AssessmentService for AssessmentApi {
    async fn assess(
        &self,
        request: Request<pb::AssessRequest>,
    ) -> Result<Response<pb::AssessResponse>, Status> {
        let call = CallDeadline::of(&request);
        let at = call.for_work_from(call.received, self.limits.request_timeout);
        let caller = caller_of(&request);
        let request = request.into_inner();
        let request_id = request.request_id.clone();
        let result = run(
            self.records.clone(),
            self.slots.clone(),
            request,
            at,
            caller,
        )
        .await;
        log_result(&request_id, &result);
        Ok(Response::new(result?))
    }

    async fn get_assessment(
        &self,
        request: Request<pb::GetAssessmentRequest>,
    ) -> Result<Response<pb::StoredAssessment>, Status> {
        let caller = caller_of(&request);
        let r = request.into_inner();
        let stored = self
            .records
            .get(&caller, &r.tenant, &r.id, r.revision)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(stored_to_proto(&stored)))
    }

    async fn list_assessments(
        &self,
        request: Request<pb::ListAssessmentsRequest>,
    ) -> Result<Response<pb::ListAssessmentsResponse>, Status> {
        let caller = caller_of(&request);
        let r = request.into_inner();
        let mut violations = Violations::default();
        let query = list_query_from_proto(&r, &mut violations);
        violations
            .into_result()
            .map_err(ApiError::InvalidArgument)?;
        let (page, query) = self
            .records
            .list(&caller, query, &r.page_token)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(page_to_proto(&page, &query)))
    }

    async fn list_revisions(
        &self,
        request: Request<pb::ListRevisionsRequest>,
    ) -> Result<Response<pb::ListRevisionsResponse>, Status> {
        let caller = caller_of(&request);
        let r = request.into_inner();
        let revisions = self
            .records
            .revisions(&caller, &r.tenant, &r.id)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(revisions_to_proto(&revisions)))
    }

    async fn review_assessment(
        &self,
        request: Request<pb::ReviewAssessmentRequest>,
    ) -> Result<Response<pb::StoredAssessment>, Status> {
        let caller = caller_of(&request);
        let r = request.into_inner();
        let (tenant, id) = (r.tenant.clone(), r.id.clone());
        let mut violations = Violations::default();
        let review = review_from_proto(r, &mut violations);
        violations
            .into_result()
            .map_err(ApiError::InvalidArgument)?;
        let stored = self
            .records
            .review(&caller, &tenant, &id, review)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(stored_to_proto(&stored)))
    }

    async fn render_assessment(
        &self,
        request: Request<pb::RenderAssessmentRequest>,
    ) -> Result<Response<pb::RenderAssessmentResponse>, Status> {
        let caller = caller_of(&request);
        let r = request.into_inner();
        let mut violations = Violations::default();
        let (languages, formats) = render_choices(&r, &mut violations);
        violations
            .into_result()
            .map_err(ApiError::InvalidArgument)?;
        let (revision, rendered) = self
            .records
            .render(&caller, &r.tenant, &r.id, r.revision, &languages, &formats)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(renderings_to_proto(revision, &rendered)))
    }

    type AssessStreamStream =
        Pin<Box<dyn Stream<Item = Result<pb::AssessResponse, Status>> + Send>>;

    async fn assess_stream(
        &self,
        request: Request<Streaming<pb::AssessRequest>>,
    ) -> Result<Response<Self::AssessStreamStream>, Status> {
        let call = CallDeadline::of(&request);
        let caller = caller_of(&request);
        let incoming = request.into_inner();
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let (end_tx, end_rx) = oneshot::channel();
        let api = self.clone();
        tokio::spawn(async move {
            if let Some(status) = api.serve_stream(call, caller, incoming, tx).await {
                let _ = end_tx.send(status);
            }
        });
        Ok(Response::new(Box::pin(ResponseStream {
            responses: rx,
            end: Some(end_rx),
        })))
    }
}

impl AssessmentApi {
    /// Assesses the items of a stream in order, each under the same slots
    /// and timeout as a unary call. Returns the status that ends the stream
    /// when it does not end normally.
    async fn serve_stream(
        &self,
        call: CallDeadline,
        caller: Caller,
        mut incoming: Streaming<pb::AssessRequest>,
        tx: mpsc::Sender<pb::AssessResponse>,
    ) -> Option<Status> {
        let idle = self.limits.stream_idle_timeout;
        let client_deadline = async {
            match call.client {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(client_deadline);
        for index in 0usize.. {
            let item = tokio::select! {
                item = incoming.next() => item,
                _ = tokio::time::sleep(idle) => {
                    return Some(Status::deadline_exceeded(format!(
                        "no request arrived on the stream for {} s; the stream is closed, open a new one",
                        idle.as_secs_f64()
                    )));
                }
                _ = &mut client_deadline => return Some(deadline_passed()),
                _ = tx.closed() => return None,
            };
            let request = match item {
                None => return None,
                Some(Err(status)) => return Some(status),
                Some(Ok(request)) => request,
            };
            let at = call.for_work_from(Instant::now(), self.limits.request_timeout);
            let request_id = request.request_id.clone();
            let result = tokio::select! {
                r = run(self.records.clone(), self.slots.clone(), request, at, caller.clone()) => r,
                _ = tx.closed() => return None,
            };
            log_result(&request_id, &result);
            let response = match result {
                Ok(r) => r,
                Err(ApiError::InvalidArgument(v)) => {
                    return Some(
                        ApiError::InvalidArgument(v.prefixed(&format!("requests[{index}].")))
                            .into(),
                    );
                }
                Err(e) => return Some(e.into()),
            };
            match tokio::time::timeout(idle, tx.send(response)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return None,
                Err(_) => {
                    return Some(Status::deadline_exceeded(format!(
                        "the client took no response for {} s; the stream is closed",
                        idle.as_secs_f64()
                    )));
                }
            }
        }
        None
    }
}

fn deadline_passed() -> Status {
    Status::deadline_exceeded("the stream's deadline passed")
}

/// `eva.v1.RuleService`.
#[derive(Debug, Clone)]
pub struct RuleApi {
    service: Arc<Service>,
}

impl RuleApi {
    /// The gRPC service over `service`.
    pub fn new(service: Arc<Service>) -> Self {
        RuleApi { service }
    }
}

#[tonic::async_trait]
impl pb::rule_service_server::RuleService for RuleApi {
    async fn get_bundle_info(
        &self,
        _: Request<pb::GetBundleInfoRequest>,
    ) -> Result<Response<pb::BundleInfo>, Status> {
        Ok(Response::new(bundle_info(
            &self.service.bundle,
            self.service.loaded_at,
        )))
    }

    async fn list_taxonomy(
        &self,
        _: Request<pb::ListTaxonomyRequest>,
    ) -> Result<Response<pb::Taxonomy>, Status> {
        Ok(Response::new(taxonomy(&self.service.bundle)))
    }
}

/// `eva.v1.ReportService`.
#[derive(Debug, Clone)]
pub struct ReportApi {
    records: Records,
}

impl ReportApi {
    /// The gRPC service over `records`.
    pub fn new(records: Records) -> Self {
        ReportApi { records }
    }
}

/// The caller, tenant and period of a report request.
fn report_request(
    request: Request<pb::ReportRequest>,
) -> Result<(Caller, String, time::OffsetDateTime, time::OffsetDateTime), ApiError> {
    let caller = caller_of(&request);
    let r = request.into_inner();
    let mut violations = Violations::default();
    let period = report_period(&r, &mut violations);
    match period {
        Some((from, to)) if violations.is_empty() => Ok((caller, r.tenant, from, to)),
        _ => Err(ApiError::InvalidArgument(violations)),
    }
}

#[tonic::async_trait]
impl pb::report_service_server::ReportService for ReportApi {
    async fn summarize_goals(
        &self,
        request: Request<pb::ReportRequest>,
    ) -> Result<Response<pb::GoalSummary>, Status> {
        let (caller, tenant, from, to) = report_request(request)?;
        let summary = self
            .records
            .summarize_goals(&caller, &tenant, from, to)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(goal_summary_to_proto(&summary)))
    }

    async fn cumulative_effects(
        &self,
        request: Request<pb::ReportRequest>,
    ) -> Result<Response<pb::CumulativeEffects>, Status> {
        let (caller, tenant, from, to) = report_request(request)?;
        let effects = self
            .records
            .cumulative_effects(&caller, &tenant, from, to)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(effects_to_proto(&effects)))
    }

    async fn review_statistics(
        &self,
        request: Request<pb::ReportRequest>,
    ) -> Result<Response<pb::ReviewStatistics>, Status> {
        let (caller, tenant, from, to) = report_request(request)?;
        let tenant = Some(tenant.as_str()).filter(|t| !t.is_empty());
        let stats = self
            .records
            .review_statistics(&caller, tenant, from, to)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(review_statistics_to_proto(&stats)))
    }
}
