//! Every Finnish municipality is a tenant: through the gRPC server, a
//! municipality without a plan of its own is assessed against the national
//! baseline and told so, a bilingual one gets renderings in both official
//! languages, and the linguistic strand follows the municipality's status.

use eva::api::pb;
use eva::api::pb::assessment_service_client::AssessmentServiceClient;
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;

use crate::helpers::{TestServer, bundle_info, fixture, request};

/// The school-closure draft sent by `tenant`, in `language`.
fn closure(tenant: &str, language: &str) -> pb::DraftDecision {
    let mut d = fixture("school_closure.json");
    d.tenant = tenant.into();
    d.language = language.into();
    d
}

async fn assess(
    client: &mut AssessmentServiceClient<Channel>,
    draft: pb::DraftDecision,
    languages: &[&str],
) -> pb::AssessResponse {
    let mut req = request(draft);
    req.render_languages = languages.iter().map(|l| l.to_string()).collect();
    req.render_formats = vec![pb::RenderFormat::Text as i32];
    client.assess(req).await.expect("assess").into_inner()
}

fn rendered_languages(r: &pb::AssessResponse) -> Vec<&str> {
    r.renderings.iter().map(|r| r.language.as_str()).collect()
}

#[tokio::test]
async fn the_bundle_lists_every_municipality_as_a_tenant() {
    let server = TestServer::start().await;
    let info = bundle_info(&server).await;
    assert_eq!(info.tenants.len(), 308);
    assert_eq!(info.municipalities.len(), 308);
    assert_eq!(info.register_year, 2026);
    let lapua = info
        .municipalities
        .iter()
        .find(|m| m.number == "408")
        .expect("Lapua");
    let name = lapua.name.as_ref().expect("name");
    assert_eq!((name.fi.as_str(), name.sv.as_str()), ("Lapua", "Lappo"));
    assert_eq!(lapua.languages, vec!["fi"]);
    let county = lapua.county.as_ref().expect("county");
    assert_eq!(county.id, "etela-pohjanmaa");
    assert_eq!(
        county.name.as_ref().expect("county name").fi,
        "Etelä-Pohjanmaan hyvinvointialue"
    );
    let plans: Vec<(&str, bool)> = info
        .plans
        .iter()
        .map(|p| (p.id.as_str(), p.national_baseline))
        .collect();
    assert_eq!(
        plans,
        vec![
            ("helsinki-2022-2025", false),
            ("joensuu-2025-2029", false),
            ("national-baseline", true)
        ]
    );
}

#[tokio::test]
async fn a_municipality_without_a_plan_is_assessed_against_the_national_baseline_and_told_so() {
    let server = TestServer::start().await;
    let mut client = AssessmentServiceClient::new(server.channel().await);
    let mut req = request(closure("408", "fi"));
    req.render_formats = vec![
        pb::RenderFormat::Html as i32,
        pb::RenderFormat::Markdown as i32,
        pb::RenderFormat::Text as i32,
    ];
    let r = client.assess(req).await.expect("assess").into_inner();
    let a = r.assessment.as_ref().expect("assessment");
    let plan = a.plan.as_ref().expect("plan");
    assert_eq!(plan.id, "national-baseline");
    assert!(plan.national_baseline);
    assert!(!a.goals.is_empty(), "the baseline's goals are assessed");
    assert!(a.goals.iter().all(|g| g.goal_id.starts_with("nat-")));
    let m = a.municipality.as_ref().expect("municipality");
    assert_eq!(m.number, "408");
    assert_eq!(m.name.as_ref().expect("name").fi, "Lapua");
    assert_eq!(r.renderings.len(), 3);
    for rendering in &r.renderings {
        assert!(
            rendering.content.contains("Lapua (408)")
                && rendering
                    .content
                    .contains("Kunnalla ei ole omaa hyvinvointisuunnitelmaa"),
            "{}",
            rendering.content
        );
    }

    // a municipality with a plan of its own is assessed against it, and
    // nothing says otherwise
    let r = assess(&mut client, closure("167", "fi"), &[]).await;
    let a = r.assessment.as_ref().expect("assessment");
    let plan = a.plan.as_ref().expect("plan");
    assert_eq!(
        (plan.id.as_str(), plan.national_baseline),
        ("joensuu-2025-2029", false)
    );
    assert!(
        !r.renderings[0]
            .content
            .contains("Kunnalla ei ole omaa hyvinvointisuunnitelmaa")
    );
    assert!(r.renderings[0].content.contains("Joensuu (167)"));
}

#[tokio::test]
async fn a_bilingual_municipality_gets_both_official_languages_by_default() {
    let server = TestServer::start().await;
    let mut client = AssessmentServiceClient::new(server.channel().await);
    // Finnish-majority, a Finnish draft
    let r = assess(&mut client, closure("091", "fi"), &[]).await;
    assert_eq!(rendered_languages(&r), vec!["fi", "sv"]);
    assert!(r.renderings[1].content.contains("Helsingfors (091)"));
    // a Swedish draft of a Swedish-majority municipality: its own first
    let r = assess(&mut client, closure("599", "sv"), &[]).await;
    assert_eq!(rendered_languages(&r), vec!["sv", "fi"]);
    // a Swedish draft of a Finnish-majority one
    let r = assess(&mut client, closure("638", "sv"), &[]).await;
    assert_eq!(rendered_languages(&r), vec!["sv", "fi"]);
    // unilingual: the draft's own
    let r = assess(&mut client, closure("408", "fi"), &[]).await;
    assert_eq!(rendered_languages(&r), vec!["fi"]);
    // asked for, exactly what was asked
    let r = assess(&mut client, closure("091", "fi"), &["en"]).await;
    assert_eq!(rendered_languages(&r), vec!["en"]);
}

#[tokio::test]
async fn the_linguistic_strand_follows_the_municipalitys_status() {
    let server = TestServer::start().await;
    let mut client = AssessmentServiceClient::new(server.channel().await);
    let strand = |a: &pb::Assessment| {
        let kinds: Vec<String> = a
            .required_assessments
            .iter()
            .map(|r| r.kind.clone())
            .filter(|k| k == "linguistic")
            .collect();
        let questions: Vec<String> = a
            .open_questions
            .iter()
            .map(|q| q.id.clone())
            .filter(|q| q.contains("language_services"))
            .collect();
        (kinds, questions)
    };
    // the draft names no language group: only the status can trigger it
    for (tenant, expected) in [
        ("638", (vec!["linguistic"], vec!["language_services"])),
        ("890", (vec!["linguistic"], vec!["sami_language_services"])),
        ("408", (vec![], vec![])),
    ] {
        let r = assess(&mut client, closure(tenant, "fi"), &[]).await;
        let (kinds, questions) = strand(r.assessment.as_ref().expect("assessment"));
        assert_eq!(
            (kinds, questions),
            (
                expected.0.iter().map(|s| s.to_string()).collect(),
                expected.1.iter().map(|s| s.to_string()).collect()
            ),
            "tenant {tenant}"
        );
    }
}

#[tokio::test]
async fn an_unknown_municipality_number_says_what_a_valid_one_looks_like() {
    let server = TestServer::start().await;
    let mut client = AssessmentServiceClient::new(server.channel().await);
    for (tenant, start) in [
        (
            "999",
            "no Finnish municipality has the number `999` in the classification of 2026; ",
        ),
        ("Lapua", "`Lapua` is not a municipality number; "),
        ("", "is empty; "),
    ] {
        let status = client
            .assess(request(closure(tenant, "fi")))
            .await
            .expect_err("invalid");
        assert_eq!(status.code(), Code::InvalidArgument);
        let v = status
            .get_details_bad_request()
            .expect("details")
            .field_violations;
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].field, "draft.tenant");
        assert!(v[0].description.starts_with(start), "{}", v[0].description);
        assert!(
            v[0].description
                .ends_with("give the three-digit number Statistics Finland gives the municipality, such as `091` for Helsinki or `408` for Lapua"),
            "{}",
            v[0].description
        );
    }
}

#[tokio::test]
async fn sections_without_a_kind_are_read_by_their_headings() {
    let server = TestServer::start().await;
    let mut client = AssessmentServiceClient::new(server.channel().await);
    // a town's minutes: the preparer's account mentions a closure decided
    // years ago; the proposal only notes a report
    let sections = |kinds: [pb::SectionKind; 2]| {
        vec![
            pb::Section {
                kind: kinds[0] as i32,
                heading: "Valmistelija / lisätiedot:".into(),
                text: "Hallintojohtaja, puh. 040 123 4567\n\nKaupunginvaltuusto päätti vuonna 2019 lakkauttaa Hellanmaan koulun ja päiväkodin; oppilaat siirtyivät keskustan kouluun.".into(),
            },
            pb::Section {
                kind: kinds[1] as i32,
                heading: "Kaupunginjohtajan ehdotus:".into(),
                text: "Kaupunginhallitus merkitsee selvityksen tiedoksi.".into(),
            },
        ]
    };
    let draft = |kinds| pb::DraftDecision {
        tenant: "408".into(),
        language: "fi".into(),
        title: "Selvitys kouluverkosta".into(),
        sections: sections(kinds),
        ..Default::default()
    };
    let summary = |a: &pb::Assessment| {
        let s = a.screening.as_ref().expect("screening");
        let rules: Vec<String> = s.reasons.iter().map(|r| r.rule_id.clone()).collect();
        (s.verdict, rules, a.impacts.len())
    };
    use pb::SectionKind::{Other, Proposal, Reasoning, Unspecified};
    let by_heading = assess(&mut client, draft([Unspecified, Unspecified]), &[]).await;
    let marked = assess(&mut client, draft([Reasoning, Proposal]), &[]).await;
    let unmarked = assess(&mut client, draft([Other, Other]), &[]).await;
    let by_heading = summary(by_heading.assessment.as_ref().expect("assessment"));
    assert_eq!(
        by_heading,
        summary(marked.assessment.as_ref().expect("assessment"))
    );
    // without kinds or headings every section is the proposal, and the old
    // closure reads as this decision's
    assert_ne!(
        by_heading,
        summary(unmarked.assessment.as_ref().expect("assessment"))
    );
}
