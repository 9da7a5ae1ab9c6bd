//! Conversion between protobuf messages and domain types.

use std::collections::BTreeMap;

use super::pb;
use crate::domain::{
    self, Direction, GoalVerdict, Horizon, Likelihood, Localized, Magnitude, SectionKind, Verdict,
    Violations, printable,
};

/// A draft from its protobuf form. Mechanical: validation is the engine's,
/// but for what only the protobuf form can tell (a fact that is NaN or
/// infinite has no JSON form), which is added to `violations` and left out
/// of the draft.
pub fn draft_from_proto(d: pb::DraftDecision, violations: &mut Violations) -> domain::Draft {
    let mut facts: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    let mut given: Vec<_> = d.facts.iter().collect();
    given.sort_unstable_by(|a, b| a.0.cmp(b.0));
    for (name, value) in given {
        match serde_json::to_value(value) {
            Ok(json) => {
                facts.insert(name.clone(), json);
            }
            Err(_) => violations.add(
                format!("draft.facts.{}", printable(name, 64)),
                "holds a number that is not finite (NaN or infinity); give a finite number",
            ),
        }
    }
    domain::Draft {
        tenant: d.tenant.trim().to_string(),
        case_id: d.case_id,
        title: d.title,
        organ: d.organ,
        language: d.language.trim().to_ascii_lowercase(),
        classification_code: d.classification_code,
        sections: d
            .sections
            .into_iter()
            .map(|s| domain::Section {
                kind: match pb::SectionKind::try_from(s.kind)
                    .unwrap_or(pb::SectionKind::Unspecified)
                {
                    pb::SectionKind::Proposal => SectionKind::Proposal,
                    pb::SectionKind::Reasoning => SectionKind::Reasoning,
                    pb::SectionKind::Background => SectionKind::Background,
                    pb::SectionKind::Other | pb::SectionKind::Unspecified => SectionKind::Other,
                },
                heading: s.heading,
                text: s.text,
            })
            .collect(),
        budget: d
            .budget
            .map(|b| domain::Budget {
                one_off_eur: b.one_off_eur,
                annual_eur: b.annual_eur,
            })
            .unwrap_or_default(),
        alternatives: d
            .alternatives
            .into_iter()
            .map(|a| domain::Alternative {
                id: a.id,
                title: a.title,
                text: a.text,
                zero_option: a.zero_option,
            })
            .collect(),
        affected_groups: d.affected_groups,
        affected_areas: d.affected_areas,
        facts,
        decision_date: d.decision_date.trim().to_string(),
    }
}

fn text(l: &Localized) -> pb::LocalizedText {
    pb::LocalizedText {
        fi: l.fi.clone(),
        sv: l.sv.clone(),
        en: l.en.clone(),
    }
}

/// Protobuf form of a screening verdict.
pub fn verdict(v: Verdict) -> pb::ScreeningVerdict {
    match v {
        Verdict::Required => pb::ScreeningVerdict::Required,
        Verdict::Recommended => pb::ScreeningVerdict::Recommended,
        Verdict::NotNeeded => pb::ScreeningVerdict::NotNeeded,
    }
}

fn evidence(e: &domain::Evidence) -> pb::Evidence {
    pb::Evidence {
        rule_id: e.rule_id.clone(),
        section_index: match e.place {
            domain::Place::Section(i) => i as i32,
            domain::Place::Title | domain::Place::Field(_) => -1,
        },
        start: e.start,
        end: e.end,
        excerpt: e.excerpt.clone(),
        term: e.term.clone(),
        concept: e.concept.clone(),
        fact: match &e.place {
            domain::Place::Field(path) => path.clone(),
            domain::Place::Title | domain::Place::Section(_) => String::new(),
        },
    }
}

fn impact(i: &domain::Impact, lang: domain::Language) -> pb::Impact {
    pb::Impact {
        id: i.id.clone(),
        determinant: i.determinant.clone(),
        groups: i.groups.clone(),
        direction: match i.direction {
            Direction::Positive => pb::Direction::Positive,
            Direction::Negative => pb::Direction::Negative,
            Direction::Mixed => pb::Direction::Mixed,
            Direction::Uncertain => pb::Direction::Uncertain,
        } as i32,
        magnitude: match i.magnitude {
            Magnitude::Minor => pb::Magnitude::Minor,
            Magnitude::Moderate => pb::Magnitude::Moderate,
            Magnitude::Major => pb::Magnitude::Major,
        } as i32,
        likelihood: match i.likelihood {
            Likelihood::Possible => pb::Likelihood::Possible,
            Likelihood::Likely => pb::Likelihood::Likely,
            Likelihood::Certain => pb::Likelihood::Certain,
        } as i32,
        horizon: match i.horizon {
            Horizon::BudgetYear => pb::Horizon::BudgetYear,
            Horizon::CouncilTerm => pb::Horizon::CouncilTerm,
            Horizon::LongTerm => pb::Horizon::LongTerm,
        } as i32,
        rationale: Some(text(&i.rationale)),
        evidence: i.evidence.iter().map(evidence).collect(),
        mitigations: i
            .mitigations
            .iter()
            .map(|m| m.get(lang).to_string())
            .collect(),
        rule_id: i.rule_id.clone(),
        reference: i.reference.clone(),
        confidence: i.confidence,
    }
}

/// Protobuf form of an assessment.
pub fn assessment_to_proto(a: &domain::Assessment) -> pb::Assessment {
    let lang = a.language;
    pb::Assessment {
        id: a.id.clone(),
        created_at: Some(timestamp(a.created_at)),
        input_digest: a.input_digest.clone(),
        bundle: Some(pb::BundleRef {
            id: a.bundle.id.clone(),
            version: a.bundle.version.clone(),
            digest: a.bundle.digest.clone(),
        }),
        screening: Some(pb::Screening {
            verdict: verdict(a.screening.verdict) as i32,
            reasons: a
                .screening
                .reasons
                .iter()
                .map(|r| pb::ScreeningReason {
                    rule_id: r.rule_id.clone(),
                    signal: verdict(r.signal) as i32,
                    text: Some(text(&r.text)),
                    evidence: r.evidence.iter().map(evidence).collect(),
                })
                .collect(),
            exemption: a.screening.exemption.as_ref().map(|e| pb::Exemption {
                id: e.id.clone(),
                label: Some(text(&e.label)),
                reason: Some(text(&e.reason)),
                evidence: e.evidence.iter().map(evidence).collect(),
            }),
        }),
        impacts: a.impacts.iter().map(|i| impact(i, lang)).collect(),
        goals: a
            .goals
            .iter()
            .map(|g| pb::GoalAlignment {
                goal_id: g.goal_id.clone(),
                title: Some(text(&g.title)),
                verdict: match g.verdict {
                    GoalVerdict::Supports => pb::GoalVerdict::Supports,
                    GoalVerdict::Conflicts => pb::GoalVerdict::Conflicts,
                    GoalVerdict::Mixed => pb::GoalVerdict::Mixed,
                    GoalVerdict::Unaffected => pb::GoalVerdict::Unaffected,
                } as i32,
                score: g.score,
                indicators: g
                    .indicators
                    .iter()
                    .map(|i| pb::Indicator {
                        sotkanet_id: i.sotkanet_id,
                        name: Some(text(&i.name)),
                        baseline: i.baseline,
                        baseline_year: i.baseline_year,
                        target: i.target,
                        desired_direction: i.direction.clone(),
                    })
                    .collect(),
                impact_ids: g.impact_ids.clone(),
                focus_area: Some(text(&g.focus_area)),
                confidence: g.confidence,
            })
            .collect(),
        required_assessments: a
            .required_assessments
            .iter()
            .map(|r| pb::RequiredAssessment {
                kind: r.kind.clone(),
                title: Some(text(&r.title)),
                reason: Some(text(&r.reason)),
                rule_id: r.rule_id.clone(),
            })
            .collect(),
        open_questions: a
            .open_questions
            .iter()
            .map(|q| pb::OpenQuestion {
                id: q.id.clone(),
                text: Some(text(&q.text)),
                rule_id: q.rule_id.clone(),
            })
            .collect(),
        alternatives: Some(pb::AlternativesComparison {
            zero_option_described: a.zero_option_described,
            alternatives: a
                .alternatives
                .iter()
                .map(|alt| pb::AlternativeAssessment {
                    alternative_id: alt.alternative_id.clone(),
                    title: alt.title.clone(),
                    zero_option: alt.zero_option,
                    impacts: alt.impacts.iter().map(|i| impact(i, lang)).collect(),
                })
                .collect(),
        }),
        tenant: a.tenant.clone(),
        case_id: a.case_id.clone(),
        language: a.language.code().to_string(),
        reference_date: a.reference_date.clone(),
        concepts: a
            .concepts
            .iter()
            .map(|c| pb::ConceptHit {
                concept: c.concept.clone(),
                label: Some(text(&c.label)),
                count: c.count,
            })
            .collect(),
        plan: Some(pb::PlanRef {
            id: a.plan.id.clone(),
            title: Some(text(&a.plan.title)),
            period: a.plan.period.clone(),
        }),
    }
}

/// Protobuf form of a point in time.
pub(crate) fn timestamp(t: time::OffsetDateTime) -> pbjson_types::Timestamp {
    pbjson_types::Timestamp {
        seconds: t.unix_timestamp(),
        nanos: t.nanosecond() as i32,
    }
}

/// Protobuf form of a localized text (for the rule service).
pub(crate) fn localized(l: &Localized) -> pb::LocalizedText {
    text(l)
}
