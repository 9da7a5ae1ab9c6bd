//! Assesses the Helsinki corpus (`../shared/data/helsinki-ahjo-2021.jsonl`)
//! and reports the time per document: `cargo bench`.

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eva::render::Format;
use eva::rules::{Bundle, DirSource, Limits};
use eva::service::Service;

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bundle = match Bundle::load(&DirSource::new(root.join("rules"))) {
        Ok(b) => b,
        Err(e) => panic!("{e}"),
    };
    let core = Service::new(bundle, Limits::default());
    let corpus = root.join(eva::eval::CORPUS_PATH);
    let drafts: Vec<eva::domain::Draft> = match eva::eval::read_corpus(&corpus) {
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
    let mut group = c.benchmark_group("helsinki_corpus");
    group.throughput(Throughput::Elements(drafts.len() as u64));
    group.sample_size(10);
    let now = time::OffsetDateTime::now_utc();
    let deadline = eva::domain::Deadline::none();
    group.bench_function("assess_all", |b| {
        b.iter(|| {
            for d in &drafts {
                let _ = std::hint::black_box(eva::rules::assess(
                    &core.bundle,
                    d,
                    &core.limits,
                    now,
                    &deadline,
                ));
            }
        })
    });
    group.bench_function("assess_all_with_html", |b| {
        b.iter(|| {
            for d in &drafts {
                if let Ok(a) = eva::rules::assess(&core.bundle, d, &core.limits, now, &deadline) {
                    let html = core.bundle.render(&a, Format::Html, a.language);
                    let _ = std::hint::black_box(html);
                }
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
