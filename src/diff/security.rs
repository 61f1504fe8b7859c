//! Who may do what: the IAM statements and security-group rules of a template, compared as
//! sets, with every addition that widens access called out.
//!
//! A statement or rule is identified by all of its fields (a changed one reads as removed
//! plus added). An added `Allow` broadens unless an old `Allow` of the same policy already
//! covered it (same principal, its conditions a subset, every action and resource matched by
//! one of the old patterns); a removed `Deny` and an added managed policy broaden; every added
//! security-group rule broadens. This is what `cdk diff` calls a security-relevant change,
//! with the coverage test added so that narrowing a statement is not flagged.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::tree::{is_intrinsic, plain, short};

/// Property names whose value is a policy document.
const POLICY_KEYS: [&str; 5] = [
    "AssumeRolePolicyDocument",
    "PolicyDocument",
    "KeyPolicy",
    "FileSystemPolicy",
    "ResourcePolicy",
];

/// One IAM statement, normalized for comparison and display.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Statement {
    /// `Allow` or `Deny`.
    pub effect: String,
    /// The principal (`Principal` or `NotPrincipal:`), short form; empty in identity policies.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub principal: String,
    /// Actions (or `NotAction:` entries), sorted.
    pub actions: Vec<String>,
    /// Resources (or `NotResource:` entries), sorted; empty in trust policies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// The condition block, short form; empty when none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub condition: String,
}

/// A policy's statements, found under a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The resource's logical id.
    pub resource: String,
    /// Where in it (`AssumeRolePolicyDocument`, `Policies[hub-task]`, `KeyPolicy`).
    pub name: String,
    /// Its statements.
    pub statements: Vec<Statement>,
}

/// A security-group rule, normalized.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Rule {
    /// The group it belongs to (a logical id, or the short form of a `GroupId`).
    pub group: String,
    /// `ingress` or `egress`.
    pub direction: String,
    /// `tcp`, `udp`, `icmp`, `all`.
    pub protocol: String,
    /// `443`, `1024-65535`, `all`.
    pub ports: String,
    /// The other side: a CIDR, a security group, a prefix list.
    pub peer: String,
    /// The peer is the whole internet (`0.0.0.0/0` or `::/0`).
    pub everyone: bool,
    /// EC2's default rule of a group without inline egress rules, not written anywhere.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ec2_default: bool,
}

/// Every policy document in `resources` (a template's `Resources`).
pub fn policies(resources: Option<&Value>) -> Vec<Policy> {
    let mut out = Vec::new();
    let Some(resources) = resources.and_then(Value::as_object) else {
        return out;
    };
    for (id, resource) in resources {
        let Some(properties) = resource.get("Properties") else {
            continue;
        };
        find_policies(id, properties, &mut Vec::new(), &mut out);
        if let Some(arns) = properties
            .get("ManagedPolicyArns")
            .and_then(Value::as_array)
        {
            // Managed policies attached: one pseudo-statement each, so adding one reads as a
            // grant of everything the managed policy allows.
            let statements = arns
                .iter()
                .map(|arn| Statement {
                    effect: "Allow".to_string(),
                    principal: String::new(),
                    actions: vec![format!("managed policy {}", plain(arn))],
                    resources: Vec::new(),
                    condition: String::new(),
                })
                .collect();
            out.push(Policy {
                resource: id.clone(),
                name: "ManagedPolicyArns".to_string(),
                statements,
            });
        }
    }
    out
}

fn find_policies(id: &str, value: &Value, at: &mut Vec<String>, out: &mut Vec<Policy>) {
    // The path is joined only where a policy is found: most nodes hold none.
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                at.push(key.clone());
                let found = POLICY_KEYS
                    .contains(&key.as_str())
                    .then(|| document(item))
                    .flatten();
                match found {
                    Some(statements) => out.push(Policy {
                        resource: id.to_string(),
                        name: super::tree::join(at),
                        statements,
                    }),
                    None if item.is_object() || item.is_array() => find_policies(id, item, at, out),
                    None => {}
                }
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let label = item
                    .get("PolicyName")
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_string);
                at.push(format!("[{label}]"));
                find_policies(id, item, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// The statements of a policy document written as an object, as JSON text (a string or a
/// `Fn::Sub` of one, `${...}` left as text), or behind an intrinsic that cannot be read
/// without deploying (`Fn::If`, a `Ref`): then one pseudo-statement that says so, counted as
/// broadening since nothing proves it is not. `None`: not a policy document.
fn document(value: &Value) -> Option<Vec<Statement>> {
    if value.get("Statement").is_some() {
        return Some(statements(value));
    }
    let text = match value {
        Value::String(text) => Some(text.as_str()),
        _ => value.get("Fn::Sub").and_then(|sub| match sub {
            Value::String(text) => Some(text.as_str()),
            Value::Array(parts) => parts.first().and_then(Value::as_str),
            _ => None,
        }),
    };
    if let Some(parsed) = text.and_then(|t| serde_json::from_str::<Value>(t).ok()) {
        if parsed.get("Statement").is_some() {
            return Some(statements(&parsed));
        }
    }
    is_intrinsic(value).then(|| {
        vec![Statement {
            effect: "Allow".to_string(),
            principal: String::new(),
            actions: vec![format!(
                "(a policy hubctl cannot read before deploy: {})",
                short(value)
            )],
            resources: Vec::new(),
            condition: String::new(),
        }]
    })
}

fn statements(document: &Value) -> Vec<Statement> {
    let list = match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    let mut out: Vec<Statement> = list.into_iter().map(statement).collect();
    out.sort();
    out.dedup();
    out
}

fn statement(value: &Value) -> Statement {
    let field = |name: &str| value.get(name);
    let principal = match (field("Principal"), field("NotPrincipal")) {
        (Some(p), _) => principal_text(p),
        (None, Some(p)) => format!("NotPrincipal: {}", principal_text(p)),
        (None, None) => String::new(),
    };
    let actions = match (field("Action"), field("NotAction")) {
        (Some(a), _) => list(a),
        (None, Some(a)) => list(a)
            .into_iter()
            .map(|x| format!("NotAction: {x}"))
            .collect(),
        (None, None) => Vec::new(),
    };
    let resources = match (field("Resource"), field("NotResource")) {
        (Some(r), _) => list(r),
        (None, Some(r)) => list(r)
            .into_iter()
            .map(|x| format!("NotResource: {x}"))
            .collect(),
        (None, None) => Vec::new(),
    };
    Statement {
        effect: field("Effect").map(plain).unwrap_or_default(),
        principal,
        actions,
        resources,
        condition: field("Condition").map(short).unwrap_or_default(),
    }
}

fn principal_text(principal: &Value) -> String {
    match principal {
        Value::String(s) => s.clone(),
        Value::Object(map) if !map.keys().any(|k| k.starts_with("Fn::") || k == "Ref") => map
            .iter()
            .map(|(kind, who)| format!("{kind}: {}", list(who).join(", ")))
            .collect::<Vec<_>>()
            .join("; "),
        other => short(other),
    }
}

/// A string or a list of them (or intrinsics), each in short form, sorted.
fn list(value: &Value) -> Vec<String> {
    let mut out: Vec<String> = match value {
        Value::Array(items) => items.iter().map(plain).collect(),
        one => vec![plain(one)],
    };
    out.sort();
    out.dedup();
    out
}

/// Every security-group rule in `resources`: the inline rules of `AWS::EC2::SecurityGroup`
/// and the standalone ingress and egress resources.
pub fn rules(resources: Option<&Value>) -> Vec<Rule> {
    let mut out = Vec::new();
    let Some(resources) = resources.and_then(Value::as_object) else {
        return out;
    };
    for (id, resource) in resources {
        let properties = resource.get("Properties");
        match resource.get("Type").and_then(Value::as_str) {
            Some("AWS::EC2::SecurityGroup") => {
                let egress = properties
                    .and_then(|p| p.get("SecurityGroupEgress"))
                    .and_then(Value::as_array);
                if egress.is_none_or(Vec::is_empty) {
                    // Without inline egress rules, EC2 gives a VPC security group its default
                    // rule: all traffic out to anywhere (standalone egress rules add to it).
                    out.push(Rule {
                        group: id.clone(),
                        direction: "egress".to_string(),
                        protocol: "all".to_string(),
                        ports: "all".to_string(),
                        peer: "0.0.0.0/0".to_string(),
                        everyone: true,
                        ec2_default: true,
                    });
                }
                for (key, direction) in [
                    ("SecurityGroupIngress", "ingress"),
                    ("SecurityGroupEgress", "egress"),
                ] {
                    let inline = properties
                        .and_then(|p| p.get(key))
                        .and_then(Value::as_array);
                    for item in inline.into_iter().flatten() {
                        out.push(rule(id.clone(), direction, item));
                    }
                }
            }
            Some(kind @ ("AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress")) => {
                let direction = if kind.ends_with("Ingress") {
                    "ingress"
                } else {
                    "egress"
                };
                let group = properties
                    .and_then(|p| p.get("GroupId"))
                    .map(group_name)
                    .unwrap_or_else(|| id.clone());
                if let Some(properties) = properties {
                    out.push(rule(group, direction, properties));
                }
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `!Ref Sg` and `!GetAtt Sg.GroupId` name the group `Sg`; anything else in short form.
fn group_name(value: &Value) -> String {
    let references = super::tree::references(value);
    match references.as_slice() {
        [one] if !one.starts_with("AWS::") => one.clone(),
        _ => plain(value),
    }
}

fn rule(group: String, direction: &str, properties: &Value) -> Rule {
    let get = |name: &str| properties.get(name);
    let protocol = match get("IpProtocol").map(plain).as_deref() {
        Some("-1") | None => "all".to_string(),
        Some("6") => "tcp".to_string(),
        Some("17") => "udp".to_string(),
        Some(other) => other.to_string(),
    };
    let from = get("FromPort").map(plain);
    let to = get("ToPort").map(plain);
    let ports = match (from.as_deref(), to.as_deref()) {
        _ if protocol == "all" => "all".to_string(),
        (Some("-1"), _) | (None, None) => "all".to_string(),
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}-{b}"),
        (Some(a), None) | (None, Some(a)) => a.to_string(),
    };
    let peer_keys = [
        ("CidrIp", ""),
        ("CidrIpv6", ""),
        ("SourceSecurityGroupId", "group "),
        ("DestinationSecurityGroupId", "group "),
        ("SourcePrefixListId", "prefix list "),
        ("DestinationPrefixListId", "prefix list "),
    ];
    let peer = peer_keys
        .iter()
        .find_map(|(key, label)| {
            get(key).map(|value| {
                if label.starts_with("group") {
                    format!("{label}{}", group_name(value))
                } else {
                    format!("{label}{}", plain(value))
                }
            })
        })
        .unwrap_or_else(|| "(no peer)".to_string());
    let everyone = peer == "0.0.0.0/0" || peer == "::/0";
    Rule {
        group,
        direction: direction.to_string(),
        protocol,
        ports,
        peer,
        everyone,
        ec2_default: false,
    }
}

/// A statement added or removed, and whether it widens access.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementChange {
    /// The resource holding the policy.
    pub resource: String,
    /// The policy within it.
    pub policy: String,
    /// `added` or `removed`.
    pub change: &'static str,
    /// The statement.
    pub statement: Statement,
    /// It widens what anyone may do.
    pub broadens: bool,
}

/// A rule added or removed, and whether it widens access.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleChange {
    /// `added` or `removed`.
    pub change: &'static str,
    /// The rule.
    #[serde(flatten)]
    pub rule: Rule,
    /// It widens who may connect (every added rule does).
    pub broadens: bool,
}

/// The statements that differ between two templates' resources, in policy order.
pub fn statement_changes(before: &[Policy], after: &[Policy]) -> Vec<StatementChange> {
    let key = |p: &Policy| (p.resource.clone(), p.name.clone());
    let old: BTreeMap<_, &Policy> = before.iter().map(|p| (key(p), p)).collect();
    let new: BTreeMap<_, &Policy> = after.iter().map(|p| (key(p), p)).collect();
    let mut keys: Vec<_> = old.keys().chain(new.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for k in keys {
        let was: &[Statement] = old.get(&k).map_or(&[], |p| &p.statements);
        let now: &[Statement] = new.get(&k).map_or(&[], |p| &p.statements);
        for statement in was.iter().filter(|s| !now.contains(s)) {
            out.push(StatementChange {
                resource: k.0.clone(),
                policy: k.1.clone(),
                change: "removed",
                statement: statement.clone(),
                // A deny removed widens access, unless a new deny covers it (a widened deny).
                broadens: statement.effect == "Deny" && !now.iter().any(|n| covers(n, statement)),
            });
        }
        for statement in now.iter().filter(|s| !was.contains(s)) {
            // A `Not*` element grants everything but what it lists: no old pattern covers
            // what it adds, so it broadens whenever it changes.
            let negated = statement.principal.starts_with("NotPrincipal")
                || statement.actions.iter().any(|a| a.starts_with("NotAction"))
                || statement
                    .resources
                    .iter()
                    .any(|r| r.starts_with("NotResource"));
            let broadens = statement.effect != "Deny"
                && (negated || !was.iter().any(|o| covers(o, statement)));
            out.push(StatementChange {
                resource: k.0.clone(),
                policy: k.1.clone(),
                change: "added",
                statement: statement.clone(),
                broadens,
            });
        }
    }
    out
}

/// The rules that differ.
pub fn rule_changes(before: &[Rule], after: &[Rule]) -> Vec<RuleChange> {
    let mut out: Vec<RuleChange> = before
        .iter()
        .filter(|r| !after.contains(r))
        .map(|r| RuleChange {
            change: "removed",
            rule: r.clone(),
            broadens: false,
        })
        .collect();
    out.extend(
        after
            .iter()
            .filter(|r| !before.contains(r))
            .map(|r| RuleChange {
                change: "added",
                rule: r.clone(),
                broadens: !before.iter().any(|old| rule_covers(old, r)),
            }),
    );
    out.sort_by(|a, b| (&a.rule, a.change).cmp(&(&b.rule, b.change)));
    out
}

/// `old` lets through at least what `new` does: same group and direction, its protocol and
/// ports a superset, its peer the same or a CIDR that contains the new one (`0.0.0.0/0`
/// narrowed to `203.0.113.0/24` does not broaden).
fn rule_covers(old: &Rule, new: &Rule) -> bool {
    let protocol = old.protocol == "all" || old.protocol == new.protocol;
    let ports = old.ports == "all"
        || {
            let range = |p: &str| -> Option<(u32, u32)> {
                match p.split_once('-') {
                    Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                    None => p.parse().ok().map(|n| (n, n)),
                }
            };
            matches!((range(&old.ports), range(&new.ports)), (Some((a, b)), Some((c, d))) if a <= c && d <= b)
        };
    old.group == new.group
        && old.direction == new.direction
        && protocol
        && ports
        && (old.peer == new.peer || cidr_contains(&old.peer, &new.peer))
}

/// `outer` contains `inner`, both IPv4 CIDRs (`::/0` contains every IPv6 one).
fn cidr_contains(outer: &str, inner: &str) -> bool {
    if outer == "::/0" {
        return inner.contains(':');
    }
    let parse = |cidr: &str| -> Option<(u32, u32)> {
        let (address, bits) = cidr.split_once('/')?;
        let address: core::net::Ipv4Addr = address.parse().ok()?;
        let bits: u32 = bits.parse().ok().filter(|b| *b <= 32)?;
        Some((u32::from(address), bits))
    };
    match (parse(outer), parse(inner)) {
        (Some((o, ob)), Some((i, ib))) if ob <= ib => {
            let mask = if ob == 0 { 0 } else { u32::MAX << (32 - ob) };
            o & mask == i & mask
        }
        _ => false,
    }
}

/// `old` allows at least what `new` allows: both `Allow`, same principal, every condition of
/// `old` also in `new`, every action and resource of `new` matched by a pattern of `old`.
fn covers(old: &Statement, new: &Statement) -> bool {
    old.effect == new.effect
        && old.principal == new.principal
        && (old.condition.is_empty() || old.condition == new.condition)
        && new
            .actions
            .iter()
            .all(|a| old.actions.iter().any(|p| glob(p, a, true)))
        && (old.resources.is_empty() && new.resources.is_empty()
            || new
                .resources
                .iter()
                .all(|r| old.resources.iter().any(|p| glob(p, r, false))))
}

/// IAM's wildcard match: `*` any run, `?` one character; actions case-insensitively.
fn glob(pattern: &str, text: &str, fold_case: bool) -> bool {
    let (pattern, text) = if fold_case {
        (pattern.to_ascii_lowercase(), text.to_ascii_lowercase())
    } else {
        (pattern.to_string(), text.to_string())
    };
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn role(actions: Value, resource: Value) -> Value {
        json!({"Role": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]},
            "Policies": [{"PolicyName": "task", "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": actions, "Resource": resource}]}}]}}})
    }

    #[test]
    fn a_wider_action_broadens_and_a_narrower_one_does_not() {
        let before = policies(Some(&role(
            json!(["s3:GetObject"]),
            json!("arn:aws:s3:::b/*"),
        )));
        let wider = policies(Some(&role(json!(["s3:*"]), json!("arn:aws:s3:::b/*"))));
        let changes = statement_changes(&before, &wider);
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert!(changes.iter().any(|c| c.change == "added" && c.broadens));
        assert_eq!(changes[0].policy, "Policies[task].PolicyDocument");

        let narrower = statement_changes(&wider, &before);
        assert!(narrower.iter().all(|c| !c.broadens), "{narrower:?}");
    }

    #[test]
    fn a_wider_resource_broadens() {
        let before = policies(Some(&role(
            json!("s3:GetObject"),
            json!("arn:aws:s3:::b/home/*"),
        )));
        let after = policies(Some(&role(json!("s3:GetObject"), json!("*"))));
        assert!(statement_changes(&before, &after)
            .iter()
            .any(|c| c.broadens));
        assert!(statement_changes(&after, &before)
            .iter()
            .all(|c| !c.broadens));
    }

    #[test]
    fn a_removed_deny_and_an_added_managed_policy_broaden() {
        let deny = json!({"K": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [
            {"Effect": "Deny", "Action": "kms:*", "Resource": "*", "Principal": "*"}]}}}});
        let none =
            json!({"K": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": []}}}});
        let changes = statement_changes(&policies(Some(&deny)), &policies(Some(&none)));
        assert!(changes.len() == 1 && changes[0].broadens, "{changes:?}");

        let managed = json!({"R": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}}});
        let changes = statement_changes(&[], &policies(Some(&managed)));
        assert!(changes[0].broadens);
        assert_eq!(
            changes[0].statement.actions,
            ["managed policy arn:aws:iam::aws:policy/AdministratorAccess"]
        );
    }

    #[test]
    fn not_action_and_policies_as_text_are_read_and_broaden() {
        let with = |statement: Value| {
            json!({"R": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{"PolicyName": "p",
                "PolicyDocument": {"Statement": [statement]}}]}}})
        };
        let wide = policies(Some(&with(
            json!({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        )));
        let wider = policies(Some(&with(
            json!({"Effect": "Allow", "NotAction": "iam:PassRole", "Resource": "*"}),
        )));
        assert!(statement_changes(&wide, &wider).iter().any(|c| c.broadens));

        let text = json!({"P": {"Type": "AWS::Logs::ResourcePolicy", "Properties": {"PolicyDocument":
            {"Fn::Sub": "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"logs:PutLogEvents\", \"Resource\": \"arn:${AWS::Partition}:logs:*\"}]}"}}}});
        let found = policies(Some(&text));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].statements[0].actions, ["logs:PutLogEvents"]);
        assert!(statement_changes(&[], &found)[0].broadens);

        let hidden = json!({"P": {"Type": "AWS::S3::BucketPolicy", "Properties": {"PolicyDocument": {"Fn::If": ["C", {"Statement": []}, {"Ref": "AWS::NoValue"}]}}}});
        assert!(policies(Some(&hidden))[0].statements[0].actions[0]
            .starts_with("(a policy hubctl cannot read"));
    }

    #[test]
    fn a_narrowed_cidr_does_not_broaden() {
        let rule = |peer: &str, ports: &str| Rule {
            group: "Lb".to_string(),
            direction: "ingress".to_string(),
            protocol: "tcp".to_string(),
            ports: ports.to_string(),
            peer: peer.to_string(),
            everyone: peer == "0.0.0.0/0",
            ec2_default: false,
        };
        let changes = rule_changes(
            &[rule("0.0.0.0/0", "443")],
            &[rule("203.0.113.0/24", "443")],
        );
        assert!(changes.iter().all(|c| !c.broadens), "{changes:?}");
        let changes = rule_changes(&[rule("10.0.0.0/16", "443")], &[rule("10.1.0.0/24", "443")]);
        assert!(
            changes.iter().any(|c| c.broadens),
            "another network broadens"
        );
        let changes = rule_changes(
            &[rule("10.0.0.0/16", "443")],
            &[rule("10.0.0.0/16", "80-443")],
        );
        assert!(changes.iter().any(|c| c.broadens), "more ports broaden");
        assert!(cidr_contains("10.0.0.0/8", "10.20.0.0/16"));
        assert!(!cidr_contains("10.20.0.0/16", "10.0.0.0/8"));
    }

    #[test]
    fn a_group_without_egress_rules_has_ec2s_default() {
        let open = json!({"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x"}}});
        let closed = json!({"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x",
            "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "127.0.0.1/32"}]}}});
        let changes = rule_changes(&rules(Some(&closed)), &rules(Some(&open)));
        let added = changes
            .iter()
            .find(|c| c.change == "added")
            .expect("the default rule appears");
        assert!(added.rule.ec2_default);
        let narrowed = rule_changes(&rules(Some(&open)), &rules(Some(&closed)));
        assert!(narrowed.iter().all(|c| !c.broadens), "{narrowed:?}");
        assert!(added.broadens && added.rule.everyone && added.rule.direction == "egress");
    }

    #[test]
    fn a_widened_deny_does_not_broaden() {
        let deny = |actions: Value| {
            json!({"F": {"Type": "AWS::EFS::FileSystem", "Properties": {"FileSystemPolicy": {"Statement": [
                {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": actions, "Resource": "*"}]}}}})
        };
        let narrow = policies(Some(&deny(json!(["elasticfilesystem:ClientMount"]))));
        let wide = policies(Some(&deny(json!([
            "elasticfilesystem:ClientMount",
            "elasticfilesystem:ClientRootAccess"
        ]))));
        assert!(statement_changes(&narrow, &wide)
            .iter()
            .all(|c| !c.broadens));
        assert!(statement_changes(&wide, &narrow).iter().any(|c| c.broadens));
    }

    #[test]
    fn glob_matches_like_iam() {
        assert!(glob("s3:*", "s3:GetObject", true));
        assert!(glob("S3:get*", "s3:GetObject", true));
        assert!(!glob("s3:Get*", "s3:PutObject", true));
        assert!(glob("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y", false));
        assert!(!glob("arn:aws:s3:::b/*", "arn:aws:s3:::c/x", false));
        assert!(glob("a?c", "abc", false));
    }

    #[test]
    fn rules_inline_and_standalone_with_everyone_marked() {
        let resources = json!({
            "LbSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}],
                "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "10.0.0.0/16"}]}},
            "HubFromLb": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
                "GroupId": {"Fn::GetAtt": ["HubSg", "GroupId"]}, "IpProtocol": "tcp", "FromPort": 8000,
                "ToPort": 8081, "SourceSecurityGroupId": {"Ref": "LbSg"}}}
        });
        let found = rules(Some(&resources));
        assert_eq!(found.len(), 3);
        let hub = found
            .iter()
            .find(|r| r.group == "HubSg")
            .expect("standalone rule");
        assert_eq!(
            (hub.ports.as_str(), hub.peer.as_str()),
            ("8000-8081", "group LbSg")
        );
        let open = found.iter().find(|r| r.everyone).expect("the open rule");
        assert_eq!(
            (open.direction.as_str(), open.ports.as_str()),
            ("ingress", "443")
        );
        let egress = found
            .iter()
            .find(|r| r.direction == "egress")
            .expect("egress");
        assert_eq!(
            (egress.protocol.as_str(), egress.ports.as_str()),
            ("all", "all")
        );

        let changes = rule_changes(&found[1..], &found);
        assert_eq!(changes.len(), 1);
        assert!(changes[0].broadens && changes[0].change == "added");
    }
}
