//! The build without the AWS SDK (`--no-default-features`), built and run here: it compiles
//! no SDK crate, synthesizes and diffs exactly as the full build does (same bytes), and says so (exit 2,
//! nothing written) where a command needs AWS.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{announce, files_under, root};

/// Builds the no-SDK binary into its own target directory (so the full build's binaries,
/// which the other tests run, are left alone) and returns its path.
fn no_sdk_hubctl() -> PathBuf {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-sdk");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let started = std::time::Instant::now();
    let output = Command::new(cargo)
        .current_dir(root())
        .args([
            "build",
            "--locked",
            "--quiet",
            "--no-default-features",
            "--bin",
            "hubctl",
            "--target-dir",
        ])
        .arg(&target)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "the no-SDK build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    if started.elapsed().as_secs() > 20 {
        announce(&format!(
            "built hubctl --no-default-features in {} s (once per checkout: the next runs reuse it)",
            started.elapsed().as_secs()
        ));
    }
    target.join("debug").join("hubctl")
}

#[test]
fn the_build_without_the_sdk_compiles_no_sdk_crate() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let tree = |features: &[&str]| {
        let output = Command::new(&cargo)
            .current_dir(root())
            .args(["tree", "--locked", "--edges", "normal", "--prefix", "none"])
            .args(features)
            .output()
            .expect("cargo tree runs");
        assert!(output.status.success(), "{:?}", output);
        String::from_utf8(output.stdout).expect("utf-8")
    };
    let sdk_crates = |text: &str| text.lines().filter(|line| line.starts_with("aws-")).count();
    // The gate can fail: the default build has them.
    assert!(sdk_crates(&tree(&[])) > 10);
    assert_eq!(sdk_crates(&tree(&["--no-default-features"])), 0);
}

#[test]
fn the_build_without_the_sdk_synthesizes_and_diffs_as_the_full_one_and_refuses_aws_commands() {
    let binary = no_sdk_hubctl();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = root().join("config.example.yaml");
    let run = |args: &[&str]| {
        Command::new(&binary)
            .current_dir(dir.path())
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .expect("hubctl runs")
    };

    let validate = run(&["validate"]);
    assert!(validate.status.success(), "{validate:?}");

    let synth = run(&["synth", "--out", "out"]);
    assert!(synth.status.success(), "{synth:?}");
    let golden = root().join("tests/golden/example");
    let out = dir.path().join("out");
    assert_eq!(files_under(&out), files_under(&golden));
    for file in files_under(&golden) {
        assert!(
            std::fs::read(out.join(&file)).ok() == std::fs::read(golden.join(&file)).ok(),
            "{file} differs from the golden output"
        );
    }

    let diff = run(&["diff", "--against"]);
    assert_eq!(diff.status.code(), Some(2), "a usage error: {diff:?}");
    let golden_arg = golden.display().to_string();
    let diff = run(&["diff", "--against", &golden_arg, "--fail"]);
    assert_eq!(diff.status.code(), Some(0), "{diff:?}");
    // Against the other environment's output (a real difference), the same report as the
    // full build's, in every format.
    for format in ["text", "json", "markdown"] {
        let against = root().join("tests/golden/eks-nodegroups");
        let args = [
            "diff",
            "--against",
            against.to_str().expect("utf-8 path"),
            "--output",
            format,
        ];
        let slim = run(&args);
        let full = crate::support::hubctl()
            .current_dir(dir.path())
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .expect("hubctl runs");
        assert_eq!(slim.status.code(), full.status.code(), "{format}");
        assert!(
            !full.stdout.is_empty(),
            "{format}: the full build said nothing"
        );
        assert_eq!(
            String::from_utf8_lossy(&slim.stdout),
            String::from_utf8_lossy(&full.stdout),
            "{format}: the no-SDK diff differs from the full build's"
        );
    }

    for args in [
        &["deploy", "--env", "dev", "--yes"][..],
        &["destroy", "--env", "dev", "--yes"],
        &["diff", "--deployed", "--env", "dev"],
        &["parent", "deploy", "--yes"],
        &["images", "--env", "dev", "--yes"],
        &["users", "--env", "dev", "--yes"],
    ] {
        let refused = run(args);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("built without the AWS SDK (--no-default-features)"),
            "{args:?}: {stderr}"
        );
    }
    // Nothing but the synth output was written.
    let written: Vec<String> = std::fs::read_dir(dir.path())
        .expect("readable")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(written, ["out"]);
}
