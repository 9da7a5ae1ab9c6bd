//! The learned screening component: what it reads of a draft (its
//! features), and how the bundle's model weighs them. A feature is a name
//! such as `word:päiväko` (a word of the text beginning so), `title:…` (a
//! word of the title), `concept:…` (a concept of the lexicon found),
//! `rule:…` (a rule that fired), `exemption:…` (an ordinary exemption that
//! holds) or `signal:required` / `signal:recommended` (the strongest
//! screening signal of the rules). Each text feature remembers where it was
//! first found, so that what moved the verdict can be shown as evidence.

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
/// where it was first found (none for rules, exemptions and signals).
#[derive(Debug, Default)]
pub(super) struct Features(BTreeMap<String, Option<Spot>>);

impl Features {
    /// The features of an analysed draft, the rules that fired on it, the
    /// ordinary exemption that holds and the rules' strongest signal.
    pub(super) fn of(
        analysed: &Analysed<'_>,
        fired: &Fired<'_>,
        exemption: Option<&str>,
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
        if let Some(id) = exemption {
            note(format!("exemption:{id}"), None);
        }
        match strongest {
            Some(Verdict::Required) => note("signal:required".into(), None),
            Some(Verdict::Recommended) => note("signal:recommended".into(), None),
            _ => {}
        }
        Features(map)
    }

    /// The feature names, in order.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
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
    /// The features the model weighs, each with its weight, largest effect
    /// first.
    contributions: Vec<(String, f64, Option<Spot>)>,
}

impl Judgement {
    /// How the model judges `features`.
    pub(super) fn of(model: &ScreeningModel, features: &Features) -> Judgement {
        let mut logit = model.bias;
        let mut contributions = Vec::new();
        for (name, spot) in &features.0 {
            if let Some(&w) = model.weights.get(name) {
                logit += w;
                contributions.push((name.clone(), w, *spot));
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
    /// verdict, each once, as evidence; rules, exemptions and signals the
    /// model weighed are named in the reason's text instead.
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

    /// The rules, exemption and signal the model weighed towards its
    /// verdict, by name.
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
    fn a_word_at_the_very_end_keeps_its_last_letter() {
        let got: Vec<_> = words("koulu").collect();
        assert_eq!(got, [(0, 5, "koulu".to_string())]);
    }
}
