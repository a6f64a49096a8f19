//! safegrade: enterprise safety-credit and risk-grading scoring from rule files.
//!
//! A rule file (TOML, see `docs/RULES.md`) declares what is assessed, how it
//! is scored and how a score becomes a grade. Loading it runs two stages,
//! **parse** (text to syntax with spans) and **check** (names, types, grade
//! bands), and gives an immutable compiled plan; the third stage,
//! **evaluate**, applies the plan to one firm's data as of a date.
//!
//! # Brief overview
//!
//! - [`load()`] reads a rule file (and its includes or scheme steps) through a
//!   [`SourceLoader`] and returns [`Loaded`]: the [`Rules`] when there are no
//!   errors, and every [`Diagnostic`] with the [`SourceMap`] to render it.
//! - [`CompiledRules`] is one checked rule set; [`CompiledScheme`] chains
//!   several. Both are `Send + Sync` and cheap to clone.
//! - [`CompiledRules::assess_json`] reads a firm and evaluates it to an
//!   [`Assessment`]: score, grade, items, overrides, derived values and the
//!   next-grade plan. [`parse_firm_json`] reads that data from JSON text,
//!   refusing an object that gives a key twice (serde_json would keep the
//!   last value silently).
//!
//! The library does no I/O: the caller supplies rule texts and firm data.
//!
//! # Example
//!
//! ```
//! let rules = r#"
//! [ruleset]
//! id = "demo"
//! name = "示例"
//! version = "1"
//!
//! [inputs.violations]
//! type = "integer"
//! label = "违法行为次数"
//! min = 0
//!
//! [[items]]
//! id = "violations"
//! label = "违法行为"
//! points = "-5 * violations"
//! cap = 20
//!
//! [score]
//! base = "100"
//!
//! [[grades]]
//! id = "good"
//! label = "良好"
//! min = 90
//!
//! [[grades]]
//! id = "poor"
//! label = "较差"
//! below = 90
//! "#;
//! let no_files = |p: &str| Err(format!("no file {p}"));
//! let loaded = safegrade::load_str("demo.toml", rules, &no_files);
//! let Some(safegrade::Rules::Set(rules)) = loaded.rules else { panic!("{:?}", loaded.diagnostics) };
//! let firm = serde_json::json!({ "violations": 3 });
//! let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
//! let res = rules.assess_json(&firm, as_of).unwrap();
//! assert_eq!((res.score.as_str(), &*res.grade), ("85", "poor"));
//! assert_eq!(res.next_grade.unwrap().needs, Some(vec!["violations".into()]));
//! ```

mod assessment;
pub mod batch;
mod cases;
mod compile;
mod diagnostic;
#[cfg(feature = "differential")]
#[doc(hidden)]
pub mod differential;
mod eval;
mod input;
mod load;
mod plan;
mod rules;
mod rules_root;
mod schema;
mod syntax;
mod testing;
mod uscc;
mod value;

pub use assessment::{AppliedOverride, Assessment, FiredItem, MissingInput, NextGrade, RulesetRef, Warning};
pub use cases::DEFAULT_TEST_AS_OF;
pub use compile::{DEFAULT_MAX_RECORDS, MAX_CHAIN, MAX_EVAL_COST};
pub use diagnostic::{visible, Code, Diagnostic, FileId, Location, Severity, SourceMap, Span};
pub use eval::{EvalError, EvalErrorKind, EvalOptions};
pub use input::{parse_firm_json, Firm, InputError, InputErrorKind, JsonTextError, MissingTreatment};
pub use load::{join_path, load, load_str, load_with, LoadConfig, Loaded, SourceLoader, MAX_RULE_FILE_BYTES};
pub use plan::{Label, Meta};
pub use rules::{AssessError, CompiledRules, CompiledScheme, Rules, SchemeAssessment, SchemeMeta, SchemeRef, Scored};
pub use schema::{FieldSchema, GradeSchema, GroupSchema, ListSchema, OptionSchema, Schema};
pub use syntax::expr::{MAX_DEPTH, MAX_LEN};
pub use testing::{run_tests, TestOutcome};
pub use uscc::{check_char as uscc_check_char, validate as uscc_validate};
pub use value::Value;
