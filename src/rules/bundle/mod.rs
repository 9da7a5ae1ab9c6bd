//! Loading and validating a rule bundle: the YAML files in `rules/`.
//!
//! Every problem is reported with its file and line, and all problems are
//! collected before loading fails, so an administrator sees them together.

use std::collections::{BTreeMap, BTreeSet};

use super::condition::{ConditionLanguage, Zen};
use crate::domain::{Assessment, Language, Localized};
use crate::render::{Format, RenderError, Renderer, Vocabulary};
use crate::text::Matcher;

mod error;
mod format;
mod load;
mod model;
mod samples;
mod source;

pub use error::{BundleError, BundleErrors};
pub use load::MODEL_FILE;
pub(crate) use model::Condition;
pub use model::{
    AgeBands, Concept, County, Entry, Exemption, FactKind, FactSpec, Family, Goal, ImpactSpec,
    Municipality, Plan, Question, Rule, ScreeningModel,
};
pub use source::{BundleSource, DirSource, MemorySource};

/// The condition language bundles use.
pub type Conditions = Zen;
type Compiled = <Zen as ConditionLanguage>::Compiled;

/// A loaded, validated rule bundle.
#[derive(Debug)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct Bundle {
    /// Bundle id.
    pub id: String,
    pub version: String,
    /// BLAKE3 over every file's path and contents, hex.
    pub digest: String,
    pub description: Localized,
    /// Declared facts.
    pub facts: Vec<FactSpec>,
    /// Determinants, in taxonomy order.
    pub determinants: Vec<Entry>,
    /// Population groups, in taxonomy order.
    pub groups: Vec<Entry>,
    /// Which groups are age bands, narrowed to those the text names.
    pub age_bands: AgeBands,
    /// Kinds of special assessment.
    pub assessment_kinds: Vec<Entry>,
    pub concepts: Vec<Concept>,
    /// Concept families conditions may test (see `Family`).
    pub families: Vec<Family>,
    /// Rules, in file order.
    pub rules: Vec<Rule>,
    /// Screening exemptions, in file order.
    pub exemptions: Vec<Exemption>,
    /// When a NOT_NEEDED verdict that no rule and no exemption gave is in
    /// doubt (`doubt.when` of `screening.yaml`).
    pub(crate) doubt: Option<Condition>,
    /// The learned screening component (`model/screening.yaml`, written by
    /// `eva train`); without it the rules alone screen.
    pub screening_model: Option<ScreeningModel>,
    /// Open questions.
    pub questions: Vec<Question>,
    /// Every municipality by number: the tenants.
    pub municipalities: BTreeMap<String, Municipality>,
    /// The year of the municipality classification the register follows.
    pub register_year: u32,
    /// Municipalities' own welfare plans by tenant.
    pub plans: BTreeMap<String, Plan>,
    /// The national baseline plan, for municipalities without their own.
    pub baseline: Plan,
    /// UI strings for renderings.
    pub strings: BTreeMap<String, Localized>,
    /// Rendering templates by file name (`assessment.html.j2` …).
    pub templates: BTreeMap<String, String>,
    /// Concept and family ids, sorted: the numbers conditions' needs use.
    pub(crate) names: Vec<String>,
    /// Concepts the learned screening model does not read (`learned:
    /// false` in the lexicon).
    pub(crate) unlearned: Vec<String>,
    pub(crate) matcher_fi: Matcher,
    pub(crate) matcher_sv: Matcher,
    renderer: Renderer,
}

impl Bundle {
    /// The concepts found and the families they make present, sorted: what
    /// a condition's concept lists hold.
    pub fn with_families(&self, found: &BTreeSet<&str>) -> Vec<String> {
        let present = self
            .families
            .iter()
            .filter(|f| f.members.iter().any(|m| found.contains(m.as_str())))
            .map(|f| f.id.as_str());
        found
            .iter()
            .copied()
            .chain(present)
            .collect::<BTreeSet<&str>>()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The matcher for a draft language.
    pub fn matcher(&self, lang: Language) -> &Matcher {
        match lang {
            Language::Sv => &self.matcher_sv,
            _ => &self.matcher_fi,
        }
    }

    /// Label of a determinant, group or concept id.
    pub fn label(&self, id: &str) -> Option<&Localized> {
        self.determinants
            .iter()
            .chain(&self.groups)
            .find(|e| e.id == id)
            .map(|e| &e.label)
            .or_else(|| self.concepts.iter().find(|c| c.id == id).map(|c| &c.label))
    }

    /// Loads and validates a bundle.
    pub fn load(source: &dyn BundleSource) -> Result<Bundle, BundleErrors> {
        let files = source.files().map_err(|e| BundleErrors(vec![e]))?;
        load::Loader::default().load(files)
    }

    /// Loads the bundle at `source` without its learned screening model
    /// (`MODEL_FILE`): the rules alone screen. For training a model, which
    /// one trained before the rules changed would keep from loading.
    pub fn load_without_model(source: &dyn BundleSource) -> Result<Bundle, BundleErrors> {
        let mut files = source.files().map_err(|e| BundleErrors(vec![e]))?;
        files.retain(|(path, _)| path != MODEL_FILE);
        load::Loader::default().load(files)
    }
}

impl Bundle {
    /// Renders `assessment` with the bundle's templates and strings.
    pub fn render(
        &self,
        assessment: &Assessment,
        format: Format,
        lang: Language,
    ) -> Result<String, RenderError> {
        self.renderer.render(self, assessment, format, lang)
    }
}

impl Vocabulary for Bundle {
    fn label(&self, id: &str) -> Option<&Localized> {
        Bundle::label(self, id)
    }

    fn strings(&self) -> &BTreeMap<String, Localized> {
        &self.strings
    }
}

impl Bundle {
    /// The welfare plan a municipality is assessed against: its own, else
    /// the national baseline.
    pub fn plan_for(&self, tenant: &str) -> &Plan {
        self.plans.get(tenant).unwrap_or(&self.baseline)
    }

    /// Evidence for a family is evidence for any of its members: a rule's
    /// or exemption's evidence concepts name members only.
    fn expand_family_evidence(&mut self) {
        let families = &self.families;
        let expand = |names: &mut Vec<String>| {
            let mut out: Vec<String> = Vec::new();
            for n in names.iter() {
                let members = families
                    .iter()
                    .find(|f| &f.id == n)
                    .map_or_else(|| vec![n.clone()], |f| f.members.clone());
                for m in members {
                    if !out.contains(&m) {
                        out.push(m);
                    }
                }
            }
            *names = out;
        };
        for r in &mut self.rules {
            expand(&mut r.evidence_concepts);
        }
        for e in &mut self.exemptions {
            expand(&mut e.evidence_concepts);
        }
    }
}

#[cfg(test)]
mod tests;
