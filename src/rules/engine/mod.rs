//! Assessing a valid draft with a bundle, phase by phase over a text
//! analysed once: `analysis`, `screening`, `impacts`, `goals`, `required`
//! assessments and questions, the second-phase `questions`, and the
//! `alternatives`, each in a module of its own.

mod alternatives;
mod analysis;
mod evidence;
mod goals;
mod impacts;
mod questions;
mod required;
mod screening;

use std::collections::BTreeMap;

use serde::Serialize;

use super::bundle::{Bundle, Conditions, Rule};
use super::condition::ConditionLanguage;
use super::input;
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
    let input = analysed.input(bundle, draft, &sets);
    let prepared = prepare(&input);
    let fired = screening::fire(&rules, &prepared, &analysed, deadline)?;
    let screening = screening::screen(bundle, &prepared, &analysed, &fired)?;
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
    let goals = goals::align(draft.plan, &impacts);
    let (required_assessments, mut open_questions) = if exempt {
        Default::default()
    } else {
        required::collect(bundle, &fired)
    };
    deadline.check()?;
    questions::ask(
        bundle,
        &prepared,
        screening.verdict,
        &impacts,
        &required_assessments,
        &mut open_questions,
    )?;
    let alternatives = alternatives::assess(bundle, draft, &rules, deadline)?;
    let d = draft.draft;
    Ok(Assessment {
        id: uuid::Uuid::new_v4().to_string(),
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
        plan: PlanRef {
            id: draft.plan.id.clone(),
            title: draft.plan.title.clone(),
            period: draft.plan.period.clone(),
        },
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
