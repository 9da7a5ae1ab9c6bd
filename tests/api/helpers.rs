use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;

use std::time::{Duration, Instant};

use eva::api::pb;
use eva::api::pb::assessment_service_client::AssessmentServiceClient;
use eva::app::ServerLimits;
use eva::rules::{Bundle, DirSource, Limits};
use eva::service::Service;
use tonic::transport::Channel;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn core() -> Service {
    core_with(Limits::default())
}

/// The default bundle with other limits on drafts.
pub fn core_with(limits: Limits) -> Service {
    let bundle = Bundle::load(&DirSource::new(root().join("rules"))).expect("default bundle loads");
    Service::new(bundle, limits)
}

/// The default bundle without its learned screening component: the rules
/// alone screen.
pub fn rules_only_core() -> Service {
    let bundle = Bundle::load_without_model(&DirSource::new(root().join("rules")))
        .expect("default bundle loads without its model");
    assert!(bundle.screening_model.is_none());
    Service::new(bundle, Limits::default())
}

/// Assesses a protobuf request in-process, as the gRPC service would
/// without the transport.
pub fn assess_in_process(service: &Service, request: pb::AssessRequest) -> pb::AssessResponse {
    let (request, violations) = eva::api::assess_request_from_proto(request, &service.limits);
    let assessed = service
        .assess(
            request.expect("a draft"),
            violations,
            time::OffsetDateTime::now_utc(),
            &eva::domain::Deadline::none(),
        )
        .expect("assessed");
    eva::api::assessed_to_proto(&assessed)
}

/// Limits for a server whose drafts may carry `max_text_bytes` of text.
pub fn large_text(max_text_bytes: usize) -> (Limits, ServerLimits) {
    (
        Limits {
            max_text_bytes,
            ..Limits::default()
        },
        ServerLimits {
            max_message_bytes: ServerLimits::message_bytes_for(max_text_bytes),
            ..ServerLimits::default()
        },
    )
}

/// A running server on a loopback port; stops when dropped.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The store the server keeps assessments in.
    pub store: Arc<dyn eva::store::Store>,
    /// The directory of its SQLite file, removed when dropped.
    _data: Option<tempfile::TempDir>,
}

/// A fresh SQLite store in a temporary directory.
pub async fn sqlite_store() -> (Arc<dyn eva::store::Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("eva.db").display());
    let store = eva::store::open(&url).await.expect("SQLite store opens");
    (store, dir)
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
        TestServer::start_with(ServerLimits::default()).await
    }

    pub async fn start_with(limits: ServerLimits) -> TestServer {
        TestServer::start_core(core(), limits).await
    }

    pub async fn start_core(core: Service, limits: ServerLimits) -> TestServer {
        let (store, dir) = sqlite_store().await;
        let mut server = TestServer::start_store(core, store, limits).await;
        server._data = Some(dir);
        server
    }

    /// A server keeping its assessments in `store`.
    pub async fn start_store(
        core: Service,
        store: Arc<dyn eva::store::Store>,
        limits: ServerLimits,
    ) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let records = eva::service::Records::new(Arc::new(core), store.clone());
        tokio::spawn(async move {
            eva::app::run_with_limits(listener, records, limits, async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        TestServer {
            addr,
            stop: Some(tx),
            store,
            _data: None,
        }
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .expect("uri")
            .connect()
            .await
            .expect("connect")
    }

    /// An assessment client that sends and takes messages of any size.
    pub async fn client(&self) -> AssessmentServiceClient<Channel> {
        client_at(&self.addr.to_string()).await
    }
}

pub fn fixture(name: &str) -> pb::DraftDecision {
    let text = std::fs::read_to_string(root().join("tests/fixtures").join(name)).expect("fixture");
    serde_json::from_str(&text).expect("fixture is DraftDecision JSON")
}

/// The school-closure fixture with two alternatives: merging the school
/// (`A`) and the zero option (`0`).
pub fn with_alternatives() -> pb::DraftDecision {
    let mut draft = fixture("school_closure.json");
    draft.alternatives = vec![
        pb::Alternative {
            id: "A".into(),
            title: "Koulujen yhdistäminen".into(),
            text: "Kiihtelysvaaran koulu lakkautetaan ja yhdistetään Heinävaaran kouluun.".into(),
            zero_option: false,
        },
        pb::Alternative {
            id: "0".into(),
            title: "Nykytila".into(),
            text: "Opetus jatkuu nykyisissä tiloissa.".into(),
            zero_option: true,
        },
    ];
    draft
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
    corpus_at(eva::eval::CORPUS_PATH)
}

/// The Lapua/Mikkeli corpus, or `None` (a skip) when it is not there.
pub fn lapua_corpus() -> Option<BTreeMap<String, eva::eval::CorpusDoc>> {
    corpus_at(eva::eval::LAPUA_CORPUS_PATH)
}

fn corpus_at(relative: &str) -> Option<BTreeMap<String, eva::eval::CorpusDoc>> {
    let path = root().join(relative);
    if !path.exists() {
        skip(&format!(
            "the corpus {relative} is not beside the repository"
        ));
        return None;
    }
    Some(eva::eval::read_corpus(&path).expect("corpus reads"))
}

/// Skips the calling test for `reason`: fails under CI, where nothing may
/// be skipped, and elsewhere says so where the test runner's output shows
/// it (the runner captures `eprintln!` of a passing test, not a write to
/// stderr itself).
pub fn skip(reason: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "{test} cannot be skipped under CI: {reason}"
    );
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
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
/// `eva serve` as a process, its SQLite store in a temporary directory
/// (unless its flags name another); killed when dropped.
pub struct ServeProcess {
    child: Option<Child>,
    _data: tempfile::TempDir,
}

impl ServeProcess {
    pub fn start(addr: &str, stderr: Stdio) -> ServeProcess {
        ServeProcess::start_with(addr, &[], stderr)
    }

    /// `eva serve` with more flags, waited for until it listens.
    pub fn start_with(addr: &str, args: &[&str], stderr: Stdio) -> ServeProcess {
        ServeProcess::command(addr, Command::new(env!("CARGO_BIN_EXE_eva")), args, stderr)
    }

    /// `eva serve` run by `program` (such as `prlimit … --` with the `eva`
    /// binary as its last argument), waited for until it listens.
    pub fn command(addr: &str, mut program: Command, args: &[&str], stderr: Stdio) -> ServeProcess {
        let data = tempfile::tempdir().expect("temporary directory");
        let database = format!("sqlite://{}", data.path().join("eva.db").display());
        let process = ServeProcess {
            child: Some(
                program
                    .arg("serve")
                    .args(args)
                    .env("EVA_LISTEN", addr)
                    .env("EVA_DATABASE_URL", database)
                    .current_dir(root())
                    .stdout(Stdio::null())
                    .stderr(stderr)
                    .spawn()
                    .expect("eva serve starts"),
            ),
            _data: data,
        };
        wait_listening(addr);
        process
    }

    fn child(&mut self) -> &mut Child {
        self.child.as_mut().expect("the server runs")
    }

    pub fn pid(&mut self) -> u32 {
        self.child().id()
    }

    /// The server's stderr, when it was piped.
    pub fn stderr(&mut self) -> std::process::ChildStderr {
        self.child().stderr.take().expect("stderr is piped")
    }

    /// Sends SIGTERM, as a service manager stops the server.
    pub fn terminate(&mut self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
    }

    /// SIGKILL: the process ends at once, as in a crash or an OOM kill.
    pub fn kill(mut self) {
        let child = self.child.as_mut().expect("the server runs");
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        self.child = None;
    }

    /// Sends SIGTERM and waits up to `within` for the server to exit; see
    /// [`ServeProcess::wait`].
    pub fn stop(mut self, within: Duration) -> (std::process::ExitStatus, String) {
        self.terminate();
        self.wait(within)
    }

    /// Waits up to `within` for the server to exit; returns its exit status
    /// and, when it was piped, what it wrote to stderr.
    pub fn wait(mut self, within: Duration) -> (std::process::ExitStatus, String) {
        use std::io::Read;
        let mut child = self.child.take().expect("the server runs");
        let stderr = child.stderr.take().map(|mut s| {
            std::thread::spawn(move || {
                let mut out = String::new();
                let _ = s.read_to_string(&mut out);
                out
            })
        });
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("eva serve did not exit within {within:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let log = stderr
            .map(|t| t.join().expect("stderr reader"))
            .unwrap_or_default();
        (status, log)
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Whether python3 with grpcio is here; under CI it must be.
pub fn python_ready() -> bool {
    let ready = Command::new("python3")
        .args(["-c", "import grpc, grpc_reflection, grpc_health"])
        .status()
        .is_ok_and(|s| s.success());
    if !ready {
        skip(
            "python3 with grpcio, grpcio-reflection and grpcio-health-checking is missing (pip install grpcio grpcio-reflection grpcio-health-checking)",
        );
    }
    ready
}

/// Waits until something accepts connections on `addr`.
pub fn wait_listening(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "eva serve did not listen on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// CPU time (user and system) a process has used so far, from `/proc`.
pub fn cpu_time(pid: u32) -> Duration {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let ticks = *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    });
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // fields after the command name, which is in parentheses
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let used: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    Duration::from_millis(used * 1000 / ticks)
}

/// The text a server for [`slow_draft`] must accept, so that a draft can
/// be made slow enough to measure even in an optimised build.
pub const LARGE: usize = 32 << 20;

/// A draft whose assessment costs at least 300 ms by `measure` (wall or
/// CPU time), and that cost: the draft grows fourfold until it does.
pub async fn slow_draft<F, Fut>(mut measure: F) -> (pb::DraftDecision, Duration)
where
    F: FnMut(pb::DraftDecision) -> Fut,
    Fut: std::future::Future<Output = Duration>,
{
    let mut bytes = 200_000;
    loop {
        let draft = big_draft(bytes);
        let cost = measure(draft.clone()).await;
        if cost >= Duration::from_millis(300) || bytes * 4 > LARGE / 2 {
            return (draft, cost);
        }
        bytes *= 4;
    }
}

/// An assessment client of the server at `addr`, for messages of any size.
pub async fn client_at(addr: &str) -> AssessmentServiceClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connect");
    AssessmentServiceClient::new(channel)
        .max_decoding_message_size(usize::MAX)
        .max_encoding_message_size(usize::MAX)
}

/// A draft that costs the server process `pid` at least 300 ms of CPU,
/// and that cost; see [`slow_draft`].
pub async fn slow_draft_by_cpu(
    client: &AssessmentServiceClient<Channel>,
    pid: u32,
) -> (pb::DraftDecision, Duration) {
    slow_draft(|d| {
        let mut c = client.clone();
        async move {
            let before = cpu_time(pid);
            c.assess(request(d)).await.expect("assessed");
            cpu_time(pid) - before
        }
    })
    .await
}

/// A draft that takes the server behind `client` at least 300 ms of wall
/// time, and that time; see [`slow_draft`].
pub async fn slow_draft_by_wall(
    client: &AssessmentServiceClient<Channel>,
) -> (pb::DraftDecision, Duration) {
    slow_draft(|d| {
        let mut c = client.clone();
        async move {
            let started = Instant::now();
            c.assess(request(d)).await.expect("assessed");
            started.elapsed()
        }
    })
    .await
}

/// Sends `request` on an open stream and waits for its response.
pub async fn round_trip(
    tx: &tokio::sync::mpsc::Sender<pb::AssessRequest>,
    responses: &mut tonic::Streaming<pb::AssessResponse>,
    request: pb::AssessRequest,
) -> pb::AssessResponse {
    tx.send(request).await.expect("send");
    responses
        .message()
        .await
        .expect("a response")
        .expect("the stream goes on")
}

/// An assess request for `draft`, with nothing else.
pub fn request(draft: pb::DraftDecision) -> pb::AssessRequest {
    pb::AssessRequest {
        draft: Some(draft),
        ..Default::default()
    }
}

/// An open `AssessStream`: the sender of its requests and its responses.
pub async fn open_stream(
    client: &mut AssessmentServiceClient<Channel>,
) -> (
    tokio::sync::mpsc::Sender<pb::AssessRequest>,
    tonic::Streaming<pb::AssessResponse>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let responses = client
        .assess_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .expect("stream")
        .into_inner();
    (tx, responses)
}

/// A valid Finnish draft of about `bytes` bytes of text in at most 200
/// sections: a school closure whose reasoning goes on and on.
pub fn big_draft(bytes: usize) -> pb::DraftDecision {
    let mut draft = fixture("school_closure.json");
    let paragraph = "Oppilasmäärä on laskenut ja koulumatkat pitenevät noin 12 kilometriä. \
        Koulukuljetus järjestetään, ja päiväkodin sekä kirjaston aukioloajat muuttuvat. \
        Lasten ja nuorten näkemykset on selvitetty kyselyllä, ja asukkaita on kuultu. ";
    let sections = 200usize.min(bytes / 1000).max(1);
    let per_section = bytes / sections;
    let text = paragraph.repeat(per_section / paragraph.len() + 1);
    let mut end = per_section.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    while draft.sections.len() < sections {
        draft.sections.push(pb::Section {
            kind: pb::SectionKind::Reasoning as i32,
            heading: "Perustelut".into(),
            text: text.to_string(),
        });
    }
    draft
}

/// Asserts that a process succeeded, showing its stderr when it did not.
pub fn succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// HTTP/2 without a gRPC client on top, for clients that misbehave.
pub mod raw {
    use bytes::Bytes;

    /// An HTTP/2 connection to `addr`; its driver runs in the background.
    pub async fn connect(addr: std::net::SocketAddr) -> h2::client::SendRequest<Bytes> {
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (client, connection) = h2::client::handshake(tcp).await.expect("handshake");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }

    /// The headers of a gRPC call to `method` (`/eva.v1.AssessmentService/Assess`).
    pub fn request(addr: std::net::SocketAddr, method: &str) -> http::Request<()> {
        http::Request::builder()
            .method("POST")
            .uri(format!("http://{addr}{method}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .expect("request")
    }

    /// `message` framed as one gRPC message.
    pub fn frame(message: &[u8]) -> Bytes {
        let mut out = Vec::with_capacity(message.len() + 5);
        out.push(0);
        out.extend_from_slice(&(message.len() as u32).to_be_bytes());
        out.extend_from_slice(message);
        Bytes::from(out)
    }

    /// Sends one whole call and returns its `grpc-status` and `grpc-message`.
    pub async fn call(
        client: &mut h2::client::SendRequest<Bytes>,
        addr: std::net::SocketAddr,
        method: &str,
        body: Bytes,
    ) -> (i32, String) {
        call_with(client, addr, method, body, None).await
    }

    /// As [`call`], with a `grpc-timeout` that, unlike a gRPC client's, only
    /// the server enforces.
    pub async fn call_with(
        client: &mut h2::client::SendRequest<Bytes>,
        addr: std::net::SocketAddr,
        method: &str,
        body: Bytes,
        timeout: Option<std::time::Duration>,
    ) -> (i32, String) {
        let mut headers = request(addr, method);
        if let Some(t) = timeout {
            let value =
                http::HeaderValue::from_str(&format!("{}m", t.as_millis().max(1))).expect("header");
            headers.headers_mut().insert("grpc-timeout", value);
        }
        let mut ready = client.clone().ready().await.expect("ready");
        let (response, mut send) = ready.send_request(headers, false).expect("send");
        send.send_data(body, true).expect("data");
        let response = response.await.expect("response");
        let status = |h: &http::HeaderMap| {
            h.get("grpc-status")
                .map(|v| v.to_str().unwrap_or("").parse::<i32>().unwrap_or(-1))
        };
        let message = |h: &http::HeaderMap| {
            h.get("grpc-message")
                .map(|v| v.to_str().unwrap_or("").to_string())
                .unwrap_or_default()
        };
        if let Some(code) = status(response.headers()) {
            return (code, message(response.headers()));
        }
        let mut body = response.into_body();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.expect("data");
            let _ = body.flow_control().release_capacity(chunk.len());
        }
        let trailers = body.trailers().await.expect("trailers").unwrap_or_default();
        (status(&trailers).unwrap_or(-1), message(&trailers))
    }
}

/// What the server at `server` says of its bundle.
pub async fn bundle_info(server: &TestServer) -> pb::BundleInfo {
    eva::api::pb::rule_service_client::RuleServiceClient::new(server.channel().await)
        .get_bundle_info(pb::GetBundleInfoRequest {})
        .await
        .expect("bundle info")
        .into_inner()
}

/// Where the tests' PostgreSQL is: `DATABASE_URL`, or a throwaway
/// container when a Docker engine is reachable (kept alive by the
/// returned value). `None` (and a visible skip, a failure under CI) when
/// there is neither.
pub async fn postgres_target() -> Option<PostgresTarget> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(PostgresTarget {
            url,
            _container: None,
        }),
        _ if docker_reachable() => {
            use testcontainers_modules::testcontainers::ImageExt;
            use testcontainers_modules::testcontainers::runners::AsyncRunner;
            let container = testcontainers_modules::postgres::Postgres::default()
                .with_tag("16-alpine")
                .start()
                .await
                .expect("a PostgreSQL container starts");
            let port = container
                .get_host_port_ipv4(5432)
                .await
                .expect("the container's port");
            Some(PostgresTarget {
                url: format!("postgres://postgres:postgres@127.0.0.1:{port}/postgres"),
                _container: Some(Box::new(container)),
            })
        }
        _ => {
            skip("no PostgreSQL: set DATABASE_URL, or run a Docker engine for testcontainers");
            None
        }
    }
}

/// A PostgreSQL server for tests.
pub struct PostgresTarget {
    pub url: String,
    _container: Option<
        Box<
            testcontainers_modules::testcontainers::ContainerAsync<
                testcontainers_modules::postgres::Postgres,
            >,
        >,
    >,
}

impl PostgresTarget {
    /// A fresh schema and the connection options that use it.
    pub async fn schema(&self) -> (sqlx::postgres::PgConnectOptions, PostgresGuard) {
        use std::str::FromStr;
        let schema = format!("eva_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&self.url)
            .await
            .expect("PostgreSQL at DATABASE_URL answers");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .expect("a schema of the test's own");
        let options = sqlx::postgres::PgConnectOptions::from_str(&self.url)
            .expect("DATABASE_URL")
            .options([("search_path", schema.as_str())]);
        (options, PostgresGuard { admin, schema })
    }

    /// A URL of this PostgreSQL that uses `schema`, for an `eva` process.
    pub fn url_in(&self, schema: &str) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}options[search_path]={schema}", self.url)
    }
}

/// A PostgreSQL store of its own for one test, in a fresh schema.
pub async fn postgres_store() -> Option<(Arc<dyn eva::store::Store>, PostgresGuard, PostgresTarget)>
{
    let target = postgres_target().await?;
    let (options, guard) = target.schema().await;
    let store = eva::store::PostgresStore::open_with(options)
        .await
        .expect("PostgreSQL store opens");
    Some((Arc::new(store), guard, target))
}

/// A server keeping its assessments in a PostgreSQL schema of its own,
/// the guard that drops the schema and the PostgreSQL it is in; `None`
/// without PostgreSQL (a visible skip, a failure under CI).
pub async fn postgres_server() -> Option<(TestServer, PostgresGuard, PostgresTarget)> {
    let (store, guard, target) = postgres_store().await?;
    let server = TestServer::start_store(core(), store, ServerLimits::default()).await;
    Some((server, guard, target))
}

/// Drops a test's schema at [`PostgresGuard::drop_schema`].
pub struct PostgresGuard {
    admin: sqlx::PgPool,
    pub schema: String,
}

impl PostgresGuard {
    /// A connection to the test's schema, for what the service never does.
    pub fn admin(&self) -> &sqlx::PgPool {
        &self.admin
    }

    pub async fn drop_schema(self) {
        let _ = sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.schema))
            .execute(&self.admin)
            .await;
    }
}

fn docker_reachable() -> bool {
    std::env::var_os("DOCKER_HOST").is_some()
        || std::path::Path::new("/var/run/docker.sock").exists()
}

/// A TCP forwarder to a database that a test can cut and restore, as a
/// network or a database server fails and comes back.
pub struct Proxy {
    pub port: u16,
    target: std::net::SocketAddr,
    running: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Proxy {
    /// A forwarder on a free loopback port to `target`, up unless `cut`.
    pub async fn start(target: std::net::SocketAddr, cut: bool) -> Proxy {
        let proxy = Proxy {
            port: free_port(),
            target,
            running: std::sync::Mutex::new(None),
        };
        if !cut {
            proxy.restore();
        }
        proxy
    }

    /// Closes the port and every connection through it: connecting is
    /// refused until [`Proxy::restore`].
    pub fn cut(&self) {
        if let Some(task) = self.running.lock().unwrap().take() {
            task.abort();
        }
    }

    /// Listens and forwards again.
    pub fn restore(&self) {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        socket
            .bind(([127, 0, 0, 1], self.port).into())
            .expect("the proxy's port");
        let listener = socket.listen(64).expect("listen");
        let target = self.target;
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        *self.running.lock().unwrap() = Some(task);
    }
}
