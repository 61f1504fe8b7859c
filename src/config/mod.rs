//! The config file: YAML text → checked [`Deployment`]s, one per environment.
//!
//! Pure: the caller reads the file and hands over its text, so this module never touches the
//! file system. Steps: [`yaml`] parses with positions, [`overlay`] merges each
//! `environments.<env>` over the shared settings, [`read`] checks every rule and builds the
//! model. All problems come back at once, sorted by line.

mod eks;
pub mod error;
mod hub;
mod images;
pub mod overlay;
pub mod read;
pub mod schema;
pub mod yaml;
pub mod zones;

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
            reader.error_at(syntax.pos, &syntax.key, syntax.message, syntax.hint);
            return Err(ConfigErrors(reader.errors));
        }
    };
    let deployments = read_all(&mut reader, &root);
    let mut errors = merge_missing(reader.errors);
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

/// "is missing for environment `x`" problems at one place, for several environments, become
/// one problem naming them all: a key missing from the shared settings is reported once.
fn merge_missing(errors: Vec<ConfigError>) -> Vec<ConfigError> {
    const MISSING: &str = "is missing for environment `";
    let mut merged: Vec<ConfigError> = Vec::new();
    let mut envs_of: Vec<Vec<String>> = Vec::new();
    for error in errors {
        let Some(env) = error
            .problem
            .strip_prefix(MISSING)
            .and_then(|rest| rest.strip_suffix('`'))
        else {
            merged.push(error);
            envs_of.push(Vec::new());
            continue;
        };
        let env = env.to_string();
        match merged.iter().position(|e| {
            e.pos == error.pos && e.key == error.key && e.problem.starts_with(MISSING)
        }) {
            Some(index) => envs_of[index].push(env),
            None => {
                merged.push(error);
                envs_of.push(vec![env]);
            }
        }
    }
    for (error, envs) in merged.iter_mut().zip(envs_of) {
        if envs.len() > 1 {
            let key = error.key.rsplit('.').next().unwrap_or_default().to_string();
            error.problem = format!(
                "is missing for {} environments ({})",
                envs.len(),
                envs.join(", ")
            );
            error.hint = match error.hint.split_once(" here, or under") {
                Some((add, _)) if !error.key.contains('.') => {
                    format!("{add} at the top level, shared by all of them")
                }
                Some((add, _)) => format!("{add} here, shared by all of them"),
                None => format!("add `{key}`"),
            };
        }
    }
    merged
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
    let env_entries = match root.get("environments") {
        None => {
            reader.error_at(
                root.key_pos,
                "environments",
                "is missing",
                "add `environments: {dev: {account: \"123456789012\"}}`",
            );
            None
        }
        Some(environments) => match environments.entries() {
            Some([]) => {
                reader.error(
                    environments,
                    "has no environment",
                    "add at least one, e.g. `dev: {account: \"123456789012\"}`",
                );
                None
            }
            Some(entries) => Some(entries),
            None => {
                reader.error(
                    environments,
                    format!(
                        "expected a mapping of environment names, found {}",
                        environments.value.kind()
                    ),
                    "write e.g. `environments: {dev: {account: \"123456789012\"}}`",
                );
                None
            }
        },
    };
    let Some(env_entries) = env_entries else {
        // Still check the shared settings' keys, so every problem shows at once.
        let mut allowed: Vec<&str> = read::TOP_KEYS.to_vec();
        allowed.push("account");
        reader.mapping(&base, &allowed, "{}");
        return Vec::new();
    };

    let mut read = Vec::new();
    // Every environment's subzone that reads as a name, also where the rest of the
    // environment has problems: a clash between subzones shows with them, not after.
    let mut subzones: Vec<(String, crate::model::DnsName, Node)> = Vec::new();
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
        // The merged root stands for the whole file: a key missing at the top is reported
        // there (once for all environments, see `merge_missing`), not at the overlay.
        let merged = Node {
            pos: base.pos,
            key_pos: base.key_pos,
            path: String::new(),
            ..overlay::merge(&base, &entry.node)
        };
        if let Some(name) = dns_node(&merged, "subzone").and_then(|node| match &node.value {
            yaml::Value::Str(text) => crate::model::DnsName::parse(text).ok(),
            _ => None,
        }) {
            subzones.push((env.to_string(), name, merged.clone()));
        }
        reader.env = Some(env.to_string());
        let deployment = read::deployment(reader, env, &merged, &entry.node);
        reader.env = None;
        if let (Some(deployment), true) = (deployment, name_ok) {
            read.push((deployment, merged));
        }
    }
    check_across_environments(reader, &base, &read);
    check_existing_pools(reader, &read);
    images::check_shared_repositories(reader, &read);
    images::check_repository_names(reader, &read);
    images::check_cross_account_repositories(reader, &read);
    check_subzones(reader, &subzones);
    check_delegation_role_limits(reader, env_entries, &read);
    read.into_iter().map(|(deployment, _)| deployment).collect()
}

/// The merged node of `dns.<key>` of one environment (for its position and path).
fn dns_node<'n>(merged: &'n Node, key: &str) -> Option<&'n Node> {
    merged.get("dns").and_then(|dns| dns.get(key))
}

/// Rules that span the environments that read without problems: one parent zone, parent
/// account and role for all (one delegation-role template covers them), one AWS partition,
/// task-definition names apart ([`check_subzones`] runs on every environment).
fn check_across_environments(reader: &mut Reader<'_>, base: &Node, read: &[(Deployment, Node)]) {
    let Some((first, _)) = read.first() else {
        return;
    };
    type ValueOf = fn(&Deployment) -> String;
    let shared: [(&str, ValueOf); 3] = [
        ("parent_zone", |d| d.dns.parent_zone.to_string()),
        ("parent_account", |d| d.dns.parent_account.to_string()),
        ("delegation_role", |d| {
            format!(
                "{}{}",
                d.dns.delegation_role.path, d.dns.delegation_role.name
            )
        }),
    ];
    for (key, value_of) in shared {
        // The reference is the top-level value when there is one, else the first environment's.
        let (reference, reference_name) = match dns_node(base, key) {
            Some(_) => {
                let from_base = read.iter().find(|(_, merged)| {
                    dns_node(merged, key)
                        .is_some_and(|node| !node.path.starts_with("environments."))
                });
                match from_base {
                    Some((deployment, _)) => {
                        (value_of(deployment), "the top-level value".to_string())
                    }
                    None => (value_of(first), format!("environment `{}`", first.env)),
                }
            }
            None => (value_of(first), format!("environment `{}`", first.env)),
        };
        for (deployment, merged) in read {
            if value_of(deployment) != reference {
                if let Some(node) = dns_node(merged, key) {
                    reader.error(
                        node,
                        format!("differs from {reference_name}"),
                        "all environments share one parent zone, parent account and delegation role (one delegation-role template covers them); set it once at the top level",
                    );
                }
            }
        }
    }
    let partition = |d: &Deployment| d.dns.delegation_role.partition.clone();
    for (deployment, merged) in read
        .iter()
        .filter(|(d, _)| partition(d) != partition(first))
    {
        if let Some(node) = merged.get("region") {
            reader.error(
                node,
                format!(
                    "{} is in AWS partition `{}`, environment `{}` in `{}`",
                    deployment.region,
                    partition(deployment),
                    first.env,
                    partition(first)
                ),
                "one parent zone and role cannot serve two partitions; keep such environments in separate configs",
            );
        }
    }
    // The hub may run `<project>-<env>-user-*` task definitions of its account: another
    // environment there whose name starts with `<env>-user` would fall under that pattern.
    for (deployment, merged) in read {
        if let Some(other) = read.iter().map(|(d, _)| d).find(|other| {
            other.account == deployment.account
                && (other.env == format!("{}-user", deployment.env)
                    || other.env.starts_with(&format!("{}-user-", deployment.env)))
        }) {
            if let Some(node) = merged.get("account") {
                reader.error(
                    node,
                    format!(
                        "environment `{}` shares this account, and its task definitions ({}-{}-user-...) would match the `{}-{}-user-*` that this environment's hub may run",
                        other.env, other.project, other.env, deployment.project, deployment.env
                    ),
                    format!("rename environment `{}`, or give it its own account", other.env),
                );
            }
        }
    }
}

/// An existing Cognito user pool belongs to one account, and Cognito has no cross-account
/// access: the app client each environment's hub stack creates in it (CreateUserPoolClient,
/// signed by that account) fails with ResourceNotFoundException in any other account. So two
/// environments naming one pool must share an account; the later one in file order is told.
/// (A pool id names its region, which the reader checks, but not its account.)
fn check_existing_pools(reader: &mut Reader<'_>, read: &[(Deployment, Node)]) {
    use crate::model::Auth;
    let pool_of = |deployment: &Deployment| match &deployment.hub.auth {
        Auth::Cognito {
            existing: Some(pool),
        } => Some(pool.user_pool_id.clone()),
        _ => None,
    };
    for (index, (deployment, merged)) in read.iter().enumerate() {
        let Some(pool) = pool_of(deployment) else {
            continue;
        };
        let Some((earlier, _)) = read[..index].iter().find(|(other, _)| {
            other.account != deployment.account && pool_of(other).as_ref() == Some(&pool)
        }) else {
            continue;
        };
        let Some(node) = merged.get_path(&["hub", "auth", "user_pool_id"]) else {
            continue;
        };
        reader.error(
            node,
            format!(
                "environment `{}` (account {}) names user pool {pool}, which environment `{}` names in account {}: a user pool belongs to one account, and the hub's app client cannot be created in it from another",
                deployment.env, deployment.account, earlier.env, earlier.account
            ),
            "name the pool only under the environments of the account that owns it (`environments.<env>.hub.auth`: `user_pool_id` and `domain`; an overlay cannot unset a shared key), and give the others a pool of their own account, or none, so that their hub stack creates one",
        );
    }
}

/// Subzones neither repeat nor nest (a nested subzone is hidden by its parent's
/// delegation), checked on every environment whose subzone reads as a name.
fn check_subzones(reader: &mut Reader<'_>, subzones: &[(String, crate::model::DnsName, Node)]) {
    for (index, (_, subzone, merged)) in subzones.iter().enumerate() {
        for (earlier_env, other, _) in &subzones[..index] {
            let problem = if subzone == other {
                format!("\"{subzone}\" is already the subzone of environment `{earlier_env}`")
            } else if subzone.is_within(other) || other.is_within(subzone) {
                format!("\"{subzone}\" and environment `{earlier_env}`'s subzone \"{other}\" nest")
            } else {
                continue;
            };
            if let Some(node) = dns_node(merged, "subzone") {
                reader.error(
                    node,
                    problem,
                    "give each environment its own subzone, side by side, e.g. \"<env>.<parent_zone>\" (a nested zone is hidden by the delegation of the outer one)",
                );
            }
        }
    }
}

/// The limits the parent template meets, checked on the template itself
/// (`stacks::delegation_role` measures what it writes, so the check cannot drift from it):
/// IAM's 10,240 characters of inline policy and 2,048 of trust policy per role, and
/// CloudFormation's 500 resources and 1,000,000 bytes (from S3) per stack. Found here
/// rather than by the DNS team at deploy.
fn check_delegation_role_limits(
    reader: &mut Reader<'_>,
    env_entries: &[yaml::Entry],
    read: &[(Deployment, Node)],
) {
    use crate::stacks::delegation_role::{
        role_sizes, template, ROLE_POLICY_LIMIT, TRUST_POLICY_LIMIT,
    };
    let deployments: Vec<&Deployment> = read.iter().map(|(deployment, _)| deployment).collect();
    let Some(first) = deployments.first() else {
        return;
    };
    let base = &first.dns.delegation_role.name;
    for size in role_sizes(&deployments) {
        let too_big = if size.policy_chars > ROLE_POLICY_LIMIT {
            format!(
                "its {} subzones need a delegation-role policy of {} characters, and IAM allows {ROLE_POLICY_LIMIT} per role",
                size.n_subzones, size.policy_chars
            )
        } else if size.trust_chars > TRUST_POLICY_LIMIT {
            format!(
                "its delegation role's trust policy needs {} characters, and IAM allows {TRUST_POLICY_LIMIT}",
                size.trust_chars
            )
        } else {
            continue;
        };
        // Reported at the account of the last environment in that account.
        let place = read
            .iter()
            .rev()
            .find(|(deployment, _)| deployment.account == size.account)
            .and_then(|(_, merged)| merged.get("account"));
        if let Some(node) = place {
            reader.error(
                node,
                format!("account {}: {too_big}", size.account),
                format!("move some of these environments to another workload account, or split them into a second config with another dns.delegation_role (its parent template makes roles of that name, not {base}-<account>)"),
            );
        }
    }
    let Some(last) = env_entries.last() else {
        return;
    };
    let Some(parent) = template(&deployments) else {
        return;
    };
    let n_roles = parent.resources.len();
    let bytes = parent.to_json().len();
    let too_big = if n_roles > crate::cfn::MAX_RESOURCES {
        format!(
            "{n_roles} workload accounts need {n_roles} delegation roles in one parent template, and CloudFormation allows {} resources per stack",
            crate::cfn::MAX_RESOURCES
        )
    } else if bytes > crate::cfn::MAX_STAGED_TEMPLATE {
        format!(
            "the parent template for {n_roles} workload accounts would be {bytes} bytes, and CloudFormation accepts {}",
            crate::cfn::MAX_STAGED_TEMPLATE
        )
    } else {
        return;
    };
    reader.error_at(
        last.key_pos,
        "environments",
        too_big,
        format!("split the environments into configs with different dns.delegation_role names (each config's parent template makes its own roles; {base} is this one's)"),
    );
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
