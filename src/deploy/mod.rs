//! `hubctl deploy` and `hubctl destroy`: the only code that talks to AWS.
//!
//! The plan comes from the same synthesis as `hubctl synth` (in memory). Stacks go through
//! change sets in the manifest's waves (independent stacks concurrently), the delegation
//! runs between the dns stack and the hub, parameters are filled from upstream outputs.

pub mod api;
pub mod aws;
pub mod changeset;
pub mod delegation;
pub mod progress;

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use futures_util::future::join_all;

use crate::model::{Database, Deployment};
use crate::stacks::{self, dns, frame, Stack, StackId};
use crate::synth;
use api::{Artifacts, AssumeRole, Certificates, Cfn, Dns, Identity};
use changeset::{Operation, StackFailed, StackOutcome, Support, Timing};
use delegation::{Delegation, DelegationOutcome, DelegationTiming};
use progress::{Progress, ProgressEvent};

/// The AWS clients deploy and destroy use.
pub struct Clients<C, I, D, A, S, M> {
    /// CloudFormation in the workload account.
    pub cfn: C,
    /// STS (caller identity).
    pub identity: I,
    /// Route 53 in the workload account.
    pub dns: D,
    /// Assumes the parent account's delegation role.
    pub assume: A,
    /// S3, for templates over the inline limit.
    pub artifacts: S,
    /// ACM, to explain a certificate that keeps the hub stack waiting.
    pub certificates: M,
}

/// Settings of one deploy.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Replace an NS record in the parent zone that points elsewhere.
    pub force_delegation: bool,
    /// At most this many stacks at once.
    pub concurrency: usize,
    /// Stack polling.
    pub timing: Timing,
    /// Delegation polling and retries.
    pub delegation_timing: DelegationTiming,
}

/// The caller is not in the environment's account: nothing was changed.
#[derive(Debug, thiserror::Error)]
#[error("the credentials in use are for account {actual}, but environment `{env}` deploys into account {expected}; switch profile (AWS_PROFILE) or credentials, nothing was changed")]
pub struct WrongAccount {
    /// The environment.
    pub env: String,
    /// Its account.
    pub expected: String,
    /// The caller's.
    pub actual: String,
}

/// Outputs by stack id (`frame`, `dns`, `hub`), as written to `--outputs-file`.
pub type Outputs = BTreeMap<String, BTreeMap<String, String>>;

/// Output `key` of stack `id`, once this run has deployed it.
fn output<'o>(outputs: &'o Outputs, id: StackId, key: &str) -> Option<&'o String> {
    outputs.get(id.suffix())?.get(key)
}

/// Output `key` of the environment's live stack `id`; `None` without the stack or the output.
async fn live_output(
    cfn: &impl Cfn,
    deployment: &Deployment,
    id: StackId,
    key: &str,
) -> Result<Option<String>> {
    Ok(cfn
        .describe_stack(&deployment.stack_name(id.suffix()))
        .await?
        .and_then(|stack| stack.outputs.get(key).cloned()))
}

/// What a deploy did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Outputs by stack id.
    pub outputs: Outputs,
    /// Stacks that changed.
    pub changed: Vec<String>,
    /// Stacks already up to date.
    pub unchanged: Vec<String>,
    /// The delegation's outcome.
    pub delegation: Option<DelegationOutcome>,
}

/// Checks that the credentials belong to the environment's account.
pub async fn check_account(identity: &impl Identity, deployment: &Deployment) -> Result<()> {
    let actual = identity.account().await?;
    if actual != deployment.account.as_str() {
        return Err(WrongAccount {
            env: deployment.env.clone(),
            expected: deployment.account.to_string(),
            actual,
        }
        .into());
    }
    Ok(())
}

fn parameters_of(stack: &Stack, outputs: &Outputs) -> Result<BTreeMap<String, String>> {
    stack
        .inputs
        .iter()
        .map(|(parameter, input)| {
            let value = output(outputs, input.stack, input.output).ok_or_else(|| {
                anyhow!(
                    "stack {} has no output {}, which fills parameter {parameter}",
                    input.stack.suffix(),
                    input.output
                )
            })?;
            Ok((parameter.clone(), value.clone()))
        })
        .collect()
}

/// Refuses, before any call, a template CloudFormation would not take: stacks deployed
/// with or before the frame cannot use its template bucket.
fn check_sizes(deployment: &Deployment, stacks: &[Stack], waves: &[Vec<String>]) -> Result<()> {
    let mut bucket_exists = false;
    for wave in waves {
        for stack in stacks
            .iter()
            .filter(|s| wave.iter().any(|step| step == s.id.suffix()))
        {
            let bytes = changeset::compact(&stack.template.to_json())?.len();
            changeset::check_size(
                &deployment.stack_name(stack.id.suffix()),
                bytes,
                bucket_exists,
            )?;
        }
        bucket_exists |= wave.iter().any(|step| step == StackId::Frame.suffix());
    }
    Ok(())
}

fn delegation_of(deployment: &Deployment, zone_id: String, force: bool) -> Delegation {
    Delegation {
        subzone: deployment.dns.subzone.to_string(),
        zone_id,
        parent_zone: deployment.dns.parent_zone.to_string(),
        role_arn: deployment.delegation_role_arn(),
        force,
    }
}

/// Deploys every stack of `deployment` and the delegation, in the manifest's order.
pub async fn deploy<C: Cfn, I: Identity, D: Dns, A: AssumeRole, S: Artifacts, M: Certificates>(
    deployment: &Deployment,
    clients: &Clients<C, I, D, A, S, M>,
    progress: &impl Progress,
    options: Options,
) -> Result<Report> {
    let stacks = stacks::build(deployment);
    let waves = synth::deploy_order(&stacks);
    check_sizes(deployment, &stacks, &waves)?;
    check_account(&clients.identity, deployment).await?;
    let tags = synth::stack_tags(deployment);
    let mut report = Report::default();
    for wave in waves {
        let support = Support {
            store: &clients.artifacts,
            bucket: output(
                &report.outputs,
                StackId::Frame,
                frame::outputs::TEMPLATE_BUCKET,
            )
            .cloned(),
            region: deployment.region.to_string(),
            certificates: &clients.certificates,
        };
        let mut runs = Vec::new();
        for step in &wave {
            if step == synth::DELEGATION_STEP {
                continue;
            }
            let stack = stacks
                .iter()
                .find(|s| s.id.suffix() == step)
                .ok_or_else(|| anyhow!("unknown step {step}"))?;
            let parameters = parameters_of(stack, &report.outputs)?;
            let name = deployment.stack_name(stack.id.suffix());
            let template = stack.template.to_json();
            let tags = &tags;
            let support = &support;
            runs.push(async move {
                let result = changeset::deploy_stack(
                    &clients.cfn,
                    support,
                    progress,
                    options.timing,
                    &name,
                    &template,
                    &parameters,
                    tags,
                )
                .await;
                (stack.id, name, result)
            });
        }
        let mut failures = Vec::new();
        let mut runs = runs.into_iter().peekable();
        while runs.peek().is_some() {
            let batch: Vec<_> = runs.by_ref().take(options.concurrency.max(1)).collect();
            for (id, name, result) in join_all(batch).await {
                match result {
                    Ok((outcome, outputs)) => {
                        match outcome {
                            StackOutcome::Changed => report.changed.push(name),
                            StackOutcome::Unchanged => report.unchanged.push(name),
                        }
                        report.outputs.insert(id.suffix().to_string(), outputs);
                    }
                    Err(err) => failures.push(err),
                }
            }
        }
        if let Some(first) = failures.into_iter().next() {
            return Err(first);
        }
        if wave.iter().any(|step| step == synth::DELEGATION_STEP) {
            let zone_id = output(&report.outputs, StackId::Dns, dns::HOSTED_ZONE_ID)
                .cloned()
                .ok_or_else(|| anyhow!("the dns stack has no output {}", dns::HOSTED_ZONE_ID))?;
            let delegation = delegation_of(deployment, zone_id, options.force_delegation);
            report.delegation = Some(
                delegation::delegate(
                    &clients.dns,
                    &clients.assume,
                    progress,
                    options.delegation_timing,
                    &delegation,
                )
                .await?,
            );
        }
    }
    Ok(report)
}

/// What destroy removed and what it kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DestroyReport {
    /// Stacks deleted.
    pub deleted: Vec<String>,
    /// True when the NS record in the parent zone was removed.
    pub delegation_removed: bool,
    /// What stays behind by design, for the user to know (and pay for).
    pub retained: Vec<String>,
}

/// Deletes the environment's stacks in reverse order and its delegation record.
pub async fn destroy<C: Cfn, I: Identity, D: Dns, A: AssumeRole, S: Artifacts, M: Certificates>(
    deployment: &Deployment,
    clients: &Clients<C, I, D, A, S, M>,
    progress: &impl Progress,
    options: Options,
) -> Result<DestroyReport> {
    check_account(&clients.identity, deployment).await?;
    let stacks = stacks::build(deployment);
    let mut report = DestroyReport::default();
    let delete = |id: StackId| {
        let name = deployment.stack_name(id.suffix());
        async move {
            let Some(_) = clients.cfn.describe_stack(&name).await? else {
                return Ok::<Option<String>, anyhow::Error>(None);
            };
            progress.report(ProgressEvent::StackStarted {
                stack: name.clone(),
            });
            clients.cfn.delete_stack(&name).await?;
            changeset::follow(
                &clients.cfn,
                &clients.certificates,
                progress,
                options.timing,
                &name,
                &Default::default(),
                Operation::Delete,
            )
            .await?;
            Ok(Some(name))
        }
    };
    if stacks.iter().any(|s| s.id == StackId::Hub) {
        report.deleted.extend(delete(StackId::Hub).await?);
    }
    if let Some(zone_id) =
        live_output(&clients.cfn, deployment, StackId::Dns, dns::HOSTED_ZONE_ID).await?
    {
        let delegation = delegation_of(deployment, zone_id, false);
        report.delegation_removed = delegation::undelegate(
            &clients.dns,
            &clients.assume,
            progress,
            options.delegation_timing,
            &delegation,
        )
        .await?;
    }
    // The template bucket goes with the frame stack, and CloudFormation deletes only empty
    // buckets: remove what an interrupted deploy may have left.
    let frame_name = deployment.stack_name(StackId::Frame.suffix());
    if let Some(bucket) = live_output(
        &clients.cfn,
        deployment,
        StackId::Frame,
        frame::outputs::TEMPLATE_BUCKET,
    )
    .await?
    {
        for key in clients.artifacts.keys(&bucket).await? {
            clients.artifacts.delete(&bucket, &key).await?;
            progress.report(ProgressEvent::Note {
                stack: frame_name.clone(),
                message: format!("deleted the staged template s3://{bucket}/{key}"),
            });
        }
    }
    let (dns_result, frame_result) = tokio::join!(delete(StackId::Dns), delete(StackId::Frame));
    report.deleted.extend(dns_result?);
    report.deleted.extend(frame_result?);
    if deployment.storage.retain {
        report
            .retained
            .push("the EFS file system with the users' homes (storage.retain)".to_string());
        report
            .retained
            .push("the KMS key (storage.retain)".to_string());
    }
    if matches!(deployment.hub.database, Database::Postgres { .. })
        && stacks.iter().any(|s| s.id == StackId::Hub)
    {
        report
            .retained
            .push("a final snapshot of the hub database".to_string());
    }
    if stacks.iter().any(|s| s.id == StackId::Hub) {
        report
            .retained
            .push("the ALB access-log bucket".to_string());
    }
    Ok(report)
}

/// The failed resources of a deploy error, for the end-of-run summary.
pub fn failure_summary(err: &anyhow::Error) -> Option<&StackFailed> {
    err.downcast_ref::<StackFailed>()
}

#[cfg(test)]
mod fakes;
#[cfg(test)]
mod tests;
