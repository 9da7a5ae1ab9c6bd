//! gRPC service implementations over a shared [`Core`].

use std::pin::Pin;
use std::sync::Arc;

use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};
use tonic_types::{ErrorDetails, StatusExt};

use super::convert::{assessment_to_proto, draft_from_proto, localized, timestamp};
use super::pb;
use crate::domain::Language;
use crate::render::{Format, RenderError, Renderer};
use crate::rules::{AssessError, Bundle, FieldViolation, Limits};

/// What every request shares: the bundle in force, its renderer and limits.
#[derive(Debug)]
pub struct Core {
    /// The rule bundle.
    pub bundle: Bundle,
    /// Its templates.
    pub renderer: Renderer,
    /// Limits on drafts.
    pub limits: Limits,
    /// When the bundle was loaded.
    pub loaded_at: time::OffsetDateTime,
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is wrong; nothing was assessed.
    #[error("invalid request: {}", .0.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; "))]
    InvalidArgument(Vec<FieldViolation>),
    /// The bundle failed at run time.
    #[error(transparent)]
    Rule(AssessError),
    /// A template failed.
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Status {
        match e {
            ApiError::InvalidArgument(violations) => {
                let mut details = ErrorDetails::new();
                for v in &violations {
                    details.add_bad_request_violation(v.field.clone(), v.description.clone());
                }
                let message = match violations.as_slice() {
                    [one] => format!("{}: {}", one.field, one.description),
                    many => format!(
                        "the request has {} problems; see the field violations",
                        many.len()
                    ),
                };
                Status::with_error_details(tonic::Code::InvalidArgument, message, details)
            }
            other => {
                tracing::error!(error = %other, "assessment failed");
                Status::internal(
                    "the assessment could not be completed; the service log has the details",
                )
            }
        }
    }
}

impl Core {
    /// Builds the core for a loaded bundle.
    pub fn new(bundle: Bundle, limits: Limits) -> Result<Core, RenderError> {
        let renderer = Renderer::new(&bundle)?;
        Ok(Core {
            bundle,
            renderer,
            limits,
            loaded_at: time::OffsetDateTime::now_utc(),
        })
    }

    /// Handles one assess request: validation, assessment, renderings.
    pub fn assess(
        &self,
        request: pb::AssessRequest,
        now: time::OffsetDateTime,
    ) -> Result<pb::AssessResponse, ApiError> {
        let mut violations = Vec::new();
        let mut languages = Vec::new();
        for (i, code) in request.render_languages.iter().enumerate() {
            match Language::parse(code) {
                Some(l) => languages.push(l),
                None => violations.push(FieldViolation {
                    field: format!("render_languages[{i}]"),
                    description: format!("`{code}` is not a rendering language; use fi, sv or en"),
                }),
            }
        }
        let mut formats = Vec::new();
        for (i, f) in request.render_formats.iter().enumerate() {
            match pb::RenderFormat::try_from(*f) {
                Ok(pb::RenderFormat::Html) => formats.push(Format::Html),
                Ok(pb::RenderFormat::Markdown) => formats.push(Format::Markdown),
                Ok(pb::RenderFormat::Text) => formats.push(Format::Text),
                _ => violations.push(FieldViolation {
                    field: format!("render_formats[{i}]"),
                    description: "unknown or unspecified format; use RENDER_FORMAT_HTML, RENDER_FORMAT_MARKDOWN or RENDER_FORMAT_TEXT".into(),
                }),
            }
        }
        let Some(draft) = request.draft else {
            violations.push(FieldViolation {
                field: "draft".into(),
                description: "is missing; send the draft decision to assess".into(),
            });
            return Err(ApiError::InvalidArgument(violations));
        };
        let draft = draft_from_proto(draft);
        let assessment = match crate::rules::assess(&self.bundle, &draft, &self.limits, now) {
            Ok(a) => a,
            Err(AssessError::InvalidDraft(mut v)) => {
                violations.append(&mut v);
                return Err(ApiError::InvalidArgument(violations));
            }
            Err(e) => return Err(ApiError::Rule(e)),
        };
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        if languages.is_empty() {
            languages.push(assessment.language);
        }
        keep_first_of_each(&mut languages);
        keep_first_of_each(&mut formats);
        let mut renderings = Vec::new();
        for &format in &formats {
            for &lang in &languages {
                let content = self
                    .renderer
                    .render(&self.bundle, &assessment, format, lang)?;
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

/// `eva.v1.AssessmentService`.
#[derive(Debug, Clone)]
pub struct AssessmentApi {
    core: Arc<Core>,
}

impl AssessmentApi {
    /// The service over `core`.
    pub fn new(core: Arc<Core>) -> Self {
        AssessmentApi { core }
    }
}

type ResponseStream = Pin<Box<dyn Stream<Item = Result<pb::AssessResponse, Status>> + Send>>;

#[tonic::async_trait]
impl pb::assessment_service_server::AssessmentService for AssessmentApi {
    async fn assess(
        &self,
        request: Request<pb::AssessRequest>,
    ) -> Result<Response<pb::AssessResponse>, Status> {
        let request = request.into_inner();
        let request_id = request.request_id.clone();
        let core = self.core.clone();
        let result = tokio::task::spawn_blocking(move || {
            core.assess(request, time::OffsetDateTime::now_utc())
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "assessment task failed");
            Status::internal(
                "the assessment could not be completed; the service log has the details",
            )
        })?;
        match &result {
            Ok(r) => tracing::info!(
                request_id,
                assessment = r.assessment.as_ref().map(|a| a.id.as_str()).unwrap_or(""),
                "assessed"
            ),
            Err(e) => tracing::info!(request_id, error = %e, "rejected"),
        }
        Ok(Response::new(result?))
    }

    type AssessStreamStream = ResponseStream;

    async fn assess_stream(
        &self,
        request: Request<Streaming<pb::AssessRequest>>,
    ) -> Result<Response<ResponseStream>, Status> {
        let mut incoming = request.into_inner();
        let core = self.core.clone();
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        tokio::spawn(async move {
            let mut index = 0usize;
            while let Some(item) = incoming.next().await {
                let result = match item {
                    Ok(req) => {
                        let core = core.clone();
                        match tokio::task::spawn_blocking(move || {
                            core.assess(req, time::OffsetDateTime::now_utc())
                        })
                        .await
                        {
                            Ok(Ok(resp)) => Ok(resp),
                            Ok(Err(ApiError::InvalidArgument(mut v))) => {
                                for x in &mut v {
                                    x.field = format!("requests[{index}].{}", x.field);
                                }
                                Err(Status::from(ApiError::InvalidArgument(v)))
                            }
                            Ok(Err(e)) => Err(Status::from(e)),
                            Err(_) => Err(Status::internal(
                                "the assessment could not be completed; the service log has the details",
                            )),
                        }
                    }
                    Err(status) => Err(status),
                };
                let stop = result.is_err();
                if tx.send(result).await.is_err() || stop {
                    break;
                }
                index += 1;
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
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

/// Drops repeats, keeping the first of each in its place (the order asked
/// for is the order of the renderings).
fn keep_first_of_each<T: PartialEq + Copy>(items: &mut Vec<T>) {
    let mut seen = Vec::new();
    items.retain(|x| {
        let first = !seen.contains(x);
        seen.push(*x);
        first
    });
}
