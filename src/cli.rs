//! Command-line interface: clap definitions and dispatch. The only module that prints.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, Config};
use crate::{output, synth};

/// One YAML file to a secure JupyterHub platform on AWS, as CloudFormation.
#[derive(Debug, Parser)]
#[command(name = "hubctl", version, about)]
pub struct Cli {
    /// The config file.
    #[arg(
        long,
        global = true,
        default_value = "hubctl.yaml",
        value_name = "PATH"
    )]
    pub config: PathBuf,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// How results are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// For people.
    #[default]
    Text,
    /// For machines.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load and check the config; report every problem at once.
    Validate {
        /// Only this environment (default: all).
        #[arg(long)]
        env: Option<String>,
        /// Text or JSON.
        #[arg(long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Write every stack's CloudFormation template and each environment's manifest.
    Synth {
        /// Only this environment (default: all).
        #[arg(long)]
        env: Option<String>,
        /// Output directory; replaced atomically.
        #[arg(long, default_value = "hubctl.out", value_name = "DIR")]
        out: PathBuf,
        /// Text or JSON.
        #[arg(long, value_enum, default_value_t)]
        output: OutputFormat,
    },
}

/// Parses the process arguments and runs the command.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match &cli.command {
        Command::Validate { env, output } => validate(&cli.config, env.as_deref(), *output),
        Command::Synth { env, out, output } => synth(&cli.config, env.as_deref(), out, *output),
    }
}

/// Reads and checks the config; every problem is reported before the process exits with 2.
fn load_config(path: &Path, format: OutputFormat) -> Result<Option<Config>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(anyhow!(
                "{}: config file not found; copy config.example.yaml to {} and edit it, or pass --config PATH",
                path.display(),
                path.display()
            ))
        }
        Err(err) => return Err(err).with_context(|| format!("{}: cannot read the config", path.display())),
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
                    println!("{}", serde_json::json!({ "ok": false, "errors": list }));
                }
            }
            Ok(None)
        }
    }
}

fn validate(path: &Path, env: Option<&str>, format: OutputFormat) -> Result<ExitCode> {
    let Some(config) = load_config(path, format)? else {
        return Ok(ExitCode::from(2));
    };
    let selected = config.select(env).map_err(|message| anyhow!(message))?;
    let names: Vec<&str> = selected.iter().map(|d| d.env.as_str()).collect();
    match format {
        OutputFormat::Text => println!("{}: ok, environments: {}", config.file, names.join(", ")),
        OutputFormat::Json => println!(
            "{}",
            serde_json::json!({ "ok": true, "environments": names })
        ),
    }
    Ok(ExitCode::SUCCESS)
}

fn synth(path: &Path, env: Option<&str>, out: &Path, format: OutputFormat) -> Result<ExitCode> {
    let Some(config) = load_config(path, format)? else {
        return Ok(ExitCode::from(2));
    };
    let selected = config.select(env).map_err(|message| anyhow!(message))?;
    let all: Vec<_> = config.deployments.iter().collect();
    let rendered = synth::render(&all, &selected);
    let leftover = output::write_atomically(out, &rendered.files, env.is_some())?;
    if let Some(old) = leftover {
        eprintln!(
            "warning: {}: the previous output could not be removed; delete it by hand",
            old.display()
        );
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
        }
        OutputFormat::Json => {
            let rows: Vec<serde_json::Value> = rendered
                .summary
                .iter()
                .map(|row| serde_json::json!({"env": row.env, "stack": row.stack, "resources": row.resources, "bytes": row.bytes}))
                .collect();
            writeln!(
                stdout,
                "{}",
                serde_json::json!({ "out": out.display().to_string(), "stacks": rows })
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
