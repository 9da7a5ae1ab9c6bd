//! The evaluation harness: assesses labelled documents of the Helsinki
//! corpus and measures screening accuracy and the precision and recall of
//! determinants and population groups against the labels.

mod corpus;
mod goals;
mod metrics;
mod train;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use corpus::{CorpusDoc, corpus_draft, read_corpus};
pub use goals::{GoalLabel, GoalReport, evaluate_goals, read_goal_labels, write_goal_table};
pub use train::{FoldFigures, TrainReport, TrainSet, train};

/// The Lapua/Mikkeli corpus, beside the repository.
pub const LAPUA_CORPUS_PATH: &str = "../shared/data/lapua-mikkeli-2017-2025.jsonl";
pub use metrics::{Confusion, DocCounts, Interval, Intervals, SetMetrics, SetScore, bootstrap};

use crate::domain::Verdict;

/// Where the Helsinki corpus lies, relative to the repository root.
pub const CORPUS_PATH: &str = "../shared/data/helsinki-ahjo-2021.jsonl";

/// The municipality of the Helsinki corpus, whose items name none.
const HELSINKI: &str = "091";
use crate::rules::{Bundle, Limits};

/// Which part of the labels to evaluate.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Labels the bundle may be tuned on.
    Tune,
    /// Held-out labels: never tuned on.
    Test,
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Split::Tune => "tune",
            Split::Test => "test",
        })
    }
}

/// The split of a whole meeting, by a rule fixed before its items were
/// labelled: `test` when the first eight bytes of BLAKE3 over
/// `organization|YYYY-MM-DD`, read as a little-endian number, leave 0 when
/// divided by 3. A third of the meetings, every item of a meeting on the
/// same side.
pub fn meeting_split(organization: &str, day: &str) -> Split {
    if meeting_number(organization, day).is_multiple_of(3) {
        Split::Test
    } else {
        Split::Tune
    }
}

/// The first eight bytes of BLAKE3 over `organization|day`, read as a
/// little-endian number: what places a meeting's items together, in the
/// held-out split and in the folds of training.
pub(crate) fn meeting_number(organization: &str, day: &str) -> u64 {
    let hash = blake3::hash(format!("{organization}|{day}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

/// One labelled document.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// Corpus document id.
    pub id: String,
    /// Title, for people reading the labels.
    #[serde(default)]
    pub title: String,
    /// Tune or test.
    pub split: Split,
    /// The screening an assessor gives.
    pub screening: Verdict,
    /// Determinants materially affected.
    #[serde(default)]
    pub determinants: BTreeSet<String>,
    /// Population groups materially affected.
    #[serde(default)]
    pub groups: BTreeSet<String>,
    /// One line of rationale.
    pub rationale: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelsFile {
    labels: Vec<Label>,
}

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file cannot be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The labels file is not valid.
    #[error("labels file `{path}`: {message}")]
    Labels {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A corpus line is not valid.
    #[error("corpus `{path}` line {line}: {message}")]
    Corpus {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// The most determinants one label may name (a labelling rule).
const MAX_LABELLED_DETERMINANTS: usize = 4;

/// Reads and checks a labels file against the bundle's taxonomy and the
/// labelling rules a machine can check.
pub fn read_labels(path: &Path, bundle: &Bundle) -> Result<Vec<Label>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let bad = |message: String| EvalError::Labels {
        path: path.display().to_string(),
        message,
    };
    let file: LabelsFile = marked_yaml::from_yaml(0, &text).map_err(|e| bad(e.to_string()))?;
    let mut seen = BTreeSet::new();
    for l in &file.labels {
        if !seen.insert(l.id.as_str()) {
            return Err(bad(format!("document `{}` is labelled twice", l.id)));
        }
        for d in &l.determinants {
            if !bundle.determinants.iter().any(|e| &e.id == d) {
                return Err(bad(format!("`{}`: unknown determinant `{d}`", l.id)));
            }
        }
        for g in &l.groups {
            if !bundle.groups.iter().any(|e| &e.id == g) {
                return Err(bad(format!("`{}`: unknown population group `{g}`", l.id)));
            }
        }
        // the labelling rules at the top of the file, where a machine can check them
        let assessed = l.screening != Verdict::NotNeeded;
        let names_any = !l.determinants.is_empty() || !l.groups.is_empty();
        if !assessed && names_any {
            return Err(bad(format!(
                "`{}`: a not_needed item names no determinants or groups; empty both lists or change the screening",
                l.id
            )));
        }
        if assessed && l.determinants.is_empty() {
            return Err(bad(format!(
                "`{}`: a {} item names the determinants it materially affects; add at least one",
                l.id,
                if l.screening == Verdict::Required {
                    "required"
                } else {
                    "recommended"
                }
            )));
        }
        if l.determinants.len() > MAX_LABELLED_DETERMINANTS {
            return Err(bad(format!(
                "`{}`: {} determinants; label at most {MAX_LABELLED_DETERMINANTS}, the ones materially and directly affected",
                l.id,
                l.determinants.len()
            )));
        }
    }
    Ok(file.labels)
}

/// The outcome for one document.
#[derive(Debug, Clone, Serialize)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct DocResult {
    /// Document id.
    pub id: String,
    pub title: String,
    /// Labelled screening.
    pub expected: Verdict,
    /// Assessed screening.
    pub predicted: Verdict,
    /// Labelled determinants the assessment missed.
    pub missed_determinants: Vec<String>,
    /// Determinants the assessment gave that the label lacks.
    pub extra_determinants: Vec<String>,
    /// Labelled groups the assessment missed.
    pub missed_groups: Vec<String>,
    /// Groups the assessment gave that the label lacks.
    pub extra_groups: Vec<String>,
    /// Impacts without evidence, or whose evidence does not match the text.
    pub bad_evidence: usize,
    /// Rules and the exemption behind the result, for finding what to tune.
    pub rules: Vec<String>,
    /// Rough badness, for ordering the worst documents.
    pub cost: usize,
}

/// Figures for one split.
#[derive(Debug, Clone, Serialize)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct Report {
    /// Which verdicts were marked uncertain.
    pub doubt: Doubt,
    /// The corpus: its file's name without extension, or `all` for the
    /// corpora together; empty until the caller names it.
    pub corpus: String,
    /// The split.
    pub split: Split,
    /// Documents evaluated.
    pub documents: usize,
    /// Screening: accuracy and confusion matrix.
    pub screening: Confusion,
    pub determinants: SetMetrics,
    /// Population groups.
    pub groups: SetMetrics,
    /// Impacts whose evidence is missing or does not match the text.
    pub bad_evidence: usize,
    /// 95 % bootstrap intervals of the headline figures.
    pub intervals: Intervals,
    /// Every document, worst first.
    pub documents_by_cost: Vec<DocResult>,
}

/// Targets the held-out split must meet.
#[derive(Debug, Clone, Copy)]
pub struct Targets {
    /// Least screening accuracy, all three verdicts told apart.
    pub screening_accuracy: f64,
    /// Least accuracy of needing an assessment or not.
    pub needed_accuracy: f64,
    /// Least share of the items needing an assessment screened so.
    pub needed_recall: f64,
    /// Least share of the items screened as needing one that do.
    pub needed_precision: f64,
    /// Least determinant micro-F1.
    pub determinant_f1: f64,
    /// Least group micro-F1.
    pub group_f1: f64,
    /// Least share of the screening misses (needing an assessment,
    /// screened NOT_NEEDED) marked uncertain.
    pub doubt_misses_marked: f64,
    /// Most share of the right verdicts marked uncertain.
    pub doubt_correct_marked: f64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            screening_accuracy: 0.90,
            needed_accuracy: 0.90,
            needed_recall: 0.85,
            needed_precision: 0.75,
            determinant_f1: 0.75,
            group_f1: 0.70,
            doubt_misses_marked: 0.70,
            doubt_correct_marked: 0.15,
        }
    }
}

impl Report {
    /// The targets this report misses, as sentences; empty when all hold.
    pub fn misses(&self, t: &Targets) -> Vec<String> {
        let mut out = Vec::new();
        if self.screening.accuracy() < t.screening_accuracy {
            out.push(format!(
                "screening accuracy {:.3} is below {:.2}",
                self.screening.accuracy(),
                t.screening_accuracy
            ));
        }
        let c = &self.screening;
        for (what, value, least) in [
            (
                "accuracy of needing an assessment or not",
                c.needed_accuracy(),
                t.needed_accuracy,
            ),
            (
                "share of the items needing an assessment screened so",
                c.needed_recall(),
                t.needed_recall,
            ),
            (
                "precision of screening an assessment as needed",
                c.needed_precision(),
                t.needed_precision,
            ),
        ] {
            if value < least {
                out.push(format!("{what} {value:.3} is below {least:.2}"));
            }
        }
        let under = self.screening.required_as_not_needed();
        if under > 0 {
            out.push(format!("{under} REQUIRED item(s) screened NOT_NEEDED"));
        }
        if self.determinants.micro.f1 < t.determinant_f1 {
            out.push(format!(
                "determinant micro-F1 {:.3} is below {:.2}",
                self.determinants.micro.f1, t.determinant_f1
            ));
        }
        if self.groups.micro.f1 < t.group_f1 {
            out.push(format!(
                "group micro-F1 {:.3} is below {:.2}",
                self.groups.micro.f1, t.group_f1
            ));
        }
        if self.doubt.misses_marked() < t.doubt_misses_marked {
            out.push(format!(
                "share of the screening misses marked uncertain {:.3} is below {:.2}",
                self.doubt.misses_marked(),
                t.doubt_misses_marked
            ));
        }
        if self.doubt.correct_marked() > t.doubt_correct_marked {
            out.push(format!(
                "share of the right verdicts marked uncertain {:.3} is above {:.2}",
                self.doubt.correct_marked(),
                t.doubt_correct_marked
            ));
        }
        if self.bad_evidence > 0 {
            out.push(format!(
                "{} impact(s) lack evidence that matches the text",
                self.bad_evidence
            ));
        }
        out
    }
}

/// How well the uncertain mark separates the misses from the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Doubt {
    /// Items that need an assessment but were screened NOT_NEEDED: the
    /// misses an uncertain mark is for.
    pub missed: usize,
    /// Of them, marked uncertain.
    pub missed_uncertain: usize,
    /// Items screened as labelled.
    pub correct: usize,
    /// Of them, marked uncertain.
    pub correct_uncertain: usize,
}

impl Doubt {
    fn add(&mut self, expected: Verdict, given: Verdict, uncertain: bool) {
        if expected != Verdict::NotNeeded && given == Verdict::NotNeeded {
            self.missed += 1;
            self.missed_uncertain += usize::from(uncertain);
        } else if expected == given {
            self.correct += 1;
            self.correct_uncertain += usize::from(uncertain);
        }
    }

    /// Share of the misses marked uncertain; 1.0 for none.
    pub fn misses_marked(&self) -> f64 {
        share(self.missed_uncertain, self.missed)
    }

    /// Share of the right verdicts marked uncertain; 0.0 for none.
    pub fn correct_marked(&self) -> f64 {
        if self.correct == 0 {
            0.0
        } else {
            share(self.correct_uncertain, self.correct)
        }
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// Resamples for the bootstrap intervals, and their fixed seed: the same
/// labels and bundle always report the same intervals.
const BOOTSTRAP_RESAMPLES: usize = 2000;
const BOOTSTRAP_SEED: u64 = 2026;

/// One labelled document as the bundle assessed it: what a report is
/// made of, so that reports of several corpora can be summed without
/// assessing again.
#[derive(Debug, Clone)]
pub struct Scored {
    label: Label,
    title: String,
    predicted: Verdict,
    uncertain: bool,
    determinants: BTreeSet<String>,
    groups: BTreeSet<String>,
    bad_evidence: usize,
    rules: Vec<String>,
}

/// Assesses the labelled documents of `split` and measures the result.
pub fn evaluate(
    bundle: &Bundle,
    labels: &[Label],
    corpus: &BTreeMap<String, CorpusDoc>,
    split: Split,
) -> Result<Report, EvalError> {
    Ok(summarise(split, &score(bundle, labels, corpus, split)?))
}

/// Assesses the labelled documents of `split`.
pub fn score(
    bundle: &Bundle,
    labels: &[Label],
    corpus: &BTreeMap<String, CorpusDoc>,
    split: Split,
) -> Result<Vec<Scored>, EvalError> {
    let now = time::OffsetDateTime::now_utc();
    let mut scored = Vec::new();
    for label in labels.iter().filter(|l| l.split == split) {
        let Some(doc) = corpus.get(&label.id) else {
            return Err(EvalError::Labels {
                path: "labels".into(),
                message: format!("document `{}` is not in the corpus", label.id),
            });
        };
        // an item is assessed as its own municipality's; the Helsinki
        // corpus names none
        let tenant = doc.municipality.as_deref().unwrap_or(HELSINKI);
        let draft = corpus_draft(doc, tenant);
        let a = crate::rules::assess(
            bundle,
            &draft,
            &Limits::default(),
            now,
            &crate::domain::Deadline::none(),
        )
        .map_err(|e| EvalError::Corpus {
            path: "corpus".into(),
            line: 0,
            message: format!("`{}` could not be assessed: {e}", label.id),
        })?;
        scored.push(Scored {
            label: label.clone(),
            title: doc.title.clone(),
            predicted: a.screening.verdict,
            uncertain: a.screening.uncertain,
            determinants: a.impacts.iter().map(|i| i.determinant.clone()).collect(),
            groups: a
                .impacts
                .iter()
                .flat_map(|i| i.groups.iter().cloned())
                .collect(),
            bad_evidence: a
                .impacts
                .iter()
                .filter(|i| {
                    i.evidence.is_empty() || !i.evidence.iter().all(|e| e.points_into(&draft))
                })
                .count(),
            rules: a
                .screening
                .reasons
                .iter()
                .map(|r| r.rule_id.clone())
                .chain(a.impacts.iter().map(|i| i.rule_id.clone()))
                .chain(
                    a.screening
                        .exemption
                        .iter()
                        .map(|e| format!("exemption:{}", e.id)),
                )
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
        });
    }
    Ok(scored)
}

/// Measures assessed documents of one split, of one corpus or several.
pub fn summarise(split: Split, scored: &[Scored]) -> Report {
    let mut screening = Confusion::default();
    let mut dets = SetMetrics::default();
    let mut groups = SetMetrics::default();
    let mut results = Vec::new();
    let mut counts = Vec::new();
    let mut bad_total = 0;
    let mut doubt = Doubt::default();
    for s in scored {
        let label = &s.label;
        screening.add(label.screening, s.predicted);
        doubt.add(label.screening, s.predicted, s.uncertain);
        counts.push(DocCounts {
            screened_right: label.screening == s.predicted,
            determinants: dets.add(&label.determinants, &s.determinants),
            groups: groups.add(&label.groups, &s.groups),
        });
        bad_total += s.bad_evidence;
        let diff = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
            a.difference(b).cloned().collect::<Vec<_>>()
        };
        let r = DocResult {
            id: label.id.clone(),
            title: s.title.clone(),
            expected: label.screening,
            predicted: s.predicted,
            missed_determinants: diff(&label.determinants, &s.determinants),
            extra_determinants: diff(&s.determinants, &label.determinants),
            missed_groups: diff(&label.groups, &s.groups),
            extra_groups: diff(&s.groups, &label.groups),
            bad_evidence: s.bad_evidence,
            rules: s.rules.clone(),
            cost: 0,
        };
        let verdict_cost = match (label.screening, s.predicted) {
            (x, y) if x == y => 0,
            (Verdict::Required, Verdict::NotNeeded) => 10,
            _ => 4,
        };
        let cost = verdict_cost
            + r.missed_determinants.len() * 2
            + r.extra_determinants.len()
            + r.missed_groups.len()
            + r.extra_groups.len()
            + s.bad_evidence * 3;
        results.push(DocResult { cost, ..r });
    }
    results.sort_by(|a, b| b.cost.cmp(&a.cost).then(a.id.cmp(&b.id)));
    Report {
        corpus: String::new(),
        split,
        documents: results.len(),
        screening,
        determinants: dets,
        groups,
        bad_evidence: bad_total,
        doubt,
        intervals: bootstrap(&counts, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED),
        documents_by_cost: results,
    }
}

/// Writes a report as a table for people.
pub fn write_table(out: &mut impl std::io::Write, r: &Report, worst: usize) -> std::io::Result<()> {
    if r.corpus.is_empty() {
        writeln!(out, "== split `{}`: {} documents", r.split, r.documents)?;
    } else {
        writeln!(
            out,
            "== corpus `{}`, split `{}`: {} documents",
            r.corpus, r.split, r.documents
        )?;
    }
    writeln!(
        out,
        "screening accuracy {:.3}; REQUIRED screened NOT_NEEDED: {}",
        r.screening.accuracy(),
        r.screening.required_as_not_needed()
    )?;
    let (labelled, screened, both) = r.screening.needed();
    writeln!(
        out,
        "needing an assessment or not: accuracy {:.3}; {both} of {labelled} needing one screened so ({:.2}), precision {both} of {screened} ({:.2})",
        r.screening.needed_accuracy(),
        r.screening.needed_recall(),
        r.screening.needed_precision()
    )?;
    writeln!(
        out,
        "uncertain: {} of {} items needing an assessment screened NOT_NEEDED ({:.2}); {} of {} right verdicts ({:.2})",
        r.doubt.missed_uncertain,
        r.doubt.missed,
        r.doubt.misses_marked(),
        r.doubt.correct_uncertain,
        r.doubt.correct,
        r.doubt.correct_marked()
    )?;
    writeln!(
        out,
        "{:<14} {:>10} {:>12} {:>11}",
        "label \\ given", "REQUIRED", "RECOMMENDED", "NOT_NEEDED"
    )?;
    for (i, name) in ["REQUIRED", "RECOMMENDED", "NOT_NEEDED"].iter().enumerate() {
        let row = r.screening.matrix[i];
        writeln!(
            out,
            "{:<14} {:>10} {:>12} {:>11}",
            name, row[0], row[1], row[2]
        )?;
    }
    for (what, m) in [("determinants", &r.determinants), ("groups", &r.groups)] {
        writeln!(
            out,
            "{what}: micro precision {:.3} recall {:.3} F1 {:.3}",
            m.micro.precision, m.micro.recall, m.micro.f1
        )?;
        writeln!(
            out,
            "  {:<24} {:>4} {:>4} {:>4} {:>6} {:>6} {:>6}",
            "id", "tp", "fp", "fn", "P", "R", "F1"
        )?;
        for (id, s) in &m.per_label {
            writeln!(
                out,
                "  {:<24} {:>4} {:>4} {:>4} {:>6.2} {:>6.2} {:>6.2}",
                id, s.tp, s.fp, s.fn_, s.precision, s.recall, s.f1
            )?;
        }
    }
    let i = &r.intervals;
    writeln!(
        out,
        "95% bootstrap intervals ({} resamples of the documents): screening {:.3}–{:.3}, determinant F1 {:.3}–{:.3}, group F1 {:.3}–{:.3}",
        i.resamples,
        i.screening_accuracy.low,
        i.screening_accuracy.high,
        i.determinant_f1.low,
        i.determinant_f1.high,
        i.group_f1.low,
        i.group_f1.high
    )?;
    writeln!(
        out,
        "impacts with missing or mismatched evidence: {}",
        r.bad_evidence
    )?;
    writeln!(out, "worst documents:")?;
    for d in r
        .documents_by_cost
        .iter()
        .take(worst)
        .filter(|d| d.cost > 0)
    {
        writeln!(
            out,
            "  [{}] {} ({})",
            d.cost,
            d.title.chars().take(80).collect::<String>(),
            d.id
        )?;
        if !d.rules.is_empty() {
            writeln!(out, "      rules: {}", d.rules.join(", "))?;
        }
        if d.expected != d.predicted {
            writeln!(
                out,
                "      screening: labelled {:?}, given {:?}",
                d.expected, d.predicted
            )?;
        }
        for (what, v) in [
            ("missed determinants", &d.missed_determinants),
            ("extra determinants", &d.extra_determinants),
            ("missed groups", &d.missed_groups),
            ("extra groups", &d.extra_groups),
        ] {
            if !v.is_empty() {
                writeln!(out, "      {what}: {}", v.join(", "))?;
            }
        }
    }
    Ok(())
}
