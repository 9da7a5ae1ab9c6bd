//! Loading the default bundle and the errors of broken ones.

use super::*;
use crate::rules::parse_date;

/// The default bundle's files, with `changes` applied (path, new contents).
fn default_with(changes: &[(&str, &str)]) -> MemorySource {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut files = DirSource::new(root)
        .files()
        .expect("default bundle readable");
    for (path, text) in changes {
        files.retain(|(p, _)| p != path);
        files.push((path.to_string(), text.to_string()));
    }
    MemorySource { files }
}

fn errors(changes: &[(&str, &str)]) -> Vec<String> {
    errors_of(&default_with(changes))
}

fn errors_of(source: &MemorySource) -> Vec<String> {
    match Bundle::load(source) {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

const RULE_HEAD: &str =
    "rules:\n  - id: t.rule\n    title: {fi: a, sv: b, en: c}\n    reference: \"x\"\n";

#[test]
fn the_default_bundle_loads() {
    let b = Bundle::load(&default_with(&[])).expect("loads");
    assert!(b.rules.len() >= 40);
    assert_eq!(
        b.plans.keys().cloned().collect::<Vec<_>>(),
        vec!["091", "167"]
    );
    assert_eq!(b.baseline.id, "national-baseline");
    assert_eq!(b.municipalities.len(), 308);
    let lapua = &b.municipalities["408"];
    assert_eq!(
        (lapua.name.fi.as_str(), lapua.name.sv.as_str()),
        ("Lapua", "Lappo")
    );
    assert_eq!(lapua.county.id, "etela-pohjanmaa");
    assert_eq!(b.plan_for("408").id, "national-baseline");
    assert_eq!(b.plan_for("091").id, "helsinki-2022-2025");
}

#[test]
fn the_register_knows_languages_counties_and_the_sami_homeland() {
    let b = Bundle::load(&default_with(&[])).expect("loads");
    let m = |n: &str| &b.municipalities[n];
    assert_eq!(m("091").languages, vec![Language::Fi, Language::Sv]);
    assert_eq!(m("905").languages, vec![Language::Fi, Language::Sv]);
    assert_eq!(m("599").languages, vec![Language::Sv, Language::Fi]);
    assert_eq!(m("478").languages, vec![Language::Sv]);
    assert_eq!(
        m("478").name.en,
        "Mariehamn",
        "English uses the majority language"
    );
    assert!(m("890").sami_homeland && !m("408").sami_homeland);
    assert_eq!(m("491").county.id, "etela-savo");
    assert_eq!(m("167").county.id, "pohjois-karjala");
    let mut counties = BTreeSet::new();
    for m in b.municipalities.values() {
        counties.insert(m.county.id.as_str());
        assert!(
            !m.name.fi.is_empty() && !m.name.sv.is_empty(),
            "{}",
            m.number
        );
    }
    // 21 wellbeing services counties, Helsinki and Åland
    assert_eq!(counties.len(), 23);
    assert_eq!(
        b.municipalities.values().filter(|m| m.bilingual()).count(),
        33
    );
}

const REGISTER_HEAD: &str =
    "year: 2026\ncounties:\n  - {id: c, code: \"01\", fi: C, sv: C}\nmunicipalities:\n";

#[test]
fn rejects_a_broken_register() {
    let text = format!(
        "{REGISTER_HEAD}  - {{number: \"091\", fi: Helsinki, sv: Helsingfors, languages: [fi, sv], county: c}}\n  - {{number: \"167\", fi: Joensuu, sv: Joensuu, languages: [fi], county: c}}\n  - {{number: \"12\", fi: A, sv: A, languages: [fi], county: c}}\n  - {{number: \"167\", fi: B, sv: \"\", languages: [de], county: x}}\n  - {{number: \"200\", fi: C, sv: C, languages: [], county: c}}\n"
    );
    let errs = errors(&[("municipalities.yaml", &text)]);
    assert_eq!(
        errs,
        vec![
            "municipalities.yaml:7: municipality number `12` is not three digits; write it as Statistics Finland does, such as \"091\" (quoted)",
            "municipalities.yaml:8: municipality 167 has no Swedish name",
            "municipalities.yaml:8: `de` is not an official language of municipality 167; list fi and sv, each once, the majority language first",
            "municipalities.yaml:8: municipality 167 names unknown county `x`; use one of the ids under counties: (c)",
            "municipalities.yaml:9: municipality 200 has no official language; write [fi], [sv], [fi, sv] or [sv, fi]",
        ]
    );
}

#[test]
fn a_bundle_needs_the_register_and_a_national_baseline() {
    let b = default_with(&[]);
    let without = |path: &str| {
        let mut files = b.files.clone();
        files.retain(|(p, _)| p != path);
        errors_of(&MemorySource { files })
    };
    let errs = without("municipalities.yaml");
    assert!(
        errs.iter()
            .any(|e| e.starts_with("municipalities.yaml: missing; a bundle needs the register")),
        "{errs:?}"
    );
    assert_eq!(
        without("plans/000-national-baseline.yaml"),
        vec![
            "plans/: no national baseline plan; add a plan file with `national_baseline: true` and no tenant: municipalities without a plan of their own are assessed against it"
        ]
    );
}

#[test]
fn rejects_plans_for_unknown_tenants_and_a_second_baseline() {
    let plan = |head: &str| {
        format!("id: x\n{head}title: {{fi: a, sv: b, en: c}}\nperiod: \"2025–2029\"\ngoals: []\n")
    };
    assert_eq!(
        errors(&[("plans/999.yaml", &plan("tenant: \"999\"\n"))]),
        vec![
            "plans/999.yaml:2: tenant `999` is not in municipalities.yaml; use the number of a municipality listed there"
        ]
    );
    assert_eq!(
        errors(&[("plans/n2.yaml", &plan("national_baseline: true\n"))]),
        vec!["plans/n2.yaml:1: a second national baseline plan; keep one"]
    );
    assert_eq!(
        errors(&[(
            "plans/both.yaml",
            &plan("tenant: \"408\"\nnational_baseline: true\n")
        )]),
        vec![
            "plans/both.yaml:2: a national baseline plan belongs to no tenant; remove `tenant` or `national_baseline`"
        ]
    );
    assert_eq!(
        errors(&[("plans/none.yaml", &plan(""))]),
        vec![
            "plans/none.yaml:1: no tenant; give the municipality number (`tenant: \"091\"`) or mark the plan `national_baseline: true`"
        ]
    );
}

#[test]
fn every_determinant_has_a_rule_and_every_text_three_languages() {
    let b = Bundle::load(&default_with(&[])).expect("loads");
    for d in &b.determinants {
        assert!(
            b.rules
                .iter()
                .any(|r| r.impacts.iter().any(|i| i.determinant == d.id)),
            "no rule has an impact on `{}`",
            d.id
        );
    }
    for r in &b.rules {
        assert!(r.title.missing().is_empty(), "{}", r.id);
        for i in &r.impacts {
            assert!(i.rationale.missing().is_empty(), "{}", r.id);
        }
    }
}

#[test]
fn the_digest_changes_with_any_file() {
    let a = Bundle::load(&default_with(&[])).expect("loads").digest;
    let text = "# changed\n".to_string()
        + &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/screening.yaml"),
        )
        .expect("read");
    let b = Bundle::load(&default_with(&[("screening.yaml", &text)]))
        .expect("loads")
        .digest;
    assert_ne!(a, b);
}

#[test]
fn rejects_a_duplicate_rule_id_naming_both_places() {
    let text = format!(
        "{RULE_HEAD}    when: \"'school' in concepts\"\n    screening: recommended\n    reason: {{fi: a, sv: b, en: c}}\n{}",
        "  - id: t.rule\n    title: {fi: a, sv: b, en: c}\n    reference: \"x\"\n    when: \"'school' in concepts\"\n    screening: recommended\n    reason: {fi: a, sv: b, en: c}\n"
    );
    let errs = errors(&[("rules/t.yaml", &text)]);
    assert_eq!(
        errs,
        vec![
            "rules/t.yaml:8: duplicate rule id `t.rule`; it is already used at rules/t.yaml:2"
                .to_string()
        ]
    );
}

#[test]
fn rejects_a_missing_translation() {
    let text = "rules:\n  - id: t.rule\n    title: {fi: a, en: c}\n    reference: \"x\"\n    when: \"'school' in concepts\"\n    screening: recommended\n    reason: {fi: a, sv: b, en: c}\n";
    let errs = errors(&[("rules/t.yaml", text)]);
    assert_eq!(
        errs,
        vec![
            "rules/t.yaml:3: rule `t.rule` title has no sv text; every text needs fi, sv and en"
                .to_string()
        ]
    );
}

#[test]
fn rejects_an_unknown_group_and_concept() {
    let text = format!(
        "{RULE_HEAD}    when: \"'scool' in concepts\"\n    impacts:\n      - determinant: housing\n        groups: [aliens]\n        direction: positive\n        magnitude: minor\n        likelihood: likely\n        horizon: budget_year\n        rationale: {{fi: a, sv: b, en: c}}\n"
    );
    let errs = errors(&[("rules/t.yaml", &text)]);
    assert!(
        errs.contains(
            &"rules/t.yaml:8: unknown population group `aliens`; use an id from taxonomy.yaml"
                .to_string()
        ),
        "{errs:?}"
    );
    assert!(errs.contains(&"rules/t.yaml:5: unknown concept `scool` in condition; define it as a concept or family in a lexicon file, or fix the spelling".to_string()), "{errs:?}");
}

#[test]
fn rejects_a_family_that_is_not_a_set_of_concepts() {
    let text = "concepts: []\nfamilies:\n  - id: school\n    members: [school, daycare]\n  - id: lone\n    members: [school, school]\n  - id: odd\n    members: [school, scool]\n";
    let errs = errors(&[("lexicon/t.yaml", text)]);
    assert_eq!(
        errs,
        vec![
            "lexicon/t.yaml:3: family `school` has the id of a concept or another family; give it an id of its own".to_string(),
            "lexicon/t.yaml:5: family `lone` needs at least two different member concepts".to_string(),
            "lexicon/t.yaml:8: unknown concept `scool` in family `odd`; members are concept ids from a lexicon file".to_string(),
        ]
    );
}

#[test]
fn a_family_is_present_where_a_member_is_and_its_evidence_is_the_members() {
    let b = Bundle::load(&default_with(&[])).expect("loads");
    let found: BTreeSet<&str> = ["school_network", "housing"].into_iter().collect();
    assert_eq!(
        b.with_families(&found),
        vec![
            "any_living_environment",
            "any_network",
            "any_school",
            "any_service",
            "housing",
            "school_network",
            "service_unit"
        ]
    );
    assert_eq!(b.with_families(&BTreeSet::new()), Vec::<String>::new());
    let text = format!(
        "{RULE_HEAD}    when: \"'any_school' in title_concepts and 'closure' in concepts\"\n    screening: recommended\n    reason: {{fi: a, sv: b, en: c}}\n"
    );
    let b = Bundle::load(&default_with(&[("rules/t.yaml", &text)])).expect("loads");
    let rule = b.rules.iter().find(|r| r.id == "t.rule").expect("rule");
    assert_eq!(
        rule.evidence_concepts,
        vec!["school", "upper_secondary", "school_network", "closure"]
    );
}

#[test]
fn rejects_age_bands_that_no_text_can_name() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let taxonomy = std::fs::read_to_string(root.join("taxonomy.yaml")).expect("taxonomy");
    let changed = taxonomy
        .replace(
            "  groups: [young_children, school_children, young_people, older_people]",
            "  groups: [young_children, working_age, martians]",
        )
        .replace("  broad_concepts: [children]", "  broad_concepts: [kids]");
    assert_ne!(changed, taxonomy, "the default taxonomy declares age bands");
    let errs = errors(&[("taxonomy.yaml", &changed)]);
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(
        errs.iter().any(|e| e.ends_with(
            "age band `working_age` has no concepts, so no text can name it; give the group concepts or leave it out of age_bands"
        )),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e
            .ends_with("age band `martians` is not a population group; use an id under groups")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.ends_with("unknown concept `kids`; define it in a lexicon file")),
        "{errs:?}"
    );
}

#[test]
fn rejects_a_string_compared_with_a_number_in_a_condition() {
    let text = format!(
        "{RULE_HEAD}    when: \"budget.annual_eur > '100000'\"\n    screening: required\n    reason: {{fi: a, sv: b, en: c}}\n"
    );
    let errs = errors(&[("rules/t.yaml", &text)]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("rules/t.yaml:5: condition `budget.annual_eur > '100000'`:"),
        "{errs:?}"
    );
}

#[test]
fn rejects_an_unknown_field_in_a_rule_file() {
    let text = format!(
        "{RULE_HEAD}    when: \"'school' in concepts\"\n    screening: required\n    reason: {{fi: a, sv: b, en: c}}\n    severity: high\n"
    );
    let errs = errors(&[("rules/t.yaml", &text)]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with(
            "rules/t.yaml:8: rules[0].severity: unknown field `severity`, expected one of"
        ),
        "{errs:?}"
    );
}

#[test]
fn rules_are_in_force_between_their_dates() {
    let text = format!(
        "{RULE_HEAD}    effective_from: \"2027-01-01\"\n    effective_until: \"2027-12-31\"\n    when: \"'school' in concepts\"\n    screening: required\n    reason: {{fi: a, sv: b, en: c}}\n"
    );
    let b = Bundle::load(&default_with(&[("rules/t.yaml", &text)])).expect("loads");
    let rule = b.rules.iter().find(|r| r.id == "t.rule").expect("rule");
    let date = |s: &str| parse_date(s).expect("date");
    assert!(!rule.in_force(date("2026-12-31")));
    assert!(rule.in_force(date("2027-01-01")));
    assert!(rule.in_force(date("2027-12-31")));
    assert!(!rule.in_force(date("2028-01-01")));
}

#[test]
fn rejects_a_plan_goal_without_indicators() {
    let text = "id: x\ntenant: \"276\"\ntitle: {fi: a, sv: b, en: c}\nperiod: \"2025–2029\"\ngoals:\n  - id: g1\n    title: {fi: a, sv: b, en: c}\n    focus_area: {fi: a, sv: b, en: c}\n    determinants: [housing]\n    indicators: []\n";
    let errs = errors(&[("plans/276.yaml", text)]);
    assert_eq!(
        errs,
        vec!["plans/276.yaml:6: goal `g1` needs at least one Sotkanet indicator".to_string()]
    );
}

const MODEL_HEAD: &str =
    "trained: {labels: [l.yaml], items: 2, needing_assessment: 1, l2: 1, chosen_by: hand}\n";

#[test]
fn a_model_is_optional_and_read_when_there() {
    let without: Vec<(String, String)> = default_with(&[])
        .files
        .into_iter()
        .filter(|(p, _)| p != MODEL_FILE)
        .collect();
    let b = Bundle::load(&MemorySource { files: without }).expect("loads without a model");
    assert!(b.screening_model.is_none());
    let text = format!(
        "{MODEL_HEAD}threshold: 0.4\nforce_required: true\ndoubt_from: 0.1\nbias: -1.5\nweights:\n  \"word:päiväko\": 0.75\n  \"rule:{}\": 1.25\n",
        b.rules[0].id
    );
    let b = Bundle::load(&default_with(&[(MODEL_FILE, &text)])).expect("loads");
    let m = b.screening_model.expect("a model");
    assert_eq!(
        (m.threshold, m.force_required, m.doubt_from, m.bias),
        (0.4, true, 0.1, -1.5)
    );
    assert_eq!(m.weights["word:päiväko"], 0.75);
    assert_eq!(m.weights.len(), 2);
}

#[test]
fn rejects_a_model_the_rules_have_outgrown_or_that_is_not_a_model() {
    let model = |body: &str| format!("{MODEL_HEAD}{body}");
    let e = errors(&[(
        MODEL_FILE,
        &model(
            "threshold: 0.5\ndoubt_from: 0.2\nbias: 0\nweights:\n  \"rule:no.such.rule\": 1\n  \"concept:no_such\": 1\n  \"word:koulu\": 1\n",
        ),
    )]);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("model/screening.yaml")
            && e[0].contains("2 feature(s)")
            && e[0].contains("rule:no.such.rule")
            && e[0].contains("retrain it with `eva train`"),
        "{e:?}"
    );
    let e = errors(&[(
        MODEL_FILE,
        &model("threshold: 1.5\ndoubt_from: 0.2\nbias: 0\nweights:\n  \"colour:red\": 1\n"),
    )]);
    assert!(
        e.iter()
            .any(|m| m.contains("threshold is 1.5; a probability lies between 0 and 1")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.contains("`colour:red` is of no known kind")),
        "{e:?}"
    );
    let e = errors(&[(
        MODEL_FILE,
        &model("threshold: 0.3\ndoubt_from: 0.4\nbias: 0\nweights: {}\n"),
    )]);
    assert!(
        e.iter()
            .any(|m| m.contains("doubt_from (0.4) is above the threshold (0.3)")),
        "{e:?}"
    );
    // a model's reason needs its strings
    let strings = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/templates/strings.yaml"),
    )
    .expect("strings");
    let without: String = strings
        .lines()
        .filter(|l| !l.trim_start().starts_with("model.also:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let e = errors(&[("templates/strings.yaml", &without)]);
    assert!(
        e.iter()
            .any(|m| m.contains("string `model.also` is missing")),
        "{e:?}"
    );
    let e = errors(&[(MODEL_FILE, "threshold: 0.3\n")]);
    assert!(
        e.iter().any(|m| m.contains("model/screening.yaml")),
        "{e:?}"
    );
}

#[test]
fn a_concept_kept_out_of_the_model_is_not_weighed() {
    let b = Bundle::load(&default_with(&[])).expect("loads");
    let kept_out: Vec<&str> = b
        .concepts
        .iter()
        .filter(|c| !c.learned)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(kept_out, ["further_decision"]);
    assert!(b.concepts.iter().any(|c| c.id == "noting" && c.learned));
    let e = errors(&[(
        MODEL_FILE,
        &format!(
            "{MODEL_HEAD}threshold: 0.5\ndoubt_from: 0.2\nbias: 0\nweights:\n  \"concept:further_decision\": 1\n  \"concept:noting\": 1\n"
        ),
    )]);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("concept:further_decision")
            && !e[0].contains("concept:noting")
            && e[0].contains("learned: false")
            && e[0].contains("retrain it with `eva train`"),
        "{e:?}"
    );
}
