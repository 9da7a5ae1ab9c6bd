//! Assess with storage, on SQLite and on PostgreSQL: the store's own cost
//! (`Store::create` of prebuilt assessments, sequential and 32 tasks at
//! once) and gRPC `Assess` on loopback against the real server, which
//! stores every assessment it makes (sequential calls and 32 in flight),
//! each with p50, p99 and throughput, next to the in-process assessment
//! (decode, assess, encode) of the same draft. Ends by comparing, on
//! SQLite, what storing one assessment costs with what assessing it costs.
//!
//! `cargo bench --bench store` measures SQLite, in a temporary directory.
//! With `DATABASE_URL=postgres://…` it measures PostgreSQL too, in a
//! schema of its own that it drops at the end; without it, it says that
//! the PostgreSQL rows were not measured.

/// The allocator the `eva` binary runs with (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use eva::api::pb;
use eva::api::pb::assessment_service_client::AssessmentServiceClient;
use eva::domain::Deadline;
use eva::service::Service;
use eva::store::{AuditAction, AuditEntry, NewAssessment, Store};
use prost::Message;

const SEQUENTIAL: usize = 300;
const IN_FLIGHT: usize = 32;
const PER_TASK: usize = 20;
const WARM_UP: usize = 30;

mod common;
use common::{Figures, core, figures, in_process_rows, median_draft, row};

/// The draft of `bytes` and its assessment, as the server stores them.
fn to_store(core: &Service, bytes: &[u8]) -> NewAssessment {
    let request = pb::AssessRequest::decode(bytes).expect("decodes");
    let (request, violations) = eva::api::assess_request_from_proto(request, &core.limits);
    let request = request.expect("a draft");
    let draft = request.draft.clone();
    let assessed = core
        .assess(
            request,
            violations,
            time::OffsetDateTime::now_utc(),
            &Deadline::none(),
        )
        .expect("assessed");
    NewAssessment {
        request_id: None,
        draft,
        assessment: assessed.assessment,
    }
}

/// `n` copies of `template`, each under an id of its own, with the audit
/// row the server writes with it.
fn fresh(template: &NewAssessment, n: usize) -> Vec<(NewAssessment, AuditEntry)> {
    (0..n)
        .map(|_| {
            let mut new = template.clone();
            new.assessment.id = uuid::Uuid::new_v4().to_string();
            let audit = AuditEntry {
                at: time::OffsetDateTime::now_utc(),
                caller: "bench".into(),
                peer: "127.0.0.1:0".into(),
                tenant: new.assessment.tenant.clone(),
                assessment_id: Some(new.assessment.id.clone()),
                action: AuditAction::Create,
                result: "ok".into(),
            };
            (new, audit)
        })
        .collect()
}

/// A store to measure, and the schema to drop when done with it.
struct Backend {
    name: &'static str,
    store: Arc<dyn Store>,
    schema: Option<(sqlx::PgPool, String)>,
}

/// PostgreSQL at `url`, in a schema of the benchmark's own.
async fn postgres(url: &str) -> Backend {
    let schema = format!("eva_bench_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(url)
        .await
        .expect("PostgreSQL at DATABASE_URL answers");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .expect("a schema of the benchmark's own");
    let options = sqlx::postgres::PgConnectOptions::from_str(url)
        .expect("DATABASE_URL")
        .options([("search_path", schema.as_str())]);
    let store = eva::store::PostgresStore::open_with(options)
        .await
        .expect("PostgreSQL store opens");
    Backend {
        name: "PostgreSQL",
        store: Arc::new(store),
        schema: Some((admin, schema)),
    }
}

/// `Store::create` alone: sequential, then `IN_FLIGHT` tasks at once.
/// Returns the sequential figures.
async fn store_rows(backend: &Backend, template: &NewAssessment) -> Figures {
    let store = &backend.store;
    for (new, audit) in fresh(template, WARM_UP) {
        store.create(&new, &audit).await.expect("stored");
    }
    let batch = fresh(template, SEQUENTIAL);
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(SEQUENTIAL);
    for (new, audit) in &batch {
        let t = Instant::now();
        store.create(new, audit).await.expect("stored");
        latencies.push(t.elapsed());
    }
    let sequential = figures(latencies, started.elapsed());
    row(
        &format!("{} `Store::create`, sequential", backend.name),
        &sequential,
    );

    let batches: Vec<_> = (0..IN_FLIGHT).map(|_| fresh(template, PER_TASK)).collect();
    let started = Instant::now();
    let tasks: Vec<_> = batches
        .into_iter()
        .map(|batch| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(PER_TASK);
                for (new, audit) in &batch {
                    let t = Instant::now();
                    store.create(new, audit).await.expect("stored");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("task"));
    }
    row(
        &format!("{} `Store::create`, {IN_FLIGHT} tasks", backend.name),
        &figures(latencies, started.elapsed()),
    );
    sequential
}

/// gRPC `Assess` on loopback against a server storing in `backend`:
/// sequential, then `IN_FLIGHT` in flight.
async fn grpc_rows(backend: &Backend, core: &Arc<Service>, request: &pb::AssessRequest) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let records = eva::service::Records::new(core.clone(), backend.store.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = eva::app::run(listener, records, async {
            let _ = stopped.await;
        })
        .await;
    });
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    let client = AssessmentServiceClient::new(channel);

    let mut c = client.clone();
    for _ in 0..WARM_UP {
        c.assess(request.clone()).await.expect("assessed");
    }
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(SEQUENTIAL);
    for _ in 0..SEQUENTIAL {
        let t = Instant::now();
        c.assess(request.clone()).await.expect("assessed");
        latencies.push(t.elapsed());
    }
    row(
        &format!("{} gRPC `Assess` on loopback, sequential", backend.name),
        &figures(latencies, started.elapsed()),
    );

    let started = Instant::now();
    let tasks: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (mut c, r) = (client.clone(), request.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(PER_TASK);
                for _ in 0..PER_TASK {
                    let t = Instant::now();
                    c.assess(r.clone()).await.expect("assessed");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("task"));
    }
    row(
        &format!(
            "{} gRPC `Assess` on loopback, {IN_FLIGHT} in flight",
            backend.name
        ),
        &figures(latencies, started.elapsed()),
    );

    // no connection left open, so the server stops without a grace period
    drop((c, client));
    let _ = stop.send(());
    let _ = server.await;
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that is not ours skips us
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"store".contains(&a))
    {
        return;
    }
    let core = Arc::new(core());
    let request = pb::AssessRequest {
        draft: Some(median_draft()),
        ..Default::default()
    };
    let bytes = request.encode_to_vec();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let database_url = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty());
    println!(
        "draft of {} bytes; {threads} cores\n\n| calls | p50 | p99 | calls/s |\n|---|---|---|---|",
        bytes.len()
    );

    let (sequential_local, _) = in_process_rows(
        &core,
        &bytes,
        "in-process assessment",
        (WARM_UP, SEQUENTIAL, IN_FLIGHT * PER_TASK),
    );

    let template = to_store(&core, &bytes);
    let runtime = eva::app::runtime().expect("runtime");
    let sqlite_create = runtime.block_on(async {
        let data = tempfile::tempdir().expect("temporary directory");
        let store = eva::store::open(&format!(
            "sqlite://{}",
            data.path().join("eva.db").display()
        ))
        .await
        .expect("store");
        let sqlite = Backend {
            name: "SQLite",
            store,
            schema: None,
        };
        let create = store_rows(&sqlite, &template).await;
        grpc_rows(&sqlite, &core, &request).await;

        if let Some(url) = &database_url {
            let postgres = postgres(url).await;
            store_rows(&postgres, &template).await;
            grpc_rows(&postgres, &core, &request).await;
            let Backend { store, schema, .. } = postgres;
            drop(store);
            if let Some((admin, schema)) = schema {
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(&admin)
                    .await
                    .expect("the benchmark's schema is dropped");
            }
        }
        create
    });
    if database_url.is_none() {
        println!(
            "\nPostgreSQL rows not measured: DATABASE_URL is not set \
             (set it to postgres://… to measure them)"
        );
    }

    let (store, assess) = (sqlite_create.p50, sequential_local.p50);
    println!(
        "\nSQLite: storing one assessment takes {:.3} ms (p50 of sequential `Store::create`), \
         assessing it {:.3} ms (p50 in-process): storing costs {:.2} × the assessment, {}",
        store.as_secs_f64() * 1e3,
        assess.as_secs_f64() * 1e3,
        store.as_secs_f64() / assess.as_secs_f64(),
        if store <= assess {
            "no more than the assessment itself"
        } else {
            "MORE than the assessment itself"
        }
    );
}
