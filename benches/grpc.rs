//! Calls over gRPC on loopback against the real server, next to the same
//! work in-process (decode, assess, encode): sequential calls and 32 in
//! flight, with p50, p99 and throughput; then how the cost of one draft
//! grows with its alternatives and its text. `cargo bench --bench grpc`.
//!
//! Sequential calls show the transport's own latency: a server whose
//! sockets lack `TCP_NODELAY` adds some 40 ms to each (Nagle's algorithm
//! meeting delayed acknowledgements).

/// The allocator the `eva` binary runs with (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eva::api::pb;
use eva::api::pb::assessment_service_client::AssessmentServiceClient;
use eva::service::Service;
use prost::Message;

const SEQUENTIAL: usize = 400;
const IN_FLIGHT: usize = 32;
const PER_TASK: usize = 40;

mod common;
use common::{
    Figures, TABLE, core, cpu_seconds, figures, in_process, in_process_rows, median_draft, row,
};

fn main() {
    // `cargo bench` passes `--bench`; a filter that is not ours skips us
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"grpc".contains(&a))
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
    println!("draft of {} bytes; {threads} cores\n\n{TABLE}", bytes.len());

    let (_, parallel_local) = in_process_rows(
        &core,
        &bytes,
        "in-process",
        (50, SEQUENTIAL, IN_FLIGHT * PER_TASK),
    );

    let runtime = eva::app::runtime().expect("runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let data = tempfile::tempdir().expect("temporary directory");
        let store = eva::store::open(&format!("sqlite://{}", data.path().join("eva.db").display()))
            .await
            .expect("store");
        let records = eva::service::Records::new(core.clone(), store);
        tokio::spawn(async move {
            let _ = eva::app::run(listener, records, std::future::pending()).await;
        });
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        let client = AssessmentServiceClient::new(channel);

        let mut c = client.clone();
        for _ in 0..50 {
            c.assess(request.clone()).await.expect("assessed");
        }
        let started = Instant::now();
        let mut latencies = Vec::with_capacity(SEQUENTIAL);
        for _ in 0..SEQUENTIAL {
            let t = Instant::now();
            c.assess(request.clone()).await.expect("assessed");
            latencies.push(t.elapsed());
        }
        let sequential = figures(latencies, started.elapsed());
        row("gRPC on loopback, sequential", &sequential);

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
        let parallel = figures(latencies, started.elapsed());
        row(&format!("gRPC on loopback, {IN_FLIGHT} in flight"), &parallel);
        println!(
            "\ngRPC throughput with {IN_FLIGHT} in flight is {:.0} % of in-process on {threads} threads",
            100.0 * parallel.per_second / parallel_local.per_second
        );
    });
    runtime.block_on(server_cpu(&request, &parallel_local, threads));

    scaling(&core);
}

/// CPU time of an `eva serve` process per call, with the client in this
/// process: the server's own cost, which the figures above share with a
/// client on the same cores. Linux only (`/proc`); skipped elsewhere.
async fn server_cpu(request: &pb::AssessRequest, local: &Figures, threads: usize) {
    let data = tempfile::tempdir().expect("temporary directory");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_eva"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env(
            "EVA_DATABASE_URL",
            format!("sqlite://{}", data.path().join("eva.db").display()),
        )
        .arg("--rules")
        .arg(root.join("rules"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("eva serve starts");
    let mut client = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Ok(c) = AssessmentServiceClient::connect(format!("http://127.0.0.1:{port}")).await {
            client = Some(c);
            break;
        }
    }
    let client = client.expect("eva serve answers");
    let run = |calls: usize| {
        let client = client.clone();
        let request = request.clone();
        async move {
            let tasks: Vec<_> = (0..IN_FLIGHT)
                .map(|_| {
                    let (mut c, r) = (client.clone(), request.clone());
                    tokio::spawn(async move {
                        for _ in 0..calls / IN_FLIGHT {
                            c.assess(r.clone()).await.expect("assessed");
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("task");
            }
        }
    };
    // the transport's floor: a health check takes the same connection,
    // HTTP/2, layers and log line as an assessment, and does no work
    let health = tonic_health::pb::health_client::HealthClient::new(
        tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
            .expect("uri")
            .connect()
            .await
            .expect("connect"),
    );
    let check = |calls: usize| {
        let health = health.clone();
        async move {
            let tasks: Vec<_> = (0..IN_FLIGHT)
                .map(|_| {
                    let mut h = health.clone();
                    tokio::spawn(async move {
                        for _ in 0..calls / IN_FLIGHT {
                            h.check(tonic_health::pb::HealthCheckRequest::default())
                                .await
                                .expect("health answers");
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("task");
            }
        }
    };
    run(IN_FLIGHT * 10).await;
    let calls = IN_FLIGHT * PER_TASK * 4;
    let measured = |f: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>| {
        let pid = server.id();
        async move {
            let (server_before, client_before) =
                (cpu_seconds(pid), cpu_seconds(std::process::id()));
            f.await;
            let (server_after, client_after) = (cpu_seconds(pid), cpu_seconds(std::process::id()));
            Some((
                (server_after? - server_before?) / calls as f64,
                (client_after? - client_before?) / calls as f64,
            ))
        }
    };
    let assess = measured(Box::pin(run(calls))).await;
    check(IN_FLIGHT * 10).await;
    let floor = measured(Box::pin(check(calls))).await;
    let _ = server.kill();
    let _ = server.wait();
    let (Some((per_call, client_per_call)), Some((floor_server, floor_client))) = (assess, floor)
    else {
        println!("\n(no /proc: the server's own CPU time is not measured here)");
        return;
    };
    let local_per_call = threads as f64 / local.per_second;
    println!(
        "\n`eva serve` CPU per call with {IN_FLIGHT} in flight: {:.0} µs, in-process {:.0} µs: \
         the server alone on {threads} cores would answer {:.0} calls/s, {:.0} % of in-process",
        per_call * 1e6,
        local_per_call * 1e6,
        threads as f64 / per_call,
        100.0 * local_per_call / per_call
    );
    println!(
        "client CPU per assessment call: {:.0} µs\n\
         transport floor (health checks, {IN_FLIGHT} in flight): server {:.0} µs, client {:.0} µs per call; \
         an assessment over gRPC with client and server on the same {threads} cores can reach \
         at most {:.0} % of in-process",
        client_per_call * 1e6,
        floor_server * 1e6,
        floor_client * 1e6,
        100.0 * local_per_call / (local_per_call + floor_server + floor_client)
    );
}

/// In-process time of one draft as its alternatives and its text grow:
/// constant per alternative and per kilobyte when the cost is linear.
fn scaling(core: &Service) {
    println!("\n| draft | time | per unit |\n|---|---|---|");
    let base = median_draft();
    for n in [1usize, 5, 20] {
        let mut draft = base.clone();
        draft.alternatives = (0..n)
            .map(|i| pb::Alternative {
                id: format!("A{i}"),
                title: "Koulujen yhdistäminen".into(),
                text: base
                    .sections
                    .iter()
                    .map(|s| s.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                zero_option: i == 0,
            })
            .collect();
        let t = time_one(core, draft);
        println!(
            "| {n} alternatives | {:.2} ms | {:.3} ms per alternative |",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() * 1e3 / n as f64
        );
    }
    let paragraph = base
        .sections
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for kb in [100usize, 1000] {
        let mut draft = base.clone();
        let sections = 100;
        let per = kb * 1000 / sections;
        let text = paragraph.repeat(per / paragraph.len().max(1) + 1);
        let mut end = per.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        draft.sections = (0..sections)
            .map(|_| pb::Section {
                kind: pb::SectionKind::Reasoning as i32,
                heading: String::new(),
                text: text[..end].to_string(),
            })
            .collect();
        let t = time_one(core, draft);
        println!(
            "| {kb} kB of text | {:.2} ms | {:.3} ms per kB |",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() * 1e3 / kb as f64
        );
    }
}

/// The best of five in-process assessments of `draft`.
fn time_one(core: &Service, draft: pb::DraftDecision) -> Duration {
    let bytes = pb::AssessRequest {
        draft: Some(draft),
        ..Default::default()
    }
    .encode_to_vec();
    (0..5)
        .map(|_| {
            let t = Instant::now();
            in_process(core, &bytes);
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}
