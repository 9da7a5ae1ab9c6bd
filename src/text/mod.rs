//! Text analysis: tokens with byte offsets, and the matcher that finds
//! lexicon concepts in Finnish and Swedish text despite inflection,
//! consonant gradation and compounding.
//!
//! The matcher is generate-and-check. For every lexicon term it generates the
//! stems the word takes in inflection (strong and weak consonant grade, the
//! plural and oblique stems of the common word types); a token matches when it
//! is `[compound modifier] + stem + inflectional ending + [clitic]`, where the
//! ending comes from a closed list. Because only inflectional endings are
//! accepted, derivations do not match their base word (`koulutus` is not
//! `koulu`), while compounds match their head (`lähikoulun` is a `koulu`),
//! as Finnish and Swedish compounds are head-final.
//!
//! To find the first words of terms, one Aho-Corasick automaton holds every
//! stem, prefix and exact word: each place in a token where one of them
//! stands is a candidate, kept when what precedes it is empty or a compound
//! modifier and what follows is an inflectional ending and clitic. The cost
//! is linear in the text.
//!
//! Term syntax in lexicons: `koulu` (inflected and compound forms),
//! `=tila` (the exact word only), `kouluverk*` (any word starting so),
//! `yleisesti nähtäville` (several words in a row, each inflected).

mod headings;
mod money;
mod morph;

pub use headings::heading_kind;
pub use money::euro_amounts;

use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

pub use morph::{Language as MorphLanguage, stems_for};

/// A word of a text, with where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Token {
    /// Byte offset of the first byte in the source text.
    start: usize,
    /// Byte offset one past the last byte.
    end: usize,
    /// The lower-cased word's range in [`Tokens::lower`].
    norm: (usize, usize),
}

/// A text's words, and the text lower-cased with one space between words,
/// so that one pass of the automaton reads every word.
struct Tokens {
    lower: String,
    words: Vec<Token>,
}

impl Tokens {
    /// Splits text into words: maximal runs of letters and digits. Offsets
    /// are UTF-8 byte offsets into `text`, so `&text[t.start..t.end]` is the
    /// word.
    fn of(text: &str) -> Tokens {
        let mut lower = String::with_capacity(text.len());
        let mut words = Vec::new();
        let mut open: Option<(usize, usize)> = None;
        for (i, c) in text.char_indices() {
            if c.is_alphanumeric() {
                if open.is_none() {
                    open = Some((i, lower.len()));
                }
                if c.is_ascii() {
                    lower.push(c.to_ascii_lowercase());
                } else {
                    lower.extend(c.to_lowercase());
                }
            } else if let Some((start, norm)) = open.take() {
                words.push(Token {
                    start,
                    end: i,
                    norm: (norm, lower.len()),
                });
                lower.push(' ');
            }
        }
        if let Some((start, norm)) = open {
            words.push(Token {
                start,
                end: text.len(),
                norm: (norm, lower.len()),
            });
        }
        Tokens { lower, words }
    }

    fn norm(&self, t: &Token) -> &str {
        &self.lower[t.norm.0..t.norm.1]
    }

    /// The word whose lower-cased form holds byte `at` of `lower`.
    fn word_at(&self, at: usize) -> Option<usize> {
        let i = self.words.partition_point(|t| t.norm.1 <= at);
        (i < self.words.len() && self.words[i].norm.0 <= at).then_some(i)
    }
}

/// How one word of a term matches a token.
#[derive(Debug, Clone, PartialEq, Eq)]
enum WordPattern {
    /// Inflected and compound forms, through the stem index.
    Inflected,
    /// The exact word only.
    Exact(String),
    /// Any word that starts with the given prefix.
    Prefix(String),
}

/// One term of a concept, compiled for one language.
#[derive(Debug, Clone)]
struct Term {
    concept: usize,
    /// The term as written in the lexicon.
    text: String,
    words: Vec<WordPattern>,
    /// For `Inflected` words: the stems of each word.
    stems: Vec<Vec<String>>,
}

/// A place in a text where a concept was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit<'m> {
    /// Concept id from the lexicon.
    pub concept: &'m str,
    /// The term as written in the lexicon.
    pub term: &'m str,
    /// Byte range in the analysed text.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
}

/// How a term's first word stands in a token where the automaton found
/// one of its patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum First {
    /// A stem: after a compound modifier or none, before an ending.
    Stem(usize),
    /// A prefix at the token's start.
    Prefix(usize),
    /// The whole token.
    Exact(usize),
}

/// A compiled lexicon for one language: finds concept hits in text.
#[derive(Debug, Default)]
pub struct Matcher {
    language: Option<MorphLanguage>,
    concepts: Vec<String>,
    terms: Vec<Term>,
    /// Pattern of a term's first word (a stem, prefix or exact word) → how
    /// each term with that first word stands; built into `automaton`.
    firsts: BTreeMap<String, Vec<First>>,
    /// Every pattern of `firsts`, in its order.
    automaton: Option<AhoCorasick>,
    /// The terms of each pattern of `automaton`.
    pattern_terms: Vec<Vec<First>>,
}

/// Shortest stem that may stand as the head of a compound; shorter stems
/// must be the whole word, or they would match inside unrelated words.
const MIN_COMPOUND_HEAD: usize = 4;
/// Shortest compound modifier, in characters.
const MIN_MODIFIER: usize = 2;

impl Matcher {
    /// Builds a matcher from `(concept id, terms)` pairs.
    pub fn new<'a>(
        language: MorphLanguage,
        concepts: impl IntoIterator<Item = (&'a str, &'a [String])>,
    ) -> Self {
        let mut m = Matcher {
            language: Some(language),
            ..Default::default()
        };
        for (concept, terms) in concepts {
            let ci = m.concepts.len();
            m.concepts.push(concept.to_string());
            for term in terms {
                m.add_term(ci, term);
            }
        }
        let firsts = std::mem::take(&mut m.firsts);
        m.automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(firsts.keys())
            .ok();
        m.pattern_terms = firsts.into_values().collect();
        m
    }

    fn add_term(&mut self, concept: usize, text: &str) {
        let Some(lang) = self.language else { return };
        let lower = text.to_lowercase();
        let words: Vec<WordPattern> = lower
            .split(|c: char| !(c.is_alphanumeric() || c == '*' || c == '='))
            .filter(|w| !w.is_empty())
            .map(|w| {
                if let Some(exact) = w.strip_prefix('=') {
                    WordPattern::Exact(exact.to_string())
                } else if let Some(prefix) = w.strip_suffix('*') {
                    WordPattern::Prefix(prefix.to_string())
                } else {
                    WordPattern::Inflected
                }
            })
            .collect();
        if words.is_empty() {
            return;
        }
        let stems: Vec<Vec<String>> = lower
            .split(|c: char| !(c.is_alphanumeric() || c == '*' || c == '='))
            .filter(|w| !w.is_empty())
            .zip(&words)
            .map(|(w, p)| match p {
                WordPattern::Inflected => stems_for(lang, w),
                _ => Vec::new(),
            })
            .collect();
        let idx = self.terms.len();
        let firsts: Vec<(String, First)> = match &words[0] {
            WordPattern::Inflected => stems[0]
                .iter()
                .map(|s| (s.clone(), First::Stem(idx)))
                .collect(),
            WordPattern::Prefix(p) => vec![(p.clone(), First::Prefix(idx))],
            WordPattern::Exact(w) => vec![(w.clone(), First::Exact(idx))],
        };
        for (pattern, first) in firsts {
            if pattern.is_empty() {
                continue;
            }
            let entry = self.firsts.entry(pattern).or_default();
            if !entry.contains(&first) {
                entry.push(first);
            }
        }
        self.terms.push(Term {
            concept,
            text: text.to_string(),
            words,
            stems,
        });
    }

    /// Number of concepts this matcher knows.
    pub fn concept_count(&self) -> usize {
        self.concepts.len()
    }

    /// All hits in `text`, in text order; at most one hit per term and place.
    pub fn find(&self, text: &str) -> Vec<Hit<'_>> {
        let Some(lang) = self.language else {
            return Vec::new();
        };
        let tokens = Tokens::of(text);
        // each hit with the number of characters of its first word that a
        // compound modifier took: a term that covers more of the word wins
        let mut hits: Vec<(Hit<'_>, usize)> = Vec::new();
        for (i, t, modifier) in self.first_word_candidates(lang, &tokens) {
            let term = &self.terms[t];
            let n = term.words.len();
            let words = &tokens.words;
            if i + n > words.len() {
                continue;
            }
            let rest_ok = (1..n).all(|k| {
                word_matches(
                    lang,
                    &term.words[k],
                    &term.stems[k],
                    tokens.norm(&words[i + k]),
                )
            });
            if !rest_ok {
                continue;
            }
            hits.push((
                Hit {
                    concept: &self.concepts[term.concept],
                    term: &term.text,
                    start: words[i].start,
                    end: words[i + n - 1].end,
                },
                modifier,
            ));
        }
        // on the same span, a term that needs a shorter compound modifier is
        // the more specific one (`förskola` before `skola` in `förskolan`)
        let mut least: foldhash::HashMap<(usize, usize), usize> = Default::default();
        for (h, m) in &hits {
            least
                .entry((h.start, h.end))
                .and_modify(|l| *l = (*l).min(*m))
                .or_insert(*m);
        }
        let hits: Vec<Hit<'_>> = hits
            .into_iter()
            .filter(|(h, m)| least.get(&(h.start, h.end)) == Some(m))
            .map(|(h, _)| h)
            .collect();
        longest_matches(hits)
    }
}

impl Matcher {
    /// (word, term, modifier characters) for each term whose first word a
    /// word of `tokens` is, with the fewest characters of compound modifier
    /// it needs; in word order, then term order.
    fn first_word_candidates(
        &self,
        lang: MorphLanguage,
        tokens: &Tokens,
    ) -> Vec<(usize, usize, usize)> {
        let mut candidates: Vec<(usize, usize, usize)> = Vec::new();
        let Some(automaton) = &self.automaton else {
            return candidates;
        };
        let lower = tokens.lower.as_str();
        for m in automaton.find_overlapping_iter(lower) {
            let (start, end) = (m.start(), m.end());
            let Some(i) = tokens.word_at(start) else {
                continue;
            };
            let (word_start, word_end) = tokens.words[i].norm;
            for first in &self.pattern_terms[m.pattern().as_usize()] {
                match *first {
                    First::Stem(t) => {
                        let modifier = lower[word_start..start].chars().count();
                        let compound = modifier > 0;
                        if compound
                            && (modifier < MIN_MODIFIER
                                || lower[start..end].chars().count() < MIN_COMPOUND_HEAD)
                        {
                            continue;
                        }
                        if morph::is_inflection(lang, &lower[end..word_end]) {
                            candidates.push((i, t, modifier));
                        }
                    }
                    First::Prefix(t) if start == word_start => candidates.push((i, t, 0)),
                    First::Exact(t) if start == word_start && end == word_end => {
                        candidates.push((i, t, 0))
                    }
                    First::Prefix(_) | First::Exact(_) => {}
                }
            }
        }
        // the least modifier for each term of each word
        candidates.sort_unstable();
        candidates.dedup_by_key(|c| (c.0, c.1));
        candidates
    }
}

/// Drops every hit that lies inside a longer hit: the longest match wins,
/// so that `kulttuuri- ja vapaa-aikalautakunta` (the board) is not also
/// `kulttuuri` (culture). One sweep over the spans sorted by start, longest
/// first: a span is inside a longer one when an earlier span reaches as far.
fn longest_matches(hits: Vec<Hit<'_>>) -> Vec<Hit<'_>> {
    let mut spans: Vec<(usize, usize)> = hits.iter().map(|h| (h.start, h.end)).collect();
    spans.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    spans.dedup();
    let mut inside = foldhash::HashSet::default();
    let mut reach: Option<usize> = None;
    for &(start, end) in &spans {
        if reach.is_some_and(|r| r >= end) {
            inside.insert((start, end));
        }
        reach = Some(reach.map_or(end, |r| r.max(end)));
    }
    hits.into_iter()
        .filter(|h| !inside.contains(&(h.start, h.end)))
        .collect()
}

/// Whether one token matches one word of a term, without compounds.
fn word_matches(lang: MorphLanguage, pattern: &WordPattern, stems: &[String], token: &str) -> bool {
    match pattern {
        WordPattern::Exact(w) => token == w,
        WordPattern::Prefix(p) => token.starts_with(p.as_str()),
        WordPattern::Inflected => morph::candidate_stems(lang, token, usize::MAX)
            .any(|c| c.modifier_chars == 0 && stems.iter().any(|s| s == c.stem)),
    }
}

#[cfg(test)]
mod tests;
