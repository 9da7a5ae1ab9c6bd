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

/// A line that opens a stage of a case's handling in minutes:
/// `Body, D.M.YYYY, § N`.
fn is_stage_line(line: &str) -> bool {
    let mut parts = line.trim().split(", ");
    let (Some(body), Some(date), Some(section), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let number = section.strip_prefix('§').map(str::trim_start);
    let date: Vec<&str> = date.split('.').collect();
    body.chars().next().is_some_and(char::is_uppercase)
        && body
            .chars()
            .all(|c| c.is_alphabetic() || c == ' ' || c == '-')
        && matches!(date.as_slice(), [d, m, y]
            if (1..=2).contains(&d.len()) && (1..=2).contains(&m.len()) && y.len() == 4
                && [d, m, y].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())))
        && number.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
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
///
/// Minutes that carry a case's earlier handling open each stage with a
/// line such as `Kaupunginhallitus, 31.03.2025, § 104`. What this item
/// decides is its last stage: the proposals and reasoning of the stages
/// before it are the case's history, read as background, as a case system
/// sends them.
pub fn corpus_draft(doc: &CorpusDoc, tenant: &str) -> Draft {
    let mut sections: Vec<Section> = Vec::new();
    let mut current = (SectionKind::Background, String::new());
    let mut body = String::new();
    let last_stage = doc
        .text
        .lines()
        .enumerate()
        .filter(|(_, l)| is_stage_line(l))
        .map(|(i, _)| i)
        .last();
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
    for (i, line) in doc.text.lines().enumerate() {
        if Some(i) == last_stage {
            flush(current.0, &current.1, &mut body, &mut sections);
            for s in &mut sections {
                s.kind = SectionKind::Background;
            }
            current = (SectionKind::Background, line.trim().to_string());
        } else if let Some(kind) = heading_kind(line) {
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
    fn earlier_stages_of_a_case_are_its_history() {
        let d = corpus_draft(
            &doc(
                "Hyvinvointikertomus\n\nHyvinvointilautakunta, 25.03.2025, § 30\n\nEhdotus\n\nLautakunta merkitsee kertomuksen tiedoksi.\n\nPäätös\n\nHyväksyttiin.\n\nKaupunginvaltuusto, 19.05.2025, § 37\n\nKuvaus\n\nKertomus valmistui.\n\nEhdotus\n\nValtuusto hyväksyy kertomuksen.\n",
            ),
            "408",
        );
        assert_eq!(
            kinds(&d),
            vec![
                (SectionKind::Background, ""),
                (SectionKind::Background, "Ehdotus"),
                (SectionKind::Background, "Päätös"),
                (SectionKind::Reasoning, "Kuvaus"),
                (SectionKind::Proposal, "Ehdotus"),
            ]
        );
        assert_eq!(d.sections[4].text.trim(), "Valtuusto hyväksyy kertomuksen.");
        // one stage, or none: the headings decide alone
        for text in [
            "Hyvinvointilautakunta, 25.03.2025, § 30\n\nEhdotus\n\nTila avataan.\n",
            "Ehdotus\n\nKaupunginhallitus 25.03.2025 § 30 hyväksyi.\n",
        ] {
            let d = corpus_draft(&doc(text), "408");
            assert_eq!(
                d.sections.last().map(|s| s.kind),
                Some(SectionKind::Proposal)
            );
        }
    }

    #[test]
    fn stage_lines_are_told_from_text() {
        for line in [
            "Kaupunginhallitus, 31.03.2025, § 104",
            "Sivistys- ja hyvinvointilautakunta, 8.5.2025, §34",
            "  Tekninen lautakunta, 29.04.2025, § 58  ",
        ] {
            assert!(is_stage_line(line), "{line}");
        }
        for line in [
            "",
            "Kaupunginhallitus 31.03.2025 § 104",
            "Kaupunginhallitus, 31.03.2025",
            "kaupunginhallitus, 31.03.2025, § 104",
            "Kaupunginhallitus, 31.3.25, § 104",
            "Kaupunginhallitus, 31.03.2025, § 104, liite 2",
            "Kaupunginhallitus, 31.03.2025, §",
            "Päätös 3, 31.03.2025, § 104",
        ] {
            assert!(!is_stage_line(line), "{line:?}");
        }
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
