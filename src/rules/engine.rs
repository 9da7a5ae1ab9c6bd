//! Assessing a draft with a bundle: validation, text analysis, rule
//! evaluation, screening, goal alignment and alternatives.

use std::collections::{BTreeMap, BTreeSet};

use super::bundle::{Bundle, Conditions, Entry, Rule};
use super::condition::ConditionLanguage;
use super::input::{self, BudgetInput, DraftInput};
use super::limits::Limits;
use super::validate::{parse_decision_date, validate};
use crate::domain::{
    AlternativeAssessment, Assessment, BundleRef, ConceptHit, Deadline, Direction, Draft, Evidence,
    ExemptionHit, GoalAlignment, GoalVerdict, Impact, Interrupted, Language, Likelihood, Magnitude,
    OpenQuestion, PlanRef, RequiredAssessment, Screening, ScreeningReason, Section, SectionKind,
    Verdict, Violations,
};
use crate::text::tokenize;

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

/// Most text hits kept as evidence per concept and rule.
const MAX_HITS_PER_CONCEPT: usize = 3;

/// A concept found in the draft, with where.
#[derive(Debug, Clone)]
struct Found {
    concept: String,
    term: String,
    section_index: i32,
    start: usize,
    end: usize,
}

/// Text analysis of a draft.
struct Analysis {
    found: Vec<Found>,
}

impl Analysis {
    fn of(
        bundle: &Bundle,
        lang: Language,
        title: &str,
        sections: &[(SectionKind, &str)],
        deadline: &Deadline,
    ) -> Result<Analysis, Interrupted> {
        let matcher = bundle.matcher(lang);
        let mut found = Vec::new();
        let mut add = |index: i32, text: &str| {
            for hit in matcher.find_in_tokens(&tokenize(text)) {
                found.push(Found {
                    concept: hit.concept,
                    term: hit.term,
                    section_index: index,
                    start: hit.start,
                    end: hit.end,
                });
            }
        };
        add(-1, title);
        for (i, (_, text)) in sections.iter().enumerate() {
            deadline.check()?;
            add(i as i32, text);
        }
        Ok(Analysis { found })
    }

    /// The concepts found where `filter` says, each once.
    fn concept_set(&self, filter: impl Fn(&Found) -> bool) -> BTreeSet<&str> {
        self.found
            .iter()
            .filter(|f| filter(f))
            .map(|f| f.concept.as_str())
            .collect()
    }
}

/// Assesses a draft. `now` stamps the assessment and, when the draft has no
/// decision date, chooses the rules in force. The work stops with
/// [`AssessError::Interrupted`] when `deadline` passes or is cancelled.
pub fn assess(
    bundle: &Bundle,
    draft: &Draft,
    limits: &Limits,
    now: time::OffsetDateTime,
    deadline: &Deadline,
) -> Result<Assessment, AssessError> {
    let lang = validate(bundle, draft, limits).map_err(AssessError::InvalidDraft)?;
    deadline.check()?;
    let date = parse_decision_date(&draft.decision_date).unwrap_or(now.date());
    let plan = &bundle.plans[&draft.tenant];
    let conditions = Conditions::default();

    let sections: Vec<(SectionKind, &str)> = draft
        .sections
        .iter()
        .map(|s| (s.kind, s.text.as_str()))
        .collect();
    let analysis = Analysis::of(bundle, lang, &draft.title, &sections, deadline)?;
    let zero_option = draft.alternatives.iter().any(|a| a.zero_option);
    let input = condition_input(
        bundle,
        draft,
        lang,
        &analysis,
        (draft.alternatives.len(), zero_option),
        &sections,
    );
    let prepared = conditions.prepare(&input::to_json(&input));

    let rules_in_force: Vec<&Rule> = bundle.rules.iter().filter(|r| r.in_force(date)).collect();
    let mut fired: Vec<&Rule> = Vec::new();
    for rule in &rules_in_force {
        deadline.check()?;
        let hit = holds(&conditions, &rule.condition, &prepared, &rule.id)?;
        if hit {
            fired.push(rule);
        }
    }
    let mut exemption = None;
    let mut strict = false;
    for e in &bundle.exemptions {
        let hit = holds(&conditions, &e.condition, &prepared, &e.id)?;
        if hit {
            exemption = Some(ExemptionHit {
                id: e.id.clone(),
                label: e.label.clone(),
                reason: e.reason.clone(),
                evidence: text_evidence(
                    &analysis,
                    &e.id,
                    &e.evidence_concepts,
                    &draft.title,
                    &sections,
                ),
            });
            strict = e.strict;
            break;
        }
    }

    deadline.check()?;
    // what each fired rule fired on, found once for screening and impacts
    let fired: Vec<(&Rule, Vec<Evidence>)> = fired
        .into_iter()
        .map(|r| (r, rule_evidence(r, &analysis, draft, &sections)))
        .collect();

    // screening
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
    // a non-strict exemption stands only where no rule demands an assessment
    let exemption = if verdict == Verdict::NotNeeded {
        exemption
    } else {
        None
    };
    let exempt = exemption.is_some();

    let mut impacts = if exempt {
        Vec::new()
    } else {
        impacts_of(bundle, &fired, &analysis, &sections)
    };
    for (i, impact) in impacts.iter_mut().enumerate() {
        impact.id = format!("I{}", i + 1);
    }

    let goals = plan
        .goals
        .iter()
        .map(|g| {
            let related: Vec<&Impact> = impacts
                .iter()
                .filter(|i| g.determinants.contains(&i.determinant))
                .filter(|i| {
                    g.groups.is_empty()
                        || i.groups.is_empty()
                        || i.groups.iter().any(|x| g.groups.contains(x))
                })
                .collect();
            let (verdict, score) = goal_verdict(&related);
            let confidence = goal_confidence(&related);
            GoalAlignment {
                goal_id: g.id.clone(),
                title: g.title.clone(),
                focus_area: g.focus_area.clone(),
                verdict,
                score,
                indicators: g.indicators.clone(),
                impact_ids: related.iter().map(|i| i.id.clone()).collect(),
                confidence,
            }
        })
        .collect();

    let mut required_assessments: Vec<RequiredAssessment> = Vec::new();
    let mut open_questions: Vec<OpenQuestion> = Vec::new();
    if !exempt {
        for (r, _) in &fired {
            for k in &r.required_assessments {
                if !required_assessments.iter().any(|x| &x.kind == k) {
                    required_assessments.push(RequiredAssessment {
                        kind: k.clone(),
                        title: bundle
                            .assessment_kinds
                            .iter()
                            .find(|e| &e.id == k)
                            .map(|e| e.label.clone())
                            .unwrap_or_default(),
                        reason: r.reason.clone(),
                        rule_id: r.id.clone(),
                    });
                }
            }
            for q in &r.open_questions {
                push_question(bundle, &mut open_questions, q, &r.id);
            }
        }
        required_assessments
            .sort_by_key(|r| bundle.assessment_kinds.iter().position(|k| k.id == r.kind));
    }
    deadline.check()?;
    // second phase: questions that look at the result so far
    let determinants: BTreeSet<&str> = impacts.iter().map(|i| i.determinant.as_str()).collect();
    let impact_groups: BTreeSet<&str> = impacts
        .iter()
        .flat_map(|i| i.groups.iter().map(String::as_str))
        .collect();
    let input2 = input::ResultInput {
        draft: &input,
        screening: verdict.name(),
        determinants: determinants.into_iter().collect(),
        impact_groups: impact_groups.into_iter().collect(),
        required_assessments: required_assessments
            .iter()
            .map(|r| r.kind.as_str())
            .collect(),
        negative_impacts: impacts
            .iter()
            .filter(|i| matches!(i.direction, Direction::Negative | Direction::Mixed))
            .count(),
    };
    let prepared2 = conditions.prepare(&input::to_json(&input2));
    for q in &bundle.questions {
        if let Some(c) = &q.condition {
            let hit = holds(&conditions, c, &prepared2, &q.id)?;
            if hit {
                push_question(bundle, &mut open_questions, &q.id, "questions");
            }
        }
    }
    open_questions.sort_by_key(|q| bundle.questions.iter().position(|x| x.id == q.id));

    // each alternative is assessed as if its own text were the proposal;
    // its evidence points into that text (section 0) and its title (-1)
    let mut alternatives = Vec::new();
    for a in &draft.alternatives {
        deadline.check()?;
        let alt_sections = [(SectionKind::Proposal, a.text.as_str())];
        let alt_analysis = Analysis::of(bundle, lang, &a.title, &alt_sections, deadline)?;
        // the alternative's own text stands for the draft's: nothing of the
        // other alternatives is copied, so n alternatives cost n times one
        let alt_draft = Draft {
            tenant: draft.tenant.clone(),
            case_id: draft.case_id.clone(),
            title: a.title.clone(),
            organ: draft.organ.clone(),
            language: draft.language.clone(),
            classification_code: draft.classification_code.clone(),
            sections: vec![Section {
                kind: SectionKind::Proposal,
                heading: String::new(),
                text: a.text.clone(),
            }],
            budget: Default::default(),
            alternatives: Vec::new(),
            affected_groups: draft.affected_groups.clone(),
            affected_areas: draft.affected_areas.clone(),
            facts: BTreeMap::new(),
            decision_date: draft.decision_date.clone(),
        };
        let alt_input = condition_input(
            bundle,
            &alt_draft,
            lang,
            &alt_analysis,
            (0, zero_option),
            &alt_sections,
        );
        let alt_prepared = conditions.prepare(&input::to_json(&alt_input));
        let mut alt_fired: Vec<(&Rule, Vec<Evidence>)> = Vec::new();
        for rule in rules_in_force.iter().filter(|r| !r.impacts.is_empty()) {
            deadline.check()?;
            if holds(&conditions, &rule.condition, &alt_prepared, &rule.id)? {
                let evidence = rule_evidence(rule, &alt_analysis, &alt_draft, &alt_sections);
                alt_fired.push((rule, evidence));
            }
        }
        let mut alt_impacts = impacts_of(bundle, &alt_fired, &alt_analysis, &alt_sections);
        for (i, impact) in alt_impacts.iter_mut().enumerate() {
            impact.id = format!("{}.I{}", a.id, i + 1);
        }
        alternatives.push(AlternativeAssessment {
            alternative_id: a.id.clone(),
            title: a.title.clone(),
            zero_option: a.zero_option,
            impacts: alt_impacts,
        });
    }

    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for f in &analysis.found {
        *counts.entry(f.concept.as_str()).or_default() += 1;
    }
    let concepts = counts
        .into_iter()
        .map(|(c, n)| ConceptHit {
            concept: c.to_string(),
            label: bundle.label(c).cloned().unwrap_or_default(),
            count: n,
        })
        .collect();

    Ok(Assessment {
        id: uuid::Uuid::new_v4().to_string(),
        created_at: now,
        input_digest: draft.digest(),
        bundle: BundleRef {
            id: bundle.id.clone(),
            version: bundle.version.clone(),
            digest: bundle.digest.clone(),
        },
        tenant: draft.tenant.clone(),
        case_id: draft.case_id.clone(),
        title: draft.title.clone(),
        language: lang,
        reference_date: date.to_string(),
        screening: Screening {
            verdict,
            reasons,
            exemption,
        },
        impacts,
        goals,
        required_assessments,
        open_questions,
        zero_option_described: draft.alternatives.iter().any(|a| a.zero_option),
        alternatives,
        concepts,
        plan: PlanRef {
            id: plan.id.clone(),
            title: plan.title.clone(),
            period: plan.period.clone(),
        },
    })
}

/// Evaluates one condition; a failure names the rule, exemption or question.
fn holds(
    conditions: &Conditions,
    condition: &<Conditions as ConditionLanguage>::Compiled,
    input: &<Conditions as ConditionLanguage>::Input,
    id: &str,
) -> Result<bool, AssessError> {
    conditions
        .evaluate(condition, input)
        .map_err(|message| AssessError::RuleFailed {
            rule: id.to_string(),
            message,
        })
}

fn push_question(bundle: &Bundle, out: &mut Vec<OpenQuestion>, id: &str, rule_id: &str) {
    if out.iter().any(|q| q.id == id) {
        return;
    }
    if let Some(q) = bundle.questions.iter().find(|q| q.id == id) {
        out.push(OpenQuestion {
            id: q.id.clone(),
            text: q.text.clone(),
            rule_id: rule_id.to_string(),
        });
    }
}

/// What conditions read. `alternatives` is the number of alternatives and
/// whether one is the zero option (an alternative's own input has none of
/// its own, and sees the draft's zero option).
fn condition_input(
    bundle: &Bundle,
    draft: &Draft,
    lang: Language,
    analysis: &Analysis,
    (alternatives, zero_option): (usize, bool),
    sections: &[(SectionKind, &str)],
) -> DraftInput {
    let class: Vec<&str> = draft.classification_code.split_whitespace().collect();
    let facts = bundle
        .facts
        .iter()
        .map(|f| {
            let value = draft.facts.get(&f.name).cloned();
            (
                f.name.clone(),
                value.unwrap_or_else(|| f.kind.default_value()),
            )
        })
        .collect();
    let proposal = proposal_sections(sections);
    DraftInput {
        tenant: draft.tenant.clone(),
        organ: draft.organ.clone(),
        language: lang.code().to_string(),
        title: draft.title.clone(),
        classification: class.join(" "),
        class_main: class.first().copied().unwrap_or("").to_string(),
        class_sub: class.iter().take(2).copied().collect::<Vec<_>>().join(" "),
        budget: BudgetInput {
            one_off_eur: draft.budget.one_off_eur.unwrap_or(0),
            annual_eur: draft.budget.annual_eur.unwrap_or(0),
            stated: draft.budget.one_off_eur.is_some() || draft.budget.annual_eur.is_some(),
            one_off_stated: draft.budget.one_off_eur.is_some(),
            annual_stated: draft.budget.annual_eur.is_some(),
        },
        concepts: bundle.with_families(&analysis.concept_set(|_| true)),
        title_concepts: bundle.with_families(&analysis.concept_set(|f| f.section_index < 0)),
        proposal_concepts: bundle
            .with_families(&analysis.concept_set(|f| proposal.contains(&f.section_index))),
        core_concepts: bundle.with_families(
            &analysis.concept_set(|f| f.section_index < 0 || proposal.contains(&f.section_index)),
        ),
        groups: draft.affected_groups.clone(),
        areas: draft.affected_areas.clone(),
        alternatives,
        zero_option,
        facts,
        facts_given: draft.facts.keys().cloned().collect(),
        text_bytes: draft.text_bytes(),
        text_max_eur: text_max_eur(&draft.title, sections),
    }
}

/// The sections read as the decision proposal: those marked as proposal,
/// or every section when none is (a case system that does not mark its
/// sections, or one whose draft is a single description, still has its
/// decision read as the proposal rather than not at all).
fn proposal_sections(sections: &[(SectionKind, &str)]) -> BTreeSet<i32> {
    let marked = marked_proposal(sections);
    if marked.is_empty() {
        (0..sections.len() as i32).collect()
    } else {
        marked
    }
}

/// The sections the draft marks as its proposal.
fn marked_proposal(sections: &[(SectionKind, &str)]) -> BTreeSet<i32> {
    sections
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| *k == SectionKind::Proposal)
        .map(|(i, _)| i as i32)
        .collect()
}

/// The largest euro amount written in the title and proposal sections (see
/// `proposal_sections`); 0 when none.
fn text_max_eur(title: &str, sections: &[(SectionKind, &str)]) -> f64 {
    let proposal = proposal_sections(sections);
    std::iter::once(title)
        .chain(
            sections
                .iter()
                .enumerate()
                .filter(|(i, _)| proposal.contains(&(*i as i32)))
                .map(|(_, (_, t))| *t),
        )
        .flat_map(crate::text::euro_amounts)
        .fold(0.0, f64::max)
}

fn section_text<'a>(title: &'a str, sections: &[(SectionKind, &'a str)], index: i32) -> &'a str {
    if index < 0 {
        title
    } else {
        sections.get(index as usize).map(|s| s.1).unwrap_or("")
    }
}

fn text_evidence(
    analysis: &Analysis,
    rule_id: &str,
    concepts: &[String],
    title: &str,
    sections: &[(SectionKind, &str)],
) -> Vec<Evidence> {
    let mut out = Vec::new();
    for c in concepts {
        for f in analysis
            .found
            .iter()
            .filter(|f| &f.concept == c)
            .take(MAX_HITS_PER_CONCEPT)
        {
            let text = section_text(title, sections, f.section_index);
            out.push(Evidence {
                rule_id: rule_id.to_string(),
                section_index: f.section_index,
                start: f.start as u32,
                end: f.end as u32,
                excerpt: text.get(f.start..f.end).unwrap_or("").to_string(),
                term: f.term.clone(),
                concept: f.concept.clone(),
                fact: String::new(),
            });
        }
    }
    out
}

fn rule_evidence(
    rule: &Rule,
    analysis: &Analysis,
    draft: &Draft,
    sections: &[(SectionKind, &str)],
) -> Vec<Evidence> {
    let mut out = text_evidence(
        analysis,
        &rule.id,
        &rule.evidence_concepts,
        &draft.title,
        sections,
    );
    for path in &rule.evidence_fields {
        let value = if let Some(name) = path.strip_prefix("facts.") {
            draft.facts.get(name).map(|v| v.to_string())
        } else {
            match path.as_str() {
                "budget.annual_eur" => draft.budget.annual_eur.map(|v| v.to_string()),
                "budget.one_off_eur" => draft.budget.one_off_eur.map(|v| v.to_string()),
                _ => None,
            }
        };
        if let Some(value) = value {
            out.push(Evidence {
                rule_id: rule.id.clone(),
                section_index: -1,
                start: 0,
                end: 0,
                excerpt: value,
                term: String::new(),
                concept: String::new(),
                fact: path.clone(),
            });
        }
    }
    out
}

/// How firmly a rule's trigger stands: structured facts and budget figures
/// are explicit; a single keyword is weak, several concepts or hits in the
/// title and proposal are stronger.
fn confidence(evidence: &[Evidence], proposal: &BTreeSet<i32>) -> f64 {
    if evidence.iter().any(|e| !e.fact.is_empty()) {
        return 0.9;
    }
    let concepts: BTreeSet<&str> = evidence.iter().map(|e| e.concept.as_str()).collect();
    let hits = evidence.len();
    let prominent = evidence
        .iter()
        .any(|e| e.section_index < 0 || proposal.contains(&e.section_index));
    let mut c: f64 = 0.35;
    c += 0.15 * (concepts.len().saturating_sub(1)) as f64;
    c += if hits > 1 { 0.1 } else { 0.0 };
    c += if prominent { 0.1 } else { 0.0 };
    (c.min(0.85) * 100.0).round() / 100.0
}

fn impacts_of(
    bundle: &Bundle,
    fired: &[(&Rule, Vec<Evidence>)],
    analysis: &Analysis,
    sections: &[(SectionKind, &str)],
) -> Vec<Impact> {
    let proposal = proposal_sections(sections);
    // confidence counts only a proposal the draft marks as such
    let marked = marked_proposal(sections);
    let in_title = analysis.concept_set(|f| f.section_index < 0);
    let in_core =
        analysis.concept_set(|f| f.section_index < 0 || proposal.contains(&f.section_index));
    let names =
        |g: &&Entry, found: &BTreeSet<&str>| g.concepts.iter().any(|c| found.contains(c.as_str()));
    // groups the title names: the decision is aimed at them, so every impact
    // reaches them besides the groups its rule names
    let named_groups: Vec<String> = bundle
        .groups
        .iter()
        .filter(|g| names(g, &in_title))
        .map(|g| g.id.clone())
        .collect();
    // age bands the title or proposal names: an impact whose rule names
    // several bands keeps only those the text names (see `AgeBands`),
    // unless the title speaks of all ages at once; in a proposal, "the
    // children" are usually the ones of the unit the text has named
    let bands = &bundle.age_bands;
    let broad = bands
        .broad_concepts
        .iter()
        .any(|c| in_title.contains(c.as_str()));
    let named_bands: BTreeSet<&str> = bundle
        .groups
        .iter()
        .filter(|g| bands.groups.contains(&g.id) && names(g, &in_core))
        .map(|g| g.id.as_str())
        .collect();
    let mut impacts = Vec::new();
    for (rule, evidence) in fired {
        if rule.impacts.is_empty() {
            continue;
        }
        let confidence = confidence(evidence, &marked);
        for spec in &rule.impacts {
            let mut groups = spec.groups.clone();
            if !broad && groups.iter().any(|g| named_bands.contains(g.as_str())) {
                groups.retain(|g| !bands.groups.contains(g) || named_bands.contains(g.as_str()));
            }
            for g in &named_groups {
                if !groups.contains(g) {
                    groups.push(g.clone());
                }
            }
            groups.sort_by_key(|g| bundle.groups.iter().position(|e| &e.id == g));
            impacts.push(Impact {
                id: String::new(),
                determinant: spec.determinant.clone(),
                groups,
                direction: spec.direction,
                magnitude: spec.magnitude,
                likelihood: spec.likelihood,
                horizon: spec.horizon,
                rationale: spec.rationale.clone(),
                evidence: evidence.clone(),
                mitigations: spec.mitigations.clone(),
                rule_id: rule.id.clone(),
                reference: rule.reference.clone(),
                confidence,
            });
        }
    }
    impacts.sort_by(|a, b| {
        let pos = |d: &str| bundle.determinants.iter().position(|e| e.id == d);
        pos(&a.determinant)
            .cmp(&pos(&b.determinant))
            .then(a.rule_id.cmp(&b.rule_id))
    });
    impacts
}

/// The confidence of a goal verdict: the impacts' confidences weighted by
/// magnitude, so that one firm major impact outweighs minor keyword hits.
fn goal_confidence(related: &[&Impact]) -> f64 {
    let weight = |i: &Impact| match i.magnitude {
        Magnitude::Minor => 1.0,
        Magnitude::Moderate => 2.0,
        Magnitude::Major => 3.0,
    };
    let total: f64 = related.iter().map(|i| weight(i)).sum();
    if total == 0.0 {
        return 0.0;
    }
    let c = related
        .iter()
        .map(|i| weight(i) * i.confidence)
        .sum::<f64>()
        / total;
    (c * 100.0).round() / 100.0
}

fn goal_verdict(related: &[&Impact]) -> (GoalVerdict, f64) {
    if related.is_empty() {
        return (GoalVerdict::Unaffected, 0.0);
    }
    let weight = |i: &Impact| {
        let m = match i.magnitude {
            Magnitude::Minor => 1.0,
            Magnitude::Moderate => 2.0,
            Magnitude::Major => 3.0,
        };
        let l = match i.likelihood {
            Likelihood::Possible => 0.5,
            Likelihood::Likely => 0.75,
            Likelihood::Certain => 1.0,
        };
        m * l
    };
    let (mut sum, mut total): (f64, f64) = (0.0, 0.0);
    let (mut pos, mut neg, mut other) = (false, false, false);
    for i in related {
        let w = weight(i);
        total += w;
        match i.direction {
            Direction::Positive => {
                sum += w;
                pos = true
            }
            Direction::Negative => {
                sum -= w;
                neg = true
            }
            Direction::Mixed | Direction::Uncertain => other = true,
        }
    }
    let score = if total > 0.0 {
        ((sum / total) * 100.0).round() / 100.0
    } else {
        0.0
    };
    let verdict = match (pos, neg, other) {
        (true, false, false) => GoalVerdict::Supports,
        (false, true, false) => GoalVerdict::Conflicts,
        _ => GoalVerdict::Mixed,
    };
    (verdict, score)
}
