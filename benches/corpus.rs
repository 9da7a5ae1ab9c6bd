//! In-process assessments of the Helsinki corpus
//! (`../shared/data/helsinki-ahjo-2021.jsonl`): the median and the largest
//! draft, the whole corpus with and without an HTML rendering, and the
//! corpus with ten times the rules. `cargo bench --bench corpus`.

/// The allocator the `eva` binary runs with (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eva::domain::{Deadline, Draft};
use eva::render::Format;
use eva::rules::{Bundle, BundleSource, DirSource, Limits, MemorySource};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The default bundle with every rule file copied `times` times, each copy
/// with its rule ids renamed: ten times the rules, the same verdicts.
fn bundle_times(times: usize) -> Bundle {
    let mut files = DirSource::new(root().join("rules"))
        .files()
        .unwrap_or_else(|e| panic!("{e}"));
    let rules: Vec<(String, String)> = files
        .iter()
        .filter(|(p, _)| p.starts_with("rules/"))
        .cloned()
        .collect();
    for n in 1..times {
        for (path, text) in &rules {
            let renamed = text.replace("  - id: ", &format!("  - id: copy{n}."));
            files.push((path.replace(".yaml", &format!("_copy{n}.yaml")), renamed));
        }
    }
    Bundle::load(&MemorySource { files }).unwrap_or_else(|e| panic!("{e}"))
}

fn assess_all(bundle: &Bundle, drafts: &[Draft]) {
    let (limits, now) = (Limits::default(), time::OffsetDateTime::now_utc());
    for d in drafts {
        let a = eva::rules::assess(bundle, d, &limits, now, &Deadline::none());
        let _ = std::hint::black_box(a);
    }
}

fn bench(c: &mut Criterion) {
    let bundle = bundle_times(1);
    let mut drafts: Vec<Draft> = match eva::eval::read_corpus(&root().join(eva::eval::CORPUS_PATH))
    {
        Ok(docs) => docs
            .values()
            .map(|d| eva::eval::corpus_draft(d, "091"))
            .collect(),
        Err(_) => Vec::new(),
    };
    if drafts.is_empty() {
        eprintln!("the Helsinki corpus is not beside the repository; nothing to measure");
        return;
    }
    drafts.sort_by_key(Draft::text_bytes);

    let mut group = c.benchmark_group("draft");
    let (median, largest) = (&drafts[drafts.len() / 2], &drafts[drafts.len() - 1]);
    for (name, d) in [("median", median), ("largest", largest)] {
        group.bench_function(format!("{name}_{}_bytes", d.text_bytes()), |b| {
            b.iter(|| assess_all(&bundle, std::slice::from_ref(d)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("helsinki_corpus");
    group.throughput(Throughput::Elements(drafts.len() as u64));
    group.sample_size(10);
    group.bench_function("assess_all", |b| b.iter(|| assess_all(&bundle, &drafts)));
    group.bench_function("assess_all_with_html", |b| {
        let (limits, now) = (Limits::default(), time::OffsetDateTime::now_utc());
        b.iter(|| {
            for d in &drafts {
                if let Ok(a) = eva::rules::assess(&bundle, d, &limits, now, &Deadline::none()) {
                    let html = bundle.render(&a, Format::Html, a.language);
                    let _ = std::hint::black_box(html);
                }
            }
        })
    });
    let tenfold = bundle_times(10);
    group.bench_function(format!("assess_all_{}_rules", tenfold.rules.len()), |b| {
        b.iter(|| assess_all(&tenfold, &drafts))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
