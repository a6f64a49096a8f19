//! Tests for the call graph: recursion found in any shape, callees ordered first.

use super::analyse;

/// The position of each function in the order.
fn positions(order: &[u32]) -> Vec<usize> {
    let mut at = vec![0; order.len()];
    for (i, &f) in order.iter().enumerate() {
        at[f as usize] = i;
    }
    at
}

#[test]
fn callees_come_before_their_callers() {
    // 0 → 1 → 2, 0 → 2, 3 → 0
    let calls = analyse(4, &[(0, 1), (1, 2), (0, 2), (3, 0)]);
    assert_eq!(calls.recursive, vec![false; 4]);
    let at = positions(&calls.callees_first);
    assert!(at[2] < at[1] && at[1] < at[0] && at[0] < at[3], "{:?}", calls.callees_first);
}

#[test]
fn recursion_is_found_directly_and_through_others() {
    // 0 calls itself; 1 → 2 → 3 → 1; 4 calls into the cycle but is not on it.
    let calls = analyse(5, &[(0, 0), (1, 2), (2, 3), (3, 1), (4, 2)]);
    assert_eq!(calls.recursive, vec![true, true, true, true, false]);
    assert_eq!(calls.callees_first.len(), 5);
}

#[test]
fn a_long_chain_is_walked_without_recursion() {
    let n = 200_000u32;
    let chain: Vec<(u32, u32)> = (0..n - 1).map(|f| (f, f + 1)).collect();
    let calls = analyse(n as usize, &chain);
    assert!(calls.recursive.iter().all(|r| !r));
    assert_eq!(calls.callees_first.first(), Some(&(n - 1)));
    assert_eq!(calls.callees_first.last(), Some(&0));
}
