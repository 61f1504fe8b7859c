//! The `hub.eks` section of a `platform: eks` environment: Kubernetes version, who runs the
//! pods (Auto Mode or node groups), cluster admins, the public endpoint's networks and the
//! add-on versions.

use std::collections::BTreeMap;

use super::read::{partition, Reader};
use super::schema::{self, key_names};
use super::yaml::{Node, Value};
use crate::model::{AccountId, Cidr, Compute, EksCluster, NodeGroup};

// The keys of each mapping, read off their one declaration in `config::schema`.
const EKS_KEYS: &[&str] = key_names!(schema::EKS);
const NODE_GROUP_KEYS: &[&str] = key_names!(schema::NODE_GROUP);
const GPU_NODE_GROUP_KEYS: &[&str] = key_names!(schema::GPU_NODE_GROUP);

/// The Kubernetes version of a cluster unless the config says otherwise (in EKS standard
/// support on 2026-12-03).
pub const DEFAULT_KUBERNETES_VERSION: &str = "1.35";
/// The Kubernetes minor versions hubctl accepts: the pinned chart (Zero-to-JupyterHub 4.4.0)
/// wants 1.32 or newer, and the tests validate manifests with schemas up to 1.37.
const KUBERNETES_MINORS: std::ops::RangeInclusive<u32> = 32..=37;

/// The add-ons the eks-addons stack may install, whose versions the config may pin.
pub const ADDONS: &[&str] = key_names!(schema::ADDONS);

/// The keys that apply only with `compute: <variant>`.
fn variant_keys(variant: &str) -> Vec<&'static str> {
    schema::EKS.variant_names(variant).unwrap_or_default()
}

/// `hub.eks` (required for `platform: eks`).
pub(super) fn read_eks(
    reader: &mut Reader<'_>,
    node: &Node,
    region: Option<&str>,
) -> Option<EksCluster> {
    reader.mapping(node, EKS_KEYS, "{compute: auto}")?;
    let errors_before = reader.errors.len();
    let version = match node.get("version") {
        Some(n) => read_version(reader, n),
        None => Some(DEFAULT_KUBERNETES_VERSION.to_string()),
    };
    let compute_kind = match node.get("compute") {
        Some(n) => match reader.string(n, "auto") {
            Some("auto") => Some(true),
            Some("nodegroups") => Some(false),
            Some(other) => {
                reader.error(
                    n,
                    format!("\"{other}\" is not a compute mode"),
                    "use `auto` (EKS Auto Mode) or `nodegroups` (managed node groups: `nodes`, optional `gpu_nodes`)",
                );
                None
            }
            None => None,
        },
        None => Some(true),
    };
    let compute = match compute_kind {
        Some(true) => {
            for key in variant_keys("nodegroups") {
                if let Some(entry) = node
                    .entries()
                    .and_then(|entries| entries.iter().find(|e| e.key == key))
                {
                    reader.error_at(
                        entry.key_pos,
                        &entry.node.path,
                        "does not apply to `compute: auto` (Auto Mode picks the instances)",
                        "remove it, or set `compute: nodegroups`",
                    );
                }
            }
            Some(Compute::Auto)
        }
        Some(false) => {
            let general = reader
                .required(
                    node,
                    "nodes",
                    "{instance_types: [m7i.xlarge], min: 1, max: 4, desired: 2}",
                )
                .and_then(|n| read_node_group(reader, n, false));
            let gpu = match node.get("gpu_nodes") {
                Some(n) => read_node_group(reader, n, true).map(Some),
                None => Some(None),
            };
            match (general, gpu) {
                (Some(general), Some(gpu)) => Some(Compute::NodeGroups { general, gpu }),
                _ => None,
            }
        }
        None => None,
    };
    let admin_roles = match node.get("admin_roles") {
        Some(n) => read_role_arns(reader, n, region),
        None => Some(Vec::new()),
    };
    let endpoint_cidrs = match node.get("endpoint_cidrs") {
        Some(n) => read_cidrs(reader, n),
        None => Some(Vec::new()),
    };
    let addon_versions = match node.get("addons") {
        Some(n) => read_addons(reader, n),
        None => Some(BTreeMap::new()),
    };
    if reader.errors.len() > errors_before {
        return None;
    }
    Some(EksCluster {
        version: version?,
        compute: compute?,
        admin_roles: admin_roles?,
        endpoint_cidrs: endpoint_cidrs?,
        addon_versions: addon_versions?,
    })
}

fn read_version(reader: &mut Reader<'_>, node: &Node) -> Option<String> {
    let text = match &node.value {
        Value::Str(text) => text.clone(),
        // `1.35` unquoted reads as a number; `1.3` and `1.30` would be the same number.
        Value::Float(_) | Value::Int(_) => {
            reader.error(
                node,
                "is a number, and YAML reads `1.30` as 1.3",
                format!("quote it: `version: \"{DEFAULT_KUBERNETES_VERSION}\"`"),
            );
            return None;
        }
        _ => {
            reader.wrong_type(node, "a Kubernetes version", "\"1.35\"");
            return None;
        }
    };
    let minor = text
        .strip_prefix("1.")
        .and_then(|minor| minor.parse::<u32>().ok())
        .filter(|minor| KUBERNETES_MINORS.contains(minor) && text == format!("1.{minor}"));
    if minor.is_none() {
        reader.error(
            node,
            format!("\"{text}\" is not a Kubernetes version hubctl supports"),
            format!(
                "write `1.{}` to `1.{}` (major.minor; EKS applies patch versions), e.g. \"{DEFAULT_KUBERNETES_VERSION}\"",
                KUBERNETES_MINORS.start(),
                KUBERNETES_MINORS.end()
            ),
        );
        return None;
    }
    Some(text)
}

fn read_node_group(reader: &mut Reader<'_>, node: &Node, gpu: bool) -> Option<NodeGroup> {
    let example = if gpu {
        "{instance_types: [g6.xlarge], max: 2}"
    } else {
        "{instance_types: [m7i.xlarge], min: 1, max: 4, desired: 2}"
    };
    let keys = if gpu {
        GPU_NODE_GROUP_KEYS
    } else {
        NODE_GROUP_KEYS
    };
    reader.mapping(node, keys, example)?;
    let errors_before = reader.errors.len();
    let instance_types = reader
        .required(
            node,
            "instance_types",
            if gpu { "[g6.xlarge]" } else { "[m7i.xlarge]" },
        )
        .and_then(|n| {
            let Value::Seq(items) = &n.value else {
                reader.wrong_type(n, "a list of EC2 instance types", "[m7i.xlarge]");
                return None;
            };
            if items.is_empty() || items.len() > 20 {
                reader.error(
                    n,
                    format!("{} instance types", items.len()),
                    "list 1 to 20 instance types",
                );
                return None;
            }
            let mut types = Vec::new();
            for item in items {
                let text = reader.string(item, "m7i.xlarge")?;
                let valid = text.split_once('.').is_some_and(|(family, size)| {
                    !family.is_empty()
                        && !size.is_empty()
                        && family.starts_with(|c: char| c.is_ascii_lowercase())
                        && (family.bytes().chain(size.bytes()))
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                });
                if !valid {
                    reader.error(
                        item,
                        format!("\"{text}\" is not an EC2 instance type"),
                        "write e.g. `m7i.xlarge`",
                    );
                } else if gpu && !GPU_FAMILIES.iter().any(|family| text.starts_with(family)) {
                    reader.error(
                        item,
                        format!("\"{text}\" has no NVIDIA GPU"),
                        format!(
                            "use an NVIDIA instance family ({}), e.g. `g6.xlarge`",
                            GPU_FAMILIES.join(", ")
                        ),
                    );
                } else if types.iter().any(|t: &String| t == text) {
                    reader.error(
                        item,
                        format!("\"{text}\" is listed twice"),
                        "list each type once",
                    );
                } else {
                    types.push(text.to_string());
                }
            }
            Some(types)
        });
    let count = |reader: &mut Reader<'_>, key: &str, default: Option<u32>| match node.get(key) {
        Some(n) => match n.value {
            Value::Int(value) if (0..=1000).contains(&value) => Some((Some(n), value as u32)),
            _ => {
                reader.wrong_type(n, "a node count from 0 to 1000", "2");
                None
            }
        },
        None => match default {
            Some(value) => Some((None, value)),
            None => reader.required(node, key, "2").map(|_| (None, 0)),
        },
    };
    // The GPU group scales from zero: GPUs are expensive and only GPU profiles need them.
    let min = if gpu {
        if let Some(n) = node.get("min") {
            if !matches!(n.value, Value::Int(0)) {
                reader.error(
                    n,
                    "the GPU node group always starts from 0 nodes",
                    "remove `min`",
                );
            }
        }
        Some((None, 0))
    } else {
        count(reader, "min", None)
    };
    let max = count(reader, "max", None);
    let desired = if gpu {
        if let Some(n) = node.get("desired") {
            reader.error(
                n,
                "the GPU node group's size follows the GPU servers",
                "remove `desired`",
            );
        }
        Some((None, 0))
    } else {
        count(reader, "desired", None)
    };
    let (Some((_, min)), Some((max_node, max)), Some((desired_node, desired))) =
        (min, max, desired)
    else {
        return None;
    };
    if max == 0 || max < min {
        reader.error(
            max_node.unwrap_or(node),
            format!("max {max} is below min {min} or zero"),
            "give a max of at least 1 and at least min",
        );
    } else if !(min..=max).contains(&desired) {
        reader.error(
            desired_node.unwrap_or(node),
            format!("desired {desired} is outside min {min} .. max {max}"),
            "give a desired count between min and max",
        );
    }
    if reader.errors.len() > errors_before {
        return None;
    }
    Some(NodeGroup {
        instance_types: instance_types?,
        min,
        max,
        desired,
    })
}

/// NVIDIA GPU instance families (the Bottlerocket NVIDIA AMI's drivers run on these).
const GPU_FAMILIES: &[&str] = &[
    "g4dn.", "g5.", "g6.", "g6e.", "gr6.", "p3.", "p4d.", "p4de.", "p5.", "p5e.", "p5en.",
    "p6-b200.",
];

fn read_role_arns(
    reader: &mut Reader<'_>,
    node: &Node,
    region: Option<&str>,
) -> Option<Vec<String>> {
    let example = "arn:aws:iam::123456789012:role/PlatformAdmin";
    let Value::Seq(items) = &node.value else {
        reader.wrong_type(node, "a list of IAM role ARNs", &format!("[{example}]"));
        return None;
    };
    let mut roles: Vec<String> = Vec::new();
    for item in items {
        let Some(text) = reader.string(item, example) else {
            continue;
        };
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let valid = matches!(parts[..], ["arn", arn_partition, "iam", "", account, resource]
            if arn_partition == partition(region)
                && AccountId::parse(account).is_some()
                && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty()));
        if !valid {
            let hint = if text.contains(":assumed-role/") || text.contains(":sts:") {
                "give the role's ARN (`arn:aws:iam::<account>:role/<name>`), not a session's: `aws iam get-role --role-name <name>`".to_string()
            } else {
                format!("write an IAM role ARN such as `{example}` (access entries take roles; hubctl gives the deploying identity its own entry)")
            };
            reader.error(item, format!("\"{text}\" is not an IAM role ARN"), hint);
        } else if roles.iter().any(|role| role == text) {
            reader.error(
                item,
                format!("\"{text}\" is listed twice"),
                "list each role once",
            );
        } else {
            roles.push(text.to_string());
        }
    }
    Some(roles)
}

fn read_cidrs(reader: &mut Reader<'_>, node: &Node) -> Option<Vec<Cidr>> {
    let (cidrs, _) = super::hub::read_networks(
        reader,
        node,
        "write a network such as `203.0.113.0/24`; `[]` keeps the API endpoint private",
    )?;
    if cidrs.len() > 40 {
        reader.error(
            node,
            format!("{} networks", cidrs.len()),
            "EKS allows at most 40 public access CIDRs",
        );
        return None;
    }
    Some(cidrs)
}

fn read_addons(reader: &mut Reader<'_>, node: &Node) -> Option<BTreeMap<String, String>> {
    let entries = reader.mapping(node, ADDONS, "{vpc-cni: v1.20.4-eksbuild.1}")?;
    let mut versions = BTreeMap::new();
    for entry in entries {
        if !ADDONS.contains(&entry.key.as_str()) {
            continue;
        }
        let Some(text) = reader.string(&entry.node, "v1.20.4-eksbuild.1") else {
            continue;
        };
        let valid = text
            .strip_prefix('v')
            .and_then(|rest| rest.split_once("-eksbuild."))
            .is_some_and(|(semver, build)| {
                semver.split('.').count() == 3
                    && semver
                        .split('.')
                        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                    && !build.is_empty()
                    && build.bytes().all(|b| b.is_ascii_digit())
            });
        if valid {
            versions.insert(entry.key.clone(), text.to_string());
        } else {
            reader.error(
                &entry.node,
                format!("\"{text}\" is not an EKS add-on version"),
                format!(
                    "write e.g. `v1.20.4-eksbuild.1`; list them with `aws eks describe-addon-versions --addon-name {} --kubernetes-version <version>`",
                    entry.key
                ),
            );
        }
    }
    Some(versions)
}
