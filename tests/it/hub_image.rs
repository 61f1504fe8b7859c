//! The contract between the hub stack and the hub image (`templates/hub/`): the variables
//! the hub task sets are exactly the ones `jupyterhub_config.py` reads, and the config,
//! loaded by the pinned JupyterHub with that environment, yields the intended
//! authenticator, spawner, culler and users.

use std::collections::BTreeSet;
use std::process::Command;

use hubctl::model::{Auth, Database, Platform};

use crate::support::{fixtures, python_tool, root, synth};

/// Every (fixture, env, hub template JSON, deployment) with an ECS hub.
fn hub_templates() -> Vec<(String, serde_json::Value, hubctl::model::Deployment)> {
    let mut found = Vec::new();
    for (name, path) in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let config = hubctl::config::parse(&name, &text).expect("fixtures are valid");
        let (_dir, out) = synth(&path);
        for deployment in config
            .deployments
            .into_iter()
            .filter(|d| d.hub.platform == Platform::Ecs)
        {
            let file = out
                .join(&deployment.env)
                .join(format!("{}.template.json", deployment.stack_name("hub")));
            let template = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            found.push((format!("{name}/{}", deployment.env), template, deployment));
        }
    }
    found
}

fn hub_variables(template: &serde_json::Value) -> BTreeSet<String> {
    let container = &template["Resources"]["HubTask"]["Properties"]["ContainerDefinitions"][0];
    let names = |key: &str| {
        container[key]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e["Name"].as_str().unwrap().to_string())
    };
    names("Environment").chain(names("Secrets")).collect()
}

/// Variable names passed as string literals to `function(` in `source`.
fn calls(source: &str, function: &str) -> BTreeSet<String> {
    let pattern = format!("{function}(");
    let mut found = BTreeSet::new();
    for (at, _) in source.match_indices(&pattern) {
        let before = source[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue; // e.g. `env(` inside `get_env(`
        }
        let rest = &source[at + pattern.len()..];
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let name: String = rest[1..].chars().take_while(|c| *c != quote).collect();
        found.insert(name);
    }
    found
}

/// Variables `jupyterhub_config.py` reads: always, when there is no database URL (the
/// stack made the database), and optionally.
struct Reads {
    required: BTreeSet<String>,
    postgres: BTreeSet<String>,
    optional: BTreeSet<String>,
}

fn config_reads() -> Reads {
    let source =
        std::fs::read_to_string(root().join("templates/hub/jupyterhub_config.py")).unwrap();
    let mut required = calls(&source, "env");
    required.extend(calls(&source, "names"));
    Reads {
        required,
        postgres: calls(&source, "env_postgres"),
        optional: calls(&source, "env_optional"),
    }
}

#[test]
fn the_hub_task_sets_exactly_what_the_config_reads() {
    let Reads {
        required,
        postgres,
        optional,
    } = config_reads();
    assert!(required.len() >= 15, "{required:?}");
    assert!(
        postgres.len() >= 5 && optional.contains("JUPYTERHUB_DB_URL"),
        "{postgres:?} {optional:?}"
    );
    let mut set_somewhere = BTreeSet::new();
    let hubs = hub_templates();
    assert!(hubs.len() >= 4, "fixtures with an ECS hub: {}", hubs.len());
    for (name, template, _) in &hubs {
        let set = hub_variables(template);
        let unread: Vec<_> = set
            .iter()
            .filter(|v| !required.contains(*v) && !optional.contains(*v) && !postgres.contains(*v))
            .collect();
        assert!(
            unread.is_empty(),
            "{name}: the task sets {unread:?}, which jupyterhub_config.py never reads"
        );
        let needed = if set.contains("JUPYTERHUB_DB_URL") {
            required.clone()
        } else {
            &required | &postgres
        };
        let missing: Vec<_> = needed.iter().filter(|v| !set.contains(*v)).collect();
        assert!(
            missing.is_empty(),
            "{name}: jupyterhub_config.py needs {missing:?}, which the task does not set"
        );
        set_somewhere.extend(set);
    }
    let never_set: Vec<_> = optional
        .iter()
        .chain(&postgres)
        .filter(|v| !set_somewhere.contains(*v))
        .collect();
    assert!(
        never_set.is_empty(),
        "read by jupyterhub_config.py but set by no fixture: {never_set:?}"
    );
    let declared: BTreeSet<String> = hubctl::stacks::hub::ecs::HUB_ENVIRONMENT
        .iter()
        .chain(hubctl::stacks::hub::ecs::HUB_SECRETS)
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        declared, set_somewhere,
        "HUB_ENVIRONMENT and HUB_SECRETS list what the task sets"
    );
}

#[test]
fn secrets_reach_the_hub_only_through_ecs_secrets() {
    for (name, template, _) in hub_templates() {
        let container = &template["Resources"]["HubTask"]["Properties"]["ContainerDefinitions"][0];
        let secrets: BTreeSet<&str> = container["Secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Name"].as_str().unwrap())
            .collect();
        for plain in container["Environment"].as_array().unwrap() {
            let variable = plain["Name"].as_str().unwrap();
            assert!(
                hubctl::stacks::hub::ecs::HUB_ENVIRONMENT.contains(&variable),
                "{name}: {variable} is not a plain variable"
            );
        }
        for variable in [
            "JUPYTERHUB_COOKIE_SECRET",
            "JUPYTERHUB_CRYPT_KEY",
            "JUPYTERHUB_PROXY_AUTH_TOKEN",
            "OAUTH_CLIENT_SECRET",
        ] {
            assert!(
                secrets.contains(variable),
                "{name}: {variable} must be an ECS secret"
            );
        }
    }
}

#[test]
fn the_pinned_jupyterhub_loads_the_config_with_the_tasks_environment() {
    let python = python_tool("hub", "python");
    let hubs = hub_templates();
    let kinds: BTreeSet<(bool, bool)> = hubs
        .iter()
        .map(|(_, _, d)| {
            (
                matches!(d.hub.auth, Auth::Cognito { .. }),
                matches!(d.hub.database, Database::Postgres { .. }),
            )
        })
        .collect();
    assert!(
        kinds.contains(&(true, true)) && kinds.contains(&(false, false)),
        "fixtures must cover both auth and database kinds: {kinds:?}"
    );
    let logouts: BTreeSet<bool> = hubs
        .iter()
        .filter_map(|(_, _, d)| match &d.hub.auth {
            Auth::OAuth(provider) => Some(provider.logout_url.is_some()),
            Auth::Cognito { .. } => None,
        })
        .collect();
    assert_eq!(
        logouts.len(),
        2,
        "fixtures must cover an OAuth provider with and without logout_url"
    );
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    for (index, (name, template, deployment)) in hubs.iter().enumerate() {
        let hub = &deployment.hub;
        let expected = serde_json::json!({
            "region": deployment.region,
            "hub_host": deployment.dns.hub_host.as_str(),
            "hub_family": format!("{}-{}-hub", deployment.project, deployment.env),
            "token_secret_prefix": hubctl::stacks::hub::ecs::user_token_secret_prefix(&format!("{}-{}", deployment.project, deployment.env)),
            "admins": hub.admins.iter().map(|u| u.name.clone()).collect::<Vec<_>>(),
            "allowed_users": hub.allowed_users.iter().map(|u| u.name.clone()).collect::<Vec<_>>(),
            "idle_timeout": hub.idle_timeout_seconds,
            "profiles": hub.profiles.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
            "database": if matches!(hub.database, Database::Postgres { .. }) { "postgres" } else { "external" },
            "username_claim": match &hub.auth { Auth::OAuth(provider) => provider.username_claim.clone(), Auth::Cognito { .. } => "username".to_string() },
            "cognito": matches!(hub.auth, Auth::Cognito { .. }),
            "logout_url": match &hub.auth { Auth::OAuth(provider) => provider.logout_url.clone(), Auth::Cognito { .. } => None },
        });
        let template_path = dir.path().join(format!("{index}.template.json"));
        let expected_path = dir.path().join(format!("{index}.expected.json"));
        std::fs::write(&template_path, template.to_string()).unwrap();
        std::fs::write(&expected_path, expected.to_string()).unwrap();
        let output = Command::new(&python)
            .arg(root().join("tests/hub/check_config.py"))
            .args([&template_path, &expected_path])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn the_image_and_the_test_pin_the_same_packages() {
    let image = std::fs::read_to_string(root().join("templates/hub/requirements.txt")).unwrap();
    let tested = std::fs::read_to_string(root().join("tests/tools/hub.txt")).unwrap();
    let pins: Vec<&str> = image
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    assert!(pins.len() >= 4);
    for pin in pins {
        assert!(pin.contains("=="), "{pin} is not pinned");
        assert!(
            tested.lines().any(|line| line.eq_ignore_ascii_case(pin)),
            "{pin} differs from tests/tools/hub.txt"
        );
    }
}

/// On EKS the hub reads its secrets itself when it starts (`templates/eks/hub_secrets.py`, in
/// the values' `hub.extraConfig`): run from each golden values file against moto's Secrets
/// Manager and a stand-in Pod Identity agent, its signature checked against botocore's.
#[test]
fn the_eks_hub_reads_its_secrets_with_its_pod_identity() {
    let golden = root().join("tests/golden");
    let mut envs: Vec<std::path::PathBuf> = crate::support::files_under(&golden)
        .into_iter()
        .filter(|file| file.ends_with("/jupyterhub-values.yaml"))
        .map(|file| golden.join(file).parent().unwrap().to_path_buf())
        .collect();
    envs.sort();
    assert!(envs.len() >= 2, "no EKS goldens: {envs:?}");
    let mut database = 0;
    for env in envs {
        let output = std::process::Command::new(crate::support::python_tool("moto", "python"))
            .arg(root().join("tests/hub/eks_secrets.py"))
            .arg(&env)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}:\n{stdout}\n{}",
            env.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        for expected in [
            "ok the hub read its OAuth client secret",
            "ok without the pod's token",
            "ok the hand-made SigV4 signature is botocore's",
        ] {
            assert!(stdout.contains(expected), "{}: {stdout}", env.display());
        }
        database += usize::from(stdout.contains("ok the hub built its database URL"));
    }
    assert!(
        database >= 1,
        "no golden EKS hub with PostgreSQL was checked"
    );
}
