//! Outcome tables: a rule set whose every input takes one of a few values
//! (yes/no answers, enum options, numbers from an `allowed` list or a small
//! whole-number range), which has no lists and never reads `as_of`, gives
//! the same outcome for the same answers on every firm and date. Such a
//! rule set is evaluated once for each combination of answers when its
//! kernels are compiled, and a firm is then answered by looking its answers
//! up. A firm with an answer outside the table (missing, another scale such
//! as `2.0` for `2`, a value the checks did not admit) is evaluated as
//! usual, so the table changes speed only, never a result.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::fault::EvalError;
use super::outcome::Outcome;
use crate::input::Firm;
use crate::plan::{Field, Node, Plan, ValueType};
use crate::value::Value;

/// The most combinations of answers a table holds (the LEC method's
/// 7 × 6 × 6 = 252 fit); larger rule sets are evaluated firm by firm.
const MAX_ROWS: usize = 256;

/// The outcome of every combination of a rule set's answers.
#[derive(Debug)]
pub(crate) struct OutcomeTable {
    /// The values each input may take, by input.
    domains: Vec<Domain>,
    /// By combination: the first input's answer varies slowest.
    outcomes: Vec<Result<Outcome, EvalError>>,
}

/// The values one input may take.
#[derive(Debug)]
enum Domain {
    /// `false`, then `true`.
    Bool,
    /// The enum's option ids as values (names), in declaration order.
    Options(Vec<Value>),
    /// These numbers, each with its own scale.
    Numbers(Vec<Decimal>),
}

impl Domain {
    /// The domain of `field`, if it is small and known when the rules are compiled.
    fn of(plan: &Plan, field: &Field) -> Option<Domain> {
        match field.vtype {
            ValueType::Bool => Some(Domain::Bool),
            ValueType::Enum(e) => Some(Domain::Options(plan.enums.get(e as usize)?.values.clone())),
            ValueType::Integer | ValueType::Decimal if field.allowed.is_some() => {
                Some(Domain::Numbers(field.allowed.clone()?))
            }
            ValueType::Integer => {
                let low = i64::try_from(field.min?.ceil()).ok()?;
                let high = i64::try_from(field.max?.floor()).ok()?;
                let count = usize::try_from(high.checked_sub(low)?.checked_add(1)?).ok()?;
                (count <= MAX_ROWS).then(|| Domain::Numbers((low..=high).map(Decimal::from).collect()))
            }
            _ => None,
        }
    }

    fn len(&self) -> usize {
        match self {
            Domain::Bool => 2,
            Domain::Options(options) => options.len(),
            Domain::Numbers(numbers) => numbers.len(),
        }
    }

    fn value(&self, index: usize) -> Value {
        match self {
            Domain::Bool => Value::Bool(index == 1),
            Domain::Options(options) => options[index].clone(),
            Domain::Numbers(numbers) => Value::Num(numbers[index]),
        }
    }

    /// Where `value` is in the domain. Numbers must match to the bit (value,
    /// scale and sign), since a result may show the scale of its inputs.
    fn index(&self, value: &Value) -> Option<usize> {
        match (self, value) {
            (Domain::Bool, Value::Bool(b)) => Some(usize::from(*b)),
            (Domain::Options(options), Value::Name(_)) => options.iter().position(|o| o == value),
            (Domain::Numbers(numbers), Value::Num(n)) => {
                let bits = n.serialize();
                numbers.iter().position(|d| d.serialize() == bits)
            }
            _ => None,
        }
    }
}

impl OutcomeTable {
    /// The table of `plan`, if its outcome depends on its answers alone and
    /// they have few combinations; `run` evaluates one firm.
    pub(crate) fn build(
        plan: &Plan,
        has_unanswerable_inputs: bool,
        run: impl Fn(&Firm, NaiveDate) -> Result<Outcome, EvalError>,
    ) -> Option<OutcomeTable> {
        if !plan.lists.is_empty() || has_unanswerable_inputs || reads_as_of(plan) {
            return None;
        }
        let domains: Vec<Domain> = plan.inputs.iter().map(|f| Domain::of(plan, f)).collect::<Option<_>>()?;
        let rows = domains.iter().try_fold(1usize, |rows, d| rows.checked_mul(d.len()).filter(|&n| n <= MAX_ROWS))?;
        // Any date: the outcome does not read it.
        let as_of = NaiveDate::from_ymd_opt(2000, 1, 1)?;
        let outcomes = (0..rows)
            .map(|row| {
                let mut inputs = vec![None; domains.len()];
                let mut rest = row;
                for (slot, domain) in inputs.iter_mut().zip(&domains).rev() {
                    *slot = Some(domain.value(rest % domain.len()));
                    rest /= domain.len();
                }
                run(&Firm { inputs, lists: SmallVec::new(), missing: Vec::new() }, as_of)
            })
            .collect();
        Some(OutcomeTable { domains, outcomes })
    }

    /// The outcome for these answers, if each is one the table holds.
    pub(crate) fn get(&self, inputs: &[Option<Value>]) -> Option<&Result<Outcome, EvalError>> {
        if inputs.len() != self.domains.len() {
            return None;
        }
        let mut row = 0;
        for (answer, domain) in inputs.iter().zip(&self.domains) {
            row = row * domain.len() + domain.index(answer.as_ref()?)?;
        }
        self.outcomes.get(row)
    }
}

/// Whether any expression of `plan` reads the as-of date (`as_of` itself,
/// or a `within` window, which ends on it).
fn reads_as_of(plan: &Plan) -> bool {
    let items = plan.items.iter().flat_map(|i| i.when.iter().chain(&i.points));
    let mut roots = (plan.derived.iter().map(|d| &d.node))
        .chain(items)
        .chain(plan.overrides.iter().map(|o| &o.when))
        .chain(plan.functions.iter().map(|f| &f.body))
        .chain([&plan.score.base]);
    roots.any(node_reads_as_of)
}

fn node_reads_as_of(node: &Node) -> bool {
    use crate::plan::Node as N;
    match node {
        N::AsOf | N::Within(..) => true,
        N::Const(_) | N::Input(_) | N::Derived(_) | N::Field { .. } | N::Param(_) | N::Fail(_) => false,
        N::Neg(a) | N::Not(a) | N::InTable(a, _) | N::Duration(a, _) | N::Lookup(_, a, _) => node_reads_as_of(a),
        N::And(a, b) | N::Or(a, b) | N::Arith(_, a, b) | N::Cmp(_, a, b) => node_reads_as_of(a) || node_reads_as_of(b),
        N::If(branches, otherwise) => {
            branches.iter().flat_map(|(c, t)| [c, t]).any(node_reads_as_of) || node_reads_as_of(otherwise)
        }
        N::InSet(a, set) => node_reads_as_of(a) || set.iter().any(node_reads_as_of),
        N::Agg(agg) => agg.value.iter().chain(&agg.filter).chain(&agg.default).any(node_reads_as_of),
        N::Builtin(_, args) | N::Call(_, args) => args.iter().any(node_reads_as_of),
    }
}

#[cfg(test)]
mod tests;
