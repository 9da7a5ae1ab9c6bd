//! Assess with storage, on SQLite and on PostgreSQL: the store's own cost
//! (`Store::create` of prebuilt assessments, sequential and 32 tasks at
//! once) and gRPC `Assess` on loopback against the real server, which
//! stores every assessment it makes (sequential calls and 32 in flight),
//! each with p50, p99, throughput and this process's CPU time per call
//! (for gRPC: client and server together), next to the in-process
//! assessment (decode, assess, encode) of the same draft. Ends by
//! comparing, on SQLite, what storing an assessment costs with what
//! assessing it costs: the CPU per call with every core busy, and the
//! latency of one write alone beside the disk's own durable write.
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
use std::time::{Duration, Instant};

use eva::api::pb;
use eva::api::pb::assessment_service_client::AssessmentServiceClient;
use eva::domain::Deadline;
use eva::service::Service;
use eva::store::{AuditAction, AuditEntry, NewAssessment, Store};
use prost::Message;

const SEQUENTIAL: usize = 300;
const IN_FLIGHT: usize = 32;
const PER_TASK: usize = 150;
const WARM_UP: usize = 30;

mod common;
use common::{
    Figures, TABLE, core, cpu_per_call, cpu_seconds, figures, in_process_rows, median_draft, row,
};

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
            new.assessment.id = uuid::Uuid::now_v7().to_string();
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
/// Returns both figures.
async fn store_rows(backend: &Backend, template: &NewAssessment) -> (Figures, Figures) {
    let store = &backend.store;
    for (new, audit) in fresh(template, WARM_UP) {
        store.create(&new, &audit).await.expect("stored");
    }
    let batch = fresh(template, SEQUENTIAL);
    let cpu = cpu_seconds(std::process::id());
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(SEQUENTIAL);
    for (new, audit) in &batch {
        let t = Instant::now();
        store.create(new, audit).await.expect("stored");
        latencies.push(t.elapsed());
    }
    let mut sequential = figures(latencies, started.elapsed());
    sequential.cpu = cpu_per_call(cpu, SEQUENTIAL);
    row(
        &format!("{} `Store::create`, sequential", backend.name),
        &sequential,
    );

    let batches: Vec<_> = (0..IN_FLIGHT).map(|_| fresh(template, PER_TASK)).collect();
    let cpu = cpu_seconds(std::process::id());
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
    let mut concurrent = figures(latencies, started.elapsed());
    concurrent.cpu = cpu_per_call(cpu, IN_FLIGHT * PER_TASK);
    row(
        &format!("{} `Store::create`, {IN_FLIGHT} tasks", backend.name),
        &concurrent,
    );
    (sequential, concurrent)
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
    let cpu = cpu_seconds(std::process::id());
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(SEQUENTIAL);
    for _ in 0..SEQUENTIAL {
        let t = Instant::now();
        c.assess(request.clone()).await.expect("assessed");
        latencies.push(t.elapsed());
    }
    let mut sequential = figures(latencies, started.elapsed());
    sequential.cpu = cpu_per_call(cpu, SEQUENTIAL);
    row(
        &format!("{} gRPC `Assess` on loopback, sequential", backend.name),
        &sequential,
    );

    let cpu = cpu_seconds(std::process::id());
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
    let mut concurrent = figures(latencies, started.elapsed());
    concurrent.cpu = cpu_per_call(cpu, IN_FLIGHT * PER_TASK);
    row(
        &format!(
            "{} gRPC `Assess` on loopback, {IN_FLIGHT} in flight",
            backend.name
        ),
        &concurrent,
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
    println!("draft of {} bytes; {threads} cores\n\n{TABLE}", bytes.len());

    let (sequential_local, parallel_local) = in_process_rows(
        &core,
        &bytes,
        "in-process assessment",
        (WARM_UP, SEQUENTIAL, IN_FLIGHT * PER_TASK),
    );

    let template = to_store(&core, &bytes);
    let runtime = eva::app::runtime().expect("runtime");
    let (sqlite_create, floor) = runtime.block_on(async {
        let data = tempfile::tempdir().expect("temporary directory");
        let floor = durable_write(data.path());
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
        (create, floor)
    });
    if database_url.is_none() {
        println!(
            "\nPostgreSQL rows not measured: DATABASE_URL is not set \
             (set it to postgres://… to measure them)"
        );
    }

    let ((alone, loaded), ms) = (sqlite_create, |d: Duration| d.as_secs_f64() * 1e3);
    println!(
        "\nSQLite, {IN_FLIGHT} tasks storing: {:.0} assessments/s at {} of CPU each; \
         assessing on {threads} threads: {:.0}/s at {} of CPU each",
        loaded.per_second,
        micros(loaded.cpu),
        parallel_local.per_second,
        micros(parallel_local.cpu),
    );
    if let (Some(store), Some(assess)) = (loaded.cpu, parallel_local.cpu) {
        println!(
            "storing costs {:.2} × the assessment's CPU: {}",
            store.as_secs_f64() / assess.as_secs_f64(),
            if store <= assess {
                "no more than the assessment itself"
            } else {
                "MORE than the assessment itself"
            }
        );
    }
    println!(
        "SQLite, one write at a time: storing one assessment takes {:.3} ms (p50), \
         assessing it {:.3} ms; a durable 4 kB write on this disk alone takes {:.3} ms (p50), \
         the least a commit with synchronous=FULL waits",
        ms(alone.p50),
        ms(sequential_local.p50),
        ms(floor),
    );
}

fn micros(d: Option<Duration>) -> String {
    d.map_or_else(
        || "(unmeasured)".into(),
        |d| format!("{:.0} µs", d.as_secs_f64() * 1e6),
    )
}

/// The p50 of a durable 4 kB write (write, then `fdatasync`) to a file in
/// `dir`: what the disk takes for the least a commit with
/// `synchronous=FULL` waits for.
fn durable_write(dir: &std::path::Path) -> Duration {
    use std::io::Write;
    let path = dir.join("durable-write-probe");
    let mut file = std::fs::File::create(&path).expect("a probe file");
    let page = [0u8; 4096];
    let latencies = (0..200)
        .map(|_| {
            let t = Instant::now();
            file.write_all(&page).expect("written");
            file.sync_data().expect("synced");
            t.elapsed()
        })
        .collect();
    drop(file);
    let _ = std::fs::remove_file(&path);
    figures(latencies, Duration::from_secs(1)).p50
}
