//! Rule conditions behind a small trait of our own, so the expression
//! language could be swapped: the bundle loader and the engine know only
//! the trait, and what a condition reads comes from the language's own
//! parser ([`ConditionLanguage::reads`]). The implementation is the ZEN
//! expression language (`zen-expression`), checked at load time by its
//! strict analyser against the declared input schema.

use super::lowercase_first;
use zen_expression::intellisense::{ExpressionAnalysis, IntelliSense};
use zen_expression::lexer::{ComparisonOperator, Lexer, LogicalOperator, Operator};
use zen_expression::parser::{Node, Parser};
use zen_expression::variable::{Variable, VariableType};
use zen_expression::vm::VM;
use zen_expression::{Expression, Scope, expression::Standard};

/// What a condition reads of its input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reads {
    /// Dotted paths of the fields it reads (`concepts`, `budget.annual_eur`,
    /// `facts.closes_unit`), each once, in the order they first appear.
    pub fields: Vec<String>,
    /// The strings it tests for membership of a list field, each once, in
    /// the order they appear.
    pub memberships: Vec<Membership>,
    /// What must hold for the condition to be true, as clauses of which
    /// every one must have at least one membership that holds: `'a' in x
    /// and ('b' in x or 'c' in x)` gives `[[a], [b, c]]`. Negations and
    /// comparisons add nothing, so a condition without memberships at its
    /// top gives none. An engine may skip a condition when a clause fails.
    pub required: Vec<Vec<Membership>>,
}

/// `'school' in core_concepts`, or with `not in`, `negated`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The string tested.
    pub value: String,
    /// The list field it is tested in.
    pub field: String,
    /// Whether the test is `not in`.
    pub negated: bool,
}

/// A language for rule conditions.
pub trait ConditionLanguage {
    /// A compiled condition; shared between threads.
    type Compiled: Send + Sync + std::fmt::Debug;
    /// Prepared input for one draft; built once, used for every rule.
    type Input;

    /// Compiles `source` and checks it against `schema` (a JSON value whose
    /// shape and value types describe every input field). Returns the
    /// problems found, each a sentence an administrator can act on.
    fn compile(
        &self,
        source: &str,
        schema: &serde_json::Value,
    ) -> Result<Self::Compiled, Vec<String>>;

    /// What `source` reads; empty when it does not parse.
    fn reads(&self, source: &str) -> Reads;

    /// Prepares an input value for evaluation.
    fn prepare(&self, input: &serde_json::Value) -> Self::Input;

    /// `input` with the fields of the JSON object `fields` added: a second
    /// phase reads what the first read and more, without preparing it all
    /// again.
    fn extend(&self, input: &Self::Input, fields: &serde_json::Value) -> Self::Input;

    /// Evaluates a compiled condition to true or false.
    fn evaluate(&self, condition: &Self::Compiled, input: &Self::Input) -> Result<bool, String>;
}

/// The ZEN expression language.
#[derive(Debug, Default, Clone, Copy)]
pub struct Zen;

/// A prepared input: the context, its scope and one virtual machine, used
/// for every condition of one draft (a new machine per condition would
/// allocate its stacks again each time).
pub struct ZenInput {
    context: Variable,
    scope: Scope,
    vm: std::cell::RefCell<VM>,
}

impl ZenInput {
    fn new(context: Variable) -> ZenInput {
        ZenInput {
            scope: Scope::new(context.clone()),
            context,
            vm: std::cell::RefCell::new(VM::new()),
        }
    }
}

/// A compiled ZEN condition.
#[derive(Debug, Clone)]
pub struct ZenCondition {
    expression: Expression<Standard>,
}

impl ConditionLanguage for Zen {
    type Compiled = ZenCondition;
    type Input = ZenInput;

    fn compile(
        &self,
        source: &str,
        schema: &serde_json::Value,
    ) -> Result<ZenCondition, Vec<String>> {
        let types = VariableType::from(schema);
        let mut analyser = IntelliSense::new().with_strict(true);
        let analysis = analyser.analyze(source, &types);
        let mut problems = diagnostics(source, &analysis);
        if let Some(fields) = schema.as_object() {
            for problem in unknown_fields(fields, &analysis) {
                if !problems.contains(&problem) {
                    problems.push(problem);
                }
            }
        }
        if problems.is_empty()
            && !matches!(analysis.return_type, VariableType::Bool | VariableType::Any)
        {
            problems.push(format!(
                "the condition gives a {} value, not true or false; compare it with something",
                type_name(&analysis.return_type)
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        zen_expression::compile_expression(source)
            .map(|expression| ZenCondition { expression })
            .map_err(|e| vec![lowercase_first(&e.to_string())])
    }

    fn reads(&self, source: &str) -> Reads {
        let mut reads = Reads::default();
        let arena = bumpalo::Bump::new();
        let Ok(tokens) = Lexer::new().tokenize(&arena, source) else {
            return reads;
        };
        let Ok(parser) = Parser::try_new(&tokens, &arena) else {
            return reads;
        };
        let parsed = parser.standard().parse();
        if parsed.error().is_err() {
            return reads;
        }
        reads.required = required(parsed.root);
        let found = std::cell::RefCell::new(&mut reads);
        parsed.root.walk(|node| {
            let mut reads = found.borrow_mut();
            if let Some(path) = field_path(node)
                && !reads.fields.contains(&path)
            {
                reads.fields.push(path);
            }
            if let Node::Binary {
                left: Node::String(value),
                operator:
                    Operator::Comparison(op @ (ComparisonOperator::In | ComparisonOperator::NotIn)),
                right: Node::Identifier(field),
            } = node
            {
                let m = Membership {
                    value: value.to_string(),
                    field: field.to_string(),
                    negated: *op == ComparisonOperator::NotIn,
                };
                if !reads.memberships.contains(&m) {
                    reads.memberships.push(m);
                }
            }
        });
        reads
    }

    fn prepare(&self, input: &serde_json::Value) -> ZenInput {
        ZenInput::new(Variable::from(input))
    }

    fn extend(&self, input: &ZenInput, fields: &serde_json::Value) -> ZenInput {
        let mut map = input
            .context
            .as_object()
            .map(|o| o.borrow().clone())
            .unwrap_or_default();
        if let Some(fields) = fields.as_object() {
            for (k, v) in fields {
                map.insert_str(k, Variable::from(v));
            }
        }
        ZenInput::new(Variable::from_object(map))
    }

    fn evaluate(&self, condition: &ZenCondition, input: &ZenInput) -> Result<bool, String> {
        let mut vm = input.vm.borrow_mut();
        match condition
            .expression
            .evaluate_with_scope(&input.scope, &mut vm)
        {
            Ok(Variable::Bool(b)) => Ok(b),
            Ok(Variable::Null) => Ok(false),
            Ok(other) => Err(format!("condition gave `{other}` instead of true or false")),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The analyser's diagnostics as sentences, each naming the part of the
/// condition it is about.
fn diagnostics(source: &str, analysis: &ExpressionAnalysis) -> Vec<String> {
    analysis
        .diagnostics
        .iter()
        .map(|d| {
            let (from, to) = (d.span.0 as usize, d.span.1 as usize);
            let at = source.get(from..to).filter(|s| !s.trim().is_empty());
            match at {
                Some(part) => format!("{} at `{part}`", lowercase_first(&d.message)),
                None => lowercase_first(&d.message),
            }
        })
        .collect()
}

/// A sentence for each field the condition reads that the schema lacks.
fn unknown_fields(
    fields: &serde_json::Map<String, serde_json::Value>,
    analysis: &ExpressionAnalysis,
) -> Vec<String> {
    analysis
        .references
        .iter()
        .filter(|r| r.via_alias.is_none())
        .filter_map(|r| r.path.first())
        .filter(|root| !fields.contains_key(root.as_ref()))
        .map(|root| {
            let known: Vec<&str> = fields.keys().map(String::as_str).collect();
            format!(
                "unknown field `{root}`; conditions can read {}",
                known.join(", ")
            )
        })
        .collect()
}

/// The dotted path a node reads: a top-level field (`concepts`) or a
/// member of one (`budget.annual_eur`); members are counted once, at the
/// outermost node.
/// Most clauses a [`Reads::required`] keeps for one `or`: each clause
/// of one side joined with each of the other can grow fast, and dropping
/// clauses only weakens the check.
const MAX_CLAUSES: usize = 16;

/// What `node` cannot be true without (see [`Reads::required`]).
fn required(node: &Node<'_>) -> Vec<Vec<Membership>> {
    match node {
        Node::Parenthesized(inner) => required(inner),
        Node::Binary {
            left,
            operator: Operator::Logical(LogicalOperator::And),
            right,
        } => {
            let mut all = required(left);
            for clause in required(right) {
                if !all.contains(&clause) {
                    all.push(clause);
                }
            }
            all
        }
        Node::Binary {
            left,
            operator: Operator::Logical(LogicalOperator::Or),
            right,
        } => {
            // (a1 and a2) or (b1 and b2) needs (a1 or b1) and (a1 or b2) …
            let right = required(right);
            let mut all: Vec<Vec<Membership>> = Vec::new();
            for a in required(left) {
                for b in &right {
                    let mut clause = a.clone();
                    clause.extend(b.iter().filter(|m| !a.contains(m)).cloned());
                    if all.len() < MAX_CLAUSES && !all.contains(&clause) {
                        all.push(clause);
                    }
                }
            }
            all
        }
        Node::Binary {
            left: Node::String(value),
            operator: Operator::Comparison(ComparisonOperator::In),
            right: Node::Identifier(field),
        } => vec![vec![Membership {
            value: value.to_string(),
            field: field.to_string(),
            negated: false,
        }]],
        _ => Vec::new(),
    }
}

fn field_path(node: &Node<'_>) -> Option<String> {
    match node {
        Node::Member {
            node: Node::Identifier(root),
            property: Node::String(name),
        } => Some(format!("{root}.{name}")),
        _ => None,
    }
}

fn type_name(t: &VariableType) -> &'static str {
    match t {
        VariableType::Number => "number",
        VariableType::String | VariableType::Const(_) | VariableType::Enum(..) => "string",
        VariableType::Array(_) => "list",
        VariableType::Object(_) => "object",
        VariableType::Null => "null",
        VariableType::Date | VariableType::Interval => "date",
        _ => "non-boolean",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> serde_json::Value {
        json!({"budget": {"annual_eur": 0}, "classification": "", "concepts": [""], "facts": {"closes_unit": false}})
    }

    #[test]
    fn accepts_a_well_typed_condition() {
        let c = Zen
            .compile(
                "budget.annual_eur <= -100000 and 'school' in concepts",
                &schema(),
            )
            .expect("compiles");
        let input = Zen.prepare(&json!({"budget": {"annual_eur": -200000}, "classification": "", "concepts": ["school"], "facts": {"closes_unit": false}}));
        assert_eq!(Zen.evaluate(&c, &input), Ok(true));
    }

    #[test]
    fn rejects_a_misspelt_field() {
        let err = Zen
            .compile("'school' in concpets", &schema())
            .expect_err("misspelt");
        assert!(!err.is_empty(), "{err:?}");
    }

    #[test]
    fn rejects_a_string_compared_with_a_number() {
        let err = Zen
            .compile("classification > 5", &schema())
            .expect_err("type error");
        assert!(!err.is_empty(), "{err:?}");
    }

    #[test]
    fn rejects_a_condition_that_is_not_boolean() {
        let err = Zen
            .compile("budget.annual_eur + 1", &schema())
            .expect_err("not boolean");
        assert_eq!(
            err,
            vec![
                "the condition gives a number value, not true or false; compare it with something"
            ]
        );
        for (source, kind) in [
            ("classification", "string"),
            ("concepts", "list"),
            ("budget", "object"),
        ] {
            let err = Zen.compile(source, &schema()).expect_err("not boolean");
            assert_eq!(
                err,
                vec![format!(
                    "the condition gives a {kind} value, not true or false; compare it with something"
                )]
            );
        }
    }

    #[test]
    fn a_type_error_names_the_part_of_the_condition() {
        let err = Zen
            .compile("classification > 5 and facts.closes_unit", &schema())
            .expect_err("type error");
        assert!(
            err.iter().any(|e| e.ends_with(" at `classification > 5`")),
            "{err:?}"
        );
    }

    #[test]
    fn reports_the_fields_and_memberships_a_condition_reads() {
        let reads = Zen.reads(
            "'school' in core_concepts and not ('fee' in title_concepts) and facts.closes_unit and budget.annual_eur < 0 and 'x' not in concepts and 'school' in core_concepts",
        );
        assert_eq!(
            reads.fields,
            vec![
                "facts.closes_unit".to_string(),
                "budget.annual_eur".to_string()
            ]
        );
        let m: Vec<(&str, &str, bool)> = reads
            .memberships
            .iter()
            .map(|m| (m.value.as_str(), m.field.as_str(), m.negated))
            .collect();
        assert_eq!(
            m,
            vec![
                ("school", "core_concepts", false),
                ("fee", "title_concepts", false),
                ("x", "concepts", true),
            ]
        );
        assert_eq!(Zen.reads("budget.annual_eur <="), Reads::default());
    }

    /// The required clauses of `source`, each as `value@field` strings.
    fn required_of(source: &str) -> Vec<Vec<String>> {
        Zen.reads(source)
            .required
            .iter()
            .map(|c| {
                c.iter()
                    .map(|m| format!("{}@{}", m.value, m.field))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn reports_what_a_condition_cannot_hold_without() {
        assert_eq!(
            required_of("'a' in concepts and ('b' in title_concepts or 'c' in concepts)"),
            vec![vec!["a@concepts"], vec!["b@title_concepts", "c@concepts"]]
        );
        // each clause of one side of an `or` with each of the other
        assert_eq!(
            required_of("('a' in concepts and 'b' in concepts) or 'c' in concepts"),
            vec![
                vec!["a@concepts", "c@concepts"],
                vec!["b@concepts", "c@concepts"]
            ]
        );
        assert_eq!(
            required_of("'a' in concepts and 'a' in concepts"),
            vec![vec!["a@concepts"]]
        );
        // negations and comparisons need nothing; a branch without a
        // membership frees the whole `or`
        assert!(required_of("not ('a' in concepts)").is_empty());
        assert!(required_of("'a' not in concepts").is_empty());
        assert!(required_of("'a' in concepts or budget.annual_eur < 0").is_empty());
        assert_eq!(
            required_of("budget.annual_eur < 0 and ('a' in concepts)"),
            vec![vec!["a@concepts"]]
        );
        // an `or` of many clauses keeps at most MAX_CLAUSES of them
        let wide = "('a' in x and 'b' in x and 'c' in x and 'd' in x and 'e' in x) or ('f' in x and 'g' in x and 'h' in x and 'i' in x and 'j' in x)";
        assert_eq!(required_of(wide).len(), MAX_CLAUSES);
        assert!(required_of("'a' in").is_empty());
    }

    #[test]
    fn rejects_a_syntax_error() {
        assert!(Zen.compile("budget.annual_eur <=", &schema()).is_err());
    }
}
