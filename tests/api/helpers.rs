use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
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

/// The school-closure fixture cut down to `title` and one proposal section
/// of `text`, with no declared groups and no budget effect: a draft whose
/// screening and groups come from its words alone.
pub fn one_section_draft(title: &str, text: &str) -> pb::DraftDecision {
    let mut draft = fixture("school_closure.json");
    draft.title = title.into();
    draft.sections.truncate(1);
    draft.sections[0].text = text.into();
    draft.affected_groups.clear();
    draft.budget = None;
    draft
}

/// The rule ids behind an assessment's screening verdict.
pub fn screening_rules(a: &pb::Assessment) -> Vec<&str> {
    a.screening
        .as_ref()
        .expect("screening")
        .reasons
        .iter()
        .map(|r| r.rule_id.as_str())
        .collect()
}

/// An assessment's screening verdict.
pub fn verdict(a: &pb::Assessment) -> i32 {
    a.screening.as_ref().expect("screening").verdict
}

/// The impact `rule_id` predicts on `determinant`; panics naming the
/// impacts there are when it is missing.
pub fn rule_impact<'a>(a: &'a pb::Assessment, rule_id: &str, determinant: &str) -> &'a pb::Impact {
    a.impacts
        .iter()
        .find(|i| i.rule_id == rule_id && i.determinant == determinant)
        .unwrap_or_else(|| {
            let have: Vec<_> = a
                .impacts
                .iter()
                .map(|i| format!("{}:{}", i.rule_id, i.determinant))
                .collect();
            panic!("no {rule_id} impact on {determinant}; impacts: {have:?}")
        })
}

/// The Helsinki corpus by document id, when present beside the repository;
/// under CI its absence is a failure.
pub fn corpus() -> Option<BTreeMap<String, eva::eval::CorpusDoc>> {
    let path = root().join(eva::eval::CORPUS_PATH);
    if !path.exists() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "the corpus {} is missing under CI",
            path.display()
        );
        eprintln!(
            "skipped: {} is not beside the repository",
            eva::eval::CORPUS_PATH
        );
        return None;
    }
    Some(eva::eval::read_corpus(&path).expect("corpus reads"))
}

/// A loopback port nobody listens on, for a server started as a process.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// `eva serve` as a process on `addr` (set through EVA_LISTEN, as operators
/// do); killed when dropped.
pub struct ServeProcess(pub Child);

impl ServeProcess {
    pub fn start(addr: &str, stderr: Stdio) -> ServeProcess {
        ServeProcess(
            Command::new(env!("CARGO_BIN_EXE_eva"))
                .arg("serve")
                .env("EVA_LISTEN", addr)
                .current_dir(root())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .expect("eva serve starts"),
        )
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Asserts that a process succeeded, showing its stderr when it did not.
pub fn succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
