//! One environment as a typed plan: its steps (the stacks and the subzone delegation), the
//! waves they run in, and typed references to the outputs that wire them together.
//!
//! synth renders the plan (templates and `manifest.json`), deploy walks its waves forward,
//! destroy walks them in reverse, and what destroy leaves behind is read off the templates'
//! `DeletionPolicy`. Nothing here is found again by a string.

use std::collections::BTreeMap;

use crate::model::Deployment;
use crate::stacks::{self, dns, frame, OutputRef, Stack, StackId};

/// A step of the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StepId {
    /// Create or update one stack.
    Stack(StackId),
    /// Write the subzone's NS record in the parent zone (through the parent account's role).
    Delegation,
}

impl StepId {
    /// The step's name in `manifest.json` (`frame`, `dns`, `hub`, `delegation`).
    pub fn name(self) -> &'static str {
        match self {
            StepId::Stack(id) => id.suffix(),
            StepId::Delegation => "delegation",
        }
    }
}

/// The delegation step: after which stack it runs and where the subzone's id comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelegationStep {
    /// The stack that makes the subzone.
    pub after: StackId,
    /// The subzone's hosted zone id.
    pub zone_id: OutputRef,
}

/// The plan of one environment.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan<'d> {
    /// The environment.
    pub deployment: &'d Deployment,
    /// Its stacks, in the order they are declared.
    pub stacks: Vec<Stack>,
    /// The subzone delegation.
    pub delegation: DelegationStep,
    /// The steps in waves: the steps of a wave can run at once, once the waves before it are
    /// done.
    pub waves: Vec<Vec<StepId>>,
    /// The bucket large templates are staged in (made by the first wave's frame stack).
    pub template_bucket: OutputRef,
    /// The hub's URL, when the platform makes a hub stack.
    pub hub_url: Option<OutputRef>,
    /// What deploy installs inside the cluster, when the platform has one.
    pub kubernetes: Option<crate::k8s::Kubernetes>,
}

/// A resource that destroy leaves in place, as its template says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retained {
    /// The stack name.
    pub stack: String,
    /// The resource's logical id.
    pub logical_id: String,
    /// Its CloudFormation type.
    pub resource_type: String,
    /// `Retain` or `Snapshot`.
    pub policy: &'static str,
}

impl Retained {
    /// What a person should know stays behind (and costs).
    pub fn describe(&self) -> String {
        let what = match (self.resource_type.as_str(), self.policy) {
            ("AWS::EFS::FileSystem", _) => "the EFS file system with the users' homes".to_string(),
            ("AWS::KMS::Key", _) => "the KMS key".to_string(),
            ("AWS::RDS::DBInstance", "Snapshot") => {
                "a final snapshot of the hub database".to_string()
            }
            ("AWS::S3::Bucket", _) => format!("the S3 bucket {}", self.logical_id),
            (kind, "Snapshot") => format!("a final snapshot of {kind} {}", self.logical_id),
            (kind, _) => format!("{kind} {}", self.logical_id),
        };
        format!(
            "{what} ({} {}, DeletionPolicy {})",
            self.stack, self.logical_id, self.policy
        )
    }
}

impl<'d> Plan<'d> {
    /// The plan of `deployment`.
    pub fn of(deployment: &'d Deployment) -> Plan<'d> {
        let stacks = stacks::build(deployment);
        let delegation = DelegationStep {
            after: StackId::Dns,
            zone_id: OutputRef::new(StackId::Dns, dns::HOSTED_ZONE_ID),
        };
        let waves = waves(&stacks, delegation.after);
        let platform = stacks::platform::of(deployment.hub.platform);
        let hub_url = platform.hub_url();
        let kubernetes = platform.kubernetes(deployment);
        Plan {
            deployment,
            stacks,
            delegation,
            waves,
            template_bucket: OutputRef::new(StackId::Frame, frame::outputs::TEMPLATE_BUCKET),
            hub_url,
            kubernetes,
        }
    }

    /// The stack `id`, if the environment has it.
    pub fn stack(&self, id: StackId) -> Option<&Stack> {
        self.stacks.iter().find(|stack| stack.id == id)
    }

    /// `<project>-<env>-<suffix>`.
    pub fn stack_name(&self, id: StackId) -> String {
        self.deployment.stack_name(id.suffix())
    }

    /// The order destroy takes: the waves backwards, each wave's steps backwards.
    pub fn reverse(&self) -> Vec<Vec<StepId>> {
        self.waves
            .iter()
            .rev()
            .map(|wave| wave.iter().rev().copied().collect())
            .collect()
    }

    /// What deleting stack `id` as synthesized leaves behind (see [`retained_in`]).
    pub fn retained(&self, id: StackId) -> Vec<Retained> {
        let Some(stack) = self.stack(id) else {
            return Vec::new();
        };
        // Plain data always serializes.
        let template = serde_json::to_value(&stack.template).expect("a template serializes");
        retained_in(&self.stack_name(id), &template)
    }
}

/// What deleting stack `stack` leaves behind, read off a template as JSON (the one
/// CloudFormation holds): the resources whose `DeletionPolicy` is `Retain` or `Snapshot`.
pub fn retained_in(stack: &str, template: &serde_json::Value) -> Vec<Retained> {
    let Some(resources) = template["Resources"].as_object() else {
        return Vec::new();
    };
    resources
        .iter()
        .filter_map(|(logical_id, resource)| {
            let kind = resource["Type"].as_str().unwrap_or_default();
            let policy = match resource["DeletionPolicy"].as_str() {
                Some("Retain") => "Retain",
                Some("Snapshot") => "Snapshot",
                // CloudFormation's default for a database instance without a policy.
                None if kind == "AWS::RDS::DBInstance" => "Snapshot",
                _ => return None,
            };
            Some(Retained {
                stack: stack.to_string(),
                logical_id: logical_id.clone(),
                resource_type: kind.to_string(),
                policy,
            })
        })
        .collect()
}

/// Steps in waves: every stack whose dependencies are done joins the next wave; the
/// delegation runs once `delegation_after` is done; stacks marked `after_delegation` wait
/// for it.
fn waves(stacks: &[Stack], delegation_after: StackId) -> Vec<Vec<StepId>> {
    let mut done: Vec<StackId> = Vec::new();
    let mut waves = Vec::new();
    let mut delegated = false;
    loop {
        let mut wave: Vec<StepId> = stacks
            .iter()
            .filter(|stack| !done.contains(&stack.id))
            .filter(|stack| !stack.after_delegation || delegated)
            .filter(|stack| stack.depends_on.iter().all(|d| done.contains(d)))
            .map(|stack| StepId::Stack(stack.id))
            .collect();
        if !delegated && done.contains(&delegation_after) {
            wave.push(StepId::Delegation);
        }
        if wave.is_empty() {
            break;
        }
        for step in &wave {
            match step {
                StepId::Delegation => delegated = true,
                StepId::Stack(id) => done.push(*id),
            }
        }
        waves.push(wave);
    }
    waves
}

/// The live outputs of an environment's stacks, by stack: what deploy has read so far.
/// Serialized as `{"<suffix>": {"<output>": "<value>"}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Outputs(BTreeMap<String, BTreeMap<String, String>>);

impl Outputs {
    /// Records the outputs of stack `id`.
    pub fn insert(&mut self, id: StackId, outputs: BTreeMap<String, String>) {
        self.0.insert(id.suffix().to_string(), outputs);
    }

    /// The value of `output`, once its stack is deployed.
    pub fn get(&self, output: OutputRef) -> Option<&String> {
        self.0.get(output.stack.suffix())?.get(output.output)
    }

    /// Every stack's outputs, by stack suffix, sorted.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &BTreeMap<String, String>)> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> crate::config::Config {
        crate::config::parse(
            "config.example.yaml",
            include_str!("../config.example.yaml"),
        )
        .expect("the example is valid")
    }

    #[test]
    fn the_waves_put_the_delegation_between_the_subzone_and_the_hub() {
        let config = example();
        let plan = Plan::of(&config.deployments[0]);
        let names: Vec<Vec<&str>> = plan
            .waves
            .iter()
            .map(|wave| wave.iter().map(|step| step.name()).collect())
            .collect();
        assert_eq!(
            names,
            // The images stack needs only the frame's key; the hub waits for both.
            [
                vec!["frame", "dns"],
                vec!["images", "delegation"],
                vec!["hub"]
            ]
        );
        let reverse: Vec<Vec<&str>> = plan
            .reverse()
            .iter()
            .map(|wave| wave.iter().map(|step| step.name()).collect())
            .collect();
        assert_eq!(
            reverse,
            [
                vec!["hub"],
                vec!["delegation", "images"],
                vec!["dns", "frame"]
            ]
        );
        assert_eq!(plan.hub_url, Some(OutputRef::new(StackId::Hub, "HubUrl")));
    }

    #[test]
    fn what_stays_is_read_off_the_deletion_policies() {
        let config = example();
        // prod keeps its storage; dev does not.
        let env = |name: &str| {
            config
                .deployments
                .iter()
                .find(|d| d.env == name)
                .expect("the example has it")
        };
        let (dev, prod) = (Plan::of(env("dev")), Plan::of(env("prod")));
        let kept = |plan: &Plan, id| -> Vec<String> {
            plan.retained(id)
                .iter()
                .map(|r| r.logical_id.clone())
                .collect()
        };
        assert!(kept(&dev, StackId::Frame).is_empty());
        assert_eq!(kept(&prod, StackId::Frame), ["FileSystem", "Key"]);
        assert_eq!(kept(&prod, StackId::Hub), ["AccessLogBucket", "Database"]);
        assert_eq!(
            prod.retained(StackId::Hub)[1].describe(),
            "a final snapshot of the hub database (jhub-prod-hub Database, DeletionPolicy Snapshot)"
        );
    }
}
