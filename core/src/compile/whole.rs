//! Whole numbers: which number expressions always give an integer, so that
//! functions declared with `integer` parameters or results can be held to it.
//!
//! The types of the language have one number type; `integer` is a promise
//! that the value has no fraction. A number is known to be whole when it is
//! a whole constant, an integer input or field, an `integer` parameter or
//! function result, a count, whole years / months / days, `floor`, `ceil`,
//! `round` to 0 places, or built from whole numbers by `+`, `-`, `*`, `abs`,
//! `min`, `max`, `if` and sums. Division and decimal inputs are not.

use crate::plan::{AggKind, ArithOp, Builtin, Node, ValueType};
use crate::value::Value;

use super::compiler::Compiler;

/// Where a node is read: the lists whose records are in scope (innermost
/// last) and the function whose parameters are, if any.
pub(crate) struct Reads<'s> {
    pub(crate) records: &'s [u32],
    pub(crate) function: Option<u32>,
}

impl Compiler<'_> {
    /// Whether the number `node` always has a whole value. A node that did
    /// not check counts as whole, so one error is not reported twice.
    pub(crate) fn is_whole(&self, node: &Node, at: &Reads<'_>) -> bool {
        match node {
            Node::Const(Value::Num(n)) => n.fract().is_zero(),
            Node::Input(i) => matches!(self.inputs[*i as usize].vtype, ValueType::Integer),
            Node::Derived(i) => self.derived_whole[*i as usize],
            Node::Field { up, slot } => {
                let Some(&list) = at.records.iter().rev().nth(*up as usize) else { return true };
                let l = &self.lists[list as usize];
                match l.fields.get(*slot as usize) {
                    Some(f) => matches!(f.vtype, ValueType::Integer),
                    None => self.list_derived_whole[list as usize][*slot as usize - l.fields.len()],
                }
            }
            Node::Param(p) => at.function.is_none_or(|f| self.function_whole[f as usize].0[*p as usize]),
            Node::Neg(x) => self.is_whole(x, at),
            Node::Arith(ArithOp::Div, ..) => false,
            Node::Arith(_, a, b) => self.is_whole(a, at) && self.is_whole(b, at),
            Node::If(arms, otherwise) => {
                arms.iter().all(|(_, then)| self.is_whole(then, at)) && self.is_whole(otherwise, at)
            }
            Node::Agg(agg) => {
                let mut records = at.records.to_vec();
                records.push(agg.list);
                let inner = Reads { records: &records, function: at.function };
                match agg.kind {
                    AggKind::Count => true,
                    AggKind::Sum => agg.value.as_ref().is_none_or(|v| self.is_whole(v, &inner)),
                    AggKind::Min | AggKind::Max => {
                        agg.value.as_ref().is_none_or(|v| self.is_whole(v, &inner))
                            && agg.default.as_ref().is_none_or(|d| self.is_whole(d, at))
                    }
                    AggKind::Any | AggKind::All => true,
                }
            }
            Node::Lookup(t, _, col) => self.tables[*t as usize]
                .rows
                .values()
                .all(|row| !matches!(&row[*col as usize], Value::Num(n) if !n.fract().is_zero())),
            Node::Builtin(b, args) => match b {
                Builtin::Min | Builtin::Max | Builtin::Abs => args.iter().all(|a| self.is_whole(a, at)),
                Builtin::Round(places, _) => *places == 0 || args.iter().all(|a| self.is_whole(a, at)),
                Builtin::Floor
                | Builtin::Ceil
                | Builtin::YearsBetween
                | Builtin::MonthsBetween
                | Builtin::DaysBetween
                | Builtin::UsccValid => true,
            },
            Node::Call(f, _) => self.function_whole[*f as usize].1,
            _ => true,
        }
    }
}
