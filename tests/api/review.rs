//! Preparers' reviews through the gRPC API: each makes a new revision and
//! the machine's stays; a review of a revision that is no longer the latest
//! is ABORTED; status moves DRAFT → REVIEWED → APPROVED, back only with a
//! reason; stored revisions render as they stand.

use eva::api::pb;
use eva::api::pb::assessment_service_client::AssessmentServiceClient;
use eva::store::AuditAction;
use pb::review_change::Change;
use time::macros::datetime;
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;

use crate::helpers::{TestServer, fixture, postgres_server, request};

async fn assessed(client: &mut AssessmentServiceClient<Channel>) -> pb::Assessment {
    client
        .assess(request(fixture("school_closure.json")))
        .await
        .expect("assessed")
        .into_inner()
        .assessment
        .expect("assessment")
}

fn review(
    a: &pb::Assessment,
    expected: u32,
    changes: Vec<pb::ReviewChange>,
) -> pb::ReviewAssessmentRequest {
    pb::ReviewAssessmentRequest {
        tenant: a.tenant.clone(),
        id: a.id.clone(),
        expected_revision: expected,
        reviewer: "Maija Valmistelija".into(),
        changes,
        status: pb::ReviewStatus::Unspecified as i32,
        note: String::new(),
    }
}

fn change(justification: &str, change: Change) -> pb::ReviewChange {
    pb::ReviewChange {
        justification: justification.into(),
        change: Some(change),
    }
}

fn impact_like(i: &pb::Impact, rationale: &str) -> pb::ReviewedImpact {
    pb::ReviewedImpact {
        determinant: i.determinant.clone(),
        groups: i.groups.clone(),
        direction: pb::Direction::Negative as i32,
        magnitude: pb::Magnitude::Major as i32,
        likelihood: pb::Likelihood::Likely as i32,
        horizon: pb::Horizon::LongTerm as i32,
        rationale: rationale.into(),
    }
}

async fn get(
    client: &mut AssessmentServiceClient<Channel>,
    a: &pb::Assessment,
    revision: Option<u32>,
) -> pb::StoredAssessment {
    client
        .get_assessment(pb::GetAssessmentRequest {
            tenant: a.tenant.clone(),
            id: a.id.clone(),
            revision,
        })
        .await
        .expect("found")
        .into_inner()
}

#[tokio::test]
async fn a_review_makes_a_new_revision_and_the_machines_stays_on_sqlite() {
    a_review_makes_a_new_revision_and_the_machines_stays(&TestServer::start().await).await;
}

#[tokio::test]
async fn a_review_makes_a_new_revision_and_the_machines_stays_on_postgres() {
    let Some((server, guard, _postgres)) = postgres_server().await else {
        return;
    };
    a_review_makes_a_new_revision_and_the_machines_stays(&server).await;
    drop(server);
    guard.drop_schema().await;
}

/// Each kind of change in one review, the revisions, renderings of both
/// and the audit rows.
async fn a_review_makes_a_new_revision_and_the_machines_stays(server: &TestServer) {
    let mut client = server.client().await;
    let a = assessed(&mut client).await;
    let first = a.impacts.first().expect("the fixture has impacts").clone();
    let goal = a
        .goals
        .first()
        .expect("the fixture's plan has goals")
        .clone();
    let question = a.open_questions.first().expect("an open question").clone();
    let verdict_before = a.screening.as_ref().unwrap().verdict;
    let mut r = review(
        &a,
        1,
        vec![
            change(
                "Koulumatka pitenee myös yläkoululaisilla.",
                Change::AddImpact(impact_like(&first, "Koulumatkat pitenevät")),
            ),
            change(
                "Vaikutus arvioitiin liian lieväksi.",
                Change::OverrideImpact(pb::ImpactOverride {
                    impact_id: first.id.clone(),
                    impact: Some(impact_like(&first, "Suuri vaikutus")),
                }),
            ),
            change(
                "Tavoite ei koske tätä päätöstä.",
                Change::OverrideGoal(pb::GoalOverride {
                    goal_id: goal.goal_id.clone(),
                    verdict: pb::GoalVerdict::Unaffected as i32,
                }),
            ),
            change(
                "Selvitetty kuljetuksista.",
                Change::AnswerQuestion(pb::QuestionAnswer {
                    question_id: question.id.clone(),
                    answer: "Kuljetus <järjestetään> & \"maksutta\"".into(),
                }),
            ),
            change(
                "Lakkautus vaatii aina arvioinnin.",
                Change::OverrideScreening(pb::ScreeningVerdict::Required as i32),
            ),
        ],
    );
    r.status = pb::ReviewStatus::Reviewed as i32;
    r.note = "Tarkistettu lautakunnan valmistelussa".into();
    let reviewed = client
        .review_assessment(tonic::Request::new(r))
        .await
        .expect("reviewed")
        .into_inner();
    assert_eq!(reviewed.revision, 2);
    assert_eq!(reviewed.status, pb::ReviewStatus::Reviewed as i32);
    let b = reviewed.assessment.expect("assessment");
    assert_eq!(b.id, a.id, "one assessment, two revisions");
    let added = b
        .impacts
        .iter()
        .find(|i| i.id == "R1")
        .expect("added as R1");
    assert_eq!(
        added.rationale.as_ref().unwrap().fi,
        "Koulumatkat pitenevät"
    );
    let changed = b.impacts.iter().find(|i| i.id == first.id).unwrap();
    assert_eq!(changed.magnitude, pb::Magnitude::Major as i32);
    assert_eq!(
        changed.evidence, first.evidence,
        "the machine's evidence stays"
    );
    assert_eq!(
        b.goals
            .iter()
            .find(|g| g.goal_id == goal.goal_id)
            .unwrap()
            .verdict,
        pb::GoalVerdict::Unaffected as i32
    );
    assert_eq!(
        b.screening.as_ref().unwrap().verdict,
        pb::ScreeningVerdict::Required as i32
    );

    // revision 1 is as the machine made it; the latest is the review
    assert_eq!(
        get(&mut client, &a, Some(1)).await.assessment,
        Some(a.clone())
    );
    assert_eq!(get(&mut client, &a, None).await.revision, 2);
    let revisions = client
        .list_revisions(pb::ListRevisionsRequest {
            tenant: a.tenant.clone(),
            id: a.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .revisions;
    let authors: Vec<_> = revisions.iter().map(|r| r.author.as_str()).collect();
    assert_eq!(authors, vec!["eva", "Maija Valmistelija"]);
    assert_eq!(revisions[0].verdict, verdict_before);
    assert_eq!(revisions[1].note, "Tarkistettu lautakunnan valmistelussa");
    let listed = client
        .list_assessments(pb::ListAssessmentsRequest {
            tenant: a.tenant.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .assessments;
    assert_eq!(
        (listed[0].revision, listed[0].status),
        (2, pb::ReviewStatus::Reviewed as i32)
    );

    // the answer renders, escaped, in the review and not in the machine's
    let render = |revision| pb::RenderAssessmentRequest {
        tenant: a.tenant.clone(),
        id: a.id.clone(),
        revision,
        render_languages: vec!["fi".into()],
        render_formats: vec![pb::RenderFormat::Html as i32],
    };
    let html = client
        .render_assessment(render(None))
        .await
        .expect("rendered")
        .into_inner();
    assert_eq!(html.revision, 2);
    let content = &html.renderings[0].content;
    assert!(
        content.contains("Kuljetus &lt;järjestetään&gt; &amp; &quot;maksutta&quot;"),
        "{content}"
    );
    assert!(!content.contains("<järjestetään>"));
    let machine = client
        .render_assessment(render(Some(1)))
        .await
        .expect("rendered")
        .into_inner();
    assert!(!machine.renderings[0].content.contains("järjestetään"));

    let log = server
        .store
        .audit_log(
            &a.tenant,
            datetime!(2000-01-01 00:00 UTC),
            datetime!(2100-01-01 00:00 UTC),
        )
        .await
        .unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.action).collect();
    assert!(actions.contains(&AuditAction::Review));
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == AuditAction::Render)
            .count(),
        2
    );
}

/// Eight reviewers send a review of revision 1 at once: one wins, the
/// others are ABORTED, and no review is lost silently.
async fn one_of_concurrent_reviews_wins(mut client: AssessmentServiceClient<Channel>) {
    let a = assessed(&mut client).await;
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let mut c = client.clone();
            let r = review(
                &a,
                1,
                vec![change(
                    &format!("Tarkistus {n}"),
                    Change::OverrideScreening(pb::ScreeningVerdict::Required as i32),
                )],
            );
            tokio::spawn(async move { c.review_assessment(r).await })
        })
        .collect();
    let (mut ok, mut aborted) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(s) if s.code() == Code::Aborted => {
                assert!(s.message().contains("expected_revision"), "{}", s.message());
                aborted += 1;
            }
            Err(s) => panic!("{s:?}"),
        }
    }
    assert_eq!((ok, aborted), (1, 7));
    assert_eq!(get(&mut client, &a, None).await.revision, 2);
    // a review of the stale revision is refused, and says where things stand
    let stale = client
        .review_assessment(review(
            &a,
            1,
            vec![change("x", Change::RemoveImpact(a.impacts[0].id.clone()))],
        ))
        .await
        .expect_err("stale");
    assert_eq!(stale.code(), Code::Aborted);
    assert!(
        stale.message().contains("is at revision 2"),
        "{}",
        stale.message()
    );
}

#[tokio::test]
async fn concurrent_reviews_of_one_revision_on_sqlite() {
    let server = TestServer::start().await;
    one_of_concurrent_reviews_wins(server.client().await).await;
}

#[tokio::test]
async fn concurrent_reviews_of_one_revision_on_postgres() {
    let Some((server, guard, _postgres)) = postgres_server().await else {
        return;
    };
    one_of_concurrent_reviews_wins(server.client().await).await;
    drop(server);
    guard.drop_schema().await;
}

#[tokio::test]
async fn status_moves_forward_and_back_only_with_a_reason_on_sqlite() {
    status_moves_forward_and_back_only_with_a_reason(&TestServer::start().await).await;
}

#[tokio::test]
async fn status_moves_forward_and_back_only_with_a_reason_on_postgres() {
    let Some((server, guard, _postgres)) = postgres_server().await else {
        return;
    };
    status_moves_forward_and_back_only_with_a_reason(&server).await;
    drop(server);
    guard.drop_schema().await;
}

/// DRAFT → REVIEWED → APPROVED, and back only with a note.
async fn status_moves_forward_and_back_only_with_a_reason(server: &TestServer) {
    let mut client = server.client().await;
    let a = assessed(&mut client).await;
    let to = |status: pb::ReviewStatus, expected: u32, note: &str| {
        let mut r = review(&a, expected, Vec::new());
        r.status = status as i32;
        r.note = note.into();
        r
    };
    let skip = client
        .review_assessment(to(pb::ReviewStatus::Approved, 1, ""))
        .await
        .expect_err("unreviewed approval");
    assert_eq!(skip.code(), Code::FailedPrecondition);
    client
        .review_assessment(to(pb::ReviewStatus::Reviewed, 1, ""))
        .await
        .expect("reviewed");
    client
        .review_assessment(to(pb::ReviewStatus::Approved, 2, ""))
        .await
        .expect("approved");
    let back = client
        .review_assessment(to(pb::ReviewStatus::Reviewed, 3, ""))
        .await
        .expect_err("back without a reason");
    assert_eq!(back.code(), Code::FailedPrecondition);
    assert!(back.message().contains("note"), "{}", back.message());
    let mut change_approved = review(
        &a,
        3,
        vec![change("x", Change::RemoveImpact(a.impacts[0].id.clone()))],
    );
    change_approved.status = pb::ReviewStatus::Approved as i32;
    assert_eq!(
        client
            .review_assessment(change_approved)
            .await
            .expect_err("an approved assessment is not changed")
            .code(),
        Code::FailedPrecondition
    );
    let back = client
        .review_assessment(to(
            pb::ReviewStatus::Reviewed,
            3,
            "Lautakunta palautti valmisteluun",
        ))
        .await
        .expect("back with a reason")
        .into_inner();
    assert_eq!(
        (back.revision, back.status),
        (4, pb::ReviewStatus::Reviewed as i32)
    );
}

#[tokio::test]
async fn bad_changes_are_field_violations() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let a = assessed(&mut client).await;
    let first = a.impacts[0].clone();
    let mut unknown_determinant = impact_like(&first, "x");
    unknown_determinant.determinant = "no_such_determinant".into();
    let mut unspecified = impact_like(&first, "x");
    unspecified.direction = 0;
    let cases = vec![
        (
            change("", Change::RemoveImpact(first.id.clone())),
            "changes[0].justification",
        ),
        (
            change("x", Change::RemoveImpact("I999".into())),
            "changes[0].remove_impact",
        ),
        (
            change("x", Change::AddImpact(unknown_determinant)),
            "changes[0].add_impact.determinant",
        ),
        (
            change("x", Change::AddImpact(unspecified)),
            "changes[0].add_impact.direction",
        ),
        (
            change(
                "x",
                Change::OverrideGoal(pb::GoalOverride {
                    goal_id: "no_such_goal".into(),
                    verdict: pb::GoalVerdict::Supports as i32,
                }),
            ),
            "changes[0].override_goal.goal_id",
        ),
        (
            pb::ReviewChange {
                justification: "x".into(),
                change: None,
            },
            "changes[0]",
        ),
    ];
    for (c, field) in cases {
        let status = client
            .review_assessment(review(&a, 1, vec![c.clone()]))
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{c:?}: {status:?}");
        let fields: Vec<String> = status
            .get_details_bad_request()
            .expect("details")
            .field_violations
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, vec![field.to_string()], "{c:?}");
    }
    let mut nothing = review(&a, 1, Vec::new());
    nothing.reviewer = String::new();
    let status = client.review_assessment(nothing).await.expect_err("empty");
    assert_eq!(status.code(), Code::InvalidArgument);
    // nothing was stored by the refused reviews
    assert_eq!(get(&mut client, &a, None).await.revision, 1);
}
