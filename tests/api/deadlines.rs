//! Deadlines: a call gets the shorter of the server's request timeout and
//! the client's `grpc-timeout`, counted from its arrival (waiting for a slot
//! counts), is answered DEADLINE_EXCEEDED when it passes, and the work
//! behind it stops. Checks count CPU time and compare orders of magnitude,
//! never a tight wall-clock figure.

use std::process::Stdio;
use std::time::Duration;

use eva::api::pb;
use tonic::Code;

use crate::helpers::{
    LARGE, ServeProcess, TestServer, big_draft, client_at, core_with, cpu_time, free_port,
    large_text, raw, slow_draft_by_cpu, slow_draft_by_wall,
};

const ASSESS: &str = "/eva.v1.AssessmentService/Assess";

/// The status the server answers a call with `timeout` as its grpc-timeout.
async fn server_status(
    addr: std::net::SocketAddr,
    draft: pb::DraftDecision,
    timeout: Duration,
) -> (i32, String) {
    use prost::Message;
    let mut h2 = raw::connect(addr).await;
    let body = pb::AssessRequest {
        draft: Some(draft),
        ..Default::default()
    }
    .encode_to_vec();
    raw::call_with(&mut h2, addr, ASSESS, raw::frame(&body), Some(timeout)).await
}

fn request(
    draft: pb::DraftDecision,
    timeout: Option<Duration>,
) -> tonic::Request<pb::AssessRequest> {
    let mut r = tonic::Request::new(pb::AssessRequest {
        draft: Some(draft),
        ..Default::default()
    });
    if let Some(t) = timeout {
        r.set_timeout(t);
    }
    r
}

#[test]
fn a_call_past_its_deadline_is_answered_and_its_work_stops() {
    let addr = format!("127.0.0.1:{}", free_port());
    let large = LARGE.to_string();
    let mut server = ServeProcess::start_with(
        &addr,
        &["--max-concurrent-requests", "4", "--max-text-bytes", &large],
        Stdio::null(),
    );
    let pid = server.pid();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let client = client_at(&addr).await;
        let (draft, cost) = slow_draft_by_cpu(&client, pid).await;
        let before = cpu_time(pid);
        let addr: std::net::SocketAddr = addr.parse().expect("addr");
        let calls: Vec<_> = (0..4)
            .map(|_| tokio::spawn(server_status(addr, draft.clone(), cost / 4)))
            .collect();
        for call in calls {
            let (code, message) = call.await.expect("joined");
            assert_eq!(code, Code::DeadlineExceeded as i32, "{message}");
        }
        // time for work that went on unseen to show in the CPU count: four
        // whole assessments on two cores would take two costs
        tokio::time::sleep(cost * 2 + Duration::from_millis(500)).await;
        let used = cpu_time(pid) - before;
        assert!(
            used < cost * 2,
            "four calls stopped at a quarter of their work used {used:?} of CPU; one whole call costs {cost:?}"
        );
    });
}

#[tokio::test]
async fn waiting_for_a_slot_counts_against_the_deadline() {
    let (limits, mut server_limits) = large_text(LARGE);
    server_limits.calls.max_concurrent_assessments = 1;
    let server = TestServer::start_core(core_with(limits), server_limits).await;
    let client = server.client().await;
    let (draft, cost) = slow_draft_by_wall(&client).await;
    let busy: Vec<_> = (0..3)
        .map(|_| {
            let mut c = client.clone();
            let r = request(draft.clone(), None);
            tokio::spawn(async move { c.assess(r).await })
        })
        .collect();
    tokio::time::sleep(cost / 3).await;
    let (code, message) = server_status(server.addr, big_draft(2_000), cost / 3).await;
    assert_eq!(code, Code::DeadlineExceeded as i32);
    assert!(
        message.starts_with("every%20assessment%20slot%20stayed%20busy"),
        "{message}"
    );
    assert!(
        !busy.iter().all(|b| b.is_finished()),
        "the busy calls ended before the waiting one gave up"
    );
    for b in busy {
        b.await
            .expect("joined")
            .expect("the busy calls are assessed");
    }
}

#[tokio::test]
async fn the_shorter_of_the_servers_and_the_clients_deadline_applies() {
    let (limits, server_limits) = large_text(LARGE);
    let calibration = TestServer::start_core(core_with(limits), server_limits).await;
    let mut client = calibration.client().await;
    let (draft, cost) = slow_draft_by_wall(&client).await;

    // the server's timeout is the shorter: the client's long one does not extend it
    let mut short = server_limits;
    short.calls.request_timeout = cost / 4;
    let server = TestServer::start_core(core_with(limits), short).await;
    let status = server
        .client()
        .await
        .assess(request(draft.clone(), Some(Duration::from_secs(600))))
        .await
        .expect_err("past the server's timeout");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");

    // the client's is the shorter
    let (code, message) = server_status(calibration.addr, draft.clone(), cost / 4).await;
    assert_eq!(code, Code::DeadlineExceeded as i32, "{message}");

    // both long enough
    client
        .assess(request(draft, Some(Duration::from_secs(600))))
        .await
        .expect("assessed in time");
}
