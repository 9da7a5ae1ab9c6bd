//! What the benchmarks share: the bundle, the median Helsinki draft, one
//! in-process call, and the figures of a run of calls.

use std::path::PathBuf;
use std::time::Duration;

use eva::api::pb;
use eva::domain::Deadline;
use eva::rules::{Bundle, DirSource, Limits};
use eva::service::Service;
use prost::Message;

pub fn core() -> Service {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bundle = Bundle::load(&DirSource::new(root.join("rules")))
        .unwrap_or_else(|e| panic!("the default bundle: {e}"));
    Service::new(bundle, Limits::default())
}

/// The median Helsinki draft by text size, or a fixture without the corpus.
pub fn median_draft() -> pb::DraftDecision {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if let Ok(docs) = eva::eval::read_corpus(&root.join(eva::eval::CORPUS_PATH)) {
        let mut drafts: Vec<_> = docs
            .values()
            .map(|d| eva::eval::corpus_draft(d, "091"))
            .collect();
        drafts.sort_by_key(|d| d.text_bytes());
        let d = &drafts[drafts.len() / 2];
        return pb::DraftDecision {
            tenant: d.tenant.clone(),
            title: d.title.clone(),
            language: d.language.clone(),
            classification_code: d.classification_code.clone(),
            sections: d
                .sections
                .iter()
                .map(|s| pb::Section {
                    kind: pb::SectionKind::Proposal as i32,
                    heading: s.heading.clone(),
                    text: s.text.clone(),
                })
                .collect(),
            ..Default::default()
        };
    }
    let text =
        std::fs::read_to_string(root.join("tests/fixtures/school_closure.json")).expect("fixture");
    serde_json::from_str(&text).expect("fixture draft")
}

pub struct Figures {
    pub p50: Duration,
    pub p99: Duration,
    pub per_second: f64,
    /// CPU time of this process per call, where it was measured.
    pub cpu: Option<Duration>,
}

pub fn figures(mut latencies: Vec<Duration>, wall: Duration) -> Figures {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    Figures {
        p50: at(0.5),
        p99: at(0.99),
        per_second: latencies.len() as f64 / wall.as_secs_f64(),
        cpu: None,
    }
}

/// This process's CPU time per call while `calls` calls ran, from its
/// CPU seconds at their start.
pub fn cpu_per_call(since: Option<f64>, calls: usize) -> Option<Duration> {
    let spent = cpu_seconds(std::process::id())? - since?;
    Some(Duration::from_secs_f64(spent / calls as f64))
}

/// The head of the table [`row`] writes rows of.
pub const TABLE: &str = "| calls | p50 | p99 | calls/s | CPU per call |\n|---|---|---|---|---|";

pub fn row(what: &str, f: &Figures) {
    println!(
        "| {what} | {:.3} ms | {:.3} ms | {:.0} | {} |",
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
        f.per_second,
        f.cpu
            .map(|c| format!("{:.0} µs", c.as_secs_f64() * 1e6))
            .unwrap_or_default()
    );
}

/// Decode, assess, encode: what a call costs without the transport.
pub fn in_process(core: &Service, bytes: &[u8]) -> usize {
    let request = pb::AssessRequest::decode(bytes).expect("decodes");
    let (request, violations) = eva::api::assess_request_from_proto(request, &core.limits);
    let assessed = core
        .assess(
            request.expect("a draft"),
            violations,
            time::OffsetDateTime::now_utc(),
            &Deadline::none(),
        )
        .expect("assessed");
    eva::api::assessed_to_proto(&assessed).encode_to_vec().len()
}

/// The in-process rows: `sequential` calls one after another (after
/// `warm_up`), then `calls` spread over one thread per core; each printed
/// as a row named `what, …`, both returned.
pub fn in_process_rows(
    core: &std::sync::Arc<Service>,
    bytes: &[u8],
    what: &str,
    (warm_up, sequential, calls): (usize, usize, usize),
) -> (Figures, Figures) {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    for _ in 0..warm_up {
        in_process(core, bytes);
    }
    let cpu = cpu_seconds(std::process::id());
    let started = std::time::Instant::now();
    let latencies: Vec<Duration> = (0..sequential)
        .map(|_| {
            let t = std::time::Instant::now();
            in_process(core, bytes);
            t.elapsed()
        })
        .collect();
    let mut one = figures(latencies, started.elapsed());
    one.cpu = cpu_per_call(cpu, sequential);
    row(&format!("{what}, sequential"), &one);
    let cpu = cpu_seconds(std::process::id());
    let started = std::time::Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (core, bytes) = (core.clone(), bytes.to_vec());
            std::thread::spawn(move || {
                (0..calls / threads)
                    .map(|_| {
                        let t = std::time::Instant::now();
                        in_process(&core, &bytes);
                        t.elapsed()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let latencies = handles
        .into_iter()
        .flat_map(|h| h.join().expect("thread"))
        .collect();
    let mut all = figures(latencies, started.elapsed());
    all.cpu = cpu_per_call(cpu, calls / threads * threads);
    row(&format!("{what}, {threads} threads"), &all);
    (one, all)
}

/// User and system CPU seconds of process `pid` so far, threads that have
/// ended included, from the process's CPU-time clock (the scheduler's
/// own count, in nanoseconds, not the 10 ms ticks of `/proc/PID/stat`).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let pid = libc::pid_t::try_from(pid).ok()?;
    let mut clock: libc::clockid_t = 0;
    // SAFETY: `clock` is a valid place for the clock id to be written to
    if unsafe { libc::clock_getcpuclockid(pid, &mut clock) } != 0 {
        return None;
    }
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid place for the time to be written to
    if unsafe { libc::clock_gettime(clock, &mut t) } != 0 {
        return None;
    }
    Some(t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9)
}
