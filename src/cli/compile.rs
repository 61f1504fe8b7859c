//! Reading the config (every problem at once), `validate` and `synth`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Result};

use super::OutputFormat;
use crate::config::{self, Config};
use crate::{output, synth};

/// Reads and checks the config; every problem is reported before the process exits with 2.
pub(super) fn load_config(path: &Path, format: OutputFormat) -> Result<Option<Config>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            let (problem, fix) = if err.kind() == std::io::ErrorKind::NotFound {
                (
                    "config file not found".to_string(),
                    format!(
                        "copy config.example.yaml to {} and edit it, or pass --config PATH",
                        path.display()
                    ),
                )
            } else {
                (
                    format!("cannot read the config ({err})"),
                    "check the path and its permissions".to_string(),
                )
            };
            if format == OutputFormat::Json {
                // The same shape as the config's own problems, so a pipeline reads one.
                super::print_json(serde_json::json!({"ok": false, "errors": [{
                    "file": path.display().to_string(), "line": null, "column": null,
                    "key": null, "problem": problem, "fix": fix,
                }]}));
                return Ok(None);
            }
            return Err(anyhow!("{}: {problem}; {fix}", path.display()));
        }
    };
    match config::parse(&path.display().to_string(), &text) {
        Ok(config) => Ok(Some(config)),
        Err(errors) => {
            match format {
                OutputFormat::Text => eprintln!("{errors}"),
                OutputFormat::Json => {
                    let list: Vec<serde_json::Value> = errors
                        .0
                        .iter()
                        .map(|e| {
                            serde_json::json!({
                                "file": e.file, "line": e.pos.line, "column": e.pos.col,
                                "key": e.key, "problem": e.problem, "fix": e.hint,
                            })
                        })
                        .collect();
                    super::print_json(serde_json::json!({ "ok": false, "errors": list }));
                }
            }
            Ok(None)
        }
    }
}

pub(super) fn validate(path: &Path, env: Option<&str>, format: OutputFormat) -> Result<ExitCode> {
    let Some(config) = load_config(path, format)? else {
        return Ok(ExitCode::from(2));
    };
    let selected = config.select(env).map_err(|message| anyhow!(message))?;
    let names: Vec<&str> = selected.iter().map(|d| d.env.as_str()).collect();
    match format {
        OutputFormat::Text => println!("{}: ok, environments: {}", config.file, names.join(", ")),
        OutputFormat::Json => {
            super::print_json(serde_json::json!({ "ok": true, "environments": names }))
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn synth(
    path: &Path,
    env: Option<&str>,
    out: &Path,
    format: OutputFormat,
) -> Result<ExitCode> {
    let Some(config) = load_config(path, format)? else {
        return Ok(ExitCode::from(2));
    };
    let selected = config.select(env).map_err(|message| anyhow!(message))?;
    let all: Vec<_> = config.deployments.iter().collect();
    let rendered = synth::render(&all, &selected);
    let leftover = output::write_atomically(out, &rendered.files, env.is_some())?;
    if let Some(old) = leftover {
        super::note(&format!(
            "warning: {}: the previous output could not be removed; delete it by hand",
            old.display()
        ));
    }

    let mut stdout = std::io::stdout().lock();
    match format {
        OutputFormat::Text => {
            let width = rendered
                .summary
                .iter()
                .map(|row| row.stack.len())
                .max()
                .unwrap_or(5)
                .max(5);
            writeln!(
                stdout,
                "{:<width$}  {:>9}  {:>7}",
                "stack", "resources", "bytes"
            )?;
            for row in &rendered.summary {
                writeln!(
                    stdout,
                    "{:<width$}  {:>9}  {:>7}",
                    row.stack, row.resources, row.bytes
                )?;
            }
            writeln!(
                stdout,
                "wrote {} files to {}",
                rendered.files.len(),
                out.display()
            )?;
            for row in rendered.summary.iter().filter(|row| {
                row.env == synth::PARENT_DIR && row.bytes > crate::cfn::MAX_INLINE_TEMPLATE
            }) {
                super::note(&format!(
                    "note: {} is {} bytes, more than CloudFormation takes inline ({}): its owners deploy it through S3 (`aws cloudformation deploy ... --s3-bucket BUCKET`, see the README)",
                    row.stack,
                    row.bytes,
                    crate::cfn::MAX_INLINE_TEMPLATE
                ));
            }
        }
        OutputFormat::Json => {
            let rows: Vec<serde_json::Value> = rendered
                .summary
                .iter()
                .map(|row| serde_json::json!({"env": row.env, "stack": row.stack, "resources": row.resources, "bytes": row.bytes}))
                .collect();
            drop(stdout);
            super::print_json(
                serde_json::json!({ "ok": true, "out": out.display().to_string(), "stacks": rows }),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
