//! The special assessments the fired rules call for, and the questions
//! they raise.

use super::screening::Fired;
use crate::domain::{OpenQuestion, RequiredAssessment};
use crate::rules::bundle::Bundle;

/// Required assessments in taxonomy order, each once with the first rule
/// that asked for it, and the rules' questions in the order they fired.
pub(super) fn collect(
    bundle: &Bundle,
    fired: &Fired<'_>,
) -> (Vec<RequiredAssessment>, Vec<OpenQuestion>) {
    let mut required: Vec<RequiredAssessment> = Vec::new();
    let mut questions: Vec<OpenQuestion> = Vec::new();
    for (r, _) in fired {
        for k in &r.required_assessments {
            if !required.iter().any(|x| &x.kind == k) {
                required.push(RequiredAssessment {
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
            push_question(bundle, &mut questions, q, &r.id);
        }
    }
    required.sort_by_key(|r| bundle.assessment_kinds.iter().position(|k| k.id == r.kind));
    (required, questions)
}

/// Adds question `id`, raised by `rule_id`, unless it is already there.
pub(super) fn push_question(bundle: &Bundle, out: &mut Vec<OpenQuestion>, id: &str, rule_id: &str) {
    if out.iter().any(|q| q.id == id) {
        return;
    }
    if let Some(q) = bundle.questions.iter().find(|q| q.id == id) {
        out.push(OpenQuestion {
            id: q.id.clone(),
            text: q.text.clone(),
            rule_id: rule_id.to_string(),
            answer: String::new(),
        });
    }
}
