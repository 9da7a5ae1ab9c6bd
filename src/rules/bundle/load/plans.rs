//! `plans/*.yaml`: one welfare plan per municipality that has its own, and
//! the national baseline for the others, with goals, measures and Sotkanet
//! indicators.

use std::collections::{BTreeMap, BTreeSet};

use super::{Kind, Known, Loader};
use crate::domain::Indicator;
use crate::rules::bundle::format::{GoalFile, PlanFile, line_of};
use crate::rules::bundle::model::{Goal, Municipality, Plan};

/// The plans of a bundle: each municipality's own, and the national
/// baseline for the others.
pub(super) struct Plans {
    pub(super) own: BTreeMap<String, Plan>,
    pub(super) baseline: Option<Plan>,
}

impl Loader {
    pub(super) fn plans<'a>(
        &mut self,
        files: impl Iterator<Item = (&'a str, &'a str)>,
        known: &Known,
        municipalities: &BTreeMap<String, Municipality>,
    ) -> Plans {
        let mut plans = Plans {
            own: BTreeMap::new(),
            baseline: None,
        };
        for (file, text) in files {
            let Some(p) = self.parse::<PlanFile>(file, text) else {
                continue;
            };
            let line = line_of(&p.id);
            let Some(plan) = self.plan(file, p, known, municipalities) else {
                continue;
            };
            match &plan.tenant {
                None if plans.baseline.is_some() => self.err(
                    Kind::Duplicate,
                    file,
                    line,
                    "a second national baseline plan; keep one",
                ),
                None => plans.baseline = Some(plan),
                Some(tenant) if plans.own.contains_key(tenant) => self.err(
                    Kind::Duplicate,
                    file,
                    line,
                    format!("a second plan for tenant `{tenant}`; keep one plan per municipality"),
                ),
                Some(tenant) => {
                    plans.own.insert(tenant.clone(), plan);
                }
            }
        }
        if plans.baseline.is_none() {
            self.err(
                Kind::Missing,
                "plans/",
                0,
                "no national baseline plan; add a plan file with `national_baseline: true` \
                 and no tenant: municipalities without a plan of their own are assessed against it",
            );
        }
        plans
    }

    fn plan(
        &mut self,
        file: &str,
        p: PlanFile,
        known: &Known,
        municipalities: &BTreeMap<String, Municipality>,
    ) -> Option<Plan> {
        let line = line_of(&p.id);
        let tenant = match (&p.tenant, p.national_baseline) {
            (Some(t), false) => {
                let tenant = t.as_str().to_string();
                if !Municipality::is_number(&tenant) {
                    self.err(Kind::Invalid, file, line_of(t), format!("tenant `{tenant}` is not a municipality number; write three digits such as \"091\" (quoted)"));
                } else if !municipalities.is_empty() && !municipalities.contains_key(&tenant) {
                    self.err(Kind::Unknown, file, line_of(t), format!("tenant `{tenant}` is not in municipalities.yaml; use the number of a municipality listed there"));
                }
                Some(tenant)
            }
            (None, true) => None,
            (Some(t), true) => {
                self.err(Kind::Invalid, file, line_of(t), "a national baseline plan belongs to no tenant; remove `tenant` or `national_baseline`");
                return None;
            }
            (None, false) => {
                self.err(Kind::Missing, file, line, "no tenant; give the municipality number (`tenant: \"091\"`) or mark the plan `national_baseline: true`");
                return None;
            }
        };
        self.check_text(file, &p.title, "the plan title");
        let mut seen = BTreeSet::new();
        let goals = p
            .goals
            .into_iter()
            .map(|g| {
                self.check_unique(&mut seen, file, &g.id, "goal");
                self.goal(file, g, known)
            })
            .collect();
        Some(Plan {
            id: p.id.as_str().to_string(),
            tenant,
            title: (*p.title).clone(),
            period: p.period,
            goals,
        })
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
            if i.baseline.is_some() != i.baseline_year.is_some() {
                self.err(
                    Kind::Missing,
                    file,
                    line_of(&i.sotkanet_id),
                    format!(
                        "indicator {} gives a baseline without its year or a year without a baseline; give both or neither",
                        *i.sotkanet_id
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
