//! Goal verdicts against labels of goal relevance: of the goals the bundle
//! says a decision supports, works against or both, how many a reader says
//! it affects (precision), and of those a reader names, how many the
//! bundle finds (recall).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{CorpusDoc, EvalError, HELSINKI, corpus_draft, share};
use crate::domain::{Deadline, GoalVerdict};
use crate::rules::{Bundle, Limits};

/// One item's affected goals, as a reader labels them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalLabel {
    /// Corpus document id.
    pub id: String,
    /// Affected goal ids with `supports`, `conflicts` or `mixed`.
    #[serde(default)]
    pub goals: BTreeMap<String, GoalVerdict>,
    /// One line of rationale.
    pub rationale: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GoalLabelsFile {
    labels: Vec<GoalLabel>,
}

/// Reads a goal-labels file; an unaffected verdict in it is refused, since
/// a goal not listed is unaffected.
pub fn read_goal_labels(path: &Path) -> Result<Vec<GoalLabel>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let bad = |message: String| EvalError::Labels {
        path: path.display().to_string(),
        message,
    };
    let file: GoalLabelsFile = marked_yaml::from_yaml(0, &text).map_err(|e| bad(e.to_string()))?;
    for l in &file.labels {
        if let Some((goal, _)) = l.goals.iter().find(|(_, v)| **v == GoalVerdict::Unaffected) {
            return Err(bad(format!(
                "`{}`: goal `{goal}` is listed as unaffected; list only affected goals",
                l.id
            )));
        }
    }
    Ok(file.labels)
}

/// How the goal verdicts agree with the labels.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GoalReport {
    /// Items measured.
    pub items: usize,
    /// Goals the labels name as affected.
    pub labelled: usize,
    /// Goals the bundle gives a verdict other than unaffected.
    pub given: usize,
    /// Goals both name.
    pub agreed: usize,
    /// Of those, with the same verdict.
    pub same_verdict: usize,
    /// `agreed / given`; 1.0 when the bundle gives none.
    pub precision: f64,
    /// `agreed / labelled`; 1.0 when the labels name none.
    pub recall: f64,
    /// Goals given that the labels do not name, as `item goal`.
    pub extra: Vec<String>,
    /// Goals labelled that the bundle does not give, as `item goal`.
    pub missed: Vec<String>,
}

/// Assesses each labelled item of `corpus` and compares its goal verdicts.
pub fn evaluate_goals(
    bundle: &Bundle,
    labels: &[GoalLabel],
    corpus: &BTreeMap<String, CorpusDoc>,
) -> Result<GoalReport, EvalError> {
    let now = time::OffsetDateTime::now_utc();
    let mut r = GoalReport::default();
    for label in labels {
        let Some(doc) = corpus.get(&label.id) else {
            return Err(EvalError::Labels {
                path: "goal labels".into(),
                message: format!("document `{}` is not in the corpora", label.id),
            });
        };
        let draft = corpus_draft(doc, doc.municipality.as_deref().unwrap_or(HELSINKI));
        let a = crate::rules::assess(bundle, &draft, &Limits::default(), now, &Deadline::none())
            .map_err(|e| EvalError::Corpus {
                path: "corpus".into(),
                line: 0,
                message: format!("`{}` could not be assessed: {e}", label.id),
            })?;
        let given: BTreeMap<&str, GoalVerdict> = a
            .goals
            .iter()
            .filter(|g| g.verdict != GoalVerdict::Unaffected)
            .map(|g| (g.goal_id.as_str(), g.verdict))
            .collect();
        let labelled: BTreeSet<&str> = label.goals.keys().map(String::as_str).collect();
        r.items += 1;
        r.labelled += labelled.len();
        r.given += given.len();
        for (goal, verdict) in &given {
            match label.goals.get(*goal) {
                Some(l) => {
                    r.agreed += 1;
                    r.same_verdict += usize::from(l == verdict);
                }
                None => r.extra.push(format!("{} {goal}", label.id)),
            }
        }
        for goal in labelled.iter().filter(|g| !given.contains_key(*g)) {
            r.missed.push(format!("{} {goal}", label.id));
        }
    }
    r.precision = share(r.agreed, r.given);
    r.recall = share(r.agreed, r.labelled);
    Ok(r)
}

/// Writes a goal report as a table for people, with up to `worst` of the
/// goals given and missed.
pub fn write_goal_table(
    out: &mut impl std::io::Write,
    r: &GoalReport,
    worst: usize,
) -> std::io::Result<()> {
    writeln!(out, "== goal verdicts: {} items", r.items)?;
    writeln!(
        out,
        "precision {:.3} ({} of {} given), recall {:.3} ({} of {} labelled), same verdict {} of {}",
        r.precision, r.agreed, r.given, r.recall, r.agreed, r.labelled, r.same_verdict, r.agreed
    )?;
    for e in r.extra.iter().take(worst) {
        writeln!(out, "  given, not labelled: {e}")?;
    }
    for m in r.missed.iter().take(worst) {
        writeln!(out, "  labelled, not given: {m}")?;
    }
    Ok(())
}
