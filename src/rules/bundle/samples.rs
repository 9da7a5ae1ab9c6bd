//! Sample assessments that reach every part of a template: each screening
//! verdict, an exemption, impacts of every direction, magnitude,
//! likelihood and horizon with text and fact evidence, every goal verdict,
//! required assessments, open questions, alternatives with and without a
//! zero option, and an assessment with nothing in it. Rendering them once
//! when a bundle is loaded finds a template that would fail at run time
//! (an unknown filter, a missing string) before any request does.

use super::{Bundle, Plan};
use crate::domain::{
    AlternativeAssessment, Assessment, BundleRef, Direction, Evidence, ExemptionHit, GoalAlignment,
    GoalVerdict, Horizon, Impact, Language, Likelihood, Localized, Magnitude, OpenQuestion,
    PlanRef, RequiredAssessment, Screening, ScreeningReason, Verdict,
};
use crate::domain::{County, Municipality, Place};

fn text(s: &str) -> Localized {
    Localized {
        fi: format!("{s} (fi)"),
        sv: format!("{s} (sv)"),
        en: s.to_string(),
    }
}

fn evidence() -> Vec<Evidence> {
    vec![
        Evidence {
            rule_id: "sample".into(),
            place: Place::Title,
            start: 0,
            end: 6,
            excerpt: "Sample".into(),
            term: "sample".into(),
            concept: "sample".into(),
        },
        Evidence {
            rule_id: "sample".into(),
            place: Place::Section(0),
            start: 0,
            end: 9,
            excerpt: "<b>&\"x\"|".into(),
            term: "sample".into(),
            concept: "sample".into(),
        },
        Evidence {
            rule_id: "sample".into(),
            place: Place::Field("budget.annual_eur".into()),
            start: 0,
            end: 0,
            excerpt: "-250000".into(),
            term: String::new(),
            concept: String::new(),
        },
    ]
}

fn impacts(bundle: &Bundle, id_prefix: &str) -> Vec<Impact> {
    let directions = [
        Direction::Positive,
        Direction::Negative,
        Direction::Mixed,
        Direction::Uncertain,
    ];
    let magnitudes = [Magnitude::Minor, Magnitude::Moderate, Magnitude::Major];
    let likelihoods = [
        Likelihood::Possible,
        Likelihood::Likely,
        Likelihood::Certain,
    ];
    let horizons = [Horizon::BudgetYear, Horizon::CouncilTerm, Horizon::LongTerm];
    directions
        .iter()
        .enumerate()
        .map(|(i, &direction)| Impact {
            id: format!("{id_prefix}I{}", i + 1),
            determinant: bundle
                .determinants
                .get(i % bundle.determinants.len().max(1))
                .map(|d| d.id.clone())
                .unwrap_or_default(),
            // the first impact names no group: "everyone"
            groups: bundle.groups.iter().take(i).map(|g| g.id.clone()).collect(),
            direction,
            magnitude: magnitudes[i % 3],
            likelihood: likelihoods[i % 3],
            horizon: horizons[i % 3],
            rationale: text("Sample rationale with <markup> & *emphasis*"),
            evidence: if i == 0 { Vec::new() } else { evidence() },
            mitigations: vec![text("Sample mitigation")],
            rule_id: "sample".into(),
            reference: "Sample Act 1/2000".into(),
            confidence: 0.35 + 0.1 * i as f64,
        })
        .collect()
}

/// Every goal of `plan`, with the goal verdicts in turn.
fn goals(plan: &Plan) -> Vec<GoalAlignment> {
    let verdicts = GoalVerdict::ALL;
    plan.goals
        .iter()
        .enumerate()
        .map(|(i, g)| GoalAlignment {
            goal_id: g.id.clone(),
            title: g.title.clone(),
            focus_area: g.focus_area.clone(),
            verdict: verdicts[i % verdicts.len()],
            score: 0.5,
            indicators: g.indicators.clone(),
            impact_ids: vec!["I1".into(), "I2".into()],
            confidence: 0.6,
        })
        .collect()
}

/// An alternative with impacts, and a zero option without.
fn alternatives(bundle: &Bundle) -> Vec<AlternativeAssessment> {
    vec![
        AlternativeAssessment {
            alternative_id: "A".into(),
            title: "Sample alternative <a>".into(),
            zero_option: false,
            impacts: impacts(bundle, "A."),
        },
        AlternativeAssessment {
            alternative_id: "0".into(),
            title: "Sample zero option".into(),
            zero_option: true,
            impacts: Vec::new(),
        },
    ]
}

/// A sample of a municipality with a plan of its own when the bundle has
/// one, else of the first municipality with the national baseline.
fn assessment(bundle: &Bundle, verdict: Verdict) -> Assessment {
    let tenant = bundle
        .plans
        .keys()
        .next()
        .or_else(|| bundle.municipalities.keys().next())
        .cloned()
        .unwrap_or_default();
    with_plan(bundle, verdict, &tenant)
}

fn with_plan(bundle: &Bundle, verdict: Verdict, tenant: &str) -> Assessment {
    let plan = bundle.plan_for(tenant);
    let municipality = bundle
        .municipalities
        .get(tenant)
        .cloned()
        .unwrap_or_else(|| Municipality {
            number: tenant.to_string(),
            name: text("Sample municipality"),
            languages: vec![Language::Fi, Language::Sv],
            county: County {
                id: "sample".into(),
                code: "00".into(),
                name: text("Sample county"),
            },
            sami_homeland: true,
        });
    let tenant = tenant.to_string();
    Assessment {
        id: "sample".into(),
        created_at: time::OffsetDateTime::UNIX_EPOCH,
        input_digest: String::new(),
        bundle: BundleRef {
            id: bundle.id.clone(),
            version: bundle.version.clone(),
            digest: bundle.digest.clone(),
        },
        tenant,
        case_id: "SAMPLE 2000-1".into(),
        title: "Sample <draft> & \"title\" | *x*".into(),
        language: Language::Fi,
        reference_date: "2000-01-01".into(),
        screening: Screening {
            verdict,
            reasons: vec![ScreeningReason {
                rule_id: "sample".into(),
                signal: verdict,
                text: text("Sample reason"),
                evidence: evidence(),
            }],
            exemption: None,
            confidence: 0.7,
            uncertain: false,
        },
        impacts: impacts(bundle, ""),
        goals: goals(plan),
        required_assessments: bundle
            .assessment_kinds
            .iter()
            .map(|k| RequiredAssessment {
                kind: k.id.clone(),
                title: k.label.clone(),
                reason: text("Sample reason"),
                rule_id: "sample".into(),
            })
            .collect(),
        open_questions: bundle
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| OpenQuestion {
                id: q.id.clone(),
                text: q.text.clone(),
                rule_id: "sample".into(),
                // templates are checked with open and answered questions
                answer: if i == 0 {
                    "Sample <answer> & \"quote\"".into()
                } else {
                    String::new()
                },
            })
            .collect(),
        zero_option_described: true,
        alternatives: alternatives(bundle),
        concepts: Vec::new(),
        municipality,
        plan: PlanRef {
            id: plan.id.clone(),
            title: plan.title.clone(),
            period: plan.period.clone(),
            national_baseline: plan.is_national_baseline(),
        },
    }
}

/// Assessments that together reach every branch of the default templates.
pub(crate) fn samples(bundle: &Bundle) -> Vec<Assessment> {
    let full = assessment(bundle, Verdict::Required);
    // a municipality without a plan of its own, assessed against the
    // national baseline
    let without_plan = bundle
        .municipalities
        .keys()
        .find(|t| !bundle.plans.contains_key(*t))
        .map(|t| with_plan(bundle, Verdict::Recommended, t));
    let mut recommended = assessment(bundle, Verdict::Recommended);
    recommended.zero_option_described = false;
    recommended.alternatives.clear();
    let mut exempt = assessment(bundle, Verdict::NotNeeded);
    exempt.screening.reasons.clear();
    exempt.screening.exemption = Some(ExemptionHit {
        id: "sample".into(),
        label: text("Sample exemption"),
        reason: text("Sample exemption reason"),
        evidence: evidence(),
    });
    let mut empty = exempt.clone();
    empty.screening.exemption = None;
    // nothing fired, and the text still names services: in doubt
    empty.screening.uncertain = true;
    for a in [&mut exempt, &mut empty] {
        a.impacts.clear();
        a.required_assessments.clear();
        a.open_questions.clear();
        a.alternatives.clear();
        a.zero_option_described = false;
        for g in &mut a.goals {
            g.verdict = GoalVerdict::Unaffected;
            g.impact_ids.clear();
        }
    }
    let mut recommended_empty = recommended.clone();
    recommended_empty.impacts.clear();
    let mut all = vec![full, recommended, recommended_empty, exempt, empty];
    all.extend(without_plan);
    all
}
