//! Requests at and over the limits: every problem is a small, exact error
//! on the field to fix, whatever the request holds, and inputs at the
//! extremes are assessed instead of failing inside the engine.

use std::process::{Command, Stdio};

use eva::api::pb;
use prost::Message;
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{
    ServeProcess, TestServer, fixture, free_port, python_ready, raw, request, root, succeeded,
};

/// The fields of an INVALID_ARGUMENT answer, in order.
async fn rejected_fields(server: &TestServer, request: pb::AssessRequest) -> Vec<(String, String)> {
    let status = server
        .client()
        .await
        .assess(request)
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status
        .get_details_bad_request()
        .expect("bad request details")
        .field_violations
        .into_iter()
        .map(|v| (v.field, v.description))
        .collect()
}

/// 200 over-long headings and 64 unknown groups: 264 problems.
fn draft_with_264_problems() -> pb::DraftDecision {
    let mut draft = fixture("zoning.json");
    draft.sections = (0..200)
        .map(|_| pb::Section {
            kind: pb::SectionKind::Proposal as i32,
            heading: "h".repeat(1001),
            text: "Asemakaava hyväksytään.".into(),
        })
        .collect();
    draft.affected_groups = (0..64).map(|i| format!("group_{i}")).collect();
    draft
}

#[tokio::test]
async fn many_problems_are_listed_twenty_at_a_time_with_a_count_of_the_rest() {
    let server = TestServer::start().await;
    let status = server
        .client()
        .await
        .assess(request(draft_with_264_problems()))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.message(),
        "the request has 264 problems; the field violations list the first 20, and 244 more are not listed"
    );
    let v = status
        .get_details_bad_request()
        .expect("details")
        .field_violations;
    assert_eq!(v.len(), 20);
    assert_eq!(v[0].field, "draft.sections[0].heading");
    assert!(
        status.details().len() < 5 * 1024,
        "details of {} bytes",
        status.details().len()
    );
}

#[tokio::test]
async fn a_million_render_formats_are_one_problem() {
    let server = TestServer::start().await;
    let fields = rejected_fields(
        &server,
        pb::AssessRequest {
            draft: Some(fixture("zoning.json")),
            render_formats: vec![99; 1_000_000],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        fields,
        vec![(
            "render_formats".to_string(),
            "has 1000000 entries, over the limit of 16; ask for each at most once".to_string()
        )]
    );
}

#[tokio::test]
async fn a_callers_value_is_echoed_cut_short() {
    let server = TestServer::start().await;
    let mut draft = fixture("zoning.json");
    draft.tenant = "9".repeat(3 << 20);
    let fields = rejected_fields(&server, request(draft)).await;
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].0, "draft.tenant");
    assert!(
        fields[0].1.starts_with(&format!(
            "`{}…` is not a municipality number",
            "9".repeat(64)
        )),
        "{}",
        fields[0].1
    );
    assert!(fields[0].1.len() < 300);
}

#[tokio::test]
async fn drafts_over_a_limit_are_refused_on_the_field_to_fix() {
    let server = TestServer::start().await;
    type Change = Box<dyn Fn(&mut pb::AssessRequest)>;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "draft.sections",
            Box::new(|r| {
                let d = r.draft.as_mut().expect("draft");
                let s = d.sections[0].clone();
                d.sections = vec![s; 201];
            }),
            "has 201 sections, over the limit of 200",
        ),
        (
            "draft.alternatives",
            Box::new(|r| {
                r.draft.as_mut().expect("draft").alternatives = (0..21)
                    .map(|i| pb::Alternative {
                        id: format!("A{i}"),
                        title: "Vaihtoehto".into(),
                        ..Default::default()
                    })
                    .collect()
            }),
            "has 21 alternatives, over the limit of 20",
        ),
        (
            "draft.facts",
            Box::new(|r| {
                r.draft.as_mut().expect("draft").facts = (0..65)
                    .map(|i| (format!("fact_{i}"), pbjson_types::Value::from(true)))
                    .collect()
            }),
            "has 65 facts, over the limit of 64",
        ),
        (
            "draft.affected_areas",
            Box::new(|r| {
                r.draft.as_mut().expect("draft").affected_areas = vec!["Kallio".into(); 65]
            }),
            "has 65 areas, over the limit of 64",
        ),
        (
            "draft.affected_areas[1]",
            Box::new(|r| {
                r.draft.as_mut().expect("draft").affected_areas =
                    vec!["Kallio".into(), "k".repeat(257)]
            }),
            "has 257 bytes, over the limit of 256 bytes",
        ),
        (
            "draft.language",
            Box::new(|r| r.draft.as_mut().expect("draft").language = " ".into()),
            "is empty; use `fi` or `sv`",
        ),
        (
            "draft.affected_groups",
            Box::new(|r| {
                r.draft.as_mut().expect("draft").affected_groups = vec!["children".into(); 65]
            }),
            "has 65 groups, over the limit of 64",
        ),
        (
            "draft.case_id",
            Box::new(|r| r.draft.as_mut().expect("draft").case_id = "x".repeat(257)),
            "has 257 bytes, over the limit of 256 bytes",
        ),
        (
            "request_id",
            Box::new(|r| r.request_id = "x".repeat(257)),
            "has 257 bytes, over the limit of 256 bytes",
        ),
        (
            "render_languages",
            Box::new(|r| r.render_languages = vec!["fi".into(); 17]),
            "has 17 entries, over the limit of 16",
        ),
        (
            "draft.alternatives",
            Box::new(|r| {
                r.draft.as_mut().expect("draft").alternatives = vec![pb::Alternative {
                    id: "A".into(),
                    title: "Vaihtoehto".into(),
                    text: "koulu ".repeat(200_000),
                    zero_option: false,
                }]
            }),
            "the draft carries 1200186 bytes of text, over the limit of 1048576 bytes, 1200010 of them here;",
        ),
    ];
    for (field, change, description) in cases {
        let mut r = request(fixture("zoning.json"));
        change(&mut r);
        let fields = rejected_fields(&server, r).await;
        assert_eq!(fields.len(), 1, "{field}: {fields:?}");
        assert_eq!(fields[0].0, field);
        assert!(fields[0].1.starts_with(description), "{fields:?}");
    }
}

#[tokio::test]
async fn drafts_at_the_limits_are_accepted() {
    let server = TestServer::start().await;
    let mut draft = fixture("zoning.json");
    draft.title = format!("Asemakaava {}", "x".repeat(1000 - 11));
    draft.case_id = "c".repeat(256);
    let section = draft.sections[0].clone();
    draft.sections = vec![section; 200];
    draft.affected_groups = vec!["school_children".into(); 64];
    draft.affected_areas = vec!["a".repeat(256); 64];
    let request = pb::AssessRequest {
        draft: Some(draft),
        request_id: "r".repeat(256),
        render_languages: vec!["fi".into(); 16],
        ..Default::default()
    };
    server
        .client()
        .await
        .assess(request)
        .await
        .expect("every field at its limit is accepted");
}

#[tokio::test]
async fn a_title_that_carries_the_text_over_the_limit_is_reported_on_the_title() {
    let server = TestServer::start().await;
    let mut draft = fixture("zoning.json");
    draft.title = "Asemakaava ".repeat(100_000);
    let fields = rejected_fields(&server, request(draft)).await;
    let names: Vec<&str> = fields.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, vec!["draft.title", "draft.title"], "{fields:?}");
    assert!(
        fields[0]
            .1
            .contains("over the limit of 1000 bytes for a title")
    );
    assert!(fields[1].1.contains("over the limit of 1048576 bytes"));
}

#[tokio::test]
async fn decision_dates_are_four_digit_years_within_range() {
    let server = TestServer::start().await;
    for bad in [
        "-2021-01-01",
        "0000-01-01",
        "2021-1-1",
        "+2021-01-01",
        "1899-12-31",
    ] {
        let mut draft = fixture("zoning.json");
        draft.decision_date = bad.into();
        let fields = rejected_fields(&server, request(draft)).await;
        assert_eq!(fields.len(), 1, "{bad}");
        assert_eq!(fields[0].0, "draft.decision_date");
        assert!(
            fields[0]
                .1
                .ends_with("write it as YYYY-MM-DD, between 1900-01-01 and 2999-12-31"),
            "{}",
            fields[0].1
        );
    }
    let mut draft = fixture("zoning.json");
    draft.decision_date = "2021-06-30".into();
    let a = server
        .client()
        .await
        .assess(request(draft))
        .await
        .expect("a valid date is accepted")
        .into_inner()
        .assessment
        .expect("assessment");
    assert_eq!(a.reference_date, "2021-06-30");
}

#[tokio::test]
async fn numeric_facts_must_be_finite_and_within_range() {
    let server = TestServer::start().await;
    for (value, description) in [
        (
            1e29,
            "`1e+29` is out of range; give a number between -1e15 and 1e15",
        ),
        (
            f64::NAN,
            "holds a number that is not finite (NaN or infinity); give a finite number",
        ),
        (
            f64::NEG_INFINITY,
            "holds a number that is not finite (NaN or infinity); give a finite number",
        ),
    ] {
        let mut draft = fixture("fee_increase.json");
        draft.facts.insert(
            "affected_residents".into(),
            pbjson_types::Value::from(value),
        );
        let fields = rejected_fields(&server, request(draft)).await;
        assert_eq!(
            fields,
            vec![(
                "draft.facts.affected_residents".to_string(),
                description.to_string()
            )],
            "{value}"
        );
    }
    let mut draft = fixture("fee_increase.json");
    draft
        .facts
        .insert("affected_residents".into(), pbjson_types::Value::from(1e15));
    server
        .client()
        .await
        .assess(request(draft))
        .await
        .expect("the largest number is accepted");
}

#[tokio::test]
async fn extreme_amounts_in_the_text_and_the_budget_are_assessed() {
    let server = TestServer::start().await;
    let mut draft = fixture("zoning.json");
    draft.sections[0].text = format!("Lautakunta myöntää avustusta {} euroa.", "9".repeat(40));
    draft.budget = Some(pb::Budget {
        one_off_eur: Some(i64::MAX),
        annual_eur: Some(i64::MIN),
    });
    server
        .client()
        .await
        .assess(request(draft))
        .await
        .expect("assessed, not INTERNAL");
}

#[tokio::test]
async fn twenty_alternatives_are_each_assessed_on_their_own_text() {
    let server = TestServer::start().await;
    let mut draft = fixture("school_closure.json");
    draft.alternatives = (0..20)
        .map(|i| pb::Alternative {
            id: format!("A{i}"),
            title: if i == 0 {
                "Koulujen yhdistäminen".into()
            } else {
                format!("Vaihtoehto {i}")
            },
            text: if i == 0 {
                "Kiihtelysvaaran koulu lakkautetaan ja yhdistetään Heinävaaran kouluun.".into()
            } else {
                "Asia jätetään pöydälle.".into()
            },
            zero_option: i == 19,
        })
        .collect();
    let a = server
        .client()
        .await
        .assess(request(draft))
        .await
        .expect("assessed")
        .into_inner()
        .assessment
        .expect("assessment");
    let alternatives = a.alternatives.expect("alternatives");
    assert_eq!(alternatives.alternatives.len(), 20);
    assert!(!alternatives.alternatives[0].impacts.is_empty());
    assert!(alternatives.alternatives[1].impacts.is_empty());
    assert!(alternatives.zero_option_described);
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_out_of_range() {
    let server = TestServer::start().await;
    let mut draft = fixture("zoning.json");
    draft.sections[0].text = "x".repeat(5 << 20);
    let status = server
        .client()
        .await
        .assess(request(draft))
        .await
        .expect_err("too large");
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
}

#[tokio::test]
async fn an_undecodable_message_is_internal_as_grpc_prescribes() {
    let server = TestServer::start().await;
    let mut h2 = raw::connect(server.addr).await;
    let (code, _) = raw::call(
        &mut h2,
        server.addr,
        "/eva.v1.AssessmentService/Assess",
        raw::frame(&[0xff; 64]),
    )
    .await;
    assert_eq!(code, Code::Internal as i32);
}

#[tokio::test]
async fn a_malformed_grpc_timeout_is_invalid_argument() {
    let server = TestServer::start().await;
    let h2 = raw::connect(server.addr).await;
    let mut ready = h2.ready().await.expect("ready");
    let mut headers = raw::request(server.addr, "/eva.v1.AssessmentService/Assess");
    headers
        .headers_mut()
        .insert("grpc-timeout", http::HeaderValue::from_static("soon"));
    let (response, mut send) = ready.send_request(headers, false).expect("send");
    send.send_data(
        raw::frame(&request(fixture("zoning.json")).encode_to_vec()),
        true,
    )
    .expect("data");
    let response = response.await.expect("response");
    assert_eq!(response.headers()["grpc-status"], "3");
    let message = response.headers()["grpc-message"].to_str().expect("ascii");
    assert!(message.contains("grpc-timeout"), "{message}");
}

#[test]
fn a_default_python_client_gets_invalid_argument_however_many_problems() {
    if !python_ready() {
        return;
    }
    let addr = format!("127.0.0.1:{}", free_port());
    let _server = ServeProcess::start(&addr, Stdio::null());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("request.bin");
    std::fs::write(&path, request(draft_with_264_problems()).encode_to_vec()).expect("write");
    let out = Command::new("python3")
        .arg("tests/e2e/raw_call.py")
        .arg(&addr)
        .arg("/eva.v1.AssessmentService/Assess")
        .arg(&path)
        .current_dir(root())
        .output()
        .expect("python runs");
    succeeded(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["code"], "INVALID_ARGUMENT", "{v}");
    assert!(
        v["details_bytes"]
            .as_u64()
            .is_some_and(|n| n > 0 && n < 5 * 1024),
        "{v}"
    );
}

#[test]
fn a_newline_in_a_callers_value_cannot_forge_a_log_line() {
    let addr = format!("127.0.0.1:{}", free_port());
    let server = ServeProcess::start_with(&addr, &["--log-format", "text"], Stdio::piped());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        let mut client =
            eva::api::pb::assessment_service_client::AssessmentServiceClient::new(channel);
        let mut draft = fixture("zoning.json");
        draft.tenant = "091\nFORGED tenant line".into();
        let _ = client
            .assess(pb::AssessRequest {
                draft: Some(draft),
                request_id: "r1\nFORGED request line".into(),
                ..Default::default()
            })
            .await
            .expect_err("refused");
    });
    let (_, log) = server.stop(std::time::Duration::from_secs(30));
    assert!(log.contains("rejected"), "{log}");
    assert!(log.contains("r1\\nFORGED request line"), "{log}");
    assert!(
        !log.lines().any(|l| l.starts_with("FORGED")),
        "a caller's newline started a log line:\n{log}"
    );
}
