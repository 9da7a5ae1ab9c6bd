//! The command-line subcommands other than `serve`: assessing drafts from
//! files, checking a rule bundle and evaluating it on labelled decisions.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use crate::api::{assessment_to_proto, draft_from_proto, pb};
use crate::domain::{Deadline, Language, Violations};
use crate::render::Format;
use crate::rules::{Bundle, DirSource};
use crate::service::{AssessRequest, Service, ServiceError};

/// Output of `eva assess`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub enum OutputFormat {
    /// The assessment as protobuf JSON, one object per line.
    Json,
    /// An HTML fragment.
    Html,
    Markdown,
    /// Plain text.
    Text,
}

/// One draft read from input, with where it came from.
struct Input {
    origin: String,
    draft: Result<pb::DraftDecision, String>,
}

/// Parses drafts from one file or stdin (`-`).
fn read_inputs(path: &Path) -> Result<Vec<Input>, String> {
    let (name, text) = if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        ("stdin".to_string(), s)
    } else {
        let s = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        (path.display().to_string(), s)
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "jsonl" || ext == "ndjson" {
        return Ok(text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| Input {
                origin: format!("{name}:{}", i + 1),
                draft: serde_json::from_str::<pb::DraftDecision>(l)
                    .map_err(|e| format!("not a DraftDecision in protobuf JSON: {e}")),
            })
            .collect());
    }
    let draft = if ext == "yaml" || ext == "yml" {
        parse_yaml(&text)
    } else {
        serde_json::from_str::<pb::DraftDecision>(&text)
            .map_err(|e| format!("not a DraftDecision in protobuf JSON: {e}"))
            .or_else(|json_err| {
                if ext == "json" {
                    Err(json_err)
                } else {
                    parse_yaml(&text).map_err(|_| json_err)
                }
            })
    };
    Ok(vec![Input {
        origin: name,
        draft,
    }])
}

fn parse_yaml(text: &str) -> Result<pb::DraftDecision, String> {
    let options = marked_yaml::LoaderOptions::default().prevent_coercion(true);
    let node = marked_yaml::parse_yaml_with_options(0, text, options)
        .map_err(|e| format!("not valid YAML: {e}"))?;
    serde_json::from_value::<pb::DraftDecision>(yaml_to_json(&node))
        .map_err(|e| format!("not a DraftDecision: {e}"))
}

/// YAML to JSON: plain (unquoted) scalars become numbers, booleans or null
/// when they read as such; quoted scalars stay strings (`"091"`).
fn yaml_to_json(node: &marked_yaml::Node) -> serde_json::Value {
    use serde_json::Value;
    match node {
        marked_yaml::Node::Scalar(s) => {
            let text = s.as_str();
            if !s.may_coerce() {
                return Value::String(text.to_string());
            }
            match text {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" | "~" => Value::Null,
                _ => text
                    .parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| text.parse::<f64>().map(Value::from))
                    .unwrap_or_else(|_| Value::String(text.to_string())),
            }
        }
        marked_yaml::Node::Sequence(seq) => Value::Array(seq.iter().map(yaml_to_json).collect()),
        marked_yaml::Node::Mapping(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.as_str().to_string(), yaml_to_json(v)))
                .collect(),
        ),
    }
}

/// Runs `eva assess`. Returns the process exit code.
pub fn assess(
    service: &Service,
    files: &[PathBuf],
    format: OutputFormat,
    lang: Option<Language>,
) -> i32 {
    let mut inputs = Vec::new();
    let mut failed = false;
    for f in files {
        match read_inputs(f) {
            Ok(mut v) => inputs.append(&mut v),
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    let progress = (inputs.len() > 1 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(inputs.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} {elapsed_precise} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let formats = match format {
        OutputFormat::Json => vec![],
        OutputFormat::Html => vec![Format::Html],
        OutputFormat::Markdown => vec![Format::Markdown],
        OutputFormat::Text => vec![Format::Text],
    };
    let mut first = true;
    for input in inputs {
        if let Some(bar) = &progress {
            bar.inc(1);
        }
        let draft = match input.draft {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {}: {e}", input.origin);
                failed = true;
                continue;
            }
        };
        let mut violations = Violations::new();
        let request = AssessRequest {
            draft: draft_from_proto(draft, &mut violations),
            languages: lang.into_iter().collect(),
            formats: formats.clone(),
        };
        match service.assess(
            request,
            violations,
            time::OffsetDateTime::now_utc(),
            &Deadline::none(),
        ) {
            Ok(assessed) => {
                let written = if format == OutputFormat::Json {
                    match serde_json::to_string(&assessment_to_proto(&assessed.assessment)) {
                        Ok(json) => writeln!(out, "{json}"),
                        Err(e) => {
                            eprintln!("error: {}: cannot write JSON: {e}", input.origin);
                            failed = true;
                            Ok(())
                        }
                    }
                } else {
                    let sep = if first { "" } else { "\n" };
                    let content = assessed
                        .renderings
                        .first()
                        .map(|r| r.content.as_str())
                        .unwrap_or("");
                    write!(out, "{sep}{content}")
                };
                first = false;
                match written {
                    Ok(()) => {}
                    // the reader stopped reading (`eva assess … | head`)
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                        return i32::from(failed);
                    }
                    Err(e) => {
                        eprintln!("error: cannot write the output: {e}");
                        return 1;
                    }
                }
            }
            Err(ServiceError::InvalidArgument(violations)) => {
                for v in violations.listed() {
                    eprintln!("error: {}: {}: {}", input.origin, v.field, v.description);
                }
                if violations.unlisted() > 0 {
                    eprintln!(
                        "error: {}: and {} more problems",
                        input.origin,
                        violations.unlisted()
                    );
                }
                failed = true;
            }
            Err(e) => {
                eprintln!("error: {}: {e}", input.origin);
                failed = true;
            }
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    i32::from(failed)
}

/// Runs `eva rules check`. Returns the process exit code.
pub fn check_rules(dir: &Path) -> i32 {
    match Bundle::load(&DirSource::new(dir)) {
        Ok(b) => {
            println!(
                "ok: bundle `{}` version {}: {} rules, {} concepts, {} exemptions, {}, {} municipalities ({}), \
                 {} with a plan of their own ({}), the others assessed against `{}`; digest {}",
                b.id,
                b.version,
                b.rules.len(),
                b.concepts.len(),
                b.exemptions.len(),
                match &b.screening_model {
                    Some(m) => format!(
                        "a learned screening model of {} features (threshold {})",
                        m.weights.len(),
                        m.threshold
                    ),
                    None => "no learned screening model (the rules alone screen)".to_string(),
                },
                b.municipalities.len(),
                b.register_year,
                b.plans.len(),
                b.plans.keys().cloned().collect::<Vec<_>>().join(", "),
                b.baseline.id,
                b.digest
            );
            0
        }
        Err(errors) => {
            for e in &errors.0 {
                let file = if e.file.is_empty() {
                    String::new()
                } else {
                    dir.join(&e.file).display().to_string()
                };
                match (file.is_empty(), e.line) {
                    (true, _) => eprintln!("error: {}", e.message),
                    (false, 0) => eprintln!("error: {file}: {}", e.message),
                    (false, line) => eprintln!("error: {file}:{line}: {}", e.message),
                }
            }
            eprintln!("{} problem(s) in {}", errors.0.len(), dir.display());
            1
        }
    }
}

/// What `eva eval` is asked to do.
#[derive(Debug, Clone)]
pub struct EvalRun {
    /// The labels files; empty means both corpora's default labels.
    pub labels: Vec<PathBuf>,
    /// The corpus of each labels file, in the same order; empty means the
    /// default corpus of each default labels file.
    pub corpus: Vec<PathBuf>,
    /// One split, or both when `None`.
    pub split: Option<crate::eval::Split>,
    /// JSON instead of tables.
    pub json: bool,
    /// How many of the worst documents to list.
    pub worst: usize,
    /// The bundle directory.
    pub rules: PathBuf,
    /// Whether missing a target on the held-out split is a failure.
    pub check: bool,
    /// Goal-relevance labels to measure the goal verdicts on, over the
    /// corpora given.
    pub goals: Option<PathBuf>,
}

/// Why `eva eval` could not report.
#[derive(Debug, thiserror::Error)]
pub enum EvalRunError {
    /// Labels files and corpora do not pair up.
    #[error(
        "{labels} labels file(s) and {corpora} corpus file(s): give one `--corpus` for each labels file, in the same order, or neither for both default corpora"
    )]
    Pairs {
        /// Labels files given.
        labels: usize,
        /// Corpora given.
        corpora: usize,
    },
    /// The bundle did not load.
    #[error(transparent)]
    Bundle(#[from] crate::rules::BundleErrors),
    /// The labels or the corpus could not be read.
    #[error(transparent)]
    Eval(#[from] crate::eval::EvalError),
    /// The report could not be written.
    #[error("cannot write the report")]
    Write(#[source] std::io::Error),
    /// The JSON report could not be written.
    #[error("cannot write the report")]
    Json(#[source] serde_json::Error),
    /// The trained model could not be saved.
    #[error("cannot write the model to {path}; check that the directory is writable")]
    Save {
        /// Where it was to go.
        path: String,
        /// Why it could not.
        #[source]
        source: std::io::Error,
    },
}

/// Runs `eva eval`, writing the report to `out`; returns the exit code (1
/// when `check` is asked and the held-out split misses a target).
pub fn eval(run: &EvalRun, out: &mut impl Write) -> Result<i32, EvalRunError> {
    use crate::eval::{Split, Targets, read_corpus, read_labels, score, summarise, write_table};
    let bundle = Bundle::load(&DirSource::new(&run.rules))?;
    let pairs = pairs(&run.labels, &run.corpus)?;
    let splits = match run.split {
        Some(s) => vec![s],
        None => vec![Split::Tune, Split::Test],
    };
    let mut reports = Vec::new();
    // every corpus's assessed documents per split, for the corpora together
    let mut together: Vec<Vec<crate::eval::Scored>> = vec![Vec::new(); splits.len()];
    // every corpus's documents, for the goal labels
    let mut documents = std::collections::BTreeMap::new();
    for (labels, corpus) in &pairs {
        let labels = read_labels(labels, &bundle)?;
        let docs = read_corpus(corpus)?;
        let name = corpus
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        for (&split, all) in splits.iter().zip(&mut together) {
            let scored = score(&bundle, &labels, &docs, split)?;
            let mut r = summarise(split, &scored);
            r.corpus.clone_from(&name);
            reports.push(r);
            all.extend(scored);
        }
        if run.goals.is_some() {
            documents.extend(docs);
        }
    }
    if pairs.len() > 1 {
        for (&split, all) in splits.iter().zip(&together) {
            let mut r = summarise(split, all);
            r.corpus = "all".into();
            reports.push(r);
        }
    }
    let goals = match &run.goals {
        Some(path) => Some(crate::eval::evaluate_goals(
            &bundle,
            &crate::eval::read_goal_labels(path)?,
            &documents,
        )?),
        None => None,
    };
    if run.json {
        let json = match &goals {
            Some(g) => serde_json::json!({"reports": reports, "goals": g}),
            None => serde_json::json!(reports),
        };
        serde_json::to_writer_pretty(&mut *out, &json).map_err(EvalRunError::Json)?;
        writeln!(out).map_err(EvalRunError::Write)?;
    } else {
        for r in &reports {
            write_table(out, r, run.worst).map_err(EvalRunError::Write)?;
        }
        if let Some(g) = &goals {
            crate::eval::write_goal_table(out, g, run.worst).map_err(EvalRunError::Write)?;
        }
    }
    let mut missed = false;
    for r in reports.iter().filter(|r| r.split == Split::Test) {
        for m in r.misses(&Targets::default()) {
            missed = true;
            if r.corpus.is_empty() {
                eprintln!("target missed on the held-out split: {m}");
            } else {
                eprintln!("target missed on the held-out split of `{}`: {m}", r.corpus);
            }
        }
    }
    Ok(i32::from(run.check && missed))
}

/// The labels files and their corpora, paired in order.
fn pairs(labels: &[PathBuf], corpus: &[PathBuf]) -> Result<Vec<(PathBuf, PathBuf)>, EvalRunError> {
    use crate::eval::{CORPUS_PATH, LAPUA_CORPUS_PATH};
    if labels.is_empty() && corpus.is_empty() {
        return Ok(vec![
            ("tests/eval/labels.yaml".into(), CORPUS_PATH.into()),
            (
                "tests/eval/lapua-labels.yaml".into(),
                LAPUA_CORPUS_PATH.into(),
            ),
        ]);
    }
    if labels.len() != corpus.len() {
        return Err(EvalRunError::Pairs {
            labels: labels.len(),
            corpora: corpus.len(),
        });
    }
    Ok(labels.iter().cloned().zip(corpus.iter().cloned()).collect())
}

/// What `eva train` is asked to do.
#[derive(Debug, Clone)]
pub struct TrainRun {
    /// The labels files; empty means both corpora's default labels.
    pub labels: Vec<PathBuf>,
    /// The corpus of each labels file, in the same order.
    pub corpus: Vec<PathBuf>,
    /// The bundle directory.
    pub rules: PathBuf,
    /// Where to write the model [default: `model/screening.yaml` of the
    /// bundle].
    pub out: Option<PathBuf>,
}

/// Runs `eva train`: trains the learned screening component on the tune
/// labels, writes it into the bundle (or to `out`) and reports what was
/// chosen and how it did in cross-validation.
pub fn train(run: &TrainRun, report_to: &mut impl Write) -> Result<(), EvalRunError> {
    use crate::eval::{TrainSet, read_corpus, read_labels};
    // the model is what is being made
    let bundle = Bundle::load_without_model(&DirSource::new(&run.rules))?;
    let mut read = Vec::new();
    for (labels_path, corpus) in pairs(&run.labels, &run.corpus)? {
        let labels = read_labels(&labels_path, &bundle)?;
        let docs = read_corpus(&corpus)?;
        read.push((labels_path.display().to_string(), labels, docs));
    }
    let sets: Vec<TrainSet<'_>> = read
        .iter()
        .map(|(path, labels, corpus)| TrainSet {
            labels_path: path.clone(),
            labels,
            corpus,
        })
        .collect();
    let (text, report) = crate::eval::train(&bundle, &sets)?;
    let out = run
        .out
        .clone()
        .unwrap_or_else(|| run.rules.join(crate::rules::bundle::MODEL_FILE));
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| EvalRunError::Save {
            path: out.display().to_string(),
            source,
        })?;
    }
    std::fs::write(&out, text).map_err(|source| EvalRunError::Save {
        path: out.display().to_string(),
        source,
    })?;
    write_train_report(report_to, &report, &out).map_err(EvalRunError::Write)
}

fn write_train_report(
    out: &mut impl Write,
    r: &crate::eval::TrainReport,
    path: &std::path::Path,
) -> std::io::Result<()> {
    writeln!(out, "wrote {}", path.display())?;
    writeln!(
        out,
        "trained on {} tune items ({} needing an assessment; {} an exemption decides left out), {} features weighed",
        r.items, r.needing_assessment, r.exempt, r.features
    )?;
    writeln!(
        out,
        "chosen: l2 {}, threshold {}, REQUIRED rules {}, doubt from {}",
        r.l2,
        r.threshold,
        if r.force_required {
            "stand against the model"
        } else {
            "are one of its features"
        },
        r.doubt_from
    )?;
    writeln!(
        out,
        "cross-validated on every tune item (those an exemption decides as the rules decide them):"
    )?;
    writeln!(
        out,
        "| labels | items | accuracy | needing: screened so | precision | misses marked uncertain | right verdicts marked |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for f in &r.cross_validated {
        writeln!(
            out,
            "| {} | {} | {:.3} | {} of {} | {} of {} | {:.2} | {:.2} |",
            f.labels,
            f.items,
            f.accuracy,
            f.right_needed,
            f.needed,
            f.right_needed,
            f.screened_needed,
            f.misses_marked,
            f.right_marked
        )?;
    }
    Ok(())
}

/// Which ledger report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportKind {
    /// Per welfare-plan goal: the decisions that supported it, worked
    /// against it or both.
    Goals,
    /// Per determinant and group: decisions with negative effects, flagged
    /// where several hit one group.
    Cumulative,
    /// What preparers corrected: rules removed or overridden most, screening
    /// verdicts changed.
    Reviews,
}

/// Format of the audit log export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// Comma-separated, with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// A period given on the command line: `--from` and `--to` as dates
/// (`2026-01-01`, whole days in UTC, both included) or RFC 3339 times
/// (`--to` excluded).
pub fn period(
    from: &str,
    to: &str,
) -> anyhow::Result<(time::OffsetDateTime, time::OffsetDateTime)> {
    let at = |flag: &str, text: &str, end: bool| -> anyhow::Result<time::OffsetDateTime> {
        let date = time::macros::format_description!("[year]-[month]-[day]");
        if let Ok(d) = time::Date::parse(text, date) {
            let day = if end {
                d.next_day().ok_or_else(|| {
                    anyhow::anyhow!("{flag} `{text}` is the last day time can hold")
                })?
            } else {
                d
            };
            return Ok(day.midnight().assume_utc());
        }
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map_err(|_| {
                anyhow::anyhow!(
                    "{flag} `{text}` is not a date or time; write a date such as 2026-01-31 or a time such as 2026-01-31T12:00:00Z"
                )
            })
    };
    let (from, to) = (at("--from", from, false)?, at("--to", to, true)?);
    if from >= to {
        anyhow::bail!("--to is not after --from; give a period that is not empty");
    }
    Ok((from, to))
}

/// The command line as the audit log names it.
fn cli_caller() -> crate::service::Caller {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    crate::service::Caller {
        name: format!("eva cli ({user})"),
        peer: "local".into(),
    }
}

/// Writes a ledger report of the stored assessments to `out`.
pub async fn report(
    records: &crate::service::Records,
    kind: ReportKind,
    tenant: Option<&str>,
    (from, to): (time::OffsetDateTime, time::OffsetDateTime),
    lang: Option<Language>,
    format: crate::report::ReportFormat,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    use crate::report;
    let bundle = &records.service.bundle;
    let municipality = tenant.and_then(|t| bundle.municipalities.get(t));
    let lang = lang
        .or_else(|| municipality.and_then(|m| m.languages.first().copied()))
        .unwrap_or(Language::Fi);
    let last_day = (to - time::Duration::nanoseconds(1)).date();
    let heading = report::Heading {
        who: municipality.map_or_else(
            || "Kaikki kunnat / Alla kommuner / Every municipality".to_string(),
            |m| format!("{} ({})", m.name.get(lang), m.number),
        ),
        from: from.date().to_string(),
        to: last_day.to_string(),
    };
    let caller = cli_caller();
    let need_tenant = || {
        tenant.ok_or_else(|| {
            anyhow::anyhow!(
                "--tenant is required for this report; give the municipality number, such as 091"
            )
        })
    };
    let text = match kind {
        ReportKind::Goals => {
            let s = records
                .summarize_goals(&caller, need_tenant()?, from, to)
                .await?;
            report::goals(&s, &heading, lang, format)?
        }
        ReportKind::Cumulative => {
            let e = records
                .cumulative_effects(&caller, need_tenant()?, from, to)
                .await?;
            report::cumulative(&e, bundle, &heading, lang, format)?
        }
        ReportKind::Reviews => {
            let s = records.review_statistics(&caller, tenant, from, to).await?;
            report::reviews(&s, &heading, lang, format)?
        }
    };
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Writes a tenant's audit log of a period to `out`.
pub async fn audit(
    store: &dyn crate::store::Store,
    tenant: &str,
    (from, to): (time::OffsetDateTime, time::OffsetDateTime),
    format: AuditFormat,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let entries = store.audit_log(tenant, from, to).await?;
    match format {
        AuditFormat::Jsonl => {
            for e in &entries {
                serde_json::to_writer(&mut *out, e)?;
                out.write_all(b"\n")?;
            }
        }
        AuditFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "at",
                "caller",
                "peer",
                "tenant",
                "assessment_id",
                "action",
                "result",
            ])?;
            for e in &entries {
                let at =
                    e.at.format(&time::format_description::well_known::Rfc3339)?;
                w.write_record(
                    [
                        at.as_str(),
                        &e.caller,
                        &e.peer,
                        &e.tenant,
                        e.assessment_id.as_deref().unwrap_or(""),
                        e.action.name(),
                        &e.result,
                    ]
                    .map(|c| crate::report::csv_cell(c).into_owned()),
                )?;
            }
            w.flush()?;
        }
    }
    Ok(())
}
