//! Checks a draft against the bundle and the [`Limits`] before anything is
//! assessed. Every problem is reported together, each on the field to fix;
//! a list over its limit is reported once and not read further, so the
//! cost of checking stays linear in what is accepted.

use std::collections::BTreeSet;

use super::bundle::{Bundle, FactKind, Municipality, Plan};
use super::limits::Limits;
use crate::domain::{Draft, Language, Violations, printable, quoted};

/// A draft that passed validation, with what validation parsed: the
/// engine reads these instead of parsing or looking up again.
#[derive(Debug, Clone, Copy)]
pub struct ValidDraft<'a> {
    /// The draft as received.
    pub draft: &'a Draft,
    /// Its language, Finnish or Swedish.
    pub language: Language,
    /// Its municipality.
    pub municipality: &'a Municipality,
    /// The welfare plan it is assessed against: its municipality's own, or
    /// the national baseline.
    pub plan: &'a Plan,
    /// Its decision date, when it gives one.
    pub decision_date: Option<time::Date>,
}

impl ValidDraft<'_> {
    /// Whether one of the alternatives is the zero option.
    pub fn zero_option(&self) -> bool {
        self.draft.alternatives.iter().any(|a| a.zero_option)
    }
}

/// Earliest and latest year of a decision date.
const DECISION_YEARS: std::ops::RangeInclusive<i32> = 1900..=2999;

/// Checks a draft against the bundle; every problem is returned together.
pub fn validate<'a>(
    bundle: &'a Bundle,
    draft: &'a Draft,
    limits: &Limits,
) -> Result<ValidDraft<'a>, Violations> {
    let mut v = Violations::new();
    check_title(&mut v, draft, limits);
    check_sections(&mut v, draft, limits);
    let lang = check_language(&mut v, &draft.language);
    check_tenant(&mut v, bundle, &draft.tenant);
    check_text_size(&mut v, draft, limits);
    for (field, value) in [
        ("draft.case_id", &draft.case_id),
        ("draft.organ", &draft.organ),
        ("draft.classification_code", &draft.classification_code),
    ] {
        check_short(&mut v, field, value, limits);
    }
    check_groups(&mut v, bundle, draft, limits);
    check_areas(&mut v, draft, limits);
    check_facts(&mut v, bundle, draft, limits);
    check_nul(&mut v, draft);
    check_decision_date(&mut v, &draft.decision_date);
    check_alternatives(&mut v, draft, limits);
    let municipality = bundle.municipalities.get(&draft.tenant);
    match (v.is_empty(), lang, municipality) {
        (true, Some(language), Some(municipality)) => Ok(ValidDraft {
            draft,
            language,
            municipality,
            plan: bundle.plan_for(&draft.tenant),
            decision_date: parse_decision_date(&draft.decision_date),
        }),
        _ => Err(v),
    }
}

/// A short field over [`Limits::max_field_bytes`]; `false` when it is.
fn check_short(v: &mut Violations, field: &str, value: &str, limits: &Limits) -> bool {
    if value.len() > limits.max_field_bytes {
        v.add(
            field,
            format!(
                "has {} bytes, over the limit of {} bytes for this field",
                value.len(),
                limits.max_field_bytes
            ),
        );
        return false;
    }
    true
}

/// A list of `len` entries over `max`: reported once on `field`; `true`
/// when it is, and the list is not read further.
fn too_many(
    v: &mut Violations,
    field: &str,
    len: usize,
    max: usize,
    noun: &str,
    hint: &str,
) -> bool {
    if len <= max {
        return false;
    }
    v.add(
        field,
        format!("has {len} {noun}, over the limit of {max}; {hint}"),
    );
    true
}

/// A NUL character (U+0000) in any text: no decision text holds one, and
/// databases cannot store it in text.
fn check_nul(v: &mut Violations, draft: &Draft) {
    const FIX: &str = "holds a NUL character (U+0000); remove it";
    let mut fields: Vec<(String, &str)> = vec![
        ("draft.tenant".into(), &draft.tenant),
        ("draft.case_id".into(), &draft.case_id),
        ("draft.title".into(), &draft.title),
        ("draft.organ".into(), &draft.organ),
        ("draft.language".into(), &draft.language),
        (
            "draft.classification_code".into(),
            &draft.classification_code,
        ),
        ("draft.decision_date".into(), &draft.decision_date),
    ];
    for (i, s) in draft.sections.iter().enumerate() {
        fields.push((format!("draft.sections[{i}].heading"), &s.heading));
        fields.push((format!("draft.sections[{i}].text"), &s.text));
    }
    for (i, a) in draft.alternatives.iter().enumerate() {
        fields.push((format!("draft.alternatives[{i}].id"), &a.id));
        fields.push((format!("draft.alternatives[{i}].title"), &a.title));
        fields.push((format!("draft.alternatives[{i}].text"), &a.text));
    }
    for (i, g) in draft.affected_groups.iter().enumerate() {
        fields.push((format!("draft.affected_groups[{i}]"), g));
    }
    for (i, a) in draft.affected_areas.iter().enumerate() {
        fields.push((format!("draft.affected_areas[{i}]"), a));
    }
    for (name, value) in &draft.facts {
        if let Some(s) = value.as_str() {
            fields.push((format!("draft.facts.{name}"), s));
        }
    }
    for (field, text) in fields {
        if text.contains('\0') {
            v.add(field, FIX);
        }
    }
}

fn check_title(v: &mut Violations, draft: &Draft, limits: &Limits) {
    if draft.title.trim().is_empty() {
        v.add("draft.title", "is empty; give the title of the agenda item");
    } else if draft.title.len() > limits.max_title_bytes {
        v.add(
            "draft.title",
            format!(
                "has {} bytes, over the limit of {} bytes for a title; put the text of the decision in its sections",
                draft.title.len(),
                limits.max_title_bytes
            ),
        );
    }
}

fn check_sections(v: &mut Violations, draft: &Draft, limits: &Limits) {
    if too_many(
        v,
        "draft.sections",
        draft.sections.len(),
        limits.max_sections,
        "sections",
        "send the decision's own sections without attachments",
    ) {
        return;
    }
    if draft.sections.iter().all(|s| s.text.trim().is_empty()) {
        v.add(
            "draft.sections",
            "no section has text; send at least the decision proposal as a section",
        );
    }
    for (i, s) in draft.sections.iter().enumerate() {
        if s.heading.len() > limits.max_title_bytes {
            v.add(
                format!("draft.sections[{i}].heading"),
                format!(
                    "has {} bytes, over the limit of {} bytes for a heading; put the text in the section's text",
                    s.heading.len(),
                    limits.max_title_bytes
                ),
            );
        }
    }
}

fn check_language(v: &mut Violations, code: &str) -> Option<Language> {
    match Language::parse(code) {
        Some(l @ (Language::Fi | Language::Sv)) => Some(l),
        _ if code.trim().is_empty() => {
            v.add("draft.language", "is empty; use `fi` or `sv`");
            None
        }
        _ => {
            v.add(
                "draft.language",
                format!("{} is not supported; use `fi` or `sv`", quoted(code)),
            );
            None
        }
    }
}

fn check_tenant(v: &mut Violations, bundle: &Bundle, tenant: &str) {
    const FIX: &str = "give the three-digit number Statistics Finland gives the municipality, \
                       such as `091` for Helsinki or `408` for Lapua";
    if tenant.trim().is_empty() {
        v.add("draft.tenant", format!("is empty; {FIX}"));
    } else if !bundle.municipalities.contains_key(tenant) {
        let what = if Municipality::is_number(tenant) {
            format!(
                "no Finnish municipality has the number {} in the classification of {}",
                quoted(tenant),
                bundle.register_year
            )
        } else {
            format!("{} is not a municipality number", quoted(tenant))
        };
        v.add("draft.tenant", format!("{what}; {FIX}"));
    }
}

/// The total text, reported on the field that carries most of it.
fn check_text_size(v: &mut Violations, draft: &Draft, limits: &Limits) {
    let bytes = draft.text_bytes();
    if bytes <= limits.max_text_bytes {
        return;
    }
    let sections: usize = draft
        .sections
        .iter()
        .map(|s| s.heading.len() + s.text.len())
        .sum();
    let alternatives: usize = draft
        .alternatives
        .iter()
        .map(|a| a.title.len() + a.text.len())
        .sum();
    let (field, part) = [
        ("draft.title", draft.title.len()),
        ("draft.sections", sections),
        ("draft.alternatives", alternatives),
    ]
    .into_iter()
    .max_by_key(|(_, n)| *n)
    .unwrap_or(("draft.sections", sections));
    v.add(
        field,
        format!(
            "the draft carries {bytes} bytes of text, over the limit of {} bytes, {part} of them here; send the decision text without attachments",
            limits.max_text_bytes
        ),
    );
}

fn check_groups(v: &mut Violations, bundle: &Bundle, draft: &Draft, limits: &Limits) {
    if too_many(
        v,
        "draft.affected_groups",
        draft.affected_groups.len(),
        limits.max_list_items,
        "groups",
        "name each affected group once; ListTaxonomy gives the ids",
    ) {
        return;
    }
    for (i, g) in draft.affected_groups.iter().enumerate() {
        if !bundle.groups.iter().any(|e| &e.id == g) {
            v.add(
                format!("draft.affected_groups[{i}]"),
                format!(
                    "unknown population group {}; ListTaxonomy gives the ids",
                    quoted(g)
                ),
            );
        }
    }
}

fn check_areas(v: &mut Violations, draft: &Draft, limits: &Limits) {
    if too_many(
        v,
        "draft.affected_areas",
        draft.affected_areas.len(),
        limits.max_list_items,
        "areas",
        "name the districts or villages the decision touches",
    ) {
        return;
    }
    for (i, a) in draft.affected_areas.iter().enumerate() {
        check_short(v, &format!("draft.affected_areas[{i}]"), a, limits);
    }
}

fn check_facts(v: &mut Violations, bundle: &Bundle, draft: &Draft, limits: &Limits) {
    if too_many(
        v,
        "draft.facts",
        draft.facts.len(),
        limits.max_list_items,
        "facts",
        "GetBundleInfo lists the facts the bundle declares",
    ) {
        return;
    }
    for (name, value) in &draft.facts {
        let field = format!("draft.facts.{}", printable(name, 64));
        let Some(spec) = bundle.facts.iter().find(|f| &f.name == name) else {
            let known: Vec<&str> = bundle.facts.iter().map(|f| f.name.as_str()).collect();
            v.add(
                field,
                format!(
                    "unknown fact {}; the bundle declares {}",
                    quoted(name),
                    known.join(", ")
                ),
            );
            continue;
        };
        if !spec.kind.accepts(value) {
            v.add(
                field,
                format!(
                    "must be a {}, not {}",
                    spec.kind.name(),
                    quoted(&value.to_string())
                ),
            );
            continue;
        }
        match (spec.kind, value) {
            (FactKind::Number, serde_json::Value::Number(n))
                if !n
                    .as_f64()
                    .is_some_and(|x| x.abs() <= limits.max_fact_magnitude) =>
            {
                v.add(
                    field,
                    format!(
                        "{} is out of range; give a number between -{m:e} and {m:e}",
                        quoted(&n.to_string()),
                        m = limits.max_fact_magnitude
                    ),
                );
            }
            (FactKind::String, serde_json::Value::String(s)) => {
                check_short(v, &field, s, limits);
            }
            _ => {}
        }
    }
}

/// A decision date is `YYYY-MM-DD` with four digits of year, in
/// [`DECISION_YEARS`], or empty.
fn check_decision_date(v: &mut Violations, date: &str) {
    if date.is_empty() {
        return;
    }
    if parse_decision_date(date).is_none() {
        v.add(
            "draft.decision_date",
            format!(
                "{} is not a date; write it as YYYY-MM-DD, between {}-01-01 and {}-12-31",
                quoted(date),
                DECISION_YEARS.start(),
                DECISION_YEARS.end()
            ),
        );
    }
}

/// The decision date of a valid draft; see [`check_decision_date`].
fn parse_decision_date(date: &str) -> Option<time::Date> {
    let shape = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    super::parse_date(date).filter(|d| DECISION_YEARS.contains(&d.year()))
}

fn check_alternatives(v: &mut Violations, draft: &Draft, limits: &Limits) {
    if too_many(
        v,
        "draft.alternatives",
        draft.alternatives.len(),
        limits.max_alternatives,
        "alternatives",
        "describe the main alternatives and the zero option",
    ) {
        return;
    }
    let mut ids = BTreeSet::new();
    for (i, a) in draft.alternatives.iter().enumerate() {
        let field = format!("draft.alternatives[{i}].id");
        if a.id.trim().is_empty() {
            v.add(field, "is empty; give each alternative an id");
        } else if check_short(v, &field, &a.id, limits) && !ids.insert(a.id.as_str()) {
            v.add(
                field,
                format!(
                    "{} is used twice; alternative ids must be unique",
                    quoted(&a.id)
                ),
            );
        }
        if a.title.trim().is_empty() && a.text.trim().is_empty() {
            v.add(
                format!("draft.alternatives[{i}]"),
                "has neither title nor text; describe the alternative",
            );
        } else if a.title.len() > limits.max_title_bytes {
            v.add(
                format!("draft.alternatives[{i}].title"),
                format!(
                    "has {} bytes, over the limit of {} bytes for a title; put the description in the text",
                    a.title.len(),
                    limits.max_title_bytes
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{BundleSource, DirSource, MemorySource};

    /// The default bundle with a string fact `school_name` declared.
    fn bundle_with_a_string_fact() -> Bundle {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut files = DirSource::new(root).files().expect("default bundle");
        for (path, text) in &mut files {
            if path == "bundle.yaml" {
                text.push_str(
                    "  - name: school_name\n    type: string\n    description: {fi: Koulu, sv: Skola, en: School}\n",
                );
            }
        }
        Bundle::load(&MemorySource { files }).expect("loads")
    }

    fn draft() -> Draft {
        Draft {
            tenant: "091".into(),
            case_id: String::new(),
            title: "Koulun lakkauttaminen".into(),
            organ: String::new(),
            language: "fi".into(),
            classification_code: String::new(),
            sections: vec![crate::domain::Section {
                kind: crate::domain::SectionKind::Proposal,
                heading: String::new(),
                text: "Koulu lakkautetaan.".into(),
            }],
            budget: Default::default(),
            alternatives: Vec::new(),
            affected_groups: Vec::new(),
            affected_areas: Vec::new(),
            facts: Default::default(),
            decision_date: String::new(),
        }
    }

    #[test]
    fn a_string_fact_is_a_short_field() {
        let bundle = bundle_with_a_string_fact();
        let limits = Limits::default();
        let mut d = draft();
        d.facts.insert("school_name".into(), "k".repeat(256).into());
        assert!(validate(&bundle, &d, &limits).is_ok());
        d.facts.insert("school_name".into(), "k".repeat(257).into());
        let v = validate(&bundle, &d, &limits).expect_err("too long");
        assert_eq!(v.listed()[0].field, "draft.facts.school_name");
        assert_eq!(
            v.listed()[0].description,
            "has 257 bytes, over the limit of 256 bytes for this field"
        );
    }

    #[test]
    fn a_decision_date_has_the_shape_yyyy_mm_dd() {
        assert!(parse_decision_date("2021-06-30").is_some());
        for bad in [
            "2021-6-30",
            "2021/06/30",
            "2021-06-301",
            "20210-6-30",
            "2021-06-3",
        ] {
            assert!(parse_decision_date(bad).is_none(), "{bad}");
        }
    }
}
