//! Reads a rule file's TOML tree into the [`document`](super::document)
//! structs by hand.
//!
//! toml parses the text once into its spanned tree (`DeTable`); this module
//! walks it with one plain function per struct, so the checker (and the
//! portal's wasm) carries no serde deserializer for each type. The
//! messages are serde's: ``unknown field `x`, expected one of …`` at the
//! key, `invalid type: string "no", expected a boolean` at the value,
//! ``missing field `x` `` at the table; the first in the file's order wins.

use std::ops::Range;

use indexmap::IndexMap;
use toml::de::{DeInteger, DeTable, DeValue};
use toml::value::Datetime;
use toml::Spanned;

use super::document::{
    Document, EnumOption, Expect, Function, Grade, Group, Input, Item, List, Meta, Override, Results, Round, SExpr,
    SString, SValue, SchemeMeta, Score, ScoreGroup, Step, Table, Test, Text,
};

/// Why the tree does not have the document's shape, and where.
#[derive(Debug)]
pub(crate) struct Fault {
    pub(crate) message: String,
    pub(crate) span: Range<usize>,
}

type R<T> = Result<T, Fault>;
type V<'i> = Spanned<DeValue<'i>>;

fn fault(span: Range<usize>, message: String) -> Fault {
    Fault { message, span }
}

/// Reads a whole rule file from its parsed tree.
pub(crate) fn document(root: Spanned<DeTable<'_>>) -> R<Document> {
    let span = root.span();
    read_document(Spanned::new(span, DeValue::Table(root.into_inner())))
}

enum Int {
    Signed(i64),
    Unsigned(u64),
}

fn integer(span: &Range<usize>, i: &DeInteger<'_>) -> R<Int> {
    if let Ok(n) = i64::from_str_radix(i.as_str(), i.radix()) {
        Ok(Int::Signed(n))
    } else if let Ok(n) = u64::from_str_radix(i.as_str(), i.radix()) {
        Ok(Int::Unsigned(n))
    } else {
        Err(fault(span.clone(), "integer number overflowed".into()))
    }
}

fn float(span: &Range<usize>, text: &str) -> R<f64> {
    match text.parse::<f64>() {
        Ok(f) if !f.is_infinite() || text.contains("inf") => Ok(f),
        _ => Err(fault(span.clone(), "floating-point number overflowed".into())),
    }
}

/// What was found instead, as serde words it.
fn unexpected(span: &Range<usize>, v: &DeValue<'_>) -> R<String> {
    Ok(match v {
        DeValue::String(s) => format!("string {:?}", s.as_ref()),
        DeValue::Integer(i) => match integer(span, i)? {
            Int::Signed(n) => format!("integer `{n}`"),
            Int::Unsigned(n) => format!("integer `{n}`"),
        },
        DeValue::Float(f) => floating(float(span, f.as_str())?),
        DeValue::Boolean(b) => format!("boolean `{b}`"),
        DeValue::Datetime(d) => format!("datetime `{d}`"),
        DeValue::Array(_) => "sequence".into(),
        DeValue::Table(_) => "map".into(),
    })
}

fn floating(f: f64) -> String {
    let mut t = f.to_string();
    if f.is_finite() && !t.contains('.') {
        t.push_str(".0");
    }
    format!("floating point `{t}`")
}

fn invalid(span: Range<usize>, v: &DeValue<'_>, expected: &str) -> Fault {
    match unexpected(&span, v) {
        Ok(u) => fault(span, format!("invalid type: {u}, expected {expected}")),
        Err(f) => f,
    }
}

fn string(v: V<'_>) -> R<String> {
    let span = v.span();
    match v.into_inner() {
        DeValue::String(s) => Ok(s.into_owned()),
        other => Err(invalid(span, &other, "a string")),
    }
}

fn sstring(v: V<'_>) -> R<SString> {
    let span = v.span();
    Ok(Spanned::new(span, string(v)?))
}

fn boolean(v: V<'_>) -> R<bool> {
    match v.get_ref() {
        DeValue::Boolean(b) => Ok(*b),
        other => Err(invalid(v.span(), other, "a boolean")),
    }
}

fn uint(v: V<'_>) -> R<u32> {
    let span = v.span();
    match v.get_ref() {
        DeValue::Integer(i) => {
            let (n, text) = match integer(&span, i)? {
                Int::Signed(n) => (u32::try_from(n).ok(), n.to_string()),
                Int::Unsigned(n) => (u32::try_from(n).ok(), n.to_string()),
            };
            n.ok_or_else(|| fault(span, format!("invalid value: integer `{text}`, expected u32")))
        }
        other => Err(invalid(span.clone(), other, "u32")),
    }
}

fn suint(v: V<'_>) -> R<Spanned<u32>> {
    let span = v.span();
    Ok(Spanned::new(span, uint(v)?))
}

fn datetime(v: V<'_>) -> R<Datetime> {
    match v.get_ref() {
        DeValue::Datetime(d) => Ok(*d),
        other => Err(invalid(v.span(), other, "a TOML datetime")),
    }
}

fn sdatetime(v: V<'_>) -> R<Spanned<Datetime>> {
    let span = v.span();
    Ok(Spanned::new(span, datetime(v)?))
}

/// Any TOML value.
fn value(v: V<'_>) -> R<toml::Value> {
    let span = v.span();
    Ok(match v.into_inner() {
        DeValue::String(s) => toml::Value::String(s.into_owned()),
        DeValue::Integer(i) => match integer(&span, &i)? {
            Int::Signed(n) => toml::Value::Integer(n),
            Int::Unsigned(_) => return Err(fault(span, "u64 value was too large".into())),
        },
        DeValue::Float(f) => toml::Value::Float(float(&span, f.as_str())?),
        DeValue::Boolean(b) => toml::Value::Boolean(b),
        DeValue::Datetime(d) => toml::Value::Datetime(d),
        DeValue::Array(a) => toml::Value::Array(a.into_iter().map(value).collect::<R<_>>()?),
        DeValue::Table(t) => toml::Value::Table(table_of(t)?),
    })
}

fn table_of(t: DeTable<'_>) -> R<toml::Table> {
    let mut out = toml::Table::new();
    for (k, x) in t {
        out.insert(k.into_inner().into_owned(), value(x)?);
    }
    Ok(out)
}

fn svalue(v: V<'_>) -> R<SValue> {
    let span = v.span();
    Ok(Spanned::new(span, value(v)?))
}

fn table(v: V<'_>) -> R<toml::Table> {
    let span = v.span();
    match v.into_inner() {
        DeValue::Table(t) => table_of(t),
        other => Err(invalid(span, &other, "a map")),
    }
}

fn sexpr(v: V<'_>) -> R<SExpr> {
    Ok(SExpr { value: svalue(v)?, tree: None })
}

fn seq<T>(v: V<'_>, each: fn(V<'_>) -> R<T>) -> R<Vec<T>> {
    let span = v.span();
    match v.into_inner() {
        DeValue::Array(a) => a.into_iter().map(each).collect(),
        other => Err(invalid(span, &other, "a sequence")),
    }
}

fn map<T>(v: V<'_>, each: fn(V<'_>) -> R<T>) -> R<IndexMap<SString, T>> {
    let span = v.span();
    match v.into_inner() {
        DeValue::Table(t) => {
            let mut out = IndexMap::with_capacity(t.len());
            for (k, x) in t {
                let key = Spanned::new(k.span(), k.into_inner().into_owned());
                out.insert(key, each(x)?);
            }
            Ok(out)
        }
        other => Err(invalid(span, &other, "a map")),
    }
}

fn spanned<T>(v: V<'_>, read: fn(V<'_>) -> R<T>) -> R<Spanned<T>> {
    let span = v.span();
    Ok(Spanned::new(span, read(v)?))
}

/// Every integer and float in `v` is one TOML's reader can hold.
fn numbers_fit(v: &V<'_>) -> R<()> {
    match v.get_ref() {
        DeValue::Integer(_) | DeValue::Float(_) => unexpected(&v.span(), v.get_ref()).map(drop),
        DeValue::Array(a) => a.iter().try_for_each(numbers_fit),
        DeValue::Table(t) => t.values().try_for_each(numbers_fit),
        _ => Ok(()),
    }
}

/// Text: a string, or a table with `zh` and optionally `en` (other keys
/// are ignored).
fn text(v: V<'_>) -> R<Text> {
    // serde reads the whole value before trying each form: a number too
    // large is reported as such, wherever it is.
    numbers_fit(&v)?;
    let span = v.span();
    let mismatch = || fault(span.clone(), "data did not match any variant of untagged enum Text".into());
    match v.into_inner() {
        DeValue::String(s) => Ok(Text::Plain(s.into_owned())),
        DeValue::Table(t) => {
            let (mut zh, mut en) = (None, None);
            for (k, x) in t {
                let slot = match k.get_ref().as_ref() {
                    "zh" => &mut zh,
                    "en" => &mut en,
                    _ => continue,
                };
                match x.into_inner() {
                    DeValue::String(s) => *slot = Some(s.into_owned()),
                    _ => return Err(mismatch()),
                }
            }
            Ok(Text::Translated { zh: zh.ok_or_else(mismatch)?, en })
        }
        _ => Err(mismatch()),
    }
}

/// Walks a table that must be the struct `name` with `fields`: an unknown
/// key is an error at the key; `each` reads a known key's value. Returns
/// the table's span, where a missing field is reported.
fn record<'i>(v: V<'i>, name: &str, fields: &[&str], each: &mut dyn FnMut(&str, V<'i>) -> R<()>) -> R<Range<usize>> {
    let span = v.span();
    let t = match v.into_inner() {
        DeValue::Table(t) => t,
        other => return Err(invalid(span, &other, &format!("struct {name}"))),
    };
    for (k, x) in t {
        let key = k.get_ref().as_ref();
        if !fields.contains(&key) {
            return Err(fault(k.span(), unknown_field(key, fields)));
        }
        each(key, x)?;
    }
    Ok(span)
}

fn unknown_field(key: &str, fields: &[&str]) -> String {
    let quoted: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    match quoted.as_slice() {
        [] => format!("unknown field `{key}`, there are no fields"),
        [one] => format!("unknown field `{key}`, expected {one}"),
        [a, b] => format!("unknown field `{key}`, expected {a} or {b}"),
        all => format!("unknown field `{key}`, expected one of {}", all.join(", ")),
    }
}

fn required<T>(x: Option<T>, field: &str, span: &Range<usize>) -> R<T> {
    x.ok_or_else(|| fault(span.clone(), format!("missing field `{field}`")))
}

/// Declares one `Option` per field, walks the table, and gives the span
/// and the fields read: `record!(v, "Meta", { id: "id" => sstring, ... })`.
macro_rules! record {
    ($v:expr, $name:literal, { $($field:ident : $key:literal => $read:expr),* $(,)? }) => {{
        $(let mut $field = None;)*
        let span = record($v, $name, &[$($key),*], &mut |key, x| {
            $(if key == $key {
                $field = Some(($read)(x)?);
                return Ok(());
            })*
            Ok(())
        })?;
        (span, $($field),*)
    }};
}

fn read_document(v: V<'_>) -> R<Document> {
    let (
        _span,
        ruleset,
        scheme,
        steps,
        groups,
        inputs,
        lists,
        tables,
        functions,
        derived,
        items,
        score_groups,
        score,
        grades,
        overrides,
        results,
        tests,
    ) = record!(v, "Document", {
        ruleset: "ruleset" => |x| spanned(x, meta),
        scheme: "scheme" => |x| spanned(x, scheme_meta),
        steps: "steps" => |x| seq(x, |y| spanned(y, step)),
        groups: "groups" => |x| map(x, group),
        inputs: "inputs" => |x| map(x, |y| spanned(y, input)),
        lists: "lists" => |x| map(x, |y| spanned(y, list)),
        tables: "tables" => |x| map(x, |y| spanned(y, table_decl)),
        functions: "functions" => |x| map(x, |y| spanned(y, function)),
        derived: "derived" => |x| map(x, sexpr),
        items: "items" => |x| seq(x, |y| spanned(y, item)),
        score_groups: "score_groups" => |x| map(x, |y| spanned(y, score_group)),
        score: "score" => |x| spanned(x, score_decl),
        grades: "grades" => |x| seq(x, |y| spanned(y, grade)),
        overrides: "overrides" => |x| seq(x, |y| spanned(y, override_decl)),
        results: "results" => |x| spanned(x, results_decl),
        tests: "tests" => |x| seq(x, |y| spanned(y, test)),
    });
    Ok(Document {
        ruleset,
        scheme,
        steps: steps.unwrap_or_default(),
        groups: groups.unwrap_or_default(),
        inputs: inputs.unwrap_or_default(),
        lists: lists.unwrap_or_default(),
        tables: tables.unwrap_or_default(),
        functions: functions.unwrap_or_default(),
        derived: derived.unwrap_or_default(),
        items: items.unwrap_or_default(),
        score_groups: score_groups.unwrap_or_default(),
        score,
        grades: grades.unwrap_or_default(),
        overrides: overrides.unwrap_or_default(),
        results,
        tests: tests.unwrap_or_default(),
    })
}

fn meta(v: V<'_>) -> R<Meta> {
    let (span, id, name, version, kind, effective_from, effective_to, sources, notes, include) = record!(v, "Meta", {
        id: "id" => sstring,
        name: "name" => text,
        version: "version" => sstring,
        kind: "kind" => sstring,
        effective_from: "effective_from" => sdatetime,
        effective_to: "effective_to" => sdatetime,
        sources: "sources" => |x| seq(x, string),
        notes: "notes" => string,
        include: "include" => |x| seq(x, sstring),
    });
    Ok(Meta {
        id: required(id, "id", &span)?,
        name: required(name, "name", &span)?,
        version: required(version, "version", &span)?,
        kind,
        effective_from,
        effective_to,
        sources: sources.unwrap_or_default(),
        notes,
        include: include.unwrap_or_default(),
    })
}

fn scheme_meta(v: V<'_>) -> R<SchemeMeta> {
    let (span, id, name, version, notes) = record!(v, "SchemeMeta", {
        id: "id" => sstring,
        name: "name" => text,
        version: "version" => sstring,
        notes: "notes" => string,
    });
    Ok(SchemeMeta {
        id: required(id, "id", &span)?,
        name: required(name, "name", &span)?,
        version: required(version, "version", &span)?,
        notes,
    })
}

fn step(v: V<'_>) -> R<Step> {
    let (span, alias, rules) = record!(v, "Step", { alias: "as" => sstring, rules: "rules" => sstring });
    Ok(Step { alias: required(alias, "as", &span)?, rules: required(rules, "rules", &span)? })
}

fn group(v: V<'_>) -> R<Group> {
    let (span, label, help) = record!(v, "Group", { label: "label" => text, help: "help" => text });
    Ok(Group { label: required(label, "label", &span)?, help })
}

fn input(v: V<'_>) -> R<Input> {
    let (span, ty, label, help, group, min, max, allowed, max_len, options, missing, from) = record!(v, "Input", {
        ty: "type" => sstring,
        label: "label" => text,
        help: "help" => text,
        group: "group" => sstring,
        min: "min" => svalue,
        max: "max" => svalue,
        allowed: "allowed" => |x| spanned(x, |y| seq(y, svalue)),
        max_len: "max_len" => suint,
        options: "options" => |x| seq(x, |y| spanned(y, enum_option)),
        missing: "missing" => svalue,
        from: "from" => sstring,
    });
    Ok(Input {
        ty: required(ty, "type", &span)?,
        label,
        help,
        group,
        min,
        max,
        allowed,
        max_len,
        options: options.unwrap_or_default(),
        missing,
        from,
    })
}

fn enum_option(v: V<'_>) -> R<EnumOption> {
    let (span, id, label) = record!(v, "EnumOption", { id: "id" => sstring, label: "label" => text });
    Ok(EnumOption { id: required(id, "id", &span)?, label: required(label, "label", &span)? })
}

fn list(v: V<'_>) -> R<List> {
    let (_span, label, help, group, max_records, fields, derived) = record!(v, "List", {
        label: "label" => text,
        help: "help" => text,
        group: "group" => sstring,
        max_records: "max_records" => suint,
        fields: "fields" => |x| map(x, |y| spanned(y, input)),
        derived: "derived" => |x| map(x, sexpr),
    });
    Ok(List {
        label,
        help,
        group,
        max_records,
        fields: fields.unwrap_or_default(),
        derived: derived.unwrap_or_default(),
    })
}

fn row(v: V<'_>) -> R<IndexMap<String, SValue>> {
    let span = v.span();
    match v.into_inner() {
        DeValue::Table(t) => {
            let mut out = IndexMap::with_capacity(t.len());
            for (k, x) in t {
                out.insert(k.into_inner().into_owned(), svalue(x)?);
            }
            Ok(out)
        }
        other => Err(invalid(span, &other, "a map")),
    }
}

fn table_decl(v: V<'_>) -> R<Table> {
    let (span, key, columns, rows, cite) = record!(v, "Table", {
        key: "key" => sstring,
        columns: "columns" => |x| map(x, sstring),
        rows: "rows" => |x| seq(x, |y| spanned(y, row)),
        cite: "cite" => string,
    });
    Ok(Table {
        key: required(key, "key", &span)?,
        columns: required(columns, "columns", &span)?,
        rows: rows.unwrap_or_default(),
        cite,
    })
}

fn function(v: V<'_>) -> R<Function> {
    let (span, params, returns, body, cite) = record!(v, "Function", {
        params: "params" => |x| map(x, sstring),
        returns: "returns" => sstring,
        body: "body" => sexpr,
        cite: "cite" => string,
    });
    Ok(Function {
        params: params.unwrap_or_default(),
        returns: required(returns, "returns", &span)?,
        body: required(body, "body", &span)?,
        cite,
    })
}

fn item(v: V<'_>) -> R<Item> {
    let (span, id, group, label, when, points, cap, min, max, cite, advice, fixable) = record!(v, "Item", {
        id: "id" => sstring,
        group: "group" => sstring,
        label: "label" => text,
        when: "when" => sexpr,
        points: "points" => sexpr,
        cap: "cap" => svalue,
        min: "min" => svalue,
        max: "max" => svalue,
        cite: "cite" => string,
        advice: "advice" => text,
        fixable: "fixable" => boolean,
    });
    Ok(Item {
        id: required(id, "id", &span)?,
        group,
        label: required(label, "label", &span)?,
        when,
        points,
        cap,
        min,
        max,
        cite,
        advice,
        fixable,
    })
}

fn score_group(v: V<'_>) -> R<ScoreGroup> {
    let (_span, label, cap, min, max, cite) = record!(v, "ScoreGroup", {
        label: "label" => text,
        cap: "cap" => svalue,
        min: "min" => svalue,
        max: "max" => svalue,
        cite: "cite" => string,
    });
    Ok(ScoreGroup { label, cap, min, max, cite })
}

fn score_decl(v: V<'_>) -> R<Score> {
    let (span, base, min, max, round) = record!(v, "Score", {
        base: "base" => sexpr,
        min: "min" => svalue,
        max: "max" => svalue,
        round: "round" => |x| spanned(x, read_round),
    });
    Ok(Score { base: required(base, "base", &span)?, min, max, round })
}

fn read_round(v: V<'_>) -> R<Round> {
    let (span, places, mode, at) = record!(v, "Round", {
        places: "places" => suint,
        mode: "mode" => sstring,
        at: "at" => sstring,
    });
    Ok(Round {
        places: required(places, "places", &span)?,
        mode: required(mode, "mode", &span)?,
        at: required(at, "at", &span)?,
    })
}

fn grade(v: V<'_>) -> R<Grade> {
    let (span, id, label, color, min, above, max, below, override_only, cite) = record!(v, "Grade", {
        id: "id" => sstring,
        label: "label" => text,
        color: "color" => sstring,
        min: "min" => svalue,
        above: "above" => svalue,
        max: "max" => svalue,
        below: "below" => svalue,
        override_only: "override_only" => boolean,
        cite: "cite" => string,
    });
    Ok(Grade {
        id: required(id, "id", &span)?,
        label: required(label, "label", &span)?,
        color,
        min,
        above,
        max,
        below,
        override_only: override_only.unwrap_or_default(),
        cite,
    })
}

fn override_decl(v: V<'_>) -> R<Override> {
    let (span, id, when, force, ceiling, floor, down, reason, cite) = record!(v, "Override", {
        id: "id" => sstring,
        when: "when" => sexpr,
        force: "force" => sstring,
        ceiling: "ceiling" => sstring,
        floor: "floor" => sstring,
        down: "down" => suint,
        reason: "reason" => text,
        cite: "cite" => string,
    });
    Ok(Override {
        id: required(id, "id", &span)?,
        when: required(when, "when", &span)?,
        force,
        ceiling,
        floor,
        down,
        reason: required(reason, "reason", &span)?,
        cite,
    })
}

fn results_decl(v: V<'_>) -> R<Results> {
    let (span, columns, blank_when_grade, labels) = record!(v, "Results", {
        columns: "columns" => |x| seq(x, sstring),
        blank_when_grade: "blank_when_grade" => |x| seq(x, sstring),
        labels: "labels" => |x| map(x, text),
    });
    Ok(Results {
        columns: required(columns, "columns", &span)?,
        blank_when_grade: blank_when_grade.unwrap_or_default(),
        labels: labels.unwrap_or_default(),
    })
}

fn test(v: V<'_>) -> R<Test> {
    let (span, name, as_of, input, expect) = record!(v, "Test", {
        name: "name" => string,
        as_of: "as_of" => datetime,
        input: "input" => table,
        expect: "expect" => |x| spanned(x, read_expect),
    });
    Ok(Test {
        name: required(name, "name", &span)?,
        as_of,
        input: input.unwrap_or_default(),
        expect: required(expect, "expect", &span)?,
    })
}

fn strings(v: V<'_>) -> R<Vec<String>> {
    seq(v, string)
}

const EXPECT_FIELDS: [&str; 10] =
    ["grade", "score", "fired", "overrides", "values", "missing", "error", "needs", "unfixable", "steps"];

fn read_expect(v: V<'_>) -> R<Expect> {
    let (_span, grade, score, fired, overrides, values, missing, error, needs, unfixable, steps) = record!(v, "Expect", {
        grade: "grade" => string,
        score: "score" => value,
        fired: "fired" => strings,
        overrides: "overrides" => strings,
        values: "values" => table,
        missing: "missing" => strings,
        error: "error" => string,
        needs: "needs" => strings,
        unfixable: "unfixable" => strings,
        steps: "steps" => table,
    });
    Ok(Expect { grade, score, fired, overrides, values, missing, error, needs, unfixable, steps })
}

/// A step's expectation, from a test's `steps` table (a TOML value with no
/// spans): the same shape and messages as `[tests.expect]`.
pub(crate) fn expect_value(v: &toml::Value) -> Result<Expect, String> {
    let kind = |v: &toml::Value| match v {
        toml::Value::String(s) => format!("string {s:?}"),
        toml::Value::Integer(n) => format!("integer `{n}`"),
        toml::Value::Float(f) => floating(*f),
        toml::Value::Boolean(b) => format!("boolean `{b}`"),
        toml::Value::Datetime(d) => format!("datetime `{d}`"),
        toml::Value::Array(_) => "sequence".into(),
        toml::Value::Table(_) => "map".into(),
    };
    let invalid = |v: &toml::Value, expected: &str| format!("invalid type: {}, expected {expected}", kind(v));
    let string = |v: &toml::Value| match v {
        toml::Value::String(s) => Ok(s.clone()),
        other => Err(invalid(other, "a string")),
    };
    let strings = |v: &toml::Value| match v {
        toml::Value::Array(a) => a.iter().map(string).collect::<Result<Vec<_>, _>>(),
        other => Err(invalid(other, "a sequence")),
    };
    let table = |v: &toml::Value| match v {
        toml::Value::Table(t) => Ok(t.clone()),
        other => Err(invalid(other, "a map")),
    };
    let toml::Value::Table(t) = v else {
        return Err(invalid(v, "struct Expect"));
    };
    let mut e = Expect {
        grade: None,
        score: None,
        fired: None,
        overrides: None,
        values: None,
        missing: None,
        error: None,
        needs: None,
        unfixable: None,
        steps: None,
    };
    for (k, x) in t {
        match k.as_str() {
            "grade" => e.grade = Some(string(x)?),
            "score" => e.score = Some(x.clone()),
            "fired" => e.fired = Some(strings(x)?),
            "overrides" => e.overrides = Some(strings(x)?),
            "values" => e.values = Some(table(x)?),
            "missing" => e.missing = Some(strings(x)?),
            "error" => e.error = Some(string(x)?),
            "needs" => e.needs = Some(strings(x)?),
            "unfixable" => e.unfixable = Some(strings(x)?),
            "steps" => e.steps = Some(table(x)?),
            other => return Err(unknown_field(other, &EXPECT_FIELDS)),
        }
    }
    Ok(e)
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
