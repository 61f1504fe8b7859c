//! The hub platforms as implementations of one small trait: the stacks a platform adds after
//! frame and dns, the server sizes it can run, and where the hub's URL comes from. What
//! platforms share (certificate, record, database, identity provider, EFS homes) lives in
//! `stacks::hub`, owned by neither.

use super::hub::ecs::Ecs;
use super::hub::eks::Eks;
use super::images::ImageUse;
use super::{OutputRef, Stack};
use crate::k8s::Kubernetes;
use crate::model::{Deployment, Image, Platform};

/// Why a platform cannot run a server size, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileProblem {
    /// The CPU value is not one the platform offers.
    Cpu {
        /// What is wrong.
        problem: String,
        /// The fix.
        fix: String,
    },
    /// The memory does not fit the CPU value.
    Memory {
        /// What is wrong.
        problem: String,
        /// The fix.
        fix: String,
    },
}

/// What a hub platform adds to an environment.
pub trait HubPlatform: Sync {
    /// The stacks it adds after frame and dns (with their dependencies and wiring).
    fn stacks(&self, deployment: &Deployment) -> Vec<Stack>;
    /// `Ok` when the platform can run a server of `cpu` units and `memory` MiB.
    fn check_profile(&self, cpu: u32, memory: u32) -> Result<(), ProfileProblem>;
    /// The output holding the hub's URL, when the platform makes one.
    fn hub_url(&self) -> Option<OutputRef>;
    /// The images the platform runs for `deployment`, with what each is for: on ECS the
    /// hub's image and the servers', on EKS only the servers' (the chart brings its hub).
    fn images<'d>(&self, deployment: &'d Deployment) -> Vec<(ImageUse, &'d Image)>;
    /// What deploy installs inside the platform's cluster, if it has one.
    fn kubernetes(&self, _deployment: &Deployment) -> Option<Kubernetes> {
        None
    }
}

/// The implementation of `platform`.
pub fn of(platform: Platform) -> &'static dyn HubPlatform {
    match platform {
        Platform::Ecs => &Ecs,
        Platform::Eks => &Eks,
    }
}
