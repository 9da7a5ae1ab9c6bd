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

mod money;
mod morph;

pub use money::euro_amounts;

use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, MatchKind};

pub use morph::{Language as MorphLanguage, stems_for};

/// A word of a text, with where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the first byte in the source text.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// Lower-cased form used for matching.
    pub norm: String,
}

/// Splits text into words: maximal runs of letters and digits. Offsets are
/// UTF-8 byte offsets into `text`, so `&text[t.start..t.end]` is the word.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            tokens.push(make_token(text, s, i));
        }
    }
    if let Some(s) = start {
        tokens.push(make_token(text, s, text.len()));
    }
    tokens
}

fn make_token(text: &str, start: usize, end: usize) -> Token {
    Token {
        start,
        end,
        norm: text[start..end].to_lowercase(),
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
pub struct Hit {
    /// Concept id from the lexicon.
    pub concept: String,
    /// The term as written in the lexicon.
    pub term: String,
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
    pub fn find(&self, text: &str) -> Vec<Hit> {
        let tokens = tokenize(text);
        self.find_in_tokens(&tokens)
    }

    /// As [`Matcher::find`], on tokens already made.
    pub fn find_in_tokens(&self, tokens: &[Token]) -> Vec<Hit> {
        let Some(lang) = self.language else {
            return Vec::new();
        };
        // each hit with the number of characters of its first word that a
        // compound modifier took: a term that covers more of the word wins
        let mut hits: Vec<(Hit, usize)> = Vec::new();
        let mut seen: BTreeMap<(usize, usize), ()> = BTreeMap::new();
        for (i, token) in tokens.iter().enumerate() {
            let candidates = self.first_word_candidates(lang, &token.norm);
            for (t, modifier) in candidates {
                let term = &self.terms[t];
                let n = term.words.len();
                if i + n > tokens.len() {
                    continue;
                }
                let rest_ok = (1..n).all(|k| {
                    word_matches(lang, &term.words[k], &term.stems[k], &tokens[i + k].norm)
                });
                if !rest_ok || seen.insert((t, i), ()).is_some() {
                    continue;
                }
                hits.push((
                    Hit {
                        concept: self.concepts[term.concept].clone(),
                        term: term.text.clone(),
                        start: token.start,
                        end: tokens[i + n - 1].end,
                    },
                    modifier,
                ));
            }
        }
        // on the same span, a term that needs a shorter compound modifier is
        // the more specific one (`förskola` before `skola` in `förskolan`)
        let mut least: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        for (h, m) in &hits {
            least
                .entry((h.start, h.end))
                .and_modify(|l| *l = (*l).min(*m))
                .or_insert(*m);
        }
        let hits: Vec<Hit> = hits
            .into_iter()
            .filter(|(h, m)| least.get(&(h.start, h.end)) == Some(m))
            .map(|(h, _)| h)
            .collect();
        longest_matches(hits)
    }
}

impl Matcher {
    /// The terms whose first word `token` is, each with the fewest
    /// characters of compound modifier it needs, in term order.
    fn first_word_candidates(&self, lang: MorphLanguage, token: &str) -> Vec<(usize, usize)> {
        let mut candidates: Vec<(usize, usize)> = Vec::new();
        let Some(automaton) = &self.automaton else {
            return candidates;
        };
        for m in automaton.find_overlapping_iter(token) {
            let (start, end) = (m.start(), m.end());
            for first in &self.pattern_terms[m.pattern().as_usize()] {
                match *first {
                    First::Stem(t) => {
                        let modifier = token[..start].chars().count();
                        let compound = modifier > 0;
                        if compound
                            && (modifier < MIN_MODIFIER
                                || token[start..end].chars().count() < MIN_COMPOUND_HEAD)
                        {
                            continue;
                        }
                        if morph::is_inflection(lang, &token[end..]) {
                            candidates.push((t, modifier));
                        }
                    }
                    First::Prefix(t) if start == 0 => candidates.push((t, 0)),
                    First::Exact(t) if start == 0 && end == token.len() => candidates.push((t, 0)),
                    First::Prefix(_) | First::Exact(_) => {}
                }
            }
        }
        // the least modifier for each term
        candidates.sort_unstable();
        candidates.dedup_by_key(|c| c.0);
        candidates
    }
}

/// Drops every hit that lies inside a longer hit: the longest match wins,
/// so that `kulttuuri- ja vapaa-aikalautakunta` (the board) is not also
/// `kulttuuri` (culture).
fn longest_matches(hits: Vec<Hit>) -> Vec<Hit> {
    let spans: Vec<(usize, usize)> = hits.iter().map(|h| (h.start, h.end)).collect();
    hits.into_iter()
        .filter(|h| {
            !spans
                .iter()
                .any(|&(s, e)| s <= h.start && h.end <= e && e - s > h.end - h.start)
        })
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
