//! The stacks of one environment and the order deploy takes them in.
//!
//! Each stack is one file with `fn template(&Deployment) -> Template`. This module names
//! them ([`StackId`]), lists which exist for a deployment, and records how each stack's
//! Parameters are filled from upstream Outputs (the wiring `manifest.json` carries).

pub mod delegation_role;
pub mod dns;
pub mod frame;
pub mod hub;
pub mod images;
pub mod platform;

use std::collections::BTreeMap;

use crate::cfn::Template;
use crate::model::Deployment;

/// A stack of an environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StackId {
    /// Network, KMS key, EFS.
    Frame,
    /// The environment's subzone.
    Dns,
    /// The ECR repositories of the environment's own images (only when it has some).
    Images,
    /// JupyterHub: on ECS its service and tasks, on EKS its cluster.
    Hub,
    /// EKS add-ons and the Pod Identity roles of what runs in the cluster.
    EksAddons,
}

impl StackId {
    /// The suffix of the stack name: `<project>-<env>-<suffix>`.
    pub fn suffix(self) -> &'static str {
        match self {
            StackId::Frame => "frame",
            StackId::Dns => "dns",
            StackId::Images => "images",
            StackId::Hub => "hub",
            StackId::EksAddons => "eks-addons",
        }
    }
}

/// The `AllowedPattern` of a parameter that takes the frame's KMS key ARN (every stack
/// that uses the key gets it from the frame this way).
pub(crate) const KMS_KEY_ARN_PATTERN: &str =
    "^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-f0-9-]+$";

/// An output of one of the environment's stacks: where a parameter's value comes from at
/// deploy time, or a value deploy reports (the hub's URL). Serialized as
/// `{"stack": "<suffix>", "output": "<name>"}` in `manifest.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct OutputRef {
    /// The stack.
    #[serde(serialize_with = "serialize_suffix")]
    pub stack: StackId,
    /// The stack's output.
    pub output: &'static str,
}

impl OutputRef {
    /// Output `output` of stack `stack`.
    pub const fn new(stack: StackId, output: &'static str) -> OutputRef {
        OutputRef { stack, output }
    }
}

fn serialize_suffix<S: serde::Serializer>(id: &StackId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(id.suffix())
}

/// One stack of an environment, ready to render.
#[derive(Clone, Debug, PartialEq)]
pub struct Stack {
    /// Which stack.
    pub id: StackId,
    /// Its template.
    pub template: Template,
    /// Stacks that must be deployed first.
    pub depends_on: Vec<StackId>,
    /// Parameter name → upstream output.
    pub inputs: BTreeMap<String, OutputRef>,
    /// True when the stack waits for the subzone delegation.
    pub after_delegation: bool,
    /// What destroy does before it deletes the stack, because CloudFormation's delete
    /// would fail on AWS without it.
    pub before_delete: Vec<Cleanup>,
    /// The parameter deploy fills with the deploying principal's IAM ARN, if any.
    pub deployer_parameter: Option<&'static str>,
}

/// A step destroy takes before deleting a stack. Each names the stack's own output that
/// says where, and does nothing when that output is missing (a stack that never finished).
/// Serialized into `manifest.json` as `{"step": "<snake_case>", ...}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Cleanup {
    /// Scale the cluster's services to zero, stop the tasks no service owns (the users'
    /// servers the spawner started with RunTask), and wait until they are stopped: a
    /// cluster with running tasks cannot be deleted (`ClusterContainsTasksException`), and
    /// the servers' security group is still in use while they run.
    StopUserServers {
        /// The output that holds the cluster's name.
        cluster: &'static str,
    },
    /// Delete the zone's CNAME records that point into `acm-validations.aws`: a
    /// certificate validated with `DomainValidationOptions.HostedZoneId` has CloudFormation
    /// write them into the zone and never remove them, and a zone with records of its own
    /// cannot be deleted (`HostedZoneNotEmpty`).
    RemoveValidationRecords {
        /// The output that holds the hosted zone's id.
        zone: &'static str,
    },
    /// Uninstall the environment's Helm releases (the hub's last installed, first removed)
    /// and wait until what their controllers made is gone: the ingress's load balancer, its
    /// target groups and security groups, the records external-dns wrote. Left behind, they
    /// keep the VPC and the subzone from being deleted.
    UninstallReleases {
        /// The output that holds the cluster's name.
        cluster: &'static str,
    },
}

/// The stacks of `deployment`, in deploy order: frame and dns, the images stack when the
/// environment has images in its own registry, then the platform's (the hub after the
/// images stack, whose images deploy checks before it).
pub fn build(deployment: &Deployment) -> Vec<Stack> {
    let mut stacks = vec![
        Stack {
            id: StackId::Frame,
            template: frame::template(deployment),
            depends_on: Vec::new(),
            inputs: BTreeMap::new(),
            after_delegation: false,
            before_delete: Vec::new(),
            deployer_parameter: None,
        },
        Stack {
            id: StackId::Dns,
            template: dns::template(deployment),
            depends_on: Vec::new(),
            inputs: BTreeMap::new(),
            after_delegation: false,
            // The hub's certificate validated through this zone.
            before_delete: vec![Cleanup::RemoveValidationRecords {
                zone: dns::HOSTED_ZONE_ID,
            }],
            deployer_parameter: None,
        },
    ];
    let images = images::template(deployment).map(|template| Stack {
        id: StackId::Images,
        template,
        depends_on: vec![StackId::Frame],
        inputs: images::inputs(),
        after_delegation: false,
        before_delete: Vec::new(),
        deployer_parameter: None,
    });
    let has_images = images.is_some();
    stacks.extend(images);
    stacks.extend(platform::of(deployment.hub.platform).stacks(deployment));
    if has_images {
        for stack in stacks.iter_mut().filter(|stack| stack.id == StackId::Hub) {
            stack.depends_on.push(StackId::Images);
        }
    }
    stacks
}
