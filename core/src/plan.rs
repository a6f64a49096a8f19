//! The compiled plan: the checked, immutable form of a rule set.
//!
//! Names are resolved to slot indices, types are checked, derived values are
//! in dependency order and grade bands are proven to cover the score range.
//! A `Plan` is built once by `compile` and shared (`Arc`) by every
//! evaluation; it holds no syntax and no spans, only what evaluation needs
//! plus the texts that results report.

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::value::{RoundMode, Value};

/// Text in Chinese with an optional English translation.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize)]
pub struct Label {
    /// Chinese text.
    pub zh: Arc<str>,
    /// English text, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub en: Option<Arc<str>>,
}

/// The static type of a value in the expression language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    Bool,
    Num,
    Text,
    /// An enum: the index of its option set in `Plan::enums`.
    Enum(u32),
    Date,
    Duration,
    List(u32),
    Table(u32),
    /// The type of `error(…)`: fits anywhere.
    Never,
}

/// How a scalar input or field is declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ValueType {
    Bool,
    Integer,
    Decimal,
    Enum(u32),
    Date,
    Text,
    Uscc,
}

impl ValueType {
    pub(crate) fn ty(&self) -> Ty {
        match self {
            ValueType::Bool => Ty::Bool,
            ValueType::Integer | ValueType::Decimal => Ty::Num,
            ValueType::Enum(e) => Ty::Enum(*e),
            ValueType::Date => Ty::Date,
            ValueType::Text | ValueType::Uscc => Ty::Text,
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            ValueType::Bool => "bool",
            ValueType::Integer => "integer",
            ValueType::Decimal => "decimal",
            ValueType::Enum(_) => "enum",
            ValueType::Date => "date",
            ValueType::Text => "text",
            ValueType::Uscc => "uscc",
        }
    }

    /// The type as a Chinese answer form names it.
    pub(crate) fn name_zh(&self) -> &'static str {
        match self {
            ValueType::Bool => "是/否",
            ValueType::Integer => "整数",
            ValueType::Decimal => "数字",
            ValueType::Enum(_) => "选项",
            ValueType::Date => "日期",
            ValueType::Text => "文字",
            ValueType::Uscc => "统一社会信用代码",
        }
    }
}

/// The options of one enum type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EnumDef {
    pub(crate) options: Vec<(Arc<str>, Label)>,
    /// Each option's id as a value: its index in the rule set's [`Names`].
    pub(crate) values: Vec<Value>,
}

/// Every text a rule set holds as a value (enum option ids, text constants,
/// table keys and cells, text defaults), each once. While evaluating, such
/// a text is `Value::Name(index)`: answers, constants and grades compare by
/// index, and evaluating a firm touches no shared text. The invariant that
/// makes comparing by index exact: a `Value::Text` never holds one of these
/// texts, so answers read against the rules go through [`Names::value`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Names {
    texts: Vec<Arc<str>>,
    index: std::collections::HashMap<Arc<str>, u32>,
}

impl Names {
    /// The text of `Value::Name(i)`.
    pub(crate) fn text(&self, i: u32) -> &Arc<str> {
        &self.texts[i as usize]
    }

    /// `s` as a value: its name when the rules hold it, else a text of its own.
    #[inline]
    pub(crate) fn value(&self, s: &str) -> Value {
        match self.index.get(s) {
            Some(&i) => Value::Name(i),
            None => Value::Text(Arc::from(s)),
        }
    }

    /// `s` as a name, added if it is new: for the texts of the rules themselves.
    pub(crate) fn intern(&mut self, s: &str) -> Value {
        if let Some(&i) = self.index.get(s) {
            return Value::Name(i);
        }
        let i = u32::try_from(self.texts.len()).expect("a rule file holds fewer than 2^32 texts");
        let text: Arc<str> = Arc::from(s);
        self.texts.push(text.clone());
        self.index.insert(text, i);
        Value::Name(i)
    }

    /// `v` with a text of the rules as its name (added if new).
    pub(crate) fn interned(&mut self, v: Value) -> Value {
        match v {
            Value::Text(t) => self.intern(&t),
            other => other,
        }
    }

    /// Each name of `self` as a value read against `other`: how values
    /// numbered by one table read in another.
    pub(crate) fn renumbered(&self, other: &Names) -> Box<[Value]> {
        self.texts.iter().map(|t| other.value(t)).collect()
    }

    /// `v` for people: a name as its text.
    pub(crate) fn show<'a>(&'a self, v: &'a Value) -> Shown<'a> {
        Shown { names: self, value: v }
    }

    /// `v` as JSON: numbers and dates as strings, names as their texts.
    pub(crate) fn json(&self, v: &Value) -> serde_json::Value {
        match v {
            Value::Bool(b) => serde_json::Value::Bool(*b),
            other => serde_json::Value::String(self.show(other).to_string()),
        }
    }

    /// `v` with a name replaced by a text of its own, for values that leave the rules.
    pub(crate) fn resolved(&self, v: &Value) -> Value {
        match v {
            Value::Name(i) => Value::Text(Arc::from(&**self.text(*i))),
            other => other.clone(),
        }
    }
}

/// A value as people read it: [`Names::show`].
pub(crate) struct Shown<'a> {
    names: &'a Names,
    value: &'a Value,
}

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.value {
            Value::Name(i) => f.write_str(self.names.text(*i)),
            other => other.fmt(f),
        }
    }
}

/// What reading a text against a rule set needs: its enum types and its names.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Texts<'a> {
    pub(crate) enums: &'a [EnumDef],
    pub(crate) names: &'a Names,
}

/// What a missing answer means.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Missing {
    Required,
    Default(Value),
    NotApplicable,
    Penalty(Decimal),
}

/// The declaration of a scalar input or of a list field.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub(crate) name: Arc<str>,
    pub(crate) vtype: ValueType,
    pub(crate) label: Label,
    pub(crate) help: Option<Label>,
    pub(crate) group: Option<Arc<str>>,
    pub(crate) min: Option<Decimal>,
    pub(crate) max: Option<Decimal>,
    pub(crate) allowed: Option<Vec<Decimal>>,
    pub(crate) max_len: Option<u32>,
    pub(crate) missing: Missing,
    /// For inputs filled by a scheme: `step.what`.
    pub(crate) from: Option<Arc<str>>,
}

impl Field {
    /// A required field of the type with no bounds, label or help: what a
    /// table's column is read as.
    pub(crate) fn plain(name: &str, vtype: ValueType) -> Field {
        Field {
            name: name.into(),
            vtype,
            label: Label::default(),
            help: None,
            group: None,
            min: None,
            max: None,
            allowed: None,
            max_len: None,
            missing: Missing::Required,
            from: None,
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct ListDef {
    pub(crate) name: Arc<str>,
    pub(crate) label: Label,
    pub(crate) help: Option<Label>,
    pub(crate) group: Option<Arc<str>>,
    pub(crate) max_records: u32,
    pub(crate) fields: Vec<Field>,
    /// Per-record derived values in file order; value `i` is record slot `fields.len() + i`.
    pub(crate) derived: Vec<(Arc<str>, Node)>,
    /// The order to compute them in, dependencies first.
    pub(crate) derived_eval_order: Vec<u32>,
    /// The inputs each per-record derived value reads, directly, through
    /// other per-record values or inside its aggregates (for not-applicable
    /// skipping).
    pub(crate) derived_input_deps: Vec<Vec<u32>>,
    /// The date fields a time window (`within`) counts from, by index: a
    /// record dated after the as-of date is reported (see `compile::windows`).
    pub(crate) window_fields: Vec<u32>,
}

#[derive(Clone, Debug)]
pub(crate) struct TableDef {
    pub(crate) name: Arc<str>,
    pub(crate) key_ty: Ty,
    pub(crate) columns: Vec<(Arc<str>, Ty)>,
    pub(crate) rows: std::collections::HashMap<Value, Arc<[Value]>>,
}

#[derive(Clone, Debug)]
pub(crate) struct FunctionDef {
    pub(crate) name: Arc<str>,
    pub(crate) body: Node,
    /// The declared type of what it returns.
    pub(crate) returns: Ty,
}

#[derive(Clone, Debug)]
pub(crate) struct Derived {
    pub(crate) name: Arc<str>,
    pub(crate) node: Node,
    /// The value's type, for checking a scheme's `from` fills.
    pub(crate) ty: Ty,
    /// Whether a number value is always whole, so it can fill an `integer` input.
    pub(crate) whole: bool,
    /// Inputs this value depends on, directly or through other values.
    pub(crate) input_deps: Vec<u32>,
}

#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) id: Arc<str>,
    pub(crate) group: Option<u32>,
    pub(crate) label: Label,
    pub(crate) when: Option<Node>,
    pub(crate) points: Option<Node>,
    pub(crate) min: Option<Decimal>,
    pub(crate) max: Option<Decimal>,
    pub(crate) cite: Option<Arc<str>>,
    pub(crate) advice: Option<Label>,
    /// Whether the firm can remove the item by acting now; the next-grade
    /// plan prefers items that are.
    pub(crate) fixable: bool,
    pub(crate) input_deps: Vec<u32>,
}

#[derive(Clone, Debug)]
pub(crate) struct ScoreGroup {
    pub(crate) id: Arc<str>,
    pub(crate) label: Label,
    pub(crate) min: Option<Decimal>,
    pub(crate) max: Option<Decimal>,
    /// Whether 0 lies within the cap, so a group with nothing in it adds nothing.
    pub(crate) admits_zero: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RoundAt {
    Item,
    Score,
}

#[derive(Clone, Debug)]
pub(crate) struct Score {
    pub(crate) base: Node,
    pub(crate) base_deps: Vec<u32>,
    pub(crate) min: Option<Decimal>,
    pub(crate) max: Option<Decimal>,
    pub(crate) round: Option<(u32, RoundMode, RoundAt)>,
    /// Whether the score is always whole, so it can fill an `integer` input.
    pub(crate) whole: bool,
    /// The score groups (of the first 32) whose cap excludes zero: they add
    /// to the score even when no item in them fired.
    pub(crate) groups_excluding_zero: u32,
}

/// One bound of a grade band.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bound {
    pub(crate) value: Decimal,
    pub(crate) inclusive: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Grade {
    pub(crate) id: Arc<str>,
    pub(crate) label: Label,
    pub(crate) color: Option<Arc<str>>,
    pub(crate) lower: Option<Bound>,
    pub(crate) upper: Option<Bound>,
    /// A grade reached only through overrides: it has no band.
    pub(crate) override_only: bool,
}

impl Grade {
    pub(crate) fn contains(&self, x: Decimal) -> bool {
        if self.override_only {
            return false;
        }
        let cmp = |b: &Bound| crate::value::cmp_num(&x, &b.value);
        let above = self.lower.is_none_or(|b| if b.inclusive { cmp(&b).is_ge() } else { cmp(&b).is_gt() });
        let below = self.upper.is_none_or(|b| if b.inclusive { cmp(&b).is_le() } else { cmp(&b).is_lt() });
        above && below
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OverrideAction {
    Force(u32),
    Ceiling(u32),
    Floor(u32),
    Down(u32),
}

#[derive(Clone, Debug)]
pub(crate) struct Override {
    pub(crate) id: Arc<str>,
    pub(crate) when: Node,
    pub(crate) action: OverrideAction,
    pub(crate) reason: Label,
    pub(crate) cite: Option<Arc<str>>,
    pub(crate) input_deps: Vec<u32>,
}

/// Rule set metadata, as results and the portal report it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Meta {
    /// The rule set id.
    pub id: String,
    /// Its name.
    pub name: Label,
    /// Its version.
    pub version: String,
    /// risk, credit, blacklist, classification or custom.
    pub kind: String,
    /// sha256 (hex) of the rule file text followed by the texts of its includes.
    pub hash: String,
    /// First day in force, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<String>,
    /// Last day in force, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_to: Option<String>,
    /// Source documents.
    pub sources: Vec<String>,
    /// Notes: assumptions and variants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// The derived values a rule set declares as result columns (`[results]`):
/// batch scoring writes them after the score and grade, in this order, and
/// leaves them blank for a firm whose grade is one of `blank_at`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ResultColumns {
    /// Indices into `Plan::derived`.
    pub(crate) values: Vec<u32>,
    /// Each column's title for people, when the file gives one.
    pub(crate) labels: Vec<Option<Label>>,
    /// Indices into `Plan::grades`.
    pub(crate) blank_at: Vec<u32>,
}

impl ResultColumns {
    /// Whether the columns are blank for a firm of grade `grade` (an index into `Plan::grades`).
    pub(crate) fn blank_for(&self, grade: usize) -> bool {
        self.blank_at.iter().any(|&g| g as usize == grade)
    }
}

/// A checked rule set, ready to evaluate.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) meta: Meta,
    pub(crate) enums: Vec<EnumDef>,
    /// The texts the rules hold as values; see [`Names`]. The steps of a
    /// scheme share one table, so their values mean the same in each.
    pub(crate) names: Arc<Names>,
    pub(crate) groups: Vec<(Arc<str>, Label, Option<Label>)>,
    pub(crate) inputs: Vec<Field>,
    pub(crate) lists: Vec<ListDef>,
    /// The order to compute lists' per-record values in: indices into `lists`.
    pub(crate) list_eval_order: Vec<u32>,
    pub(crate) tables: Vec<TableDef>,
    pub(crate) functions: Vec<FunctionDef>,
    /// Firm-level derived values in file order; `Node::Derived(i)` is slot `i`.
    pub(crate) derived: Vec<Derived>,
    /// The order to compute them in: indices into `derived`, dependencies first.
    pub(crate) derived_eval_order: Vec<u32>,
    pub(crate) items: Vec<Item>,
    pub(crate) score_groups: Vec<ScoreGroup>,
    pub(crate) score: Score,
    /// Best first.
    pub(crate) grades: Vec<Grade>,
    /// Whether the best grade is at the top of the score range.
    pub(crate) higher_is_better: bool,
    pub(crate) overrides: Vec<Override>,
    /// The derived values batch scoring writes as result columns.
    pub(crate) results: ResultColumns,
    /// The rule set as results name it, built once.
    pub(crate) ruleset_ref: RulesetRef,
}

impl Plan {
    /// What reading an answer against these rules needs.
    pub(crate) fn texts(&self) -> Texts<'_> {
        Texts { enums: &self.enums, names: &self.names }
    }
}

/// An input of a scheme step filled from an earlier step's result
/// (`from = "step.what"`), resolved when the scheme is checked.
#[derive(Clone, Debug)]
pub(crate) struct Fill {
    /// The input, by index in the step's plan.
    pub(crate) input: u32,
    /// The earlier step, by index in the scheme.
    pub(crate) step: usize,
    /// What is taken, as written after the dot: `grade`, `score` or a derived value's name.
    pub(crate) what: String,
    pub(crate) from: FillFrom,
}

/// Which result of the earlier step fills the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FillFrom {
    /// The grade (its id).
    Grade,
    /// The score.
    Score,
    /// A derived value, by index in the earlier step's plan.
    Derived(usize),
}

/// Which rule set produced a result.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RulesetRef {
    /// Rule set id.
    pub id: Arc<str>,
    /// Rule set version.
    pub version: Arc<str>,
    /// sha256 of the rule text (with its includes).
    pub hash: Arc<str>,
}

/// Deepest nesting of evaluation, counting through function calls; the
/// checker rejects rule files that could go deeper, which keeps the native
/// and the wasm stacks safe whatever a rule file does.
pub(crate) const MAX_EVAL_DEPTH: u32 = 192;

/// How deep evaluating `node` nests (see [`MAX_EVAL_DEPTH`]), given the
/// depth of each function's body; `None` while a called function's depth is
/// not known yet.
pub(crate) fn nesting(node: &Node, fn_depth: &[Option<usize>]) -> Option<usize> {
    let deeper = |a: Option<usize>, b: Option<usize>| Some(a?.max(b?));
    let mut deepest = Some(0);
    node.for_each_child(&mut |child| deepest = deeper(deepest, nesting(child, fn_depth)));
    if let Node::Call(f, _) = node {
        deepest = deeper(deepest, fn_depth.get(*f as usize).copied().flatten());
    }
    Some(deepest? + 1)
}

/// An operation on numbers (and dates, for `+` and `-`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AggKind {
    Count,
    Sum,
    Min,
    Max,
    Any,
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Builtin {
    Min,
    Max,
    Abs,
    Floor,
    Ceil,
    Round(u32, RoundMode),
    YearsBetween,
    MonthsBetween,
    DaysBetween,
    UsccValid,
}

/// A checked expression. Names are slots; the node tree mirrors the syntax.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    Const(Value),
    Input(u32),
    Derived(u32),
    /// A field or per-record derived value of an enclosing record:
    /// `up` 0 is the innermost record in scope.
    Field {
        up: u16,
        slot: u32,
    },
    Param(u32),
    AsOf,
    Neg(Box<Node>),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Arith(ArithOp, Box<Node>, Box<Node>),
    Cmp(CmpOp, Box<Node>, Box<Node>),
    If(Vec<(Node, Node)>, Box<Node>),
    InSet(Box<Node>, Vec<Node>),
    InTable(Box<Node>, u32),
    Within(Box<Node>, Box<Node>),
    /// `n years` etc.: the count and months-per-unit (0 for days).
    Duration(Box<Node>, u32),
    Agg(Box<Agg>),
    Lookup(u32, Box<Node>, u32),
    Builtin(Builtin, Vec<Node>),
    Call(u32, Vec<Node>),
    Fail(Arc<str>),
}

impl Node {
    /// Calls `k` on each child of this node, aggregates' parts included.
    pub(crate) fn for_each_child(&self, k: &mut dyn FnMut(&Node)) {
        match self {
            Node::Const(_)
            | Node::Input(_)
            | Node::Derived(_)
            | Node::Field { .. }
            | Node::Param(_)
            | Node::AsOf
            | Node::Fail(_) => {}
            Node::Neg(a) | Node::Not(a) | Node::InTable(a, _) | Node::Duration(a, _) | Node::Lookup(_, a, _) => k(a),
            Node::And(a, b) | Node::Or(a, b) | Node::Arith(_, a, b) | Node::Cmp(_, a, b) | Node::Within(a, b) => {
                k(a);
                k(b);
            }
            Node::If(branches, otherwise) => {
                for (c, t) in branches {
                    k(c);
                    k(t);
                }
                k(otherwise);
            }
            Node::InSet(a, set) => {
                k(a);
                set.iter().for_each(&mut *k);
            }
            Node::Agg(agg) => agg.value.iter().chain(&agg.filter).chain(&agg.default).for_each(k),
            Node::Builtin(_, args) | Node::Call(_, args) => args.iter().for_each(k),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Agg {
    pub(crate) kind: AggKind,
    pub(crate) list: u32,
    pub(crate) value: Option<Node>,
    pub(crate) filter: Option<Node>,
    pub(crate) default: Option<Node>,
}
