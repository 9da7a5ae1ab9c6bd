//! The `eva` binary as a process.

use std::process::Command;

use crate::helpers::{ServeProcess, free_port, root, succeeded};

fn eva() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_eva"));
    c.current_dir(root());
    c
}

#[test]
fn assess_prints_protobuf_json() {
    let out = eva()
        .args(["assess", "tests/fixtures/school_closure.json"])
        .output()
        .expect("runs");
    succeeded(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["screening"]["verdict"], "SCREENING_VERDICT_REQUIRED");
    assert_eq!(v["tenant"], "167");
}

#[test]
fn assess_reads_yaml_and_renders_markdown_in_swedish() {
    let out = eva()
        .args([
            "assess",
            "tests/fixtures/daycare_hours.yaml",
            "--format",
            "markdown",
            "--lang",
            "sv",
        ])
        .output()
        .expect("runs");
    succeeded(&out);
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(text.starts_with("## Konsekvensbedömning"), "{text}");
}

#[test]
fn assess_reads_stdin() {
    use std::io::Write;
    let mut child = eva()
        .args(["assess", "-", "--format", "text"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let draft = std::fs::read(root().join("tests/fixtures/routine_minutes.json")).expect("fixture");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&draft)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    succeeded(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Vaikutusten arviointia ei tarvita"));
}

#[test]
fn assess_batch_continues_past_a_bad_draft_and_exits_1() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("batch.jsonl");
    let good = std::fs::read_to_string(root().join("tests/fixtures/zoning.json"))
        .expect("fixture")
        .replace('\n', " ");
    std::fs::write(
        &path,
        format!("{good}\n{{\"tenant\":\"091\",\"language\":\"fi\"}}\n{good}\n"),
    )
    .expect("write");
    let out = eva().arg("assess").arg(&path).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("batch.jsonl:2: draft.title: is empty"),
        "{err}"
    );
}

#[test]
fn html_rendering_escapes_draft_text() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("evil.json");
    std::fs::write(
        &path,
        r#"{"tenant":"091","language":"fi","title":"<script>alert(1)</script> koulun lakkauttaminen","sections":[{"kind":"SECTION_KIND_PROPOSAL","text":"Koulu lakkautetaan <img src=x onerror=alert(1)>"}],"alternatives":[{"id":"a","title":"<b>nolla</b>","text":"ei muutosta","zeroOption":true}]}"#,
    )
    .expect("write");
    let out = eva()
        .arg("assess")
        .arg(&path)
        .args(["--format", "html"])
        .output()
        .expect("runs");
    succeeded(&out);
    let html = String::from_utf8(out.stdout).expect("utf8");
    assert!(
        !html.contains("<script>") && !html.contains("<img") && !html.contains("<b>"),
        "{html}"
    );
    assert!(
        html.contains("&lt;b&gt;nolla&lt;&#x2f;b&gt;") || html.contains("&lt;b&gt;nolla"),
        "{html}"
    );
}

#[test]
fn rules_check_accepts_the_default_bundle() {
    let out = eva()
        .args(["rules", "check", "rules"])
        .output()
        .expect("runs");
    succeeded(&out);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: bundle `eva-default`"));
}

#[test]
fn rules_check_names_file_line_and_fix_for_a_bad_rule() {
    let dir = tempfile::tempdir().expect("tmp");
    copy_dir(&root().join("rules"), dir.path());
    std::fs::write(
        dir.path().join("rules/broken.yaml"),
        "rules:\n  - id: broken.rule\n    title: {fi: a, sv: b, en: c}\n    reference: \"x\"\n    when: \"'school' in concpets\"\n    impacts:\n      - determinant: happiness\n        direction: positive\n        magnitude: minor\n        likelihood: likely\n        horizon: budget_year\n        rationale: {fi: a, sv: b, en: c}\n",
    )
    .expect("write");
    let err = rules_check_fails(dir.path());
    assert!(
        err.contains(
            "rules/broken.yaml:7: unknown determinant `happiness`; use an id from taxonomy.yaml"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "rules/broken.yaml:5: condition `'school' in concpets`: unknown field `concpets`"
        ),
        "{err}"
    );
}

#[test]
fn a_template_that_cannot_render_fails_the_check_and_the_start() {
    let dir = tempfile::tempdir().expect("tmp");
    copy_dir(&root().join("rules"), dir.path());
    // an unknown filter in a part only exempt items reach
    let path = dir.path().join("templates/assessment.html.j2");
    let template = std::fs::read_to_string(&path).expect("read");
    let (line, _) = template
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("screening.exemption.label"))
        .expect("the template shows the exemption");
    std::fs::write(
        &path,
        template.replace(
            "screening.exemption.label",
            "screening.exemption.label | shout",
        ),
    )
    .expect("write");
    let err = rules_check_fails(dir.path());
    assert!(
        err.contains(&format!(
            "templates/assessment.html.j2:{}: filter shout is unknown",
            line + 1
        )),
        "{err}"
    );
    let out = eva()
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{}", free_port()),
            "--rules",
        ])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("filter shout is unknown"), "{err}");
}

/// What `eva rules check` prints on stderr for a bundle it must refuse.
fn rules_check_fails(dir: &std::path::Path) -> String {
    let out = eva()
        .args(["rules", "check"])
        .arg(dir)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn serve_logs_plain_text_when_stderr_is_not_a_terminal() {
    use std::io::{BufRead, BufReader};
    let mut server = ServeProcess::start(
        &format!("127.0.0.1:{}", free_port()),
        std::process::Stdio::piped(),
    );
    let stderr = server.stderr();
    let line = BufReader::new(stderr)
        .lines()
        .map(|l| l.expect("log line"))
        .find(|l| l.contains("serving"))
        .expect("a `serving` log line");
    assert!(
        !line.contains('\u{1b}'),
        "escape codes in a log file: {line:?}"
    );
}

#[test]
fn assess_takes_several_files_in_order() {
    let out = eva()
        .args([
            "assess",
            "tests/fixtures/school_closure.json",
            "tests/fixtures/daycare_hours.yaml",
            "tests/fixtures/routine_minutes.json",
        ])
        .output()
        .expect("runs");
    succeeded(&out);
    let verdicts: Vec<String> = String::from_utf8(out.stdout)
        .expect("utf8")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("one assessment per line");
            v["screening"]["verdict"]
                .as_str()
                .expect("verdict")
                .to_string()
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            "SCREENING_VERDICT_REQUIRED",
            "SCREENING_VERDICT_REQUIRED",
            "SCREENING_VERDICT_NOT_NEEDED"
        ]
    );
}

#[test]
fn eval_rejects_labels_that_break_the_labelling_rules() {
    let dir = tempfile::tempdir().expect("tmp");
    for (label, says) in [
        (
            "screening: not_needed\n    determinants: [education_learning]\n    groups: []",
            "`M1`: a not_needed item names no determinants or groups",
        ),
        (
            "screening: recommended\n    determinants: []\n    groups: []",
            "`M1`: a recommended item names the determinants it materially affects",
        ),
        (
            "screening: required\n    determinants: [education_learning, child_rights, mobility_accessibility, social_relations, municipal_finances]\n    groups: []",
            "`M1`: 5 determinants; label at most 4",
        ),
    ] {
        let (labels, corpus) = eval_fixture(dir.path(), label);
        let out = eva()
            .arg("eval")
            .arg(&labels)
            .arg("--corpus")
            .arg(&corpus)
            .output()
            .expect("runs");
        assert_ne!(out.status.code(), Some(0));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{err}");
    }
}

/// A one-document corpus (a routine minutes item) and a labels file with
/// `label` for it, in the held-out split.
fn eval_fixture(dir: &std::path::Path, label: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let corpus = dir.join("corpus.jsonl");
    std::fs::write(
        &corpus,
        "{\"id\": \"M1\", \"title\": \"Kaupungineläinlääkärin pöytäkirjan pitäminen yleisesti nähtävänä\", \"language\": \"fi\", \"text\": \"Päätös\\n\\nKaupungineläinlääkäri päätti, että pöytäkirja pidetään nähtävänä yleisessä tietoverkossa.\"}\n",
    )
    .expect("write");
    let labels = dir.join("labels.yaml");
    std::fs::write(
        &labels,
        format!("labels:\n  - id: M1\n    title: \"minutes\"\n    split: test\n    {label}\n    rationale: \"x\"\n"),
    )
    .expect("write");
    (labels, corpus)
}

#[test]
fn eval_reports_tables_and_json_and_check_fails_on_missed_targets() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = |labels: &std::path::Path, corpus: &std::path::Path, extra: &[&str]| {
        eva()
            .arg("eval")
            .arg(labels)
            .arg("--corpus")
            .arg(corpus)
            .args(extra)
            .output()
            .expect("runs")
    };

    // labelled as the bundle screens it: every target holds
    let (labels, corpus) = eval_fixture(
        dir.path(),
        "screening: not_needed\n    determinants: []\n    groups: []",
    );
    let out = run(&labels, &corpus, &["--split", "test", "--check"]);
    succeeded(&out);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("== corpus `corpus`, split `test`: 1 documents"),
        "{table}"
    );
    assert!(table.contains("screening accuracy 1.000"), "{table}");

    // labelled REQUIRED: the dangerous error, shown in table and JSON
    let (labels, corpus) = eval_fixture(
        dir.path(),
        "screening: required\n    determinants: [education_learning]\n    groups: [school_children]",
    );
    let out = run(&labels, &corpus, &["--split", "test", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "REQUIRED screened NOT_NEEDED: 1",
        "label \\ given",
        "screening: labelled Required, given NotNeeded",
        "missed determinants: education_learning",
        "missed groups: school_children",
        "95% bootstrap intervals",
    ] {
        assert!(table.contains(expected), "{expected}: {table}");
    }
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 REQUIRED item(s) screened NOT_NEEDED"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&labels, &corpus, &["--split", "test", "--json"]);
    succeeded(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let report = &v[0];
    assert_eq!(report["split"], "test");
    assert_eq!(report["screening"]["matrix"][0][2], 1);
    assert_eq!(report["determinants"]["micro"]["fn"], 1);
    assert_eq!(
        report["determinants"]["per_label"]["education_learning"]["recall"],
        0.0
    );
    assert_eq!(
        report["documents_by_cost"][0]["missed_groups"][0],
        "school_children"
    );
    assert!(report["intervals"]["determinant_f1"]["low"].is_number());
}

/// A reader that stops reading (`eva eval | head`) ends the run quietly.
#[test]
fn eval_and_assess_stop_quietly_when_the_reader_goes_away() {
    let dir = tempfile::tempdir().expect("tempdir");
    let title = "Kaupungineläinlääkärin pöytäkirjan pitäminen yleisesti nähtävänä";
    let corpus = dir.path().join("corpus.jsonl");
    let mut lines = String::new();
    let mut labels = String::from("labels:\n");
    for i in 0..200 {
        lines.push_str(&format!(
            "{{\"id\": \"d{i}\", \"title\": \"{title}\", \"language\": \"fi\", \"text\": \"{title}\\nPäätös\\nPöytäkirja pidetään nähtävänä.\"}}\n"
        ));
        labels.push_str(&format!(
            "  - id: d{i}\n    title: \"{title}\"\n    split: tune\n    screening: not_needed\n    determinants: []\n    groups: []\n    rationale: \"publishing minutes\"\n"
        ));
    }
    std::fs::write(&corpus, lines).expect("corpus");
    let labels_path = dir.path().join("labels.yaml");
    std::fs::write(&labels_path, labels).expect("labels");

    let runs: [Vec<std::ffi::OsString>; 2] = [
        vec![
            "eval".into(),
            labels_path.clone().into(),
            "--corpus".into(),
            corpus.clone().into(),
            "--json".into(),
        ],
        vec![
            "assess".into(),
            "tests/fixtures/school_closure.json".into(),
            "tests/fixtures/daycare_hours.yaml".into(),
            "tests/fixtures/routine_minutes.json".into(),
            "--format".into(),
            "html".into(),
        ],
    ];
    for args in runs {
        let mut child = eva()
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        // the reader goes away before reading anything
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{args:?}: {:?}", out.status);
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn eval_reports_each_corpus_and_the_corpora_together() {
    let dir = tempfile::tempdir().expect("tmp");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).expect("dir");
    std::fs::create_dir_all(&b).expect("dir");
    let labelled = "screening: not_needed\n    determinants: []\n    groups: []";
    let (labels_a, corpus_a) = eval_fixture(&a, labelled);
    let (labels_b, corpus_b) = eval_fixture(&b, labelled);
    // the second corpus's item has an id of its own
    for path in [&labels_b, &corpus_b] {
        let text = std::fs::read_to_string(path).expect("read");
        std::fs::write(path, text.replace("M1", "M2")).expect("write");
    }
    let corpus_b2 = b.join("other.jsonl");
    std::fs::rename(&corpus_b, &corpus_b2).expect("rename");
    let out = eva()
        .arg("eval")
        .args([&labels_a, &labels_b])
        .arg("--corpus")
        .arg(&corpus_a)
        .arg("--corpus")
        .arg(&corpus_b2)
        .args(["--split", "test", "--check"])
        .output()
        .expect("runs");
    succeeded(&out);
    let table = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "== corpus `corpus`, split `test`: 1 documents",
        "== corpus `other`, split `test`: 1 documents",
        "== corpus `all`, split `test`: 2 documents",
    ] {
        assert!(table.contains(expected), "{expected}: {table}");
    }

    // a labels file without its corpus is refused, saying how to pair them
    let out = eva()
        .arg("eval")
        .args([&labels_a, &labels_b])
        .arg("--corpus")
        .arg(&corpus_a)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "2 labels file(s) and 1 corpus file(s): give one `--corpus` for each labels file"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn eval_measures_goal_verdicts_on_goal_labels() {
    let dir = tempfile::tempdir().expect("tmp");
    let labelled = "screening: not_needed\n    determinants: []\n    groups: []";
    let (labels, corpus) = eval_fixture(dir.path(), labelled);
    // a reader says the routine item affects a goal; the bundle gives none
    let goals = dir.path().join("goals.yaml");
    let run = || {
        eva()
            .arg("eval")
            .arg(&labels)
            .arg("--corpus")
            .arg(&corpus)
            .arg("--goals")
            .arg(&goals)
            .output()
            .expect("runs")
    };
    std::fs::write(
        &goals,
        "labels:\n  - id: M1\n    goals: {hel-1: supports}\n    rationale: \"x\"\n",
    )
    .expect("write");
    let out = run();
    succeeded(&out);
    let table = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "== goal verdicts: 1 items",
        "precision 1.000 (0 of 0 given), recall 0.000 (0 of 1 labelled)",
        "labelled, not given: M1 hel-1",
    ] {
        assert!(table.contains(expected), "{expected}: {table}");
    }

    // an unaffected goal is not a label
    std::fs::write(
        &goals,
        "labels:\n  - id: M1\n    goals: {hel-1: unaffected}\n    rationale: \"x\"\n",
    )
    .expect("write");
    let out = run();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("`M1`: goal `hel-1` is listed as unaffected; list only affected goals"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
