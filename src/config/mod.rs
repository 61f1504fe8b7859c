//! The config file: YAML text → checked [`Deployment`]s, one per environment.
//!
//! Pure: the caller reads the file and hands over its text, so this module never touches the
//! file system. Steps: [`yaml`] parses with positions, [`overlay`] merges each
//! `environments.<env>` over the shared settings, [`read`] checks every rule and builds the
//! model. All problems come back at once, sorted by line.

pub mod error;
pub mod overlay;
pub mod read;
pub mod yaml;

pub use error::{ConfigError, ConfigErrors};

use crate::model::Deployment;
use read::Reader;
use yaml::{Node, Value};

/// A checked config: every environment, in the order the file lists them.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The file name the config was read from, for messages.
    pub file: String,
    /// One deployment per environment.
    pub deployments: Vec<Deployment>,
}

/// Parses and checks the text of config `file`.
pub fn parse(file: &str, text: &str) -> Result<Config, ConfigErrors> {
    let mut reader = Reader::new(file);
    let root = match yaml::parse(text) {
        Ok(root) => root,
        Err(syntax) => {
            reader.error_at(
                syntax.pos,
                "",
                format!("YAML syntax error: {}", syntax.message),
                "fix the YAML at this place",
            );
            return Err(ConfigErrors(reader.errors));
        }
    };
    let deployments = read_all(&mut reader, &root);
    let mut errors = reader.errors;
    errors.sort();
    errors.dedup();
    if errors.is_empty() {
        Ok(Config {
            file: file.to_string(),
            deployments,
        })
    } else {
        Err(ConfigErrors(errors))
    }
}

fn read_all(reader: &mut Reader<'_>, root: &Node) -> Vec<Deployment> {
    let Some(root_entries) = root.entries() else {
        reader.error(
            root,
            format!("the config is {}, not a mapping", root.value.kind()),
            "start from config.example.yaml",
        );
        return Vec::new();
    };
    let Some(environments) = root.get("environments") else {
        reader.error_at(
            root.key_pos,
            "environments",
            "is missing",
            "add `environments: {dev: {account: \"123456789012\"}}`",
        );
        reader.mapping(root, read::TOP_KEYS, "{}");
        return Vec::new();
    };
    if let Some(entry) = root_entries.iter().find(|e| e.key == "account") {
        reader.error_at(
            entry.key_pos,
            "account",
            "`account` belongs to an environment",
            "move it under `environments.<env>.account`",
        );
    }
    let base = Node {
        pos: root.pos,
        key_pos: root.key_pos,
        path: String::new(),
        value: Value::Map(
            root_entries
                .iter()
                .filter(|e| e.key != "environments")
                .cloned()
                .collect(),
        ),
    };
    let Some(env_entries) = environments.entries().filter(|entries| !entries.is_empty()) else {
        reader.error(
            environments,
            "has no environment",
            "add at least one, e.g. `dev: {account: \"123456789012\"}`",
        );
        return Vec::new();
    };

    let mut deployments = Vec::new();
    for entry in env_entries {
        let env = entry.key.as_str();
        let name_ok = read::check_name(reader, &entry.node, env, 16, "environment name");
        if env == "parent" {
            reader.error_at(
                entry.key_pos,
                &entry.node.path,
                "`parent` is reserved",
                "synth writes the parent account's template to `parent/`; rename the environment",
            );
        }
        read::check_overlay_keys(reader, &entry.node);
        let merged = overlay::merge(&base, &entry.node);
        reader.env = Some(env.to_string());
        let deployment = read::deployment(reader, env, &merged, &entry.node);
        reader.env = None;
        if let Some(deployment) = deployment {
            if name_ok {
                deployments.push(deployment);
            }
        }
    }
    check_across_environments(reader, env_entries, &deployments);
    deployments
}

/// Rules that span environments: one parent zone and role for all (the delegation-role
/// template covers them together), and no two environments claiming one subzone.
fn check_across_environments(
    reader: &mut Reader<'_>,
    env_entries: &[yaml::Entry],
    deployments: &[Deployment],
) {
    let Some(first) = deployments.first() else {
        return;
    };
    for (index, deployment) in deployments.iter().enumerate() {
        let overlay = env_entries
            .iter()
            .find(|e| e.key == deployment.env)
            .map(|e| &e.node);
        let place = |key: &str| {
            overlay
                .and_then(|o| o.get("dns"))
                .and_then(|dns| dns.get(key))
                .or_else(|| overlay.and_then(|o| o.get("dns")))
                .or(overlay)
        };
        let place = |key: &str| {
            place(key).map(|node| {
                if node.get(key).is_some() || node.entries().is_some() {
                    node.key_pos
                } else {
                    node.pos
                }
            })
        };
        for (key, differs) in [
            (
                "parent_zone",
                deployment.dns.parent_zone != first.dns.parent_zone,
            ),
            (
                "parent_account",
                deployment.dns.parent_account != first.dns.parent_account,
            ),
            (
                "delegation_role",
                deployment.dns.delegation_role != first.dns.delegation_role,
            ),
        ] {
            if let (true, Some(pos)) = (differs, place(key)) {
                reader.error_at(
                    pos,
                    &format!("environments.{}.dns.{key}", deployment.env),
                    format!("differs from environment `{}`", first.env),
                    "all environments share one parent zone and delegation role (one delegation-role template covers them); set it once at the top level",
                );
            }
        }
        if let Some(earlier) = deployments[..index]
            .iter()
            .find(|d| d.dns.subzone == deployment.dns.subzone)
        {
            if let Some(pos) = place("subzone") {
                reader.error_at(
                    pos,
                    &format!("environments.{}.dns.subzone", deployment.env),
                    format!(
                        "\"{}\" is already the subzone of environment `{}`",
                        deployment.dns.subzone, earlier.env
                    ),
                    "give each environment its own subzone, e.g. \"<env>.<parent_zone>\"",
                );
            }
        }
    }
    check_delegation_role_limits(reader, env_entries, deployments);
}

/// IAM's size limits on the one delegation role: a trust policy holds at most 2,048
/// characters (one account principal takes about 35) and a role's inline policies 10,240
/// (each subzone name is listed once). Found here rather than by the DNS team at deploy.
fn check_delegation_role_limits(
    reader: &mut Reader<'_>,
    env_entries: &[yaml::Entry],
    deployments: &[Deployment],
) {
    const MAX_ACCOUNTS: usize = 50;
    const MAX_SUBZONE_CHARACTERS: usize = 8_000;
    let accounts: std::collections::BTreeSet<&str> =
        deployments.iter().map(|d| d.account.as_str()).collect();
    let subzone_characters: usize = deployments
        .iter()
        .map(|d| d.dns.subzone.as_str().len() + 3)
        .sum();
    let Some(last) = env_entries.last() else {
        return;
    };
    if accounts.len() > MAX_ACCOUNTS {
        reader.error_at(
            last.key_pos,
            "environments",
            format!("{} workload accounts would trust one delegation role", accounts.len()),
            format!("IAM trust policies hold about {MAX_ACCOUNTS} accounts; split the config by parent zone or share accounts"),
        );
    }
    if subzone_characters > MAX_SUBZONE_CHARACTERS {
        reader.error_at(
            last.key_pos,
            "environments",
            format!("the subzone names take {subzone_characters} characters in the delegation role's policy"),
            format!("IAM inline policies hold 10,240 characters; keep the names under {MAX_SUBZONE_CHARACTERS} in all (shorter subzones or fewer environments per config)"),
        );
    }
}

impl Config {
    /// The environments a command works on: all of them, or the one named.
    pub fn select(&self, env: Option<&str>) -> Result<Vec<&Deployment>, String> {
        let Some(env) = env else {
            return Ok(self.deployments.iter().collect());
        };
        match self.deployments.iter().find(|d| d.env == env) {
            Some(deployment) => Ok(vec![deployment]),
            None => {
                let names: Vec<&str> = self.deployments.iter().map(|d| d.env.as_str()).collect();
                let hint = match read::did_you_mean(env, &names) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("the config defines: {}", names.join(", ")),
                };
                Err(format!(
                    "{}: no environment named `{env}`; {hint}",
                    self.file
                ))
            }
        }
    }
}
