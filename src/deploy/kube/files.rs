//! The cluster's files: the plan's filled from the outputs, written 0600 into a private
//! 0700 directory with a kubeconfig, and the command lines that take them.

use super::*;

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
pub(super) fn fill_value<'a>(
    value: &Value,
    placeholders: &'a BTreeMap<String, OutputRef>,
    lookup: &impl Fn(&OutputRef) -> Option<String>,
    strict: bool,
) -> Result<Value, &'a str> {
    let text = |text: &str| {
        if strict {
            k8s::fill(text, placeholders, lookup)
        } else {
            // Fill what can be; a placeholder without a value stands for itself.
            let or_itself = |output: &OutputRef| {
                Some(lookup(output).unwrap_or_else(|| k8s::placeholder(*output)))
            };
            Ok(k8s::fill(text, placeholders, or_itself).unwrap_or_else(|_| text.to_string()))
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
pub(super) enum Credential<'a> {
    /// hubctl's token, read from this file (rewritten while commands run).
    TokenFile(&'a Path),
    /// `aws eks get-token`, for the commands a person runs later (a token expires in 15
    /// minutes).
    AwsCli,
}

/// A kubeconfig for `cluster` (JSON, which is YAML).
pub(super) fn kubeconfig_yaml(cluster: &Cluster, credential: Credential<'_>) -> String {
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
pub(super) fn private_dir(prefix: &str) -> Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .context("cannot make a temporary directory for the cluster's files")?;
    restrict(dir.path(), 0o700)?;
    Ok(dir)
}

#[cfg(unix)]
pub(super) fn restrict(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("{}: cannot set its permissions", path.display()))
}

#[cfg(not(unix))]
pub(super) fn restrict(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}

/// Writes `text` to `path`, readable by the user only (0600), replacing it atomically.
pub(super) fn write_private(path: &Path, text: &str) -> Result<()> {
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
pub(super) struct Written {
    pub(super) manifests: Vec<(String, PathBuf)>,
    pub(super) values: Vec<PathBuf>,
}

pub(super) fn write_files(dir: &Path, filled: &Filled) -> Result<Written> {
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
pub(super) fn shell_word(text: &str) -> String {
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

pub(super) fn command_line(program: &str, args: &[String]) -> String {
    std::iter::once(program.to_string())
        .chain(args.iter().map(|arg| shell_word(arg)))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn path_arg(path: &Path) -> String {
    path.display().to_string()
}

/// `--kubeconfig <kubeconfig> <args>`: every kubectl command hubctl runs or prints.
pub(super) fn kubectl_args(kubeconfig: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--kubeconfig".to_string(), path_arg(kubeconfig)];
    all.extend(args.iter().map(|arg| arg.to_string()));
    all
}

pub(super) fn apply_args(kubeconfig: &Path, file: &Path) -> Vec<String> {
    kubectl_args(
        kubeconfig,
        &[
            "apply",
            "--server-side",
            "--field-manager",
            FIELD_MANAGER,
            "-f",
            &path_arg(file),
        ],
    )
}

pub(super) fn diff_args(kubeconfig: &Path, file: &Path) -> Vec<String> {
    kubectl_args(
        kubeconfig,
        &[
            "diff",
            "--server-side",
            "--field-manager",
            FIELD_MANAGER,
            "-f",
            &path_arg(file),
        ],
    )
}

pub(super) fn upgrade_args(release: &Release, values: &Path, kubeconfig: &Path) -> Vec<String> {
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

pub(super) fn uninstall_args(release: &Release, kubeconfig: &Path) -> Vec<String> {
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

pub(super) fn delete_args(kubeconfig: &Path, file: &Path) -> Vec<String> {
    kubectl_args(
        kubeconfig,
        &[
            "delete",
            "--ignore-not-found",
            "--wait",
            "--timeout",
            HELM_TIMEOUT,
            "-f",
            &path_arg(file),
        ],
    )
}

/// The last characters of a program's error output (trimmed, at most [`STDERR_TAIL`]),
/// with what to do when it is one of the usual failures.
pub(super) fn tail(text: &str) -> String {
    let text = text.trim();
    let start = text
        .char_indices()
        .rev()
        .nth(STDERR_TAIL)
        .map_or(0, |(at, _)| at);
    let cut = &text[start..];
    let mut said = if start > 0 {
        format!("...{cut}")
    } else {
        cut.to_string()
    };
    if let Some(hint) = hint(text) {
        said.push_str(&format!(" ({hint})"));
    }
    said
}

/// What to do about the usual failures of kubectl and helm.
fn hint(stderr: &str) -> Option<&'static str> {
    const HINTS: &[(&[&str], &str)] = &[
        (
            &["i/o timeout", "Unable to connect to the server", "connection refused"],
            "the cluster's API endpoint does not answer from here: is this machine's public address in hub.eks.endpoint_cidrs, or, with a private endpoint, is it inside the VPC and allowed by the cluster security group?",
        ),
        (
            &["another operation (install/upgrade/rollback) is in progress"],
            "an earlier helm run was interrupted: see `helm history <release> -n <namespace>`, roll back to the last deployed revision with `helm rollback`, then re-run",
        ),
        (
            &["Unauthorized", "is forbidden"],
            "the cluster does not take this identity: the hub stack's access entries name eks.admin_roles and DeployerPrincipalArn (whoever deployed last); a role with an IAM path must be listed in hub.eks.admin_roles with it",
        ),
    ];
    HINTS
        .iter()
        .find(|(needles, _)| needles.iter().any(|needle| stderr.contains(needle)))
        .map(|(_, hint)| *hint)
}

pub(super) fn exit(ran: &Ran) -> String {
    ran.code.map_or("ended by a signal".to_string(), |code| {
        format!("exit {code}")
    })
}
