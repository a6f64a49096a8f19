//! Integration tests for safegrade. Modules:
//!
//! - `check`: the checker on rule files with known problems (tests/data/check).
//! - `eval`: evaluation goldens: rule file + firm JSON → result JSON (tests/data/eval).
//! - `invariants`: proptest invariants of scoring (monotonicity, order independence, determinism).
//! - `hostile`: hostile rule files and inputs never panic or hang.
//! - `shipped_rules`: every file under rules/ checks clean and passes its own cases.
//! - `support`: helpers.

mod check;
mod eval;
mod invariants;
mod shipped_rules;
mod support;
