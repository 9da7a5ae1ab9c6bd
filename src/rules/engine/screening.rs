//! Screening: which rules fire, which exemption applies, and the verdict.

use super::analysis::Analysed;
use super::evidence::{rule_evidence, text_evidence};
use super::{AssessError, Input};
use crate::domain::{Deadline, Evidence, ExemptionHit, Screening, ScreeningReason, Verdict};
use crate::rules::bundle::{Bundle, Rule};

/// The rules that fired, each with what it fired on.
pub(super) type Fired<'b> = Vec<(&'b Rule, Vec<Evidence>)>;

/// The rules among `rules` whose conditions hold, with their evidence.
pub(super) fn fire<'b>(
    rules: &[&'b Rule],
    input: &Input,
    analysed: &Analysed<'_>,
    deadline: &Deadline,
) -> Result<Fired<'b>, AssessError> {
    let mut fired = Vec::new();
    for rule in rules {
        deadline.check()?;
        if input.holds(&rule.condition, &rule.id)? {
            fired.push(*rule);
        }
    }
    deadline.check()?;
    Ok(fired
        .into_iter()
        .map(|r| (r, rule_evidence(r, analysed)))
        .collect())
}

/// The verdict: the strongest signal of the rules that fired, unless an
/// exemption applies. An ordinary exemption gives way to a rule that
/// requires an assessment; a strict one wins even then.
pub(super) fn screen(
    bundle: &Bundle,
    input: &Input,
    analysed: &Analysed<'_>,
    fired: &Fired<'_>,
) -> Result<Screening, AssessError> {
    let mut exemption = None;
    let mut strict = false;
    for e in &bundle.exemptions {
        if input.holds(&e.condition, &e.id)? {
            exemption = Some(ExemptionHit {
                id: e.id.clone(),
                label: e.label.clone(),
                reason: e.reason.clone(),
                evidence: text_evidence(analysed, &e.id, &e.evidence_concepts),
            });
            strict = e.strict;
            break;
        }
    }
    let mut reasons: Vec<ScreeningReason> = fired
        .iter()
        .filter_map(|(r, evidence)| {
            r.screening.map(|signal| ScreeningReason {
                rule_id: r.id.clone(),
                signal,
                text: r.reason.clone(),
                evidence: evidence.clone(),
            })
        })
        .collect();
    reasons.sort_by(|a, b| a.signal.cmp(&b.signal).then(a.rule_id.cmp(&b.rule_id)));
    let strongest = reasons.first().map(|r| r.signal);
    let verdict = match (strongest, &exemption) {
        (_, Some(_)) if strict => Verdict::NotNeeded,
        (Some(Verdict::Required), _) => Verdict::Required,
        (_, Some(_)) => Verdict::NotNeeded,
        (Some(v), None) => v,
        (None, None) => Verdict::NotNeeded,
    };
    Ok(Screening {
        verdict,
        reasons,
        // a non-strict exemption stands only where no rule demands an
        // assessment
        exemption: exemption.filter(|_| verdict == Verdict::NotNeeded),
    })
}
