//! Config → files: every stack's template and each environment's `manifest.json`.
//!
//! Pure: [`render`] returns the files as relative paths and text; the caller writes them
//! (atomically, see `output`). Same config, same bytes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cfn::template::to_canonical_json;
use crate::model::Deployment;
use crate::plan::Plan;
use crate::stacks::{self, OutputRef};

/// The files of one synth, by path relative to the output directory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rendered {
    /// Relative path → file text.
    pub files: BTreeMap<String, String>,
    /// One row per template, in deploy order.
    pub summary: Vec<SummaryRow>,
}

/// One line of synth's table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryRow {
    /// Environment, or `parent` for the parent account's template.
    pub env: String,
    /// Stack name.
    pub stack: String,
    /// Number of resources.
    pub resources: usize,
    /// Size of the template in bytes.
    pub bytes: usize,
}

/// The directory of the parent DNS account's template.
pub const PARENT_DIR: &str = "parent";

/// Renders `selected` environments; the delegation-role template covers `all` of them.
pub fn render(all: &[&Deployment], selected: &[&Deployment]) -> Rendered {
    let mut rendered = Rendered::default();
    for deployment in selected {
        let plan = Plan::of(deployment);
        for stack in &plan.stacks {
            let name = plan.stack_name(stack.id);
            let text = stack.template.to_json();
            rendered.summary.push(SummaryRow {
                env: deployment.env.clone(),
                stack: name.clone(),
                resources: stack.template.resources.len(),
                bytes: text.len(),
            });
            rendered
                .files
                .insert(format!("{}/{}", deployment.env, template_file(&name)), text);
        }
        if let Some(kubernetes) = &plan.kubernetes {
            for (file, text) in kubernetes.files() {
                rendered
                    .files
                    .insert(format!("{}/{file}", deployment.env), text);
            }
        }
        let manifest = manifest(&plan);
        rendered.files.insert(
            format!("{}/manifest.json", deployment.env),
            to_canonical_json(&manifest),
        );
    }
    if let Some(parent) = parent_template(all) {
        rendered.summary.push(SummaryRow {
            env: PARENT_DIR.to_string(),
            stack: parent.stack.clone(),
            resources: parent.resources,
            bytes: parent.json.len(),
        });
        rendered.files.insert(
            format!("{PARENT_DIR}/{}", template_file(&parent.stack)),
            parent.json,
        );
    }
    rendered
}

/// The parent DNS account's template, as synth writes it to `parent/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentTemplate {
    /// Its stack name, `<project>-delegation-role`.
    pub stack: String,
    /// The template (canonical JSON).
    pub json: String,
    /// How many resources (roles) it has.
    pub resources: usize,
}

/// The delegation-role template covering `all` environments; `None` without any.
pub fn parent_template(all: &[&Deployment]) -> Option<ParentTemplate> {
    let template = stacks::delegation_role::template(all)?;
    Some(ParentTemplate {
        stack: delegation_role_stack_name(all),
        json: template.to_json(),
        resources: template.resources.len(),
    })
}

fn template_file(stack_name: &str) -> String {
    format!("{stack_name}.template.json")
}

fn delegation_role_stack_name(all: &[&Deployment]) -> String {
    parent_stack_name(all.first().map(|d| d.project.as_str()).unwrap_or_default())
}

/// The parent account's stack of the delegation roles: `<project>-delegation-role`.
fn parent_stack_name(project: &str) -> String {
    format!("{project}-delegation-role")
}

/// `manifest.json`: what deploy needs beyond the templates.
#[derive(Serialize)]
struct Manifest<'a> {
    format: u32,
    project: &'a str,
    environment: &'a str,
    account: &'a str,
    region: &'a str,
    tags: BTreeMap<String, String>,
    deploy_order: Vec<Vec<String>>,
    stacks: Vec<ManifestStack>,
    delegation: Delegation<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kubernetes: Option<KubernetesSection<'a>>,
}

/// What deploy installs in the cluster: manifests applied in order, then the releases, with
/// the placeholders it fills from stack outputs.
#[derive(Serialize)]
struct KubernetesSection<'a> {
    cluster: &'a str,
    namespace: &'a str,
    manifests: Vec<String>,
    releases: &'a [crate::k8s::Release],
    placeholders: &'a BTreeMap<String, OutputRef>,
}

#[derive(Serialize)]
struct ManifestStack {
    id: &'static str,
    name: String,
    template: String,
    depends_on: Vec<&'static str>,
    after_delegation: bool,
    parameters: BTreeMap<String, OutputRef>,
    before_delete: Vec<crate::stacks::Cleanup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deployer_parameter: Option<&'static str>,
}

#[derive(Serialize)]
struct Delegation<'a> {
    after: Vec<&'static str>,
    subzone: &'a str,
    zone_id: OutputRef,
    parent_zone: &'a str,
    parent_account: &'a str,
    role_arn: String,
    role_template: String,
}

/// The tags of every stack of `deployment`: the config's plus hubctl's own.
pub fn stack_tags(deployment: &Deployment) -> BTreeMap<String, String> {
    let mut tags = deployment.tags.clone();
    tags.insert("hubctl:project".to_string(), deployment.project.clone());
    tags.insert("hubctl:environment".to_string(), deployment.env.clone());
    tags
}

fn manifest<'a>(plan: &'a Plan<'a>) -> Manifest<'a> {
    let deployment = plan.deployment;
    Manifest {
        format: 1,
        project: &deployment.project,
        environment: &deployment.env,
        account: deployment.account.as_str(),
        region: &deployment.region,
        tags: stack_tags(deployment),
        deploy_order: plan
            .waves
            .iter()
            .map(|wave| wave.iter().map(|step| step.name().to_string()).collect())
            .collect(),
        stacks: plan
            .stacks
            .iter()
            .map(|stack| {
                let name = plan.stack_name(stack.id);
                ManifestStack {
                    id: stack.id.suffix(),
                    template: template_file(&name),
                    name,
                    depends_on: stack.depends_on.iter().map(|id| id.suffix()).collect(),
                    after_delegation: stack.after_delegation,
                    parameters: stack.inputs.clone(),
                    before_delete: stack.before_delete.clone(),
                    deployer_parameter: stack.deployer_parameter,
                }
            })
            .collect(),
        delegation: Delegation {
            after: vec![plan.delegation.after.suffix()],
            subzone: deployment.dns.subzone.as_str(),
            zone_id: plan.delegation.zone_id,
            parent_zone: deployment.dns.parent_zone.as_str(),
            parent_account: deployment.dns.parent_account.as_str(),
            role_arn: deployment.delegation_role_arn(),
            role_template: format!(
                "../{PARENT_DIR}/{}",
                template_file(&parent_stack_name(&deployment.project))
            ),
        },
        kubernetes: plan
            .kubernetes
            .as_ref()
            .map(|kubernetes| KubernetesSection {
                cluster: &kubernetes.cluster,
                namespace: &kubernetes.namespace,
                manifests: kubernetes
                    .manifests
                    .iter()
                    .map(|manifest| format!("k8s/{}", manifest.file))
                    .collect(),
                releases: &kubernetes.releases,
                placeholders: &kubernetes.placeholders,
            }),
    }
}
