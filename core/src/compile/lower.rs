//! Lowering of expressions: syntax to typed plan nodes.
//!
//! Resolves every name (record fields of enclosing aggregates first, then
//! function parameters, then firm inputs and derived values, lists and
//! tables), checks types, records what each expression depends on, and folds
//! constants. Derived values and per-record values are lowered on first use,
//! so their types are known in any file order and cycles are found.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::compiler::{Compiler, Deps};
use super::whole::Reads;
use crate::diagnostic::{did_you_mean, Code, Diagnostic, Span};
use crate::plan::{AggKind, ArithOp, Builtin, CmpOp, Node, Ty};
use crate::syntax::expr::{BinOp, DurationUnit, Expr, ExprKind};
use crate::value::{RoundMode, Value};

/// Where an expression is written, which decides what it can see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ctx {
    /// Items, derived values, score, overrides.
    Firm,
    /// A per-record derived value of a list.
    Record(u32),
    /// A function body.
    Function(u32),
}

pub(crate) struct Scope {
    pub(crate) ctx: Ctx,
    /// Lists whose records are in scope, innermost last.
    records: Vec<u32>,
}

impl Scope {
    pub(crate) fn new(ctx: Ctx) -> Scope {
        let records = match ctx {
            Ctx::Record(list) => vec![list],
            _ => vec![],
        };
        Scope { ctx, records }
    }
}

const AGGREGATES: [&str; 6] = ["count", "sum", "min", "max", "any", "all"];
const BUILTINS: [&str; 14] = [
    "lookup",
    "min",
    "max",
    "abs",
    "floor",
    "ceil",
    "round",
    "years_between",
    "months_between",
    "days_between",
    "uscc_valid",
    "date",
    "error",
    "count",
];

pub(crate) fn ty_name(c: &Compiler<'_>, ty: Ty) -> String {
    match ty {
        Ty::Bool => "bool".into(),
        Ty::Num => "number".into(),
        Ty::Text => "text".into(),
        Ty::Enum(e) => {
            let opts: Vec<&str> = c.enums[e as usize].options.iter().map(|(id, _)| &**id).collect();
            format!("enum ({})", opts.join(", "))
        }
        Ty::Date => "date".into(),
        Ty::Duration => "duration".into(),
        Ty::List(_) => "list".into(),
        Ty::Table(_) => "table".into(),
        Ty::Never => "error".into(),
    }
}

/// The type both sides can be compared or chosen as, if any.
pub(crate) fn unify(a: Ty, b: Ty) -> Option<Ty> {
    match (a, b) {
        _ if a == b => Some(a),
        (Ty::Never, x) | (x, Ty::Never) => Some(x),
        (Ty::Enum(_), Ty::Text) | (Ty::Text, Ty::Enum(_)) | (Ty::Enum(_), Ty::Enum(_)) => Some(Ty::Text),
        _ => None,
    }
}

fn fail() -> (Node, Ty) {
    (Node::Fail(Arc::from("this expression did not check")), Ty::Never)
}

impl Compiler<'_> {
    fn err(&mut self, code: Code, span: Span, msg: String) -> &mut Diagnostic {
        self.diags.push(Diagnostic::error(code, Some(span), msg));
        self.diags.last_mut().expect("just pushed")
    }

    /// Lowers `e`, requiring type `want` unless it is `None`.
    pub(crate) fn lower_as(&mut self, e: &Expr, want: Ty, scope: &mut Scope, deps: &mut Deps) -> Node {
        let (node, ty) = self.lower(e, scope, deps);
        if unify(ty, want).is_none() || (want == Ty::Num && ty != Ty::Num && ty != Ty::Never) {
            let (w, t) = (ty_name(self, want), ty_name(self, ty));
            self.err(Code::TypeMismatch, e.span, format!("expected {w}, found {t}"));
            return fail().0;
        }
        node
    }

    pub(crate) fn lower(&mut self, e: &Expr, scope: &mut Scope, deps: &mut Deps) -> (Node, Ty) {
        match &e.kind {
            ExprKind::Number(n) => (Node::Const(Value::Num(*n)), Ty::Num),
            ExprKind::Text(s) => (Node::Const(self.names.intern(s)), Ty::Text),
            ExprKind::Bool(b) => (Node::Const(Value::Bool(*b)), Ty::Bool),
            ExprKind::Name(name) => self.lower_name(name, e.span, scope, deps),
            ExprKind::Duration(count, unit) => {
                let n = self.lower_as(count, Ty::Num, scope, deps);
                let months = match unit {
                    DurationUnit::Years => 12,
                    DurationUnit::Months => 1,
                    DurationUnit::Days => 0,
                };
                if let Node::Const(Value::Num(k)) = &n {
                    match crate::value::duration_of(*k, months) {
                        // A constant duration is computed once, here.
                        Some(d) => return (Node::Const(Value::Duration(d)), Ty::Duration),
                        None => {
                            self.err(
                                Code::BadDuration,
                                e.span,
                                format!("a duration needs a whole number up to 100000, found `{k}`"),
                            );
                        }
                    }
                }
                (Node::Duration(Box::new(n), months), Ty::Duration)
            }
            ExprKind::Neg(inner) => {
                let n = self.lower_as(inner, Ty::Num, scope, deps);
                match n {
                    Node::Const(Value::Num(x)) => (Node::Const(Value::Num(-x)), Ty::Num),
                    n => (Node::Neg(Box::new(n)), Ty::Num),
                }
            }
            ExprKind::Not(inner) => {
                let n = self.lower_as(inner, Ty::Bool, scope, deps);
                match n {
                    Node::Const(Value::Bool(b)) => (Node::Const(Value::Bool(!b)), Ty::Bool),
                    n => (Node::Not(Box::new(n)), Ty::Bool),
                }
            }
            ExprKind::Binary(op, a, b) => self.lower_binary(*op, a, b, e.span, scope, deps),
            ExprKind::If(branches, otherwise) => {
                let mut out = Vec::new();
                let mut ty = Ty::Never;
                let mut arms = Vec::new();
                for (c, t) in branches {
                    let cn = self.lower_as(c, Ty::Bool, scope, deps);
                    let (tn, tt) = self.lower(t, scope, deps);
                    arms.push((t.span, tt));
                    out.push((cn, tn));
                }
                let (en, et) = self.lower(otherwise, scope, deps);
                arms.push((otherwise.span, et));
                for (span, t) in arms {
                    match unify(ty, t) {
                        Some(u) => ty = u,
                        None => {
                            let (a, b) = (ty_name(self, ty), ty_name(self, t));
                            self.err(
                                Code::TypeMismatch,
                                span,
                                format!("the branches of this `if` have different types: {a} and {b}"),
                            );
                            return fail();
                        }
                    }
                }
                (Node::If(out, Box::new(en)), ty)
            }
            ExprKind::InList(lhs, elems) => {
                let (ln, lt) = self.lower(lhs, scope, deps);
                let mut set = Vec::new();
                for el in elems {
                    let (en, et) = self.lower(el, scope, deps);
                    if unify(lt, et).is_none() {
                        let (a, b) = (ty_name(self, lt), ty_name(self, et));
                        self.err(Code::TypeMismatch, el.span, format!("cannot look for {a} among {b}"));
                    }
                    self.check_enum_literal(lt, &en, el.span);
                    set.push(en);
                }
                (Node::InSet(Box::new(ln), set), Ty::Bool)
            }
            ExprKind::InName(lhs, name, name_span) => {
                let (ln, lt) = self.lower(lhs, scope, deps);
                let Some(t) = self.table_index.get(name.as_str()).copied() else {
                    let candidates: Vec<&str> = self.table_index.keys().map(|s| &**s).collect();
                    let hint = did_you_mean(name, candidates).map(|c| format!("did you mean `{c}`?"));
                    let d = self.err(Code::UnknownName, *name_span, format!("unknown table `{name}`"));
                    if let Some(h) = hint {
                        d.help = Some(h);
                    }
                    return fail();
                };
                let key_ty = self.tables[t as usize].key_ty;
                if unify(lt, key_ty).is_none() {
                    let (a, b) = (ty_name(self, lt), ty_name(self, key_ty));
                    self.err(Code::TypeMismatch, lhs.span, format!("table `{name}` has {b} keys, found {a}"));
                }
                (Node::InTable(Box::new(ln), t), Ty::Bool)
            }
            ExprKind::Within(d, dur) => {
                let dn = self.lower_as(d, Ty::Date, scope, deps);
                let durn = self.lower_as(dur, Ty::Duration, scope, deps);
                (Node::Within(Box::new(dn), Box::new(durn)), Ty::Bool)
            }
            ExprKind::Call { name, name_span, args, filter, default } => {
                self.lower_call(name, *name_span, e.span, args, filter.as_deref(), default.as_deref(), scope, deps)
            }
        }
    }

    fn check_enum_literal(&mut self, ty: Ty, node: &Node, span: Span) {
        let (Ty::Enum(e), Node::Const(Value::Name(lit))) = (ty, node) else { return };
        let lit = self.names.text(*lit).clone();
        let opts = &self.enums[e as usize].options;
        if opts.iter().any(|(id, _)| **id == *lit) {
            return;
        }
        let ids: Vec<String> = opts.iter().map(|(id, _)| id.to_string()).collect();
        let hint = did_you_mean(&lit, ids.iter().map(|s| s.as_str()))
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        self.err(Code::NotAnOption, span, format!("`{lit}` is not one of the options")).help =
            Some(format!("{hint}the options are: {}", ids.join(", ")));
    }

    fn lower_name(&mut self, name: &str, span: Span, scope: &mut Scope, deps: &mut Deps) -> (Node, Ty) {
        // Record fields of enclosing aggregates, innermost first.
        let n_scopes = scope.records.len();
        for (up, &list) in scope.records.iter().rev().enumerate() {
            if let Some(res) = self.record_slot(list, name, span) {
                let (slot, ty) = res;
                // The base record of a per-record value is not an aggregate's.
                let from_aggregate = !(matches!(scope.ctx, Ctx::Record(_)) && up == n_scopes - 1);
                let n_fields = self.lists[list as usize].fields.len();
                if let Some(i) = (slot as usize).checked_sub(n_fields) {
                    if from_aggregate {
                        deps.derived_lists.insert(list);
                    }
                    deps.inputs.extend(self.list_derived_inputs[list as usize][i].iter().copied());
                }
                return (Node::Field { up: up as u16, slot }, ty);
            }
        }
        if let Ctx::Function(f) = scope.ctx {
            if let Some(i) = self.function_params[f as usize].iter().position(|(p, _)| &**p == name) {
                return (Node::Param(i as u32), self.function_params[f as usize][i].1);
            }
        }
        if name == "as_of" {
            return (Node::AsOf, Ty::Date);
        }
        if let Some(&i) = self.input_index.get(name) {
            if matches!(scope.ctx, Ctx::Function(_)) {
                self.err(Code::OutOfScope, span, format!("a function cannot read the input `{name}`")).help =
                    Some("pass it as a parameter".into());
                return fail();
            }
            deps.inputs.insert(i);
            self.used_inputs.insert(i);
            return (Node::Input(i), self.inputs[i as usize].vtype.ty());
        }
        if let Some(&i) = self.derived_index.get(name) {
            if scope.ctx != Ctx::Firm {
                self.err(
                    Code::OutOfScope,
                    span,
                    format!("`{name}` is a firm-level derived value; it cannot be used here"),
                )
                .help = Some("per-record values and functions are computed before firm-level values".into());
                return fail();
            }
            let Some(ty) = self.derived_type(i, span) else { return fail() };
            deps.derived.insert(i);
            return (Node::Derived(i), ty);
        }
        if let Some(&l) = self.list_index.get(name) {
            return (Node::Const(Value::Bool(false)), Ty::List(l));
        }
        if let Some(&t) = self.table_index.get(name) {
            return (Node::Const(Value::Bool(false)), Ty::Table(t));
        }
        let mut candidates: Vec<String> = self.input_index.keys().map(|s| s.to_string()).collect();
        candidates.extend(self.derived_index.keys().map(|s| s.to_string()));
        for &l in &scope.records {
            candidates.extend(self.list_fields(l));
        }
        if let Ctx::Function(f) = scope.ctx {
            candidates.extend(self.function_params[f as usize].iter().map(|(p, _)| p.to_string()));
        }
        let hint = did_you_mean(name, candidates.iter().map(|s| s.as_str()));
        let d = self.err(Code::UnknownName, span, format!("unknown name `{name}`"));
        d.help = Some(match hint {
            Some(h) => format!("did you mean `{h}`?"),
            None => "declare it under [inputs] or [derived]".into(),
        });
        fail()
    }

    fn lower_binary(
        &mut self,
        op: BinOp,
        a: &Expr,
        b: &Expr,
        span: Span,
        scope: &mut Scope,
        deps: &mut Deps,
    ) -> (Node, Ty) {
        match op {
            BinOp::And | BinOp::Or => {
                let an = self.lower_as(a, Ty::Bool, scope, deps);
                let bn = self.lower_as(b, Ty::Bool, scope, deps);
                let node = match (op, &an, &bn) {
                    (BinOp::And, Node::Const(Value::Bool(x)), Node::Const(Value::Bool(y))) => {
                        Node::Const(Value::Bool(*x && *y))
                    }
                    (BinOp::Or, Node::Const(Value::Bool(x)), Node::Const(Value::Bool(y))) => {
                        Node::Const(Value::Bool(*x || *y))
                    }
                    (BinOp::And, Node::Const(Value::Bool(false)), _) => Node::Const(Value::Bool(false)),
                    (BinOp::Or, Node::Const(Value::Bool(true)), _) => Node::Const(Value::Bool(true)),
                    (BinOp::And, ..) => Node::And(Box::new(an), Box::new(bn)),
                    _ => Node::Or(Box::new(an), Box::new(bn)),
                };
                (node, Ty::Bool)
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let (an, at) = self.lower(a, scope, deps);
                let (bn, bt) = self.lower(b, scope, deps);
                let aop = match op {
                    BinOp::Add => ArithOp::Add,
                    BinOp::Sub => ArithOp::Sub,
                    BinOp::Mul => ArithOp::Mul,
                    _ => ArithOp::Div,
                };
                let ty = match (at, bt, aop) {
                    (Ty::Num, Ty::Num, _) => Ty::Num,
                    (Ty::Date, Ty::Duration, ArithOp::Add | ArithOp::Sub) => Ty::Date,
                    (Ty::Duration, Ty::Date, ArithOp::Add) => Ty::Date,
                    (Ty::Never, t, _) | (t, Ty::Never, _) => {
                        if t == Ty::Date || t == Ty::Duration {
                            Ty::Date
                        } else {
                            Ty::Num
                        }
                    }
                    _ => {
                        let (x, y) = (ty_name(self, at), ty_name(self, bt));
                        self.err(Code::TypeMismatch, span, format!("cannot apply `{}` to {x} and {y}", op.symbol()))
                            .help = Some(
                            "arithmetic works on numbers; a date can be moved by a duration such as `3 years`".into(),
                        );
                        return fail();
                    }
                };
                if let (Node::Const(Value::Num(x)), Node::Const(Value::Num(y))) = (&an, &bn) {
                    let folded = match aop {
                        ArithOp::Add => crate::value::add(*x, *y),
                        ArithOp::Sub => crate::value::sub(*x, *y),
                        ArithOp::Mul => crate::value::mul(*x, *y),
                        ArithOp::Div => crate::value::div(*x, *y),
                    };
                    if let Ok(v) = folded {
                        return (Node::Const(Value::Num(v)), Ty::Num);
                    }
                }
                (Node::Arith(aop, Box::new(an), Box::new(bn)), ty)
            }
            _ => {
                let cop = match op {
                    BinOp::Eq => CmpOp::Eq,
                    BinOp::Ne => CmpOp::Ne,
                    BinOp::Lt => CmpOp::Lt,
                    BinOp::Le => CmpOp::Le,
                    BinOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                let (an, at) = self.lower(a, scope, deps);
                let (bn, bt) = self.lower(b, scope, deps);
                let Some(u) = unify(at, bt) else {
                    let (x, y) = (ty_name(self, at), ty_name(self, bt));
                    self.err(Code::TypeMismatch, span, format!("cannot compare {x} with {y}"));
                    return fail();
                };
                let ordered = matches!(u, Ty::Num | Ty::Date | Ty::Never);
                if !ordered && !matches!(cop, CmpOp::Eq | CmpOp::Ne) || matches!(u, Ty::List(_) | Ty::Table(_)) {
                    let t = ty_name(self, u);
                    self.err(Code::TypeMismatch, span, format!("`{}` does not apply to {t}", op.symbol())).help =
                        Some("text, options and booleans can only be compared with `==` and `!=`".into());
                    return fail();
                }
                self.check_enum_literal(at, &bn, b.span);
                self.check_enum_literal(bt, &an, a.span);
                if let (Node::Const(x), Node::Const(y)) = (&an, &bn) {
                    let ord = match (x, y) {
                        (Value::Num(p), Value::Num(q)) => Some(p.cmp(q)),
                        (Value::Date(p), Value::Date(q)) => Some(p.cmp(q)),
                        _ => None,
                    };
                    let res = match (cop, ord) {
                        (CmpOp::Eq, _) => Some(x == y),
                        (CmpOp::Ne, _) => Some(x != y),
                        (CmpOp::Lt, Some(o)) => Some(o.is_lt()),
                        (CmpOp::Le, Some(o)) => Some(o.is_le()),
                        (CmpOp::Gt, Some(o)) => Some(o.is_gt()),
                        (CmpOp::Ge, Some(o)) => Some(o.is_ge()),
                        _ => None,
                    };
                    if let Some(b) = res {
                        return (Node::Const(Value::Bool(b)), Ty::Bool);
                    }
                }
                (Node::Cmp(cop, Box::new(an), Box::new(bn)), Ty::Bool)
            }
        }
    }

    #[allow(clippy::too_many_arguments)] // One call site; the parts of a call expression.
    fn lower_call(
        &mut self,
        name: &str,
        name_span: Span,
        span: Span,
        args: &[Expr],
        filter: Option<&Expr>,
        default: Option<&Expr>,
        scope: &mut Scope,
        deps: &mut Deps,
    ) -> (Node, Ty) {
        let first_is_list = args.first().is_some_and(|a| match &a.kind {
            ExprKind::Name(n) => self.list_index.contains_key(n.as_str()) && !self.shadowed(n, scope),
            _ => false,
        });
        if AGGREGATES.contains(&name) && (first_is_list || !matches!(name, "min" | "max")) {
            return self.lower_aggregate(name, span, args, filter, default, scope, deps);
        }
        if let Some(extra) = filter.map(|f| f.span).or(default.map(|d| d.span)) {
            self.err(
                Code::AggregateMisuse,
                extra,
                format!("`where` and `else` only go with aggregates over lists, not `{name}`"),
            );
        }
        if let Some(&f) = self.function_index.get(name) {
            return self.lower_function_call(f, name, span, args, scope, deps);
        }
        let arity = |c: &mut Compiler<'_>, n: std::ops::RangeInclusive<usize>| -> bool {
            if n.contains(&args.len()) {
                return true;
            }
            let want =
                if n.start() == n.end() { n.start().to_string() } else { format!("{} to {}", n.start(), n.end()) };
            c.err(Code::ArgumentCount, span, format!("`{name}` takes {want} arguments, found {}", args.len()));
            false
        };
        match name {
            "min" | "max" => {
                if !arity(self, 2..=64) {
                    return fail();
                }
                let mut nodes = Vec::new();
                let mut ty = Ty::Never;
                for a in args {
                    let (n, t) = self.lower(a, scope, deps);
                    match unify(ty, t) {
                        Some(u @ (Ty::Num | Ty::Date | Ty::Never)) => ty = u,
                        _ => {
                            let t = ty_name(self, t);
                            self.err(
                                Code::TypeMismatch,
                                a.span,
                                format!("`{name}` compares numbers or dates, found {t}"),
                            );
                            return fail();
                        }
                    }
                    nodes.push(n);
                }
                let b = if name == "min" { Builtin::Min } else { Builtin::Max };
                (Node::Builtin(b, nodes), ty)
            }
            "abs" | "floor" | "ceil" => {
                if !arity(self, 1..=1) {
                    return fail();
                }
                let n = self.lower_as(&args[0], Ty::Num, scope, deps);
                let b = match name {
                    "abs" => Builtin::Abs,
                    "floor" => Builtin::Floor,
                    _ => Builtin::Ceil,
                };
                (Node::Builtin(b, vec![n]), Ty::Num)
            }
            "round" => {
                if !arity(self, 3..=3) {
                    return fail();
                }
                let x = self.lower_as(&args[0], Ty::Num, scope, deps);
                let places = match &args[1].kind {
                    ExprKind::Number(p) if p.fract().is_zero() && *p >= Decimal::ZERO && *p <= Decimal::from(28) => {
                        // Normalised, a whole number up to 28 has scale 0 and a small mantissa.
                        p.normalize().mantissa() as u32
                    }
                    _ => {
                        self.err(
                            Code::BadLiteralArgument,
                            args[1].span,
                            "the number of places must be a whole number from 0 to 28".into(),
                        );
                        return fail();
                    }
                };
                let mode = match &args[2].kind {
                    ExprKind::Text(m) => RoundMode::parse(m),
                    _ => None,
                };
                let Some(mode) = mode else {
                    self.err(Code::BadLiteralArgument, args[2].span, "expected a rounding mode".into()).help =
                        Some(format!("one of: {}", RoundMode::NAMES.join(", ")));
                    return fail();
                };
                (Node::Builtin(Builtin::Round(places, mode), vec![x]), Ty::Num)
            }
            "years_between" | "months_between" | "days_between" => {
                if !arity(self, 2..=2) {
                    return fail();
                }
                let a = self.lower_as(&args[0], Ty::Date, scope, deps);
                let b = self.lower_as(&args[1], Ty::Date, scope, deps);
                let f = match name {
                    "years_between" => Builtin::YearsBetween,
                    "months_between" => Builtin::MonthsBetween,
                    _ => Builtin::DaysBetween,
                };
                (Node::Builtin(f, vec![a, b]), Ty::Num)
            }
            "uscc_valid" => {
                if !arity(self, 1..=1) {
                    return fail();
                }
                let a = self.lower_as(&args[0], Ty::Text, scope, deps);
                (Node::Builtin(Builtin::UsccValid, vec![a]), Ty::Bool)
            }
            "date" => {
                if !arity(self, 1..=1) {
                    return fail();
                }
                let parsed = match &args[0].kind {
                    ExprKind::Text(s) => crate::input::parse_date_literal(s),
                    _ => None,
                };
                match parsed {
                    Some(d) => (Node::Const(Value::Date(d)), Ty::Date),
                    None => {
                        self.err(
                            Code::BadLiteralArgument,
                            args[0].span,
                            "expected a date written \"YYYY-MM-DD\"".into(),
                        );
                        fail()
                    }
                }
            }
            "error" => {
                if !arity(self, 1..=1) {
                    return fail();
                }
                match &args[0].kind {
                    ExprKind::Text(s) => (Node::Fail(Arc::from(s.as_str())), Ty::Never),
                    _ => {
                        self.err(Code::BadLiteralArgument, args[0].span, "`error` takes a text literal".into());
                        fail()
                    }
                }
            }
            "lookup" => self.lower_lookup(span, args, scope, deps),
            _ => {
                let mut candidates: Vec<&str> = BUILTINS.to_vec();
                candidates.extend(AGGREGATES);
                let fnames: Vec<String> = self.function_index.keys().map(|s| s.to_string()).collect();
                candidates.extend(fnames.iter().map(|s| s.as_str()));
                let hint = did_you_mean(name, candidates);
                let d = self.err(Code::UnknownName, name_span, format!("unknown function `{name}`"));
                d.help = Some(match hint {
                    Some(h) => format!("did you mean `{h}`?"),
                    None => "see the function list in docs/RULES.md".into(),
                });
                fail()
            }
        }
    }

    fn shadowed(&self, name: &str, scope: &Scope) -> bool {
        scope.records.iter().any(|&l| self.list_fields(l).iter().any(|f| f == name))
    }

    fn lower_lookup(&mut self, span: Span, args: &[Expr], scope: &mut Scope, deps: &mut Deps) -> (Node, Ty) {
        if !(2..=3).contains(&args.len()) {
            self.err(Code::ArgumentCount, span, format!("`lookup` takes 2 or 3 arguments, found {}", args.len()));
            return fail();
        }
        let t = match &args[0].kind {
            ExprKind::Name(n) if self.table_index.contains_key(n.as_str()) => self.table_index[n.as_str()],
            _ => {
                let names: Vec<String> = self.table_index.keys().map(|s| s.to_string()).collect();
                self.err(Code::UnknownName, args[0].span, "the first argument of `lookup` must be a table".into())
                    .help = Some(if names.is_empty() {
                    "declare it under [tables]".into()
                } else {
                    format!("tables: {}", names.join(", "))
                });
                return fail();
            }
        };
        let (kn, kt) = self.lower(&args[1], scope, deps);
        let key_ty = self.tables[t as usize].key_ty;
        if unify(kt, key_ty).is_none() {
            let (a, b) = (ty_name(self, kt), ty_name(self, key_ty));
            self.err(Code::TypeMismatch, args[1].span, format!("this table has {b} keys, found {a}"));
        }
        let columns = self.tables[t as usize].columns.clone();
        let col = if args.len() == 3 {
            let ExprKind::Text(c) = &args[2].kind else {
                self.err(
                    Code::BadLiteralArgument,
                    args[2].span,
                    "the column must be given as text, such as \"q\"".into(),
                );
                return fail();
            };
            match columns.iter().position(|(n, _)| &**n == c) {
                Some(i) => i,
                None => {
                    let names: Vec<&str> = columns.iter().map(|(n, _)| &**n).collect();
                    self.err(Code::UnknownName, args[2].span, format!("the table has no column `{c}`")).help =
                        Some(format!("columns: {}", names.join(", ")));
                    return fail();
                }
            }
        } else if columns.len() == 1 {
            0
        } else {
            self.err(
                Code::ArgumentCount,
                span,
                "this table has several columns; name one as the third argument".into(),
            );
            return fail();
        };
        (Node::Lookup(t, Box::new(kn), col as u32), columns[col].1)
    }

    fn lower_function_call(
        &mut self,
        f: u32,
        name: &str,
        span: Span,
        args: &[Expr],
        scope: &mut Scope,
        deps: &mut Deps,
    ) -> (Node, Ty) {
        let params = self.function_params[f as usize].clone();
        if params.len() != args.len() {
            self.err(
                Code::ArgumentCount,
                span,
                format!("`{name}` takes {} arguments, found {}", params.len(), args.len()),
            );
            return fail();
        }
        if let Ctx::Function(caller) = scope.ctx {
            self.function_calls.push((caller, f));
        }
        let mut nodes = Vec::new();
        for (k, (a, (param, ty))) in args.iter().zip(&params).enumerate() {
            let node = self.lower_as(a, *ty, scope, deps);
            let function = match scope.ctx {
                Ctx::Function(g) => Some(g),
                _ => None,
            };
            if self.function_whole[f as usize].0[k]
                && !self.is_whole(&node, &Reads { records: &scope.records, function })
            {
                self.err(
                    Code::TypeMismatch,
                    a.span,
                    format!("`{name}` takes an integer for `{param}`, but this may have a fraction"),
                )
                .help = Some("round it with round(…, 0, \"mode\"), floor(…) or ceil(…)".into());
            }
            nodes.push(node);
        }
        (Node::Call(f, nodes), self.function_returns[f as usize])
    }

    #[allow(clippy::too_many_arguments)] // One call site; the parts of a call expression.
    fn lower_aggregate(
        &mut self,
        name: &str,
        span: Span,
        args: &[Expr],
        filter: Option<&Expr>,
        default: Option<&Expr>,
        scope: &mut Scope,
        deps: &mut Deps,
    ) -> (Node, Ty) {
        let kind = match name {
            "count" => AggKind::Count,
            "sum" => AggKind::Sum,
            "min" => AggKind::Min,
            "max" => AggKind::Max,
            "any" => AggKind::Any,
            _ => AggKind::All,
        };
        if let Ctx::Function(_) = scope.ctx {
            self.err(
                Code::OutOfScope,
                span,
                format!("a function cannot read lists; `{name}` over a list belongs in a derived value"),
            )
            .help = Some("pass the aggregate's result to the function as a parameter".into());
            return fail();
        }
        let want_args = if kind == AggKind::Count { 1 } else { 2 };
        let list = match args.first().map(|a| &a.kind) {
            Some(ExprKind::Name(n)) if self.list_index.contains_key(n.as_str()) => self.list_index[n.as_str()],
            _ => {
                let names: Vec<String> = self.list_index.keys().map(|s| s.to_string()).collect();
                let at = args.first().map_or(span, |a| a.span);
                self.err(Code::AggregateMisuse, at, format!("the first argument of `{name}` must be a list")).help =
                    Some(if names.is_empty() {
                        "declare it under [lists]".into()
                    } else {
                        format!("lists: {}", names.join(", "))
                    });
                return fail();
            }
        };
        if args.len() != want_args {
            let noun = if want_args == 1 { "argument" } else { "arguments" };
            self.err(Code::ArgumentCount, span, format!("`{name}` takes {want_args} {noun}, found {}", args.len()))
                .help = Some(match kind {
                AggKind::Count => "write `count(list)` or `count(list where condition)`".into(),
                _ => format!("write `{name}(list, expression)`, optionally with `where condition`"),
            });
            return fail();
        }
        if matches!(kind, AggKind::Any | AggKind::All) && filter.is_some() {
            self.err(
                Code::AggregateMisuse,
                filter.map_or(span, |f| f.span),
                format!("`{name}` takes its condition as the second argument, not `where`"),
            );
        }
        match (kind, default) {
            (AggKind::Min | AggKind::Max, None) => {
                self.err(
                    Code::AggregateMisuse,
                    span,
                    format!("`{name}` over a list needs an `else` value for when no record matches"),
                )
                .help = Some(format!("write `{name}(list, expression else 0)`"));
                return fail();
            }
            (AggKind::Min | AggKind::Max, Some(_)) => {}
            (_, Some(d)) => {
                self.err(Code::AggregateMisuse, d.span, format!("`{name}` does not take an `else` value"));
            }
            _ => {}
        }
        deps.lists.insert(list);
        scope.records.push(list);
        let value_ty = match kind {
            AggKind::Count => Ty::Num,
            AggKind::Sum => Ty::Num,
            AggKind::Any | AggKind::All => Ty::Bool,
            AggKind::Min | AggKind::Max => Ty::Never,
        };
        let (value, vt) = match args.get(1) {
            Some(a) if value_ty == Ty::Never => {
                let (n, t) = self.lower(a, scope, deps);
                if !matches!(t, Ty::Num | Ty::Date | Ty::Never) {
                    let t = ty_name(self, t);
                    self.err(Code::TypeMismatch, a.span, format!("`{name}` works on numbers or dates, found {t}"));
                }
                (Some(n), t)
            }
            Some(a) => (Some(self.lower_as(a, value_ty, scope, deps)), value_ty),
            None => (None, Ty::Num),
        };
        let filter = filter.map(|f| self.lower_as(f, Ty::Bool, scope, deps));
        scope.records.pop();
        let default =
            default.filter(|_| matches!(kind, AggKind::Min | AggKind::Max)).map(|d| self.lower_as(d, vt, scope, deps));
        let ty = match kind {
            AggKind::Count | AggKind::Sum => Ty::Num,
            AggKind::Any | AggKind::All => Ty::Bool,
            _ => vt,
        };
        (Node::Agg(Box::new(crate::plan::Agg { kind, list, value, filter, default })), ty)
    }
}
