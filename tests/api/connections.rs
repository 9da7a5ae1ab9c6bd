//! Connections within limits: a silent connection is closed after the
//! handshake timeout, an idle one after the idle timeout, a peer that stops
//! answering pings after the keep-alive timeout; over the connection limit
//! clients wait until one closes; running out of file descriptors makes the
//! server back off, not spin; a stalled upload holds no assessment slot.

use std::process::{Command, Stdio};
use std::time::Duration;

use eva::api::pb;
use eva::app::ServerLimits;
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;

use crate::helpers::{ServeProcess, TestServer, cpu_time, fixture, free_port, raw, request};

/// The HTTP/2 client preface and an empty SETTINGS frame.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

/// Reads until the server closes the connection; panics if it does not
/// within 20 s.
async fn closed_by_server(socket: &mut tokio::net::TcpStream) {
    let mut buf = vec![0u8; 4096];
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("the server closed the connection");
}

#[tokio::test]
async fn a_connection_that_sends_no_preface_is_closed_after_the_handshake_timeout() {
    let mut limits = ServerLimits::default();
    limits.connections.handshake_timeout = Duration::from_millis(300);
    let server = TestServer::start_with(limits).await;
    let mut socket = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    closed_by_server(&mut socket).await;
}

#[tokio::test]
async fn a_connection_without_calls_is_closed_after_the_idle_timeout() {
    let mut limits = ServerLimits::default();
    limits.connections.idle_timeout = Duration::from_millis(500);
    let server = TestServer::start_with(limits).await;
    let tcp = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let (mut client, connection) = h2::client::handshake(tcp).await.expect("handshake");
    let connection = tokio::spawn(connection);
    let body = raw::frame(&request(fixture("zoning.json")).encode_to_vec());
    let (code, _) = raw::call(
        &mut client,
        server.addr,
        "/eva.v1.AssessmentService/Assess",
        body,
    )
    .await;
    assert_eq!(code, 0);
    tokio::time::timeout(Duration::from_secs(20), connection)
        .await
        .expect("the server closed the idle connection")
        .expect("joined")
        .expect("closed with GOAWAY, not an error");
}

#[tokio::test]
async fn a_peer_that_stops_answering_pings_is_closed() {
    let mut limits = ServerLimits::default();
    limits.connections.keepalive_interval = Duration::from_millis(200);
    limits.connections.keepalive_timeout = Duration::from_millis(200);
    let server = TestServer::start_with(limits).await;
    let mut socket = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    socket.write_all(PREFACE).await.expect("preface");
    // then never read, so no ping is ever answered
    tokio::time::sleep(Duration::from_secs(1)).await;
    closed_by_server(&mut socket).await;
}

#[tokio::test]
async fn clients_over_the_connection_limit_wait_until_one_closes() {
    let mut limits = ServerLimits::default();
    limits.connections.max_connections = 2;
    let server = TestServer::start_with(limits).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut socket = tokio::net::TcpStream::connect(server.addr)
            .await
            .expect("connect");
        socket.write_all(PREFACE).await.expect("preface");
        held.push(socket);
    }
    let call = |timeout| async move {
        let channel = tonic::transport::Channel::from_shared(format!("http://{}", server.addr))
            .expect("uri")
            .connect_timeout(timeout)
            .timeout(timeout)
            .connect_lazy();
        pb::assessment_service_client::AssessmentServiceClient::new(channel)
            .assess(request(fixture("zoning.json")))
            .await
    };
    let refused = call(Duration::from_millis(500)).await;
    assert!(refused.is_err(), "a third connection was served");
    held.pop();
    call(Duration::from_secs(20))
        .await
        .expect("served once a connection closed");
}

#[tokio::test]
async fn a_stalled_upload_holds_no_assessment_slot() {
    let mut limits = ServerLimits::default();
    limits.calls.max_concurrent_assessments = 1;
    limits.calls.request_timeout = Duration::from_millis(800);
    let server = TestServer::start_with(limits).await;
    let h2 = raw::connect(server.addr).await;
    let mut ready = h2.ready().await.expect("ready");
    let (stalled, mut send) = ready
        .send_request(
            raw::request(server.addr, "/eva.v1.AssessmentService/Assess"),
            false,
        )
        .expect("send");
    // a message header promising 1000 bytes, then 10 of them
    let mut partial = vec![0u8, 0, 0, 0x03, 0xe8];
    partial.extend_from_slice(&[0x0a; 10]);
    send.send_data(partial.into(), false).expect("data");
    let a = server
        .client()
        .await
        .assess(request(fixture("zoning.json")))
        .await;
    assert!(
        a.is_ok(),
        "the only slot was held by a stalled upload: {a:?}"
    );
    let response = stalled.await.expect("answered");
    let code = response
        .headers()
        .get("grpc-status")
        .map(|v| v.to_str().unwrap_or("").to_string());
    assert_eq!(code.as_deref(), Some("4"), "{response:?}");
}

#[test]
fn out_of_file_descriptors_the_server_backs_off_instead_of_spinning() {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut prlimit = Command::new("prlimit");
    prlimit
        .args(["--nofile=48:48", "--"])
        .arg(env!("CARGO_BIN_EXE_eva"));
    let mut server = ServeProcess::command(&addr, prlimit, &[], Stdio::null());
    let pid = server.pid();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut idle = Vec::new();
        for _ in 0..80 {
            idle.push(
                tokio::net::TcpStream::connect(&addr)
                    .await
                    .expect("connect"),
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = cpu_time(pid);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let used = cpu_time(pid) - before;
        assert!(
            used < Duration::from_millis(500),
            "the server used {used:?} of CPU in 2 s with no file descriptors left"
        );
        drop(idle);
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .timeout(Duration::from_secs(30));
        let status = pb::assessment_service_client::AssessmentServiceClient::new(
            channel.connect().await.expect("connect"),
        )
        .assess(request(fixture("zoning.json")))
        .await
        .map(|_| Code::Ok)
        .unwrap_or_else(|s| s.code());
        assert_eq!(status, Code::Ok, "a real client is served again");
    });
}
