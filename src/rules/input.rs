//! What a rule condition can read: the one definition, as Rust types. The
//! engine fills these types for each draft, the bundle loader checks every
//! condition against the schema derived from them ([`schema`]), and a test
//! checks that the README's table of fields lists the same names.

use serde::Serialize;

use super::bundle::FactSpec;

/// One of the lists of concepts found: anywhere, in the title, in the
/// proposal sections, in the title or proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConceptList {
    /// `concepts`.
    All,
    /// `title_concepts`.
    Title,
    /// `proposal_concepts`.
    Proposal,
    /// `core_concepts`.
    Core,
}

impl ConceptList {
    /// Every list.
    pub const ALL: [ConceptList; 4] = [Self::All, Self::Title, Self::Proposal, Self::Core];

    /// The field of [`DraftInput`] that holds it.
    pub fn field(self) -> &'static str {
        match self {
            Self::All => "concepts",
            Self::Title => "title_concepts",
            Self::Proposal => "proposal_concepts",
            Self::Core => "core_concepts",
        }
    }

    /// Its position in [`ConceptList::ALL`].
    pub fn index(self) -> usize {
        match self {
            Self::All => 0,
            Self::Title => 1,
            Self::Proposal => 2,
            Self::Core => 3,
        }
    }

    /// The list a condition names `field`, if it is one.
    pub fn of(field: &str) -> Option<ConceptList> {
        Self::ALL.into_iter().find(|l| l.field() == field)
    }
}

/// What rules and exemptions read of a draft.
#[derive(Debug, Clone, Serialize)]
#[expect(
    missing_docs,
    reason = "fields are named as conditions read them; README.md's table says what each holds"
)]
pub struct DraftInput {
    pub tenant: String,
    /// The municipality's official languages, majority first: `["fi"]`,
    /// `["fi", "sv"]`, `["sv", "fi"]` or `["sv"]`.
    pub official_languages: Vec<String>,
    /// Whether the municipality has two official languages.
    pub bilingual: bool,
    /// Whether it is in the Sámi homeland.
    pub sami_homeland: bool,
    pub organ: String,
    pub language: String,
    pub title: String,
    /// The task class with single spaces, `"05 01 00"`.
    pub classification: String,
    /// Its main class, `"05"`.
    pub class_main: String,
    /// Its main class and subclass, `"05 01"`.
    pub class_sub: String,
    pub budget: BudgetInput,
    /// Concept (and family) ids found anywhere.
    pub concepts: Vec<String>,
    /// … in the title.
    pub title_concepts: Vec<String>,
    /// … in the sections read as the proposal.
    pub proposal_concepts: Vec<String>,
    /// … in the title or the proposal.
    pub core_concepts: Vec<String>,
    /// Population groups the preparer declares affected.
    pub groups: Vec<String>,
    /// Areas the preparer declares affected.
    pub areas: Vec<String>,
    /// How many alternatives the draft describes.
    pub alternatives: usize,
    /// Whether one of them is the zero option.
    pub zero_option: bool,
    /// Every declared fact: the draft's value or its type's default.
    pub facts: serde_json::Map<String, serde_json::Value>,
    /// Names of the facts the draft gave.
    pub facts_given: Vec<String>,
    pub text_bytes: usize,
    /// The largest euro amount written in the title and proposal, 0 when none.
    pub text_max_eur: f64,
}

impl DraftInput {
    /// The concepts (and families) in `list`, sorted.
    pub fn list(&self, list: ConceptList) -> &[String] {
        match list {
            ConceptList::All => &self.concepts,
            ConceptList::Title => &self.title_concepts,
            ConceptList::Proposal => &self.proposal_concepts,
            ConceptList::Core => &self.core_concepts,
        }
    }
}

/// The draft's budget effects; a figure not stated reads as 0.
#[derive(Debug, Clone, Serialize)]
#[expect(
    missing_docs,
    reason = "fields are named as conditions read them; README.md's table says what each holds"
)]
pub struct BudgetInput {
    pub one_off_eur: i64,
    pub annual_eur: i64,
    pub stated: bool,
    pub one_off_stated: bool,
    pub annual_stated: bool,
}

/// What questions read: everything rules read, and the result so far.
#[derive(Debug, Clone, Serialize)]
pub struct ResultInput<'a> {
    /// Everything rules read.
    #[serde(flatten)]
    pub draft: &'a DraftInput,
    /// The result so far.
    #[serde(flatten)]
    pub result: ResultFields<'a>,
}

/// The result so far, as questions read it.
#[derive(Debug, Clone, Serialize)]
pub struct ResultFields<'a> {
    /// The screening verdict's name: `required`, `recommended`, `not_needed`.
    pub screening: &'static str,
    /// Whether that verdict is in doubt.
    pub screening_uncertain: bool,
    /// Determinants the impacts touch, sorted.
    pub determinants: Vec<&'a str>,
    /// Groups the impacts reach, sorted.
    pub impact_groups: Vec<&'a str>,
    /// Kinds of special assessment required, in taxonomy order.
    pub required_assessments: Vec<&'a str>,
    /// How many impacts are negative or mixed.
    pub negative_impacts: usize,
}

impl DraftInput {
    /// A value of every field's type: lists hold one string, so that the
    /// condition analyser sees what they hold.
    fn sample(facts: &[FactSpec]) -> DraftInput {
        let list = || vec![String::new()];
        DraftInput {
            tenant: String::new(),
            official_languages: list(),
            bilingual: false,
            sami_homeland: false,
            organ: String::new(),
            language: String::new(),
            title: String::new(),
            classification: String::new(),
            class_main: String::new(),
            class_sub: String::new(),
            budget: BudgetInput {
                one_off_eur: 0,
                annual_eur: 0,
                stated: false,
                one_off_stated: false,
                annual_stated: false,
            },
            concepts: list(),
            title_concepts: list(),
            proposal_concepts: list(),
            core_concepts: list(),
            groups: list(),
            areas: list(),
            alternatives: 0,
            zero_option: false,
            facts: facts
                .iter()
                .map(|f| (f.name.clone(), f.kind.default_value()))
                .collect(),
            facts_given: list(),
            text_bytes: 0,
            text_max_eur: 0.0,
        }
    }
}

/// The schema conditions are checked against, as a sample value whose
/// shape and value types describe every field: what rules and exemptions
/// read, and with `result` what questions read besides.
pub fn schema(facts: &[FactSpec], result: bool) -> serde_json::Value {
    let draft = DraftInput::sample(facts);
    if result {
        to_json(&ResultInput {
            draft: &draft,
            result: ResultFields {
                screening: "",
                screening_uncertain: false,
                determinants: vec![""],
                impact_groups: vec![""],
                required_assessments: vec![""],
                negative_impacts: 0,
            },
        })
    } else {
        to_json(&draft)
    }
}

/// The JSON form of an input; these types always have one.
pub fn to_json(input: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(input).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Field paths of a schema value: `budget.annual_eur`, `facts.NAME`.
    fn paths(v: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
        let Some(map) = v.as_object() else {
            out.insert(prefix.to_string());
            return;
        };
        if prefix == "facts" {
            out.insert("facts.NAME".into());
            return;
        }
        for (k, v) in map {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            paths(v, &path, out);
        }
    }

    /// The backticked names in the first column of the README's table of
    /// condition fields, and in its sentence on what questions see.
    fn readme_fields() -> (BTreeSet<String>, BTreeSet<String>) {
        let readme = include_str!("../../README.md");
        let section = readme
            .split("### Conditions")
            .nth(1)
            .and_then(|s| s.split("\n### ").next())
            .expect("README has a Conditions section");
        let ticked = |text: &str| -> Vec<String> {
            text.split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect()
        };
        let table = section
            .lines()
            .filter(|l| l.starts_with("| `"))
            .flat_map(|l| ticked(l.split('|').nth(1).unwrap_or("")))
            .collect();
        let questions = section
            .split("Questions also see")
            .nth(1)
            .map(|s| s.split("\n\n").next().unwrap_or(""))
            .map(|s| {
                ticked(s)
                    .into_iter()
                    .filter(|f| !f.starts_with('"'))
                    .collect()
            })
            .unwrap_or_default();
        (table, questions)
    }

    #[test]
    fn each_concept_list_names_its_field_and_its_place() {
        for (i, list) in ConceptList::ALL.into_iter().enumerate() {
            assert_eq!(list.index(), i);
            assert_eq!(ConceptList::of(list.field()), Some(list));
        }
        assert_eq!(ConceptList::of("groups"), None);
        let schema = schema(&[], false);
        for list in ConceptList::ALL {
            assert!(schema[list.field()].is_array(), "{}", list.field());
        }
    }

    #[test]
    fn the_readme_lists_every_field_conditions_read() {
        let mut draft = BTreeSet::new();
        paths(&schema(&[], false), "", &mut draft);
        let mut result = BTreeSet::new();
        paths(&schema(&[], true), "", &mut result);
        let extra: BTreeSet<String> = result.difference(&draft).cloned().collect();
        let (table, questions) = readme_fields();
        assert_eq!(table, draft, "README table of condition fields");
        assert_eq!(questions, extra, "README sentence on what questions see");
    }
}
