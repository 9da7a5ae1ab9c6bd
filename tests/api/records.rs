//! Stored assessments through the gRPC API: every Assess is kept and can be
//! fetched, listed and followed by revision, per tenant; request_id is an
//! idempotency key; every action is in the audit log.

use std::collections::BTreeSet;
use std::sync::Arc;

use eva::api::pb;
use eva::api::pb::assessment_service_client::AssessmentServiceClient;
use eva::store::{AuditAction, Store};
use time::macros::datetime;
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;

use crate::helpers::{TestServer, fixture, postgres_server, request};

fn keyed(draft: pb::DraftDecision, key: &str) -> pb::AssessRequest {
    pb::AssessRequest {
        request_id: key.into(),
        ..request(draft)
    }
}

fn draft(tenant: &str, case: &str) -> pb::DraftDecision {
    let mut d = fixture("school_closure.json");
    d.tenant = tenant.into();
    d.case_id = case.into();
    d
}

/// `request` sent as `caller` names itself.
fn as_caller<T>(caller: &str, request: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(request);
    r.metadata_mut()
        .insert("eva-caller", caller.parse().expect("ascii"));
    r
}

fn fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

async fn audit_actions(store: &Arc<dyn Store>, tenant: &str) -> Vec<(AuditAction, String, String)> {
    store
        .audit_log(
            tenant,
            datetime!(2000-01-01 00:00 UTC),
            datetime!(2100-01-01 00:00 UTC),
        )
        .await
        .expect("audit log")
        .into_iter()
        .map(|e| (e.action, e.result, e.caller))
        .collect()
}

#[tokio::test]
async fn an_assessment_is_kept_and_read_back_with_its_revisions() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let made = client
        .assess(as_caller("dynasty-prod", request(draft("167", "JNS 1"))))
        .await
        .expect("assessed")
        .into_inner();
    assert!(!made.replayed);
    let a = made.assessment.expect("assessment");
    let stored = client
        .get_assessment(as_caller(
            "dynasty-prod",
            pb::GetAssessmentRequest {
                tenant: "167".into(),
                id: a.id.clone(),
                revision: None,
            },
        ))
        .await
        .expect("found")
        .into_inner();
    assert_eq!(stored.assessment.as_ref(), Some(&a), "read back as made");
    assert_eq!(stored.revision, 1);
    assert_eq!(stored.status, pb::ReviewStatus::Draft as i32);
    let revisions = client
        .list_revisions(pb::ListRevisionsRequest {
            tenant: "167".into(),
            id: a.id.clone(),
        })
        .await
        .expect("revisions")
        .into_inner()
        .revisions;
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0].author, "eva");
    assert_eq!(revisions[0].verdict, a.screening.as_ref().unwrap().verdict);

    // create, read and read were audited, with the caller's name
    let log = audit_actions(&server.store, "167").await;
    let actions: Vec<_> = log.iter().map(|(a, r, _)| (*a, r.as_str())).collect();
    assert_eq!(
        actions,
        vec![
            (AuditAction::Create, "ok"),
            (AuditAction::Read, "ok"),
            (AuditAction::Read, "ok"),
        ]
    );
    assert_eq!(log[0].2, "dynasty-prod");
    assert_eq!(log[2].2, "anonymous");
}

/// 32 retries of one call at once: one assessment, the same id for all.
async fn retries_make_one_assessment(client: AssessmentServiceClient<Channel>) {
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let mut c = client.clone();
            tokio::spawn(async move {
                c.assess(keyed(draft("091", "HEL 7"), "retry-7"))
                    .await
                    .expect("a retry is answered")
                    .into_inner()
            })
        })
        .collect();
    let mut ids = BTreeSet::new();
    let mut fresh = 0;
    for t in tasks {
        let r = t.await.expect("task");
        ids.insert(r.assessment.expect("assessment").id);
        fresh += usize::from(!r.replayed);
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(fresh, 1, "exactly one call made the assessment");
    let listed = client
        .clone()
        .list_assessments(pb::ListAssessmentsRequest {
            tenant: "091".into(),
            case_id: "HEL 7".into(),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(listed.assessments.len(), 1);
}

#[tokio::test]
async fn concurrent_retries_with_one_key_make_one_assessment_on_sqlite() {
    let server = TestServer::start().await;
    retries_make_one_assessment(server.client().await).await;
}

#[tokio::test]
async fn concurrent_retries_with_one_key_make_one_assessment_on_postgres() {
    let Some((server, guard, _postgres)) = postgres_server().await else {
        return;
    };
    retries_make_one_assessment(server.client().await).await;
    drop(server);
    guard.drop_schema().await;
}

#[tokio::test]
async fn a_key_used_for_another_draft_is_already_exists() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let first = client
        .assess(keyed(draft("091", "HEL 8"), "k-8"))
        .await
        .expect("assessed")
        .into_inner();
    let again = client
        .assess(keyed(draft("091", "HEL 8"), "k-8"))
        .await
        .expect("a retry")
        .into_inner();
    assert!(again.replayed);
    assert_eq!(again.assessment, first.assessment);
    let mut changed = draft("091", "HEL 8");
    changed.title.push_str(" (muutettu)");
    let status = client
        .assess(keyed(changed, "k-8"))
        .await
        .expect_err("another draft under a used key");
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    assert!(
        status
            .message()
            .contains("request_id `k-8` was already used")
            && status.message().contains("send a new request_id"),
        "{}",
        status.message()
    );
    // the same key is free in another municipality
    let other = client
        .assess(keyed(draft("408", "LAP 8"), "k-8"))
        .await
        .expect("another tenant's key")
        .into_inner();
    assert!(!other.replayed);
}

#[tokio::test]
async fn another_municipalitys_assessment_is_not_found() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let id = client
        .assess(request(draft("091", "HEL 9")))
        .await
        .expect("assessed")
        .into_inner()
        .assessment
        .unwrap()
        .id;
    let theirs = client
        .get_assessment(pb::GetAssessmentRequest {
            tenant: "408".into(),
            id: id.clone(),
            revision: None,
        })
        .await
        .expect_err("another tenant's");
    let unknown = client
        .get_assessment(pb::GetAssessmentRequest {
            tenant: "408".into(),
            id: "00000000-0000-4000-8000-000000000000".into(),
            revision: None,
        })
        .await
        .expect_err("unknown");
    assert_eq!(theirs.code(), Code::NotFound);
    assert_eq!(unknown.code(), Code::NotFound);
    // the answers differ only by the id they repeat
    assert_eq!(
        theirs.message().replace(&id, "ID"),
        unknown
            .message()
            .replace("00000000-0000-4000-8000-000000000000", "ID")
    );
    let revisions = client
        .list_revisions(pb::ListRevisionsRequest {
            tenant: "408".into(),
            id: id.clone(),
        })
        .await
        .expect_err("another tenant's");
    assert_eq!(revisions.code(), Code::NotFound);
    let listed = client
        .list_assessments(pb::ListAssessmentsRequest {
            tenant: "408".into(),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner();
    assert!(listed.assessments.is_empty());
    let missing_revision = client
        .get_assessment(pb::GetAssessmentRequest {
            tenant: "091".into(),
            id: id.clone(),
            revision: Some(5),
        })
        .await
        .expect_err("no revision 5");
    assert_eq!(missing_revision.code(), Code::NotFound);
    assert!(missing_revision.message().contains("ListRevisions"));
    // the failed reads are in the audit log too
    let log = audit_actions(&server.store, "408").await;
    assert_eq!(
        log.iter()
            .filter(|(a, r, _)| *a == AuditAction::Read && r == "not_found")
            .count(),
        3
    );
}

#[tokio::test]
async fn listings_come_in_pages_that_continue_where_they_ended() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let mut made = Vec::new();
    for _ in 0..5 {
        made.push(
            client
                .assess(request(draft("091", "HEL 10")))
                .await
                .expect("assessed")
                .into_inner()
                .assessment
                .unwrap()
                .id,
        );
    }
    let query = pb::ListAssessmentsRequest {
        tenant: "091".into(),
        case_id: "HEL 10".into(),
        page_size: 2,
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = client
            .list_assessments(pb::ListAssessmentsRequest {
                page_token: token.clone(),
                ..query.clone()
            })
            .await
            .expect("a page")
            .into_inner();
        pages += 1;
        seen.extend(page.assessments.into_iter().map(|s| s.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, made, "every assessment once, in the order made");
}

#[tokio::test]
async fn bad_listing_and_read_requests_name_their_fields() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    for _ in 0..3 {
        client
            .assess(request(draft("091", "HEL 11")))
            .await
            .expect("assessed");
    }
    let first = client
        .list_assessments(pb::ListAssessmentsRequest {
            tenant: "091".into(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("a page")
        .into_inner();
    let cases: Vec<(pb::ListAssessmentsRequest, &str)> = vec![
        (
            pb::ListAssessmentsRequest {
                tenant: "091".into(),
                page_size: 501,
                ..Default::default()
            },
            "page_size",
        ),
        (
            pb::ListAssessmentsRequest {
                tenant: "091".into(),
                page_token: "not-a-token".into(),
                ..Default::default()
            },
            "page_token",
        ),
        (
            // a token of another listing
            pb::ListAssessmentsRequest {
                tenant: "091".into(),
                case_id: "HEL 11".into(),
                page_token: first.next_page_token.clone(),
                ..Default::default()
            },
            "page_token",
        ),
        (
            pb::ListAssessmentsRequest {
                tenant: "999".into(),
                ..Default::default()
            },
            "tenant",
        ),
        (
            pb::ListAssessmentsRequest {
                tenant: "091".into(),
                verdict: 42,
                ..Default::default()
            },
            "verdict",
        ),
        (
            pb::ListAssessmentsRequest {
                tenant: "091".into(),
                from: Some(pbjson_types::Timestamp {
                    seconds: 2_000_000_000,
                    nanos: 0,
                }),
                to: Some(pbjson_types::Timestamp {
                    seconds: 1_000_000_000,
                    nanos: 0,
                }),
                ..Default::default()
            },
            "to",
        ),
    ];
    for (bad, field) in cases {
        let status = client
            .list_assessments(bad.clone())
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{bad:?}");
        assert_eq!(fields(&status), vec![field.to_string()], "{bad:?}");
    }
    for (bad, field) in [
        (
            pb::GetAssessmentRequest {
                tenant: "091".into(),
                id: String::new(),
                revision: None,
            },
            "id",
        ),
        (
            pb::GetAssessmentRequest {
                tenant: "091".into(),
                id: "x".into(),
                revision: Some(0),
            },
            "revision",
        ),
        (
            pb::GetAssessmentRequest {
                tenant: String::new(),
                id: "x".into(),
                revision: None,
            },
            "tenant",
        ),
    ] {
        let status = client
            .get_assessment(bad.clone())
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{bad:?}");
        assert_eq!(fields(&status), vec![field.to_string()], "{bad:?}");
    }
}

#[tokio::test]
async fn a_nul_character_in_text_is_a_field_violation() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let mut d = draft("091", "HEL 12");
    d.title.push('\0');
    let status = client
        .assess(keyed(d, "nul\0key"))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), vec!["request_id", "draft.title"]);
    let status = client
        .get_assessment(pb::GetAssessmentRequest {
            tenant: "091".into(),
            id: "a\0b".into(),
            revision: None,
        })
        .await
        .expect_err("refused");
    assert_eq!(fields(&status), vec!["id"]);
    let status = client
        .list_assessments(pb::ListAssessmentsRequest {
            tenant: "091".into(),
            case_id: "HEL\0 12".into(),
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert_eq!(fields(&status), vec!["case_id"]);
}

/// Another process holds SQLite's write lock for longer than the busy
/// timeout (5 s): calls in the meantime wait and are stored once it lets
/// go, without an error reaching the client.
#[tokio::test]
async fn a_database_another_writer_holds_delays_calls_but_fails_none() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("eva.db").display());
    let store = eva::store::open(&url).await.unwrap();
    let server = TestServer::start_store(
        crate::helpers::core(),
        store.clone(),
        eva::app::ServerLimits::default(),
    )
    .await;
    let client = server.client().await;

    let mut other = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let calls: Vec<_> = (0..4)
        .map(|i| {
            let mut c = client.clone();
            tokio::spawn(async move {
                c.assess(keyed(draft("091", "HEL 9"), &format!("busy-{i}")))
                    .await
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    assert!(
        calls.iter().all(|c| !c.is_finished()),
        "the calls wait while the lock is held"
    );
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    let mut ids = BTreeSet::new();
    for c in calls {
        let a = c
            .await
            .unwrap()
            .expect("stored once the lock is gone")
            .into_inner();
        ids.insert(a.assessment.expect("an assessment").id);
    }
    assert_eq!(ids.len(), 4);
    for id in ids {
        assert!(store.get("091", &id, None).await.unwrap().is_some());
    }
}
