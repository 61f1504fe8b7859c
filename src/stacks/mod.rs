//! The stacks of one environment and the order deploy takes them in.
//!
//! Each stack is one file with `fn template(&Deployment) -> Template`. This module names
//! them ([`StackId`]), lists which exist for a deployment, and records how each stack's
//! Parameters are filled from upstream Outputs (the wiring `manifest.json` carries).

pub mod delegation_role;
pub mod dns;
pub mod frame;
pub mod hub;
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
    /// JupyterHub (ECS platform).
    Hub,
}

impl StackId {
    /// The suffix of the stack name: `<project>-<env>-<suffix>`.
    pub fn suffix(self) -> &'static str {
        match self {
            StackId::Frame => "frame",
            StackId::Dns => "dns",
            StackId::Hub => "hub",
        }
    }
}

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
}

/// The stacks of `deployment`, in deploy order: frame and dns, then the platform's.
pub fn build(deployment: &Deployment) -> Vec<Stack> {
    let mut stacks = vec![
        Stack {
            id: StackId::Frame,
            template: frame::template(deployment),
            depends_on: Vec::new(),
            inputs: BTreeMap::new(),
            after_delegation: false,
        },
        Stack {
            id: StackId::Dns,
            template: dns::template(deployment),
            depends_on: Vec::new(),
            inputs: BTreeMap::new(),
            after_delegation: false,
        },
    ];
    stacks.extend(platform::of(deployment.hub.platform).stacks(deployment));
    stacks
}
