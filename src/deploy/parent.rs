//! `hubctl parent deploy`: the parent DNS account's delegation roles (the template synth
//! writes to `parent/`), deployed by that account's owners through the same change-set
//! engine as an environment's stacks.
//!
//! Two halves, like a stack's: [`plan`] changes nothing (the caller is the parent account,
//! the parent zone's id found by its name, the live stack compared), [`apply`] runs the
//! change set, so the CLI can ask in between, and only when something would change.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{anyhow, Result};

use super::api::{Cloud, Dns, Identity};
use super::changeset::{
    self, StackContext, StackOutcome, StackPlan, StackRequest, Support, Timing,
};
use super::progress::{Progress, ProgressEvent};
use super::NothingStarted;
use crate::model::Deployment;
use crate::stacks::delegation_role::PARENT_ZONE_PARAMETER;
use crate::synth;

/// One workload account's role in the parent account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentRole {
    /// The workload account it trusts (only it).
    pub account: String,
    /// The role's ARN, as deploy assumes it.
    pub arn: String,
    /// The subzones whose NS records it may write, sorted.
    pub subzones: Vec<String>,
}

/// What `parent deploy` brings about, from the config alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parent {
    /// The stack, `<project>-delegation-role`.
    pub stack: String,
    /// The template, exactly as synth writes it.
    pub template_json: String,
    /// The parent DNS account (`dns.parent_account`).
    pub account: String,
    /// The parent zone (`dns.parent_zone`).
    pub zone: String,
    /// The region the stack lives in (its resources, IAM roles, are global).
    pub region: String,
    /// The stack's tags.
    pub tags: BTreeMap<String, String>,
    /// One role per workload account, sorted by account.
    pub roles: Vec<ParentRole>,
}

/// The parent stack of `all` environments (the config checks that they share one parent
/// zone, account and role name), in `region`.
pub fn parent_of(all: &[&Deployment], region: &str) -> Result<Parent> {
    let (Some(first), Some(template)) = (all.first(), synth::parent_template(all)) else {
        return Err(anyhow!(
            "the config has no environment, so there is no parent template to deploy"
        ));
    };
    let mut subzones: BTreeMap<&str, (String, BTreeSet<String>)> = BTreeMap::new();
    for deployment in all {
        subzones
            .entry(deployment.account.as_str())
            .or_insert_with(|| (deployment.delegation_role_arn(), BTreeSet::new()))
            .1
            .insert(deployment.dns.subzone.to_string());
    }
    Ok(Parent {
        stack: template.stack,
        template_json: template.json,
        account: first.dns.parent_account.to_string(),
        zone: first.dns.parent_zone.to_string(),
        region: region.to_string(),
        tags: [("hubctl:project".to_string(), first.project.clone())].into(),
        roles: subzones
            .into_iter()
            .map(|(account, (arn, subzones))| ParentRole {
                account: account.to_string(),
                arn,
                subzones: subzones.into_iter().collect(),
            })
            .collect(),
    })
}

/// What [`plan`] found: the parent zone's id and what the change set would do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentPlan {
    /// The parent zone's hosted zone id (`Z...`), the template's `ParentHostedZoneId`.
    pub zone_id: String,
    /// The stack's parameter values.
    pub parameters: BTreeMap<String, String>,
    /// Create, update or nothing.
    pub stack: StackPlan,
}

impl ParentPlan {
    /// True when the live stack already matches.
    pub fn is_unchanged(&self) -> bool {
        matches!(self.stack, StackPlan::Unchanged { .. })
    }
}

/// The caller's account, or an error that names the credentials and the fix.
async fn check_parent_account(
    identity: &impl Identity,
    parent: &Parent,
    credentials: &str,
) -> Result<()> {
    let actual = identity.account().await.map_err(|err| {
        anyhow::Error::new(NothingStarted(format!(
            "{err:#} (the account check of the parent DNS account {} with {credentials}, region {}; a profile must be in ~/.aws/config or ~/.aws/credentials: `aws configure list-profiles`)",
            parent.account, parent.region
        )))
    })?;
    if actual != parent.account {
        return Err(NothingStarted(format!(
            "{credentials} are for account {actual}, but the parent template deploys into the parent DNS account {} (dns.parent_account): pass --profile with a profile of that account (its DNS team's)",
            parent.account
        ))
        .into());
    }
    Ok(())
}

/// The one public hosted zone named `parent.zone` in the parent account.
async fn parent_zone_id(dns: &impl Dns, parent: &Parent) -> Result<String> {
    let zones = dns.public_zones_named(&parent.zone).await.map_err(|err| {
        anyhow::Error::new(NothingStarted(format!(
            "{err:#} (finding the parent zone {} in account {})",
            parent.zone, parent.account
        )))
    })?;
    match zones.as_slice() {
        [zone] => Ok(zone.clone()),
        [] => Err(NothingStarted(format!(
            "account {} has no public hosted zone named {}: check dns.parent_zone and dns.parent_account, or create the zone first",
            parent.account, parent.zone
        ))
        .into()),
        _ => Err(NothingStarted(format!(
            "account {} has {} public hosted zones named {} ({}); hubctl will not guess which one the registrar delegates to: delete the others, or deploy {} by hand with its ParentHostedZoneId",
            parent.account,
            zones.len(),
            parent.zone,
            zones.join(", "),
            parent.stack
        ))
        .into()),
    }
}

/// Decides what `parent deploy` would do, changing nothing: the caller must be the parent
/// account (`credentials` says whose they are, for the error), the parent zone is found by
/// its exact name, and the live stack is compared with the template.
pub async fn plan(
    cloud: &impl Cloud,
    parent: &Parent,
    credentials: &str,
    timing: Timing,
) -> Result<ParentPlan> {
    let bytes = changeset::compact(&parent.template_json)?.len();
    if bytes > changeset::MAX_INLINE_TEMPLATE {
        return Err(NothingStarted(format!(
            "the parent template {} is {bytes} bytes, more than the {} CloudFormation accepts inline, and the parent account has no template bucket of hubctl's: deploy hubctl.out/{}/{}.template.json with `aws cloudformation deploy --s3-bucket <a bucket in account {}> --capabilities CAPABILITY_NAMED_IAM --parameter-overrides {PARENT_ZONE_PARAMETER}=<the zone's id>`",
            parent.stack,
            changeset::MAX_INLINE_TEMPLATE,
            synth::PARENT_DIR,
            parent.stack,
            parent.account
        ))
        .into());
    }
    check_parent_account(cloud.identity(), parent, credentials).await?;
    let zone_id = parent_zone_id(cloud.dns(), parent).await?;
    let parameters: BTreeMap<String, String> =
        [(PARENT_ZONE_PARAMETER.to_string(), zone_id.clone())].into();
    let request = StackRequest {
        name: &parent.stack,
        template_json: &parent.template_json,
        parameters: &parameters,
        tags: &parent.tags,
    };
    let stack = changeset::plan_stack(cloud.cfn(), timing, &request)
        .await
        .map_err(|err| {
            anyhow::Error::new(NothingStarted(format!(
                "{err:#} (reading stack {} in the parent DNS account {}, region {})",
                parent.stack, parent.account, parent.region
            )))
        })?;
    Ok(ParentPlan {
        zone_id,
        parameters,
        stack,
    })
}

/// Carries out `plan`: the change set (none when the stack already matches).
pub async fn apply(
    cloud: &impl Cloud,
    progress: &impl Progress,
    parent: &Parent,
    plan: ParentPlan,
    timing: Timing,
) -> Result<StackOutcome> {
    progress.report(ProgressEvent::StackStarted {
        stack: parent.stack.clone(),
    });
    let support = Support {
        store: cloud.artifacts(),
        bucket: None,
        region: parent.region.clone(),
        certificates: cloud.certificates(),
    };
    let context = StackContext {
        cfn: cloud.cfn(),
        support: &support,
        progress,
        timing,
    };
    let request = StackRequest {
        name: &parent.stack,
        template_json: &parent.template_json,
        parameters: &plan.parameters,
        tags: &parent.tags,
    };
    let (outcome, _) = changeset::apply_stack(&context, &request, plan.stack).await?;
    Ok(outcome)
}

#[cfg(test)]
mod tests;
