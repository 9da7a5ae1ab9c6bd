//! The loaded form of a bundle's parts: taxonomy entries, facts, concepts,
//! rules, exemptions, questions and plans.

use super::Compiled;
pub use crate::domain::{County, Municipality};
use crate::domain::{Direction, Horizon, Indicator, Likelihood, Localized, Magnitude, Verdict};
use crate::rules::input::ConceptList;

/// A determinant, population group or assessment kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Stable id.
    pub id: String,
    /// Label in all languages.
    pub label: Localized,
    /// For population groups: lexicon concepts that name the group in a
    /// text. Every impact also gets the groups the draft's
    /// title names.
    pub concepts: Vec<String>,
}

/// Population groups that are age bands (infants, pupils, young people, older
/// people). Where a rule's impact names several bands and the draft's title
/// or proposal names some of them, the impact keeps only the bands named,
/// unless the title speaks of all ages at once (a broad concept such as
/// children in general; in a proposal, "the children" are usually those of
/// the unit it names).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgeBands {
    /// Group ids; each has concepts that name it.
    pub groups: Vec<String>,
    /// Concepts that name several bands at once.
    pub broad_concepts: Vec<String>,
}

/// A structured fact drafts may carry.
#[derive(Debug, Clone, PartialEq)]
pub struct FactSpec {
    /// Name under `facts`.
    pub name: String,
    /// `bool`, `number` or `string`.
    pub kind: FactKind,
    /// What it means.
    pub description: Localized,
}

/// Type of a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    /// true or false.
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
}

impl FactKind {
    /// Every type, as `bundle.yaml` lists them.
    pub const ALL: [FactKind; 3] = [FactKind::Bool, FactKind::Number, FactKind::String];

    /// Name as written in `bundle.yaml`.
    pub fn name(self) -> &'static str {
        match self {
            FactKind::Bool => "bool",
            FactKind::Number => "number",
            FactKind::String => "string",
        }
    }

    /// The value a fact has when a draft does not give it.
    pub fn default_value(self) -> serde_json::Value {
        match self {
            FactKind::Bool => serde_json::Value::Bool(false),
            FactKind::Number => serde_json::json!(0),
            FactKind::String => serde_json::Value::String(String::new()),
        }
    }

    /// Whether `v` is of this type.
    pub fn accepts(self, v: &serde_json::Value) -> bool {
        match self {
            FactKind::Bool => v.is_boolean(),
            FactKind::Number => v.is_number(),
            FactKind::String => v.is_string(),
        }
    }
}

/// A lexicon concept.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct Concept {
    /// Id that conditions use.
    pub id: String,
    pub label: Localized,
    /// Whether the learned screening model reads it as a feature.
    pub learned: bool,
}

/// A family of lexicon concepts that conditions can test as one (`any_school`
/// is present wherever `school`, `upper_secondary` or `school_network` is).
/// Families exist for conditions only: groups are named by concepts, so a
/// family never names a group its members do not.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// Id that conditions use, beside concept ids.
    pub id: String,
    /// Member concept ids.
    pub members: Vec<String>,
}

/// An impact a rule predicts.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct ImpactSpec {
    /// Determinant id.
    pub determinant: String,
    /// Population-group ids.
    pub groups: Vec<String>,
    pub direction: Direction,
    pub magnitude: Magnitude,
    pub likelihood: Likelihood,
    pub horizon: Horizon,
    /// Why.
    pub rationale: Localized,
    pub mitigations: Vec<Localized>,
}

/// A rule, compiled.
#[derive(Debug)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct Rule {
    /// Stable id.
    pub id: String,
    pub title: Localized,
    /// Legal or policy reference.
    pub reference: String,
    /// First day in force.
    pub effective_from: Option<time::Date>,
    /// Last day in force.
    pub effective_until: Option<time::Date>,
    /// The condition as written.
    pub when: String,
    pub(crate) condition: Condition,
    /// Screening signal, if any.
    pub screening: Option<Verdict>,
    /// Reason for the signal and the required assessments.
    pub reason: Localized,
    /// Concepts whose hits are this rule's evidence.
    pub evidence_concepts: Vec<String>,
    /// Facts and budget fields the condition reads.
    pub evidence_fields: Vec<String>,
    pub impacts: Vec<ImpactSpec>,
    /// Assessment kinds it calls for.
    pub required_assessments: Vec<String>,
    /// Question ids it raises.
    pub open_questions: Vec<String>,
}

impl Rule {
    /// Whether the rule is in force on `date`.
    pub fn in_force(&self, date: time::Date) -> bool {
        self.effective_from.is_none_or(|d| d <= date)
            && self.effective_until.is_none_or(|d| date <= d)
    }
}

/// A compiled rule or exemption condition, with the concepts it cannot
/// hold without: the engine looks those up before it runs the condition,
/// so a rule about a subject the draft never mentions costs a lookup.
#[derive(Debug)]
pub(crate) struct Condition {
    pub(crate) compiled: Compiled,
    /// Clauses of which each needs one of its concepts (by position in
    /// the bundle's sorted concept and family ids) found in its list (from
    /// [`Reads::required`](crate::rules::condition::Reads::required)).
    pub(crate) needs: Vec<Vec<(ConceptList, usize)>>,
}

/// A screening exemption.
#[derive(Debug)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct Exemption {
    pub id: String,
    pub label: Localized,
    /// Reason stated when it applies.
    pub reason: Localized,
    /// Whether it wins even over a rule that requires an assessment.
    pub strict: bool,
    /// Condition as written.
    pub when: String,
    pub(crate) condition: Condition,
    /// Concepts whose hits are its evidence.
    pub evidence_concepts: Vec<String>,
}

/// An open question.
#[derive(Debug)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct Question {
    pub id: String,
    pub text: Localized,
    /// Condition (second phase: sees the screening and impacts), if any.
    pub(crate) condition: Option<Compiled>,
}

/// A welfare-plan goal.
#[derive(Debug, Clone)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct Goal {
    pub id: String,
    pub title: Localized,
    pub focus_area: Localized,
    /// Determinants it is about.
    pub determinants: Vec<String>,
    /// Groups it is about; empty means everyone.
    pub groups: Vec<String>,
    /// Measures and the units responsible.
    pub measures: Vec<(Localized, String)>,
    /// Follow-up indicators.
    pub indicators: Vec<Indicator>,
}

/// A municipality's welfare plan.
#[derive(Debug, Clone)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct Plan {
    pub id: String,
    /// The municipality whose plan it is; `None` for the national baseline,
    /// the plan of every municipality without its own.
    pub tenant: Option<String>,
    pub title: Localized,
    pub period: String,
    pub goals: Vec<Goal>,
}

impl Plan {
    /// Whether it is the national baseline rather than a municipality's own.
    pub fn is_national_baseline(&self) -> bool {
        self.tenant.is_none()
    }
}

/// The learned screening component: a logistic model over the features
/// the engine reads of a draft (words, title words, concepts, rules that
/// fired, the rules' signal), written by `eva train` from labelled
/// decisions. Rules still decide around it: an exemption decides an item
/// before the model is asked, and, where `force_required` is set, a rule
/// that requires an assessment makes it REQUIRED whatever the model says.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreeningModel {
    /// Weight of each feature the model knows; a feature it does not know
    /// weighs nothing.
    pub weights: foldhash::HashMap<String, f64>,
    /// Log-odds of a draft with no known feature.
    pub bias: f64,
    /// Probability from which an assessment is needed.
    pub threshold: f64,
    /// Whether a rule's REQUIRED signal stands whatever the model says.
    pub force_required: bool,
    /// Below the threshold, a NOT_NEEDED verdict no exemption gave is
    /// marked uncertain from this probability on.
    pub doubt_from: f64,
}
