//! The learned screening component: what it reads of a draft (its
//! features), and how the bundle's model weighs them. A feature is a name
//! such as `word:päiväko` (a word of the text beginning so), `title:…` (a
//! word of the title), `concept:…` (a concept of the lexicon found, unless
//! the lexicon marks it `learned: false`), `rule:…` (a rule that fired) or
//! `signal:required` / `signal:recommended` (the strongest screening
//! signal of the rules). Each text feature remembers where it was
//! first found, so that what moved the verdict can be shown as evidence.
//!
//! A feature's value does not grow with the length of the text: the words
//! (`word:` and `title:` together) and the concepts each count as one
//! whole, every feature of a kind worth one over the square root of how
//! many of that kind the draft has; rules and signals are worth one each. A minute of ten pages and a draft of two paragraphs that say
//! the same are weighed alike.

use super::analysis::Analysed;
use super::evidence::span;
use super::screening::Fired;
use crate::domain::{Evidence, Verdict};
use crate::rules::bundle::ScreeningModel;

/// A word feature is the first this many letters of a word…
pub const WORD_PREFIX: usize = 7;
/// …of at least this many letters.
const MIN_WORD: usize = 4;

/// The id under which the model's evidence and reason appear.
pub const MODEL_ID: &str = "screening_model";

/// Most features shown as the evidence of the model's verdict.
const MAX_EVIDENCE: usize = 6;

/// Where in the text a feature was first found: section -1 is the title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Spot {
    index: i32,
    start: usize,
    end: usize,
}

/// What the learned component reads of a draft: each feature once, with
/// where it was first found (none for rules and signals).
#[derive(Debug, Default)]
pub(super) struct Features(foldhash::HashMap<String, Option<Spot>>);

impl Features {
    /// The features of an analysed draft, the rules that fired on it and
    /// their strongest signal.
    pub(super) fn of(
        analysed: &Analysed<'_>,
        fired: &Fired<'_>,
        strongest: Option<Verdict>,
        unlearned: &[String],
    ) -> Features {
        let mut map: foldhash::HashMap<String, Option<Spot>> = Default::default();
        // names are built in one buffer and copied only when new: a long
        // text repeats most of its words
        let mut name = String::new();
        let mut note = |name: &str, spot: Option<Spot>| {
            if !map.contains_key(name) {
                map.insert(name.to_string(), spot);
            }
        };
        let texts = std::iter::once((-1, analysed.subject.title)).chain(
            (0..analysed.subject.sections.len()).map(|i| (i as i32, analysed.text(i as i32))),
        );
        for (index, text) in texts {
            for (start, end) in word_spans(text) {
                let spot = Some(Spot { index, start, end });
                name.clear();
                name.push_str("word:");
                push_prefix(&mut name, &text[start..end]);
                note(&name, spot);
                if index < 0 {
                    name.replace_range(.."word:".len(), "title:");
                    note(&name, spot);
                }
            }
        }
        for f in analysed
            .found
            .iter()
            .filter(|f| !unlearned.contains(&f.concept))
        {
            let spot = Spot {
                index: f.section_index,
                start: f.start,
                end: f.end,
            };
            name.clear();
            name.push_str("concept:");
            name.push_str(&f.concept);
            note(&name, Some(spot));
        }
        for (rule, _) in fired {
            name.clear();
            name.push_str("rule:");
            name.push_str(&rule.id);
            note(&name, None);
        }
        match strongest {
            Some(Verdict::Required) => note("signal:required", None),
            Some(Verdict::Recommended) => note("signal:recommended", None),
            _ => {}
        }
        Features(map)
    }

    /// The value of a feature of each kind.
    fn scales(&self) -> [f64; 3] {
        let mut counts = [0usize; 3];
        for name in self.0.keys() {
            counts[kind(name)] += 1;
        }
        let mut scale = counts.map(|n| if n == 0 { 0.0 } else { 1.0 / (n as f64).sqrt() });
        scale[STRUCTURAL] = 1.0;
        scale
    }

    /// Each feature with its value, in name order.
    pub(super) fn values(&self) -> Vec<(&str, f64)> {
        let scale = self.scales();
        let mut values: Vec<(&str, f64)> = self
            .0
            .keys()
            .map(|name| (name.as_str(), scale[kind(name)]))
            .collect();
        values.sort_unstable_by(|a, b| a.0.cmp(b.0));
        values
    }
}

/// The kinds that share a scale: words, concepts; and the rest.
const WORDS: usize = 0;
const CONCEPTS: usize = 1;
const STRUCTURAL: usize = 2;

fn kind(name: &str) -> usize {
    if name.starts_with("word:") || name.starts_with("title:") {
        WORDS
    } else if name.starts_with("concept:") {
        CONCEPTS
    } else {
        STRUCTURAL
    }
}

/// The words of `text` as (start, end): runs of letters of at least
/// [`MIN_WORD`].
fn word_spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        loop {
            // skip to a letter
            let start = loop {
                let (i, c) = chars.next()?;
                if c.is_alphabetic() {
                    break i;
                }
            };
            let mut end = text.len();
            let mut letters = 1;
            while let Some(&(i, c)) = chars.peek() {
                if !c.is_alphabetic() {
                    end = i;
                    break;
                }
                letters += 1;
                chars.next();
            }
            if letters >= MIN_WORD {
                return Some((start, end));
            }
        }
    })
}

/// Appends the first [`WORD_PREFIX`] letters of `word`, lower-cased.
fn push_prefix(out: &mut String, word: &str) {
    let mut letters = 0;
    for c in word.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            letters += 1;
        } else {
            for l in c.to_lowercase() {
                out.push(l);
                letters += 1;
                if letters == WORD_PREFIX {
                    break;
                }
            }
        }
        if letters >= WORD_PREFIX {
            break;
        }
    }
}

/// The model's judgement of one draft.
#[derive(Debug)]
pub(super) struct Judgement<'f> {
    /// Probability that the draft needs an assessment.
    pub(super) p: f64,
    /// The features the model weighs, each with its effect (weight times
    /// value), largest first.
    contributions: Vec<(&'f str, f64, Option<Spot>)>,
}

impl<'f> Judgement<'f> {
    /// How the model judges `features`.
    pub(super) fn of(model: &ScreeningModel, features: &'f Features) -> Judgement<'f> {
        let scale = features.scales();
        let mut contributions: Vec<(&str, f64, Option<Spot>)> = features
            .0
            .iter()
            .filter_map(|(name, spot)| {
                let w = model.weights.get(name)?;
                Some((name.as_str(), w * scale[kind(name)], *spot))
            })
            .collect();
        // summed in name order, so that the sum comes out the same in
        // every run
        contributions.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let logit = model.bias + contributions.iter().map(|c| c.1).sum::<f64>();
        contributions.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
        Judgement {
            p: 1.0 / (1.0 + (-logit).exp()),
            contributions,
        }
    }

    /// Whether the model finds an assessment needed.
    pub(super) fn needed(&self, model: &ScreeningModel) -> bool {
        self.p >= model.threshold
    }

    /// The words of the text that pushed the model most towards its
    /// verdict, each once, as evidence; rules and signals the model
    /// weighed are named in the reason's text instead.
    pub(super) fn evidence(
        &self,
        model: &ScreeningModel,
        analysed: &Analysed<'_>,
    ) -> Vec<Evidence> {
        let towards = if self.needed(model) { 1.0 } else { -1.0 };
        let mut seen = std::collections::BTreeSet::new();
        self.contributions
            .iter()
            .filter(|(_, w, _)| w * towards > 0.0)
            .filter_map(|(name, _, spot)| spot.map(|s| (name, s)))
            .filter(|(_, s)| seen.insert((s.index, s.start, s.end)))
            .take(MAX_EVIDENCE)
            .map(|(name, s)| {
                let word = analysed.text(s.index).get(s.start..s.end).unwrap_or("");
                let concept = name.strip_prefix("concept:").unwrap_or("");
                span(analysed, MODEL_ID, (s.index, s.start, s.end), word, concept)
            })
            .collect()
    }

    /// The rules and signal the model weighed towards its verdict, by
    /// name.
    pub(super) fn structural(&self, model: &ScreeningModel) -> Vec<&str> {
        let towards = if self.needed(model) { 1.0 } else { -1.0 };
        self.contributions
            .iter()
            .filter(|(_, w, spot)| spot.is_none() && w * towards > 0.0)
            .map(|(name, _, _)| *name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// The words of `text` with their prefixes.
    fn words(text: &str) -> Vec<(usize, usize, String)> {
        word_spans(text)
            .map(|(s, e)| {
                let mut p = String::new();
                push_prefix(&mut p, &text[s..e]);
                (s, e, p)
            })
            .collect()
    }

    #[test]
    fn words_are_letter_runs_cut_to_a_prefix_with_the_whole_words_offsets() {
        let text = "Päiväkodin (Ö-talo) sulkeminen 2025: 12 lasta, ja niin";
        let got = words(text);
        let shown: Vec<(&str, &str)> = got
            .iter()
            .map(|(s, e, p)| (&text[*s..*e], p.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("Päiväkodin", "päiväko"),
                ("talo", "talo"),
                ("sulkeminen", "sulkemi"),
                ("lasta", "lasta"),
                ("niin", "niin"),
            ]
        );
    }

    #[test]
    fn words_and_concepts_weigh_one_whole_each_and_rules_one_apiece() {
        let mut f = Features::default();
        for name in ["word:koulu", "word:lakkaut", "title:koulu", "word:oppilas"] {
            f.0.insert(name.into(), None);
        }
        f.0.insert("concept:school".into(), None);
        f.0.insert("rule:a".into(), None);
        f.0.insert("signal:required".into(), None);
        let v: BTreeMap<&str, f64> = f.values().into_iter().collect();
        assert_eq!(v["word:koulu"], 0.5);
        assert_eq!(v["title:koulu"], 0.5);
        assert_eq!(v["concept:school"], 1.0);
        assert_eq!(v["rule:a"], 1.0);
        assert_eq!(v["signal:required"], 1.0);
        let words: f64 = v
            .iter()
            .filter(|(k, _)| kind(k) == WORDS)
            .map(|(_, x)| x * x)
            .sum();
        assert!((words - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_word_at_the_very_end_keeps_its_last_letter() {
        assert_eq!(words("koulu"), [(0, 5, "koulu".to_string())]);
    }
}
