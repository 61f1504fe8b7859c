//! `parent deploy`: the parent DNS account's delegation roles, deployed by that account's
//! owners with their own profile. Plans first (read-only), asks on a terminal only when
//! something would change, then runs the change set.

#[cfg(feature = "aws")]
use std::io::{IsTerminal, Write};
#[cfg(feature = "aws")]
use std::path::Path;
#[cfg(feature = "aws")]
use std::process::ExitCode;

#[cfg(feature = "aws")]
use anyhow::Result;
use clap::Subcommand;

#[cfg(feature = "aws")]
use super::{apply, compile, runtime, OutputFormat};
#[cfg(feature = "aws")]
use crate::deploy;

/// The `hubctl parent` commands, for the owners of the parent DNS account.
#[derive(Debug, Subcommand)]
pub enum ParentCommand {
    /// Deploy the parent account's delegation roles (parent/<project>-delegation-role, as
    /// synth writes it for every environment of the config): checks that the credentials are
    /// the parent account's, finds the parent zone's id by its name, and creates or updates
    /// the stack through a change set (none when nothing changed). Prints the roles' ARNs.
    Deploy {
        /// The AWS profile of the parent DNS account (default: AWS_PROFILE or the default
        /// credentials).
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
        /// The stack's region (default: us-east-1, or the partition's first region; the
        /// roles themselves are global).
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
        /// Do not ask before changing anything (asked only on a terminal).
        #[arg(long)]
        yes: bool,
        /// Text or JSON (the result on stdout; progress stays on stderr).
        #[arg(long, value_enum, default_value_t)]
        output: super::OutputFormat,
    },
}

impl ParentCommand {
    /// True when the command was asked for JSON on stdout.
    pub(super) fn prints_json(&self) -> bool {
        match self {
            ParentCommand::Deploy { output, .. } => *output == super::OutputFormat::Json,
        }
    }
}

/// Runs `command`.
#[cfg(feature = "aws")]
pub(super) fn run(config_path: &Path, command: &ParentCommand) -> Result<ExitCode> {
    match command {
        ParentCommand::Deploy {
            profile,
            region,
            yes,
            output,
        } => deploy(
            config_path,
            profile.as_deref(),
            region.as_deref(),
            *yes,
            *output,
        ),
    }
}

#[cfg(feature = "aws")]
/// Where the parent stack lives unless `--region` says otherwise: its roles are global, and
/// one fixed region per partition means a re-run from any profile finds the same stack
/// (a second stack elsewhere would fail on the roles' names).
fn default_region(config: &crate::config::Config) -> &'static str {
    let partition = config
        .deployments
        .first()
        .map(|d| d.dns.delegation_role.partition.as_str())
        .unwrap_or("aws");
    deploy::aws::default_region(partition)
}

/// `hubctl parent deploy [--profile NAME] [--region R] [--yes]`.
#[cfg(feature = "aws")]
fn deploy(
    config_path: &Path,
    profile: Option<&str>,
    region: Option<&str>,
    yes: bool,
    format: OutputFormat,
) -> Result<ExitCode> {
    let Some(config) = compile::load_config(config_path, format)? else {
        return Ok(ExitCode::from(2));
    };
    let all: Vec<&crate::model::Deployment> = config.deployments.iter().collect();
    let region = region.unwrap_or_else(|| default_region(&config));
    let parent = deploy::parent::parent_of(&all, region)?;
    let credentials = match profile {
        Some(name) => format!("the credentials of profile `{name}`"),
        None => "the credentials in use (no --profile: AWS_PROFILE, the environment or the default profile)".to_string(),
    };
    let options = apply::options(false, 1, false);
    let runtime = runtime()?;
    let cloud = runtime.block_on(async {
        deploy::aws::Aws::new(&deploy::aws::sdk_config_with_profile(region, profile).await)
    });
    let plan = runtime.block_on(deploy::parent::plan(
        &cloud,
        &parent,
        &credentials,
        options.timing,
    ))?;
    let verb = match &plan.stack {
        deploy::changeset::StackPlan::Unchanged { .. } => None,
        deploy::changeset::StackPlan::Create => Some("create"),
        deploy::changeset::StackPlan::Recreate => Some("delete the failed stack and create anew"),
        deploy::changeset::StackPlan::Update { .. } => Some("update"),
    };
    if let Some(verb) = verb {
        if !yes && std::io::stdin().is_terminal() {
            let roles = parent.roles.len();
            if !apply::confirm(&format!(
                "{verb} stack {} ({roles} role(s) for {} in zone {}) in account {} ({region})?",
                parent.stack, parent.zone, plan.zone_id, parent.account
            ))? {
                return apply::declined(format, "nothing changed");
            }
        }
    }
    let progress = deploy::progress::Display::new();
    let zone_id = plan.zone_id.clone();
    let result = runtime.block_on(deploy::parent::apply(
        &cloud,
        &progress,
        &parent,
        plan,
        options.timing,
    ));
    progress.finish();
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(err) => {
            // A role of the same name made elsewhere (a stack in another region, by hand):
            // IAM names are global, so the create fails on it.
            let exists = deploy::failure_summary(&err).is_some_and(|failed| {
                failed
                    .failed
                    .iter()
                    .any(|r| r.reason.contains("already exists"))
            });
            let err = err.context(format!(
                "stack {} in the parent DNS account {}, region {region}",
                parent.stack, parent.account
            ));
            let rerun = if exists {
                "a role of that name exists already: made by a stack in another region (re-run with --region <its region>) or by hand (delete it or choose another dns.delegation_role)"
            } else {
                "`hubctl parent deploy` picks up where it stopped"
            };
            return apply::report_failure(err, format, rerun);
        }
    };
    let (status, changed, unchanged) = match outcome {
        deploy::changeset::StackOutcome::Changed => ("deployed", vec![&parent.stack], vec![]),
        deploy::changeset::StackOutcome::Unchanged => ("unchanged", vec![], vec![&parent.stack]),
    };
    if format == OutputFormat::Json {
        let roles: Vec<serde_json::Value> = parent
            .roles
            .iter()
            .map(|role| {
                serde_json::json!({
                    "arn": role.arn, "account": role.account, "subzones": role.subzones,
                })
            })
            .collect();
        super::print_json(serde_json::json!({
            "ok": true, "stack": parent.stack, "status": status,
                "changed": changed, "unchanged": unchanged,
            "account": parent.account.to_string(), "region": region,
            "zone": parent.zone, "zone_id": zone_id, "roles": roles,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "parent stack {} {} in account {} ({region}), zone {} ({})",
        parent.stack, status, parent.account, parent.zone, zone_id
    )?;
    for role in &parent.roles {
        writeln!(
            stdout,
            "  {} (assumed by account {}; NS records of {})",
            role.arn,
            role.account,
            role.subzones.join(", ")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
