//! Screening confusion matrix and set precision, recall and F1.

use std::collections::{BTreeMap, BTreeSet};

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
    /// Counts one document.
    pub fn add(&mut self, expected: &BTreeSet<String>, predicted: &BTreeSet<String>) {
        for x in expected.union(predicted) {
            let (e, p) = (expected.contains(x), predicted.contains(x));
            let s = self.per_label.entry(x.clone()).or_default();
            match (e, p) {
                (true, true) => {
                    s.tp += 1;
                    self.micro.tp += 1;
                }
                (false, true) => {
                    s.fp += 1;
                    self.micro.fp += 1;
                }
                (true, false) => {
                    s.fn_ += 1;
                    self.micro.fn_ += 1;
                }
                (false, false) => {}
            }
            s.finish();
        }
        self.micro.finish();
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
        m.add(
            &set(&["housing", "safety"]),
            &set(&["housing", "climate_nature"]),
        );
        m.add(&set(&["housing"]), &set(&["housing"]));
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
}
