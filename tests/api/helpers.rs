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
pub fn corpus() -> Option<Vec<eva::eval::CorpusDoc>> {
    let path = root().join("../shared/data/helsinki-ahjo-2021.jsonl");
    if !path.exists() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "the corpus {} is missing under CI",
            path.display()
        );
        return None;
    }
    let docs = eva::eval::read_corpus(&path).expect("corpus reads");
    Some(docs.into_values().collect())
}
