//! Reading a bundle's files into a [`Bundle`], one step per file kind, each
//! returning a typed part: `meta` (bundle.yaml), `taxonomy`, `lexicon`,
//! `questions`, `rules`, `screening`, `model` (the learned screening
//! component), `municipalities`, `plans` and `templates`. Every problem is collected with its file, line and kind
//! before loading fails, so an administrator sees them all at once.

mod lexicon;
mod meta;
mod model;
pub use model::FILE as MODEL_FILE;
mod municipalities;
mod plans;
mod questions;
mod rules;
mod screening;
mod taxonomy;
mod templates;

use std::collections::BTreeSet;

use marked_yaml::Spanned;

use super::error::BundleErrorKind as Kind;
use super::format::line_of;
use super::{Bundle, BundleError, BundleErrors, Compiled, Condition, Conditions};
use crate::domain::Localized;
use crate::rules::condition::{ConditionLanguage, Membership};
use crate::rules::input;
use crate::rules::lowercase_first;

/// Collects the problems of one load.
#[derive(Default)]
pub(crate) struct Loader {
    errors: Vec<BundleError>,
}

/// A bundle's files by path.
struct Files<'a>(&'a [(String, String)]);

impl<'a> Files<'a> {
    fn get(&self, name: &str) -> Option<&'a str> {
        self.0
            .iter()
            .find(|(p, _)| p == name)
            .map(|(_, t)| t.as_str())
    }

    /// The YAML files under `dir`, in path order.
    fn under<'d>(&self, dir: &'d str) -> impl Iterator<Item = (&'a str, &'a str)> + use<'a, 'd> {
        let files = self.0;
        files
            .iter()
            .filter(move |(p, _)| {
                p.starts_with(dir) && (p.ends_with(".yaml") || p.ends_with(".yml"))
            })
            .map(|(p, t)| (p.as_str(), t.as_str()))
    }

    /// BLAKE3 over every file's path and contents.
    fn digest(&self) -> String {
        let mut hasher = blake3::Hasher::new();
        for (path, text) in self.0 {
            hasher.update(&(path.len() as u64).to_le_bytes());
            hasher.update(path.as_bytes());
            hasher.update(&(text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        }
        hasher.finalize().to_hex().to_string()
    }
}

impl Loader {
    pub(crate) fn load(mut self, files: Vec<(String, String)>) -> Result<Bundle, BundleErrors> {
        let files = Files(&files);
        let Some(meta_text) = files.get("bundle.yaml") else {
            return Err(BundleErrors(vec![BundleError::new(
                Kind::Missing,
                "bundle.yaml",
                0,
                "missing; a bundle needs bundle.yaml with id, version and description",
            )]));
        };
        let meta = self.meta(meta_text);
        let taxonomy = self.taxonomy(files.get("taxonomy.yaml"));
        let lexicon = self.lexicon(files.under("lexicon/"), &taxonomy);
        let facts = meta.as_ref().map_or(&[][..], |m| m.facts.as_slice());
        let schemas = Schemas {
            draft: input::schema(facts, false),
            result: input::schema(facts, true),
        };
        let questions = self.questions(files.get("questions.yaml"), &schemas);
        let known = Known {
            determinants: taxonomy.determinants.iter().map(|e| e.id.clone()).collect(),
            groups: taxonomy.groups.iter().map(|e| e.id.clone()).collect(),
            kinds: taxonomy.kinds.iter().map(|e| e.id.clone()).collect(),
            questions: questions.iter().map(|q| q.id.clone()).collect(),
            ids: lexicon.names.iter().cloned().collect(),
            names: lexicon.names,
            unlearned: lexicon
                .concepts
                .iter()
                .filter(|c| !c.learned)
                .map(|c| c.id.clone())
                .collect(),
        };
        let rules = self.rules(files.under("rules/"), &known, &schemas);
        let (exemptions, doubt) = self.screening(files.get("screening.yaml"), &known, &schemas);
        let screening_model = self.screening_model(
            files.get(MODEL_FILE),
            &known,
            &rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        );
        let register = self.municipalities(files.get("municipalities.yaml"));
        let plans = self.plans(files.under("plans/"), &known, &register.municipalities);
        let templates = self.templates(&files);

        if screening_model.is_some() {
            for key in model::STRINGS {
                if !templates.strings.contains_key(key) {
                    self.err(
                        Kind::Missing,
                        "templates/strings.yaml",
                        0,
                        format!(
                            "string `{key}` is missing; the learned screening model's reason needs it in fi, sv and en"
                        ),
                    );
                }
            }
        }
        if !self.errors.is_empty() {
            return Err(BundleErrors(self.errors));
        }
        let (Some(meta), Some(renderer), Some(baseline)) =
            (meta, templates.renderer, plans.baseline)
        else {
            return Err(BundleErrors(vec![BundleError::new(
                Kind::Format,
                "bundle.yaml",
                0,
                "could not be read",
            )]));
        };
        let mut bundle = Bundle {
            id: meta.id,
            version: meta.version,
            digest: files.digest(),
            description: meta.description,
            facts: meta.facts,
            determinants: taxonomy.determinants,
            groups: taxonomy.groups,
            age_bands: taxonomy.age_bands,
            assessment_kinds: taxonomy.kinds,
            concepts: lexicon.concepts,
            families: lexicon.families,
            rules,
            exemptions,
            doubt,
            screening_model,
            questions,
            municipalities: register.municipalities,
            register_year: register.year,
            plans: plans.own,
            baseline,
            strings: templates.strings,
            templates: templates.templates,
            names: known.ids,
            unlearned: known.unlearned,
            matcher_fi: lexicon.matcher_fi,
            matcher_sv: lexicon.matcher_sv,
            renderer,
        };
        bundle.expand_family_evidence();
        // every template renders, in every language, for every kind of
        // assessment
        let samples = super::samples::samples(&bundle);
        if let Err(e) = bundle.renderer.check(&bundle, &samples) {
            return Err(BundleErrors(vec![BundleError::new(
                Kind::Template,
                &format!("templates/{}", e.template),
                e.line,
                e.message,
            )]));
        }
        Ok(bundle)
    }

    fn err(&mut self, kind: Kind, file: &str, line: usize, message: impl Into<String>) {
        self.errors
            .push(BundleError::new(kind, file, line, message));
    }

    fn parse<T: serde::de::DeserializeOwned>(&mut self, file: &str, text: &str) -> Option<T> {
        match marked_yaml::from_yaml::<T>(0, text) {
            Ok(v) => Some(v),
            Err(e) => {
                let (line, msg) = match &e {
                    marked_yaml::FromYamlError::ParseYaml(le) => (0, le.to_string()),
                    marked_yaml::FromYamlError::FromNode(ne) => {
                        let line = ne.start_mark().map(|m| m.line()).unwrap_or(0);
                        let inner = lowercase_first(&(**ne).to_string());
                        match ne.path() {
                            Some(path) => (line, format!("{path}: {inner}")),
                            None => (line, inner),
                        }
                    }
                };
                self.err(
                    Kind::Format,
                    file,
                    line,
                    format!("{msg}; see the bundle format in README.md"),
                );
                None
            }
        }
    }

    fn check_text(&mut self, file: &str, text: &Spanned<Localized>, what: &str) {
        let missing = text.missing();
        if !missing.is_empty() {
            let langs: Vec<&str> = missing.iter().map(|l| l.code()).collect();
            self.err(
                Kind::Translation,
                file,
                line_of(text),
                format!(
                    "{what} has no {} text; every text needs fi, sv and en",
                    langs.join(", ")
                ),
            );
        }
    }

    /// An id that must be one of `known`; `what` names the kind of id and
    /// `fix` says where ids of that kind are defined.
    fn check_known(
        &mut self,
        file: &str,
        id: &Spanned<String>,
        known: &BTreeSet<String>,
        what: &str,
        fix: &str,
    ) {
        if !known.contains(id.as_str()) {
            self.err(
                Kind::Unknown,
                file,
                line_of(id),
                format!("unknown {what} `{}`; {fix}", id.as_str()),
            );
        }
    }

    fn enum_value<T: Copy>(
        &mut self,
        file: &str,
        v: &Spanned<String>,
        what: &str,
        options: &[(&str, T)],
    ) -> Option<T> {
        match options.iter().find(|(name, _)| *name == v.as_str()) {
            Some((_, t)) => Some(*t),
            None => {
                let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                self.err(
                    Kind::Invalid,
                    file,
                    line_of(v),
                    format!(
                        "unknown {what} `{}`; use one of {}",
                        v.as_str(),
                        names.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn compile(
        &mut self,
        file: &str,
        when: &Spanned<String>,
        schema: &serde_json::Value,
    ) -> Option<Compiled> {
        match Conditions::default().compile(when.as_str(), schema) {
            Ok(c) => Some(c),
            Err(problems) => {
                for p in problems {
                    self.err(
                        Kind::Condition,
                        file,
                        line_of(when),
                        format!("condition `{}`: {p}", when.as_str()),
                    );
                }
                None
            }
        }
    }

    /// A rule's or exemption's condition, compiled, with what it needs.
    fn condition(
        &mut self,
        file: &str,
        when: &Spanned<String>,
        schema: &serde_json::Value,
        known: &Known,
    ) -> Option<Condition> {
        let compiled = self.compile(file, when, schema)?;
        let needs = Conditions::default()
            .reads(when.as_str())
            .required
            .into_iter()
            // a clause with a membership of another list cannot be looked
            // up; leaving it out only weakens the check
            .filter_map(|clause| {
                clause
                    .into_iter()
                    .map(|m| {
                        let list = input::ConceptList::of(&m.field)?;
                        Some((list, known.ids.binary_search(&m.value).ok()?))
                    })
                    .collect::<Option<Vec<_>>>()
            })
            .collect();
        Some(Condition { compiled, needs })
    }

    fn check_concepts(&mut self, file: &str, when: &Spanned<String>, names: &BTreeSet<String>) {
        // a string tested with `in concepts` (or the title or proposal
        // lists) must be a concept or family id
        let mut tested: Vec<String> = Vec::new();
        for m in concept_memberships(when.as_str()) {
            if !tested.contains(&m.value) {
                tested.push(m.value);
            }
        }
        for s in tested {
            if !names.contains(&s) {
                self.err(
                    Kind::Unknown,
                    file,
                    line_of(when),
                    format!("unknown concept `{s}` in condition; define it as a concept or family in a lexicon file, or fix the spelling"),
                );
            }
        }
    }

    /// Records `id` first seen at `file:line`; a second one is an error.
    fn check_unique(
        &mut self,
        seen: &mut BTreeSet<String>,
        file: &str,
        id: &Spanned<String>,
        what: &str,
    ) {
        if !seen.insert(id.as_str().to_string()) {
            self.err(
                Kind::Duplicate,
                file,
                line_of(id),
                format!("duplicate {what} `{}`", id.as_str()),
            );
        }
    }
}

/// The input schemas conditions are checked against: what rules and
/// exemptions read, and what questions read besides.
struct Schemas {
    draft: serde_json::Value,
    result: serde_json::Value,
}

/// The ids rules, exemptions and plans may refer to.
struct Known {
    determinants: BTreeSet<String>,
    groups: BTreeSet<String>,
    kinds: BTreeSet<String>,
    questions: BTreeSet<String>,
    /// Concept and family ids: what a condition may test.
    names: BTreeSet<String>,
    /// The same, in order: a condition's needs refer to them by position.
    ids: Vec<String>,
    /// Concepts the learned screening model does not read.
    unlearned: Vec<String>,
}

/// The concept (and family) ids a condition tests with `in` one of the
/// concept lists: its evidence. `'school' in core_concepts` gives `school`.
fn concept_tests(source: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in concept_memberships(source).filter(|m| !m.negated) {
        if !out.contains(&m.value) {
            out.push(m.value);
        }
    }
    out
}

/// Every string a condition tests for membership of a concept list.
fn concept_memberships(source: &str) -> impl Iterator<Item = Membership> {
    Conditions::default()
        .reads(source)
        .memberships
        .into_iter()
        .filter(|m| input::ConceptList::of(&m.field).is_some())
}

/// The facts and budget figures a condition reads, facts first: the
/// structured evidence of a rule that fires.
fn field_paths(source: &str) -> Vec<String> {
    let fields = Conditions::default().reads(source).fields;
    let under = |prefix: &'static str| fields.iter().filter(move |f| f.starts_with(prefix));
    under("facts.").chain(under("budget.")).cloned().collect()
}
