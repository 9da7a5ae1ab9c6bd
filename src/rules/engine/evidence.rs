//! What a rule or exemption fired on: the words of its concepts in the
//! text, and the structured fields its condition read.

use super::analysis::Analysed;
use crate::domain::{Evidence, Place};
use crate::rules::bundle::Rule;

/// Most text hits kept as evidence per concept and rule.
const MAX_HITS_PER_CONCEPT: usize = 3;

/// The first hits of each of `concepts` in the text, for `rule_id`.
pub(super) fn text_evidence(
    analysed: &Analysed<'_>,
    rule_id: &str,
    concepts: &[String],
) -> Vec<Evidence> {
    let mut out = Vec::new();
    for c in concepts {
        for f in analysed
            .found
            .iter()
            .filter(|f| &f.concept == c)
            .take(MAX_HITS_PER_CONCEPT)
        {
            out.push(span(
                analysed,
                rule_id,
                (f.section_index, f.start, f.end),
                &f.term,
                &f.concept,
            ));
        }
    }
    out
}

/// Evidence at `(index, start, end)` of the title (-1) or a section, its
/// excerpt exactly the text there.
pub(super) fn span(
    analysed: &Analysed<'_>,
    rule_id: &str,
    (index, start, end): (i32, usize, usize),
    term: &str,
    concept: &str,
) -> Evidence {
    Evidence {
        rule_id: rule_id.to_string(),
        place: if index < 0 {
            Place::Title
        } else {
            Place::Section(index as u32)
        },
        start: start as u32,
        end: end as u32,
        excerpt: analysed
            .text(index)
            .get(start..end)
            .unwrap_or("")
            .to_string(),
        term: term.to_string(),
        concept: concept.to_string(),
    }
}

/// A fired rule's evidence: its concepts' words, then the facts and
/// budget figures its condition read that the subject states.
pub(super) fn rule_evidence(rule: &Rule, analysed: &Analysed<'_>) -> Vec<Evidence> {
    let mut out = text_evidence(analysed, &rule.id, &rule.evidence_concepts);
    let subject = &analysed.subject;
    for path in &rule.evidence_fields {
        let value = if let Some(name) = path.strip_prefix("facts.") {
            subject.facts.get(name).map(|v| v.to_string())
        } else {
            match path.as_str() {
                "budget.annual_eur" => subject.budget.annual_eur.map(|v| v.to_string()),
                "budget.one_off_eur" => subject.budget.one_off_eur.map(|v| v.to_string()),
                _ => None,
            }
        };
        if let Some(value) = value {
            out.push(Evidence {
                rule_id: rule.id.clone(),
                place: Place::Field(path.clone()),
                start: 0,
                end: 0,
                excerpt: value,
                term: String::new(),
                concept: String::new(),
            });
        }
    }
    out
}
