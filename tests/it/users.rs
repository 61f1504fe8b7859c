//! `hubctl users` end to end: tests/deploy/users.yaml's ECS environment deployed on the
//! patched moto (its hub stack creates the Cognito pool), then the real binary invites the configured
//! users; a re-run invites nobody; a user made by hand is reported and kept; names that are
//! not e-mail addresses are refused before any invitation. And the launcher's patch 18
//! (Cognito refuses an invitation it could not send), without which the run proves less.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::deploy::Aws;
use crate::support::{hubctl, local_aws_env, python_tool, root};

/// Runs the pinned moto venv's Python with `args` against `aws`'s moto (not through the
/// proxy); asserts it succeeded and returns its stdout.
fn python(aws: &Aws, args: &[&str]) -> String {
    let output = Command::new(python_tool("moto", "python"))
        .args(args)
        .current_dir(root())
        .envs(
            local_aws_env(aws.moto_endpoint())
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v))),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{args:?}:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The pool's users as moto holds them, read with boto3: username → (status, attributes).
fn pool(aws: &Aws, pool_id: &str) -> Vec<serde_json::Value> {
    let said = python(
        aws,
        &[
            "tests/deploy/look.py",
            aws.moto_endpoint(),
            "eu-west-1",
            "users",
            pool_id,
        ],
    );
    let mut users: Vec<serde_json::Value> = serde_json::from_str(&said).expect("JSON");
    users.sort_by_key(|u| u["username"].as_str().unwrap_or_default().to_string());
    users
}

/// This test's config (tests/deploy/users.yaml).
const CONFIG: &str = "tests/deploy/users.yaml";

/// tests/deploy/users.yaml with `admins` and `allowed_users` replaced, written to `dir`.
fn config_with(dir: &Path, admins: &str, allowed: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join(CONFIG)).unwrap();
    let (from_admins, from_allowed) = (
        "\n  admins: [alice@example.com]\n",
        "\n  allowed_users: [bob@example.com, carol@example.com]\n",
    );
    assert!(
        text.contains(from_admins) && text.contains(from_allowed),
        "{CONFIG}'s users moved; update this test"
    );
    let text = text
        .replacen(from_admins, &format!("\n  admins: [{admins}]\n"), 1)
        .replacen(
            from_allowed,
            &format!("\n  allowed_users: [{allowed}]\n"),
            1,
        );
    let path = dir.join(format!("hubctl-{}.yaml", admins.len() + allowed.len()));
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `hubctl --config <config> <args>` under `script(1)`, so stdin and stderr are a
/// terminal, typing `input`; returns the exit code and what the terminal showed.
fn on_a_terminal(aws: &Aws, config: &str, args: &str, input: &str) -> (Option<i32>, String) {
    use std::io::Write;
    let binary = assert_cmd::cargo::cargo_bin("hubctl");
    let command = format!("{} --config {config} {args}", binary.display());
    let template = aws.hubctl_with(config, &[]);
    let mut child = Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .current_dir(root())
        .envs(
            template
                .get_envs()
                .filter_map(|(key, value)| value.map(|value| (key, value))),
        )
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux");
    // Typed, then held open until hubctl is done: some script(1) versions end the session
    // when their input ends.
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// The AdminCreateUser requests the proxy logged from the `skip`-th line on.
fn invitations(aws: &Aws, skip: usize) -> Vec<serde_json::Value> {
    aws.logged()
        .into_iter()
        .skip(skip)
        .filter(|line| line["action"] == "AdminCreateUser")
        .map(|line| line["request"].clone())
        .collect()
}

#[test]
fn users_invites_the_missing_once_keeps_the_rest_and_deletes_nobody() {
    let aws = Aws::start(&["--log-bodies"]);
    aws.parent(&["create", "example.com"]);
    let dir = tempfile::tempdir().unwrap();
    let config = CONFIG;
    // The DNS team deploys the delegation roles first, with their own keys.
    let keys = aws.parent(&["admin-keys"]);
    let (key, secret) = keys.split_once(' ').expect("key id and secret");
    let parent = aws
        .hubctl_with(config, &["parent", "deploy", "--yes"])
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .output()
        .unwrap();
    assert!(
        parent.status.success(),
        "parent deploy: {}",
        String::from_utf8_lossy(&parent.stderr)
    );
    let outputs_file = dir.path().join("outputs.json");
    let deployed = aws
        .hubctl_with(config, &["deploy", "--env", "dev", "--outputs-file"])
        .arg(&outputs_file)
        .output()
        .unwrap();
    assert!(
        deployed.status.success(),
        "deploy: {}",
        String::from_utf8_lossy(&deployed.stderr)
    );
    let outputs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&outputs_file).unwrap()).unwrap();
    let pool_id = outputs["hub"]["UserPoolId"]
        .as_str()
        .expect("the hub stack's UserPoolId output")
        .to_string();
    assert!(pool(&aws, &pool_id).is_empty(), "a new pool is empty");

    // On a terminal it asks first; "n" invites nobody.
    let (code, shown) = on_a_terminal(&aws, config, "users --env dev", "n\n");
    assert_eq!(code, Some(1), "{shown}");
    assert!(
        shown.contains(
            "invite alice@example.com, bob@example.com, carol@example.com into user pool"
        ) && shown.contains("[y/N]")
            && shown.contains("nobody invited"),
        "{shown}"
    );
    assert!(pool(&aws, &pool_id).is_empty(), "declined: nobody invited");

    // First run: all three invited, with Cognito's e-mail and no password of ours.
    let before = aws.logged().len();
    let first = aws
        .hubctl_with(config, &["users", "--env", "dev", "--yes"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "users: {said}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        said.contains(&format!(
            "user pool {pool_id} (output of stack invite-dev-hub)"
        )),
        "{said}"
    );
    assert!(
        said.contains(
            "  invited: alice@example.com (admin) (Cognito e-mails them a temporary password)"
        ) && said.contains("  invited: carol@example.com (Cognito"),
        "{said}"
    );
    assert!(said.ends_with("3 invited, 0 already there\n"), "{said}");
    let users = pool(&aws, &pool_id);
    let names: Vec<&str> = users
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["alice@example.com", "bob@example.com", "carol@example.com"]
    );
    for user in &users {
        assert_eq!(user["attributes"]["email"], user["username"], "{user}");
        assert_eq!(user["attributes"]["email_verified"], "true", "{user}");
        assert_eq!(user["status"], "FORCE_CHANGE_PASSWORD", "{user}");
    }
    let sent = invitations(&aws, before);
    assert_eq!(sent.len(), 3, "{sent:?}");
    for request in &sent {
        assert_eq!(
            request["DesiredDeliveryMediums"],
            serde_json::json!(["EMAIL"]),
            "{request}"
        );
        assert!(
            request.get("TemporaryPassword").is_none() && request.get("MessageAction").is_none(),
            "Cognito makes and sends the password: {request}"
        );
    }

    // Someone adds a user by hand in the console.
    python(
        &aws,
        &[
            "-c",
            "import boto3, sys\nboto3.client('cognito-idp', endpoint_url=sys.argv[1], region_name='eu-west-1').admin_create_user(UserPoolId=sys.argv[2], Username='mallory@example.com', UserAttributes=[{'Name': 'email', 'Value': 'mallory@example.com'}], DesiredDeliveryMediums=['EMAIL'])",
            aws.moto_endpoint(),
            &pool_id,
        ],
    );

    // Second run: nobody invited, the hand-made user reported and kept.
    let before = aws.logged().len();
    let n_mutating = aws.mutating().len();
    let second = aws
        .hubctl_with(config, &["users", "--env", "dev", "--yes"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success(), "second run: {said}");
    assert!(
        said.contains(
            "  already there: alice@example.com (admin) (invited, has not signed in yet)"
        ),
        "{said}"
    );
    assert!(
        said.contains("  not in the config (left alone): mallory@example.com\n"),
        "{said}"
    );
    assert!(said.ends_with("0 invited, 3 already there\n"), "{said}");
    assert!(invitations(&aws, before).is_empty());
    let again: Vec<String> = aws.mutating().into_iter().skip(n_mutating).collect();
    assert!(again.is_empty(), "a re-run changed something: {again:?}");
    assert_eq!(pool(&aws, &pool_id).len(), 4, "nobody deleted");
    // The same for machines.
    let json = aws
        .hubctl_with(
            config,
            &["users", "--env", "dev", "--yes", "--output", "json"],
        )
        .output()
        .unwrap();
    assert!(json.status.success());
    let said: serde_json::Value = serde_json::from_slice(&json.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&json.stdout)));
    assert_eq!(said["ok"], true, "{said}");
    assert_eq!(said["pool_id"], pool_id.as_str(), "{said}");
    assert_eq!(said["invited"], serde_json::json!([]), "{said}");
    assert_eq!(
        said["already_there"].as_array().map(Vec::len),
        Some(3),
        "{said}"
    );
    assert_eq!(
        said["not_in_config"],
        serde_json::json!(["mallory@example.com"]),
        "{said}"
    );

    // A new user, dry run: said, not invited.
    let more = config_with(
        dir.path(),
        "alice@example.com",
        "bob@example.com, carol@example.com, dave@example.com",
    );
    let dry = aws
        .hubctl_with(
            more.to_str().unwrap(),
            &["users", "--env", "dev", "--dry-run"],
        )
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&dry.stdout);
    assert!(dry.status.success(), "dry run: {said}");
    assert!(
        said.contains("  would invite: dave@example.com\n"),
        "{said}"
    );
    assert!(
        said.ends_with("0 invited (--dry-run; 1 to invite), 3 already there\n"),
        "{said}"
    );
    assert_eq!(pool(&aws, &pool_id).len(), 4);

    // Names, not addresses: refused before any invitation.
    let names = config_with(dir.path(), "alice", "bob@example.com, carol");
    let names = names.to_str().unwrap();
    let before = aws.logged().len();
    let named = aws
        .hubctl_with(names, &["users", "--env", "dev", "--yes"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&named.stderr);
    assert_eq!(named.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{names}: hub.admins: \"alice\" is not an e-mail address"
        )) && stderr.contains("hub.allowed_users: \"carol\"")
            && !stderr.contains("\"bob@example.com\"")
            && stderr.contains("nobody was invited"),
        "{stderr}"
    );
    assert!(invitations(&aws, before).is_empty());
    assert_eq!(pool(&aws, &pool_id).len(), 4);
}

/// What patch 18 makes moto refuse, as Cognito does: without it, the run above would pass
/// for a pool whose invitation Cognito rejects, and for an invitation it cannot deliver.
const REFUSALS: &str = r#"
import boto3, sys
from botocore.exceptions import ClientError
idp = boto3.client("cognito-idp", endpoint_url=sys.argv[1], region_name="eu-west-1")
def code(call):
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"]
    return "ok"
invite = lambda message: {"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True, "InviteMessageTemplate": {"EmailMessage": message, "EmailSubject": "hi"}}}
print("no-password", code(lambda: idp.create_user_pool(PoolName="a", **invite("Hello {username}"))))
print("no-username", code(lambda: idp.create_user_pool(PoolName="b", **invite("Your password {####}"))))
pool = idp.create_user_pool(PoolName="c", **invite("{username} {####}"))["UserPool"]["Id"]
email = [{"Name": "email", "Value": "a@example.com"}]
print("sms-default", code(lambda: idp.admin_create_user(UserPoolId=pool, Username="a@example.com", UserAttributes=email)))
print("email-without-address", code(lambda: idp.admin_create_user(UserPoolId=pool, Username="b@example.com", DesiredDeliveryMediums=["EMAIL"])))
print("suppressed", code(lambda: idp.admin_create_user(UserPoolId=pool, Username="c@example.com", MessageAction="SUPPRESS")))
print("email", code(lambda: idp.admin_create_user(UserPoolId=pool, Username="a@example.com", UserAttributes=email, DesiredDeliveryMediums=["EMAIL"])))
print("again", code(lambda: idp.admin_create_user(UserPoolId=pool, Username="a@example.com", UserAttributes=email, DesiredDeliveryMediums=["EMAIL"])))
"#;

#[test]
fn the_patched_moto_refuses_invitations_cognito_refuses() {
    let aws = Aws::start(&[]);
    let said = python(&aws, &["-c", REFUSALS, aws.moto_endpoint()]);
    assert_eq!(
        said.lines().collect::<Vec<_>>(),
        [
            "no-password InvalidParameterException",
            "no-username InvalidParameterException",
            "sms-default InvalidParameterException",
            "email-without-address InvalidParameterException",
            "suppressed ok",
            "email ok",
            "again UsernameExistsException",
        ]
    );
}

#[test]
fn users_of_an_oauth_login_are_the_providers() {
    let output = hubctl()
        .current_dir(root())
        .args([
            "--config",
            "tests/fixtures/lab-us-east-1.yaml",
            "users",
            "--env",
            "lab",
        ])
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("environment `lab` signs in through an OAuth provider")
            && stderr.contains("create its users in that provider"),
        "{stderr}"
    );
}
