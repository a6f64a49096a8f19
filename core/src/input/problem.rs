//! What can be wrong with a firm's answers, said in English and in Chinese.
//!
//! Reading a firm finds a [`Problem`] (a kind and the text it quotes), not a
//! sentence; the sentence is written when an error is reported, in both
//! languages, so the portal's Chinese interface shows Chinese and batch
//! rejects keep their English texts. The English texts are a contract:
//! goldens, rejects files and callers match on them. Callers that need to
//! tell problems apart match the error's [`InputErrorKind`] instead, which
//! each problem names.

use serde_json::Value as Json;

use crate::plan::ValueType;
use crate::uscc::UsccError;

/// The kind of a JSON value, for "expected …, found …" messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonKind {
    Null,
    Bool,
    Number,
    Text,
    List,
    Object,
}

impl JsonKind {
    pub(crate) fn of(j: &Json) -> JsonKind {
        match j {
            Json::Null => JsonKind::Null,
            Json::Bool(_) => JsonKind::Bool,
            Json::Number(_) => JsonKind::Number,
            Json::String(_) => JsonKind::Text,
            Json::Array(_) => JsonKind::List,
            Json::Object(_) => JsonKind::Object,
        }
    }

    /// The kind as an [`InputErrorKind::WrongType`] names it.
    fn name(self) -> &'static str {
        match self {
            JsonKind::Null => "null",
            JsonKind::Bool => "boolean",
            JsonKind::Number => "number",
            JsonKind::Text => "text",
            JsonKind::List => "list",
            JsonKind::Object => "object",
        }
    }

    fn en(self) -> &'static str {
        match self {
            JsonKind::Null => "null",
            JsonKind::Bool => "a boolean",
            JsonKind::Number => "a number",
            JsonKind::Text => "text",
            JsonKind::List => "a list",
            JsonKind::Object => "an object",
        }
    }

    fn zh(self) -> &'static str {
        match self {
            JsonKind::Null => "空值（null）",
            JsonKind::Bool => "是/否值",
            JsonKind::Number => "数字",
            JsonKind::Text => "文字",
            JsonKind::List => "列表",
            JsonKind::Object => "对象",
        }
    }
}

/// What kind of problem an [`InputError`](crate::InputError) is, with the
/// values it names, so a caller can tell problems apart without reading the
/// message. Texts the firm gave are quoted as the message quotes them
/// (clipped to 40 characters).
///
/// In JSON it is an object whose `type` names the variant in snake case,
/// with the variant's fields beside it:
/// `{"type": "below_minimum", "value": "-1", "min": "0"}`, `{"type": "missing"}`.
///
/// ```
/// use safegrade::InputErrorKind;
/// # let rules = safegrade::load_str("r.toml", r#"
/// # [ruleset]
/// # id = "r"
/// # name = "r"
/// # version = "1"
/// # [inputs.deaths]
/// # type = "integer"
/// # label = "死亡人数"
/// # min = 0
/// # [[items]]
/// # id = "deaths"
/// # label = "死亡"
/// # points = "-10 * deaths"
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
/// let firm = serde_json::json!({ "deaths": -1 });
/// let errors = rules.firm_from_json(&firm).unwrap_err();
/// let InputErrorKind::BelowMinimum { value, min } = errors[0].kind() else { panic!("{errors:?}") };
/// assert_eq!((value.as_str(), min.as_str()), ("-1", "0"));
/// assert_eq!(errors[0].message, "-1 is below the minimum 0");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum InputErrorKind {
    /// A required answer is missing.
    Missing,
    /// A value of another kind than the declared type or structure takes.
    WrongType {
        /// What was expected: a declared type (`integer`, `decimal`, `bool`,
        /// `enum`, `date`, `text`, `uscc`), or `object` (a firm, a record) or
        /// `list` (a list of records).
        expected: String,
        /// The JSON value found: `null`, `boolean`, `number`, `text`, `list` or `object`.
        found: String,
    },
    /// A yes/no answer that is none of the accepted words.
    NotYesNo {
        /// The answer as given.
        found: String,
    },
    /// Not a number, or longer than 64 characters.
    NotANumber {
        /// The answer as given.
        found: String,
    },
    /// A fraction, or a number written with an exponent, for a whole number.
    NotWhole {
        /// The answer as given.
        found: String,
    },
    /// A number that cannot be kept exact: more than 28 significant digits
    /// or more than 28 decimal places.
    TooPrecise {
        /// The answer as given.
        found: String,
    },
    /// A number beyond the largest magnitude a number can have.
    NumberOutOfRange {
        /// The answer as given.
        found: String,
    },
    /// A number below the declared `min`.
    BelowMinimum {
        /// The number.
        value: String,
        /// The declared minimum.
        min: String,
    },
    /// A number above the declared `max`.
    AboveMaximum {
        /// The number.
        value: String,
        /// The declared maximum.
        max: String,
    },
    /// A number not among the declared `allowed` values.
    NotAllowed {
        /// The number.
        value: String,
        /// The allowed values.
        allowed: Vec<String>,
    },
    /// Text longer than the declared `max_len`.
    TextTooLong {
        /// Its length in characters.
        chars: usize,
        /// The declared limit.
        max: u32,
    },
    /// An answer that is neither an option's id nor its label.
    NotAnOption {
        /// The answer as given.
        found: String,
        /// The option ids.
        options: Vec<String>,
    },
    /// Not a date written `YYYY-MM-DD`, or not a real day.
    BadDate {
        /// The answer as given.
        found: String,
    },
    /// Not a valid 统一社会信用代码 (wrong length, characters, region
    /// digits or check character; the message says which).
    BadUscc {
        /// The answer as given.
        found: String,
    },
    /// A field that no input or list has.
    UnknownField {
        /// The closest known name, if one is close.
        suggestion: Option<String>,
    },
    /// More records than the list allows.
    TooManyRecords {
        /// How many were given.
        records: usize,
        /// The list's limit.
        max: u32,
    },
    /// In a scheme, an input filled from an earlier step's value that does
    /// not fit it.
    FromEarlierStep {
        /// The value, as written after the dot of `from` (`grade`, a derived value).
        from: String,
        /// Whether that value applies; `false` when the earlier step had no value for it.
        applicable: bool,
        /// What is wrong with it.
        kind: Box<InputErrorKind>,
    },
}

/// What is wrong with one answer or one part of a firm's data. Texts the
/// firm gave are kept as quoted (clipped to 40 characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// A yes/no answer that is none of the accepted words.
    NotYesNo(String),
    /// An answer that is neither an option's id nor its label; the option ids.
    NotAnOption { found: String, ids: Vec<String> },
    /// Not a date written `YYYY-MM-DD`.
    NotADate(String),
    /// Not a valid 统一社会信用代码, and why.
    NotAUscc { found: String, why: UsccError },
    /// Longer than 64 characters, for a number.
    NumberTooLong(String),
    /// Not a number.
    NotANumber(String),
    /// A whole number written with an exponent.
    WholeWithExponent(String),
    /// More than 28 significant digits.
    TooManyDigits(String),
    /// More than 28 decimal places.
    TooManyPlaces(String),
    /// Beyond the largest magnitude.
    OutOfRange(String),
    /// Beyond the largest magnitude, with more than 28 digits.
    OutOfRangeDigits(String),
    /// A fraction for a whole number.
    NotWhole(String),
    /// Not one of the allowed values; the allowed values.
    NotAllowed { value: String, allowed: Vec<String> },
    /// Below the declared minimum.
    BelowMin { value: String, min: String },
    /// Above the declared maximum.
    AboveMax { value: String, max: String },
    /// Text longer than `max_len` characters.
    TextTooLong { chars: usize, max: u32 },
    /// A JSON value of the wrong kind for the declared type.
    WrongKind { expected: ValueType, found: JsonKind },
    /// The firm, or a record, is not a JSON object.
    NotAnObject(JsonKind),
    /// A list is not a JSON array.
    NotAList(JsonKind),
    /// A field no input or list has; the closest name, if one is close.
    UnknownField(Option<String>),
    /// More records than the list allows.
    TooManyRecords { records: usize, max: u32 },
    /// A required answer is missing.
    Required,
    /// A scheme step's input filled from an earlier step (`what` as written after the dot) does not fit.
    FromEarlier { what: String, problem: Box<Problem> },
    /// A scheme step's input filled from an earlier step's value that is not applicable.
    FromEarlierWithoutValue { what: String, problem: Box<Problem> },
}

impl Problem {
    /// The kind of problem, for callers to match on.
    pub(crate) fn kind(&self) -> InputErrorKind {
        use InputErrorKind as K;
        match self {
            Problem::NotYesNo(t) => K::NotYesNo { found: t.clone() },
            Problem::NotAnOption { found: f, ids } => K::NotAnOption { found: f.clone(), options: ids.clone() },
            Problem::NotADate(t) => K::BadDate { found: t.clone() },
            Problem::NotAUscc { found: f, .. } => K::BadUscc { found: f.clone() },
            Problem::NumberTooLong(t) | Problem::NotANumber(t) => K::NotANumber { found: t.clone() },
            Problem::WholeWithExponent(t) | Problem::NotWhole(t) => K::NotWhole { found: t.clone() },
            Problem::TooManyDigits(t) | Problem::TooManyPlaces(t) => K::TooPrecise { found: t.clone() },
            Problem::OutOfRange(t) | Problem::OutOfRangeDigits(t) => K::NumberOutOfRange { found: t.clone() },
            Problem::NotAllowed { value, allowed } => K::NotAllowed { value: value.clone(), allowed: allowed.clone() },
            Problem::BelowMin { value, min } => K::BelowMinimum { value: value.clone(), min: min.clone() },
            Problem::AboveMax { value, max } => K::AboveMaximum { value: value.clone(), max: max.clone() },
            Problem::TextTooLong { chars, max } => K::TextTooLong { chars: *chars, max: *max },
            Problem::WrongKind { expected, found } => {
                K::WrongType { expected: expected.name().into(), found: found.name().into() }
            }
            Problem::NotAnObject(f) => K::WrongType { expected: "object".into(), found: f.name().into() },
            Problem::NotAList(f) => K::WrongType { expected: "list".into(), found: f.name().into() },
            Problem::UnknownField(suggestion) => K::UnknownField { suggestion: suggestion.clone() },
            Problem::TooManyRecords { records, max } => K::TooManyRecords { records: *records, max: *max },
            Problem::Required => K::Missing,
            Problem::FromEarlier { what, problem } => {
                K::FromEarlierStep { from: what.clone(), applicable: true, kind: Box::new(problem.kind()) }
            }
            Problem::FromEarlierWithoutValue { what, problem } => {
                K::FromEarlierStep { from: what.clone(), applicable: false, kind: Box::new(problem.kind()) }
            }
        }
    }

    /// The message in English.
    pub(crate) fn en(&self) -> String {
        match self {
            Problem::NotYesNo(t) => format!("expected 是/否, true/false, yes/no, y/n or 1/0, found `{t}`"),
            Problem::NotAnOption { found, ids } => format!("`{found}` is not one of the options: {}", ids.join(", ")),
            Problem::NotADate(t) => format!("expected a date YYYY-MM-DD, found `{t}`"),
            Problem::NotAUscc { found, why } => format!("`{found}` is not a valid 统一社会信用代码: {}", why.en()),
            Problem::NumberTooLong(t) => format!("`{t}` is too long for a number"),
            Problem::NotANumber(t) => format!("expected a number, found `{t}`"),
            Problem::WholeWithExponent(t) => {
                format!("expected a whole number like 12, found `{t}` (exponents are not read)")
            }
            Problem::TooManyDigits(t) => format!("`{t}` has more than 28 significant digits; it cannot be kept exact"),
            Problem::TooManyPlaces(t) => format!("`{t}` has more than 28 decimal places; it cannot be kept exact"),
            Problem::OutOfRange(t) => format!("`{t}` is out of range for a decimal number"),
            Problem::OutOfRangeDigits(t) => {
                format!("`{t}` is out of range for a decimal number (28 significant digits)")
            }
            Problem::NotWhole(d) => format!("expected a whole number, found `{d}`"),
            Problem::NotAllowed { value, allowed } => {
                format!("`{value}` is not an allowed value; allowed: {}", allowed.join(", "))
            }
            Problem::BelowMin { value, min } => format!("{value} is below the minimum {min}"),
            Problem::AboveMax { value, max } => format!("{value} is above the maximum {max}"),
            Problem::TextTooLong { chars, max } => format!("text of {chars} characters is longer than the limit {max}"),
            Problem::WrongKind { expected, found } => format!("expected {}, found {}", expected.name(), found.en()),
            Problem::NotAnObject(found) => format!("expected an object, found {}", found.en()),
            Problem::NotAList(found) => format!("expected a list, found {}", found.en()),
            Problem::UnknownField(None) => "unknown field".into(),
            Problem::UnknownField(Some(c)) => format!("unknown field; did you mean `{c}`?"),
            Problem::TooManyRecords { records, max } => {
                format!("{records} records is more than the limit of {max} for this list")
            }
            Problem::Required => "required, but missing".into(),
            Problem::FromEarlier { what, problem } => format!("from `{what}` of an earlier step: {}", problem.en()),
            Problem::FromEarlierWithoutValue { what, problem } => {
                format!("from `{what}` of an earlier step, which has no value: {}", problem.en())
            }
        }
    }

    /// The message in Chinese.
    pub(crate) fn zh(&self) -> String {
        match self {
            Problem::NotYesNo(t) => format!("应填写 是/否、true/false、yes/no、y/n 或 1/0，实际填写“{t}”"),
            Problem::NotAnOption { found, ids } => format!("“{found}”不是可选项，可选项为：{}", ids.join("、")),
            Problem::NotADate(t) => format!("应填写 YYYY-MM-DD 格式的日期，实际填写“{t}”"),
            Problem::NotAUscc { found, why } => format!("“{found}”不是有效的统一社会信用代码：{}", why.zh()),
            Problem::NumberTooLong(t) => format!("“{t}”过长，不能作为数字读取"),
            Problem::NotANumber(t) => format!("应填写数字，实际填写“{t}”"),
            Problem::WholeWithExponent(t) => format!("应填写整数（如 12），实际填写“{t}”（不读取科学计数法）"),
            Problem::TooManyDigits(t) => format!("“{t}”的有效数字超过 28 位，无法精确保存"),
            Problem::TooManyPlaces(t) => format!("“{t}”的小数位数超过 28 位，无法精确保存"),
            Problem::OutOfRange(t) => format!("“{t}”超出数值范围"),
            Problem::OutOfRangeDigits(t) => format!("“{t}”超出数值范围（最多 28 位有效数字）"),
            Problem::NotWhole(d) => format!("应填写整数，实际填写“{d}”"),
            Problem::NotAllowed { value, allowed } => {
                format!("“{value}”不是允许的取值；允许的取值为：{}", allowed.join("、"))
            }
            Problem::BelowMin { value, min } => format!("{value} 小于最小值 {min}"),
            Problem::AboveMax { value, max } => format!("{value} 大于最大值 {max}"),
            Problem::TextTooLong { chars, max } => format!("文字共 {chars} 个字符，超过 {max} 个字符的上限"),
            Problem::WrongKind { expected, found } => format!("应填写{}，实际为{}", expected.name_zh(), found.zh()),
            Problem::NotAnObject(found) => format!("应为对象，实际为{}", found.zh()),
            Problem::NotAList(found) => format!("应为列表，实际为{}", found.zh()),
            Problem::UnknownField(None) => "未知字段".into(),
            Problem::UnknownField(Some(c)) => format!("未知字段；是否应为“{c}”？"),
            Problem::TooManyRecords { records, max } => format!("共 {records} 条记录，超过该列表 {max} 条的上限"),
            Problem::Required => "必填，但未填写".into(),
            Problem::FromEarlier { what, problem } => format!("取自前序步骤的“{what}”：{}", problem.zh()),
            Problem::FromEarlierWithoutValue { what, problem } => {
                format!("取自前序步骤的“{what}”，但该值不适用：{}", problem.zh())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One problem of every kind; the match below stops compiling when a
    /// kind is added, so the list stays complete.
    fn every_problem() -> Vec<Problem> {
        let t = || "x".to_string();
        let all = vec![
            Problem::NotYesNo(t()),
            Problem::NotAnOption { found: t(), ids: vec!["a".into(), "b".into()] },
            Problem::NotADate(t()),
            Problem::NotAUscc { found: t(), why: UsccError::Length(1) },
            Problem::NotAUscc { found: t(), why: UsccError::Character(2, 'I') },
            Problem::NotAUscc { found: t(), why: UsccError::Region },
            Problem::NotAUscc { found: t(), why: UsccError::Check('1', '2') },
            Problem::NumberTooLong(t()),
            Problem::NotANumber(t()),
            Problem::WholeWithExponent(t()),
            Problem::TooManyDigits(t()),
            Problem::TooManyPlaces(t()),
            Problem::OutOfRange(t()),
            Problem::OutOfRangeDigits(t()),
            Problem::NotWhole("1.5".into()),
            Problem::NotAllowed { value: "2".into(), allowed: vec!["1".into(), "3".into()] },
            Problem::BelowMin { value: "-1".into(), min: "0".into() },
            Problem::AboveMax { value: "9".into(), max: "5".into() },
            Problem::TextTooLong { chars: 9, max: 5 },
            Problem::WrongKind { expected: ValueType::Integer, found: JsonKind::Bool },
            Problem::NotAnObject(JsonKind::List),
            Problem::NotAList(JsonKind::Object),
            Problem::UnknownField(None),
            Problem::UnknownField(Some("deaths".into())),
            Problem::TooManyRecords { records: 3, max: 2 },
            Problem::Required,
            Problem::FromEarlier { what: "grade".into(), problem: Box::new(Problem::Required) },
            Problem::FromEarlierWithoutValue { what: "s".into(), problem: Box::new(Problem::Required) },
        ];
        for p in &all {
            match p {
                Problem::NotYesNo(_)
                | Problem::NotAnOption { .. }
                | Problem::NotADate(_)
                | Problem::NotAUscc { .. }
                | Problem::NumberTooLong(_)
                | Problem::NotANumber(_)
                | Problem::WholeWithExponent(_)
                | Problem::TooManyDigits(_)
                | Problem::TooManyPlaces(_)
                | Problem::OutOfRange(_)
                | Problem::OutOfRangeDigits(_)
                | Problem::NotWhole(_)
                | Problem::NotAllowed { .. }
                | Problem::BelowMin { .. }
                | Problem::AboveMax { .. }
                | Problem::TextTooLong { .. }
                | Problem::WrongKind { .. }
                | Problem::NotAnObject(_)
                | Problem::NotAList(_)
                | Problem::UnknownField(_)
                | Problem::TooManyRecords { .. }
                | Problem::Required
                | Problem::FromEarlier { .. }
                | Problem::FromEarlierWithoutValue { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_problem_has_a_chinese_message_unlike_the_english_one() {
        let kinds =
            [JsonKind::Null, JsonKind::Bool, JsonKind::Number, JsonKind::Text, JsonKind::List, JsonKind::Object];
        let types = [
            ValueType::Bool,
            ValueType::Integer,
            ValueType::Decimal,
            ValueType::Enum(0),
            ValueType::Date,
            ValueType::Text,
            ValueType::Uscc,
        ];
        let mut all = every_problem();
        all.extend(types.iter().flat_map(|t| kinds.map(|k| Problem::WrongKind { expected: t.clone(), found: k })));
        for p in all {
            let (en, zh) = (p.en(), p.zh());
            assert!(!zh.trim().is_empty(), "{p:?}");
            assert_ne!(en, zh, "{p:?}");
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{p:?}: {zh}");
        }
    }

    #[test]
    fn the_english_messages_are_the_published_ones() {
        assert_eq!(Problem::Required.en(), "required, but missing");
        assert_eq!(Problem::BelowMin { value: "-1".into(), min: "0".into() }.en(), "-1 is below the minimum 0");
        assert_eq!(Problem::BelowMin { value: "-1".into(), min: "0".into() }.zh(), "-1 小于最小值 0");
        assert_eq!(Problem::Required.zh(), "必填，但未填写");
        assert_eq!(
            Problem::WrongKind { expected: ValueType::Integer, found: JsonKind::Bool }.en(),
            "expected integer, found a boolean"
        );
        assert_eq!(Problem::UnknownField(Some("deaths".into())).en(), "unknown field; did you mean `deaths`?");
    }
}
