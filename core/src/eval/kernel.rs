//! Expressions compiled to closures, once, when the rules are checked.
//!
//! The interpreter (`expr`) walks a node tree and matches on every node it
//! meets; a kernel is a tree of small closures that already know what they
//! compute: `deaths >= 30` becomes one closure that fetches a parameter and
//! compares its number with a constant. Kernels are typed (a condition gives
//! a `bool`, a number a `Decimal`) and cover the forms scorecards are made
//! of: names, constants, `not`/`and`/`or`, comparisons with a constant,
//! comparisons of dates (names, `as_of`, constant dates, each moved by a
//! constant duration), a name `in` a set of constants, `any`/`all` over a
//! list, `within` a constant window, arithmetic, and, where every part is known
//! to be a number (inputs, derived values, constants, calls and counts, not
//! parameters or record fields), `if` chains, `min`/`max`, calls of
//! functions with up to six parameters and `count`/`sum` over a list. Every
//! other node is handed to the interpreter, so a kernel computes exactly
//! what the interpreter computes, errors and their order included;
//! `tests.rs` holds them to that.
//!
//! A kernel nests as deep as its node tree, so the checker's depth bound
//! (R0212) bounds kernels too.

use std::cell::RefCell;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::expr::{boolean, date, holds, num, num_op, Env, ExprError, Frame, Records, STACK_PARAMS};
use super::score::item_points;
use super::shape::{item_shape, ItemShape};
use crate::plan::{Agg, AggKind, ArithOp, Builtin, CmpOp, Missing, Node, Plan, Ty, ValueType};
use crate::value::{self, Duration, Value, POW10};

type KernelFn<T> = dyn Fn(&Env<'_>, &Frame<'_>) -> Result<T, ExprError> + Send + Sync;

/// One compiled expression giving a `T`.
pub(crate) struct Kernel<T>(Arc<KernelFn<T>>);

impl<T> Clone for Kernel<T> {
    fn clone(&self) -> Self {
        Kernel(self.0.clone())
    }
}

impl<T> std::fmt::Debug for Kernel<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kernel")
    }
}

impl<T> Kernel<T> {
    #[inline]
    pub(crate) fn run(&self, env: &Env<'_>, frame: &Frame<'_>) -> Result<T, ExprError> {
        (self.0)(env, frame)
    }
}

fn kernel<T>(f: impl Fn(&Env<'_>, &Frame<'_>) -> Result<T, ExprError> + Send + Sync + 'static) -> Kernel<T> {
    Kernel(Arc::new(f))
}

/// The kernels of one plan, indexed like the plan's own lists.
#[derive(Clone, Debug)]
pub(crate) struct Kernels {
    /// Firm-level derived values, by index in `Plan::derived`.
    pub(crate) derived: Vec<Kernel<Value>>,
    /// Per-record derived values: by list, then by index in `ListDef::derived`.
    pub(crate) record_derived: Vec<Vec<Kernel<Value>>>,
    /// Items, in file order.
    pub(crate) items: Vec<ItemKernel>,
    /// The base score.
    pub(crate) base: Kernel<Decimal>,
    /// Overrides' conditions, by override.
    pub(crate) overrides: Vec<Kernel<bool>>,
    /// Whether some input is declared `not_applicable` or with a penalty, so
    /// that a firm may be left without its answer.
    pub(crate) has_unanswerable_inputs: bool,
    /// Whether the score may be summed in integers (`fixed`); the
    /// interpreter's reference sums `Decimal`s only.
    pub(crate) integer_sums: bool,
}

impl Kernels {
    /// Compiles every expression of `plan`.
    pub(crate) fn compile(plan: &Plan) -> Kernels {
        Kernels::build(plan, &Compiler::new(plan))
    }

    /// Kernels that hand every expression, and every item, to the
    /// interpreter: the reference the compiled kernels are tested against.
    #[cfg(any(test, feature = "differential"))]
    pub(crate) fn interpreted(plan: &Plan) -> Kernels {
        Kernels::build(plan, &Compiler { interpret_only: true, ..Compiler::new(plan) })
    }

    fn build(plan: &Plan, c: &Compiler<'_>) -> Kernels {
        Kernels {
            derived: plan.derived.iter().map(|d| c.value(&d.node)).collect(),
            record_derived: plan.lists.iter().map(|l| l.derived.iter().map(|(_, n)| c.value(n)).collect()).collect(),
            items: plan
                .items
                .iter()
                .map(|i| {
                    let shape = match c.interpreting() {
                        true => ItemShape::General,
                        false => item_shape(i.when.as_ref(), i.points.as_ref(), &plan.inputs),
                    };
                    let mut k = ItemKernel {
                        shape,
                        when: i.when.as_ref().map(|n| c.bool(n)),
                        points: i.points.as_ref().map(|n| c.num(n)),
                        group: i.group,
                        min: i.min,
                        max: i.max,
                        flag_points: Decimal::ZERO,
                    };
                    if let ItemShape::Flag { raw, .. } = shape {
                        if !raw.is_zero() {
                            k.flag_points = item_points(plan, k.min, k.max, raw);
                        }
                    }
                    k
                })
                .collect(),
            base: c.num(&plan.score.base),
            overrides: plan.overrides.iter().map(|o| c.bool(&o.when)).collect(),
            has_unanswerable_inputs: (plan.inputs.iter())
                .any(|f| matches!(f.missing, Missing::NotApplicable | Missing::Penalty(_))),
            integer_sums: !c.interpreting(),
        }
    }
}

/// What scoring an item needs, kept together: the scoring loop reads
/// nothing else of the item unless it is skipped or fails.
#[derive(Clone, Debug)]
pub(crate) struct ItemKernel {
    pub(crate) shape: ItemShape,
    pub(crate) when: Option<Kernel<bool>>,
    pub(crate) points: Option<Kernel<Decimal>>,
    pub(crate) group: Option<u32>,
    pub(crate) min: Option<Decimal>,
    pub(crate) max: Option<Decimal>,
    /// For a flag: its points when it holds, after caps and rounding (zero:
    /// it never fires).
    pub(crate) flag_points: Decimal,
}

/// What scoring one item gives for one firm.
pub(crate) enum ItemScore {
    NotFired,
    /// Raw points, before caps and rounding.
    Raw(Decimal),
    /// Points known when the rules were checked (a flag): raw, and after caps and rounding.
    Known(Decimal, Decimal),
}

impl ItemKernel {
    /// Scores the item for one firm: a flag or per-unit item straight from
    /// its input (the same result as its `when` and `points`), any other
    /// item, or an answer its shape does not expect, through its kernels.
    #[inline]
    pub(crate) fn score(
        &self,
        env: &Env<'_>,
        top: &Frame<'_>,
        inputs: &[Option<Value>],
    ) -> Result<ItemScore, ExprError> {
        let answer = |i: u32| inputs.get(i as usize).and_then(Option::as_ref);
        match self.shape {
            ItemShape::Flag { input, raw } => match answer(input) {
                Some(Value::Bool(true)) => return Ok(ItemScore::Known(raw, self.flag_points)),
                Some(Value::Bool(false)) => return Ok(ItemScore::NotFired),
                _ => {}
            },
            ItemShape::PerUnit { input, factor } => match answer(input) {
                // Zero units score nothing: the item does not fire.
                Some(Value::Num(n)) if n.is_zero() => return Ok(ItemScore::NotFired),
                Some(Value::Num(n)) => return Ok(ItemScore::Raw(value::mul(factor, *n)?)),
                _ => {}
            },
            ItemShape::General => {}
        }
        if let Some(w) = &self.when {
            if !w.run(env, top)? {
                return Ok(ItemScore::NotFired);
            }
        }
        Ok(ItemScore::Raw(match &self.points {
            None => Decimal::ZERO,
            Some(p) => p.run(env, top)?,
        }))
    }
}

struct Compiler<'p> {
    plan: &'p Plan,
    /// Compile nothing: every kernel calls the interpreter (the reference).
    #[cfg(any(test, feature = "differential"))]
    interpret_only: bool,
    /// Each function's body, compiled once and shared by its calls (a
    /// function calling another twice must not double the work each level).
    bodies: RefCell<Vec<Option<Kernel<Decimal>>>>,
}

impl<'p> Compiler<'p> {
    fn new(plan: &'p Plan) -> Compiler<'p> {
        Compiler {
            plan,
            #[cfg(any(test, feature = "differential"))]
            interpret_only: false,
            bodies: RefCell::new(vec![None; plan.functions.len()]),
        }
    }

    /// Whether every kernel is to call the interpreter.
    fn interpreting(&self) -> bool {
        #[cfg(any(test, feature = "differential"))]
        return self.interpret_only;
        #[cfg(not(any(test, feature = "differential")))]
        false
    }

    /// The number kernel of function `f`'s body. The interpreter evaluates a
    /// body as a value and then takes its number, which differs from a
    /// number kernel only where a part is not a number (`b + error("…")`
    /// reports the error, not that `b` is no number): such bodies are left
    /// to the interpreter.
    fn body(&self, f: u32) -> Kernel<Decimal> {
        if let Some(k) = &self.bodies.borrow()[f as usize] {
            return k.clone();
        }
        let body = &self.plan.functions[f as usize].body;
        let k = if self.is_num(body) {
            self.num(body)
        } else {
            let body = body.clone();
            kernel(move |e, f| num(&e.eval(&body, f)?))
        };
        self.bodies.borrow_mut()[f as usize] = Some(k.clone());
        k
    }

    /// A condition.
    fn bool(&self, node: &Node) -> Kernel<bool> {
        if self.interpreting() {
            return interpret_bool(node);
        }
        match node {
            Node::Const(v) => {
                let b = boolean(v);
                kernel(move |_, _| b.clone())
            }
            &Node::Input(i) => kernel(move |e, _| boolean(e.input(i)?)),
            &Node::Derived(i) => kernel(move |e, _| boolean(e.derived_value(i)?)),
            &Node::Field { up, slot } => kernel(move |_, f| boolean(f.field(up, slot)?)),
            Node::Not(a) => {
                let a = self.bool(a);
                kernel(move |e, f| Ok(!a.run(e, f)?))
            }
            Node::And(a, b) => {
                let (a, b) = (self.bool(a), self.bool(b));
                kernel(move |e, f| Ok(a.run(e, f)? && b.run(e, f)?))
            }
            Node::Or(a, b) => {
                let (a, b) = (self.bool(a), self.bool(b));
                kernel(move |e, f| Ok(a.run(e, f)? || b.run(e, f)?))
            }
            Node::Cmp(op, a, b) => match &**b {
                // A number against a constant: a threshold. Names are read in place.
                Node::Const(Value::Num(y)) => {
                    let (op, y) = (*op, Threshold::new(*y));
                    match **a {
                        Node::Input(i) => kernel(move |e, _| Ok(holds(op, y.cmp(num(e.input(i)?)?)))),
                        Node::Derived(i) => kernel(move |e, _| Ok(holds(op, y.cmp(num(e.derived_value(i)?)?)))),
                        Node::Field { up, slot } => kernel(move |_, f| Ok(holds(op, y.cmp(num(f.field(up, slot)?)?)))),
                        Node::Param(i) => kernel(move |_, f| Ok(holds(op, y.cmp(num(&f.params[i as usize])?)))),
                        _ => {
                            let a = self.num(a);
                            kernel(move |e, f| Ok(holds(op, y.cmp(a.run(e, f)?))))
                        }
                    }
                }
                // A name against a constant (an enum option, a text): equality.
                Node::Const(y) if matches!(op, CmpOp::Eq | CmpOp::Ne) && is_name(a) => {
                    let (equal, y, a) = (*op == CmpOp::Eq, y.clone(), (**a).clone());
                    kernel(move |e, f| e.with(&a, f, |x| Ok((*x == y) == equal)))
                }
                // Two dates (`found <= as_of`, `date >= accident_date - 12 months`):
                // compared as dates; anything else, an error included, is
                // left to the interpreter, which gives its own result.
                _ => match (DateSide::of(a), DateSide::of(b)) {
                    (Some(x), Some(y)) => {
                        let (op, node) = (*op, node.clone());
                        kernel(move |e, f| match (x.get(e, f), y.get(e, f)) {
                            (Some(x), Some(y)) => Ok(holds(op, x.cmp(&y))),
                            _ => e.eval_bool(&node, f),
                        })
                    }
                    _ => interpret_bool(node),
                },
            },
            // `any(list, c)`, `all(list, c)`.
            Node::Agg(agg) if any_or_all(agg) => match &agg.value {
                Some(test) => self.any_or_all(agg, test),
                None => interpret_bool(node),
            },
            // A name in a set of constants (`grade in ["red", "orange"]`).
            Node::InSet(a, set) if is_name(a) => {
                let consts: Vec<Value> = set
                    .iter()
                    .filter_map(|el| match el {
                        Node::Const(v) => Some(v.clone()),
                        _ => None,
                    })
                    .collect();
                if consts.len() < set.len() {
                    return interpret_bool(node);
                }
                let a = (**a).clone();
                kernel(move |e, f| e.with(&a, f, |x| Ok(consts.iter().any(|y| x == y))))
            }
            Node::Within(d, window) => match &**window {
                Node::Const(Value::Duration(k)) => {
                    let k = *k;
                    let within = move |e: &Env<'_>, d: NaiveDate| -> Result<bool, ExprError> {
                        let from = e.windows.start(e.as_of, k)?;
                        Ok(from <= d && d <= e.as_of)
                    };
                    match **d {
                        // A record's date, the usual case, read in place.
                        Node::Field { up, slot } => kernel(move |e, f| within(e, date(f.field(up, slot)?)?)),
                        _ => {
                            let d = (**d).clone();
                            kernel(move |e, f| within(e, e.with(&d, f, date)?))
                        }
                    }
                }
                _ => interpret_bool(node),
            },
            _ => interpret_bool(node),
        }
    }

    /// A number.
    fn num(&self, node: &Node) -> Kernel<Decimal> {
        if self.interpreting() {
            return interpret_num(node);
        }
        match node {
            Node::Const(v) => {
                let n = num(v);
                kernel(move |_, _| n.clone())
            }
            &Node::Input(i) => kernel(move |e, _| num(e.input(i)?)),
            &Node::Derived(i) => kernel(move |e, _| num(e.derived_value(i)?)),
            &Node::Field { up, slot } => kernel(move |_, f| num(f.field(up, slot)?)),
            &Node::Param(i) => kernel(move |_, f| num(&f.params[i as usize])),
            Node::Neg(a) => {
                let a = self.num(a);
                kernel(move |e, f| Ok(-a.run(e, f)?))
            }
            Node::Arith(op, a, b) => {
                let (op, a, b) = (*op, self.num(a), self.num(b));
                kernel(move |e, f| Ok(num_op(op, a.run(e, f)?, b.run(e, f)?)?))
            }
            Node::If(branches, otherwise) if self.is_num(node) => {
                if let Some(steps) = steps(branches, otherwise) {
                    return steps;
                }
                let branches: Vec<_> = branches.iter().map(|(c, t)| (self.bool(c), self.num(t))).collect();
                let otherwise = self.num(otherwise);
                kernel(move |e, f| {
                    for (c, t) in &branches {
                        if c.run(e, f)? {
                            return t.run(e, f);
                        }
                    }
                    otherwise.run(e, f)
                })
            }
            Node::Builtin(b @ (Builtin::Min | Builtin::Max), args) if !args.is_empty() && self.is_num(node) => {
                let want = if *b == Builtin::Min { std::cmp::Ordering::Less } else { std::cmp::Ordering::Greater };
                let args: Vec<_> = args.iter().map(|a| self.num(a)).collect();
                kernel(move |e, f| {
                    let mut best = args[0].run(e, f)?;
                    for a in &args[1..] {
                        let v = a.run(e, f)?;
                        if value::cmp_num(&v, &best) == want {
                            best = v;
                        }
                    }
                    Ok(best)
                })
            }
            Node::Call(func, args) if args.len() <= STACK_PARAMS && self.is_num(node) => self.call(*func, args, |n| n),
            Node::Agg(agg) if countable(agg) => self.aggregate(agg, |n| n),
            _ => interpret_num(node),
        }
    }

    /// A value of any type.
    fn value(&self, node: &Node) -> Kernel<Value> {
        if self.interpreting() {
            return interpret_value(node);
        }
        match node {
            Node::Const(v) => {
                let v = v.clone();
                kernel(move |_, _| Ok(v.clone()))
            }
            &Node::Input(i) => kernel(move |e, _| e.input(i).cloned()),
            &Node::Derived(i) => kernel(move |e, _| e.derived_value(i).cloned()),
            &Node::Field { up, slot } => kernel(move |_, f| f.field(up, slot).cloned()),
            &Node::Param(i) => kernel(move |_, f| Ok(f.params[i as usize].clone())),
            _ if is_condition(node) => {
                let b = self.bool(node);
                kernel(move |e, f| Ok(Value::Bool(b.run(e, f)?)))
            }
            // Calls and aggregates build the value themselves: one closure less.
            Node::Call(func, args) if args.len() <= STACK_PARAMS && self.is_num(node) => {
                self.call(*func, args, Value::Num)
            }
            Node::Agg(agg) if countable(agg) => self.aggregate(agg, Value::Num),
            _ if self.is_num(node) => {
                let n = self.num(node);
                kernel(move |e, f| Ok(Value::Num(n.run(e, f)?)))
            }
            _ => interpret_value(node),
        }
    }

    /// A call of a function returning a number, its result made a `T` by `wrap`.
    fn call<T: 'static>(
        &self,
        func: u32,
        args: &[Node],
        wrap: impl Fn(Decimal) -> T + Send + Sync + 'static,
    ) -> Kernel<T> {
        let body = self.body(func);
        let args: Vec<_> = args.iter().map(|a| self.value(a)).collect();
        kernel(move |e, f| {
            let mut params = [const { Value::Bool(false) }; STACK_PARAMS];
            for (p, a) in params.iter_mut().zip(&args) {
                *p = a.run(e, f)?;
            }
            Ok(wrap(body.run(e, &Frame { records: None, params: &params[..args.len()] })?))
        })
    }

    /// `any(list, test)`: whether a record passes `test`; `all(…)`: whether
    /// every one does. The first record that decides it ends the walk, as
    /// in the interpreter.
    fn any_or_all(&self, agg: &Agg, test: &Node) -> Kernel<bool> {
        let (list, any) = (agg.list as usize, agg.kind == AggKind::Any);
        let test = self.bool(test);
        kernel(move |e, f| {
            let list = &e.lists[list];
            for r in 0..list.records.len() {
                let (rec, extra) = list.record(r);
                let scope = Records { rec, extra, outer: f.records };
                let inner = &Frame { records: Some(&scope), params: f.params };
                if test.run(e, inner)? == any {
                    return Ok(any);
                }
            }
            Ok(!any)
        })
    }

    /// `count(list [where c])` or `sum(list, x [where c])`, made a `T` by `wrap`.
    fn aggregate<T: 'static>(&self, agg: &Agg, wrap: impl Fn(Decimal) -> T + Send + Sync + 'static) -> Kernel<T> {
        let list = agg.list as usize;
        let filter = agg.filter.as_ref().map(|n| self.bool(n));
        let summand = agg.value.as_ref().filter(|_| agg.kind == AggKind::Sum).map(|n| self.num(n));
        kernel(move |e, f| {
            let list = &e.lists[list];
            let (mut count, mut sum) = (0u64, Decimal::ZERO);
            for r in 0..list.records.len() {
                let (rec, extra) = list.record(r);
                let scope = Records { rec, extra, outer: f.records };
                let inner = &Frame { records: Some(&scope), params: f.params };
                if let Some(filter) = &filter {
                    if !filter.run(e, inner)? {
                        continue;
                    }
                }
                match &summand {
                    None => count += 1,
                    Some(v) => sum = value::add(sum, v.run(e, inner)?)?,
                }
            }
            Ok(wrap(if summand.is_none() { Decimal::from(count) } else { sum }))
        })
    }

    /// Whether `node` is a number whatever the firm: then its number kernel
    /// and the interpreter's value agree.
    fn is_num(&self, node: &Node) -> bool {
        let plan = self.plan;
        match node {
            Node::Const(v) => matches!(v, Value::Num(_)),
            Node::Input(i) => {
                plan.inputs.get(*i as usize).is_some_and(|f| matches!(f.vtype, ValueType::Integer | ValueType::Decimal))
            }
            Node::Derived(i) => plan.derived.get(*i as usize).is_some_and(|d| d.ty == Ty::Num),
            Node::Neg(_) => true,
            Node::Arith(_, a, b) => self.is_num(a) && self.is_num(b),
            Node::If(branches, otherwise) => self.is_num(otherwise) && branches.iter().all(|(_, t)| self.is_num(t)),
            Node::Builtin(Builtin::Min | Builtin::Max, args) => args.iter().all(|a| self.is_num(a)),
            Node::Call(func, _) => plan.functions.get(*func as usize).is_some_and(|d| d.returns == Ty::Num),
            Node::Agg(agg) => matches!(agg.kind, AggKind::Count | AggKind::Sum),
            _ => false,
        }
    }
}

/// A constant a number is compared with, kept with its mantissa so that a
/// number of another scale (`12.50` against `10`) is compared as integers.
#[derive(Clone, Copy)]
struct Threshold {
    value: Decimal,
    mantissa: i128,
}

impl Threshold {
    fn new(value: Decimal) -> Threshold {
        Threshold { value, mantissa: value.mantissa() }
    }

    /// How `x` compares with the threshold; the same as `value::cmp_num`.
    #[inline]
    fn cmp(&self, x: Decimal) -> std::cmp::Ordering {
        let (sx, sy) = (x.scale(), self.value.scale());
        let scaled = if sx == sy {
            Some((x.mantissa(), self.mantissa))
        } else if sx > sy {
            POW10.get((sx - sy) as usize).and_then(|p| self.mantissa.checked_mul(*p)).map(|y| (x.mantissa(), y))
        } else {
            POW10.get((sy - sx) as usize).and_then(|p| x.mantissa().checked_mul(*p)).map(|x| (x, self.mantissa))
        };
        match scaled {
            Some((x, y)) => x.cmp(&y),
            None => x.cmp(&self.value),
        }
    }
}

/// `if x >= a then p elif x > b then q … else r`: one number name compared
/// with a constant in every branch, and constant results. This is the form
/// of severity levels and score bands; the kernel reads the name once and
/// walks the thresholds, where the general `if` calls a kernel per branch.
/// The same result and error: the name's value cannot change between
/// branches, and reading it is what fails first.
fn steps(branches: &[(Node, Node)], otherwise: &Node) -> Option<Kernel<Decimal>> {
    let &Node::Const(Value::Num(otherwise)) = otherwise else { return None };
    let mut name: Option<&Node> = None;
    let mut steps = Vec::with_capacity(branches.len());
    for (condition, then) in branches {
        let (Node::Cmp(op, x, y), &Node::Const(Value::Num(result))) = (condition, then) else { return None };
        let Node::Const(Value::Num(y)) = &**y else { return None };
        if name.is_some_and(|n| n != &**x) {
            return None;
        }
        name = Some(x);
        steps.push((*op, Threshold::new(*y), result));
    }
    let steps: Box<[(CmpOp, Threshold, Decimal)]> = steps.into();
    let walk = move |x: Decimal| {
        let step = steps.iter().find(|(op, y, _)| holds(*op, y.cmp(x)));
        step.map_or(otherwise, |(_, _, result)| *result)
    };
    Some(match *name? {
        Node::Input(i) => kernel(move |e, _| Ok(walk(num(e.input(i)?)?))),
        Node::Derived(i) => kernel(move |e, _| Ok(walk(num(e.derived_value(i)?)?))),
        Node::Field { up, slot } => kernel(move |_, f| Ok(walk(num(f.field(up, slot)?)?))),
        Node::Param(i) => kernel(move |_, f| Ok(walk(num(&f.params[i as usize])?))),
        _ => return None,
    })
}

/// A `count`, or a `sum` with its expression: what `Compiler::aggregate` compiles.
fn countable(agg: &Agg) -> bool {
    agg.kind == AggKind::Count || (agg.kind == AggKind::Sum && agg.value.is_some())
}

/// `any` or `all` (which take no `where`; the interpreter has them otherwise).
fn any_or_all(agg: &Agg) -> bool {
    matches!(agg.kind, AggKind::Any | AggKind::All) && agg.filter.is_none()
}

/// One side of a comparison that may be a date: a name, a constant date,
/// `as_of`, or one of those moved by a constant duration. Each is computed
/// as the interpreter computes it (`as_of - k` is the window's first day).
#[derive(Clone)]
enum DateSide {
    Name(Node),
    Fixed(NaiveDate),
    AsOf,
    WindowStart(Duration),
    Shifted(Box<DateSide>, Duration, i32),
}

impl DateSide {
    fn of(node: &Node) -> Option<DateSide> {
        match node {
            Node::Const(Value::Date(d)) => Some(DateSide::Fixed(*d)),
            Node::Input(_) | Node::Derived(_) | Node::Field { .. } | Node::Param(_) => {
                Some(DateSide::Name(node.clone()))
            }
            Node::AsOf => Some(DateSide::AsOf),
            Node::Arith(op @ (ArithOp::Add | ArithOp::Sub), a, b) => {
                let Node::Const(Value::Duration(k)) = **b else { return None };
                match (op, &**a) {
                    (ArithOp::Sub, Node::AsOf) => Some(DateSide::WindowStart(k)),
                    (ArithOp::Sub, _) => Some(DateSide::Shifted(Box::new(DateSide::of(a)?), k, -1)),
                    _ => Some(DateSide::Shifted(Box::new(DateSide::of(a)?), k, 1)),
                }
            }
            _ => None,
        }
    }

    /// The date; `None` when it is not one or cannot be computed.
    fn get(&self, e: &Env<'_>, f: &Frame<'_>) -> Option<NaiveDate> {
        match self {
            DateSide::Name(n) => e
                .with(n, f, |v| match v {
                    Value::Date(d) => Ok(Some(*d)),
                    _ => Ok(None),
                })
                .ok()
                .flatten(),
            DateSide::Fixed(d) => Some(*d),
            DateSide::AsOf => Some(e.as_of),
            DateSide::WindowStart(k) => e.windows.start(e.as_of, *k).ok(),
            DateSide::Shifted(x, k, sign) => value::shift_date(x.get(e, f)?, *k, *sign).ok(),
        }
    }
}

/// A node whose value is a condition's, computed by [`Compiler::bool`].
fn is_condition(node: &Node) -> bool {
    match node {
        Node::Not(_) | Node::And(..) | Node::Or(..) | Node::Cmp(..) | Node::Within(..) | Node::InSet(..) => true,
        Node::Agg(agg) => any_or_all(agg),
        _ => false,
    }
}

/// A name (or constant) whose value `Env::with` borrows.
fn is_name(node: &Node) -> bool {
    matches!(node, Node::Const(_) | Node::Input(_) | Node::Derived(_) | Node::Field { .. } | Node::Param(_))
}

fn interpret_bool(node: &Node) -> Kernel<bool> {
    let node = node.clone();
    kernel(move |e, f| e.eval_bool(&node, f))
}

fn interpret_num(node: &Node) -> Kernel<Decimal> {
    let node = node.clone();
    kernel(move |e, f| e.eval_num(&node, f))
}

fn interpret_value(node: &Node) -> Kernel<Value> {
    let node = node.clone();
    kernel(move |e, f| e.eval(&node, f))
}

#[cfg(test)]
mod tests;
