//! The whole ECS environment of `config.example.yaml` (frame, dns, delegation, hub) deployed,
//! re-deployed and destroyed by the real binary against the patched moto
//! (tests/deploy/moto_launcher.py models what AWS does that moto skips: the certificate's
//! validation CNAME left in the subzone, HostedZoneNotEmpty, a cluster with running tasks
//! that cannot be deleted, deletes in reverse dependency order).

use std::process::Command;

use crate::deploy::Aws;
use crate::support::{local_aws_env, python_tool, root};

const CONFIG: &str = "config.example.yaml";

/// Runs `args` under the pinned Python tool `tool` from the repository's root, speaking to
/// `aws`'s moto directly when given; asserts it succeeded and returns its stdout.
fn python(tool: &str, aws: Option<&Aws>, args: &[&str]) -> String {
    let mut command = Command::new(python_tool(tool, "python"));
    command.args(args).current_dir(root());
    if let Some(aws) = aws {
        command.envs(
            local_aws_env(aws.moto_endpoint())
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v))),
        );
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{} {args:?}:\n{stdout}\n{}",
        tool,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// `tests/deploy/look.py <what> <args>` against moto: what is there, read with boto3.
fn look(aws: &Aws, what: &[&str]) -> serde_json::Value {
    let mut args = vec!["tests/deploy/look.py", aws.moto_endpoint(), "eu-west-1"];
    args.extend_from_slice(what);
    serde_json::from_str(&python("moto", Some(aws), &args)).expect("JSON from look.py")
}

/// Starts bob's server with the hub's real spawner (RunTask, outside the service), as the
/// deployed hub would; returns the task's ARN.
fn start_server(aws: &Aws) -> String {
    python(
        "hub",
        Some(aws),
        &[
            "tests/deploy/start_server.py",
            "eu-west-1",
            "jhub-dev-hub",
            "bob",
        ],
    )
    .trim()
    .to_string()
}

/// ECR in moto, with boto3: `push <repository> <tag>` puts an image (a minimal manifest);
/// prints the repositories as a JSON list either way.
const ECR: &str = r#"
import boto3, json, sys
ecr = boto3.client("ecr", endpoint_url=sys.argv[1], region_name="eu-west-1")
if sys.argv[2:3] == ["push"]:
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": {}, "layers": []}
    ecr.put_image(repositoryName=sys.argv[3], imageManifest=json.dumps(manifest), imageTag=sys.argv[4])
if sys.argv[2:3] == ["create"]:
    ecr.create_repository(repositoryName=sys.argv[3])
print(json.dumps(sorted(r["repositoryName"] for r in ecr.describe_repositories()["repositories"])))
"#;

/// The hub image of the example's dev, in its own registry.
const HUB_IMAGE: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jhub/hub:5.4.6-2";

/// Pushes the example's hub image (as `docker push` would, through ECR's API).
pub(crate) fn push_hub_image(aws: &Aws) {
    python(
        "moto",
        Some(aws),
        &[
            "-c",
            ECR,
            aws.moto_endpoint(),
            "push",
            "jhub/hub",
            "5.4.6-2",
        ],
    );
}

fn repositories(aws: &Aws) -> serde_json::Value {
    serde_json::from_str(&python(
        "moto",
        Some(aws),
        &["-c", ECR, aws.moto_endpoint()],
    ))
    .unwrap()
}

fn stacks(aws: &Aws) -> Vec<String> {
    let mut names: Vec<String> = look(aws, &["stacks"])
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["name"].as_str().unwrap(),
                s["status"].as_str().unwrap()
            )
        })
        .collect();
    names.sort();
    names
}

fn validation_cnames(aws: &Aws, zone_id: &str) -> Vec<String> {
    look(aws, &["records", zone_id])
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r[1] == "CNAME")
        .filter(|r| {
            r[2].as_array()
                .unwrap()
                .iter()
                .any(|v| v.as_str().unwrap().contains("acm-validations.aws"))
        })
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_example_deploys_whole_reruns_as_a_no_op_and_destroy_leaves_nothing() {
    let aws = Aws::start(&[]);
    aws.parent(&["create", "example.com"]);
    aws.parent_roles(CONFIG);
    let dir = tempfile::tempdir().unwrap();
    let outputs_file = dir.path().join("outputs.json");

    // A fresh account: `hubctl images` makes the repositories (frame and images stacks
    // only) and says what to push.
    let images = aws
        .hubctl_with(CONFIG, &["images", "--env", "dev", "--yes"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&images.stdout);
    assert!(
        images.status.success(),
        "images: {said}{}",
        String::from_utf8_lossy(&images.stderr)
    );
    assert!(said.contains(&format!("{HUB_IMAGE}: NOT pushed")), "{said}");
    assert!(
        said.contains(&format!(
            "docker build --platform linux/amd64 -t {HUB_IMAGE} templates/hub"
        )) && said.contains(&format!("docker push {HUB_IMAGE}")),
        "{said}"
    );
    assert_eq!(
        stacks(&aws),
        [
            "jhub-dev-frame CREATE_COMPLETE",
            "jhub-dev-images CREATE_COMPLETE"
        ]
    );
    assert_eq!(repositories(&aws), serde_json::json!(["jhub/hub"]));
    // The same for machines (a re-run: nothing to change).
    let json = aws
        .hubctl_with(
            CONFIG,
            &["images", "--env", "dev", "--yes", "--output", "json"],
        )
        .output()
        .unwrap();
    assert!(json.status.success());
    let said: serde_json::Value = serde_json::from_slice(&json.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&json.stdout)));
    assert_eq!(said["ok"], true, "{said}");
    assert_eq!(said["changed"], serde_json::json!([]), "{said}");
    assert_eq!(said["images"][HUB_IMAGE], false, "{said}");
    assert!(
        said["commands"].as_array().is_some_and(|commands| commands
            .iter()
            .any(|c| c == &serde_json::json!(format!("docker push {HUB_IMAGE}")))),
        "{said}"
    );

    // deploy stops after the images stack, before the hub, with the commands.
    let stopped = aws
        .hubctl_with(CONFIG, &["deploy", "--env", "dev"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&stopped.stderr);
    assert_eq!(stopped.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("STOPPED before the hub stack")
            && stderr.contains("the repositories exist; push the images and re-run deploy")
            && stderr.contains("aws ecr get-login-password --region eu-west-1 | docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com")
            && stderr.contains(&format!("docker push {HUB_IMAGE}")),
        "{stderr}"
    );
    assert!(
        !stacks(&aws).iter().any(|s| s.starts_with("jhub-dev-hub")),
        "{:?}",
        stacks(&aws)
    );

    // The same for machines: the error as JSON, with what is missing and the commands.
    let json = aws
        .hubctl_with(CONFIG, &["deploy", "--env", "dev", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let said: serde_json::Value = serde_json::from_slice(&json.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&json.stdout)));
    assert_eq!(
        said["missing_images"],
        serde_json::json!([HUB_IMAGE]),
        "{said}"
    );
    assert_eq!(
        said["commands"][1],
        format!("docker build --platform linux/amd64 -t {HUB_IMAGE} templates/hub"),
        "{said}"
    );

    push_hub_image(&aws);
    let first = aws
        .hubctl_with(CONFIG, &["deploy", "--env", "dev", "--outputs-file"])
        .arg(&outputs_file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "first deploy: {stderr}");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outputs_file).unwrap()).unwrap();
    assert_eq!(
        stacks(&aws),
        [
            "jhub-dev-dns CREATE_COMPLETE",
            "jhub-dev-frame CREATE_COMPLETE",
            "jhub-dev-hub CREATE_COMPLETE",
            "jhub-dev-images CREATE_COMPLETE"
        ],
        "{stderr}"
    );
    assert_eq!(
        written["hub"]["HubUrl"], "https://hub.dev.example.com/",
        "{written}"
    );
    assert_ne!(
        aws.parent(&["ns", "example.com", "dev.example.com"]),
        "null",
        "the subzone is delegated"
    );
    let cluster = written["hub"]["ClusterName"]
        .as_str()
        .expect("the hub's cluster")
        .to_string();
    let zone_id = written["dns"]["HostedZoneId"]
        .as_str()
        .expect("the subzone's id")
        .to_string();
    // What CloudFormation does on AWS for a DNS-validated certificate.
    let cnames = validation_cnames(&aws, &zone_id);
    assert_eq!(
        cnames.len(),
        1,
        "the certificate's validation record: {cnames:?}"
    );

    // Same config again: reads only.
    let n_mutating = aws.mutating().len();
    let second = aws
        .hubctl_with(CONFIG, &["deploy", "--env", "dev"])
        .output()
        .unwrap();
    assert!(
        second.status.success(),
        "second deploy: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    let again: Vec<String> = aws.mutating().into_iter().skip(n_mutating).collect();
    assert!(again.is_empty(), "a re-run made mutating calls: {again:?}");
    // The same for machines: the report as JSON on stdout.
    let json = aws
        .hubctl_with(CONFIG, &["deploy", "--env", "dev", "--output", "json"])
        .output()
        .unwrap();
    assert!(json.status.success());
    let said: serde_json::Value = serde_json::from_slice(&json.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&json.stdout)));
    assert_eq!(said["ok"], true, "{said}");
    assert_eq!(said["changed"], serde_json::json!([]), "{said}");
    assert_eq!(
        said["unchanged"].as_array().map(Vec::len),
        Some(4),
        "{said}"
    );
    assert_eq!(said["delegation"], "unchanged", "{said}");
    assert_eq!(said["hub_url"], "https://hub.dev.example.com/", "{said}");
    assert_eq!(
        said["outputs"]["hub"]["ClusterName"],
        cluster.as_str(),
        "{said}"
    );

    // A user's server, started by the hub's real spawner (RunTask, outside the service).
    let task_arn = start_server(&aws);
    let running = look(&aws, &["tasks", &cluster]);
    assert!(
        running
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["arn"] == task_arn.as_str() && t["last"] == "RUNNING"),
        "{running}"
    );

    let destroyed = aws
        .hubctl_with(
            CONFIG,
            &["destroy", "--env", "dev", "--yes", "--output", "json"],
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&destroyed.stderr);
    assert!(destroyed.status.success(), "destroy: {stderr}");
    // The result as JSON on stdout, the progress on stderr.
    let said: serde_json::Value = serde_json::from_slice(&destroyed.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&destroyed.stdout)));
    assert_eq!(said["deleted"].as_array().map(Vec::len), Some(4), "{said}");
    assert_eq!(said["delegation_removed"], true, "{said}");
    assert!(
        said["retained"].as_array().is_some_and(|kept| kept
            .iter()
            .any(|k| k["logical_id"] == "AccessLogBucket" && k["policy"] == "Retain")),
        "{said}"
    );
    assert!(
        stderr.contains("scaled service") && stderr.contains("from 1 to 0 tasks"),
        "the hub's service first: {stderr}"
    );
    assert!(
        stderr.contains(&format!("stopping user server {task_arn}")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "deleted the certificate validation record {}",
            cnames[0]
        )),
        "{stderr}"
    );
    assert_eq!(
        aws.parent(&["ns", "example.com", "dev.example.com"]),
        "null",
        "the NS record is gone"
    );
    assert!(
        stacks(&aws).is_empty(),
        "every stack is gone: {:?}",
        stacks(&aws)
    );
    // The images stack's delete emptied its repository (EmptyOnDelete) and removed it.
    assert_eq!(repositories(&aws), serde_json::json!([]));
    let tasks = look(&aws, &["tasks", &cluster]);
    assert!(
        tasks
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["last"] == "STOPPED"),
        "{tasks}"
    );
}

/// CloudFormation's own deletes of the hub and dns stacks (no hubctl), each followed to its
/// end: prints `<stack> <status> <reason> | [<first failed resource's reason>]`.
const DELETE_HUB_AND_DNS: &str = r#"
import boto3, sys, time
cfn = boto3.client("cloudformation", endpoint_url=sys.argv[1], region_name="eu-west-1")
for name in ("jhub-dev-hub", "jhub-dev-dns"):
    cfn.delete_stack(StackName=name)
    for _ in range(100):
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            break
        time.sleep(0.1)
    failed = [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName=name)["StackEvents"] if e["ResourceStatus"] == "DELETE_FAILED" and e["LogicalResourceId"] != name]
    print(name, stack["StackStatus"], stack.get("StackStatusReason", ""), "|", failed[:1])
"#;

/// Without hubctl's cleanup, AWS refuses both deletes: the patched moto must, too, or the
/// test above proves nothing.
#[test]
fn the_patched_moto_refuses_what_aws_refuses() {
    let aws = Aws::start(&[]);
    aws.parent(&["create", "example.com"]);
    aws.parent_roles(CONFIG);
    let images = aws
        .hubctl_with(CONFIG, &["images", "--env", "dev", "--yes"])
        .output()
        .unwrap();
    assert!(images.status.success());
    push_hub_image(&aws);
    let deployed = aws
        .hubctl_with(CONFIG, &["deploy", "--env", "dev"])
        .output()
        .unwrap();
    assert!(
        deployed.status.success(),
        "deploy: {}",
        String::from_utf8_lossy(&deployed.stderr)
    );
    start_server(&aws);
    // CloudFormation's own delete, no hubctl: the hub stack fails on the running server,
    // the dns stack on the validation record.
    let said = python(
        "moto",
        Some(&aws),
        &["-c", DELETE_HUB_AND_DNS, aws.moto_endpoint()],
    );
    let lines: Vec<&str> = said.lines().collect();
    assert!(
        lines[0].starts_with("jhub-dev-hub DELETE_FAILED")
            && lines[0].contains("ClusterContainsTasks"),
        "{said}"
    );
    assert!(
        lines[1].starts_with("jhub-dev-dns DELETE_FAILED")
            && lines[1].contains("HostedZoneNotEmpty"),
        "{said}"
    );
}

/// The launcher's own checks (tests/deploy/launcher_selftest.py): each patch against the
/// real templates, under four hash seeds, each check shown to fail without its patch.
#[test]
fn the_patched_moto_behaves_like_aws_under_every_hash_seed() {
    python("moto", None, &["tests/deploy/launcher_selftest.py"]);
}

/// Every template of every fixture's environments (tests/golden/), and the parent templates,
/// created on the patched moto in deploy order with their parameters wired.
#[test]
fn every_template_hubctl_writes_creates_on_the_patched_moto() {
    let said = python("moto", None, &["tests/deploy/create_every_template.py"]);
    // Not vacuous: every stack of every golden manifest, and every parent template, was
    // reported created.
    let golden = root().join("tests/golden");
    let files = crate::support::files_under(&golden);
    let stacks: usize = files
        .iter()
        .filter(|path| path.ends_with("manifest.json"))
        .map(|path| {
            let manifest: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(golden.join(path)).unwrap()).unwrap();
            manifest["stacks"].as_array().map_or(0, Vec::len)
        })
        .sum();
    let parents = files
        .iter()
        .filter(|path| path.contains("/parent/"))
        .count();
    let created = said.lines().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(created, stacks + parents, "{said}");
    assert!(created >= 25, "{said}");
}

#[test]
fn a_repository_made_by_hand_stops_images_and_deploy_before_any_stack() {
    let aws = Aws::start(&[]);
    aws.parent(&["create", "example.com"]);
    aws.parent_roles(CONFIG);
    // Before hubctl made one, someone created the repository by hand.
    python(
        "moto",
        Some(&aws),
        &["-c", ECR, aws.moto_endpoint(), "create", "jhub/hub"],
    );
    for command in [
        &["images", "--env", "dev", "--yes"][..],
        &["deploy", "--env", "dev"],
    ] {
        let refused = aws.hubctl_with(CONFIG, command).output().unwrap();
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{command:?}: {stderr}");
        assert!(
            stderr.contains("ECR repository jhub/hub exists in account 123456789012 (eu-west-1) but is not the images stack jhub-dev-images's")
                && stderr.contains("nothing was changed"),
            "{command:?}: {stderr}"
        );
        assert!(stacks(&aws).is_empty(), "{command:?}: {:?}", stacks(&aws));
    }
}
