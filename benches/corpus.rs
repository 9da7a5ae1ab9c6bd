//! Assesses the Helsinki corpus (`../shared/data/helsinki-ahjo-2021.jsonl`)
//! and reports the time per document: `cargo bench`.

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eva::api::{Core, pb};
use eva::rules::{Bundle, DirSource, Limits};

fn drafts() -> Vec<pb::DraftDecision> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("../shared/data/helsinki-ahjo-2021.jsonl"))
        .unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|doc| {
            let s = |k: &str| {
                doc.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            pb::DraftDecision {
                tenant: "091".into(),
                title: s("title"),
                language: if s("language") == "sv" {
                    "sv".into()
                } else {
                    "fi".into()
                },
                classification_code: s("classification_code"),
                organ: s("organization"),
                sections: vec![pb::Section {
                    kind: pb::SectionKind::Proposal as i32,
                    heading: String::new(),
                    text: s("text"),
                }],
                ..Default::default()
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bundle = match Bundle::load(&DirSource::new(root.join("rules"))) {
        Ok(b) => b,
        Err(e) => panic!("{e}"),
    };
    let core = match Core::new(bundle, Limits::default()) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let drafts = drafts();
    if drafts.is_empty() {
        eprintln!("the Helsinki corpus is not beside the repository; nothing to measure");
        return;
    }
    let mut group = c.benchmark_group("helsinki_corpus");
    group.throughput(Throughput::Elements(drafts.len() as u64));
    group.sample_size(10);
    group.bench_function("assess_all", |b| {
        b.iter(|| {
            for d in &drafts {
                let request = pb::AssessRequest {
                    draft: Some(d.clone()),
                    ..Default::default()
                };
                let _ = std::hint::black_box(core.assess(request, time::OffsetDateTime::now_utc()));
            }
        })
    });
    group.bench_function("assess_all_with_html", |b| {
        b.iter(|| {
            for d in &drafts {
                let request = pb::AssessRequest {
                    draft: Some(d.clone()),
                    render_formats: vec![pb::RenderFormat::Html as i32],
                    ..Default::default()
                };
                let _ = std::hint::black_box(core.assess(request, time::OffsetDateTime::now_utc()));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
