//! A small load test: while one caller floods the server with every kind
//! of bad request at once, a normal client keeps being served. Bounded in
//! count (the normal client's 20 calls) and in time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use eva::api::pb;
use eva::app::ServerLimits;
use prost::Message;
use tokio::io::AsyncWriteExt;
use tonic::Code;

use crate::helpers::{TestServer, big_draft, fixture, raw, request};

const ASSESS: &str = "/eva.v1.AssessmentService/Assess";

/// Repeats `attack` until `stop`, counting rounds.
fn flood<F, Fut>(
    stop: &Arc<AtomicBool>,
    rounds: &Arc<AtomicUsize>,
    attack: F,
) -> tokio::task::JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let (stop, rounds) = (stop.clone(), rounds.clone());
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            attack().await;
            rounds.fetch_add(1, Ordering::Relaxed);
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_normal_client_is_served_while_another_floods_the_server() {
    let mut limits = ServerLimits::default();
    limits.calls.max_concurrent_assessments = 4;
    limits.calls.stream_idle_timeout = Duration::from_secs(2);
    limits.connections.handshake_timeout = Duration::from_secs(1);
    let server = TestServer::start_with(limits).await;
    let addr = server.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let mut floods = Vec::new();

    // a million bad values, and a draft with 264 problems
    let client = server.client().await;
    floods.push(flood(&stop, &rounds, move || {
        let mut c = client.clone();
        async move {
            let status = c
                .assess(pb::AssessRequest {
                    draft: Some(fixture("zoning.json")),
                    render_formats: vec![99; 1_000_000],
                    ..Default::default()
                })
                .await
                .expect_err("refused");
            assert_eq!(status.code(), Code::InvalidArgument);
        }
    }));
    // messages over the size limit
    let client = server.client().await;
    floods.push(flood(&stop, &rounds, move || {
        let mut c = client.clone();
        async move {
            let mut draft = fixture("zoning.json");
            draft.sections[0].text = "x".repeat(5 << 20);
            let status = c.assess(request(draft)).await.expect_err("refused");
            assert_eq!(status.code(), Code::OutOfRange);
        }
    }));
    // undecodable protobuf
    floods.push(flood(&stop, &rounds, move || async move {
        let mut h2 = raw::connect(addr).await;
        let (code, _) = raw::call(&mut h2, addr, ASSESS, raw::frame(&[0xff; 256])).await;
        assert_eq!(code, Code::Internal as i32);
    }));
    // large drafts with deadlines too short to meet
    let body = raw::frame(&request(big_draft(900_000)).encode_to_vec());
    floods.push(flood(&stop, &rounds, move || {
        let body = body.clone();
        async move {
            let mut h2 = raw::connect(addr).await;
            let (code, _) =
                raw::call_with(&mut h2, addr, ASSESS, body, Some(Duration::from_millis(5))).await;
            assert_eq!(code, Code::DeadlineExceeded as i32);
        }
    }));
    // connections that never speak, uploads that stall, streams that idle
    floods.push(flood(&stop, &rounds, move || async move {
        let mut silent = Vec::new();
        for _ in 0..20 {
            if let Ok(s) = tokio::net::TcpStream::connect(addr).await {
                silent.push(s);
            }
        }
        let h2 = raw::connect(addr).await;
        let mut held = Vec::new();
        for method in [ASSESS, "/eva.v1.AssessmentService/AssessStream"] {
            for _ in 0..5 {
                let mut ready = h2.clone().ready().await.expect("ready");
                let (response, mut send) = ready
                    .send_request(raw::request(addr, method), false)
                    .expect("send");
                let _ = send.send_data(vec![0u8, 0, 0, 0x03, 0xe8, 1, 2, 3].into(), false);
                held.push((response, send));
            }
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        for s in &mut silent {
            let _ = s.shutdown().await;
        }
    }));

    let normal = tokio::time::timeout(Duration::from_secs(120), async {
        let mut client = server.client().await;
        for i in 0..20 {
            let mut r = tonic::Request::new(request(fixture("school_closure.json")));
            r.set_timeout(Duration::from_secs(30));
            let a = client
                .assess(r)
                .await
                .unwrap_or_else(|s| panic!("normal call {i} failed under the flood: {s:?}"));
            assert!(a.into_inner().assessment.is_some());
        }
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    normal.expect("the normal client was served within two minutes");
    for f in floods {
        tokio::time::timeout(Duration::from_secs(60), f)
            .await
            .expect("the flood stops")
            .expect("every bad request got the answer it should");
    }
    assert!(rounds.load(Ordering::Relaxed) >= 5, "the flood hardly ran");
}
