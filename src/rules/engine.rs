//! Assessing a draft with a bundle: validation, text analysis, rule
//! evaluation, screening, goal alignment and alternatives.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::bundle::{Bundle, Conditions, Entry, Rule};
use super::condition::ConditionLanguage;
use super::parse_date;
use crate::domain::{
    AlternativeAssessment, Assessment, BundleRef, ConceptHit, Direction, Draft, Evidence,
    ExemptionHit, GoalAlignment, GoalVerdict, Impact, Language, Likelihood, Magnitude,
    OpenQuestion, PlanRef, RequiredAssessment, Screening, ScreeningReason, SectionKind, Verdict,
};
use crate::text::tokenize;

/// One field of a draft that is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field, such as `draft.title`.
    pub field: String,
    /// What is wrong and how to fix it.
    pub description: String,
}

/// Why an assessment could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    /// The draft is not acceptable; nothing was assessed.
    #[error("the draft has {} problem(s): {}", .0.len(), .0.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; "))]
    InvalidDraft(Vec<FieldViolation>),
    /// A rule condition failed while running; the bundle needs fixing.
    #[error("rule `{rule}` could not be evaluated: {message}")]
    RuleFailed {
        /// The rule or exemption id.
        rule: String,
        /// What went wrong.
        message: String,
    },
}

/// Limits on what a draft may carry.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest total text per draft, in bytes.
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_text_bytes: 1024 * 1024,
        }
    }
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
    ) -> Analysis {
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
            add(i as i32, text);
        }
        Analysis { found }
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

/// Checks a draft against the bundle; every problem is returned together.
pub fn validate(
    bundle: &Bundle,
    draft: &Draft,
    limits: &Limits,
) -> Result<Language, Vec<FieldViolation>> {
    let mut v = Vec::new();
    let mut add = |field: &str, description: String| {
        v.push(FieldViolation {
            field: field.to_string(),
            description,
        })
    };
    if draft.title.trim().is_empty() {
        add(
            "draft.title",
            "is empty; give the title of the agenda item".into(),
        );
    }
    if draft.sections.iter().all(|s| s.text.trim().is_empty()) {
        add(
            "draft.sections",
            "no section has text; send at least the decision proposal as a section".into(),
        );
    }
    let lang = match Language::parse(&draft.language) {
        Some(l @ (Language::Fi | Language::Sv)) => Some(l),
        _ if draft.language.trim().is_empty() => {
            add("draft.language", "is empty; use `fi` or `sv`".into());
            None
        }
        _ => {
            add(
                "draft.language",
                format!("`{}` is not supported; use `fi` or `sv`", draft.language),
            );
            None
        }
    };
    if draft.tenant.trim().is_empty() {
        add(
            "draft.tenant",
            "is empty; give the municipality number, such as `091`".into(),
        );
    } else if !bundle.plans.contains_key(&draft.tenant) {
        let known: Vec<&str> = bundle.plans.keys().map(String::as_str).collect();
        add(
            "draft.tenant",
            format!(
                "unknown tenant `{}`: the rule bundle has no welfare plan for it; known tenants are {}",
                draft.tenant,
                known.join(", ")
            ),
        );
    }
    let bytes = draft.text_bytes();
    if bytes > limits.max_text_bytes {
        add(
            "draft.sections",
            format!(
                "the draft carries {bytes} bytes of text, over the limit of {} bytes; send the decision text without attachments",
                limits.max_text_bytes
            ),
        );
    }
    for (i, g) in draft.affected_groups.iter().enumerate() {
        if !bundle.groups.iter().any(|e| &e.id == g) {
            add(
                &format!("draft.affected_groups[{i}]"),
                format!("unknown population group `{g}`; ListTaxonomy gives the ids"),
            );
        }
    }
    for (name, value) in &draft.facts {
        match bundle.facts.iter().find(|f| &f.name == name) {
            None => {
                let known: Vec<&str> = bundle.facts.iter().map(|f| f.name.as_str()).collect();
                add(
                    &format!("draft.facts.{name}"),
                    format!(
                        "unknown fact `{name}`; the bundle declares {}",
                        known.join(", ")
                    ),
                );
            }
            Some(spec) if !spec.kind.accepts(value) => {
                add(
                    &format!("draft.facts.{name}"),
                    format!("must be a {}, not `{value}`", spec.kind.name()),
                );
            }
            Some(_) => {}
        }
    }
    if !draft.decision_date.is_empty() && parse_date(&draft.decision_date).is_none() {
        add(
            "draft.decision_date",
            format!(
                "`{}` is not a date; write it as YYYY-MM-DD",
                draft.decision_date
            ),
        );
    }
    let mut ids = BTreeSet::new();
    for (i, a) in draft.alternatives.iter().enumerate() {
        if a.id.trim().is_empty() {
            add(
                &format!("draft.alternatives[{i}].id"),
                "is empty; give each alternative an id".into(),
            );
        } else if !ids.insert(a.id.as_str()) {
            add(
                &format!("draft.alternatives[{i}].id"),
                format!("`{}` is used twice; alternative ids must be unique", a.id),
            );
        }
        if a.title.trim().is_empty() && a.text.trim().is_empty() {
            add(
                &format!("draft.alternatives[{i}]"),
                "has neither title nor text; describe the alternative".into(),
            );
        }
    }
    match (v.is_empty(), lang) {
        (true, Some(lang)) => Ok(lang),
        _ => Err(v),
    }
}

/// Assesses a draft. `now` stamps the assessment and, when the draft has no
/// decision date, chooses the rules in force.
pub fn assess(
    bundle: &Bundle,
    draft: &Draft,
    limits: &Limits,
    now: time::OffsetDateTime,
) -> Result<Assessment, AssessError> {
    let lang = validate(bundle, draft, limits).map_err(AssessError::InvalidDraft)?;
    let date = parse_date(&draft.decision_date).unwrap_or(now.date());
    let plan = &bundle.plans[&draft.tenant];
    let conditions = Conditions::default();

    let sections: Vec<(SectionKind, &str)> = draft
        .sections
        .iter()
        .map(|s| (s.kind, s.text.as_str()))
        .collect();
    let analysis = Analysis::of(bundle, lang, &draft.title, &sections);
    let input = condition_input(
        bundle,
        draft,
        lang,
        &analysis,
        draft.alternatives.len(),
        &sections,
    );
    let prepared = conditions.prepare(&input);

    let rules_in_force: Vec<&Rule> = bundle.rules.iter().filter(|r| r.in_force(date)).collect();
    let mut fired: Vec<&Rule> = Vec::new();
    for rule in &rules_in_force {
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
    // second phase: questions that look at the result so far
    let mut input2 = input.clone();
    if let Some(obj) = input2.as_object_mut() {
        obj.insert("screening".into(), json!(verdict_code(verdict)));
        let dets: BTreeSet<&str> = impacts.iter().map(|i| i.determinant.as_str()).collect();
        obj.insert("determinants".into(), json!(dets));
        let groups: BTreeSet<&str> = impacts
            .iter()
            .flat_map(|i| i.groups.iter().map(String::as_str))
            .collect();
        obj.insert("impact_groups".into(), json!(groups));
        let kinds: Vec<&str> = required_assessments
            .iter()
            .map(|r| r.kind.as_str())
            .collect();
        obj.insert("required_assessments".into(), json!(kinds));
        let negative = impacts
            .iter()
            .filter(|i| matches!(i.direction, Direction::Negative | Direction::Mixed))
            .count();
        obj.insert("negative_impacts".into(), json!(negative));
    }
    let prepared2 = conditions.prepare(&input2);
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
        let alt_sections = [(SectionKind::Proposal, a.text.as_str())];
        let alt_analysis = Analysis::of(bundle, lang, &a.title, &alt_sections);
        let alt_draft = Draft {
            title: a.title.clone(),
            sections: Vec::new(),
            budget: Default::default(),
            facts: BTreeMap::new(),
            ..draft.clone()
        };
        let alt_input = condition_input(bundle, &alt_draft, lang, &alt_analysis, 0, &alt_sections);
        let alt_prepared = conditions.prepare(&alt_input);
        let mut alt_fired: Vec<(&Rule, Vec<Evidence>)> = Vec::new();
        for rule in rules_in_force.iter().filter(|r| !r.impacts.is_empty()) {
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

/// The code conditions see for a verdict.
pub fn verdict_code(v: Verdict) -> &'static str {
    match v {
        Verdict::Required => "required",
        Verdict::Recommended => "recommended",
        Verdict::NotNeeded => "not_needed",
    }
}

fn condition_input(
    bundle: &Bundle,
    draft: &Draft,
    lang: Language,
    analysis: &Analysis,
    alternatives: usize,
    sections: &[(SectionKind, &str)],
) -> Value {
    let class = draft
        .classification_code
        .split_whitespace()
        .collect::<Vec<_>>();
    let class_main = class.first().copied().unwrap_or("").to_string();
    let class_sub = class.iter().take(2).copied().collect::<Vec<_>>().join(" ");
    let mut facts = serde_json::Map::new();
    for f in &bundle.facts {
        facts.insert(
            f.name.clone(),
            draft
                .facts
                .get(&f.name)
                .cloned()
                .unwrap_or_else(|| f.kind.default_value()),
        );
    }
    let facts_given: Vec<&str> = draft.facts.keys().map(String::as_str).collect();
    let proposal = proposal_sections(sections);
    json!({
        "tenant": draft.tenant,
        "organ": draft.organ,
        "language": lang.code(),
        "title": draft.title,
        "classification": draft.classification_code.split_whitespace().collect::<Vec<_>>().join(" "),
        "class_main": class_main,
        "class_sub": class_sub,
        "budget": {
            "one_off_eur": draft.budget.one_off_eur.unwrap_or(0),
            "annual_eur": draft.budget.annual_eur.unwrap_or(0),
            "stated": draft.budget.one_off_eur.is_some() || draft.budget.annual_eur.is_some(),
            "one_off_stated": draft.budget.one_off_eur.is_some(),
            "annual_stated": draft.budget.annual_eur.is_some(),
        },
        "concepts": bundle.with_families(&analysis.concept_set(|_| true)),
        "title_concepts": bundle.with_families(&analysis.concept_set(|f| f.section_index < 0)),
        "proposal_concepts": bundle.with_families(&analysis.concept_set(|f| proposal.contains(&f.section_index))),
        "core_concepts": bundle.with_families(&analysis.concept_set(|f| f.section_index < 0 || proposal.contains(&f.section_index))),
        "groups": draft.affected_groups,
        "areas": draft.affected_areas,
        "alternatives": alternatives,
        "zero_option": draft.alternatives.iter().any(|a| a.zero_option),
        "facts": facts,
        "facts_given": facts_given,
        "text_bytes": draft.text_bytes(),
        "text_max_eur": text_max_eur(&draft.title, sections),
    })
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
