//! `schema`: the config's JSON Schema on stdout, for editors
//! (`hubctl schema > hubctl.schema.json` and a `# yaml-language-server: $schema=` line).

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};

/// `hubctl schema`: prints [`crate::config::schema::json_schema`]. A reader that stops early
/// (`| head`) is not an error.
pub(super) fn schema() -> Result<ExitCode> {
    let text = crate::config::schema::json_schema();
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        other => other
            .map(|()| ExitCode::SUCCESS)
            .context("cannot write the schema to stdout"),
    }
}
