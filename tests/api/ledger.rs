//! The welfare-report ledger on a known set of assessments, through the
//! gRPC ReportService and through `eva report` and `eva audit` as
//! processes reading the same database.

use std::collections::BTreeMap;
use std::process::Command;

use eva::api::pb;
use eva::api::pb::report_service_client::ReportServiceClient;
use eva::app::ServerLimits;
use pb::review_change::Change;
use tonic::Code;

use crate::helpers::{TestServer, core, fixture, postgres_server, postgres_target, request};

fn draft(case: &str, title: &str) -> pb::DraftDecision {
    let mut d = fixture("school_closure.json");
    d.case_id = case.into();
    d.title = title.into();
    d
}

fn period() -> pb::ReportRequest {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    pb::ReportRequest {
        tenant: "167".into(),
        from: Some(pbjson_types::Timestamp {
            seconds: now - 3600,
            nanos: 0,
        }),
        to: Some(pbjson_types::Timestamp {
            seconds: now + 3600,
            nanos: 0,
        }),
    }
}

/// Three cases, the first assessed twice (its draft changed), the second
/// reviewed: its first goal verdict overridden to CONFLICTS.
async fn known_set(server: &TestServer) -> Vec<pb::Assessment> {
    let mut client = server.client().await;
    let mut made = Vec::new();
    for (case, title) in [
        ("JNS 1", "Kiihtelysvaaran koulun lakkauttaminen"),
        ("JNS 1", "Kiihtelysvaaran koulun lakkauttaminen (muutettu)"),
        ("JNS <2>", "Heinävaaran koulun lakkauttaminen"),
        ("JNS 3", "Tuupovaaran koulun lakkauttaminen"),
    ] {
        made.push(
            client
                .assess(request(draft(case, title)))
                .await
                .expect("assessed")
                .into_inner()
                .assessment
                .unwrap(),
        );
    }
    let reviewed = &made[2];
    let goal = reviewed.goals[0].goal_id.clone();
    let impact = reviewed.impacts[0].clone();
    let stored = client
        .review_assessment(pb::ReviewAssessmentRequest {
            tenant: "167".into(),
            id: reviewed.id.clone(),
            expected_revision: 1,
            reviewer: "Maija".into(),
            changes: vec![
                pb::ReviewChange {
                    justification: "Heikentää tavoitetta".into(),
                    change: Some(Change::OverrideGoal(pb::GoalOverride {
                        goal_id: goal,
                        verdict: pb::GoalVerdict::Conflicts as i32,
                    })),
                },
                pb::ReviewChange {
                    justification: "Ei koske tätä".into(),
                    change: Some(Change::RemoveImpact(impact.id.clone())),
                },
                pb::ReviewChange {
                    justification: "Arviointi tarvitaan".into(),
                    change: Some(Change::OverrideScreening(
                        pb::ScreeningVerdict::Recommended as i32,
                    )),
                },
            ],
            status: pb::ReviewStatus::Reviewed as i32,
            note: String::new(),
        })
        .await
        .expect("reviewed")
        .into_inner();
    made[2] = stored.assessment.unwrap();
    made
}

#[tokio::test]
async fn the_ledger_counts_each_case_once_at_its_reviewed_revision_on_sqlite() {
    let server = TestServer::start_core(core(), ServerLimits::default()).await;
    ledger_counts_each_case_once_at_its_reviewed_revision(&server).await;
}

#[tokio::test]
async fn the_ledger_counts_each_case_once_at_its_reviewed_revision_on_postgres() {
    let Some((server, guard, _postgres)) = postgres_server().await else {
        return;
    };
    ledger_counts_each_case_once_at_its_reviewed_revision(&server).await;
    drop(server);
    guard.drop_schema().await;
}

/// The three reports on [`known_set`], against the assessments themselves.
async fn ledger_counts_each_case_once_at_its_reviewed_revision(server: &TestServer) {
    let made = known_set(server).await;
    // what the report must say, from the assessments themselves: the
    // second assessment of JNS 1, the review of JNS <2>, and JNS 3
    let counted = [&made[1], &made[2], &made[3]];
    let mut expected: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
    for a in counted {
        for g in &a.goals {
            let e = expected.entry(g.goal_id.clone()).or_default();
            match pb::GoalVerdict::try_from(g.verdict).unwrap() {
                pb::GoalVerdict::Supports => e.0 += 1,
                pb::GoalVerdict::Conflicts => e.1 += 1,
                pb::GoalVerdict::Mixed => e.2 += 1,
                _ => {}
            }
        }
    }
    let mut reports = ReportServiceClient::new(server.channel().await);
    let summary = reports
        .summarize_goals(period())
        .await
        .expect("summary")
        .into_inner();
    assert_eq!(summary.decisions, 3);
    let got: BTreeMap<String, (u32, u32, u32)> = summary
        .goals
        .iter()
        .map(|g| (g.goal_id.clone(), (g.supports, g.conflicts, g.mixed)))
        .collect();
    assert_eq!(got, expected);
    let reviewed_goal = &made[2].goals[0].goal_id;
    let tally = summary
        .goals
        .iter()
        .find(|g| &g.goal_id == reviewed_goal)
        .unwrap();
    assert!(tally.cases.iter().any(|c| {
        let case = c.case.as_ref().unwrap();
        case.case_id == "JNS <2>"
            && case.revision == 2
            && c.verdict == pb::GoalVerdict::Conflicts as i32
    }));

    // negative effects: a group hit by several decisions is flagged
    let effects = reports
        .cumulative_effects(period())
        .await
        .expect("effects")
        .into_inner();
    assert_eq!(effects.decisions, 3);
    let mut expected: BTreeMap<(String, String), u32> = BTreeMap::new();
    for a in counted {
        let mut seen = std::collections::BTreeSet::new();
        for i in &a.impacts {
            if i.direction != pb::Direction::Negative as i32
                && i.direction != pb::Direction::Mixed as i32
            {
                continue;
            }
            let groups = if i.groups.is_empty() {
                vec!["all_residents".to_string()]
            } else {
                i.groups.clone()
            };
            for g in groups {
                if seen.insert((i.determinant.clone(), g.clone())) {
                    *expected.entry((i.determinant.clone(), g)).or_default() += 1;
                }
            }
        }
    }
    assert!(
        !expected.is_empty(),
        "school closures have negative impacts"
    );
    let got: BTreeMap<(String, String), u32> = effects
        .effects
        .iter()
        .map(|e| ((e.determinant.clone(), e.group.clone()), e.decisions))
        .collect();
    assert_eq!(got, expected);
    assert!(
        effects
            .effects
            .iter()
            .all(|e| e.cumulative == (e.decisions > 1))
    );
    assert!(effects.effects.iter().any(|e| e.cumulative));
    // and per group, on any determinant
    let mut expected: BTreeMap<String, u32> = BTreeMap::new();
    for a in counted {
        let groups: std::collections::BTreeSet<String> = a
            .impacts
            .iter()
            .filter(|i| {
                i.direction == pb::Direction::Negative as i32
                    || i.direction == pb::Direction::Mixed as i32
            })
            .flat_map(|i| {
                if i.groups.is_empty() {
                    vec!["all_residents".to_string()]
                } else {
                    i.groups.clone()
                }
            })
            .collect();
        for g in groups {
            *expected.entry(g).or_default() += 1;
        }
    }
    let got: BTreeMap<String, u32> = effects
        .groups
        .iter()
        .map(|g| (g.group.clone(), g.decisions))
        .collect();
    assert_eq!(got, expected);
    assert!(
        effects
            .groups
            .iter()
            .all(|g| g.cumulative == (g.decisions > 1) && g.cases.len() == g.decisions as usize)
    );

    // reviews: the removed impact's rule and the changed screening verdict
    let stats = reports
        .review_statistics(pb::ReportRequest {
            tenant: String::new(),
            ..period()
        })
        .await
        .expect("statistics")
        .into_inner();
    assert_eq!(
        (stats.assessments, stats.reviewed, stats.screening_changed),
        (4, 1, 1)
    );
    let removed_rule = &reviewed_first_impact_rule(server, &made[2].id).await;
    assert_eq!(stats.rules.len(), 1);
    assert_eq!(&stats.rules[0].rule_id, removed_rule);
    assert_eq!((stats.rules[0].removed, stats.rules[0].overridden), (1, 0));

    // bad periods and tenants name their fields
    let bad = reports
        .summarize_goals(pb::ReportRequest {
            to: None,
            ..period()
        })
        .await
        .expect_err("no end");
    assert_eq!(bad.code(), Code::InvalidArgument);
    let bad = reports
        .cumulative_effects(pb::ReportRequest {
            tenant: "999".into(),
            ..period()
        })
        .await
        .expect_err("no such municipality");
    assert_eq!(bad.code(), Code::InvalidArgument);
}

/// Two decisions that hit one group on different determinants: no cell
/// of determinant and group is hit twice, but the group is, and the
/// ledger flags it.
#[test]
fn a_group_hit_on_different_determinants_is_flagged() {
    use eva::domain::Direction;
    use eva::service::ledger::cumulative_effects;
    use eva::store::{LedgerEntry, ReviewStatus};

    let core = core();
    let (r, v) =
        eva::api::assess_request_from_proto(request(fixture("school_closure.json")), &core.limits);
    let base = core
        .assess(
            r.expect("a draft"),
            v,
            time::OffsetDateTime::now_utc(),
            &eva::domain::Deadline::none(),
        )
        .expect("assessed")
        .assessment;
    let template = base
        .impacts
        .first()
        .expect("the fixture has impacts")
        .clone();
    let entry = |n: u32, determinant: &str| {
        let mut a = base.clone();
        a.id = format!("A{n}");
        let mut i = template.clone();
        i.determinant = determinant.into();
        i.groups = vec!["older_people".into()];
        i.direction = Direction::Negative;
        a.impacts = vec![i];
        LedgerEntry {
            case_id: format!("C{n}"),
            revision: 1,
            status: ReviewStatus::Draft,
            assessment: a,
        }
    };
    let e = cumulative_effects(&[
        entry(1, "mobility_accessibility"),
        entry(2, "service_access"),
    ]);
    assert_eq!(e.decisions, 2);
    assert_eq!(e.effects.len(), 2);
    assert!(e.effects.iter().all(|x| x.decisions == 1 && !x.cumulative));
    assert_eq!(e.groups.len(), 1);
    let g = &e.groups[0];
    assert_eq!(
        (g.group.as_str(), g.decisions, g.cumulative),
        ("older_people", 2, true)
    );
    let cases: Vec<&str> = g.cases.iter().map(|c| c.case_id.as_str()).collect();
    assert_eq!(cases, ["C1", "C2"], "in ledger order");
}

/// The rule of the impact the review removed, from the machine's revision.
async fn reviewed_first_impact_rule(server: &TestServer, id: &str) -> String {
    let mut client = server.client().await;
    let first = client
        .get_assessment(pb::GetAssessmentRequest {
            tenant: "167".into(),
            id: id.into(),
            revision: Some(1),
        })
        .await
        .unwrap()
        .into_inner();
    first.assessment.unwrap().impacts[0].rule_id.clone()
}

fn eva(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_eva"))
        .args(args)
        .current_dir(crate::helpers::root())
        .output()
        .expect("eva runs")
}

#[tokio::test]
async fn eva_report_and_eva_audit_read_the_servers_database_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("eva.db").display());
    let store = eva::store::open(&url).await.unwrap();
    reports_and_audit_from_the_command_line(store, &url).await;
}

#[tokio::test]
async fn eva_report_and_eva_audit_read_the_servers_database_on_postgres() {
    let Some(target) = postgres_target().await else {
        return;
    };
    let (options, guard) = target.schema().await;
    let store = eva::store::PostgresStore::open_with(options)
        .await
        .expect("PostgreSQL store opens");
    // the command line reaches the test's schema through the URL
    let url = target.url_in(&guard.schema);
    reports_and_audit_from_the_command_line(std::sync::Arc::new(store), &url).await;
    guard.drop_schema().await;
}

/// `eva report` and `eva audit` as processes on the database at `url`,
/// which a server keeping its assessments in `store` writes.
async fn reports_and_audit_from_the_command_line(
    store: std::sync::Arc<dyn eva::store::Store>,
    url: &str,
) {
    let url = url.to_string();
    let server = TestServer::start_store(core(), store, ServerLimits::default()).await;
    let made = known_set(&server).await;
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let report = |kind: &str, format: &str| {
        let out = eva(&[
            "report",
            kind,
            "--tenant",
            "167",
            "--from",
            &today,
            "--to",
            &today,
            "--format",
            format,
            "--database-url",
            &url,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&report("goals", "json")).unwrap();
    assert_eq!(json["decisions"], 3);
    let csv = report("cumulative", "csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("Hyvinvoinnin tekijä,Väestöryhmä,Päätöksiä,Kasautuu,Asiat"),
        "Joensuu reports in Finnish"
    );
    assert!(lines.count() >= 1);
    let md = report("goals", "markdown");
    assert!(md.starts_with("# Päätösten vaikutukset"), "{md}");
    assert!(md.contains(r"JNS \<2\>"), "case ids are escaped: {md}");
    let html = report("cumulative", "html");
    assert!(html.contains("<svg") && html.contains("</html>"));
    assert!(!html.contains("<script"), "no scripts");
    assert!(html.contains("JNS &lt;2&gt;"), "case ids are escaped");
    assert!(!html.contains("JNS <2>"));
    let reviews = report("reviews", "csv");
    assert!(reviews.lines().count() == 2, "{reviews}");

    // the audit log: every create, read, review and report, identifiers only
    let out = eva(&[
        "audit",
        "--tenant",
        "167",
        "--from",
        &today,
        "--to",
        &today,
        "--format",
        "jsonl",
        "--database-url",
        &url,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let count = |action: &str| rows.iter().filter(|r| r["action"] == action).count();
    assert_eq!(count("create"), 4);
    assert_eq!(count("review"), 1);
    assert!(count("list") >= 4, "each report is audited: {rows:?}");
    assert!(
        rows.iter().all(|r| r.to_string().len() < 400),
        "identifiers only"
    );
    assert!(
        rows.iter()
            .any(|r| r["assessment_id"] == made[2].id.as_str())
    );
    // a caller's name that looks like a formula stays text in the export
    let mut read = tonic::Request::new(pb::GetAssessmentRequest {
        tenant: "167".into(),
        id: made[0].id.clone(),
        revision: None,
    });
    read.metadata_mut()
        .insert("eva-caller", "@SUM(A1)".parse().unwrap());
    server
        .client()
        .await
        .get_assessment(read)
        .await
        .expect("read");
    let csv = eva(&[
        "audit",
        "--tenant",
        "167",
        "--from",
        &today,
        "--to",
        &today,
        "--database-url",
        &url,
    ]);
    let text = String::from_utf8(csv.stdout).unwrap();
    assert!(text.contains(",'@SUM(A1),"), "{text}");
    assert!(
        text.starts_with("at,caller,peer,tenant,assessment_id,action,result\n"),
        "{text}"
    );

    // a database that does not exist is an error, not an empty report
    let missing = eva(&[
        "audit",
        "--tenant",
        "167",
        "--from",
        &today,
        "--to",
        &today,
        "--database-url",
        "sqlite:///nonexistent/eva.db",
    ]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("there is no database"));
    let bad = eva(&[
        "audit",
        "--tenant",
        "167",
        "--from",
        "2026-13-01",
        "--to",
        &today,
        "--database-url",
        &url,
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a date or time"));
}

#[tokio::test]
async fn the_command_lines_readers_take_the_database_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let audit = |url: &str| {
        let out = eva(&[
            "audit",
            "--tenant",
            "167",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--database-url",
            url,
        ]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let sqlite = |name: &str| format!("sqlite://{}", dir.path().join(name).display());

    // a database eva serve never used is named, and left as it was
    let other = sqlite("other.db");
    let pool = sqlx::SqlitePool::connect(&format!("{other}?mode=rwc"))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE notes (text TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    let e = audit(&other);
    assert!(e.contains("holds no eva data"), "{e}");
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(tables, ["notes"], "the reader created nothing");

    // one that a newer eva wrote, or that this eva has not brought up to
    // date, is refused with what to do; its schema is not touched
    let url = sqlite("eva.db");
    drop(eva::store::open(&url).await.unwrap());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (999999, 'from the future', TRUE, x'00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let e = audit(&url);
    assert!(e.contains("written by a newer eva"), "{e}");
    sqlx::query("DELETE FROM _sqlx_migrations")
        .execute(&pool)
        .await
        .unwrap();
    let e = audit(&url);
    assert!(e.contains("start this version's eva serve"), "{e}");
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(applied, 0, "the reader applied no migration");

    // on PostgreSQL, a schema eva serve never used likewise
    let Some(target) = postgres_target().await else {
        return;
    };
    let (_, guard) = target.schema().await;
    let e = audit(&target.url_in(&guard.schema));
    assert!(e.contains("holds no eva data"), "{e}");
    let admin = sqlx::PgPool::connect(&target.url).await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1",
    )
    .bind(&guard.schema)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(tables, 0, "the reader created nothing");
    guard.drop_schema().await;
}

/// A headless Chromium, or a visible skip (a failure under CI).
fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    if found.is_none() {
        crate::helpers::skip("no Chromium: install it (Debian: apt-get install chromium)");
    }
    found
}

#[tokio::test]
async fn the_html_report_renders_in_a_browser_with_text_as_text() {
    let Some(browser) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("eva.db").display());
    let store = eva::store::open(&url).await.unwrap();
    let server = TestServer::start_store(core(), store, ServerLimits::default()).await;
    let mut client = server.client().await;
    // the first case opens each cell of cases: a formula there would run
    for case in ["=1+1", "JNS <script>alert(1)</script>", "JNS 2"] {
        client
            .assess(request(draft(
                case,
                "Kiihtelysvaaran koulun lakkauttaminen",
            )))
            .await
            .expect("assessed");
    }
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let page = dir.path().join("cumulative.html");
    let out = eva(&[
        "report",
        "cumulative",
        "--tenant",
        "167",
        "--from",
        &today,
        "--to",
        &today,
        "--format",
        "html",
        "--database-url",
        &url,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&page, &out.stdout).unwrap();
    let file = format!("file://{}", page.display());
    let browse = |extra: &[&str]| {
        Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--window-size=1000,1400",
            ])
            .args(extra)
            .arg(&file)
            .output()
            .expect("the browser runs")
    };
    // the page as the browser parsed it
    let dom = String::from_utf8(browse(&["--dump-dom"]).stdout).unwrap();
    assert!(dom.contains("<svg"), "a chart: {dom}");
    assert!(dom.matches("<rect").count() >= 2, "bars drawn: {dom}");
    assert!(!dom.contains("<script"), "the case id stays text: {dom}");
    assert!(
        dom.contains("JNS &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{dom}"
    );
    assert!(dom.contains("<table>") && dom.contains("<td>"), "the table");
    // and as it draws it
    let shot = dir.path().join("page.png");
    let drawn = browse(&[&format!("--screenshot={}", shot.display())]);
    assert!(
        drawn.status.success(),
        "{}",
        String::from_utf8_lossy(&drawn.stderr)
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    // in CSV, a case id that looks like a formula stays text
    let out = eva(&[
        "report",
        "cumulative",
        "--tenant",
        "167",
        "--from",
        &today,
        "--to",
        &today,
        "--format",
        "csv",
        "--database-url",
        &url,
    ]);
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.contains("'=1+1"), "{csv}");
    assert!(!csv.contains(",=1+1"), "{csv}");
}
