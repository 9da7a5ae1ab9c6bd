//! The welfare-report ledger as documents: CSV for spreadsheets, JSON for
//! other systems, Markdown, and a self-contained HTML page with inline SVG
//! charts (no scripts, no external files) to attach to the annual welfare
//! report. Every value from a draft or a bundle is escaped for its format.

use serde::Serialize;

use crate::domain::{GoalVerdict, Language};
use crate::rules::Bundle;
use crate::service::ledger::{
    ALL_RESIDENTS, CaseRef, CumulativeEffects, GoalSummary, ReviewStatistics,
};

/// Output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The main table, comma-separated, with a header row.
    Csv,
    /// The report's data as JSON.
    Json,
    /// Tables in Markdown.
    Markdown,
    /// A self-contained HTML page with charts.
    Html,
}

/// Whose report, of what period.
#[derive(Debug, Clone)]
pub struct Heading {
    /// The municipality's name, or "every municipality".
    pub who: String,
    /// First day of the period, `YYYY-MM-DD`.
    pub from: String,
    /// Last day of the period, `YYYY-MM-DD`.
    pub to: String,
}

/// A table: its caption, column names and rows of cells.
#[derive(Debug, Clone, Serialize)]
struct Table {
    caption: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// A horizontal bar chart: one bar per label, each of coloured parts.
#[derive(Debug, Clone, Serialize)]
struct Chart {
    title: String,
    bars: Vec<Bar>,
    legend: Vec<(String, &'static str)>,
    height: u32,
}

#[derive(Debug, Clone, Serialize)]
struct Bar {
    label: String,
    y: u32,
    parts: Vec<Part>,
    /// The bar's count, written after it.
    total: u32,
    total_x: u32,
}

#[derive(Debug, Clone, Serialize)]
struct Part {
    x: u32,
    width: u32,
    colour: &'static str,
}

/// Where bars start, right of their labels.
const LABELS: u32 = 340;

/// Width in SVG units of the longest bar.
const BAR_WIDTH: u32 = 360;
const ROW: u32 = 22;

impl Chart {
    fn new(
        title: String,
        legend: Vec<(String, &'static str)>,
        rows: Vec<(String, Vec<(u32, &'static str)>)>,
    ) -> Chart {
        let max = rows
            .iter()
            .map(|(_, p)| p.iter().map(|(n, _)| n).sum::<u32>())
            .max()
            .unwrap_or(0)
            .max(1);
        let bars = rows
            .into_iter()
            .enumerate()
            .map(|(i, (label, parts))| {
                let mut x = 0;
                let total = parts.iter().map(|(n, _)| n).sum();
                let parts = parts
                    .into_iter()
                    .filter(|(n, _)| *n > 0)
                    .map(|(n, colour)| {
                        let width = n * BAR_WIDTH / max;
                        let part = Part { x, width, colour };
                        x += width;
                        part
                    })
                    .collect();
                Bar {
                    label: shortened(&label, 48),
                    y: i as u32 * ROW,
                    parts,
                    total,
                    total_x: LABELS + x + 6,
                }
            })
            .collect::<Vec<_>>();
        Chart {
            title,
            height: bars.len() as u32 * ROW + 4,
            bars,
            legend,
        }
    }
}

/// `text` cut to `max` characters, with `…` when cut: a chart's labels
/// stay left of its bars.
fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

const GREEN: &str = "#2e7d32";
const RED: &str = "#c62828";
const AMBER: &str = "#f9a825";

/// A report ready to write.
#[derive(Debug, Clone, Serialize)]
struct Document {
    title: String,
    subtitle: String,
    lang: &'static str,
    tables: Vec<Table>,
    charts: Vec<Chart>,
}

/// Words of the reports.
fn word(key: &str, lang: Language) -> &'static str {
    let (fi, sv, en) = match key {
        "goals" => (
            "Päätösten vaikutukset hyvinvointisuunnitelman tavoitteisiin",
            "Beslutens konsekvenser för välfärdsplanens mål",
            "Decisions and the welfare plan's goals",
        ),
        "cumulative" => (
            "Kielteisten vaikutusten kasautuminen",
            "Kumulativa negativa konsekvenser",
            "Cumulative negative effects",
        ),
        "reviews" => (
            "Valmistelijoiden korjaukset arviointeihin",
            "Beredarnas korrigeringar av bedömningarna",
            "Preparers' corrections to assessments",
        ),
        "period" => ("Ajanjakso", "Period", "Period"),
        "decisions" => ("päätöstä", "beslut", "decisions"),
        "decisions_column" => ("Päätöksiä", "Beslut", "Decisions"),
        "goal" => ("Tavoite", "Mål", "Goal"),
        "focus_area" => ("Painopiste", "Fokusområde", "Focus area"),
        "supports" => ("Tukee", "Stöder", "Supports"),
        "conflicts" => ("Heikentää", "Motverkar", "Conflicts"),
        "mixed" => ("Ristiriitainen", "Motstridig", "Mixed"),
        "cases" => ("Asiat", "Ärenden", "Cases"),
        "determinant" => ("Hyvinvoinnin tekijä", "Välfärdsfaktor", "Determinant"),
        "group" => ("Väestöryhmä", "Befolkningsgrupp", "Population group"),
        "cumulative_flag" => ("Kasautuu", "Kumulativ", "Cumulative"),
        "yes" => ("kyllä", "ja", "yes"),
        "no" => ("ei", "nej", "no"),
        "by_group" => (
            "Päätöksiä, joilla kielteisiä vaikutuksia, väestöryhmittäin",
            "Beslut med negativa konsekvenser, per befolkningsgrupp",
            "Decisions with negative effects, by population group",
        ),
        "all_residents" => ("Kaikki asukkaat", "Alla invånare", "All residents"),
        "rule" => ("Sääntö", "Regel", "Rule"),
        "removed" => ("Poistettu", "Borttagen", "Removed"),
        "overridden" => ("Muutettu", "Ändrad", "Overridden"),
        "figure" => ("Luku", "Tal", "Figure"),
        "value" => ("Arvo", "Värde", "Value"),
        "assessments" => ("Arviointeja", "Bedömningar", "Assessments"),
        "reviewed" => ("Tarkistettuja", "Granskade", "Reviewed"),
        "screening_changed" => (
            "Seulonnan tulos muutettu",
            "Screeningens resultat ändrat",
            "Screening verdict changed",
        ),
        "impacts_added" => (
            "Lisättyjä vaikutuksia",
            "Tillagda konsekvenser",
            "Impacts added",
        ),
        "goals_overridden" => (
            "Muutettuja tavoitearvioita",
            "Ändrade målbedömningar",
            "Goal verdicts changed",
        ),
        "most_corrected" => (
            "Eniten korjatut säännöt",
            "Mest korrigerade regler",
            "Most corrected rules",
        ),
        "summary" => ("Yhteenveto", "Sammanfattning", "Summary"),
        _ => ("", "", ""),
    };
    match lang {
        Language::Fi => fi,
        Language::Sv => sv,
        Language::En => en,
    }
}

fn label(entries: &[crate::rules::bundle::Entry], id: &str, lang: Language) -> String {
    if id == ALL_RESIDENTS {
        return word("all_residents", lang).to_string();
    }
    entries
        .iter()
        .find(|e| e.id == id)
        .map_or_else(|| id.to_string(), |e| e.label.get(lang).to_string())
}

fn subtitle(h: &Heading, decisions: u32, lang: Language) -> String {
    format!(
        "{} — {}: {} – {} ({decisions} {})",
        h.who,
        word("period", lang),
        h.from,
        h.to,
        word("decisions", lang)
    )
}

/// The goal summary in `format`.
pub fn goals(
    s: &GoalSummary,
    h: &Heading,
    lang: Language,
    format: ReportFormat,
) -> Result<String, ReportError> {
    let w = |k| word(k, lang).to_string();
    let table = Table {
        caption: w("goals"),
        headers: vec![
            w("goal"),
            w("focus_area"),
            w("supports"),
            w("conflicts"),
            w("mixed"),
            w("cases"),
        ],
        rows: s
            .goals
            .iter()
            .map(|g| {
                vec![
                    g.title.get(lang).to_string(),
                    g.focus_area.get(lang).to_string(),
                    g.supports.to_string(),
                    g.conflicts.to_string(),
                    g.mixed.to_string(),
                    g.cases
                        .iter()
                        .map(|(c, v)| format!("{} ({})", c.case_id, verdict_word(*v, lang)))
                        .collect::<Vec<_>>()
                        .join("; "),
                ]
            })
            .collect(),
    };
    let chart = Chart::new(
        w("goals"),
        vec![
            (w("supports"), GREEN),
            (w("conflicts"), RED),
            (w("mixed"), AMBER),
        ],
        s.goals
            .iter()
            .map(|g| {
                (
                    g.title.get(lang).to_string(),
                    vec![(g.supports, GREEN), (g.conflicts, RED), (g.mixed, AMBER)],
                )
            })
            .collect(),
    );
    write(
        s,
        Document {
            title: w("goals"),
            subtitle: subtitle(h, s.decisions, lang),
            lang: lang.code(),
            tables: vec![table],
            charts: vec![chart],
        },
        format,
    )
}

fn verdict_word(v: GoalVerdict, lang: Language) -> &'static str {
    match v {
        GoalVerdict::Supports => word("supports", lang),
        GoalVerdict::Conflicts => word("conflicts", lang),
        GoalVerdict::Mixed => word("mixed", lang),
        GoalVerdict::Unaffected => "",
    }
}

/// The cumulative effects in `format`; labels from `bundle`'s taxonomy.
pub fn cumulative(
    e: &CumulativeEffects,
    bundle: &Bundle,
    h: &Heading,
    lang: Language,
    format: ReportFormat,
) -> Result<String, ReportError> {
    let w = |k| word(k, lang).to_string();
    // the decisions, whether they accumulate, and their cases
    let tally = |decisions: u32, cumulative: bool, cases: &[CaseRef]| {
        [
            decisions.to_string(),
            w(if cumulative { "yes" } else { "no" }),
            cases
                .iter()
                .map(|c| c.case_id.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ]
    };
    let table = Table {
        caption: w("cumulative"),
        headers: vec![
            w("determinant"),
            w("group"),
            w("decisions_column"),
            w("cumulative_flag"),
            w("cases"),
        ],
        rows: e
            .effects
            .iter()
            .map(|x| {
                let mut row = vec![
                    label(&bundle.determinants, &x.determinant, lang),
                    label(&bundle.groups, &x.group, lang),
                ];
                row.extend(tally(x.decisions, x.cumulative, &x.cases));
                row
            })
            .collect(),
    };
    let groups = Table {
        caption: w("by_group"),
        headers: vec![
            w("group"),
            w("decisions_column"),
            w("cumulative_flag"),
            w("cases"),
        ],
        rows: e
            .groups
            .iter()
            .map(|x| {
                let mut row = vec![label(&bundle.groups, &x.group, lang)];
                row.extend(tally(x.decisions, x.cumulative, &x.cases));
                row
            })
            .collect(),
    };
    let chart = Chart::new(
        w("by_group"),
        Vec::new(),
        e.groups
            .iter()
            .map(|x| {
                (
                    label(&bundle.groups, &x.group, lang),
                    vec![(x.decisions, RED)],
                )
            })
            .collect(),
    );
    write(
        e,
        Document {
            title: w("cumulative"),
            subtitle: subtitle(h, e.decisions, lang),
            lang: lang.code(),
            tables: vec![table, groups],
            charts: vec![chart],
        },
        format,
    )
}

/// The review statistics in `format`.
pub fn reviews(
    s: &ReviewStatistics,
    h: &Heading,
    lang: Language,
    format: ReportFormat,
) -> Result<String, ReportError> {
    let w = |k| word(k, lang).to_string();
    let rules = Table {
        caption: w("most_corrected"),
        headers: vec![w("rule"), w("removed"), w("overridden")],
        rows: s
            .rules
            .iter()
            .map(|r| {
                vec![
                    r.rule_id.clone(),
                    r.removed.to_string(),
                    r.overridden.to_string(),
                ]
            })
            .collect(),
    };
    let summary = Table {
        caption: w("summary"),
        headers: vec![w("figure"), w("value")],
        rows: [
            ("assessments", s.assessments),
            ("reviewed", s.reviewed),
            ("screening_changed", s.screening_changed),
            ("impacts_added", s.impacts_added),
            ("goals_overridden", s.goals_overridden),
        ]
        .into_iter()
        .map(|(k, n)| vec![w(k), n.to_string()])
        .collect(),
    };
    let chart = Chart::new(
        w("most_corrected"),
        vec![(w("removed"), RED), (w("overridden"), AMBER)],
        s.rules
            .iter()
            .take(20)
            .map(|r| {
                (
                    r.rule_id.clone(),
                    vec![(r.removed, RED), (r.overridden, AMBER)],
                )
            })
            .collect(),
    );
    write(
        s,
        Document {
            title: w("reviews"),
            subtitle: subtitle(h, s.assessments, lang),
            lang: lang.code(),
            // the rules first: CSV writes the first table
            tables: vec![rules, summary],
            charts: vec![chart],
        },
        format,
    )
}

/// A report could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the report: {0}")]
pub struct ReportError(String);

fn write<T: Serialize>(
    data: &T,
    doc: Document,
    format: ReportFormat,
) -> Result<String, ReportError> {
    match format {
        ReportFormat::Json => {
            serde_json::to_string_pretty(data).map_err(|e| ReportError(e.to_string()))
        }
        ReportFormat::Csv => {
            let mut out = csv::Writer::from_writer(Vec::new());
            let table = &doc.tables[0];
            out.write_record(&table.headers)
                .map_err(|e| ReportError(e.to_string()))?;
            for row in &table.rows {
                out.write_record(row.iter().map(|c| csv_cell(c).into_owned()))
                    .map_err(|e| ReportError(e.to_string()))?;
            }
            let bytes = out.into_inner().map_err(|e| ReportError(e.to_string()))?;
            String::from_utf8(bytes).map_err(|e| ReportError(e.to_string()))
        }
        ReportFormat::Markdown => Ok(markdown(&doc)),
        ReportFormat::Html => html(&doc),
    }
}

/// A CSV cell a spreadsheet shows as text: one that begins like a formula
/// (`=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, so
/// that a case id or a caller's name cannot run as a formula.
pub fn csv_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// Markdown text: backslash before every character Markdown gives a
/// meaning, so that a case id or title cannot become markup.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '<' | '>' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn markdown(doc: &Document) -> String {
    let mut out = format!("# {}\n\n{}\n", md(&doc.title), md(&doc.subtitle));
    for t in &doc.tables {
        out.push_str(&format!("\n## {}\n\n", md(&t.caption)));
        out.push_str(&format!(
            "| {} |\n",
            t.headers
                .iter()
                .map(|h| md(h))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        out.push_str(&format!("|{}\n", "---|".repeat(t.headers.len())));
        for r in &t.rows {
            out.push_str(&format!(
                "| {} |\n",
                r.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | ")
            ));
        }
    }
    out
}

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="{{ doc.lang }}">
<head>
<meta charset="utf-8">
<title>{{ doc.title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1a1a1a; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #bbb; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
svg text { font-size: 12px; }
.legend span { display: inline-block; margin-right: 1rem; }
.swatch { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; }
</style>
</head>
<body>
<h1>{{ doc.title }}</h1>
<p>{{ doc.subtitle }}</p>
{% for c in doc.charts %}{% if c.bars %}
<figure>
<figcaption>{{ c.title }}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" role="img" width="760" height="{{ c.height }}" viewBox="0 0 760 {{ c.height }}">
<title>{{ c.title }}</title>
{% for b in c.bars %}<text x="0" y="{{ b.y + 15 }}">{{ b.label }}</text>
{% for p in b.parts %}<rect x="{{ 340 + p.x }}" y="{{ b.y + 3 }}" width="{{ p.width }}" height="16" fill="{{ p.colour }}"></rect>
{% endfor %}<text x="{{ b.total_x }}" y="{{ b.y + 15 }}">{{ b.total }}</text>
{% endfor %}
</svg>
{% if c.legend %}<p class="legend">{% for l in c.legend %}<span><span class="swatch" style="background: {{ l[1] }}"></span>{{ l[0] }}</span>{% endfor %}</p>{% endif %}
</figure>
{% endif %}{% endfor %}
{% for t in doc.tables %}
<h2>{{ t.caption }}</h2>
<table>
<thead><tr>{% for h in t.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for r in t.rows %}<tr>{% for c in r %}<td>{{ c }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table>
{% endfor %}
</body>
</html>
"#;

fn html(doc: &Document) -> Result<String, ReportError> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("report.html", PAGE)
        .map_err(|e| ReportError(e.to_string()))?;
    env.get_template("report.html")
        .and_then(|t| t.render(minijinja::context! { doc => doc }))
        .map_err(|e| ReportError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_become_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("HEL 2021-1"), "HEL 2021-1");
    }

    #[test]
    fn markdown_text_cannot_become_markup() {
        assert_eq!(md("a|b *c* [x](y) <b>"), r"a\|b \*c\* \[x\]\(y\) \<b\>");
    }

    #[test]
    fn bars_scale_to_the_longest() {
        let c = Chart::new(
            "t".into(),
            Vec::new(),
            vec![
                ("a".into(), vec![(2, RED), (2, GREEN)]),
                ("b".into(), vec![(1, RED)]),
            ],
        );
        assert_eq!(
            c.bars[0].parts.iter().map(|p| p.width).sum::<u32>(),
            BAR_WIDTH
        );
        assert_eq!(c.bars[1].parts[0].width, BAR_WIDTH / 4);
        assert_eq!(c.bars[0].parts[1].x, BAR_WIDTH / 2);
    }
}
