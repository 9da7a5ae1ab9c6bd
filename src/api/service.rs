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

use super::convert::{assessment_to_proto, draft_from_proto, localized, timestamp};
use super::pb;
use crate::domain::{Deadline, Interrupted, Language, Violations, printable, quoted};
use crate::render::{Format, RenderError};
use crate::rules::{AssessError, Bundle, Limits};

/// Most entries of `render_languages` or of `render_formats`.
pub const MAX_RENDER_CHOICES: usize = 16;

/// What every request shares: the bundle in force and the limits.
#[derive(Debug)]
pub struct Core {
    /// The rule bundle, with its templates.
    pub bundle: Bundle,
    /// Limits on drafts.
    pub limits: Limits,
    /// When the bundle was loaded.
    pub loaded_at: time::OffsetDateTime,
}

/// Where a call's time went when it ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// Every assessment slot stayed busy until the deadline.
    ForSlot,
    /// The assessment itself was not done by the deadline.
    ForAssessment,
}

/// Why a request failed.
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
    /// The bundle failed at run time.
    #[error(transparent)]
    Rule(AssessError),
    /// A template failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The task running the assessment failed.
    #[error("the assessment task failed: {0}")]
    Task(String),
}

impl From<Interrupted> for ApiError {
    fn from(i: Interrupted) -> ApiError {
        match i {
            Interrupted::DeadlineExceeded => ApiError::DeadlineExceeded(Waited::ForAssessment),
            Interrupted::Cancelled => ApiError::Cancelled,
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

impl Core {
    /// Builds the core for a loaded bundle.
    pub fn new(bundle: Bundle, limits: Limits) -> Core {
        Core {
            bundle,
            limits,
            loaded_at: time::OffsetDateTime::now_utc(),
        }
    }

    /// Handles one assess request: validation, assessment, renderings. The
    /// work stops when `deadline` passes or is cancelled.
    pub fn assess(
        &self,
        request: pb::AssessRequest,
        now: time::OffsetDateTime,
        deadline: &Deadline,
    ) -> Result<pb::AssessResponse, ApiError> {
        let mut violations = Violations::new();
        if request.request_id.len() > self.limits.max_field_bytes {
            violations.add(
                "request_id",
                format!(
                    "has {} bytes, over the limit of {} bytes; send a short correlation id",
                    request.request_id.len(),
                    self.limits.max_field_bytes
                ),
            );
        }
        let mut languages = render_languages(&request.render_languages, &mut violations);
        let formats = render_formats(&request.render_formats, &mut violations);
        let Some(draft) = request.draft else {
            violations.add("draft", "is missing; send the draft decision to assess");
            return Err(ApiError::InvalidArgument(violations));
        };
        let draft = draft_from_proto(draft, &mut violations);
        let assessment =
            match crate::rules::assess(&self.bundle, &draft, &self.limits, now, deadline) {
                Ok(a) => a,
                Err(AssessError::InvalidDraft(v)) => {
                    violations.append(v);
                    return Err(ApiError::InvalidArgument(violations));
                }
                Err(AssessError::Interrupted(i)) => return Err(i.into()),
                Err(e) => return Err(ApiError::Rule(e)),
            };
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        if languages.is_empty() {
            languages.push(assessment.language);
        }
        let mut renderings = Vec::new();
        for &format in &formats {
            for &lang in &languages {
                deadline.check()?;
                let content = self.bundle.render(&assessment, format, lang)?;
                renderings.push(pb::Rendering {
                    format: match format {
                        Format::Html => pb::RenderFormat::Html,
                        Format::Markdown => pb::RenderFormat::Markdown,
                        Format::Text => pb::RenderFormat::Text,
                    } as i32,
                    language: lang.code().to_string(),
                    media_type: format.media_type().to_string(),
                    content,
                });
            }
        }
        Ok(pb::AssessResponse {
            assessment: Some(assessment_to_proto(&assessment)),
            renderings,
        })
    }
}

/// The rendering languages asked for, each once in the order asked.
fn render_languages(codes: &[String], violations: &mut Violations) -> Vec<Language> {
    let mut out = Vec::new();
    if too_many("render_languages", codes.len(), violations) {
        return out;
    }
    for (i, code) in codes.iter().enumerate() {
        match Language::parse(code) {
            Some(l) if !out.contains(&l) => out.push(l),
            Some(_) => {}
            None => violations.add(
                format!("render_languages[{i}]"),
                format!(
                    "{} is not a rendering language; use fi, sv or en",
                    quoted(code)
                ),
            ),
        }
    }
    out
}

/// The rendering formats asked for, each once in the order asked.
fn render_formats(codes: &[i32], violations: &mut Violations) -> Vec<Format> {
    let mut out = Vec::new();
    if too_many("render_formats", codes.len(), violations) {
        return out;
    }
    for (i, &code) in codes.iter().enumerate() {
        let format = match pb::RenderFormat::try_from(code) {
            Ok(pb::RenderFormat::Html) => Format::Html,
            Ok(pb::RenderFormat::Markdown) => Format::Markdown,
            Ok(pb::RenderFormat::Text) => Format::Text,
            _ => {
                violations.add(
                    format!("render_formats[{i}]"),
                    format!("{code} is an unknown or unspecified format; use RENDER_FORMAT_HTML, RENDER_FORMAT_MARKDOWN or RENDER_FORMAT_TEXT"),
                );
                continue;
            }
        };
        if !out.contains(&format) {
            out.push(format);
        }
    }
    out
}

fn too_many(field: &str, n: usize, violations: &mut Violations) -> bool {
    if n > MAX_RENDER_CHOICES {
        violations.add(
            field,
            format!(
                "has {n} entries, over the limit of {MAX_RENDER_CHOICES}; ask for each at most once"
            ),
        );
        return true;
    }
    false
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
    core: Arc<Core>,
    slots: Arc<Semaphore>,
    limits: CallLimits,
}

impl AssessmentApi {
    /// The service over `core`.
    pub fn new(core: Arc<Core>, limits: CallLimits) -> Self {
        AssessmentApi {
            core,
            slots: Arc::new(Semaphore::new(limits.max_concurrent_assessments.max(1))),
            limits,
        }
    }
}

/// Runs one assessment: waits for a slot until `at`, then assesses on the
/// blocking pool with `at` as the deadline. Dropping the returned future
/// (the caller went away, the deadline fired outside) stops the work.
async fn run(
    core: Arc<Core>,
    slots: Arc<Semaphore>,
    request: pb::AssessRequest,
    at: Instant,
) -> Result<pb::AssessResponse, ApiError> {
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
        core.assess(request, time::OffsetDateTime::now_utc(), &deadline)
    })
    .await;
    guard.disarm();
    result.map_err(|e| ApiError::Task(e.to_string()))?
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
        let request = request.into_inner();
        let request_id = request.request_id.clone();
        let result = run(self.core.clone(), self.slots.clone(), request, at).await;
        log_result(&request_id, &result);
        Ok(Response::new(result?))
    }

    type AssessStreamStream =
        Pin<Box<dyn Stream<Item = Result<pb::AssessResponse, Status>> + Send>>;

    async fn assess_stream(
        &self,
        request: Request<Streaming<pb::AssessRequest>>,
    ) -> Result<Response<Self::AssessStreamStream>, Status> {
        let call = CallDeadline::of(&request);
        let incoming = request.into_inner();
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let (end_tx, end_rx) = oneshot::channel();
        let api = self.clone();
        tokio::spawn(async move {
            if let Some(status) = api.serve_stream(call, incoming, tx).await {
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
                r = run(self.core.clone(), self.slots.clone(), request, at) => r,
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
    core: Arc<Core>,
}

impl RuleApi {
    /// The service over `core`.
    pub fn new(core: Arc<Core>) -> Self {
        RuleApi { core }
    }
}

#[tonic::async_trait]
impl pb::rule_service_server::RuleService for RuleApi {
    async fn get_bundle_info(
        &self,
        _: Request<pb::GetBundleInfoRequest>,
    ) -> Result<Response<pb::BundleInfo>, Status> {
        let b = &self.core.bundle;
        Ok(Response::new(pb::BundleInfo {
            id: b.id.clone(),
            version: b.version.clone(),
            digest: b.digest.clone(),
            description: Some(localized(&b.description)),
            rule_count: b.rules.len() as u32,
            concept_count: b.concepts.len() as u32,
            plans: b
                .plans
                .values()
                .map(|p| pb::PlanRef {
                    id: p.id.clone(),
                    title: Some(localized(&p.title)),
                    period: p.period.clone(),
                })
                .collect(),
            tenants: b.plans.keys().cloned().collect(),
            facts: b
                .facts
                .iter()
                .map(|f| pb::FactSpec {
                    name: f.name.clone(),
                    r#type: f.kind.name().to_string(),
                    description: Some(localized(&f.description)),
                })
                .collect(),
            loaded_at: Some(timestamp(self.core.loaded_at)),
        }))
    }

    async fn list_taxonomy(
        &self,
        _: Request<pb::ListTaxonomyRequest>,
    ) -> Result<Response<pb::Taxonomy>, Status> {
        let b = &self.core.bundle;
        let entries = |list: &[crate::rules::bundle::Entry]| {
            list.iter()
                .map(|e| pb::TaxonomyEntry {
                    id: e.id.clone(),
                    label: Some(localized(&e.label)),
                })
                .collect()
        };
        Ok(Response::new(pb::Taxonomy {
            determinants: entries(&b.determinants),
            groups: entries(&b.groups),
        }))
    }
}
