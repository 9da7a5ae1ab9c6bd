//! `AssessStream` under the same limits as a unary call: each item waits
//! for an assessment slot and has the request timeout from its arrival, the
//! client's deadline bounds the whole stream, and an idle stream is closed.

use std::process::Stdio;
use std::time::{Duration, Instant};

use eva::api::pb;
use eva::api::pb::assessment_service_client::AssessmentServiceClient;
use tonic::Code;
use tonic::transport::Channel;

use crate::helpers::{
    LARGE, ServeProcess, TestServer, client_at, core_with, cpu_time, fixture, free_port,
    large_text, open_stream, raw, request, round_trip, slow_draft_by_cpu, slow_draft_by_wall,
};

/// Sends `requests` on one stream and collects the answers.
async fn stream(
    mut client: AssessmentServiceClient<Channel>,
    requests: Vec<pb::AssessRequest>,
) -> Result<usize, tonic::Status> {
    let mut responses = client
        .assess_stream(tokio_stream::iter(requests))
        .await?
        .into_inner();
    let mut n = 0;
    while responses.message().await?.is_some() {
        n += 1;
    }
    Ok(n)
}

#[test]
fn streamed_items_share_the_assessment_slots() {
    let addr = format!("127.0.0.1:{}", free_port());
    let large = LARGE.to_string();
    let mut server = ServeProcess::start_with(
        &addr,
        &["--max-concurrent-requests", "1", "--max-text-bytes", &large],
        Stdio::null(),
    );
    let pid = server.pid();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let client = client_at(&addr).await;
        let (draft, _) = slow_draft_by_cpu(&client, pid).await;
        let (cpu, wall) = (cpu_time(pid), Instant::now());
        let streams: Vec<_> = (0..3)
            .map(|_| {
                let items = vec![request(draft.clone()), request(draft.clone())];
                tokio::spawn(stream(client.clone(), items))
            })
            .collect();
        for s in streams {
            assert_eq!(s.await.expect("joined").expect("streamed"), 2);
        }
        let (cpu, wall) = (cpu_time(pid) - cpu, wall.elapsed());
        // one slot: one core busy at a time, however many streams
        let cores = cpu.as_secs_f64() / wall.as_secs_f64();
        assert!(
            cores < 1.35,
            "six streamed items under one slot kept {cores:.2} cores busy ({cpu:?} of CPU in {wall:?})"
        );
    });
}

#[tokio::test]
async fn each_streamed_item_has_the_request_timeout_from_its_arrival() {
    let (limits, server_limits) = large_text(LARGE);
    let calibration = TestServer::start_core(core_with(limits), server_limits).await;
    let (draft, cost) = slow_draft_by_wall(&calibration.client().await).await;
    let mut short = server_limits;
    short.calls.request_timeout = cost / 4;
    let server = TestServer::start_core(core_with(limits), short).await;

    // small items spread over more than the request timeout are all served
    let (tx, mut responses) = open_stream(&mut server.client().await).await;
    let started = Instant::now();
    for _ in 0..4 {
        round_trip(&tx, &mut responses, request(fixture("zoning.json"))).await;
        tokio::time::sleep(cost / 8).await;
    }
    assert!(started.elapsed() > cost / 4);

    // an item that needs longer than the timeout ends the stream
    tx.send(request(draft)).await.expect("send");
    let status = responses.message().await.expect_err("past the timeout");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
}

#[tokio::test]
async fn an_idle_stream_is_closed_after_the_idle_timeout() {
    let mut limits = eva::app::ServerLimits::default();
    limits.calls.stream_idle_timeout = Duration::from_millis(300);
    let server = TestServer::start_with(limits).await;
    let (_tx, mut responses) = open_stream(&mut server.client().await).await;
    let status = tokio::time::timeout(Duration::from_secs(20), responses.message())
        .await
        .expect("closed by the server")
        .expect_err("closed with a status");
    assert_eq!(status.code(), Code::DeadlineExceeded);
    assert_eq!(
        status.message(),
        "no request arrived on the stream for 0.3 s; the stream is closed, open a new one"
    );
}

#[tokio::test]
async fn a_stream_ends_at_the_clients_deadline() {
    let server = TestServer::start().await;
    let h2 = raw::connect(server.addr).await;
    let mut ready = h2.ready().await.expect("ready");
    let mut headers = raw::request(server.addr, "/eva.v1.AssessmentService/AssessStream");
    headers
        .headers_mut()
        .insert("grpc-timeout", http::HeaderValue::from_static("300m"));
    // the request stream stays open and sends nothing
    let (response, _send) = ready.send_request(headers, false).expect("send");
    let response = tokio::time::timeout(Duration::from_secs(20), async {
        let response = response.await.expect("response");
        let mut body = response.into_body();
        while let Some(chunk) = body.data().await {
            chunk.expect("data");
        }
        body.trailers().await.expect("trailers").unwrap_or_default()
    })
    .await
    .expect("ended by the server");
    assert_eq!(response["grpc-status"], "4");
}
