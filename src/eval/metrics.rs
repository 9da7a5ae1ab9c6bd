//! Screening confusion matrix and set precision, recall and F1.

use std::collections::{BTreeMap, BTreeSet};

use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::domain::Verdict;

fn index(v: Verdict) -> usize {
    match v {
        Verdict::Required => 0,
        Verdict::Recommended => 1,
        Verdict::NotNeeded => 2,
    }
}

/// Screening outcomes: rows are labels, columns are verdicts given, both in
/// the order REQUIRED, RECOMMENDED, NOT_NEEDED.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// Counts.
    pub matrix: [[usize; 3]; 3],
}

impl Confusion {
    /// Counts one document.
    pub fn add(&mut self, expected: Verdict, given: Verdict) {
        self.matrix[index(expected)][index(given)] += 1;
    }

    /// Share of documents screened as labelled; 1.0 for none.
    pub fn accuracy(&self) -> f64 {
        let total: usize = self.matrix.iter().flatten().sum();
        let right: usize = (0..3).map(|i| self.matrix[i][i]).sum();
        if total == 0 {
            1.0
        } else {
            right as f64 / total as f64
        }
    }

    /// Items labelled as needing an assessment (REQUIRED or RECOMMENDED),
    /// items screened so, and items both.
    pub fn needed(&self) -> (usize, usize, usize) {
        let m = &self.matrix;
        let labelled = m[..2].iter().flatten().sum();
        let screened = m.iter().map(|row| row[0] + row[1]).sum();
        let both = m[..2].iter().map(|row| row[0] + row[1]).sum();
        (labelled, screened, both)
    }

    /// Share of documents screened on the right side of needing an
    /// assessment or not, whichever of REQUIRED and RECOMMENDED; 1.0 for
    /// none.
    pub fn needed_accuracy(&self) -> f64 {
        let total: usize = self.matrix.iter().flatten().sum();
        let (_, _, both) = self.needed();
        let neither = self.matrix[2][2];
        if total == 0 {
            1.0
        } else {
            (both + neither) as f64 / total as f64
        }
    }

    /// Of the items needing an assessment, the share screened so; 1.0 for
    /// none.
    pub fn needed_recall(&self) -> f64 {
        let (labelled, _, both) = self.needed();
        if labelled == 0 {
            1.0
        } else {
            both as f64 / labelled as f64
        }
    }

    /// Of the items screened as needing an assessment, the share that do;
    /// 1.0 for none.
    pub fn needed_precision(&self) -> f64 {
        let (_, screened, both) = self.needed();
        if screened == 0 {
            1.0
        } else {
            both as f64 / screened as f64
        }
    }

    /// REQUIRED items screened NOT_NEEDED: the error that must not happen.
    pub fn required_as_not_needed(&self) -> usize {
        self.matrix[0][2]
    }
}

/// Precision, recall and F1 of one label or of all.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SetScore {
    /// True positives.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// False negatives.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// tp / (tp + fp); 1.0 when nothing was given.
    pub precision: f64,
    /// tp / (tp + fn); 1.0 when nothing was labelled.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

impl SetScore {
    fn finish(&mut self) {
        self.precision = if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        };
        self.recall = if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        };
        self.f1 = if self.precision + self.recall == 0.0 {
            0.0
        } else {
            2.0 * self.precision * self.recall / (self.precision + self.recall)
        };
    }
}

/// Micro-averaged and per-label scores of predicted sets against labelled sets.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SetMetrics {
    /// Over all labels together.
    pub micro: SetScore,
    /// Per label id.
    pub per_label: BTreeMap<String, SetScore>,
}

impl SetMetrics {
    /// Counts one document; returns its true positives, false positives and
    /// false negatives (the unit [`DocCounts`] keeps for the bootstrap).
    pub fn add(&mut self, expected: &BTreeSet<String>, predicted: &BTreeSet<String>) -> [usize; 3] {
        let mut doc = [0; 3];
        for x in expected.union(predicted) {
            let (e, p) = (expected.contains(x), predicted.contains(x));
            let s = self.per_label.entry(x.clone()).or_default();
            match (e, p) {
                (true, true) => {
                    s.tp += 1;
                    self.micro.tp += 1;
                    doc[0] += 1;
                }
                (false, true) => {
                    s.fp += 1;
                    self.micro.fp += 1;
                    doc[1] += 1;
                }
                (true, false) => {
                    s.fn_ += 1;
                    self.micro.fn_ += 1;
                    doc[2] += 1;
                }
                (false, false) => {}
            }
            s.finish();
        }
        self.micro.finish();
        doc
    }
}

/// One document's counts, the unit the bootstrap resamples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocCounts {
    /// Whether the screening verdict matched the label.
    pub screened_right: bool,
    /// Determinants: true positives, false positives, false negatives.
    pub determinants: [usize; 3],
    /// Groups: true positives, false positives, false negatives.
    pub groups: [usize; 3],
}

/// A central 95 % interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Interval {
    /// 2.5th percentile.
    pub low: f64,
    /// 97.5th percentile.
    pub high: f64,
}

/// Percentile bootstrap intervals over documents: how far the figures of a
/// split this size could move by which documents happened to be in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct Intervals {
    /// Resamples drawn.
    pub resamples: usize,
    pub screening_accuracy: Interval,
    /// Determinant micro-F1.
    pub determinant_f1: Interval,
    /// Group micro-F1.
    pub group_f1: Interval,
}

fn micro_f1([tp, fp, fn_]: [usize; 3]) -> f64 {
    let mut s = SetScore {
        tp,
        fp,
        fn_,
        ..SetScore::default()
    };
    s.finish();
    s.f1
}

fn central(mut xs: Vec<f64>) -> Interval {
    if xs.is_empty() {
        return Interval::default();
    }
    xs.sort_by(f64::total_cmp);
    let at = |q: f64| xs[((xs.len() - 1) as f64 * q).round() as usize];
    Interval {
        low: at(0.025),
        high: at(0.975),
    }
}

/// Resamples `docs` with replacement `resamples` times from a fixed seed, so
/// the same documents always give the same intervals.
pub fn bootstrap(docs: &[DocCounts], resamples: usize, seed: u64) -> Intervals {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let (mut acc, mut det, mut grp) = (Vec::new(), Vec::new(), Vec::new());
    if !docs.is_empty() {
        for _ in 0..resamples {
            let (mut right, mut d, mut g) = (0usize, [0usize; 3], [0usize; 3]);
            for _ in 0..docs.len() {
                let doc = &docs[rng.random_range(0..docs.len())];
                right += usize::from(doc.screened_right);
                for k in 0..3 {
                    d[k] += doc.determinants[k];
                    g[k] += doc.groups[k];
                }
            }
            acc.push(right as f64 / docs.len() as f64);
            det.push(micro_f1(d));
            grp.push(micro_f1(g));
        }
    }
    Intervals {
        resamples,
        screening_accuracy: central(acc),
        determinant_f1: central(det),
        group_f1: central(grp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn micro_scores_count_every_label() {
        let mut m = SetMetrics::default();
        let first = m.add(
            &set(&["housing", "safety"]),
            &set(&["housing", "climate_nature"]),
        );
        assert_eq!(first, [1, 1, 1], "the document's own tp, fp, fn");
        assert_eq!(m.add(&set(&["housing"]), &set(&["housing"])), [1, 0, 0]);
        assert_eq!((m.micro.tp, m.micro.fp, m.micro.fn_), (2, 1, 1));
        assert!((m.micro.precision - 2.0 / 3.0).abs() < 1e-9);
        assert!((m.micro.recall - 2.0 / 3.0).abs() < 1e-9);
        assert!((m.micro.f1 - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(m.per_label["housing"].f1, 1.0);
        assert_eq!(m.per_label["safety"].recall, 0.0);
    }

    #[test]
    fn confusion_counts_accuracy_and_the_dangerous_error() {
        let mut c = Confusion::default();
        c.add(Verdict::Required, Verdict::Required);
        c.add(Verdict::Required, Verdict::NotNeeded);
        c.add(Verdict::NotNeeded, Verdict::NotNeeded);
        c.add(Verdict::Recommended, Verdict::Required);
        assert_eq!(c.accuracy(), 0.5);
        assert_eq!(c.required_as_not_needed(), 1);
    }

    fn doc(right: bool, d: [usize; 3], g: [usize; 3]) -> DocCounts {
        DocCounts {
            screened_right: right,
            determinants: d,
            groups: g,
        }
    }

    #[test]
    fn identical_documents_give_a_point_interval() {
        let docs = vec![doc(true, [2, 1, 1], [1, 0, 0]); 20];
        let i = bootstrap(&docs, 200, 7);
        assert_eq!(
            i.screening_accuracy,
            Interval {
                low: 1.0,
                high: 1.0
            }
        );
        assert!((i.determinant_f1.low - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(i.determinant_f1.low, i.determinant_f1.high);
    }

    #[test]
    fn intervals_hold_the_estimate_and_repeat_for_a_seed() {
        let mut docs = Vec::new();
        for k in 0..40 {
            docs.push(doc(k % 4 != 0, [k % 3, k % 2, (k + 1) % 3], [k % 2, 0, 1]));
        }
        let i = bootstrap(&docs, 500, 2026);
        assert!(i.screening_accuracy.low < 0.75 && 0.75 < i.screening_accuracy.high);
        let total = docs.iter().fold([0; 3], |mut t, d| {
            (0..3).for_each(|k| t[k] += d.determinants[k]);
            t
        });
        let f1 = micro_f1(total);
        assert!(i.determinant_f1.low <= f1 && f1 <= i.determinant_f1.high);
        assert!(i.determinant_f1.low < i.determinant_f1.high);
        assert_eq!(i, bootstrap(&docs, 500, 2026));
        assert_ne!(i, bootstrap(&docs, 500, 2027));
    }
}
