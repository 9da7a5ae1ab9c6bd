//! SIGTERM: the server stops accepting, reports NOT_SERVING, lets calls in
//! progress finish for the grace period, then closes what is left and exits
//! 0, whatever clients keep open.

use std::process::Stdio;
use std::time::Duration;

use eva::api::pb::assessment_service_client::AssessmentServiceClient;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::helpers::{ServeProcess, fixture, free_port, open_stream, raw, request, round_trip};

#[test]
fn idle_connections_and_open_streams_are_closed_after_the_grace_period() {
    let addr = format!("127.0.0.1:{}", free_port());
    let server = ServeProcess::start_with(&addr, &["--shutdown-grace-secs", "1"], Stdio::piped());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (_idle, _stream) = runtime.block_on(async {
        // a connection that never speaks
        let idle = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        // a stream that stays open and sends nothing
        let h2 = raw::connect(addr.parse().expect("addr")).await;
        let mut ready = h2.ready().await.expect("ready");
        let headers = raw::request(
            addr.parse().expect("addr"),
            "/eva.v1.AssessmentService/AssessStream",
        );
        let (response, send) = ready.send_request(headers, false).expect("send");
        let response = response.await.expect("response headers");
        (idle, (ready, send, response))
    });
    let (status, log) = server.stop(Duration::from_secs(30));
    assert!(status.success(), "exit status {status:?}\n{log}");
    assert!(
        log.contains("closing the connections still open after the grace period"),
        "{log}"
    );
}

#[test]
fn a_call_in_progress_finishes_during_the_grace_period() {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut server =
        ServeProcess::start_with(&addr, &["--shutdown-grace-secs", "60"], Stdio::piped());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let channel = runtime.block_on(async {
        Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect()
            .await
            .expect("connect")
    });
    let (tx, mut responses, mut watch) = runtime.block_on(async {
        let mut client = AssessmentServiceClient::new(channel.clone());
        let (tx, mut responses) = open_stream(&mut client).await;
        round_trip(&tx, &mut responses, request(fixture("zoning.json"))).await;
        // as a load balancer watches the service's health
        let mut watch = HealthClient::new(channel)
            .watch(tonic_health::pb::HealthCheckRequest {
                service: "eva.v1.AssessmentService".into(),
            })
            .await
            .expect("watch")
            .into_inner();
        let serving = watch.message().await.expect("health").expect("status");
        assert_eq!(serving.status, ServingStatus::Serving as i32);
        (tx, responses, watch)
    });
    server.terminate();
    runtime.block_on(async {
        let status = watch.message().await.expect("health").expect("status");
        assert_eq!(status.status, ServingStatus::NotServing as i32);
        drop(watch);
        // the stream open before the signal is still served
        round_trip(&tx, &mut responses, request(fixture("school_closure.json"))).await;
        drop(tx);
        assert!(responses.message().await.expect("ended").is_none());
    });
    // the last call is done: the server exits long before its 60 s of grace
    let (status, log) = server.wait(Duration::from_secs(30));
    assert!(status.success(), "exit status {status:?}\n{log}");
    assert!(!log.contains("closing the connections still open"), "{log}");
}
