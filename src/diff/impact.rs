//! What CloudFormation does to each resource: its own change against the schema table
//! (replace, may replace, update), then what uses a replaced resource or a changing
//! parameter, until nothing more changes; and the updates AWS refuses although the template
//! is valid (an immutable property, a replacement that keeps a custom name, a second mount
//! target in a zone, a load balancer or database moved to another VPC in place).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::tags::{is_tag_path, tag_delta, TagDelta};
use super::tree::{self, Change};
use super::{table, Impact};

/// How a name (a resource, a parameter) changes at deploy time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changing {
    /// Certainly (a replacement), rather than possibly (a conditional one).
    pub certain: bool,
    /// It lives in a new VPC (a replaced VPC, or something replaced because of one).
    pub new_vpc: bool,
}

impl Changing {
    /// Both at once.
    pub fn merge(self, other: Changing) -> Changing {
        Changing {
            certain: self.certain || other.certain,
            new_vpc: self.new_vpc || other.new_vpc,
        }
    }
}

/// One resource's outcome.
pub struct ResourceState {
    /// What CloudFormation does.
    pub impact: Impact,
    /// Why.
    pub because: Vec<String>,
    /// Changed paths (tags apart unless create-only).
    pub changes: Vec<Change>,
    /// Tags that differ.
    pub tags: Vec<TagDelta>,
    /// The type.
    pub kind: String,
    /// The policy that keeps the old resource.
    pub kept_by: Option<String>,
    /// Why the update fails on AWS, if it does.
    pub fails: Vec<String>,
    /// A secret whose value CloudFormation generates anew.
    pub regenerated: bool,
}

/// Types whose VPC is fixed at creation although the properties that place them (subnets,
/// security groups) are updatable: moving them to a new VPC in place fails.
const VPC_BOUND: &[&str] = &[
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::RDS::DBSubnetGroup",
    "AWS::RDS::DBInstance",
];

/// What only one resource can hold at a time (in its scope: a VPC, a namespace, a
/// cluster), per type: (type, the property, its scope as property paths). A replacement that
/// keeps it collides with the old resource, which CloudFormation deletes only after creating
/// the new one ("cannot update a stack when a custom-named resource requires replacing",
/// `InvalidSubnet.Conflict`, an Elastic IP already associated), unless the scope changes too.
/// Names: IAM, log group, load balancer and target group names per account and region, a
/// security group's per VPC, a private DNS namespace's per VPC, a Cloud Map service's per
/// namespace.
const EXCLUSIVE: &[(&str, &str, &[&str])] = &[
    ("AWS::Cognito::UserPoolDomain", "Domain", &[]),
    ("AWS::EC2::NatGateway", "AllocationId", &[]),
    ("AWS::EC2::SecurityGroup", "GroupName", &["VpcId"]),
    ("AWS::EC2::Subnet", "CidrBlock", &["VpcId"]),
    ("AWS::EC2::VPCGatewayAttachment", "InternetGatewayId", &[]),
    ("AWS::ECS::Cluster", "ClusterName", &[]),
    ("AWS::ECS::Service", "ServiceName", &["Cluster"]),
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", "Name", &[]),
    ("AWS::ElasticLoadBalancingV2::TargetGroup", "Name", &[]),
    ("AWS::IAM::ManagedPolicy", "ManagedPolicyName", &[]),
    ("AWS::IAM::Role", "RoleName", &[]),
    ("AWS::KMS::Alias", "AliasName", &[]),
    ("AWS::Logs::LogGroup", "LogGroupName", &[]),
    ("AWS::RDS::DBInstance", "DBInstanceIdentifier", &[]),
    ("AWS::RDS::DBSubnetGroup", "DBSubnetGroupName", &[]),
    ("AWS::S3::Bucket", "BucketName", &[]),
    ("AWS::SecretsManager::Secret", "Name", &[]),
    (
        "AWS::ServiceDiscovery::PrivateDnsNamespace",
        "Name",
        &["Vpc"],
    ),
    (
        "AWS::ServiceDiscovery::Service",
        "Name",
        &["NamespaceId", "DnsConfig/NamespaceId"],
    ),
];

/// RDS instance properties that make the conditional create-only ones replace (restores,
/// clusters); without them, a standalone instance updates those in place.
const RDS_RESTORE: &[&str] = &[
    "DBClusterIdentifier",
    "DBClusterSnapshotIdentifier",
    "DBSnapshotIdentifier",
    "RestoreTime",
    "SourceDBClusterIdentifier",
    "SourceDBInstanceAutomatedBackupsArn",
    "SourceDBInstanceIdentifier",
    "SourceDbiResourceId",
    "UseLatestRestorableTime",
];

/// Every resource of a stack, by logical id: `changing` comes in with the parameters that
/// change and goes out with the resources replaced as well.
pub fn resources(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    changing: &mut BTreeMap<String, Changing>,
) -> BTreeMap<String, ResourceState> {
    let mut ids: Vec<&String> = old.keys().chain(new.keys()).collect();
    ids.sort();
    ids.dedup();
    let mut states: BTreeMap<String, ResourceState> = ids
        .into_iter()
        .map(|id| (id.clone(), initial_state(old.get(id), new.get(id))))
        .collect();
    for (id, state) in &states {
        let certain = match state.impact {
            Impact::Replace => true,
            Impact::MayReplace => false,
            _ => continue,
        };
        let new_vpc = state.kind == "AWS::EC2::VPC";
        let entry = changing.entry(id.clone()).or_default();
        *entry = entry.merge(Changing { certain, new_vpc });
    }
    propagate(&mut states, new, changing);
    for (id, state) in states.iter_mut() {
        if let (Some(o), Some(n)) = (old.get(id), new.get(id)) {
            state
                .fails
                .extend(replacement_failures(state, o, n, changing));
        }
    }
    states
}

fn kind_of(resource: Option<&Value>) -> String {
    resource
        .and_then(|r| r.get("Type"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn kept_by(resource: Option<&Value>, attribute: &str) -> Option<String> {
    let policy = resource?.get(attribute)?.as_str()?;
    (policy != "Delete").then(|| format!("{attribute}: {policy}"))
}

fn initial_state(old: Option<&Value>, new: Option<&Value>) -> ResourceState {
    let kind = kind_of(new.or(old));
    let mut state = ResourceState {
        impact: Impact::None,
        because: Vec::new(),
        changes: Vec::new(),
        tags: Vec::new(),
        kind,
        kept_by: None,
        fails: Vec::new(),
        regenerated: false,
    };
    let (o, n) = match (old, new) {
        (None, Some(_)) => {
            state.impact = Impact::Add;
            return state;
        }
        (Some(_), None) => {
            state.impact = Impact::Remove;
            state.kept_by = kept_by(old, "DeletionPolicy");
            return state;
        }
        (Some(o), Some(n)) if o != n => (o, n),
        _ => return state,
    };
    let known = table::lookup(&state.kind);
    let info = known.cloned().unwrap_or_default();
    let (op, np) = (o.get("Properties"), n.get("Properties"));
    // A standalone RDS instance updates most conditional properties in place.
    let conditional: Vec<String> = if state.kind == "AWS::RDS::DBInstance"
        && !RDS_RESTORE
            .iter()
            .any(|key| np.and_then(|p| p.get(*key)).is_some())
    {
        // Another Performance Insights key replaces the instance once one is set (the RDS
        // handler's ImmutabilityHelper); setting the first one does not.
        let pi_key_set = op
            .and_then(|p| p.get("PerformanceInsightsKMSKeyId"))
            .is_some();
        info.conditional_create_only
            .iter()
            .filter(|p| {
                matches!(p.as_str(), "Engine" | "AvailabilityZone")
                    || (p.as_str() == "PerformanceInsightsKMSKeyId" && pi_key_set)
            })
            .cloned()
            .collect()
    } else {
        info.conditional_create_only.clone()
    };
    let mut changes = tree::changes(&[], Some(o), Some(n));
    for change in &mut changes {
        change.create_only = in_patterns(&change.path, &info.create_only);
        change.may_replace = !change.create_only && in_patterns(&change.path, &conditional);
    }
    state.impact = Impact::Update;
    if kind_of(old) != kind_of(new) {
        state.impact = Impact::Replace;
        state
            .because
            .push(format!("the type changes from {}", kind_of(old)));
    } else if known.is_none() {
        state.because.push(format!(
            "{} is not in hubctl's schema table: impact unknown, shown as update",
            state.kind
        ));
    }
    let differs = |pattern: &String| table::values_at(op, pattern) != table::values_at(np, pattern);
    for pattern in info.create_only.iter().filter(|p| differs(p)) {
        state.impact = Impact::Replace;
        state
            .because
            .push(format!("{} changes (create-only)", dotted(pattern)));
    }
    if state.impact == Impact::Update {
        for pattern in conditional.iter().filter(|p| differs(p)) {
            state.impact = Impact::MayReplace;
            state.because.push(format!(
                "{} changes (may need replacement)",
                dotted(pattern)
            ));
        }
    }
    for pattern in info.immutable.iter().filter(|p| differs(p)) {
        state.fails.push(format!(
            "{} cannot change once created: CloudFormation's update fails",
            dotted(pattern)
        ));
    }
    if state.kind == "AWS::SecretsManager::Secret"
        && ["GenerateSecretString", "SecretString"]
            .iter()
            .any(|key| op.and_then(|p| p.get(*key)) != np.and_then(|p| p.get(*key)))
    {
        state.regenerated = true;
    }
    state.tags = tag_delta(op, np);
    changes.retain(|c| c.create_only || !is_tag_path(&c.path));
    state.changes = changes;
    if matches!(state.impact, Impact::Replace | Impact::MayReplace) {
        state.kept_by = kept_by(Some(n), "UpdateReplacePolicy");
    }
    state
}

/// Marks what uses a replaced resource or a changing parameter, until nothing more changes:
/// a create-only property that uses one makes its resource replaced too, any other makes it
/// updated.
fn propagate(
    states: &mut BTreeMap<String, ResourceState>,
    new_resources: &Map<String, Value>,
    changing: &mut BTreeMap<String, Changing>,
) {
    // Resources updated in place for a change of their own: CloudFormation re-reads their
    // attributes, which may then differ (a database's port).
    // By id: the top-level properties that changed. An attribute is taken to follow the
    // property of its name (a database's Endpoint.Port follows Port) or to be a version.
    let updated: BTreeMap<String, Vec<String>> = states
        .iter()
        .filter(|(_, s)| s.impact == Impact::Update)
        .map(|(id, s)| {
            let changed: Vec<String> = s
                .changes
                .iter()
                .filter_map(|c| c.path.strip_prefix("Properties."))
                .filter_map(|rest| tree::pattern_segments(rest).first().map(|p| p.to_string()))
                .collect();
            (id.clone(), changed)
        })
        .filter(|(_, changed)| !changed.is_empty())
        .collect();
    let may_change = |name: &str, attribute: &str| {
        let last = attribute.rsplit('.').next().unwrap_or(attribute);
        updated.get(name).is_some_and(|changed| {
            attribute.contains("Version") || changed.iter().any(|p| p.eq_ignore_ascii_case(last))
        })
    };
    loop {
        let mut progressed = false;
        for (id, state) in states.iter_mut() {
            if matches!(state.impact, Impact::Add | Impact::Remove) {
                continue;
            }
            let Some(resource) = new_resources.get(id) else {
                continue;
            };
            let properties = resource.get("Properties");
            let info = table::lookup(&state.kind).cloned().unwrap_or_default();
            if state.impact == Impact::Replace {
                // Replaced for its own change: it still moves to a new VPC when a
                // create-only property uses something that does (a subnet of a new VPC).
                let in_new_vpc = info.create_only.iter().any(|pattern| {
                    table::values_at(properties, pattern)
                        .into_iter()
                        .flat_map(|v| v.map(tree::references).unwrap_or_default())
                        .any(|name| changing.get(&name).is_some_and(|c| c.new_vpc))
                });
                let entry = changing.entry(id.clone()).or_default();
                if in_new_vpc && !entry.new_vpc {
                    entry.new_vpc = true;
                    progressed = true;
                }
                continue;
            }
            let using = |value: Option<&Value>| -> Vec<(String, Changing)> {
                value
                    .map(tree::references)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|name| changing.get(&name).map(|c| (name, *c)))
                    .collect()
            };
            let mut became = state.impact;
            let mut moved_vpc = false;
            // (prefix, reason): a new reason replaces an older one with the same prefix, as
            // more of what a property uses turns out to change.
            let mut because: Vec<(String, String)> = Vec::new();
            for (patterns, certain_impact) in [
                (&info.create_only, Impact::Replace),
                (&info.conditional_create_only, Impact::MayReplace),
            ] {
                for pattern in patterns {
                    let mut names: Vec<(String, Changing)> = table::values_at(properties, pattern)
                        .into_iter()
                        .flat_map(&using)
                        .collect();
                    names.sort_by(|a, b| a.0.cmp(&b.0));
                    names.dedup_by(|a, b| a.0 == b.0);
                    if names.is_empty() {
                        continue;
                    }
                    let certain = names.iter().any(|(_, c)| c.certain);
                    moved_vpc |= names.iter().any(|(_, c)| c.new_vpc);
                    let impact = if certain {
                        certain_impact
                    } else {
                        Impact::MayReplace
                    };
                    became = became.max(impact);
                    let prefix = format!("{} uses ", dotted(pattern));
                    because.push((prefix.clone(), format!("{prefix}{}", changes_text(&names))));
                }
            }
            for pattern in &info.create_only {
                let read: Vec<String> = table::values_at(properties, pattern)
                    .into_iter()
                    .flat_map(|v| v.map(tree::attribute_references).unwrap_or_default())
                    .filter(|(name, attribute)| name != id && may_change(name, attribute))
                    .map(|(name, attribute)| format!("{name}.{attribute}"))
                    .collect();
                if !read.is_empty() && became < Impact::MayReplace {
                    became = Impact::MayReplace;
                    let prefix = format!("{} reads ", dotted(pattern));
                    because.push((
                        prefix.clone(),
                        format!(
                            "{prefix}{}, updated in place: if the value changes, this is replaced",
                            read.join(", ")
                        ),
                    ));
                }
            }
            let used = using(properties);
            if !used.is_empty() && became <= Impact::Update {
                became = Impact::Update;
                because.push(("uses ".to_string(), format!("uses {}", changes_text(&used))));
                if VPC_BOUND.contains(&state.kind.as_str()) && used.iter().any(|(_, c)| c.new_vpc) {
                    let reason = format!(
                        "its VPC is fixed once created, and it would move to the new VPC in place (it uses {})",
                        used.iter()
                            .filter(|(_, c)| c.new_vpc)
                            .map(|(n, _)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    state.fails.retain(|f| !f.starts_with("its VPC is fixed"));
                    state.fails.push(reason);
                }
            }
            if became != state.impact {
                progressed = true;
                state.impact = became;
                if matches!(became, Impact::Replace | Impact::MayReplace) {
                    let now = Changing {
                        certain: became == Impact::Replace,
                        new_vpc: moved_vpc,
                    };
                    let entry = changing.entry(id.clone()).or_default();
                    *entry = entry.merge(now);
                    state.kept_by = kept_by(Some(resource), "UpdateReplacePolicy");
                }
            }
            for (prefix, reason) in because {
                state.because.retain(|b| !b.starts_with(&prefix));
                state.because.push(reason);
            }
        }
        if !progressed {
            break;
        }
    }
}

/// Replacements AWS refuses: CloudFormation creates the new resource before it deletes the
/// old one, so a custom name that stays the same (or a second mount target in a zone)
/// collides with the old resource and the update fails.
fn replacement_failures(
    state: &ResourceState,
    old: &Value,
    new: &Value,
    changing: &BTreeMap<String, Changing>,
) -> Vec<String> {
    let mut out = Vec::new();
    if state.impact != Impact::Replace || kind_of(Some(old)) != kind_of(Some(new)) {
        return out;
    }
    let (op, np) = (old.get("Properties"), new.get("Properties"));
    // A value at `path` differs, or uses something that changes at deploy time.
    let uses = |path: &str, test: &dyn Fn(&Changing) -> bool| {
        table::values_at(np, path)
            .into_iter()
            .flat_map(|v| v.map(tree::references).unwrap_or_default())
            .any(|r| changing.get(&r).is_some_and(test))
    };
    let moves = |path: &str| {
        table::values_at(op, path) != table::values_at(np, path) || uses(path, &|_| true)
    };
    for (_, key, scopes) in EXCLUSIVE.iter().filter(|(kind, ..)| *kind == state.kind) {
        let Some(now) = np.and_then(|p| p.get(*key)) else {
            continue;
        };
        if !moves(key) && !scopes.iter().any(|scope| moves(scope)) {
            out.push(format!(
                "it is replaced but keeps its {key} {}, which only one can hold at a time: CloudFormation creates the new one before deleting the old one (change it too, or delete and re-create)",
                tree::short(now)
            ));
        }
    }
    // EFS: one mount target per zone, all of a file system's in one VPC. Certain when the
    // file system stays and the subnet stays (the same zone) or moves to a new VPC.
    if state.kind == "AWS::EFS::MountTarget" && !moves("FileSystemId") {
        let same_subnet = !moves("SubnetId");
        let new_vpc = uses("SubnetId", &|c| c.new_vpc);
        if same_subnet || new_vpc {
            out.push(format!(
                "EFS allows one mount target per zone and all of a file system's mount targets in one VPC: the replacement {} (MountTargetConflict)",
                if new_vpc { "would be in another VPC than the file system's other mount targets" } else { "conflicts with the old one in the same zone" }
            ));
        }
    }
    out
}

/// `Vpc, which changes` / `A, B, which change` / `A, which may change`.
fn changes_text(names: &[(String, Changing)]) -> String {
    let list: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
    let certain = names.iter().any(|(_, c)| c.certain);
    let verb = match (names.len() == 1, certain) {
        (true, true) => "which changes",
        (false, true) => "which change",
        (_, false) => "which may change",
    };
    format!("{}, {verb}", list.join(", "))
}

fn dotted(pattern: &str) -> String {
    pattern.replace('/', ".")
}

/// `Properties.<pattern>` or below it, or above it (a parent that changed as a whole).
fn in_patterns(path: &str, patterns: &[String]) -> bool {
    let segments = tree::pattern_segments(path);
    let Some((&"Properties", rest)) = segments.split_first() else {
        return false;
    };
    patterns.iter().any(|pattern| {
        pattern
            .split('/')
            .zip(rest)
            .all(|(p, s)| p == *s || p == "*" || *s == "*")
    })
}
