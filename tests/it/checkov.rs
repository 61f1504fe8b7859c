//! checkov (pinned in tests/tools/checkov.txt) on every template of every fixture: no
//! failed check. A check that does not apply is skipped in the resource's Metadata with a
//! reason, and every such skip must suppress a real finding (no stale skips).

use std::collections::BTreeSet;
use std::process::Command;

use crate::support::{files_under, fixtures, python_tool, synth};

fn skips_in_templates(out: &std::path::Path) -> BTreeSet<(String, String)> {
    let mut skips = BTreeSet::new();
    for file in files_under(out)
        .iter()
        .filter(|f| f.ends_with(".template.json"))
    {
        let template: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(file)).unwrap()).unwrap();
        for (id, resource) in template["Resources"].as_object().unwrap() {
            for skip in resource["Metadata"]["checkov"]["skip"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                let reason = skip["comment"].as_str().unwrap_or_default();
                assert!(
                    reason.len() > 20,
                    "{file}/{id}: skip {} needs a real reason",
                    skip["id"]
                );
                skips.insert((
                    format!("{}.{id}", resource["Type"].as_str().unwrap()),
                    skip["id"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    skips
}

#[test]
fn checkov_finds_no_failed_check() {
    let checkov = python_tool("checkov", "checkov");
    let mut failures = Vec::new();
    let mut n_passed = 0;
    for (name, config) in fixtures() {
        let (_dir, out) = synth(&config);
        let output = Command::new(&checkov)
            .args([
                "--framework",
                "cloudformation",
                "--output",
                "json",
                "--skip-download",
                "-d",
            ])
            .arg(&out)
            .env("BC_SKIP_MAPPING", "TRUE")
            .output()
            .expect("checkov runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|err| {
            panic!(
                "{name}: checkov output is not JSON ({err}):\n{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let reports = match report {
            serde_json::Value::Array(reports) => reports,
            single => vec![single],
        };
        let mut skipped = BTreeSet::new();
        for report in &reports {
            let results = &report["results"];
            n_passed += results["passed_checks"].as_array().map_or(0, Vec::len);
            for failed in results["failed_checks"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                failures.push(format!(
                    "{name}: {} {} on {} ({})",
                    failed["check_id"],
                    failed["check_name"],
                    failed["resource"],
                    failed["file_path"]
                ));
            }
            for skip in results["skipped_checks"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                skipped.insert((
                    skip["resource"].as_str().unwrap().to_string(),
                    skip["check_id"].as_str().unwrap().to_string(),
                ));
            }
        }
        let declared = skips_in_templates(&out);
        let stale: Vec<_> = declared.difference(&skipped).collect();
        assert!(
            stale.is_empty(),
            "{name}: skips that suppress nothing: {stale:?}"
        );
    }
    assert!(n_passed > 500, "checkov ran only {n_passed} checks");
    assert!(
        failures.is_empty(),
        "checkov failed checks:\n{}",
        failures.join("\n")
    );
}
