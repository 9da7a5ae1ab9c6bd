//! Section headings of Finnish and Swedish case systems, and what kind of
//! section each opens: the decision proposal, the preparer's reasoning, or
//! other matter (contact details, appeal instructions, attachments).
//!
//! Case systems spell the same part differently: Helsinki's Ahjo writes
//! "Päätösehdotus" and "Esittelijän perustelut", a town's minutes
//! "Valmistelija / lisätiedot:", "Kaupunginjohtajan ehdotus:" and
//! "Päätös". A heading is compared without case, surrounding space and a
//! trailing colon; any heading ending in the word "ehdotus" or "förslag"
//! (the mayor's, the chair's, the head of personnel's proposal) opens a
//! proposal.

use crate::domain::SectionKind;

/// Headings that open a section, and what kind of section they open.
const HEADINGS: &[(&str, SectionKind)] = &[
    ("päätösehdotus", SectionKind::Proposal),
    ("päätös", SectionKind::Proposal),
    ("beslutsförslag", SectionKind::Proposal),
    ("beslut", SectionKind::Proposal),
    ("esitysehdotus", SectionKind::Proposal),
    ("lausuntoehdotus", SectionKind::Proposal),
    ("esitys", SectionKind::Proposal),
    ("lausunto", SectionKind::Proposal),
    ("förslag till utlåtande", SectionKind::Proposal),
    ("förslag till framställning", SectionKind::Proposal),
    ("utlåtande", SectionKind::Proposal),
    ("ehdotus", SectionKind::Proposal),
    ("förslag", SectionKind::Proposal),
    ("esittelijän perustelut", SectionKind::Reasoning),
    ("päätöksen perustelut", SectionKind::Reasoning),
    ("föredragandens motiveringar", SectionKind::Reasoning),
    ("beslutsmotivering", SectionKind::Reasoning),
    ("perustelut", SectionKind::Reasoning),
    ("kuvaus", SectionKind::Reasoning),
    ("motivering", SectionKind::Reasoning),
    ("beskrivning", SectionKind::Reasoning),
    // Minutes that open an item with its preparer follow the line with
    // the preparer's account of the matter.
    ("valmistelija / lisätiedot", SectionKind::Reasoning),
    ("valmistelijat / lisätiedot", SectionKind::Reasoning),
    ("beredare / mer information", SectionKind::Reasoning),
    ("aikaisempi käsittely", SectionKind::Other),
    ("valmistelija", SectionKind::Other),
    ("beredare", SectionKind::Other),
    ("käsittely", SectionKind::Other),
    ("lisätiedot", SectionKind::Other),
    ("muutoksenhaku", SectionKind::Other),
    ("tiedoksi", SectionKind::Other),
    ("liitteet", SectionKind::Other),
    ("oheismateriaali", SectionKind::Other),
    ("bilagor", SectionKind::Other),
    ("besvärsanvisning", SectionKind::Other),
];

/// Headings are short: a line of more words is text, even when it ends in
/// "ehdotus".
const MAX_HEADING_WORDS: usize = 5;

/// The kind of section `line` opens when it is a heading on its own line,
/// else `None`.
pub fn heading_kind(line: &str) -> Option<SectionKind> {
    let h = line.trim();
    let h = h.strip_suffix(':').unwrap_or(h).trim_end().to_lowercase();
    if h.is_empty() {
        return None;
    }
    if let Some((_, kind)) = HEADINGS.iter().find(|(known, _)| *known == h) {
        return Some(*kind);
    }
    let words: Vec<&str> = h.split_whitespace().collect();
    let last = words.last()?;
    let proposal_word = matches!(*last, "ehdotus" | "förslag");
    (proposal_word && words.len() <= MAX_HEADING_WORDS && !h.contains(['.', ',']))
        .then_some(SectionKind::Proposal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_of_both_case_systems_are_read() {
        for (line, kind) in [
            ("Päätösehdotus", SectionKind::Proposal),
            ("Esittelijän perustelut", SectionKind::Reasoning),
            ("Valmistelija / lisätiedot:", SectionKind::Reasoning),
            ("Valmistelijat / lisätiedot:", SectionKind::Reasoning),
            ("Kaupunginjohtajan ehdotus:", SectionKind::Proposal),
            (
                "Kaupunginhallituksen puheenjohtajan ehdotus:",
                SectionKind::Proposal,
            ),
            ("  Ehdotus  ", SectionKind::Proposal),
            ("PÄÄTÖS", SectionKind::Proposal),
            ("Stadsdirektörens förslag:", SectionKind::Proposal),
            ("Liitteet", SectionKind::Other),
            ("Besvärsanvisning", SectionKind::Other),
        ] {
            assert_eq!(heading_kind(line), Some(kind), "{line}");
        }
    }

    #[test]
    fn text_is_not_a_heading() {
        for line in [
            "",
            ":",
            "Kaupunginhallitus hyväksyi kaupunginjohtajan ehdotuksen.",
            "Tekninen johtaja teki asiasta seuraavan muutetun ehdotus",
            "Lautakunta hyväksyi esittelijän muutetun ehdotus.",
            "Päätöksen mukaan",
            "Valmistelija: Satu Kankare",
        ] {
            assert_eq!(heading_kind(line), None, "{line:?}");
        }
    }
}
