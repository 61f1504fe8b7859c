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

/// One release, its values filled.
#[derive(Clone, Debug, PartialEq)]
pub struct FilledRelease {
    /// The release.
    pub release: Release,
    /// Its values, every placeholder filled: what `helm get values` is compared with.
    pub values: Value,
}

/// The plan's cluster files, every placeholder filled: (path relative to the environment's
/// directory, text).
#[derive(Clone, Debug, PartialEq)]
pub struct Filled {
    /// The manifests, in apply order.
    pub manifests: Vec<(String, String)>,
    /// The releases, in install order, with their values files.
    pub releases: Vec<(FilledRelease, String, String)>,
}

/// A value with every placeholder in its strings filled by `value`; `strict` makes a
/// placeholder without a value an error (its name), otherwise it stays as written.
fn fill_value<'a>(
    value: &Value,
    placeholders: &'a BTreeMap<String, OutputRef>,
    lookup: &impl Fn(&OutputRef) -> Option<String>,
    strict: bool,
) -> Result<Value, &'a str> {
    let text = |text: &str| match k8s::fill(text, placeholders, lookup) {
        Ok(filled) => Ok(filled),
        Err(name) if strict => Err(name),
        // Fill what can be, leave the rest.
        Err(_) => {
            let mut filled = text.to_string();
            for (name, output) in placeholders {
                if let Some(found) = lookup(output) {
                    filled = filled.replace(name.as_str(), &found);
                }
            }
            Ok(filled)
        }
    };
    Ok(match value {
        Value::String(s) => Value::String(text(s)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| fill_value(item, placeholders, lookup, strict))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut filled = serde_json::Map::new();
            for (key, item) in map {
                filled.insert(text(key)?, fill_value(item, placeholders, lookup, strict)?);
            }
            Value::Object(filled)
        }
        other => other.clone(),
    })
}

/// The plan's files with their placeholders filled from `outputs`. Strict (deploy): a
/// placeholder whose output is missing is an error naming it and its stack; otherwise
/// (destroy, which only needs the objects' names) it stays as written.
pub fn fill(
    kubernetes: &Kubernetes,
    plan: &Plan<'_>,
    outputs: &Outputs,
    strict: bool,
) -> Result<Filled> {
    let lookup = |output: &OutputRef| outputs.get(*output).cloned();
    let missing = |file: &str, name: &str| {
        let output = kubernetes.placeholders[name];
        anyhow!(
            "{file}: placeholder {name} has no value: stack {} has no output {}",
            plan.stack_name(output.stack),
            output.output
        )
    };
    let mut manifests = Vec::new();
    for manifest in &kubernetes.manifests {
        let file = format!("k8s/{}", manifest.file);
        let objects = manifest
            .objects
            .iter()
            .map(|object| fill_value(object, &kubernetes.placeholders, &lookup, strict))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|name| missing(&file, name))?;
        manifests.push((file, k8s::to_yaml_stream(&objects)));
    }
    let mut releases = Vec::new();
    for release in &kubernetes.releases {
        let values = fill_value(&release.values, &kubernetes.placeholders, &lookup, strict)
            .map_err(|name| missing(&release.values_file, name))?;
        let text = k8s::to_yaml(&values);
        releases.push((
            FilledRelease {
                release: release.clone(),
                values,
            },
            release.values_file.clone(),
            text,
        ));
    }
    Ok(Filled {
        manifests,
        releases,
    })
}

/// How the kubeconfig's user proves who it is.
enum Credential<'a> {
    /// hubctl's token, read from this file (rewritten while commands run).
    TokenFile(&'a Path),
    /// `aws eks get-token`, for the commands a person runs later (a token expires in 15
    /// minutes).
    AwsCli,
}

/// A kubeconfig for `cluster` (JSON, which is YAML).
fn kubeconfig_yaml(cluster: &Cluster, credential: Credential<'_>) -> String {
    let user = match credential {
        Credential::TokenFile(path) => serde_json::json!({"tokenFile": path.display().to_string()}),
        Credential::AwsCli => serde_json::json!({"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster.name, "--region", cluster.region, "--output", "json"],
            "interactiveMode": "Never",
        }}),
    };
    let config = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster.name, "cluster": {
            "server": cluster.endpoint,
            "certificate-authority-data": cluster.certificate_authority,
        }}],
        "contexts": [{"name": cluster.name, "context": {"cluster": cluster.name, "user": "hubctl"}}],
        "current-context": cluster.name,
        "users": [{"name": "hubctl", "user": user}],
    });
    k8s::to_yaml(&config)
}

/// A directory only the user can read (0700), under the OS temp dir.
fn private_dir(prefix: &str) -> Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .context("cannot make a temporary directory for the cluster's files")?;
    restrict(dir.path(), 0o700)?;
    Ok(dir)
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("{}: cannot set its permissions", path.display()))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

/// Writes `text` to `path`, readable by the user only (0600), replacing it atomically.
fn write_private(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("{}: cannot make the directory", parent.display()))?;
    }
    let staged = path.with_extension("hubctl-new");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        use std::io::Write;
        let mut file = options
            .open(&staged)
            .with_context(|| format!("{}: cannot write", staged.display()))?;
        file.write_all(text.as_bytes())
            .with_context(|| format!("{}: cannot write", staged.display()))?;
    }
    restrict(&staged, 0o600)?;
    std::fs::rename(&staged, path).with_context(|| format!("{}: cannot write", path.display()))
}

/// The filled files on disk: where each went.
struct Written {
    manifests: Vec<(String, PathBuf)>,
    values: Vec<PathBuf>,
}

fn write_files(dir: &Path, filled: &Filled) -> Result<Written> {
    let mut manifests = Vec::new();
    for (file, text) in &filled.manifests {
        let path = dir.join(file);
        write_private(&path, text)?;
        manifests.push((file.clone(), path));
    }
    let mut values = Vec::new();
    for (_, file, text) in &filled.releases {
        let path = dir.join(file);
        write_private(&path, text)?;
        values.push(path);
    }
    Ok(Written { manifests, values })
}

/// A shell word for `text`: as it is when it is safe, single-quoted otherwise.
fn shell_word(text: &str) -> String {
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=,@%+".contains(&b))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

fn command_line(program: &str, args: &[String]) -> String {
    std::iter::once(program.to_string())
        .chain(args.iter().map(|arg| shell_word(arg)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn path_arg(path: &Path) -> String {
    path.display().to_string()
}

fn apply_args(kubeconfig: &Path, file: &Path) -> Vec<String> {
    [
        "--kubeconfig",
        &path_arg(kubeconfig),
        "apply",
        "--server-side",
        "--field-manager",
        FIELD_MANAGER,
        "-f",
        &path_arg(file),
    ]
    .map(String::from)
    .to_vec()
}

fn diff_args(kubeconfig: &Path, file: &Path) -> Vec<String> {
    [
        "--kubeconfig",
        &path_arg(kubeconfig),
        "diff",
        "--server-side",
        "--field-manager",
        FIELD_MANAGER,
        "-f",
        &path_arg(file),
    ]
    .map(String::from)
    .to_vec()
}

fn upgrade_args(release: &Release, values: &Path, kubeconfig: &Path) -> Vec<String> {
    [
        "upgrade",
        "--install",
        &release.name,
        release.chart.name,
        "--repo",
        release.chart.repository,
        "--version",
        release.chart.version,
        "--namespace",
        &release.namespace,
        "--values",
        &path_arg(values),
        "--kubeconfig",
        &path_arg(kubeconfig),
        "--wait",
        "--timeout",
        HELM_TIMEOUT,
    ]
    .map(String::from)
    .to_vec()
}

fn uninstall_args(release: &Release, kubeconfig: &Path) -> Vec<String> {
    [
        "uninstall",
        &release.name,
        "--namespace",
        &release.namespace,
        "--wait",
        "--timeout",
        HELM_TIMEOUT,
        "--kubeconfig",
        &path_arg(kubeconfig),
    ]
    .map(String::from)
    .to_vec()
}

fn delete_args(kubeconfig: &Path, file: &Path) -> Vec<String> {
    [
        "--kubeconfig",
        &path_arg(kubeconfig),
        "delete",
        "--ignore-not-found",
        "--wait",
        "--timeout",
        HELM_TIMEOUT,
        "-f",
        &path_arg(file),
    ]
    .map(String::from)
    .to_vec()
}

/// The last characters of `text`, trimmed, on one line per line it had.
fn tail(text: &str) -> String {
    let text = text.trim();
    let start = text
        .char_indices()
        .rev()
        .nth(STDERR_TAIL)
        .map_or(0, |(at, _)| at);
    let cut = &text[start..];
    if start > 0 {
        format!("...{cut}")
    } else {
        cut.to_string()
    }
}

fn exit(ran: &Ran) -> String {
    ran.code.map_or("ended by a signal".to_string(), |code| {
        format!("exit {code}")
    })
}

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
    let kubeconfig = path_arg(&session.kubeconfig);
    let listed = session
        .run(
            HELM,
            &[
                "list",
                "--namespace",
                &release.namespace,
                "--filter",
                &format!("^{}$", release.name),
                "--output",
                "json",
                "--kubeconfig",
                &kubeconfig,
            ]
            .map(String::from),
        )
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
        .run(
            HELM,
            &[
                "get",
                "values",
                &release.name,
                "--namespace",
                &release.namespace,
                "--output",
                "json",
                "--kubeconfig",
                &kubeconfig,
            ]
            .map(String::from),
        )
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
            "the hub is not installed yet: {reason}. The filled files and a kubeconfig (it runs `aws eks get-token`) are in {} (a private directory under the OS temp dir, not the synth output); to install, run:\n  {}",
            dir.display(),
            commands.join("\n  ")
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

/// Destroy's step before the eks-addons stack goes: the releases uninstalled (the hub's
/// first), until the hub's namespace holds no Ingress (the load balancer controller removes
/// its finalizer once the load balancer, its target groups and security groups are deleted)
/// and the subzone no record external-dns wrote; then the manifests' objects deleted in
/// reverse and the volumes of their storage classes gone. `cluster_output` is the hub
/// stack's output with the cluster's name. A cluster or release that is gone already is not
/// an error. With a private endpoint, or without kubectl or helm, it stops (nothing deleted
/// yet) and says what to run; `--skip-helm` skips it with a warning.
pub async fn uninstall(
    cloud: &impl Cloud,
    progress: &impl Progress,
    timing: Timing,
    plan: &Plan<'_>,
    cluster_output: &'static str,
    skip_helm: bool,
) -> Result<()> {
    let Some(kubernetes) = &plan.kubernetes else {
        return Ok(());
    };
    let outputs = live_outputs(cloud.cfn(), plan).await?;
    let name = kubernetes.cluster.clone();
    let Some(cluster) = Cluster::of(
        |output| hub_output(&outputs, output),
        cluster_output,
        &plan.deployment.region,
    ) else {
        report(
            progress,
            &name,
            format!(
                "stack {} holds no cluster (gone, or never made): nothing to uninstall",
                plan.stack_name(StackId::Hub)
            ),
        );
        return Ok(());
    };
    let name = cluster.name.clone();
    if skip_helm {
        report(
            progress,
            &name,
            "WARNING: --skip-helm: the releases are not uninstalled, so the load balancer, target groups and security groups their controllers made may be left behind (and keep the VPC and the subzone from being deleted); destroy reports what is still tagged with the cluster's name at the end".to_string(),
        );
        return Ok(());
    }
    let filled = fill(kubernetes, plan, &outputs, false)?;
    let prefix = format!("hubctl-{}-", plan.deployment.stack_name("cluster"));
    if let Some(reason) = blocked(cloud.kube(), plan, false) {
        // What to run instead, with the files filled from the live stacks.
        let dir = private_dir(&prefix)?.keep();
        let kubeconfig = dir.join("kubeconfig");
        write_private(&kubeconfig, &kubeconfig_yaml(&cluster, Credential::AwsCli))?;
        let written = write_files(&dir, &filled)?;
        let mut commands: Vec<String> = kubernetes
            .releases
            .iter()
            .rev()
            .map(|release| command_line(HELM, &uninstall_args(release, &kubeconfig)))
            .collect();
        commands.push(format!(
            "{} (until it lists none)",
            command_line(
                KUBECTL,
                &[
                    "--kubeconfig",
                    &path_arg(&kubeconfig),
                    "get",
                    "ingress",
                    "--namespace",
                    &kubernetes.namespace,
                ]
                .map(String::from)
            )
        ));
        commands.extend(
            written
                .manifests
                .iter()
                .rev()
                .map(|(_, path)| command_line(KUBECTL, &delete_args(&kubeconfig, path))),
        );
        bail!(
            "cannot uninstall the releases of cluster {name} from here: {reason}. Deleting the stacks first would leave the load balancer, target groups and security groups its controllers made behind, so no stack was deleted. With the files in {} (a kubeconfig that runs `aws eks get-token`), run:\n  {}\nthen destroy again with --skip-helm",
            dir.display(),
            commands.join("\n  ")
        );
    }
    empty_cluster(cloud, progress, timing, plan, kubernetes, cluster, &filled, &outputs)
        .await
        .with_context(|| {
            format!("cannot empty cluster {name} before its stacks go (no stack was deleted; fix the cause and destroy again, or destroy with --skip-helm to leave what its controllers made)")
        })
}

/// Destroy's work in a reachable cluster (see [`uninstall`]).
#[allow(clippy::too_many_arguments)]
async fn empty_cluster(
    cloud: &impl Cloud,
    progress: &impl Progress,
    timing: Timing,
    plan: &Plan<'_>,
    kubernetes: &Kubernetes,
    cluster: Cluster,
    filled: &Filled,
    outputs: &Outputs,
) -> Result<()> {
    let name = cluster.name.clone();
    let prefix = format!("hubctl-{}-", plan.deployment.stack_name("cluster"));
    let session = Session::open(cloud, cluster, &prefix, filled, timing).await?;
    let patience = timing.timeout.min(CONTROLLER_PATIENCE);
    for release in kubernetes.releases.iter().rev() {
        let status = session
            .run(
                HELM,
                &[
                    "status",
                    &release.name,
                    "--namespace",
                    &release.namespace,
                    "--kubeconfig",
                    &path_arg(&session.kubeconfig),
                ]
                .map(String::from),
            )
            .await?;
        if !status.ok() {
            if !release_missing(&status) {
                bail!(
                    "helm status {} --namespace {} failed ({}): {}",
                    release.name,
                    release.namespace,
                    exit(&status),
                    tail(&status.stderr)
                );
            }
            report(
                progress,
                &name,
                format!("release {}: not installed", release.name),
            );
        } else {
            report(
                progress,
                &name,
                format!(
                    "release {}: helm uninstall (waits up to {HELM_TIMEOUT})",
                    release.name
                ),
            );
            let ran = session
                .run(HELM, &uninstall_args(release, &session.kubeconfig))
                .await?;
            if !ran.ok() && !release_missing(&ran) {
                bail!(
                    "helm uninstall of release {} failed ({}): {}",
                    release.name,
                    exit(&ran),
                    tail(&ran.stderr)
                );
            }
            report(
                progress,
                &name,
                format!("release {}: uninstalled", release.name),
            );
        }
        // Before the next release (the load balancer controller) goes: it holds the
        // ingress's finalizer until its load balancer is deleted.
        wait_for_no_ingress(
            &session,
            progress,
            timing.poll,
            patience,
            &kubernetes.namespace,
        )
        .await?;
    }
    // The chart leaves the users' servers running (the hub does not stop them when it goes:
    // `cleanup_servers` is off), and they hold the homes' claim: stop them first.
    let ran = session
        .run(
            KUBECTL,
            &[
                "--kubeconfig",
                &path_arg(&session.kubeconfig),
                "delete",
                "pods",
                "--namespace",
                &kubernetes.namespace,
                "--selector",
                "component=singleuser-server",
                "--ignore-not-found",
                "--wait=true",
                "--timeout=10m",
            ]
            .map(String::from),
        )
        .await?;
    if !ran.ok() && !kind_unknown(&ran) {
        bail!(
            "stopping the users' servers (kubectl delete pods -l component=singleuser-server -n {}) failed ({}): {}",
            kubernetes.namespace,
            exit(&ran),
            tail(&ran.stderr)
        );
    }
    let stopped = ran
        .stdout
        .lines()
        .filter(|line| line.contains("deleted"))
        .count();
    report(
        progress,
        &name,
        format!("users' servers stopped: {stopped}"),
    );
    wait_for_no_dns_records(
        cloud.dns(),
        progress,
        timing,
        patience,
        plan,
        outputs,
        &name,
    )
    .await?;
    for (file, path) in session.written.manifests.iter().rev() {
        let ran = session
            .run(KUBECTL, &delete_args(&session.kubeconfig, path))
            .await?;
        if !ran.ok() {
            if kind_unknown(&ran) {
                report(
                    progress,
                    &name,
                    format!("{file}: the cluster does not know its kinds; nothing to delete"),
                );
                continue;
            }
            bail!(
                "kubectl delete -f {file} failed ({}): {}",
                exit(&ran),
                tail(&ran.stderr)
            );
        }
        let said: Vec<&str> = ran.stdout.lines().map(str::trim).collect();
        report(
            progress,
            &name,
            if said.is_empty() {
                format!("{file}: nothing left to delete")
            } else {
                format!("{file}: {}", said.join(", "))
            },
        );
    }
    let classes: BTreeSet<String> = kubernetes
        .manifests
        .iter()
        .flat_map(|manifest| &manifest.objects)
        .filter(|object| object["kind"] == "StorageClass")
        .filter_map(|object| object["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    wait_for_no_volumes(&session, progress, timing.poll, patience, &classes).await
}

/// kubectl's and helm's answer for a token the cluster does not take.
fn refused(ran: &Ran) -> bool {
    ["Unauthorized", "provide credentials"]
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

async fn wait_for_no_ingress<C: Cloud>(
    session: &Session<'_, C>,
    progress: &impl Progress,
    poll: Duration,
    patience: Duration,
    namespace: &str,
) -> Result<()> {
    let started = Instant::now();
    let mut waited = false;
    loop {
        let ran = session
            .run(
                KUBECTL,
                &[
                    "--kubeconfig",
                    &path_arg(&session.kubeconfig),
                    "get",
                    "ingress",
                    "--namespace",
                    namespace,
                    "--output",
                    "json",
                ]
                .map(String::from),
            )
            .await?;
        let left = items(&ran, &format!("ingress --namespace {namespace}"))?;
        if left.is_empty() {
            if waited {
                report(
                    progress,
                    &session.cluster.name,
                    format!(
                        "no ingress left in namespace {namespace}: the controller deleted its load balancer, target groups and security groups ({}s)",
                        started.elapsed().as_secs()
                    ),
                );
            }
            return Ok(());
        }
        let names: Vec<String> = left.iter().map(object_name).collect();
        if started.elapsed() >= patience {
            bail!(
                "ingress {} in namespace {namespace} still there after {}s: its controller has not deleted its load balancer (the finalizer stays until it has); see `kubectl describe ingress --namespace {namespace}` and the controller's log, then re-run destroy",
                names.join(", "),
                patience.as_secs()
            );
        }
        if !waited {
            report(
                progress,
                &session.cluster.name,
                format!(
                    "waiting for ingress {} in namespace {namespace} to go (its controller deletes the load balancer, target groups and security groups first)",
                    names.join(", ")
                ),
            );
            waited = true;
        }
        tokio::time::sleep(poll).await;
    }
}

async fn wait_for_no_volumes<C: Cloud>(
    session: &Session<'_, C>,
    progress: &impl Progress,
    poll: Duration,
    patience: Duration,
    classes: &BTreeSet<String>,
) -> Result<()> {
    if classes.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let mut first = true;
    loop {
        let ran = session
            .run(
                KUBECTL,
                &[
                    "--kubeconfig",
                    &path_arg(&session.kubeconfig),
                    "get",
                    "persistentvolumes",
                    "--output",
                    "json",
                ]
                .map(String::from),
            )
            .await?;
        let volumes = items(&ran, "persistentvolumes")?;
        if first {
            first = false;
            for kept in volumes.iter().filter(|volume| {
                volume["spec"]["storageClassName"]
                    .as_str()
                    .is_some_and(|class| classes.contains(class))
                    && volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
            }) {
                report(
                    progress,
                    &session.cluster.name,
                    format!(
                        "kept by its storage class (storage.retain): volume {} (EBS {})",
                        object_name(kept),
                        kept["spec"]["csi"]["volumeHandle"].as_str().unwrap_or("?")
                    ),
                );
            }
        }
        let left: Vec<String> = volumes
            .iter()
            .filter(|volume| {
                volume["spec"]["storageClassName"]
                    .as_str()
                    .is_some_and(|class| classes.contains(class))
                    // A volume its class retains (`storage.retain`) stays by design: it is
                    // reported as kept, not waited for.
                    && volume["spec"]["persistentVolumeReclaimPolicy"] != "Retain"
            })
            .map(object_name)
            .collect();
        if left.is_empty() {
            return Ok(());
        }
        if started.elapsed() >= patience {
            bail!(
                "volume(s) {} of storage class(es) {} still there after {}s: their EBS volumes may not be deleted; see `kubectl describe pv`, then re-run destroy",
                left.join(", "),
                classes.iter().cloned().collect::<Vec<_>>().join(", "),
                patience.as_secs()
            );
        }
        report(
            progress,
            &session.cluster.name,
            format!("waiting for volume(s) {} to be deleted", left.join(", ")),
        );
        tokio::time::sleep(poll).await;
    }
}

/// A record external-dns wrote in the subzone: the hub's name, or its ownership TXT.
fn written_by_external_dns(record: &super::api::Record, host: &str) -> bool {
    let name = super::delegation::normalize(std::slice::from_ref(&record.name));
    match record.kind.as_str() {
        "A" | "AAAA" | "CNAME" => name.first().is_some_and(|name| name == host),
        "TXT" => record
            .values
            .iter()
            .any(|value| value.contains("heritage=external-dns")),
        _ => false,
    }
}

/// Waits until the subzone holds none of the hub's records external-dns wrote (it removes
/// them once the ingress is gone; left, they keep the zone from being deleted).
async fn wait_for_no_dns_records(
    dns: &impl Dns,
    progress: &impl Progress,
    timing: Timing,
    patience: Duration,
    plan: &Plan<'_>,
    outputs: &Outputs,
    cluster: &str,
) -> Result<()> {
    let Some(zone) = outputs.get(plan.delegation.zone_id) else {
        return Ok(());
    };
    let host = plan.deployment.dns.hub_host.to_string();
    let started = Instant::now();
    let mut waited = false;
    loop {
        let left: Vec<String> = dns
            .records(zone)
            .await?
            .iter()
            .filter(|record| written_by_external_dns(record, &host))
            .map(|record| format!("{} {}", record.name, record.kind))
            .collect();
        if left.is_empty() {
            if waited {
                report(
                    progress,
                    cluster,
                    format!(
                        "external-dns removed the hub's records from the subzone ({}s)",
                        started.elapsed().as_secs()
                    ),
                );
            }
            return Ok(());
        }
        if started.elapsed() >= patience {
            bail!(
                "record(s) {} are still in the subzone {}s after the ingress went: external-dns has not removed them (see its log: `kubectl logs --namespace external-dns deployment/external-dns`); delete them, then re-run destroy",
                left.join(", "),
                patience.as_secs()
            );
        }
        if !waited {
            report(
                progress,
                cluster,
                format!(
                    "waiting for external-dns to remove {} from the subzone",
                    left.join(", ")
                ),
            );
            waited = true;
        }
        tokio::time::sleep(timing.poll).await;
    }
}

/// The tags the cluster's controllers put on what they make, each a (key, value) filter of
/// the Resource Groups Tagging API (a key alone matches any value).
pub fn cluster_tags(cluster: &str) -> Vec<(String, Option<String>)> {
    vec![
        (
            "elbv2.k8s.aws/cluster".to_string(),
            Some(cluster.to_string()),
        ),
        (
            "eks:eks-cluster-name".to_string(),
            Some(cluster.to_string()),
        ),
        (format!("kubernetes.io/cluster/{cluster}"), None),
    ]
}

/// Where `program` is on PATH (the first executable file of that name).
pub fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| executable(candidate))
}

#[cfg(unix)]
fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(path: &Path) -> bool {
    path.is_file()
}

/// The real kubectl and helm: the programs on PATH, each run to its end with no input.
#[derive(Clone, Copy, Debug, Default)]
pub struct Programs;

impl Kube for Programs {
    fn find(&self, program: &str) -> Option<PathBuf> {
        on_path(program)
    }

    async fn run(&self, program: &str, args: &[String]) -> Result<Ran> {
        let path = self
            .find(program)
            .ok_or_else(|| anyhow!("{program} is not on PATH"))?;
        let args = args.to_vec();
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(&path)
                .args(&args)
                .stdin(std::process::Stdio::null())
                .output()
                .with_context(|| format!("cannot start {}", path.display()))
        })
        .await
        .context("the process runner stopped")??;
        Ok(Ran {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
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
