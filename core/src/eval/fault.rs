//! Why an evaluation stopped, said in English and in Chinese.
//!
//! The interpreter and the kernels fail with a [`Fault`] (boxed in
//! `ExprError`, so results stay small); the evaluation names what it was
//! computing with a [`Context`], and the two become an [`EvalError`] with
//! both languages' texts and the fault's [`EvalErrorKind`], which callers
//! match on. The English texts are a contract: goldens and batch rejects
//! match on them.

use std::sync::Arc;

use crate::value::ArithError;

/// Why a firm could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{context}: {message}")]
pub struct EvalError {
    /// What was being computed, such as item `x`, derived value `s` or `accidents[2].level`.
    pub context: String,
    /// What went wrong (English).
    pub message: String,
    /// What was being computed, in Chinese: `评分项“x”`, `派生值“s”`, `accidents[2].level`.
    pub context_zh: String,
    /// What went wrong, in Chinese.
    pub message_zh: String,
    /// What kind of fault it is (boxed: errors stay small on the
    /// evaluation's return path); read with [`EvalError::kind`].
    pub(crate) kind: Box<EvalErrorKind>,
}

/// What kind of fault stopped an [`EvalError`]'s evaluation, with the
/// values it names, so a caller can tell faults apart without reading the
/// message.
///
/// In JSON it is an object whose `type` names the variant in snake case,
/// with the variant's fields beside it:
/// `{"type": "unknown_table_key", "table": "rates", "key": "x"}`,
/// `{"type": "division_by_zero"}`.
///
/// ```
/// use safegrade::{AssessError, EvalErrorKind};
/// # let rules = safegrade::load_str("r.toml", r#"
/// # [ruleset]
/// # id = "r"
/// # name = "r"
/// # version = "1"
/// # [inputs.staff]
/// # type = "integer"
/// # label = "职工人数"
/// # [[items]]
/// # id = "ratio"
/// # label = "比例"
/// # points = "-10 / staff"
/// # [score]
/// # base = "100"
/// # [[grades]]
/// # id = "good"
/// # label = "良好"
/// # min = 90
/// # [[grades]]
/// # id = "poor"
/// # label = "较差"
/// # below = 90
/// # "#, &|p: &str| Err(p.to_string()));
/// # let Some(safegrade::Rules::Set(rules)) = rules.rules else { panic!("{:?}", rules.diagnostics) };
/// let firm = serde_json::json!({ "staff": 0 });
/// let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
/// let Err(AssessError::Eval { error }) = rules.assess_json(&firm, as_of) else { panic!() };
/// assert_eq!(*error.kind(), EvalErrorKind::DivisionByZero);
/// assert_eq!(error.to_string(), "item `ratio`: division by zero");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EvalErrorKind {
    /// A number beyond the largest magnitude a number can have
    /// (±79,228,162,514,264,337,593,543,950,335).
    Overflow,
    /// A division by zero.
    DivisionByZero,
    /// A date beyond the range of dates.
    DateOutOfRange,
    /// A duration whose count is not a whole number up to 100,000.
    BadDuration {
        /// The count.
        count: String,
    },
    /// A key not in a table.
    UnknownTableKey {
        /// The table.
        table: String,
        /// The key looked up.
        key: String,
    },
    /// `error("…")` in the rule file stopped the evaluation.
    RuleError {
        /// The rule file's message.
        message: String,
    },
    /// No grade band holds the score.
    NoBand {
        /// The score.
        score: String,
    },
    /// An input with no value (not applicable, or missing with no default)
    /// was read where a value was needed.
    NotApplicable {
        /// The input.
        input: String,
    },
    /// A derived value with no value was read where a value was needed.
    ValueUnavailable {
        /// The derived value.
        name: String,
    },
    /// The base score depends on an input that is not applicable.
    BaseNotApplicable,
    /// The evaluation met a value of another type or shape than the rule
    /// set's types promise (a value that cannot be compared or combined, a
    /// record field outside a record); a checked rule set does not reach it,
    /// and the message says what was met.
    Internal,
}

/// What a value was expected to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expected {
    Bool,
    Number,
    Date,
    Text,
}

/// Why an expression has no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Overflow, division by zero, a date out of range.
    Arith(ArithError),
    /// A duration count that is not a whole number up to 100,000.
    BadDuration(String),
    /// A record field read outside any record.
    NoRecord,
    /// A record slot that holds nothing.
    RecordValueUnavailable,
    /// A value of another type than expected (as written).
    Expected(Expected, String),
    /// Something other than a duration after `within`.
    NotDuration,
    /// Two values that cannot be compared.
    CannotCompare(String, String),
    /// An input with no answer.
    InputUnavailable(Arc<str>),
    /// A derived value with no value.
    ValueUnavailable(Arc<str>),
    /// A key not in a table.
    NoTableEntry { table: Arc<str>, key: String },
    /// `error("…")` in a rule file: its message.
    Fail(Arc<str>),
    /// Two values no arithmetic applies to.
    CannotCombine(String, String),
    /// An aggregate without the expression it needs.
    AggregateWithoutExpression,
    /// The base score reads an input that is not applicable.
    BaseNotApplicable,
    /// No band holds the score.
    NoBand(String),
}

impl From<ArithError> for Fault {
    fn from(e: ArithError) -> Fault {
        Fault::Arith(e)
    }
}

impl Fault {
    /// The kind of fault, for callers to match on.
    pub(crate) fn kind(&self) -> EvalErrorKind {
        match self {
            Fault::Arith(ArithError::Overflow) => EvalErrorKind::Overflow,
            Fault::Arith(ArithError::DivisionByZero) => EvalErrorKind::DivisionByZero,
            Fault::Arith(ArithError::DateOutOfRange) => EvalErrorKind::DateOutOfRange,
            Fault::BadDuration(n) => EvalErrorKind::BadDuration { count: n.clone() },
            Fault::NoTableEntry { table, key } => {
                EvalErrorKind::UnknownTableKey { table: table.to_string(), key: key.clone() }
            }
            Fault::Fail(message) => EvalErrorKind::RuleError { message: message.to_string() },
            Fault::NoBand(score) => EvalErrorKind::NoBand { score: score.clone() },
            Fault::InputUnavailable(name) => EvalErrorKind::NotApplicable { input: name.to_string() },
            Fault::ValueUnavailable(name) => EvalErrorKind::ValueUnavailable { name: name.to_string() },
            Fault::BaseNotApplicable => EvalErrorKind::BaseNotApplicable,
            Fault::NoRecord
            | Fault::RecordValueUnavailable
            | Fault::Expected(..)
            | Fault::NotDuration
            | Fault::CannotCompare(..)
            | Fault::CannotCombine(..)
            | Fault::AggregateWithoutExpression => EvalErrorKind::Internal,
        }
    }

    /// The message in English.
    pub(crate) fn en(&self) -> String {
        match self {
            Fault::Arith(e) => e.to_string(),
            Fault::BadDuration(n) => format!("a duration needs a whole number up to 100000, found `{n}`"),
            Fault::NoRecord => "no record in scope".into(),
            Fault::RecordValueUnavailable => "record value not available".into(),
            Fault::Expected(Expected::Bool, v) => format!("expected true or false, found `{v}`"),
            Fault::Expected(Expected::Number, v) => format!("expected a number, found `{v}`"),
            Fault::Expected(Expected::Date, v) => format!("expected a date, found `{v}`"),
            Fault::Expected(Expected::Text, v) => format!("expected text, found `{v}`"),
            Fault::NotDuration => "expected a duration".into(),
            Fault::CannotCompare(a, b) => format!("cannot compare `{a}` with `{b}`"),
            Fault::InputUnavailable(name) => format!("input `{name}` is not available"),
            Fault::ValueUnavailable(name) => format!("`{name}` is not available"),
            Fault::NoTableEntry { table, key } => format!("table `{table}` has no entry `{key}`"),
            Fault::Fail(message) => message.to_string(),
            Fault::CannotCombine(a, b) => format!("cannot combine `{a}` and `{b}`"),
            Fault::AggregateWithoutExpression => "aggregate is missing its expression".into(),
            Fault::BaseNotApplicable => "the base score depends on an input that is not applicable".into(),
            Fault::NoBand(score) => format!("no grade band holds the score {score}"),
        }
    }

    /// The message in Chinese.
    pub(crate) fn zh(&self) -> String {
        match self {
            Fault::Arith(e) => e.zh().into(),
            Fault::BadDuration(n) => format!("时长须为不超过 100000 的整数，实际为“{n}”"),
            Fault::NoRecord => "当前没有可读取的记录".into(),
            Fault::RecordValueUnavailable => "记录中的该项没有可用的值".into(),
            Fault::Expected(Expected::Bool, v) => format!("应为“是”或“否”，实际为“{v}”"),
            Fault::Expected(Expected::Number, v) => format!("应为数字，实际为“{v}”"),
            Fault::Expected(Expected::Date, v) => format!("应为日期，实际为“{v}”"),
            Fault::Expected(Expected::Text, v) => format!("应为文字，实际为“{v}”"),
            Fault::NotDuration => "应为时长".into(),
            Fault::CannotCompare(a, b) => format!("无法比较“{a}”与“{b}”"),
            Fault::InputUnavailable(name) => format!("输入项“{name}”没有可用的值"),
            Fault::ValueUnavailable(name) => format!("“{name}”没有可用的值"),
            Fault::NoTableEntry { table, key } => format!("表“{table}”中没有“{key}”这一项"),
            Fault::Fail(message) => format!("规则文件要求停止评估：{message}"),
            Fault::CannotCombine(a, b) => format!("无法对“{a}”与“{b}”进行运算"),
            Fault::AggregateWithoutExpression => "汇总运算缺少表达式".into(),
            Fault::BaseNotApplicable => "基础分依赖于不适用的输入项".into(),
            Fault::NoBand(score) => format!("没有哪个等级区间包含得分 {score}"),
        }
    }
}

/// What was being computed when evaluation stopped.
#[derive(Clone, Debug)]
pub(crate) enum Context<'a> {
    Item(&'a str),
    Derived(&'a str),
    /// A per-record value: list, record index (from 0), value name.
    Record(&'a str, usize, &'a str),
    ScoreBase,
    Score,
    Grade,
    Override(&'a str),
}

impl Context<'_> {
    fn en(&self) -> String {
        match self {
            Context::Item(id) => format!("item `{id}`"),
            Context::Derived(name) => format!("derived value `{name}`"),
            Context::Record(list, r, name) => format!("{list}[{r}].{name}"),
            Context::ScoreBase => "score base".into(),
            Context::Score => "score".into(),
            Context::Grade => "grade".into(),
            Context::Override(id) => format!("override `{id}`"),
        }
    }

    fn zh(&self) -> String {
        match self {
            Context::Item(id) => format!("评分项“{id}”"),
            Context::Derived(name) => format!("派生值“{name}”"),
            Context::Record(list, r, name) => format!("{list}[{r}].{name}"),
            Context::ScoreBase => "基础分".into(),
            Context::Score => "得分".into(),
            Context::Grade => "等级".into(),
            Context::Override(id) => format!("等级调整“{id}”"),
        }
    }
}

impl EvalError {
    /// The error for `fault` while computing `context`, in both languages.
    pub(crate) fn new(context: Context<'_>, fault: &Fault) -> EvalError {
        EvalError {
            context: context.en(),
            message: fault.en(),
            context_zh: context.zh(),
            message_zh: fault.zh(),
            kind: Box::new(fault.kind()),
        }
    }

    /// What kind of fault it is, with the values it names: match on this
    /// rather than on the message.
    pub fn kind(&self) -> &EvalErrorKind {
        &self.kind
    }

    /// The error in Chinese, as its `Display` gives it in English: `context_zh：message_zh`.
    pub fn to_string_zh(&self) -> String {
        format!("{}：{}", self.context_zh, self.message_zh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One fault of every kind; the match below stops compiling when a kind
    /// is added, so the list stays complete.
    fn every_fault() -> Vec<Fault> {
        let v = || "x".to_string();
        let all = vec![
            Fault::Arith(ArithError::Overflow),
            Fault::Arith(ArithError::DivisionByZero),
            Fault::Arith(ArithError::DateOutOfRange),
            Fault::BadDuration("1.5".into()),
            Fault::NoRecord,
            Fault::RecordValueUnavailable,
            Fault::Expected(Expected::Bool, v()),
            Fault::Expected(Expected::Number, v()),
            Fault::Expected(Expected::Date, v()),
            Fault::Expected(Expected::Text, v()),
            Fault::NotDuration,
            Fault::CannotCompare(v(), v()),
            Fault::InputUnavailable("deaths".into()),
            Fault::ValueUnavailable("s".into()),
            Fault::NoTableEntry { table: "t".into(), key: v() },
            Fault::Fail("stop".into()),
            Fault::CannotCombine(v(), v()),
            Fault::AggregateWithoutExpression,
            Fault::BaseNotApplicable,
            Fault::NoBand("101".into()),
        ];
        for f in &all {
            match f {
                Fault::Arith(_)
                | Fault::BadDuration(_)
                | Fault::NoRecord
                | Fault::RecordValueUnavailable
                | Fault::Expected(..)
                | Fault::NotDuration
                | Fault::CannotCompare(..)
                | Fault::InputUnavailable(_)
                | Fault::ValueUnavailable(_)
                | Fault::NoTableEntry { .. }
                | Fault::Fail(_)
                | Fault::CannotCombine(..)
                | Fault::AggregateWithoutExpression
                | Fault::BaseNotApplicable
                | Fault::NoBand(_) => {}
            }
        }
        all
    }

    #[test]
    fn every_fault_and_context_has_a_chinese_text_unlike_the_english_one() {
        let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for f in every_fault() {
            let (en, zh) = (f.en(), f.zh());
            assert!(!zh.trim().is_empty() && han(&zh), "{f:?}: {zh}");
            assert_ne!(en, zh, "{f:?}");
        }
        let contexts = [
            Context::Item("a"),
            Context::Derived("s"),
            Context::ScoreBase,
            Context::Score,
            Context::Grade,
            Context::Override("o"),
        ];
        for c in contexts {
            assert!(han(&c.zh()) && c.zh() != c.en(), "{c:?}");
        }
        // A per-record value is named by its path, the same in both languages.
        assert_eq!(Context::Record("accidents", 2, "level").zh(), "accidents[2].level");
        let e = EvalError::new(Context::Item("a"), &Fault::Arith(ArithError::DivisionByZero));
        assert_eq!(e.to_string(), "item `a`: division by zero");
        assert_eq!(e.to_string_zh(), "评分项“a”：除数为零");
    }
}
