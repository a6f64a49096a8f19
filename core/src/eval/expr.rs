//! The expression interpreter: plan nodes to values for one firm.
//!
//! Evaluation is a walk over the node tree. It cannot loop (there are no
//! loops, functions are not recursive, aggregates visit each record once) and
//! cannot overflow its stack (expression depth is bounded by the parser).
//! Every failure is an [`ExprError`], never a panic.

use std::cell::Cell;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::plan::{AggKind, ArithOp, Builtin, CmpOp, Node, Plan};
use crate::value::{self, ArithError, Duration, Value};

/// Why an expression has no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExprError(pub(crate) String);

impl From<ArithError> for ExprError {
    fn from(e: ArithError) -> ExprError {
        ExprError(e.to_string())
    }
}

type R = Result<Value, ExprError>;

/// What an evaluation can see besides the node itself.
pub(crate) struct Env<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) as_of: NaiveDate,
    pub(crate) inputs: &'a [Option<Value>],
    pub(crate) derived: &'a [Option<Value>],
    /// Each list's records and their per-record derived values.
    pub(crate) lists: &'a [ListView<'a>],
    /// How deep the evaluation is nested right now.
    pub(crate) depth: Cell<u32>,
}

/// Deepest nesting of evaluation, counting through function calls.
pub(crate) const MAX_EVAL_DEPTH: u32 = 192;

/// One list of one firm: its records, borrowed, and the per-record derived
/// values, `n_derived` per record, in one buffer.
pub(crate) struct ListView<'a> {
    pub(crate) records: &'a [Box<[Value]>],
    pub(crate) derived: Vec<Value>,
    pub(crate) n_derived: usize,
}

impl ListView<'_> {
    /// Record `r`: its fields and its derived values (empty while they are
    /// not computed, or when the list has none).
    fn record(&self, r: usize) -> (&[Value], &[Value]) {
        let extra = self.derived.get(r * self.n_derived..(r + 1) * self.n_derived).unwrap_or(&[]);
        (&self.records[r], extra)
    }
}

/// The records in scope, innermost first. A record's slots are its fields
/// (`rec`) followed by its per-record derived values (`extra`).
#[derive(Clone, Copy)]
pub(crate) struct Records<'r> {
    pub(crate) rec: &'r [Value],
    pub(crate) extra: &'r [Value],
    pub(crate) outer: Option<&'r Records<'r>>,
}

impl Records<'_> {
    fn slot(&self, slot: u32) -> Option<&Value> {
        let slot = slot as usize;
        match self.rec.get(slot) {
            Some(v) => Some(v),
            None => self.extra.get(slot - self.rec.len()),
        }
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Frame<'r> {
    pub(crate) records: Option<&'r Records<'r>>,
    pub(crate) params: &'r [Value],
}

fn num(v: Value) -> Result<Decimal, ExprError> {
    match v {
        Value::Num(n) => Ok(n),
        other => Err(ExprError(format!("expected a number, found `{other}`"))),
    }
}

fn boolean(v: Value) -> Result<bool, ExprError> {
    match v {
        Value::Bool(b) => Ok(b),
        other => Err(ExprError(format!("expected true or false, found `{other}`"))),
    }
}

fn date(v: Value) -> Result<NaiveDate, ExprError> {
    match v {
        Value::Date(d) => Ok(d),
        other => Err(ExprError(format!("expected a date, found `{other}`"))),
    }
}

fn compare(a: &Value, b: &Value) -> Result<std::cmp::Ordering, ExprError> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Ok(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Ok(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Ok(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Ok(x.cmp(y)),
        _ => Err(ExprError(format!("cannot compare `{a}` with `{b}`"))),
    }
}

impl Env<'_> {
    pub(crate) fn eval(&self, node: &Node, f: Frame<'_>) -> R {
        // Each expression is at most 256 operations deep, but functions calling
        // functions stack those depths; this bound keeps the native and the
        // wasm stacks safe whatever a rule file does.
        let depth = self.depth.get();
        if depth >= MAX_EVAL_DEPTH {
            return Err(ExprError(format!(
                "expressions nest more than {MAX_EVAL_DEPTH} levels deep once functions are expanded; simplify the functions"
            )));
        }
        self.depth.set(depth + 1);
        let res = self.eval_node(node, f);
        self.depth.set(depth);
        res
    }

    fn eval_node(&self, node: &Node, f: Frame<'_>) -> R {
        match node {
            Node::Const(v) => Ok(v.clone()),
            Node::Input(i) => self.inputs[*i as usize]
                .clone()
                .ok_or_else(|| ExprError(format!("input `{}` is not available", self.plan.inputs[*i as usize].name))),
            Node::Derived(i) => self.derived[*i as usize]
                .clone()
                .ok_or_else(|| ExprError(format!("`{}` is not available", self.plan.derived[*i as usize].name))),
            Node::Field { up, slot } => {
                let mut r = f.records.ok_or_else(|| ExprError("no record in scope".into()))?;
                for _ in 0..*up {
                    r = r.outer.ok_or_else(|| ExprError("no record in scope".into()))?;
                }
                r.slot(*slot).cloned().ok_or_else(|| ExprError("record value not available".into()))
            }
            Node::Param(i) => Ok(f.params[*i as usize].clone()),
            Node::AsOf => Ok(Value::Date(self.as_of)),
            Node::Neg(a) => Ok(Value::Num(-num(self.eval(a, f)?)?)),
            Node::Not(a) => Ok(Value::Bool(!boolean(self.eval(a, f)?)?)),
            Node::And(a, b) => Ok(Value::Bool(boolean(self.eval(a, f)?)? && boolean(self.eval(b, f)?)?)),
            Node::Or(a, b) => Ok(Value::Bool(boolean(self.eval(a, f)?)? || boolean(self.eval(b, f)?)?)),
            Node::Arith(op, a, b) => self.arith(*op, self.eval(a, f)?, self.eval(b, f)?),
            Node::Cmp(op, a, b) => self.with(a, f, |x| {
                self.with(b, f, |y| {
                    let res = match op {
                        CmpOp::Eq => x == y,
                        CmpOp::Ne => x != y,
                        CmpOp::Lt => compare(x, y)?.is_lt(),
                        CmpOp::Le => compare(x, y)?.is_le(),
                        CmpOp::Gt => compare(x, y)?.is_gt(),
                        CmpOp::Ge => compare(x, y)?.is_ge(),
                    };
                    Ok(Value::Bool(res))
                })
            }),
            Node::If(branches, otherwise) => {
                for (c, t) in branches {
                    if boolean(self.eval(c, f)?)? {
                        return self.eval(t, f);
                    }
                }
                self.eval(otherwise, f)
            }
            Node::InSet(a, set) => self.with(a, f, |x| {
                for el in set {
                    if self.with(el, f, |y| Ok(x == y))? {
                        return Ok(Value::Bool(true));
                    }
                }
                Ok(Value::Bool(false))
            }),
            Node::InTable(a, t) => {
                self.with(a, f, |x| Ok(Value::Bool(self.plan.tables[*t as usize].rows.contains_key(x))))
            }
            Node::Within(d, dur) => {
                let d = date(self.eval(d, f)?)?;
                let Value::Duration(dur) = self.eval(dur, f)? else {
                    return Err(ExprError("expected a duration".into()));
                };
                let from = value::shift_date(self.as_of, dur, -1)?;
                Ok(Value::Bool(from <= d && d <= self.as_of))
            }
            Node::Duration(n, months_per_unit) => {
                let n = num(self.eval(n, f)?)?;
                let k: i32 = (n.fract().is_zero() && n.abs() <= Decimal::from(100_000))
                    .then(|| n.normalize().mantissa())
                    .and_then(|k| i32::try_from(k).ok())
                    .ok_or_else(|| {
                        ExprError(format!("a duration needs a whole number up to 100000, found `{}`", n.normalize()))
                    })?;
                Ok(Value::Duration(if *months_per_unit == 0 {
                    Duration { months: 0, days: k }
                } else {
                    Duration { months: k * *months_per_unit as i32, days: 0 }
                }))
            }
            Node::Agg(agg) => {
                let list = &self.lists[agg.list as usize];
                let mut count = 0u64;
                let mut acc: Option<Value> = None;
                let mut sum = Decimal::ZERO;
                for r in 0..list.records.len() {
                    let (rec, extra) = list.record(r);
                    let scope = Records { rec, extra, outer: f.records };
                    let inner = Frame { records: Some(&scope), params: f.params };
                    if let Some(filter) = &agg.filter {
                        if !boolean(self.eval(filter, inner)?)? {
                            continue;
                        }
                    }
                    match agg.kind {
                        AggKind::Count => count += 1,
                        AggKind::Sum => {
                            let v = num(self.eval(agg.value.as_ref().ok_or_else(missing_arg)?, inner)?)?;
                            sum = value::add(sum, v)?;
                        }
                        AggKind::Any => {
                            if boolean(self.eval(agg.value.as_ref().ok_or_else(missing_arg)?, inner)?)? {
                                return Ok(Value::Bool(true));
                            }
                        }
                        AggKind::All => {
                            if !boolean(self.eval(agg.value.as_ref().ok_or_else(missing_arg)?, inner)?)? {
                                return Ok(Value::Bool(false));
                            }
                        }
                        AggKind::Min | AggKind::Max => {
                            let v = self.eval(agg.value.as_ref().ok_or_else(missing_arg)?, inner)?;
                            let better = match &acc {
                                None => true,
                                Some(cur) => {
                                    let ord = compare(&v, cur)?;
                                    if agg.kind == AggKind::Min {
                                        ord.is_lt()
                                    } else {
                                        ord.is_gt()
                                    }
                                }
                            };
                            if better {
                                acc = Some(v);
                            }
                        }
                    }
                }
                match agg.kind {
                    AggKind::Count => Ok(Value::Num(Decimal::from(count))),
                    AggKind::Sum => Ok(Value::Num(sum)),
                    AggKind::Any => Ok(Value::Bool(false)),
                    AggKind::All => Ok(Value::Bool(true)),
                    AggKind::Min | AggKind::Max => match acc {
                        Some(v) => Ok(v),
                        None => self.eval(agg.default.as_ref().ok_or_else(missing_arg)?, f),
                    },
                }
            }
            Node::Lookup(t, key, col) => {
                let table = &self.plan.tables[*t as usize];
                self.with(key, f, |k| match table.rows.get(k) {
                    Some(row) => Ok(row[*col as usize].clone()),
                    None => Err(ExprError(format!("table `{}` has no entry `{k}`", table.name))),
                })
            }
            Node::Builtin(b, args) => self.builtin(*b, args, f),
            Node::Call(func, args) => {
                let mut params = Vec::with_capacity(args.len());
                for a in args {
                    params.push(self.eval(a, f)?);
                }
                let def = &self.plan.functions[*func as usize];
                self.eval(&def.body, Frame { records: None, params: &params })
            }
            Node::Fail(msg) => Err(ExprError(msg.to_string())),
        }
    }

    /// Calls `k` with the value of `node`, borrowing the values of names and
    /// constants instead of cloning them: comparisons of text and enum
    /// values then touch no reference counts, which threads would contend on.
    fn with<T>(
        &self,
        node: &Node,
        f: Frame<'_>,
        k: impl FnOnce(&Value) -> Result<T, ExprError>,
    ) -> Result<T, ExprError> {
        match node {
            Node::Const(v) => k(v),
            Node::Input(i) => match &self.inputs[*i as usize] {
                Some(v) => k(v),
                None => Err(ExprError(format!("input `{}` is not available", self.plan.inputs[*i as usize].name))),
            },
            Node::Derived(i) => match &self.derived[*i as usize] {
                Some(v) => k(v),
                None => Err(ExprError(format!("`{}` is not available", self.plan.derived[*i as usize].name))),
            },
            Node::Field { up, slot } => {
                let mut r = f.records.ok_or_else(|| ExprError("no record in scope".into()))?;
                for _ in 0..*up {
                    r = r.outer.ok_or_else(|| ExprError("no record in scope".into()))?;
                }
                k(r.slot(*slot).ok_or_else(|| ExprError("record value not available".into()))?)
            }
            Node::Param(i) => k(&f.params[*i as usize]),
            other => k(&self.eval(other, f)?),
        }
    }

    fn arith(&self, op: ArithOp, a: Value, b: Value) -> R {
        match (op, a, b) {
            (ArithOp::Add, Value::Num(x), Value::Num(y)) => Ok(Value::Num(value::add(x, y)?)),
            (ArithOp::Sub, Value::Num(x), Value::Num(y)) => Ok(Value::Num(value::sub(x, y)?)),
            (ArithOp::Mul, Value::Num(x), Value::Num(y)) => Ok(Value::Num(value::mul(x, y)?)),
            (ArithOp::Div, Value::Num(x), Value::Num(y)) => Ok(Value::Num(value::div(x, y)?)),
            (ArithOp::Add, Value::Date(d), Value::Duration(k)) | (ArithOp::Add, Value::Duration(k), Value::Date(d)) => {
                Ok(Value::Date(value::shift_date(d, k, 1)?))
            }
            (ArithOp::Sub, Value::Date(d), Value::Duration(k)) => Ok(Value::Date(value::shift_date(d, k, -1)?)),
            (_, a, b) => Err(ExprError(format!("cannot combine `{a}` and `{b}`"))),
        }
    }

    fn builtin(&self, b: Builtin, args: &[Node], f: Frame<'_>) -> R {
        let arg = |i: usize| -> R { self.eval(&args[i], f) };
        match b {
            Builtin::Min | Builtin::Max => {
                let mut best = arg(0)?;
                for i in 1..args.len() {
                    let v = arg(i)?;
                    let ord = compare(&v, &best)?;
                    if (b == Builtin::Min && ord.is_lt()) || (b == Builtin::Max && ord.is_gt()) {
                        best = v;
                    }
                }
                Ok(best)
            }
            Builtin::Abs => Ok(Value::Num(num(arg(0)?)?.abs())),
            Builtin::Floor => Ok(Value::Num(num(arg(0)?)?.floor())),
            Builtin::Ceil => Ok(Value::Num(num(arg(0)?)?.ceil())),
            Builtin::Round(places, mode) => Ok(Value::Num(mode.apply(num(arg(0)?)?, places))),
            Builtin::YearsBetween => {
                let (a, b) = (date(arg(0)?)?, date(arg(1)?)?);
                Ok(Value::Num(Decimal::from(value::months_between(a, b) / 12)))
            }
            Builtin::MonthsBetween => {
                let (a, b) = (date(arg(0)?)?, date(arg(1)?)?);
                Ok(Value::Num(Decimal::from(value::months_between(a, b))))
            }
            Builtin::DaysBetween => {
                let (a, b) = (date(arg(0)?)?, date(arg(1)?)?);
                Ok(Value::Num(Decimal::from((b - a).num_days())))
            }
            Builtin::UsccValid => match arg(0)? {
                Value::Text(t) => Ok(Value::Bool(crate::uscc::validate(&t).is_ok())),
                other => Err(ExprError(format!("expected text, found `{other}`"))),
            },
        }
    }
}

fn missing_arg() -> ExprError {
    ExprError("aggregate is missing its expression".into())
}
