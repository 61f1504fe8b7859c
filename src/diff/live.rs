//! `diff --deployed`: the live stacks of one environment as the old side, and as the new
//! side what deploy would send them: the synthesized templates with what deploy keeps from
//! the deployed ones (`deploy::keep`), their parameters filled from the live outputs of the
//! upstream stacks, the stack tags deploy sets. Read-only: DescribeStacks and GetTemplate,
//! through the same `Cfn` trait deploy uses, after the same account check.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::{EnvSide, Snapshot, StackSide};
use crate::deploy::api::{Cfn, Identity, StackStatus};
use crate::deploy::{changeset, check_account, keep};
use crate::model::Deployment;
use crate::plan::Plan;
use crate::synth;

/// The two sides, and what a reader of the diff should know about them.
pub struct Sides {
    /// The live stacks.
    pub live: Snapshot,
    /// What deploy would send.
    pub wanted: Snapshot,
    /// Notes for the report (a stack deploy would recreate; drift is not shown).
    pub notes: Vec<String>,
}

/// The live and wanted sides of `deployment`. A stack that waits for a person (a failed
/// rollback or delete) or is in the middle of an operation is an error, as for deploy; one
/// whose first creation failed counts as absent, since deploy deletes and creates it anew.
pub async fn snapshots(
    deployment: &Deployment,
    cfn: &impl Cfn,
    identity: &impl Identity,
) -> Result<Sides> {
    check_account(identity, deployment).await?;
    let plan = Plan::of(deployment);
    let tags = synth::stack_tags(deployment);
    let mut live_side = EnvSide::default();
    let mut wanted_side = EnvSide::default();
    let mut outputs: BTreeMap<&str, BTreeMap<String, String>> = BTreeMap::new();
    let mut notes = vec![
        "drift is not shown: the live side is each stack's last deployed template, not the resources as they are (`aws cloudformation detect-stack-drift`)".to_string(),
        "the parent account's delegation-role stack is another account's: compare it with `diff --against`".to_string(),
    ];
    if plan.kubernetes.is_some() {
        notes.push("the cluster's Helm values and manifests are not read from the cluster: compare them with `diff --against` a synth output".to_string());
    }
    for stack in &plan.stacks {
        let name = plan.stack_name(stack.id);
        let id = stack.id.suffix();
        let synthesized = changeset::compact(&stack.template.to_json())?;
        let live = match cfn.describe_stack(&name).await? {
            Some(found) => match &found.status {
                StackStatus::DeleteComplete | StackStatus::ReviewInProgress => None,
                StackStatus::RollbackComplete => {
                    notes.push(format!("stack {name} is ROLLBACK_COMPLETE (its first creation failed): deploy deletes it and creates it anew, so it is shown as added"));
                    None
                }
                StackStatus::Stuck(code) => {
                    bail!(
                        "stack {name} is {code}: {}",
                        changeset::stuck_advice(&name, code)
                    )
                }
                StackStatus::InProgress(code) => {
                    bail!("stack {name} is {code}: wait until it is done, then diff again")
                }
                _ => Some(found),
            },
            None => None,
        };
        let body = match &live {
            Some(found) => {
                let deployed = cfn.get_template(&name).await?;
                let template: Value = serde_json::from_str(&deployed).with_context(|| {
                    format!("stack {name}: the deployed template is not JSON (deployed by something other than hubctl?); compare its synth output with `hubctl diff --against DIR` instead")
                })?;
                live_side.stacks.push(StackSide {
                    id: id.to_string(),
                    name: name.clone(),
                    source: format!("{name} (deployed)"),
                    template: std::sync::Arc::new(template),
                    parameters: found.parameters.clone(),
                    wiring: BTreeMap::new(),
                    tags: found.tags.clone(),
                });
                outputs.insert(id, found.outputs.clone());
                keep::keep_deployed(&deployed, &synthesized)?.0
            }
            None => synthesized,
        };
        let mut parameters = BTreeMap::new();
        let mut wiring = BTreeMap::new();
        for (param, input) in &stack.inputs {
            let upstream = input.stack.suffix();
            let value = outputs
                .get(upstream)
                .and_then(|o| o.get(input.output))
                .cloned()
                .unwrap_or_else(|| format!("(known after deploy: {upstream}.{})", input.output));
            parameters.insert(param.clone(), value);
            wiring.insert(
                param.clone(),
                (upstream.to_string(), input.output.to_string()),
            );
        }
        // Deploy fills it with whoever deploys: the same caller gives the same value.
        if let Some(param) = stack.deployer_parameter {
            if let Some(value) = live.as_ref().and_then(|found| found.parameters.get(param)) {
                parameters.insert(param.to_string(), value.clone());
            }
        }
        wanted_side.stacks.push(StackSide {
            id: id.to_string(),
            source: format!("{name} (to deploy)"),
            name,
            template: std::sync::Arc::new(
                serde_json::from_str(&body).context("synthesized template is not JSON")?,
            ),
            parameters,
            wiring,
            tags: tags.clone(),
        });
    }
    let env = deployment.env.clone();
    let one = |side| Snapshot {
        envs: BTreeMap::from([(env.clone(), side)]),
    };
    Ok(Sides {
        live: one(live_side),
        wanted: one(wanted_side),
        notes,
    })
}
