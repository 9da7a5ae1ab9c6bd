//! Assessing a valid draft with a bundle, phase by phase over a text
//! analysed once: `analysis`, `screening`, `impacts`, `goals`, `required`
//! assessments and questions, the second-phase `questions`, and the
//! `alternatives`, each in a module of its own.

mod alternatives;
mod analysis;
mod evidence;
mod goals;
mod impacts;
mod learned;
mod questions;
mod required;
mod screening;

use std::collections::BTreeMap;

use serde::Serialize;

use super::bundle::{Bundle, Condition, Conditions, Rule};
use super::condition::ConditionLanguage;
use super::input::{self, ConceptList, DraftInput};
use super::validate::ValidDraft;
use crate::domain::{
    Assessment, BundleRef, ConceptHit, Deadline, Interrupted, PlanRef, Violations,
};
use analysis::{Analysed, Subject};

/// Why an assessment could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    /// The draft is not acceptable; nothing was assessed.
    #[error("the draft has {n} problem(s): {0}", n = .0.total())]
    InvalidDraft(Violations),
    /// A rule condition failed while running; the bundle needs fixing.
    #[error("rule `{rule}` could not be evaluated: {message}")]
    RuleFailed {
        /// The rule or exemption id.
        rule: String,
        /// What went wrong.
        message: String,
    },
    /// The deadline passed or the caller went away before the assessment
    /// was done.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
}

/// A condition input prepared for evaluation.
type Prepared = <Conditions as ConditionLanguage>::Input;

/// What rules and exemptions read of one draft (or alternative): as the
/// condition language reads it, and as a set of concept ids per list for
/// the look-ups that come before a condition runs.
struct Input {
    prepared: Prepared,
    /// For each concept list, a bit per concept or family id of the bundle.
    found: [Vec<u64>; 4],
}

impl Input {
    fn new(plain: &DraftInput, bundle: &Bundle) -> Input {
        let found = ConceptList::ALL.map(|list| {
            let mut bits = vec![0u64; bundle.names.len().div_ceil(64)];
            for c in plain.list(list) {
                if let Ok(i) = bundle.names.binary_search(c) {
                    bits[i / 64] |= 1 << (i % 64);
                }
            }
            bits
        });
        Input {
            prepared: prepare(plain),
            found,
        }
    }

    /// Whether `list` holds the concept or family with id number `id`.
    fn has(&self, list: ConceptList, id: usize) -> bool {
        self.found[list.index()]
            .get(id / 64)
            .is_some_and(|bits| bits & (1 << (id % 64)) != 0)
    }

    /// Whether a rule's or exemption's condition holds. One with a clause
    /// of needed concepts none of which is found is false without running.
    fn holds(&self, condition: &Condition, id: &str) -> Result<bool, AssessError> {
        let found = |clause: &Vec<(ConceptList, usize)>| {
            clause.iter().any(|(list, id)| self.has(*list, *id))
        };
        if !condition.needs.iter().all(found) {
            return Ok(false);
        }
        holds(&condition.compiled, &self.prepared, id)
    }
}

fn prepare(input: &impl Serialize) -> Prepared {
    Conditions::default().prepare(&input::to_json(input))
}

/// Evaluates one condition; a failure names the rule, exemption or question.
fn holds(
    condition: &<Conditions as ConditionLanguage>::Compiled,
    input: &Prepared,
    id: &str,
) -> Result<bool, AssessError> {
    Conditions::default()
        .evaluate(condition, input)
        .map_err(|message| AssessError::RuleFailed {
            rule: id.to_string(),
            message,
        })
}

/// Assesses a valid draft. `now` stamps the assessment and, when the draft
/// has no decision date, chooses the rules in force. The work stops with
/// [`AssessError::Interrupted`] when `deadline` passes or is cancelled.
pub fn assess(
    bundle: &Bundle,
    draft: &ValidDraft<'_>,
    now: time::OffsetDateTime,
    deadline: &Deadline,
) -> Result<Assessment, AssessError> {
    deadline.check()?;
    let date = draft.decision_date.unwrap_or(now.date());
    let rules: Vec<&Rule> = bundle.rules.iter().filter(|r| r.in_force(date)).collect();
    let analysed = Analysed::of(bundle, draft.language, Subject::draft(draft), deadline)?;
    let sets = analysed.concept_sets();
    let input = Input::new(&analysed.input(bundle, draft, &sets), bundle);
    let fired = screening::fire(&rules, &input, &analysed, deadline)?;
    let (mut screening, model_confidence) = screening::screen(bundle, &input, &analysed, &fired)?;
    let exempt = screening.exemption.is_some();
    // an exempted item gets no impacts, special assessments or questions
    let mut impacts = if exempt {
        Vec::new()
    } else {
        impacts::impacts(bundle, &fired, &analysed, &sets)
    };
    for (i, impact) in impacts.iter_mut().enumerate() {
        impact.id = format!("I{}", i + 1);
    }
    screening.confidence = screening::confidence(&screening, &impacts, model_confidence);
    let goals = goals::align(draft.plan, &impacts);
    let (required_assessments, mut open_questions) = if exempt {
        Default::default()
    } else {
        required::collect(bundle, &fired)
    };
    deadline.check()?;
    questions::ask(
        bundle,
        &input.prepared,
        &screening,
        &impacts,
        &required_assessments,
        &mut open_questions,
    )?;
    let alternatives = alternatives::assess(bundle, draft, &rules, deadline)?;
    let d = draft.draft;
    Ok(Assessment {
        // time-ordered, so that the store appends to its indexes instead of
        // writing pages all over them (docs/speed.md)
        id: uuid::Uuid::now_v7().to_string(),
        created_at: now,
        input_digest: d.digest(),
        bundle: BundleRef {
            id: bundle.id.clone(),
            version: bundle.version.clone(),
            digest: bundle.digest.clone(),
        },
        tenant: d.tenant.clone(),
        case_id: d.case_id.clone(),
        title: d.title.clone(),
        language: draft.language,
        reference_date: date.to_string(),
        screening,
        impacts,
        goals,
        required_assessments,
        open_questions,
        zero_option_described: draft.zero_option(),
        alternatives,
        concepts: concept_hits(bundle, &analysed),
        municipality: draft.municipality.clone(),
        plan: PlanRef {
            id: draft.plan.id.clone(),
            title: draft.plan.title.clone(),
            period: draft.plan.period.clone(),
            national_baseline: draft.plan.is_national_baseline(),
        },
    })
}

/// What the learned screening component reads of a draft: for training
/// it, and for seeing what it weighs.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreeningFeatures {
    /// The features with their values, in name order.
    pub features: Vec<(String, f64)>,
    /// The rules' strongest screening signal.
    pub rules_signal: Option<crate::domain::Verdict>,
    /// Whether a strict exemption decides the item: the model is then not
    /// asked.
    pub strict_exemption: bool,
    /// Whether an ordinary exemption holds: a NOT_NEEDED verdict is then
    /// never uncertain.
    pub ordinary_exemption: bool,
    /// Whether the bundle's doubt condition marks a NOT_NEEDED verdict of
    /// the model uncertain: it holds, no rule gave a signal and no
    /// exemption holds.
    pub doubt: bool,
}

/// The features of a valid draft, with the rules in force on its
/// decision date (or on `now`'s).
pub fn screening_features(
    bundle: &Bundle,
    draft: &ValidDraft<'_>,
    now: time::OffsetDateTime,
) -> Result<ScreeningFeatures, AssessError> {
    let deadline = Deadline::none();
    let date = draft.decision_date.unwrap_or(now.date());
    let rules: Vec<&Rule> = bundle.rules.iter().filter(|r| r.in_force(date)).collect();
    let analysed = Analysed::of(bundle, draft.language, Subject::draft(draft), &deadline)?;
    let sets = analysed.concept_sets();
    let input = Input::new(&analysed.input(bundle, draft, &sets), bundle);
    let fired = screening::fire(&rules, &input, &analysed, &deadline)?;
    let (features, rules_signal, exemption, doubt) =
        screening::features(bundle, &input, &analysed, &fired)?;
    Ok(ScreeningFeatures {
        features: features
            .values()
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect(),
        rules_signal,
        strict_exemption: exemption == Some(true),
        ordinary_exemption: exemption == Some(false),
        doubt,
    })
}

/// Each concept found, with how often.
fn concept_hits(bundle: &Bundle, analysed: &Analysed<'_>) -> Vec<ConceptHit> {
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for f in &analysed.found {
        *counts.entry(f.concept.as_str()).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(c, n)| ConceptHit {
            concept: c.to_string(),
            label: bundle.label(c).cloned().unwrap_or_default(),
            count: n,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::bundle::DirSource;
    use crate::rules::input::BudgetInput;

    fn bundle() -> Bundle {
        Bundle::load(&DirSource::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/rules"
        )))
        .unwrap_or_else(|e| panic!("the default bundle: {e}"))
    }

    /// A draft input with the given concepts in every list and budget.
    fn input(bundle: &Bundle, lists: [Vec<String>; 4], annual: i64, language: &str) -> Input {
        let [concepts, title_concepts, proposal_concepts, core_concepts] = lists;
        let plain = DraftInput {
            tenant: "091".into(),
            official_languages: vec!["fi".into(), "sv".into()],
            bilingual: true,
            sami_homeland: false,
            organ: String::new(),
            language: language.into(),
            title: String::new(),
            classification: "10 03 00".into(),
            class_main: "10".into(),
            class_sub: "10 03".into(),
            budget: BudgetInput {
                one_off_eur: -annual,
                annual_eur: annual,
                stated: annual != 0,
                one_off_stated: annual != 0,
                annual_stated: annual != 0,
            },
            concepts,
            title_concepts,
            proposal_concepts,
            core_concepts,
            groups: Vec::new(),
            areas: Vec::new(),
            alternatives: 0,
            zero_option: false,
            facts: bundle
                .facts
                .iter()
                .map(|f| (f.name.clone(), f.kind.default_value()))
                .collect(),
            facts_given: Vec::new(),
            text_bytes: 1000,
            text_max_eur: 20_000.0,
        };
        Input::new(&plain, bundle)
    }

    /// The look-up before a condition runs never changes its result: for
    /// every rule and exemption of the default bundle, over many mixes of
    /// the concepts it tests, in every list, a condition skipped for a
    /// missing concept evaluates to false when run.
    #[test]
    fn needed_concepts_only_skip_conditions_that_would_be_false() {
        let bundle = bundle();
        let conditions = bundle
            .rules
            .iter()
            .map(|r| (&r.id, &r.when, &r.condition))
            .chain(
                bundle
                    .exemptions
                    .iter()
                    .map(|e| (&e.id, &e.when, &e.condition)),
            );
        let (mut skipped, mut held, mut seed) = (0, 0, 0x9e37_79b9_7f4a_7c15_u64);
        for (id, when, condition) in conditions {
            let mut tested: Vec<String> = Conditions::default()
                .reads(when)
                .memberships
                .into_iter()
                .map(|m| m.value)
                .collect();
            tested.sort();
            tested.dedup();
            for round in 0..256 {
                let mut lists: [Vec<String>; 4] = Default::default();
                for list in &mut lists {
                    for concept in &tested {
                        // xorshift: a fixed, repeatable mix
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        if seed % 3 != 0 {
                            list.push(concept.clone());
                        }
                    }
                }
                let annual = [0, -200_000, 200_000][round % 3];
                let language = ["fi", "sv"][round % 2];
                let input = input(&bundle, lists, annual, language);
                let run = holds(&condition.compiled, &input.prepared, id).expect("runs");
                let checked = input.holds(condition, id).expect("runs");
                assert_eq!(checked, run, "`{id}` ({when}) in round {round}");
                skipped += usize::from(!run && checked == run && !needs_met(condition, &input));
                held += usize::from(run);
            }
        }
        // the test means something only if both outcomes occur
        assert!(
            skipped > 1000 && held > 1000,
            "skipped {skipped}, held {held}"
        );
    }

    fn needs_met(condition: &Condition, input: &Input) -> bool {
        condition
            .needs
            .iter()
            .all(|clause| clause.iter().any(|(l, c)| input.has(*l, *c)))
    }
}
