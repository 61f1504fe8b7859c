//! The images the hub runs from the environment's own ECR: checked between the images stack
//! and the hub stack (a hub whose image is not pushed never starts, and on ECS its service
//! keeps the hub stack waiting until CloudFormation gives up), and `hubctl images`, which
//! deploys only the frame and the images stack and says what to push.
//!
//! Images in other registries are not checked: hubctl does not own them, and the
//! deploying credentials may not be able to read them.

use anyhow::Result;

use super::api::{Cfn, Cloud, ImageState, Registry};
use super::progress::{Progress, ProgressEvent};
use super::{check_account, check_sizes, NothingStarted, Options, Report};
use crate::model::Deployment;
use crate::plan::{Plan, StepId};
use crate::stacks::images::{own_images, push_commands, OwnImage};
use crate::stacks::StackId;

/// Images the hub needs are not in their repositories yet: deploy stopped before the hub
/// stack. The repositories exist; pushing the images and re-running deploy goes on.
#[derive(Debug, thiserror::Error)]
#[error("{} of environment `{env}` {} not in {} repository yet ({}): the repositories exist; push the images and re-run deploy", if missing.len() == 1 { "an image" } else { "images" }, if missing.len() == 1 { "is" } else { "are" }, if missing.len() == 1 { "its" } else { "their" }, missing.join(", "))]
pub struct ImagesMissing {
    /// The environment.
    pub env: String,
    /// The references not found.
    pub missing: Vec<String>,
    /// What to run: log in, build, push.
    pub commands: Vec<String>,
}

/// What each of the environment's own images is: present or not, in the platform's order.
pub async fn image_states<'d>(
    registry: &impl Registry,
    deployment: &'d Deployment,
) -> Result<Vec<(OwnImage<'d>, ImageState)>> {
    let mut states = Vec::new();
    for own in own_images(deployment) {
        let state = registry
            .image_state(own.repository, own.tag_or_digest())
            .await?;
        states.push((own, state));
    }
    Ok(states)
}

/// Checks that every image the hub runs from the environment's own registry is pushed;
/// reports each, and fails with [`ImagesMissing`] (the commands to push them) otherwise.
pub async fn check(
    registry: &impl Registry,
    progress: &impl Progress,
    plan: &Plan<'_>,
) -> Result<()> {
    let deployment = plan.deployment;
    let stack = plan.stack_name(StackId::Images);
    let mut missing = Vec::new();
    for (own, state) in image_states(registry, deployment).await? {
        let said = match state {
            ImageState::Present => "is pushed",
            ImageState::Missing => "is not pushed yet",
            ImageState::NoRepository => "has no repository (the images stack did not make it)",
            ImageState::Untagged => "is an untagged image, which the repository's lifecycle rule deletes 14 days after its push: push it under a tag and pin that tag's digest",
        };
        progress.report(ProgressEvent::Note {
            stack: stack.clone(),
            message: format!("image {} {said}", own.image.reference),
        });
        if state != ImageState::Present {
            missing.push(own);
        }
    }
    // What the environment runs from elsewhere is the registry owner's to keep.
    let own: Vec<&str> = own_images(deployment)
        .iter()
        .map(|own| own.image.reference.as_str())
        .collect();
    let mut elsewhere: Vec<&str> = crate::stacks::platform::of(deployment.hub.platform)
        .images(deployment)
        .into_iter()
        .map(|(_, image)| image.reference.as_str())
        .filter(|reference| !own.contains(reference))
        .collect();
    elsewhere.sort_unstable();
    elsewhere.dedup();
    for reference in elsewhere {
        progress.report(ProgressEvent::Note {
            stack: stack.clone(),
            message: format!(
                "image {reference} is not in this environment's registry: not checked (its registry's owner keeps it)"
            ),
        });
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(ImagesMissing {
        env: deployment.env.clone(),
        missing: missing
            .iter()
            .map(|own| own.image.reference.clone())
            .collect(),
        commands: push_commands(deployment, &missing),
    }
    .into())
}

/// What `hubctl images` did: the stacks' outcome and outputs, every own image's state, and
/// the commands that push the missing ones.
#[derive(Debug, Default)]
pub struct ImagesReport {
    /// The frame's and the images stack's outcome and outputs.
    pub stacks: Report,
    /// Each image the environment runs from its own registry, and whether it is pushed.
    pub images: Vec<(String, bool)>,
    /// Log in, build and push what is missing; empty when nothing is.
    pub commands: Vec<String>,
}

/// Before any stack changes: a repository the images stack would create that exists already
/// and is not the stack's own (made by hand or by another tool; its deployed template does
/// not name it) would fail CloudFormation's create on the name ("already exists"), after the
/// frame and dns stacks changed.
pub async fn check_foreign_repositories(
    cfn: &impl Cfn,
    registry: &impl Registry,
    plan: &Plan<'_>,
) -> Result<()> {
    if plan.stack(StackId::Images).is_none() {
        return Ok(());
    }
    let stack = plan.stack_name(StackId::Images);
    let ours: std::collections::BTreeSet<String> = match cfn.describe_stack(&stack).await? {
        Some(_) => repository_names(&cfn.get_template(&stack).await?),
        None => std::collections::BTreeSet::new(),
    };
    let mut foreign = Vec::new();
    for path in crate::stacks::images::repositories(plan.deployment) {
        if !ours.contains(path) && registry.repository_exists(path).await? {
            foreign.push(path);
        }
    }
    if foreign.is_empty() {
        return Ok(());
    }
    let deployment = plan.deployment;
    Err(NothingStarted(format!(
        "ECR repository {} exists in account {} ({}) but is not the images stack {stack}'s, so its create would fail on the name (\"already exists\"): name another repository path for the image in the config, or delete that repository once its images are saved elsewhere",
        foreign.join(", "),
        deployment.account,
        deployment.region
    ))
    .into())
}

/// The `RepositoryName`s of a deployed template's ECR repositories.
fn repository_names(template: &str) -> std::collections::BTreeSet<String> {
    let value: serde_json::Value = serde_json::from_str(template).unwrap_or_default();
    value["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, resource)| resource["Type"] == "AWS::ECR::Repository")
        .filter_map(|(_, resource)| resource["Properties"]["RepositoryName"].as_str())
        .map(str::to_string)
        .collect()
}

/// Deploys the frame (for its KMS key) and the images stack, nothing else, and says which
/// images are still to be pushed, with the commands. An environment without images in its
/// own registry has no images stack: nothing is deployed, and the report says so by an
/// empty image list.
pub async fn deploy_images(
    deployment: &Deployment,
    cloud: &impl Cloud,
    progress: &impl Progress,
    options: Options,
) -> Result<ImagesReport> {
    let plan = Plan::of(deployment);
    let mut report = ImagesReport::default();
    if plan.stack(StackId::Images).is_none() {
        return Ok(report);
    }
    let wanted = [StackId::Frame, StackId::Images];
    let waves: Vec<Vec<StepId>> = plan
        .waves
        .iter()
        .map(|wave| {
            wave.iter()
                .copied()
                .filter(|step| matches!(step, StepId::Stack(id) if wanted.contains(id)))
                .collect::<Vec<_>>()
        })
        .filter(|wave| !wave.is_empty())
        .collect();
    check_sizes(&plan, &waves)?;
    check_account(cloud.identity(), deployment).await?;
    check_foreign_repositories(cloud.cfn(), cloud.registry(), &plan).await?;
    let tags = crate::synth::stack_tags(deployment);
    for wave in &waves {
        super::deploy_stacks(
            cloud,
            progress,
            &plan,
            wave,
            None,
            &tags,
            options,
            &mut report.stacks,
        )
        .await?;
    }
    let states = image_states(cloud.registry(), deployment).await?;
    let missing: Vec<OwnImage<'_>> = states
        .iter()
        .filter(|(_, state)| *state != ImageState::Present)
        .map(|(own, _)| own.clone())
        .collect();
    report.commands = push_commands(deployment, &missing);
    report.images = states
        .into_iter()
        .map(|(own, state)| (own.image.reference.clone(), state == ImageState::Present))
        .collect();
    Ok(report)
}
