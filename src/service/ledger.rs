//! The ledger of a period for the municipality's annual welfare report
//! (hyvinvointikertomus): how the assessed decisions bore on each goal of
//! the welfare plan, where one population group was hit by several
//! decisions, and what preparers corrected — the signal administrators
//! tune rules by.
//!
//! A case assessed several times (its draft changed) counts once, by its
//! latest assessment; each assessment counts at its latest reviewed
//! revision, else the machine's.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::review::{Change, Justified};
use crate::domain::{Direction, GoalVerdict, Localized};
use crate::store::LedgerEntry;

/// The group an impact on everyone is counted under.
pub const ALL_RESIDENTS: &str = "all_residents";

/// A decision as a report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRef {
    /// Case id (the assessment id when the draft had none).
    pub case_id: String,
    /// The assessment counted.
    pub assessment_id: String,
    /// Its revision counted.
    pub revision: u32,
}

/// How the period's decisions bore on one goal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalTally {
    /// Goal id.
    pub goal_id: String,
    /// Its title.
    pub title: Localized,
    /// Its focus area.
    pub focus_area: Localized,
    /// Decisions that supported it.
    pub supports: u32,
    /// Decisions that worked against it.
    pub conflicts: u32,
    /// Decisions that did both.
    pub mixed: u32,
    /// Those decisions, with the verdict of each.
    pub cases: Vec<(CaseRef, GoalVerdict)>,
}

/// The goal summary of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalSummary {
    /// Decisions counted.
    pub decisions: u32,
    /// Each goal met in the period, in plan order.
    pub goals: Vec<GoalTally>,
}

/// Negative effects on one determinant for one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Effect {
    /// Determinant id.
    pub determinant: String,
    /// Population-group id, or [`ALL_RESIDENTS`].
    pub group: String,
    /// Decisions with a negative (or mixed) impact on it.
    pub decisions: u32,
    /// Those decisions.
    pub cases: Vec<CaseRef>,
    /// Hit by more than one decision in the period: an effect that single
    /// assessments miss.
    pub cumulative: bool,
}

/// The negative effects of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CumulativeEffects {
    /// Decisions counted.
    pub decisions: u32,
    /// Effects, most decisions first.
    pub effects: Vec<Effect>,
    /// Per group, on any determinant, most decisions first.
    pub groups: Vec<GroupTotal>,
}

/// The decisions that affected one population group negatively, on any
/// determinant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupTotal {
    /// Population-group id, or [`ALL_RESIDENTS`].
    pub group: String,
    /// Decisions with a negative (or mixed) impact on it.
    pub decisions: u32,
    /// Those decisions.
    pub cases: Vec<CaseRef>,
    /// Hit by more than one decision in the period, on one determinant or
    /// on several: the burden that single assessments miss.
    pub cumulative: bool,
}

/// How often preparers corrected one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCorrections {
    /// The rule.
    pub rule_id: String,
    /// Its impacts removed.
    pub removed: u32,
    /// Its impacts overridden.
    pub overridden: u32,
}

/// What preparers corrected in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewStatistics {
    /// Assessments made in the period.
    pub assessments: u32,
    /// Of them, reviewed at least once.
    pub reviewed: u32,
    /// Of them, with the screening verdict changed by a review.
    pub screening_changed: u32,
    /// Impacts preparers added.
    pub impacts_added: u32,
    /// Goal verdicts preparers changed.
    pub goals_overridden: u32,
    /// Rules whose impacts were removed or overridden, most corrected first.
    pub rules: Vec<RuleCorrections>,
}

/// Each case once: its latest assessment of the period.
fn decisions(entries: &[LedgerEntry]) -> Vec<(CaseRef, &LedgerEntry)> {
    // a draft without a case id is a case of its own
    let case_of = |e: &LedgerEntry| {
        if e.case_id.trim().is_empty() {
            e.assessment.id.clone()
        } else {
            e.case_id.clone()
        }
    };
    let mut latest: BTreeMap<String, usize> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        // entries come oldest first: a later one replaces an earlier one
        latest.insert(case_of(e), i);
    }
    let mut picked: Vec<(usize, String)> = latest.into_iter().map(|(c, i)| (i, c)).collect();
    picked.sort_unstable();
    picked
        .into_iter()
        .map(|(i, case_id)| {
            let e = &entries[i];
            (
                CaseRef {
                    case_id,
                    assessment_id: e.assessment.id.clone(),
                    revision: e.revision,
                },
                e,
            )
        })
        .collect()
}

/// Per goal, how many decisions supported it, worked against it or both.
pub fn summarize_goals(entries: &[LedgerEntry]) -> GoalSummary {
    let decided = decisions(entries);
    let mut goals: Vec<GoalTally> = Vec::new();
    for (case, e) in &decided {
        for g in &e.assessment.goals {
            let at = match goals.iter().position(|t| t.goal_id == g.goal_id) {
                Some(i) => i,
                None => {
                    goals.push(GoalTally {
                        goal_id: g.goal_id.clone(),
                        title: g.title.clone(),
                        focus_area: g.focus_area.clone(),
                        supports: 0,
                        conflicts: 0,
                        mixed: 0,
                        cases: Vec::new(),
                    });
                    goals.len() - 1
                }
            };
            let t = &mut goals[at];
            match g.verdict {
                GoalVerdict::Supports => t.supports += 1,
                GoalVerdict::Conflicts => t.conflicts += 1,
                GoalVerdict::Mixed => t.mixed += 1,
                GoalVerdict::Unaffected => continue,
            }
            t.cases.push((case.clone(), g.verdict));
        }
    }
    GoalSummary {
        decisions: decided.len() as u32,
        goals,
    }
}

/// Per determinant and group, the decisions that affected it negatively.
pub fn cumulative_effects(entries: &[LedgerEntry]) -> CumulativeEffects {
    let decided = decisions(entries);
    let mut hits: BTreeMap<(String, String), Vec<CaseRef>> = BTreeMap::new();
    // a group's decisions on any determinant, each once, in ledger order
    let mut by_group: BTreeMap<String, Vec<CaseRef>> = BTreeMap::new();
    for (case, e) in &decided {
        let mut seen = std::collections::BTreeSet::new();
        let mut groups_seen = std::collections::BTreeSet::new();
        for i in &e.assessment.impacts {
            if !matches!(i.direction, Direction::Negative | Direction::Mixed) {
                continue;
            }
            let groups: Vec<&str> = if i.groups.is_empty() {
                vec![ALL_RESIDENTS]
            } else {
                i.groups.iter().map(String::as_str).collect()
            };
            for g in groups {
                let key = (i.determinant.clone(), g.to_string());
                // one decision counts once per determinant and group, and
                // once per group
                if seen.insert(key.clone()) {
                    hits.entry(key).or_default().push(case.clone());
                }
                if groups_seen.insert(g) {
                    by_group
                        .entry(g.to_string())
                        .or_default()
                        .push(case.clone());
                }
            }
        }
    }
    let mut groups: Vec<GroupTotal> = by_group
        .into_iter()
        .map(|(group, cases)| GroupTotal {
            decisions: cases.len() as u32,
            cumulative: cases.len() > 1,
            group,
            cases,
        })
        .collect();
    groups.sort_by(|a, b| {
        b.decisions
            .cmp(&a.decisions)
            .then_with(|| a.group.cmp(&b.group))
    });
    let mut effects: Vec<Effect> = hits
        .into_iter()
        .map(|((determinant, group), cases)| Effect {
            decisions: cases.len() as u32,
            cumulative: cases.len() > 1,
            determinant,
            group,
            cases,
        })
        .collect();
    effects.sort_by(|a, b| {
        b.decisions
            .cmp(&a.decisions)
            .then_with(|| a.determinant.cmp(&b.determinant))
            .then_with(|| a.group.cmp(&b.group))
    });
    CumulativeEffects {
        decisions: decided.len() as u32,
        effects,
        groups,
    }
}

/// What the reviews of a period changed. `assessments` counts the
/// assessments made in it; `changes` are the reviews' changes by
/// assessment id and revision.
pub fn review_statistics(
    assessments: usize,
    changes: &[(String, u32, Vec<Justified>)],
) -> ReviewStatistics {
    let mut reviewed = std::collections::BTreeSet::new();
    let mut screening = std::collections::BTreeSet::new();
    let mut rules: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let (mut added, mut goals) = (0, 0);
    for (id, _, list) in changes {
        reviewed.insert(id.as_str());
        for c in list {
            match &c.change {
                Change::RemoveImpact { rule_id, .. } if !rule_id.is_empty() => {
                    rules.entry(rule_id.clone()).or_default().0 += 1;
                }
                Change::OverrideImpact { rule_id, .. } if !rule_id.is_empty() => {
                    rules.entry(rule_id.clone()).or_default().1 += 1;
                }
                Change::OverrideScreening { verdict, previous } if verdict != previous => {
                    screening.insert(id.as_str());
                }
                Change::AddImpact { .. } => added += 1,
                Change::OverrideGoal { .. } => goals += 1,
                _ => {}
            }
        }
    }
    let mut rules: Vec<RuleCorrections> = rules
        .into_iter()
        .map(|(rule_id, (removed, overridden))| RuleCorrections {
            rule_id,
            removed,
            overridden,
        })
        .collect();
    rules.sort_by(|a, b| {
        (b.removed + b.overridden)
            .cmp(&(a.removed + a.overridden))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    ReviewStatistics {
        assessments: assessments as u32,
        reviewed: reviewed.len() as u32,
        screening_changed: screening.len() as u32,
        impacts_added: added,
        goals_overridden: goals,
        rules,
    }
}
