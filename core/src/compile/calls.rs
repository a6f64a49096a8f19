//! The call graph of a rule set's functions: which functions call
//! themselves, directly or through others, and an order in which every
//! function comes after the functions it calls.
//!
//! One pass of Tarjan's strongly connected components, iterative and linear
//! in the number of functions and calls, so a file of thousands of functions
//! calling each other checks as quickly as a file of a few.

/// What the call graph tells.
pub(super) struct Calls {
    /// Every function, each after every function it calls (functions that
    /// call each other come together, in no particular order).
    pub(super) callees_first: Vec<u32>,
    /// By function: whether it calls itself, directly or through others.
    pub(super) recursive: Vec<bool>,
}

/// Analyses `n` functions with these `(caller, callee)` calls.
pub(super) fn analyse(n: usize, calls: &[(u32, u32)]) -> Calls {
    let mut callees: Vec<Vec<u32>> = vec![Vec::new(); n];
    for &(caller, callee) in calls {
        callees[caller as usize].push(callee);
    }
    let mut walk = Walk { index: vec![UNSEEN; n], low: vec![0; n], on_stack: vec![false; n], ..Walk::default() };
    let mut out = Calls { callees_first: Vec::with_capacity(n), recursive: vec![false; n] };
    for root in 0..n as u32 {
        if walk.index[root as usize] != UNSEEN {
            continue;
        }
        walk.visit(root);
        while let Some(&(f, visited)) = walk.work.last() {
            let f_at = f as usize;
            if let Some(&callee) = callees[f_at].get(visited) {
                if let Some(top) = walk.work.last_mut() {
                    top.1 += 1;
                }
                if walk.index[callee as usize] == UNSEEN {
                    walk.visit(callee);
                } else if walk.on_stack[callee as usize] {
                    walk.low[f_at] = walk.low[f_at].min(walk.index[callee as usize]);
                }
                continue;
            }
            walk.work.pop();
            if let Some(&(caller, _)) = walk.work.last() {
                walk.low[caller as usize] = walk.low[caller as usize].min(walk.low[f_at]);
            }
            if walk.low[f_at] != walk.index[f_at] {
                continue;
            }
            // `f` heads a component: it and the functions above it on the stack call each other.
            let start = walk.stack.iter().rposition(|&g| g == f).unwrap_or(0);
            let component = walk.stack.split_off(start);
            let cyclic = component.len() > 1 || callees[f_at].contains(&f);
            for &g in &component {
                walk.on_stack[g as usize] = false;
                out.recursive[g as usize] = cyclic;
            }
            out.callees_first.extend(component);
        }
    }
    out
}

/// A function not visited yet.
const UNSEEN: u32 = u32::MAX;

/// The state of the walk: Tarjan's numbering, the stack of functions whose
/// component is still open, and the path being walked.
#[derive(Default)]
struct Walk {
    /// By function: the order it was first visited in.
    index: Vec<u32>,
    /// By function: the smallest index it reaches among open functions.
    low: Vec<u32>,
    on_stack: Vec<bool>,
    stack: Vec<u32>,
    /// The path: each function with how many of its callees were visited.
    work: Vec<(u32, usize)>,
    next_index: u32,
}

impl Walk {
    fn visit(&mut self, f: u32) {
        self.index[f as usize] = self.next_index;
        self.low[f as usize] = self.next_index;
        self.next_index += 1;
        self.stack.push(f);
        self.on_stack[f as usize] = true;
        self.work.push((f, 0));
    }
}

#[cfg(test)]
#[path = "calls_tests.rs"]
mod tests;
