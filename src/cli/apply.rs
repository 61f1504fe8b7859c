//! `deploy` and `destroy`: the account check and the question, then the engine, then the report.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};

use super::{runtime, OutputFormat};
use crate::deploy;
use crate::deploy::api::Cloud;

/// Poll intervals: CloudFormation and Route 53 change in seconds; `HUBCTL_POLL_MS` shortens
/// the wait for local endpoints (tests against moto), `HUBCTL_TIMEOUT_S` the patience.
pub(super) fn options(
    force_delegation: bool,
    concurrency: usize,
    skip_helm: bool,
) -> deploy::Options {
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

pub(super) fn confirm(question: &str) -> Result<bool> {
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// What picks up after a failed deploy or destroy.
const RERUN: &str = "deploy and destroy pick up where they stopped";

/// One runtime and one SDK configuration for a command's checks and its run: the
/// credentials (an SSO session, a credential process) are resolved once and cached.
pub(super) struct Session {
    pub(super) runtime: tokio::runtime::Runtime,
    pub(super) cloud: deploy::aws::Aws,
}

impl Session {
    /// The session for `region`, with the standard credential chain.
    pub(super) fn open(region: &str) -> Result<Session> {
        let runtime = runtime()?;
        let cloud = runtime
            .block_on(async { deploy::aws::Aws::new(&deploy::aws::sdk_config(region).await) });
        Ok(Session { runtime, cloud })
    }

    /// The account check on its own, before a question on a terminal (the engine makes it
    /// again before any change).
    pub(super) fn check_account(&self, deployment: &crate::model::Deployment) -> Result<()> {
        self.runtime
            .block_on(deploy::check_account(self.cloud.identity(), deployment))
    }
}

pub(super) async fn cloud(region: &str) -> deploy::aws::Aws {
    deploy::aws::Aws::new(&deploy::aws::sdk_config(region).await)
}

/// Exit code for an error of a command that changes AWS (deploy, destroy, images, parent
/// deploy): 2 for a wrong account or anything else before the first change (nothing
/// changed), 1 for a failure on the way (with the summary of failed resources, so the cause
/// does not scroll away, and `rerun`, what picks up where it stopped). `--verbose` adds the
/// error's full chain.
pub(super) fn report_failure(
    err: anyhow::Error,
    format: OutputFormat,
    rerun: &str,
) -> Result<ExitCode> {
    if err.downcast_ref::<deploy::WrongAccount>().is_some()
        || err.downcast_ref::<deploy::DeployerUnusable>().is_some()
        || err.downcast_ref::<deploy::NothingStarted>().is_some()
    {
        return Err(err);
    }
    if deploy::progress::verbosity() == deploy::progress::Verbosity::Verbose {
        eprintln!("details: {err:?}");
    }
    if format == OutputFormat::Json {
        let mut value = super::error_json(&format!("{err:#}"));
        if let Some(failed) = deploy::failure_summary(&err) {
            value["failed"] = serde_json::json!({
                "stack": failed.stack,
                "status": failed.status.to_string(),
                "reason": failed.reason,
                "resources": failed.failed.iter().map(|resource| serde_json::json!({
                    "logical_id": resource.logical_id,
                    "type": resource.resource_type,
                    "status": resource.status,
                    "reason": resource.reason,
                })).collect::<Vec<_>>(),
            });
        }
        if let Some(missing) = err.downcast_ref::<deploy::images::ImagesMissing>() {
            value["missing_images"] = serde_json::json!(missing.missing);
            value["commands"] = serde_json::json!(missing.commands);
        }
        super::print_json(value);
        return Ok(ExitCode::from(1));
    }
    eprintln!();
    if let Some(missing) = err.downcast_ref::<deploy::images::ImagesMissing>() {
        eprintln!("STOPPED before the hub stack: {missing}");
        for command in &missing.commands {
            eprintln!("  {command}");
        }
        return Ok(ExitCode::from(1));
    }
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
    eprintln!("fix the cause and re-run: {rerun}");
    Ok(ExitCode::from(1))
}

/// The answer "no" at the question: nothing changed, exit 1 (as JSON when asked).
pub(super) fn declined(format: OutputFormat, what: &str) -> Result<ExitCode> {
    if format == OutputFormat::Json {
        let mut value = super::error_json(&format!("declined at the prompt; {what}"));
        value["declined"] = serde_json::json!(true);
        super::print_json(value);
    } else {
        eprintln!("{what}");
    }
    Ok(ExitCode::from(1))
}

pub(super) fn deploy(
    deployment: &crate::model::Deployment,
    yes: bool,
    outputs_file: Option<&Path>,
    options: deploy::Options,
    format: OutputFormat,
) -> Result<ExitCode> {
    let Session { runtime, cloud } = Session::open(&deployment.region)?;
    if !yes && std::io::stdin().is_terminal() {
        // Credentials for the wrong account, or none, are said before the question; so is a
        // delegation role the parent account has not made (or that does not trust this one).
        let checked = runtime.block_on(async {
            deploy::check_account(cloud.identity(), deployment).await?;
            deploy::delegation::check_assumable(cloud.assume(), deployment).await
        });
        if let Err(err) = checked {
            return report_failure(err, format, RERUN);
        }
        if !confirm(&format!(
            "deploy {} to account {} ({})?",
            deployment.env, deployment.account, deployment.region
        ))? {
            return declined(format, "nothing changed");
        }
    }
    let progress = deploy::progress::Display::new();
    let result = runtime.block_on(deploy::deploy(deployment, &cloud, &progress, options));
    progress.finish();
    let report = match result {
        Ok(report) => report,
        Err(err) => return report_failure(err, format, RERUN),
    };
    // The deploy succeeded whatever happens to the file: a write that fails is exit 1 after
    // the report, not "nothing changed".
    let unwritten = outputs_file.and_then(|path| {
        std::fs::write(
            path,
            crate::cfn::template::to_canonical_json(&report.outputs),
        )
        .err()
        .map(|err| {
            format!(
                "{}: cannot write the outputs ({err}); the deploy itself succeeded",
                path.display()
            )
        })
    });
    let cluster_failed = matches!(
        report.cluster,
        Some(deploy::kube::ClusterOutcome::Failed { .. })
    );
    if format == OutputFormat::Json {
        let mut value = deploy_json(deployment, &report);
        if let Some(problem) = &unwritten {
            value["ok"] = serde_json::json!(false);
            value["errors"] = super::error_json(problem)["errors"].clone();
        }
        super::print_json(value);
        let failed = cluster_failed || unwritten.is_some();
        return Ok(ExitCode::from(if failed { 1 } else { 0 }));
    }
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
    if let Some(deploy::kube::ClusterOutcome::Failed { error }) = &report.cluster {
        drop(stdout);
        eprintln!("error: the stacks are deployed, but installing in the cluster failed: {error}");
        eprintln!("fix the cause and re-run: the unchanged stacks are skipped, and the cluster step runs again");
        return Ok(ExitCode::from(1));
    }
    if let Some(problem) = unwritten {
        drop(stdout);
        eprintln!("error: {problem}");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

pub(super) fn destroy(
    deployment: &crate::model::Deployment,
    yes: bool,
    options: deploy::Options,
    format: OutputFormat,
) -> Result<ExitCode> {
    let session = Session::open(&deployment.region)?;
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(anyhow!(
                "destroy deletes environment `{}`; without a terminal to ask on, pass --yes",
                deployment.env
            ));
        }
        if let Err(err) = session.check_account(deployment) {
            return report_failure(err, format, RERUN);
        }
        if !confirm(&format!(
            "delete every stack of {} in account {}?",
            deployment.env, deployment.account
        ))? {
            return declined(format, "nothing deleted");
        }
    }
    let progress = deploy::progress::Display::new();
    let result = session.runtime.block_on(deploy::destroy(
        deployment,
        &session.cloud,
        &progress,
        options,
    ));
    progress.finish();
    let report = match result {
        Ok(report) => report,
        Err(err) => return report_failure(err, format, RERUN),
    };
    if format == OutputFormat::Json {
        let value = serde_json::json!({
            "ok": true,
            "env": deployment.env,
            "deleted": report.deleted,
            "delegation_removed": report.delegation_removed,
            "retained": report.retained.iter().map(|kept| serde_json::json!({
                "stack": kept.stack,
                "logical_id": kept.logical_id,
                "type": kept.resource_type,
                "policy": kept.policy,
                "what": kept.describe(),
            })).collect::<Vec<_>>(),
            "still_tagged": report.still_tagged,
        });
        super::print_json(value);
        return Ok(ExitCode::SUCCESS);
    }
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

/// `deploy --output json`: the shape the README documents.
fn deploy_json(
    deployment: &crate::model::Deployment,
    report: &deploy::Report,
) -> serde_json::Value {
    let delegation = report.delegation.as_ref().map(|outcome| match outcome {
        deploy::delegation::DelegationOutcome::Unchanged => "unchanged",
        deploy::delegation::DelegationOutcome::Created => "created",
        deploy::delegation::DelegationOutcome::Replaced => "replaced",
    });
    let cluster = report.cluster.as_ref().map(|outcome| match outcome {
        deploy::kube::ClusterOutcome::Installed {
            applied,
            unchanged_manifests,
            upgraded,
            unchanged_releases,
        } => serde_json::json!({
            "status": "installed",
            "applied": applied,
            "unchanged_manifests": unchanged_manifests,
            "upgraded": upgraded,
            "unchanged_releases": unchanged_releases,
        }),
        deploy::kube::ClusterOutcome::Pending {
            reason,
            dir,
            commands,
        } => serde_json::json!({
            "status": "pending",
            "reason": reason,
            "dir": dir.display().to_string(),
            "commands": commands,
        }),
        deploy::kube::ClusterOutcome::Failed { error } => serde_json::json!({
            "status": "failed",
            "error": error,
        }),
    });
    let outputs = serde_json::to_value(&report.outputs).unwrap_or_default();
    serde_json::json!({
        "ok": !matches!(report.cluster, Some(deploy::kube::ClusterOutcome::Failed { .. })),
        "env": deployment.env,
        "changed": report.changed,
        "unchanged": report.unchanged,
        "outputs": outputs,
        "delegation": delegation,
        "cluster": cluster,
        "hub_url": report.hub_url,
    })
}
