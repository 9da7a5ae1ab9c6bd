//! `lexicon/*.yaml`: concepts with their Finnish and Swedish terms, and
//! families of concepts that conditions test as one.

use std::collections::BTreeSet;

use super::taxonomy::Taxonomy;
use super::{Kind, Loader};
use crate::rules::bundle::format::{FamilyFile, LexiconFile, line_of};
use crate::rules::bundle::model::{Concept, Family};
use crate::text::{Matcher, MorphLanguage};

/// The concepts, their families and the matchers built from their terms.
pub(super) struct Lexicon {
    pub(super) concepts: Vec<Concept>,
    pub(super) families: Vec<Family>,
    /// Concept and family ids: what a condition may test.
    pub(super) names: BTreeSet<String>,
    pub(super) matcher_fi: Matcher,
    pub(super) matcher_sv: Matcher,
}

/// The terms of each concept, in one language.
type Terms = Vec<(String, Vec<String>)>;

impl Loader {
    pub(super) fn lexicon<'a>(
        &mut self,
        files: impl Iterator<Item = (&'a str, &'a str)>,
        taxonomy: &Taxonomy,
    ) -> Lexicon {
        let mut concepts = Vec::new();
        let (mut terms_fi, mut terms_sv) = (Terms::new(), Terms::new());
        let mut ids = BTreeSet::new();
        let mut family_files = Vec::new();
        for (file, text) in files {
            let Some(lex) = self.parse::<LexiconFile>(file, text) else {
                continue;
            };
            family_files.push((file, lex.families));
            for c in lex.concepts {
                self.check_text(file, &c.label, &format!("concept `{}`", c.id.as_str()));
                if !ids.insert(c.id.as_str().to_string()) {
                    self.err(
                        Kind::Duplicate,
                        file,
                        line_of(&c.id),
                        format!("duplicate concept `{}`", c.id.as_str()),
                    );
                    continue;
                }
                if c.fi.is_empty() || c.sv.is_empty() {
                    self.err(
                        Kind::Missing,
                        file,
                        line_of(&c.id),
                        format!(
                            "concept `{}` needs terms under both fi and sv",
                            c.id.as_str()
                        ),
                    );
                }
                concepts.push(Concept {
                    id: c.id.as_str().to_string(),
                    label: (*c.label).clone(),
                    learned: c.learned,
                });
                terms_fi.push((c.id.as_str().to_string(), c.fi));
                terms_sv.push((c.id.as_str().to_string(), c.sv));
            }
        }
        for (c, line) in &taxonomy.concept_refs {
            if !ids.contains(c) {
                self.err(
                    Kind::Unknown,
                    "taxonomy.yaml",
                    *line,
                    format!("unknown concept `{c}`; define it in a lexicon file"),
                );
            }
        }
        let families = self.families(family_files, &ids);
        let matcher = |language, terms: &Terms| {
            Matcher::new(
                language,
                terms.iter().map(|(c, t)| (c.as_str(), t.as_slice())),
            )
        };
        Lexicon {
            concepts,
            names: ids
                .into_iter()
                .chain(families.iter().map(|f| f.id.clone()))
                .collect(),
            families,
            matcher_fi: matcher(MorphLanguage::Finnish, &terms_fi),
            matcher_sv: matcher(MorphLanguage::Swedish, &terms_sv),
        }
    }

    /// The families of each lexicon file: an id of their own and at least
    /// two different member concepts of `ids`.
    fn families(
        &mut self,
        files: Vec<(&str, Vec<FamilyFile>)>,
        ids: &BTreeSet<String>,
    ) -> Vec<Family> {
        let mut families: Vec<Family> = Vec::new();
        for (file, list) in files {
            for f in list {
                let id = f.id.as_str().to_string();
                if ids.contains(&id) || families.iter().any(|x| x.id == id) {
                    self.err(
                        Kind::Duplicate,
                        file,
                        line_of(&f.id),
                        format!("family `{id}` has the id of a concept or another family; give it an id of its own"),
                    );
                    continue;
                }
                let distinct: BTreeSet<&str> = f.members.iter().map(|m| m.as_str()).collect();
                if distinct.len() < 2 {
                    self.err(
                        Kind::Invalid,
                        file,
                        line_of(&f.id),
                        format!("family `{id}` needs at least two different member concepts"),
                    );
                }
                for m in &f.members {
                    if !ids.contains(m.as_str()) {
                        self.err(
                            Kind::Unknown,
                            file,
                            line_of(m),
                            format!(
                                "unknown concept `{}` in family `{id}`; members are concept ids from a lexicon file",
                                m.as_str()
                            ),
                        );
                    }
                }
                families.push(Family {
                    id,
                    members: f.members.iter().map(|m| m.as_str().to_string()).collect(),
                });
            }
        }
        families
    }
}
