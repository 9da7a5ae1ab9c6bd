//! Alternatives: each is assessed as if its own text were the proposal,
//! with the rules that predict impacts; its evidence points into its own
//! title and text (section 0).

use super::analysis::{Analysed, Subject};
use super::{AssessError, Input, impacts, screening};
use crate::domain::{AlternativeAssessment, Deadline};
use crate::rules::bundle::{Bundle, Rule};
use crate::rules::validate::ValidDraft;

/// The impacts of each alternative of `draft`: n alternatives cost n times
/// one, for nothing of the others is read.
pub(super) fn assess(
    bundle: &Bundle,
    draft: &ValidDraft<'_>,
    rules: &[&Rule],
    deadline: &Deadline,
) -> Result<Vec<AlternativeAssessment>, AssessError> {
    let rules: Vec<&Rule> = rules
        .iter()
        .copied()
        .filter(|r| !r.impacts.is_empty())
        .collect();
    let mut out = Vec::new();
    for a in &draft.draft.alternatives {
        deadline.check()?;
        let analysed = Analysed::of(bundle, draft.language, Subject::alternative(a), deadline)?;
        let sets = analysed.concept_sets();
        let input = Input::new(&analysed.input(bundle, draft, &sets), bundle);
        let fired = screening::fire(&rules, &input, &analysed, deadline)?;
        let mut impacts = impacts::impacts(bundle, &fired, &analysed, &sets);
        for (i, impact) in impacts.iter_mut().enumerate() {
            impact.id = format!("{}.I{}", a.id, i + 1);
        }
        out.push(AlternativeAssessment {
            alternative_id: a.id.clone(),
            title: a.title.clone(),
            zero_option: a.zero_option,
            impacts,
        });
    }
    Ok(out)
}
