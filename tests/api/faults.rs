//! The database failing under a running server, and down when it starts:
//! calls that need it are UNAVAILABLE with a message free of SQL and
//! connection strings, health says NOT_SERVING, and the server recovers by
//! itself when the database returns. PostgreSQL behind a proxy the test
//! cuts and restores.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eva::api::pb;
use eva::app::ServerLimits;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::helpers::{Proxy, TestServer, core, fixture, postgres_target, request};

const SERVICE: &str = "eva.v1.AssessmentService";

async fn status(server: &TestServer, service: &str) -> ServingStatus {
    let mut health = HealthClient::new(server.channel().await);
    match health
        .check(tonic_health::pb::HealthCheckRequest {
            service: service.into(),
        })
        .await
    {
        Ok(r) => r.into_inner().status(),
        Err(_) => ServingStatus::Unknown,
    }
}

/// Waits up to `within` for `service` to report `want`.
async fn wait_for(server: &TestServer, service: &str, want: ServingStatus, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let now = status(server, service).await;
        if now == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{service} stayed {now:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn clean(status: &tonic::Status) {
    let m = status.message();
    for leak in ["postgres://", "SELECT", "INSERT", "127.0.0.1", "password"] {
        assert!(!m.contains(leak), "the message shows `{leak}`: {m}");
    }
}

/// A server on a PostgreSQL schema of its own reached through a proxy.
async fn behind_proxy(
    cut: bool,
) -> Option<(
    TestServer,
    Proxy,
    crate::helpers::PostgresGuard,
    crate::helpers::PostgresTarget,
)> {
    let target = postgres_target().await?;
    let (options, guard) = target.schema().await;
    let addr = tokio::net::lookup_host((options.get_host(), options.get_port()))
        .await
        .expect("the database's address")
        .next()
        .expect("an address");
    let proxy = Proxy::start(addr, cut).await;
    let options = options.host("127.0.0.1").port(proxy.port);
    let store = eva::store::PostgresStore::open_with(options)
        .await
        .expect("a store opens even while the database cannot be reached");
    let server = TestServer::start_store(core(), Arc::new(store), ServerLimits::default()).await;
    Some((server, proxy, guard, target))
}

#[tokio::test]
async fn the_database_going_away_is_unavailable_and_the_server_recovers() {
    let Some((server, proxy, guard, _target)) = behind_proxy(false).await else {
        return;
    };
    let mut client = server.client().await;
    client
        .assess(request(fixture("school_closure.json")))
        .await
        .expect("assessed while the database answers");
    assert_eq!(status(&server, SERVICE).await, ServingStatus::Serving);

    proxy.cut();
    let failed = client
        .assess(request(fixture("school_closure.json")))
        .await
        .expect_err("nowhere to store it");
    assert_eq!(failed.code(), Code::Unavailable, "{failed:?}");
    clean(&failed);
    let read = client
        .list_assessments(pb::ListAssessmentsRequest {
            tenant: "167".into(),
            ..Default::default()
        })
        .await
        .expect_err("nowhere to read from");
    assert_eq!(read.code(), Code::Unavailable);
    clean(&read);
    wait_for(
        &server,
        SERVICE,
        ServingStatus::NotServing,
        Duration::from_secs(20),
    )
    .await;
    // what needs no database still works
    assert_eq!(
        status(&server, "eva.v1.RuleService").await,
        ServingStatus::Serving
    );

    proxy.restore();
    wait_for(
        &server,
        SERVICE,
        ServingStatus::Serving,
        Duration::from_secs(20),
    )
    .await;
    let made = client
        .assess(request(fixture("school_closure.json")))
        .await
        .expect("assessed again once the database is back")
        .into_inner();
    assert!(made.assessment.is_some());
    drop(server);
    guard.drop_schema().await;
}

#[tokio::test]
async fn a_database_down_at_start_is_unavailable_until_it_comes() {
    let Some((server, proxy, guard, _target)) = behind_proxy(true).await else {
        return;
    };
    assert_eq!(status(&server, SERVICE).await, ServingStatus::NotServing);
    let mut client = server.client().await;
    let failed = client
        .assess(request(fixture("school_closure.json")))
        .await
        .expect_err("no database yet");
    assert_eq!(failed.code(), Code::Unavailable);
    clean(&failed);

    proxy.restore();
    wait_for(
        &server,
        SERVICE,
        ServingStatus::Serving,
        Duration::from_secs(20),
    )
    .await;
    // the schema was made on the first call that reached the database
    let made = client
        .assess(request(fixture("school_closure.json")))
        .await
        .expect("assessed")
        .into_inner();
    let id = made.assessment.unwrap().id;
    client
        .get_assessment(pb::GetAssessmentRequest {
            tenant: "167".into(),
            id,
            revision: None,
        })
        .await
        .expect("stored");
    drop(server);
    guard.drop_schema().await;
}
