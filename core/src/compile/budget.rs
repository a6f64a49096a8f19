//! The evaluation budget: what evaluating one firm can take, proven when a
//! rule set is checked, so a small file cannot ask for unbounded work.
//!
//! Depth: no expression nests deeper than the evaluator allows once its
//! functions are expanded (R0212). Cost: the operations of every expression,
//! with each function's body counted at every call, add up to at most
//! [`MAX_EVAL_COST`] (R0213); thirty functions that each call the one
//! before twice would otherwise ask for a billion operations.
//!
//! An operation is one node of an expression: a constant, a name, an
//! operator, a call; a call adds its function's body and its arguments, as
//! the evaluator evaluates them at every call. A derived value is computed
//! once per firm and a per-record value once per record, so using one costs
//! a single operation, and each counts its own cost once. An aggregate's
//! body counts once, as for one record: records are bounded by the lists'
//! `max_records`. Every branch of an `if` and both sides of `and` and `or`
//! count, so the cost is an upper bound. Each function's depth and cost
//! are computed once, after those of the functions it calls, so checking
//! takes time in proportion to the file however far it would expand.

use crate::diagnostic::{Code, Diagnostic, Span};
use crate::plan::{Derived, FunctionDef, Item, Node, Override, Score};
use crate::syntax::document::Document;

use super::calls;
use super::compiler::Compiler;

/// Most operations evaluating one firm may take, with functions expanded at
/// every call and each aggregate's body counted once (see the module doc).
/// The shipped rule sets take at most 307.
pub const MAX_EVAL_COST: u64 = 50_000;

/// An expression evaluated for every firm, or every record: what it is (for
/// messages), where it is written, and the checked expression.
struct Root<'n> {
    what: String,
    span: Span,
    node: &'n Node,
}

impl Compiler<'_> {
    /// Proves the depth and the cost of every expression of a rule set that
    /// has no other error.
    pub(super) fn check_eval_budget(
        &mut self,
        d: &Document,
        functions: &[FunctionDef],
        derived: &[Derived],
        items: &[Item],
        overrides: &[Override],
        score: &Score,
    ) {
        if self.diags.iter().any(Diagnostic::is_error) {
            return; // Cycles or unchecked bodies: depths and costs are not meaningful.
        }
        let per_record: Vec<(String, Span, Node)> = (0..self.lists.len())
            .flat_map(|l| {
                let spans = &self.list_derived_src[l];
                self.lists[l].derived.iter().zip(spans).map(|((name, node), src)| {
                    (format!("per-record value `{name}`"), Span::new(self.file, src.span()), node.clone())
                })
            })
            .collect();
        let mut roots: Vec<Root<'_>> = Vec::new();
        for (i, v) in derived.iter().enumerate() {
            let span = Span::new(self.derived_src[i].1, self.derived_src[i].2.span());
            roots.push(Root { what: format!("derived value `{}`", v.name), span, node: &v.node });
        }
        for (item, src) in items.iter().zip(&d.items) {
            let span = self.span(src.get_ref().id.span());
            for node in item.when.iter().chain(&item.points) {
                roots.push(Root { what: format!("item `{}`", item.id), span, node });
            }
        }
        for (o, src) in overrides.iter().zip(&d.overrides) {
            let span = self.span(src.get_ref().id.span());
            roots.push(Root { what: format!("override `{}`", o.id), span, node: &o.when });
        }
        let base_span = d.score.as_ref().map_or(self.span(0..0), |sc| self.span(sc.get_ref().base.span()));
        roots.push(Root { what: "the base score".into(), span: base_span, node: &score.base });
        roots.extend(per_record.iter().map(|(what, span, node)| Root { what: what.clone(), span: *span, node }));

        self.check_eval_depth(functions, &roots);
        self.check_eval_cost(functions, &roots);
    }

    /// Proves that no evaluation nests deeper than the evaluator allows once
    /// function calls are expanded, so a rule file that checks cannot fail
    /// on depth at evaluation time.
    fn check_eval_depth(&mut self, functions: &[FunctionDef], roots: &[Root<'_>]) {
        let mut fn_depth: Vec<Option<usize>> = vec![None; functions.len()];
        for f in calls::analyse(functions.len(), &self.function_calls).callees_first {
            let f = f as usize;
            fn_depth[f] = crate::plan::nesting(&functions[f].body, &fn_depth);
        }
        let limit = crate::plan::MAX_EVAL_DEPTH as usize;
        for root in roots {
            if let Some(n) = crate::plan::nesting(root.node, &fn_depth) {
                if n > limit {
                    self.error(
                        Code::TooDeeplyNested,
                        root.span,
                        format!(
                            "{} nests {n} levels deep once its functions are expanded; the limit is {limit}",
                            root.what
                        ),
                    )
                    .help = Some("simplify the expression or the functions it calls".into());
                }
            }
        }
    }

    /// Proves that evaluating one firm takes at most [`MAX_EVAL_COST`]
    /// operations; otherwise reports the costliest expression.
    fn check_eval_cost(&mut self, functions: &[FunctionDef], roots: &[Root<'_>]) {
        let mut fn_cost: Vec<u64> = vec![0; functions.len()];
        for f in calls::analyse(functions.len(), &self.function_calls).callees_first {
            let f = f as usize;
            fn_cost[f] = cost(&functions[f].body, &fn_cost);
        }
        let costs: Vec<u64> = roots.iter().map(|r| cost(r.node, &fn_cost)).collect();
        let total = costs.iter().fold(0u64, |sum, &c| sum.saturating_add(c));
        if total <= MAX_EVAL_COST {
            return;
        }
        let Some((costliest, &most)) = costs.iter().enumerate().max_by_key(|&(_, c)| c) else { return };
        let root = &roots[costliest];
        self.error(
            Code::TooCostly,
            root.span,
            format!(
                "{} takes {} operations to evaluate once its functions are expanded, and the rule set {}; the limit is {}",
                root.what,
                grouped(most),
                grouped(total),
                grouped(MAX_EVAL_COST)
            ),
        )
        .help = Some(
            "a function's body is evaluated at every call: compute a call used many times once, in a derived value, and use the value"
                .into(),
        );
    }
}

/// The operations evaluating `node` takes, with each function called
/// costing `fn_cost` of it (its body, expanded in turn).
fn cost(node: &Node, fn_cost: &[u64]) -> u64 {
    let mut total: u64 = 1;
    if let Node::Call(f, _) = node {
        total = total.saturating_add(fn_cost.get(*f as usize).copied().unwrap_or(0));
    }
    node.for_each_child(&mut |c| total = total.saturating_add(cost(c, fn_cost)));
    total
}

/// `1234567` as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() * 4 / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
