use eva::api::pb;
use eva::api::pb::assessment_service_client::AssessmentServiceClient;
use eva::api::pb::rule_service_client::RuleServiceClient;
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{
    TestServer, bundle_info, fixture, one_section_draft, rule_impact, screening_rules, verdict,
    with_alternatives,
};

/// Assesses a draft that must be accepted, without renderings.
async fn assessed(
    client: &mut AssessmentServiceClient<tonic::transport::Channel>,
    draft: pb::DraftDecision,
) -> pb::Assessment {
    client
        .assess(request(draft))
        .await
        .expect("assess")
        .into_inner()
        .assessment
        .expect("assessment")
}

/// A server on a loopback port and an assessment client for it; the server
/// stops when the returned handle is dropped.
async fn assessment_client() -> (
    TestServer,
    AssessmentServiceClient<tonic::transport::Channel>,
) {
    let server = TestServer::start().await;
    let client = AssessmentServiceClient::new(server.channel().await);
    (server, client)
}

fn request(draft: pb::DraftDecision) -> pb::AssessRequest {
    pb::AssessRequest {
        draft: Some(draft),
        ..Default::default()
    }
}

#[tokio::test]
async fn assesses_a_school_closure_with_renderings() {
    let (_server, mut client) = assessment_client().await;
    let response = client
        .assess(pb::AssessRequest {
            draft: Some(fixture("school_closure.json")),
            render_languages: vec!["fi".into(), "sv".into(), "en".into()],
            render_formats: vec![
                pb::RenderFormat::Html as i32,
                pb::RenderFormat::Markdown as i32,
                pb::RenderFormat::Text as i32,
            ],
            request_id: "t1".into(),
        })
        .await
        .expect("assess")
        .into_inner();
    let a = response.assessment.expect("assessment");
    assert_eq!(
        a.screening.as_ref().map(|s| s.verdict),
        Some(pb::ScreeningVerdict::Required as i32)
    );
    assert!(a.required_assessments.iter().any(|r| r.kind == "lava"));
    assert_eq!(response.renderings.len(), 9);
    let html_en = response
        .renderings
        .iter()
        .find(|r| r.format == pb::RenderFormat::Html as i32 && r.language == "en")
        .expect("html en");
    assert!(
        html_en
            .content
            .contains("<section class=\"eva-assessment\" lang=\"en\">")
    );
    assert!(html_en.content.contains("<caption>"));
    assert!(!html_en.content.contains("<script"));
}

#[tokio::test]
async fn evidence_offsets_point_at_the_excerpt() {
    let (_server, mut client) = assessment_client().await;
    let draft = fixture("school_closure.json");
    let a = assessed(&mut client, draft.clone()).await;
    let mut checked = 0;
    for impact in &a.impacts {
        for e in impact.evidence.iter().filter(|e| e.fact.is_empty()) {
            let text = if e.section_index < 0 {
                draft.title.as_str()
            } else {
                draft.sections[e.section_index as usize].text.as_str()
            };
            assert_eq!(
                &text.as_bytes()[e.start as usize..e.end as usize],
                e.excerpt.as_bytes()
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no text evidence to check");
}

#[tokio::test]
async fn evidence_excerpts_are_the_words_that_matched() {
    let (_server, mut client) = assessment_client().await;
    let a = assessed(&mut client, fixture("school_closure.json")).await;
    let mut excerpts: Vec<(i32, u32, &str, &str)> = a
        .impacts
        .iter()
        .flat_map(|i| &i.evidence)
        .filter(|e| e.fact.is_empty())
        .map(|e| {
            (
                e.section_index,
                e.start,
                e.excerpt.as_str(),
                e.term.as_str(),
            )
        })
        .collect();
    excerpts.sort();
    excerpts.dedup();
    assert_eq!(
        excerpts,
        vec![
            (-1, 0, "Kouluverkon", "kouluverk*"),
            (-1, 36, "koulun", "koulu"),
            (-1, 43, "lakkauttaminen", "lakkaut*"),
            (0, 44, "koulu", "koulu"),
            (0, 50, "lakkautetaan", "lakkaut*"),
            (0, 76, "oppilaat", "oppilas"),
        ]
    );
}

#[tokio::test]
async fn the_concepts_found_are_listed_with_their_counts_and_labels() {
    let (_server, mut client) = assessment_client().await;
    let a = assessed(&mut client, fixture("school_closure.json")).await;
    let found: Vec<(&str, u32)> = a
        .concepts
        .iter()
        .map(|c| (c.concept.as_str(), c.count))
        .collect();
    assert_eq!(
        found,
        vec![
            ("accessibility", 2),
            ("closure", 2),
            ("school", 4),
            ("school_network", 1),
        ]
    );
    let school = a
        .concepts
        .iter()
        .find(|c| c.concept == "school")
        .expect("school");
    assert!(!school.label.as_ref().expect("label").fi.is_empty());
}

#[tokio::test]
async fn alternatives_without_a_zero_option_are_told_so() {
    let (_server, mut client) = assessment_client().await;
    let mut draft = fixture("school_closure.json");
    draft.alternatives = vec![pb::Alternative {
        id: "A".into(),
        title: "Koulujen yhdistäminen".into(),
        text: "Koulu yhdistetään lähikouluun.".into(),
        zero_option: false,
    }];
    let a = assessed(&mut client, draft).await;
    assert!(!a.alternatives.expect("comparison").zero_option_described);
    let questions: Vec<&str> = a.open_questions.iter().map(|q| q.id.as_str()).collect();
    assert!(questions.contains(&"no_zero_option"), "{questions:?}");
}

#[tokio::test]
async fn a_required_rule_beats_an_ordinary_exemption_but_not_a_strict_one() {
    let (_server, mut client) = assessment_client().await;
    // a lease alone is exempt, as an ordinary exemption
    let lease = one_section_draft(
        "Koulukiinteistön vuokrasopimus",
        "Kaupunginhallitus päättää tehdä vuokrasopimuksen yhdistyksen kanssa.",
    );
    let a = assessed(&mut client, lease).await;
    assert_exempt(a, "single_lease_or_sale", "a lease");
    // with a school closure in it, the closure's REQUIRED wins
    let closure = one_section_draft(
        "Koulukiinteistön vuokrasopimus ja Kallion koulun lakkauttaminen",
        "Kaupunginhallitus päättää tehdä vuokrasopimuksen ja lakkauttaa Kallion koulun 31.7.2027.",
    );
    let a = assessed(&mut client, closure).await;
    assert_eq!(verdict(&a), pb::ScreeningVerdict::Required as i32);
    assert!(a.screening.as_ref().expect("screening").exemption.is_none());
    assert!(screening_rules(&a).contains(&"network.school_closure"));
    // a strict exemption wins even over REQUIRED: a tabled closure
    let tabled = one_section_draft(
        "Kallion koulun lakkauttaminen",
        "Lautakunta päätti panna asian pöydälle.",
    );
    let a = assessed(&mut client, tabled).await;
    assert_exempt(a, "tabled", "a tabled closure");
}

#[tokio::test]
async fn markdown_and_text_renderings_show_the_drafts_markup_literally() {
    let (_server, mut client) = assessment_client().await;
    // an alternative's title is the caller's text both renderings show
    let mut draft = fixture("school_closure.json");
    draft.alternatives = vec![pb::Alternative {
        id: "A".into(),
        title: "Lakkautus *heti* [katso](http://x) <b>|\u{7}".into(),
        text: "Koulu lakkautetaan.".into(),
        zero_option: false,
    }];
    let response = client
        .assess(pb::AssessRequest {
            draft: Some(draft),
            render_languages: vec!["fi".into()],
            render_formats: vec![
                pb::RenderFormat::Markdown as i32,
                pb::RenderFormat::Text as i32,
            ],
            ..Default::default()
        })
        .await
        .expect("assessed")
        .into_inner();
    let markdown = &response.renderings[0].content;
    assert!(
        markdown.contains("\\*heti\\* \\[katso\\](http://x) \\<b\\>\\|"),
        "{markdown}"
    );
    assert!(
        !markdown.contains("*heti*") && !markdown.contains("<b>"),
        "{markdown}"
    );
    let text = &response.renderings[1].content;
    assert!(text.contains("*heti* [katso](http://x) <b>|"), "{text}");
    assert!(!text.contains('\u{7}'), "a control character in plain text");
}

#[tokio::test]
async fn rejects_a_draft_without_title_or_text_with_field_violations() {
    let (_server, mut client) = assessment_client().await;
    let draft = pb::DraftDecision {
        tenant: "091".into(),
        language: "fi".into(),
        ..Default::default()
    };
    let status = client.assess(request(draft)).await.expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    let violations = status
        .get_details_bad_request()
        .expect("bad request details")
        .field_violations;
    let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, vec!["draft.title", "draft.sections"]);
}

#[tokio::test]
async fn rejects_an_unknown_tenant() {
    let (_server, mut client) = assessment_client().await;
    let mut draft = fixture("zoning.json");
    draft.tenant = "999".into();
    let status = client.assess(request(draft)).await.expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    let v = status
        .get_details_bad_request()
        .expect("details")
        .field_violations;
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].field, "draft.tenant");
    assert!(v[0].description.contains("`999`"), "{}", v[0].description);
}

#[tokio::test]
async fn rejects_an_unsupported_language() {
    let (_server, mut client) = assessment_client().await;
    let mut draft = fixture("zoning.json");
    draft.language = "de".into();
    let status = client.assess(request(draft)).await.expect_err("invalid");
    let v = status
        .get_details_bad_request()
        .expect("details")
        .field_violations;
    assert_eq!(v[0].field, "draft.language");
}

#[tokio::test]
async fn rejects_text_over_the_limit() {
    let server = TestServer::start().await;
    let mut client = AssessmentServiceClient::new(server.channel().await.clone())
        .max_decoding_message_size(8 << 20)
        .max_encoding_message_size(8 << 20);
    let mut draft = fixture("zoning.json");
    draft.sections[0].text = "koulu ".repeat(200_000);
    let status = client.assess(request(draft)).await.expect_err("too long");
    assert_eq!(status.code(), Code::InvalidArgument);
    let v = status
        .get_details_bad_request()
        .expect("details")
        .field_violations;
    assert_eq!(v[0].field, "draft.sections");
    assert!(v[0].description.contains("1048576"), "{}", v[0].description);
}

#[tokio::test]
async fn rejects_a_fact_of_the_wrong_type() {
    let (_server, mut client) = assessment_client().await;
    let mut draft = fixture("fee_increase.json");
    draft.facts.insert(
        "fee_change_pct".into(),
        pbjson_types::Value::from("eight".to_string()),
    );
    let status = client.assess(request(draft)).await.expect_err("invalid");
    let v = status
        .get_details_bad_request()
        .expect("details")
        .field_violations;
    assert_eq!(v[0].field, "draft.facts.fee_change_pct");
}

#[tokio::test]
async fn rejects_a_missing_draft() {
    let (_server, mut client) = assessment_client().await;
    let status = client
        .assess(pb::AssessRequest::default())
        .await
        .expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn streams_assessments_in_order_and_stops_at_a_bad_draft() {
    let (_server, mut client) = assessment_client().await;
    let mut bad = fixture("zoning.json");
    bad.title.clear();
    let requests = vec![
        request(fixture("school_closure.json")),
        request(fixture("routine_minutes.json")),
        request(bad),
    ];
    let mut stream = client
        .assess_stream(tokio_stream::iter(requests))
        .await
        .expect("stream")
        .into_inner();
    let first = stream.message().await.expect("first").expect("some");
    assert_eq!(
        first.assessment.expect("a").screening.expect("s").verdict,
        pb::ScreeningVerdict::Required as i32
    );
    let second = stream.message().await.expect("second").expect("some");
    assert_eq!(
        second.assessment.expect("a").screening.expect("s").verdict,
        pb::ScreeningVerdict::NotNeeded as i32
    );
    let err = stream.message().await.expect_err("third fails");
    assert_eq!(err.code(), Code::InvalidArgument);
    let v = err
        .get_details_bad_request()
        .expect("details")
        .field_violations;
    assert_eq!(v[0].field, "requests[2].draft.title");
}

#[tokio::test]
async fn reports_bundle_info_and_taxonomy() {
    let server = TestServer::start().await;
    let info = bundle_info(&server).await;
    let mut client = RuleServiceClient::new(server.channel().await);
    assert_eq!(info.id, "eva-default");
    assert!(info.tenants.iter().any(|t| t == "091") && info.tenants.iter().any(|t| t == "167"));
    assert_eq!(info.digest.len(), 64);
    let tax = client
        .list_taxonomy(pb::ListTaxonomyRequest {})
        .await
        .expect("taxonomy")
        .into_inner();
    assert_eq!(tax.determinants.len(), 26);
    assert_eq!(tax.groups.len(), 21);
    assert!(tax.determinants.iter().all(|d| {
        d.label
            .as_ref()
            .is_some_and(|l| !l.fi.is_empty() && !l.sv.is_empty() && !l.en.is_empty())
    }));
}

#[tokio::test]
async fn serves_health() {
    let server = TestServer::start().await;
    let mut client = tonic_health::pb::health_client::HealthClient::new(server.channel().await);
    let resp = client
        .check(tonic_health::pb::HealthCheckRequest {
            service: "eva.v1.AssessmentService".into(),
        })
        .await
        .expect("health")
        .into_inner();
    assert_eq!(
        resp.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}

#[tokio::test]
async fn serves_reflection_v1_and_v1alpha() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let server = TestServer::start().await;
    let mut client = ServerReflectionClient::new(server.channel().await);
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .expect("reflection")
        .into_inner();
    let resp = stream.message().await.expect("msg").expect("some");
    let Some(MessageResponse::ListServicesResponse(list)) = resp.message_response else {
        panic!("unexpected response")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"eva.v1.AssessmentService".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"eva.v1.RuleService".to_string()),
        "{names:?}"
    );

    use tonic_reflection::pb::v1alpha::ServerReflectionRequest as AlphaReq;
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as AlphaClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest as AlphaRequest;
    let mut alpha = AlphaClient::new(server.channel().await);
    let req = AlphaReq {
        host: String::new(),
        message_request: Some(AlphaRequest::ListServices(String::new())),
    };
    let mut stream = alpha
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .expect("v1alpha")
        .into_inner();
    assert!(stream.message().await.expect("msg").is_some());
}

#[tokio::test]
async fn a_structured_fact_gives_more_confidence_than_a_single_keyword() {
    let (_server, mut client) = assessment_client().await;
    let confidence_of = |a: &pb::Assessment, rule: &str| {
        a.impacts
            .iter()
            .find(|i| i.rule_id == rule)
            .map(|i| i.confidence)
            .expect("rule fired")
    };
    let with_fact = client
        .assess(request(fixture("fee_increase.json")))
        .await
        .expect("assess")
        .into_inner();
    let mut keyword_only = fixture("fee_increase.json");
    keyword_only.facts.clear();
    let without_fact = client
        .assess(request(keyword_only))
        .await
        .expect("assess")
        .into_inner();
    let (a, b) = (
        with_fact.assessment.expect("a"),
        without_fact.assessment.expect("a"),
    );
    assert_eq!(confidence_of(&a, "economy.fee_increase"), 0.9);
    assert!(confidence_of(&b, "economy.fee_increase") < 0.9);
    let goal = a
        .goals
        .iter()
        .find(|g| g.verdict != pb::GoalVerdict::Unaffected as i32)
        .expect("an affected goal");
    assert!(goal.confidence > 0.0 && goal.confidence <= 1.0);
    assert!(
        a.goals
            .iter()
            .filter(|g| g.verdict == pb::GoalVerdict::Unaffected as i32)
            .all(|g| g.confidence == 0.0)
    );
}

#[tokio::test]
async fn open_questions_name_what_the_draft_lacks() {
    let (_server, mut client) = assessment_client().await;
    let ids = |a: &pb::Assessment| {
        a.open_questions
            .iter()
            .map(|q| q.id.clone())
            .collect::<Vec<_>>()
    };
    let bare = client
        .assess(request(fixture("school_closure.json")))
        .await
        .expect("assess")
        .into_inner();
    let bare = bare.assessment.expect("a");
    assert_eq!(
        ids(&bare),
        vec![
            "no_alternatives",
            "children_not_heard",
            "residents_not_consulted",
            "cumulative_effects",
            "mitigation_and_follow_up",
            "travel_distances"
        ]
    );
    // the same draft with the children heard, residents consulted and a zero option described
    let mut complete = fixture("school_closure.json");
    complete
        .facts
        .insert("children_heard".into(), pbjson_types::Value::from(true));
    complete.facts.insert(
        "residents_consulted".into(),
        pbjson_types::Value::from(true),
    );
    complete.alternatives.push(pb::Alternative {
        id: "zero".into(),
        title: "Koulu jatkaa".into(),
        text: "Kiihtelysvaaran koulu jatkaa nykyisellään.".into(),
        zero_option: true,
    });
    let complete = assessed(&mut client, complete).await;
    assert_eq!(
        ids(&complete),
        vec![
            "cumulative_effects",
            "mitigation_and_follow_up",
            "travel_distances"
        ]
    );
    // no groups and no budget for a service change
    let mut vague = fixture("school_closure.json");
    vague.affected_groups.clear();
    vague.budget = None;
    let vague = assessed(&mut client, vague).await;
    assert!(
        ids(&vague).contains(&"no_groups_declared".to_string()),
        "{:?}",
        ids(&vague)
    );
    assert!(
        ids(&vague).contains(&"no_budget_figures".to_string()),
        "{:?}",
        ids(&vague)
    );
}

#[tokio::test]
async fn compares_alternatives_including_the_zero_option() {
    let (_server, mut client) = assessment_client().await;
    let draft = with_alternatives();
    let a = assessed(&mut client, draft.clone()).await;
    let comparison = a.alternatives.expect("comparison");
    assert!(comparison.zero_option_described);
    let merge = &comparison.alternatives[0];
    assert_eq!(merge.alternative_id, "A");
    assert!(
        merge
            .impacts
            .iter()
            .any(|i| i.determinant == "education_learning"
                && i.direction == pb::Direction::Negative as i32)
    );
    for e in merge.impacts.iter().flat_map(|i| &i.evidence) {
        let text = if e.section_index < 0 {
            &draft.alternatives[0].title
        } else {
            &draft.alternatives[0].text
        };
        assert_eq!(
            &text.as_bytes()[e.start as usize..e.end as usize],
            e.excerpt.as_bytes()
        );
    }
    let zero = &comparison.alternatives[1];
    assert!(zero.zero_option);
    assert!(zero.impacts.is_empty(), "{:?}", zero.impacts);
    assert!(
        !a.open_questions
            .iter()
            .any(|q| q.id == "no_alternatives" || q.id == "no_zero_option")
    );
}

#[tokio::test]
async fn impacts_reach_the_groups_the_title_names_besides_their_rules_groups() {
    let (_server, mut client) = assessment_client().await;
    let mut draft = fixture("school_closure.json");
    draft.title = "Kiihtelysvaaran koulun lakkauttaminen ja ikääntyneiden kohtaamispaikka".into();
    let a = assessed(&mut client, draft).await;
    let learning = rule_impact(&a, "network.school_closure", "education_learning");
    // the rule names school children; the title names older people
    assert_eq!(learning.groups, vec!["school_children", "older_people"]);
}

#[tokio::test]
async fn a_tabled_or_returned_item_needs_no_assessment_whatever_it_is_about() {
    let (_server, mut client) = assessment_client().await;
    for (decision, exemption) in [
        ("Lautakunta päätti panna asian pöydälle.", "tabled"),
        (
            "Lautakunta päätti palauttaa asian uudelleen valmisteltavaksi.",
            "returned",
        ),
    ] {
        let mut draft = fixture("school_closure.json");
        draft.sections[0].text = decision.into();
        assert_exempt(assessed(&mut client, draft).await, exemption, decision);
    }
}

/// An exempt item: NOT_NEEDED with `exemption` stated, and no impacts.
fn assert_exempt(a: pb::Assessment, exemption: &str, what: &str) {
    let screening = a.screening.expect("screening");
    assert_eq!(
        screening.verdict,
        pb::ScreeningVerdict::NotNeeded as i32,
        "{what}"
    );
    assert_eq!(
        screening.exemption.map(|e| e.id).as_deref(),
        Some(exemption),
        "{what}"
    );
    assert!(a.impacts.is_empty(), "{what}");
}

#[tokio::test]
async fn an_appeal_or_an_administrative_merger_needs_no_assessment() {
    let (_server, mut client) = assessment_client().await;
    for (title, exemption) in [
        (
            "Lausunto hallinto-oikeudelle Kiihtelysvaaran koulun lakkauttamista koskevasta valituksesta",
            "appeal",
        ),
        (
            "Kiihtelysvaaran koulun hallinnollinen yhdistäminen Heinävaaran kouluun",
            "administrative_merger",
        ),
    ] {
        let mut draft = fixture("school_closure.json");
        draft.title = title.into();
        assert_exempt(assessed(&mut client, draft).await, exemption, title);
    }
}

#[tokio::test]
async fn extending_plot_reservations_needs_no_assessment_but_making_them_does() {
    let (_server, mut client) = assessment_client().await;
    let text = "Tonttipäällikkö päätti jatkaa asuntotonttien varauksia 31.12.2026 saakka muutoin entisin ehdoin.";
    let title = "Eräiden asuntotonttien varausten jatkaminen";
    let a = assessed(&mut client, one_section_draft(title, text)).await;
    assert_exempt(a, "reservation_extension", title);

    let a = assessed(
        &mut client,
        one_section_draft(
            "Asuntotonttien varaaminen asuntohankkeita varten",
            "Kaupunginhallitus varaa asuntotontit asuntohankkeiden suunnittelua varten.",
        ),
    )
    .await;
    let screening = a.screening.as_ref().expect("screening");
    assert_eq!(screening.verdict, pb::ScreeningVerdict::Recommended as i32);
    assert!(screening.exemption.is_none());
}

#[tokio::test]
async fn procuring_care_is_recommended_and_reaches_the_clients_the_title_names() {
    let (_server, mut client) = assessment_client().await;
    let a = assessed(
        &mut client,
        one_section_draft(
            "Ikääntyneiden ympärivuorokautisen palveluasumisen hankinta",
            "Lautakunta hyväksyy kilpailutuksen keskeiset periaatteet ja ehdot.",
        ),
    )
    .await;
    assert_eq!(verdict(&a), pb::ScreeningVerdict::Recommended as i32);
    let rules = screening_rules(&a);
    assert!(rules.contains(&"economy.procurement_care"), "{rules:?}");
    assert!(!rules.contains(&"land.housing"), "{rules:?}");
    let access = rule_impact(&a, "economy.procurement_care", "service_access");
    assert_eq!(access.groups, vec!["older_people"]);
}

#[tokio::test]
async fn an_impact_keeps_only_the_age_bands_the_text_names() {
    let (_server, mut client) = assessment_client().await;
    let rights_groups = |a: &pb::Assessment| {
        a.impacts
            .iter()
            .find(|i| i.rule_id == "people.children_affected")
            .map(|i| i.groups.clone())
            .expect("the children's rights impact")
    };
    // people.children_affected names all three child age bands; a day-care
    // closure names only the youngest
    let mut draft = one_section_draft(
        "Päiväkoti Peukaloisen toiminnan lakkauttaminen",
        "Lautakunta esittää, että päiväkoti lakkautetaan 31.7.2027.",
    );
    let a = assessed(&mut client, draft.clone()).await;
    assert_eq!(rights_groups(&a), vec!["young_children"]);

    // "the children" in the proposal are the unit's children: still the
    // youngest band only
    draft.sections[0].text =
        "Lautakunta esittää, että päiväkoti lakkautetaan 31.7.2027. Lasten hoitopaikat siirtyvät."
            .into();
    let a = assessed(&mut client, draft.clone()).await;
    assert_eq!(rights_groups(&a), vec!["young_children"]);

    // a title on children in general keeps every band the rule names
    draft.title = "Lasten päiväkodin ja kerhon lakkauttaminen".into();
    let a = assessed(&mut client, draft).await;
    assert_eq!(
        rights_groups(&a),
        vec!["young_children", "school_children", "young_people"]
    );
}

#[tokio::test]
async fn a_draft_that_marks_no_proposal_has_its_whole_text_read_as_one() {
    let (_server, mut client) = assessment_client().await;
    let mut draft = one_section_draft(
        "Palvelujen järjestäminen vuonna 2027",
        "Päiväkoti Peukaloinen lakkautetaan 31.7.2027.",
    );
    // marked as background next to a marked proposal, the closure is history
    draft.sections[0].kind = pb::SectionKind::Background as i32;
    let mut with_proposal = draft.clone();
    with_proposal.sections.push(pb::Section {
        kind: pb::SectionKind::Proposal as i32,
        heading: "Päätösehdotus".into(),
        text: "Lautakunta merkitsee selvityksen tiedoksi.".into(),
    });
    let a = assessed(&mut client, with_proposal).await;
    assert_ne!(verdict(&a), pb::ScreeningVerdict::Required as i32);

    // with no section marked as the proposal, by its kind or by a heading,
    // it is what the draft decides, though with less confidence than a
    // marked proposal gives
    draft.sections[0].heading = String::new();
    let mut confidence = Vec::new();
    for kind in [
        pb::SectionKind::Proposal,
        pb::SectionKind::Unspecified,
        pb::SectionKind::Background,
    ] {
        draft.sections[0].kind = kind as i32;
        let a = assessed(&mut client, draft.clone()).await;
        assert_eq!(
            verdict(&a),
            pb::ScreeningVerdict::Required as i32,
            "{kind:?}"
        );
        let impact = rule_impact(&a, "network.daycare_change", "service_access");
        confidence.push(impact.confidence);
    }
    assert!(confidence[1] < confidence[0], "{confidence:?}");
    assert_eq!(confidence[1], confidence[2]);

    // a section sent without a kind under the heading of a proposal is one
    draft.sections[0].kind = pb::SectionKind::Unspecified as i32;
    draft.sections[0].heading = "Päätösehdotus".into();
    let a = assessed(&mut client, draft).await;
    let impact = rule_impact(&a, "network.daycare_change", "service_access");
    assert_eq!(impact.confidence, confidence[0]);
}

#[tokio::test]
async fn closing_a_library_in_a_school_building_reaches_the_area_not_the_school() {
    let (_server, mut client) = assessment_client().await;
    let draft = one_section_draft(
        "Otavan kirjaston lakkauttaminen",
        "Kirjasto toimii koulun yhteydessä. Lautakunta esittää, että kirjasto lakkautetaan 31.12.2026.",
    );
    let a = assessed(&mut client, draft).await;
    assert_eq!(verdict(&a), pb::ScreeningVerdict::Required as i32);
    let rules = screening_rules(&a);
    assert!(
        rules.contains(&"network.leisure_facility_closure"),
        "{rules:?}"
    );
    assert!(!rules.contains(&"network.school_closure"), "{rules:?}");
    for determinant in ["service_access", "culture_leisure"] {
        let impact = a
            .impacts
            .iter()
            .find(|i| {
                i.rule_id == "network.leisure_facility_closure" && i.determinant == determinant
            })
            .unwrap_or_else(|| panic!("a {determinant} impact"));
        assert_eq!(impact.groups, vec!["area_residents"], "{determinant}");
    }
}

#[tokio::test]
async fn a_school_network_review_is_required_on_its_title_alone() {
    let (_server, mut client) = assessment_client().await;
    let draft = one_section_draft(
        "Kouluverkkotarkastelu",
        "Valtuusto päättää muutoksista kuultuaan kuntalaisia.",
    );
    let a = assessed(&mut client, draft).await;
    assert_eq!(verdict(&a), pb::ScreeningVerdict::Required as i32);
    let rules = screening_rules(&a);
    assert!(rules.contains(&"network.school_closure"), "{rules:?}");
    let learning = a
        .impacts
        .iter()
        .find(|i| i.determinant == "education_learning")
        .expect("a learning impact");
    assert_eq!(learning.groups, vec!["school_children"]);
}

#[tokio::test]
async fn moving_a_unit_to_other_premises_is_required_but_moving_money_is_not() {
    let (_server, mut client) = assessment_client().await;
    for (language, title, text, groups) in [
        (
            "fi",
            "Leppätien päiväkodin toimipaikka 1.8.2027 lähtien",
            "Lautakunta päättää, että päiväkodin toiminta jatkuu Talmanpuiston päiväkodin tiloissa.",
            vec!["young_children"],
        ),
        (
            "sv",
            "Flyttning av Sibbo huvudbibliotek till nya lokaler",
            "Nämnden beslutar att biblioteket flyttas till Nickby centrum.",
            vec![],
        ),
    ] {
        let mut draft = one_section_draft(title, text);
        draft.language = language.into();
        let a = assessed(&mut client, draft).await;
        let screening = a.screening.as_ref().expect("screening");
        assert_eq!(
            screening.verdict,
            pb::ScreeningVerdict::Required as i32,
            "{title}"
        );
        assert!(
            screening_rules(&a).contains(&"network.unit_relocation"),
            "{title}"
        );
        let access = rule_impact(&a, "network.unit_relocation", "service_access");
        assert_eq!(access.direction, pb::Direction::Uncertain as i32, "{title}");
        assert_eq!(access.groups, groups, "{title}");
        assert!(
            a.open_questions.iter().any(|q| q.id == "travel_distances"),
            "{title}"
        );
    }
    let a = assessed(
        &mut client,
        one_section_draft(
            "Määrärahan siirtäminen Kontulan koulun peruskorjaukseen",
            "Lautakunta päättää siirtää käyttämättömän määrärahan koulun peruskorjaukseen.",
        ),
    )
    .await;
    assert!(
        !screening_rules(&a).contains(&"network.unit_relocation"),
        "{:?}",
        screening_rules(&a)
    );
}

#[tokio::test]
async fn a_service_network_plan_is_required_unless_it_is_a_statement_or_a_school_network() {
    let (_server, mut client) = assessment_client().await;
    let a = assessed(
        &mut client,
        one_section_draft(
            "Hyvinvointialueen palveluverkkosuunnitelma",
            "Aluevaltuusto hyväksyy palveluverkkosuunnitelman vuosille 2025–2027.",
        ),
    )
    .await;
    let screening = a.screening.as_ref().expect("screening");
    assert_eq!(screening.verdict, pb::ScreeningVerdict::Required as i32);
    assert!(screening_rules(&a).contains(&"network.service_network_plan"));
    let access = rule_impact(&a, "network.service_network_plan", "service_access");
    assert_eq!(access.groups, vec!["area_residents"]);

    for title in [
        "Lausunto naapurikunnan palveluverkkosuunnitelmasta",
        "Perusopetuksen palveluverkkosuunnitelma",
    ] {
        let a = assessed(
            &mut client,
            one_section_draft(title, "Lautakunta hyväksyy esityksen."),
        )
        .await;
        assert!(
            !screening_rules(&a).contains(&"network.service_network_plan"),
            "{title}: {:?}",
            screening_rules(&a)
        );
    }
}

#[tokio::test]
async fn day_care_fees_and_free_places_reach_family_finances() {
    let (_server, mut client) = assessment_client().await;
    for title in [
        "Varhaiskasvatuksen asiakasmaksut 1.8.2027 alkaen",
        "Kokeilu 5-vuotiaiden maksuttomasta varhaiskasvatuksesta",
    ] {
        let a = assessed(
            &mut client,
            one_section_draft(title, "Lautakunta päättää esityksen mukaisesti."),
        )
        .await;
        assert_ne!(
            verdict(&a),
            pb::ScreeningVerdict::NotNeeded as i32,
            "{title}"
        );
        let family = rule_impact(&a, "economy.childcare_fees", "family_life");
        assert!(
            family.groups.iter().any(|g| g == "families_with_children"),
            "{title}: {:?}",
            family.groups
        );
    }
}
