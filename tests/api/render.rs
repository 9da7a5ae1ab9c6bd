//! Renderings through the gRPC server show what the assessment says, in
//! the language asked: every impact with its determinant, groups,
//! direction, magnitude, likelihood, horizon, sign, confidence, rationale
//! and evidence, every affected goal with its verdict and indicators, the
//! required assessments, the alternatives and the questions.

use eva::api::pb;
use eva::domain::Language;

use crate::helpers::{TestServer, core, with_alternatives};

/// The school-closure fixture with an alternative and a zero option, and
/// a fact, so that every part of a rendering has something to show.
fn full_draft() -> pb::DraftDecision {
    let mut draft = with_alternatives();
    draft
        .facts
        .insert("closes_unit".into(), pbjson_types::Value::from(true));
    draft
}

fn format_of(code: i32) -> pb::RenderFormat {
    pb::RenderFormat::try_from(code).expect("format")
}

#[tokio::test]
async fn every_rendering_shows_what_the_assessment_says_in_its_language() {
    let server = TestServer::start().await;
    let response = server
        .client()
        .await
        .assess(pb::AssessRequest {
            draft: Some(full_draft()),
            render_languages: vec!["fi".into(), "sv".into(), "en".into()],
            render_formats: vec![
                pb::RenderFormat::Html as i32,
                pb::RenderFormat::Markdown as i32,
                pb::RenderFormat::Text as i32,
            ],
            ..Default::default()
        })
        .await
        .expect("assessed")
        .into_inner();
    let a = response.assessment.expect("assessment");
    let bundle = core().bundle;
    assert_eq!(response.renderings.len(), 9);
    for r in &response.renderings {
        let lang = Language::parse(&r.language).expect("language");
        let format = format_of(r.format);
        let at = format!("{format:?} {}", r.language);
        let media = match format {
            pb::RenderFormat::Html => "text/html",
            pb::RenderFormat::Markdown => "text/markdown",
            _ => "text/plain",
        };
        assert_eq!(r.media_type, media, "{at}");
        let string = |key: &str| bundle.strings[key].get(lang).to_string();
        let label = |id: &str| bundle.label(id).expect("label").get(lang).to_string();
        let shows = |what: &str, why: &str| {
            let what = match format {
                pb::RenderFormat::Html => html_escaped(what),
                pb::RenderFormat::Markdown => eva::render::escape_markdown(what),
                _ => what.to_string(),
            };
            assert!(
                r.content.contains(&what),
                "{at}: no {why} `{what}` in\n{}",
                r.content
            );
        };
        let screening = a.screening.as_ref().expect("screening");
        shows(&string("verdict.required"), "verdict");
        assert_eq!(screening.verdict, pb::ScreeningVerdict::Required as i32);
        for i in &a.impacts {
            shows(&label(&i.determinant), "determinant");
            for g in &i.groups {
                shows(&label(g), "group");
            }
            let direction = pb::Direction::try_from(i.direction).expect("direction");
            let (name, sign) = match direction {
                pb::Direction::Positive => ("positive", "+"),
                pb::Direction::Negative => ("negative", "−"),
                pb::Direction::Mixed => ("mixed", "±"),
                _ => ("uncertain", "?"),
            };
            shows(
                &format!("{sign} {}", string(&format!("direction.{name}"))),
                "direction",
            );
            let magnitude = pb::Magnitude::try_from(i.magnitude).expect("magnitude");
            let magnitude = magnitude
                .as_str_name()
                .trim_start_matches("MAGNITUDE_")
                .to_lowercase();
            shows(&string(&format!("magnitude.{magnitude}")), "magnitude");
            let likelihood = pb::Likelihood::try_from(i.likelihood).expect("likelihood");
            let likelihood = likelihood
                .as_str_name()
                .trim_start_matches("LIKELIHOOD_")
                .to_lowercase();
            shows(&string(&format!("likelihood.{likelihood}")), "likelihood");
            let horizon = pb::Horizon::try_from(i.horizon).expect("horizon");
            let horizon = horizon
                .as_str_name()
                .trim_start_matches("HORIZON_")
                .to_lowercase();
            shows(&string(&format!("horizon.{horizon}")), "horizon");
            shows(&format!("{:.0} %", i.confidence * 100.0), "confidence");
            let rationale = i.rationale.as_ref().expect("rationale");
            let rationale = match lang {
                Language::Fi => &rationale.fi,
                Language::Sv => &rationale.sv,
                Language::En => &rationale.en,
            };
            if format != pb::RenderFormat::Html {
                shows(rationale, "rationale");
            }
        }
        for g in a
            .goals
            .iter()
            .filter(|g| g.verdict != pb::GoalVerdict::Unaffected as i32)
        {
            let verdict = pb::GoalVerdict::try_from(g.verdict).expect("verdict");
            let verdict = verdict
                .as_str_name()
                .trim_start_matches("GOAL_VERDICT_")
                .to_lowercase();
            shows(&string(&format!("goal.{verdict}")), "goal verdict");
            for ind in &g.indicators {
                shows(&ind.sotkanet_id.to_string(), "Sotkanet id");
            }
        }
        for k in &a.required_assessments {
            shows(
                &label_of_kind(&bundle, &k.kind, lang),
                "required assessment",
            );
        }
        shows("Koulujen yhdistäminen", "alternative");
        if format == pb::RenderFormat::Html {
            let plan = bundle.plans.get("167").expect("Joensuu's plan");
            shows(plan.title.get(lang), "plan title");
        }
        shows(&string("zero_option"), "zero option");
    }
    // evidence: quoted words in Markdown, the structured fact as it was given
    let markdown = response
        .renderings
        .iter()
        .find(|r| format_of(r.format) == pb::RenderFormat::Markdown && r.language == "fi")
        .expect("markdown fi");
    let evidence = a.impacts.iter().flat_map(|i| &i.evidence);
    for e in evidence {
        if e.fact.is_empty() {
            assert!(
                markdown.content.contains(&format!("\"{}\"", e.excerpt)),
                "{}",
                e.excerpt
            );
        } else {
            assert!(
                markdown
                    .content
                    .contains(&eva::render::escape_markdown(&format!(
                        "{} = {}",
                        e.fact, e.excerpt
                    ))),
                "{}",
                e.fact
            );
        }
    }
}

/// Text as an HTML template shows it (minijinja's escaping).
fn html_escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

fn label_of_kind(bundle: &eva::rules::Bundle, kind: &str, lang: Language) -> String {
    bundle
        .assessment_kinds
        .iter()
        .find(|k| k.id == kind)
        .expect("kind")
        .label
        .get(lang)
        .to_string()
}
