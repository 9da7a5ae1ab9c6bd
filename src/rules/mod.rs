//! The rule bundle: loading and validation ([`bundle`]), the condition
//! language ([`condition`]) and assessment ([`engine`]).
pub mod bundle;
pub mod condition;
pub mod engine;

pub use bundle::{Bundle, BundleError, BundleErrors, BundleSource, DirSource, MemorySource};
pub use engine::{AssessError, FieldViolation, Limits, assess, validate, verdict_code};
