//! The real Helsinki corpus: every document is assessed without error, and
//! routine items are screened NOT_NEEDED.

use eva::domain::Deadline;
use eva::render::Format;

use crate::helpers::{core, corpus};

#[test]
fn every_corpus_document_is_assessed_and_routine_items_are_not_needed() {
    let Some(docs) = corpus() else {
        return;
    };
    let c = core();
    let mut routine = 0;
    let mut failures = Vec::new();
    let mut verdicts = std::collections::BTreeMap::new();
    for doc in docs.values() {
        let draft = eva::eval::corpus_draft(doc, "091");
        let title = draft.title.clone();
        let class = draft.classification_code.clone();
        let a = eva::rules::assess(
            &c.bundle,
            &draft,
            &c.limits,
            time::OffsetDateTime::now_utc(),
            &Deadline::none(),
        )
        .unwrap_or_else(|e| panic!("{title}: {e}"));
        c.bundle
            .render(&a, Format::Html, a.language)
            .unwrap_or_else(|e| panic!("{title}: {e}"));
        for e in text_evidence(&a) {
            assert!(e.points_into(&draft), "{title}: {e:?}");
            assert!(is_whole_words(&draft, e), "{title}: {e:?}");
        }
        let verdict = a.screening.verdict;
        *verdicts.entry(format!("{verdict:?}")).or_insert(0) += 1;
        let lower = title.to_lowercase();
        let is_routine = lower.contains("pöytäkirjan pitäminen yleisesti nähtävänä")
            || lower.contains("kokouksen laillisuuden ja päätösvaltaisuuden")
            || lower.starts_with("virkasuhteen täyttäminen")
            || class.starts_with("01 ");
        if is_routine {
            routine += 1;
            if verdict != eva::domain::Verdict::NotNeeded {
                let rules: Vec<String> = a
                    .screening
                    .reasons
                    .iter()
                    .map(|r| r.rule_id.clone())
                    .collect();
                failures.push(format!("`{title}` ({class}): {rules:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "routine items not screened NOT_NEEDED:\n{}",
        failures.join("\n")
    );
    eprintln!(
        "{} documents; verdicts {verdicts:?}; {routine} routine items all NOT_NEEDED",
        docs.len()
    );
    assert_eq!(docs.len(), 459);
    assert!(
        routine >= 40,
        "expected many routine items, found {routine}"
    );
}

/// Every piece of evidence taken from the text: of impacts, screening
/// reasons and the exemption.
fn text_evidence(a: &eva::domain::Assessment) -> impl Iterator<Item = &eva::domain::Evidence> {
    a.impacts
        .iter()
        .flat_map(|i| &i.evidence)
        .chain(a.screening.reasons.iter().flat_map(|r| &r.evidence))
        .chain(a.screening.exemption.iter().flat_map(|x| &x.evidence))
        .filter(|e| !matches!(e.place, eva::domain::Place::Field(_)))
}

/// Whether evidence covers whole words: no letter or digit just before
/// its start or just after its end.
fn is_whole_words(draft: &eva::domain::Draft, e: &eva::domain::Evidence) -> bool {
    let text = match e.place {
        eva::domain::Place::Section(i) => draft.sections[i as usize].text.as_str(),
        _ => draft.title.as_str(),
    };
    let (start, end) = (e.start as usize, e.end as usize);
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !e.excerpt.is_empty()
        && !before.is_some_and(char::is_alphanumeric)
        && !after.is_some_and(char::is_alphanumeric)
}
