//! `hubctl deploy` and `destroy` end to end: the real binary, the real AWS SDK, and a real
//! HTTP endpoint — `moto_server` (pinned in tests/tools/moto.txt, started by
//! tests/deploy/moto_launcher.py on a free loopback port) behind a recording proxy
//! (tests/deploy/proxy.py) that counts the calls and can inject faults.
//!
//! The environment of tests/deploy/moto.yaml is frame, dns, the delegation, the hub (an EKS
//! cluster, Auto Mode) and eks-addons. Every deploy and destroy of it here passes
//! `--skip-helm`: kubectl and helm never run (what they do is tests/it/deploy_eks.rs's, with
//! stand-ins), and [`Aws::hubctl`] refuses a deploy or destroy without it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::support::{hubctl, local_aws_env, python_tool, root, start, Server};

/// moto, and the proxy in front of it, for one test.
pub(crate) struct Aws {
    _moto: Server,
    _proxy: Server,
    endpoint: String,
    moto_endpoint: String,
    log: PathBuf,
    /// The Deployer role's session (see [`Aws::deployer`]), made on first use.
    deployer: OnceLock<Vec<(String, String)>>,
    dir: tempfile::TempDir,
}

/// The engine tests' config.
const MOTO_CONFIG: &str = "tests/deploy/moto.yaml";

impl Aws {
    pub(crate) fn start(faults: &[&str]) -> Aws {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let (moto, moto_port) = start(
            "moto_launcher.py",
            &["--port".into(), "0".into(), "--quiet".into()],
        );
        let log = dir.path().join("requests.jsonl");
        let mut args: Vec<String> = vec![
            "--port".into(),
            "0".into(),
            "--target".into(),
            format!("http://127.0.0.1:{moto_port}"),
            "--log".into(),
            log.display().to_string(),
        ];
        args.extend(faults.iter().map(|s| s.to_string()));
        let (proxy, proxy_port) = start("proxy.py", &args);
        Aws {
            _moto: moto,
            _proxy: proxy,
            endpoint: format!("http://127.0.0.1:{proxy_port}"),
            moto_endpoint: format!("http://127.0.0.1:{moto_port}"),
            log,
            deployer: OnceLock::new(),
            dir,
        }
    }

    /// Credentials of a session of role `Deployer` in account 123456789012, made in moto
    /// (not through the proxy): the EKS hub stack gives whoever deploys a cluster access
    /// entry, and deploy refuses moto's default caller (`arn:aws:sts::<account>:user/moto`,
    /// which is neither an IAM user's ARN nor an assumed role's), as tests/it/deploy_eks.rs
    /// does.
    fn deployer(&self) -> &[(String, String)] {
        self.deployer.get_or_init(|| {
            const SESSION: &str = "import boto3, json, sys\niam = boto3.client('iam', endpoint_url=sys.argv[1], region_name='eu-west-1')\niam.create_role(RoleName='Deployer', AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::123456789012:root'}, 'Action': 'sts:AssumeRole'}]}))\nsts = boto3.client('sts', endpoint_url=sys.argv[1], region_name='eu-west-1')\nc = sts.assume_role(RoleArn='arn:aws:iam::123456789012:role/Deployer', RoleSessionName='ci')['Credentials']\nprint(c['AccessKeyId'], c['SecretAccessKey'], c['SessionToken'])";
            let output = Command::new(python_tool("moto", "python"))
                .arg("-c")
                .arg(SESSION)
                .arg(&self.moto_endpoint)
                .envs(
                    local_aws_env(&self.moto_endpoint)
                        .into_iter()
                        .filter_map(|(key, value)| value.map(|value| (key, value))),
                )
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "the Deployer session: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let said = String::from_utf8_lossy(&output.stdout);
            let words: Vec<&str> = said.split_whitespace().collect();
            assert_eq!(words.len(), 3, "key, secret and token: {said}");
            ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]
                .into_iter()
                .zip(words)
                .map(|(variable, value)| (variable.to_string(), value.to_string()))
                .collect()
        })
    }

    /// The OS temp dir hubctl sees: deploy keeps the filled files and a kubeconfig there
    /// when it does not run kubectl and helm itself (`--skip-helm`).
    fn tmp(&self) -> PathBuf {
        let tmp = self.dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        tmp
    }

    /// moto itself, not through the proxy (not counted).
    pub(crate) fn moto_endpoint(&self) -> &str {
        &self.moto_endpoint
    }

    /// The parent account's side, straight to moto (not counted).
    pub(crate) fn parent(&self, args: &[&str]) -> String {
        let output = Command::new(python_tool("moto", "python"))
            .arg(root().join("tests/deploy/parent_zone.py"))
            .arg(&self.moto_endpoint)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "parent_zone.py {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// The shared config and credentials files of profile `dns-admin`: the keys of an IAM
    /// user of the parent DNS account (111111111111), made on first use (tests/deploy/
    /// parent_zone.py). The environment hubctl runs with, for them.
    pub(crate) fn dns_admin_profile(&self) -> Vec<(&'static str, String)> {
        let config = self.dir.path().join("dns-admin.config");
        let credentials = self.dir.path().join("dns-admin.credentials");
        if !credentials.exists() {
            let keys = self.parent(&["admin-keys"]);
            let [id, secret] = keys.split_whitespace().collect::<Vec<_>>()[..] else {
                panic!("admin-keys said {keys:?}");
            };
            std::fs::write(&config, "[profile dns-admin]\nregion = us-east-1\n").unwrap();
            std::fs::write(
                &credentials,
                format!(
                    "[dns-admin]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
                ),
            )
            .unwrap();
        }
        vec![
            ("AWS_CONFIG_FILE", config.display().to_string()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                credentials.display().to_string(),
            ),
        ]
    }

    /// `hubctl --config <config> parent deploy --profile dns-admin --yes <args>` through the
    /// proxy (counted). AWS_ACCESS_KEY_ID stays the workload's: the profile must win over it.
    pub(crate) fn parent_deploy_with(&self, config: &str, args: &[&str]) -> assert_cmd::Command {
        let mut command = self.hubctl_with(
            config,
            &["parent", "deploy", "--profile", "dns-admin", "--yes"],
        );
        command.args(args).envs(self.dns_admin_profile());
        command
    }

    /// The parent DNS account's owners deploy its delegation roles for `config`, as the
    /// README's journey has it, straight to moto (not counted, not in the IAM replay's log).
    pub(crate) fn parent_roles(&self, config: &str) {
        let output = self
            .parent_deploy_with(config, &[])
            .env("AWS_ENDPOINT_URL", &self.moto_endpoint)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "parent deploy: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// `hubctl --config tests/deploy/moto.yaml <args>` as the Deployer. A deploy or destroy
    /// must pass `--skip-helm`: this machine may have a real kubectl on PATH.
    pub(crate) fn hubctl(&self, args: &[&str]) -> assert_cmd::Command {
        assert!(
            !args.iter().any(|a| *a == "deploy" || *a == "destroy")
                || args.contains(&"--skip-helm"),
            "a deploy or destroy of {MOTO_CONFIG} without --skip-helm: {args:?}"
        );
        let mut command = self.hubctl_with(MOTO_CONFIG, args);
        command
            .envs(self.deployer().iter().cloned())
            .env("TMPDIR", self.tmp());
        command
    }

    /// `hubctl --config <config> <args>` against this moto, from the repository's root.
    pub(crate) fn hubctl_with(&self, config: &str, args: &[&str]) -> assert_cmd::Command {
        let mut command = hubctl();
        for (variable, value) in local_aws_env(&self.endpoint) {
            match value {
                Some(value) => command.env(variable, value),
                None => command.env_remove(variable),
            };
        }
        command
            .current_dir(root())
            .env("HUBCTL_POLL_MS", "20")
            .env("HUBCTL_TIMEOUT_S", "60")
            .args(["--config", config])
            .args(args);
        command
    }

    /// Runs `hubctl <args>` under `script(1)`, so stdin and stderr are a terminal, typing
    /// `input`; returns the exit code and everything the terminal showed.
    pub(crate) fn on_a_terminal(&self, args: &str, input: &str) -> (Option<i32>, String) {
        assert!(args.contains("--skip-helm"), "{args}");
        self.on_a_terminal_with(args, input, &[])
    }

    /// [`Aws::on_a_terminal`] for any command, with `envs` set as well.
    pub(crate) fn on_a_terminal_with(
        &self,
        args: &str,
        input: &str,
        envs: &[(&str, String)],
    ) -> (Option<i32>, String) {
        use std::io::Write;
        let binary = assert_cmd::cargo::cargo_bin("hubctl");
        let command = format!("{} --config {MOTO_CONFIG} {args}", binary.display());
        let template = self.hubctl(&[]);
        let mut child = Command::new("script")
            .args(["--quiet", "--return", "--command", &command, "/dev/null"])
            .current_dir(root())
            .envs(
                template
                    .get_envs()
                    .filter_map(|(key, value)| value.map(|value| (key, value))),
            )
            .envs(envs.iter().map(|(key, value)| (*key, value)))
            .env("TERM", "xterm")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script(1) from util-linux");
        // Typed, then held open until hubctl is done: some script(1) versions end the
        // session when their input ends.
        let mut stdin = child.stdin.take().expect("piped stdin");
        stdin.write_all(input.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        drop(stdin);
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }

    /// The proxy's log lines as JSON (with the requests' bodies under `--log-bodies`).
    pub(crate) fn logged(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect()
    }

    /// The requests the proxy saw: (service, action, fault).
    pub(crate) fn requests(&self) -> Vec<(String, String, Option<String>)> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let entry: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
                (
                    entry["service"].as_str().unwrap_or_default().to_string(),
                    entry["action"].as_str().unwrap_or_default().to_string(),
                    entry["fault"].as_str().map(str::to_string),
                )
            })
            .collect()
    }

    pub(crate) fn mutating(&self) -> Vec<String> {
        const READS: &[&str] = &["Describe", "Get", "List"];
        self.requests()
            .into_iter()
            .filter(|(_, action, fault)| {
                fault.is_none()
                    && !READS
                        .iter()
                        .any(|read| action.starts_with(read) || action.starts_with("GET "))
            })
            .filter(|(_, action, _)| action != "AssumeRole")
            .map(|(service, action, _)| format!("{service} {action}"))
            .collect()
    }
}

fn outputs(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("the outputs file"))
        .expect("JSON outputs")
}

#[test]
fn deploy_delegates_reruns_as_a_no_op_and_destroy_cleans_up() {
    let aws = Aws::start(&["--log-bodies"]);
    let parent_zone_id = aws.parent(&["create", "example.com"]);
    aws.parent_roles(MOTO_CONFIG);
    let dir = tempfile::tempdir().unwrap();
    let outputs_file = dir.path().join("outputs.json");

    let first = aws
        .hubctl(&["deploy", "--env", "dev", "--skip-helm", "--outputs-file"])
        .arg(&outputs_file)
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "first deploy: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    // Four stacks: frame and dns, then (after the delegation) the hub with the cluster, then
    // eks-addons; and nothing run in the cluster.
    let said = String::from_utf8_lossy(&first.stdout);
    assert!(
        said.contains("deployed dev (4 changed, 0 unchanged)"),
        "{said}"
    );
    assert!(
        said.contains("the hub is NOT installed yet (--skip-helm was given)"),
        "{said}"
    );
    let written = outputs(&outputs_file);
    assert_eq!(written["hub"]["ClusterName"], "e2e-dev", "{written}");
    let zone_id = written["dns"]["HostedZoneId"]
        .as_str()
        .expect("the dns stack's zone id")
        .to_string();
    assert!(
        written["frame"]["VpcId"]
            .as_str()
            .is_some_and(|v| v.starts_with("vpc-")),
        "{written}"
    );
    assert!(
        written["frame"]["TemplateBucket"].is_string(),
        "the frame stack's template bucket: {written}"
    );
    let delegated = aws.parent(&["ns", "example.com", "dev.example.com"]);
    assert_ne!(delegated, "null", "the parent zone holds the NS record");
    let first_mutations = aws.mutating();
    assert!(
        first_mutations.iter().any(|m| m.contains("rrset")),
        "{first_mutations:?}"
    );
    let n_first = aws.requests().len();

    // Same config again: reads only.
    let second = aws
        .hubctl(&["deploy", "--env", "dev", "--skip-helm"])
        .output()
        .unwrap();
    assert!(
        second.status.success(),
        "second deploy: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    let again: Vec<String> = aws
        .mutating()
        .into_iter()
        .skip(first_mutations.len())
        .collect();
    assert!(again.is_empty(), "a re-run made mutating calls: {again:?}");
    assert!(aws.requests().len() > n_first, "the second run asked AWS");
    assert!(String::from_utf8_lossy(&second.stderr).contains("no changes"));
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("deployed dev (0 changed, 4 unchanged)"),
        "{}",
        String::from_utf8_lossy(&second.stdout)
    );
    assert_eq!(
        aws.parent(&["ns", "example.com", "dev.example.com"]),
        delegated
    );

    // What an interrupted deploy leaves in the template bucket; destroy empties it first.
    let bucket = written["frame"]["TemplateBucket"]
        .as_str()
        .expect("the template bucket")
        .to_string();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async {
            use hubctl::deploy::api::Artifacts;
            let config = sdk_config(&aws.moto_endpoint).await;
            hubctl::deploy::aws::S3::new(&config)
                .put(&bucket, "hubctl-e2e-dev-hub-1.template.json", "{}")
                .await
        })
        .expect("PutObject");
    let destroyed = aws
        .hubctl(&["destroy", "--env", "dev", "--yes", "--skip-helm"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&destroyed.stderr);
    assert_eq!(
        aws.parent(&["ns", "example.com", "dev.example.com"]),
        "null",
        "the NS record is gone"
    );
    assert!(
        stderr.contains("NS record of dev.example.com removed from example.com"),
        "{stderr}"
    );
    for stack in ["eks-addons", "hub", "dns"] {
        assert!(
            stderr.contains(&format!("e2e-dev-{stack}: DELETE_COMPLETE")),
            "{stderr}"
        );
    }
    // --skip-helm: the releases were not uninstalled, and destroy said so.
    assert!(
        stderr.contains("cluster e2e-dev: WARNING: --skip-helm: the releases are not uninstalled"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "deleted the staged template s3://{bucket}/hubctl-e2e-dev-hub-1.template.json"
        )),
        "{stderr}"
    );
    // The launcher deletes in reverse dependency order, as AWS does: everything goes.
    assert!(destroyed.status.success(), "destroy: {stderr}");
    assert!(
        stderr.contains("e2e-dev-frame: DELETE_COMPLETE"),
        "{stderr}"
    );
    let said = String::from_utf8_lossy(&destroyed.stdout);
    assert!(said.contains("destroyed dev: 4 stack(s) deleted"), "{said}");
    let _ = zone_id;

    // Every request to the parent account, replayed against the synthesized parent template
    // as IAM would evaluate it: all allowed.
    let (_synth_dir, out) = crate::support::synth(&root().join("tests/deploy/moto.yaml"));
    let template = crate::iam::delegation::parent_template(&out);
    let log = std::fs::read_to_string(&aws.log).expect("the proxy's log");
    let zone = parent_zone_id.trim_start_matches("/hostedzone/");
    let (cases, seen) =
        crate::iam::delegation::replay_parent_requests(&log, &template, "111111111111", zone);
    for kind in [
        "AssumeRole",
        "ListHostedZonesByName",
        "ListResourceRecordSets",
        "ChangeResourceRecordSets UPSERT",
        "GetChange",
        "ChangeResourceRecordSets DELETE",
    ] {
        assert!(
            seen.contains_key(kind),
            "the replay saw no {kind}: {seen:?}"
        );
    }
    crate::iam::check(&cases);
    // AssumeRole asks STS in the environment's own region first: each deploy's check before
    // any stack and its delegation, destroy's delegation.
    assert_eq!(assume_regions(&log), ["eu-west-1 ok"; 5]);
    // The real NS write with one thing changed: denied.
    crate::iam::check(&crate::iam::delegation::variants_of_the_ns_write(
        &log,
        &template,
        "111111111111",
        zone,
    ));
}

/// Each AssumeRole of the proxy's log: `<signing region> <ok|fault>`.
fn assume_regions(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["action"] == "AssumeRole")
        .map(|line| {
            format!(
                "{} {}",
                line["region"].as_str().unwrap_or_default(),
                line["fault"].as_str().unwrap_or("ok")
            )
        })
        .collect()
}

/// The parent DNS account has not enabled the environment's region: STS refuses to issue
/// its credentials there (RegionDisabledException, injected by the proxy), and deploy asks
/// us-east-1, which every account has.
#[test]
fn a_region_the_parent_account_has_not_enabled_falls_back_to_us_east_1() {
    let aws = Aws::start(&["--log-bodies", "--region-disabled", "eu-west-1"]);
    aws.parent(&["create", "example.com"]);
    aws.parent_roles(MOTO_CONFIG);
    let output = aws
        .hubctl(&["deploy", "--env", "dev", "--skip-helm"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_ne!(
        aws.parent(&["ns", "example.com", "dev.example.com"]),
        "null"
    );
    let log = std::fs::read_to_string(&aws.log).expect("the proxy's log");
    // The check before any stack, then the delegation.
    assert_eq!(
        assume_regions(&log),
        ["eu-west-1 region-disabled", "us-east-1 ok"].repeat(2)
    );
}

#[test]
fn on_a_terminal_deploy_asks_first_and_draws_live_progress() {
    let aws = Aws::start(&[]);
    aws.parent(&["create", "example.com"]);
    aws.parent_roles(MOTO_CONFIG);

    let (code, screen) = aws.on_a_terminal("deploy --env dev --skip-helm", "n\n");
    assert_eq!(code, Some(1), "{screen}");
    assert!(
        screen.contains("deploy dev to account 123456789012 (eu-west-1)? [y/N]")
            && screen.contains("nothing changed"),
        "{screen}"
    );
    // The account and the delegation role are checked before the question (a wrong or
    // missing one is said first); declined, nothing else is asked.
    let asked: Vec<String> = aws
        .requests()
        .iter()
        .map(|(_, action, _)| action.clone())
        .collect();
    assert_eq!(
        asked,
        ["GetCallerIdentity", "AssumeRole"],
        "declined, yet AWS was asked"
    );

    let (code, screen) = aws.on_a_terminal("deploy --env dev --skip-helm", "y\n");
    assert_eq!(code, Some(0), "{screen}");
    // Spinners (ANSI cursor control), each ending with its final status, not CI lines.
    assert!(screen.contains("\u{1b}[2K"), "no live display: {screen}");
    assert!(screen.contains("done: CREATE_COMPLETE"), "{screen}");
    assert!(!screen.contains("s] e2e-dev-frame: started"), "{screen}");
    // The summary starts on a line of its own, after the last spinner.
    assert!(
        screen.contains("\ndeployed dev (4 changed, 0 unchanged)"),
        "{screen}"
    );

    let before = aws.requests().len();
    let (code, screen) = aws.on_a_terminal("destroy --env dev --skip-helm", "n\n");
    assert_eq!(code, Some(1), "{screen}");
    assert!(
        screen.contains("delete every stack of dev in account 123456789012? [y/N]")
            && screen.contains("nothing deleted"),
        "{screen}"
    );
    let asked: Vec<String> = aws.requests()[before..]
        .iter()
        .map(|(_, action, _)| action.clone())
        .collect();
    assert_eq!(asked, ["GetCallerIdentity"], "declined, yet AWS was asked");
}

#[test]
fn the_wrong_account_is_refused_before_any_change() {
    let aws = Aws::start(&[]);
    aws.parent(&["create", "example.com"]);
    let output = aws
        .hubctl(&["deploy", "--env", "wrong", "--skip-helm"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("999999999999") && stderr.contains("123456789012"),
        "{stderr}"
    );
    assert!(aws.mutating().is_empty(), "{:?}", aws.mutating());
    assert_eq!(
        aws.requests()
            .iter()
            .map(|(_, action, _)| action.as_str())
            .collect::<Vec<_>>(),
        ["GetCallerIdentity"]
    );
}

#[test]
fn a_foreign_ns_record_is_refused_and_left_alone() {
    let aws = Aws::start(&[]);
    aws.parent(&[
        "create",
        "example.com",
        "dev.example.com",
        "ns1.elsewhere.org.,ns2.elsewhere.org.",
    ]);
    aws.parent_roles(MOTO_CONFIG);
    let output = aws
        .hubctl(&["deploy", "--env", "dev", "--skip-helm"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("pointing elsewhere") && stderr.contains("--force-delegation"),
        "{stderr}"
    );
    assert_eq!(
        aws.parent(&["ns", "example.com", "dev.example.com"]),
        r#"["ns1.elsewhere.org.", "ns2.elsewhere.org."]"#
    );
}

#[test]
fn deploy_converges_through_throttling_errors_and_dropped_connections() {
    let aws = Aws::start(&[
        "--seed",
        "7",
        "--fault-rate",
        "0.15",
        "--faults",
        "throttle,5xx,drop-before,drop-after",
    ]);
    aws.parent(&["create", "example.com"]);
    aws.parent_roles(MOTO_CONFIG);
    let mut runs = 0;
    loop {
        runs += 1;
        let output = aws
            .hubctl(&["deploy", "--env", "dev", "--skip-helm"])
            .output()
            .unwrap();
        if output.status.success() {
            break;
        }
        assert!(
            runs < 4,
            "no convergence after {runs} runs: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let faults = aws
        .requests()
        .iter()
        .filter(|(_, _, fault)| fault.is_some())
        .count();
    assert!(faults >= 3, "only {faults} faults were injected");
    // Nothing was created twice: one VPC-bearing frame stack, one subzone, one hub stack
    // (one EKS cluster), one eks-addons stack.
    let stacks = aws
        .mutating()
        .iter()
        .filter(|m| m.contains("ExecuteChangeSet"))
        .count();
    assert_eq!(stacks, 4, "{:?}", aws.mutating());
    assert_ne!(
        aws.parent(&["ns", "example.com", "dev.example.com"]),
        "null"
    );
}

/// The SDK configuration the binary would load, pointed at `endpoint` with dummy keys
/// (built here rather than from the process environment, which tests share).
async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}

/// The hub stack of a larger team outgrows CloudFormation's 51,200-byte inline limit. moto
/// cannot execute the ECS hub stack reliably (README, testing), so a template of that size
/// made of a resource moto supports goes through the same engine and the real S3 and
/// CloudFormation clients.
#[tokio::test]
async fn a_template_over_the_inline_limit_is_staged_in_s3_and_deployed_from_its_url() {
    use hubctl::deploy::api::{Artifacts, Cfn};
    use hubctl::deploy::aws::Acm;
    use hubctl::deploy::aws::{CloudFormation, S3};
    use hubctl::deploy::changeset::{
        deploy_stack, StackContext, StackOutcome, StackRequest, Support, Timing,
    };
    use hubctl::deploy::progress::Collect;

    let aws = Aws::start(&[]);
    let config = sdk_config(&aws.endpoint).await;
    let bucket = "e2e-dev-frame-templatebucket";
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    )
    .create_bucket()
    .bucket(bucket)
    .create_bucket_configuration(
        aws_sdk_s3::types::CreateBucketConfiguration::builder()
            .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
            .build(),
    )
    .send()
    .await
    .expect("CreateBucket");

    let template = serde_json::json!({
        "Description": "a template too large to send inline",
        "Metadata": {"Padding": "x".repeat(60_000)},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"TopicArn": {"Value": {"Ref": "Topic"}}}
    })
    .to_string();
    let (cfn, s3) = (CloudFormation::new(&config), S3::new(&config));
    let acm = Acm::new(&config);
    let support = Support {
        store: &s3,
        bucket: Some(bucket.to_string()),
        region: "eu-west-1".to_string(),
        certificates: &acm,
    };
    let timing = Timing {
        poll: std::time::Duration::from_millis(20),
        timeout: std::time::Duration::from_secs(60),
        certificate_hint: std::time::Duration::from_secs(600),
    };
    let tags = [("hubctl:env".to_string(), "dev".to_string())].into();
    let no_parameters = std::collections::BTreeMap::new();
    let deploy = |progress| {
        let context = StackContext {
            cfn: &cfn,
            support: &support,
            progress,
            timing,
        };
        let request = StackRequest {
            name: "e2e-dev-big",
            template_json: &template,
            parameters: &no_parameters,
            tags: &tags,
        };
        async move { deploy_stack(&context, &request).await }
    };
    let progress = Collect::default();
    let (outcome, outputs) = deploy(&progress).await.expect("the staged deploy");
    assert_eq!(outcome, StackOutcome::Changed);
    assert!(
        outputs["TopicArn"].starts_with("arn:aws:sns:"),
        "{outputs:?}"
    );
    let uploads: Vec<String> = aws
        .mutating()
        .into_iter()
        .filter(|m| m.starts_with("s3 ") && m.contains("/hubctl-"))
        .collect();
    assert_eq!(uploads.len(), 2, "one upload, one removal: {uploads:?}");
    assert!(uploads[0].starts_with(&format!("s3 PUT /{bucket}/hubctl-e2e-dev-big-")));
    assert!(uploads[1].starts_with(&format!("s3 DELETE /{bucket}/hubctl-e2e-dev-big-")));
    assert!(
        s3.keys(bucket).await.unwrap().is_empty(),
        "the bucket is empty"
    );
    let deployed: serde_json::Value =
        serde_json::from_str(&cfn.get_template("e2e-dev-big").await.unwrap()).unwrap();
    assert_eq!(
        deployed,
        serde_json::from_str::<serde_json::Value>(&template).unwrap()
    );

    // The same template again: compared with the live one, no upload, no change set.
    let n = aws.mutating().len();
    let (outcome, _) = deploy(&Collect::default()).await.expect("the re-run");
    assert_eq!(outcome, StackOutcome::Unchanged);
    assert_eq!(aws.mutating().len(), n, "{:?}", aws.mutating());
}

/// moto ignores certificates inside templates, so the ACM client that explains a waiting
/// certificate is checked on one requested directly, as CloudFormation would.
#[tokio::test]
async fn acm_reports_a_requested_certificate_and_its_validation_record() {
    use hubctl::deploy::api::Certificates;
    use hubctl::deploy::aws::Acm;

    let aws = Aws::start(&[]);
    let config = sdk_config(&aws.endpoint).await;
    let arn = aws_sdk_acm::Client::new(&config)
        .request_certificate()
        .domain_name("hub.dev.example.com")
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await
        .expect("RequestCertificate")
        .certificate_arn()
        .expect("an ARN")
        .to_string();
    let state = Acm::new(&config).validation(&arn).await.expect("the state");
    assert_eq!(state.status, "PENDING_VALIDATION", "{state:?}");
    assert_eq!(state.validations.len(), 1, "{state:?}");
    let validation = &state.validations[0];
    assert_eq!(validation.domain, "hub.dev.example.com");
    let (name, value) = validation.record.clone().expect("a validation record");
    assert!(name.ends_with("hub.dev.example.com."), "{name}");
    assert!(!value.is_empty());

    let missing = Acm::new(&config)
        .validation("arn:aws:acm:eu-west-1:123456789012:certificate/none")
        .await
        .unwrap_err();
    assert!(
        format!("{missing:#}").contains("DescribeCertificate"),
        "{missing:#}"
    );
}
