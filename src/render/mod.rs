//! Renderings of an assessment: HTML fragments, Markdown and plain text in
//! fi, sv and en, from the bundle's `minijinja` templates.
//!
//! Everything interpolated into a template is escaped for its format: HTML
//! by minijinja's auto-escaping, Markdown by our own formatter, and plain
//! text has control characters removed. Templates therefore cannot forget to
//! escape draft text.

mod sample;

use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment, Value as JinjaValue};
use serde_json::{Value, json};

use crate::domain::{
    Assessment, Direction, Evidence, GoalVerdict, Horizon, Impact, Language, Likelihood, Localized,
    Magnitude, Verdict,
};
use crate::rules::Bundle;

/// Templates every bundle must have.
pub const TEMPLATE_NAMES: &[&str] = &[
    "assessment.html.j2",
    "assessment.md.j2",
    "assessment.txt.j2",
];

/// UI strings every bundle must define in `templates/strings.yaml`.
pub const REQUIRED_STRINGS: &[&str] = &[
    "verdict.required",
    "verdict.recommended",
    "verdict.not_needed",
    "direction.positive",
    "direction.negative",
    "direction.mixed",
    "direction.uncertain",
    "magnitude.minor",
    "magnitude.moderate",
    "magnitude.major",
    "likelihood.possible",
    "likelihood.likely",
    "likelihood.certain",
    "horizon.budget_year",
    "horizon.council_term",
    "horizon.long_term",
    "goal.supports",
    "goal.conflicts",
    "goal.mixed",
    "goal.unaffected",
    "indicator.increase",
    "indicator.decrease",
    "where.title",
    "where.section",
];

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// An HTML fragment.
    Html,
    /// Markdown.
    Markdown,
    /// Plain text.
    Text,
}

impl Format {
    /// Template file for this format.
    pub fn template(self) -> &'static str {
        match self {
            Format::Html => "assessment.html.j2",
            Format::Markdown => "assessment.md.j2",
            Format::Text => "assessment.txt.j2",
        }
    }

    /// Media type of the output.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Html => "text/html",
            Format::Markdown => "text/markdown",
            Format::Text => "text/plain",
        }
    }
}

/// A template could not be rendered.
#[derive(Debug, thiserror::Error)]
#[error("template `{template}` failed at line {line}: {message}")]
pub struct RenderError {
    /// Template name.
    pub template: String,
    /// Line in the template, 0 when unknown.
    pub line: usize,
    /// What failed.
    pub message: String,
}

/// Renders assessments with one bundle's templates.
#[derive(Debug)]
pub struct Renderer {
    env: Environment<'static>,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html.j2") {
            AutoEscape::Html
        } else if name.ends_with(".md.j2") {
            AutoEscape::Custom("markdown")
        } else {
            AutoEscape::Custom("text")
        }
    });
    env.set_formatter(|out, state, value| match state.auto_escape() {
        AutoEscape::Custom("markdown") => {
            let s = display(value);
            out.write_str(&escape_markdown(&s))
                .map_err(minijinja::Error::from)
        }
        AutoEscape::Custom("text") => {
            let s = display(value);
            out.write_str(&strip_controls(&s))
                .map_err(minijinja::Error::from)
        }
        _ => minijinja::escape_formatter(out, state, value),
    });
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env
}

fn display(v: &JinjaValue) -> String {
    if v.is_none() || v.is_undefined() {
        String::new()
    } else {
        v.to_string()
    }
}

/// Escapes text so that Markdown shows it literally, on one line. Values
/// always stand inside a line (after `- `, `| ` or other text), so only the
/// characters that make inline markup, links, HTML, entities or table cells
/// are escaped; line breaks become spaces.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in strip_controls(s).chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn strip_controls(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// Checks that templates parse; returns (template, line, message) of the first problem.
pub fn check_templates(
    templates: &BTreeMap<String, String>,
) -> Result<(), (String, usize, String)> {
    let mut env = environment();
    for (name, source) in templates {
        if let Err(e) = env.add_template_owned(name.clone(), source.clone()) {
            return Err((
                name.clone(),
                e.line().unwrap_or(0),
                format!("template syntax: {}", e.detail().unwrap_or("invalid")),
            ));
        }
    }
    Ok(())
}

impl Renderer {
    /// Prepares the bundle's templates and renders each once in every
    /// language with sample assessments that reach all their parts, so a
    /// template that cannot render (an unknown filter, a missing string)
    /// is found when the bundle is loaded, not by a request.
    pub fn new(bundle: &Bundle) -> Result<Renderer, RenderError> {
        let mut env = environment();
        for (name, source) in &bundle.templates {
            env.add_template_owned(name.clone(), source.clone())
                .map_err(|e| RenderError {
                    template: name.clone(),
                    line: e.line().unwrap_or(0),
                    message: e.to_string(),
                })?;
        }
        let renderer = Renderer { env };
        for a in sample::samples(bundle) {
            for format in [Format::Html, Format::Markdown, Format::Text] {
                for lang in Language::ALL {
                    renderer.render(bundle, &a, format, lang)?;
                }
            }
        }
        Ok(renderer)
    }

    /// Renders `assessment` in `format` and `lang`.
    pub fn render(
        &self,
        bundle: &Bundle,
        assessment: &Assessment,
        format: Format,
        lang: Language,
    ) -> Result<String, RenderError> {
        let err = |e: minijinja::Error| RenderError {
            template: format.template().to_string(),
            line: e.line().unwrap_or(0),
            message: e.detail().map_or_else(|| e.to_string(), str::to_string),
        };
        let template = self.env.get_template(format.template()).map_err(err)?;
        let view = view(bundle, assessment, lang);
        template
            .render(JinjaValue::from_serialize(&view))
            .map_err(err)
    }
}

fn s(bundle: &Bundle, key: &str, lang: Language) -> String {
    bundle
        .strings
        .get(key)
        .map(|l| l.get(lang).to_string())
        .unwrap_or_else(|| key.to_string())
}

fn label(bundle: &Bundle, id: &str, lang: Language) -> String {
    bundle
        .label(id)
        .map(|l| l.get(lang).to_string())
        .unwrap_or_else(|| id.to_string())
}

fn verdict_key(v: Verdict) -> &'static str {
    match v {
        Verdict::Required => "verdict.required",
        Verdict::Recommended => "verdict.recommended",
        Verdict::NotNeeded => "verdict.not_needed",
    }
}

fn direction_key(d: Direction) -> &'static str {
    match d {
        Direction::Positive => "direction.positive",
        Direction::Negative => "direction.negative",
        Direction::Mixed => "direction.mixed",
        Direction::Uncertain => "direction.uncertain",
    }
}

fn direction_sign(d: Direction) -> &'static str {
    match d {
        Direction::Positive => "+",
        Direction::Negative => "−",
        Direction::Mixed => "±",
        Direction::Uncertain => "?",
    }
}

fn magnitude_key(m: Magnitude) -> &'static str {
    match m {
        Magnitude::Minor => "magnitude.minor",
        Magnitude::Moderate => "magnitude.moderate",
        Magnitude::Major => "magnitude.major",
    }
}

fn likelihood_key(l: Likelihood) -> &'static str {
    match l {
        Likelihood::Possible => "likelihood.possible",
        Likelihood::Likely => "likelihood.likely",
        Likelihood::Certain => "likelihood.certain",
    }
}

fn horizon_key(h: Horizon) -> &'static str {
    match h {
        Horizon::BudgetYear => "horizon.budget_year",
        Horizon::CouncilTerm => "horizon.council_term",
        Horizon::LongTerm => "horizon.long_term",
    }
}

fn goal_key(g: GoalVerdict) -> &'static str {
    match g {
        GoalVerdict::Supports => "goal.supports",
        GoalVerdict::Conflicts => "goal.conflicts",
        GoalVerdict::Mixed => "goal.mixed",
        GoalVerdict::Unaffected => "goal.unaffected",
    }
}

fn evidence_view(bundle: &Bundle, e: &Evidence, lang: Language) -> Value {
    let place = if !e.fact.is_empty() {
        e.fact.clone()
    } else if e.section_index < 0 {
        s(bundle, "where.title", lang)
    } else {
        format!(
            "{} {}",
            s(bundle, "where.section", lang),
            e.section_index + 1
        )
    };
    if e.fact.is_empty() {
        json!({"excerpt": e.excerpt, "quoted": true, "place": place, "concept": label(bundle, &e.concept, lang)})
    } else {
        json!({"excerpt": format!("{} = {}", e.fact, e.excerpt), "quoted": false, "place": place, "concept": ""})
    }
}

fn impact_view(bundle: &Bundle, i: &Impact, lang: Language) -> Value {
    let groups: Vec<String> = i.groups.iter().map(|g| label(bundle, g, lang)).collect();
    json!({
        "id": i.id,
        "determinant": label(bundle, &i.determinant, lang),
        "groups": groups.join(", "),
        "direction": s(bundle, direction_key(i.direction), lang),
        "sign": direction_sign(i.direction),
        "magnitude": s(bundle, magnitude_key(i.magnitude), lang),
        "likelihood": s(bundle, likelihood_key(i.likelihood), lang),
        "horizon": s(bundle, horizon_key(i.horizon), lang),
        "rationale": i.rationale.get(lang),
        "mitigations": i.mitigations.iter().map(|m| m.get(lang)).collect::<Vec<_>>(),
        "evidence": i.evidence.iter().map(|e| evidence_view(bundle, e, lang)).collect::<Vec<_>>(),
        "reference": i.reference,
        "confidence": format!("{:.0} %", i.confidence * 100.0),
        "rule_id": i.rule_id,
    })
}

fn localized(l: &Localized, lang: Language) -> &str {
    l.get(lang)
}

/// The template context: every text resolved to one language.
fn view(bundle: &Bundle, a: &Assessment, lang: Language) -> Value {
    let strings: serde_json::Map<String, Value> = bundle
        .strings
        .iter()
        .map(|(k, v)| (k.replace('.', "_"), json!(v.get(lang))))
        .collect();
    let plan = bundle.plans.get(&a.tenant);
    json!({
        "lang": lang.code(),
        "draft_lang": a.language.code(),
        "t": strings,
        "title": a.title,
        "case_id": a.case_id,
        "tenant": a.tenant,
        "municipality": plan.map(|p| p.municipality.get(lang)).unwrap_or(""),
        "plan": {"title": localized(&a.plan.title, lang), "period": a.plan.period},
        "reference_date": a.reference_date,
        "screening": {
            "verdict": s(bundle, verdict_key(a.screening.verdict), lang),
            "code": a.screening.verdict.name(),
            "reasons": a.screening.reasons.iter().map(|r| json!({
                "text": r.text.get(lang),
                "signal": s(bundle, verdict_key(r.signal), lang),
                "rule_id": r.rule_id,
            })).collect::<Vec<_>>(),
            "exemption": a.screening.exemption.as_ref().map(|e| json!({
                "label": e.label.get(lang),
                "reason": e.reason.get(lang),
            })),
        },
        "impacts": a.impacts.iter().map(|i| impact_view(bundle, i, lang)).collect::<Vec<_>>(),
        "goals": a.goals.iter().map(|g| json!({
            "id": g.goal_id,
            "title": g.title.get(lang),
            "focus_area": g.focus_area.get(lang),
            "verdict": s(bundle, goal_key(g.verdict), lang),
            "affected": g.verdict != GoalVerdict::Unaffected,
            "score": format!("{:+.2}", g.score),
            "confidence": format!("{:.0} %", g.confidence * 100.0),
            "impacts": g.impact_ids.join(", "),
            "indicators": g.indicators.iter().map(|i| json!({
                "id": i.sotkanet_id,
                "name": i.name.get(lang),
                "baseline": i.baseline,
                "baseline_year": i.baseline_year,
                "target": i.target,
                "direction": s(bundle, &format!("indicator.{}", i.direction), lang),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "required_assessments": a.required_assessments.iter().map(|r| json!({
            "title": r.title.get(lang),
            "reason": r.reason.get(lang),
        })).collect::<Vec<_>>(),
        "open_questions": a.open_questions.iter().map(|q| q.text.get(lang)).collect::<Vec<_>>(),
        "zero_option_described": a.zero_option_described,
        "alternatives": a.alternatives.iter().map(|alt| json!({
            "id": alt.alternative_id,
            "title": alt.title,
            "zero_option": alt.zero_option,
            "impacts": alt.impacts.iter().map(|i| impact_view(bundle, i, lang)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "bundle": {"id": a.bundle.id, "version": a.bundle.version, "digest": a.bundle.digest.get(..12).unwrap_or("")},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escaping_neutralises_markup() {
        assert_eq!(
            escape_markdown("*a* [x](y) <b>\nz | 1.5 & `c`"),
            "\\*a\\* \\[x\\](y) \\<b\\> z \\| 1.5 \\& \\`c\\`"
        );
    }
}
