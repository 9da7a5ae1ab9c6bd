//! Honest doubt, through the gRPC server: a NOT_NEEDED verdict the learned
//! model came near its threshold on, or (rules alone) one no rule gave on a
//! text that still names services, is marked uncertain with a question for
//! the preparer; verdicts carry a confidence; goal verdicts say which
//! impacts they follow from; evidence terms are listed once.

use eva::api::pb;
use eva::api::pb::assessment_service_client::AssessmentServiceClient;
use tonic::transport::Channel;

use crate::helpers::{TestServer, fixture, one_section_draft, request, rules_only_core};

async fn assess(
    client: &mut AssessmentServiceClient<Channel>,
    draft: pb::DraftDecision,
) -> pb::AssessResponse {
    let mut req = request(draft);
    req.render_formats = vec![pb::RenderFormat::Text as i32];
    req.render_languages = vec!["fi".into()];
    client.assess(req).await.expect("assess").into_inner()
}

/// Assesses a draft of one section with `title` and `text`.
async fn assess_text(
    client: &mut AssessmentServiceClient<Channel>,
    title: &str,
    text: &str,
) -> pb::AssessResponse {
    assess(client, one_section_draft(title, text)).await
}

fn questions(a: &pb::Assessment) -> Vec<&str> {
    a.open_questions.iter().map(|q| q.id.as_str()).collect()
}

/// The assessment asks the preparer to look again, and its rendering says
/// the verdict is uncertain.
fn asks_to_look_again(r: &pb::AssessResponse) {
    let a = r.assessment.as_ref().expect("assessment");
    assert!(
        questions(a).contains(&"screening_uncertain"),
        "{:?}",
        questions(a)
    );
    assert!(
        r.renderings[0]
            .content
            .contains("Epävarma: seulonta ei tunnistanut"),
        "{}",
        r.renderings[0].content
    );
}

/// The percentage the model's reason states.
fn stated_pct(reason: &pb::ScreeningReason) -> f64 {
    let text = &reason.text.as_ref().expect("text").en;
    let open = text.find('(').expect("a probability") + 1;
    let pct = &text[open..text[open..].find(' ').expect("a space") + open];
    pct.parse().expect("a number")
}

#[tokio::test]
async fn the_learned_models_routine_verdict_near_its_threshold_is_marked_uncertain() {
    let server = TestServer::start().await;
    let mut client = AssessmentServiceClient::new(server.channel().await);

    // routine upkeep of a school building: the model finds it routine, but
    // not by far
    let r = assess_text(
        &mut client,
        "Koulun ilmanvaihtokoneen uusiminen",
        "Lautakunta hyväksyy koulun ilmanvaihtokoneen uusimisen.",
    )
    .await;
    let a = r.assessment.as_ref().expect("assessment");
    let s = a.screening.as_ref().expect("screening");
    assert_eq!(s.verdict, pb::ScreeningVerdict::NotNeeded as i32);
    let model = &s.reasons[0];
    assert_eq!(model.rule_id, "screening_model");
    assert_eq!(model.signal, pb::ScreeningVerdict::NotNeeded as i32);
    assert!(s.uncertain && s.exemption.is_none());
    // as firm as the model's probability of the verdict it gave
    assert!((s.confidence - (1.0 - stated_pct(model) / 100.0)).abs() < 1e-9);
    asks_to_look_again(&r);

    // far from the threshold: routine, firm, and no question
    let r = assess_text(
        &mut client,
        "Arkistonmuodostussuunnitelman päivittäminen",
        "Lautakunta hyväksyy arkistonmuodostussuunnitelman päivityksen.",
    )
    .await;
    let a = r.assessment.as_ref().expect("assessment");
    let s = a.screening.as_ref().expect("screening");
    assert_eq!(s.verdict, pb::ScreeningVerdict::NotNeeded as i32);
    assert!(!s.uncertain);
    assert!(s.confidence >= 0.85, "{}", s.confidence);
    assert!(!questions(a).contains(&"screening_uncertain"));

    // a school closure: the model and the rules agree on an assessment;
    // the confidence is the model's probability
    let r = assess(&mut client, fixture("school_closure.json")).await;
    let s = r
        .assessment
        .as_ref()
        .and_then(|a| a.screening.as_ref())
        .expect("screening");
    assert_eq!(s.verdict, pb::ScreeningVerdict::Required as i32);
    assert_eq!(s.reasons[0].rule_id, "screening_model");
    assert_eq!(
        s.reasons[0].signal,
        pb::ScreeningVerdict::Recommended as i32
    );
    assert!((s.confidence - stated_pct(&s.reasons[0]) / 100.0).abs() < 1e-9);
    assert!(
        s.reasons[1..]
            .iter()
            .any(|r| r.signal == pb::ScreeningVerdict::Required as i32)
    );
    // what it weighed besides the words is named as people read it
    let text = &s.reasons[0].text.as_ref().expect("text").en;
    assert!(
        text.contains("It also weighed what the rules found: Impact assessment required"),
        "{text}"
    );
    assert!(
        !text.contains("rule:") && !text.contains("signal:"),
        "{text}"
    );
}

#[tokio::test]
async fn a_routine_verdict_on_a_text_that_names_services_is_marked_uncertain() {
    let server = TestServer::start_core(rules_only_core(), Default::default()).await;
    let mut client = AssessmentServiceClient::new(server.channel().await);

    // no rule knows a music school's rules of order, but the text names a
    // school and families
    let r = assess_text(&mut client, "Musiikkiopiston järjestyssäännöt", "Lautakunta hyväksyy musiikkiopiston järjestyssäännöt, jotka koskevat oppilaita ja heidän perheitään.").await;
    let a = r.assessment.as_ref().expect("assessment");
    let s = a.screening.as_ref().expect("screening");
    assert_eq!(s.verdict, pb::ScreeningVerdict::NotNeeded as i32);
    assert!(s.reasons.is_empty() && s.exemption.is_none());
    assert!(s.uncertain);
    assert_eq!(s.confidence, 0.3);
    asks_to_look_again(&r);

    // an exempted routine item is firm, and asks nothing
    let r = assess(&mut client, fixture("routine_minutes.json")).await;
    let a = r.assessment.as_ref().expect("assessment");
    let s = a.screening.as_ref().expect("screening");
    assert!(!s.uncertain);
    assert_eq!(s.confidence, 0.9);
    assert!(!questions(a).contains(&"screening_uncertain"));

    // a text that names nothing the doubt looks for passes as routine
    let r = assess_text(
        &mut client,
        "Arkistonmuodostussuunnitelman päivittäminen",
        "Lautakunta hyväksyy arkistonmuodostussuunnitelman päivityksen.",
    )
    .await;
    let s = r
        .assessment
        .as_ref()
        .and_then(|a| a.screening.as_ref())
        .expect("screening");
    assert_eq!(s.verdict, pb::ScreeningVerdict::NotNeeded as i32);
    assert!(!s.uncertain);
    assert_eq!(s.confidence, 0.7);
}

#[tokio::test]
async fn a_verdict_from_rules_is_as_firm_as_the_impacts_behind_it() {
    let server = TestServer::start_core(rules_only_core(), Default::default()).await;
    let mut client = AssessmentServiceClient::new(server.channel().await);
    let r = assess(&mut client, fixture("school_closure.json")).await;
    let a = r.assessment.as_ref().expect("assessment");
    let s = a.screening.as_ref().expect("screening");
    assert_eq!(s.verdict, pb::ScreeningVerdict::Required as i32);
    assert!(!s.uncertain);
    let firmest = a
        .impacts
        .iter()
        .filter(|i| s.reasons.iter().any(|r| r.rule_id == i.rule_id))
        .map(|i| i.confidence)
        .fold(0.0, f64::max);
    assert!(firmest > 0.0);
    assert_eq!(s.confidence, firmest);
}

#[tokio::test]
async fn goal_verdicts_name_their_impacts_and_ignore_impacts_on_everyone_for_group_goals() {
    let server = TestServer::start().await;
    let mut client = AssessmentServiceClient::new(server.channel().await);
    let r = assess(&mut client, fixture("school_closure.json")).await;
    let a = r.assessment.as_ref().expect("assessment");
    let plan_groups = |goal: &str| -> bool {
        // Joensuu's goals with groups, from the plan the assessment names
        let text =
            std::fs::read_to_string(crate::helpers::root().join("rules/plans/167-joensuu.yaml"))
                .expect("plan");
        let after = &text[text.find(&format!("id: {goal}")).expect("goal")..];
        let block = &after[..after[1..].find("\n  - id:").map_or(after.len(), |i| i + 1)];
        block.contains("\n    groups:")
    };
    for g in &a.goals {
        if g.verdict == pb::GoalVerdict::Unaffected as i32 {
            continue;
        }
        assert!(!g.impact_ids.is_empty(), "{}", g.goal_id);
        for id in &g.impact_ids {
            let i = a.impacts.iter().find(|i| &i.id == id).expect("impact");
            assert_ne!(
                i.direction,
                pb::Direction::Uncertain as i32,
                "{} {id}",
                g.goal_id
            );
            if plan_groups(&g.goal_id) {
                assert!(
                    !i.groups.is_empty(),
                    "an impact on everyone counted for group goal {}",
                    g.goal_id
                );
            }
        }
    }
    let text = &r.renderings[0].content;
    assert!(text.contains("perusteena: I"), "{text}");
}

#[tokio::test]
async fn renderings_list_each_evidence_term_once() {
    let server = TestServer::start().await;
    let mut client = AssessmentServiceClient::new(server.channel().await);
    let mut draft = one_section_draft(
        "Päiväkoti Peukaloisen lakkauttaminen",
        "Päiväkoti Peukaloinen lakkautetaan. Päiväkoti Peukaloinen lakkautetaan 31.7.2027, ja lapset siirtyvät toiseen päiväkotiin.",
    );
    draft.sections[0].kind = pb::SectionKind::Proposal as i32;
    let mut req = request(draft);
    req.render_formats = vec![pb::RenderFormat::Markdown as i32];
    let r = client.assess(req).await.expect("assess").into_inner();
    let a = r.assessment.as_ref().expect("assessment");
    // the assessment keeps every place a term stands
    assert!(a.impacts.iter().any(|i| {
        i.evidence
            .iter()
            .filter(|e| e.excerpt == "lakkautetaan")
            .count()
            > 1
    }));
    // the rendering names each term once per impact
    let markdown = &r.renderings[0].content;
    let mut lists = 0;
    for line in markdown.lines() {
        let Some(start) = line.find("(Peruste tekstissä: ") else {
            continue;
        };
        lists += 1;
        let list = &line[start + "(Peruste tekstissä: ".len()..];
        let list = &list[..list.find(')').expect("closed")];
        let terms: Vec<&str> = list.split(", ").collect();
        let distinct: std::collections::BTreeSet<&str> = terms.iter().copied().collect();
        assert_eq!(terms.len(), distinct.len(), "{line}");
    }
    assert!(lists > 0, "{markdown}");
}
