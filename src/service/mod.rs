//! The service layer: what a caller asks of eva, in domain terms. The gRPC
//! layer converts protobuf messages into these types and maps the errors
//! to statuses; the command line calls the service directly. Nothing here
//! knows protobuf or the transport. [`Records`] adds the store: what the
//! server keeps of each assessment, and who read it.

pub mod ledger;
mod records;

pub use records::{ALL_TENANTS, Caller, RecordError, Records};

use crate::domain::{Assessment, Deadline, Draft, Interrupted, Language, Violations};
use crate::render::{Format, RenderError};
use crate::rules::{AssessError, Bundle, Limits};

/// The bundle in force and the limits on drafts: what every call shares.
#[derive(Debug)]
pub struct Service {
    /// The rule bundle, with its templates.
    pub bundle: Bundle,
    /// Limits on drafts.
    pub limits: Limits,
    /// When the bundle was loaded.
    pub loaded_at: time::OffsetDateTime,
}

/// A draft to assess and the renderings wanted of its assessment.
#[derive(Debug, Clone)]
pub struct AssessRequest {
    /// The draft decision.
    pub draft: Draft,
    /// Languages of the renderings, each once; empty means the draft's
    /// own and, in a bilingual municipality, the other official language.
    pub languages: Vec<Language>,
    /// Formats of the renderings, each once; empty means none.
    pub formats: Vec<Format>,
}

/// One rendering of an assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendering {
    /// Its format.
    pub format: Format,
    /// Its language.
    pub language: Language,
    /// The rendered text.
    pub content: String,
}

/// An assessment and its renderings, in the order asked: each format in
/// every language.
#[derive(Debug, Clone)]
pub struct Assessed {
    /// The assessment.
    pub assessment: Assessment,
    /// The renderings.
    pub renderings: Vec<Rendering>,
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is wrong; nothing was assessed.
    #[error("invalid request: {0}")]
    InvalidArgument(Violations),
    /// The deadline passed, or the caller went away, first.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    /// The bundle failed at run time.
    #[error(transparent)]
    Rule(AssessError),
    /// A template failed.
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl Service {
    /// The service of a loaded bundle.
    pub fn new(bundle: Bundle, limits: Limits) -> Service {
        Service {
            bundle,
            limits,
            loaded_at: time::OffsetDateTime::now_utc(),
        }
    }

    /// Assesses a draft and renders the assessment. `violations` are the
    /// problems the caller found in the rest of its request; they are
    /// reported together with the draft's. The work stops when `deadline`
    /// passes or is cancelled.
    pub fn assess(
        &self,
        request: AssessRequest,
        mut violations: Violations,
        now: time::OffsetDateTime,
        deadline: &Deadline,
    ) -> Result<Assessed, ServiceError> {
        let assessment =
            match crate::rules::assess(&self.bundle, &request.draft, &self.limits, now, deadline) {
                Ok(a) => a,
                Err(AssessError::InvalidDraft(v)) => {
                    violations.append(v);
                    return Err(ServiceError::InvalidArgument(violations));
                }
                Err(AssessError::Interrupted(i)) => return Err(i.into()),
                Err(e) => return Err(ServiceError::Rule(e)),
            };
        if !violations.is_empty() {
            return Err(ServiceError::InvalidArgument(violations));
        }
        self.rendered(assessment, &request.languages, &request.formats, deadline)
    }

    /// An assessment with its renderings: each of `formats` in each of
    /// `languages` (empty: the default languages of its municipality).
    pub fn rendered(
        &self,
        assessment: Assessment,
        languages: &[Language],
        formats: &[Format],
        deadline: &Deadline,
    ) -> Result<Assessed, ServiceError> {
        let languages = if languages.is_empty() {
            default_languages(&assessment)
        } else {
            languages.to_vec()
        };
        let mut renderings = Vec::new();
        for &format in formats {
            for &language in &languages {
                deadline.check()?;
                renderings.push(Rendering {
                    format,
                    language,
                    content: self.bundle.render(&assessment, format, language)?,
                });
            }
        }
        Ok(Assessed {
            assessment,
            renderings,
        })
    }
}

/// The languages of renderings nobody asked a language for: the draft's
/// own, and in a bilingual municipality its other official language, so
/// that the assessment can go to the minutes in both (Kielilaki 423/2003
/// 29 §).
fn default_languages(assessment: &Assessment) -> Vec<Language> {
    let mut languages = vec![assessment.language];
    if assessment.municipality.bilingual() {
        languages.extend(
            assessment
                .municipality
                .languages
                .iter()
                .filter(|l| **l != assessment.language),
        );
    }
    languages
}
