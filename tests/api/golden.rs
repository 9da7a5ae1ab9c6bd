//! Golden tests: screening, impacts and goal verdicts of the example drafts
//! in `tests/fixtures/`, asserted exactly.

use eva::api::pb;

use crate::helpers::{assess_in_process, core, fixture};

fn summary(name: &str) -> String {
    let request = pb::AssessRequest {
        draft: Some(fixture(name)),
        ..Default::default()
    };
    let a = assess_in_process(&core(), request)
        .assessment
        .expect("assessment");
    let s = a.screening.expect("screening");
    let verdict = pb::ScreeningVerdict::try_from(s.verdict)
        .expect("verdict")
        .as_str_name()
        .trim_start_matches("SCREENING_VERDICT_")
        .to_string();
    let exemption = s.exemption.map(|e| e.id).unwrap_or_default();
    let impacts: Vec<String> = a
        .impacts
        .iter()
        .map(|i| {
            format!(
                "{}{}",
                i.determinant,
                match pb::Direction::try_from(i.direction).expect("direction") {
                    pb::Direction::Positive => "+",
                    pb::Direction::Negative => "-",
                    pb::Direction::Mixed => "±",
                    _ => "?",
                }
            )
        })
        .collect();
    let goals: Vec<String> = a
        .goals
        .iter()
        .filter(|g| g.verdict != pb::GoalVerdict::Unaffected as i32)
        .map(|g| {
            format!(
                "{}:{}",
                g.goal_id,
                pb::GoalVerdict::try_from(g.verdict)
                    .expect("goal")
                    .as_str_name()
                    .trim_start_matches("GOAL_VERDICT_")
            )
        })
        .collect();
    let kinds: Vec<String> = a
        .required_assessments
        .iter()
        .map(|r| r.kind.clone())
        .collect();
    format!(
        "{verdict} {exemption} | {} | {} | {}",
        impacts.join(" "),
        goals.join(" "),
        kinds.join(" ")
    )
    .trim()
    .to_string()
}

#[test]
fn routine_minutes_are_exempt() {
    assert_eq!(
        summary("routine_minutes.json"),
        "NOT_NEEDED minutes_publication |  |  |"
    );
}

#[test]
fn school_closure() {
    assert_eq!(
        summary("school_closure.json"),
        include_str!("../fixtures/school_closure.golden").trim()
    );
}

#[test]
fn daycare_opening_hours() {
    assert_eq!(
        summary("daycare_hours.json"),
        include_str!("../fixtures/daycare_hours.golden").trim()
    );
}

#[test]
fn fee_increase() {
    assert_eq!(
        summary("fee_increase.json"),
        include_str!("../fixtures/fee_increase.golden").trim()
    );
}

#[test]
fn zoning() {
    assert_eq!(
        summary("zoning.json"),
        include_str!("../fixtures/zoning.golden").trim()
    );
}

#[test]
fn same_draft_and_bundle_give_the_same_assessment() {
    let c = core();
    let run = || {
        let request = pb::AssessRequest {
            draft: Some(fixture("school_closure.json")),
            render_formats: vec![pb::RenderFormat::Html as i32],
            ..Default::default()
        };
        let mut r = assess_in_process(&c, request);
        let a = r.assessment.as_mut().expect("assessment");
        assert!(!a.id.is_empty());
        a.id.clear();
        a.created_at = None;
        r
    };
    let (first, second) = (run(), run());
    assert_eq!(first, second);
}
