//! cfn-lint, AWS's own template linter (pinned in tests/tools/cfn-lint.txt), on every
//! template synth writes for every fixture, in the region the environment deploys to:
//! no error, no warning, no informational finding.

use std::process::Command;

use crate::support::{files_under, fixtures, python_tool, synth};

#[test]
fn cfn_lint_accepts_every_template() {
    let cfn_lint = python_tool("cfn-lint", "cfn-lint");
    let mut failures = Vec::new();
    let mut n_templates = 0;
    for (name, config) in fixtures() {
        let (_dir, out) = synth(&config);
        let files = files_under(&out);
        for manifest in files.iter().filter(|f| f.ends_with("/manifest.json")) {
            let env = manifest.trim_end_matches("/manifest.json");
            let text = std::fs::read_to_string(out.join(manifest)).expect("manifest");
            let parsed: serde_json::Value = serde_json::from_str(&text).expect("manifest is JSON");
            let region = parsed["region"].as_str().expect("manifest has a region");
            let templates: Vec<&String> = files
                .iter()
                .filter(|f| {
                    f.ends_with(".template.json")
                        && (f.starts_with(&format!("{env}/")) || f.starts_with("parent/"))
                })
                .collect();
            n_templates += templates.len();
            let output = Command::new(&cfn_lint)
                .current_dir(&out)
                .args(["--regions", region, "--"])
                .args(&templates)
                .output()
                .expect("cfn-lint runs");
            if !output.status.success() {
                failures.push(format!(
                    "{name}/{env} ({region}): cfn-lint exit {}\n{}{}",
                    output.status,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ));
            }
        }
    }
    assert!(n_templates >= 10, "only {n_templates} templates linted");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cfn_lint_is_not_blind() {
    // A template with a known error must fail, or the gate above proves nothing.
    let cfn_lint = python_tool("cfn-lint", "cfn-lint");
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let bad = dir.path().join("bad.template.json");
    std::fs::write(
        &bad,
        r#"{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlok": "10.0.0.0/16"}}}}"#,
    )
    .expect("write");
    let output = Command::new(&cfn_lint)
        .arg(&bad)
        .output()
        .expect("cfn-lint runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("CidrBlok"));
}
