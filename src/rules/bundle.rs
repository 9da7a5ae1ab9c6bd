//! Loading and validating a rule bundle: the YAML files in `rules/`.
//!
//! Every problem is reported with its file and line, and all problems are
//! collected before loading fails, so an administrator sees them together.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use marked_yaml::Spanned;
use serde::Deserialize;

use super::condition::{ConditionLanguage, Zen};
use super::{lowercase_first, parse_date};
use crate::domain::{
    Direction, Horizon, Indicator, Language, Likelihood, Localized, Magnitude, Verdict,
};
use crate::text::{Matcher, MorphLanguage};

/// The condition language bundles use.
pub type Conditions = Zen;
type Compiled = <Zen as ConditionLanguage>::Compiled;

/// Where the files of a bundle come from.
pub trait BundleSource {
    /// A name for messages, such as the directory.
    fn describe(&self) -> String;
    /// Every file as (path relative to the bundle root, with `/`, contents).
    fn files(&self) -> Result<Vec<(String, String)>, BundleError>;
}

/// A bundle in a directory on disk.
#[derive(Debug, Clone)]
pub struct DirSource {
    root: PathBuf,
}

impl DirSource {
    /// A bundle rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirSource { root: root.into() }
    }
}

impl BundleSource for DirSource {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn files(&self) -> Result<Vec<(String, String)>, BundleError> {
        let mut out = Vec::new();
        collect_files(&self.root, &self.root, &mut out)?;
        out.sort();
        Ok(out)
    }
}

fn collect_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, String)>,
) -> Result<(), BundleError> {
    let entries = std::fs::read_dir(dir).map_err(|e| BundleError::io(dir, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| BundleError::io(dir, &e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect_files(root, &path, out)?;
        } else if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".j2") {
            let text = std::fs::read_to_string(&path).map_err(|e| BundleError::io(&path, &e))?;
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .collect::<Vec<_>>()
                .join("/");
            out.push((rel, text));
        }
    }
    Ok(())
}

/// A bundle held in memory, for tests and tools.
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    /// (relative path, contents).
    pub files: Vec<(String, String)>,
}

impl BundleSource for MemorySource {
    fn describe(&self) -> String {
        "in-memory bundle".to_string()
    }

    fn files(&self) -> Result<Vec<(String, String)>, BundleError> {
        let mut files = self.files.clone();
        files.sort();
        Ok(files)
    }
}

/// One problem in a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleError {
    /// File relative to the bundle root (empty for the bundle as a whole).
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl BundleError {
    fn new(file: &str, line: usize, message: impl Into<String>) -> Self {
        BundleError {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }

    fn io(path: &Path, e: &std::io::Error) -> Self {
        BundleError::new(&path.display().to_string(), 0, format!("cannot read: {e}"))
    }
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file.is_empty(), self.line) {
            (true, _) => write!(f, "{}", self.message),
            (false, 0) => write!(f, "{}: {}", self.file, self.message),
            (false, line) => write!(f, "{}:{}: {}", self.file, line, self.message),
        }
    }
}

/// All problems that stopped a bundle from loading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct BundleErrors(pub Vec<BundleError>);

impl fmt::Display for BundleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "the rule bundle has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            writeln!(f, "  {e}")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- file formats

fn line_of<T>(s: &Spanned<T>) -> usize {
    s.span().start().map(|m| m.line()).unwrap_or(0)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BundleFile {
    id: Spanned<String>,
    version: Spanned<String>,
    description: Spanned<Localized>,
    #[serde(default)]
    facts: Vec<FactFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FactFile {
    name: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    description: Spanned<Localized>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    determinants: Vec<EntryFile>,
    groups: Vec<EntryFile>,
    assessment_kinds: Vec<EntryFile>,
    #[serde(default)]
    age_bands: Option<AgeBandsFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgeBandsFile {
    groups: Vec<Spanned<String>>,
    #[serde(default)]
    broad_concepts: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    id: Spanned<String>,
    label: Spanned<Localized>,
    #[serde(default)]
    concepts: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LexiconFile {
    concepts: Vec<ConceptFile>,
    #[serde(default)]
    families: Vec<FamilyFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyFile {
    id: Spanned<String>,
    members: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConceptFile {
    id: Spanned<String>,
    label: Spanned<Localized>,
    #[serde(default)]
    fi: Vec<String>,
    #[serde(default)]
    sv: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rules: Vec<RuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: Spanned<String>,
    title: Spanned<Localized>,
    reference: Spanned<String>,
    #[serde(default)]
    effective_from: Option<Spanned<String>>,
    #[serde(default)]
    effective_until: Option<Spanned<String>>,
    when: Spanned<String>,
    #[serde(default)]
    screening: Option<Spanned<String>>,
    #[serde(default)]
    reason: Option<Spanned<Localized>>,
    #[serde(default)]
    evidence: Vec<Spanned<String>>,
    #[serde(default)]
    impacts: Vec<ImpactFile>,
    #[serde(default)]
    required_assessments: Vec<Spanned<String>>,
    #[serde(default)]
    open_questions: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImpactFile {
    determinant: Spanned<String>,
    #[serde(default)]
    groups: Vec<Spanned<String>>,
    direction: Spanned<String>,
    magnitude: Spanned<String>,
    likelihood: Spanned<String>,
    horizon: Spanned<String>,
    rationale: Spanned<Localized>,
    #[serde(default)]
    mitigations: Vec<Spanned<Localized>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScreeningFile {
    exemptions: Vec<ExemptionFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExemptionFile {
    id: Spanned<String>,
    #[serde(default)]
    strict: bool,
    label: Spanned<Localized>,
    reason: Spanned<Localized>,
    when: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionsFile {
    questions: Vec<QuestionFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuestionFile {
    id: Spanned<String>,
    text: Spanned<Localized>,
    #[serde(default)]
    when: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    id: Spanned<String>,
    tenant: Spanned<String>,
    municipality: Spanned<Localized>,
    languages: Vec<Spanned<String>>,
    title: Spanned<Localized>,
    period: String,
    goals: Vec<GoalFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GoalFile {
    id: Spanned<String>,
    title: Spanned<Localized>,
    focus_area: Spanned<Localized>,
    determinants: Vec<Spanned<String>>,
    #[serde(default)]
    groups: Vec<Spanned<String>>,
    #[serde(default)]
    measures: Vec<MeasureFile>,
    indicators: Vec<IndicatorFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MeasureFile {
    text: Spanned<Localized>,
    responsible: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorFile {
    sotkanet_id: Spanned<u32>,
    name: Spanned<Localized>,
    baseline: f64,
    baseline_year: u32,
    target: f64,
    direction: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StringsFile {
    strings: BTreeMap<String, Spanned<Localized>>,
}

// ---------------------------------------------------------------- loaded form

/// A determinant, population group or assessment kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Stable id.
    pub id: String,
    /// Label in all languages.
    pub label: Localized,
    /// For population groups: lexicon concepts that name the group in a
    /// text. Every impact also gets the groups the draft's
    /// title names.
    pub concepts: Vec<String>,
}

/// Population groups that are age bands (infants, pupils, young people, older
/// people). Where a rule's impact names several bands and the draft's title
/// or proposal names some of them, the impact keeps only the bands named,
/// unless the title speaks of all ages at once (a broad concept such as
/// children in general; in a proposal, "the children" are usually those of
/// the unit it names).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgeBands {
    /// Group ids; each has concepts that name it.
    pub groups: Vec<String>,
    /// Concepts that name several bands at once.
    pub broad_concepts: Vec<String>,
}

/// A structured fact drafts may carry.
#[derive(Debug, Clone, PartialEq)]
pub struct FactSpec {
    /// Name under `facts`.
    pub name: String,
    /// `bool`, `number` or `string`.
    pub kind: FactKind,
    /// What it means.
    pub description: Localized,
}

/// Type of a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    /// true or false.
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
}

impl FactKind {
    /// Name as written in `bundle.yaml`.
    pub fn name(self) -> &'static str {
        match self {
            FactKind::Bool => "bool",
            FactKind::Number => "number",
            FactKind::String => "string",
        }
    }

    /// The value a fact has when a draft does not give it.
    pub fn default_value(self) -> serde_json::Value {
        match self {
            FactKind::Bool => serde_json::Value::Bool(false),
            FactKind::Number => serde_json::json!(0),
            FactKind::String => serde_json::Value::String(String::new()),
        }
    }

    /// Whether `v` is of this type.
    pub fn accepts(self, v: &serde_json::Value) -> bool {
        match self {
            FactKind::Bool => v.is_boolean(),
            FactKind::Number => v.is_number(),
            FactKind::String => v.is_string(),
        }
    }
}

/// A lexicon concept.
#[derive(Debug, Clone, PartialEq)]
pub struct Concept {
    /// Id that conditions use.
    pub id: String,
    /// Label.
    pub label: Localized,
}

/// A family of lexicon concepts that conditions can test as one (`any_school`
/// is present wherever `school`, `upper_secondary` or `school_network` is).
/// Families exist for conditions only: groups are named by concepts, so a
/// family never names a group its members do not.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// Id that conditions use, beside concept ids.
    pub id: String,
    /// Member concept ids.
    pub members: Vec<String>,
}

/// An impact a rule predicts.
#[derive(Debug, Clone, PartialEq)]
pub struct ImpactSpec {
    /// Determinant id.
    pub determinant: String,
    /// Population-group ids.
    pub groups: Vec<String>,
    /// Direction.
    pub direction: Direction,
    /// Magnitude.
    pub magnitude: Magnitude,
    /// Likelihood.
    pub likelihood: Likelihood,
    /// Horizon.
    pub horizon: Horizon,
    /// Why.
    pub rationale: Localized,
    /// Mitigations.
    pub mitigations: Vec<Localized>,
}

/// A rule, compiled.
#[derive(Debug)]
pub struct Rule {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: Localized,
    /// Legal or policy reference.
    pub reference: String,
    /// First day in force.
    pub effective_from: Option<time::Date>,
    /// Last day in force.
    pub effective_until: Option<time::Date>,
    /// The condition as written.
    pub when: String,
    pub(crate) condition: Compiled,
    /// Screening signal, if any.
    pub screening: Option<Verdict>,
    /// Reason for the signal and the required assessments.
    pub reason: Localized,
    /// Concepts whose hits are this rule's evidence.
    pub evidence_concepts: Vec<String>,
    /// Facts and budget fields the condition reads.
    pub evidence_fields: Vec<String>,
    /// Impacts.
    pub impacts: Vec<ImpactSpec>,
    /// Assessment kinds it calls for.
    pub required_assessments: Vec<String>,
    /// Question ids it raises.
    pub open_questions: Vec<String>,
}

impl Rule {
    /// Whether the rule is in force on `date`.
    pub fn in_force(&self, date: time::Date) -> bool {
        self.effective_from.is_none_or(|d| d <= date)
            && self.effective_until.is_none_or(|d| date <= d)
    }
}

/// A screening exemption.
#[derive(Debug)]
pub struct Exemption {
    /// Id.
    pub id: String,
    /// Label.
    pub label: Localized,
    /// Reason stated when it applies.
    pub reason: Localized,
    /// Whether it wins even over a rule that requires an assessment.
    pub strict: bool,
    /// Condition as written.
    pub when: String,
    pub(crate) condition: Compiled,
    /// Concepts whose hits are its evidence.
    pub evidence_concepts: Vec<String>,
}

/// An open question.
#[derive(Debug)]
pub struct Question {
    /// Id.
    pub id: String,
    /// Text.
    pub text: Localized,
    /// Condition (second phase: sees the screening and impacts), if any.
    pub(crate) condition: Option<Compiled>,
}

/// A welfare-plan goal.
#[derive(Debug, Clone)]
pub struct Goal {
    /// Id.
    pub id: String,
    /// Title.
    pub title: Localized,
    /// Focus area.
    pub focus_area: Localized,
    /// Determinants it is about.
    pub determinants: Vec<String>,
    /// Groups it is about; empty means everyone.
    pub groups: Vec<String>,
    /// Measures and the units responsible.
    pub measures: Vec<(Localized, String)>,
    /// Follow-up indicators.
    pub indicators: Vec<Indicator>,
}

/// A municipality's welfare plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Id.
    pub id: String,
    /// Municipality number.
    pub tenant: String,
    /// Municipality name.
    pub municipality: Localized,
    /// Official languages of the municipality.
    pub languages: Vec<Language>,
    /// Title.
    pub title: Localized,
    /// Period.
    pub period: String,
    /// Goals.
    pub goals: Vec<Goal>,
}

/// A loaded, validated rule bundle.
#[derive(Debug)]
pub struct Bundle {
    /// Bundle id.
    pub id: String,
    /// Version.
    pub version: String,
    /// BLAKE3 over every file's path and contents, hex.
    pub digest: String,
    /// Description.
    pub description: Localized,
    /// Declared facts.
    pub facts: Vec<FactSpec>,
    /// Determinants, in taxonomy order.
    pub determinants: Vec<Entry>,
    /// Population groups, in taxonomy order.
    pub groups: Vec<Entry>,
    /// Which groups are age bands, narrowed to those the text names.
    pub age_bands: AgeBands,
    /// Kinds of special assessment.
    pub assessment_kinds: Vec<Entry>,
    /// Concepts.
    pub concepts: Vec<Concept>,
    /// Concept families conditions may test (see `Family`).
    pub families: Vec<Family>,
    /// Rules, in file order.
    pub rules: Vec<Rule>,
    /// Screening exemptions, in file order.
    pub exemptions: Vec<Exemption>,
    /// Open questions.
    pub questions: Vec<Question>,
    /// Welfare plans by tenant.
    pub plans: BTreeMap<String, Plan>,
    /// UI strings for renderings.
    pub strings: BTreeMap<String, Localized>,
    /// Rendering templates by file name (`assessment.html.j2` …).
    pub templates: BTreeMap<String, String>,
    pub(crate) matcher_fi: Matcher,
    pub(crate) matcher_sv: Matcher,
}

impl Bundle {
    /// The concepts found and the families they make present, sorted: what
    /// a condition's concept lists hold.
    pub fn with_families(&self, found: &BTreeSet<&str>) -> Vec<String> {
        let present = self
            .families
            .iter()
            .filter(|f| f.members.iter().any(|m| found.contains(m.as_str())))
            .map(|f| f.id.as_str());
        found
            .iter()
            .copied()
            .chain(present)
            .collect::<BTreeSet<&str>>()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The matcher for a draft language.
    pub fn matcher(&self, lang: Language) -> &Matcher {
        match lang {
            Language::Sv => &self.matcher_sv,
            _ => &self.matcher_fi,
        }
    }

    /// Label of a determinant, group or concept id.
    pub fn label(&self, id: &str) -> Option<&Localized> {
        self.determinants
            .iter()
            .chain(&self.groups)
            .find(|e| e.id == id)
            .map(|e| &e.label)
            .or_else(|| self.concepts.iter().find(|c| c.id == id).map(|c| &c.label))
    }

    /// Loads and validates a bundle.
    pub fn load(source: &dyn BundleSource) -> Result<Bundle, BundleErrors> {
        let files = source.files().map_err(|e| BundleErrors(vec![e]))?;
        Loader::default().load(files)
    }

    /// The input schema conditions are checked against: field names and
    /// value types, as a sample value. `phase2` adds what questions can see.
    pub fn input_schema(facts: &[FactSpec], phase2: bool) -> serde_json::Value {
        let facts: serde_json::Map<String, serde_json::Value> = facts
            .iter()
            .map(|f| (f.name.clone(), f.kind.default_value()))
            .collect();
        let mut schema = serde_json::json!({
            "tenant": "", "organ": "", "language": "", "title": "",
            "classification": "", "class_main": "", "class_sub": "",
            "budget": {"one_off_eur": 0, "annual_eur": 0, "stated": false,
                       "one_off_stated": false, "annual_stated": false},
            "groups": [""], "areas": [""], "alternatives": 0, "zero_option": false,
            "facts": facts, "facts_given": [""], "text_bytes": 0, "text_max_eur": 0,
        });
        if let Some(obj) = schema.as_object_mut() {
            for field in CONCEPT_FIELDS {
                obj.insert(field.into(), serde_json::json!([""]));
            }
        }
        if phase2 && let Some(obj) = schema.as_object_mut() {
            obj.insert("screening".into(), serde_json::json!(""));
            obj.insert("determinants".into(), serde_json::json!([""]));
            obj.insert("impact_groups".into(), serde_json::json!([""]));
            obj.insert("required_assessments".into(), serde_json::json!([""]));
            obj.insert("negative_impacts".into(), serde_json::json!(0));
        }
        schema
    }
}

#[derive(Default)]
struct Loader {
    errors: Vec<BundleError>,
}

/// The condition input's lists of concepts found: anywhere, in the title, in
/// the proposal sections, in the title or proposal.
const CONCEPT_FIELDS: [&str; 4] = [
    "concepts",
    "title_concepts",
    "proposal_concepts",
    "core_concepts",
];

/// Quoted strings tested for membership in a concept list:
/// `'school' in concepts`, `'fee' in title_concepts` ….
fn concept_tests(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(open) = rest.find(['\'', '"']) {
        let quote = rest[open..].chars().next().unwrap_or('\'');
        let after_open = &rest[open + 1..];
        let Some(close) = after_open.find(quote) else {
            break;
        };
        let value = &after_open[..close];
        let tail = after_open[close + 1..].trim_start();
        let tests_concepts = tail
            .strip_prefix("in")
            .map(|t| t.trim_start())
            .is_some_and(|t| CONCEPT_FIELDS.iter().any(|f| t.starts_with(f)));
        if tests_concepts && !out.iter().any(|x: &String| x == value) {
            out.push(value.to_string());
        }
        rest = &after_open[close + 1..];
    }
    out
}

/// `facts.x` and `budget.y` paths a condition reads.
fn field_paths(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ["facts.", "budget."] {
        let mut rest = source;
        while let Some(i) = rest.find(prefix) {
            let boundary =
                i == 0 || !rest[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_');
            let tail = &rest[i + prefix.len()..];
            let name: String = tail
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if boundary && !name.is_empty() {
                let path = format!("{prefix}{name}");
                if !out.contains(&path) {
                    out.push(path);
                }
            }
            rest = tail;
        }
    }
    out
}

impl Loader {
    fn err(&mut self, file: &str, line: usize, message: impl Into<String>) {
        self.errors.push(BundleError::new(file, line, message));
    }

    fn parse<T: serde::de::DeserializeOwned>(&mut self, file: &str, text: &str) -> Option<T> {
        match marked_yaml::from_yaml::<T>(0, text) {
            Ok(v) => Some(v),
            Err(e) => {
                let (line, msg) = match &e {
                    marked_yaml::FromYamlError::ParseYaml(le) => (0, le.to_string()),
                    marked_yaml::FromYamlError::FromNode(ne) => {
                        let line = ne.start_mark().map(|m| m.line()).unwrap_or(0);
                        let inner = lowercase_first(&(**ne).to_string());
                        match ne.path() {
                            Some(path) => (line, format!("{path}: {inner}")),
                            None => (line, inner),
                        }
                    }
                };
                self.err(
                    file,
                    line,
                    format!("{msg}; see the bundle format in README.md"),
                );
                None
            }
        }
    }

    fn check_text(&mut self, file: &str, text: &Spanned<Localized>, what: &str) {
        let missing = text.missing();
        if !missing.is_empty() {
            let langs: Vec<&str> = missing.iter().map(|l| l.code()).collect();
            self.err(
                file,
                line_of(text),
                format!(
                    "{what} has no {} text; every text needs fi, sv and en",
                    langs.join(", ")
                ),
            );
        }
    }

    fn enum_value<T: Copy>(
        &mut self,
        file: &str,
        v: &Spanned<String>,
        what: &str,
        options: &[(&str, T)],
    ) -> Option<T> {
        match options.iter().find(|(name, _)| *name == v.as_str()) {
            Some((_, t)) => Some(*t),
            None => {
                let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                self.err(
                    file,
                    line_of(v),
                    format!(
                        "unknown {what} `{}`; use one of {}",
                        v.as_str(),
                        names.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn load(mut self, files: Vec<(String, String)>) -> Result<Bundle, BundleErrors> {
        let mut hasher = blake3::Hasher::new();
        for (path, text) in &files {
            hasher.update(&(path.len() as u64).to_le_bytes());
            hasher.update(path.as_bytes());
            hasher.update(&(text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        }
        let digest = hasher.finalize().to_hex().to_string();
        let get = |name: &str| {
            files
                .iter()
                .find(|(p, _)| p == name)
                .map(|(_, t)| t.as_str())
        };
        let under = |dir: &str| {
            files
                .iter()
                .filter(|(p, _)| {
                    p.starts_with(dir) && (p.ends_with(".yaml") || p.ends_with(".yml"))
                })
                .cloned()
                .collect::<Vec<_>>()
        };

        // bundle.yaml
        let Some(bundle_text) = get("bundle.yaml") else {
            return Err(BundleErrors(vec![BundleError::new(
                "bundle.yaml",
                0,
                "missing; a bundle needs bundle.yaml with id, version and description",
            )]));
        };
        let meta: Option<BundleFile> = self.parse("bundle.yaml", bundle_text);
        let mut facts = Vec::new();
        if let Some(meta) = &meta {
            self.check_text("bundle.yaml", &meta.description, "the description");
            let mut seen = BTreeSet::new();
            for f in &meta.facts {
                let kind = self.enum_value(
                    "bundle.yaml",
                    &f.kind,
                    "fact type",
                    &[
                        ("bool", FactKind::Bool),
                        ("number", FactKind::Number),
                        ("string", FactKind::String),
                    ],
                );
                self.check_text(
                    "bundle.yaml",
                    &f.description,
                    &format!("fact `{}`", f.name.as_str()),
                );
                if !seen.insert(f.name.as_str().to_string()) {
                    self.err(
                        "bundle.yaml",
                        line_of(&f.name),
                        format!("duplicate fact `{}`", f.name.as_str()),
                    );
                }
                if let Some(kind) = kind {
                    facts.push(FactSpec {
                        name: f.name.as_str().to_string(),
                        kind,
                        description: (*f.description).clone(),
                    });
                }
            }
        }

        // taxonomy.yaml
        let mut determinants = Vec::new();
        let mut groups = Vec::new();
        let mut kinds = Vec::new();
        let mut group_concepts: Vec<(String, usize)> = Vec::new();
        let mut age_bands = AgeBands::default();
        let mut band_refs: Vec<(String, usize)> = Vec::new();
        match get("taxonomy.yaml") {
            None => self.err(
                "taxonomy.yaml",
                0,
                "missing; a bundle needs the taxonomy of determinants and groups",
            ),
            Some(text) => {
                if let Some(t) = self.parse::<TaxonomyFile>("taxonomy.yaml", text) {
                    if let Some(b) = &t.age_bands {
                        for g in &b.groups {
                            age_bands.groups.push(g.as_str().to_string());
                            band_refs.push((g.as_str().to_string(), line_of(g)));
                        }
                        for c in &b.broad_concepts {
                            age_bands.broad_concepts.push(c.as_str().to_string());
                            group_concepts.push((c.as_str().to_string(), line_of(c)));
                        }
                    }
                    for (list, out) in [
                        (&t.determinants, &mut determinants),
                        (&t.groups, &mut groups),
                        (&t.assessment_kinds, &mut kinds),
                    ] {
                        let mut seen = BTreeSet::new();
                        for e in list {
                            self.check_text(
                                "taxonomy.yaml",
                                &e.label,
                                &format!("`{}`", e.id.as_str()),
                            );
                            if !seen.insert(e.id.as_str().to_string()) {
                                self.err(
                                    "taxonomy.yaml",
                                    line_of(&e.id),
                                    format!("duplicate id `{}`", e.id.as_str()),
                                );
                            }
                            for c in &e.concepts {
                                group_concepts.push((c.as_str().to_string(), line_of(c)));
                            }
                            out.push(Entry {
                                id: e.id.as_str().to_string(),
                                label: (*e.label).clone(),
                                concepts: e
                                    .concepts
                                    .iter()
                                    .map(|c| c.as_str().to_string())
                                    .collect(),
                            });
                        }
                    }
                }
            }
        }
        let det_ids: BTreeSet<String> = determinants.iter().map(|e: &Entry| e.id.clone()).collect();
        let group_ids: BTreeSet<String> = groups.iter().map(|e: &Entry| e.id.clone()).collect();
        for (g, line) in &band_refs {
            match groups.iter().find(|e| &e.id == g) {
                None => self.err(
                    "taxonomy.yaml",
                    *line,
                    format!("age band `{g}` is not a population group; use an id under groups"),
                ),
                Some(e) if e.concepts.is_empty() => self.err(
                    "taxonomy.yaml",
                    *line,
                    format!(
                        "age band `{g}` has no concepts, so no text can name it; give the group concepts or leave it out of age_bands"
                    ),
                ),
                Some(_) => {}
            }
        }
        let kind_ids: BTreeSet<String> = kinds.iter().map(|e: &Entry| e.id.clone()).collect();

        // lexicons
        let mut concepts = Vec::new();
        let mut terms_fi: Vec<(String, Vec<String>)> = Vec::new();
        let mut terms_sv: Vec<(String, Vec<String>)> = Vec::new();
        let mut concept_ids = BTreeSet::new();
        let mut family_files = Vec::new();
        for (file, text) in under("lexicon/") {
            let Some(lex) = self.parse::<LexiconFile>(&file, &text) else {
                continue;
            };
            family_files.push((file.clone(), lex.families));
            for c in lex.concepts {
                self.check_text(&file, &c.label, &format!("concept `{}`", c.id.as_str()));
                if !concept_ids.insert(c.id.as_str().to_string()) {
                    self.err(
                        &file,
                        line_of(&c.id),
                        format!("duplicate concept `{}`", c.id.as_str()),
                    );
                    continue;
                }
                if c.fi.is_empty() || c.sv.is_empty() {
                    self.err(
                        &file,
                        line_of(&c.id),
                        format!(
                            "concept `{}` needs terms under both fi and sv",
                            c.id.as_str()
                        ),
                    );
                }
                concepts.push(Concept {
                    id: c.id.as_str().to_string(),
                    label: (*c.label).clone(),
                });
                terms_fi.push((c.id.as_str().to_string(), c.fi));
                terms_sv.push((c.id.as_str().to_string(), c.sv));
            }
        }

        for (c, line) in &group_concepts {
            if !concept_ids.contains(c) {
                self.err(
                    "taxonomy.yaml",
                    *line,
                    format!("unknown concept `{c}`; define it in a lexicon file"),
                );
            }
        }

        // concept families: conditions may test them beside concepts
        let mut families: Vec<Family> = Vec::new();
        for (file, list) in family_files {
            for f in list {
                let id = f.id.as_str().to_string();
                if concept_ids.contains(&id) || families.iter().any(|x| x.id == id) {
                    self.err(
                        &file,
                        line_of(&f.id),
                        format!("family `{id}` has the id of a concept or another family; give it an id of its own"),
                    );
                    continue;
                }
                let distinct: BTreeSet<&str> = f.members.iter().map(|m| m.as_str()).collect();
                if distinct.len() < 2 {
                    self.err(
                        &file,
                        line_of(&f.id),
                        format!("family `{id}` needs at least two different member concepts"),
                    );
                }
                for m in &f.members {
                    if !concept_ids.contains(m.as_str()) {
                        self.err(
                            &file,
                            line_of(m),
                            format!(
                                "unknown concept `{}` in family `{id}`; members are concept ids from a lexicon file",
                                m.as_str()
                            ),
                        );
                    }
                }
                families.push(Family {
                    id,
                    members: f.members.iter().map(|m| m.as_str().to_string()).collect(),
                });
            }
        }
        // names a condition may test: concepts and families
        let concept_ids: BTreeSet<String> = concept_ids
            .into_iter()
            .chain(families.iter().map(|f| f.id.clone()))
            .collect();

        // questions.yaml
        let schema1 = Bundle::input_schema(&facts, false);
        let schema2 = Bundle::input_schema(&facts, true);
        let mut questions = Vec::new();
        if let Some(text) = get("questions.yaml")
            && let Some(q) = self.parse::<QuestionsFile>("questions.yaml", text)
        {
            let mut seen = BTreeSet::new();
            for item in q.questions {
                self.check_text(
                    "questions.yaml",
                    &item.text,
                    &format!("question `{}`", item.id.as_str()),
                );
                if !seen.insert(item.id.as_str().to_string()) {
                    self.err(
                        "questions.yaml",
                        line_of(&item.id),
                        format!("duplicate question `{}`", item.id.as_str()),
                    );
                }
                let condition = item
                    .when
                    .as_ref()
                    .and_then(|w| self.compile("questions.yaml", w, &schema2));
                questions.push(Question {
                    id: item.id.as_str().to_string(),
                    text: (*item.text).clone(),
                    condition,
                });
            }
        }
        let question_ids: BTreeSet<String> = questions.iter().map(|q| q.id.clone()).collect();

        // rules
        let mut rules = Vec::new();
        let mut rule_ids: HashMap<String, (String, usize)> = HashMap::new();
        for (file, text) in under("rules/") {
            let Some(rf) = self.parse::<RulesFile>(&file, &text) else {
                continue;
            };
            for r in rf.rules {
                if let Some(rule) = self.rule(
                    &file,
                    r,
                    &mut rule_ids,
                    &det_ids,
                    &group_ids,
                    &kind_ids,
                    &question_ids,
                    &concept_ids,
                    &schema1,
                ) {
                    rules.push(rule);
                }
            }
        }

        // screening.yaml
        let mut exemptions = Vec::new();
        if let Some(text) = get("screening.yaml")
            && let Some(s) = self.parse::<ScreeningFile>("screening.yaml", text)
        {
            let mut seen = BTreeSet::new();
            for e in s.exemptions {
                self.check_text(
                    "screening.yaml",
                    &e.label,
                    &format!("exemption `{}`", e.id.as_str()),
                );
                self.check_text(
                    "screening.yaml",
                    &e.reason,
                    &format!("exemption `{}`", e.id.as_str()),
                );
                if !seen.insert(e.id.as_str().to_string()) {
                    self.err(
                        "screening.yaml",
                        line_of(&e.id),
                        format!("duplicate exemption `{}`", e.id.as_str()),
                    );
                }
                self.check_concepts("screening.yaml", &e.when, &concept_ids);
                if let Some(condition) = self.compile("screening.yaml", &e.when, &schema1) {
                    exemptions.push(Exemption {
                        id: e.id.as_str().to_string(),
                        label: (*e.label).clone(),
                        reason: (*e.reason).clone(),
                        strict: e.strict,
                        when: e.when.as_str().to_string(),
                        condition,
                        evidence_concepts: concept_tests(&e.when)
                            .into_iter()
                            .filter(|s| concept_ids.contains(s))
                            .collect(),
                    });
                }
            }
        }

        // plans
        let mut plans = BTreeMap::new();
        for (file, text) in under("plans/") {
            let Some(p) = self.parse::<PlanFile>(&file, &text) else {
                continue;
            };
            if let Some(plan) = self.plan(&file, p, &det_ids, &group_ids) {
                if plans.contains_key(&plan.tenant) {
                    self.err(
                        &file,
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
        }
        if plans.is_empty() {
            self.err(
                "plans/",
                0,
                "no welfare plans; add at least one plan file under plans/",
            );
        }

        // templates
        let mut strings = BTreeMap::new();
        if let Some(text) = get("templates/strings.yaml")
            && let Some(s) = self.parse::<StringsFile>("templates/strings.yaml", text)
        {
            for (k, v) in s.strings {
                self.check_text("templates/strings.yaml", &v, &format!("string `{k}`"));
                strings.insert(k, (*v).clone());
            }
        }
        for key in crate::render::REQUIRED_STRINGS {
            if !strings.contains_key(*key) {
                self.err(
                    "templates/strings.yaml",
                    0,
                    format!("string `{key}` is missing; renderings need it in fi, sv and en"),
                );
            }
        }
        let templates: BTreeMap<String, String> = files
            .iter()
            .filter(|(p, _)| p.starts_with("templates/") && p.ends_with(".j2"))
            .map(|(p, t)| (p.trim_start_matches("templates/").to_string(), t.clone()))
            .collect();
        for needed in crate::render::TEMPLATE_NAMES {
            if !templates.contains_key(*needed) {
                self.err(
                    &format!("templates/{needed}"),
                    0,
                    "missing; renderings need this template",
                );
            }
        }
        if let Err(e) = crate::render::check_templates(&templates) {
            self.err(&format!("templates/{}", e.0), e.1, e.2);
        }

        if !self.errors.is_empty() {
            return Err(BundleErrors(self.errors));
        }
        let Some(meta) = meta else {
            return Err(BundleErrors(vec![BundleError::new(
                "bundle.yaml",
                0,
                "could not be read",
            )]));
        };
        // evidence for a family is evidence for any of its members
        let expand = |names: &mut Vec<String>| {
            let mut out: Vec<String> = Vec::new();
            for n in names.iter() {
                let members = families
                    .iter()
                    .find(|f| &f.id == n)
                    .map_or_else(|| vec![n.clone()], |f| f.members.clone());
                for m in members {
                    if !out.contains(&m) {
                        out.push(m);
                    }
                }
            }
            *names = out;
        };
        for r in &mut rules {
            expand(&mut r.evidence_concepts);
        }
        for e in &mut exemptions {
            expand(&mut e.evidence_concepts);
        }

        Ok(Bundle {
            id: meta.id.as_str().to_string(),
            version: meta.version.as_str().to_string(),
            digest,
            description: (*meta.description).clone(),
            facts,
            determinants,
            groups,
            age_bands,
            assessment_kinds: kinds,
            concepts,
            families,
            rules,
            exemptions,
            questions,
            plans,
            strings,
            templates,
            matcher_fi: Matcher::new(
                MorphLanguage::Finnish,
                terms_fi.iter().map(|(c, t)| (c.as_str(), t.as_slice())),
            ),
            matcher_sv: Matcher::new(
                MorphLanguage::Swedish,
                terms_sv.iter().map(|(c, t)| (c.as_str(), t.as_slice())),
            ),
        })
    }

    fn compile(
        &mut self,
        file: &str,
        when: &Spanned<String>,
        schema: &serde_json::Value,
    ) -> Option<Compiled> {
        match Conditions::default().compile(when.as_str(), schema) {
            Ok(c) => Some(c),
            Err(problems) => {
                for p in problems {
                    self.err(
                        file,
                        line_of(when),
                        format!("condition `{}`: {p}", when.as_str()),
                    );
                }
                None
            }
        }
    }

    fn check_concepts(&mut self, file: &str, when: &Spanned<String>, concepts: &BTreeSet<String>) {
        // a quoted string tested with `in concepts` (or the title or
        // proposal lists) must be a concept id
        for s in concept_tests(when.as_str()) {
            if !concepts.contains(&s) {
                self.err(
                    file,
                    line_of(when),
                    format!("unknown concept `{s}` in condition; define it as a concept or family in a lexicon file, or fix the spelling"),
                );
            }
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the id sets are the validation context"
    )]
    fn rule(
        &mut self,
        file: &str,
        r: RuleFile,
        seen: &mut HashMap<String, (String, usize)>,
        dets: &BTreeSet<String>,
        groups: &BTreeSet<String>,
        kinds: &BTreeSet<String>,
        questions: &BTreeSet<String>,
        concepts: &BTreeSet<String>,
        schema: &serde_json::Value,
    ) -> Option<Rule> {
        let id = r.id.as_str().to_string();
        if let Some((f, l)) = seen.get(&id) {
            self.err(
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
                file,
                line_of(&r.reference),
                format!("rule `{id}` needs a legal or policy reference"),
            );
        }
        let date = |d: &Option<Spanned<String>>, loader: &mut Loader| -> Option<time::Date> {
            let d = d.as_ref()?;
            let parsed = parse_date(d.as_str());
            if parsed.is_none() {
                loader.err(
                    file,
                    line_of(d),
                    format!("`{}` is not a date; write it as YYYY-MM-DD", d.as_str()),
                );
            }
            parsed
        };
        let effective_from = date(&r.effective_from, self);
        let effective_until = date(&r.effective_until, self);
        let screening = r.screening.as_ref().and_then(|s| {
            self.enum_value(
                file,
                s,
                "screening signal",
                &[
                    ("required", Verdict::Required),
                    ("recommended", Verdict::Recommended),
                ],
            )
        });
        let reason = match &r.reason {
            Some(reason) => {
                self.check_text(file, reason, &format!("rule `{id}` reason"));
                (**reason).clone()
            }
            None => {
                if r.screening.is_some() || !r.required_assessments.is_empty() {
                    self.err(file, line_of(&r.id), format!("rule `{id}` gives a screening signal or asks for an assessment, so it needs a `reason`"));
                }
                Localized::default()
            }
        };
        let mut impacts = Vec::new();
        for i in &r.impacts {
            if !dets.contains(i.determinant.as_str()) {
                self.err(
                    file,
                    line_of(&i.determinant),
                    format!(
                        "unknown determinant `{}`; use an id from taxonomy.yaml",
                        i.determinant.as_str()
                    ),
                );
            }
            for g in &i.groups {
                if !groups.contains(g.as_str()) {
                    self.err(
                        file,
                        line_of(g),
                        format!(
                            "unknown population group `{}`; use an id from taxonomy.yaml",
                            g.as_str()
                        ),
                    );
                }
            }
            self.check_text(file, &i.rationale, &format!("rule `{id}` rationale"));
            for m in &i.mitigations {
                self.check_text(file, m, &format!("rule `{id}` mitigation"));
            }
            let direction = self.enum_value(
                file,
                &i.direction,
                "direction",
                &[
                    ("positive", Direction::Positive),
                    ("negative", Direction::Negative),
                    ("mixed", Direction::Mixed),
                    ("uncertain", Direction::Uncertain),
                ],
            );
            let magnitude = self.enum_value(
                file,
                &i.magnitude,
                "magnitude",
                &[
                    ("minor", Magnitude::Minor),
                    ("moderate", Magnitude::Moderate),
                    ("major", Magnitude::Major),
                ],
            );
            let likelihood = self.enum_value(
                file,
                &i.likelihood,
                "likelihood",
                &[
                    ("possible", Likelihood::Possible),
                    ("likely", Likelihood::Likely),
                    ("certain", Likelihood::Certain),
                ],
            );
            let horizon = self.enum_value(
                file,
                &i.horizon,
                "horizon",
                &[
                    ("budget_year", Horizon::BudgetYear),
                    ("council_term", Horizon::CouncilTerm),
                    ("long_term", Horizon::LongTerm),
                ],
            );
            if let (Some(direction), Some(magnitude), Some(likelihood), Some(horizon)) =
                (direction, magnitude, likelihood, horizon)
            {
                impacts.push(ImpactSpec {
                    determinant: i.determinant.as_str().to_string(),
                    groups: i.groups.iter().map(|g| g.as_str().to_string()).collect(),
                    direction,
                    magnitude,
                    likelihood,
                    horizon,
                    rationale: (*i.rationale).clone(),
                    mitigations: i.mitigations.iter().map(|m| (**m).clone()).collect(),
                });
            }
        }
        for k in &r.required_assessments {
            if !kinds.contains(k.as_str()) {
                self.err(file, line_of(k), format!("unknown assessment kind `{}`; use an id under assessment_kinds in taxonomy.yaml", k.as_str()));
            }
        }
        for q in &r.open_questions {
            if !questions.contains(q.as_str()) {
                self.err(
                    file,
                    line_of(q),
                    format!(
                        "unknown question `{}`; define it in questions.yaml",
                        q.as_str()
                    ),
                );
            }
        }
        for c in &r.evidence {
            if !concepts.contains(c.as_str()) {
                self.err(
                    file,
                    line_of(c),
                    format!(
                        "unknown concept `{}` in evidence; define it as a concept or family in a lexicon file",
                        c.as_str()
                    ),
                );
            }
        }
        if r.impacts.is_empty()
            && r.screening.is_none()
            && r.required_assessments.is_empty()
            && r.open_questions.is_empty()
        {
            self.err(file, line_of(&r.id), format!("rule `{id}` has no effect; give it impacts, a screening signal, required assessments or open questions"));
        }
        self.check_concepts(file, &r.when, concepts);
        let condition = self.compile(file, &r.when, schema)?;
        let evidence_concepts = if r.evidence.is_empty() {
            concept_tests(&r.when)
                .into_iter()
                .filter(|s| concepts.contains(s))
                .collect()
        } else {
            r.evidence.iter().map(|c| c.as_str().to_string()).collect()
        };
        Some(Rule {
            id,
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
            required_assessments: r
                .required_assessments
                .iter()
                .map(|k| k.as_str().to_string())
                .collect(),
            open_questions: r
                .open_questions
                .iter()
                .map(|q| q.as_str().to_string())
                .collect(),
        })
    }

    fn plan(
        &mut self,
        file: &str,
        p: PlanFile,
        dets: &BTreeSet<String>,
        groups: &BTreeSet<String>,
    ) -> Option<Plan> {
        let tenant = p.tenant.as_str().to_string();
        if tenant.len() != 3 || !tenant.chars().all(|c| c.is_ascii_digit()) {
            self.err(file, line_of(&p.tenant), format!("tenant `{tenant}` is not a municipality number; write three digits such as \"091\" (quoted)"));
        }
        self.check_text(file, &p.municipality, "the municipality name");
        self.check_text(file, &p.title, "the plan title");
        let mut languages = Vec::new();
        for l in &p.languages {
            match Language::parse(l.as_str()) {
                Some(lang @ (Language::Fi | Language::Sv)) => languages.push(lang),
                _ => self.err(
                    file,
                    line_of(l),
                    format!("`{}` is not a municipal language; use fi or sv", l.as_str()),
                ),
            }
        }
        let mut goals = Vec::new();
        let mut seen = BTreeSet::new();
        for g in p.goals {
            let gid = g.id.as_str().to_string();
            if !seen.insert(gid.clone()) {
                self.err(file, line_of(&g.id), format!("duplicate goal `{gid}`"));
            }
            self.check_text(file, &g.title, &format!("goal `{gid}` title"));
            self.check_text(file, &g.focus_area, &format!("goal `{gid}` focus area"));
            for d in &g.determinants {
                if !dets.contains(d.as_str()) {
                    self.err(
                        file,
                        line_of(d),
                        format!(
                            "unknown determinant `{}`; use an id from taxonomy.yaml",
                            d.as_str()
                        ),
                    );
                }
            }
            for x in &g.groups {
                if !groups.contains(x.as_str()) {
                    self.err(
                        file,
                        line_of(x),
                        format!(
                            "unknown population group `{}`; use an id from taxonomy.yaml",
                            x.as_str()
                        ),
                    );
                }
            }
            if g.indicators.is_empty() {
                self.err(
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
            goals.push(Goal {
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
            });
        }
        Some(Plan {
            id: p.id.as_str().to_string(),
            tenant,
            municipality: (*p.municipality).clone(),
            languages,
            title: (*p.title).clone(),
            period: p.period,
            goals,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        match Bundle::load(&default_with(changes)) {
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
        assert_eq!(errs, vec!["rules/t.yaml:3: rule `t.rule` title has no sv text; every text needs fi, sv and en".to_string()]);
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
                "any_network",
                "any_school",
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
            errs.iter().any(|e| e.ends_with(
                "age band `martians` is not a population group; use an id under groups"
            )),
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
        let text = "id: x\ntenant: \"276\"\nmunicipality: {fi: K, sv: K, en: K}\nlanguages: [fi]\ntitle: {fi: a, sv: b, en: c}\nperiod: \"2025–2029\"\ngoals:\n  - id: g1\n    title: {fi: a, sv: b, en: c}\n    focus_area: {fi: a, sv: b, en: c}\n    determinants: [housing]\n    indicators: []\n";
        let errs = errors(&[("plans/276.yaml", text)]);
        assert_eq!(
            errs,
            vec!["plans/276.yaml:8: goal `g1` needs at least one Sotkanet indicator".to_string()]
        );
    }
}
