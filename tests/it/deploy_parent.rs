//! `hubctl parent deploy` end to end, and deploy's check before any stack that the role it
//! makes can be assumed: the real binary against the patched moto (whose AssumeRole, like
//! STS, refuses a role that does not exist or does not trust the caller: the launcher's
//! patch 17), with the parent DNS account's owner as an IAM user of account 111111111111
//! behind profile `dns-admin`.

use std::time::{Duration, Instant};

use crate::deploy::Aws;

const CONFIG: &str = "tests/deploy/moto.yaml";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The proxy's calls to CloudFormation and IAM (every one, reads too).
fn stack_calls(aws: &Aws) -> Vec<String> {
    aws.requests()
        .into_iter()
        .filter(|(service, _, _)| service == "cloudformation" || service == "iam")
        .map(|(service, action, _)| format!("{service} {action}"))
        .collect()
}

#[test]
fn parent_deploy_makes_each_accounts_role_in_the_parent_account_and_a_rerun_changes_nothing() {
    let aws = Aws::start(&[]);
    let zone_id = aws.parent(&["create", "example.com"]);
    let zone_id = zone_id.trim_start_matches("/hostedzone/");

    let first = aws.parent_deploy_with(CONFIG, &[]).output().unwrap();
    let (stdout, stderr) = (text(&first.stdout), text(&first.stderr));
    assert!(first.status.success(), "parent deploy: {stderr}");
    assert!(
        stdout.contains(&format!(
            "parent stack e2e-delegation-role deployed in account 111111111111 (us-east-1), zone example.com ({zone_id})"
        )),
        "{stdout}"
    );
    for line in [
        "arn:aws:iam::111111111111:role/DomainOperatorRole-123456789012 (assumed by account 123456789012; NS records of dev.example.com)",
        "arn:aws:iam::111111111111:role/DomainOperatorRole-999999999999 (assumed by account 999999999999; NS records of wrong.example.com)",
    ] {
        assert!(stdout.contains(line), "{line:?} in {stdout}");
    }
    assert!(
        stderr.contains("e2e-delegation-role: CREATE_COMPLETE"),
        "{stderr}"
    );
    // In the parent account, with the zone found by its name.
    let stack: serde_json::Value =
        serde_json::from_str(&aws.parent(&["stack", "e2e-delegation-role"])).unwrap();
    assert_eq!(stack["status"], "CREATE_COMPLETE", "{stack}");
    assert_eq!(
        stack["parameters"]["ParentHostedZoneId"], zone_id,
        "{stack}"
    );
    assert_eq!(stack["tags"]["hubctl:project"], "e2e", "{stack}");
    let role: serde_json::Value =
        serde_json::from_str(&aws.parent(&["role", "DomainOperatorRole-123456789012"])).unwrap();
    assert_eq!(
        role["trust"]["Statement"],
        serde_json::json!([{
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]},
            "Sid": "OnlyThisWorkloadAccountAssumes"
        }]),
        "the role trusts only its workload account: {role}"
    );
    let n_mutating = aws.mutating().len();
    assert!(
        aws.mutating()
            .iter()
            .any(|m| m == "cloudformation ExecuteChangeSet"),
        "{:?}",
        aws.mutating()
    );

    // Again, with nothing changed: reads only, and it says so.
    let second = aws.parent_deploy_with(CONFIG, &[]).output().unwrap();
    let stdout = text(&second.stdout);
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(
        stdout.contains("parent stack e2e-delegation-role unchanged in account 111111111111"),
        "{stdout}"
    );
    assert_eq!(
        aws.mutating().len(),
        n_mutating,
        "a re-run made mutating calls: {:?}",
        &aws.mutating()[n_mutating..]
    );
    // The same for machines.
    let json = aws
        .parent_deploy_with(CONFIG, &["--output", "json"])
        .output()
        .unwrap();
    assert!(json.status.success(), "{}", text(&json.stderr));
    let said: serde_json::Value = serde_json::from_slice(&json.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}", text(&json.stdout)));
    assert_eq!(said["status"], "unchanged", "{said}");
    assert_eq!(said["account"], "111111111111", "{said}");
    assert_eq!(said["zone"], "example.com", "{said}");
    assert_eq!(said["roles"][0]["account"], "123456789012", "{said}");
    assert_eq!(aws.mutating().len(), n_mutating);
}

#[test]
fn parent_deploy_with_the_workloads_credentials_is_refused_before_any_change() {
    let aws = Aws::start(&[]);
    aws.parent(&["create", "example.com"]);
    // No --profile: the environment's keys, moto's default account 123456789012.
    let output = aws
        .hubctl_with(CONFIG, &["parent", "deploy", "--yes"])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("are for account 123456789012, but the parent template deploys into the parent DNS account 111111111111")
            && stderr.contains("--profile")
            && stderr.trim_end().ends_with("nothing was changed"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stack_calls(&aws).is_empty(), "{:?}", stack_calls(&aws));
}

#[test]
fn parent_deploy_without_the_parent_zone_names_it_and_its_account() {
    let aws = Aws::start(&[]);
    let output = aws.parent_deploy_with(CONFIG, &[]).output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("account 111111111111 has no public hosted zone named example.com")
            && stderr.contains("dns.parent_zone")
            && stderr.trim_end().ends_with("nothing was changed"),
        "{stderr}"
    );
    assert!(stack_calls(&aws).is_empty(), "{:?}", stack_calls(&aws));
    assert_eq!(aws.parent(&["stack", "e2e-delegation-role"]), "null");
}

#[test]
fn a_deploy_whose_parent_role_does_not_exist_stops_before_any_stack_in_one_line() {
    let aws = Aws::start(&[]);
    aws.parent(&["create", "example.com"]);
    let started = Instant::now();
    let output = aws
        .hubctl(&["deploy", "--env", "dev", "--skip-helm"])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let line = stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "one line: {stderr}");
    for needle in [
        "error: cannot assume the delegation role arn:aws:iam::111111111111:role/DomainOperatorRole-123456789012 in the parent DNS account 111111111111 from workload account 123456789012 (region eu-west-1)",
        "AssumeRole arn:aws:iam::111111111111:role/DomainOperatorRole-123456789012: AccessDenied: User: arn:aws:sts::123456789012:assumed-role/Deployer/ci is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role/DomainOperatorRole-123456789012",
        "hubctl parent deploy --profile <dns-admin>",
        "its trust does not name account 123456789012",
    ] {
        assert!(line.contains(needle), "{needle:?} in {line}");
    }
    assert!(line.ends_with("nothing was changed"), "{line}");
    // Asked once: not the delegation's 90 s of retries.
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    // No stack was asked about, let alone made.
    assert!(stack_calls(&aws).is_empty(), "{:?}", stack_calls(&aws));
    assert!(aws.mutating().is_empty(), "{:?}", aws.mutating());
    let asked: Vec<String> = aws
        .requests()
        .into_iter()
        .map(|(_, action, _)| action)
        .collect();
    assert_eq!(asked, ["GetCallerIdentity", "AssumeRole"]);
}

#[test]
fn on_a_terminal_a_missing_parent_role_is_said_before_the_question() {
    let aws = Aws::start(&[]);
    aws.parent(&["create", "example.com"]);
    let (code, screen) = aws.on_a_terminal("deploy --env dev --skip-helm", "y\n");
    assert_eq!(code, Some(2), "{screen}");
    assert!(
        screen.contains("cannot assume the delegation role arn:aws:iam::111111111111:role/DomainOperatorRole-123456789012"),
        "{screen}"
    );
    assert!(!screen.contains("[y/N]"), "asked anyway: {screen}");
    let asked: Vec<String> = aws
        .requests()
        .into_iter()
        .map(|(_, action, _)| action)
        .collect();
    assert_eq!(asked, ["GetCallerIdentity", "AssumeRole"]);
}

#[test]
fn on_a_terminal_parent_deploy_asks_only_when_something_would_change() {
    let aws = Aws::start(&[]);
    aws.parent(&["create", "example.com"]);
    let profile = aws.dns_admin_profile();
    let deploy = "parent deploy --profile dns-admin";

    let (code, screen) = aws.on_a_terminal_with(deploy, "n\n", &profile);
    assert_eq!(code, Some(1), "{screen}");
    assert!(
        screen.contains("create stack e2e-delegation-role (2 role(s) for example.com in zone ")
            && screen.contains(") in account 111111111111 (us-east-1)? [y/N]")
            && screen.contains("nothing changed"),
        "{screen}"
    );
    assert!(aws.mutating().is_empty(), "declined: {:?}", aws.mutating());

    let (code, screen) = aws.on_a_terminal_with(deploy, "y\n", &profile);
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains("parent stack e2e-delegation-role deployed"),
        "{screen}"
    );

    // Nothing to change: no question.
    let n_mutating = aws.mutating().len();
    let (code, screen) = aws.on_a_terminal_with(deploy, "", &profile);
    assert_eq!(code, Some(0), "{screen}");
    assert!(!screen.contains("[y/N]"), "asked: {screen}");
    assert!(
        screen.contains("parent stack e2e-delegation-role unchanged"),
        "{screen}"
    );
    assert_eq!(aws.mutating().len(), n_mutating);
}
