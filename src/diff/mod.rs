//! `hubctl diff`: two synth outputs (or a synth output and the live stacks) compared the way
//! CloudFormation would act on them, with the risks first.
//!
//! Pure, like synth: [`compare`] takes two [`Snapshot`]s and returns a [`Report`]; `load`
//! makes snapshots from files, `live` from the deployed stacks, `render` prints reports. The
//! impact of a change comes from the resource schemas (`table`), propagated through `Ref`,
//! `Fn::GetAtt` and `Fn::Sub` within a stack and through outputs and parameters across
//! stacks, so replacing a VPC marks its subnets.

pub mod exposure;
mod impact;
pub mod kubernetes;
pub mod live;
pub mod load;
pub mod render;
pub mod security;
pub mod table;
mod tags;
pub mod tree;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use exposure::Finding;
use impact::{Changing, ResourceState};
use security::{RuleChange, StatementChange};
use tags::{TagDelta, TagTally};
use tree::Change;

/// One side of a diff: environment name (or `parent`) → what it holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// By environment name.
    pub envs: BTreeMap<String, EnvSide>,
}

/// One environment's stacks and manifest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnvSide {
    /// `manifest.json`, when the side has one (synth output; not the live stacks).
    pub manifest: Option<Value>,
    /// Its stacks, in the manifest's order.
    pub stacks: Vec<StackSide>,
    /// What deploy installs in the cluster (EKS): file (`jupyterhub-values.yaml`,
    /// `k8s/10-storage.yaml`) → its values, or its objects keyed `<Kind> <name>`.
    pub kubernetes: BTreeMap<String, Value>,
}

/// One stack: its template, parameter values and tags.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StackSide {
    /// The stack's id in the manifest (`frame`, `hub`; `delegation-role` for the parent).
    pub id: String,
    /// The stack's name.
    pub name: String,
    /// Where it was read (a file below the synth output, or the stack it came from).
    pub source: String,
    /// The template (shared with the other side when the text is the same).
    pub template: Arc<Value>,
    /// Parameter values as compared: a live value, or the wiring (`frame.VpcId`) of a synth.
    pub parameters: BTreeMap<String, String>,
    /// Which upstream output fills each parameter: (stack id, output name).
    pub wiring: BTreeMap<String, (String, String)>,
    /// Stack tags.
    pub tags: BTreeMap<String, String>,
}

/// What CloudFormation would do to a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    /// Nothing.
    None,
    /// Updated in place.
    Update,
    /// Replaced, depending on the values (`conditionalCreateOnlyProperties`).
    MayReplace,
    /// Replaced: a new resource, a new physical id, the old one deleted.
    Replace,
    /// Created.
    Add,
    /// Deleted (or, with `DeletionPolicy`, left behind).
    Remove,
    /// Left as it is: its stack is no longer in the config, and deploy never deletes a
    /// stack (destroy of the config that had it, or a person, does).
    Orphaned,
}

impl Impact {
    /// How the text output says it.
    pub fn label(self) -> &'static str {
        match self {
            Impact::None => "no change",
            Impact::Update => "update",
            Impact::MayReplace => "may replace",
            Impact::Replace => "replace",
            Impact::Add => "add",
            Impact::Remove => "remove",
            Impact::Orphaned => "left behind (its stack is no longer in the config)",
        }
    }
}

/// One resource that changes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResourceDiff {
    /// Its logical id.
    pub logical_id: String,
    /// Its type (the new one when it changes).
    #[serde(rename = "type")]
    pub kind: String,
    /// What CloudFormation does.
    pub impact: Impact,
    /// Why: the create-only property that changed, or what it uses that is replaced.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub because: Vec<String>,
    /// It holds data (the schema table's `stateful`).
    pub stateful: bool,
    /// `DeletionPolicy` of a removed resource, `UpdateReplacePolicy` of a replaced one,
    /// when not `Delete`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept_by: Option<String>,
    /// Why the update fails on AWS although the template is valid.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fails: Vec<String>,
    /// The old resource has deletion protection on: a replacement or removal cannot delete
    /// it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deletion_protected: bool,
    /// Every changed path (tags are summarized apart unless they force replacement).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
}

/// One stack that changes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StackDiff {
    /// The stack's name.
    pub name: String,
    /// Its id in the manifest.
    pub id: String,
    /// `add`, `remove` or `modify`.
    pub action: &'static str,
    /// Resources that change, by logical id.
    pub resources: Vec<ResourceDiff>,
    /// Resources whose only change is their tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag_only: Vec<String>,
    /// Template parameter declarations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<Change>,
    /// Parameter values (the wiring, or live values).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameter_values: Vec<Change>,
    /// Outputs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<Change>,
    /// Conditions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Change>,
    /// Any other template section (Description, Metadata, Mappings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub template: Vec<Change>,
}

/// One environment's changes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnvDiff {
    /// Its name (or `parent`).
    pub env: String,
    /// `manifest.json` (deploy order, wiring, cleanup steps; stack tags are in `tags`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub manifest: Vec<Change>,
    /// The cluster's files (Helm values and manifests), paths starting with the file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kubernetes: Vec<Change>,
    /// Stacks that change.
    pub stacks: Vec<StackDiff>,
}

/// What a change puts at risk: a stateful resource replaced or removed, a secret's value
/// regenerated, protection dropped, or an update AWS refuses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Risk {
    /// Environment.
    pub env: String,
    /// Stack name.
    pub stack: String,
    /// Logical id.
    pub logical_id: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: String,
    /// What CloudFormation does to it.
    pub impact: Impact,
    /// What is at stake: what a replacement or removal loses (`data`, `keys`, `dns`,
    /// `secret`, `identity`, `certificate`, `network`, `logs`), `regenerated` (a secret's
    /// value), `protection` (deletion protection or a retain policy dropped), `fails` (the
    /// update fails on AWS), `unknown` (a type the schema table lacks).
    pub risk: String,
    /// The policy that keeps the old resource, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept_by: Option<String>,
    /// One sentence for a person.
    pub message: String,
}

/// What becomes of the old resource of a replacement or removal, as its policies and
/// deletion protection have AWS act; empty when it is simply deleted.
pub fn fate(resource: &ResourceDiff) -> String {
    let removal = resource.impact == Impact::Remove;
    let policy = resource.kept_by.as_deref();
    if resource.deletion_protected {
        return if removal {
            "deletion protection is on: CloudFormation cannot delete it, it stays, running and billed, no longer managed".to_string()
        } else {
            "the new one starts empty; deletion protection is on, so CloudFormation cannot delete the old one: it stays, running and billed".to_string()
        };
    }
    match policy {
        Some(policy) if policy.ends_with("Snapshot") && removal => {
            format!("{policy}: a final snapshot is taken, then it is deleted")
        }
        Some(policy) if policy.ends_with("Snapshot") => {
            format!("{policy}: the old one is deleted after a final snapshot; the new one starts empty")
        }
        Some(policy) if removal => format!("{policy}: it stays in the account, no longer managed"),
        Some(policy) => format!(
            "{policy}: the old one stays in the account, no longer managed; the new one starts empty"
        ),
        None => String::new(),
    }
}

/// What replacing or removing a resource of this loss kind costs.
pub fn loss_text(loss: &str) -> &'static str {
    match loss {
        "keys" => {
            "key loss: everything encrypted under the old key is unreadable once it is deleted"
        }
        "dns" => "DNS loss: new name servers, its records gone, the delegation to redo",
        "secret" => "secret loss: its value is gone",
        "identity" => "identity loss: every user and password in it is gone",
        "certificate" => "certificate loss: HTTPS waits until a new one validates",
        "network" => "network loss: everything in it is rebuilt, an outage",
        "logs" => "log loss: its log events are deleted",
        _ => "data loss: what it stores is deleted",
    }
}

/// The risks of one changed resource.
fn risks_of(env: &str, stack: &str, resource: &ResourceDiff, regenerated: bool) -> Vec<Risk> {
    let risk = |risk: &str, message: String| Risk {
        env: env.to_string(),
        stack: stack.to_string(),
        logical_id: resource.logical_id.clone(),
        kind: resource.kind.clone(),
        impact: resource.impact,
        risk: risk.to_string(),
        kept_by: resource.kept_by.clone(),
        message,
    };
    let name = format!("{} ({})", resource.logical_id, resource.kind);
    let mut out = Vec::new();
    let info = table::lookup(&resource.kind);
    let drastic = matches!(
        resource.impact,
        Impact::Replace | Impact::MayReplace | Impact::Remove
    );
    if drastic && info.is_some_and(|i| i.stateful) {
        let loss = info
            .and_then(|i| i.loss.clone())
            .unwrap_or_else(|| "data".to_string());
        let what = match resource.impact {
            Impact::Remove => "is removed",
            Impact::MayReplace => "may be replaced",
            _ => "is replaced",
        };
        let kept = resource
            .kept_by
            .as_deref()
            .is_some_and(|policy| !policy.ends_with("Snapshot"));
        let message = if kept || resource.deletion_protected {
            format!("{name} {what}: {}", fate(resource))
        } else if resource.kept_by.is_some() {
            format!("{name} {what}: {}; {}", loss_text(&loss), fate(resource))
        } else {
            format!("{name} {what}: {}", loss_text(&loss))
        };
        out.push(risk(&loss, message));
    }
    if info.is_none() {
        out.push(risk(
            "unknown",
            format!("{name}: the type is not in hubctl's schema table, so what CloudFormation does to it is unknown (regenerate the table: tests/tools/resource_table.py)"),
        ));
    }
    if regenerated {
        out.push(risk(
            "regenerated",
            format!("{name}: its value is replaced (generated anew, or a new SecretString); whatever holds the old value (a database's master password, signed cookies, encrypted state) no longer matches, and CloudFormation does not update what resolves it"),
        ));
    }
    for reason in &resource.fails {
        out.push(risk(
            "fails",
            format!("{name}: the update fails on AWS: {reason}"),
        ));
    }
    out
}

/// A tag that changes, and on how many resources and stacks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TagChange {
    /// The tag's key.
    pub key: String,
    /// Its value before (`None`: absent).
    pub before: Option<String>,
    /// Its value after (`None`: removed).
    pub after: Option<String>,
    /// Resources whose tag changes.
    pub resources: usize,
    /// Stacks whose stack tag changes.
    pub stacks: usize,
}

/// A change found in a stack of an environment: an IAM statement, a security-group rule,
/// an exposure. Its JSON is the change's fields with `env` and `stack` beside them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Located<T> {
    /// Environment.
    pub env: String,
    /// Stack name.
    pub stack: String,
    /// The change.
    #[serde(flatten)]
    pub item: T,
}

/// Each of `items`, found in `stack` of `env`.
fn located<T>(env: &str, stack: &str, items: Vec<T>) -> impl Iterator<Item = Located<T>> {
    let (env, stack) = (env.to_string(), stack.to_string());
    items.into_iter().map(move |item| Located {
        env: env.clone(),
        stack: stack.clone(),
        item,
    })
}

/// An IAM statement added or removed, where.
pub type IamChange = Located<StatementChange>;

/// A security-group rule added or removed, where.
pub type SgChange = Located<RuleChange>;

/// An exposure loosened, where.
pub type ExposureChange = Located<Finding>;

/// Counts, as terraform's plan line has them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Resources created.
    pub add: usize,
    /// Resources updated in place (tag-only ones excluded).
    pub change: usize,
    /// Resources replaced.
    pub replace: usize,
    /// Resources that may be replaced.
    pub may_replace: usize,
    /// Resources deleted.
    pub remove: usize,
    /// Resources whose only change is their tags.
    pub tag_only: usize,
    /// Resources whose update fails on AWS.
    pub fail: usize,
    /// Resources of stacks no longer in the config, which deploy leaves as they are.
    pub orphaned: usize,
    /// Stacks with any change.
    pub stacks: usize,
}

impl Summary {
    /// Counts `resource`.
    pub fn count(&mut self, resource: &ResourceDiff) {
        match resource.impact {
            Impact::Add => self.add += 1,
            Impact::Update => self.change += 1,
            Impact::Replace => self.replace += 1,
            Impact::MayReplace => self.may_replace += 1,
            Impact::Remove => self.remove += 1,
            Impact::Orphaned => self.orphaned += 1,
            Impact::None => {}
        }
        if !resource.fails.is_empty() {
            self.fail += 1;
        }
    }

    /// `2 to add, 1 to change, 1 to replace, 0 to remove`, with the rest when non-zero.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} to add, {} to change, {} to replace, {} to remove",
            self.add, self.change, self.replace, self.remove
        );
        if self.may_replace > 0 {
            line.push_str(&format!(", {} may be replaced", self.may_replace));
        }
        if self.tag_only > 0 {
            line.push_str(&format!(", {} tag-only", self.tag_only));
        }
        if self.orphaned > 0 {
            line.push_str(&format!(
                ", {} left in stacks no longer in the config",
                self.orphaned
            ));
        }
        if self.fail > 0 {
            line.push_str(&format!("; {} would fail on AWS", self.fail));
        }
        line
    }
}

/// Everything `hubctl diff` found. Its JSON form is `--output json` (documented in the
/// README); `format` changes only when a field changes meaning or goes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Version of this shape.
    pub format: u32,
    /// What the config was compared with: a directory, or `deployed`.
    pub against: String,
    /// Anything differs.
    pub differs: bool,
    /// Access widens (an IAM grant or a security-group rule).
    pub broadened: bool,
    /// A stateful resource is replaced or removed.
    pub risky: bool,
    /// Counts.
    pub summary: Summary,
    /// Stateful replacements and removals.
    pub risks: Vec<Risk>,
    /// IAM statement changes.
    pub iam: Vec<IamChange>,
    /// Security-group rule changes.
    pub security_groups: Vec<SgChange>,
    /// Other loosened exposure (sign-up, public addresses, attached groups).
    pub exposure: Vec<ExposureChange>,
    /// Tag changes, summarized.
    pub tags: Vec<TagChange>,
    /// Per environment.
    pub environments: Vec<EnvDiff>,
    /// What a reader should know about the comparison itself.
    pub notes: Vec<String>,
}

impl Report {
    /// The exit code: 0 without `--fail`; with it, 1 when anything differs and 3 when what
    /// differs broadens access or risks data.
    pub fn exit_code(&self, fail: bool) -> u8 {
        match (fail, self.differs, self.broadened || self.risky) {
            (false, _, _) | (true, false, _) => 0,
            (true, true, false) => 1,
            (true, true, true) => 3,
        }
    }
}

/// Compares `before` with `after`.
pub fn compare(before: &Snapshot, after: &Snapshot, against: &str) -> Report {
    let mut comparison = Comparison::new(against);
    comparison.add(before, after);
    comparison.finish()
}

/// A comparison made a part at a time (one environment's snapshots after another), so only
/// one environment's templates are held at once.
pub struct Comparison {
    report: Report,
    tags: TagTally,
}

impl Comparison {
    /// An empty comparison with `against`.
    pub fn new(against: &str) -> Comparison {
        Comparison {
            report: empty_report(against),
            tags: TagTally::default(),
        }
    }

    /// Compares every environment of `before` and `after` (environments in sorted order
    /// across calls make the report's order).
    pub fn add(&mut self, before: &Snapshot, after: &Snapshot) {
        let names: BTreeSet<&String> = before.envs.keys().chain(after.envs.keys()).collect();
        let empty = EnvSide::default();
        for env in names {
            let old = before.envs.get(env).unwrap_or(&empty);
            let new = after.envs.get(env).unwrap_or(&empty);
            let diff = compare_env(env, old, new, &mut self.report, &mut self.tags);
            if !diff.manifest.is_empty() || !diff.kubernetes.is_empty() || !diff.stacks.is_empty() {
                self.report.environments.push(diff);
            }
        }
    }

    /// The report.
    pub fn finish(self) -> Report {
        let mut report = self.report;
        report.tags = self.tags.into_changes();
        report.differs = !report.environments.is_empty() || !report.tags.is_empty();
        report.broadened = report.iam.iter().any(|c| c.item.broadens)
            || report.security_groups.iter().any(|c| c.item.broadens)
            || !report.exposure.is_empty();
        report.risky = !report.risks.is_empty();
        report
    }
}

fn empty_report(against: &str) -> Report {
    Report {
        format: 1,
        against: against.to_string(),
        differs: false,
        broadened: false,
        risky: false,
        summary: Summary::default(),
        risks: Vec::new(),
        iam: Vec::new(),
        security_groups: Vec::new(),
        exposure: Vec::new(),
        tags: Vec::new(),
        environments: Vec::new(),
        notes: Vec::new(),
    }
}

fn compare_env(
    env: &str,
    old: &EnvSide,
    new: &EnvSide,
    report: &mut Report,
    tags: &mut TagTally,
) -> EnvDiff {
    let mut diff = EnvDiff {
        env: env.to_string(),
        manifest: manifest_changes(old.manifest.as_ref(), new.manifest.as_ref()),
        kubernetes: kubernetes::changes(&old.kubernetes, &new.kubernetes),
        stacks: Vec::new(),
    };
    report
        .risks
        .extend(kubernetes::risks(env, &diff.kubernetes));
    // Outputs whose value changes at deploy time, by (stack id, output): what downstream
    // parameters wired to them receive.
    let mut changing_outputs: BTreeMap<(String, String), Changing> = BTreeMap::new();
    let mut order: Vec<(Option<&StackSide>, Option<&StackSide>)> = new
        .stacks
        .iter()
        .map(|n| (old.stacks.iter().find(|o| o.name == n.name), Some(n)))
        .collect();
    order.extend(
        old.stacks
            .iter()
            .filter(|o| !new.stacks.iter().any(|n| n.name == o.name))
            .map(|o| (Some(o), None)),
    );
    for (was, now) in order {
        let changing_params: BTreeMap<String, Changing> = now
            .map(|n| {
                n.wiring
                    .iter()
                    .filter_map(|(param, (stack, output))| {
                        changing_outputs
                            .get(&(stack.clone(), output.clone()))
                            .map(|changing| (param.clone(), *changing))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let side = was
            .or(now)
            .map(|s| (s.id.clone(), s.name.clone()))
            .unwrap_or_default();
        let result = compare_stack(was, now, &changing_params);
        for (output, changing) in result.changing_outputs {
            changing_outputs.insert((side.0.clone(), output), changing);
        }
        tags.add_resources(&result.tag_deltas);
        if let (Some(o), Some(n)) = (was, now) {
            tags.add_stack(&o.tags, &n.tags);
        }
        for resource in &result.diff.resources {
            report.summary.count(resource);
            let regenerated = result.regenerated.contains(&resource.logical_id);
            report
                .risks
                .extend(risks_of(env, &side.1, resource, regenerated));
        }
        report.risks.extend(
            result
                .protections
                .into_iter()
                .map(|(finding, impact)| Risk {
                    env: env.to_string(),
                    stack: side.1.clone(),
                    logical_id: finding.logical_id.clone(),
                    kind: finding.kind.clone(),
                    impact,
                    risk: "protection".to_string(),
                    kept_by: None,
                    message: format!(
                        "{} ({}): {} ({} {} → {})",
                        finding.logical_id,
                        finding.kind,
                        finding.what,
                        finding.path,
                        finding.before,
                        finding.after
                    ),
                }),
        );
        report.summary.tag_only += result.diff.tag_only.len();
        report
            .exposure
            .extend(located(env, &side.1, result.exposure));
        report.iam.extend(located(env, &side.1, result.iam));
        report
            .security_groups
            .extend(located(env, &side.1, result.rules));
        let d = &result.diff;
        if !(d.resources.is_empty()
            && d.tag_only.is_empty()
            && d.parameters.is_empty()
            && d.parameter_values.is_empty()
            && d.outputs.is_empty()
            && d.conditions.is_empty()
            && d.template.is_empty())
        {
            report.summary.stacks += 1;
            diff.stacks.push(result.diff);
        }
    }
    diff
}

/// The manifest compared with its stacks keyed by id (so adding one does not shift the
/// rest) and without its tags (summarized with the resources' tags).
fn manifest_changes(old: Option<&Value>, new: Option<&Value>) -> Vec<Change> {
    fn keyed(manifest: Option<&Value>) -> Option<Value> {
        let mut manifest = manifest?.clone();
        let map = manifest.as_object_mut()?;
        map.remove("tags");
        if let Some(Value::Array(stacks)) = map.remove("stacks") {
            let by_id: Map<String, Value> = stacks
                .into_iter()
                .map(|s| {
                    let id = s
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_string();
                    (id, s)
                })
                .collect();
            map.insert("stacks".to_string(), Value::Object(by_id));
        }
        Some(manifest)
    }
    let (old, new) = (keyed(old), keyed(new));
    if old.is_none() || new.is_none() {
        // A whole environment added or removed reads from its stacks.
        return Vec::new();
    }
    tree::changes(&[], old.as_ref(), new.as_ref())
}

struct StackResult {
    diff: StackDiff,
    changing_outputs: BTreeMap<String, Changing>,
    regenerated: Vec<String>,
    exposure: Vec<Finding>,
    protections: Vec<(Finding, Impact)>,
    tag_deltas: Vec<Vec<TagDelta>>,
    iam: Vec<StatementChange>,
    rules: Vec<RuleChange>,
}

impl StackResult {
    fn unchanged(side: &StackSide) -> StackResult {
        StackResult {
            diff: StackDiff {
                name: side.name.clone(),
                id: side.id.clone(),
                action: "modify",
                resources: Vec::new(),
                tag_only: Vec::new(),
                parameters: Vec::new(),
                parameter_values: Vec::new(),
                outputs: Vec::new(),
                conditions: Vec::new(),
                template: Vec::new(),
            },
            changing_outputs: BTreeMap::new(),
            regenerated: Vec::new(),
            exposure: Vec::new(),
            protections: Vec::new(),
            tag_deltas: Vec::new(),
            iam: Vec::new(),
            rules: Vec::new(),
        }
    }
}

fn section<'v>(side: Option<&'v StackSide>, key: &str) -> Option<&'v Map<String, Value>> {
    side.and_then(|s| s.template.get(key))
        .and_then(Value::as_object)
}

fn compare_stack(
    old: Option<&StackSide>,
    new: Option<&StackSide>,
    changing_params: &BTreeMap<String, Changing>,
) -> StackResult {
    if let (Some(o), Some(n)) = (old, new) {
        // Nothing flows in and nothing differs: most stacks of most changes.
        if changing_params.is_empty()
            && o.parameters == n.parameters
            && o.tags == n.tags
            && (Arc::ptr_eq(&o.template, &n.template) || o.template == n.template)
        {
            return StackResult::unchanged(n);
        }
    }
    let empty = Map::new();
    let old_resources = section(old, "Resources").unwrap_or(&empty);
    let new_resources = section(new, "Resources").unwrap_or(&empty);
    let side = new.or(old);
    let mut diff = StackDiff {
        name: side.map(|s| s.name.clone()).unwrap_or_default(),
        id: side.map(|s| s.id.clone()).unwrap_or_default(),
        action: match (old, new) {
            (None, _) => "add",
            (_, None) => "remove",
            _ => "modify",
        },
        resources: Vec::new(),
        tag_only: Vec::new(),
        parameters: keyed_changes(
            "Parameters",
            section(old, "Parameters"),
            section(new, "Parameters"),
        ),
        parameter_values: Vec::new(),
        outputs: keyed_changes("Outputs", section(old, "Outputs"), section(new, "Outputs")),
        conditions: keyed_changes(
            "Conditions",
            section(old, "Conditions"),
            section(new, "Conditions"),
        ),
        template: other_sections(old, new),
    };

    // What changes value at deploy time, by name: parameters wired to changing outputs or
    // given another value, and (below) resources that are replaced.
    let mut changing: BTreeMap<String, Changing> = changing_params.clone();
    if let (Some(o), Some(n)) = (old, new) {
        let names: BTreeSet<&String> = o.parameters.keys().chain(n.parameters.keys()).collect();
        for name in names {
            let (a, b) = (o.parameters.get(name), n.parameters.get(name));
            if a != b {
                diff.parameter_values.push(Change {
                    path: name.clone(),
                    before: a.map(|v| Value::String(v.clone())),
                    after: b.map(|v| Value::String(v.clone())),
                    create_only: false,
                    may_replace: false,
                });
                let entry = changing.entry(name.clone()).or_default();
                entry.certain = true;
            }
        }
    }

    let mut states = impact::resources(old_resources, new_resources, &mut changing);
    if new.is_none() {
        for state in states.values_mut() {
            state.impact = Impact::Orphaned;
        }
    }

    let mut exposure = Vec::new();
    let mut protections = Vec::new();
    let mut regenerated = Vec::new();
    let mut tag_deltas = Vec::new();
    for (id, state) in states {
        let ResourceState {
            impact,
            because,
            changes,
            tags,
            kind,
            kept_by,
            fails,
            regenerated: new_value,
        } = state;
        if impact == Impact::None {
            continue;
        }
        let (was, now) = (old_resources.get(&id), new_resources.get(&id));
        exposure.extend(exposure::exposures(&id, was, now));
        if let (Some(was), Some(now)) = (was, now) {
            protections.extend(
                exposure::protections(&id, was, now)
                    .into_iter()
                    .map(|finding| (finding, impact)),
            );
        }
        if new_value {
            regenerated.push(id.clone());
        }
        let deletion_protected =
            matches!(
                impact,
                Impact::Replace | Impact::MayReplace | Impact::Remove
            ) && exposure::deletion_protected(was.and_then(|r| r.get("Properties")));
        if !tags.is_empty() {
            tag_deltas.push(tags);
        }
        if impact == Impact::Update && changes.is_empty() && because.is_empty() && fails.is_empty()
        {
            diff.tag_only.push(id.clone());
            continue;
        }
        let stateful = table::lookup(&kind).is_some_and(|info| info.stateful);
        diff.resources.push(ResourceDiff {
            logical_id: id.clone(),
            kind,
            impact,
            because,
            stateful,
            kept_by,
            fails,
            deletion_protected,
            changes,
        });
    }

    // Outputs whose value changes: another expression, or one that uses something changing.
    let mut changing_outputs = BTreeMap::new();
    if let Some(outputs) = section(new, "Outputs") {
        for (name, output) in outputs {
            let value = output.get("Value");
            let before = section(old, "Outputs")
                .and_then(|o| o.get(name))
                .and_then(|o| o.get("Value"));
            if before != value {
                changing_outputs.insert(
                    name.clone(),
                    Changing {
                        certain: true,
                        new_vpc: false,
                    },
                );
                continue;
            }
            let uses = value.map(tree::references).unwrap_or_default();
            let used: Vec<Changing> = uses
                .iter()
                .filter_map(|u| changing.get(u))
                .copied()
                .collect();
            if !used.is_empty() {
                let merged = used.into_iter().fold(Changing::default(), Changing::merge);
                changing_outputs.insert(name.clone(), merged);
            }
        }
    }

    let old_values = old.map(|s| s.template.get("Resources"));
    let new_values = new.map(|s| s.template.get("Resources"));
    let iam = security::statement_changes(
        &security::policies(old_values.flatten()),
        &security::policies(new_values.flatten()),
    );
    let rules = security::rule_changes(
        &security::rules(old_values.flatten()),
        &security::rules(new_values.flatten()),
    );
    StackResult {
        diff,
        changing_outputs,
        regenerated,
        exposure,
        protections,
        tag_deltas,
        iam,
        rules,
    }
}

fn keyed_changes(
    section: &str,
    old: Option<&Map<String, Value>>,
    new: Option<&Map<String, Value>>,
) -> Vec<Change> {
    let old = old.map(|m| Value::Object(m.clone()));
    let new = new.map(|m| Value::Object(m.clone()));
    let empty = Value::Object(Map::new());
    tree::changes(
        &[section.to_string()],
        Some(old.as_ref().unwrap_or(&empty)),
        Some(new.as_ref().unwrap_or(&empty)),
    )
}

fn other_sections(old: Option<&StackSide>, new: Option<&StackSide>) -> Vec<Change> {
    let (Some(old), Some(new)) = (old, new) else {
        return Vec::new();
    };
    // The small sections only (Description, Metadata, ...): the big ones are compared apart.
    let rest = |side: &StackSide| {
        let map: Map<String, Value> = side
            .template
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(key, _)| {
                !matches!(
                    key.as_str(),
                    "Resources" | "Parameters" | "Outputs" | "Conditions"
                )
            })
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        Value::Object(map)
    };
    tree::changes(&[], Some(&rest(old)), Some(&rest(new)))
}

#[cfg(test)]
mod tests;
