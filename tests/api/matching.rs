//! The default lexicon on the measured list of inflected, gradated and
//! compound forms and near misses (`tests/eval/matching.tsv`).

use eva::domain::Language;

use crate::helpers::{core, root};

struct Row {
    lang: Language,
    concept: String,
    form: String,
    expected: bool,
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(root().join("tests/eval/matching.tsv")).expect("list");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "bad row `{l}`");
            Row {
                lang: Language::parse(f[0]).expect("language"),
                concept: f[1].to_string(),
                form: f[2].to_string(),
                expected: f[3] == "yes",
            }
        })
        .collect()
}

#[test]
fn the_lexicon_matches_inflected_and_compound_forms_and_not_near_misses() {
    let c = core();
    for concept in rows().iter().map(|r| &r.concept) {
        assert!(
            c.bundle.concepts.iter().any(|x| &x.id == concept),
            "the list names unknown concept `{concept}`"
        );
    }
    let mut report = Vec::new();
    for lang in [Language::Fi, Language::Sv] {
        let rows: Vec<Row> = rows().into_iter().filter(|r| r.lang == lang).collect();
        let matcher = c.bundle.matcher(lang);
        let (mut hits, mut pos, mut fps, mut neg) = (0, 0, 0, 0);
        let mut failures = Vec::new();
        for r in &rows {
            let found = matcher.find(&r.form).iter().any(|h| h.concept == r.concept);
            if r.expected {
                pos += 1;
                if found {
                    hits += 1;
                } else {
                    failures.push(format!("missed {} → {}", r.form, r.concept));
                }
            } else {
                neg += 1;
                if found {
                    fps += 1;
                    failures.push(format!("false {} → {}", r.form, r.concept));
                }
            }
        }
        let recall = hits as f64 / pos as f64;
        let fp_rate = fps as f64 / neg as f64;
        println!(
            "{}: {pos} forms, recall {recall:.3}; {neg} near misses, false-positive rate {fp_rate:.3}",
            lang.code()
        );
        for f in &failures {
            println!("  {f}");
        }
        // the list's measured figures are 1.000 and 0.000: every form that
        // stops matching, and every near miss that starts to, fails
        if !failures.is_empty() {
            report.push(format!(
                "{}: recall {recall:.3}, false positives {fp_rate:.3}: {failures:?}",
                lang.code()
            ));
        }
    }
    assert!(report.is_empty(), "{report:#?}");
}
