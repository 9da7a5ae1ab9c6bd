//! `eva serve` killed with SIGKILL while clients write, then restarted on
//! the same database: every assessment it acknowledged is there, exactly
//! once, and a retry of an acknowledged call returns it. On both backends.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use eva::api::pb;

use crate::helpers::{ServeProcess, client_at, fixture, free_port, postgres_target, request};

fn keyed(key: &str) -> pb::AssessRequest {
    let mut d = fixture("school_closure.json");
    d.tenant = "091".into();
    d.case_id = format!("HEL {key}");
    pb::AssessRequest {
        request_id: key.into(),
        ..request(d)
    }
}

async fn killed_while_writing(database_url: &str) {
    let addr = format!("127.0.0.1:{}", free_port());
    let server = ServeProcess::start_with(&addr, &["--database-url", database_url], Stdio::null());
    let stop_at = Instant::now() + Duration::from_millis(1500);
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let addr = addr.clone();
            tokio::spawn(async move {
                let mut client = client_at(&addr).await;
                let mut acked = Vec::new();
                for n in 0.. {
                    let key = format!("w{w}-{n}");
                    match client.assess(keyed(&key)).await {
                        Ok(r) => acked.push((key, r.into_inner().assessment.unwrap().id)),
                        // the server is gone: what was not acknowledged may or may not be kept
                        Err(_) => break,
                    }
                    if Instant::now() > stop_at + Duration::from_secs(30) {
                        break;
                    }
                }
                acked
            })
        })
        .collect();
    tokio::time::sleep_until(stop_at.into()).await;
    tokio::task::spawn_blocking(move || server.kill())
        .await
        .unwrap();
    let mut acked = BTreeMap::new();
    for w in writers {
        acked.extend(w.await.unwrap());
    }
    assert!(
        acked.len() >= 8,
        "the writers wrote before the kill: {}",
        acked.len()
    );

    let server = ServeProcess::start_with(&addr, &["--database-url", database_url], Stdio::null());
    let mut client = client_at(&addr).await;
    let mut stored: BTreeMap<String, usize> = BTreeMap::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_assessments(pb::ListAssessmentsRequest {
                tenant: "091".into(),
                page_size: 500,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .expect("listed after the restart")
            .into_inner();
        for s in page.assessments {
            *stored.entry(s.case_id).or_default() += 1;
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    for (key, id) in &acked {
        assert_eq!(
            stored.get(&format!("HEL {key}")),
            Some(&1),
            "{key} kept once"
        );
        let found = client
            .get_assessment(pb::GetAssessmentRequest {
                tenant: "091".into(),
                id: id.clone(),
                revision: None,
            })
            .await
            .expect("an acknowledged assessment survives the kill")
            .into_inner();
        assert_eq!(found.request_id, *key);
    }
    assert!(stored.values().all(|n| *n == 1), "no key twice: {stored:?}");
    // a retry of an acknowledged call is answered from the store
    let (key, id) = acked.iter().next().unwrap();
    let again = client
        .assess(keyed(key))
        .await
        .expect("retried")
        .into_inner();
    assert!(again.replayed);
    assert_eq!(&again.assessment.unwrap().id, id);
    let _ = server.stop(Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_assessment_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("eva.db").display());
    killed_while_writing(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_assessment_on_postgres() {
    let Some(target) = postgres_target().await else {
        return;
    };
    let (_, guard) = target.schema().await;
    let separator = if target.url.contains('?') { '&' } else { '?' };
    let url = format!(
        "{}{separator}options=-c%20search_path%3D{}",
        target.url, guard.schema
    );
    killed_while_writing(&url).await;
    guard.drop_schema().await;
}
