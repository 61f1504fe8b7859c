//! The resource table `hubctl diff` reads (`src/diff/resource_types.json`): it is what
//! `tests/tools/resource_table.py` makes from the pinned cfn-lint's schemas, it covers every
//! type the golden templates use, and it says what the schemas say.

use std::process::Command;

use serde_json::Value;

use crate::support::{files_under, python_tool, root};

/// The committed table, parsed.
fn table() -> Value {
    let path = root().join("src/diff/resource_types.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not JSON: {err}", path.display()))
}

/// The entry of `type_name` in the committed table.
fn entry(type_name: &str) -> Value {
    let table = table();
    let entry = &table["types"][type_name];
    assert!(entry.is_object(), "{type_name} is not in the table");
    entry.clone()
}

/// The strings of the list `field` of the entry of `type_name`.
fn list(type_name: &str, field: &str) -> Vec<String> {
    entry(type_name)[field]
        .as_array()
        .unwrap_or_else(|| panic!("{type_name} {field} is not a list"))
        .iter()
        .map(|path| path.as_str().expect("paths are strings").to_string())
        .collect()
}

#[test]
fn resource_table_is_what_the_pinned_cfn_lint_makes() {
    let python = python_tool("cfn-lint", "python");
    let output = Command::new(&python)
        .current_dir(root())
        .arg(root().join("tests/tools/resource_table.py"))
        .arg("--check")
        .output()
        .expect("resource_table.py runs");
    assert!(
        output.status.success(),
        "resource_table.py --check failed with {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn resource_table_covers_every_golden_type() {
    let table = table();
    let golden = root().join("tests/golden");
    let templates: Vec<String> = files_under(&golden)
        .into_iter()
        .filter(|file| file.ends_with(".template.json"))
        .collect();
    assert!(
        !templates.is_empty(),
        "no golden templates under {}",
        golden.display()
    );
    let mut missing = Vec::new();
    for template in &templates {
        let text = std::fs::read_to_string(golden.join(template)).expect("readable template");
        let parsed: Value = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("tests/golden/{template} is not JSON: {err}"));
        let resources = parsed["Resources"]
            .as_object()
            .unwrap_or_else(|| panic!("tests/golden/{template} has no Resources"));
        for (logical_id, resource) in resources {
            let type_name = resource["Type"]
                .as_str()
                .unwrap_or_else(|| panic!("tests/golden/{template} {logical_id} has no Type"));
            if !table["types"][type_name].is_object() {
                missing.push(format!(
                    "tests/golden/{template}: {logical_id} is a {type_name}"
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "types not in src/diff/resource_types.json (run target/tmp/tools/cfn-lint/bin/python \
         tests/tools/resource_table.py --write):\n{}",
        missing.join("\n")
    );
}

#[test]
fn resource_table_says_what_the_schemas_say() {
    let contains = |type_name: &str, field: &str, path: &str| {
        let paths = list(type_name, field);
        assert!(
            paths.iter().any(|p| p == path),
            "{type_name} {field} lacks {path}: {paths:?}"
        );
    };
    contains("AWS::EC2::VPC", "create_only", "CidrBlock");
    contains(
        "AWS::EC2::VPC",
        "conditional_create_only",
        "InstanceTenancy",
    );
    contains("AWS::EC2::Subnet", "create_only", "VpcId");
    contains("AWS::EC2::Subnet", "create_only", "AvailabilityZone");
    contains("AWS::EFS::FileSystem", "create_only", "KmsKeyId");
    contains("AWS::EFS::FileSystem", "create_only", "Encrypted");
    contains("AWS::EFS::AccessPoint", "create_only", "PosixUser/Uid");
    contains("AWS::RDS::DBInstance", "create_only", "DBSubnetGroupName");
    // Writable primary identifiers the schema leaves out of createOnlyProperties: a new
    // name or type is a new record.
    contains("AWS::Route53::RecordSet", "create_only", "Name");
    contains("AWS::Route53::RecordSet", "create_only", "Type");
    // Documented as replacing, missed by the schema (EXTRA_CREATE_ONLY).
    contains(
        "AWS::ServiceDiscovery::Service",
        "create_only",
        "DnsConfig/NamespaceId",
    );
    // Changes CloudFormation cannot make at all: the update fails (IMMUTABLE).
    contains("AWS::KMS::Key", "immutable", "KeySpec");
    contains("AWS::Cognito::UserPool", "immutable", "UsernameAttributes");

    let efs = entry("AWS::EFS::FileSystem");
    assert_eq!(efs["stateful"], true, "AWS::EFS::FileSystem: {efs}");
    assert_eq!(efs["loss"], "data", "AWS::EFS::FileSystem: {efs}");
    let key = entry("AWS::KMS::Key");
    assert_eq!(key["loss"], "keys", "AWS::KMS::Key: {key}");
    let vpc = entry("AWS::EC2::VPC");
    assert_eq!(vpc["loss"], "network", "AWS::EC2::VPC: {vpc}");
    let subnet = entry("AWS::EC2::Subnet");
    assert_eq!(subnet["stateful"], false, "AWS::EC2::Subnet: {subnet}");
    assert_eq!(subnet["loss"], Value::Null, "AWS::EC2::Subnet: {subnet}");

    // The tags of a role can change in place; a path no schema has is in no list.
    assert!(!list("AWS::IAM::Role", "create_only")
        .iter()
        .any(|p| p == "Tags"));
    for (type_name, info) in table()["types"].as_object().expect("types is an object") {
        for field in ["create_only", "conditional_create_only", "immutable"] {
            let paths = info[field]
                .as_array()
                .unwrap_or_else(|| panic!("{type_name} {field} is not a list: {info}"));
            let mut sorted = paths.clone();
            sorted.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            sorted.dedup();
            assert_eq!(
                paths, &sorted,
                "{type_name} {field} is not sorted and unique"
            );
            assert!(
                paths
                    .iter()
                    .all(|p| !p.as_str().unwrap_or("/").starts_with('/')),
                "{type_name} {field} keeps a /properties/ prefix: {paths:?}"
            );
        }
        // A change either replaces the resource or fails the update, never both.
        let immutable = info["immutable"].as_array().expect("a list");
        assert!(
            !info["create_only"]
                .as_array()
                .expect("a list")
                .iter()
                .any(|p| immutable.contains(p)),
            "{type_name}: a path is both create-only and immutable: {info}"
        );
    }
}
