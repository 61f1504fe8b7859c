//! hubctl turns one YAML file into CloudFormation for a secure JupyterHub platform on AWS.
//!
//! Two halves: a pure compiler (`config` → `model` → `stacks` → `plan` → `synth`) that never touches
//! the file system, the network or AWS, and thin edges (`cli`, `output`) that read the config
//! and write files. See `ARCHITECTURE.md` for the codemap and invariants.
#![deny(missing_docs)]

pub mod cfn;
pub mod cli;
pub mod config;
pub mod deploy;
pub mod diff;
pub mod k8s;
pub mod model;
pub mod output;
pub mod plan;
pub mod stacks;
pub mod synth;
