//! Problems in a bundle, each with its file, line and kind, shown as
//! `file:line: message` the way compilers show theirs.

use std::fmt;
use std::path::Path;

/// What kind of problem a bundle error is, for tools that sort or count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleErrorKind {
    /// A file cannot be read.
    Io,
    /// A file or an entry the bundle needs is not there.
    Missing,
    /// A file is not valid YAML, or not in the bundle's format.
    Format,
    /// A text lacks one of fi, sv and en.
    Translation,
    /// An id is used twice.
    Duplicate,
    /// A reference to something the bundle does not define.
    Unknown,
    /// A condition does not compile or does not type-check.
    Condition,
    /// A template does not parse or does not render.
    Template,
    /// A value that is not allowed where it stands.
    Invalid,
}

/// One problem in a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleError {
    /// File relative to the bundle root (empty for the bundle as a whole).
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// What kind of problem it is.
    pub kind: BundleErrorKind,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl BundleError {
    pub(crate) fn new(
        kind: BundleErrorKind,
        file: &str,
        line: usize,
        message: impl Into<String>,
    ) -> Self {
        BundleError {
            file: file.to_string(),
            line,
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn io(path: &Path, e: &std::io::Error) -> Self {
        BundleError::new(
            BundleErrorKind::Io,
            &path.display().to_string(),
            0,
            format!("cannot read: {e}"),
        )
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file.is_empty(), self.line) {
            (true, _) => write!(f, "{}", self.message),
            (false, 0) => write!(f, "{}: {}", self.file, self.message),
            (false, line) => write!(f, "{}:{}: {}", self.file, line, self.message),
        }
    }
}

impl std::error::Error for BundleError {}

/// All problems that stopped a bundle from loading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct BundleErrors(pub Vec<BundleError>);

impl fmt::Display for BundleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "the rule bundle has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}
