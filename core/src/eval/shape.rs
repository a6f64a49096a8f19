//! Item shapes: most items of a scorecard are a yes/no answer worth fixed
//! points (`when = "no_dual_power"`, `points = "-5"`) or a count times fixed
//! points (`points = "-2 * n_explosives"`). Recognised here, once, they are
//! scored without the expression interpreter; every other item, and every
//! answer these shapes do not expect, goes through it.

use rust_decimal::Decimal;

use crate::plan::{ArithOp, Field, Node, ValueType};
use crate::value::Value;

/// How an item is scored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ItemShape {
    /// `when` is a yes/no input, `points` a constant `raw`.
    Flag { input: u32, raw: Decimal },
    /// No `when`; `points` is a constant `factor` times a number input.
    PerUnit { input: u32, factor: Decimal },
    /// Anything else: the interpreter evaluates `when` and `points`.
    General,
}

/// The shape of an item with condition `when` and points `points`.
pub(crate) fn item_shape(when: Option<&Node>, points: Option<&Node>, inputs: &[Field]) -> ItemShape {
    let is = |i: &u32, types: &[ValueType]| inputs.get(*i as usize).is_some_and(|f| types.contains(&f.vtype));
    match (when, points) {
        (Some(Node::Input(i)), Some(Node::Const(Value::Num(raw)))) if is(i, &[ValueType::Bool]) => {
            ItemShape::Flag { input: *i, raw: *raw }
        }
        (None, Some(Node::Arith(ArithOp::Mul, a, b))) => match (&**a, &**b) {
            (Node::Const(Value::Num(factor)), Node::Input(i)) | (Node::Input(i), Node::Const(Value::Num(factor)))
                if is(i, &[ValueType::Integer, ValueType::Decimal]) =>
            {
                ItemShape::PerUnit { input: *i, factor: *factor }
            }
            _ => ItemShape::General,
        },
        _ => ItemShape::General,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_flags_and_counts_and_nothing_else() {
        let inputs = [
            Field::plain("x", ValueType::Bool),
            Field::plain("x", ValueType::Integer),
            Field::plain("x", ValueType::Date),
        ];
        let five = Node::Const(Value::Num(Decimal::from(-5)));
        let flag = item_shape(Some(&Node::Input(0)), Some(&five), &inputs);
        assert!(matches!(flag, ItemShape::Flag { input: 0, raw } if raw == Decimal::from(-5)));
        let count = Node::Arith(ArithOp::Mul, Box::new(five.clone()), Box::new(Node::Input(1)));
        assert!(matches!(item_shape(None, Some(&count), &inputs), ItemShape::PerUnit { input: 1, .. }));
        // A count item with a condition, a number used as a flag, a sum: the interpreter's.
        assert!(matches!(item_shape(Some(&Node::Input(0)), Some(&count), &inputs), ItemShape::General));
        assert!(matches!(item_shape(Some(&Node::Input(1)), Some(&five), &inputs), ItemShape::General));
        let sum = Node::Arith(ArithOp::Add, Box::new(five.clone()), Box::new(Node::Input(1)));
        assert!(matches!(item_shape(None, Some(&sum), &inputs), ItemShape::General));
    }
}
