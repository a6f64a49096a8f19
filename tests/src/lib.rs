//! This crate holds only integration tests (`it/`) and their data (`data/`).
