//! The integration tests: one binary (compiled once), one module per concern.

mod bad_input;
mod chart;
mod checkov;
mod cli;
mod deploy;
mod deploy_ecs;
mod deploy_eks;
mod deploy_parent;
mod diff;
mod diff_table;
mod golden;
mod hub_image;
mod hub_login;
mod iam;
mod lint;
mod no_sdk;
mod schema;
mod secrets;
mod support;
mod tidy;
mod users;
