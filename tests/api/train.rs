//! `eva train` as a process: it trains the learned screening component on
//! the tune labels of a corpus, writes it into a bundle, writes the same
//! file again from the same labels, and `eva assess` with that bundle
//! shows the model's verdict with the words that moved it as evidence.

use std::process::Command;

use crate::helpers::{root, succeeded};

fn eva(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_eva"));
    c.current_dir(dir);
    c
}

/// A small corpus: closures of day-care centres and libraries need an
/// assessment, archive and form updates do not; one meeting per item.
fn corpus_and_labels(dir: &std::path::Path) {
    let needed = [
        (
            "Päiväkoti Satakielen lakkauttaminen",
            "Lautakunta päättää lakkauttaa päiväkoti Satakielen. Lapset siirtyvät muihin päiväkoteihin.",
        ),
        (
            "Kirjaston sivupisteen lakkauttaminen",
            "Lautakunta päättää lakkauttaa kirjaston sivupisteen kylältä. Asiakkaat ohjataan pääkirjastoon.",
        ),
        (
            "Päiväkoti Kotilon lakkauttaminen",
            "Lautakunta päättää lakkauttaa päiväkoti Kotilon. Lapset siirtyvät lähipäiväkotiin.",
        ),
        (
            "Koulun sivupisteen lakkauttaminen",
            "Lautakunta päättää lakkauttaa koulun sivupisteen. Oppilaat siirtyvät keskuskouluun.",
        ),
        (
            "Nuorisotilan lakkauttaminen",
            "Lautakunta päättää lakkauttaa nuorisotilan. Nuoret ohjataan kaupungin muihin tiloihin.",
        ),
        (
            "Päiväkoti Pesäkallion lakkauttaminen",
            "Lautakunta päättää lakkauttaa päiväkoti Pesäkallion. Lapset siirtyvät muihin päiväkoteihin.",
        ),
        (
            "Kirjastoauton reittien lakkauttaminen",
            "Lautakunta päättää lakkauttaa kirjastoauton reitit kylille. Asiakkaat ohjataan pääkirjastoon.",
        ),
        (
            "Päiväkoti Tuulikellon lakkauttaminen",
            "Lautakunta päättää lakkauttaa päiväkoti Tuulikellon. Lapset siirtyvät lähipäiväkotiin.",
        ),
        (
            "Uimahallin lakkauttaminen",
            "Lautakunta päättää lakkauttaa uimahallin. Asiakkaat ohjataan naapurikunnan uimahalliin.",
        ),
        (
            "Päiväkoti Vekaran lakkauttaminen",
            "Lautakunta päättää lakkauttaa päiväkoti Vekaran. Lapset siirtyvät muihin päiväkoteihin.",
        ),
    ];
    let routine = [
        (
            "Arkistonmuodostussuunnitelman päivittäminen",
            "Lautakunta hyväksyy arkistonmuodostussuunnitelman päivityksen.",
        ),
        (
            "Lomakkeiden uudistaminen",
            "Lautakunta hyväksyy hallinnon lomakkeiden uudistetun ulkoasun.",
        ),
        (
            "Asiakirjahallinnon ohjeen päivittäminen",
            "Lautakunta hyväksyy asiakirjahallinnon ohjeen päivityksen.",
        ),
        (
            "Arkistointiohjeen päivittäminen",
            "Lautakunta hyväksyy arkistointiohjeen päivityksen.",
        ),
        (
            "Tiedonohjaussuunnitelman päivittäminen",
            "Lautakunta hyväksyy tiedonohjaussuunnitelman päivityksen.",
        ),
        (
            "Lomakepohjien päivittäminen",
            "Lautakunta hyväksyy hallinnon lomakepohjien päivityksen.",
        ),
        (
            "Asiakirjamallien uudistaminen",
            "Lautakunta hyväksyy asiakirjamallien uudistetun ulkoasun.",
        ),
        (
            "Arkistonmuodostussuunnitelman tarkistaminen",
            "Lautakunta hyväksyy arkistonmuodostussuunnitelman tarkistuksen.",
        ),
        (
            "Tiedonohjausohjeen päivittäminen",
            "Lautakunta hyväksyy tiedonohjausohjeen päivityksen.",
        ),
        (
            "Lomakkeiden ulkoasun päivittäminen",
            "Lautakunta hyväksyy hallinnon lomakkeiden ulkoasun päivityksen.",
        ),
    ];
    let mut jsonl = String::new();
    let mut labels = String::from("labels:\n");
    let items = needed
        .iter()
        .map(|i| (i, true))
        .chain(routine.iter().map(|i| (i, false)));
    for (k, ((title, text), is_needed)) in items.enumerate() {
        let id = format!("town-lautakunta-2025-{:02}-{:02}-{k}", 1 + k % 12, 1 + k);
        let line = serde_json::json!({
            "id": id,
            "title": title,
            "text": format!("Ehdotus\n{text}"),
            "organization": "lautakunta",
            "municipality": "408",
            "language": "fi",
        });
        jsonl.push_str(&line.to_string());
        jsonl.push('\n');
        let (screening, determinants) = if is_needed {
            ("recommended", "[service_access]")
        } else {
            ("not_needed", "[]")
        };
        labels.push_str(&format!(
            "  - id: \"{id}\"\n    split: tune\n    screening: {screening}\n    determinants: {determinants}\n    groups: []\n    rationale: \"test item\"\n"
        ));
    }
    // a held-out item the training must never read: it is not in the
    // corpus, so reading it would fail
    labels.push_str("  - id: \"not-in-the-corpus\"\n    split: test\n    screening: not_needed\n    rationale: \"held out\"\n");
    std::fs::write(dir.join("corpus.jsonl"), jsonl).expect("corpus");
    std::fs::write(dir.join("labels.yaml"), labels).expect("labels");
}

/// `eva train` on the labels and corpus of `dir`, into its bundle.
fn train_in(dir: &std::path::Path) -> std::process::Output {
    eva(dir)
        .args([
            "train",
            "labels.yaml",
            "--corpus",
            "corpus.jsonl",
            "--rules",
            "rules",
        ])
        .output()
        .expect("runs")
}

/// `eva assess` with the bundle of `dir` on a draft of Lapua (408) with
/// `title` and one proposal section `text`, as protobuf JSON.
fn assess_in(dir: &std::path::Path, title: &str, text: &str) -> serde_json::Value {
    let draft = serde_json::json!({
        "tenant": "408",
        "language": "fi",
        "title": title,
        "sections": [{"kind": "SECTION_KIND_PROPOSAL", "text": text}],
    });
    std::fs::write(dir.join("draft.json"), draft.to_string()).expect("draft");
    let out = eva(dir)
        .args(["assess", "draft.json", "--rules", "rules"])
        .output()
        .expect("runs");
    succeeded(&out);
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn train_writes_a_model_that_assessments_use_and_show_as_evidence() {
    let dir = tempfile::tempdir().expect("tempdir");
    crate::cli::copy_dir(&root().join("rules"), &dir.path().join("rules"));
    corpus_and_labels(dir.path());
    let train = || {
        let out = train_in(dir.path());
        succeeded(&out);
        let report = String::from_utf8(out.stdout).expect("utf8");
        let model = std::fs::read_to_string(dir.path().join("rules/model/screening.yaml"))
            .expect("the model is written into the bundle");
        (report, model)
    };
    let (report, model) = train();
    assert!(
        report.contains("trained on 20 tune items (10 needing an assessment"),
        "{report}"
    );
    assert!(report.contains("| labels.yaml | 20 |"), "{report}");
    assert!(model.contains("\"word:lakkaut\": "), "{model}");
    // every proposal approves or discontinues something: the concept that
    // says so is kept out of the model (`learned: false`), others are not
    assert!(model.contains("\"concept:"), "{model}");
    assert!(!model.contains("concept:further_decision"), "{model}");
    // the same labels, corpus and bundle give the same file, byte for byte
    let (_, again) = train();
    assert_eq!(model, again);

    let check = eva(dir.path())
        .args(["rules", "check", "rules"])
        .output()
        .expect("runs");
    succeeded(&check);
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(said.contains("a learned screening model of "), "{said}");

    // each excerpt is exactly the draft's text at its offsets
    let title = "Päiväkoti Metsätähden lakkauttaminen";
    let proposal = "Lautakunta päättää lakkauttaa päiväkoti Metsätähden.";
    let a = assess_in(dir.path(), title, proposal);
    let reasons = a["screening"]["reasons"].as_array().expect("reasons");
    let model_reason = reasons
        .iter()
        .find(|r| r["ruleId"] == "screening_model")
        .unwrap_or_else(|| panic!("the model gives a reason: {reasons:?}"));
    assert_eq!(model_reason["signal"], "SCREENING_VERDICT_RECOMMENDED");
    assert_ne!(a["screening"]["verdict"], "SCREENING_VERDICT_NOT_NEEDED");
    let evidence = model_reason["evidence"].as_array().expect("evidence");
    assert!(!evidence.is_empty(), "{model_reason}");
    for e in evidence {
        let text = match e["sectionIndex"].as_i64().unwrap_or(0) {
            -1 => title,
            0 => proposal,
            other => panic!("no section {other}: {e}"),
        };
        let start = e["start"].as_u64().unwrap_or(0) as usize;
        let end = e["end"].as_u64().expect("end") as usize;
        assert_eq!(
            &text[start..end],
            e["excerpt"].as_str().expect("excerpt"),
            "{e}"
        );
    }
    assert!(
        evidence.iter().any(|e| e["excerpt"]
            .as_str()
            .is_some_and(|x| x.starts_with("lakkaut"))),
        "{evidence:?}"
    );

    // a routine text of the kind it learned from stays routine, and says so
    let a = assess_in(
        dir.path(),
        "Arkistointiohjeen tarkistaminen",
        "Lautakunta hyväksyy arkistointiohjeen tarkistuksen.",
    );
    assert_eq!(a["screening"]["verdict"], "SCREENING_VERDICT_NOT_NEEDED");
    assert_eq!(a["screening"]["reasons"][0]["ruleId"], "screening_model");
    assert_eq!(
        a["screening"]["reasons"][0]["signal"],
        "SCREENING_VERDICT_NOT_NEEDED"
    );
}

#[test]
fn train_refuses_labels_of_one_kind_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    crate::cli::copy_dir(&root().join("rules"), &dir.path().join("rules"));
    corpus_and_labels(dir.path());
    let labels = std::fs::read_to_string(dir.path().join("labels.yaml")).expect("labels");
    let only_routine: String = labels
        .replace("screening: recommended", "screening: not_needed")
        .replace("determinants: [service_access]", "determinants: []");
    std::fs::write(dir.path().join("labels.yaml"), only_routine).expect("labels");
    let model = dir.path().join("rules/model/screening.yaml");
    let before = std::fs::read(&model).ok();
    let out = train_in(dir.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("need items of both kinds"), "{err}");
    // the bundle's model, if it has one, is left as it was
    assert_eq!(std::fs::read(&model).ok(), before);
}
