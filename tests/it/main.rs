//! Integration tests: rule files under `rules/`, golden CLI output, invariants.
