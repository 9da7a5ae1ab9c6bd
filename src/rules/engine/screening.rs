//! Screening: which rules fire, which exemption applies, and the verdict.

use super::analysis::Analysed;
use super::evidence::{rule_evidence, text_evidence};
use super::learned::{Features, Judgement, MODEL_ID};
use super::{AssessError, Input};
use crate::domain::{
    Deadline, Evidence, ExemptionHit, Impact, Language, Localized, Screening, ScreeningReason,
    Verdict,
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
/// rules' strongest screening signal, whether an exemption holds and
/// whether it is strict (then the model is not asked), and whether the
/// bundle's doubt condition marks a NOT_NEEDED verdict of the model.
pub(super) fn features(
    bundle: &Bundle,
    input: &Input,
    analysed: &Analysed<'_>,
    fired: &Fired<'_>,
) -> Result<(Features, Option<Verdict>, Option<bool>, bool), AssessError> {
    let exemption = exemption(bundle, input, analysed)?;
    let strongest = rule_reasons(fired).first().map(|r| r.signal);
    let features = Features::of(analysed, fired, strongest, &bundle.unlearned);
    // as `screen` marks a NOT_NEEDED verdict of the model uncertain: never
    // where an exemption holds
    let doubt = exemption.is_none() && doubt_condition(bundle, input, strongest)?;
    Ok((
        features,
        strongest,
        exemption.as_ref().map(|(_, strict)| *strict),
        doubt,
    ))
}

/// The verdict. A strict exemption makes it NOT_NEEDED; an ordinary one
/// too, unless a rule requires an assessment. Where no exemption holds, a
/// learned model in the bundle decides whether an assessment is needed (a
/// rule's REQUIRED signal standing whatever it says where the model is so
/// set), and the rules' strongest signal how strongly; without one, the
/// strongest signal of the rules that fired decides.
///
/// The model's reason comes first, for it decides; then the rules'.
/// Returns the screening and, where the model gave the verdict, how firm
/// the model is of it.
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
    let mut model_confidence = None;
    let verdict = match (&bundle.screening_model, strongest, &exemption) {
        (_, _, Some(_)) if strict => Verdict::NotNeeded,
        (_, Some(Verdict::Required), Some(_)) => Verdict::Required,
        (_, _, Some(_)) => Verdict::NotNeeded,
        (Some(model), _, None) => {
            let features = Features::of(analysed, fired, strongest, &bundle.unlearned);
            let judged = Judgement::of(model, &features);
            probability = Some(judged.p);
            reasons.insert(0, model_reason(bundle, model, &judged, analysed));
            let needed = judged.needed(model);
            // the model's verdict is as firm as its probability of it; a
            // REQUIRED signal that stands against it, as the rules make it
            if needed {
                model_confidence = Some(judged.p);
            } else if !(model.force_required && strongest == Some(Verdict::Required)) {
                model_confidence = Some(1.0 - judged.p);
            }
            match strongest {
                Some(Verdict::Required) if model_confidence.is_none() || needed => {
                    Verdict::Required
                }
                _ if needed => Verdict::Recommended,
                _ => Verdict::NotNeeded,
            }
        }
        (None, Some(v), None) => v,
        (None, None, None) => Verdict::NotNeeded,
    };
    // an ordinary exemption stands only where the verdict is NOT_NEEDED
    exemption = exemption.filter(|_| verdict == Verdict::NotNeeded);
    // NOT_NEEDED with no exemption behind it is in doubt where the model
    // came near its threshold, or where no rule gave a signal on a text
    // that still names what the bundle's doubt condition looks for
    let uncertain = verdict == Verdict::NotNeeded
        && exemption.is_none()
        && match (&bundle.screening_model, probability) {
            (Some(model), Some(p)) => {
                p >= model.doubt_from || doubt_condition(bundle, input, strongest)?
            }
            (None, _) => reasons.is_empty() && doubt_condition(bundle, input, strongest)?,
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
        model_confidence,
    ))
}

/// Whether the bundle's doubt condition (`doubt.when` of `screening.yaml`)
/// holds on a draft on which no rule gave a screening signal.
fn doubt_condition(
    bundle: &Bundle,
    input: &Input,
    strongest: Option<Verdict>,
) -> Result<bool, AssessError> {
    match &bundle.doubt {
        Some(doubt) if strongest.is_none() => input.holds(doubt, "doubt"),
        _ => Ok(false),
    }
}

/// The model's verdict as a screening reason, in the words of the
/// bundle's strings (`model.needed` or `model.routine`, then `model.also`
/// naming the rules by title and the signal it weighed): its probability,
/// and the words that moved it most as evidence.
fn model_reason(
    bundle: &Bundle,
    model: &ScreeningModel,
    judged: &Judgement,
    analysed: &Analysed<'_>,
) -> ScreeningReason {
    let needed = judged.needed(model);
    let pct = (judged.p * 100.0).round().to_string();
    let threshold = (model.threshold * 100.0).round().to_string();
    let string = |key: &str| bundle.strings.get(key).cloned().unwrap_or_default();
    // what it weighed besides the words, as people read it: a rule by its
    // title, the rules' signal as the verdict it names
    let weighed: Vec<Localized> = judged
        .structural(model)
        .into_iter()
        .map(|name| {
            if let Some(id) = name.strip_prefix("rule:") {
                let rule = bundle.rules.iter().find(|r| r.id == id);
                rule.map_or_else(|| Localized::same(id), |r| r.title.clone())
            } else if let Some(signal) = name.strip_prefix("signal:") {
                string(&format!("verdict.{signal}"))
            } else {
                Localized::same(name)
            }
        })
        .collect();
    let sentence = string(if needed {
        "model.needed"
    } else {
        "model.routine"
    });
    let also = string("model.also");
    let fill = |lang: Language| {
        let mut text = sentence
            .get(lang)
            .replace("{pct}", &pct)
            .replace("{threshold}", &threshold);
        if !weighed.is_empty() {
            let names: Vec<&str> = weighed.iter().map(|w| w.get(lang)).collect();
            text.push(' ');
            text.push_str(&also.get(lang).replace("{features}", &names.join(", ")));
        }
        text
    };
    ScreeningReason {
        rule_id: MODEL_ID.to_string(),
        signal: if needed {
            Verdict::Recommended
        } else {
            Verdict::NotNeeded
        },
        text: Localized {
            fi: fill(Language::Fi),
            sv: fill(Language::Sv),
            en: fill(Language::En),
        },
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
/// learned model gave stands as firmly as the model's probability of it
/// (`model`); a verdict from rules stands as firmly as the firmest impact of
/// the rules that gave its signal; a NOT_NEEDED verdict no rule gave is
/// firm only without doubt.
pub(super) fn confidence(screening: &Screening, impacts: &[Impact], model: Option<f64>) -> f64 {
    if screening.exemption.is_some() {
        return EXEMPTED;
    }
    if let Some(p) = model {
        return (p * 100.0).round() / 100.0;
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
