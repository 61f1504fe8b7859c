//! Command-line interface: clap definitions and dispatch. The only module that prints.
//!
//! One file per group of commands: `compile` (reading the config, `validate`, `synth`),
//! `apply` (`deploy`, `destroy`, and the failure report every command that changes AWS
//! shares), `compare` (`diff`), `starter` (`init`, `help`), `parent` (`parent deploy`),
//! `images`, `users`, `schema`.

#[cfg(feature = "aws")]
mod apply;
mod compare;
mod compile;
#[cfg(feature = "aws")]
mod images;
mod parent;
mod schema;
mod starter;
#[cfg(feature = "aws")]
mod users;

use std::path::PathBuf;
use std::process::ExitCode;

#[cfg(feature = "aws")]
use anyhow::Context;
use anyhow::{anyhow, Result};
use clap::{Parser, Subcommand, ValueEnum};

#[cfg(feature = "aws")]
use crate::config::Config;
use crate::deploy::progress::Verbosity;

/// One YAML file to a secure JupyterHub platform on AWS, as CloudFormation.
#[derive(Debug, Parser)]
#[command(name = "hubctl", version, about, disable_help_subcommand = true)]
pub struct Cli {
    /// The config file.
    #[arg(
        long,
        global = true,
        default_value = "hubctl.yaml",
        value_name = "PATH"
    )]
    pub config: PathBuf,
    /// Print only results and errors: no progress, no notes.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every progress event as a line (also on a terminal) and, after an error's
    /// one-line summary, its full chain of causes as the SDK reports them.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The platform of `hubctl init`'s starter config.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum InitPlatform {
    /// ECS on Fargate.
    #[default]
    Ecs,
    /// EKS (Auto Mode), with the Zero-to-JupyterHub chart.
    Eks,
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

/// How `diff` prints its report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// For people (colour on a terminal, none with `NO_COLOR`).
    #[default]
    Text,
    /// For machines: the shape the README documents.
    Json,
    /// For a pull-request comment (under GitHub's 65,536 characters).
    Markdown,
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
    /// Deploy an environment: its stacks through change sets, and the subzone delegation.
    Deploy {
        /// The environment.
        #[arg(long)]
        env: String,
        /// Do not ask before changing anything (asked only on a terminal).
        #[arg(long)]
        yes: bool,
        /// At most this many stacks at once.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=16))]
        concurrency: u16,
        /// Also write the stacks' outputs as JSON to this file.
        #[arg(long, value_name = "FILE")]
        outputs_file: Option<PathBuf>,
        /// Replace an NS record in the parent zone that points elsewhere.
        #[arg(long)]
        force_delegation: bool,
        /// EKS: stop after the stacks; do not run kubectl (the k8s/ manifests) or helm (the
        /// chart): print the commands that would, with the filled files, instead.
        #[arg(long)]
        skip_helm: bool,
        /// Text or JSON (the result on stdout; progress stays on stderr).
        #[arg(long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Compare the config's synth with an earlier synth output or with the deployed stacks:
    /// what CloudFormation would add, change, replace or remove, risks and access first.
    Diff {
        /// Only this environment (default: all; required with --deployed).
        #[arg(long)]
        env: Option<String>,
        /// An earlier synth output directory (e.g. the base branch's).
        #[arg(
            long,
            value_name = "DIR",
            conflicts_with = "deployed",
            required_unless_present = "deployed"
        )]
        against: Option<PathBuf>,
        /// The environment's live stacks (read-only: DescribeStacks, GetTemplate).
        #[arg(long, requires = "env")]
        deployed: bool,
        /// Exit 1 when anything differs, 3 when access broadens, data is at stake (a stateful
        /// resource replaced or removed, a secret regenerated, protection dropped) or AWS
        /// would refuse the update.
        #[arg(long)]
        fail: bool,
        /// Text, JSON or markdown.
        #[arg(long, value_enum, default_value_t)]
        output: DiffFormat,
    },
    /// Delete an environment's stacks (reverse order) and its delegation record.
    Destroy {
        /// The environment.
        #[arg(long)]
        env: String,
        /// Do not ask first (required without a terminal).
        #[arg(long)]
        yes: bool,
        /// EKS: do not uninstall the Helm releases and delete the k8s/ objects before the
        /// stacks go (e.g. when the cluster cannot be reached); the load balancers, target
        /// groups and security groups the controllers made may then be left behind.
        #[arg(long)]
        skip_helm: bool,
        /// Text or JSON (the result on stdout; progress stays on stderr).
        #[arg(long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Write a commented starter config to --config (hubctl.yaml): one `dev` environment that
    /// validates as it is, with example values to replace. Never overwrites a file.
    Init {
        /// Where JupyterHub runs.
        #[arg(long, value_enum, default_value_t)]
        platform: InitPlatform,
        /// Text or JSON (the result on stdout).
        #[arg(long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Print the config's JSON Schema (draft 2020-12), e.g. `hubctl schema > hubctl.schema.json`
    /// for an editor (`# yaml-language-server: $schema=./hubctl.schema.json` in the config).
    Schema,
    /// Print a shell completion script, e.g. `hubctl completions bash > ~/.local/share/bash-completion/completions/hubctl`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Cognito's first login: invite the configured admins and allowed users the
    /// environment's user pool lacks; Cognito e-mails each a temporary password. Users
    /// already there are left alone; nobody is deleted.
    Users {
        /// The environment.
        #[arg(long)]
        env: String,
        /// Do not ask before inviting (asked only on a terminal).
        #[arg(long)]
        yes: bool,
        /// Show who would be invited; invite nobody.
        #[arg(long)]
        dry_run: bool,
        /// Text or JSON (the result on stdout).
        #[arg(long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// For the owners of the parent DNS account: deploy the delegation roles every
    /// environment's deploy assumes to write its subzone's NS record.
    Parent {
        /// What to do.
        #[command(subcommand)]
        command: parent::ParentCommand,
    },
    /// Create the ECR repositories of the environment's own images (the frame and images
    /// stacks only; no subzone or hub needed) and print the commands that build and push
    /// the images not pushed yet.
    Images {
        /// The environment.
        #[arg(long)]
        env: String,
        /// Do not ask before changing anything (asked only on a terminal).
        #[arg(long)]
        yes: bool,
        /// Text or JSON (the result on stdout).
        #[arg(long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Print the help of hubctl or of one of its commands (as `hubctl <command> --help`).
    Help {
        /// The command.
        command: Option<String>,
    },
}

/// Parses the process arguments and runs the command.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    let verbosity = match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (false, true) => Verbosity::Verbose,
        (false, false) => Verbosity::Normal,
    };
    crate::deploy::progress::set_verbosity(verbosity);
    let json = cli.command.prints_json();
    match dispatch(&cli) {
        Ok(code) => Ok(code),
        // A pipeline that asked for JSON reads its errors as JSON too, in the config
        // problems' shape.
        Err(err) if json => {
            print_json(error_json(&format!("{err:#}")));
            Ok(ExitCode::from(2))
        }
        Err(err) if verbosity == Verbosity::Verbose => {
            eprintln!("error: {err:#}");
            eprintln!("details: {err:?}");
            Ok(ExitCode::from(2))
        }
        Err(err) => Err(err),
    }
}

/// `{"ok": false, "errors": [...]}` for one error that is not a config problem.
pub(crate) fn error_json(problem: &str) -> serde_json::Value {
    serde_json::json!({"ok": false, "errors": [{
        "file": null, "line": null, "column": null, "key": null, "problem": problem, "fix": null,
    }]})
}

/// Prints a command's JSON result on stdout, with `"format": 1` (fields are only added
/// within a format), as `diff --output json` has it.
pub(crate) fn print_json(mut value: serde_json::Value) {
    if let Some(object) = value.as_object_mut() {
        object.insert("format".to_string(), serde_json::json!(1));
    }
    println!("{value}");
}

/// A note for the person at the terminal (stderr), unless `--quiet`.
pub(crate) fn note(message: &str) {
    if crate::deploy::progress::verbosity() != Verbosity::Quiet {
        eprintln!("{message}");
    }
}

impl Command {
    /// True when the command was asked for JSON on stdout.
    fn prints_json(&self) -> bool {
        match self {
            Command::Validate { output, .. }
            | Command::Synth { output, .. }
            | Command::Deploy { output, .. }
            | Command::Destroy { output, .. } => *output == OutputFormat::Json,
            Command::Diff { output, .. } => *output == DiffFormat::Json,
            Command::Users { output, .. }
            | Command::Images { output, .. }
            | Command::Init { output, .. } => *output == OutputFormat::Json,
            Command::Parent { command } => command.prints_json(),
            _ => false,
        }
    }
}

/// What a build without the AWS SDK answers to a command that needs it.
#[cfg(not(feature = "aws"))]
fn without_sdk(command: &str) -> Result<ExitCode> {
    Err(anyhow!(
        "`{command}` talks to AWS, and this hubctl was built without the AWS SDK (--no-default-features): it validates, synthesizes and diffs synth outputs; install the full build (`cargo install --locked --path .`) to deploy"
    ))
}

fn dispatch(cli: &Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Help { command } => starter::help(command.as_deref()),
        #[cfg(feature = "aws")]
        Command::Users {
            env,
            yes,
            dry_run,
            output,
        } => on_env(&cli.config, env, *output, |deployment| {
            users::run(&cli.config, deployment, *yes, *dry_run, *output)
        }),
        #[cfg(feature = "aws")]
        Command::Parent { command } => parent::run(&cli.config, command),
        #[cfg(feature = "aws")]
        Command::Images { env, yes, output } => on_env(&cli.config, env, *output, |deployment| {
            images::images(deployment, *yes, *output)
        }),
        Command::Init { platform, output } => starter::init(&cli.config, *platform, *output),
        Command::Schema => schema::schema(),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut stdout = std::io::stdout();
            clap_complete::generate(*shell, &mut Cli::command(), "hubctl", &mut stdout);
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { env, output } => {
            compile::validate(&cli.config, env.as_deref(), *output)
        }
        Command::Synth { env, out, output } => {
            compile::synth(&cli.config, env.as_deref(), out, *output)
        }
        #[cfg(feature = "aws")]
        Command::Deploy {
            env,
            yes,
            concurrency,
            outputs_file,
            force_delegation,
            skip_helm,
            output,
        } => on_env(&cli.config, env, *output, |deployment| {
            apply::deploy(
                deployment,
                *yes,
                outputs_file.as_deref(),
                apply::options(*force_delegation, usize::from(*concurrency), *skip_helm),
                *output,
            )
        }),
        Command::Diff {
            env,
            against,
            deployed,
            fail,
            output,
        } => compare::diff(
            &cli.config,
            env.as_deref(),
            against.as_deref(),
            *deployed,
            *fail,
            *output,
        ),
        #[cfg(feature = "aws")]
        Command::Destroy {
            env,
            yes,
            skip_helm,
            output,
        } => on_env(&cli.config, env, *output, |deployment| {
            apply::destroy(
                deployment,
                *yes,
                apply::options(false, 4, *skip_helm),
                *output,
            )
        }),
        // Without the SDK, the commands that call AWS say so (the arms above are not built).
        #[cfg(not(feature = "aws"))]
        other => without_sdk(match other {
            Command::Deploy { .. } => "deploy",
            Command::Destroy { .. } => "destroy",
            Command::Parent { .. } => "parent deploy",
            Command::Users { .. } => "users",
            Command::Images { .. } => "images",
            _ => "this command",
        }),
    }
}

/// Reads the config (its problems printed: exit 2) and runs `command` on environment `env`
/// of it: what every command on one environment starts with.
#[cfg(feature = "aws")]
fn on_env(
    path: &std::path::Path,
    env: &str,
    format: OutputFormat,
    command: impl FnOnce(&crate::model::Deployment) -> Result<ExitCode>,
) -> Result<ExitCode> {
    let Some(config) = compile::load_config(path, format)? else {
        return Ok(ExitCode::from(2));
    };
    command(one_env(&config, env)?)
}

#[cfg(feature = "aws")]
pub(super) fn one_env<'c>(config: &'c Config, env: &str) -> Result<&'c crate::model::Deployment> {
    let mut selected = config
        .select(Some(env))
        .map_err(|message| anyhow!(message))?;
    selected
        .pop()
        .ok_or_else(|| anyhow!("no environment named `{env}`"))
}

#[cfg(feature = "aws")]
pub(super) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
