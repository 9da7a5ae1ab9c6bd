//! Plain domain types: the draft decision, the assessment and its parts.
//! Nothing here knows about protobuf, files or storage.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod deadline;
mod violations;

pub use deadline::{CancelOnDrop, Deadline, Interrupted};
pub use violations::{
    FieldViolation, MAX_LISTED_BYTES, MAX_LISTED_VIOLATIONS, MAX_SHOWN_CHARS, Violations,
    printable, quoted,
};

/// A language the service speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Finnish.
    Fi,
    /// Swedish.
    Sv,
    /// English (renderings only; drafts are Finnish or Swedish).
    En,
}

impl Language {
    /// All languages, in the order texts list them.
    pub const ALL: [Language; 3] = [Language::Fi, Language::Sv, Language::En];

    /// Parses a language code such as `fi`.
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "fi" => Some(Language::Fi),
            "sv" => Some(Language::Sv),
            "en" => Some(Language::En),
            _ => None,
        }
    }

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::Fi => "fi",
            Language::Sv => "sv",
            Language::En => "en",
        }
    }
}

/// A text in Finnish, Swedish and English.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    /// Finnish.
    #[serde(default)]
    pub fi: String,
    /// Swedish.
    #[serde(default)]
    pub sv: String,
    /// English.
    #[serde(default)]
    pub en: String,
}

impl Localized {
    /// The same text in every language (an id, a name).
    pub fn same(text: &str) -> Localized {
        Localized {
            fi: text.to_string(),
            sv: text.to_string(),
            en: text.to_string(),
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Language) -> &str {
        match lang {
            Language::Fi => &self.fi,
            Language::Sv => &self.sv,
            Language::En => &self.en,
        }
    }

    /// Languages with no text.
    pub fn missing(&self) -> Vec<Language> {
        Language::ALL
            .into_iter()
            .filter(|l| self.get(*l).trim().is_empty())
            .collect()
    }
}

/// What part of a decision a section is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// The decision proposal (päätösehdotus).
    Proposal,
    /// The preparer's reasoning (esittelijän perustelut).
    Reasoning,
    /// Background and history.
    Background,
    /// Anything else.
    Other,
}

/// A section of the draft text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// What part of the decision this is.
    pub kind: SectionKind,
    /// Heading as written.
    pub heading: String,
    /// Body text (untrusted).
    pub text: String,
}

/// Budget effects in whole euros; negative is a cut or saving.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// One-off effect, when stated.
    pub one_off_eur: Option<i64>,
    /// Annual effect, when stated.
    pub annual_eur: Option<i64>,
}

/// An alternative to the proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    /// Caller's id.
    pub id: String,
    /// Short title.
    pub title: String,
    /// Description (untrusted).
    pub text: String,
    /// The zero option: things stay as they are.
    pub zero_option: bool,
}

/// A draft decision as received, before validation against a bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// Municipality number, three digits.
    pub tenant: String,
    /// Case diary number.
    pub case_id: String,
    /// Title of the item.
    pub title: String,
    /// Deciding body.
    pub organ: String,
    /// Language code as given (`fi`, `sv`).
    pub language: String,
    /// Task class such as `05 01 00`.
    pub classification_code: String,
    /// Text sections.
    pub sections: Vec<Section>,
    /// Budget effects.
    pub budget: Budget,
    /// Alternatives, including the zero option when described.
    pub alternatives: Vec<Alternative>,
    /// Population-group ids the preparer declares affected.
    pub affected_groups: Vec<String>,
    /// Areas the preparer declares affected.
    pub affected_areas: Vec<String>,
    /// Structured facts, by name.
    pub facts: BTreeMap<String, serde_json::Value>,
    /// Planned decision date, `YYYY-MM-DD`, or empty.
    pub decision_date: String,
}

impl Draft {
    /// Digest of the canonical draft: field order is fixed and facts are
    /// sorted, so equal drafts have equal digests.
    pub fn digest(&self) -> String {
        let canonical = serde_json::to_vec(self).unwrap_or_default();
        blake3::hash(&canonical).to_hex().to_string()
    }

    /// Total bytes of text the draft carries.
    pub fn text_bytes(&self) -> usize {
        self.title.len()
            + self
                .sections
                .iter()
                .map(|s| s.heading.len() + s.text.len())
                .sum::<usize>()
            + self
                .alternatives
                .iter()
                .map(|a| a.title.len() + a.text.len())
                .sum::<usize>()
    }
}

/// Gives a domain enum its list of values and the name each has in bundle
/// files, conditions and UI string keys: the one table of those names.
macro_rules! named {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in the order bundles and renderings list them.
            pub const ALL: [$ty; [$($ty::$variant),+].len()] = [$($ty::$variant),+];

            /// The name in bundle files and conditions (`not_needed`,
            /// `budget_year` …).
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            /// The value of `name`, if it is one.
            pub fn from_name(name: &str) -> Option<$ty> {
                $ty::ALL.into_iter().find(|v| v.name() == name)
            }
        }
    };
}

pub mod review;

pub use review::ReviewStatus;

/// Screening verdict: does this item need an impact assessment?
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// An assessment is required.
    Required,
    /// An assessment is recommended.
    Recommended,
    /// No assessment is needed.
    NotNeeded,
}

named!(Verdict {
    Required => "required",
    Recommended => "recommended",
    NotNeeded => "not_needed",
});

/// Direction of an impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Improves wellbeing.
    Positive,
    /// Harms wellbeing.
    Negative,
    /// Both, for different people or aspects.
    Mixed,
    /// Cannot be told from the draft.
    Uncertain,
}

named!(Direction {
    Positive => "positive",
    Negative => "negative",
    Mixed => "mixed",
    Uncertain => "uncertain",
});

/// Size of an impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub enum Magnitude {
    Minor,
    Moderate,
    Major,
}

named!(Magnitude {
    Minor => "minor",
    Moderate => "moderate",
    Major => "major",
});

/// How likely an impact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub enum Likelihood {
    Possible,
    Likely,
    Certain,
}

named!(Likelihood {
    Possible => "possible",
    Likely => "likely",
    Certain => "certain",
});

/// When an impact is felt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Horizon {
    /// Within the budget year.
    BudgetYear,
    /// Within the council term.
    CouncilTerm,
    /// Beyond the council term.
    LongTerm,
}

named!(Horizon {
    BudgetYear => "budget_year",
    CouncilTerm => "council_term",
    LongTerm => "long_term",
});

/// Where a piece of evidence stands. For an alternative's impacts, the
/// title is the alternative's title and section 0 its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// The draft's title.
    Title,
    /// The section with this index.
    Section(u32),
    /// A structured field the rule read: `facts.NAME`, `budget.annual_eur`.
    Field(String),
}

/// Where in the draft a rule found what it fired on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The rule that used this evidence.
    pub rule_id: String,
    /// The title, a section or a structured field.
    pub place: Place,
    /// UTF-8 byte offset where the excerpt starts (0 for a field).
    pub start: u32,
    /// UTF-8 byte offset where the excerpt ends, exclusive (0 for a field).
    pub end: u32,
    /// Exactly the text between `start` and `end`, or the field's value.
    pub excerpt: String,
    /// Lexicon term that matched (empty for a field).
    pub term: String,
    /// Concept of that term (empty for a field).
    pub concept: String,
}

impl Evidence {
    /// Whether this is structured evidence, or its excerpt is exactly the
    /// text of `draft` at its offsets.
    pub fn points_into(&self, draft: &Draft) -> bool {
        let text = match &self.place {
            Place::Field(_) => return true,
            Place::Title => Some(draft.title.as_str()),
            Place::Section(i) => draft.sections.get(*i as usize).map(|s| s.text.as_str()),
        };
        text.and_then(|t| t.get(self.start as usize..self.end as usize))
            == Some(self.excerpt.as_str())
    }
}

/// An estimated effect on one determinant of wellbeing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct Impact {
    /// `I1`, `I2` … within one assessment.
    pub id: String,
    /// Determinant id.
    pub determinant: String,
    /// Population-group ids.
    pub groups: Vec<String>,
    pub direction: Direction,
    pub magnitude: Magnitude,
    pub likelihood: Likelihood,
    /// Time horizon.
    pub horizon: Horizon,
    /// Why, in all languages.
    pub rationale: Localized,
    /// What the rule fired on.
    pub evidence: Vec<Evidence>,
    /// Ways to soften a negative effect.
    pub mitigations: Vec<Localized>,
    /// Rule that produced the impact.
    pub rule_id: String,
    /// The rule's legal or policy reference.
    pub reference: String,
    /// How firmly the trigger stands, 0..1.
    pub confidence: f64,
}

/// A screening signal given by a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScreeningReason {
    /// The rule.
    pub rule_id: String,
    /// The signal.
    pub signal: Verdict,
    /// Why.
    pub text: Localized,
    /// What the rule fired on.
    pub evidence: Vec<Evidence>,
}

/// A screening exemption that applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExemptionHit {
    /// Exemption id.
    pub id: String,
    /// Short label.
    pub label: Localized,
    /// The stated reason.
    pub reason: Localized,
    /// What it fired on.
    pub evidence: Vec<Evidence>,
}

/// The screening result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Screening {
    /// The verdict.
    pub verdict: Verdict,
    /// Signals from rules, strongest first.
    pub reasons: Vec<ScreeningReason>,
    /// The exemption that decided the verdict, if any.
    pub exemption: Option<ExemptionHit>,
    /// How firmly the verdict stands, 0..1 (see README.md, Confidence).
    pub confidence: f64,
    /// NOT_NEEDED only because no rule fired, on a text that still names
    /// what the bundle's `doubt` condition looks for: the preparer should
    /// look again.
    pub uncertain: bool,
}

/// How a decision relates to one welfare-plan goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoalVerdict {
    /// Works towards the goal.
    Supports,
    /// Works against the goal.
    Conflicts,
    /// Both.
    Mixed,
    /// Leaves it untouched.
    Unaffected,
}

named!(GoalVerdict {
    Supports => "supports",
    Conflicts => "conflicts",
    Mixed => "mixed",
    Unaffected => "unaffected",
});

/// A follow-up indicator of a goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct Indicator {
    /// Sotkanet indicator id.
    pub sotkanet_id: u32,
    pub name: Localized,
    /// Baseline value; a national plan leaves it to the municipality.
    pub baseline: Option<f64>,
    /// Year of the baseline.
    pub baseline_year: Option<u32>,
    /// Target value; a national plan leaves it to the municipality.
    pub target: Option<f64>,
    /// `increase` or `decrease`.
    pub direction: String,
}

/// The verdict for one goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct GoalAlignment {
    pub goal_id: String,
    /// Goal title.
    pub title: Localized,
    /// Focus area of the goal.
    pub focus_area: Localized,
    pub verdict: GoalVerdict,
    /// -1..1.
    pub score: f64,
    /// Indicators to follow.
    pub indicators: Vec<Indicator>,
    /// Impacts behind the verdict.
    pub impact_ids: Vec<String>,
    /// How firmly the impacts behind the verdict stand, 0..1.
    pub confidence: f64,
}

/// A special assessment the item calls for (LAVA, SUVA …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequiredAssessment {
    /// Kind id.
    pub kind: String,
    /// Title of the kind.
    pub title: Localized,
    /// Why it is needed.
    pub reason: Localized,
    /// Rule that asked for it.
    pub rule_id: String,
}

/// Something the preparer should add or check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenQuestion {
    /// Question id.
    pub id: String,
    /// The question.
    pub text: Localized,
    /// Rule that raised it.
    pub rule_id: String,
    /// The preparer's answer, given in a review; empty while open.
    #[serde(default)]
    pub answer: String,
}

/// The impacts of one alternative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlternativeAssessment {
    /// Caller's alternative id.
    pub alternative_id: String,
    /// Title as given.
    pub title: String,
    /// Whether this is the zero option.
    pub zero_option: bool,
    /// Impacts of its own text.
    pub impacts: Vec<Impact>,
}

/// A concept found in the draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct ConceptHit {
    /// Concept id.
    pub concept: String,
    pub label: Localized,
    /// Occurrences.
    pub count: u32,
}

/// Identity of a rule bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct BundleRef {
    /// Bundle id.
    pub id: String,
    pub version: String,
    /// Digest of its files.
    pub digest: String,
}

/// Identity of a welfare plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct PlanRef {
    /// Plan id.
    pub id: String,
    pub title: Localized,
    /// Period such as `2025–2029`.
    pub period: String,
    /// Whether it is the national baseline, used because the municipality
    /// has no plan of its own in the bundle.
    pub national_baseline: bool,
}

/// A wellbeing services county (hyvinvointialue), or the City of Helsinki
/// and Åland, which organise their services outside the counties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct County {
    pub id: String,
    /// Statistics Finland's code.
    pub code: String,
    pub name: Localized,
}

/// A Finnish municipality, as the register of `municipalities.yaml` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Municipality {
    /// Statistics Finland's three-digit number: the tenant id.
    pub number: String,
    /// Its name; in English the name in its majority language.
    pub name: Localized,
    /// Its official languages, the majority language first: one for a
    /// unilingual municipality, two for a bilingual one.
    pub languages: Vec<Language>,
    /// The wellbeing services county it belongs to.
    pub county: County,
    /// In the Sámi homeland (Saamen kielilaki 1086/2003 4 §), where Sámi
    /// speakers have the right to services in Sámi.
    pub sami_homeland: bool,
}

impl Municipality {
    /// Whether `number` has the form of a municipality number: three
    /// digits.
    pub fn is_number(number: &str) -> bool {
        number.len() == 3 && number.bytes().all(|b| b.is_ascii_digit())
    }

    /// Whether it has two official languages.
    pub fn bilingual(&self) -> bool {
        self.languages.len() > 1
    }
}

/// The assessment of one draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct Assessment {
    /// UUID.
    pub id: String,
    /// When it was made, UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    /// Digest of the canonical draft.
    pub input_digest: String,
    /// Rule bundle used.
    pub bundle: BundleRef,
    /// Municipality number.
    pub tenant: String,
    /// Case id of the draft.
    pub case_id: String,
    /// Title of the draft.
    pub title: String,
    /// Language of the draft.
    pub language: Language,
    /// Date the rules were chosen for.
    pub reference_date: String,
    pub screening: Screening,
    pub impacts: Vec<Impact>,
    /// Goal verdicts.
    pub goals: Vec<GoalAlignment>,
    /// Special assessments needed.
    pub required_assessments: Vec<RequiredAssessment>,
    pub open_questions: Vec<OpenQuestion>,
    /// Whether a zero option is described.
    pub zero_option_described: bool,
    /// Alternatives and their impacts.
    pub alternatives: Vec<AlternativeAssessment>,
    /// Concepts found.
    pub concepts: Vec<ConceptHit>,
    /// The municipality, from the bundle's register.
    pub municipality: Municipality,
    /// Welfare plan used.
    pub plan: PlanRef,
}
