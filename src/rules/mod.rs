//! The rule bundle: loading and validation ([`bundle`]), what conditions
//! read ([`input`]) and their language ([`condition`]), validating drafts
//! and assessing them ([`engine`]).
pub mod bundle;
pub mod condition;
pub mod engine;
pub mod input;
mod limits;
mod validate;

pub use bundle::{Bundle, BundleError, BundleErrors, BundleSource, DirSource, MemorySource};
pub use engine::{AssessError, ScreeningFeatures, screening_features};
pub use limits::{DEFAULT_MAX_TEXT_BYTES, Limits};
pub use validate::{ValidDraft, validate};

/// Validates a draft against the bundle and the limits, then assesses it;
/// see [`engine::assess`].
pub fn assess(
    bundle: &Bundle,
    draft: &crate::domain::Draft,
    limits: &Limits,
    now: time::OffsetDateTime,
    deadline: &crate::domain::Deadline,
) -> Result<crate::domain::Assessment, AssessError> {
    let valid = validate(bundle, draft, limits).map_err(AssessError::InvalidDraft)?;
    engine::assess(bundle, &valid, now, deadline)
}

/// Parses a `YYYY-MM-DD` date.
pub(crate) fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// A message from a library with its first letter lower-cased and no final
/// period, as our messages are written.
pub(crate) fn lowercase_first(s: &str) -> String {
    let mut chars = s.trim_end_matches('.').chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
