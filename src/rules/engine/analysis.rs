//! The text of what is assessed, analysed once: the concepts found and
//! where, which sections are read as the proposal, the concept sets, and
//! what the conditions read of it.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::{Budget, Deadline, Interrupted, Language, SectionKind};
use crate::rules::bundle::Bundle;
use crate::rules::input::{BudgetInput, DraftInput};
use crate::rules::validate::ValidDraft;

/// Facts of an alternative: it has none of its own.
static NO_FACTS: BTreeMap<String, serde_json::Value> = BTreeMap::new();

/// What is assessed: the draft itself, or one of its alternatives read as
/// if its text were the proposal (its title as the title, its text as
/// section 0, no budget figures or facts of its own).
pub(super) struct Subject<'a> {
    pub(super) title: &'a str,
    pub(super) sections: Vec<(SectionKind, &'a str)>,
    pub(super) budget: Budget,
    pub(super) facts: &'a BTreeMap<String, serde_json::Value>,
    /// How many alternatives it describes.
    pub(super) alternatives: usize,
    pub(super) text_bytes: usize,
}

impl<'a> Subject<'a> {
    pub(super) fn draft(d: &'a ValidDraft<'a>) -> Subject<'a> {
        Subject {
            title: &d.draft.title,
            sections: d
                .draft
                .sections
                .iter()
                .map(|s| (s.kind, s.text.as_str()))
                .collect(),
            budget: d.draft.budget,
            facts: &d.draft.facts,
            alternatives: d.draft.alternatives.len(),
            text_bytes: d.draft.text_bytes(),
        }
    }

    pub(super) fn alternative(a: &'a crate::domain::Alternative) -> Subject<'a> {
        Subject {
            title: &a.title,
            sections: vec![(SectionKind::Proposal, a.text.as_str())],
            budget: Budget::default(),
            facts: &NO_FACTS,
            alternatives: 0,
            text_bytes: a.title.len() + a.text.len(),
        }
    }
}

/// A concept found in the text, with where: section -1 is the title.
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub(super) concept: String,
    pub(super) term: String,
    pub(super) section_index: i32,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// A subject analysed once.
pub(super) struct Analysed<'a> {
    pub(super) subject: Subject<'a>,
    pub(super) found: Vec<Found>,
    /// Sections read as the proposal: those marked as proposal, or every
    /// section when none is (a case system that does not mark its
    /// sections, or a draft that is one description, still has its
    /// decision read as the proposal rather than not at all).
    pub(super) proposal: BTreeSet<i32>,
    /// Sections the draft marks as its proposal; confidence counts only
    /// these.
    pub(super) marked: BTreeSet<i32>,
}

/// The concepts found, each once: anywhere, in the title, in the
/// proposal, and in the title or proposal.
pub(super) struct ConceptSets<'a> {
    pub(super) all: BTreeSet<&'a str>,
    pub(super) title: BTreeSet<&'a str>,
    pub(super) proposal: BTreeSet<&'a str>,
    pub(super) core: BTreeSet<&'a str>,
}

impl<'a> Analysed<'a> {
    /// Finds the bundle's concepts in the subject's title and sections,
    /// checking the deadline between sections.
    pub(super) fn of(
        bundle: &Bundle,
        lang: Language,
        subject: Subject<'a>,
        deadline: &Deadline,
    ) -> Result<Analysed<'a>, Interrupted> {
        let matcher = bundle.matcher(lang);
        let mut found = Vec::new();
        let mut add = |index: i32, text: &str| {
            for hit in matcher.find(text) {
                found.push(Found {
                    concept: hit.concept.to_string(),
                    term: hit.term.to_string(),
                    section_index: index,
                    start: hit.start,
                    end: hit.end,
                });
            }
        };
        add(-1, subject.title);
        for (i, (_, text)) in subject.sections.iter().enumerate() {
            deadline.check()?;
            add(i as i32, text);
        }
        let marked: BTreeSet<i32> = subject
            .sections
            .iter()
            .enumerate()
            .filter(|(_, (k, _))| *k == SectionKind::Proposal)
            .map(|(i, _)| i as i32)
            .collect();
        let proposal = if marked.is_empty() {
            (0..subject.sections.len() as i32).collect()
        } else {
            marked.clone()
        };
        Ok(Analysed {
            subject,
            found,
            proposal,
            marked,
        })
    }

    /// The concept sets, computed once for the conditions and the impacts.
    pub(super) fn concept_sets(&self) -> ConceptSets<'_> {
        let set = |filter: &dyn Fn(&Found) -> bool| -> BTreeSet<&str> {
            self.found
                .iter()
                .filter(|f| filter(f))
                .map(|f| f.concept.as_str())
                .collect()
        };
        ConceptSets {
            all: set(&|_| true),
            title: set(&|f| f.section_index < 0),
            proposal: set(&|f| self.proposal.contains(&f.section_index)),
            core: set(&|f| f.section_index < 0 || self.proposal.contains(&f.section_index)),
        }
    }

    /// The text of the title (-1) or a section.
    pub(super) fn text(&self, index: i32) -> &'a str {
        if index < 0 {
            self.subject.title
        } else {
            self.subject
                .sections
                .get(index as usize)
                .map(|s| s.1)
                .unwrap_or("")
        }
    }

    /// The largest euro amount written in the title and the proposal, 0
    /// when none.
    fn text_max_eur(&self) -> f64 {
        std::iter::once(self.subject.title)
            .chain(self.proposal.iter().map(|&i| self.text(i)))
            .flat_map(crate::text::euro_amounts)
            .fold(0.0, f64::max)
    }

    /// What conditions read of this subject of `draft`.
    pub(super) fn input(
        &self,
        bundle: &Bundle,
        draft: &ValidDraft<'_>,
        sets: &ConceptSets<'_>,
    ) -> DraftInput {
        let d = draft.draft;
        let class: Vec<&str> = d.classification_code.split_whitespace().collect();
        let s = &self.subject;
        let m = draft.municipality;
        DraftInput {
            tenant: d.tenant.clone(),
            official_languages: m.languages.iter().map(|l| l.code().to_string()).collect(),
            bilingual: m.bilingual(),
            sami_homeland: m.sami_homeland,
            organ: d.organ.clone(),
            language: draft.language.code().to_string(),
            title: s.title.to_string(),
            classification: class.join(" "),
            class_main: class.first().copied().unwrap_or("").to_string(),
            class_sub: class.iter().take(2).copied().collect::<Vec<_>>().join(" "),
            budget: BudgetInput {
                one_off_eur: s.budget.one_off_eur.unwrap_or(0),
                annual_eur: s.budget.annual_eur.unwrap_or(0),
                stated: s.budget.one_off_eur.is_some() || s.budget.annual_eur.is_some(),
                one_off_stated: s.budget.one_off_eur.is_some(),
                annual_stated: s.budget.annual_eur.is_some(),
            },
            concepts: bundle.with_families(&sets.all),
            title_concepts: bundle.with_families(&sets.title),
            proposal_concepts: bundle.with_families(&sets.proposal),
            core_concepts: bundle.with_families(&sets.core),
            groups: d.affected_groups.clone(),
            areas: d.affected_areas.clone(),
            alternatives: s.alternatives,
            zero_option: draft.zero_option(),
            facts: bundle
                .facts
                .iter()
                .map(|f| {
                    let value = s.facts.get(&f.name).cloned();
                    (
                        f.name.clone(),
                        value.unwrap_or_else(|| f.kind.default_value()),
                    )
                })
                .collect(),
            facts_given: s.facts.keys().cloned().collect(),
            text_bytes: s.text_bytes,
            text_max_eur: self.text_max_eur(),
        }
    }
}
