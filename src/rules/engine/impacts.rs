//! Impacts: what each fired rule predicts, reaching the groups its rule
//! names and the groups the title names, with a confidence from how firmly
//! its evidence stands.

use std::collections::BTreeSet;

use super::analysis::{Analysed, ConceptSets};
use super::screening::Fired;
use crate::domain::{Evidence, Impact, Place};
use crate::rules::bundle::{Bundle, Entry, ImpactSpec};

/// The groups and age bands the text names, which shape each impact's
/// groups.
struct Named<'b> {
    /// Groups the title names: the decision is aimed at them, so every
    /// impact reaches them besides the groups its rule names.
    groups: Vec<&'b str>,
    /// Age bands the title or proposal names: an impact whose rule names
    /// several bands keeps only those (see `AgeBands`) …
    bands: BTreeSet<&'b str>,
    /// … unless the title speaks of all ages at once; in a proposal, "the
    /// children" are usually the ones of the unit the text has named.
    all_ages: bool,
}

impl<'b> Named<'b> {
    fn of(bundle: &'b Bundle, sets: &ConceptSets<'_>) -> Named<'b> {
        let names = |g: &Entry, found: &BTreeSet<&str>| {
            g.concepts.iter().any(|c| found.contains(c.as_str()))
        };
        let bands = &bundle.age_bands;
        Named {
            groups: bundle
                .groups
                .iter()
                .filter(|g| names(g, &sets.title))
                .map(|g| g.id.as_str())
                .collect(),
            bands: bundle
                .groups
                .iter()
                .filter(|g| bands.groups.contains(&g.id) && names(g, &sets.core))
                .map(|g| g.id.as_str())
                .collect(),
            all_ages: bands
                .broad_concepts
                .iter()
                .any(|c| sets.title.contains(c.as_str())),
        }
    }

    /// The groups an impact of `spec` reaches, in taxonomy order.
    fn groups(&self, bundle: &Bundle, spec: &ImpactSpec) -> Vec<String> {
        let bands = &bundle.age_bands.groups;
        let mut groups = spec.groups.clone();
        if !self.all_ages && groups.iter().any(|g| self.bands.contains(g.as_str())) {
            groups.retain(|g| !bands.contains(g) || self.bands.contains(g.as_str()));
        }
        for g in &self.groups {
            if !groups.iter().any(|x| x == g) {
                groups.push(g.to_string());
            }
        }
        groups.sort_by_key(|g| bundle.groups.iter().position(|e| &e.id == g));
        groups
    }
}

/// The impacts of the fired rules, in taxonomy order of determinants, then
/// by rule; ids are left for the caller to give.
pub(super) fn impacts(
    bundle: &Bundle,
    fired: &Fired<'_>,
    analysed: &Analysed<'_>,
    sets: &ConceptSets<'_>,
) -> Vec<Impact> {
    let named = Named::of(bundle, sets);
    let mut impacts = Vec::new();
    for (rule, evidence) in fired {
        if rule.impacts.is_empty() {
            continue;
        }
        let confidence = confidence(evidence, analysed);
        for spec in &rule.impacts {
            impacts.push(Impact {
                id: String::new(),
                determinant: spec.determinant.clone(),
                groups: named.groups(bundle, spec),
                direction: spec.direction,
                magnitude: spec.magnitude,
                likelihood: spec.likelihood,
                horizon: spec.horizon,
                rationale: spec.rationale.clone(),
                evidence: evidence.clone(),
                mitigations: spec.mitigations.clone(),
                rule_id: rule.id.clone(),
                reference: rule.reference.clone(),
                confidence,
            });
        }
    }
    impacts.sort_by(|a, b| {
        let pos = |d: &str| bundle.determinants.iter().position(|e| e.id == d);
        pos(&a.determinant)
            .cmp(&pos(&b.determinant))
            .then(a.rule_id.cmp(&b.rule_id))
    });
    impacts
}

/// How firmly a rule's trigger stands: structured facts and budget figures
/// are explicit; a single keyword is weak, several concepts or hits in the
/// title and in a proposal the draft marks as such are stronger.
fn confidence(evidence: &[Evidence], analysed: &Analysed<'_>) -> f64 {
    if evidence.iter().any(|e| matches!(e.place, Place::Field(_))) {
        return 0.9;
    }
    let concepts: BTreeSet<&str> = evidence.iter().map(|e| e.concept.as_str()).collect();
    let hits = evidence.len();
    let prominent = evidence.iter().any(|e| match e.place {
        Place::Title => true,
        Place::Section(i) => analysed.marked.contains(&(i as i32)),
        Place::Field(_) => false,
    });
    let mut c: f64 = 0.35;
    c += 0.15 * (concepts.len().saturating_sub(1)) as f64;
    c += if hits > 1 { 0.1 } else { 0.0 };
    c += if prominent { 0.1 } else { 0.0 };
    (c.min(0.85) * 100.0).round() / 100.0
}
