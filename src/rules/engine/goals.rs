//! Goal alignment: how the impacts bear on each goal of the plan.

use crate::domain::{Direction, GoalAlignment, GoalVerdict, Impact, Likelihood, Magnitude};
use crate::rules::bundle::Plan;

/// Each goal of `plan` with the impacts on its determinants that reach
/// its groups. A goal without groups is about every resident, so any
/// impact on its determinants reaches it; an impact without groups (on
/// residents at large) does not reach a goal about particular groups, for
/// nothing says it touches them more than anyone else. Impacts whose
/// direction is uncertain are left out: they say a goal may be touched, not
/// how, and the preparer sees them among the impacts.
pub(super) fn align(plan: &Plan, impacts: &[Impact]) -> Vec<GoalAlignment> {
    plan.goals
        .iter()
        .map(|g| {
            let related: Vec<&Impact> = impacts
                .iter()
                .filter(|i| g.determinants.contains(&i.determinant))
                .filter(|i| g.groups.is_empty() || i.groups.iter().any(|x| g.groups.contains(x)))
                // an impact of unknown direction can neither support nor
                // work against a goal
                .filter(|i| i.direction != Direction::Uncertain)
                .collect();
            let (verdict, score) = goal_verdict(&related);
            GoalAlignment {
                goal_id: g.id.clone(),
                title: g.title.clone(),
                focus_area: g.focus_area.clone(),
                verdict,
                score,
                indicators: g.indicators.clone(),
                impact_ids: related.iter().map(|i| i.id.clone()).collect(),
                confidence: goal_confidence(&related),
            }
        })
        .collect()
}

/// The confidence of a goal verdict: the impacts' confidences weighted by
/// magnitude, so that one firm major impact outweighs minor keyword hits.
fn goal_confidence(related: &[&Impact]) -> f64 {
    let weight = |i: &Impact| match i.magnitude {
        Magnitude::Minor => 1.0,
        Magnitude::Moderate => 2.0,
        Magnitude::Major => 3.0,
    };
    let total: f64 = related.iter().map(|i| weight(i)).sum();
    if total == 0.0 {
        return 0.0;
    }
    let c = related
        .iter()
        .map(|i| weight(i) * i.confidence)
        .sum::<f64>()
        / total;
    (c * 100.0).round() / 100.0
}

fn goal_verdict(related: &[&Impact]) -> (GoalVerdict, f64) {
    if related.is_empty() {
        return (GoalVerdict::Unaffected, 0.0);
    }
    let weight = |i: &Impact| {
        let m = match i.magnitude {
            Magnitude::Minor => 1.0,
            Magnitude::Moderate => 2.0,
            Magnitude::Major => 3.0,
        };
        let l = match i.likelihood {
            Likelihood::Possible => 0.5,
            Likelihood::Likely => 0.75,
            Likelihood::Certain => 1.0,
        };
        m * l
    };
    let (mut sum, mut total): (f64, f64) = (0.0, 0.0);
    let (mut pos, mut neg, mut other) = (false, false, false);
    for i in related {
        let w = weight(i);
        total += w;
        match i.direction {
            Direction::Positive => {
                sum += w;
                pos = true
            }
            Direction::Negative => {
                sum -= w;
                neg = true
            }
            Direction::Mixed | Direction::Uncertain => other = true,
        }
    }
    let score = if total > 0.0 {
        ((sum / total) * 100.0).round() / 100.0
    } else {
        0.0
    };
    let verdict = match (pos, neg, other) {
        (true, false, false) => GoalVerdict::Supports,
        (false, true, false) => GoalVerdict::Conflicts,
        _ => GoalVerdict::Mixed,
    };
    (verdict, score)
}
