//! Screening: which rules fire, which exemption applies, and the verdict.

use super::analysis::Analysed;
use super::evidence::{rule_evidence, text_evidence};
use super::learned::{Features, Judgement, MODEL_ID};
use super::{AssessError, Input};
use crate::domain::{
    Deadline, Evidence, ExemptionHit, Impact, Localized, Screening, ScreeningReason, Verdict,
};
use crate::rules::bundle::{Bundle, Rule, ScreeningModel};

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

/// The first exemption whose condition holds, and whether it is strict.
fn exemption(
    bundle: &Bundle,
    input: &Input,
    analysed: &Analysed<'_>,
) -> Result<Option<(ExemptionHit, bool)>, AssessError> {
    for e in &bundle.exemptions {
        if input.holds(&e.condition, &e.id)? {
            return Ok(Some((
                ExemptionHit {
                    id: e.id.clone(),
                    label: e.label.clone(),
                    reason: e.reason.clone(),
                    evidence: text_evidence(analysed, &e.id, &e.evidence_concepts),
                },
                e.strict,
            )));
        }
    }
    Ok(None)
}

/// The screening signals of the rules that fired, strongest first.
fn rule_reasons(fired: &Fired<'_>) -> Vec<ScreeningReason> {
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
    reasons
}

/// What the learned component reads of a draft: its features by name, the
/// rules' strongest screening signal, and whether a strict exemption
/// decides it (then the model is not asked).
pub(super) fn features(
    bundle: &Bundle,
    input: &Input,
    analysed: &Analysed<'_>,
    fired: &Fired<'_>,
) -> Result<(Features, Option<Verdict>, bool), AssessError> {
    let exemption = exemption(bundle, input, analysed)?;
    let strongest = rule_reasons(fired).first().map(|r| r.signal);
    let ordinary = exemption.as_ref().filter(|(_, strict)| !strict);
    let features = Features::of(
        analysed,
        fired,
        ordinary.map(|(e, _)| e.id.as_str()),
        strongest,
    );
    Ok((features, strongest, exemption.is_some_and(|(_, s)| s)))
}

/// The verdict. A strict exemption makes it NOT_NEEDED. With a learned
/// model in the bundle, the model decides whether an assessment is needed
/// (a rule's REQUIRED signal standing whatever it says where the model is
/// so set), and the rules' strongest signal how strongly. Without one, the
/// strongest signal of the rules that fired decides, unless an exemption
/// applies; an ordinary exemption gives way to a rule that requires an
/// assessment.
///
/// The model's reason comes first, for it decides; then the rules'.
/// Returns the screening and the model's probability, where it was asked.
pub(super) fn screen(
    bundle: &Bundle,
    input: &Input,
    analysed: &Analysed<'_>,
    fired: &Fired<'_>,
) -> Result<(Screening, Option<f64>), AssessError> {
    let found = exemption(bundle, input, analysed)?;
    let strict = found.as_ref().is_some_and(|(_, s)| *s);
    let mut exemption = found.map(|(e, _)| e);
    let mut reasons = rule_reasons(fired);
    let strongest = reasons.first().map(|r| r.signal);
    let mut probability = None;
    let verdict = match (&bundle.screening_model, strongest, &exemption) {
        (_, _, Some(_)) if strict => Verdict::NotNeeded,
        (Some(model), _, _) => {
            let features = Features::of(
                analysed,
                fired,
                exemption.as_ref().map(|e| e.id.as_str()),
                strongest,
            );
            let judged = Judgement::of(model, &features);
            probability = Some(judged.p);
            reasons.insert(0, model_reason(model, &judged, analysed));
            let forced = model.force_required && strongest == Some(Verdict::Required);
            match strongest {
                Some(Verdict::Required) if forced || judged.needed(model) => Verdict::Required,
                _ if judged.needed(model) => Verdict::Recommended,
                _ => Verdict::NotNeeded,
            }
        }
        (None, Some(Verdict::Required), _) => Verdict::Required,
        (None, _, Some(_)) => Verdict::NotNeeded,
        (None, Some(v), None) => v,
        (None, None, None) => Verdict::NotNeeded,
    };
    // an ordinary exemption stands only where the verdict is NOT_NEEDED
    exemption = exemption.filter(|_| verdict == Verdict::NotNeeded);
    // NOT_NEEDED with no exemption behind it is in doubt where the model
    // came near its threshold, or, without a model, where nothing fired on
    // a text that still names what the bundle's doubt condition looks for
    let uncertain = verdict == Verdict::NotNeeded
        && exemption.is_none()
        && match (&bundle.screening_model, probability, &bundle.doubt) {
            (Some(model), Some(p), _) => p >= model.doubt_from,
            (None, _, Some(doubt)) if reasons.is_empty() => input.holds(doubt, "doubt")?,
            _ => false,
        };
    Ok((
        Screening {
            verdict,
            reasons,
            exemption,
            confidence: 0.0,
            uncertain,
        },
        probability,
    ))
}

/// The model's verdict as a screening reason: its probability, what it
/// weighed beyond the text, and the words that moved it most as evidence.
fn model_reason(
    model: &ScreeningModel,
    judged: &Judgement,
    analysed: &Analysed<'_>,
) -> ScreeningReason {
    let pct = (judged.p * 100.0).round();
    let threshold = (model.threshold * 100.0).round();
    let weighed = judged.structural(model);
    let also = |lead: &str| {
        if weighed.is_empty() {
            String::new()
        } else {
            format!(" {lead} {}.", weighed.join(", "))
        }
    };
    let text = if judged.needed(model) {
        Localized {
            fi: format!(
                "Opittu seulontamalli arvioi arvioinnin tarpeelliseksi ({pct} %, raja {threshold} %) tekstin sanojen perusteella.{}",
                also("Lisäksi painoivat:")
            ),
            sv: format!(
                "Den inlärda screeningmodellen bedömer en konsekvensbedömning som behövlig ({pct} %, gräns {threshold} %) utifrån textens ord.{}",
                also("Dessutom vägde:")
            ),
            en: format!(
                "The learned screening model finds an assessment needed ({pct} %, threshold {threshold} %) from the words of the text.{}",
                also("It also weighed:")
            ),
        }
    } else {
        Localized {
            fi: format!(
                "Opittu seulontamalli arvioi asian rutiiniksi ({pct} %, raja {threshold} %) tekstin sanojen perusteella.{}",
                also("Lisäksi painoivat:")
            ),
            sv: format!(
                "Den inlärda screeningmodellen bedömer ärendet som rutin ({pct} %, gräns {threshold} %) utifrån textens ord.{}",
                also("Dessutom vägde:")
            ),
            en: format!(
                "The learned screening model finds the item routine ({pct} %, threshold {threshold} %) from the words of the text.{}",
                also("It also weighed:")
            ),
        }
    };
    ScreeningReason {
        rule_id: MODEL_ID.to_string(),
        signal: if judged.needed(model) {
            Verdict::Recommended
        } else {
            Verdict::NotNeeded
        },
        text,
        evidence: judged.evidence(model, analysed),
    }
}

/// Confidence of an exempted verdict, of a NOT_NEEDED verdict nothing
/// fired for, and of one in doubt.
const EXEMPTED: f64 = 0.9;
const NOTHING_FIRED: f64 = 0.7;
const IN_DOUBT: f64 = 0.3;
/// Confidence of a verdict from rules whose impacts say nothing of it.
const RULES_ONLY: f64 = 0.6;

/// How firmly the verdict stands: an exemption is firm; a verdict the
/// learned model gave stands as firmly as its probability is far from
/// even; a verdict from rules stands as firmly as the firmest impact of
/// the rules that gave its signal; a NOT_NEEDED verdict no rule gave is
/// firm only without doubt.
pub(super) fn confidence(screening: &Screening, impacts: &[Impact], model: Option<f64>) -> f64 {
    if screening.exemption.is_some() {
        return EXEMPTED;
    }
    if let Some(p) = model {
        let p = if screening.verdict == Verdict::NotNeeded {
            1.0 - p
        } else {
            p
        };
        // a REQUIRED signal that stands against the model is as firm as
        // the rules make it
        if p >= 0.5 {
            return (p * 100.0).round() / 100.0;
        }
    }
    let Some(signal) = screening
        .reasons
        .iter()
        .find(|r| r.rule_id != MODEL_ID)
        .map(|r| r.signal)
    else {
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
