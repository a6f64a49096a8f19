//! One firm's data: reading it from JSON (or text cells) against a rule set's
//! declared inputs.
//!
//! Every value is parsed by its declared type and checked against its
//! bounds; unknown fields, wrong types and out-of-range values are
//! [`InputError`]s naming the path (`accidents[2].date`). All problems in a
//! firm are reported together. What a missing answer means is decided here
//! too, and recorded for the result. Problems are kinds (see `problem`),
//! reported in English and in Chinese.

mod problem;

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value as Json;
use smallvec::SmallVec;

use crate::plan::{Field, Missing, Names, Plan, Texts, ValueType};
use crate::uscc;
use crate::value::{self, Value};
pub use problem::InputErrorKind;
pub(crate) use problem::{JsonKind, Problem};

/// Lists a firm keeps inline, without a separate allocation.
pub(crate) const INLINE_LISTS: usize = 4;

/// A problem with one value of a firm's data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{path}: {message}")]
pub struct InputError {
    /// Where: an input name, or `list[index].field` (index from 0).
    pub path: String,
    /// What is wrong (English).
    pub message: String,
    /// What is wrong, in Chinese.
    pub message_zh: String,
    /// What kind of problem it is; read with [`InputError::kind`].
    pub(crate) kind: InputErrorKind,
}

impl InputError {
    pub(crate) fn new(path: impl Into<String>, problem: &Problem) -> InputError {
        InputError { path: path.into(), message: problem.en(), message_zh: problem.zh(), kind: problem.kind() }
    }

    /// What kind of problem it is, with the values it names: match on this
    /// rather than on the message.
    pub fn kind(&self) -> &InputErrorKind {
        &self.kind
    }

    /// The error in Chinese, as its `Display` gives it in English: `path：message_zh`.
    pub fn to_string_zh(&self) -> String {
        format!("{}：{}", self.path, self.message_zh)
    }
}

/// A firm's data, checked against a rule set.
#[derive(Clone, Debug, PartialEq)]
pub struct Firm {
    /// One slot per declared input; `None` when missing with no default.
    pub(crate) inputs: Vec<Option<Value>>,
    /// One entry per declared list: its records, each with one slot per field.
    /// Shared, so the steps of a scheme read one copy. Kept in the firm
    /// itself for the usual handful of lists, which saves evaluation a
    /// memory access (a cache miss when scoring many prepared firms).
    pub(crate) lists: SmallVec<[RecordList; INLINE_LISTS]>,
    /// Inputs that were missing, with the treatment applied.
    pub(crate) missing: Vec<(u32, MissingTreatment)>,
}

/// One list's records, each with one slot per declared field; shared, so the
/// steps of a scheme read one copy.
pub(crate) type RecordList = Arc<[Box<[Value]>]>;

/// What was done about a missing input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingTreatment {
    /// The declared default was used.
    Default,
    /// Everything depending on the input was skipped.
    NotApplicable,
    /// Skipped, and the declared penalty applied.
    Penalty,
}

/// Parses one value given as text (a CSV cell, a JSON string).
///
/// The commonest cells, a yes/no answer, a whole number that needs no check
/// beyond its bounds and a date, are read here, small enough to inline into
/// a batch's per-cell loop; everything else, and every error, is read by
/// `parse_text`, which gives the same value or error for them.
#[inline]
pub(crate) fn value_from_text(s: &str, field: &Field, texts: Texts<'_>) -> Result<Value, Problem> {
    value_from_cell(s, trim(s), field, texts)
}

/// [`value_from_text`] for a cell whose trimmed text `t` (`trim(s)`) is
/// already known: a batch trims each cell once, to see whether it is blank.
#[inline]
pub(crate) fn value_from_cell(s: &str, t: &str, field: &Field, texts: Texts<'_>) -> Result<Value, Problem> {
    let mut value = Value::Bool(false);
    read_cell(s, t, field, texts, &mut value)?;
    Ok(value)
}

/// [`value_from_cell`] writing the value into `out`, where it stays: a value
/// returned through memory and then copied makes the copy wait for the
/// pieces just stored, on every cell of a batch. On an error `out` holds
/// no meaningful value.
#[inline]
pub(crate) fn read_cell(s: &str, t: &str, field: &Field, texts: Texts<'_>, out: &mut Value) -> Result<(), Problem> {
    match field.vtype {
        ValueType::Bool => {
            if let Some(b) = parse_bool(t) {
                *out = Value::Bool(b);
                return Ok(());
            }
        }
        ValueType::Integer | ValueType::Decimal if field.allowed.is_none() => {
            if let Some(n) = value::plain_integer(t) {
                let d = Decimal::from(n);
                let cmp = crate::value::cmp_num;
                let above_min = field.min.is_none_or(|m| !cmp(&d, &m).is_lt());
                let below_max = field.max.is_none_or(|m| !cmp(&d, &m).is_gt());
                if above_min && below_max {
                    *out = Value::Num(d);
                    return Ok(());
                }
            }
        }
        ValueType::Date => {
            if let Some(d) = parse_date(t) {
                *out = Value::Date(d);
                return Ok(());
            }
        }
        _ => {}
    }
    parse_text(s, t, field, texts, out)
}

/// [`read_cell`] for every kind of value, with its error messages.
#[inline(never)]
fn parse_text(s: &str, t: &str, field: &Field, texts: Texts<'_>, out: &mut Value) -> Result<(), Problem> {
    *out = match &field.vtype {
        ValueType::Bool => match parse_bool(t) {
            Some(b) => Value::Bool(b),
            None => return Err(Problem::NotYesNo(clip(t))),
        },
        ValueType::Integer | ValueType::Decimal => {
            let d = parse_decimal(t, field.vtype == ValueType::Integer)?;
            Value::Num(d)
        }
        ValueType::Enum(e) => {
            let def = &texts.enums[*e as usize];
            // An option's id wins over another option's label.
            let by_id = def.options.iter().position(|(id, _)| &**id == t);
            let by_label =
                || def.options.iter().position(|(_, label)| &*label.zh == t || label.en.as_deref() == Some(t));
            match by_id.or_else(by_label) {
                Some(k) => def.values[k].clone(),
                None => {
                    let ids = def.options.iter().map(|(id, _)| id.to_string()).collect();
                    return Err(Problem::NotAnOption { found: clip(t), ids });
                }
            }
        }
        ValueType::Date => match parse_date(t) {
            Some(d) => Value::Date(d),
            None => return Err(Problem::NotADate(clip(t))),
        },
        ValueType::Text => {
            check_length(s, field)?;
            texts.names.value(s)
        }
        ValueType::Uscc => {
            let code = t.to_ascii_uppercase();
            uscc::check(&code).map_err(|why| Problem::NotAUscc { found: clip(t), why })?;
            check_length(&code, field)?;
            texts.names.value(&code)
        }
    };
    if let Value::Num(d) = out {
        check_bounds(d, field)?;
    }
    Ok(())
}

/// 是/否, 1/0, and true/false, yes/no, y/n in any case.
#[inline]
fn parse_bool(t: &str) -> Option<bool> {
    let any_case = |words: [&str; 3]| words.iter().any(|w| t.eq_ignore_ascii_case(w));
    match t {
        "是" | "1" => Some(true),
        "否" | "0" => Some(false),
        _ if any_case(["true", "yes", "y"]) => Some(true),
        _ if any_case(["false", "no", "n"]) => Some(false),
        _ => None,
    }
}

/// `s` without surrounding white space (Unicode's, so a full-width space
/// goes too). Most cells have none: they are returned after a look at their
/// first and last bytes (printable ASCII at both ends: nothing to trim), or
/// else at the first byte of their first and last characters, since every
/// white-space character starts with one of a few bytes.
pub(crate) fn trim(s: &str) -> &str {
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else { return s };
    if (0x21..0x7F).contains(&first) && (0x21..0x7F).contains(&last) {
        return s;
    }
    let may_be_space = |lead: u8| matches!(lead, 0x09..=0x0D | 0x20 | 0xC2 | 0xE1..=0xE3);
    // Three bytes from a three-byte lead are one character (是, 否): its
    // lead alone says whether it may be white space.
    if bytes.len() == 3 && first >= 0xE0 {
        return if may_be_space(first) { s.trim() } else { s };
    }
    let last_lead = bytes.iter().rev().take(4).find(|&&b| b & 0xC0 != 0x80).copied().unwrap_or(first);
    if may_be_space(first) || may_be_space(last_lead) {
        s.trim()
    } else {
        s
    }
}

/// A calendar date written `YYYY-MM-DD` (exactly; no other form is accepted).
pub(crate) fn parse_date(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// A date as chrono's `NaiveDate::parse_from_str(s, "%Y-%m-%d")` reads it
/// (the form `date("…")` in an expression takes): whitespace may lead each
/// number; the year has up to four digits, or a sign and any number; the
/// month and day one or two digits; nothing may follow.
pub(crate) fn parse_date_literal(s: &str) -> Option<NaiveDate> {
    /// At least one and at most `max` ASCII digits.
    fn digits(s: &str, max: usize) -> Option<(&str, i64)> {
        let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        let v = s.as_bytes()[..n].iter().try_fold(0i64, |v, &c| v.checked_mul(10)?.checked_add(i64::from(c - b'0')))?;
        Some((&s[n..], v))
    }
    let t = s.trim_start();
    let (rest, year) = if let Some(r) = t.strip_prefix('-') {
        let (r, v) = digits(r, usize::MAX)?;
        (r, -v)
    } else if let Some(r) = t.strip_prefix('+') {
        digits(r, usize::MAX)?
    } else {
        digits(t, 4)?
    };
    let (rest, month) = digits(rest.strip_prefix('-')?.trim_start(), 2)?;
    let (rest, day) = digits(rest.strip_prefix('-')?.trim_start(), 2)?;
    if !rest.is_empty() {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

fn clip(s: &str) -> String {
    if s.chars().count() > 40 {
        let head: String = s.chars().take(40).collect();
        format!("{head}…")
    } else {
        s.to_string()
    }
}

/// [`value::read_number`], its problems as answers report them.
fn parse_decimal(t: &str, whole: bool) -> Result<Decimal, Problem> {
    use crate::value::NumberTextError as E;
    value::read_number(t, whole).map_err(|e| {
        let t = clip(t);
        match e {
            E::TooLong => Problem::NumberTooLong(t),
            E::NotANumber => Problem::NotANumber(t),
            E::WholeWithExponent => Problem::WholeWithExponent(t),
            E::TooManyDigits => Problem::TooManyDigits(t),
            E::TooManyPlaces => Problem::TooManyPlaces(t),
            E::OutOfRange => Problem::OutOfRange(t),
            E::OutOfRangeDigits => Problem::OutOfRangeDigits(t),
        }
    })
}

fn check_bounds(d: &Decimal, field: &Field) -> Result<(), Problem> {
    if field.vtype == ValueType::Integer && d.scale() != 0 && !d.fract().is_zero() {
        return Err(Problem::NotWhole(d.normalize().to_string()));
    }
    if let Some(allowed) = &field.allowed {
        if !allowed.contains(d) {
            let allowed = allowed.iter().map(|a| a.normalize().to_string()).collect();
            return Err(Problem::NotAllowed { value: d.normalize().to_string(), allowed });
        }
    }
    if let Some(min) = field.min {
        if crate::value::cmp_num(d, &min).is_lt() {
            let (value, min) = (d.normalize().to_string(), min.normalize().to_string());
            return Err(Problem::BelowMin { value, min });
        }
    }
    if let Some(max) = field.max {
        if crate::value::cmp_num(d, &max).is_gt() {
            let (value, max) = (d.normalize().to_string(), max.normalize().to_string());
            return Err(Problem::AboveMax { value, max });
        }
    }
    Ok(())
}

fn check_length(t: &str, field: &Field) -> Result<(), Problem> {
    if let Some(max) = field.max_len {
        let n = t.chars().count();
        if n > max as usize {
            return Err(Problem::TextTooLong { chars: n, max });
        }
    }
    Ok(())
}

/// Parses one JSON value for a declared field.
pub(crate) fn value_from_json(j: &Json, field: &Field, texts: Texts<'_>) -> Result<Value, Problem> {
    match (j, &field.vtype) {
        (Json::Bool(b), ValueType::Bool) => Ok(Value::Bool(*b)),
        (Json::Number(n), ValueType::Integer | ValueType::Decimal) => value_from_text(&n.to_string(), field, texts),
        (Json::String(s), _) => value_from_text(s, field, texts),
        (Json::Number(n), ValueType::Bool) if n.to_string() == "0" || n.to_string() == "1" => {
            Ok(Value::Bool(n.to_string() == "1"))
        }
        (other, vt) => Err(Problem::WrongKind { expected: vt.clone(), found: JsonKind::of(other) }),
    }
}

/// Converts a value computed by another rule set to this field's type, with
/// the same checks as an answer: texts (grades, enum ids) are read as
/// answers are, yes/no values pass as they are, and numbers and dates go
/// through their text, so a number beyond 28 significant digits or a date
/// outside the years 0–9999 is refused here as it would be in a file.
/// `names` are those of the rule set that computed `v`.
pub(crate) fn value_from_value(v: &Value, names: &Names, field: &Field, texts: Texts<'_>) -> Result<Value, Problem> {
    match (v, &field.vtype) {
        (Value::Bool(_), ValueType::Bool) => Ok(v.clone()),
        (Value::Text(t), _) => value_from_text(t, field, texts),
        (Value::Name(i), _) => value_from_text(names.text(*i), field, texts),
        (other, _) => value_from_json(&names.json(other), field, texts),
    }
}

/// Why a firm's JSON text was refused by [`parse_firm_json`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JsonTextError {
    /// The text is not JSON; serde_json's message, with its line and column.
    #[error("{0}")]
    Syntax(String),
    /// An object names the same key twice, which would keep only one of the
    /// two values without a word.
    #[error("{path}: duplicate key `{key}` at line {line} column {column}; each key may appear once in an object")]
    DuplicateKey {
        /// The object: `(firm)` for the firm itself, else `list[index]` (index from 0).
        path: String,
        /// The key, clipped to 40 characters.
        key: String,
        /// Line of the second occurrence (1-based).
        line: usize,
        /// Column of the closing quote of the second occurrence (1-based, as serde_json counts).
        column: usize,
    },
}

/// Parses a firm's data (or any JSON text) for [`crate::CompiledRules::assess_json`],
/// refusing an object that names a key twice, at any depth.
///
/// `serde_json` keeps the last value of a repeated key silently, so
/// `{"deaths": 1, "deaths": 0}` would be read as no deaths.
pub fn parse_firm_json(text: &str) -> Result<Json, JsonTextError> {
    let json: Json = serde_json::from_str(text).map_err(|e| JsonTextError::Syntax(e.to_string()))?;
    // A second pass that only looks at the keys: the value above is built by
    // serde_json itself, numbers kept exact (`arbitrary_precision`).
    let found = std::cell::RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    if let Err(e) = serde::de::DeserializeSeed::deserialize(UniqueKeys { at: JsonPath::Root, found: &found }, &mut de) {
        return Err(match found.take() {
            Some((path, key)) => JsonTextError::DuplicateKey { path, key, line: e.line(), column: e.column() },
            None => JsonTextError::Syntax(e.to_string()),
        });
    }
    Ok(json)
}

/// Where a value lies in the JSON text, formatted only when it is reported.
#[derive(Clone, Copy)]
enum JsonPath<'a> {
    Root,
    Key(&'a JsonPath<'a>, &'a str),
    Index(&'a JsonPath<'a>, usize),
}

impl std::fmt::Display for JsonPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsonPath::Root => Ok(()),
            JsonPath::Key(JsonPath::Root, k) => f.write_str(k),
            JsonPath::Key(p, k) => write!(f, "{p}.{k}"),
            JsonPath::Index(p, i) => write!(f, "{p}[{i}]"),
        }
    }
}

/// Walks a JSON value, failing at the first object that repeats a key and
/// recording which object and key in `found`. serde_json bounds the depth.
struct UniqueKeys<'a> {
    at: JsonPath<'a>,
    found: &'a std::cell::RefCell<Option<(String, String)>>,
}

impl<'de> serde::de::DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueKeys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while seq.next_element_seed(UniqueKeys { at: JsonPath::Index(&self.at, i), found: self.found })?.is_some() {
            i += 1;
        }
        Ok(())
    }

    /// A number (kept exact by `arbitrary_precision`) arrives here too, as a
    /// map of one private key: one key cannot repeat.
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Most objects have a few keys (a number has one): a list is
        // searched until it has 16, then a set.
        let mut few: Vec<String> = Vec::new();
        let mut many: std::collections::HashSet<String, foldhash::fast::RandomState> = Default::default();
        while let Some(key) = map.next_key::<String>()? {
            if few.contains(&key) || many.contains(&key) {
                let path = self.at.to_string();
                let path = if path.is_empty() { "(firm)".to_string() } else { path };
                *self.found.borrow_mut() = Some((path, clip(&key)));
                return Err(serde::de::Error::custom("duplicate key"));
            }
            map.next_value_seed(UniqueKeys { at: JsonPath::Key(&self.at, &key), found: self.found })?;
            if few.len() < 16 {
                few.push(key);
            } else {
                many.insert(key);
            }
        }
        Ok(())
    }
}

/// Reads a firm from a JSON object. `filled` names inputs a scheme supplies;
/// `check_unknown` reports fields that are neither inputs nor lists (a scheme
/// checks that itself, against all its steps).
pub(crate) fn firm_from_json(
    plan: &Plan,
    json: &Json,
    filled: &[(u32, Value)],
    check_unknown: bool,
) -> Result<Firm, Vec<InputError>> {
    let Json::Object(obj) = json else {
        return Err(vec![InputError::new("(firm)", &Problem::NotAnObject(JsonKind::of(json)))]);
    };
    let mut errors = Vec::new();
    for key in obj.keys().filter(|_| check_unknown) {
        let known = plan.inputs.iter().any(|f| &*f.name == key) || plan.lists.iter().any(|l| &*l.name == key);
        if !known {
            let names = plan.inputs.iter().map(|f| &*f.name).chain(plan.lists.iter().map(|l| &*l.name));
            let hint = crate::diagnostic::did_you_mean(key, names).map(str::to_string);
            errors.push(InputError::new(key.clone(), &Problem::UnknownField(hint)));
        }
    }
    let mut firm = Firm { inputs: Vec::with_capacity(plan.inputs.len()), lists: SmallVec::new(), missing: Vec::new() };
    for (i, field) in plan.inputs.iter().enumerate() {
        if let Some((_, v)) = filled.iter().find(|(k, _)| *k as usize == i) {
            firm.inputs.push(Some(v.clone()));
            continue;
        }
        let raw = obj.get(&*field.name).filter(|v| !v.is_null() && *v != &Json::String(String::new()));
        let v = match raw {
            Some(raw) => match value_from_json(raw, field, plan.texts()) {
                Ok(v) => Some(v),
                Err(m) => {
                    errors.push(InputError::new(&*field.name, &m));
                    None
                }
            },
            None => resolve_missing(field, &field.name, i as u32, &mut firm.missing, &mut errors),
        };
        firm.inputs.push(v);
    }
    for list in &plan.lists {
        let mut records = Vec::new();
        match obj.get(&*list.name) {
            None | Some(Json::Null) => {}
            Some(Json::Array(rows)) if rows.len() > list.max_records as usize => errors.push(InputError::new(
                &*list.name,
                &Problem::TooManyRecords { records: rows.len(), max: list.max_records },
            )),
            Some(Json::Array(rows)) => {
                for (r, row) in rows.iter().enumerate() {
                    match record_from_json(plan, list, row, &format!("{}[{r}]", list.name), &mut errors) {
                        Some(rec) => records.push(rec),
                        None => continue,
                    }
                }
            }
            Some(other) => errors.push(InputError::new(&*list.name, &Problem::NotAList(JsonKind::of(other)))),
        }
        firm.lists.push(records.into());
    }
    if errors.is_empty() {
        Ok(firm)
    } else {
        Err(errors)
    }
}

pub(crate) fn resolve_missing(
    field: &Field,
    path: &str,
    idx: u32,
    missing: &mut Vec<(u32, MissingTreatment)>,
    errors: &mut Vec<InputError>,
) -> Option<Value> {
    match &field.missing {
        Missing::Required => {
            errors.push(InputError::new(path, &Problem::Required));
            None
        }
        Missing::Default(v) => {
            missing.push((idx, MissingTreatment::Default));
            Some(v.clone())
        }
        Missing::NotApplicable => {
            missing.push((idx, MissingTreatment::NotApplicable));
            None
        }
        Missing::Penalty(_) => {
            missing.push((idx, MissingTreatment::Penalty));
            None
        }
    }
}

pub(crate) fn record_from_json(
    plan: &Plan,
    list: &crate::plan::ListDef,
    row: &Json,
    path: &str,
    errors: &mut Vec<InputError>,
) -> Option<Box<[Value]>> {
    let Json::Object(obj) = row else {
        errors.push(InputError::new(path, &Problem::NotAnObject(JsonKind::of(row))));
        return None;
    };
    let before = errors.len();
    for key in obj.keys() {
        if !list.fields.iter().any(|f| &*f.name == key) {
            let hint = crate::diagnostic::did_you_mean(key, list.fields.iter().map(|f| &*f.name)).map(str::to_string);
            errors.push(InputError::new(format!("{path}.{key}"), &Problem::UnknownField(hint)));
        }
    }
    let mut rec = Vec::with_capacity(list.fields.len() + list.derived.len());
    for field in &list.fields {
        let fpath = format!("{path}.{}", field.name);
        let raw = obj.get(&*field.name).filter(|v| !v.is_null() && *v != &Json::String(String::new()));
        let v = match raw {
            Some(raw) => {
                value_from_json(raw, field, plan.texts()).map_err(|m| errors.push(InputError::new(&fpath, &m))).ok()
            }
            None => record_missing(field, &fpath, errors),
        };
        rec.push(v.unwrap_or(Value::Bool(false)));
    }
    (errors.len() == before).then(|| rec.into_boxed_slice())
}

/// A missing list field: its default, or an error.
pub(crate) fn record_missing(field: &Field, path: &str, errors: &mut Vec<InputError>) -> Option<Value> {
    match &field.missing {
        Missing::Default(v) => Some(v.clone()),
        _ => {
            errors.push(InputError::new(path, &Problem::Required));
            None
        }
    }
}

/// Converts a TOML value (rule-file defaults, test inputs) to JSON, keeping
/// numbers exact: floats go through their shortest decimal text.
pub(crate) fn toml_to_json(v: &toml::Value) -> Json {
    match v {
        toml::Value::String(s) => Json::String(s.clone()),
        toml::Value::Integer(i) => Json::Number((*i).into()),
        toml::Value::Float(f) => serde_json::from_str::<Json>(&format!("{f}")).unwrap_or(Json::String(format!("{f}"))),
        toml::Value::Boolean(b) => Json::Bool(*b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(a) => Json::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Json::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// No enum types and no names: fields of other types read without them.
    fn no_texts() -> Texts<'static> {
        static NAMES: std::sync::LazyLock<Names> = std::sync::LazyLock::new(Names::default);
        Texts { enums: &[], names: &NAMES }
    }

    #[test]
    fn a_repeated_key_is_named_with_its_object_and_position() {
        let err = parse_firm_json("{\"x\": 1, \"x\": 2}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "(firm): duplicate key `x` at line 1 column 12; each key may appear once in an object"
        );
        let text = "{\"accidents\": [\n  {\"deaths\": 1},\n  {\"deaths\": 1, \"deaths\": 0}\n]}";
        let err = parse_firm_json(text).unwrap_err();
        assert_eq!(
            err,
            JsonTextError::DuplicateKey { path: "accidents[1]".into(), key: "deaths".into(), line: 3, column: 24 }
        );
        // Escapes are read before keys are compared.
        let err = parse_firm_json(r#"{"a": {"k": 1, "\u006b": 2}}"#).unwrap_err();
        assert!(
            matches!(err, JsonTextError::DuplicateKey { ref path, ref key, .. } if path == "a" && key == "k"),
            "{err}"
        );
    }

    #[test]
    fn firm_json_text_keeps_numbers_exact_and_refuses_what_serde_json_refuses() {
        let text = r#"{"x": 0.1000000000000000000000000001, "y": 1e2, "z": [1, {"x": null}], "w": {"x": "x"}}"#;
        assert_eq!(parse_firm_json(text).unwrap(), serde_json::from_str::<Json>(text).unwrap());
        assert_eq!(parse_firm_json(text).unwrap()["x"].to_string(), "0.1000000000000000000000000001");
        let err = parse_firm_json("{\"x\": ").unwrap_err();
        assert_eq!(err, JsonTextError::Syntax("EOF while parsing a value at line 1 column 6".into()));
        // Nesting beyond serde_json's limit is an error, not a stack overflow.
        let deep = "[".repeat(100_000);
        assert!(matches!(parse_firm_json(&deep), Err(JsonTextError::Syntax(_))));
        let deep = format!("{}1{}", "[".repeat(127), "]".repeat(127));
        assert!(parse_firm_json(&deep).is_ok());
    }

    #[test]
    fn whole_numbers_are_never_read_from_an_exponent() {
        let int = Field::plain("n", ValueType::Integer);
        let dec = Field::plain("n", ValueType::Decimal);
        for t in ["1e2", "1E2", "+1e2", "-1e0", "1.2e1", " 1e2 ", "1e", "1e400"] {
            let expected = format!("expected a whole number like 12, found `{}` (exponents are not read)", t.trim());
            assert_eq!(value_from_text(t, &int, no_texts()).map_err(|p| p.en()), Err(expected.clone()), "{t}");
            // JSON numbers keep their text (`arbitrary_precision`), so `1e2` is refused there too.
            // (serde_json writes the exponent's sign: `1e+2`.)
            if let Ok(j) = serde_json::from_str::<Json>(t) {
                let err = value_from_json(&j, &int, no_texts()).unwrap_err().en();
                assert!(err.starts_with("expected a whole number like 12, found `") && err.contains('e'), "{t}: {err}");
            }
        }
        assert_eq!(value_from_text("1e2", &dec, no_texts()), Ok(Value::Num(Decimal::from(100))));
        assert_eq!(
            value_from_json(&serde_json::from_str("1.5e1").unwrap(), &dec, no_texts()),
            Ok(Value::Num("15".parse().unwrap()))
        );
        // A zero fraction is a whole number, as before; another fraction is not.
        assert_eq!(value_from_text("12.0", &int, no_texts()), Ok(Value::Num("12.0".parse().unwrap())));
        assert_eq!(
            value_from_json(&serde_json::from_str("12.0").unwrap(), &int, no_texts()),
            Ok(Value::Num("12.0".parse().unwrap()))
        );
        let message = |t: &str| value_from_text(t, &int, no_texts()).map_err(|p| p.en());
        assert_eq!(message("12.5"), Err("expected a whole number, found `12.5`".into()));
        assert_eq!(message("abc"), Err("expected a number, found `abc`".into()));
    }

    proptest! {
        /// A whole-number field reads a number as a decimal field does when it
        /// has no exponent and no fraction but zeros, and refuses it otherwise.
        #[test]
        fn whole_number_fields_read_decimals_without_exponents_or_fractions(
            t in "[-+]?[0-9]{1,3}(\\.[0-9]{0,2})?([eE][-+]?[0-9]{0,2})?",
        ) {
            let int = value_from_text(&t, &Field::plain("n", ValueType::Integer), no_texts());
            let dec = value_from_text(&t, &Field::plain("n", ValueType::Decimal), no_texts());
            if t.contains(['e', 'E']) {
                prop_assert!(int.as_ref().is_err_and(|m| m.en().starts_with("expected a whole number like 12")), "{t}: {int:?}");
            } else {
                match &dec {
                    Ok(Value::Num(d)) if d.fract().is_zero() => prop_assert_eq!(&int, &dec),
                    _ => prop_assert!(int.is_err(), "{t}: {int:?}"),
                }
            }
        }

        /// The whole-number shortcut reads what the general parser reads.
        #[test]
        fn plain_integers_parse_as_decimals(t in "[-+]?[0-9]{1,20}") {
            let general = <Decimal as std::str::FromStr>::from_str(t.strip_prefix('+').unwrap_or(&t)).ok();
            let fast = parse_decimal(&t, false).ok();
            prop_assert_eq!(parse_decimal(&t, true).ok(), general);
            prop_assert_eq!(fast, general);
        }

        /// The shortcut trims what `str::trim` trims.
        #[test]
        fn trim_agrees_with_str_trim(s in "[ \t\n\u{3000}\u{a0}\u{85}\u{1680}\u{2000}\u{205f}é]{0,2}[a-z是否 \u{3000}\u{2028}\u{202f}]{0,4}[ \t\r\u{3000}\u{202f}\u{2029}\u{a0}\u{e9}]{0,2}") {
            prop_assert_eq!(trim(&s), s.trim());
        }

        /// The inlined common cases read what the general reader reads, errors included.
        #[test]
        fn common_cells_read_as_the_general_reader_reads_them(
            t in "[ \u{3000}]?(是|否|true|no|Y|x|[-+]?[0-9]{1,3}(\\.0{0,2})?|0\\.5|[-+]?[0-9]{1,2}(\\.[0-9])?[eE][-+]?[0-9]{0,2}|e|E2|20[0-9]{2}-[01][0-9]-[0-3][0-9]|2024-2-29|)[ ]?",
            integer in any::<bool>(),
            min in prop::option::of(-5i64..5),
            max in prop::option::of(0i64..200),
            allowed in any::<bool>(),
        ) {
            for vtype in [ValueType::Bool, ValueType::Date, if integer { ValueType::Integer } else { ValueType::Decimal }] {
                let field = Field {
                    name: "x".into(),
                    vtype,
                    label: Default::default(),
                    help: None,
                    group: None,
                    min: min.map(Decimal::from),
                    max: max.map(Decimal::from),
                    allowed: allowed.then(|| vec![Decimal::ZERO, Decimal::from(7)]),
                    max_len: None,
                    missing: crate::plan::Missing::Required,
                    from: None,
                };
                let mut general = Value::Bool(false);
                let general = parse_text(&t, trim(&t), &field, no_texts(), &mut general).map(|()| general);
                prop_assert_eq!(value_from_text(&t, &field, no_texts()), general);
            }
        }

        /// Objects whose keys are unique read as serde_json reads them; an
        /// object repeating a key, at the top or in a record, is refused naming it.
        #[test]
        fn repeated_keys_are_refused_and_others_read_as_serde_json_reads_them(
            keys in prop::collection::vec("[ab\u{00e9}]{1,2}", 0..5),
            nested in any::<bool>(),
        ) {
            let fields: Vec<String> = keys.iter().enumerate().map(|(i, k)| format!("\"{k}\": {i}.50")).collect();
            let object = format!("{{{}}}", fields.join(", "));
            let text = if nested { format!("{{\"l\": [{{}}, {object}], \"n\": 1e2}}") } else { object };
            let unique = keys.iter().collect::<std::collections::HashSet<_>>().len() == keys.len();
            match parse_firm_json(&text) {
                Ok(json) => {
                    prop_assert!(unique, "{text}");
                    prop_assert_eq!(json, serde_json::from_str::<Json>(&text).unwrap());
                }
                Err(JsonTextError::DuplicateKey { path, key, line, .. }) => {
                    prop_assert!(!unique, "{text}");
                    prop_assert_eq!(path, if nested { "l[1]" } else { "(firm)" });
                    prop_assert!(keys.contains(&key));
                    prop_assert_eq!(line, 1);
                }
                Err(e) => prop_assert!(false, "{text}: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod date_literal_tests {
    use super::parse_date_literal;
    use chrono::NaiveDate;

    #[test]
    fn reads_dates_as_chrono_does() {
        let cases = [
            "2024-01-05",
            "2024-1-5",
            " 2024- 1- 5",
            "+2024-01-01",
            "-001-01-01",
            "+12345-1-1",
            "- 2024-01-01",
            "20245-01-01",
            "2024-13-01",
            "2024-02-30",
            "2024-02-29",
            "2023-02-29",
            "2024-01-05 ",
            "2024-01-005",
            "2024/01/05",
            "",
            "-",
            "2024",
            "2024-",
            "2024-01",
            "2024-01-",
            "0000-01-01",
            "99999999999-01-01",
            "+99999999999999999999-01-01",
            "\u{3000}2024-01-01",
            "2024-01-0x",
            "0-1-1",
            "+0-01-01",
            "2024--01-01",
        ];
        for c in cases {
            assert_eq!(parse_date_literal(c), NaiveDate::parse_from_str(c, "%Y-%m-%d").ok(), "{c:?}");
        }
    }
}
