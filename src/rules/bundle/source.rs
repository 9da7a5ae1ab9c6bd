//! Where a bundle's files come from: a directory on disk, or memory (tests
//! and tools need no files unless they test files).

use std::path::{Path, PathBuf};

use super::BundleError;

/// Where the files of a bundle come from.
pub trait BundleSource {
    /// A name for messages, such as the directory.
    fn describe(&self) -> String;
    /// Every file as (path relative to the bundle root, with `/`, contents).
    fn files(&self) -> Result<Vec<(String, String)>, BundleError>;
}

/// A bundle in a directory on disk.
#[derive(Debug, Clone)]
pub struct DirSource {
    root: PathBuf,
}

impl DirSource {
    /// A bundle rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirSource { root: root.into() }
    }
}

impl BundleSource for DirSource {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn files(&self) -> Result<Vec<(String, String)>, BundleError> {
        let mut out = Vec::new();
        collect_files(&self.root, &self.root, &mut out)?;
        out.sort();
        Ok(out)
    }
}

fn collect_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, String)>,
) -> Result<(), BundleError> {
    let entries = std::fs::read_dir(dir).map_err(|e| BundleError::io(dir, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| BundleError::io(dir, &e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect_files(root, &path, out)?;
        } else if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".j2") {
            let text = std::fs::read_to_string(&path).map_err(|e| BundleError::io(&path, &e))?;
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .collect::<Vec<_>>()
                .join("/");
            out.push((rel, text));
        }
    }
    Ok(())
}

/// A bundle held in memory, for tests and tools.
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    /// (relative path, contents).
    pub files: Vec<(String, String)>,
}

impl BundleSource for MemorySource {
    fn describe(&self) -> String {
        "in-memory bundle".to_string()
    }

    fn files(&self) -> Result<Vec<(String, String)>, BundleError> {
        let mut files = self.files.clone();
        files.sort();
        Ok(files)
    }
}
