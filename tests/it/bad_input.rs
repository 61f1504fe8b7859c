//! Bad input: every rule of the config gives exit code 2, a message naming the file, the
//! line and column, the key and the fix, writes nothing, and never panics.

use crate::support::hubctl;

/// A valid config; each case below changes one thing in it.
const VALID: &str = r#"project: demo
region: eu-west-1
dns:
  parent_zone: example.com
  parent_account: "111111111111"
  delegation_role: DomainOperatorRole
network:
  vpc_cidr: 10.0.0.0/16
hub:
  platform: ecs
  hub_image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/hub:1.0.0
  user_image: quay.io/jupyter/base-notebook:2025-06-30
  admins: [alice]
  allowed_cidrs: [203.0.113.0/24]
  auth: {kind: cognito}
environments:
  dev:
    account: "123456789012"
    dns:
      subzone: dev.example.com
      hub_host: hub.dev.example.com
"#;

/// Runs validate on `yaml` and checks that it is accepted (exit 0; the output is shown
/// when it is not).
fn accepts(yaml: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hubctl.yaml"), yaml).unwrap();
    hubctl()
        .current_dir(dir.path())
        .arg("validate")
        .assert()
        .success();
}

/// Runs synth on `yaml` and checks the exit code, that every `expected` text is in the
/// error output, and that nothing was written. Returns stderr.
fn rejects(yaml: &str, expected: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hubctl.yaml"), yaml).unwrap();
    let output = hubctl()
        .current_dir(dir.path())
        .args(["synth", "--out", "out"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(2),
        "exit code for:\n{yaml}\nstderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    for text in expected {
        assert!(stderr.contains(text), "expected {text:?} in:\n{stderr}");
    }
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        entries,
        ["hubctl.yaml"],
        "nothing may be written, not even a directory"
    );
    stderr
}

fn replace(from: &str, to: &str) -> String {
    assert!(VALID.contains(from), "{from:?} is not in the valid config");
    VALID.replacen(from, to, 1)
}

#[test]
fn the_valid_config_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hubctl.yaml"), VALID).unwrap();
    hubctl()
        .current_dir(dir.path())
        .args(["synth", "--out", "out"])
        .assert()
        .success();
}

#[test]
fn malformed_yaml() {
    rejects(
        &replace("  parent_zone: example.com", "  parent_zone: [example.com"),
        &["hubctl.yaml:", "YAML syntax error"],
    );
}

#[test]
fn duplicate_key() {
    rejects(
        &replace(
            "region: eu-west-1\n",
            "region: eu-west-1\nregion: eu-west-2\n",
        ),
        &["hubctl.yaml:3:1: region: is written twice in the same mapping; keep one of the two"],
    );
}

#[test]
fn a_duplicate_key_is_named_with_its_path() {
    rejects(
        &replace(
            "      subzone: dev.example.com\n",
            "      subzone: dev.example.com\n      subzone: dev2.example.com\n",
        ),
        &["hubctl.yaml:21:7: environments.dev.dns.subzone: is written twice in the same mapping"],
    );
}

#[test]
fn a_secret_in_another_account_is_refused_with_what_it_would_need() {
    let external = replace(
        "  auth: {kind: cognito}\n",
        "  auth: {kind: cognito}\n  database:\n    kind: external\n    url_secret_arn: arn:aws:secretsmanager:eu-west-1:999999999999:secret:hub/db-url-AbCdEf\n",
    );
    rejects(
        &external,
        &[
            "hub.database.url_secret_arn: the secret is in account 999999999999, the environment in 123456789012",
            "a resource policy on the secret and a customer-managed KMS key",
        ],
    );
}

#[test]
fn an_existing_pool_named_by_environments_of_two_accounts_is_refused() {
    let shared = format!(
        "{}  prod:\n    account: \"210987654321\"\n    dns: {{subzone: prod.example.com, hub_host: hub.prod.example.com}}\n    hub: {{hub_image: 210987654321.dkr.ecr.eu-west-1.amazonaws.com/hub:1.0.0}}\n",
        replace(
            "  auth: {kind: cognito}\n",
            "  auth: {kind: cognito, user_pool_id: eu-west-1_AbCdEf123, domain: login.example.com}\n",
        )
    );
    rejects(
        &shared,
        &[
            "hubctl.yaml:15:39: hub.auth.user_pool_id: environment `prod` (account 210987654321) names user pool eu-west-1_AbCdEf123, which environment `dev` names in account 123456789012",
            "name the pool only under the environments of the account that owns it (`environments.<env>.hub.auth`: `user_pool_id` and `domain`; an overlay cannot unset a shared key)",
        ],
    );
    // Two environments of one account share it; a pool of its own account, or one its hub
    // stack creates (the existing pool named under dev only), is fine.
    let same_account = shared
        .replace("account: \"210987654321\"", "account: \"123456789012\"")
        .replace(
            "hub: {hub_image: 210987654321.dkr.ecr.eu-west-1.amazonaws.com/hub:1.0.0}",
            "hub: {hub_image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/prod/hub:1.0.0}",
        );
    assert!(!same_account.contains("210987654321"));
    let own_pool = shared.replace(
        "hub: {hub_image: 210987654321",
        "hub: {auth: {kind: cognito, user_pool_id: eu-west-1_ZyXwVu987, domain: login.prod.example.com}, hub_image: 210987654321",
    );
    let dev_only = shared
        .replace(
            "  auth: {kind: cognito, user_pool_id: eu-west-1_AbCdEf123, domain: login.example.com}\n",
            "  auth: {kind: cognito}\n",
        )
        .replace(
            "      hub_host: hub.dev.example.com\n",
            "      hub_host: hub.dev.example.com\n    hub: {auth: {user_pool_id: eu-west-1_AbCdEf123, domain: login.example.com}}\n",
        );
    assert!(
        own_pool.contains("ZyXwVu987") && !dev_only.contains("auth: {kind: cognito, user_pool_id")
    );
    assert_eq!(
        dev_only
            .matches("user_pool_id: eu-west-1_AbCdEf123")
            .count(),
        1
    );
    for own in [same_account, own_pool, dev_only] {
        accepts(&own);
    }
}

#[test]
fn an_environment_name_must_not_fall_under_anothers_task_definitions() {
    let clash = format!(
        "{VALID}  dev-user:\n    account: \"123456789012\"\n    dns: {{subzone: du.example.com, hub_host: du.example.com}}\n"
    );
    rejects(
        &clash,
        &["environments.dev.account: environment `dev-user` shares this account, and its task definitions (demo-dev-user-user-...) would match the `demo-dev-user-*`"],
    );
    accepts(&clash.replace(
        "dev-user:\n    account: \"123456789012\"",
        "dev-user:\n    account: \"210987654321\"\n    hub: {hub_image: public.ecr.aws/demo/hub:1.0.0}",
    ));
}

#[test]
fn root_is_not_a_mapping() {
    rejects("- a\n- b\n", &["hubctl.yaml:1:1", "not a mapping"]);
}

#[test]
fn missing_keys_point_at_the_mapping_and_name_the_environment() {
    rejects(
        &replace("      hub_host: hub.dev.example.com\n", ""),
        &["hubctl.yaml:19:5: environments.dev.dns.hub_host: is missing for environment `dev`; add `hub_host:"],
    );
}

#[test]
fn empty_file() {
    rejects("", &["environments: is missing"]);
}

#[test]
fn wrong_type() {
    rejects(
        &replace("vpc_cidr: 10.0.0.0/16", "vpc_cidr: [10, 0]"),
        &["hubctl.yaml:8:13: network.vpc_cidr: expected a string, found a list"],
    );
    rejects(
        &replace("platform: ecs", "platform: 3"),
        &["hubctl.yaml:10:13: hub.platform: expected a string, found an integer"],
    );
}

#[test]
fn unknown_key_with_did_you_mean() {
    rejects(
        &replace("      subzone: dev", "      subzon: dev"),
        &["hubctl.yaml:20:7: environments.dev.dns.subzon: unknown key `subzon`; did you mean `subzone`?"],
    );
    rejects(
        &replace("project: demo", "project: demo\nbanana: 1"),
        &["hubctl.yaml:2:1: banana: unknown key `banana`; known keys here:"],
    );
}

#[test]
fn account_ids_have_twelve_digits() {
    rejects(
        &replace("account: \"123456789012\"", "account: \"12345678901\""),
        &["hubctl.yaml:18:14: environments.dev.account: \"12345678901\" is not a 12-digit AWS account id"],
    );
    rejects(
        &replace("parent_account: \"111111111111\"", "parent_account: 11111"),
        &["dns.parent_account", "quote it"],
    );
}

#[test]
fn region_must_exist() {
    rejects(&replace("region: eu-west-1", "region: eu-west-9"), &["hubctl.yaml:2:9: region: \"eu-west-9\" is not an AWS region; did you mean `eu-west-1`?"]);
}

#[test]
fn cidr_must_be_a_network_between_16_and_24() {
    rejects(
        &replace("10.0.0.0/16", "10.0.0.1/16"),
        &[
            "network.vpc_cidr",
            "host bits set; the network is 10.0.0.0/16",
        ],
    );
    rejects(
        &replace("10.0.0.0/16", "10.0.0.0/8"),
        &["network.vpc_cidr", "between /16 and /24"],
    );
    rejects(
        &replace("10.0.0.0/16", "10.0.0/16"),
        &["network.vpc_cidr", "CIDR notation"],
    );
}

#[test]
fn two_to_six_availability_zones() {
    rejects(
        &replace(
            "vpc_cidr: 10.0.0.0/16",
            "vpc_cidr: 10.0.0.0/16\n  availability_zones: 7",
        ),
        &["network.availability_zones", "from 2 to 6"],
    );
    rejects(
        &replace(
            "vpc_cidr: 10.0.0.0/16",
            "vpc_cidr: 10.0.0.0/16\n  availability_zones: [eu-west-1a, us-east-1b]",
        ),
        &[
            "network.availability_zones[1]",
            "not an availability zone of eu-west-1",
        ],
    );
    rejects(
        &replace(
            "vpc_cidr: 10.0.0.0/16",
            "vpc_cidr: 10.0.0.0/16\n  nat_gateways: 3",
        ),
        &[
            "network.nat_gateways",
            "3 NAT gateways for 2 availability zones",
        ],
    );
}

#[test]
fn a_zone_count_the_region_lacks_is_refused() {
    // eu-west-1 has three zones; CloudFormation would refuse Fn::Select index 3 only at
    // deploy time, after the change set was made.
    rejects(
        &replace(
            "vpc_cidr: 10.0.0.0/16",
            "vpc_cidr: 10.0.0.0/16\n  availability_zones: 4",
        ),
        &[
            "network.availability_zones",
            "4 availability zones, but eu-west-1 has 3 where ECS Fargate runs (euw1-az1, euw1-az2, euw1-az3)",
            "give a count from 2 to 3",
        ],
    );
    // A region outside the table: the zones must be named, also for the default count.
    let yaml = replace("region: eu-west-1", "region: ap-southeast-7");
    let yaml = yaml.replace("eu-west-1:", "ap-southeast-7:");
    let message = rejects(
        &yaml,
        &[
            "network",
            "hubctl's zone table has no zones for ap-southeast-7",
            "availability_zones: [ap-southeast-7a, ap-southeast-7b]",
        ],
    );
    assert!(!message.contains("eu-west-1 has"), "{message}");
}

#[test]
fn subzone_is_a_strict_child_of_the_parent_zone() {
    rejects(
        &replace("subzone: dev.example.com", "subzone: dev.example.org"),
        &["hubctl.yaml:20:16: environments.dev.dns.subzone: \"dev.example.org\" is not a child of parent_zone \"example.com\""],
    );
    rejects(
        &replace("subzone: dev.example.com", "subzone: example.com"),
        &["is not a child of parent_zone"],
    );
    rejects(
        &replace("subzone: dev.example.com", "subzone: devexample.com"),
        &["is not a child of parent_zone"],
    );
}

#[test]
fn hub_host_is_inside_the_subzone() {
    rejects(
        &replace("hub_host: hub.dev.example.com", "hub_host: hub.example.com"),
        &["environments.dev.dns.hub_host: \"hub.example.com\" is not inside subzone \"dev.example.com\""],
    );
}

#[test]
fn dns_names_are_valid() {
    rejects(
        &replace("parent_zone: example.com", "parent_zone: ex_ample.com"),
        &["dns.parent_zone", "may hold only a-z, 0-9 and '-'"],
    );
    rejects(
        &replace("parent_zone: example.com", "parent_zone: example.com."),
        &["dns.parent_zone", "trailing dot"],
    );
    rejects(
        &replace("parent_zone: example.com", "parent_zone: Example.com"),
        &["dns.parent_zone", "uppercase"],
    );
}

#[test]
fn delegation_role_is_a_name_or_an_arn_in_the_parent_account() {
    rejects(
        &replace(
            "delegation_role: DomainOperatorRole",
            "delegation_role: Domain Operator",
        ),
        &["dns.delegation_role", "is not an IAM role name"],
    );
    rejects(
        &replace(
            "delegation_role: DomainOperatorRole",
            "delegation_role: arn:aws:iam::999999999999:role/DomainOperatorRole",
        ),
        &[
            "dns.delegation_role",
            "in account 999999999999, not in parent_account 111111111111",
        ],
    );
    rejects(
        &replace(
            "delegation_role: DomainOperatorRole",
            "delegation_role: arn:aws:iam::111111111111:user/bob",
        ),
        &["dns.delegation_role", "is not an IAM role ARN"],
    );
    rejects(
        &replace(
            "delegation_role: DomainOperatorRole",
            "delegation_role: arn:aws-cn:iam::111111111111:role/DomainOperatorRole",
        ),
        &[
            "dns.delegation_role",
            "role ARN is in AWS partition `aws-cn`, the environment's region in `aws`",
        ],
    );
}

#[test]
fn every_environment_has_an_account() {
    rejects(
        &replace("    account: \"123456789012\"\n", ""),
        &["hubctl.yaml:17:3: environments.dev.account: is missing"],
    );
    rejects(
        &replace("project: demo", "project: demo\naccount: \"123456789012\""),
        &["account", "belongs to an environment"],
    );
}

#[test]
fn project_is_usable_in_stack_names() {
    rejects(
        &replace("project: demo", "project: My Project"),
        &["hubctl.yaml:1:10: project: \"My Project\" cannot be used in stack names"],
    );
    rejects(
        &replace(
            "project: demo",
            "project: a-very-long-project-name-for-stacks",
        ),
        &["project", "at most 20 characters"],
    );
    rejects(
        &replace("  dev:\n", "  Dev_1:\n"),
        &["environments.Dev_1", "cannot be used in stack names"],
    );
    rejects(
        &replace("  dev:\n", "  parent:\n"),
        &["environments.parent", "reserved"],
    );
}

#[test]
fn plaintext_secrets_are_rejected_without_echoing_them() {
    let stderr = rejects(
        &replace(
            "  platform: ecs",
            "  platform: ecs\n  client_secret: s3ntinel-value-must-not-leak",
        ),
        &[
            "hubctl.yaml:11:3: hub.client_secret: plaintext secrets are not allowed",
            "client_secret_arn",
        ],
    );
    assert!(
        !stderr.contains("s3ntinel"),
        "the secret value leaked: {stderr}"
    );
    rejects(
        &replace("project: demo", "project: demo\ndb_password: hunter2"),
        &["db_password", "Secrets Manager"],
    );
}

#[test]
fn overlays_cannot_change_the_project_or_the_parent_zone() {
    rejects(
        &replace(
            "    account: \"123456789012\"",
            "    account: \"123456789012\"\n    project: other",
        ),
        &["environments.dev.project", "cannot be set per environment"],
    );
    let two_envs = format!(
        "{VALID}  prod:\n    account: \"210987654321\"\n    dns:\n      parent_zone: example.org\n      subzone: prod.example.org\n      hub_host: hub.prod.example.org\n"
    );
    rejects(
        &two_envs,
        &[
            "environments.prod.dns.parent_zone",
            "environments.prod.dns.parent_zone: differs from the top-level value",
        ],
    );
}

#[test]
fn environments_need_their_own_subzone() {
    let twin = format!(
        "{VALID}  prod:\n    account: \"210987654321\"\n    dns:\n      subzone: dev.example.com\n      hub_host: hub.dev.example.com\n"
    );
    rejects(
        &twin,
        &[
            "environments.prod.dns.subzone",
            "already the subzone of environment `dev`",
        ],
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let many = replace("region: eu-west-1", "region: mars-1")
        .replace("vpc_cidr: 10.0.0.0/16", "vpc_cidr: 300.0.0.0/16")
        .replace("subzone: dev.example.com", "subzone: dev.other.com");
    let stderr = rejects(
        &many,
        &[
            "region",
            "network.vpc_cidr",
            "environments.dev.dns.subzone",
            "environments.dev.dns.hub_host",
            "4 problems in the config",
        ],
    );
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("hubctl.yaml:"))
        .collect();
    assert_eq!(lines.len(), 4, "{stderr}");
    // Sorted by position in the file.
    let positions: Vec<&str> = lines
        .iter()
        .map(|line| line.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        positions,
        [
            "hubctl.yaml:2:9",
            "hubctl.yaml:8:13",
            "hubctl.yaml:20:16",
            "hubctl.yaml:21:17"
        ]
    );
}

/// `count` more environments after the valid one, in `accounts` workload accounts.
fn with_environments(count: usize, accounts: u64, subzone_label: &str) -> String {
    let mut yaml = VALID.to_string();
    for i in 0..count {
        yaml.push_str(&format!(
            // A public image: the shared one is in dev's own registry, which another account
            // could not pull.
            "  e{i}:\n    account: \"{:012}\"\n    dns: {{subzone: e{i}{subzone_label}.example.com, hub_host: e{i}{subzone_label}.example.com}}\n    hub: {{hub_image: public.ecr.aws/demo/hub:1.0.0}}\n",
            500_000_000_000u64 + i as u64 % accounts
        ));
    }
    yaml
}

#[test]
fn the_delegation_roles_must_fit_iam_and_cloudformation_limits() {
    // One role per workload account: 60 accounts are fine (the old single role took 11).
    accepts(&with_environments(60, 60, ""));
    // One account whose subzones outgrow its role's 10,240 characters of policy.
    let label = format!("-{}", "x".repeat(50));
    let stderr = rejects(
        &with_environments(200, 1, &label),
        &[
            "environments.e199.account: account 500000000000: its 200 subzones need a delegation-role policy of",
            "and IAM allows 10240 per role",
            "split them into a second config with another dns.delegation_role",
        ],
    );
    assert_eq!(
        stderr.matches("account 500000000000:").count(),
        1,
        "{stderr}"
    );
    // More workload accounts than one parent template can hold.
    rejects(
        &with_environments(300, 300, ""),
        &[
            "environments: the parent template for 301 workload accounts would be",
            "CloudFormation accepts 1000000",
            "split the environments into configs with different dns.delegation_role names",
        ],
    );
}

#[test]
fn the_delegation_role_name_leaves_room_for_the_account() {
    rejects(
        &replace(
            "delegation_role: DomainOperatorRole",
            &format!("delegation_role: {}", "R".repeat(52)),
        ),
        &[
            "dns.delegation_role",
            "has 52 characters: hubctl names the parent account's role for each workload account",
            "use a name of at most 51 characters",
        ],
    );
    rejects(
        &replace(
            "delegation_role: DomainOperatorRole",
            &format!(
                "delegation_role: arn:aws:iam::111111111111:role/dns/{}",
                "R".repeat(52)
            ),
        ),
        &["dns.delegation_role", "has 52 characters"],
    );
}

#[test]
fn tags_carry_no_secrets_and_no_hubctl_keys() {
    let stderr = rejects(
        &replace(
            "project: demo",
            "project: demo\ntags:\n  db_password: s3ntinel-tag-secret\n  hubctl:owner: me",
        ),
        &[
            "hubctl.yaml:3:3: tags.db_password: tags are copied onto every resource",
            "tags.hubctl:owner",
            "hubctl:` are hubctl's own",
        ],
    );
    assert!(!stderr.contains("s3ntinel"), "{stderr}");
}

#[test]
fn subzones_must_not_nest() {
    let nested = format!(
        "{VALID}  prod:\n    account: \"210987654321\"\n    dns:\n      subzone: x.dev.example.com\n      hub_host: x.dev.example.com\n"
    );
    rejects(&nested, &["environments.prod.dns.subzone: \"x.dev.example.com\" and environment `dev`'s subzone \"dev.example.com\" nest"]);
}

#[test]
fn an_overlay_key_is_reported_once() {
    let stderr = rejects(
        &replace(
            "    account: \"123456789012\"",
            "    account: \"123456789012\"\n    projct: x",
        ),
        &["environments.dev.projct: unknown key"],
    );
    assert_eq!(
        stderr.matches("projct").count(),
        2,
        "one line (path and message), not two: {stderr}"
    );
}

#[test]
fn environments_must_be_a_mapping() {
    let stderr = rejects(
        &VALID.replace("environments:\n  dev:", "environments: [dev]\nold:\n  dev:"),
        &[
            "environments: expected a mapping of environment names, found a list",
            "old: unknown key `old`",
        ],
    );
    assert!(!stderr.contains("has no environment"), "{stderr}");
}

#[test]
fn every_bad_zone_in_a_list_is_reported() {
    let stderr = rejects(
        &replace(
            "vpc_cidr: 10.0.0.0/16",
            "vpc_cidr: 10.0.0.0/16\n  availability_zones: [us-east-1a, eu-west-1b, eu-west-1b]",
        ),
        &[
            "network.availability_zones[0]",
            "not an availability zone of eu-west-1",
            "network.availability_zones[2]: \"eu-west-1b\" is listed twice",
        ],
    );
    assert!(stderr.contains("2 problems"), "{stderr}");
}

#[test]
fn role_paths_and_cidrs_are_strict() {
    rejects(
        &replace(
            "delegation_role: DomainOperatorRole",
            "delegation_role: \"arn:aws:iam::111111111111:role/a b/Name\"",
        ),
        &["dns.delegation_role", "is not an IAM role path"],
    );
    rejects(
        &replace("10.0.0.0/16", "010.0.0.0/16"),
        &["network.vpc_cidr", "no leading zero"],
    );
}

#[test]
fn users_times_profiles_must_fit_one_stack() {
    let users: Vec<String> = (0..90).map(|i| format!("user{i}")).collect();
    let yaml = replace("  admins: [alice]", &format!("  admins: [alice]\n  allowed_users: [{}]\n  profiles: [{{name: a, cpu: 256, memory: 512}}, {{name: b, cpu: 256, memory: 1024}}, {{name: c, cpu: 256, memory: 2048}}, {{name: d, cpu: 512, memory: 1024}}, {{name: e, cpu: 512, memory: 2048}}]", users.join(", ")));
    rejects(
        &yaml,
        &["hub: 91 users × 5 profiles need 728 resources in the hub stack"],
    );
}

#[test]
fn hub_settings_that_would_fail_at_deploy_are_refused() {
    rejects(
        &replace("project: demo", "project: awsdemo"),
        &["project", "would contain \"aws\", which Cognito refuses"],
    );
    rejects(
        &replace(
            "  auth: {kind: cognito}",
            "  auth: {kind: cognito, user_pool_id: us-east-1_Abc123, domain: login.example.com}",
        ),
        &[
            "hub.auth.user_pool_id",
            "the user pool is in us-east-1, the stack in eu-west-1",
        ],
    );
    let oauth = "  auth:\n    kind: oauth\n    authorize_url: https://sso.example.com/auth\n    token_url: https://sso.example.com/token\n    userdata_url: https://sso.example.com/userinfo\n    client_id: hub";
    rejects(
        &replace("  auth: {kind: cognito}", &format!("{oauth}\n    client_secret_arn: arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub/oauth")),
        &["hub.auth.client_secret_arn", "6-character suffix"],
    );
    rejects(
        &replace("  auth: {kind: cognito}", &format!("{oauth}\n    client_secret_arn: \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub/oauth-AbCdEf:password::\"")),
        &["hub.auth.client_secret_arn", "is not the complete ARN"],
    );
    rejects(
        &replace("  auth: {kind: cognito}", &format!("{oauth}\n    client_secret_arn: arn:aws-cn:secretsmanager:eu-west-1:123456789012:secret:hub/oauth-AbCdEf")),
        &["hub.auth.client_secret_arn", "\" is not the complete ARN of a Secrets Manager secret in the stack's region"],
    );
    let secret = "    client_secret_arn: arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub/oauth-AbCdEf";
    rejects(
        &replace(
            "  auth: {kind: cognito}",
            &format!("{oauth}\n{secret}\n    logout_url: http://sso.example.com/logout"),
        ),
        &["hub.auth.logout_url: \"http://sso.example.com/logout\" is not an https URL"],
    );
    let stderr = rejects(
        &replace("  auth: {kind: cognito}", &format!("{oauth}\n{secret}\n    logout_url: \"https://sso.example.com/logout?client_id=hub&id_token_hint=eyJhbGciOi.x.y\"")),
        &["hub.auth.logout_url: the URL carries `id_token_hint`, which would land in the task definition", "keep only public parameters"],
    );
    assert!(!stderr.contains("eyJhbGciOi"), "{stderr}");
    let logout = |url: &str| {
        replace(
            "  auth: {kind: cognito}",
            &format!("{oauth}\n{secret}\n    logout_url: \"{url}\""),
        )
    };
    // Under a percent-encoded name, or a JWT under a harmless one.
    rejects(
        &logout("https://sso.example.com/logout?%74oken=abc"),
        &["hub.auth.logout_url: the URL carries `token`"],
    );
    rejects(
        &logout("https://sso.example.com/logout?logout_hint=eyJhbGciOi.e30.c2ln"),
        &["hub.auth.logout_url: the URL carries `logout_hint`"],
    );
    // Credentials before the host: refused without printing them.
    let stderr = rejects(
        &logout("https://hub:s3cr3t-pw@sso.example.com/logout"),
        &["hub.auth.logout_url: the URL carries credentials (`user:password@` before the host)"],
    );
    assert!(!stderr.contains("s3cr3t-pw"), "{stderr}");
    // The way back names this environment's hub, not another's (a shared or stale value).
    rejects(
        &logout("https://sso.example.com/logout?client_id=hub&post_logout_redirect_uri=https%3A%2F%2Fhub.old.example.com%2Fhub%2Flogin"),
        &["hub.auth.logout_url: its `post_logout_redirect_uri` sends environment `dev`'s users to https://hub.old.example.com/hub/login, not to its hub https://hub.dev.example.com/", "with `post_logout_redirect_uri=https%3A%2F%2Fhub.dev.example.com%2Fhub%2Flogin`"],
    );
    rejects(
        &logout("https://sso.example.com/v2/logout?client_id=hub&returnTo=https://hub.dev.example.com.evil.example/"),
        &["hub.auth.logout_url: its `returnTo` sends environment `dev`'s users to https://hub.dev.example.com.evil.example/"],
    );
    // Auth0's and Keycloak's forms back to this hub are taken.
    for url in [
        "https://sso.example.com/v2/logout?client_id=hub&returnTo=https://hub.dev.example.com/hub/login",
        "https://sso.example.com/realms/x/protocol/openid-connect/logout?client_id=hub&post_logout_redirect_uri=https%3A%2F%2Fhub.dev.example.com%2Fhub%2Flogin",
    ] {
        accepts(&logout(url));
    }
    // Cognito's logout endpoint is hubctl's to build.
    rejects(
        &replace(
            "  auth: {kind: cognito}",
            "  auth: {kind: cognito, logout_url: \"https://login.example.com/logout\"}",
        ),
        &["hub.auth.logout_url: does not apply to kind `cognito`; remove it"],
    );
    rejects(
        &replace(
            "  auth: {kind: cognito}",
            "  auth: {kind: cognito}\n  database: {kind: postgres, engine_version: \"9\"}",
        ),
        &[
            "hub.database.engine_version",
            "\"9\" is not a PostgreSQL major version",
            "14 or newer",
        ],
    );
    // A minor pin would fight RDS's automatic minor upgrades.
    rejects(
        &replace(
            "  auth: {kind: cognito}",
            "  auth: {kind: cognito}\n  database: {kind: postgres, engine_version: \"17.6\"}",
        ),
        &[
            "hub.database.engine_version",
            "write the major version only, `17`",
        ],
    );
}

#[test]
fn a_key_missing_for_every_environment_is_reported_once() {
    let stderr = rejects(
        "project: x\nregion: eu-west-1\nenvironments:\n  a: {account: \"123456789012\"}\n  b: {account: \"123456789013\"}\n",
        &["hubctl.yaml:1:1: dns: is missing for 2 environments (a, b); add `dns: {...}` at the top level, shared by all of them"],
    );
    assert_eq!(stderr.matches(" dns: is missing").count(), 1, "{stderr}");
}

/// The valid config on EKS, with one more change.
fn eks(extra: &str) -> String {
    replace(
        "  platform: ecs\n",
        &format!("  platform: eks\n  eks:\n    compute: auto\n{extra}"),
    )
}

#[test]
fn the_valid_config_is_accepted_on_eks() {
    accepts(&eks(""));
}

#[test]
fn eks_needs_its_section_and_a_quoted_supported_version() {
    rejects(
        &replace("  platform: ecs\n", "  platform: eks\n"),
        &[
            "hubctl.yaml:9:1: hub.eks: is missing",
            "`eks: {compute: auto}`",
        ],
    );
    rejects(
        &eks("    version: 1.30\n"),
        &[
            "hub.eks.version: is a number, and YAML reads `1.30` as 1.3",
            "quote it",
        ],
    );
    rejects(
        &eks("    version: \"1.27\"\n"),
        &[
            "\"1.27\" is not a Kubernetes version hubctl supports",
            "`1.32` to `1.37`",
        ],
    );
}

#[test]
fn eks_settings_are_refused_where_they_do_not_apply() {
    rejects(
        &replace(
            "  auth: {kind: cognito}\n",
            "  auth: {kind: cognito}\n  eks: {compute: auto}\n",
        ),
        &["hub.eks: applies to `platform: eks` only"],
    );
    rejects(
        &replace(
            "  auth: {kind: cognito}\n",
            "  auth: {kind: cognito}\n  profiles: [{name: g, cpu: 1024, memory: 4096, gpus: 1}]\n",
        ),
        &["hub.profiles[0].gpus: Fargate has no GPUs"],
    );
    rejects(
        &replace(
            "  auth: {kind: cognito}\n",
            "  auth: {kind: cognito}\n  database: {kind: sqlite}\n",
        ),
        &[
            "hub.database.kind: SQLite is not supported on ECS",
            "on EKS it lives on an EBS volume",
        ],
    );
    rejects(
        &eks("    nodes: {instance_types: [m7i.xlarge], min: 1, max: 2, desired: 1}\n"),
        &[
            "hub.eks.nodes: does not apply to `compute: auto`",
            "`compute: nodegroups`",
        ],
    );
}

#[test]
fn eks_node_groups_and_gpus_are_checked() {
    let node_groups = |nodes: &str| {
        replace(
            "  platform: ecs\n",
            &format!("  platform: eks\n  eks:\n    compute: nodegroups\n{nodes}"),
        )
    };
    rejects(&node_groups(""), &["hub.eks.nodes: is missing"]);
    rejects(
        &node_groups("    nodes: {instance_types: [m7i.xlarge], min: 3, max: 2, desired: 2}\n"),
        &["hub.eks.nodes.max: max 2 is below min 3"],
    );
    rejects(
        &node_groups(
            "    nodes: {instance_types: [m7i.xlarge], min: 1, max: 2, desired: 1}\n    gpu_nodes: {instance_types: [m7i.xlarge], max: 2}\n",
        ),
        &["\"m7i.xlarge\" has no NVIDIA GPU", "`g6.xlarge`"],
    );
    rejects(
        &replace(
            "  platform: ecs\n",
            "  platform: eks\n  eks:\n    compute: nodegroups\n    nodes: {instance_types: [m7i.xlarge], min: 1, max: 2, desired: 1}\n  profiles: [{name: g, cpu: 1024, memory: 4096, gpus: 1}]\n",
        ),
        &["profile \"g\" asks for GPUs, and the cluster has no GPU nodes", "gpu_nodes"],
    );
}

#[test]
fn eks_admin_roles_are_role_arns_and_the_vpc_has_room_for_pods() {
    rejects(
        &eks("    admin_roles: [\"arn:aws:sts::123456789012:assumed-role/Admin/me\"]\n"),
        &["is not an IAM role ARN", "not a session's"],
    );
    rejects(
        &eks("").replace("vpc_cidr: 10.0.0.0/16", "vpc_cidr: 10.0.0.0/24"),
        &[
            "network.vpc_cidr: a /24 VPC leaves 11 addresses per subnet",
            "/20 or larger",
        ],
    );
    rejects(
        &eks("    addons: {vpc-cni: latest, coredns-x: v1.0.0-eksbuild.1}\n"),
        &[
            "\"latest\" is not an EKS add-on version",
            "unknown key `coredns-x`",
        ],
    );
}

#[test]
fn a_subzone_clash_shows_with_the_other_problems_of_its_environment() {
    let yaml = format!(
        "{VALID}  prod:\n    account: \"123456789012\"\n    dns:\n      subzone: dev.example.com\n      hub_host: hub.elsewhere.org\n"
    );
    rejects(
        &yaml,
        &[
            "environments.prod.dns.hub_host",
            "\"dev.example.com\" is already the subzone of environment `dev`",
        ],
    );
}

#[test]
fn a_bad_idle_timeout_is_named() {
    rejects(
        &replace(
            "  auth: {kind: cognito}\n",
            "  auth: {kind: cognito}\n  idle_timeout: 1 hour\n",
        ),
        &[
            "hub.idle_timeout: \"1 hour\" is not an idle timeout",
            "`90m`",
        ],
    );
    rejects(
        &replace(
            "  auth: {kind: cognito}\n",
            "  auth: {kind: cognito}\n  idle_timeout: 30s\n",
        ),
        &["hub.idle_timeout: \"30s\" is outside 10 minutes to 7 days"],
    );
}

#[test]
fn two_environments_of_one_account_and_region_naming_one_repository() {
    let yaml = format!(
        "{VALID}  test:\n    account: \"123456789012\"\n    dns:\n      subzone: test.example.com\n      hub_host: hub.test.example.com\n"
    );
    rejects(
        &yaml,
        &[
            "hubctl.yaml:11:14: hub.hub_image: repository hub is also created by environment `dev`, in the same account 123456789012 and region eu-west-1 (environment `test`)",
            "\"123456789012.dkr.ecr.eu-west-1.amazonaws.com/test/hub:1.0.0\", under `environments.test.hub`",
        ],
    );
}

#[test]
fn shared_data_stays_out_of_the_homes_and_off_the_home_mount() {
    let with_storage = |storage: &str| {
        replace(
            "network:\n  vpc_cidr: 10.0.0.0/16\n",
            &format!("network:\n  vpc_cidr: 10.0.0.0/16\nstorage:\n{storage}"),
        )
    };
    rejects(
        &with_storage("  shared: {path: /home/team}\n"),
        &[
            "hubctl.yaml:10:18: storage.shared.path: \"/home/team\" is inside `/home`, where the users' homes live; give a directory of its own on the file system, e.g. `/shared`",
        ],
    );
    rejects(
        &with_storage("  shared:\n    path: /data/../hub\n    mount: /home/jovyan\n"),
        &[
            "hubctl.yaml:11:11: storage.shared.path: \"/data/../hub\" has the name `..`",
            "hubctl.yaml:12:12: storage.shared.mount: \"/home/jovyan\" would hide the user's home, mounted at `/home/jovyan`",
        ],
    );
}
