//! Integration tests for safegrade. Modules:
//!
//! - `adversarial`: hostile batch inputs (GBK, CRLF, huge fields, a million records, formulas) fail clearly.
//! - `check`: the checker on rule files with known problems (tests/data/check).
//! - `columns`: batch columns the rules do not read (ignored, likely typos, strict runs) and the key headed in Chinese.
//! - `docs`: the worked example in docs/RULES.md is a real, passing rule file.
//! - `error_kinds`: every kind of input and evaluation error, each from a firm's data (tests/data/errors).
//! - `eval`: evaluation goldens: rule file + firm JSON → result JSON (tests/data/eval).
//! - `invariants`: proptest invariants of scoring (monotonicity, order independence, determinism).
//! - `hostile`: hostile rule files and inputs never panic or hang.
//! - `rows`: batch scoring of rows in memory (`score_rows`) and firm by firm (`Scorer`) matches the CSV run.
//! - `shipped_rules`: every file under rules/ checks clean and passes its own cases.
//! - `support`: helpers.
//! - `tidy`: house rules (a `//!` doc atop every Rust file).
//! - `trial_batch`: batch defects an adversarial trial found (unreadable list rows, carried names, wide headers, line numbers).
//! - `trial_rules`: exact decimals, yes/no in any case, the evaluation cost bound, includes kept inside the rules root.

mod adversarial;
mod check;
mod columns;
mod docs;
mod error_kinds;
mod eval;
mod hostile;
mod imports;
mod invariants;
mod rows;
mod shipped_rules;
mod support;
mod tidy;
mod trial_batch;
mod trial_rules;

/// Batch scoring: `safegrade::batch` and its sample data.
mod batch;
