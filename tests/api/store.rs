//! The store's contract, run against both backends: SQLite always, and
//! PostgreSQL from `DATABASE_URL` or a container (a failure under CI when
//! neither is there). Then the stored records through the gRPC API.

use std::sync::Arc;

use eva::domain::{Assessment, Deadline, Draft, Verdict};
use eva::service::Service;
use eva::store::{
    AuditAction, AuditEntry, Created, ListQuery, NewAssessment, NewRevision, ReviewStatus, Store,
};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::helpers::{core, fixture, postgres_store, request, sqlite_store};

/// A draft of `tenant` and case `case`, assessed in-process at `at`.
fn assessed(core: &Service, tenant: &str, case: &str, at: OffsetDateTime) -> (Draft, Assessment) {
    let mut d = fixture("school_closure.json");
    d.tenant = tenant.into();
    d.case_id = case.into();
    let (r, v) = eva::api::assess_request_from_proto(request(d), &core.limits);
    let r = r.expect("a draft");
    let draft = r.draft.clone();
    let a = core
        .assess(r, v, at, &Deadline::none())
        .expect("assessed")
        .assessment;
    (draft, a)
}

fn audit(tenant: &str, id: &str) -> AuditEntry {
    AuditEntry {
        at: OffsetDateTime::now_utc(),
        caller: "test".into(),
        peer: "127.0.0.1:1".into(),
        tenant: tenant.into(),
        assessment_id: Some(id.into()),
        action: AuditAction::Create,
        result: "ok".into(),
    }
}

fn new(draft: Draft, assessment: Assessment, key: Option<&str>) -> NewAssessment {
    NewAssessment {
        request_id: key.map(str::to_string),
        draft,
        assessment,
    }
}

/// What every backend must do.
async fn contract(store: Arc<dyn Store>) {
    let core = core();
    let t0 = datetime!(2026-03-01 08:00 UTC);

    // created, then read back at revision 1 and at its latest
    let (draft, a) = assessed(&core, "091", "HEL 1", t0);
    let created = store
        .create(
            &new(draft.clone(), a.clone(), Some("k1")),
            &audit("091", &a.id),
        )
        .await
        .expect("created");
    let Created::New(stored) = created else {
        panic!("a new key stores a new assessment")
    };
    assert_eq!((stored.revision, stored.status), (1, ReviewStatus::Draft));
    let got = store.get("091", &a.id, None).await.unwrap().expect("found");
    assert_eq!(
        got.assessment,
        a,
        "{}: read back as stored",
        store.backend()
    );
    assert_eq!(got.request_id.as_deref(), Some("k1"));
    assert_eq!(store.get("091", &a.id, Some(1)).await.unwrap(), Some(got));
    assert_eq!(store.get("091", &a.id, Some(2)).await.unwrap(), None);

    // another tenant sees nothing, exactly as for an unknown id
    assert_eq!(store.get("408", &a.id, None).await.unwrap(), None);
    assert_eq!(store.revisions("408", &a.id).await.unwrap(), None);
    assert_eq!(store.get("091", "no-such-id", None).await.unwrap(), None);
    let revisions = store.revisions("091", &a.id).await.unwrap().expect("found");
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0].author, "eva");
    assert_eq!(revisions[0].verdict, a.screening.verdict);

    // the key taken: the stored assessment comes back, nothing new is kept
    let (draft2, a2) = assessed(&core, "091", "HEL 1", t0);
    let again = store
        .create(&new(draft2, a2.clone(), Some("k1")), &audit("091", &a2.id))
        .await
        .unwrap();
    assert!(
        matches!(&again, Created::Existing(s) if s.assessment.id == a.id),
        "{again:?}"
    );
    assert_eq!(store.get("091", &a2.id, None).await.unwrap(), None);
    // the same key in another municipality is another key
    let (draft3, a3) = assessed(&core, "408", "LAP 1", t0);
    assert!(matches!(
        store
            .create(&new(draft3, a3, Some("k1")), &audit("408", "x"))
            .await
            .unwrap(),
        Created::New(_)
    ));

    // 32 concurrent calls with one key store exactly one assessment
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (store, (draft, a)) = (store.clone(), assessed(&core, "091", "HEL 2", t0));
            tokio::spawn(async move {
                store
                    .create(&new(draft, a.clone(), Some("race")), &audit("091", &a.id))
                    .await
                    .expect("no error under concurrent retries")
            })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    let mut fresh = 0;
    for t in tasks {
        match t.await.unwrap() {
            Created::New(s) => {
                fresh += 1;
                ids.insert(s.assessment.id);
            }
            Created::Existing(s) => {
                ids.insert(s.assessment.id);
            }
        }
    }
    assert_eq!((fresh, ids.len()), (1, 1), "{}", store.backend());

    // listings: oldest first, filters, pages that continue where they end
    for (i, case) in ["HEL 3", "HEL 3", "HEL 4", "HEL 3"].iter().enumerate() {
        let at = t0 + time::Duration::days(1 + i as i64);
        let (d, a) = assessed(&core, "091", case, at);
        store
            .create(&new(d, a.clone(), None), &audit("091", &a.id))
            .await
            .unwrap();
    }
    let query = ListQuery {
        tenant: "091".into(),
        case_id: Some("HEL 3".into()),
        page_size: 2,
        ..ListQuery::default()
    };
    let first = store.list(&query).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let next = first.next.clone().expect("a second page");
    let second = store
        .list(&ListQuery {
            after: Some(next),
            ..query.clone()
        })
        .await
        .unwrap();
    assert_eq!(second.items.len(), 1);
    assert!(second.next.is_none());
    let times: Vec<_> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|s| s.created_at)
        .collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    let all = store
        .list(&ListQuery {
            tenant: "091".into(),
            page_size: 500,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(all.items.len(), 6, "HEL 1, HEL 2 once, four more");
    let ever = (
        datetime!(2000-01-01 00:00 UTC),
        datetime!(2100-01-01 00:00 UTC),
    );
    assert_eq!(store.count(Some("091"), ever.0, ever.1).await.unwrap(), 6);
    assert_eq!(store.count(None, ever.0, ever.1).await.unwrap(), 7);
    assert_eq!(
        store
            .ledger(Some("091"), ever.0, ever.1)
            .await
            .unwrap()
            .len(),
        6
    );
    let in_march_2 = store
        .list(&ListQuery {
            tenant: "091".into(),
            from: Some(datetime!(2026-03-02 00:00 UTC)),
            to: Some(datetime!(2026-03-03 00:00 UTC)),
            page_size: 10,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(in_march_2.items.len(), 1);
    let verdict = a.screening.verdict;
    let by_verdict = store
        .list(&ListQuery {
            tenant: "091".into(),
            verdict: Some(verdict),
            page_size: 10,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert!(by_verdict.items.iter().all(|s| s.verdict == verdict));
    let other = if verdict == Verdict::NotNeeded {
        Verdict::Required
    } else {
        Verdict::NotNeeded
    };
    let none = store
        .list(&ListQuery {
            tenant: "091".into(),
            verdict: Some(other),
            page_size: 10,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert!(none.items.is_empty());

    // every create was audited with its assessment, in one transaction
    let log = store.audit_log("091", ever.0, ever.1).await.unwrap();
    assert_eq!(log.len(), 6, "one row per stored assessment: {log:?}");
    assert!(log.iter().all(|e| e.action == AuditAction::Create));

    // eight reviews of revision 1 at once, straight to the store (no
    // service checking first): one is kept, the others find the revision
    // taken; none is lost or doubled
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (store, id) = (store.clone(), a.id.clone());
            let mut assessment = a.clone();
            assessment.title = format!("reviewed by {i}");
            let revision = NewRevision {
                revision: 2,
                created_at: t0 + time::Duration::hours(1),
                author: format!("reviewer {i}"),
                status: ReviewStatus::Reviewed,
                note: String::new(),
                changes: Vec::new(),
                assessment,
            };
            let audit = AuditEntry {
                action: AuditAction::Review,
                ..audit("091", &id)
            };
            tokio::spawn(async move { store.review("091", &id, 1, &revision, &audit).await })
        })
        .collect();
    let mut kept = Vec::new();
    for (i, t) in tasks.into_iter().enumerate() {
        if t.await
            .unwrap()
            .expect("a review is kept or finds its revision taken")
        {
            kept.push(i);
        }
    }
    assert_eq!(kept.len(), 1, "{}: {kept:?}", store.backend());
    let winner = format!("reviewer {}", kept[0]);
    let revisions = store.revisions("091", &a.id).await.unwrap().expect("found");
    assert_eq!(revisions.len(), 2);
    assert_eq!(revisions[1].author, winner);
    let latest = store.get("091", &a.id, None).await.unwrap().expect("found");
    assert_eq!(
        (latest.revision, latest.status),
        (2, ReviewStatus::Reviewed)
    );
    assert_eq!(latest.assessment.title, format!("reviewed by {}", kept[0]));
    assert_eq!(
        store
            .get("091", &a.id, Some(1))
            .await
            .unwrap()
            .unwrap()
            .assessment,
        a
    );
    // another tenant's review of it changes nothing
    let (_, other) = assessed(&core, "408", "L 1", t0);
    let foreign = NewRevision {
        revision: 3,
        created_at: t0 + time::Duration::hours(2),
        author: "reviewer of 408".into(),
        status: ReviewStatus::Reviewed,
        note: String::new(),
        changes: Vec::new(),
        assessment: other,
    };
    assert!(
        !store
            .review("408", &a.id, 2, &foreign, &audit("408", &a.id))
            .await
            .unwrap()
    );
    assert_eq!(
        store.revisions("091", &a.id).await.unwrap().unwrap().len(),
        2
    );
    let reviews = store
        .audit_log("091", ever.0, ever.1)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == AuditAction::Review)
        .count();
    assert_eq!(reviews, 1, "the kept review alone is audited by the store");
    store.ping().await.expect("ping");
}

#[tokio::test]
async fn sqlite_keeps_the_contract() {
    let (store, _dir) = sqlite_store().await;
    contract(store).await;
}

#[tokio::test]
async fn postgres_keeps_the_contract() {
    let Some((store, guard, _postgres)) = postgres_store().await else {
        return;
    };
    contract(store).await;
    guard.drop_schema().await;
}

#[tokio::test]
async fn sqlite_refuses_to_change_the_audit_log_or_a_revision() {
    let (store, dir) = sqlite_store().await;
    let core = core();
    let (d, a) = assessed(&core, "091", "HEL 1", OffsetDateTime::now_utc());
    store
        .create(&new(d, a.clone(), None), &audit("091", &a.id))
        .await
        .unwrap();
    let url = format!("sqlite://{}", dir.path().join("eva.db").display());
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    for sql in [
        "UPDATE audit_log SET result = 'forged'",
        "DELETE FROM audit_log",
        "UPDATE revisions SET note = 'forged'",
        "DELETE FROM revisions",
    ] {
        let e = sqlx::query(sql).execute(&raw).await.expect_err(sql);
        assert!(
            e.to_string().contains("append-only") || e.to_string().contains("never changed"),
            "{sql}: {e}"
        );
    }
}

#[tokio::test]
async fn postgres_refuses_to_change_the_audit_log_or_a_revision() {
    let Some((store, guard, _postgres)) = postgres_store().await else {
        return;
    };
    let core = core();
    let (d, a) = assessed(&core, "091", "HEL 1", OffsetDateTime::now_utc());
    store
        .create(&new(d, a.clone(), None), &audit("091", &a.id))
        .await
        .unwrap();
    let s = &guard.schema;
    for sql in [
        format!("UPDATE {s}.audit_log SET result = 'forged'"),
        format!("DELETE FROM {s}.audit_log"),
        format!("TRUNCATE {s}.audit_log"),
        format!("UPDATE {s}.revisions SET note = 'forged'"),
        format!("DELETE FROM {s}.revisions"),
    ] {
        let e = sqlx::query(&sql)
            .execute(guard.admin())
            .await
            .expect_err(&sql);
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
    guard.drop_schema().await;
}
