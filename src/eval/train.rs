//! Training the learned screening component from labelled decisions
//! (`eva train`): a logistic regression with L2 regularisation and classes
//! weighed equally, over the features the engine reads of each draft,
//! fitted by L-BFGS. Its settings (the regularisation, the threshold,
//! whether a rule's REQUIRED signal stands against it, and where doubt
//! begins) are chosen by cross-validation over whole meetings of the
//! `tune` labels only; the `test` labels are never read. The same labels,
//! corpora and bundle give the same file, byte for byte.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use argmin::core::{CostFunction, Error as ArgminError, Executor, Gradient};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

use super::{CorpusDoc, EvalError, HELSINKI, Label, Split, corpus_draft};
use crate::domain::Verdict;
use crate::rules::{Bundle, Limits};

/// A feature must occur in at least this many training items to be
/// learned: one seen once says more about that item than about others.
const MIN_ITEMS: usize = 2;
/// Folds of the cross-validation.
const FOLDS: u64 = 5;
/// The L2 strengths tried.
const L2: [f64; 7] = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0];
/// Thresholds tried, in hundredths.
const THRESHOLDS: std::ops::RangeInclusive<u32> = 20..=80;
/// The share of the misses doubt should mark, and the most of the right
/// verdicts it may mark.
const DOUBT_MISSES: f64 = 0.70;
const DOUBT_RIGHT: f64 = 0.15;
/// Weights are written to this many decimals; a smaller one is left out.
const DECIMALS: i32 = 4;

/// One corpus and its labels.
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct TrainSet<'a> {
    /// The labels file, as named in the model's provenance.
    pub labels_path: String,
    pub labels: &'a [Label],
    pub corpus: &'a BTreeMap<String, CorpusDoc>,
}

/// What training chose and how the choice did in cross-validation.
#[derive(Debug, Clone, serde::Serialize)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct TrainReport {
    /// Items trained on (tune labels no exemption decides), and how many of
    /// them need an assessment.
    pub items: usize,
    pub needing_assessment: usize,
    /// Items an exemption decides, left out.
    pub exempt: usize,
    /// Features the model weighs.
    pub features: usize,
    pub l2: f64,
    pub threshold: f64,
    pub force_required: bool,
    pub doubt_from: f64,
    /// Per labels file, the cross-validated screening of the tune items
    /// the model was asked about.
    pub cross_validated: Vec<FoldFigures>,
}

/// Cross-validated figures of one labels file.
#[derive(Debug, Clone, serde::Serialize)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub struct FoldFigures {
    pub labels: String,
    pub items: usize,
    pub needed: usize,
    pub screened_needed: usize,
    pub right_needed: usize,
    pub accuracy: f64,
    pub misses_marked: f64,
    pub right_marked: f64,
}

/// A labelled item as the trainer sees it.
struct Item {
    /// Feature index and value.
    features: Vec<(usize, f64)>,
    needed: bool,
    fold: u64,
    set: usize,
    rules_required: bool,
    /// The bundle's doubt condition holds: a NOT_NEEDED verdict is
    /// uncertain whatever the probability.
    doubt: bool,
    /// A strict exemption decides it: NOT_NEEDED, never uncertain, and not
    /// learned from, but counted in every figure.
    strict: bool,
    /// An ordinary exemption holds: the rules decide (NOT_NEEDED unless one
    /// requires an assessment), never uncertain, not learned from.
    exempt: bool,
}

/// Trains the model on the tune labels of `sets`; returns the model file's
/// text and the report.
pub fn train(bundle: &Bundle, sets: &[TrainSet<'_>]) -> Result<(String, TrainReport), EvalError> {
    let now = time::OffsetDateTime::now_utc();
    // each item with its features by name, until the vocabulary is known
    let mut named: Vec<(Vec<(String, f64)>, Item)> = Vec::new();
    let mut exempt = 0;
    for (set_index, set) in sets.iter().enumerate() {
        for label in set.labels.iter().filter(|l| l.split == Split::Tune) {
            let doc = set.corpus.get(&label.id).ok_or_else(|| EvalError::Labels {
                path: set.labels_path.clone(),
                message: format!("document `{}` is not in the corpus", label.id),
            })?;
            let tenant = doc.municipality.as_deref().unwrap_or(HELSINKI);
            let draft = corpus_draft(doc, tenant);
            let fail = |message: String| EvalError::Corpus {
                path: set.labels_path.clone(),
                line: 0,
                message: format!("`{}` could not be read: {message}", label.id),
            };
            let valid = crate::rules::validate(bundle, &draft, &Limits::default())
                .map_err(|v| fail(v.to_string()))?;
            let f = crate::rules::screening_features(bundle, &valid, now)
                .map_err(|e| fail(e.to_string()))?;
            exempt += usize::from(f.strict_exemption || f.ordinary_exemption);
            let meeting = super::meeting_number(
                doc.organization.as_deref().unwrap_or(""),
                doc.meeting_day().unwrap_or(&doc.id),
            );
            let item = Item {
                features: Vec::new(),
                needed: label.screening != Verdict::NotNeeded,
                fold: meeting % FOLDS,
                set: set_index,
                rules_required: f.rules_signal == Some(Verdict::Required),
                doubt: f.doubt,
                strict: f.strict_exemption,
                exempt: f.ordinary_exemption,
            };
            named.push((f.features, item));
        }
    }
    // the vocabulary: features of at least MIN_ITEMS items the model is
    // asked about, in name order
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (features, item) in &named {
        if item.strict || item.exempt {
            continue;
        }
        for (n, _) in features {
            *counts.entry(n).or_default() += 1;
        }
    }
    let vocabulary: Vec<&str> = counts
        .iter()
        .filter(|(_, c)| **c >= MIN_ITEMS)
        .map(|(n, _)| *n)
        .collect();
    let index: BTreeMap<&str, usize> = vocabulary
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, i))
        .collect();
    let items: Vec<Item> = named
        .iter()
        .map(|(features, item)| Item {
            features: features
                .iter()
                .filter_map(|(n, v)| index.get(n.as_str()).map(|i| (*i, *v)))
                .collect(),
            ..*item
        })
        .collect();
    let asked = || items.iter().filter(|i| !i.strict && !i.exempt);
    if asked().all(|i| i.needed) || asked().all(|i| !i.needed) {
        return Err(EvalError::Labels {
            path: sets.iter().map(|s| s.labels_path.as_str()).collect::<Vec<_>>().join(", "),
            message: "the tune labels need items of both kinds, needing an assessment and not, to learn from".into(),
        });
    }

    // out-of-fold probabilities for each strength, kept with the best
    // choice so far for doubt and the report
    let mut best: Option<(f64, Choice, std::rc::Rc<Vec<f64>>)> = None;
    for l2 in L2 {
        let mut p = vec![0.0; items.len()];
        for fold in 0..FOLDS {
            let train: Vec<&Item> = asked().filter(|i| i.fold != fold).collect();
            let weights = fit(&train, vocabulary.len(), l2)?;
            for (k, item) in items.iter().enumerate().filter(|(_, i)| i.fold == fold) {
                p[k] = probability(&weights, &item.features);
            }
        }
        let p = std::rc::Rc::new(p);
        for t in THRESHOLDS {
            let threshold = f64::from(t) / 100.0;
            for force_required in [false, true] {
                let choice = Choice {
                    l2,
                    threshold,
                    force_required,
                };
                let score = choice.score(&items, &p, sets.len());
                // strictly better only: the first of equals (weaker
                // regularisation, lower threshold, no forcing) stands
                if best.as_ref().is_none_or(|(s, ..)| score > *s) {
                    best = Some((score, choice, p.clone()));
                }
            }
        }
    }
    let (_, choice, p) = best.expect("the grids are not empty");
    let doubt_from = choice.doubt_from(&items, &p);
    let all: Vec<&Item> = asked().collect();
    let weights = fit(&all, vocabulary.len(), choice.l2)?;

    let cross_validated = sets
        .iter()
        .enumerate()
        .map(|(s, set)| choice.figures(&items, &p, s, doubt_from, &set.labels_path))
        .collect();
    let report = TrainReport {
        items: asked().count(),
        needing_assessment: asked().filter(|i| i.needed).count(),
        exempt,
        features: 0,
        l2: choice.l2,
        threshold: choice.threshold,
        force_required: choice.force_required,
        doubt_from,
        cross_validated,
    };
    let (text, features) = model_file(&report, sets, &vocabulary, &weights);
    Ok((text, TrainReport { features, ..report }))
}

/// The settings cross-validation chooses among.
struct Choice {
    l2: f64,
    threshold: f64,
    force_required: bool,
}

impl Choice {
    /// The verdict `screen` gives: NOT_NEEDED where a strict exemption
    /// holds, the rules' where an ordinary one does, else the model's.
    fn needed(&self, item: &Item, p: f64) -> bool {
        match (item.strict, item.exempt) {
            (true, _) => false,
            (false, true) => item.rules_required,
            (false, false) => p >= self.threshold || (self.force_required && item.rules_required),
        }
    }

    /// The mean over the labels files of the F1 of "needs an assessment",
    /// items a strict exemption decides included: each corpus counts alike, however many items it has, so that one
    /// is not bought with the other.
    fn score(&self, items: &[Item], p: &[f64], sets: usize) -> f64 {
        let mut f1 = 0.0;
        for s in 0..sets {
            let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
            for (item, p) in items.iter().zip(p).filter(|(i, _)| i.set == s) {
                match (item.needed, self.needed(item, *p)) {
                    (true, true) => tp += 1.0,
                    (false, true) => fp += 1.0,
                    (true, false) => fn_ += 1.0,
                    (false, false) => {}
                }
            }
            if tp > 0.0 {
                f1 += 2.0 * tp / (2.0 * tp + fp + fn_);
            }
        }
        f1 / sets as f64
    }

    /// The highest probability from which a NOT_NEEDED verdict is marked
    /// uncertain (besides those the doubt condition marks) that still
    /// marks [`DOUBT_MISSES`] of the misses, unless that marks more than
    /// [`DOUBT_RIGHT`] of the right verdicts: then the lowest that does
    /// not.
    fn doubt_from(&self, items: &[Item], p: &[f64]) -> f64 {
        let (mut misses, mut right) = (Vec::new(), Vec::new());
        for (item, p) in items.iter().zip(p) {
            if self.needed(item, *p) {
                continue;
            }
            // a verdict the condition marks is marked from any
            // probability, one a strict exemption gives never
            let mark = match (item.strict || item.exempt, item.doubt) {
                (true, _) => f64::NEG_INFINITY,
                (false, true) => f64::INFINITY,
                (false, false) => *p,
            };
            if item.needed {
                misses.push(mark);
            } else {
                right.push(mark);
            }
        }
        let share = |ps: &[f64], from: f64| {
            ps.iter().filter(|p| **p >= from).count() as f64 / ps.len().max(1) as f64
        };
        let top = (self.threshold * 100.0).round() as u32;
        let mut fallback = self.threshold;
        for h in (0..=top).rev() {
            let from = f64::from(h) / 100.0;
            if share(&right, from) > DOUBT_RIGHT {
                return fallback;
            }
            fallback = from;
            if share(&misses, from) >= DOUBT_MISSES {
                return from;
            }
        }
        fallback
    }

    fn figures(
        &self,
        items: &[Item],
        p: &[f64],
        set: usize,
        doubt_from: f64,
        labels: &str,
    ) -> FoldFigures {
        let (mut n, mut needed, mut screened, mut right_needed, mut right) = (0, 0, 0, 0, 0);
        let (mut misses, mut misses_marked, mut right_nn, mut right_marked) = (0, 0, 0, 0);
        for (item, p) in items.iter().zip(p).filter(|(i, _)| i.set == set) {
            let says = self.needed(item, *p);
            let marked = !says && !item.strict && !item.exempt && (*p >= doubt_from || item.doubt);
            n += 1;
            needed += usize::from(item.needed);
            screened += usize::from(says);
            right_needed += usize::from(says && item.needed);
            right += usize::from(says == item.needed);
            if item.needed && !says {
                misses += 1;
                misses_marked += usize::from(marked);
            }
            if !item.needed && !says {
                right_nn += 1;
                right_marked += usize::from(marked);
            }
        }
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        FoldFigures {
            labels: labels.to_string(),
            items: n,
            needed,
            screened_needed: screened,
            right_needed,
            accuracy: ratio(right, n),
            misses_marked: ratio(misses_marked, misses),
            right_marked: ratio(right_marked, right_nn),
        }
    }
}

/// The probability the weights (bias first) give an item.
fn probability(weights: &[f64], features: &[(usize, f64)]) -> f64 {
    sigmoid(logit(weights, features))
}

fn logit(weights: &[f64], features: &[(usize, f64)]) -> f64 {
    weights[0]
        + features
            .iter()
            .map(|(f, v)| weights[f + 1] * v)
            .sum::<f64>()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// ln(1 + e^z) without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// The regularised, class-weighed log loss of `items`: the problem L-BFGS
/// minimises. The bias is not regularised.
struct Problem<'a> {
    items: &'a [&'a Item],
    /// Weight of an item that needs an assessment, and of one that does
    /// not: each class weighs half of the whole.
    class_weight: [f64; 2],
    l2: f64,
}

impl Problem<'_> {
    fn weight(&self, item: &Item) -> f64 {
        self.class_weight[usize::from(item.needed)]
    }
}

impl CostFunction for Problem<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, w: &Vec<f64>) -> Result<f64, ArgminError> {
        let loss: f64 = self
            .items
            .iter()
            .map(|i| {
                let z = logit(w, &i.features);
                self.weight(i) * (softplus(z) - if i.needed { z } else { 0.0 })
            })
            .sum();
        let penalty: f64 = w[1..].iter().map(|x| x * x).sum::<f64>() * self.l2 / 2.0;
        Ok(loss + penalty)
    }
}

impl Gradient for Problem<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, w: &Vec<f64>) -> Result<Vec<f64>, ArgminError> {
        let mut g: Vec<f64> = w.iter().map(|x| x * self.l2).collect();
        g[0] = 0.0;
        for i in self.items {
            let err =
                self.weight(i) * (probability(w, &i.features) - f64::from(u8::from(i.needed)));
            g[0] += err;
            for (f, v) in &i.features {
                g[f + 1] += err * v;
            }
        }
        Ok(g)
    }
}

/// The weights (bias first) that minimise the problem over `items`.
fn fit(items: &[&Item], features: usize, l2: f64) -> Result<Vec<f64>, EvalError> {
    let needed = items.iter().filter(|i| i.needed).count().max(1) as f64;
    let routine = items.iter().filter(|i| !i.needed).count().max(1) as f64;
    let n = items.len() as f64;
    let problem = Problem {
        items,
        class_weight: [n / (2.0 * routine), n / (2.0 * needed)],
        l2,
    };
    let failed = |e: ArgminError| EvalError::Labels {
        path: "training".into(),
        message: format!("the model could not be fitted: {e}"),
    };
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(1e-6)
        .map_err(failed)?
        .with_tolerance_cost(1e-12)
        .map_err(failed)?;
    let mut result = Executor::new(problem, solver)
        .configure(|state| state.param(vec![0.0; features + 1]).max_iters(1000))
        .run()
        .map_err(failed)?;
    result
        .state
        .take_best_param()
        .ok_or_else(|| EvalError::Labels {
            path: "training".into(),
            message: "the model could not be fitted: the optimiser returned no weights".into(),
        })
}

/// The model file: provenance, settings, bias and every weight that
/// rounds to something, by feature name; and how many features it holds.
fn model_file(
    report: &TrainReport,
    sets: &[TrainSet<'_>],
    vocabulary: &[&str],
    weights: &[f64],
) -> (String, usize) {
    let round = |x: f64| {
        let scale = 10f64.powi(DECIMALS);
        let r = (x * scale).round() / scale;
        if r == 0.0 { 0.0 } else { r }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The learned screening component, written by `eva train`; retrain it\n\
         # rather than edit it. A logistic model over the features the engine\n\
         # reads of a draft (see README.md, Learned screening): a draft needs an\n\
         # assessment when the probability from `bias` plus the weights of its\n\
         # features, each times its value, reaches `threshold`."
    );
    let _ = writeln!(out, "trained:");
    let _ = writeln!(out, "  labels:");
    for s in sets {
        let _ = writeln!(out, "    - {}", yaml_string(&s.labels_path));
    }
    let _ = writeln!(out, "  items: {}", report.items);
    let _ = writeln!(out, "  needing_assessment: {}", report.needing_assessment);
    let _ = writeln!(out, "  l2: {}", report.l2);
    let _ = writeln!(
        out,
        "  chosen_by: \"{FOLDS}-fold cross-validation over whole meetings of the tune labels: mean F1 of needing an assessment over the labels files\""
    );
    let _ = writeln!(out, "threshold: {}", report.threshold);
    let _ = writeln!(out, "force_required: {}", report.force_required);
    let _ = writeln!(out, "doubt_from: {}", report.doubt_from);
    let _ = writeln!(out, "bias: {}", round(weights[0]));
    let _ = writeln!(out, "weights:");
    let mut kept = 0;
    for (name, w) in vocabulary.iter().zip(&weights[1..]) {
        let w = round(*w);
        if w != 0.0 {
            kept += 1;
            let _ = writeln!(out, "  {}: {w}", yaml_string(name));
        }
    }
    (out, kept)
}

/// A string as a double-quoted YAML scalar.
fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(features: &[usize], needed: bool) -> Item {
        Item {
            features: features.iter().map(|f| (*f, 1.0)).collect(),
            needed,
            fold: 0,
            set: 0,
            rules_required: false,
            doubt: false,
            strict: false,
            exempt: false,
        }
    }

    /// On separable data the fitted model puts every item on its side,
    /// the feature of the needed items weighs positive and the routine
    /// one negative, and a feature both kinds share weighs little.
    #[test]
    fn fitting_learns_which_features_mark_items_that_need_an_assessment() {
        let items: Vec<Item> = (0..20)
            .map(|k| {
                if k % 2 == 0 {
                    item(&[0, 2], true)
                } else {
                    item(&[1, 2], false)
                }
            })
            .collect();
        let refs: Vec<&Item> = items.iter().collect();
        let w = fit(&refs, 3, 1.0).expect("fits");
        assert!(w[1] > 1.0 && w[2] < -1.0, "{w:?}");
        assert!(w[3].abs() < 0.5, "{w:?}");
        for i in &items {
            assert_eq!(probability(&w, &i.features) >= 0.5, i.needed);
        }
        // the same data, the same weights
        assert_eq!(fit(&refs, 3, 1.0).expect("fits"), w);
    }

    /// Stronger regularisation gives smaller weights.
    #[test]
    fn a_stronger_l2_shrinks_the_weights() {
        let items: Vec<Item> = (0..10).map(|k| item(&[k % 2], k % 2 == 0)).collect();
        let refs: Vec<&Item> = items.iter().collect();
        let weak = fit(&refs, 2, 0.1).expect("fits");
        let strong = fit(&refs, 2, 10.0).expect("fits");
        assert!(strong[1].abs() < weak[1].abs(), "{weak:?} {strong:?}");
    }

    #[test]
    fn softplus_does_not_overflow() {
        assert!((softplus(1000.0) - 1000.0).abs() < 1e-9);
        assert!(softplus(-1000.0) >= 0.0 && softplus(-1000.0) < 1e-300);
        assert!((softplus(0.0) - 2f64.ln()).abs() < 1e-12);
    }
}
