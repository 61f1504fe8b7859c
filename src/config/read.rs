//! Reads the merged YAML tree of one environment into a [`Deployment`], checking every rule.
//!
//! Problems are collected, not returned at the first one: the user fixes the whole file in
//! one pass. Each problem names the line and column of the offending value (or of the mapping
//! that lacks a key), the key path, and the fix.

use std::collections::BTreeMap;

use super::error::ConfigError;
use super::hub::{read_bool, read_hub};
use super::schema::{self, key_names};
use super::yaml::{Entry, Node, Pos, Value};
use crate::model::{
    AccountId, Auth, AvailabilityZones, Cidr, Database, DelegationRoles, Deployment, Dns, DnsName,
    Hub, Network, SharedData, Storage,
};

// The keys each mapping may hold, read off their one declaration in `config::schema`.
/// Top-level keys of an environment after the overlay merge.
pub const TOP_KEYS: &[&str] = key_names!(schema::FILE);
const ENV_KEYS: &[&str] = key_names!(schema::ENVIRONMENT);
const DNS_KEYS: &[&str] = key_names!(schema::DNS);
const NETWORK_KEYS: &[&str] = key_names!(schema::NETWORK);
const STORAGE_KEYS: &[&str] = key_names!(schema::STORAGE);
const SHARED_KEYS: &[&str] = key_names!(schema::SHARED);
/// Directories of the file system the hub stacks' access points use already.
const RESERVED_EFS_DIRECTORIES: &[&str] = &["/home", "/hub"];
/// Directories of a server's image that a read-only mount would break.
const SYSTEM_DIRECTORIES: &[&str] = &[
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run",
    "/sbin", "/sys", "/tmp", "/usr", "/var",
];
/// AWS regions hubctl knows (commercial, GovCloud and China partitions).
pub const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// Collects problems while reading.
pub struct Reader<'a> {
    file: &'a str,
    /// The environment being read, named in "is missing" problems of the merged tree.
    pub env: Option<String>,
    /// Problems found so far.
    pub errors: Vec<ConfigError>,
}

impl<'a> Reader<'a> {
    /// A reader reporting against `file`.
    pub fn new(file: &'a str) -> Reader<'a> {
        Reader {
            file,
            env: None,
            errors: Vec::new(),
        }
    }

    /// Records a problem at `pos`.
    pub fn error_at(
        &mut self,
        pos: Pos,
        key: &str,
        problem: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.errors.push(ConfigError {
            file: self.file.to_string(),
            pos,
            key: key.to_string(),
            problem: problem.into(),
            hint: hint.into(),
        });
    }

    /// Records a problem with `node`'s value.
    pub fn error(&mut self, node: &Node, problem: impl Into<String>, hint: impl Into<String>) {
        self.error_at(node.pos, &node.path, problem, hint);
    }

    /// Records a value of the wrong type, with an example of the right one.
    pub fn wrong_type(&mut self, node: &Node, expected: &str, example: &str) {
        let found = node.value.kind();
        self.error(
            node,
            format!("expected {expected}, found {found}"),
            format!("write e.g. `{example}`"),
        );
    }

    /// The entries of a mapping whose keys must come from `allowed`; reports unknown keys
    /// (with a did-you-mean) and plaintext secrets.
    pub fn mapping<'n>(
        &mut self,
        node: &'n Node,
        allowed: &[&str],
        example: &str,
    ) -> Option<&'n [Entry]> {
        let Some(entries) = node.entries() else {
            self.wrong_type(node, "a mapping", example);
            return None;
        };
        for entry in entries {
            let key_path = entry.node.path.clone();
            if looks_secret(&entry.key) {
                self.error_at(
                    entry.key_pos,
                    &key_path,
                    "plaintext secrets are not allowed in the config",
                    format!(
                        "store the value in AWS Secrets Manager and give its ARN as `{}_arn`",
                        entry.key.trim_end_matches("_value")
                    ),
                );
            } else if !allowed.contains(&entry.key.as_str()) {
                let hint = match did_you_mean(&entry.key, allowed) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("known keys here: {}", allowed.join(", ")),
                };
                self.error_at(
                    entry.key_pos,
                    &key_path,
                    format!("unknown key `{}`", entry.key),
                    hint,
                );
            }
        }
        Some(entries)
    }

    /// The value under `key`, or a problem at the mapping when it is missing.
    pub fn required<'n>(&mut self, map: &'n Node, key: &str, example: &str) -> Option<&'n Node> {
        let found = map.get(key);
        if found.is_none() && map.entries().is_some() {
            let path = if map.path.is_empty() {
                key.to_string()
            } else {
                format!("{}.{key}", map.path)
            };
            let (problem, hint) = match &self.env {
                Some(env) => (
                    format!("is missing for environment `{env}`"),
                    format!("add `{key}: {example}` here, or under `environments.{env}`"),
                ),
                None => ("is missing".to_string(), format!("add `{key}: {example}`")),
            };
            self.error_at(map.key_pos, &path, problem, hint);
        }
        found
    }

    /// A string value.
    pub fn string<'n>(&mut self, node: &'n Node, example: &str) -> Option<&'n str> {
        match &node.value {
            Value::Str(text) => Some(text),
            _ => {
                self.wrong_type(node, "a string", example);
                None
            }
        }
    }

    /// A DNS name, or a problem recorded.
    pub fn dns_name(&mut self, node: &Node, example: &str) -> Option<DnsName> {
        let text = self.string(node, example)?;
        match DnsName::parse(text) {
            Ok(name) => Some(name),
            Err(problem) => {
                self.error(
                    node,
                    format!("\"{text}\" {problem}"),
                    format!("write a DNS name such as `{example}`"),
                );
                None
            }
        }
    }

    fn account(&mut self, node: &Node) -> Option<AccountId> {
        let text = match &node.value {
            Value::Str(text) => text.clone(),
            Value::Int(number) => number.to_string(),
            _ => {
                self.wrong_type(node, "a 12-digit account id", "\"123456789012\"");
                return None;
            }
        };
        let parsed = AccountId::parse(&text);
        if parsed.is_none() {
            let hint = if matches!(node.value, Value::Int(_)) {
                "quote it so leading zeros survive, e.g. `\"012345678901\"`"
            } else {
                "an AWS account id is exactly 12 digits, e.g. `\"123456789012\"`"
            };
            self.error(
                node,
                format!("\"{text}\" is not a 12-digit AWS account id"),
                hint,
            );
        }
        parsed
    }
}

/// A key that names secret material: it ends in a secret noun (`client_secret`,
/// `auth_token`, `api_key`) or mentions a password. `*_arn` keys point at secrets instead,
/// and `token_url` is a URL, not a token.
fn looks_secret(key: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "secret",
        "password",
        "passwd",
        "token",
        "private_key",
        "api_key",
        "secret_key",
        "access_key",
        "credential",
        "credentials",
    ];
    let key = key.to_ascii_lowercase();
    !key.ends_with("_arn")
        && (key.contains("password") || ENDINGS.iter().any(|ending| key.ends_with(ending)))
}

/// The allowed key closest to `key`, when it is close enough to be a typo.
pub fn did_you_mean<'k>(key: &str, allowed: &[&'k str]) -> Option<&'k str> {
    allowed
        .iter()
        .map(|candidate| (edit_distance(key, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 3))
        .min()
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// A name usable in stack names: starts with a letter, then `a-z0-9-`, at most `max` long.
pub fn check_name(
    reader: &mut Reader<'_>,
    node: &Node,
    text: &str,
    max: usize,
    what: &str,
) -> bool {
    let valid = text.len() <= max
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && !text.ends_with('-')
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        reader.error(
            node,
            format!("\"{text}\" cannot be used in stack names"),
            format!("a {what} starts with a letter, holds only a-z, 0-9 and '-', does not end with '-', and has at most {max} characters"),
        );
    }
    valid
}

/// Checks the keys of an `environments.<env>` overlay before it is merged.
pub fn check_overlay_keys(reader: &mut Reader<'_>, overlay: &Node) {
    if let Some(entries) = overlay.entries() {
        for entry in entries {
            // The top level's own keys (`project`, `environments`).
            let key = entry.key.as_str();
            if TOP_KEYS.contains(&key) && !ENV_KEYS.contains(&key) {
                reader.error_at(
                    entry.key_pos,
                    &entry.node.path,
                    format!("`{}` cannot be set per environment", entry.key),
                    "set it once at the top of the file",
                );
            }
        }
    }
    reader.mapping(overlay, ENV_KEYS, "{account: \"123456789012\"}");
}

/// Reads one environment's merged tree. `None` when any problem was found.
pub fn deployment(
    reader: &mut Reader<'_>,
    env: &str,
    merged: &Node,
    overlay: &Node,
) -> Option<Deployment> {
    let errors_before = reader.errors.len();
    // Keys written in the overlay were checked by `check_overlay_keys`; check the shared ones.
    let shared_keys = Node {
        value: Value::Map(
            merged
                .entries()
                .unwrap_or_default()
                .iter()
                .filter(|e| !e.node.path.starts_with("environments."))
                .cloned()
                .collect(),
        ),
        ..merged.clone()
    };
    let mut allowed: Vec<&str> = TOP_KEYS.to_vec();
    allowed.push("account");
    reader.mapping(&shared_keys, &allowed, "{}");
    let project = reader
        .required(merged, "project", "my-hub")
        .and_then(|node| {
            let text = reader.string(node, "my-hub")?;
            check_name(reader, node, text, 20, "project").then(|| text.to_string())
        });
    let account = match overlay.get("account") {
        Some(node) => reader.account(node),
        None => {
            reader.error_at(
                overlay.key_pos,
                &format!("environments.{env}.account"),
                "is missing",
                "add `account: \"123456789012\"` (the AWS account this environment deploys into)",
            );
            None
        }
    };
    let region = reader
        .required(merged, "region", "eu-west-1")
        .and_then(|node| read_region(reader, node));
    let tags = match merged.get("tags") {
        Some(node) => read_tags(reader, node),
        None => Some(BTreeMap::new()),
    };
    let dns = reader
        .required(merged, "dns", "{...}")
        .and_then(|node| read_dns(reader, node, region.as_deref()));
    let network = reader
        .required(merged, "network", "{vpc_cidr: 10.20.0.0/16}")
        .and_then(|node| read_network(reader, node, region.as_deref()));
    let storage = match merged.get("storage") {
        Some(node) => read_storage(reader, node),
        None => Some(Storage {
            retain: true,
            shared: None,
        }),
    };
    let hub = reader
        .required(merged, "hub", "{platform: ecs}")
        .and_then(|node| read_hub(reader, node, region.as_deref()));
    if let (Some(network), Some(hub)) = (&network, &hub) {
        // On EKS every pod takes an address of its node's subnet, and each subnet is a
        // sixteenth of the VPC.
        if hub.platform == crate::model::Platform::Eks && network.vpc_cidr.prefix > 20 {
            if let Some(node) = merged.get("network").and_then(|n| n.get("vpc_cidr")) {
                reader.error(
                    node,
                    format!(
                        "a /{} VPC leaves {} addresses per subnet, too few for EKS pods",
                        network.vpc_cidr.prefix,
                        (1u32 << (32 - network.vpc_cidr.prefix - 4)).saturating_sub(5)
                    ),
                    "give platform: eks a /20 or larger VPC (each subnet is 1/16 of it)",
                );
            }
        }
    }
    if let (
        Some(project),
        Some(Hub {
            auth: Auth::Cognito { existing: None },
            ..
        }),
    ) = (&project, &hub)
    {
        // The created pool's hosted UI domain is `<project>-<env>-<account>`, and Cognito
        // refuses domains containing these words.
        let domain = format!("{project}-{env}");
        if let Some(word) = ["aws", "amazon", "cognito"]
            .into_iter()
            .find(|word| domain.contains(word))
        {
            if let Some(node) = merged.get("project") {
                reader.error(
                    node,
                    format!("the Cognito domain `{domain}-<account>` would contain \"{word}\", which Cognito refuses"),
                    "rename the project or environment, or use an existing pool (`hub.auth.user_pool_id` and `domain`)",
                );
            }
        }
    }

    if let (Some(account), Some(hub)) = (&account, &hub) {
        check_secrets_in_account(reader, merged, account, hub);
    }
    if let (Some(dns), Some(hub)) = (&dns, &hub) {
        super::hub::check_logout_redirect(reader, merged, env, dns.hub_host.as_str(), hub);
    }

    if reader.errors.len() > errors_before {
        return None;
    }
    Some(Deployment {
        project: project?,
        env: env.to_string(),
        account: account?,
        region: region?,
        tags: tags?,
        dns: dns?,
        network: network?,
        storage: storage?,
        hub: hub?,
    })
}

/// Secrets named by ARN must live in the environment's own account. Across accounts ECS
/// could read them only with a resource policy on each secret and a customer-managed KMS
/// key that trusts this account (the default `aws/secretsmanager` key cannot be shared),
/// neither of which hubctl writes.
fn check_secrets_in_account(
    reader: &mut Reader<'_>,
    merged: &Node,
    account: &AccountId,
    hub: &Hub,
) {
    let mut arns: Vec<(&str, &str, &str)> = Vec::new();
    if let Database::External { url_secret_arn } = &hub.database {
        arns.push(("database", "url_secret_arn", url_secret_arn));
    }
    if let Auth::OAuth(provider) = &hub.auth {
        arns.push(("auth", "client_secret_arn", &provider.client_secret_arn));
    }
    for (section, key, arn) in arns {
        let secret_account = arn.split(':').nth(4).unwrap_or_default();
        if secret_account == account.as_str() {
            continue;
        }
        if let Some(node) = merged.get_path(&["hub", section, key]) {
            reader.error(
                node,
                format!("the secret is in account {secret_account}, the environment in {account}"),
                format!("copy the secret into account {account} and name that ARN; reading it across accounts would need a resource policy on the secret and a customer-managed KMS key that trusts {account}, which hubctl does not set up"),
            );
        }
    }
}

fn read_region(reader: &mut Reader<'_>, node: &Node) -> Option<String> {
    let text = reader.string(node, "eu-west-1")?;
    if REGIONS.contains(&text) {
        return Some(text.to_string());
    }
    let hint = match did_you_mean(text, REGIONS) {
        Some(close) => format!("did you mean `{close}`?"),
        None => "use an AWS region name such as `eu-west-1` or `us-east-1`".to_string(),
    };
    reader.error(node, format!("\"{text}\" is not an AWS region"), hint);
    None
}

fn read_tags(reader: &mut Reader<'_>, node: &Node) -> Option<BTreeMap<String, String>> {
    let Some(entries) = node.entries() else {
        reader.wrong_type(node, "a mapping of tag names to values", "{team: research}");
        return None;
    };
    let mut tags = BTreeMap::new();
    let mut valid = true;
    for entry in entries {
        let value = match &entry.node.value {
            Value::Str(text) => text.clone(),
            Value::Int(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            _ => {
                reader.wrong_type(&entry.node, "a tag value (string)", "research");
                valid = false;
                continue;
            }
        };
        let lowercase_key = entry.key.to_ascii_lowercase();
        if looks_secret(&entry.key) {
            reader.error_at(
                entry.key_pos,
                &entry.node.path,
                "tags are copied onto every resource; a secret must not be one",
                "remove it; keep secrets in AWS Secrets Manager",
            );
            valid = false;
        } else if lowercase_key.starts_with("hubctl:") {
            reader.error_at(
                entry.key_pos,
                &entry.node.path,
                "tag keys starting with `hubctl:` are hubctl's own",
                "choose another key",
            );
            valid = false;
        } else if lowercase_key.starts_with("aws:") {
            reader.error_at(
                entry.key_pos,
                &entry.node.path,
                "tag keys starting with `aws:` are reserved by AWS",
                "choose another key",
            );
            valid = false;
        } else if entry.key.is_empty() || entry.key.len() > 128 || value.len() > 256 {
            reader.error_at(
                entry.key_pos,
                &entry.node.path,
                "tag key or value is too long",
                "tag keys have 1-128 characters, values at most 256",
            );
            valid = false;
        }
        tags.insert(entry.key.clone(), value);
    }
    if tags.len() > 40 {
        reader.error(
            node,
            format!("{} tags given", tags.len()),
            "keep at most 40, so AWS's limit of 50 leaves room for hubctl's own",
        );
        valid = false;
    }
    valid.then_some(tags)
}

pub(super) fn partition(region: Option<&str>) -> &'static str {
    match region {
        Some(region) if region.starts_with("cn-") => "aws-cn",
        Some(region) if region.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    }
}

fn read_dns(reader: &mut Reader<'_>, node: &Node, region: Option<&str>) -> Option<Dns> {
    reader.mapping(node, DNS_KEYS, "{parent_zone: example.com}")?;
    let parent_zone = reader
        .required(node, "parent_zone", "example.com")
        .and_then(|n| reader.dns_name(n, "example.com"));
    let parent_account = reader
        .required(node, "parent_account", "\"111111111111\"")
        .and_then(|n| reader.account(n));
    let subzone_node = reader.required(node, "subzone", "dev.example.com");
    let subzone = subzone_node.and_then(|n| reader.dns_name(n, "dev.example.com"));
    let hub_host_node = reader.required(node, "hub_host", "hub.dev.example.com");
    let hub_host = hub_host_node.and_then(|n| reader.dns_name(n, "hub.dev.example.com"));
    let role_node = reader.required(node, "delegation_role", "DomainOperatorRole");

    if let (Some(parent), Some(sub), Some(sub_node)) = (&parent_zone, &subzone, subzone_node) {
        if !sub.is_strictly_below(parent) {
            reader.error(
                sub_node,
                format!("\"{sub}\" is not a child of parent_zone \"{parent}\""),
                format!("use a name ending in \".{parent}\", e.g. \"dev.{parent}\""),
            );
        }
    }
    if let (Some(sub), Some(host), Some(host_node)) = (&subzone, &hub_host, hub_host_node) {
        if !host.is_within(sub) {
            reader.error(
                host_node,
                format!("\"{host}\" is not inside subzone \"{sub}\""),
                format!("use \"{sub}\" or a name ending in \".{sub}\", e.g. \"hub.{sub}\""),
            );
        }
    }
    let delegation_role = match (role_node, &parent_account) {
        (Some(role_node), Some(account)) => {
            read_role(reader, role_node, account, partition(region))
        }
        _ => None,
    };
    Some(Dns {
        parent_zone: parent_zone?,
        parent_account: parent_account?,
        delegation_role: delegation_role?,
        subzone: subzone?,
        hub_host: hub_host?,
    })
}

fn valid_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// `dns.delegation_role`: the base name (or an ARN, for a path) of the parent account's
/// delegation roles, one per workload account named `<name>-<account>`.
fn read_role(
    reader: &mut Reader<'_>,
    node: &Node,
    parent_account: &AccountId,
    partition: &str,
) -> Option<DelegationRoles> {
    let text = reader.string(node, "DomainOperatorRole")?;
    let too_long = |name: &str| {
        format!(
            "\"{name}\" has {} characters: hubctl names the parent account's role for each workload account `{name}-<account id>`, and IAM allows 64",
            name.len()
        )
    };
    let long_fix = format!(
        "use a name of at most {} characters, e.g. DomainOperatorRole",
        DelegationRoles::MAX_BASE_NAME
    );
    if !text.starts_with("arn:") {
        if !valid_role_name(text) {
            reader.error(
                node,
                format!("\"{text}\" is not an IAM role name"),
                "a role name has 1-64 characters from a-z A-Z 0-9 and +=,.@_-; or give the role's ARN",
            );
            return None;
        }
        if text.len() > DelegationRoles::MAX_BASE_NAME {
            reader.error(node, too_long(text), long_fix);
            return None;
        }
        return Some(DelegationRoles {
            partition: partition.to_string(),
            account: parent_account.clone(),
            path: "/".to_string(),
            name: text.to_string(),
        });
    }
    let fix = format!("write `arn:{partition}:iam::{parent_account}:role/DomainOperatorRole` or just the role name");
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [_, arn_partition, service, arn_region, account, resource] = parts[..] else {
        reader.error(node, format!("\"{text}\" is not an IAM role ARN"), fix);
        return None;
    };
    let Some(role_path_and_name) = resource.strip_prefix("role/") else {
        reader.error(node, format!("\"{text}\" is not an IAM role ARN"), fix);
        return None;
    };
    if !["aws", "aws-cn", "aws-us-gov"].contains(&arn_partition)
        || service != "iam"
        || !arn_region.is_empty()
    {
        reader.error(node, format!("\"{text}\" is not an IAM role ARN"), fix);
        return None;
    }
    if arn_partition != partition {
        reader.error(
            node,
            format!("role ARN is in AWS partition `{arn_partition}`, the environment's region in `{partition}`"),
            fix,
        );
        return None;
    }
    if account != parent_account.as_str() {
        reader.error(
            node,
            format!("role ARN is in account {account}, not in parent_account {parent_account}"),
            "the delegation role lives in the parent DNS account; fix the ARN or parent_account",
        );
        return None;
    }
    let (path, name) = match role_path_and_name.rsplit_once('/') {
        Some((path, name)) => (format!("/{path}/"), name),
        None => ("/".to_string(), role_path_and_name),
    };
    let path_ok = path.len() <= 512
        && path
            .trim_matches('/')
            .split('/')
            .all(|segment| path == "/" || valid_role_name(segment));
    if !path_ok {
        reader.error(node, format!("\"{path}\" is not an IAM role path"), fix);
        return None;
    }
    if !valid_role_name(name) {
        reader.error(node, format!("\"{name}\" is not an IAM role name"), fix);
        return None;
    }
    if name.len() > DelegationRoles::MAX_BASE_NAME {
        reader.error(node, too_long(name), long_fix);
        return None;
    }
    Some(DelegationRoles {
        partition: arn_partition.to_string(),
        account: parent_account.clone(),
        path,
        name: name.to_string(),
    })
}

fn read_network(reader: &mut Reader<'_>, node: &Node, region: Option<&str>) -> Option<Network> {
    reader.mapping(node, NETWORK_KEYS, "{vpc_cidr: 10.20.0.0/16}")?;
    let vpc_cidr = reader
        .required(node, "vpc_cidr", "10.20.0.0/16")
        .and_then(|n| {
            let text = reader.string(n, "10.20.0.0/16")?;
            match Cidr::parse(text) {
                Ok(cidr) if (16..=24).contains(&cidr.prefix) => Some(cidr),
                Ok(cidr) => {
                    reader.error(
                        n,
                        format!("\"{text}\" is a /{}", cidr.prefix),
                        "a VPC is between /16 and /24, e.g. `10.20.0.0/16`",
                    );
                    None
                }
                Err(problem) => {
                    reader.error(
                        n,
                        format!("\"{text}\" {problem}"),
                        "write a network such as `10.20.0.0/16`",
                    );
                    None
                }
            }
        });
    let availability_zones = match node.get("availability_zones") {
        // The default, two zones, is in every region of the table; a region outside it
        // needs the zones named, said at the network section.
        None => zones_by_count(reader, node, 2, region),
        Some(n) => read_zones(reader, n, region),
    };
    let nat_gateways = match node.get("nat_gateways") {
        None => Some(1),
        Some(n) => match (&n.value, &availability_zones) {
            (Value::Int(count), Some(zones)) if *count >= 1 && (*count as usize) <= zones.len() => {
                Some(*count as usize)
            }
            (Value::Int(count), Some(zones)) => {
                reader.error(
                    n,
                    format!(
                        "{count} NAT gateways for {} availability zones",
                        zones.len()
                    ),
                    format!(
                        "use 1 (cheapest) to {} (one per zone, survives a zone outage)",
                        zones.len()
                    ),
                );
                None
            }
            (Value::Int(_), None) => None,
            _ => {
                reader.wrong_type(n, "a whole number", "1");
                None
            }
        },
    };
    let ecr_endpoints = match node.get("ecr_endpoints") {
        Some(n) => read_bool(reader, n),
        None => Some(false),
    };
    Some(Network {
        vpc_cidr: vpc_cidr?,
        availability_zones: availability_zones?,
        nat_gateways: nat_gateways?,
        ecr_endpoints: ecr_endpoints?,
    })
}

/// The region's first `count` zone ids where Fargate runs (`config::zones`), or an error at
/// `node` when the region has fewer or is not in the table. `None` without an error when
/// the region itself was invalid (said there).
fn zones_by_count(
    reader: &mut Reader<'_>,
    node: &Node,
    count: usize,
    region: Option<&str>,
) -> Option<AvailabilityZones> {
    let region = region?;
    let example = format!("[{region}a, {region}b]");
    match super::zones::zone_ids(region) {
        Some(ids) if ids.len() >= count => Some(AvailabilityZones::Ids(
            ids[..count].iter().map(|id| id.to_string()).collect(),
        )),
        Some(ids) => {
            reader.error(
                node,
                format!(
                    "{count} availability zones, but {region} has {} where ECS Fargate runs ({})",
                    ids.len(),
                    ids.join(", ")
                ),
                format!("give a count from 2 to {}", ids.len()),
            );
            None
        }
        None => {
            reader.error(
                node,
                format!(
                    "hubctl's zone table has no zones for {region} (it covers {})",
                    super::zones::regions().collect::<Vec<_>>().join(", ")
                ),
                format!("name the zones instead: `availability_zones: {example}`"),
            );
            None
        }
    }
}

fn read_zones(
    reader: &mut Reader<'_>,
    node: &Node,
    region: Option<&str>,
) -> Option<AvailabilityZones> {
    let errors_before = reader.errors.len();
    const FIX: &str = "give a count from 2 to 6, or a list of 2 to 6 zone names such as `[eu-west-1a, eu-west-1b]`";
    match &node.value {
        Value::Int(count) if (2..=6).contains(count) => {
            zones_by_count(reader, node, *count as usize, region)
        }
        Value::Int(count) => {
            reader.error(node, format!("{count} availability zones"), FIX);
            None
        }
        Value::Seq(items) => {
            if !(2..=6).contains(&items.len()) {
                reader.error(
                    node,
                    format!("{} availability zones listed", items.len()),
                    FIX,
                );
                return None;
            }
            let mut names: Vec<String> = Vec::new();
            for item in items {
                let Some(name) = reader.string(item, "eu-west-1a") else {
                    continue;
                };
                let in_region = region.is_none_or(|region| {
                    name.strip_prefix(region).is_some_and(|rest| {
                        rest.len() == 1 && rest.bytes().all(|b| b.is_ascii_lowercase())
                    })
                });
                if !in_region {
                    reader.error(
                        item,
                        format!(
                            "\"{name}\" is not an availability zone of {}",
                            region.unwrap_or("the region")
                        ),
                        format!(
                            "zone names are the region plus a letter, e.g. `{}a`",
                            region.unwrap_or("eu-west-1")
                        ),
                    );
                } else if names.iter().any(|existing| existing == name) {
                    reader.error(
                        item,
                        format!("\"{name}\" is listed twice"),
                        "list each zone once",
                    );
                }
                names.push(name.to_string());
            }
            if reader.errors.len() > errors_before {
                return None;
            }
            Some(AvailabilityZones::Named(names))
        }
        _ => {
            reader.wrong_type(node, "a count or a list of zone names", "2");
            None
        }
    }
}

fn read_storage(reader: &mut Reader<'_>, node: &Node) -> Option<Storage> {
    reader.mapping(node, STORAGE_KEYS, "{retain: true}")?;
    let retain = match node.get("retain") {
        None => Some(true),
        Some(n) => match n.value {
            Value::Bool(flag) => Some(flag),
            _ => {
                reader.wrong_type(n, "true or false", "true");
                None
            }
        },
    };
    let shared = match node.get("shared") {
        None => Some(None),
        Some(n) => read_shared(reader, n),
    };
    Some(Storage {
        retain: retain?,
        shared: shared?,
    })
}

/// `storage.shared`: `true` (the defaults), `false`, or `{path, mount}` (each optional).
fn read_shared(reader: &mut Reader<'_>, node: &Node) -> Option<Option<SharedData>> {
    const EXAMPLE: &str = "{path: /shared, mount: /home/jovyan/shared}";
    let (path, mount) = match &node.value {
        Value::Bool(false) | Value::Null => return Some(None),
        Value::Bool(true) => (None, None),
        Value::Map(_) => {
            reader.mapping(node, SHARED_KEYS, EXAMPLE)?;
            (node.get("path"), node.get("mount"))
        }
        _ => {
            reader.wrong_type(node, "true, false or a mapping", EXAMPLE);
            return None;
        }
    };
    let path = match path {
        None => Some(SharedData::DEFAULT_PATH.to_string()),
        Some(n) => read_shared_path(reader, n),
    };
    let mount = match mount {
        None => Some(SharedData::DEFAULT_MOUNT.to_string()),
        Some(n) => read_shared_mount(reader, n),
    };
    Some(Some(SharedData {
        path: path?,
        mount: mount?,
    }))
}

/// An absolute path written plainly: `/` and then names of letters, digits, `-`, `_` and
/// `.` (none starting with `.`, so no `.` or `..`), no empty name, no trailing `/`.
fn plain_absolute_path(text: &str) -> Result<Vec<&str>, String> {
    let Some(rest) = text.strip_prefix('/') else {
        return Err("is not an absolute path".to_string());
    };
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<&str> = rest.split('/').collect();
    for name in &names {
        if name.is_empty() {
            return Err("has an empty name (`//` or a trailing `/`)".to_string());
        }
        if name.starts_with('.') {
            return Err(format!(
                "has the name `{name}`: no `.`, `..` or hidden names"
            ));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(format!("has the character {c:?}"));
        }
    }
    Ok(names)
}

/// Whether `path` is `dir` or below it.
fn is_within(path: &str, dir: &str) -> bool {
    dir == "/" || path == dir || path.starts_with(&format!("{dir}/"))
}

fn read_shared_path(reader: &mut Reader<'_>, node: &Node) -> Option<String> {
    let text = reader.string(node, "/shared")?;
    let fix = "give a directory of its own on the file system, e.g. `/shared` or `/data/shared`";
    let names = match plain_absolute_path(text) {
        Ok(names) => names,
        Err(problem) => {
            reader.error(node, format!("\"{text}\" {problem}"), fix);
            return None;
        }
    };
    if names.is_empty() {
        reader.error(
            node,
            "\"/\" is the whole file system, every user's home and the hub's state with it",
            fix,
        );
        return None;
    }
    if let Some(dir) = RESERVED_EFS_DIRECTORIES
        .iter()
        .find(|dir| is_within(text, dir))
    {
        let whose = if *dir == "/home" {
            "the users' homes live"
        } else {
            "the hub keeps its state"
        };
        reader.error(
            node,
            format!("\"{text}\" is inside `{dir}`, where {whose}"),
            fix,
        );
        return None;
    }
    // EFS: an access point's root directory has at most four levels and 100 characters.
    if names.len() > 4 || text.len() > 100 {
        reader.error(
            node,
            format!("\"{text}\" is deeper than 4 directories or longer than 100 characters, more than an EFS access point takes"),
            fix,
        );
        return None;
    }
    Some(text.to_string())
}

fn read_shared_mount(reader: &mut Reader<'_>, node: &Node) -> Option<String> {
    let text = reader.string(node, SharedData::DEFAULT_MOUNT)?;
    let fix = format!(
        "give a directory of its own in the servers, e.g. `{}` (shown in JupyterLab's file browser) or `/srv/shared`",
        SharedData::DEFAULT_MOUNT
    );
    if let Err(problem) = plain_absolute_path(text) {
        reader.error(node, format!("\"{text}\" {problem}"), fix);
        return None;
    }
    if is_within(crate::model::HOME_MOUNT, text) {
        reader.error(
            node,
            format!(
                "\"{text}\" would hide the user's home, mounted at `{}`",
                crate::model::HOME_MOUNT
            ),
            fix,
        );
        return None;
    }
    if let Some(dir) = SYSTEM_DIRECTORIES.iter().find(|dir| is_within(text, dir)) {
        reader.error(
            node,
            format!("\"{text}\" is inside the image's `{dir}`"),
            fix,
        );
        return None;
    }
    Some(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_a_suggestion() {
        assert_eq!(did_you_mean("subzon", DNS_KEYS), Some("subzone"));
        assert_eq!(did_you_mean("vpc_cdir", NETWORK_KEYS), Some("vpc_cidr"));
        assert_eq!(did_you_mean("banana", DNS_KEYS), None);
    }

    /// The first environment of a small valid config with `storage` as given.
    fn storage_of(storage: &str) -> Result<Storage, String> {
        let text = format!(
            "project: demo\nregion: eu-west-1\n\
             dns: {{parent_zone: example.com, parent_account: \"111111111111\", delegation_role: Dns}}\n\
             network: {{vpc_cidr: 10.0.0.0/16}}\n\
             storage: {storage}\n\
             hub:\n  platform: ecs\n  hub_image: quay.io/jupyterhub/k8s-hub:4.4.0\n  user_image: quay.io/jupyter/base-notebook:2025-06-30\n  admins: [alice]\n  allowed_cidrs: [203.0.113.0/24]\n  auth: {{kind: cognito}}\n\
             environments:\n  dev:\n    account: \"123456789012\"\n    dns: {{subzone: dev.example.com, hub_host: hub.dev.example.com}}\n"
        );
        super::super::parse("hubctl.yaml", &text)
            .map(|config| config.deployments[0].storage.clone())
            .map_err(|errors| errors.to_string())
    }

    fn shared(path: &str, mount: &str) -> Option<SharedData> {
        Some(SharedData {
            path: path.to_string(),
            mount: mount.to_string(),
        })
    }

    #[test]
    fn shared_data_is_off_unless_asked_for() {
        assert_eq!(storage_of("{retain: true}").unwrap().shared, None);
        assert_eq!(storage_of("{shared: false}").unwrap().shared, None);
        assert_eq!(
            storage_of("{shared: true}").unwrap(),
            Storage {
                retain: true,
                shared: shared("/shared", "/home/jovyan/shared"),
            }
        );
    }

    #[test]
    fn shared_data_takes_a_path_and_a_mount() {
        assert_eq!(
            storage_of("{shared: {path: /data/team-1, mount: /srv/data}}")
                .unwrap()
                .shared,
            shared("/data/team-1", "/srv/data")
        );
        assert_eq!(
            storage_of("{retain: false, shared: {mount: /home/jovyan/data.v2}}").unwrap(),
            Storage {
                retain: false,
                shared: shared("/shared", "/home/jovyan/data.v2"),
            }
        );
    }

    #[test]
    fn bad_shared_data_is_named_with_its_value_and_a_fix() {
        for (storage, expected) in [
            ("{shared: yes-please}", "storage.shared: expected true, false or a mapping, found a string; write e.g. `{path: /shared, mount: /home/jovyan/shared}`"),
            ("{shared: {path: /shared, mnt: /x}}", "storage.shared.mnt: unknown key `mnt`"),
            ("{shared: {path: shared}}", "storage.shared.path: \"shared\" is not an absolute path; give a directory of its own on the file system, e.g. `/shared`"),
            ("{shared: {path: /}}", "storage.shared.path: \"/\" is the whole file system"),
            ("{shared: {path: /home}}", "storage.shared.path: \"/home\" is inside `/home`, where the users' homes live"),
            ("{shared: {path: /home/shared}}", "\"/home/shared\" is inside `/home`"),
            ("{shared: {path: /hub/x}}", "\"/hub/x\" is inside `/hub`, where the hub keeps its state"),
            ("{shared: {path: /homework}}", ""),
            ("{shared: {path: /data/../home}}", "storage.shared.path: \"/data/../home\" has the name `..`"),
            ("{shared: {path: /data/./x}}", "has the name `.`"),
            ("{shared: {path: /data//x}}", "has an empty name"),
            ("{shared: {path: /data/}}", "has an empty name"),
            ("{shared: {path: \"/da ta\"}}", "has the character ' '"),
            ("{shared: {path: /a/b/c/d/e}}", "deeper than 4 directories"),
            ("{shared: {path: 7}}", "storage.shared.path: expected a string, found an integer"),
            ("{shared: {mount: home/jovyan/shared}}", "storage.shared.mount: \"home/jovyan/shared\" is not an absolute path; give a directory of its own in the servers"),
            ("{shared: {mount: /home/jovyan}}", "storage.shared.mount: \"/home/jovyan\" would hide the user's home, mounted at `/home/jovyan`"),
            ("{shared: {mount: /home}}", "would hide the user's home"),
            ("{shared: {mount: /}}", "\"/\" would hide the user's home"),
            ("{shared: {mount: /usr/share/data}}", "storage.shared.mount: \"/usr/share/data\" is inside the image's `/usr`"),
            ("{shared: {mount: /tmp}}", "is inside the image's `/tmp`"),
            ("{shared: {mount: /home/jovyan/../x}}", "has the name `..`"),
        ] {
            let result = storage_of(storage);
            if expected.is_empty() {
                assert!(result.is_ok(), "{storage}: {result:?}");
                continue;
            }
            let errors = result.expect_err(storage);
            assert!(errors.contains(expected), "{storage}: expected {expected:?} in\n{errors}");
            assert!(errors.starts_with("hubctl.yaml:5:"), "{storage}: the line: {errors}");
        }
    }

    #[test]
    fn secret_keys_are_recognised() {
        assert!(looks_secret("client_secret"));
        assert!(looks_secret("db_password"));
        assert!(!looks_secret("client_secret_arn"));
        assert!(!looks_secret("subzone"));
        assert!(!looks_secret("token_url"));
        assert!(looks_secret("auth_token"));
        assert!(looks_secret("password_hash"));
    }
}
