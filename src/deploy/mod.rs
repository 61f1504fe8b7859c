//! `hubctl deploy` and `hubctl destroy`: the only code that talks to AWS.
//!
//! Both walk the environment's [`Plan`] (the same one `hubctl synth` renders): deploy its
//! waves forward (the stacks of a wave concurrently, parameters filled from upstream
//! outputs, the delegation between the dns stack and the hub), then what goes inside an EKS
//! cluster (`kube`); destroy the waves in reverse. All AWS access, and kubectl and helm,
//! go through one [`Cloud`] value.

pub mod api;
#[cfg(feature = "aws")]
pub mod aws;
pub mod changeset;
pub mod cleanup;
pub mod delegation;
pub mod images;
pub mod keep;
pub mod kube;
pub mod parent;
pub mod progress;
pub mod users;

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use futures_util::future::join_all;

use crate::model::Deployment;
use crate::plan::{Outputs, Plan, Retained, StepId};
use crate::stacks::{OutputRef, Stack, StackId};
use crate::synth;
use api::{Artifacts, Cfn, Cloud, Identity, StackStatus, Tagging};
use changeset::{
    Operation, StackContext, StackFailed, StackOutcome, StackRequest, Support, Timing, Watch,
};
use delegation::{Delegation, DelegationOutcome, DelegationTiming};
use progress::{Progress, ProgressEvent};

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
    /// EKS: deploy stops after the stacks (and prints what kubectl and helm would run);
    /// destroy does not uninstall the releases first (and warns what may be left).
    pub skip_helm: bool,
}

/// The account check could not be made: nothing was started, nothing was changed.
#[derive(Debug, thiserror::Error)]
#[error("{0}; nothing was changed")]
pub struct NothingStarted(pub String);

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

/// The deploying principal cannot be given the cluster access entry deploy needs: nothing
/// was changed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DeployerUnusable(pub String);

/// Output `output` of the environment's live stack; `None` without the stack or the output.
async fn live_output(cfn: &impl Cfn, plan: &Plan<'_>, output: OutputRef) -> Result<Option<String>> {
    Ok(cfn
        .describe_stack(&plan.stack_name(output.stack))
        .await?
        .and_then(|stack| stack.outputs.get(output.output).cloned()))
}

/// What a deploy did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Outputs by stack.
    pub outputs: Outputs,
    /// Stacks that changed.
    pub changed: Vec<String>,
    /// Stacks already up to date.
    pub unchanged: Vec<String>,
    /// The delegation's outcome.
    pub delegation: Option<DelegationOutcome>,
    /// The hub's URL, when the plan has a hub.
    pub hub_url: Option<String>,
    /// What deploy did inside the EKS cluster, when the plan has one.
    pub cluster: Option<kube::ClusterOutcome>,
}

/// Checks that the credentials belong to the environment's account.
pub async fn check_account(identity: &impl Identity, deployment: &Deployment) -> Result<()> {
    let actual = identity.account().await.map_err(|err| {
        anyhow::Error::new(NothingStarted(format!(
            "{err:#} (the account check of environment `{}`: account {}, region {})",
            deployment.env, deployment.account, deployment.region
        )))
    })?;
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

/// The stack's parameter values: the wired ones from upstream outputs, the deployer's from
/// `deployer` (see [`deployer_principal`]).
fn parameters_of(
    stack: &Stack,
    outputs: &Outputs,
    deployer: Option<&str>,
) -> Result<BTreeMap<String, String>> {
    let mut parameters = stack
        .inputs
        .iter()
        .map(|(parameter, input)| {
            let value = outputs.get(*input).ok_or_else(|| {
                anyhow!(
                    "stack {} has no output {}, which fills parameter {parameter}",
                    input.stack.suffix(),
                    input.output
                )
            })?;
            Ok((parameter.clone(), value.clone()))
        })
        .collect::<Result<BTreeMap<_, _>>>()?;
    if let Some(parameter) = stack.deployer_parameter {
        let value = deployer.ok_or_else(|| {
            anyhow!(
                "stack {} needs the deployer's ARN for parameter {parameter}",
                stack.id.suffix()
            )
        })?;
        parameters.insert(parameter.to_string(), value.to_string());
    }
    Ok(parameters)
}

/// The value of a stack's deployer parameter for the caller `caller` (GetCallerIdentity's
/// ARN): the IAM principal an EKS access entry names. An IAM user's ARN as it is; an assumed
/// role's session (`arn:aws:sts::ACC:assumed-role/NAME/SESSION`) as the role
/// (`arn:aws:iam::ACC:role/NAME`); empty when `admin_roles` (full role ARNs, perhaps with a
/// path) already holds that principal, since a principal may be in one access entry only.
/// An IAM Identity Center (SSO) role that no admin role names is refused: its ARN has a path
/// the session's ARN leaves out, and EKS refuses a role ARN without it.
pub fn deployer_principal(
    caller: &str,
    admin_roles: &[String],
) -> Result<String, DeployerUnusable> {
    let parts: Vec<&str> = caller.splitn(6, ':').collect();
    let [_, partition, service, _, account, resource] = parts[..] else {
        return Err(DeployerUnusable(format!(
            "the deploying principal {caller} is not an ARN; nothing was changed"
        )));
    };
    // (partition, account, role name) of a role ARN, any path.
    let role_of = |arn: &str| -> Option<(String, String, String)> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [_, partition, "iam", _, account, resource] = parts[..] else {
            return None;
        };
        let path_and_name = resource.strip_prefix("role/")?;
        let name = path_and_name.rsplit('/').next()?;
        Some((partition.to_string(), account.to_string(), name.to_string()))
    };
    match (service, resource.split('/').collect::<Vec<_>>().as_slice()) {
        // admin_roles holds role ARNs only (the reader refuses others): a user is never one.
        ("iam", ["user", ..]) => Ok(caller.to_string()),
        ("sts", ["assumed-role", name, _session, ..]) => {
            let wanted = (partition.to_string(), account.to_string(), name.to_string());
            if admin_roles.iter().any(|arn| role_of(arn).as_ref() == Some(&wanted)) {
                return Ok(String::new());
            }
            if name.starts_with("AWSReservedSSO_") {
                return Err(DeployerUnusable(format!(
                    "you deploy as the IAM Identity Center (SSO) role {name}, whose ARN has a path that the session's ARN ({caller}) leaves out, and EKS refuses the role's ARN without it: add the role's full ARN (`aws iam get-role --role-name {name} --query Role.Arn`) to hub.eks.admin_roles and re-run; nothing was changed"
                )));
            }
            Ok(format!("arn:{partition}:iam::{account}:role/{name}"))
        }
        ("iam", ["root"]) => Err(DeployerUnusable(format!(
            "you deploy as the root user of account {account}, which EKS cannot give an access entry: deploy with an IAM role or user; nothing was changed"
        ))),
        _ => Err(DeployerUnusable(format!(
            "the deploying principal {caller} is neither an IAM user nor an assumed role, so EKS cannot give it an access entry: deploy with an IAM role or user, or add yours to hub.eks.admin_roles; nothing was changed"
        ))),
    }
}

/// The deployer parameter's value for `plan`'s stacks, if one of them has the parameter:
/// asked before any change, so a principal EKS cannot take stops the deploy first.
pub async fn deployer_value(identity: &impl Identity, plan: &Plan<'_>) -> Result<Option<String>> {
    if plan
        .stacks
        .iter()
        .all(|stack| stack.deployer_parameter.is_none())
    {
        return Ok(None);
    }
    let caller = identity.arn().await?;
    let admin_roles = plan
        .deployment
        .hub
        .eks
        .as_ref()
        .map(|eks| eks.admin_roles.as_slice())
        .unwrap_or_default();
    Ok(Some(deployer_principal(&caller, admin_roles)?))
}

/// Refuses, before any call, a template CloudFormation would not take: stacks deployed
/// with or before the one that makes the template bucket cannot use it.
fn check_sizes(plan: &Plan<'_>, waves: &[Vec<StepId>]) -> Result<()> {
    let mut bucket_exists = false;
    for wave in waves {
        for step in wave {
            let StepId::Stack(id) = step else { continue };
            let Some(stack) = plan.stack(*id) else {
                continue;
            };
            let bytes = changeset::compact(&stack.template.to_json())?.len();
            changeset::check_size(&plan.stack_name(*id), bytes, bucket_exists)?;
        }
        bucket_exists |= wave.contains(&StepId::Stack(plan.template_bucket.stack));
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

/// Deploys every step of `deployment`'s plan, wave after wave.
pub async fn deploy(
    deployment: &Deployment,
    cloud: &impl Cloud,
    progress: &impl Progress,
    options: Options,
) -> Result<Report> {
    let plan = Plan::of(deployment);
    check_sizes(&plan, &plan.waves)?;
    check_account(cloud.identity(), deployment).await?;
    // Before any stack: a role the parent account never made would stop the deploy only
    // after the frame and dns stacks exist.
    delegation::check_assumable(cloud.assume(), deployment).await?;
    images::check_foreign_repositories(cloud.cfn(), cloud.registry(), &plan).await?;
    let deployer = deployer_value(cloud.identity(), &plan).await?;
    let tags = synth::stack_tags(deployment);
    let mut report = Report::default();
    for wave in &plan.waves {
        deploy_stacks(
            cloud,
            progress,
            &plan,
            wave,
            deployer.as_deref(),
            &tags,
            options,
            &mut report,
        )
        .await?;
        if wave.contains(&StepId::Delegation) {
            let zone = plan.delegation.zone_id;
            let zone_id = report.outputs.get(zone).cloned().ok_or_else(|| {
                anyhow!(
                    "the {} stack has no output {}",
                    zone.stack.suffix(),
                    zone.output
                )
            })?;
            let delegation = delegation_of(deployment, zone_id, options.force_delegation);
            report.delegation = Some(
                delegation::delegate(
                    cloud.dns(),
                    cloud.assume(),
                    progress,
                    options.delegation_timing,
                    &delegation,
                )
                .await?,
            );
        }
        // The hub runs the images; its stack would wait on a service that cannot start.
        if wave.contains(&StepId::Stack(StackId::Images)) {
            images::check(cloud.registry(), progress, &plan).await?;
        }
    }
    // The stacks are there whatever the cluster step does: their outputs are reported (and
    // written) with its failure.
    report.cluster = match kube::install(
        cloud,
        progress,
        &plan,
        &report.outputs,
        (options.timing, options.skip_helm),
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(err) => Some(kube::ClusterOutcome::Failed {
            error: format!("{err:#}"),
        }),
    };
    report.hub_url = plan
        .hub_url
        .and_then(|url| report.outputs.get(url).cloned());
    Ok(report)
}

/// The stack steps of one `wave` of `plan`, at most `options.concurrency` at once, their
/// parameters filled from the outputs in `report`, which gets each stack's outcome and
/// outputs: the first failure is the wave's error once every stack of it has ended.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn deploy_stacks(
    cloud: &impl Cloud,
    progress: &impl Progress,
    plan: &Plan<'_>,
    wave: &[StepId],
    deployer: Option<&str>,
    tags: &BTreeMap<String, String>,
    options: Options,
    report: &mut Report,
) -> Result<()> {
    let deployment = plan.deployment;
    let support = Support {
        store: cloud.artifacts(),
        bucket: report.outputs.get(plan.template_bucket).cloned(),
        region: deployment.region.to_string(),
        certificates: cloud.certificates(),
    };
    let mut runs = Vec::new();
    for step in wave {
        let StepId::Stack(id) = step else { continue };
        let stack = plan
            .stack(*id)
            .ok_or_else(|| anyhow!("the plan has no stack {}", id.suffix()))?;
        let parameters = parameters_of(stack, &report.outputs, deployer)?;
        let name = plan.stack_name(*id);
        let template = stack.template.to_json();
        let support = &support;
        runs.push(async move {
            let context = StackContext {
                cfn: cloud.cfn(),
                support,
                progress,
                timing: options.timing,
            };
            let request = StackRequest {
                name: &name,
                template_json: &template,
                parameters: &parameters,
                tags,
            };
            let result = changeset::deploy_stack(&context, &request).await;
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
                    report.outputs.insert(id, outputs);
                }
                Err(err) => failures.push(err),
            }
        }
    }
    if let Some(first) = failures.into_iter().next() {
        return Err(first);
    }
    Ok(())
}

/// What destroy removed and what it kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DestroyReport {
    /// Stacks deleted.
    pub deleted: Vec<String>,
    /// True when the NS record in the parent zone was removed.
    pub delegation_removed: bool,
    /// What the deleted stacks leave behind by design (their templates' `DeletionPolicy`),
    /// for the user to know (and pay for).
    pub retained: Vec<Retained>,
    /// EKS: what is still tagged with the cluster's name once the stacks are gone (ARN and
    /// the tag that matched), what its controllers made and nothing deleted.
    pub still_tagged: Vec<String>,
}

/// What deleting a stack did: its name and what its deployed template keeps.
struct Deleted {
    name: String,
    retained: Vec<Retained>,
}

/// Deletes one stack, if it exists, and follows the delete to its end. What stays is read
/// off the deployed template's `DeletionPolicy` (the synthesized one if CloudFormation
/// cannot return it); a stack a change set made but never ran holds nothing.
async fn delete_stack(
    cloud: &impl Cloud,
    plan: &Plan<'_>,
    progress: &impl Progress,
    (timing, skip_helm): (Timing, bool),
    id: StackId,
) -> Result<Option<Deleted>> {
    let name = plan.stack_name(id);
    let Some(live) = cloud.cfn().describe_stack(&name).await? else {
        return Ok(None);
    };
    let retained = if live.status == StackStatus::ReviewInProgress {
        Vec::new()
    } else {
        let deployed: Option<serde_json::Value> = cloud
            .cfn()
            .get_template(&name)
            .await
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        match deployed {
            Some(template) => crate::plan::retained_in(&name, &template),
            None => plan.retained(id),
        }
    };
    // What CloudFormation's delete would fail on: the user servers, the validation records.
    if live.status != StackStatus::ReviewInProgress {
        if let Some(stack) = plan.stack(id) {
            cleanup::before_delete(
                cloud,
                progress,
                &cleanup::CleanupContext {
                    plan,
                    timing,
                    skip_helm,
                },
                &name,
                &live.outputs,
                &stack.before_delete,
            )
            .await?;
        }
    }
    // CloudFormation deletes only empty buckets: remove what an interrupted deploy may have
    // left in the template bucket before its stack goes.
    if id == plan.template_bucket.stack {
        if let Some(bucket) = live.outputs.get(plan.template_bucket.output) {
            for key in cloud.artifacts().keys(bucket).await? {
                cloud.artifacts().delete(bucket, &key).await?;
                progress.report(ProgressEvent::Note {
                    stack: name.clone(),
                    message: format!("deleted the staged template s3://{bucket}/{key}"),
                });
            }
        }
    }
    progress.report(ProgressEvent::StackStarted {
        stack: name.clone(),
    });
    // Earlier events (a failed update, say) are not this delete's.
    let seen = changeset::event_ids(cloud.cfn(), &name).await;
    cloud.cfn().delete_stack(&name).await?;
    let watch = Watch {
        name: &name,
        operation: Operation::Delete,
        from: Some(live.status),
        seen,
    };
    changeset::follow(cloud.cfn(), cloud.certificates(), progress, timing, &watch).await?;
    Ok(Some(Deleted { name, retained }))
}

/// Deletes the environment's stacks and its delegation record: the plan's waves in reverse.
pub async fn destroy(
    deployment: &Deployment,
    cloud: &impl Cloud,
    progress: &impl Progress,
    options: Options,
) -> Result<DestroyReport> {
    check_account(cloud.identity(), deployment).await?;
    let plan = Plan::of(deployment);
    refuse_protected(cloud.cfn(), &plan).await?;
    let mut report = DestroyReport::default();
    for wave in plan.reverse() {
        if wave.contains(&StepId::Delegation) {
            if let Some(zone_id) = live_output(cloud.cfn(), &plan, plan.delegation.zone_id).await? {
                let delegation = delegation_of(deployment, zone_id, false);
                report.delegation_removed = delegation::undelegate(
                    cloud.dns(),
                    cloud.assume(),
                    progress,
                    options.delegation_timing,
                    &delegation,
                )
                .await?;
            }
        }
        let stacks: Vec<StackId> = wave
            .iter()
            .filter_map(|step| match step {
                StepId::Stack(id) => Some(*id),
                StepId::Delegation => None,
            })
            .collect();
        let results = join_all(stacks.iter().map(|id| {
            delete_stack(
                cloud,
                &plan,
                progress,
                (options.timing, options.skip_helm),
                *id,
            )
        }))
        .await;
        // Every stack of the wave that went is reported, also when another failed.
        let mut first_error = None;
        for result in results {
            match result {
                Ok(Some(deleted)) => {
                    report.deleted.push(deleted.name);
                    report.retained.extend(deleted.retained);
                }
                Ok(None) => {}
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
        }
        if let Some(err) = first_error {
            return Err(err);
        }
    }
    if let Some(cluster) = kube::cluster_name(&plan) {
        report.still_tagged = still_tagged(cloud.tagging(), progress, &cluster).await;
    }
    Ok(report)
}

/// Refuses, before anything is deleted, a destroy whose deployed templates hold a resource
/// with deletion protection on (`hub.deletion_protection`): CloudFormation would fail on it
/// half-way, after the stacks before it (the add-ons, the hub's service) were gone.
async fn refuse_protected(cfn: &impl Cfn, plan: &Plan<'_>) -> Result<()> {
    let mut protected = Vec::new();
    for stack in &plan.stacks {
        let name = plan.stack_name(stack.id);
        let Some(live) = cfn.describe_stack(&name).await? else {
            continue;
        };
        if matches!(live.status, StackStatus::DeleteComplete) {
            continue;
        }
        // A template hubctl did not write (YAML, say) is not read: its stack fails on AWS's
        // own terms.
        let Ok(template) =
            serde_json::from_str::<serde_json::Value>(&cfn.get_template(&name).await?)
        else {
            continue;
        };
        for (id, resource) in template["Resources"].as_object().into_iter().flatten() {
            if crate::diff::exposure::deletion_protected(resource.get("Properties")) {
                protected.push(format!(
                    "{name} {id} ({})",
                    resource["Type"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    if protected.is_empty() {
        return Ok(());
    }
    Err(anyhow!(
        "destroy refused, nothing was deleted: {} {} deletion protection on; set `hub.deletion_protection: false` for environment `{}`, run `hubctl deploy --env {}`, then destroy",
        protected.join(", "),
        if protected.len() == 1 { "has" } else { "have" },
        plan.deployment.env,
        plan.deployment.env
    ))
}

/// What is still tagged with the cluster's name (a note each, not a failure): a load
/// balancer, target group or security group a controller made and did not delete, a volume,
/// a node. An answer the Tagging API refuses is a note too.
async fn still_tagged(
    tagging: &impl Tagging,
    progress: &impl Progress,
    cluster: &str,
) -> Vec<String> {
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for (key, value) in kube::cluster_tags(cluster) {
        let tag = match &value {
            Some(value) => format!("{key}={value}"),
            None => key.clone(),
        };
        match tagging.tagged(&key, value.as_deref()).await {
            Ok(arns) => {
                for arn in arns {
                    found.entry(arn).or_insert_with(|| tag.clone());
                }
            }
            Err(err) => progress.report(ProgressEvent::Cluster {
                cluster: cluster.to_string(),
                message: format!("could not list what is tagged {tag} ({err:#}); check with `aws resourcegroupstaggingapi get-resources --tag-filters Key={key}`"),
            }),
        }
    }
    // What can keep the VPC or cost money; the tagging index also keeps terminated
    // instances and deleted resources for a while, which are not worth a person's time.
    let lingering = |arn: &str| {
        [
            ":elasticloadbalancing:",
            ":security-group/",
            ":network-interface/",
            ":volume/",
            ":elastic-ip/",
        ]
        .iter()
        .any(|kind| arn.contains(kind))
    };
    found
        .into_iter()
        .filter(|(arn, _)| lingering(arn))
        .map(|(arn, tag)| {
            let line = format!("{arn} (tagged {tag})");
            progress.report(ProgressEvent::Cluster {
                cluster: cluster.to_string(),
                message: format!(
                    "may still exist after destroy (the tagging index lags by minutes): {line}; if it does and nothing else uses it, delete it by hand"
                ),
            });
            line
        })
        .collect()
}

/// The failed resources of a deploy error, for the end-of-run summary.
pub fn failure_summary(err: &anyhow::Error) -> Option<&StackFailed> {
    err.downcast_ref::<StackFailed>()
}

#[cfg(test)]
mod fakes;
#[cfg(test)]
mod tests;
