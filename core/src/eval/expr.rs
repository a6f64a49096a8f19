//! The expression interpreter: plan nodes to values for one firm.
//!
//! Evaluation is a walk over the node tree. It cannot loop (there are no
//! loops, functions are not recursive, aggregates visit each record once) and
//! cannot overflow its stack: the checker proves that no expression nests
//! deeper than [`MAX_EVAL_DEPTH`](crate::plan::MAX_EVAL_DEPTH) with its functions expanded (R0212), and
//! plans come only from the checker. Every failure is an [`ExprError`],
//! never a panic.

use std::cell::Cell;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::fault::{Expected, Fault};
use crate::plan::{AggKind, ArithOp, Builtin, CmpOp, Node, Plan};
use crate::value::{self, ArithError, Duration, Value};

/// Why an expression has no value. Boxed, so results stay small:
/// `Result<bool, ExprError>` fits in two registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExprError(pub(crate) Box<Fault>);

impl ExprError {
    pub(crate) fn new(fault: Fault) -> ExprError {
        ExprError(Box::new(fault))
    }
}

impl From<ArithError> for ExprError {
    fn from(e: ArithError) -> ExprError {
        ExprError::new(Fault::Arith(e))
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
    /// The first days of `within` windows, once computed.
    pub(crate) windows: &'a Windows,
}

/// The first day of each `within` window ending on the as-of date, computed
/// once per evaluation: `date within 3 years` is asked of every record.
#[derive(Default)]
pub(crate) struct Windows {
    slots: [Cell<Option<(Duration, NaiveDate)>>; 4],
}

impl Windows {
    pub(super) fn start(&self, as_of: NaiveDate, dur: Duration) -> Result<NaiveDate, ExprError> {
        for slot in &self.slots {
            match slot.get() {
                Some((d, start)) if d == dur => return Ok(start),
                Some(_) => {}
                None => {
                    let start = window_start(as_of, dur)?;
                    slot.set(Some((dur, start)));
                    return Ok(start);
                }
            }
        }
        window_start(as_of, dur)
    }
}

thread_local! {
    /// Window starts this thread computed last: a batch asks the same few
    /// windows, ending on the same as-of date, of every firm.
    static RECENT_WINDOWS: Cell<[Option<(NaiveDate, Duration, NaiveDate)>; 4]> = const { Cell::new([None; 4]) };
}

/// The first day of the window of length `dur` ending on `as_of`.
fn window_start(as_of: NaiveDate, dur: Duration) -> Result<NaiveDate, ExprError> {
    let recent = RECENT_WINDOWS.get();
    if let Some((_, _, start)) = recent.iter().flatten().find(|(a, d, _)| *a == as_of && *d == dur) {
        return Ok(*start);
    }
    let start = value::shift_date(as_of, dur, -1)?;
    let mut updated = [None; 4];
    updated[0] = Some((as_of, dur, start));
    updated[1..].copy_from_slice(&recent[..3]);
    RECENT_WINDOWS.set(updated);
    Ok(start)
}

/// Most function calls have few arguments: they are kept on the stack.
pub(super) const STACK_PARAMS: usize = 6;

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
    pub(super) fn record(&self, r: usize) -> (&[Value], &[Value]) {
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

impl<'r> Frame<'r> {
    /// A field or per-record value of the record `up` levels out.
    #[inline(always)]
    pub(super) fn field(&self, up: u16, slot: u32) -> Result<&'r Value, ExprError> {
        let mut r = self.records.ok_or_else(|| ExprError::new(Fault::NoRecord))?;
        for _ in 0..up {
            r = r.outer.ok_or_else(|| ExprError::new(Fault::NoRecord))?;
        }
        r.slot(slot).ok_or_else(|| ExprError::new(Fault::RecordValueUnavailable))
    }
}

#[inline]
pub(super) fn boolean(v: &Value) -> Result<bool, ExprError> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(ExprError::new(Fault::Expected(Expected::Bool, other.to_string()))),
    }
}

#[inline]
pub(super) fn num(v: &Value) -> Result<Decimal, ExprError> {
    match v {
        Value::Num(n) => Ok(*n),
        other => Err(ExprError::new(Fault::Expected(Expected::Number, other.to_string()))),
    }
}

#[inline]
pub(super) fn date(v: &Value) -> Result<NaiveDate, ExprError> {
    match v {
        Value::Date(d) => Ok(*d),
        other => Err(ExprError::new(Fault::Expected(Expected::Date, other.to_string()))),
    }
}

#[inline]
pub(super) fn holds(op: CmpOp, ord: std::cmp::Ordering) -> bool {
    match op {
        CmpOp::Eq => ord.is_eq(),
        CmpOp::Ne => ord.is_ne(),
        CmpOp::Lt => ord.is_lt(),
        CmpOp::Le => ord.is_le(),
        CmpOp::Gt => ord.is_gt(),
        CmpOp::Ge => ord.is_ge(),
    }
}

#[inline]
pub(super) fn num_op(op: ArithOp, x: Decimal, y: Decimal) -> Result<Decimal, ArithError> {
    match op {
        ArithOp::Add => value::add(x, y),
        ArithOp::Sub => value::sub(x, y),
        ArithOp::Mul => value::mul(x, y),
        ArithOp::Div => value::div(x, y),
    }
}

fn compare(a: &Value, b: &Value) -> Result<std::cmp::Ordering, ExprError> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Ok(value::cmp_num(x, y)),
        (Value::Date(x), Value::Date(y)) => Ok(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Ok(x.cmp(y)),
        // Names of one rule set are equal when their indices are, and a
        // text is never equal to a name (see `plan::Names`); texts are only
        // ever compared for equality, so any other order serves.
        (Value::Name(x), Value::Name(y)) => Ok(x.cmp(y)),
        (Value::Name(_), Value::Text(_)) => Ok(std::cmp::Ordering::Less),
        (Value::Text(_), Value::Name(_)) => Ok(std::cmp::Ordering::Greater),
        (Value::Bool(x), Value::Bool(y)) => Ok(x.cmp(y)),
        _ => Err(ExprError::new(Fault::CannotCompare(a.to_string(), b.to_string()))),
    }
}

impl<'a> Env<'a> {
    /// An input's answer.
    #[inline]
    pub(super) fn input(&self, i: u32) -> Result<&'a Value, ExprError> {
        self.inputs[i as usize]
            .as_ref()
            .ok_or_else(|| ExprError::new(Fault::InputUnavailable(self.plan.inputs[i as usize].name.clone())))
    }

    /// A firm-level derived value.
    #[inline]
    pub(super) fn derived_value(&self, i: u32) -> Result<&'a Value, ExprError> {
        self.derived[i as usize]
            .as_ref()
            .ok_or_else(|| ExprError::new(Fault::ValueUnavailable(self.plan.derived[i as usize].name.clone())))
    }

    pub(crate) fn eval(&self, node: &Node, f: &Frame<'_>) -> R {
        match node {
            Node::Const(v) => Ok(v.clone()),
            Node::Input(i) => self.input(*i).cloned(),
            Node::Derived(i) => self.derived_value(*i).cloned(),
            Node::Field { up, slot } => f.field(*up, *slot).cloned(),
            Node::Param(i) => Ok(f.params[*i as usize].clone()),
            Node::AsOf => Ok(Value::Date(self.as_of)),
            Node::Neg(a) => Ok(Value::Num(-self.eval_num(a, f)?)),
            Node::Not(_) | Node::And(..) | Node::Or(..) | Node::Cmp(..) | Node::Within(..) => {
                Ok(Value::Bool(self.eval_bool(node, f)?))
            }
            // `as_of - 1 year`, asked of every record: the window's first day.
            Node::Arith(op, a, b) => match (op, &**a, &**b) {
                (ArithOp::Sub, Node::AsOf, Node::Const(Value::Duration(k))) => {
                    Ok(Value::Date(self.windows.start(self.as_of, *k)?))
                }
                _ => self.arith(*op, self.eval(a, f)?, self.eval(b, f)?),
            },
            Node::If(branches, otherwise) => {
                for (c, t) in branches {
                    if self.eval_bool(c, f)? {
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
            Node::Duration(n, months_per_unit) => {
                let n = self.eval_num(n, f)?;
                let d = value::duration_of(n, *months_per_unit);
                Ok(Value::Duration(d.ok_or_else(|| ExprError::new(Fault::BadDuration(n.normalize().to_string())))?))
            }
            Node::Agg(agg) => {
                let list = &self.lists[agg.list as usize];
                let mut count = 0u64;
                let mut acc: Option<Value> = None;
                let mut sum = Decimal::ZERO;
                for r in 0..list.records.len() {
                    let (rec, extra) = list.record(r);
                    let scope = Records { rec, extra, outer: f.records };
                    let inner = &Frame { records: Some(&scope), params: f.params };
                    if let Some(filter) = &agg.filter {
                        if !self.eval_bool(filter, inner)? {
                            continue;
                        }
                    }
                    match agg.kind {
                        AggKind::Count => count += 1,
                        AggKind::Sum => {
                            let v = self.eval_num(agg.value.as_ref().ok_or_else(missing_arg)?, inner)?;
                            sum = value::add(sum, v)?;
                        }
                        AggKind::Any => {
                            if self.eval_bool(agg.value.as_ref().ok_or_else(missing_arg)?, inner)? {
                                return Ok(Value::Bool(true));
                            }
                        }
                        AggKind::All => {
                            if !self.eval_bool(agg.value.as_ref().ok_or_else(missing_arg)?, inner)? {
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
                    None => Err(ExprError::new(Fault::NoTableEntry {
                        table: table.name.clone(),
                        key: self.plan.names.show(k).to_string(),
                    })),
                })
            }
            Node::Builtin(b, args) => self.builtin(*b, args, f),
            Node::Call(func, args) => {
                let body = &self.plan.functions[*func as usize].body;
                if args.len() <= STACK_PARAMS {
                    let mut params = [const { Value::Bool(false) }; STACK_PARAMS];
                    for (p, a) in params.iter_mut().zip(args) {
                        *p = self.eval(a, f)?;
                    }
                    self.eval(body, &Frame { records: None, params: &params[..args.len()] })
                } else {
                    let params = args.iter().map(|a| self.eval(a, f)).collect::<Result<Vec<_>, _>>()?;
                    self.eval(body, &Frame { records: None, params: &params })
                }
            }
            Node::Fail(msg) => Err(ExprError::new(Fault::Fail(msg.clone()))),
        }
    }

    /// Evaluates a condition. Conditions, comparisons and `within` are
    /// computed here without building a `Value`; other nodes go through `eval`.
    pub(crate) fn eval_bool(&self, node: &Node, f: &Frame<'_>) -> Result<bool, ExprError> {
        match node {
            Node::Const(_) | Node::Input(_) | Node::Derived(_) | Node::Field { .. } | Node::Param(_) => {
                self.with(node, f, boolean)
            }
            Node::Not(a) => Ok(!self.eval_bool(a, f)?),
            Node::And(a, b) => Ok(self.eval_bool(a, f)? && self.eval_bool(b, f)?),
            Node::Or(a, b) => Ok(self.eval_bool(a, f)? || self.eval_bool(b, f)?),
            Node::Cmp(op, a, b) => {
                // A number against a constant number: the common form of a threshold.
                if let Node::Const(Value::Num(y)) = &**b {
                    return Ok(holds(*op, value::cmp_num(&self.eval_num(a, f)?, y)));
                }
                self.with(a, f, |x| {
                    self.with(b, f, |y| match op {
                        CmpOp::Eq => Ok(x == y),
                        CmpOp::Ne => Ok(x != y),
                        _ => Ok(holds(*op, compare(x, y)?)),
                    })
                })
            }
            Node::Within(d, dur) => {
                let d = self.with(d, f, date)?;
                let from = match &**dur {
                    Node::Const(Value::Duration(k)) => self.windows.start(self.as_of, *k)?,
                    other => match self.eval(other, f)? {
                        Value::Duration(k) => value::shift_date(self.as_of, k, -1)?,
                        _ => return Err(ExprError::new(Fault::NotDuration)),
                    },
                };
                Ok(from <= d && d <= self.as_of)
            }
            other => boolean(&self.eval(other, f)?),
        }
    }

    /// Evaluates a number: names, constants and arithmetic on numbers are
    /// computed here without building a `Value`.
    pub(crate) fn eval_num(&self, node: &Node, f: &Frame<'_>) -> Result<Decimal, ExprError> {
        match node {
            Node::Const(_) | Node::Input(_) | Node::Derived(_) | Node::Field { .. } | Node::Param(_) => {
                self.with(node, f, num)
            }
            Node::Neg(a) => Ok(-self.eval_num(a, f)?),
            // A number-valued `+ - * /` has numbers on both sides (dates give dates).
            Node::Arith(op, a, b) => Ok(num_op(*op, self.eval_num(a, f)?, self.eval_num(b, f)?)?),
            other => num(&self.eval(other, f)?),
        }
    }

    /// Calls `k` with the value of `node`, borrowing the values of names and
    /// constants instead of cloning them: comparisons of text and enum
    /// values then touch no reference counts, which threads would contend on.
    pub(super) fn with<T>(
        &self,
        node: &Node,
        f: &Frame<'_>,
        k: impl FnOnce(&Value) -> Result<T, ExprError>,
    ) -> Result<T, ExprError> {
        match node {
            Node::Const(v) => k(v),
            Node::Input(i) => k(self.input(*i)?),
            Node::Derived(i) => k(self.derived_value(*i)?),
            Node::Field { up, slot } => k(f.field(*up, *slot)?),
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
            (_, a, b) => Err(ExprError::new(Fault::CannotCombine(a.to_string(), b.to_string()))),
        }
    }

    fn builtin(&self, b: Builtin, args: &[Node], f: &Frame<'_>) -> R {
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
            Builtin::Abs => Ok(Value::Num(num(&arg(0)?)?.abs())),
            Builtin::Floor => Ok(Value::Num(num(&arg(0)?)?.floor())),
            Builtin::Ceil => Ok(Value::Num(num(&arg(0)?)?.ceil())),
            Builtin::Round(places, mode) => Ok(Value::Num(mode.apply(num(&arg(0)?)?, places))),
            Builtin::YearsBetween => {
                let (a, b) = (date(&arg(0)?)?, date(&arg(1)?)?);
                Ok(Value::Num(Decimal::from(value::months_between(a, b) / 12)))
            }
            Builtin::MonthsBetween => {
                let (a, b) = (date(&arg(0)?)?, date(&arg(1)?)?);
                Ok(Value::Num(Decimal::from(value::months_between(a, b))))
            }
            Builtin::DaysBetween => {
                let (a, b) = (date(&arg(0)?)?, date(&arg(1)?)?);
                Ok(Value::Num(Decimal::from((b - a).num_days())))
            }
            Builtin::UsccValid => match arg(0)? {
                Value::Text(t) => Ok(Value::Bool(crate::uscc::validate(&t).is_ok())),
                Value::Name(n) => Ok(Value::Bool(crate::uscc::validate(self.plan.names.text(n)).is_ok())),
                other => Err(ExprError::new(Fault::Expected(Expected::Text, other.to_string()))),
            },
        }
    }
}

fn missing_arg() -> ExprError {
    ExprError::new(Fault::AggregateWithoutExpression)
}
