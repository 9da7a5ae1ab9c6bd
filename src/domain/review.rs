//! A preparer's review of an assessment: the changes, each with its
//! justification, and the review status. Applying a review to an
//! assessment gives the next revision; the machine's revision is never
//! changed.

use serde::{Deserialize, Serialize};

use super::{
    Assessment, Direction, GoalVerdict, Horizon, Impact, Likelihood, Localized, Magnitude, Verdict,
    Violations, quoted,
};

/// Where a preparer's review has taken an assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// As the machine made it, or reviewed only in part.
    Draft,
    /// A preparer has reviewed it.
    Reviewed,
    /// Approved for the decision.
    Approved,
}

named!(ReviewStatus {
    Draft => "draft",
    Reviewed => "reviewed",
    Approved => "approved",
});

/// Longest justification, note or answer, in characters.
pub const MAX_REVIEW_TEXT: usize = 4000;

/// Most changes in one review.
pub const MAX_CHANGES: usize = 200;

/// An impact as a reviewer states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct ImpactFields {
    /// Determinant id.
    pub determinant: String,
    /// Population-group ids; empty means all residents.
    pub groups: Vec<String>,
    pub direction: Direction,
    pub magnitude: Magnitude,
    pub likelihood: Likelihood,
    pub horizon: Horizon,
    /// Why, in the reviewer's words.
    pub rationale: String,
}

/// One change a reviewer makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// An impact the machine missed.
    AddImpact {
        /// The impact.
        impact: ImpactFields,
    },
    /// An impact that does not hold.
    RemoveImpact {
        /// Its id (`I2`).
        impact_id: String,
        /// The rule that made it, filled in when the review is applied.
        #[serde(default)]
        rule_id: String,
    },
    /// An impact that holds otherwise than the machine said.
    OverrideImpact {
        /// Its id.
        impact_id: String,
        /// The impact as it holds.
        impact: ImpactFields,
        /// The rule that made it, filled in when the review is applied.
        #[serde(default)]
        rule_id: String,
    },
    /// Another verdict for a welfare-plan goal.
    OverrideGoal {
        /// The goal.
        goal_id: String,
        /// The verdict.
        verdict: GoalVerdict,
    },
    /// Another screening verdict.
    OverrideScreening {
        /// The verdict.
        verdict: Verdict,
        /// The verdict it replaced, filled in when the review is applied.
        #[serde(default = "not_needed")]
        previous: Verdict,
    },
    /// The answer to an open question.
    AnswerQuestion {
        /// The question.
        question_id: String,
        /// The answer.
        answer: String,
    },
}

fn not_needed() -> Verdict {
    Verdict::NotNeeded
}

/// A change and why it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Justified {
    /// The change.
    #[serde(flatten)]
    pub change: Change,
    /// Why.
    pub justification: String,
}

/// A review as the preparer sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// The latest revision the reviewer saw: the review applies to it, or
    /// to nothing.
    pub expected_revision: u32,
    /// Who reviewed.
    pub reviewer: String,
    /// The changes, in order.
    pub changes: Vec<Justified>,
    /// The status to move to; `None` keeps the current one.
    pub status: Option<ReviewStatus>,
    /// The reviewer's note; required to move back from APPROVED.
    pub note: String,
}

/// What may follow `from` in a review: `Err` says why not.
pub fn check_transition(
    from: ReviewStatus,
    to: ReviewStatus,
    changes: usize,
    note: &str,
) -> Result<(), String> {
    use ReviewStatus::{Approved, Draft, Reviewed};
    match (from, to) {
        (Approved, Approved) if changes > 0 => Err(
            "the assessment is approved; move it back to REVIEWED or DRAFT with a note that says why before you change it"
                .into(),
        ),
        (Approved, Draft | Reviewed) if note.trim().is_empty() => Err(
            "the assessment is approved; moving it back needs a note that says why".into(),
        ),
        (Draft, Approved) => Err(
            "a draft cannot be approved unreviewed; move it to REVIEWED first".into(),
        ),
        _ => Ok(()),
    }
}

/// Checks the fields of `review` that need no assessment: texts present
/// and within bounds, the number of changes.
pub fn check_review(review: &Review, v: &mut Violations) {
    if review.expected_revision == 0 {
        v.add(
            "expected_revision",
            "is 0; give the revision you reviewed, as GetAssessment returned it",
        );
    }
    text_field(v, "reviewer", &review.reviewer, true);
    text_field(v, "note", &review.note, false);
    if review.changes.len() > MAX_CHANGES {
        v.add(
            "changes",
            format!(
                "has {} changes; one review holds at most {MAX_CHANGES}, send the rest in another",
                review.changes.len()
            ),
        );
    }
    if review.changes.is_empty() && review.status.is_none() && review.note.trim().is_empty() {
        v.add(
            "changes",
            "is empty, and no status or note is given: the review would change nothing",
        );
    }
    for (i, c) in review.changes.iter().enumerate() {
        text_field(
            v,
            &format!("changes[{i}].justification"),
            &c.justification,
            true,
        );
        match &c.change {
            Change::AddImpact { impact } | Change::OverrideImpact { impact, .. } => {
                text_field(
                    v,
                    &format!("{}.rationale", impact_path(i, &c.change)),
                    &impact.rationale,
                    true,
                );
            }
            Change::AnswerQuestion { answer, .. } => {
                text_field(
                    v,
                    &format!("changes[{i}].answer_question.answer"),
                    answer,
                    true,
                );
            }
            _ => {}
        }
    }
}

fn text_field(v: &mut Violations, field: &str, text: &str, required: bool) {
    let chars = text.chars().count();
    if text.contains('\0') {
        v.add(field, "holds a NUL character (U+0000); remove it");
    } else if required && text.trim().is_empty() {
        v.add(field, "is empty; say it in a few words");
    } else if chars > MAX_REVIEW_TEXT {
        v.add(
            field,
            format!("has {chars} characters; the most is {MAX_REVIEW_TEXT}"),
        );
    }
}

/// The taxonomy a reviewed impact must use.
pub struct Taxonomy<'a> {
    /// Determinant ids.
    pub determinants: &'a [&'a str],
    /// Population-group ids.
    pub groups: &'a [&'a str],
}

/// The next revision of `assessment` with `changes` applied, the changes
/// completed with what they replaced (the rule of an impact, the previous
/// screening verdict) for the record; or the violations of changes that
/// do not fit the assessment.
pub fn apply(
    assessment: &Assessment,
    changes: &mut [Justified],
    taxonomy: &Taxonomy<'_>,
) -> Result<Assessment, Violations> {
    let mut a = assessment.clone();
    let mut v = Violations::default();
    for (i, c) in changes.iter_mut().enumerate() {
        let at = format!("changes[{i}]");
        match &mut c.change {
            Change::AddImpact { impact } => {
                if check_fields(&mut v, &format!("{at}.add_impact"), impact, taxonomy) {
                    let id = next_id(&a);
                    a.impacts.push(reviewed_impact(id, String::new(), impact));
                }
            }
            Change::RemoveImpact { impact_id, rule_id } => {
                match a.impacts.iter().position(|x| x.id == *impact_id) {
                    Some(p) => {
                        let removed = a.impacts.remove(p);
                        *rule_id = removed.rule_id;
                        for g in &mut a.goals {
                            g.impact_ids.retain(|x| x != impact_id);
                        }
                    }
                    None => unknown(&mut v, &format!("{at}.remove_impact"), impact_id, "impact"),
                }
            }
            Change::OverrideImpact {
                impact_id,
                impact,
                rule_id,
            } => match a.impacts.iter().position(|x| x.id == *impact_id) {
                Some(p) => {
                    if check_fields(
                        &mut v,
                        &format!("{at}.override_impact.impact"),
                        impact,
                        taxonomy,
                    ) {
                        let old = &a.impacts[p];
                        *rule_id = old.rule_id.clone();
                        let mut new = reviewed_impact(old.id.clone(), old.rule_id.clone(), impact);
                        new.evidence = old.evidence.clone();
                        new.reference = old.reference.clone();
                        a.impacts[p] = new;
                    }
                }
                None => unknown(
                    &mut v,
                    &format!("{at}.override_impact.impact_id"),
                    impact_id,
                    "impact",
                ),
            },
            Change::OverrideGoal { goal_id, verdict } => {
                match a.goals.iter_mut().find(|g| g.goal_id == *goal_id) {
                    Some(g) => g.verdict = *verdict,
                    None => unknown(
                        &mut v,
                        &format!("{at}.override_goal.goal_id"),
                        goal_id,
                        "goal of the plan",
                    ),
                }
            }
            Change::OverrideScreening { verdict, previous } => {
                *previous = a.screening.verdict;
                a.screening.verdict = *verdict;
                a.screening.uncertain = false;
            }
            Change::AnswerQuestion {
                question_id,
                answer,
            } => match a.open_questions.iter_mut().find(|q| q.id == *question_id) {
                Some(q) => q.answer = answer.trim().to_string(),
                None => unknown(
                    &mut v,
                    &format!("{at}.answer_question.question_id"),
                    question_id,
                    "open question",
                ),
            },
        }
    }
    v.into_result().map(|()| a)
}

fn unknown(v: &mut Violations, field: &str, value: &str, what: &str) {
    v.add(
        field,
        format!(
            "{} is not an {what} of this revision; take the ids from the revision you review",
            quoted(value)
        ),
    );
}

/// Where an added or overriding impact's fields are in the request.
fn impact_path(i: usize, change: &Change) -> String {
    match change {
        Change::OverrideImpact { .. } => format!("changes[{i}].override_impact.impact"),
        _ => format!("changes[{i}].add_impact"),
    }
}

/// Whether the determinant and groups (at `at`) are the bundle's; adds
/// violations.
fn check_fields(v: &mut Violations, at: &str, f: &ImpactFields, t: &Taxonomy<'_>) -> bool {
    let before = v.total();
    if !t.determinants.contains(&f.determinant.as_str()) {
        v.add(
            format!("{at}.determinant"),
            format!(
                "{} is not a determinant of the bundle; ListTaxonomy lists them",
                quoted(&f.determinant)
            ),
        );
    }
    for g in &f.groups {
        if !t.groups.contains(&g.as_str()) {
            v.add(
                format!("{at}.groups"),
                format!(
                    "{} is not a population group of the bundle; ListTaxonomy lists them",
                    quoted(g)
                ),
            );
        }
    }
    v.total() == before
}

/// `R1`, `R2` …: the first reviewer's impact id the assessment lacks.
fn next_id(a: &Assessment) -> String {
    (1..)
        .map(|n| format!("R{n}"))
        .find(|id| a.impacts.iter().all(|i| i.id != *id))
        .unwrap_or_default()
}

fn reviewed_impact(id: String, rule_id: String, f: &ImpactFields) -> Impact {
    let rationale = f.rationale.trim().to_string();
    Impact {
        id,
        determinant: f.determinant.clone(),
        groups: f.groups.clone(),
        direction: f.direction,
        magnitude: f.magnitude,
        likelihood: f.likelihood,
        horizon: f.horizon,
        // the reviewer writes in one language; every rendering shows it
        rationale: Localized {
            fi: rationale.clone(),
            sv: rationale.clone(),
            en: rationale,
        },
        evidence: Vec::new(),
        mitigations: Vec::new(),
        rule_id,
        reference: String::new(),
        confidence: 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_moves_forward_and_back_only_with_a_reason() {
        use ReviewStatus::*;
        assert!(check_transition(Draft, Reviewed, 1, "").is_ok());
        assert!(check_transition(Reviewed, Approved, 0, "").is_ok());
        assert!(check_transition(Draft, Approved, 0, "").is_err());
        assert!(check_transition(Approved, Reviewed, 0, "").is_err());
        assert!(check_transition(Approved, Reviewed, 0, "lautakunta palautti").is_ok());
        assert!(check_transition(Approved, Approved, 1, "x").is_err());
        assert!(check_transition(Approved, Approved, 0, "a note only").is_ok());
    }
}
