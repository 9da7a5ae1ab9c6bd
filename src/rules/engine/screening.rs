//! Screening: which rules fire, which exemption applies, and the verdict.

use super::analysis::Analysed;
use super::evidence::{rule_evidence, text_evidence};
use super::{AssessError, Input};
use crate::domain::{
    Deadline, Evidence, ExemptionHit, Impact, Screening, ScreeningReason, Verdict,
};
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
    // a non-strict exemption stands only where no rule demands an
    // assessment
    let exemption = exemption.filter(|_| verdict == Verdict::NotNeeded);
    // routine only because nothing fired, on a text that still names what
    // the bundle's doubt condition looks for
    let uncertain = match &bundle.doubt {
        Some(doubt) if reasons.is_empty() && exemption.is_none() => input.holds(doubt, "doubt")?,
        _ => false,
    };
    Ok(Screening {
        verdict,
        reasons,
        exemption,
        confidence: 0.0,
        uncertain,
    })
}

/// Confidence of an exempted verdict, of a NOT_NEEDED verdict nothing
/// fired for, and of one in doubt.
const EXEMPTED: f64 = 0.9;
const NOTHING_FIRED: f64 = 0.7;
const IN_DOUBT: f64 = 0.3;
/// Confidence of a verdict from rules whose impacts say nothing of it.
const RULES_ONLY: f64 = 0.6;

/// How firmly the verdict stands: an exemption is firm; a verdict from
/// rules stands as firmly as the firmest impact of the rules that gave its
/// signal; a NOT_NEEDED verdict no rule gave is firm only without doubt.
pub(super) fn confidence(screening: &Screening, impacts: &[Impact]) -> f64 {
    if screening.exemption.is_some() {
        return EXEMPTED;
    }
    let Some(signal) = screening.reasons.first().map(|r| r.signal) else {
        return if screening.uncertain {
            IN_DOUBT
        } else {
            NOTHING_FIRED
        };
    };
    impacts
        .iter()
        .filter(|i| {
            screening
                .reasons
                .iter()
                .any(|r| r.signal == signal && r.rule_id == i.rule_id)
        })
        .map(|i| i.confidence)
        .reduce(f64::max)
        .unwrap_or(RULES_ONLY)
}
