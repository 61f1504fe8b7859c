//! The integration tests: one binary (compiled once), one module per concern.

mod bad_input;
mod cli;
mod golden;
mod lint;
mod support;
mod tidy;
