//! The learned screening component: what it reads of a draft (its
//! features), and how the bundle's model weighs them. A feature is a name
//! such as `word:päiväko` (a word of the text beginning so), `title:…` (a
//! word of the title), `concept:…` (a concept of the lexicon found),
//! `rule:…` (a rule that fired) or `signal:required` /
//! `signal:recommended` (the strongest screening signal of the rules). Each text feature remembers where it was
//! first found, so that what moved the verdict can be shown as evidence.
//!
//! A feature's value does not grow with the length of the text: the words
//! (`word:` and `title:` together) and the concepts each count as one
//! whole, every feature of a kind worth one over the square root of how
//! many of that kind the draft has; rules and signals are worth one each. A minute of ten pages and a draft of two paragraphs that say
//! the same are weighed alike.

use std::collections::BTreeMap;

use super::analysis::Analysed;
use super::screening::Fired;
use crate::domain::{Evidence, Place, Verdict};
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
pub(super) struct Features(BTreeMap<String, Option<Spot>>);

impl Features {
    /// The features of an analysed draft, the rules that fired on it and
    /// their strongest signal.
    pub(super) fn of(
        analysed: &Analysed<'_>,
        fired: &Fired<'_>,
        strongest: Option<Verdict>,
    ) -> Features {
        let mut map: BTreeMap<String, Option<Spot>> = BTreeMap::new();
        let mut note = |name: String, spot: Option<Spot>| {
            map.entry(name).or_insert(spot);
        };
        let texts = std::iter::once((-1, analysed.subject.title)).chain(
            (0..analysed.subject.sections.len()).map(|i| (i as i32, analysed.text(i as i32))),
        );
        for (index, text) in texts {
            for (start, end, prefix) in words(text) {
                let spot = Some(Spot { index, start, end });
                if index < 0 {
                    note(format!("title:{prefix}"), spot);
                }
                note(format!("word:{prefix}"), spot);
            }
        }
        for f in &analysed.found {
            let spot = Spot {
                index: f.section_index,
                start: f.start,
                end: f.end,
            };
            note(format!("concept:{}", f.concept), Some(spot));
        }
        for (rule, _) in fired {
            note(format!("rule:{}", rule.id), None);
        }
        match strongest {
            Some(Verdict::Required) => note("signal:required".into(), None),
            Some(Verdict::Recommended) => note("signal:recommended".into(), None),
            _ => {}
        }
        Features(map)
    }

    /// Each feature with its value, in name order.
    pub(super) fn values(&self) -> Vec<(&str, f64)> {
        let mut counts = [0usize; 3];
        for name in self.0.keys() {
            counts[kind(name)] += 1;
        }
        let scale = counts.map(|n| if n == 0 { 0.0 } else { 1.0 / (n as f64).sqrt() });
        self.0
            .keys()
            .map(|name| {
                let k = kind(name);
                (name.as_str(), if k == STRUCTURAL { 1.0 } else { scale[k] })
            })
            .collect()
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

/// The words of `text` as (start, end, prefix): runs of letters of at
/// least [`MIN_WORD`], lower-cased, cut to [`WORD_PREFIX`] letters; the
/// offsets are the whole word's.
fn words(text: &str) -> impl Iterator<Item = (usize, usize, String)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        loop {
            // skip to a letter
            let (start, _) = loop {
                let (i, c) = chars.next()?;
                if c.is_alphabetic() {
                    break (i, c);
                }
            };
            let mut end = text.len();
            while let Some(&(i, c)) = chars.peek() {
                if !c.is_alphabetic() {
                    end = i;
                    break;
                }
                chars.next();
            }
            let word = &text[start..end];
            if word.chars().count() < MIN_WORD {
                continue;
            }
            let prefix: String = word
                .chars()
                .flat_map(char::to_lowercase)
                .take(WORD_PREFIX)
                .collect();
            return Some((start, end, prefix));
        }
    })
}

/// The model's judgement of one draft.
#[derive(Debug)]
pub(super) struct Judgement {
    /// Probability that the draft needs an assessment.
    pub(super) p: f64,
    /// The features the model weighs, each with its effect (weight times
    /// value), largest first.
    contributions: Vec<(String, f64, Option<Spot>)>,
}

impl Judgement {
    /// How the model judges `features`.
    pub(super) fn of(model: &ScreeningModel, features: &Features) -> Judgement {
        let mut logit = model.bias;
        let mut contributions = Vec::new();
        for (name, value) in features.values() {
            if let Some(&w) = model.weights.get(name) {
                logit += w * value;
                contributions.push((name.to_string(), w * value, features.0[name]));
            }
        }
        contributions.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
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
                let text = analysed.text(s.index);
                Evidence {
                    rule_id: MODEL_ID.to_string(),
                    place: if s.index < 0 {
                        Place::Title
                    } else {
                        Place::Section(s.index as u32)
                    },
                    start: s.start as u32,
                    end: s.end as u32,
                    excerpt: text.get(s.start..s.end).unwrap_or("").to_string(),
                    term: text.get(s.start..s.end).unwrap_or("").to_string(),
                    concept: name.strip_prefix("concept:").unwrap_or("").to_string(),
                }
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
            .map(|(name, _, _)| name.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_letter_runs_cut_to_a_prefix_with_the_whole_words_offsets() {
        let text = "Päiväkodin (Ö-talo) sulkeminen 2025: 12 lasta, ja niin";
        let got: Vec<_> = words(text).collect();
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
        let got: Vec<_> = words("koulu").collect();
        assert_eq!(got, [(0, 5, "koulu".to_string())]);
    }
}
