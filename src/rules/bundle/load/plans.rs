//! `plans/*.yaml`: one welfare plan per municipality, with goals,
//! measures and Sotkanet indicators.

use std::collections::{BTreeMap, BTreeSet};

use super::{Kind, Known, Loader};
use crate::domain::{Indicator, Language};
use crate::rules::bundle::format::{GoalFile, PlanFile, line_of};
use crate::rules::bundle::model::{Goal, Plan};

impl Loader {
    pub(super) fn plans<'a>(
        &mut self,
        files: impl Iterator<Item = (&'a str, &'a str)>,
        known: &Known,
    ) -> BTreeMap<String, Plan> {
        let mut plans = BTreeMap::new();
        for (file, text) in files {
            let Some(p) = self.parse::<PlanFile>(file, text) else {
                continue;
            };
            let plan = self.plan(file, p, known);
            if plans.contains_key(&plan.tenant) {
                self.err(
                    Kind::Duplicate,
                    file,
                    0,
                    format!(
                        "a second plan for tenant `{}`; keep one plan per municipality",
                        plan.tenant
                    ),
                );
            } else {
                plans.insert(plan.tenant.clone(), plan);
            }
        }
        if plans.is_empty() {
            self.err(
                Kind::Missing,
                "plans/",
                0,
                "no welfare plans; add at least one plan file under plans/",
            );
        }
        plans
    }

    fn plan(&mut self, file: &str, p: PlanFile, known: &Known) -> Plan {
        let tenant = p.tenant.as_str().to_string();
        if tenant.len() != 3 || !tenant.chars().all(|c| c.is_ascii_digit()) {
            self.err(Kind::Invalid, file, line_of(&p.tenant), format!("tenant `{tenant}` is not a municipality number; write three digits such as \"091\" (quoted)"));
        }
        self.check_text(file, &p.municipality, "the municipality name");
        self.check_text(file, &p.title, "the plan title");
        let mut languages = Vec::new();
        for l in &p.languages {
            match Language::parse(l.as_str()) {
                Some(lang @ (Language::Fi | Language::Sv)) => languages.push(lang),
                _ => self.err(
                    Kind::Invalid,
                    file,
                    line_of(l),
                    format!("`{}` is not a municipal language; use fi or sv", l.as_str()),
                ),
            }
        }
        let mut seen = BTreeSet::new();
        let goals = p
            .goals
            .into_iter()
            .map(|g| {
                self.check_unique(&mut seen, file, &g.id, "goal");
                self.goal(file, g, known)
            })
            .collect();
        Plan {
            id: p.id.as_str().to_string(),
            tenant,
            municipality: (*p.municipality).clone(),
            languages,
            title: (*p.title).clone(),
            period: p.period,
            goals,
        }
    }

    fn goal(&mut self, file: &str, g: GoalFile, known: &Known) -> Goal {
        const TAXONOMY: &str = "use an id from taxonomy.yaml";
        let gid = g.id.as_str().to_string();
        self.check_text(file, &g.title, &format!("goal `{gid}` title"));
        self.check_text(file, &g.focus_area, &format!("goal `{gid}` focus area"));
        for d in &g.determinants {
            self.check_known(file, d, &known.determinants, "determinant", TAXONOMY);
        }
        for x in &g.groups {
            self.check_known(file, x, &known.groups, "population group", TAXONOMY);
        }
        if g.indicators.is_empty() {
            self.err(
                Kind::Missing,
                file,
                line_of(&g.id),
                format!("goal `{gid}` needs at least one Sotkanet indicator"),
            );
        }
        let mut indicators = Vec::new();
        for i in &g.indicators {
            self.check_text(file, &i.name, &format!("indicator {}", *i.sotkanet_id));
            if !matches!(i.direction.as_str(), "increase" | "decrease") {
                self.err(
                    Kind::Invalid,
                    file,
                    line_of(&i.direction),
                    format!(
                        "indicator direction `{}` is neither increase nor decrease",
                        i.direction.as_str()
                    ),
                );
            }
            indicators.push(Indicator {
                sotkanet_id: *i.sotkanet_id,
                name: (*i.name).clone(),
                baseline: i.baseline,
                baseline_year: i.baseline_year,
                target: i.target,
                direction: i.direction.as_str().to_string(),
            });
        }
        let mut measures = Vec::new();
        for m in &g.measures {
            self.check_text(file, &m.text, &format!("goal `{gid}` measure"));
            measures.push(((*m.text).clone(), m.responsible.clone()));
        }
        Goal {
            id: gid,
            title: (*g.title).clone(),
            focus_area: (*g.focus_area).clone(),
            determinants: g
                .determinants
                .iter()
                .map(|d| d.as_str().to_string())
                .collect(),
            groups: g.groups.iter().map(|d| d.as_str().to_string()).collect(),
            measures,
            indicators,
        }
    }
}
