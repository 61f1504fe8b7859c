//! What goes inside an EKS cluster: after deploy's stacks, the plan's manifests applied and
//! its Helm releases installed with `kubectl` and `helm`; before destroy deletes the
//! eks-addons stack, the releases uninstalled (so the controllers delete the load balancer,
//! target groups and security groups they made) and the manifests' objects deleted.
//!
//! The files are the plan's ([`Kubernetes::files`]) with every `${stack.Output}`
//! placeholder filled from the stacks' outputs, written into a private temporary directory
//! (0700; files 0600) with a kubeconfig whose user reads a bearer token from a file beside
//! it (`tokenFile`): hubctl mints the token itself (a presigned STS GetCallerIdentity, as
//! `aws eks get-token` does) and rewrites the file while a long command runs, so neither the
//! AWS CLI nor an `exec` plugin is needed, and nothing secret goes into the synth output.
//!
//! A re-run changes nothing: a manifest `kubectl diff --server-side` finds equal is not
//! applied, and a release whose deployed chart version and values (as JSON, after filling)
//! equal the plan's is not upgraded. Without kubectl or helm on PATH, with `--skip-helm`, or
//! with a private API endpoint that kubectl outside the VPC cannot reach, deploy does not
//! fail: it writes the filled files into a directory under the OS temp dir and reports the
//! exact commands to run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;

use super::api::{Cfn, Cloud, Dns, Identity, Kube, Ran};
use super::changeset::Timing;
use super::progress::{Progress, ProgressEvent};
use crate::k8s::{self, Kubernetes, Release};
use crate::plan::{Outputs, Plan};
use crate::stacks::hub::eks::hub_outputs;
use crate::stacks::{OutputRef, StackId};

/// The Kubernetes command-line client.
pub const KUBECTL: &str = "kubectl";
/// The Helm client.
pub const HELM: &str = "helm";
/// The field manager of hubctl's server-side applies.
const FIELD_MANAGER: &str = "hubctl";
/// How long helm waits for a release to be ready, or gone.
const HELM_TIMEOUT: &str = "15m";
/// EKS accepts a token for 15 minutes: a fresh one is written this often.
const TOKEN_REFRESH: Duration = Duration::from_secs(5 * 60);
/// At most this long for the controllers to delete what they made (a load balancer takes a
/// few minutes), however long `Timing::timeout` allows a stack.
const CONTROLLER_PATIENCE: Duration = Duration::from_secs(20 * 60);
/// How long the first command may be refused while EKS takes in the deployer's new access
/// entry.
const ACCESS_ENTRY_PATIENCE: Duration = Duration::from_secs(120);
/// The last characters of a failed command's stderr that an error quotes.
const STDERR_TAIL: usize = 1500;

/// How to reach an EKS cluster, from the hub stack's outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    /// The cluster's name.
    pub name: String,
    /// Its API endpoint (https URL).
    pub endpoint: String,
    /// Its certificate authority, base64 PEM.
    pub certificate_authority: String,
    /// Its region.
    pub region: String,
}

impl Cluster {
    /// The cluster `output` names: `None` when an output is missing (a hub stack that never
    /// made its cluster).
    fn of(
        output: impl Fn(&'static str) -> Option<String>,
        name_output: &'static str,
        region: &str,
    ) -> Option<Cluster> {
        Some(Cluster {
            name: output(name_output)?,
            endpoint: output(hub_outputs::CLUSTER_ENDPOINT)?,
            certificate_authority: output(hub_outputs::CLUSTER_CERTIFICATE_AUTHORITY)?,
            region: region.to_string(),
        })
    }
}

mod files;
mod programs;
mod uninstall;

use files::*;
pub use programs::{on_path, Programs};
pub use uninstall::{cluster_tags, uninstall};

/// What deploy did inside the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterOutcome {
    /// kubectl and helm ran.
    Installed {
        /// Manifests applied (relative paths).
        applied: Vec<String>,
        /// Manifests the cluster already held as they are.
        unchanged_manifests: Vec<String>,
        /// Releases installed or upgraded.
        upgraded: Vec<String>,
        /// Releases already deployed with the same chart version and values.
        unchanged_releases: Vec<String>,
    },
    /// Nothing was run in the cluster: the hub is not installed yet.
    Pending {
        /// Why.
        reason: String,
        /// Where the filled files and a kubeconfig are.
        dir: PathBuf,
        /// What to run, in order.
        commands: Vec<String>,
    },
    /// The stacks are deployed, the cluster step failed: why.
    Failed {
        /// The error, with its causes.
        error: String,
    },
}

/// Why kubectl and helm cannot run from here, if they cannot: `--skip-helm`, a private API
/// endpoint, a missing program.
fn blocked(kube: &impl Kube, plan: &Plan<'_>, skip_helm: bool) -> Option<String> {
    if skip_helm {
        return Some("--skip-helm was given".to_string());
    }
    if private_endpoint(plan) {
        return Some("the cluster's API endpoint is private (hub.eks.endpoint_cidrs: []), so kubectl and helm outside the VPC cannot reach it; run the commands from a machine inside the VPC (or connected to it)".to_string());
    }
    let missing: Vec<&str> = [KUBECTL, HELM]
        .into_iter()
        .filter(|program| kube.find(program).is_none())
        .collect();
    (!missing.is_empty()).then(|| format!("{} not found on PATH", missing.join(" and ")))
}

/// True when the cluster has no public API endpoint.
fn private_endpoint(plan: &Plan<'_>) -> bool {
    plan.deployment
        .hub
        .eks
        .as_ref()
        .is_some_and(|eks| eks.endpoint_cidrs.is_empty())
}

fn report(progress: &impl Progress, cluster: &str, message: String) {
    progress.report(ProgressEvent::Cluster {
        cluster: cluster.to_string(),
        message,
    });
}

/// The hub stack's output `name`, from `outputs`.
fn hub_output(outputs: &Outputs, name: &'static str) -> Option<String> {
    outputs.get(OutputRef::new(StackId::Hub, name)).cloned()
}

/// A kubeconfig and its token in a private directory, with the filled files.
struct Session<'c, C: Cloud> {
    cloud: &'c C,
    cluster: Cluster,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    token: PathBuf,
    minted: std::sync::Mutex<Option<Instant>>,
    /// Polling, and how long a new access entry may take to be honoured.
    timing: Timing,
    /// True once the cluster took the token (a later refusal is not propagation).
    authorized: std::sync::atomic::AtomicBool,
    written: Written,
}

impl<'c, C: Cloud> Session<'c, C> {
    async fn open(
        cloud: &'c C,
        cluster: Cluster,
        prefix: &str,
        filled: &Filled,
        timing: Timing,
    ) -> Result<Self> {
        let dir = private_dir(prefix)?;
        let token = dir.path().join("token");
        let kubeconfig = dir.path().join("kubeconfig");
        write_private(
            &kubeconfig,
            &kubeconfig_yaml(&cluster, Credential::TokenFile(&token)),
        )?;
        let written = write_files(dir.path(), filled)?;
        let session = Session {
            cloud,
            cluster,
            dir,
            kubeconfig,
            token,
            minted: std::sync::Mutex::new(None),
            timing,
            authorized: std::sync::atomic::AtomicBool::new(false),
            written,
        };
        session.mint().await?;
        Ok(session)
    }

    async fn mint(&self) -> Result<()> {
        let token = self
            .cloud
            .identity()
            .eks_token(&self.cluster.name)
            .await
            .with_context(|| format!("cannot make a token for cluster {}", self.cluster.name))?;
        write_private(&self.token, &token)?;
        *self
            .minted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Instant::now());
        Ok(())
    }

    fn stale(&self) -> bool {
        self.minted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .is_none_or(|at| at.elapsed() >= TOKEN_REFRESH)
    }

    /// `kubectl --kubeconfig <ours> <args>`.
    async fn kubectl(&self, args: &[&str]) -> Result<Ran> {
        self.run(KUBECTL, &kubectl_args(&self.kubeconfig, args))
            .await
    }

    /// `helm <args> --kubeconfig <ours>`.
    async fn helm(&self, args: &[&str]) -> Result<Ran> {
        let mut all: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        all.extend(["--kubeconfig".to_string(), path_arg(&self.kubeconfig)]);
        self.run(HELM, &all).await
    }

    /// Runs `program`; the token file is rewritten before it goes stale, also while the
    /// program runs (client-go re-reads a `tokenFile`).
    async fn run(&self, program: &str, args: &[String]) -> Result<Ran> {
        use std::sync::atomic::Ordering;
        let started = Instant::now();
        let patience = self.timing.timeout.min(ACCESS_ENTRY_PATIENCE);
        loop {
            let ran = self.run_once(program, args).await?;
            // EKS may refuse a new access entry's principal for a little while.
            if !ran.ok()
                && refused(&ran)
                && !self.authorized.load(Ordering::Relaxed)
                && started.elapsed() < patience
            {
                tokio::time::sleep(self.timing.poll).await;
                self.mint().await?;
                continue;
            }
            if ran.ok() {
                self.authorized.store(true, Ordering::Relaxed);
            }
            return Ok(ran);
        }
    }

    async fn run_once(&self, program: &str, args: &[String]) -> Result<Ran> {
        if self.stale() {
            self.mint().await?;
        }
        let refresh = async {
            loop {
                tokio::time::sleep(TOKEN_REFRESH).await;
                // A failed refresh shows as the program's own authentication error.
                let _ = self.mint().await;
            }
        };
        tokio::select! {
            ran = self.cloud.kube().run(program, args) => ran.with_context(|| format!("cannot run {program}")),
            _ = refresh => unreachable!("the token refresh never ends"),
        }
    }

    /// `path` relative to the session's directory, for messages.
    fn relative<'p>(&self, path: &'p Path) -> std::borrow::Cow<'p, str> {
        path.strip_prefix(self.dir.path())
            .unwrap_or(path)
            .to_string_lossy()
    }
}

/// Installs the plan's manifests and releases in the cluster the hub stack made, once every
/// stack is deployed; `outputs` are the deploy's.
pub async fn install(
    cloud: &impl Cloud,
    progress: &impl Progress,
    plan: &Plan<'_>,
    outputs: &Outputs,
    (timing, skip_helm): (Timing, bool),
) -> Result<Option<ClusterOutcome>> {
    let Some(kubernetes) = &plan.kubernetes else {
        return Ok(None);
    };
    let filled = fill(kubernetes, plan, outputs, true)?;
    let cluster = Cluster::of(
        |name| hub_output(outputs, name),
        hub_outputs::CLUSTER_NAME,
        &plan.deployment.region,
    )
    .ok_or_else(|| {
        anyhow!(
            "stack {} has no outputs {}, {} and {}: cannot reach the cluster",
            plan.stack_name(StackId::Hub),
            hub_outputs::CLUSTER_NAME,
            hub_outputs::CLUSTER_ENDPOINT,
            hub_outputs::CLUSTER_CERTIFICATE_AUTHORITY
        )
    })?;
    let prefix = format!("hubctl-{}-", plan.deployment.stack_name("cluster"));
    if let Some(reason) = blocked(cloud.kube(), plan, skip_helm) {
        return pending(progress, &cluster, &prefix, &filled, reason).map(Some);
    }
    let session = Session::open(cloud, cluster, &prefix, &filled, timing).await?;
    let name = session.cluster.name.clone();
    let mut applied = Vec::new();
    let mut unchanged_manifests = Vec::new();
    for (file, path) in &session.written.manifests {
        let diff = session
            .run(KUBECTL, &diff_args(&session.kubeconfig, path))
            .await?;
        match diff.code {
            Some(0) => {
                report(
                    progress,
                    &name,
                    format!("{file}: the cluster holds it as it is; not applied"),
                );
                unchanged_manifests.push(file.clone());
                continue;
            }
            Some(1) => {}
            // A kind the cluster does not know yet, a namespace an earlier manifest makes:
            // apply says what is really wrong, if anything is.
            _ => report(
                progress,
                &name,
                format!(
                    "{file}: kubectl diff could not compare ({}: {}); applying it",
                    exit(&diff),
                    tail(&diff.stderr)
                ),
            ),
        }
        let ran = session
            .run(KUBECTL, &apply_args(&session.kubeconfig, path))
            .await?;
        if !ran.ok() {
            bail!(
                "kubectl apply --server-side -f {file} failed ({}): {}",
                exit(&ran),
                tail(&ran.stderr)
            );
        }
        let said: Vec<&str> = ran.stdout.lines().map(str::trim).collect();
        report(
            progress,
            &name,
            format!("{file}: applied ({})", said.join(", ")),
        );
        applied.push(file.clone());
    }
    let mut upgraded = Vec::new();
    let mut unchanged_releases = Vec::new();
    for ((filled, _, _), values) in filled.releases.iter().zip(&session.written.values) {
        let release = &filled.release;
        if deployed_as_planned(&session, filled).await? {
            report(
                progress,
                &name,
                format!(
                    "release {}: chart {} {} with the same values is deployed; not upgraded",
                    release.name, release.chart.name, release.chart.version
                ),
            );
            unchanged_releases.push(release.name.clone());
            continue;
        }
        report(
            progress,
            &name,
            format!(
                "release {}: helm upgrade --install of chart {} {} in namespace {} (waits up to {HELM_TIMEOUT} for it to be ready)",
                release.name, release.chart.name, release.chart.version, release.namespace
            ),
        );
        let ran = session
            .run(HELM, &upgrade_args(release, values, &session.kubeconfig))
            .await?;
        if !ran.ok() {
            bail!(
                "helm upgrade --install of release {} (chart {} {}, values {}) failed ({}): {}",
                release.name,
                release.chart.name,
                release.chart.version,
                session.relative(values),
                exit(&ran),
                tail(&ran.stderr)
            );
        }
        report(
            progress,
            &name,
            format!(
                "release {}: chart {} {} deployed",
                release.name, release.chart.name, release.chart.version
            ),
        );
        upgraded.push(release.name.clone());
    }
    Ok(Some(ClusterOutcome::Installed {
        applied,
        unchanged_manifests,
        upgraded,
        unchanged_releases,
    }))
}

/// True when `helm` reports the release deployed with the plan's chart version and values.
async fn deployed_as_planned<C: Cloud>(
    session: &Session<'_, C>,
    filled: &FilledRelease,
) -> Result<bool> {
    let release = &filled.release;
    let listed = session
        .helm(&[
            "list",
            "--namespace",
            &release.namespace,
            "--filter",
            &format!("^{}$", release.name),
            "--output",
            "json",
        ])
        .await?;
    if !listed.ok() {
        bail!(
            "helm list --namespace {} failed ({}): {}",
            release.namespace,
            exit(&listed),
            tail(&listed.stderr)
        );
    }
    let chart = format!("{}-{}", release.chart.name, release.chart.version);
    let deployed = serde_json::from_str::<Value>(&listed.stdout)
        .ok()
        .and_then(|list| list.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .any(|entry| {
            entry["name"] == release.name.as_str()
                && entry["chart"] == chart.as_str()
                && entry["status"] == "deployed"
        });
    if !deployed {
        return Ok(false);
    }
    let values = session
        .helm(&[
            "get",
            "values",
            &release.name,
            "--namespace",
            &release.namespace,
            "--output",
            "json",
        ])
        .await?;
    if !values.ok() {
        return Ok(false);
    }
    Ok(serde_json::from_str::<Value>(&values.stdout)
        .is_ok_and(|live| same_values(&live, &filled.values)))
}

/// JSON equality as Helm means it: numbers by value (Helm prints `1` for the `1.0` a
/// values file says), a missing map and `null` alike.
pub fn same_values(live: &Value, wanted: &Value) -> bool {
    match (live, wanted) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_values(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| same_values(a, b)))
        }
        (Value::Null, Value::Object(map)) | (Value::Object(map), Value::Null) => map.is_empty(),
        (a, b) => a == b,
    }
}

/// Writes the filled files and a kubeconfig (for `aws eks get-token`) into a directory that
/// stays, and reports what to run with them.
fn pending(
    progress: &impl Progress,
    cluster: &Cluster,
    prefix: &str,
    filled: &Filled,
    reason: String,
) -> Result<ClusterOutcome> {
    let dir = private_dir(prefix)?.keep();
    let kubeconfig = dir.join("kubeconfig");
    write_private(&kubeconfig, &kubeconfig_yaml(cluster, Credential::AwsCli))?;
    let written = write_files(&dir, filled)?;
    let mut commands: Vec<String> = written
        .manifests
        .iter()
        .map(|(_, path)| command_line(KUBECTL, &apply_args(&kubeconfig, path)))
        .collect();
    for ((release, _, _), values) in filled.releases.iter().zip(&written.values) {
        commands.push(command_line(
            HELM,
            &upgrade_args(&release.release, values, &kubeconfig),
        ));
    }
    report(
        progress,
        &cluster.name,
        format!(
            "the hub is not installed yet: {reason}. The filled files and a kubeconfig (it runs `aws eks get-token`) are in {} (a private directory under the OS temp dir, not the synth output); the {} commands that install it are printed with the summary",
            dir.display(),
            commands.len()
        ),
    );
    Ok(ClusterOutcome::Pending {
        reason,
        dir,
        commands,
    })
}

/// The environment's EKS cluster name, as the plan names it.
pub fn cluster_name(plan: &Plan<'_>) -> Option<String> {
    plan.kubernetes
        .as_ref()
        .map(|kubernetes| kubernetes.cluster.clone())
}

/// What a stack's live outputs say, for each of the environment's stacks that exists.
async fn live_outputs(cfn: &impl Cfn, plan: &Plan<'_>) -> Result<Outputs> {
    let mut outputs = Outputs::default();
    for stack in &plan.stacks {
        if let Some(live) = cfn.describe_stack(&plan.stack_name(stack.id)).await? {
            outputs.insert(stack.id, live.outputs);
        }
    }
    Ok(outputs)
}

/// kubectl's and helm's answer for a token the cluster does not take, or not yet the
/// access policy of its entry (both settle within moments of the entry's creation).
fn refused(ran: &Ran) -> bool {
    ["Unauthorized", "provide credentials", "is forbidden"]
        .iter()
        .any(|said| ran.stderr.contains(said))
}

/// helm's answer for a release that is not there.
fn release_missing(ran: &Ran) -> bool {
    ran.stderr.contains("not found")
}

/// kubectl's answer for a kind whose definition is gone (a CRD deleted with its add-on).
fn kind_unknown(ran: &Ran) -> bool {
    [
        "no matches for kind",
        "resource mapping not found",
        "ensure CRDs are installed first",
    ]
    .iter()
    .any(|said| ran.stderr.contains(said))
}

/// The names of the items of a `kubectl get -o json` list.
fn items(ran: &Ran, what: &str) -> Result<Vec<Value>> {
    if !ran.ok() {
        bail!(
            "kubectl get {what} failed ({}): {}",
            exit(ran),
            tail(&ran.stderr)
        );
    }
    let list: Value = serde_json::from_str(&ran.stdout)
        .with_context(|| format!("kubectl get {what} answered no JSON"))?;
    Ok(list["items"].as_array().cloned().unwrap_or_default())
}

fn object_name(object: &Value) -> String {
    object["metadata"]["name"]
        .as_str()
        .unwrap_or("?")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_numbers_and_empty_maps_compare_by_value() {
        let wanted = serde_json::json!({"cpu": 1.0, "name": "a", "extra": {}, "list": [1, "b"]});
        let live = serde_json::json!({"cpu": 1, "name": "a", "extra": null, "list": [1.0, "b"]});
        assert!(same_values(&live, &wanted));
        let other = serde_json::json!({"cpu": 2, "name": "a", "extra": null, "list": [1, "b"]});
        assert!(!same_values(&other, &wanted));
        let fewer = serde_json::json!({"cpu": 1, "name": "a", "list": [1, "b"]});
        assert!(!same_values(&fewer, &wanted));
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(
            shell_word("/tmp/hubctl-x/k8s/00-namespace.yaml"),
            "/tmp/hubctl-x/k8s/00-namespace.yaml"
        );
        assert_eq!(shell_word("^jupyterhub$"), "'^jupyterhub$'");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }

    #[test]
    fn a_long_stderr_is_cut_to_its_end() {
        let long = format!("{}the cause", "x".repeat(5000));
        let cut = tail(&long);
        assert!(
            cut.starts_with("...") && cut.ends_with("the cause"),
            "{cut}"
        );
        assert!(cut.len() <= STDERR_TAIL + 4);
        assert_eq!(tail("  short\n"), "short");
    }
}
