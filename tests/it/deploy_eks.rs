//! The EKS environment of `config.example.yaml` (`eks-dev`: frame, dns, delegation, hub with
//! the cluster, eks-addons, then the k8s/ manifests and the JupyterHub chart) deployed,
//! re-deployed and destroyed by the real binary against the patched moto (its EKS
//! CloudFormation models), with stand-in `kubectl` and `helm` on PATH
//! (tests/deploy/stand_in/stand_in.py) that log every call, keep a copy of every file they
//! are given, check the kubeconfig and token as the API server would, and answer from the
//! cluster state they keep.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::deploy::Aws;
use crate::support::{local_aws_env, python_tool, root};

const CONFIG: &str = "config.example.yaml";
const ENV: &str = "eks-dev";
const ADDONS: &str = "jhub-eks-dev-eks-addons";

/// `kubectl` and `helm` wrappers running the stand-in, its state, a temp dir for hubctl,
/// and the deployer's credentials.
struct StandIns {
    dir: tempfile::TempDir,
    credentials: Vec<(String, String)>,
}

impl StandIns {
    fn new() -> StandIns {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        for sub in ["bin", "state", "tmp"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let python = python_tool("moto", "python");
        let script = root().join("tests/deploy/stand_in/stand_in.py");
        for program in ["kubectl", "helm"] {
            let path = dir.path().join("bin").join(program);
            std::fs::write(
                &path,
                format!(
                    "#!/bin/sh\nexec '{}' '{}' {program} \"$@\"\n",
                    python.display(),
                    script.display()
                ),
            )
            .unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        StandIns {
            dir,
            credentials: Vec::new(),
        }
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The OS temp dir hubctl sees: its private directories go there.
    fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// `hubctl --config config.example.yaml <args>` against `aws`, the stand-ins first on
    /// PATH.
    fn hubctl(&self, aws: &Aws, args: &[&str]) -> std::process::Output {
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        aws.hubctl_with(CONFIG, args)
            .envs(self.credentials.iter().cloned())
            .env("PATH", path)
            .env("TMPDIR", self.tmp())
            .env("STAND_IN_STATE", self.state())
            .env("STAND_IN_WATCH_STACK", ADDONS)
            .env("STAND_IN_REGION", "eu-west-1")
            .output()
            .unwrap()
    }

    /// Every call the stand-ins logged, in order.
    fn log(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.state().join("log.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect()
    }
}

/// `program verb [file or release]` of a logged call.
fn call(entry: &serde_json::Value) -> String {
    let argv: Vec<&str> = entry["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let mut words: Vec<&str> = Vec::new();
    let mut skip = false;
    for arg in &argv {
        if skip {
            skip = false;
            continue;
        }
        if *arg == "--kubeconfig" {
            skip = true;
            continue;
        }
        words.push(arg);
    }
    let verb = words.first().copied().unwrap_or_default();
    let what = match (entry["program"].as_str().unwrap(), verb) {
        ("kubectl", "diff" | "apply" | "delete") => entry["files"]
            .as_object()
            .and_then(|files| files.keys().next().cloned())
            .unwrap_or_default(),
        ("kubectl", "get") => words[1].to_string(),
        ("helm", "upgrade") => words[2].to_string(),
        ("helm", "get") => words[2].to_string(),
        ("helm", "list") => String::new(),
        (_, _) => words.get(1).copied().unwrap_or_default().to_string(),
    };
    format!("{} {verb} {what}", entry["program"].as_str().unwrap())
        .trim_end()
        .to_string()
}

/// Runs a Python snippet with boto3 straight against moto (not counted by the proxy).
fn boto3(aws: &Aws, code: &str, args: &[&str]) -> String {
    let output = Command::new(python_tool("moto", "python"))
        .arg("-c")
        .arg(code)
        .arg(aws.moto_endpoint())
        .args(args)
        .envs(
            local_aws_env(aws.moto_endpoint())
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v))),
        )
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{code}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The environment's live stacks and their statuses.
fn stacks(aws: &Aws) -> Vec<String> {
    let said = boto3(
        aws,
        "import boto3, sys\ncfn = boto3.client('cloudformation', endpoint_url=sys.argv[1], region_name='eu-west-1')\nfor s in cfn.describe_stacks()['Stacks']:\n    if s['StackStatus'] != 'DELETE_COMPLETE' and s['StackName'].startswith('jhub-eks-dev-'):\n        print(s['StackName'], s['StackStatus'])",
        &[],
    );
    let mut lines: Vec<String> = said.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// What synth writes for `eks-dev`: the manifests in apply order and the release names.
fn synthesized() -> (Vec<String>, Vec<String>) {
    let (_dir, out) = crate::support::synth(&root().join(CONFIG));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(ENV).join("manifest.json")).unwrap(),
    )
    .unwrap();
    let strings = |value: &serde_json::Value, key: Option<&str>| -> Vec<String> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| match key {
                Some(key) => v[key].as_str().unwrap().to_string(),
                None => v.as_str().unwrap().to_string(),
            })
            .collect()
    };
    (
        strings(&manifest["kubernetes"]["manifests"], None),
        strings(&manifest["kubernetes"]["releases"], Some("name")),
    )
}

fn copies(entries: &[serde_json::Value]) -> Vec<(String, String)> {
    entries
        .iter()
        .flat_map(|entry| {
            entry["files"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(name, file)| {
                    (
                        name.clone(),
                        std::fs::read_to_string(Path::new(file["copy"].as_str().unwrap())).unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn entries_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn eks_dev_deploys_installs_the_chart_reruns_as_a_no_op_and_destroy_uninstalls_it_first() {
    let aws = Aws::start(&[]);
    aws.parent(&["create", "example.com"]);
    aws.parent_roles(CONFIG);
    let mut stand_ins = StandIns::new();
    // Whoever deploys gets a cluster access entry: a session of role Deployer (moto's own
    // default caller, `arn:aws:sts::<account>:user/moto`, is nothing AWS answers).
    let session = boto3(
        &aws,
        "import boto3, json, sys\niam = boto3.client('iam', endpoint_url=sys.argv[1], region_name='eu-west-1')\niam.create_role(RoleName='Deployer', AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::123456789012:root'}, 'Action': 'sts:AssumeRole'}]}))\nsts = boto3.client('sts', endpoint_url=sys.argv[1], region_name='eu-west-1')\nc = sts.assume_role(RoleArn='arn:aws:iam::123456789012:role/Deployer', RoleSessionName='ci')['Credentials']\nprint(c['AccessKeyId'], c['SecretAccessKey'], c['SessionToken'])",
        &[],
    );
    let words: Vec<&str> = session.split_whitespace().collect();
    stand_ins.credentials = vec![
        ("AWS_ACCESS_KEY_ID".to_string(), words[0].to_string()),
        ("AWS_SECRET_ACCESS_KEY".to_string(), words[1].to_string()),
        ("AWS_SESSION_TOKEN".to_string(), words[2].to_string()),
    ];
    let (manifests, releases) = synthesized();
    assert_eq!(releases, ["jupyterhub"]);
    let outputs_file = stand_ins.dir.path().join("outputs.json");

    let first = stand_ins.hubctl(
        &aws,
        &[
            "deploy",
            "--env",
            ENV,
            "--outputs-file",
            outputs_file.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&first.stderr);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(first.status.success(), "first deploy: {stderr}\n{stdout}");
    assert_eq!(
        stacks(&aws),
        [
            "jhub-eks-dev-dns CREATE_COMPLETE",
            "jhub-eks-dev-eks-addons CREATE_COMPLETE",
            "jhub-eks-dev-frame CREATE_COMPLETE",
            "jhub-eks-dev-hub CREATE_COMPLETE",
        ],
        "{stderr}"
    );
    assert!(
        stdout.contains("hub: https://hub.eks-dev.example.com/"),
        "{stdout}"
    );
    let outputs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outputs_file).unwrap()).unwrap();
    let cluster = outputs["hub"]["ClusterName"].as_str().unwrap().to_string();
    let deployer = boto3(
        &aws,
        "import boto3, sys\ncfn = boto3.client('cloudformation', endpoint_url=sys.argv[1], region_name='eu-west-1')\nprint({p['ParameterKey']: p['ParameterValue'] for p in cfn.describe_stacks(StackName='jhub-eks-dev-hub')['Stacks'][0]['Parameters']}['DeployerPrincipalArn'])",
        &[],
    );
    assert_eq!(deployer, "arn:aws:iam::123456789012:role/Deployer");

    // The manifests applied in order, then the release installed; every call authorized.
    let log = stand_ins.log();
    assert!(
        log.iter().all(|entry| entry.get("refused").is_none()),
        "{log:#?}"
    );
    let changes: Vec<String> = log
        .iter()
        .map(call)
        .filter(|c| c.starts_with("kubectl apply") || c.starts_with("helm upgrade"))
        .collect();
    let mut expected: Vec<String> = manifests
        .iter()
        .map(|file| format!("kubectl apply {file}"))
        .collect();
    expected.push("helm upgrade jupyterhub".to_string());
    assert_eq!(changes, expected, "{stderr}");
    // Filled, and nothing secret: the OAuth client secret stays in Secrets Manager.
    let given = copies(&log);
    assert!(given
        .iter()
        .any(|(name, _)| name == "jupyterhub-values.yaml"));
    let secret = boto3(
        &aws,
        "import boto3, sys\nsm = boto3.client('secretsmanager', endpoint_url=sys.argv[1], region_name='eu-west-1')\nprint(sm.get_secret_value(SecretId=sys.argv[2])['SecretString'])",
        &[outputs["hub"]["OAuthClientSecretArn"].as_str().unwrap()],
    );
    assert!(secret.len() >= 8, "the client secret: {secret:?}");
    for (name, text) in &given {
        assert!(!text.contains("${"), "{name}: {text}");
        assert!(!text.contains(&secret), "{name} holds the client secret");
    }
    let values = &given
        .iter()
        .find(|(name, _)| name == "jupyterhub-values.yaml")
        .unwrap()
        .1;
    for output in ["OAuthClientSecretArn", "CertificateArn", "OAuthClientId"] {
        assert!(
            values.contains(outputs["hub"][output].as_str().unwrap()),
            "{output} in {values}"
        );
    }
    // The token and kubeconfig went with the private directory.
    assert!(
        entries_in(&stand_ins.tmp()).is_empty(),
        "{:?}",
        entries_in(&stand_ins.tmp())
    );

    // Same config again: no stack changes, nothing applied, no helm upgrade.
    let n_mutating = aws.mutating().len();
    let n_calls = log.len();
    let second = stand_ins.hubctl(&aws, &["deploy", "--env", ENV]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "second deploy: {stderr}");
    let again: Vec<String> = aws.mutating().into_iter().skip(n_mutating).collect();
    assert!(again.is_empty(), "a re-run made mutating calls: {again:?}");
    let calls: Vec<String> = stand_ins.log()[n_calls..].iter().map(call).collect();
    assert!(
        calls
            .iter()
            .all(|c| !c.starts_with("kubectl apply") && !c.starts_with("helm upgrade")),
        "{calls:#?}"
    );
    assert!(
        calls.contains(&"helm get jupyterhub".to_string()),
        "the deployed values were compared: {calls:#?}"
    );
    assert!(
        stderr.contains("with the same values is deployed; not upgraded"),
        "{stderr}"
    );

    // Something a controller tagged with the cluster's name and nobody deleted.
    let leftover = boto3(
        &aws,
        "import boto3, sys\nec2 = boto3.client('ec2', endpoint_url=sys.argv[1], region_name='eu-west-1')\nvpc = [v for v in ec2.describe_vpcs()['Vpcs'] if v.get('IsDefault')][0]['VpcId']\nsg = ec2.create_security_group(GroupName='k8s-leftover', Description='left by a controller', VpcId=vpc, TagSpecifications=[{'ResourceType': 'security-group', 'Tags': [{'Key': 'kubernetes.io/cluster/' + sys.argv[2], 'Value': 'owned'}]}])\nprint(sg['GroupId'])",
        &[&cluster],
    );

    let n_calls = stand_ins.log().len();
    let destroyed = stand_ins.hubctl(&aws, &["destroy", "--env", ENV, "--yes"]);
    let stderr = String::from_utf8_lossy(&destroyed.stderr);
    let stdout = String::from_utf8_lossy(&destroyed.stdout);
    assert!(destroyed.status.success(), "destroy: {stderr}\n{stdout}");
    let log = stand_ins.log();
    let uninstall = log[n_calls..]
        .iter()
        .find(|entry| call(entry) == "helm uninstall jupyterhub")
        .unwrap_or_else(|| panic!("no helm uninstall: {:#?}", &log[n_calls..]));
    assert_eq!(
        uninstall["watched_stack"], "CREATE_COMPLETE",
        "the eks-addons stack was still there when the chart was uninstalled"
    );
    let calls: Vec<String> = log[n_calls..].iter().map(call).collect();
    let at = |needle: &str| {
        calls
            .iter()
            .position(|c| c == needle)
            .unwrap_or_else(|| panic!("{needle} in {calls:#?}"))
    };
    assert!(at("helm uninstall jupyterhub") < at("kubectl get ingress"));
    let deletes: Vec<&String> = calls
        .iter()
        .filter(|c| c.starts_with("kubectl delete"))
        .collect();
    // The users' servers first (they hold the homes' claim), then the manifests in reverse.
    let reversed: Vec<String> = std::iter::once("kubectl delete".to_string())
        .chain(
            manifests
                .iter()
                .rev()
                .map(|file| format!("kubectl delete {file}")),
        )
        .collect();
    assert_eq!(deletes, reversed.iter().collect::<Vec<_>>());
    let lines: Vec<&str> = stderr.lines().collect();
    let line = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} in {stderr}"))
    };
    assert!(
        line("release jupyterhub: uninstalled") < line(&format!("{ADDONS}: started")),
        "{stderr}"
    );
    assert!(
        line("no ingress left in namespace jupyterhub") < line(&format!("{ADDONS}: started")),
        "{stderr}"
    );
    assert!(
        stacks(&aws).is_empty(),
        "every stack is gone: {:?}",
        stacks(&aws)
    );
    assert_eq!(
        aws.parent(&["ns", "example.com", "eks-dev.example.com"]),
        "null",
        "the NS record is gone"
    );
    assert!(
        stdout.contains(&format!(
            "still tagged with the cluster's name: arn:aws:ec2:eu-west-1:123456789012:security-group/{leftover} (tagged kubernetes.io/cluster/{cluster})"
        )),
        "{stdout}"
    );
    assert!(entries_in(&stand_ins.tmp()).is_empty());
}
