//! `taxonomy.yaml`: determinants, population groups, assessment kinds and
//! age bands.

use std::collections::BTreeSet;

use super::{Kind, Loader};
use crate::rules::bundle::format::{TaxonomyFile, line_of};
use crate::rules::bundle::model::{AgeBands, Entry};

const FILE: &str = "taxonomy.yaml";

/// The taxonomy, and the concepts it names, to be checked against the
/// lexicon (concept id, line).
pub(super) struct Taxonomy {
    pub(super) determinants: Vec<Entry>,
    pub(super) groups: Vec<Entry>,
    pub(super) kinds: Vec<Entry>,
    pub(super) age_bands: AgeBands,
    pub(super) concept_refs: Vec<(String, usize)>,
}

impl Loader {
    pub(super) fn taxonomy(&mut self, text: Option<&str>) -> Taxonomy {
        let mut out = Taxonomy {
            determinants: Vec::new(),
            groups: Vec::new(),
            kinds: Vec::new(),
            age_bands: AgeBands::default(),
            concept_refs: Vec::new(),
        };
        let Some(text) = text else {
            self.err(
                Kind::Missing,
                FILE,
                0,
                "missing; a bundle needs the taxonomy of determinants and groups",
            );
            return out;
        };
        let Some(t) = self.parse::<TaxonomyFile>(FILE, text) else {
            return out;
        };
        let mut band_refs = Vec::new();
        if let Some(b) = &t.age_bands {
            for g in &b.groups {
                out.age_bands.groups.push(g.as_str().to_string());
                band_refs.push((g.as_str().to_string(), line_of(g)));
            }
            for c in &b.broad_concepts {
                out.age_bands.broad_concepts.push(c.as_str().to_string());
                out.concept_refs.push((c.as_str().to_string(), line_of(c)));
            }
        }
        for (list, entries) in [
            (&t.determinants, &mut out.determinants),
            (&t.groups, &mut out.groups),
            (&t.assessment_kinds, &mut out.kinds),
        ] {
            let mut seen = BTreeSet::new();
            for e in list {
                self.check_text(FILE, &e.label, &format!("`{}`", e.id.as_str()));
                self.check_unique(&mut seen, FILE, &e.id, "id");
                for c in &e.concepts {
                    out.concept_refs.push((c.as_str().to_string(), line_of(c)));
                }
                entries.push(Entry {
                    id: e.id.as_str().to_string(),
                    label: (*e.label).clone(),
                    concepts: e.concepts.iter().map(|c| c.as_str().to_string()).collect(),
                });
            }
        }
        for (g, line) in &band_refs {
            match out.groups.iter().find(|e| &e.id == g) {
                None => self.err(
                    Kind::Unknown,
                    FILE,
                    *line,
                    format!("age band `{g}` is not a population group; use an id under groups"),
                ),
                Some(e) if e.concepts.is_empty() => self.err(
                    Kind::Invalid,
                    FILE,
                    *line,
                    format!(
                        "age band `{g}` has no concepts, so no text can name it; give the group concepts or leave it out of age_bands"
                    ),
                ),
                Some(_) => {}
            }
        }
        out
    }
}
