//! `model/screening.yaml`: the learned screening component, written by
//! `eva train`. Optional: without it the rules alone screen.

use super::{Known, Loader};
use crate::rules::bundle::ScreeningModel;
use crate::rules::bundle::error::BundleErrorKind as Kind;
use crate::rules::bundle::format::{ModelFile, line_of};

/// The strings the model's reason is written in.
pub(super) const STRINGS: [&str; 3] = ["model.needed", "model.routine", "model.also"];

/// Where the model lies in a bundle.
pub const FILE: &str = "model/screening.yaml";

/// Feature kinds and whether the rest of the name is an id the bundle
/// must define: a concept or a rule.
const KINDS: [(&str, Option<&str>); 5] = [
    ("word:", None),
    ("title:", None),
    ("concept:", Some("concept")),
    ("rule:", Some("rule")),
    ("signal:", None),
];

impl Loader {
    /// Reads the model; `rules` are the rule ids the bundle defines, which
    /// the model's features may name.
    pub(super) fn screening_model(
        &mut self,
        text: Option<&str>,
        known: &Known,
        rules: &[&str],
    ) -> Option<ScreeningModel> {
        let m = self.parse::<ModelFile>(FILE, text?)?;
        let mut ok = true;
        for (what, value) in [("threshold", &m.threshold), ("doubt_from", &m.doubt_from)] {
            if !(0.0..=1.0).contains(&**value) {
                self.err(
                    Kind::Invalid,
                    FILE,
                    line_of(value),
                    format!("{what} is {}; a probability lies between 0 and 1", **value),
                );
                ok = false;
            }
        }
        if *m.doubt_from > *m.threshold {
            self.err(
                Kind::Invalid,
                FILE,
                line_of(&m.doubt_from),
                format!(
                    "doubt_from ({}) is above the threshold ({}); doubt marks verdicts below the threshold, so it lies at or under it",
                    *m.doubt_from, *m.threshold
                ),
            );
            ok = false;
        }
        let mut unknown = Vec::new();
        let mut unlearned = Vec::new();
        for (name, w) in &m.weights {
            let kind = KINDS.iter().find(|(p, _)| name.starts_with(p));
            let Some((prefix, must_exist)) = kind else {
                self.err(
                    Kind::Invalid,
                    FILE,
                    0,
                    format!(
                        "feature `{name}` is of no known kind; a feature begins with word:, title:, concept:, rule: or signal:"
                    ),
                );
                ok = false;
                continue;
            };
            let id = &name[prefix.len()..];
            let defined = match *must_exist {
                Some("concept") => known.names.contains(id),
                Some(_) => rules.contains(&id),
                None => true,
            };
            if !defined {
                unknown.push(name.as_str());
            } else if prefix == &"concept:" && known.unlearned.iter().any(|c| c == id) {
                unlearned.push(name.as_str());
            }
            if !w.is_finite() {
                self.err(
                    Kind::Invalid,
                    FILE,
                    0,
                    format!("feature `{name}` weighs {w}; a weight is a finite number"),
                );
                ok = false;
            }
        }
        if !unknown.is_empty() {
            let shown: Vec<&str> = unknown.iter().take(5).copied().collect();
            self.err(
                Kind::Unknown,
                FILE,
                0,
                format!(
                    "{} feature(s) name concepts or rules the bundle does not define ({}{}); the rules changed since the model was trained: retrain it with `eva train`",
                    unknown.len(),
                    shown.join(", "),
                    if unknown.len() > shown.len() { ", …" } else { "" }
                ),
            );
            ok = false;
        }
        if !unlearned.is_empty() {
            self.err(
                Kind::Invalid,
                FILE,
                0,
                format!(
                    "feature(s) {} name concepts the lexicon keeps out of the model (learned: false); retrain it with `eva train`",
                    unlearned.join(", ")
                ),
            );
            ok = false;
        }
        ok.then(|| ScreeningModel {
            weights: m.weights.into_iter().collect(),
            bias: m.bias,
            threshold: *m.threshold,
            force_required: m.force_required,
            doubt_from: *m.doubt_from,
        })
    }
}
