//! Command-line interface: clap definitions and dispatch. The only module that prints.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, Config};
use crate::deploy::api::Cloud;
use crate::{deploy, diff, output, synth};

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
    },
    /// Write a commented starter config to --config (hubctl.yaml): one `dev` environment that
    /// validates as it is, with example values to replace. Never overwrites a file.
    Init {
        /// Where JupyterHub runs.
        #[arg(long, value_enum, default_value_t)]
        platform: InitPlatform,
    },
    /// Print a shell completion script, e.g. `hubctl completions bash > ~/.local/share/bash-completion/completions/hubctl`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
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
    match &cli.command {
        Command::Help { command } => help(command.as_deref()),
        Command::Init { platform } => init(&cli.config, *platform),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut stdout = std::io::stdout();
            clap_complete::generate(*shell, &mut Cli::command(), "hubctl", &mut stdout);
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { env, output } => validate(&cli.config, env.as_deref(), *output),
        Command::Synth { env, out, output } => synth(&cli.config, env.as_deref(), out, *output),
        Command::Deploy {
            env,
            yes,
            concurrency,
            outputs_file,
            force_delegation,
            skip_helm,
        } => {
            let Some(config) = load_config(&cli.config, OutputFormat::Text)? else {
                return Ok(ExitCode::from(2));
            };
            let deployment = one_env(&config, env)?;
            deploy(
                deployment,
                *yes,
                outputs_file.as_deref(),
                options(*force_delegation, usize::from(*concurrency), *skip_helm),
            )
        }
        Command::Diff {
            env,
            against,
            deployed,
            fail,
            output,
        } => diff(
            &cli.config,
            env.as_deref(),
            against.as_deref(),
            *deployed,
            *fail,
            *output,
        ),
        Command::Destroy {
            env,
            yes,
            skip_helm,
        } => {
            let Some(config) = load_config(&cli.config, OutputFormat::Text)? else {
                return Ok(ExitCode::from(2));
            };
            let deployment = one_env(&config, env)?;
            destroy(deployment, *yes, options(false, 4, *skip_helm))
        }
    }
}

fn one_env<'c>(config: &'c Config, env: &str) -> Result<&'c crate::model::Deployment> {
    let mut selected = config
        .select(Some(env))
        .map_err(|message| anyhow!(message))?;
    selected
        .pop()
        .ok_or_else(|| anyhow!("no environment named `{env}`"))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Poll intervals: CloudFormation and Route 53 change in seconds; `HUBCTL_POLL_MS` shortens
/// the wait for local endpoints (tests against moto), `HUBCTL_TIMEOUT_S` the patience.
fn options(force_delegation: bool, concurrency: usize, skip_helm: bool) -> deploy::Options {
    let poll = std::env::var("HUBCTL_POLL_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(5), Duration::from_millis);
    // One stack operation may take long on AWS (a database, a certificate waiting for DNS);
    // `HUBCTL_TIMEOUT_S` bounds it for local endpoints.
    let timeout = std::env::var("HUBCTL_TIMEOUT_S")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_secs(3 * 3600), Duration::from_secs);
    deploy::Options {
        force_delegation,
        concurrency,
        timing: deploy::changeset::Timing {
            poll,
            timeout,
            // ACM usually validates within minutes once the record resolves.
            certificate_hint: Duration::from_secs(600),
        },
        delegation_timing: deploy::delegation::DelegationTiming {
            poll,
            insync_timeout: Duration::from_secs(600),
            access_denied_window: Duration::from_secs(90),
        },
        skip_helm,
    }
}

fn confirm(question: &str) -> Result<bool> {
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// The account check on its own, before a question on a terminal (deploy and destroy make
/// it again before any change).
fn check_account_first(deployment: &crate::model::Deployment) -> Result<()> {
    runtime()?.block_on(async {
        let config = deploy::aws::sdk_config(&deployment.region).await;
        deploy::check_account(&deploy::aws::Sts::new(&config), deployment).await
    })
}

async fn cloud(region: &str) -> deploy::aws::Aws {
    deploy::aws::Aws::new(&deploy::aws::sdk_config(region).await)
}

/// Exit code for a deploy or destroy error: 2 for a wrong account (nothing changed), 1 for a
/// failure on the way (with the summary of failed resources, so the cause does not scroll away).
fn report_failure(err: anyhow::Error) -> Result<ExitCode> {
    if err.downcast_ref::<deploy::WrongAccount>().is_some()
        || err.downcast_ref::<deploy::DeployerUnusable>().is_some()
        || err.downcast_ref::<deploy::NothingStarted>().is_some()
    {
        return Err(err);
    }
    eprintln!();
    if let Some(failed) = deploy::failure_summary(&err) {
        eprintln!("FAILED: stack {} ended in {}", failed.stack, failed.status);
        if let Some(reason) = &failed.reason {
            eprintln!("  stack reason: {reason}");
        }
        for resource in &failed.failed {
            eprintln!(
                "  {} ({}) {}: {}",
                resource.logical_id, resource.resource_type, resource.status, resource.reason
            );
        }
        if failed.failed.is_empty() {
            eprintln!("  (no resource reported a failure; see the stack's events in the console)");
        }
    } else {
        eprintln!("FAILED: {err:#}");
    }
    eprintln!("fix the cause and re-run: deploy and destroy pick up where they stopped");
    Ok(ExitCode::from(1))
}

fn deploy(
    deployment: &crate::model::Deployment,
    yes: bool,
    outputs_file: Option<&Path>,
    options: deploy::Options,
) -> Result<ExitCode> {
    if !yes && std::io::stdin().is_terminal() {
        // Credentials for the wrong account, or none, are said before the question.
        if let Err(err) = check_account_first(deployment) {
            return report_failure(err);
        }
        if !confirm(&format!(
            "deploy {} to account {} ({})?",
            deployment.env, deployment.account, deployment.region
        ))? {
            eprintln!("nothing changed");
            return Ok(ExitCode::from(1));
        }
    }
    let progress = deploy::progress::Display::new();
    let result = runtime()?.block_on(async {
        let cloud = cloud(&deployment.region).await;
        deploy::deploy(deployment, &cloud, &progress, options).await
    });
    progress.finish();
    let report = match result {
        Ok(report) => report,
        Err(err) => return report_failure(err),
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "deployed {} ({} changed, {} unchanged)",
        deployment.env,
        report.changed.len(),
        report.unchanged.len()
    )?;
    for (stack, outputs) in report.outputs.iter() {
        for (key, value) in outputs {
            writeln!(stdout, "  {stack}.{key} = {value}")?;
        }
    }
    match &report.cluster {
        Some(deploy::kube::ClusterOutcome::Installed {
            applied,
            unchanged_manifests,
            upgraded,
            unchanged_releases,
        }) => {
            writeln!(
                stdout,
                "cluster: {} manifest(s) applied, {} unchanged; release(s) deployed: {}; unchanged: {}",
                applied.len(),
                unchanged_manifests.len(),
                list_or_none(upgraded),
                list_or_none(unchanged_releases)
            )?;
        }
        Some(deploy::kube::ClusterOutcome::Pending {
            reason,
            dir,
            commands,
        }) => {
            writeln!(
                stdout,
                "the hub is NOT installed yet ({reason}); the filled files are in {}; run:",
                dir.display()
            )?;
            for command in commands {
                writeln!(stdout, "  {command}")?;
            }
        }
        Some(deploy::kube::ClusterOutcome::Failed { .. }) | None => {}
    }
    if let Some(url) = &report.hub_url {
        writeln!(stdout, "hub: {url}")?;
    }
    if let Some(path) = outputs_file {
        std::fs::write(
            path,
            crate::cfn::template::to_canonical_json(&report.outputs),
        )
        .with_context(|| format!("{}: cannot write the outputs", path.display()))?;
    }
    if let Some(deploy::kube::ClusterOutcome::Failed { error }) = &report.cluster {
        drop(stdout);
        eprintln!("error: the stacks are deployed, but installing in the cluster failed: {error}");
        eprintln!("fix the cause and re-run: the unchanged stacks are skipped, and the cluster step runs again");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

fn destroy(
    deployment: &crate::model::Deployment,
    yes: bool,
    options: deploy::Options,
) -> Result<ExitCode> {
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(anyhow!(
                "destroy deletes environment `{}`; without a terminal to ask on, pass --yes",
                deployment.env
            ));
        }
        if let Err(err) = check_account_first(deployment) {
            return report_failure(err);
        }
        if !confirm(&format!(
            "delete every stack of {} in account {}?",
            deployment.env, deployment.account
        ))? {
            eprintln!("nothing deleted");
            return Ok(ExitCode::from(1));
        }
    }
    let progress = deploy::progress::Display::new();
    let result = runtime()?.block_on(async {
        let cloud = cloud(&deployment.region).await;
        deploy::destroy(deployment, &cloud, &progress, options).await
    });
    progress.finish();
    let report = match result {
        Ok(report) => report,
        Err(err) => return report_failure(err),
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "destroyed {}: {} stack(s) deleted",
        deployment.env,
        report.deleted.len()
    )?;
    if report.delegation_removed {
        writeln!(
            stdout,
            "  NS record of {} removed from {}",
            deployment.dns.subzone, deployment.dns.parent_zone
        )?;
    }
    for kept in &report.retained {
        writeln!(stdout, "  retained: {}", kept.describe())?;
    }
    for left in &report.still_tagged {
        writeln!(stdout, "  still tagged with the cluster's name: {left}")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn diff(
    path: &Path,
    env: Option<&str>,
    against: Option<&Path>,
    deployed: bool,
    fail: bool,
    format: DiffFormat,
) -> Result<ExitCode> {
    let config_format = match format {
        DiffFormat::Json => OutputFormat::Json,
        _ => OutputFormat::Text,
    };
    let Some(config) = load_config(path, config_format)? else {
        return Ok(ExitCode::from(2));
    };
    let report = match (against, env) {
        (Some(dir), _) => {
            let selected = config.select(env).map_err(|message| anyhow!(message))?;
            let all: Vec<_> = config.deployments.iter().collect();
            let rendered = synth::render(&all, &selected);
            let origin = dir.display().to_string();
            let files = output::read_tree(dir)?;
            if !files.keys().any(|f| f.ends_with("/manifest.json")) {
                return Err(anyhow!(
                    "{origin}: no <env>/manifest.json in it; pass the output directory of an earlier `hubctl synth` (e.g. of the base branch)"
                ));
            }
            // One environment at a time, so only its templates are parsed and held; the
            // head shares the base's parsed templates where the text is the same.
            let names: std::collections::BTreeSet<&str> = files
                .keys()
                .chain(rendered.files.keys())
                .filter_map(|path| path.split_once('/').map(|(env, _)| env))
                .filter(|name| env.is_none_or(|wanted| wanted == *name))
                .collect();
            let mut comparison = diff::Comparison::new(&origin);
            for name in names {
                let only = [name];
                let before = diff::load::snapshot(&files, Some(&only), &origin, None)?;
                let reuse = diff::load::Reuse {
                    files: &files,
                    snapshot: &before,
                };
                let after =
                    diff::load::snapshot(&rendered.files, Some(&only), "synth", Some(reuse))?;
                comparison.add(&before, &after);
            }
            comparison.finish()
        }
        (None, Some(env)) if deployed => {
            let deployment = one_env(&config, env)?;
            let sides = runtime()?.block_on(async {
                let cloud = cloud(&deployment.region).await;
                diff::live::snapshots(deployment, cloud.cfn(), cloud.identity()).await
            })?;
            let mut report = diff::compare(&sides.live, &sides.wanted, "deployed");
            report.notes = sides.notes;
            report
        }
        _ => {
            return Err(anyhow!(
                "pass --against DIR (an earlier synth output) or --deployed --env ENV"
            ))
        }
    };
    let mut stdout = std::io::stdout().lock();
    match format {
        DiffFormat::Text => {
            let colour = stdout.is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
            write!(stdout, "{}", diff::render::text(&report, colour))?;
        }
        DiffFormat::Json => writeln!(
            stdout,
            "{}",
            crate::cfn::template::to_canonical_json(&report).trim_end()
        )?,
        DiffFormat::Markdown => write!(
            stdout,
            "{}",
            diff::render::markdown(&report, diff::render::GITHUB_COMMENT_LIMIT)
        )?,
    }
    Ok(ExitCode::from(report.exit_code(fail)))
}

/// `hubctl init`: the starter config for `platform`, written only where nothing is (the
/// file is created exclusively, so a config that appears meanwhile is not overwritten).
fn init(path: &Path, platform: InitPlatform) -> Result<ExitCode> {
    let (text, name) = match platform {
        InitPlatform::Ecs => (include_str!("../templates/init/ecs.yaml"), "ecs"),
        InitPlatform::Eks => (include_str!("../templates/init/eks.yaml"), "eks"),
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path);
    let mut file = match file {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "error: {} exists; hubctl init never overwrites a config: edit it, or pass --config NEW.yaml",
                path.display()
            );
            return Ok(ExitCode::from(2));
        }
        Err(err) => {
            return Err(err)
                .with_context(|| format!("{}: cannot create the config", path.display()))
        }
    };
    file.write_all(text.as_bytes())
        .with_context(|| format!("{}: cannot write the config", path.display()))?;
    let config = path.display();
    println!("wrote {config} (platform {name}: one environment, `dev`). Next:");
    println!("  1. replace its example values: accounts, the parent zone and its account, the subzone and hub name, images, users, allowed_cidrs");
    println!("  2. hubctl --config {config} validate");
    println!("  3. hubctl --config {config} synth --out hubctl.out   (the DNS team deploys hubctl.out/parent/ once)");
    println!("  4. hubctl --config {config} deploy --env dev");
    Ok(ExitCode::SUCCESS)
}

/// `hubctl help [COMMAND]`: clap's own help text, for the program or the command; an unknown
/// command is a usage error naming the commands there are.
fn help(command: Option<&str>) -> Result<ExitCode> {
    use clap::CommandFactory;
    let mut cli = Cli::command();
    // Built, so that a command's usage line reads `hubctl <command>`.
    cli.build();
    // A reader that stops early (`| head`) is not an error.
    let show = |text: clap::builder::StyledStr| {
        let _ = write!(std::io::stdout(), "{text}");
    };
    match command {
        None => show(cli.render_help()),
        Some(name) => {
            let names: Vec<String> = cli
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            match cli.find_subcommand_mut(name) {
                Some(sub) => show(sub.render_help()),
                None => {
                    eprintln!(
                        "error: no command `{name}`; the commands are {}",
                        names.join(", ")
                    );
                    return Ok(ExitCode::from(2));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads and checks the config; every problem is reported before the process exits with 2.
fn load_config(path: &Path, format: OutputFormat) -> Result<Option<Config>> {
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
                println!(
                    "{}",
                    serde_json::json!({"ok": false, "errors": [{
                        "file": path.display().to_string(), "line": null, "column": null,
                        "key": null, "problem": problem, "fix": fix,
                    }]})
                );
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
            for row in rendered.summary.iter().filter(|row| {
                row.env == synth::PARENT_DIR && row.bytes > crate::cfn::MAX_INLINE_TEMPLATE
            }) {
                eprintln!(
                    "note: {} is {} bytes, more than CloudFormation takes inline ({}): its owners deploy it through S3 (`aws cloudformation deploy ... --s3-bucket BUCKET`, see the README)",
                    row.stack,
                    row.bytes,
                    crate::cfn::MAX_INLINE_TEMPLATE
                );
            }
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
