//! Tests for the checker: ok and err rule files with expected diagnostics.
