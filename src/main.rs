//! The `eva` binary: parses arguments, sets up logging and runs a subcommand.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use eva::cli::{self, OutputFormat};
use eva::config::{Overrides, Settings};
use eva::rules::{Bundle, DirSource, Limits};
use eva::service::Service;

/// mimalloc: many small allocations from several threads at once are the
/// server's pattern, where the system allocator contends (benches/grpc.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Ex-ante human impact assessment of draft municipal decisions.
#[derive(Debug, Parser)]
#[command(name = "eva", version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gRPC server.
    Serve {
        #[command(flatten)]
        overrides: Overrides,
        /// YAML config file with any of the settings above, in snake_case
        /// (listen, rules, max_text_bytes, request_timeout_secs …).
        #[arg(long, env = "EVA_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Assess drafts (protobuf JSON or YAML of DraftDecision; `-` is stdin;
    /// a .jsonl file holds one draft per line).
    Assess {
        /// Draft files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: OutputFormat,
        /// Language of renderings: fi, sv or en [default: the draft's].
        #[arg(long, value_parser = parse_language)]
        lang: Option<eva::domain::Language>,
        /// Rule bundle directory.
        #[arg(long, env = "EVA_RULES", default_value = "rules")]
        rules: PathBuf,
        /// Largest text per draft in bytes.
        #[arg(long, env = "EVA_MAX_TEXT_BYTES", default_value_t = eva::rules::DEFAULT_MAX_TEXT_BYTES)]
        max_text_bytes: usize,
    },
    /// Evaluate the bundle on labelled corpus documents: screening accuracy,
    /// determinant and group precision, recall and F1, the worst documents.
    Eval {
        /// Labels files (YAML) [default: the Helsinki and the Lapua/Mikkeli
        /// labels under tests/eval/].
        labels: Vec<PathBuf>,
        /// The corpus of each labels file, in the same order (repeat the
        /// option) [default: the corpora of the default labels].
        #[arg(long)]
        corpus: Vec<PathBuf>,
        /// Only this split [default: both].
        #[arg(long, value_enum)]
        split: Option<eva::eval::Split>,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
        /// How many of the worst documents to list.
        #[arg(long, default_value_t = 15)]
        worst: usize,
        /// Rule bundle directory.
        #[arg(long, env = "EVA_RULES", default_value = "rules")]
        rules: PathBuf,
        /// Exit 1 when the held-out split misses the targets.
        #[arg(long)]
        check: bool,
        /// Also measure the goal verdicts on these goal-relevance labels
        /// (items of the corpora given).
        #[arg(long)]
        goals: Option<PathBuf>,
    },
    /// Train the learned screening component on the tune labels and write
    /// it into the bundle (`model/screening.yaml`); prints what
    /// cross-validation chose and how it did.
    Train {
        /// Labels files (YAML) [default: the Helsinki and the Lapua/Mikkeli
        /// labels under tests/eval/].
        labels: Vec<PathBuf>,
        /// The corpus of each labels file, in the same order (repeat the
        /// option) [default: the corpora of the default labels].
        #[arg(long)]
        corpus: Vec<PathBuf>,
        /// Rule bundle directory.
        #[arg(long, env = "EVA_RULES", default_value = "rules")]
        rules: PathBuf,
        /// Where to write the model [default: model/screening.yaml in the
        /// bundle directory].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Reports for the annual welfare report from the stored assessments.
    Report {
        /// Which report.
        #[arg(value_enum)]
        kind: eva::cli::ReportKind,
        /// Municipality number (for `reviews` optional: every municipality).
        #[arg(long)]
        tenant: Option<String>,
        /// First day (`2026-01-01`) or time (RFC 3339) of the period.
        #[arg(long)]
        from: String,
        /// Last day (included) or time (excluded) of the period.
        #[arg(long)]
        to: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "markdown")]
        format: eva::report::ReportFormat,
        /// Language: fi, sv or en [default: the municipality's first].
        #[arg(long, value_parser = parse_language)]
        lang: Option<eva::domain::Language>,
        /// Where the assessments are kept.
        #[arg(long, env = "EVA_DATABASE_URL", hide_env_values = true, default_value = eva::store::DEFAULT_DATABASE_URL)]
        database_url: String,
        /// Rule bundle directory (names of goals, determinants and groups).
        #[arg(long, env = "EVA_RULES", default_value = "rules")]
        rules: PathBuf,
    },
    /// Export the audit log of a municipality: who created, read, listed,
    /// reviewed or rendered which assessment, and how it ended.
    Audit {
        /// Municipality number.
        #[arg(long)]
        tenant: String,
        /// First day (`2026-01-01`) or time (RFC 3339).
        #[arg(long)]
        from: String,
        /// Last day (included) or time (excluded).
        #[arg(long)]
        to: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: eva::cli::AuditFormat,
        /// Where the assessments are kept.
        #[arg(long, env = "EVA_DATABASE_URL", hide_env_values = true, default_value = eva::store::DEFAULT_DATABASE_URL)]
        database_url: String,
    },
    /// Work with rule bundles.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Validate a bundle; errors name file, line and what to fix.
    Check {
        /// Bundle directory [default: ./rules].
        #[arg(default_value = "rules")]
        dir: PathBuf,
    },
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // colours only on a terminal: files and journald get plain text
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn load_service(rules: &std::path::Path, max_text_bytes: usize) -> anyhow::Result<Service> {
    let bundle = Bundle::load(&DirSource::new(rules))
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("cannot load the rule bundle in `{}`", rules.display()))?;
    Ok(Service::new(
        bundle,
        Limits {
            max_text_bytes,
            ..Limits::default()
        },
    ))
}

/// The store at `url`, which must exist: a report or an export from a
/// mistyped path would otherwise be an empty new database.
async fn open_existing(url: &str) -> anyhow::Result<Arc<dyn eva::store::Store>> {
    // as it is: a reader must not change the schema under a server of
    // another version, nor create a database where there is none
    eva::store::open_with(url, eva::store::Schema::AsIs)
        .await
        .context("cannot open the assessment store")
}

fn parse_language(code: &str) -> Result<eva::domain::Language, String> {
    eva::domain::Language::parse(code)
        .ok_or_else(|| format!("`{code}` is not a language; use fi, sv or en"))
}

fn main() {
    if let Err(e) = run() {
        // a reader that stopped reading (`eva eval | head`) is not an error
        let broken_pipe = |c: &(dyn std::error::Error + 'static)| {
            c.downcast_ref::<std::io::Error>().map(std::io::Error::kind)
                == Some(std::io::ErrorKind::BrokenPipe)
                || c.downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
                    == Some(std::io::ErrorKind::BrokenPipe)
        };
        if e.chain().any(broken_pipe) {
            std::process::exit(0);
        }
        eprintln!("Error: {e:?}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    match args.command {
        Command::Serve { overrides, config } => {
            let settings = Settings::load(config.as_deref(), overrides)?;
            init_logging(settings.log_json);
            let service = Arc::new(load_service(&settings.rules, settings.max_text_bytes)?);
            let limits = settings.server;
            let runtime = eva::app::runtime()?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(settings.listen)
                    .await
                    .with_context(|| format!("cannot listen on {}", settings.listen))?;
                let store = eva::store::open(&settings.database_url)
                    .await
                    .context("cannot open the assessment store")?;
                let records = eva::service::Records::new(service, store);
                eva::app::run_with_limits(listener, records, limits, shutdown_signal()).await?;
                anyhow::Ok(())
            })?;
            // work still running has been cancelled; do not wait on it
            runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            Ok(())
        }
        Command::Report {
            kind,
            tenant,
            from,
            to,
            format,
            lang,
            database_url,
            rules,
        } => {
            let period = eva::cli::period(&from, &to)?;
            let service = Arc::new(load_service(&rules, eva::rules::DEFAULT_MAX_TEXT_BYTES)?);
            tokio::runtime::Runtime::new()?.block_on(async {
                let store = open_existing(&database_url).await?;
                let records = eva::service::Records::new(service, store);
                let mut out = std::io::stdout().lock();
                eva::cli::report(
                    &records,
                    kind,
                    tenant.as_deref(),
                    period,
                    lang,
                    format,
                    &mut out,
                )
                .await
            })
        }
        Command::Audit {
            tenant,
            from,
            to,
            format,
            database_url,
        } => {
            let period = eva::cli::period(&from, &to)?;
            tokio::runtime::Runtime::new()?.block_on(async {
                let store = open_existing(&database_url).await?;
                let mut out = std::io::stdout().lock();
                eva::cli::audit(store.as_ref(), &tenant, period, format, &mut out).await
            })
        }
        Command::Assess {
            files,
            format,
            lang,
            rules,
            max_text_bytes,
        } => {
            let service = load_service(&rules, max_text_bytes)?;
            std::process::exit(cli::assess(&service, &files, format, lang));
        }
        Command::Eval {
            labels,
            corpus,
            split,
            json,
            worst,
            rules,
            check,
            goals,
        } => {
            let run = cli::EvalRun {
                labels,
                corpus,
                split,
                json,
                worst,
                rules,
                check,
                goals,
            };
            let code = cli::eval(&run, &mut std::io::stdout().lock())?;
            std::process::exit(code);
        }
        Command::Train {
            labels,
            corpus,
            rules,
            out,
        } => {
            let run = cli::TrainRun {
                labels,
                corpus,
                rules,
                out,
            };
            cli::train(&run, &mut std::io::stdout().lock())?;
            Ok(())
        }
        Command::Rules {
            command: RulesCommand::Check { dir },
        } => std::process::exit(cli::check_rules(&dir)),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
