use std::path::PathBuf;
use std::sync::Arc;

use eva::api::{Core, pb};
use eva::rules::{Bundle, DirSource, Limits};
use tonic::transport::Channel;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn core() -> Core {
    let bundle = Bundle::load(&DirSource::new(root().join("rules"))).expect("default bundle loads");
    Core::new(bundle, Limits::default()).expect("templates compile")
}

/// A running server on a loopback port; stops when dropped.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let core = Arc::new(core());
        tokio::spawn(async move {
            eva::app::run(listener, core, async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        TestServer {
            addr,
            stop: Some(tx),
        }
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .expect("uri")
            .connect()
            .await
            .expect("connect")
    }
}

pub fn fixture(name: &str) -> pb::DraftDecision {
    let text = std::fs::read_to_string(root().join("tests/fixtures").join(name)).expect("fixture");
    serde_json::from_str(&text).expect("fixture is DraftDecision JSON")
}

/// The Helsinki corpus, when present beside the repository.
pub fn corpus() -> Option<Vec<serde_json::Value>> {
    let path = root().join("../shared/data/helsinki-ahjo-2021.jsonl");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).expect("corpus line is JSON"))
                .collect(),
        ),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("the corpus {} is missing under CI", path.display())
        }
        Err(_) => None,
    }
}

/// A corpus document as a draft for Helsinki: the text split into
/// sections at its headings.
pub fn corpus_draft(doc: &serde_json::Value) -> pb::DraftDecision {
    let s = |k: &str| {
        doc.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let text = s("text");
    let mut sections = Vec::new();
    let mut heading = String::new();
    let mut body = String::new();
    let headings = [
        "Päätösehdotus",
        "Päätös",
        "Esittelijän perustelut",
        "Päätöksen perustelut",
        "Beslutsförslag",
        "Beslut",
        "Föredragandens motiveringar",
        "Beslutsmotivering",
    ];
    let flush = |heading: &str, body: &mut String, sections: &mut Vec<pb::Section>| {
        if !body.trim().is_empty() {
            let kind = match heading {
                "Päätösehdotus" | "Päätös" | "Beslutsförslag" | "Beslut" => {
                    pb::SectionKind::Proposal
                }
                "Esittelijän perustelut"
                | "Päätöksen perustelut"
                | "Föredragandens motiveringar"
                | "Beslutsmotivering" => pb::SectionKind::Reasoning,
                _ => pb::SectionKind::Other,
            };
            sections.push(pb::Section {
                kind: kind as i32,
                heading: heading.to_string(),
                text: std::mem::take(body),
            });
        }
        body.clear();
    };
    for line in text.lines() {
        if headings.contains(&line.trim()) {
            flush(&heading, &mut body, &mut sections);
            heading = line.trim().to_string();
        } else {
            body.push_str(line);
            body.push('\n');
        }
    }
    flush(&heading, &mut body, &mut sections);
    let language = match s("language").as_str() {
        "sv" => "sv",
        _ => "fi",
    };
    pb::DraftDecision {
        tenant: "091".into(),
        case_id: s("case_id"),
        title: s("title"),
        organ: s("organization"),
        language: language.into(),
        classification_code: s("classification_code"),
        sections,
        ..Default::default()
    }
}
