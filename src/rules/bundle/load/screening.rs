//! `screening.yaml`: exemptions for routine administration, and when a
//! verdict no rule gave is in doubt.

use std::collections::BTreeSet;

use super::{Known, Loader, Schemas, concept_tests};
use crate::rules::bundle::format::ScreeningFile;
use crate::rules::bundle::model::{Condition, Exemption};

const FILE: &str = "screening.yaml";

impl Loader {
    pub(super) fn screening(
        &mut self,
        text: Option<&str>,
        known: &Known,
        schemas: &Schemas,
    ) -> (Vec<Exemption>, Option<Condition>) {
        let mut exemptions = Vec::new();
        let Some(s) = text.and_then(|t| self.parse::<ScreeningFile>(FILE, t)) else {
            return (exemptions, None);
        };
        let mut seen = BTreeSet::new();
        for e in s.exemptions {
            let what = format!("exemption `{}`", e.id.as_str());
            self.check_text(FILE, &e.label, &what);
            self.check_text(FILE, &e.reason, &what);
            self.check_unique(&mut seen, FILE, &e.id, "exemption");
            self.check_concepts(FILE, &e.when, &known.names);
            if let Some(condition) = self.condition(FILE, &e.when, &schemas.draft, known) {
                exemptions.push(Exemption {
                    id: e.id.as_str().to_string(),
                    label: (*e.label).clone(),
                    reason: (*e.reason).clone(),
                    strict: e.strict,
                    when: e.when.as_str().to_string(),
                    condition,
                    evidence_concepts: concept_tests(&e.when)
                        .into_iter()
                        .filter(|s| known.names.contains(s))
                        .collect(),
                });
            }
        }
        let doubt = s.doubt.and_then(|d| {
            self.check_concepts(FILE, &d.when, &known.names);
            self.condition(FILE, &d.when, &schemas.draft, known)
        });
        (exemptions, doubt)
    }
}
