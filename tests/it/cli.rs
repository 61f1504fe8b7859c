//! The command line end to end: determinism, atomic output, environment selection, the
//! validate command and the exit codes.

use predicates::prelude::*;

use crate::support::{files_under, hubctl, root, synth};

#[test]
fn two_synths_are_byte_identical() {
    let config = root().join("config.example.yaml");
    let (_a, first) = synth(&config);
    let (_b, second) = synth(&config);
    let files = files_under(&first);
    assert_eq!(files, files_under(&second));
    assert!(files.len() >= 7);
    for file in files {
        assert_eq!(
            std::fs::read(first.join(&file)).unwrap(),
            std::fs::read(second.join(&file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn synth_of_one_env_writes_its_stacks_manifest_and_the_parent_template() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("X");
    hubctl()
        .args([
            "--config",
            "config.example.yaml",
            "synth",
            "--env",
            "dev",
            "--out",
        ])
        .arg(&out)
        .current_dir(root())
        .assert()
        .success()
        .stdout(
            predicate::str::contains("jhub-dev-frame").and(predicate::str::contains("resources")),
        );
    assert_eq!(
        files_under(&out),
        [
            "dev/jhub-dev-dns.template.json",
            "dev/jhub-dev-frame.template.json",
            "dev/jhub-dev-hub.template.json",
            "dev/jhub-dev-images.template.json",
            "dev/manifest.json",
            "parent/jhub-delegation-role.template.json"
        ]
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("dev/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["account"], "123456789012");
    assert_eq!(
        manifest["deploy_order"],
        serde_json::json!([["frame", "dns"], ["images", "delegation"], ["hub"]])
    );
    assert_eq!(
        manifest["delegation"]["role_arn"],
        "arn:aws:iam::111111111111:role/DomainOperatorRole-123456789012"
    );
}

#[test]
fn synth_of_one_env_keeps_the_other_environments_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = |env: Option<&str>| {
        let mut command = hubctl();
        command
            .current_dir(root())
            .args(["--config", "config.example.yaml", "synth", "--out"])
            .arg(&out);
        if let Some(env) = env {
            command.args(["--env", env]);
        }
        command.assert().success();
    };
    run(None);
    let before = files_under(&out);
    run(Some("dev"));
    assert_eq!(files_under(&out), before);
    // No staging directory is left beside the output.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["out"]);
}

#[test]
fn synth_refuses_to_replace_a_directory_that_is_not_its_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    hubctl()
        .current_dir(root())
        .args(["--config", "config.example.yaml", "synth", "--out"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("not hubctl's output").and(predicate::str::contains("--out")),
        );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn unknown_env_is_a_usage_error_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    hubctl()
        .current_dir(root())
        .args([
            "--config",
            "config.example.yaml",
            "synth",
            "--env",
            "prd",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("no environment named `prd`")
                .and(predicate::str::contains("`prod`")),
        );
    assert!(!out.exists());
}

#[test]
fn missing_config_points_at_the_example() {
    let dir = tempfile::tempdir().unwrap();
    hubctl()
        .current_dir(dir.path())
        .arg("validate")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("hubctl.yaml")
                .and(predicate::str::contains("config.example.yaml")),
        );
}

#[test]
fn validate_reports_ok_and_json() {
    hubctl()
        .current_dir(root())
        .args(["--config", "config.example.yaml", "validate"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ok").and(predicate::str::contains("dev, prod")));
    let output = hubctl()
        .current_dir(root())
        .args([
            "--config",
            "config.example.yaml",
            "validate",
            "--env",
            "dev",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        parsed,
        serde_json::json!({"ok": true, "environments": ["dev"], "format": 1})
    );
}

#[test]
fn bad_usage_exits_2() {
    hubctl().args(["synth", "--no-such-flag"]).assert().code(2);
}

#[test]
fn a_full_synth_drops_environments_removed_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let example = std::fs::read_to_string(root().join("config.example.yaml")).unwrap();
    let only_dev = &example[..example.find("\n  prod:").expect("the example has prod")];
    std::fs::write(dir.path().join("all.yaml"), &example).unwrap();
    std::fs::write(dir.path().join("dev.yaml"), format!("{only_dev}\n")).unwrap();
    for config in ["all.yaml", "dev.yaml"] {
        hubctl()
            .current_dir(dir.path())
            .args(["--config", config, "synth", "--out", "out"])
            .assert()
            .success();
    }
    let files = files_under(&out);
    assert!(files.iter().all(|f| !f.starts_with("prod/")), "{files:?}");
    assert!(files.iter().any(|f| f == "dev/manifest.json"));
}

#[test]
fn synth_says_when_the_parent_template_must_go_through_s3() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hubctl.yaml");
    // 20 workload accounts: 20 roles, more than 51,200 bytes.
    std::fs::write(&config, crate::iam::delegation::many_environments(20, 20)).unwrap();
    let synth = |config: &std::path::Path| {
        hubctl()
            .arg("--config")
            .arg(config)
            .args(["synth", "--out"])
            .arg(dir.path().join("out"))
            .output()
            .unwrap()
    };
    let output = synth(&config);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("note: bench-delegation-role is ")
            && stderr.contains("more than CloudFormation takes inline (51200)")
            && stderr.contains("--s3-bucket"),
        "{stderr}"
    );
    let example = synth(&crate::support::root().join("config.example.yaml"));
    assert!(example.status.success());
    assert!(!String::from_utf8_lossy(&example.stderr).contains("note:"));
}

#[test]
fn help_is_a_command_with_help_of_its_own() {
    hubctl()
        .args(["help", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Usage: hubctl help"));
    hubctl().args(["help", "deploy"]).assert().success().stdout(
        predicate::str::contains("Usage: hubctl deploy")
            .and(predicate::str::contains("--skip-helm")),
    );
    hubctl()
        .args(["help", "deplyo"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no command `deplyo`; the commands are validate, synth, deploy, diff, destroy",
        ));
}

/// The commands `hubctl --help` lists (its "Commands:" section).
fn listed_commands() -> Vec<String> {
    let output = hubctl().arg("--help").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let section = text
        .split("Commands:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap_or_else(|| panic!("no Commands: section in\n{text}"));
    section
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_command_has_the_same_help_both_ways_and_documents_its_flags() {
    let commands = listed_commands();
    for expected in [
        "validate", "synth", "deploy", "diff", "destroy", "init", "help",
    ] {
        assert!(commands.iter().any(|c| c == expected), "{commands:?}");
    }
    for command in &commands {
        let flag = hubctl()
            .args([command.as_str(), "--help"])
            .output()
            .unwrap();
        let word = hubctl().args(["help", command.as_str()]).output().unwrap();
        assert!(flag.status.success(), "{command} --help failed");
        assert!(word.status.success(), "help {command} failed");
        let text = String::from_utf8(flag.stdout).unwrap();
        assert_eq!(
            text,
            String::from_utf8(word.stdout).unwrap(),
            "`hubctl {command} --help` and `hubctl help {command}` differ"
        );
        assert!(
            text.contains(&format!("Usage: hubctl {command}")),
            "{command}: {text}"
        );
        // The global flags are on every command, each line of the options documented.
        for global in ["--config <PATH>", "--quiet", "--verbose"] {
            assert!(text.contains(global), "{command} lacks {global}: {text}");
        }
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('-') && line.len() - trimmed.len() <= 6 {
                // Short help: `--flag  Doc` on one line; long help: the doc on the next.
                let same_line = trimmed.split_once("  ").map_or("", |(_, doc)| doc.trim());
                let next_line = lines.get(n + 1).map_or("", |next| next.trim());
                let doc = if same_line.is_empty() {
                    next_line
                } else {
                    same_line
                };
                assert!(!doc.is_empty(), "{command}: `{trimmed}` has no description");
            }
        }
    }
}

#[test]
fn quiet_and_verbose_exclude_each_other() {
    hubctl()
        .args(["--quiet", "--verbose", "validate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}

#[test]
fn quiet_drops_synth_notes_but_keeps_the_result() {
    // The same config as the parent-through-S3 note test: many environments' roles.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hubctl.yaml");
    std::fs::write(&config, crate::iam::delegation::many_environments(20, 20)).unwrap();
    let loud = hubctl()
        .current_dir(dir.path())
        .args(["--config", "hubctl.yaml", "synth", "--out", "a"])
        .output()
        .unwrap();
    let quiet = hubctl()
        .current_dir(dir.path())
        .args(["--config", "hubctl.yaml", "--quiet", "synth", "--out", "b"])
        .output()
        .unwrap();
    assert!(loud.status.success() && quiet.status.success());
    assert!(String::from_utf8_lossy(&loud.stderr).contains("note: "));
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "");
    assert!(String::from_utf8_lossy(&quiet.stdout).contains("wrote "));
}

#[test]
fn a_missing_config_is_json_when_json_is_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let output = hubctl()
        .current_dir(dir.path())
        .args(["validate", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {:?}", output.stdout));
    assert_eq!(parsed["ok"], false);
    assert_eq!(parsed["errors"][0]["file"], "hubctl.yaml");
    assert_eq!(parsed["errors"][0]["problem"], "config file not found");
    assert!(parsed["errors"][0]["fix"]
        .as_str()
        .is_some_and(|fix| fix.contains("config.example.yaml")));
}

/// `hubctl deploy --yes` of the example's dev with `env` (and no AWS config files), from a
/// temporary directory: (exit code, stderr).
fn deploy_with(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let (code, _, stderr) = run_without_aws(&["deploy", "--env", "dev", "--yes"], env);
    (code, stderr)
}

/// `hubctl ARGS` on the example config with `env` and no AWS config files, from a temporary
/// directory: (exit code, stdout, stderr).
fn run_without_aws(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = hubctl();
    command
        .current_dir(dir.path())
        .arg("--config")
        .arg(root().join("config.example.yaml"))
        .args(args);
    for key in [
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ] {
        command.env_remove(key);
    }
    command
        .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.path().join("no-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn deploy_and_destroy_failures_are_json_when_json_is_asked_for() {
    for command in ["deploy", "destroy"] {
        let (code, stdout, _) =
            run_without_aws(&[command, "--env", "dev", "--yes", "--output", "json"], &[]);
        assert_eq!(code, Some(2), "{command}: {stdout}");
        let parsed: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|err| panic!("{command}: not JSON ({err}): {stdout}"));
        assert_eq!(parsed["ok"], false, "{command}: {stdout}");
        let problem = parsed["errors"][0]["problem"].as_str().unwrap_or_default();
        assert!(
            problem.contains("no AWS credentials found") && problem.contains("nothing was changed"),
            "{command}: {stdout}"
        );
    }
}

#[test]
fn verbose_adds_the_full_cause_after_the_one_line() {
    let (code, _, stderr) = run_without_aws(&["--verbose", "deploy", "--env", "dev", "--yes"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    let mut lines = stderr.lines();
    assert!(
        lines.next().is_some_and(
            |line| line.starts_with("error: ") && line.contains("no AWS credentials found")
        ),
        "{stderr}"
    );
    assert!(lines.any(|line| line.starts_with("details: ")), "{stderr}");
}

#[test]
fn deploy_without_credentials_says_so_in_one_line_and_changes_nothing() {
    let (code, stderr) = deploy_with(&[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("GetCallerIdentity: no AWS credentials found: set AWS_PROFILE")
            && stderr.contains("nothing was changed")
            && !stderr.contains("pick up where they stopped")
            && !stderr.contains("DispatchFailure"),
        "{stderr}"
    );
}

#[test]
fn deploy_to_an_endpoint_that_does_not_answer_says_so_in_one_line() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let (code, stderr) = deploy_with(&[
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("GetCallerIdentity: cannot reach AWS")
            && stderr.contains("AWS_ENDPOINT_URL")
            && stderr.contains("nothing was changed"),
        "{stderr}"
    );
}

#[test]
fn init_writes_a_starter_config_that_synthesizes_and_never_overwrites() {
    for (platform, stacks) in [
        (
            "ecs",
            &["jhub-dev-frame", "jhub-dev-dns", "jhub-dev-hub"][..],
        ),
        (
            "eks",
            &[
                "jhub-dev-frame",
                "jhub-dev-dns",
                "jhub-dev-hub",
                "jhub-dev-eks-addons",
            ][..],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        hubctl()
            .current_dir(dir.path())
            .args(["init", "--platform", platform])
            .assert()
            .success()
            .stdout(
                predicate::str::contains(format!("wrote hubctl.yaml (platform {platform}")).and(
                    predicate::str::contains("hubctl --config hubctl.yaml validate"),
                ),
            );
        let written = std::fs::read_to_string(dir.path().join("hubctl.yaml")).unwrap();
        assert!(
            written.contains(&format!("platform: {platform}")),
            "{written}"
        );
        let synth = hubctl()
            .current_dir(dir.path())
            .args(["synth", "--out", "out"])
            .output()
            .unwrap();
        assert!(
            synth.status.success(),
            "{}",
            String::from_utf8_lossy(&synth.stderr)
        );
        for stack in stacks {
            assert!(
                dir.path()
                    .join(format!("out/dev/{stack}.template.json"))
                    .exists(),
                "{platform}: {stack}"
            );
        }
        // A second init refuses, and the config is as it was.
        std::fs::write(dir.path().join("hubctl.yaml"), "project: mine\n").unwrap();
        hubctl()
            .current_dir(dir.path())
            .args(["init", "--platform", platform])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "hubctl.yaml exists; hubctl init never overwrites",
            ));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("hubctl.yaml")).unwrap(),
            "project: mine\n"
        );
        // For machines: the result, and the refusal, as JSON.
        let made = hubctl()
            .current_dir(dir.path())
            .args(["--config", "new.yaml", "init", "--platform", platform])
            .args(["--output", "json"])
            .output()
            .unwrap();
        assert!(made.status.success());
        let said: serde_json::Value = serde_json::from_slice(&made.stdout).unwrap();
        assert_eq!(said["platform"], platform, "{said}");
        assert_eq!(said["config"], "new.yaml", "{said}");
        assert!(said["next"].as_array().is_some_and(|next| next.len() > 3));
        let refused = hubctl()
            .current_dir(dir.path())
            .args(["--config", "new.yaml", "init", "--output", "json"])
            .output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(2));
        let said: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
        assert_eq!(said["ok"], false, "{said}");
        assert!(said["errors"][0]["problem"]
            .as_str()
            .is_some_and(|problem| problem.contains("never overwrites")));
    }
}

#[test]
fn completions_know_the_commands() {
    for shell in ["bash", "zsh", "fish"] {
        let output = hubctl().args(["completions", shell]).output().unwrap();
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        for command in ["validate", "synth", "deploy", "diff", "destroy", "init"] {
            assert!(script.contains(command), "{shell}: {command} missing");
        }
    }
    hubctl().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn synth_as_json_lists_every_stack_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let output = hubctl()
        .current_dir(dir.path())
        .arg("--config")
        .arg(root().join("config.example.yaml"))
        .args(["synth", "--env", "dev", "--out", "out", "--output", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let said: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {:?}", output.stdout));
    assert_eq!(said["ok"], true, "{said}");
    assert_eq!(said["format"], 1, "{said}");
    assert_eq!(said["out"], "out", "{said}");
    let stacks = said["stacks"].as_array().expect("stacks");
    for stack in stacks {
        let file = dir
            .path()
            .join("out")
            .join(stack["env"].as_str().unwrap())
            .join(format!(
                "{}.template.json",
                stack["stack"].as_str().unwrap()
            ));
        let bytes = std::fs::metadata(&file)
            .unwrap_or_else(|err| panic!("{}: {err}", file.display()))
            .len();
        assert_eq!(stack["bytes"], bytes, "{stack}");
        assert!(
            stack["resources"].as_u64().is_some_and(|n| n > 0),
            "{stack}"
        );
    }
    assert!(
        stacks.iter().any(|s| s["stack"] == "jhub-dev-images"),
        "{said}"
    );
}
