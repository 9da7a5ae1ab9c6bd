//! Renderings of an assessment: HTML fragments, Markdown and plain text in
//! fi, sv and en, from the bundle's `minijinja` templates.
//!
//! Everything interpolated into a template is escaped for its format: HTML
//! by minijinja's auto-escaping, Markdown by our own formatter, and plain
//! text has control characters removed. Templates therefore cannot forget to
//! escape draft text.

use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment, Value as JinjaValue};
use serde_json::{Value, json};

use crate::domain::{Assessment, Evidence, GoalVerdict, Impact, Language, Localized, Place};

/// What renderings need of a rule bundle besides its templates: the labels
/// of ids, the UI strings and the names of municipalities. The bundle
/// provides it; the renderer knows nothing else of bundles.
pub trait Vocabulary {
    /// Label of a determinant, population group or concept id.
    fn label(&self, id: &str) -> Option<&Localized>;
    /// The UI strings by key (`verdict.required` …).
    fn strings(&self) -> &BTreeMap<String, Localized>;
}

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
#[expect(
    missing_docs,
    reason = "the names say what each is; a comment would only repeat them"
)]
pub enum Format {
    /// An HTML fragment.
    Html,
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

impl Renderer {
    /// Compiles templates given by file name (`assessment.html.j2` …); a
    /// template that does not parse is an error with its line.
    pub fn new(templates: &BTreeMap<String, String>) -> Result<Renderer, RenderError> {
        let mut env = environment();
        for (name, source) in templates {
            env.add_template_owned(name.clone(), source.clone())
                .map_err(|e| RenderError {
                    template: name.clone(),
                    line: e.line().unwrap_or(0),
                    message: format!("template syntax: {}", e.detail().unwrap_or("invalid")),
                })?;
        }
        Ok(Renderer { env })
    }

    /// Renders every one of `samples` in every format and language, so
    /// that a template that cannot render (an unknown filter, a missing
    /// string) is found before any request is.
    pub fn check(
        &self,
        vocabulary: &dyn Vocabulary,
        samples: &[Assessment],
    ) -> Result<(), RenderError> {
        for a in samples {
            for format in [Format::Html, Format::Markdown, Format::Text] {
                for lang in Language::ALL {
                    self.render(vocabulary, a, format, lang)?;
                }
            }
        }
        Ok(())
    }

    /// Renders `assessment` in `format` and `lang`.
    pub fn render(
        &self,
        vocabulary: &dyn Vocabulary,
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
        let view = view(vocabulary, assessment, lang);
        template
            .render(JinjaValue::from_serialize(&view))
            .map_err(err)
    }
}

fn s(v: &dyn Vocabulary, key: &str, lang: Language) -> String {
    v.strings()
        .get(key)
        .map(|l| l.get(lang).to_string())
        .unwrap_or_else(|| key.to_string())
}

fn label(v: &dyn Vocabulary, id: &str, lang: Language) -> String {
    v.label(id)
        .map(|l| l.get(lang).to_string())
        .unwrap_or_else(|| id.to_string())
}

/// The UI string key of an enum value: `verdict.not_needed`.
fn key(kind: &str, name: &str) -> String {
    format!("{kind}.{name}")
}

fn direction_sign(d: crate::domain::Direction) -> &'static str {
    use crate::domain::Direction;
    match d {
        Direction::Positive => "+",
        Direction::Negative => "−",
        Direction::Mixed => "±",
        Direction::Uncertain => "?",
    }
}

fn evidence_view(bundle: &dyn Vocabulary, e: &Evidence, lang: Language) -> Value {
    let (place, field) = match &e.place {
        Place::Field(path) => (path.clone(), Some(path)),
        Place::Title => (s(bundle, "where.title", lang), None),
        Place::Section(i) => (
            format!("{} {}", s(bundle, "where.section", lang), i + 1),
            None,
        ),
    };
    match field {
        None => {
            json!({"excerpt": e.excerpt, "quoted": true, "place": place, "concept": label(bundle, &e.concept, lang)})
        }
        Some(path) => {
            json!({"excerpt": format!("{path} = {}", e.excerpt), "quoted": false, "place": place, "concept": ""})
        }
    }
}

/// Evidence with each excerpt once, in order: the same word found in two
/// places is one term to a reader.
fn distinct_evidence(evidence: &[Evidence]) -> impl Iterator<Item = &Evidence> {
    let mut seen = std::collections::BTreeSet::new();
    evidence.iter().filter(move |e| {
        seen.insert((e.excerpt.to_lowercase(), matches!(e.place, Place::Field(_))))
    })
}

fn impact_view(bundle: &dyn Vocabulary, i: &Impact, lang: Language) -> Value {
    let groups: Vec<String> = i.groups.iter().map(|g| label(bundle, g, lang)).collect();
    json!({
        "id": i.id,
        "determinant": label(bundle, &i.determinant, lang),
        "groups": groups.join(", "),
        "direction": s(bundle, &key("direction", i.direction.name()), lang),
        "sign": direction_sign(i.direction),
        "magnitude": s(bundle, &key("magnitude", i.magnitude.name()), lang),
        "likelihood": s(bundle, &key("likelihood", i.likelihood.name()), lang),
        "horizon": s(bundle, &key("horizon", i.horizon.name()), lang),
        "rationale": i.rationale.get(lang),
        "mitigations": i.mitigations.iter().map(|m| m.get(lang)).collect::<Vec<_>>(),
        "evidence": distinct_evidence(&i.evidence).map(|e| evidence_view(bundle, e, lang)).collect::<Vec<_>>(),
        "reference": i.reference,
        "confidence": format!("{:.0} %", i.confidence * 100.0),
        "rule_id": i.rule_id,
    })
}

fn localized(l: &Localized, lang: Language) -> &str {
    l.get(lang)
}

/// The template context: every text resolved to one language.
fn view(bundle: &dyn Vocabulary, a: &Assessment, lang: Language) -> Value {
    let strings: serde_json::Map<String, Value> = bundle
        .strings()
        .iter()
        .map(|(k, v)| (k.replace('.', "_"), json!(v.get(lang))))
        .collect();

    json!({
        "lang": lang.code(),
        "draft_lang": a.language.code(),
        "t": strings,
        "title": a.title,
        "case_id": a.case_id,
        "tenant": a.tenant,
        "municipality": a.municipality.name.get(lang),
        "county": a.municipality.county.name.get(lang),
        "plan": {
            "title": localized(&a.plan.title, lang),
            "period": a.plan.period,
            "national_baseline": a.plan.national_baseline,
        },
        "reference_date": a.reference_date,
        "screening": {
            "verdict": s(bundle, &key("verdict", a.screening.verdict.name()), lang),
            "code": a.screening.verdict.name(),
            "confidence": format!("{:.0} %", a.screening.confidence * 100.0),
            "uncertain": a.screening.uncertain,
            "reasons": a.screening.reasons.iter().map(|r| json!({
                "text": r.text.get(lang),
                "signal": s(bundle, &key("verdict", r.signal.name()), lang),
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
            "verdict": s(bundle, &key("goal", g.verdict.name()), lang),
            "affected": g.verdict != GoalVerdict::Unaffected,
            "score": format!("{:+.2}", g.score),
            "confidence": format!("{:.0} %", g.confidence * 100.0),
            "impacts": g.impact_ids.join(", "),
            // which impacts the verdict follows from, in words
            "because": g.impact_ids.iter().filter_map(|id| a.impacts.iter().find(|i| &i.id == id)).map(|i| {
                let groups: Vec<String> = i.groups.iter().map(|g| label(bundle, g, lang)).collect();
                format!(
                    "{} {} ({}: {})",
                    i.id,
                    label(bundle, &i.determinant, lang),
                    if groups.is_empty() { s(bundle, "everyone", lang) } else { groups.join(", ") },
                    s(bundle, &key("direction", i.direction.name()), lang)
                )
            }).collect::<Vec<_>>(),
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
        "open_questions": a.open_questions.iter().filter(|q| q.answer.is_empty()).map(|q| q.text.get(lang)).collect::<Vec<_>>(),
        "answered_questions": a.open_questions.iter().filter(|q| !q.answer.is_empty()).map(|q| json!({
            "question": q.text.get(lang),
            "answer": q.answer,
        })).collect::<Vec<_>>(),
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
