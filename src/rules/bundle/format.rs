//! The bundle's files as they are written: serde structs with line
//! numbers (`Spanned`), read by the loader and nowhere else.

use std::collections::BTreeMap;

use marked_yaml::Spanned;
use serde::Deserialize;

use crate::domain::Localized;

pub(super) fn line_of<T>(s: &Spanned<T>) -> usize {
    s.span().start().map(|m| m.line()).unwrap_or(0)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BundleFile {
    pub(super) id: Spanned<String>,
    pub(super) version: Spanned<String>,
    pub(super) description: Spanned<Localized>,
    #[serde(default)]
    pub(super) facts: Vec<FactFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FactFile {
    pub(super) name: Spanned<String>,
    #[serde(rename = "type")]
    pub(super) kind: Spanned<String>,
    pub(super) description: Spanned<Localized>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TaxonomyFile {
    pub(super) determinants: Vec<EntryFile>,
    pub(super) groups: Vec<EntryFile>,
    pub(super) assessment_kinds: Vec<EntryFile>,
    #[serde(default)]
    pub(super) age_bands: Option<AgeBandsFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AgeBandsFile {
    pub(super) groups: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) broad_concepts: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EntryFile {
    pub(super) id: Spanned<String>,
    pub(super) label: Spanned<Localized>,
    #[serde(default)]
    pub(super) concepts: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LexiconFile {
    pub(super) concepts: Vec<ConceptFile>,
    #[serde(default)]
    pub(super) families: Vec<FamilyFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FamilyFile {
    pub(super) id: Spanned<String>,
    pub(super) members: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConceptFile {
    pub(super) id: Spanned<String>,
    pub(super) label: Spanned<Localized>,
    #[serde(default)]
    pub(super) fi: Vec<String>,
    #[serde(default)]
    pub(super) sv: Vec<String>,
    /// Whether the learned screening model reads the concept (`learned:
    /// false` for a concept of a decision's form that only conditions use).
    #[serde(default = "yes")]
    pub(super) learned: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RulesFile {
    pub(super) rules: Vec<RuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleFile {
    pub(super) id: Spanned<String>,
    pub(super) title: Spanned<Localized>,
    pub(super) reference: Spanned<String>,
    #[serde(default)]
    pub(super) effective_from: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) effective_until: Option<Spanned<String>>,
    pub(super) when: Spanned<String>,
    #[serde(default)]
    pub(super) screening: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) reason: Option<Spanned<Localized>>,
    #[serde(default)]
    pub(super) evidence: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) impacts: Vec<ImpactFile>,
    #[serde(default)]
    pub(super) required_assessments: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) open_questions: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImpactFile {
    pub(super) determinant: Spanned<String>,
    #[serde(default)]
    pub(super) groups: Vec<Spanned<String>>,
    pub(super) direction: Spanned<String>,
    pub(super) magnitude: Spanned<String>,
    pub(super) likelihood: Spanned<String>,
    pub(super) horizon: Spanned<String>,
    pub(super) rationale: Spanned<Localized>,
    #[serde(default)]
    pub(super) mitigations: Vec<Spanned<Localized>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScreeningFile {
    pub(super) exemptions: Vec<ExemptionFile>,
    /// When a NOT_NEEDED verdict that no rule and no exemption gave is in
    /// doubt.
    #[serde(default)]
    pub(super) doubt: Option<DoubtFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DoubtFile {
    pub(super) when: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExemptionFile {
    pub(super) id: Spanned<String>,
    #[serde(default)]
    pub(super) strict: bool,
    pub(super) label: Spanned<Localized>,
    pub(super) reason: Spanned<Localized>,
    pub(super) when: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QuestionsFile {
    pub(super) questions: Vec<QuestionFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct QuestionFile {
    pub(super) id: Spanned<String>,
    pub(super) text: Spanned<Localized>,
    #[serde(default)]
    pub(super) when: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlanFile {
    pub(super) id: Spanned<String>,
    /// The municipality whose plan it is; absent in the national baseline.
    #[serde(default)]
    pub(super) tenant: Option<Spanned<String>>,
    /// The plan of every municipality without a plan of its own.
    #[serde(default)]
    pub(super) national_baseline: bool,
    pub(super) title: Spanned<Localized>,
    pub(super) period: String,
    pub(super) goals: Vec<GoalFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GoalFile {
    pub(super) id: Spanned<String>,
    pub(super) title: Spanned<Localized>,
    pub(super) focus_area: Spanned<Localized>,
    pub(super) determinants: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) groups: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) measures: Vec<MeasureFile>,
    pub(super) indicators: Vec<IndicatorFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MeasureFile {
    pub(super) text: Spanned<Localized>,
    pub(super) responsible: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IndicatorFile {
    pub(super) sotkanet_id: Spanned<u32>,
    pub(super) name: Spanned<Localized>,
    #[serde(default)]
    pub(super) baseline: Option<f64>,
    #[serde(default)]
    pub(super) baseline_year: Option<u32>,
    #[serde(default)]
    pub(super) target: Option<f64>,
    pub(super) direction: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StringsFile {
    pub(super) strings: BTreeMap<String, Spanned<Localized>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MunicipalitiesFile {
    pub(super) year: Spanned<u32>,
    pub(super) counties: Vec<CountyFile>,
    pub(super) municipalities: Vec<MunicipalityFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CountyFile {
    pub(super) id: Spanned<String>,
    pub(super) code: Spanned<String>,
    pub(super) fi: Spanned<String>,
    pub(super) sv: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MunicipalityFile {
    pub(super) number: Spanned<String>,
    pub(super) fi: Spanned<String>,
    pub(super) sv: Spanned<String>,
    pub(super) languages: Vec<Spanned<String>>,
    pub(super) county: Spanned<String>,
    #[serde(default)]
    pub(super) sami_homeland: bool,
}

/// `model/screening.yaml`, written by `eva train`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ModelFile {
    /// What the model was trained on and how: read so that its format is
    /// checked, used only by people reading the file.
    #[expect(dead_code, reason = "for people reading the file")]
    pub(super) trained: TrainedFile,
    pub(super) threshold: Spanned<f64>,
    #[serde(default)]
    pub(super) force_required: bool,
    pub(super) doubt_from: Spanned<f64>,
    pub(super) bias: f64,
    pub(super) weights: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "read so that the file's format is checked; for people"
)]
pub(super) struct TrainedFile {
    pub(super) labels: Vec<String>,
    pub(super) items: usize,
    pub(super) needing_assessment: usize,
    pub(super) l2: f64,
    pub(super) chosen_by: String,
}
