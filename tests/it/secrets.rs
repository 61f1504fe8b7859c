//! No secret ever lands in an output file: secret material in the config is refused
//! (without echoing it), and the templates carry secrets only as Secrets Manager references
//! or generated values.

use crate::support::{files_under, fixtures, hubctl, root, synth};

const SENTINEL: &str = "s3ntinel-Secret-9f8e7d";

fn example_with(insert_after: &str, lines: &str) -> String {
    let example = std::fs::read_to_string(root().join("config.example.yaml")).unwrap();
    let at = example
        .find(insert_after)
        .unwrap_or_else(|| panic!("{insert_after:?} not in the example"));
    let end = at + insert_after.len();
    format!("{}\n{}{}", &example[..end], lines, &example[end..])
}

#[test]
fn secret_material_anywhere_in_the_config_is_refused_and_never_written() {
    let places = [
        ("project: jhub", format!("api_token: {SENTINEL}")),
        ("  platform: ecs", format!("  client_secret: {SENTINEL}")),
        (
            "    kind: cognito",
            format!("    client_secret: {SENTINEL}"),
        ),
        (
            "        kind: postgres",
            format!("        password: {SENTINEL}"),
        ),
        (
            "        kind: postgres",
            format!("        master_password: {SENTINEL}"),
        ),
        (
            "  cost-center: \"4711\"",
            format!("  db_password: {SENTINEL}"),
        ),
        (
            "    account: \"123456789012\"",
            format!("    deploy_credentials: {SENTINEL}"),
        ),
        (
            "  delegation_role: DomainOperatorRole",
            format!("  private_key: {SENTINEL}"),
        ),
    ];
    for (after, line) in places {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hubctl.yaml"), example_with(after, &line)).unwrap();
        let output = hubctl()
            .current_dir(dir.path())
            .args(["synth", "--out", "out"])
            .output()
            .unwrap();
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.code(), Some(2), "{line}: {printed}");
        assert!(
            printed.contains("Secrets Manager") || printed.contains("secret"),
            "{line}: {printed}"
        );
        assert!(
            !printed.contains(SENTINEL),
            "{line}: the secret was echoed: {printed}"
        );
        assert!(
            !dir.path().join("out").exists(),
            "{line}: output was written"
        );
    }
}

/// Walks a JSON value, calling `visit(key, value)` for every object member.
fn walk(value: &serde_json::Value, visit: &mut dyn FnMut(&str, &serde_json::Value)) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, member) in map {
                visit(key, member);
                walk(member, visit);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| walk(item, visit)),
        _ => {}
    }
}

#[test]
fn templates_hold_secrets_only_as_references_or_generated() {
    let mut generated = 0;
    for (name, config) in fixtures() {
        let (_dir, out) = synth(&config);
        for file in files_under(&out) {
            let text = std::fs::read_to_string(out.join(&file)).unwrap();
            if file.ends_with(".yaml") {
                cluster_file_holds_no_secret(&name, &file, &text);
                continue;
            }
            let json: serde_json::Value = serde_json::from_str(&text).unwrap();
            // The one dynamic reference: RDS reads the database password from the stack's
            // own secret at deploy time; the value never passes through the template.
            let mut resolved_passwords = 0;
            walk(&json, &mut |key, value| {
                if key == "MasterUserPassword"
                    && value["Fn::Sub"]
                        .as_str()
                        .is_some_and(|sub| sub.starts_with("{{resolve:secretsmanager:${"))
                {
                    resolved_passwords += 1;
                }
            });
            assert_eq!(
                text.matches("{{resolve:").count(),
                resolved_passwords,
                "{name}/{file}: unexpected dynamic reference"
            );
            walk(&json, &mut |key, value| match key {
                "SecretString" | "MasterUserPassword" | "ClientSecret" | "Password"
                | "AuthToken" => {
                    assert!(!value.is_string(), "{name}/{file}: {key} is a literal");
                }
                "NoEcho" => {
                    panic!("{name}/{file}: a NoEcho parameter means a secret passes through deploy")
                }
                "GenerateSecretString" => generated += 1,
                "Environment" => {
                    for variable in value.as_array().into_iter().flatten() {
                        let variable_name = variable["Name"].as_str().unwrap_or_default();
                        assert!(
                            !["SECRET", "PASSWORD", "TOKEN", "CRYPT_KEY"]
                                .iter()
                                .any(|word| variable_name.ends_with(word)),
                            "{name}/{file}: {variable_name} is a plain environment variable"
                        );
                    }
                }
                _ => {}
            });
        }
    }
    assert!(
        generated >= 9,
        "hub secrets are generated by Secrets Manager: {generated}"
    );
}

/// A Helm values file or manifest (EKS): no secret-looking setting with a value, no
/// Kubernetes Secret, and the hub's environment names secrets only by ARN.
fn cluster_file_holds_no_secret(name: &str, file: &str, text: &str) {
    let documents = hubctl::k8s::parse_yaml_stream(text)
        .unwrap_or_else(|problem| panic!("{name}/{file}: {problem}"));
    assert!(!documents.is_empty(), "{name}/{file}: empty");
    for document in &documents {
        assert_ne!(
            document["kind"], "Secret",
            "{name}/{file}: a Kubernetes Secret in a manifest"
        );
        walk(document, &mut |key, value| {
            let lower = key.to_ascii_lowercase();
            if ["secret", "password", "token", "cookie_secret", "crypt_key"]
                .iter()
                .any(|word| lower.ends_with(word))
            {
                assert!(
                    !value.is_string() && !value.is_number(),
                    "{name}/{file}: {key} has a value"
                );
            }
            if key == "extraEnv" {
                for variable in value.as_object().into_iter().flatten().map(|(k, _)| k) {
                    assert!(
                        !["SECRET", "PASSWORD", "TOKEN", "URL"]
                            .iter()
                            .any(|word| variable.ends_with(word)),
                        "{name}/{file}: {variable} is a plain environment variable"
                    );
                }
            }
        });
    }
    // Not vacuous: the hub's values name the client secret by ARN.
    if file == "jupyterhub-values.yaml" {
        assert!(
            text.contains("HUBCTL_OAUTH_CLIENT_SECRET_ARN"),
            "{name}/{file}: the hub does not read its client secret from Secrets Manager"
        );
    }
}
