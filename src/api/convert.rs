//! Conversion between protobuf messages and domain types.

use std::collections::BTreeMap;

use super::pb;
use crate::domain::review::{Change, ImpactFields, Justified, Review};
use crate::domain::{
    self, Direction, GoalVerdict, Horizon, Language, Likelihood, Localized, Magnitude, SectionKind,
    Verdict, Violations, printable, quoted,
};
use crate::render::Format;
use crate::rules::bundle::Entry;
use crate::rules::{Bundle, Limits};
use crate::service::{AssessRequest, Assessed, ledger};
use crate::store::{ListQuery, Page, ReviewStatus, RevisionInfo, Stored};

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
                    pb::SectionKind::Other => SectionKind::Other,
                    // A case system that sends headings but no kinds is
                    // read by its headings.
                    pb::SectionKind::Unspecified => {
                        crate::text::heading_kind(&s.heading).unwrap_or(SectionKind::Other)
                    }
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
            confidence: a.screening.confidence,
            uncertain: a.screening.uncertain,
        }),
        impacts: a.impacts.iter().map(|i| impact(i, lang)).collect(),
        goals: a
            .goals
            .iter()
            .map(|g| pb::GoalAlignment {
                goal_id: g.goal_id.clone(),
                title: Some(text(&g.title)),
                verdict: goal_verdict(g.verdict) as i32,
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
                answer: q.answer.clone(),
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
            national_baseline: a.plan.national_baseline,
        }),
        municipality: Some(municipality(&a.municipality)),
    }
}

/// Protobuf form of a municipality.
fn municipality(m: &domain::Municipality) -> pb::Municipality {
    pb::Municipality {
        number: m.number.clone(),
        name: Some(text(&m.name)),
        languages: m.languages.iter().map(|l| l.code().to_string()).collect(),
        county: Some(pb::County {
            id: m.county.id.clone(),
            code: m.county.code.clone(),
            name: Some(text(&m.county.name)),
        }),
        sami_homeland: m.sami_homeland,
    }
}

/// Protobuf form of a point in time.
fn timestamp(t: time::OffsetDateTime) -> pbjson_types::Timestamp {
    pbjson_types::Timestamp {
        seconds: t.unix_timestamp(),
        nanos: t.nanosecond() as i32,
    }
}

/// Most entries of `render_languages` or of `render_formats`.
pub const MAX_RENDER_CHOICES: usize = 16;

/// An assess request in domain terms, and the problems of its fields that
/// are not the draft's; `None` when it has no draft.
pub fn assess_request_from_proto(
    request: pb::AssessRequest,
    limits: &Limits,
) -> (Option<AssessRequest>, Violations) {
    let mut violations = Violations::new();
    if request.request_id.len() > limits.max_field_bytes {
        violations.add(
            "request_id",
            format!(
                "has {} bytes, over the limit of {} bytes; send a short correlation id",
                request.request_id.len(),
                limits.max_field_bytes
            ),
        );
    } else if request.request_id.contains('\0') {
        violations.add(
            "request_id",
            "holds a NUL character (U+0000); send an id of printable characters",
        );
    }
    let languages = render_languages(&request.render_languages, &mut violations);
    let formats = render_formats(&request.render_formats, &mut violations);
    let Some(draft) = request.draft else {
        violations.add("draft", "is missing; send the draft decision to assess");
        return (None, violations);
    };
    let draft = draft_from_proto(draft, &mut violations);
    let request = AssessRequest {
        draft,
        languages,
        formats,
    };
    (Some(request), violations)
}

/// The rendering languages asked for, each once in the order asked.
fn render_languages(codes: &[String], violations: &mut Violations) -> Vec<Language> {
    let mut out = Vec::new();
    if too_many("render_languages", codes.len(), violations) {
        return out;
    }
    for (i, code) in codes.iter().enumerate() {
        match Language::parse(code) {
            Some(l) if !out.contains(&l) => out.push(l),
            Some(_) => {}
            None => violations.add(
                format!("render_languages[{i}]"),
                format!(
                    "{} is not a rendering language; use fi, sv or en",
                    quoted(code)
                ),
            ),
        }
    }
    out
}

/// The rendering formats asked for, each once in the order asked.
fn render_formats(codes: &[i32], violations: &mut Violations) -> Vec<Format> {
    let mut out = Vec::new();
    if too_many("render_formats", codes.len(), violations) {
        return out;
    }
    for (i, &code) in codes.iter().enumerate() {
        let format = match pb::RenderFormat::try_from(code) {
            Ok(pb::RenderFormat::Html) => Format::Html,
            Ok(pb::RenderFormat::Markdown) => Format::Markdown,
            Ok(pb::RenderFormat::Text) => Format::Text,
            _ => {
                violations.add(
                    format!("render_formats[{i}]"),
                    format!("{code} is an unknown or unspecified format; use RENDER_FORMAT_HTML, RENDER_FORMAT_MARKDOWN or RENDER_FORMAT_TEXT"),
                );
                continue;
            }
        };
        if !out.contains(&format) {
            out.push(format);
        }
    }
    out
}

fn too_many(field: &str, n: usize, violations: &mut Violations) -> bool {
    if n > MAX_RENDER_CHOICES {
        violations.add(
            field,
            format!(
                "has {n} entries, over the limit of {MAX_RENDER_CHOICES}; ask for each at most once"
            ),
        );
        return true;
    }
    false
}

/// Protobuf form of a rendering format.
pub fn render_format(f: Format) -> pb::RenderFormat {
    match f {
        Format::Html => pb::RenderFormat::Html,
        Format::Markdown => pb::RenderFormat::Markdown,
        Format::Text => pb::RenderFormat::Text,
    }
}

/// Protobuf form of an assessment and its renderings.
pub fn assessed_to_proto(a: &Assessed) -> pb::AssessResponse {
    pb::AssessResponse {
        assessment: Some(assessment_to_proto(&a.assessment)),
        renderings: a
            .renderings
            .iter()
            .map(|r| pb::Rendering {
                format: render_format(r.format) as i32,
                language: r.language.code().to_string(),
                media_type: r.format.media_type().to_string(),
                content: r.content.clone(),
            })
            .collect(),
        replayed: false,
    }
}

/// Protobuf form of what a bundle is and holds.
pub fn bundle_info(b: &Bundle, loaded_at: time::OffsetDateTime) -> pb::BundleInfo {
    pb::BundleInfo {
        id: b.id.clone(),
        version: b.version.clone(),
        digest: b.digest.clone(),
        description: Some(text(&b.description)),
        rule_count: b.rules.len() as u32,
        concept_count: b.concepts.len() as u32,
        plans: b
            .plans
            .values()
            .chain([&b.baseline])
            .map(|p| pb::PlanRef {
                id: p.id.clone(),
                title: Some(text(&p.title)),
                period: p.period.clone(),
                national_baseline: p.is_national_baseline(),
            })
            .collect(),
        tenants: b.municipalities.keys().cloned().collect(),
        municipalities: b.municipalities.values().map(municipality).collect(),
        register_year: b.register_year,
        facts: b
            .facts
            .iter()
            .map(|f| pb::FactSpec {
                name: f.name.clone(),
                r#type: f.kind.name().to_string(),
                description: Some(text(&f.description)),
            })
            .collect(),
        loaded_at: Some(timestamp(loaded_at)),
    }
}

/// Protobuf form of a bundle's determinants and population groups.
pub fn taxonomy(b: &Bundle) -> pb::Taxonomy {
    let entries = |list: &[Entry]| {
        list.iter()
            .map(|e| pb::TaxonomyEntry {
                id: e.id.clone(),
                label: Some(text(&e.label)),
            })
            .collect()
    };
    pb::Taxonomy {
        determinants: entries(&b.determinants),
        groups: entries(&b.groups),
    }
}

/// Protobuf form of a review status.
fn review_status(s: ReviewStatus) -> pb::ReviewStatus {
    match s {
        ReviewStatus::Draft => pb::ReviewStatus::Draft,
        ReviewStatus::Reviewed => pb::ReviewStatus::Reviewed,
        ReviewStatus::Approved => pb::ReviewStatus::Approved,
    }
}

/// A stored assessment at one revision.
pub fn stored_to_proto(s: &Stored) -> pb::StoredAssessment {
    pb::StoredAssessment {
        assessment: Some(assessment_to_proto(&s.assessment)),
        revision: s.revision,
        status: review_status(s.status) as i32,
        request_id: s.request_id.clone().unwrap_or_default(),
    }
}

/// A listing query in domain terms, and the problems of its fields.
pub fn list_query_from_proto(r: &pb::ListAssessmentsRequest, v: &mut Violations) -> ListQuery {
    let verdict = match pb::ScreeningVerdict::try_from(r.verdict) {
        Ok(pb::ScreeningVerdict::Unspecified) => None,
        Ok(pb::ScreeningVerdict::Required) => Some(Verdict::Required),
        Ok(pb::ScreeningVerdict::Recommended) => Some(Verdict::Recommended),
        Ok(pb::ScreeningVerdict::NotNeeded) => Some(Verdict::NotNeeded),
        Err(_) => {
            v.add(
                "verdict",
                format!(
                    "{} is not a screening verdict; use REQUIRED, RECOMMENDED or NOT_NEEDED, or leave it out",
                    r.verdict
                ),
            );
            None
        }
    };
    ListQuery {
        tenant: r.tenant.clone(),
        case_id: Some(r.case_id.clone()).filter(|c| !c.is_empty()),
        verdict,
        from: r.from.as_ref().and_then(|t| time_from_proto("from", t, v)),
        to: r.to.as_ref().and_then(|t| time_from_proto("to", t, v)),
        page_size: r.page_size,
        after: None,
    }
}

/// A protobuf timestamp as a time, or a violation of `field`.
fn time_from_proto(
    field: &str,
    t: &pbjson_types::Timestamp,
    v: &mut Violations,
) -> Option<time::OffsetDateTime> {
    let nanos = i128::from(t.seconds) * 1_000_000_000 + i128::from(t.nanos);
    match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
        Ok(t) if (0..1_000_000_000).contains(&t.nanosecond()) => Some(t),
        _ => {
            v.add(
                field,
                "is not a valid time; give seconds since 1970 within years -9999 to 9999",
            );
            None
        }
    }
}

/// One page of a listing, with the token of the next.
pub fn page_to_proto(page: &Page, query: &ListQuery) -> pb::ListAssessmentsResponse {
    pb::ListAssessmentsResponse {
        assessments: page
            .items
            .iter()
            .map(|s| pb::AssessmentSummary {
                id: s.id.clone(),
                case_id: s.case_id.clone(),
                title: s.title.clone(),
                verdict: verdict(s.verdict) as i32,
                revision: s.revision,
                status: review_status(s.status) as i32,
                created_at: Some(timestamp(s.created_at)),
                input_digest: s.input_digest.clone(),
                bundle: Some(pb::BundleRef {
                    id: s.bundle.id.clone(),
                    version: s.bundle.version.clone(),
                    digest: s.bundle.digest.clone(),
                }),
            })
            .collect(),
        next_page_token: page
            .next
            .as_ref()
            .map(|c| c.token(query))
            .unwrap_or_default(),
    }
}

/// The revisions of an assessment.
pub fn revisions_to_proto(revisions: &[RevisionInfo]) -> pb::ListRevisionsResponse {
    pb::ListRevisionsResponse {
        revisions: revisions
            .iter()
            .map(|r| pb::Revision {
                revision: r.revision,
                created_at: Some(timestamp(r.created_at)),
                author: r.author.clone(),
                status: review_status(r.status) as i32,
                verdict: verdict(r.verdict) as i32,
                note: r.note.clone(),
            })
            .collect(),
    }
}

/// A review in domain terms, with the problems of its fields.
pub fn review_from_proto(r: pb::ReviewAssessmentRequest, v: &mut Violations) -> Review {
    let status = match pb::ReviewStatus::try_from(r.status) {
        Ok(pb::ReviewStatus::Unspecified) => None,
        Ok(pb::ReviewStatus::Draft) => Some(ReviewStatus::Draft),
        Ok(pb::ReviewStatus::Reviewed) => Some(ReviewStatus::Reviewed),
        Ok(pb::ReviewStatus::Approved) => Some(ReviewStatus::Approved),
        Err(_) => {
            v.add(
                "status",
                format!(
                    "{} is not a review status; use DRAFT, REVIEWED or APPROVED, or leave it out to keep the current one",
                    r.status
                ),
            );
            None
        }
    };
    let changes = r
        .changes
        .into_iter()
        .enumerate()
        .filter_map(|(i, c)| change_from_proto(&format!("changes[{i}]"), c, v))
        .collect();
    Review {
        expected_revision: r.expected_revision,
        reviewer: r.reviewer,
        changes,
        status,
        note: r.note,
    }
}

fn change_from_proto(at: &str, c: pb::ReviewChange, v: &mut Violations) -> Option<Justified> {
    use pb::review_change::Change as C;
    let change = match c.change {
        None => {
            v.add(
                at,
                "names no change; set one of add_impact, remove_impact, override_impact, \
                 override_goal, override_screening or answer_question",
            );
            return None;
        }
        Some(C::AddImpact(i)) => Change::AddImpact {
            impact: reviewed_impact(&format!("{at}.add_impact"), i, v)?,
        },
        Some(C::RemoveImpact(id)) => Change::RemoveImpact {
            impact_id: id,
            rule_id: String::new(),
        },
        Some(C::OverrideImpact(o)) => {
            let Some(i) = o.impact else {
                v.add(
                    format!("{at}.override_impact.impact"),
                    "is missing; give the impact as it holds",
                );
                return None;
            };
            Change::OverrideImpact {
                impact_id: o.impact_id,
                impact: reviewed_impact(&format!("{at}.override_impact.impact"), i, v)?,
                rule_id: String::new(),
            }
        }
        Some(C::OverrideGoal(g)) => {
            let verdict = match pb::GoalVerdict::try_from(g.verdict) {
                Ok(pb::GoalVerdict::Supports) => GoalVerdict::Supports,
                Ok(pb::GoalVerdict::Conflicts) => GoalVerdict::Conflicts,
                Ok(pb::GoalVerdict::Mixed) => GoalVerdict::Mixed,
                Ok(pb::GoalVerdict::Unaffected) => GoalVerdict::Unaffected,
                _ => {
                    unspecified(v, &format!("{at}.override_goal.verdict"), "GOAL_VERDICT");
                    return None;
                }
            };
            Change::OverrideGoal {
                goal_id: g.goal_id,
                verdict,
            }
        }
        Some(C::OverrideScreening(s)) => {
            let verdict = match pb::ScreeningVerdict::try_from(s) {
                Ok(pb::ScreeningVerdict::Required) => Verdict::Required,
                Ok(pb::ScreeningVerdict::Recommended) => Verdict::Recommended,
                Ok(pb::ScreeningVerdict::NotNeeded) => Verdict::NotNeeded,
                _ => {
                    unspecified(v, &format!("{at}.override_screening"), "SCREENING_VERDICT");
                    return None;
                }
            };
            Change::OverrideScreening {
                verdict,
                previous: Verdict::NotNeeded,
            }
        }
        Some(C::AnswerQuestion(q)) => Change::AnswerQuestion {
            question_id: q.question_id,
            answer: q.answer,
        },
    };
    Some(Justified {
        change,
        justification: c.justification,
    })
}

fn unspecified(v: &mut Violations, field: &str, enum_name: &str) {
    v.add(
        field,
        format!("is unspecified or unknown; give one of the {enum_name}_ values"),
    );
}

fn reviewed_impact(at: &str, i: pb::ReviewedImpact, v: &mut Violations) -> Option<ImpactFields> {
    let direction = match pb::Direction::try_from(i.direction) {
        Ok(pb::Direction::Positive) => Some(Direction::Positive),
        Ok(pb::Direction::Negative) => Some(Direction::Negative),
        Ok(pb::Direction::Mixed) => Some(Direction::Mixed),
        Ok(pb::Direction::Uncertain) => Some(Direction::Uncertain),
        _ => None,
    };
    let magnitude = match pb::Magnitude::try_from(i.magnitude) {
        Ok(pb::Magnitude::Minor) => Some(Magnitude::Minor),
        Ok(pb::Magnitude::Moderate) => Some(Magnitude::Moderate),
        Ok(pb::Magnitude::Major) => Some(Magnitude::Major),
        _ => None,
    };
    let likelihood = match pb::Likelihood::try_from(i.likelihood) {
        Ok(pb::Likelihood::Possible) => Some(Likelihood::Possible),
        Ok(pb::Likelihood::Likely) => Some(Likelihood::Likely),
        Ok(pb::Likelihood::Certain) => Some(Likelihood::Certain),
        _ => None,
    };
    let horizon = match pb::Horizon::try_from(i.horizon) {
        Ok(pb::Horizon::BudgetYear) => Some(Horizon::BudgetYear),
        Ok(pb::Horizon::CouncilTerm) => Some(Horizon::CouncilTerm),
        Ok(pb::Horizon::LongTerm) => Some(Horizon::LongTerm),
        _ => None,
    };
    for (field, given, name) in [
        ("direction", direction.is_some(), "DIRECTION"),
        ("magnitude", magnitude.is_some(), "MAGNITUDE"),
        ("likelihood", likelihood.is_some(), "LIKELIHOOD"),
        ("horizon", horizon.is_some(), "HORIZON"),
    ] {
        if !given {
            unspecified(v, &format!("{at}.{field}"), name);
        }
    }
    Some(ImpactFields {
        determinant: i.determinant,
        groups: i.groups,
        direction: direction?,
        magnitude: magnitude?,
        likelihood: likelihood?,
        horizon: horizon?,
        rationale: i.rationale,
    })
}

/// The languages and formats a RenderAssessment asks for, with the
/// problems of its fields.
pub fn render_choices(
    r: &pb::RenderAssessmentRequest,
    v: &mut Violations,
) -> (Vec<Language>, Vec<Format>) {
    let languages = render_languages(&r.render_languages, v);
    let formats = render_formats(&r.render_formats, v);
    if r.render_formats.is_empty() {
        v.add(
            "render_formats",
            "is empty; ask for at least one of RENDER_FORMAT_HTML, RENDER_FORMAT_MARKDOWN or RENDER_FORMAT_TEXT",
        );
    }
    (languages, formats)
}

/// Renderings of a stored assessment.
pub fn renderings_to_proto(revision: u32, a: &Assessed) -> pb::RenderAssessmentResponse {
    pb::RenderAssessmentResponse {
        revision,
        renderings: assessed_to_proto(a).renderings,
    }
}

fn goal_verdict(v: GoalVerdict) -> pb::GoalVerdict {
    match v {
        GoalVerdict::Supports => pb::GoalVerdict::Supports,
        GoalVerdict::Conflicts => pb::GoalVerdict::Conflicts,
        GoalVerdict::Mixed => pb::GoalVerdict::Mixed,
        GoalVerdict::Unaffected => pb::GoalVerdict::Unaffected,
    }
}

/// The period of a report, both ends required, with the problems of its
/// fields.
pub fn report_period(
    r: &pb::ReportRequest,
    v: &mut Violations,
) -> Option<(time::OffsetDateTime, time::OffsetDateTime)> {
    let mut end = |field: &str, t: &Option<pbjson_types::Timestamp>| match t {
        None => {
            v.add(
                field,
                "is missing; give the period's start (`from`) and end (`to`)",
            );
            None
        }
        Some(t) => time_from_proto(field, t, v),
    };
    let from = end("from", &r.from);
    let to = end("to", &r.to);
    Some((from?, to?))
}

fn case_ref(c: &ledger::CaseRef) -> pb::CaseRef {
    pb::CaseRef {
        case_id: c.case_id.clone(),
        assessment_id: c.assessment_id.clone(),
        revision: c.revision,
    }
}

/// Protobuf form of a goal summary.
pub fn goal_summary_to_proto(s: &ledger::GoalSummary) -> pb::GoalSummary {
    pb::GoalSummary {
        decisions: s.decisions,
        goals: s
            .goals
            .iter()
            .map(|g| pb::GoalTally {
                goal_id: g.goal_id.clone(),
                title: Some(text(&g.title)),
                focus_area: Some(text(&g.focus_area)),
                supports: g.supports,
                conflicts: g.conflicts,
                mixed: g.mixed,
                cases: g
                    .cases
                    .iter()
                    .map(|(c, verdict)| pb::CaseVerdict {
                        case: Some(case_ref(c)),
                        verdict: goal_verdict(*verdict) as i32,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Protobuf form of the cumulative effects of a period.
pub fn effects_to_proto(e: &ledger::CumulativeEffects) -> pb::CumulativeEffects {
    pb::CumulativeEffects {
        decisions: e.decisions,
        effects: e
            .effects
            .iter()
            .map(|x| pb::Effect {
                determinant: x.determinant.clone(),
                group: x.group.clone(),
                decisions: x.decisions,
                cases: x.cases.iter().map(case_ref).collect(),
                cumulative: x.cumulative,
            })
            .collect(),
        groups: e
            .groups
            .iter()
            .map(|x| pb::GroupTotal {
                group: x.group.clone(),
                decisions: x.decisions,
                cases: x.cases.iter().map(case_ref).collect(),
                cumulative: x.cumulative,
            })
            .collect(),
    }
}

/// Protobuf form of the review statistics of a period.
pub fn review_statistics_to_proto(s: &ledger::ReviewStatistics) -> pb::ReviewStatistics {
    pb::ReviewStatistics {
        assessments: s.assessments,
        reviewed: s.reviewed,
        screening_changed: s.screening_changed,
        impacts_added: s.impacts_added,
        goals_overridden: s.goals_overridden,
        rules: s
            .rules
            .iter()
            .map(|r| pb::RuleCorrections {
                rule_id: r.rule_id.clone(),
                removed: r.removed,
                overridden: r.overridden,
            })
            .collect(),
    }
}
