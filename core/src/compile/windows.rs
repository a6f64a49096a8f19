//! Which list fields a time window counts from.
//!
//! `date within 3 years` keeps the records whose date lies in the three
//! years ending on the as-of date, so a record dated after the as-of date
//! drops out without a word: an accident recorded a day late earns "no
//! accident in five years". The evaluation warns about such records (see
//! `eval::future_dates`), but only for the date fields a `within` reads
//! directly, or through a function parameter it reads: a fix deadline of
//! 9999-12-31 or a planned date in the future is not a mistake. This pass
//! finds those fields once, when a plan checks; its nesting is bounded as
//! the evaluator's is (R0212).

use std::collections::BTreeSet;

use crate::plan::{Node, Plan, ValueType};

/// For each list of `plan`, the indices of its date fields that a `within`
/// reads, in order.
pub(crate) fn window_fields(plan: &Plan) -> Vec<Vec<u32>> {
    let params = anchored_params(plan);
    let mut found: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); plan.lists.len()];
    let mut walk = Walk { plan, params: &params, scopes: Vec::new(), found: &mut found };
    for (l, list) in plan.lists.iter().enumerate() {
        walk.scopes = vec![l as u32];
        for (_, node) in &list.derived {
            walk.node(node);
        }
    }
    walk.scopes.clear();
    let firm_level = (plan.derived.iter().map(|d| &d.node))
        .chain(plan.items.iter().flat_map(|i| i.when.iter().chain(&i.points)))
        .chain(plan.overrides.iter().map(|o| &o.when))
        .chain(std::iter::once(&plan.score.base));
    for node in firm_level {
        walk.node(node);
    }
    found.into_iter().map(|s| s.into_iter().collect()).collect()
}

/// For each function, which of its parameters a `within` reads: directly,
/// or by passing it on to such a parameter of another function.
fn anchored_params(plan: &Plan) -> Vec<Vec<bool>> {
    let mut anchored: Vec<Vec<bool>> = plan.functions.iter().map(|_| Vec::new()).collect();
    // Each round marks at least one more parameter, or ends.
    loop {
        let mut changed = false;
        for (f, def) in plan.functions.iter().enumerate() {
            let mut marks = BTreeSet::new();
            params_read_by_windows(&def.body, &anchored, &mut marks);
            for p in marks {
                let row = &mut anchored[f];
                if row.len() <= p as usize {
                    row.resize(p as usize + 1, false);
                }
                if !row[p as usize] {
                    row[p as usize] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            return anchored;
        }
    }
}

/// The parameters of a function body that a window reads.
fn params_read_by_windows(node: &Node, anchored: &[Vec<bool>], out: &mut BTreeSet<u32>) {
    match node {
        Node::Within(d, _) => {
            if let Node::Param(p) = **d {
                out.insert(p);
            }
        }
        Node::Call(g, args) => {
            for (i, a) in args.iter().enumerate() {
                if let Node::Param(p) = *a {
                    if is_anchored(anchored, *g, i) {
                        out.insert(p);
                    }
                }
            }
        }
        _ => {}
    }
    node.for_each_child(&mut |c| params_read_by_windows(c, anchored, out));
}

fn is_anchored(anchored: &[Vec<bool>], f: u32, param: usize) -> bool {
    anchored.get(f as usize).and_then(|row| row.get(param)).copied().unwrap_or(false)
}

struct Walk<'a> {
    plan: &'a Plan,
    params: &'a [Vec<bool>],
    /// The lists whose records are in scope, innermost last.
    scopes: Vec<u32>,
    found: &'a mut [BTreeSet<u32>],
}

impl Walk<'_> {
    fn node(&mut self, node: &Node) {
        match node {
            Node::Within(d, _) => self.anchor(d),
            Node::Call(f, args) => {
                for (i, a) in args.iter().enumerate() {
                    if is_anchored(self.params, *f, i) {
                        self.anchor(a);
                    }
                }
            }
            Node::Agg(agg) => {
                self.scopes.push(agg.list);
                for n in agg.value.iter().chain(&agg.filter) {
                    self.node(n);
                }
                self.scopes.pop();
                // The default is computed outside the records.
                if let Some(n) = &agg.default {
                    self.node(n);
                }
                return;
            }
            _ => {}
        }
        node.for_each_child(&mut |c| self.node(c));
    }

    /// Marks `node` when it is a date field of a record in scope.
    fn anchor(&mut self, node: &Node) {
        let Node::Field { up, slot } = *node else { return };
        let Some(&l) = self.scopes.iter().rev().nth(usize::from(up)) else { return };
        let fields = &self.plan.lists[l as usize].fields;
        if fields.get(slot as usize).is_some_and(|f| f.vtype == ValueType::Date) {
            self.found[l as usize].insert(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::Rules;

    const RULES: &str = r#"
[ruleset]
id = "windows"
name = "windows"
version = "1"

[lists.a]
[lists.a.fields.date]
type = "date"
[lists.a.fields.due]
type = "date"
[lists.a.fields.found]
type = "date"
[lists.a.fields.closed]
type = "date"
[lists.a.derived]
recent = "closed within 2 years"

[lists.b]
[lists.b.fields.on]
type = "date"
[lists.b.fields.planned]
type = "date"

[functions.in_year]
params = { d = "date" }
returns = "bool"
body = "d within 1 year"

[functions.in_year_too]
params = { n = "integer", d = "date" }
returns = "bool"
body = "n > 0 and in_year(d)"

[derived]
n = "count(a where date within 3 years)"
late = "count(a where due < as_of)"
found_recently = "count(a where in_year_too(1, found))"
nested = "any(a, count(b where on within 1 year and planned > date) > 0)"
closed_recently = "count(a where recent)"

[[items]]
id = "x"
label = "x"
points = "-n - late - found_recently - closed_recently"
when = "nested or true"

[score]
base = "100"

[[grades]]
id = "g"
label = "g"
"#;

    #[test]
    fn window_fields_are_the_dates_a_within_reads() {
        let no_files = |p: &str| Err(format!("no file {p}"));
        let loaded = crate::load_str("windows.toml", RULES, &no_files);
        let Some(Rules::Set(r)) = loaded.rules else { panic!("{:?}", loaded.diagnostics) };
        let fields = |l: usize| -> Vec<&str> {
            let list = &r.plan.lists[l];
            list.window_fields.iter().map(|&f| &*list.fields[f as usize].name).collect()
        };
        // `date` directly, `found` through two functions, `closed` in a per-record value;
        // `due` only in a comparison.
        assert_eq!(fields(0), ["date", "found", "closed"]);
        // `on` in a nested aggregate; `planned` only compared with the outer record's date.
        assert_eq!(fields(1), ["on"]);
    }
}
