//! `rules/*.yaml`: the rules, each with its condition, screening signal,
//! impacts, required assessments and questions.

use std::collections::HashMap;

use marked_yaml::Spanned;

use super::{Kind, Known, Loader, Schemas, concept_tests, field_paths};
use crate::domain::{Direction, Horizon, Likelihood, Localized, Magnitude, Verdict};
use crate::rules::bundle::format::{ImpactFile, RuleFile, RulesFile, line_of};
use crate::rules::bundle::model::{ImpactSpec, Rule};
use crate::rules::parse_date;

/// Where each rule id was first seen: (file, line).
type Seen = HashMap<String, (String, usize)>;

impl Loader {
    pub(super) fn rules<'a>(
        &mut self,
        files: impl Iterator<Item = (&'a str, &'a str)>,
        known: &Known,
        schemas: &Schemas,
    ) -> Vec<Rule> {
        let mut rules = Vec::new();
        let mut seen = Seen::new();
        for (file, text) in files {
            let Some(rf) = self.parse::<RulesFile>(file, text) else {
                continue;
            };
            for r in rf.rules {
                if let Some(rule) = self.rule(file, r, &mut seen, known, schemas) {
                    rules.push(rule);
                }
            }
        }
        rules
    }

    fn rule(
        &mut self,
        file: &str,
        r: RuleFile,
        seen: &mut Seen,
        known: &Known,
        schemas: &Schemas,
    ) -> Option<Rule> {
        let id = r.id.as_str().to_string();
        if let Some((f, l)) = seen.get(&id) {
            self.err(
                Kind::Duplicate,
                file,
                line_of(&r.id),
                format!("duplicate rule id `{id}`; it is already used at {f}:{l}"),
            );
        } else {
            seen.insert(id.clone(), (file.to_string(), line_of(&r.id)));
        }
        self.check_text(file, &r.title, &format!("rule `{id}` title"));
        if r.reference.trim().is_empty() {
            self.err(
                Kind::Missing,
                file,
                line_of(&r.reference),
                format!("rule `{id}` needs a legal or policy reference"),
            );
        }
        let effective_from = self.date(file, r.effective_from.as_ref());
        let effective_until = self.date(file, r.effective_until.as_ref());
        let screening = r.screening.as_ref().and_then(|s| {
            self.enum_value(
                file,
                s,
                "screening signal",
                &[Verdict::Required, Verdict::Recommended].map(|v| (v.name(), v)),
            )
        });
        let reason = self.rule_reason(file, &r, &id);
        let impacts = r
            .impacts
            .iter()
            .filter_map(|i| self.impact(file, i, &id, known))
            .collect();
        self.check_rule_refs(file, &r, known);
        if r.impacts.is_empty()
            && r.screening.is_none()
            && r.required_assessments.is_empty()
            && r.open_questions.is_empty()
        {
            self.err(Kind::Invalid, file, line_of(&r.id), format!("rule `{id}` has no effect; give it impacts, a screening signal, required assessments or open questions"));
        }
        self.check_concepts(file, &r.when, &known.names);
        let condition = self.condition(file, &r.when, &schemas.draft, known)?;
        let evidence_concepts = if r.evidence.is_empty() {
            concept_tests(&r.when)
                .into_iter()
                .filter(|s| known.names.contains(s))
                .collect()
        } else {
            r.evidence.iter().map(|c| c.as_str().to_string()).collect()
        };
        let strings =
            |list: &[Spanned<String>]| list.iter().map(|x| x.as_str().to_string()).collect();
        Some(Rule {
            title: (*r.title).clone(),
            reference: r.reference.as_str().to_string(),
            effective_from,
            effective_until,
            when: r.when.as_str().to_string(),
            condition,
            screening,
            reason,
            evidence_concepts,
            evidence_fields: field_paths(&r.when),
            impacts,
            required_assessments: strings(&r.required_assessments),
            open_questions: strings(&r.open_questions),
            id,
        })
    }

    fn date(&mut self, file: &str, d: Option<&Spanned<String>>) -> Option<time::Date> {
        let d = d?;
        let parsed = parse_date(d.as_str());
        if parsed.is_none() {
            self.err(
                Kind::Invalid,
                file,
                line_of(d),
                format!("`{}` is not a date; write it as YYYY-MM-DD", d.as_str()),
            );
        }
        parsed
    }

    /// The reason a rule states, which it needs when it signals screening
    /// or asks for an assessment.
    fn rule_reason(&mut self, file: &str, r: &RuleFile, id: &str) -> Localized {
        match &r.reason {
            Some(reason) => {
                self.check_text(file, reason, &format!("rule `{id}` reason"));
                (**reason).clone()
            }
            None => {
                if r.screening.is_some() || !r.required_assessments.is_empty() {
                    self.err(Kind::Missing, file, line_of(&r.id), format!("rule `{id}` gives a screening signal or asks for an assessment, so it needs a `reason`"));
                }
                Localized::default()
            }
        }
    }

    fn impact(
        &mut self,
        file: &str,
        i: &ImpactFile,
        id: &str,
        known: &Known,
    ) -> Option<ImpactSpec> {
        const TAXONOMY: &str = "use an id from taxonomy.yaml";
        self.check_known(
            file,
            &i.determinant,
            &known.determinants,
            "determinant",
            TAXONOMY,
        );
        for g in &i.groups {
            self.check_known(file, g, &known.groups, "population group", TAXONOMY);
        }
        self.check_text(file, &i.rationale, &format!("rule `{id}` rationale"));
        for m in &i.mitigations {
            self.check_text(file, m, &format!("rule `{id}` mitigation"));
        }
        let direction = self.enum_value(
            file,
            &i.direction,
            "direction",
            &Direction::ALL.map(|x| (x.name(), x)),
        );
        let magnitude = self.enum_value(
            file,
            &i.magnitude,
            "magnitude",
            &Magnitude::ALL.map(|x| (x.name(), x)),
        );
        let likelihood = self.enum_value(
            file,
            &i.likelihood,
            "likelihood",
            &Likelihood::ALL.map(|x| (x.name(), x)),
        );
        let horizon = self.enum_value(
            file,
            &i.horizon,
            "horizon",
            &Horizon::ALL.map(|x| (x.name(), x)),
        );
        Some(ImpactSpec {
            determinant: i.determinant.as_str().to_string(),
            groups: i.groups.iter().map(|g| g.as_str().to_string()).collect(),
            direction: direction?,
            magnitude: magnitude?,
            likelihood: likelihood?,
            horizon: horizon?,
            rationale: (*i.rationale).clone(),
            mitigations: i.mitigations.iter().map(|m| (**m).clone()).collect(),
        })
    }

    /// The assessment kinds, questions and evidence concepts a rule names
    /// must exist.
    fn check_rule_refs(&mut self, file: &str, r: &RuleFile, known: &Known) {
        for k in &r.required_assessments {
            self.check_known(
                file,
                k,
                &known.kinds,
                "assessment kind",
                "use an id under assessment_kinds in taxonomy.yaml",
            );
        }
        for q in &r.open_questions {
            self.check_known(
                file,
                q,
                &known.questions,
                "question",
                "define it in questions.yaml",
            );
        }
        for c in &r.evidence {
            if !known.names.contains(c.as_str()) {
                self.err(
                    Kind::Unknown,
                    file,
                    line_of(c),
                    format!(
                        "unknown concept `{}` in evidence; define it as a concept or family in a lexicon file",
                        c.as_str()
                    ),
                );
            }
        }
    }
}
