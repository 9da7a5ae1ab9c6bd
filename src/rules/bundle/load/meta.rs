//! `bundle.yaml`: the bundle's id, version, description and declared facts.

use std::collections::BTreeSet;

use super::Loader;
use crate::domain::Localized;
use crate::rules::bundle::format::{BundleFile, line_of};
use crate::rules::bundle::model::{FactKind, FactSpec};

/// What `bundle.yaml` declares.
pub(super) struct Meta {
    pub(super) id: String,
    pub(super) version: String,
    pub(super) description: Localized,
    pub(super) facts: Vec<FactSpec>,
}

impl Loader {
    pub(super) fn meta(&mut self, text: &str) -> Option<Meta> {
        const FILE: &str = "bundle.yaml";
        let meta: BundleFile = self.parse(FILE, text)?;
        self.check_text(FILE, &meta.description, "the description");
        let mut seen = BTreeSet::new();
        let mut facts = Vec::new();
        for f in &meta.facts {
            let kind = self.enum_value(
                FILE,
                &f.kind,
                "fact type",
                &FactKind::ALL.map(|k| (k.name(), k)),
            );
            self.check_text(FILE, &f.description, &format!("fact `{}`", f.name.as_str()));
            if !seen.insert(f.name.as_str().to_string()) {
                self.err(
                    super::Kind::Duplicate,
                    FILE,
                    line_of(&f.name),
                    format!("duplicate fact `{}`", f.name.as_str()),
                );
            }
            if let Some(kind) = kind {
                facts.push(FactSpec {
                    name: f.name.as_str().to_string(),
                    kind,
                    description: (*f.description).clone(),
                });
            }
        }
        Some(Meta {
            id: meta.id.as_str().to_string(),
            version: meta.version.as_str().to_string(),
            description: (*meta.description).clone(),
            facts,
        })
    }
}
