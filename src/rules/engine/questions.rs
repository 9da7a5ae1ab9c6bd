//! The second phase: questions whose conditions look at the result so far
//! (the verdict, the impacts, the required assessments).

use std::collections::BTreeSet;

use super::required::push_question;
use super::{AssessError, Prepared, holds};
use crate::domain::{Direction, Impact, OpenQuestion, RequiredAssessment, Screening};
use crate::rules::bundle::{Bundle, Conditions};
use crate::rules::condition::ConditionLanguage;
use crate::rules::input::{ResultFields, to_json};

/// Adds the bundle's questions whose conditions hold for the result, then
/// puts all questions in the order the bundle lists them. `input` is what
/// the rules read; the result is added to it.
pub(super) fn ask(
    bundle: &Bundle,
    input: &Prepared,
    screening: &Screening,
    impacts: &[Impact],
    required: &[RequiredAssessment],
    questions: &mut Vec<OpenQuestion>,
) -> Result<(), AssessError> {
    let determinants: BTreeSet<&str> = impacts.iter().map(|i| i.determinant.as_str()).collect();
    let impact_groups: BTreeSet<&str> = impacts
        .iter()
        .flat_map(|i| i.groups.iter().map(String::as_str))
        .collect();
    let fields = ResultFields {
        screening: screening.verdict.name(),
        screening_uncertain: screening.uncertain,
        determinants: determinants.into_iter().collect(),
        impact_groups: impact_groups.into_iter().collect(),
        required_assessments: required.iter().map(|r| r.kind.as_str()).collect(),
        negative_impacts: impacts
            .iter()
            .filter(|i| matches!(i.direction, Direction::Negative | Direction::Mixed))
            .count(),
    };
    let result = Conditions::default().extend(input, &to_json(&fields));
    for q in &bundle.questions {
        if let Some(c) = &q.condition
            && holds(c, &result, &q.id)?
        {
            push_question(bundle, questions, &q.id, "questions");
        }
    }
    questions.sort_by_key(|q| bundle.questions.iter().position(|x| x.id == q.id));
    Ok(())
}
