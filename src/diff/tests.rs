//! The diff engine on small hand-made templates: impact, propagation across stacks, risks,
//! tags, exit codes, and the markdown cut.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use super::*;

fn stack(id: &str, template: Value) -> StackSide {
    StackSide {
        id: id.to_string(),
        name: format!("p-dev-{id}"),
        template: Arc::new(template),
        ..StackSide::default()
    }
}

fn snapshot(stacks: Vec<StackSide>) -> Snapshot {
    Snapshot {
        envs: BTreeMap::from([(
            "dev".to_string(),
            EnvSide {
                manifest: None,
                stacks,
                kubernetes: BTreeMap::new(),
            },
        )]),
    }
}

fn frame(cidr: &str, deletion: &str) -> Value {
    json!({"Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/20"}},
        "Files": {"Type": "AWS::EFS::FileSystem", "DeletionPolicy": deletion, "Properties": {"Encrypted": true,
            "FileSystemTags": [{"Key": "Name", "Value": "home"}]}}
    }, "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}}}})
}

fn hub(param_wired: bool) -> StackSide {
    let mut side = stack(
        "hub",
        json!({"Parameters": {"VpcId": {"Type": "String"}}, "Resources": {
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "hub", "VpcId": {"Ref": "VpcId"}}},
            "Log": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30,
                "Tags": [{"Key": "team", "Value": "a"}]}}
        }}),
    );
    if param_wired {
        side.wiring.insert(
            "VpcId".to_string(),
            ("frame".to_string(), "VpcId".to_string()),
        );
        side.parameters
            .insert("VpcId".to_string(), "frame.VpcId".to_string());
    }
    side
}

fn diff(before: Vec<StackSide>, after: Vec<StackSide>) -> Report {
    compare(&snapshot(before), &snapshot(after), "base")
}

fn find<'r>(report: &'r Report, stack: &str, id: &str) -> Option<&'r ResourceDiff> {
    report
        .environments
        .iter()
        .flat_map(|e| &e.stacks)
        .filter(|s| s.id == stack)
        .flat_map(|s| &s.resources)
        .find(|r| r.logical_id == id)
}

#[test]
fn identical_sides_differ_in_nothing_and_exit_0_even_with_fail() {
    let side = snapshot(vec![
        stack("frame", frame("10.0.0.0/16", "Retain")),
        hub(true),
    ]);
    let report = compare(&side, &side, "base");
    assert!(!report.differs);
    assert_eq!(report.exit_code(true), 0);
    assert!(report.environments.is_empty());
    assert!(render::text(&report, false).ends_with("no changes\n"));
}

#[test]
fn a_replaced_vpc_replaces_what_uses_it_in_create_only_properties_across_stacks() {
    let before = snapshot(vec![
        stack("frame", frame("10.0.0.0/16", "Retain")),
        hub(true),
    ]);
    let after = snapshot(vec![
        stack("frame", frame("10.1.0.0/16", "Retain")),
        hub(true),
    ]);
    let report = compare(&before, &after, "base");
    assert_eq!(
        find(&report, "frame", "Vpc").map(|r| r.impact),
        Some(Impact::Replace)
    );
    let subnet = find(&report, "frame", "Subnet").expect("the subnet is marked");
    assert_eq!(subnet.impact, Impact::Replace);
    assert!(
        subnet
            .because
            .iter()
            .any(|b| b == "VpcId uses Vpc, which changes"),
        "{:?}",
        subnet.because
    );
    // Across stacks: the output VpcId changes, so the parameter does, so the group goes.
    assert_eq!(
        find(&report, "hub", "Sg").map(|r| r.impact),
        Some(Impact::Replace)
    );
    assert!(
        find(&report, "hub", "Log").is_none(),
        "the log group does not use the VPC"
    );
    assert!(find(&report, "frame", "Files").is_none());
    assert_eq!(report.summary.replace, 3);
    assert_eq!(report.exit_code(false), 0);
    assert_eq!(
        report.exit_code(true),
        3,
        "a VPC is stateful: a network loss"
    );
    assert_eq!(report.risks.len(), 1);
    assert_eq!(report.risks[0].risk, "network");
}

#[test]
fn without_wiring_the_downstream_stack_is_untouched() {
    let before = snapshot(vec![
        stack("frame", frame("10.0.0.0/16", "Retain")),
        hub(false),
    ]);
    let after = snapshot(vec![
        stack("frame", frame("10.1.0.0/16", "Retain")),
        hub(false),
    ]);
    let report = compare(&before, &after, "base");
    assert!(find(&report, "hub", "Sg").is_none());
}

#[test]
fn a_removed_stateful_resource_is_a_risk_that_names_its_deletion_policy() {
    let mut without = frame("10.0.0.0/16", "Retain");
    without["Resources"]
        .as_object_mut()
        .map(|r| r.remove("Files"));
    let before = snapshot(vec![stack("frame", frame("10.0.0.0/16", "Retain"))]);
    let report = compare(&before, &snapshot(vec![stack("frame", without)]), "base");
    let files = find(&report, "frame", "Files").expect("removed");
    assert_eq!(files.impact, Impact::Remove);
    assert_eq!(files.kept_by.as_deref(), Some("DeletionPolicy: Retain"));
    assert_eq!(report.risks.len(), 1);
    assert!(
        report.risks[0]
            .message
            .contains("DeletionPolicy: Retain: it stays in the account"),
        "{}",
        report.risks[0].message
    );
    assert_eq!(report.exit_code(true), 3);
}

#[test]
fn tag_only_changes_are_summarized_not_listed_and_exit_1() {
    let before = snapshot(vec![hub(false)]);
    let mut changed = hub(false);
    Arc::make_mut(&mut changed.template)["Resources"]["Log"]["Properties"]["Tags"][0]["Value"] =
        json!("b");
    changed.tags.insert("owner".to_string(), "x".to_string());
    let report = compare(&before, &snapshot(vec![changed]), "base");
    assert!(find(&report, "hub", "Log").is_none());
    assert_eq!(report.summary.tag_only, 1);
    assert_eq!(report.summary.change, 0);
    let keys: Vec<(&str, usize, usize)> = report
        .tags
        .iter()
        .map(|t| (t.key.as_str(), t.resources, t.stacks))
        .collect();
    assert_eq!(keys, [("owner", 0, 1), ("team", 1, 0)]);
    assert_eq!(report.exit_code(true), 1);
}

#[test]
fn an_updated_property_is_an_update_with_its_path() {
    let before = snapshot(vec![hub(false)]);
    let mut changed = hub(false);
    Arc::make_mut(&mut changed.template)["Resources"]["Log"]["Properties"]["RetentionInDays"] =
        json!(90);
    let report = compare(&before, &snapshot(vec![changed]), "base");
    let log = find(&report, "hub", "Log").expect("listed");
    assert_eq!(log.impact, Impact::Update);
    assert_eq!(log.changes.len(), 1);
    assert_eq!(log.changes[0].path, "Properties.RetentionInDays");
    assert!(!log.changes[0].create_only);
    assert_eq!(report.exit_code(true), 1);
    assert!(render::text(&report, false).contains("~ Properties.RetentionInDays: 30 → 90"));
}

#[test]
fn a_type_change_replaces() {
    let before = snapshot(vec![hub(false)]);
    let mut changed = hub(false);
    Arc::make_mut(&mut changed.template)["Resources"]["Log"]["Type"] =
        json!("AWS::Logs::LogStream");
    let report = compare(&before, &snapshot(vec![changed]), "base");
    assert_eq!(
        find(&report, "hub", "Log").map(|r| r.impact),
        Some(Impact::Replace)
    );
}

#[test]
fn colour_only_when_asked() {
    let before = snapshot(vec![hub(false)]);
    let mut changed = hub(false);
    Arc::make_mut(&mut changed.template)["Resources"]["Log"]["Properties"]["RetentionInDays"] =
        json!(90);
    let report = compare(&before, &snapshot(vec![changed]), "base");
    assert!(render::text(&report, true).contains("\x1b["));
    assert!(!render::text(&report, false).contains('\x1b'));
}

#[test]
fn markdown_is_cut_below_the_limit_with_a_note_and_a_closed_fold() {
    let mut many = serde_json::Map::new();
    for i in 0..400 {
        many.insert(
            format!("Log{i:03}"),
            json!({"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}}),
        );
    }
    let before = snapshot(vec![stack("hub", json!({"Resources": many.clone()}))]);
    for value in many.values_mut() {
        value["Properties"]["RetentionInDays"] = json!(90);
    }
    let after = snapshot(vec![stack("hub", json!({"Resources": many}))]);
    let report = compare(&before, &after, "base");
    let full = render::markdown(&report, 1_000_000);
    assert!(!full.contains("cut here"));
    let cut = render::markdown(&report, 5_000);
    assert!(cut.len() < 5_000, "{} bytes", cut.len());
    assert!(cut.contains("… cut here:"), "{cut}");
    assert!(cut.trim_end().ends_with("```\n\n</details>"));
    assert!(cut.starts_with("### hubctl diff: 0 to add, 400 to change"));
}

#[test]
fn policy_changes_are_diffed_line_by_line() {
    let statement = |actions: Value| {
        json!({"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]},
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Resource": "*", "Action": actions}]}}]}}}})
    };
    let actions: Vec<String> = (0..12).map(|i| format!("logs:Action{i}")).collect();
    let mut more = actions.clone();
    more.insert(6, "s3:GetObject".to_string());
    let report = diff(
        vec![stack("hub", statement(json!(actions)))],
        vec![stack("hub", statement(json!(more)))],
    );
    let text = render::text(&report, false);
    assert!(text.contains("+   \"s3:GetObject\","), "{text}");
    assert!(
        text.contains("  \"logs:Action5\","),
        "context lines: {text}"
    );
    assert!(report.broadened);
    assert!(text.contains("SECURITY: access broadened"));
}

#[test]
fn a_regenerated_secret_is_a_risk_though_only_updated() {
    let secret = |length: u32| {
        json!({"Resources": {"DbSecret": {"Type": "AWS::SecretsManager::Secret", "Properties": {
            "GenerateSecretString": {"PasswordLength": length, "GenerateStringKey": "password",
                "SecretStringTemplate": "{}"}}}}})
    };
    let report = diff(
        vec![stack("hub", secret(32))],
        vec![stack("hub", secret(40))],
    );
    assert_eq!(
        find(&report, "hub", "DbSecret").map(|r| r.impact),
        Some(Impact::Update)
    );
    let risks: Vec<&str> = report.risks.iter().map(|r| r.risk.as_str()).collect();
    assert_eq!(risks, ["regenerated"]);
    assert_eq!(report.exit_code(true), 3);
}

#[test]
fn refused_replacements_are_risks() {
    let named = |cidr: &str| {
        json!({"Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr}},
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupName": "hub", "GroupDescription": cidr, "VpcId": "vpc-1"}},
            "SgOfNewVpc": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupName": "hub", "GroupDescription": "d", "VpcId": {"Ref": "Vpc"}}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/20"}},
            "Lb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Subnets": [{"Ref": "Subnet"}]}},
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeySpec": if cidr.starts_with("10.0") { "SYMMETRIC_DEFAULT" } else { "RSA_2048" }}}
        }})
    };
    let report = diff(
        vec![stack("frame", named("10.0.0.0/16"))],
        vec![stack("frame", named("10.1.0.0/16"))],
    );
    let fails = |id: &str| {
        find(&report, "frame", id)
            .map(|r| r.fails.clone())
            .unwrap_or_default()
    };
    assert!(
        fails("Sg")
            .iter()
            .any(|f| f.contains("keeps its GroupName")),
        "{:?}",
        fails("Sg")
    );
    assert!(
        fails("Lb").iter().any(|f| f.contains("VPC is fixed")),
        "{:?}",
        fails("Lb")
    );
    assert!(
        fails("Key")
            .iter()
            .any(|f| f.contains("KeySpec cannot change")),
        "{:?}",
        fails("Key")
    );
    assert!(
        fails("Subnet").is_empty(),
        "a subnet has no custom name: {:?}",
        fails("Subnet")
    );
    assert!(
        fails("SgOfNewVpc").is_empty(),
        "a group name is unique per VPC, and the VPC is new: {:?}",
        fails("SgOfNewVpc")
    );
    assert!(report.risks.iter().filter(|r| r.risk == "fails").count() >= 3);
}

#[test]
fn a_standalone_database_updates_its_backup_window_in_place() {
    let db = |days: u32| {
        json!({"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "Engine": "postgres", "BackupRetentionPeriod": days, "DeletionProtection": true}}}})
    };
    let report = diff(vec![stack("hub", db(7))], vec![stack("hub", db(14))]);
    assert_eq!(
        find(&report, "hub", "Db").map(|r| r.impact),
        Some(Impact::Update)
    );
    assert!(report.risks.is_empty(), "{:?}", report.risks);

    let mut restored = db(14);
    restored["Resources"]["Db"]["Properties"]["DBSnapshotIdentifier"] = json!("snap");
    let mut before = db(7);
    before["Resources"]["Db"]["Properties"]["DBSnapshotIdentifier"] = json!("snap");
    let report = diff(vec![stack("hub", before)], vec![stack("hub", restored)]);
    let db = find(&report, "hub", "Db").expect("listed");
    assert_eq!(db.impact, Impact::MayReplace);
    assert!(db.deletion_protected);
    assert!(
        report.risks[0]
            .message
            .contains("deletion protection is on"),
        "{}",
        report.risks[0].message
    );
}

#[test]
fn an_attribute_read_from_an_in_place_update_may_replace_its_reader() {
    let hub = |port: u32| {
        json!({"Resources": {
            "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "postgres", "Port": port}},
            "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [{"Name": "hub",
                "Environment": [{"Name": "PORT", "Value": {"Fn::GetAtt": ["Db", "Endpoint.Port"]}}]}]}},
            "Log": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30, "Tags": [{"Key": "db", "Value": {"Ref": "Db"}}]}}
        }})
    };
    let report = diff(vec![stack("hub", hub(5432))], vec![stack("hub", hub(5433))]);
    assert_eq!(
        find(&report, "hub", "Db").map(|r| r.impact),
        Some(Impact::Update)
    );
    let task = find(&report, "hub", "Task").expect("the reader is marked");
    assert_eq!(task.impact, Impact::MayReplace);
    assert!(
        task.because[0].contains("reads Db.Endpoint.Port"),
        "{:?}",
        task.because
    );
    assert!(
        find(&report, "hub", "Log").is_none(),
        "a Ref of an updated resource does not change"
    );
}

#[test]
fn a_replacement_that_keeps_what_only_one_can_hold_fails() {
    let frame = |zone: &str, ttl: u32| {
        json!({"Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/20", "AvailabilityZone": zone}},
            "Eip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
            "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {"SubnetId": {"Ref": "Subnet"}, "AllocationId": {"Fn::GetAtt": ["Eip", "AllocationId"]}}},
            "Hub": {"Type": "AWS::ServiceDiscovery::Service", "Properties": {"Name": "hub",
                "HealthCheckCustomConfig": {"FailureThreshold": if zone.ends_with('a') { 1 } else { 2 }},
                "DnsConfig": {"NamespaceId": "ns-1", "DnsRecords": [{"Type": "A", "TTL": ttl}]}}}
        }})
    };
    let report = diff(
        vec![stack("frame", frame("eu-west-1a", 10))],
        vec![stack("frame", frame("eu-west-1b", 60))],
    );
    let fails = |id: &str| {
        find(&report, "frame", id)
            .map(|r| r.fails.clone())
            .unwrap_or_default()
    };
    assert!(
        fails("Subnet").iter().any(|f| f.contains("CidrBlock")),
        "{:?}",
        fails("Subnet")
    );
    assert!(
        fails("Nat").iter().any(|f| f.contains("AllocationId")),
        "{:?}",
        fails("Nat")
    );
    assert!(
        fails("Hub").iter().any(|f| f.contains("Name \"hub\"")),
        "a TTL change does not move the service to another namespace: {:?}",
        fails("Hub")
    );
}

#[test]
fn a_database_updated_in_place_does_not_mark_what_reads_its_address() {
    let hub = |protected: bool| {
        json!({"Resources": {
            "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "postgres", "DeletionProtection": protected}},
            "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [{"Name": "hub",
                "Environment": [{"Name": "HOST", "Value": {"Fn::GetAtt": ["Db", "Endpoint.Address"]}},
                                {"Name": "PORT", "Value": {"Fn::GetAtt": ["Db", "Endpoint.Port"]}}]}]}}
        }})
    };
    let report = diff(
        vec![stack("hub", hub(false))],
        vec![stack("hub", hub(true))],
    );
    assert!(
        find(&report, "hub", "Task").is_none(),
        "{:?}",
        find(&report, "hub", "Task")
    );
}

#[test]
fn markdown_stays_under_the_limit_when_the_risks_alone_would_not() {
    let mut logs = serde_json::Map::new();
    for i in 0..600 {
        logs.insert(
            format!("LogGroupWithAVeryLongLogicalIdNumber{i:04}"),
            json!({"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}}),
        );
    }
    let report = diff(
        vec![stack("hub", json!({"Resources": logs}))],
        vec![stack("hub", json!({"Resources": {}}))],
    );
    assert_eq!(report.risks.len(), 600);
    let full = render::markdown(&report, usize::MAX);
    assert!(full.chars().count() > 65_536, "the case must need the cap");
    let cut = render::markdown(&report, render::GITHUB_COMMENT_LIMIT);
    assert!(
        cut.chars().count() < 65_536,
        "{} characters",
        cut.chars().count()
    );
    assert!(
        cut.contains("… 580 more: run `hubctl diff` for all of them"),
        "{}",
        &cut[..2000]
    );
    assert!(cut.trim_end().ends_with("</details>"));
}

#[test]
fn a_stack_dropped_from_the_config_is_left_behind_not_removed() {
    let before = snapshot(vec![
        stack("frame", frame("10.0.0.0/16", "Delete")),
        hub(false),
    ]);
    let after = snapshot(vec![stack("frame", frame("10.0.0.0/16", "Delete"))]);
    let report = compare(&before, &after, "base");
    assert_eq!(
        find(&report, "hub", "Sg").map(|r| r.impact),
        Some(Impact::Orphaned)
    );
    assert_eq!((report.summary.remove, report.summary.orphaned), (0, 2));
    assert!(
        report.risks.is_empty(),
        "deploy deletes nothing: {:?}",
        report.risks
    );
    assert_eq!(report.exit_code(true), 1);
}
