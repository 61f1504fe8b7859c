//! `hubctl diff --against`: crafted before/after pairs, each diffed in text, JSON and
//! markdown against golden files in `tests/diff/`, with the exit codes with and without
//! `--fail`. "Before" is the example's golden synth output (what the base branch holds),
//! "after" the example config with one edit, or the golden output with one edit and the
//! example config. Regenerate with `HUBCTL_BLESS=1 cargo test --test it diff`.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{hubctl, root};

/// One crafted pair.
struct Case {
    name: &'static str,
    /// Text replacements in `config.example.yaml` (each must apply exactly once).
    config: &'static [(&'static str, &'static str)],
    /// A JSON edit of one golden file: (file below tests/golden/example, pointer, value).
    before: Option<(&'static str, &'static str, &'static str)>,
    /// The exit code with `--fail`.
    exit: i32,
}

const CASES: &[Case] = &[
    Case {
        name: "nothing-changed",
        config: &[],
        before: None,
        exit: 0,
    },
    Case {
        // dev's load balancer opened to the internet.
        name: "cidr-opened",
        config: &[(
            "allowed_cidrs: [203.0.113.0/24, 198.51.100.0/24]",
            "allowed_cidrs: [203.0.113.0/24, 198.51.100.0/24, 0.0.0.0/0]",
        )],
        before: None,
        exit: 3,
    },
    Case {
        // dev's user image moves to a private ECR repository of its own: the task execution
        // roles may now pull from it, and dev gains an images stack for the repository
        // (eks-dev, in the same account and region, keeps the public image: two
        // environments there cannot create one repository; prod, in another account, too).
        name: "role-broadened",
        config: &[
            (
                "user_image: quay.io/jupyter/scipy-notebook:2025-06-30",
                "user_image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/jhub/user:2025-06-30",
            ),
            (
                "      platform: eks\n",
                "      platform: eks\n      user_image: quay.io/jupyter/scipy-notebook:2025-06-30\n",
            ),
            // prod, in another account, keeps the public image (it could not pull dev's).
            (
                "      hub_image: 210987654321.dkr.ecr.eu-west-1.amazonaws.com/jhub/hub:5.4.6-2\n",
                "      hub_image: 210987654321.dkr.ecr.eu-west-1.amazonaws.com/jhub/hub:5.4.6-2\n      user_image: quay.io/jupyter/scipy-notebook:2025-06-30\n",
            ),
        ],
        before: None,
        exit: 3,
    },
    Case {
        // dev's VPC gets another CIDR: the VPC is replaced, and with it every subnet.
        name: "vpc-cidr-changed",
        config: &[("vpc_cidr: 10.20.0.0/16", "vpc_cidr: 10.21.0.0/16")],
        before: None,
        exit: 3,
    },
    Case {
        // The base branch encrypted dev's EFS with an imported key; the head uses the
        // frame's own: EFS's KmsKeyId is create-only, so the file system is replaced.
        name: "efs-key-changed",
        config: &[],
        before: Some((
            "dev/jhub-dev-frame.template.json",
            "/Resources/FileSystem/Properties/KmsKeyId",
            "\"arn:aws:kms:eu-west-1:123456789012:key/1b2c3d4e-1111-2222-3333-444455556666\"",
        )),
        exit: 3,
    },
    Case {
        // eks-dev's hub database moves from SQLite on its EBS volume to RDS: the stack
        // gains a database, and the chart's values a new hub.db (the hub starts empty).
        name: "eks-database-moved",
        config: &[(
            "        kind: sqlite\n        volume_gib: 1\n",
            "        kind: postgres\n",
        )],
        before: None,
        exit: 3,
    },
    Case {
        // A user added to every environment: an access point, task definitions, a role.
        name: "user-added",
        config: &[("admins: [alice]", "admins: [alice, zoe]")],
        before: None,
        exit: 3,
    },
    Case {
        // A tag changed: one line, not every resource.
        name: "tag-changed",
        config: &[("team: research-computing", "team: research-it")],
        before: None,
        exit: 1,
    },
];

struct Prepared {
    _dir: tempfile::TempDir,
    config: PathBuf,
    before: PathBuf,
}

fn prepare(case: &Case) -> Prepared {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let mut config = std::fs::read_to_string(root().join("config.example.yaml")).expect("example");
    for (from, to) in case.config {
        assert_eq!(
            config.matches(from).count(),
            1,
            "{}: `{from}` must appear exactly once in config.example.yaml",
            case.name
        );
        config = config.replace(from, to);
    }
    let config_path = dir.path().join("hubctl.yaml");
    std::fs::write(&config_path, config).expect("write config");
    let before = dir.path().join("before");
    hubctl::output::copy_dir(&root().join("tests/golden/example"), &before)
        .expect("copy the golden output");
    if let Some((file, pointer, value)) = case.before {
        let path = before.join(file);
        let mut template: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("golden file"))
                .expect("JSON");
        *template
            .pointer_mut(pointer)
            .expect("the pointer exists in the golden file") =
            serde_json::from_str(value).expect("JSON value");
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&template).expect("JSON") + "\n",
        )
        .expect("write before");
    }
    Prepared {
        _dir: dir,
        config: config_path,
        before,
    }
}

/// Runs the diff; returns (exit code, stdout) with the temp path replaced by `BEFORE`.
fn run(prepared: &Prepared, output: &str, fail: bool) -> (i32, String) {
    let mut command = hubctl();
    command
        .arg("--config")
        .arg(&prepared.config)
        .arg("diff")
        .arg("--against")
        .arg(&prepared.before)
        .args(["--output", output])
        .env("NO_COLOR", "1");
    if fail {
        command.arg("--fail");
    }
    let result = command.output().expect("hubctl runs");
    let stdout = String::from_utf8(result.stdout).expect("UTF-8");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.is_empty(), "diff wrote to stderr: {stderr}");
    let before = prepared.before.display().to_string();
    (
        result.status.code().unwrap_or(-1),
        stdout.replace(&before, "BEFORE"),
    )
}

#[test]
fn crafted_pairs_match_their_golden_diffs_and_exit_codes() {
    let bless = std::env::var_os("HUBCTL_BLESS").is_some();
    let golden = root().join("tests/diff");
    let mut problems = Vec::new();
    for case in CASES {
        let prepared = prepare(case);
        let (plain, _) = run(&prepared, "text", false);
        if plain != 0 {
            problems.push(format!(
                "{}: exit {plain} without --fail, expected 0",
                case.name
            ));
        }
        for (output, extension) in [("text", "txt"), ("json", "json"), ("markdown", "md")] {
            let (code, stdout) = run(&prepared, output, true);
            if code != case.exit {
                problems.push(format!(
                    "{} ({output}): exit {code} with --fail, expected {}",
                    case.name, case.exit
                ));
            }
            let path = golden.join(format!("{}.{extension}", case.name));
            if bless {
                std::fs::create_dir_all(&golden).expect("mkdir tests/diff");
                std::fs::write(&path, &stdout).expect("bless");
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(stdout.as_str()) {
                problems.push(format!("{}: differs from {}", case.name, path.display()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\nif intended: HUBCTL_BLESS=1 cargo test --test it diff, then review git diff tests/diff",
        problems.join("\n")
    );
}

fn json_of(case: &str) -> Value {
    let case = CASES.iter().find(|c| c.name == case).expect("a case");
    let (_, stdout) = run(&prepare(case), "json", true);
    serde_json::from_str(&stdout).expect("diff --output json is JSON")
}

fn resource<'v>(report: &'v Value, env: &str, stack: &str, id: &str) -> Option<&'v Value> {
    report["environments"]
        .as_array()?
        .iter()
        .find(|e| e["env"] == env)?["stacks"]
        .as_array()?
        .iter()
        .find(|s| s["name"] == stack)?["resources"]
        .as_array()?
        .iter()
        .find(|r| r["logical_id"] == id)
}

#[test]
fn a_vpc_replacement_spreads_to_its_subnets_and_across_stacks() {
    let report = json_of("vpc-cidr-changed");
    let impact = |stack: &str, id: &str| {
        resource(&report, "dev", stack, id).map(|r| r["impact"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(impact("jhub-dev-frame", "Vpc").as_deref(), Some("replace"));
    assert_eq!(
        impact("jhub-dev-frame", "PrivateSubnet1").as_deref(),
        Some("replace")
    );
    // The hub stack's security groups take the VPC id from the frame's output: create-only.
    assert_eq!(
        impact("jhub-dev-hub", "HubSecurityGroup").as_deref(),
        Some("replace")
    );
    assert!(report["risks"].as_array().is_some_and(|risks| risks
        .iter()
        .any(|r| r["logical_id"] == "Vpc" && r["risk"] == "network")));
    assert!(
        report["environments"]
            .as_array()
            .is_some_and(|e| e.iter().all(|e| e["env"] == "dev")),
        "prod has its own CIDR and must not change: {report}"
    );
}

#[test]
fn an_efs_key_change_is_a_data_loss_risk() {
    let report = json_of("efs-key-changed");
    let risks = report["risks"].as_array().expect("risks");
    assert_eq!(risks.len(), 1, "{risks:?}");
    assert_eq!(risks[0]["logical_id"], "FileSystem");
    assert_eq!(risks[0]["risk"], "data");
    assert_eq!(report["risky"], true);
}

#[test]
fn an_opened_cidr_is_a_broadened_ingress_from_everyone() {
    let report = json_of("cidr-opened");
    let rules = report["security_groups"].as_array().expect("rules");
    assert!(
        rules.iter().any(|r| r["change"] == "added"
            && r["everyone"] == true
            && r["direction"] == "ingress"
            && r["broadens"] == true
            && r["env"] == "dev"),
        "{rules:?}"
    );
    assert_eq!(report["broadened"], true);
    assert_eq!(report["risky"], false);
}

#[test]
fn a_tag_change_is_one_line_and_lists_no_resource() {
    let report = json_of("tag-changed");
    let tags = report["tags"].as_array().expect("tags");
    assert_eq!(tags.len(), 1, "{tags:?}");
    assert_eq!(tags[0]["key"], "team");
    assert_eq!(tags[0]["after"], "research-it");
    let listed: usize = report["environments"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["stacks"].as_array().into_iter().flatten())
        .map(|s| s["resources"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(
        listed, 0,
        "tag-only changes must not list resources: {report}"
    );
}

#[test]
fn a_large_diff_is_cut_below_githubs_comment_limit() {
    // Every environment's VPC, and a changed project name renaming every stack: the
    // longest diff the example can make.
    let case = Case {
        name: "large",
        config: &[
            ("project: jhub", "project: jhub2"),
            ("vpc_cidr: 10.20.0.0/16", "vpc_cidr: 10.21.0.0/16"),
        ],
        before: None,
        exit: 3,
    };
    let prepared = prepare(&case);
    let (_, markdown) = run(&prepared, "markdown", true);
    let (_, text) = run(&prepared, "text", true);
    assert!(
        markdown.chars().count() < 65_536,
        "{} characters",
        markdown.chars().count()
    );
    if text.chars().count() > 65_536 {
        assert!(
            markdown.contains("… cut here:") || markdown.contains("more: run `hubctl diff`"),
            "a diff too long for a comment says where it was cut or capped"
        );
    }
    assert!(
        markdown.trim_end().ends_with("</details>"),
        "the fold is closed after a cut"
    );
}

#[test]
fn bad_against_directories_are_errors_with_exit_2() {
    let empty = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    for dir in [empty.path().to_path_buf(), empty.path().join("missing")] {
        let result = hubctl()
            .arg("--config")
            .arg(root().join("config.example.yaml"))
            .arg("diff")
            .arg("--against")
            .arg(&dir)
            .output()
            .expect("runs");
        assert_eq!(result.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(
            stderr.contains(&dir.display().to_string()) && stderr.contains("synth"),
            "{stderr}"
        );
        assert!(result.stdout.is_empty());
    }
    let neither = hubctl()
        .arg("--config")
        .arg(root().join("config.example.yaml"))
        .arg("diff")
        .output()
        .expect("runs");
    assert_eq!(
        neither.status.code(),
        Some(2),
        "clap refuses a diff with neither side"
    );
}

/// `diff --deployed` against the patched moto: before a deploy everything is added, after it
/// nothing differs, and after a config change exactly that change shows; read-only throughout.
#[test]
fn deployed_diff_against_moto_shows_nothing_after_a_deploy_and_exactly_a_change() {
    use crate::deploy::Aws;
    let aws = Aws::start(&[]);
    aws.parent(&["create", "example.com"]);
    aws.parent_roles("config.example.yaml");
    let json = |config: &str| {
        let output = aws
            .hubctl_with(
                config,
                &[
                    "diff",
                    "--deployed",
                    "--env",
                    "dev",
                    "--output",
                    "json",
                    "--fail",
                ],
            )
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {stderr}"));
        (output.status.code(), report, stderr)
    };

    let (code, report, stderr) = json("config.example.yaml");
    let impacts: Vec<&str> = report["environments"][0]["stacks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["resources"].as_array().into_iter().flatten())
        .filter_map(|r| r["impact"].as_str())
        .collect();
    assert!(
        !impacts.is_empty() && impacts.iter().all(|i| *i == "add"),
        "{stderr}{report}"
    );
    assert_eq!(code, Some(3), "new roles broaden access");
    assert!(
        aws.mutating().is_empty(),
        "diff changed something: {:?}",
        aws.mutating()
    );

    // The hub's image in dev's own repository first (deploy checks it before the hub).
    let images = aws
        .hubctl_with("config.example.yaml", &["images", "--env", "dev", "--yes"])
        .output()
        .expect("runs");
    assert!(images.status.success(), "{images:?}");
    crate::deploy_ecs::push_hub_image(&aws);
    let deployed = aws
        .hubctl_with("config.example.yaml", &["deploy", "--env", "dev"])
        .output()
        .expect("runs");
    assert!(
        deployed.status.success(),
        "deploy: {}",
        String::from_utf8_lossy(&deployed.stderr)
    );
    let n_mutating = aws.mutating().len();

    let (code, report, stderr) = json("config.example.yaml");
    assert_eq!(report["differs"], false, "{stderr}{report}");
    assert_eq!(code, Some(0));

    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let changed = dir.path().join("hubctl.yaml");
    let text = std::fs::read_to_string(root().join("config.example.yaml")).expect("example");
    std::fs::write(
        &changed,
        text.replace("idle_timeout: 1h", "idle_timeout: 2h"),
    )
    .expect("write config");
    let (code, report, stderr) = json(&changed.display().to_string());
    assert_eq!(code, Some(1), "{stderr}{report}");
    let stacks = report["environments"][0]["stacks"]
        .as_array()
        .expect("stacks");
    assert_eq!(stacks.len(), 1, "only the hub changes: {report}");
    let resources = stacks[0]["resources"].as_array().expect("resources");
    let listed: Vec<(&str, &str)> = resources
        .iter()
        .map(|r| {
            (
                r["logical_id"].as_str().unwrap_or(""),
                r["impact"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [("HubService", "update"), ("HubTask", "replace")],
        "{report}"
    );
    let paths: Vec<&str> = resources[1]["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        ["Properties.ContainerDefinitions[hub].Environment[JUPYTERHUB_IDLE_TIMEOUT].Value"],
        "{report}"
    );
    assert_eq!(
        aws.mutating().len(),
        n_mutating,
        "diff --deployed only reads"
    );
}
