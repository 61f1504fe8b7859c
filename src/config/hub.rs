//! The `hub` section of one environment: platform, images, users, who may reach it, idle
//! timeout, server sizes, database and login, each rule checked with the value's place.

use super::read::{check_name, partition, Reader, REGIONS};
use super::schema::{self, key_names};
use super::yaml::{Node, Value};
use crate::model::{
    AccountId, Auth, Cidr, Database, DnsName, ExistingUserPool, Hub, Image, OAuthProvider,
    Platform, Profile, User,
};
use crate::stacks::platform::ProfileProblem;

// The keys of each mapping, read off their one declaration in `config::schema`.
const HUB_KEYS: &[&str] = key_names!(schema::HUB);
const PROFILE_KEYS: &[&str] = key_names!(schema::PROFILE);
const DATABASE_KEYS: &[&str] = key_names!(schema::DATABASE);
/// The PostgreSQL version of a created database unless the config says otherwise.
/// The PostgreSQL major version of a hub database made here; RDS applies the minors
/// (`AutoMinorVersionUpgrade`).
pub const DEFAULT_POSTGRES_VERSION: &str = "17";
const AUTH_KEYS: &[&str] = key_names!(schema::AUTH);

pub(super) fn read_hub(reader: &mut Reader<'_>, node: &Node, region: Option<&str>) -> Option<Hub> {
    reader.mapping(node, HUB_KEYS, "{platform: ecs}")?;
    let errors_before = reader.errors.len();
    let platform =
        reader
            .required(node, "platform", "ecs")
            .and_then(|n| match reader.string(n, "ecs")? {
                "ecs" => Some(Platform::Ecs),
                "eks" => Some(Platform::Eks),
                other => {
                    reader.error(
                        n,
                        format!("\"{other}\" is not a platform"),
                        "use `ecs` (Fargate) or `eks`",
                    );
                    None
                }
            });
    let image_example = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jupyterhub:5.4.6";
    let hub_image = reader
        .required(node, "hub_image", image_example)
        .and_then(|n| read_image(reader, n));
    let user_image = reader
        .required(node, "user_image", image_example)
        .and_then(|n| read_image(reader, n));
    let admins = reader
        .required(node, "admins", "[alice]")
        .and_then(|n| read_users(reader, n, true));
    let allowed_users = match node.get("allowed_users") {
        Some(n) => read_users(reader, n, false),
        None => Some(Vec::new()),
    };
    let allowed_cidrs = reader
        .required(node, "allowed_cidrs", "[203.0.113.0/24]")
        .and_then(|n| read_allowed_cidrs(reader, n));
    let idle_timeout_seconds = match node.get("idle_timeout") {
        Some(n) => read_duration(reader, n),
        None => Some(3600),
    };
    let profiles = match (node.get("profiles"), &user_image) {
        (Some(n), Some(default_image)) => read_profiles(reader, n, default_image, platform),
        (None, Some(default_image)) => Some(vec![Profile {
            name: "default".to_string(),
            cpu: 1024,
            memory: 4096,
            gpus: 0,
            image: default_image.clone(),
        }]),
        (_, None) => None,
    };
    let database = match node.get("database") {
        Some(n) => read_database(reader, n, region, platform),
        // On EKS the hub keeps SQLite on its own encrypted EBS volume unless told otherwise.
        None if platform == Some(Platform::Eks) => Some(Database::Sqlite { volume_gib: 1 }),
        None => Some(Database::Postgres {
            instance_class: "db.t4g.micro".to_string(),
            multi_az: false,
            engine_version: DEFAULT_POSTGRES_VERSION.to_string(),
        }),
    };
    let eks = match (platform, node.get("eks")) {
        (Some(Platform::Eks), Some(n)) => super::eks::read_eks(reader, n, region).map(Some),
        (Some(Platform::Eks), None) => {
            reader.required(node, "eks", "{compute: auto}");
            None
        }
        (_, Some(n)) => {
            if platform.is_some() {
                reader.error(
                    n,
                    "applies to `platform: eks` only",
                    "remove it, or set `platform: eks`",
                );
            }
            None
        }
        (_, None) => Some(None),
    };
    let auth = reader
        .required(node, "auth", "{kind: cognito}")
        .and_then(|n| read_auth(reader, n, region));
    let deletion_protection = match node.get("deletion_protection") {
        Some(n) => read_bool(reader, n),
        None => Some(true),
    };

    let (Some(admins), Some(allowed_users)) = (admins, allowed_users) else {
        return None;
    };
    check_users(reader, node, &admins, &allowed_users);
    if let Some(profiles) = &profiles {
        // Each user gets an access point, a task role, a token secret and one task definition
        // per profile; CloudFormation allows 500 resources per stack, the rest of the hub
        // stack needs about 80.
        let n_users = admins.len() + allowed_users.len();
        let n_resources = n_users * (profiles.len() + 3);
        if n_resources > 420 {
            reader.error(
                node,
                format!("{n_users} users × {} profiles need {n_resources} resources in the hub stack", profiles.len()),
                "CloudFormation allows 500 per stack (about 420 for users); list fewer users or profiles",
            );
        }
    }
    if let (Some(profiles), Some(Some(eks)), Some(n)) = (&profiles, &eks, node.get("profiles")) {
        if !eks.compute.has_gpus() {
            if let Some(profile) = profiles.iter().find(|p| p.gpus > 0) {
                reader.error(
                    n,
                    format!("profile \"{}\" asks for GPUs, and the cluster has no GPU nodes", profile.name),
                    "add `hub.eks.gpu_nodes: {instance_types: [g6.xlarge], max: 2}`, or use `compute: auto`",
                );
            }
        }
    }
    if reader.errors.len() > errors_before {
        return None;
    }
    Some(Hub {
        platform: platform?,
        hub_image: hub_image?,
        user_image: user_image?,
        admins: admins.into_iter().map(|(_, user)| user).collect(),
        allowed_users: allowed_users.into_iter().map(|(_, user)| user).collect(),
        allowed_cidrs: allowed_cidrs?,
        idle_timeout_seconds: idle_timeout_seconds?,
        profiles: profiles?,
        database: database?,
        auth: auth?,
        deletion_protection: deletion_protection?,
        eks: eks?,
    })
}

pub(super) fn read_bool(reader: &mut Reader<'_>, node: &Node) -> Option<bool> {
    match node.value {
        Value::Bool(flag) => Some(flag),
        _ => {
            reader.wrong_type(node, "true or false", "true");
            None
        }
    }
}

fn read_image(reader: &mut Reader<'_>, node: &Node) -> Option<Image> {
    let text = reader.string(
        node,
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jupyterhub:5.4.6",
    )?;
    let last = text.rsplit('/').next().unwrap_or(text);
    let tag = last
        .split_once('@')
        .map(|(_, digest)| digest)
        .or_else(|| last.split_once(':').map(|(_, tag)| tag));
    let valid_chars = !text.is_empty()
        && text.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || b"._-/:@".contains(&b)
                || b.is_ascii_uppercase()
        });
    match tag {
        _ if !valid_chars => {
            reader.error(
                node,
                format!("\"{text}\" is not an image reference"),
                "write registry/repository:tag",
            );
            None
        }
        None | Some("") => {
            reader.error(
                node,
                format!("\"{text}\" has no tag"),
                "pin the image with a tag or digest, e.g. `...:5.4.6`, so every deploy runs the same image",
            );
            None
        }
        Some("latest") => {
            reader.error(
                node,
                format!("\"{text}\" uses the tag `latest`"),
                "pin a version tag or a digest",
            );
            None
        }
        Some(_) => Some(Image {
            reference: text.to_string(),
            ecr: ecr_parts(text),
        }),
    }
}

/// `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]` → its parts.
fn ecr_parts(reference: &str) -> Option<(String, String, String)> {
    let (registry, path) = reference.split_once('/')?;
    let mut parts = registry.split('.');
    let account = parts.next()?;
    let (dkr, ecr, region) = (parts.next()?, parts.next()?, parts.next()?);
    if dkr != "dkr" || ecr != "ecr" || AccountId::parse(account).is_none() {
        return None;
    }
    let without_digest = path.split('@').next()?;
    let repository = without_digest
        .rsplit_once(':')
        .map_or(without_digest, |(repository, _tag)| repository);
    Some((
        account.to_string(),
        region.to_string(),
        repository.to_string(),
    ))
}

/// Users: `(node, user)` pairs so duplicates can be reported where they are written.
fn read_users<'n>(
    reader: &mut Reader<'_>,
    node: &'n Node,
    required: bool,
) -> Option<Vec<(&'n Node, User)>> {
    let Value::Seq(items) = &node.value else {
        reader.wrong_type(node, "a list of user names", "[alice, bob]");
        return None;
    };
    if required && items.is_empty() {
        reader.error(
            node,
            "is empty",
            "name at least one admin, who can then manage the hub",
        );
        return None;
    }
    let mut users = Vec::new();
    for item in items {
        let Some(name) = reader.string(item, "alice") else {
            continue;
        };
        let valid = (1..=64).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._@-".contains(&b));
        if valid {
            users.push((
                item,
                User {
                    name: name.to_string(),
                    uid: uid_of(name),
                },
            ));
        } else {
            reader.error(
                item,
                format!("\"{name}\" is not a usable user name"),
                "user names have 1-64 characters from a-z, 0-9 and ._@- and start with a letter or digit (JupyterHub lowercases names)",
            );
        }
    }
    Some(users)
}

/// A stable uid for a user's files: 10000 + FNV-1a(name) mod 50000. Stable when users are
/// added or removed (an index would shift everyone's files); collisions are reported.
pub fn uid_of(name: &str) -> u32 {
    10_000 + crate::model::fnv1a(name) % 50_000
}

fn check_users(
    reader: &mut Reader<'_>,
    hub: &Node,
    admins: &[(&Node, User)],
    allowed: &[(&Node, User)],
) {
    let all: Vec<&(&Node, User)> = admins.iter().chain(allowed).collect();
    for (index, (node, user)) in all.iter().enumerate() {
        if let Some((_, earlier)) = all[..index]
            .iter()
            .find(|(_, other)| other.name == user.name)
        {
            reader.error(
                node,
                format!("\"{}\" is listed twice", earlier.name),
                "list each user once; admins may log in without being in allowed_users",
            );
        } else if let Some((_, other)) =
            all[..index].iter().find(|(_, other)| other.uid == user.uid)
        {
            reader.error(
                node,
                format!(
                    "\"{}\" gets the same file owner id ({}) as \"{}\"",
                    user.name, user.uid, other.name
                ),
                "rename one of them (ids derive from the name)",
            );
        }
    }
    if all.len() > 100 {
        reader.error(
            hub,
            format!("{} users listed", all.len()),
            "at most 100: each user gets an EFS access point and task definitions",
        );
    }
}

fn read_allowed_cidrs(reader: &mut Reader<'_>, node: &Node) -> Option<Vec<Cidr>> {
    let (cidrs, n_items) = read_networks(reader, node, "write a network such as `203.0.113.0/24`")?;
    if n_items == 0 {
        reader.error(
            node,
            "is empty",
            "list the networks that may reach the hub; `0.0.0.0/0` opens it to the internet",
        );
        return None;
    }
    (cidrs.len() == n_items).then_some(cidrs)
}

/// A list of networks, each listed once: the ones that read, and how many items the list
/// has (each bad one reported with `fix`). `None` when it is not a list.
pub(super) fn read_networks(
    reader: &mut Reader<'_>,
    node: &Node,
    fix: &str,
) -> Option<(Vec<Cidr>, usize)> {
    let Value::Seq(items) = &node.value else {
        reader.wrong_type(node, "a list of networks", "[203.0.113.0/24]");
        return None;
    };
    let mut cidrs = Vec::new();
    for item in items {
        let Some(text) = reader.string(item, "203.0.113.0/24") else {
            continue;
        };
        match Cidr::parse(text) {
            Ok(cidr) if cidrs.contains(&cidr) => reader.error(
                item,
                format!("\"{text}\" is listed twice"),
                "list each network once",
            ),
            Ok(cidr) => cidrs.push(cidr),
            Err(problem) => reader.error(item, format!("\"{text}\" {problem}"), fix),
        }
    }
    Some((cidrs, items.len()))
}

fn read_duration(reader: &mut Reader<'_>, node: &Node) -> Option<u32> {
    const FIX: &str =
        "give seconds (3600) or a duration such as `90m` or `8h`, from 10 minutes to 7 days";
    let seconds = match &node.value {
        Value::Int(seconds) => Some(*seconds),
        Value::Str(text) => {
            let (number, unit) = text.split_at(
                text.trim_end_matches(|c: char| c.is_ascii_alphabetic())
                    .len(),
            );
            let factor = match unit {
                "s" | "" => Some(1),
                "m" => Some(60),
                "h" => Some(3600),
                "d" => Some(86_400),
                _ => None,
            };
            number
                .parse::<i64>()
                .ok()
                .zip(factor)
                .map(|(n, f)| n.saturating_mul(f))
        }
        _ => None,
    };
    let written = match &node.value {
        Value::Int(seconds) => seconds.to_string(),
        Value::Str(text) => format!("\"{text}\""),
        other => other.kind().to_string(),
    };
    match seconds {
        Some(seconds) if (600..=604_800).contains(&seconds) => Some(seconds as u32),
        Some(_) => {
            reader.error(
                node,
                format!("{written} is outside 10 minutes to 7 days"),
                FIX,
            );
            None
        }
        None => {
            reader.error(node, format!("{written} is not an idle timeout"), FIX);
            None
        }
    }
}

/// The server sizes, each one the platform can run (`None` when the platform itself was
/// wrong: only the rest is checked then).
fn read_profiles(
    reader: &mut Reader<'_>,
    node: &Node,
    default_image: &Image,
    platform: Option<Platform>,
) -> Option<Vec<Profile>> {
    let Value::Seq(items) = &node.value else {
        reader.wrong_type(
            node,
            "a list of profiles",
            "[{name: small, cpu: 1024, memory: 4096}]",
        );
        return None;
    };
    if items.is_empty() || items.len() > 8 {
        reader.error(
            node,
            format!("{} profiles", items.len()),
            "give 1 to 8 server sizes",
        );
        return None;
    }
    let mut profiles: Vec<Profile> = Vec::new();
    for item in items {
        reader.mapping(item, PROFILE_KEYS, "{name: small, cpu: 1024, memory: 4096}");
        let name = reader.required(item, "name", "small").and_then(|n| {
            let text = reader.string(n, "small")?;
            if !check_name(reader, n, text, 16, "profile name") {
                return None;
            }
            if profiles.iter().any(|p| p.name == text) {
                reader.error(
                    n,
                    format!("profile \"{text}\" is defined twice"),
                    "give each profile its own name",
                );
                return None;
            }
            Some(text.to_string())
        });
        let number = |reader: &mut Reader<'_>, key: &str, example: &str| {
            reader
                .required(item, key, example)
                .and_then(|n| match n.value {
                    Value::Int(value) if value > 0 && value <= i64::from(u32::MAX) => {
                        Some((n, value as u32))
                    }
                    _ => {
                        reader.wrong_type(n, "a positive whole number", example);
                        None
                    }
                })
        };
        let cpu = number(reader, "cpu", "1024");
        let memory = number(reader, "memory", "4096");
        let gpus = match item.get("gpus") {
            Some(n) if platform == Some(Platform::Ecs) => {
                reader.error(
                    n,
                    "Fargate has no GPUs",
                    "remove `gpus`, or use `platform: eks`",
                );
                None
            }
            Some(n) => match n.value {
                Value::Int(value) if (0..=8).contains(&value) => Some(value as u32),
                _ => {
                    reader.wrong_type(n, "a GPU count from 0 to 8", "1");
                    None
                }
            },
            None => Some(0),
        };
        let image = match item.get("image") {
            Some(n) => read_image(reader, n),
            None => Some(default_image.clone()),
        };
        let (
            Some(name),
            Some((cpu_node, cpu)),
            Some((memory_node, memory)),
            Some(gpus),
            Some(image),
        ) = (name, cpu, memory, gpus, image)
        else {
            continue;
        };
        let check = platform.map_or(Ok(()), |platform| {
            crate::stacks::platform::of(platform).check_profile(cpu, memory)
        });
        match check {
            Err(ProfileProblem::Cpu { problem, fix }) => reader.error(cpu_node, problem, fix),
            Err(ProfileProblem::Memory { problem, fix }) => reader.error(memory_node, problem, fix),
            Ok(()) => profiles.push(Profile {
                name,
                cpu,
                memory,
                gpus,
                image,
            }),
        }
    }
    (profiles.len() == items.len()).then_some(profiles)
}

fn secret_arn(reader: &mut Reader<'_>, node: &Node, region: Option<&str>) -> Option<String> {
    let example = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub/oauth-AbCdEf";
    let text = reader.string(node, example)?;
    let parts: Vec<&str> = text.split(':').collect();
    // The complete ARN, with the 6-character suffix Secrets Manager adds: IAM policies and
    // ECS match it exactly. No `:json-key::` tail: the whole secret is the value.
    let valid = matches!(parts[..], ["arn", arn_partition, "secretsmanager", secret_region, account, "secret", name]
        if arn_partition == partition(region)
            && AccountId::parse(account).is_some()
            && region.is_none_or(|r| r == secret_region)
            && name.rsplit_once('-').is_some_and(|(base, suffix)| !base.is_empty() && suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric())));
    if valid {
        Some(text.to_string())
    } else {
        reader.error(
            node,
            format!("\"{text}\" is not the complete ARN of a Secrets Manager secret in the stack's region"),
            format!("copy the ARN from the console or `aws secretsmanager describe-secret`, ending in the 6-character suffix, e.g. `{example}`"),
        );
        None
    }
}

/// The keys of `fields`' variant `variant`, which the declaration has.
fn variant_keys(fields: &schema::Fields, variant: &str) -> Vec<&'static str> {
    fields.variant_names(variant).unwrap_or_default()
}

fn read_database(
    reader: &mut Reader<'_>,
    node: &Node,
    region: Option<&str>,
    platform: Option<Platform>,
) -> Option<Database> {
    reader.mapping(node, DATABASE_KEYS, "{kind: postgres}")?;
    let kind_node = reader.required(node, "kind", "postgres")?;
    let only = |reader: &mut Reader<'_>, allowed: &[&str], kind: &str| {
        for key in DATABASE_KEYS
            .iter()
            .filter(|key| **key != "kind" && !allowed.contains(key))
        {
            if let Some(entry) = node
                .entries()
                .and_then(|entries| entries.iter().find(|e| e.key == *key))
            {
                reader.error_at(
                    entry.key_pos,
                    &entry.node.path,
                    format!("does not apply to kind `{kind}`"),
                    "remove it",
                );
            }
        }
    };
    match reader.string(kind_node, "postgres")? {
        "postgres" => {
            only(
                reader,
                &variant_keys(&schema::DATABASE, "postgres"),
                "postgres",
            );
            let instance_class = match node.get("instance_class") {
                Some(n) => {
                    let text = reader.string(n, "db.t4g.micro")?;
                    if !text.starts_with("db.") || text.split('.').count() != 3 {
                        reader.error(
                            n,
                            format!("\"{text}\" is not an RDS instance class"),
                            "write e.g. `db.t4g.micro`",
                        );
                        return None;
                    }
                    text.to_string()
                }
                None => "db.t4g.micro".to_string(),
            };
            let multi_az = match node.get("multi_az") {
                Some(n) => read_bool(reader, n)?,
                None => false,
            };
            let engine_version = match node.get("engine_version") {
                Some(n) => {
                    // A major version: `17` reads as a number, `"17"` as a string.
                    let text = match &n.value {
                        Value::Int(major) => major.to_string(),
                        _ => reader.string(n, DEFAULT_POSTGRES_VERSION)?.to_string(),
                    };
                    let major = text.parse::<u32>().ok().filter(|major| *major >= 14);
                    if major.is_none() {
                        let hint = match text.split_once('.') {
                            Some((major, _)) if major.parse::<u32>().is_ok() => format!(
                                "write the major version only, `{major}`: RDS applies minor versions itself (automatic minor upgrades), and a pinned minor would make CloudFormation downgrade-fail after RDS upgraded it"
                            ),
                            _ => format!(
                                "write a PostgreSQL major version, 14 or newer, e.g. `{DEFAULT_POSTGRES_VERSION}`"
                            ),
                        };
                        reader.error(
                            n,
                            format!("\"{text}\" is not a PostgreSQL major version"),
                            hint,
                        );
                        return None;
                    }
                    text
                }
                None => DEFAULT_POSTGRES_VERSION.to_string(),
            };
            Some(Database::Postgres {
                instance_class,
                multi_az,
                engine_version,
            })
        }
        "external" => {
            only(
                reader,
                &variant_keys(&schema::DATABASE, "external"),
                "external",
            );
            let arn = reader
                .required(
                    node,
                    "url_secret_arn",
                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub/db-url-AbCdEf",
                )
                .and_then(|n| secret_arn(reader, n, region))?;
            Some(Database::External {
                url_secret_arn: arn,
            })
        }
        "sqlite" if platform == Some(Platform::Eks) => {
            only(reader, &variant_keys(&schema::DATABASE, "sqlite"), "sqlite");
            let volume_gib = match node.get("volume_gib") {
                Some(n) => match n.value {
                    Value::Int(value) if (1..=1024).contains(&value) => value as u32,
                    _ => {
                        reader.wrong_type(n, "a volume size from 1 to 1024 GiB", "1");
                        return None;
                    }
                },
                None => 1,
            };
            Some(Database::Sqlite { volume_gib })
        }
        "sqlite" => {
            reader.error(
                kind_node,
                "SQLite is not supported on ECS",
                "on Fargate it could only live on EFS, and JupyterHub's docs warn against SQLite on network file systems; use `postgres` or `external` (on EKS it lives on an EBS volume)",
            );
            None
        }
        other => {
            reader.error(
                kind_node,
                format!("\"{other}\" is not a database kind"),
                "use `postgres` (created here), `external`, or on EKS `sqlite` (on an EBS volume)",
            );
            None
        }
    }
}

fn https_url(reader: &mut Reader<'_>, node: &Node, example: &str) -> Option<String> {
    let text = reader.string(node, example)?;
    let host = text
        .strip_prefix("https://")
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
    if host.is_some_and(|host| host.contains('@')) {
        // `user:password@host`: said without the value, which would print the password.
        reader.error(
            node,
            "the URL carries credentials (`user:password@` before the host), which would land in the templates",
            format!("remove them: the hub authenticates with its client id and secret, e.g. `{example}`"),
        );
        return None;
    }
    if host.is_some_and(|host| !host.is_empty() && !host.contains(' '))
        && !text.contains(char::is_whitespace)
    {
        Some(text.to_string())
    } else {
        reader.error(
            node,
            format!("\"{text}\" is not an https URL"),
            format!("write e.g. `{example}`"),
        );
        None
    }
}

/// The query parameters of `url`, each name and value percent-decoded (`+` as a space); a
/// pair that does not decode is kept as written.
fn query_parameters(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, query)| query);
    let query = query.split('#').next().unwrap_or_default();
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |text: &str| percent_decode(text).unwrap_or_else(|| text.to_string());
            (decode(name), decode(value))
        })
        .collect()
}

/// `text` with `%XX` escapes and `+` decoded; `None` for a broken escape or non-UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The first query parameter of a logout URL that would put a secret into the templates:
/// a name that says so, or a JWT under any name (`eyJ` encodes `{"`).
fn secret_parameter(url: &str) -> Option<String> {
    query_parameters(url).into_iter().find_map(|(name, value)| {
        let lower = name.to_ascii_lowercase();
        let secret_name = ["secret", "password", "token", "key", "assertion"]
            .iter()
            .any(|word| lower.contains(word));
        let jwt = value.starts_with("eyJ") && value.matches('.').count() >= 2;
        (secret_name || jwt).then_some(name)
    })
}

/// The parameters by which providers' end-session URLs name where the browser goes next:
/// OpenID Connect's (Keycloak, Entra ID, Okta, Auth0's `/oidc/logout`), Auth0's `/v2/logout`,
/// Cognito's, older Keycloak's.
const LOGOUT_REDIRECTS: &[&str] = &[
    "post_logout_redirect_uri",
    "returnTo",
    "logout_uri",
    "redirect_uri",
];

/// An `auth.logout_url` that sends the browser back somewhere names this environment's hub:
/// a shared value, or one left from an old `hub_host`, would send its users to another hub
/// (or to a redirect the provider refuses).
pub(super) fn check_logout_redirect(
    reader: &mut Reader<'_>,
    merged: &Node,
    env: &str,
    host: &str,
    hub: &Hub,
) {
    let Auth::OAuth(provider) = &hub.auth else {
        return;
    };
    let Some(url) = &provider.logout_url else {
        return;
    };
    let own = format!("https://{host}");
    for (name, target) in query_parameters(url) {
        if !LOGOUT_REDIRECTS.contains(&name.as_str())
            || target == own
            || target.starts_with(&format!("{own}/"))
        {
            continue;
        }
        if let Some(node) = merged.get_path(&["hub", "auth", "logout_url"]) {
            reader.error(
                node,
                format!("its `{name}` sends environment `{env}`'s users to {target}, not to its hub {own}/"),
                format!(
                    "set `logout_url` under `environments.{env}.hub.auth` with `{name}={}` (each environment its own hub's login page; the provider must allow that redirect)",
                    format!("{own}/hub/login").replace(':', "%3A").replace('/', "%2F")
                ),
            );
        }
    }
}

fn read_auth(reader: &mut Reader<'_>, node: &Node, region: Option<&str>) -> Option<Auth> {
    reader.mapping(node, AUTH_KEYS, "{kind: cognito}")?;
    let kind_node = reader.required(node, "kind", "cognito")?;
    let kind = reader.string(kind_node, "cognito")?;
    let Some(allowed) = schema::AUTH.variant_names(kind) else {
        reader.error(
            kind_node,
            format!("\"{kind}\" is not an auth kind"),
            "use `cognito` or `oauth` (any OAuth2/OIDC provider)",
        );
        return None;
    };
    let mut misplaced = false;
    for entry in node.entries().unwrap_or_default() {
        if entry.key != "kind"
            && !allowed.contains(&entry.key.as_str())
            && AUTH_KEYS.contains(&entry.key.as_str())
        {
            reader.error_at(
                entry.key_pos,
                &entry.node.path,
                format!("does not apply to kind `{kind}`"),
                "remove it",
            );
            misplaced = true;
        }
    }
    if kind == "cognito" {
        let pool = node.get("user_pool_id");
        let domain = node.get("domain");
        let existing = match (pool, domain) {
            (None, None) => None,
            (Some(pool), Some(domain)) => {
                let pool_id = reader.string(pool, "eu-west-1_AbCdEf123")?;
                let valid = pool_id.split_once('_').is_some_and(|(pool_region, id)| {
                    REGIONS.contains(&pool_region)
                        && !id.is_empty()
                        && id.bytes().all(|b| b.is_ascii_alphanumeric())
                });
                if !valid {
                    reader.error(
                        pool,
                        format!("\"{pool_id}\" is not a Cognito user pool id"),
                        "write e.g. `eu-west-1_AbCdEf123`",
                    );
                    return None;
                }
                let pool_region = pool_id.split('_').next().unwrap_or_default();
                if let Some(region) = region.filter(|region| *region != pool_region) {
                    reader.error(
                        pool,
                        format!("the user pool is in {pool_region}, the stack in {region}"),
                        "the hub's app client is created in the pool, from the stack's region: use a pool of the same region",
                    );
                    return None;
                }
                let domain_text = reader.string(domain, "login.example.com")?;
                let Ok(domain_name) = DnsName::parse(domain_text) else {
                    reader.error(domain, format!("\"{domain_text}\" is not a domain name"), "the pool's hosted UI domain, e.g. `myhub.auth.eu-west-1.amazoncognito.com`");
                    return None;
                };
                Some(ExistingUserPool {
                    user_pool_id: pool_id.to_string(),
                    domain: domain_name.to_string(),
                })
            }
            (Some(pool), None) => {
                reader.error(pool, "an existing user pool needs its hosted UI domain", "add `domain: <prefix>.auth.<region>.amazoncognito.com` (or the pool's custom domain)");
                return None;
            }
            (None, Some(domain)) => {
                reader.error(
                    domain,
                    "applies only with `user_pool_id`",
                    "remove it to create a pool, or add the existing pool's id",
                );
                return None;
            }
        };
        return (!misplaced).then_some(Auth::Cognito { existing });
    }
    let url = |reader: &mut Reader<'_>, key: &str, example: &str| {
        reader
            .required(node, key, example)
            .and_then(|n| https_url(reader, n, example))
    };
    let authorize_url = url(
        reader,
        "authorize_url",
        "https://login.example.com/authorize",
    );
    let token_url = url(reader, "token_url", "https://login.example.com/oauth/token");
    let userdata_url = url(reader, "userdata_url", "https://login.example.com/userinfo");
    let client_id = reader
        .required(node, "client_id", "hub-client")
        .and_then(|n| reader.string(n, "hub-client").map(str::to_string));
    let client_secret_arn = reader
        .required(
            node,
            "client_secret_arn",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub/oauth-AbCdEf",
        )
        .and_then(|n| secret_arn(reader, n, region));
    let scopes = match node.get("scopes") {
        None => Some(vec![
            "openid".to_string(),
            "email".to_string(),
            "profile".to_string(),
        ]),
        Some(n) => match &n.value {
            Value::Seq(items) if !items.is_empty() => items
                .iter()
                .map(|item| reader.string(item, "openid").map(str::to_string))
                .collect(),
            _ => {
                reader.wrong_type(n, "a list of scopes", "[openid, email]");
                None
            }
        },
    };
    let username_claim = match node.get("username_claim") {
        None => Some("preferred_username".to_string()),
        Some(n) => reader.string(n, "email").map(str::to_string),
    };
    let logout_example =
        "https://login.example.com/realms/hub/protocol/openid-connect/logout?client_id=hub";
    let logout_url = match node.get("logout_url") {
        None => Some(None),
        // The URL lands in the task definition and the values as it is: no secret, and no
        // token (a fixed id_token_hint would be one user's, and expired).
        Some(n) => https_url(reader, n, logout_example).and_then(|url| match secret_parameter(&url) {
            Some(name) => {
                reader.error(
                    n,
                    format!("the URL carries `{name}`, which would land in the task definition and the Helm values"),
                    "keep only public parameters (`client_id`, `post_logout_redirect_uri`); a provider that needs the user's id token to log out cannot be served by a fixed URL",
                );
                None
            }
            None => Some(Some(url)),
        }),
    };
    if misplaced {
        return None;
    }
    Some(Auth::OAuth(OAuthProvider {
        authorize_url: authorize_url?,
        token_url: token_url?,
        userdata_url: userdata_url?,
        client_id: client_id?,
        client_secret_arn: client_secret_arn?,
        scopes: scopes?,
        username_claim: username_claim?,
        logout_url: logout_url?,
    }))
}
