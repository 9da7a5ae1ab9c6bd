//! The Helsinki decision corpus (`helsinki-ahjo-2021.jsonl`) as drafts.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::EvalError;
use crate::domain::{Budget, Draft, Section, SectionKind};
use crate::text::heading_kind;

/// One document of the corpus.
#[derive(Debug, Clone, Deserialize)]
pub struct CorpusDoc {
    /// Document id.
    pub id: String,
    /// `decision` or `agenda_proposal`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Case id.
    #[serde(default)]
    pub case_id: Option<String>,
    /// Task class.
    #[serde(default)]
    pub classification_code: Option<String>,
    /// Deciding body.
    #[serde(default)]
    pub organization: Option<String>,
    /// `fi` or `sv` (sometimes missing).
    #[serde(default)]
    pub language: Option<String>,
    /// Plain text with headings on their own lines.
    #[serde(default)]
    pub text: String,
    /// Municipality number (the Lapua/Mikkeli corpus).
    #[serde(default)]
    pub municipality: Option<String>,
    /// Date of the meeting, `YYYY-MM-DD` (some items of the Lapua/Mikkeli
    /// corpus; the others carry it in their id).
    #[serde(default)]
    pub meeting_date: Option<String>,
}

impl CorpusDoc {
    /// The date of the meeting the item belongs to: `meeting_date`, or the
    /// first `YYYY-MM-DD` in the id (`lapua-kaupunginhallitus-2025-01-13-5`).
    pub fn meeting_day(&self) -> Option<&str> {
        if let Some(d) = self.meeting_date.as_deref().filter(|d| is_date(d)) {
            return Some(d);
        }
        (0..self.id.len().saturating_sub(9))
            .filter(|&i| self.id.is_char_boundary(i) && self.id.is_char_boundary(i + 10))
            .map(|i| &self.id[i..i + 10])
            .find(|d| is_date(d))
    }
}

/// `YYYY-MM-DD` in shape.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// Reads the corpus, keyed by document id.
pub fn read_corpus(path: &Path) -> Result<BTreeMap<String, CorpusDoc>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let mut out = BTreeMap::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let doc: CorpusDoc = serde_json::from_str(line).map_err(|e| EvalError::Corpus {
            path: path.display().to_string(),
            line: i + 1,
            message: e.to_string(),
        })?;
        out.insert(doc.id.clone(), doc);
    }
    Ok(out)
}

/// A corpus document as a draft for `tenant`: the text is split into
/// sections at its headings; text before the first heading is background.
pub fn corpus_draft(doc: &CorpusDoc, tenant: &str) -> Draft {
    let mut sections: Vec<Section> = Vec::new();
    let mut current = (SectionKind::Background, String::new());
    let mut body = String::new();
    let flush =
        |kind: SectionKind, heading: &str, body: &mut String, sections: &mut Vec<Section>| {
            if !body.trim().is_empty() {
                sections.push(Section {
                    kind,
                    heading: heading.to_string(),
                    text: std::mem::take(body),
                });
            }
            body.clear();
        };
    for line in doc.text.lines() {
        if let Some(kind) = heading_kind(line) {
            flush(current.0, &current.1, &mut body, &mut sections);
            current = (kind, line.trim().to_string());
        } else {
            body.push_str(line);
            body.push('\n');
        }
    }
    flush(current.0, &current.1, &mut body, &mut sections);
    Draft {
        tenant: tenant.to_string(),
        case_id: doc.case_id.clone().unwrap_or_default(),
        title: doc.title.clone(),
        organ: doc.organization.clone().unwrap_or_default(),
        language: if doc.language.as_deref() == Some("sv") {
            "sv"
        } else {
            "fi"
        }
        .to_string(),
        classification_code: doc.classification_code.clone().unwrap_or_default(),
        sections,
        budget: Budget::default(),
        alternatives: Vec::new(),
        affected_groups: Vec::new(),
        affected_areas: Vec::new(),
        facts: BTreeMap::new(),
        decision_date: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> CorpusDoc {
        CorpusDoc {
            id: "t".into(),
            kind: None,
            title: "Nuorisotila".into(),
            case_id: None,
            classification_code: None,
            organization: None,
            language: Some("fi".into()),
            text: text.into(),
            municipality: None,
            meeting_date: None,
        }
    }

    fn kinds(d: &Draft) -> Vec<(SectionKind, &str)> {
        d.sections
            .iter()
            .map(|s| (s.kind, s.heading.as_str()))
            .collect()
    }

    #[test]
    fn the_meeting_day_comes_from_the_field_or_the_id() {
        let mut d = doc("");
        d.id = "lapua-kaupunginhallitus-2025-01-13-5".into();
        assert_eq!(d.meeting_day(), Some("2025-01-13"));
        d.meeting_date = Some("2025-11-19".into());
        assert_eq!(d.meeting_day(), Some("2025-11-19"));
        d.meeting_date = Some("19.11.2025".into());
        assert_eq!(d.meeting_day(), Some("2025-01-13"));
        d.id = "ÄÄ-2025-1-13-é".into();
        assert_eq!(d.meeting_day(), None);
        d.id = "2025-01-13".into();
        assert_eq!(d.meeting_day(), Some("2025-01-13"));
    }

    #[test]
    fn cloudnc_headings_open_reasoning_and_proposal_sections() {
        let d = corpus_draft(
            &doc(
                "§ 88 Nuorisotila\n\nAikaisempi käsittely\n\nValtuusto 1.1.\n\nKuvaus\n\nTila suljettiin.\n\nPerustelut\n\nNuoret tarvitsevat tilan.\n\nEhdotus\n\nTila avataan.\n\nPäätös\n\nHyväksyttiin.\n",
            ),
            "858",
        );
        assert_eq!(
            kinds(&d),
            vec![
                (SectionKind::Background, ""),
                (SectionKind::Other, "Aikaisempi käsittely"),
                (SectionKind::Reasoning, "Kuvaus"),
                (SectionKind::Reasoning, "Perustelut"),
                (SectionKind::Proposal, "Ehdotus"),
                (SectionKind::Proposal, "Päätös"),
            ]
        );
        assert_eq!(d.sections[4].text.trim(), "Tila avataan.");
    }

    #[test]
    fn a_heading_must_be_the_whole_line() {
        let d = corpus_draft(
            &doc("Päätösehdotus\n\nKuvaus tilasta ja perustelut.\n"),
            "091",
        );
        assert_eq!(kinds(&d), vec![(SectionKind::Proposal, "Päätösehdotus")]);
    }
}
