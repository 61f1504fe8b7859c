//! What destroy does before it deletes a stack, where CloudFormation's delete alone fails on
//! AWS ([`Cleanup`]): the users' servers in the hub's cluster, the certificate's validation
//! records in the subzone, an EKS cluster's Helm releases (and what their controllers made;
//! `kube::uninstall`). Every step reads the live state first, so an interrupted destroy
//! picks up where it stopped.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::api::{Cloud, Dns, Service, Tasks};
use super::changeset::Timing;
use super::delegation::{normalize, wait_in_sync};
use super::progress::{Progress, ProgressEvent};
use crate::plan::Plan;
use crate::stacks::Cleanup;

/// The domain ACM's DNS validation records point into (as `delegation::normalize` writes
/// names: lowercase, no trailing dot).
const VALIDATION_DOMAIN: &str = ".acm-validations.aws";

/// Why destroy stops a user's server, as ECS shows it on the task.
const STOP_REASON: &str = "hubctl destroy: the environment is being deleted";

/// What the steps work with besides the stack's own outputs.
pub struct CleanupContext<'p, 'd> {
    /// The environment's plan (an EKS cluster's releases and manifests, its other stacks).
    pub plan: &'p Plan<'d>,
    /// Polling and patience.
    pub timing: Timing,
    /// `--skip-helm`: leave the cluster's releases installed.
    pub skip_helm: bool,
}

/// Carries out `steps` for stack `stack`, whose live outputs are `outputs`.
pub async fn before_delete(
    cloud: &impl Cloud,
    progress: &impl Progress,
    context: &CleanupContext<'_, '_>,
    stack: &str,
    outputs: &BTreeMap<String, String>,
    steps: &[Cleanup],
) -> Result<()> {
    let timing = context.timing;
    for step in steps {
        match *step {
            Cleanup::StopUserServers { cluster } => {
                if let Some(cluster) = outputs.get(cluster) {
                    stop_user_servers(cloud.tasks(), progress, timing, stack, cluster).await?;
                }
            }
            Cleanup::RemoveValidationRecords { zone } => {
                if let Some(zone) = outputs.get(zone) {
                    remove_validation_records(cloud.dns(), progress, timing, stack, zone).await?;
                }
            }
            // The cluster's name is the hub stack's output, read there with the endpoint.
            Cleanup::UninstallReleases { cluster } => {
                super::kube::uninstall(
                    cloud,
                    progress,
                    timing,
                    context.plan,
                    cluster,
                    context.skip_helm,
                )
                .await?;
            }
        }
    }
    Ok(())
}

fn note(progress: &impl Progress, stack: &str, message: String) {
    progress.report(ProgressEvent::Note {
        stack: stack.to_string(),
        message,
    });
}

/// Scales the cluster's services to zero and waits until they run nothing (so the hub starts
/// no new server: it serves while the load balancer drains it), stops every task no service
/// owns, and waits until each has stopped. If that fails, the services get their desired
/// counts back: a destroy that stops half-way must not leave the hub down for a deploy that
/// sees an unchanged template.
async fn stop_user_servers(
    tasks: &impl Tasks,
    progress: &impl Progress,
    timing: Timing,
    stack: &str,
    cluster: &str,
) -> Result<()> {
    let mut scaled: Vec<Service> = Vec::new();
    for service in tasks.services(cluster).await? {
        if service.desired > 0 {
            tasks.set_desired(cluster, &service.arn, 0).await?;
            note(
                progress,
                stack,
                format!(
                    "scaled service {} from {} to 0 tasks",
                    service.arn, service.desired
                ),
            );
            scaled.push(service);
        }
    }
    let result = stop_when_idle(tasks, progress, timing, stack, cluster).await;
    if result.is_err() {
        // Best effort: the reason destroy stopped is the error that matters.
        for service in &scaled {
            let message = match tasks
                .set_desired(cluster, &service.arn, service.desired)
                .await
            {
                Ok(()) => format!(
                    "destroy stopped: scaled service {} back to {} tasks",
                    service.arn, service.desired
                ),
                Err(err) => format!(
                    "destroy stopped, and service {} could not be scaled back to {} tasks ({err:#}): run `aws ecs update-service --cluster {cluster} --service {} --desired-count {}`",
                    service.arn, service.desired, service.arn, service.desired
                ),
            };
            note(progress, stack, message);
        }
    }
    result
}

async fn stop_when_idle(
    tasks: &impl Tasks,
    progress: &impl Progress,
    timing: Timing,
    stack: &str,
    cluster: &str,
) -> Result<()> {
    let started = Instant::now();
    loop {
        let busy: Vec<Service> = tasks
            .services(cluster)
            .await?
            .into_iter()
            .filter(|service| service.running > 0 || service.pending > 0)
            .collect();
        if busy.is_empty() {
            break;
        }
        if started.elapsed() >= timing.timeout {
            bail!(
                "service(s) {} of cluster {cluster} still run tasks after {}s at a desired count of 0; re-run destroy once they have stopped",
                busy.iter()
                    .map(|service| format!(
                        "{} ({} running, {} pending)",
                        service.arn, service.running, service.pending
                    ))
                    .collect::<Vec<_>>()
                    .join(", "),
                timing.timeout.as_secs()
            );
        }
        tokio::time::sleep(timing.poll).await;
    }
    let mut stopped_by_us = Vec::new();
    // Every server seen running, also those already stopping when destroy began.
    let mut seen = std::collections::BTreeSet::new();
    loop {
        // Every task not yet STOPPED holds the cluster (and its network interface the
        // security group): the hub's own, still deactivating, is waited for too; only the
        // ones no service owns are stopped here.
        let servers: Vec<_> = tasks
            .tasks(cluster)
            .await?
            .into_iter()
            .filter(|task| task.last_status != "STOPPED")
            .collect();
        if servers.is_empty() {
            if !seen.is_empty() {
                note(
                    progress,
                    stack,
                    format!(
                        "{} user server(s) stopped in cluster {cluster} ({} by destroy)",
                        seen.len(),
                        stopped_by_us.len()
                    ),
                );
            }
            return Ok(());
        }
        seen.extend(
            servers
                .iter()
                .filter(|task| !task.of_a_service())
                .map(|task| task.arn.clone()),
        );
        for task in &servers {
            // A task already on its way (desired STOPPED) is waited for, not stopped again.
            if !task.of_a_service()
                && task.desired_status != "STOPPED"
                && !stopped_by_us.contains(&task.arn)
            {
                tasks.stop_task(cluster, &task.arn, STOP_REASON).await?;
                note(
                    progress,
                    stack,
                    format!(
                        "stopping user server {} (started by {})",
                        task.arn,
                        if task.started_by.is_empty() {
                            "RunTask"
                        } else {
                            &task.started_by
                        }
                    ),
                );
                stopped_by_us.push(task.arn.clone());
            }
        }
        if started.elapsed() >= timing.timeout {
            bail!(
                "{} task(s) in cluster {cluster} have not stopped after {}s ({}); CloudFormation cannot delete a cluster with running tasks: re-run destroy once they have stopped",
                servers.len(),
                timing.timeout.as_secs(),
                servers
                    .iter()
                    .map(|task| format!("{} {}", task.arn, task.last_status))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        tokio::time::sleep(timing.poll).await;
    }
}

/// Deletes the zone's CNAME records into `acm-validations.aws` and waits until Route 53 has
/// applied each deletion.
async fn remove_validation_records(
    dns: &impl Dns,
    progress: &impl Progress,
    timing: Timing,
    stack: &str,
    zone: &str,
) -> Result<()> {
    let records = dns.records(zone).await?;
    for record in records.iter().filter(|record| {
        record.kind == "CNAME"
            && !record.values.is_empty()
            && normalize(&record.values)
                .iter()
                .all(|value| value.ends_with(VALIDATION_DOMAIN))
    }) {
        let change = dns.delete_record(zone, record).await?;
        wait_in_sync(dns, &change, timing.poll, timing.timeout)
            .await
            .with_context(|| format!("deleting {} from the subzone", record.name))?;
        note(
            progress,
            stack,
            format!(
                "deleted the certificate validation record {} CNAME {} (CloudFormation leaves it in the zone)",
                record.name,
                record.values.join(" ")
            ),
        );
    }
    Ok(())
}
