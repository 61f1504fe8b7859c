//! Exposure and protection that live outside IAM statements and security-group rules: a
//! user pool open to sign-up, a public database, a public IP on a task, an internet-facing
//! load balancer, a bucket's public access block, other security groups on a resource (what
//! widens access); deletion protection switched off, a retain policy dropped on a stateful
//! resource (what puts data at risk). One small table of paths per type; a change counts only
//! in the loosening direction.

use serde::Serialize;
use serde_json::Value;

use super::tree;

/// A loosening found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The resource.
    pub logical_id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The path that loosens.
    pub path: String,
    /// Its value before (short form; `(absent)`).
    pub before: String,
    /// Its value after.
    pub after: String,
    /// What it means.
    pub what: String,
}

/// (type, path below `Properties`, meaning, is the value loose?). `*` in a type matches any.
type Rule = (
    &'static str,
    &'static str,
    &'static str,
    fn(Option<&Value>) -> bool,
);

const EXPOSURE: &[Rule] = &[
    (
        "AWS::Cognito::UserPool",
        "AdminCreateUserConfig/AllowAdminCreateUserOnly",
        "anyone may sign up to the user pool, and so log in to the hub",
        |v| v != Some(&Value::Bool(true)),
    ),
    (
        "AWS::Cognito::UserPoolClient",
        "CallbackURLs",
        "the login may redirect to another address",
        |_| true,
    ),
    (
        "AWS::Cognito::UserPoolClient",
        "AllowedOAuthFlows",
        "other OAuth flows are allowed",
        |_| true,
    ),
    (
        "AWS::RDS::DBInstance",
        "PubliclyAccessible",
        "the database gets a public address",
        |v| v == Some(&Value::Bool(true)),
    ),
    (
        "AWS::ECS::Service",
        "NetworkConfiguration/AwsvpcConfiguration/AssignPublicIp",
        "the tasks get public IP addresses",
        |v| v.and_then(Value::as_str) == Some("ENABLED"),
    ),
    (
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Scheme",
        "the load balancer faces the internet",
        |v| v.and_then(Value::as_str) != Some("internal"),
    ),
    (
        "AWS::S3::Bucket",
        "PublicAccessBlockConfiguration",
        "the bucket's public access block is loosened",
        |v| {
            [
                "BlockPublicAcls",
                "BlockPublicPolicy",
                "IgnorePublicAcls",
                "RestrictPublicBuckets",
            ]
            .iter()
            .any(|key| v.and_then(|b| b.get(*key)) != Some(&Value::Bool(true)))
        },
    ),
];

/// Properties that attach security groups: another group attached widens access.
const GROUP_LISTS: &[&str] = &[
    "SecurityGroups",
    "SecurityGroupIds",
    "VPCSecurityGroups",
    "NetworkConfiguration/AwsvpcConfiguration/SecurityGroups",
];

/// What widens access between `old` and `new` (either may be absent: added, removed).
pub fn exposures(id: &str, old: Option<&Value>, new: Option<&Value>) -> Vec<Finding> {
    let Some(new) = new else { return Vec::new() };
    let kind = new.get("Type").and_then(Value::as_str).unwrap_or_default();
    let op = old.and_then(|o| o.get("Properties"));
    let np = new.get("Properties");
    let mut out = Vec::new();
    for (rule_kind, path, what, loose) in EXPOSURE {
        if *rule_kind != kind {
            continue;
        }
        let (was, now) = (at(op, path), at(np, path));
        let full = properties_path(path);
        let loosened = if *path == "CallbackURLs" || *path == "AllowedOAuthFlows" {
            // Lists: an entry that was not there before.
            old.is_some() && added_items(was, now)
        } else {
            // A new resource counts when it is loose (absence may be: a pool without
            // AdminCreateUserConfig is open, a load balancer without Scheme faces out).
            loose(now) && (old.is_none() || !loose(was))
        };
        if loosened {
            out.push(finding(id, kind, &full, was, now, what));
        }
    }
    if old.is_some() {
        for path in GROUP_LISTS {
            let (was, now) = (at(op, path), at(np, path));
            if added_items(was, now) {
                out.push(finding(
                    id,
                    kind,
                    &properties_path(path),
                    was,
                    now,
                    "other security groups are attached: their rules now apply",
                ));
            }
        }
    }
    out
}

/// What puts a stateful resource's data at risk between `old` and `new`: deletion
/// protection switched off, a `Retain`/`Snapshot` policy dropped.
pub fn protections(id: &str, old: &Value, new: &Value) -> Vec<Finding> {
    let kind = new.get("Type").and_then(Value::as_str).unwrap_or_default();
    let mut out = Vec::new();
    let (op, np) = (old.get("Properties"), new.get("Properties"));
    if deletion_protected(op) && !deletion_protected(np) {
        // Said as the type says it: a property, or the load balancer's attribute.
        let (path, was, now) = if op.and_then(|p| p.get("DeletionProtection")).is_some() {
            (
                "Properties.DeletionProtection",
                op.and_then(|p| p.get("DeletionProtection")),
                np.and_then(|p| p.get("DeletionProtection")),
            )
        } else {
            (
                "Properties.LoadBalancerAttributes[deletion_protection.enabled].Value",
                load_balancer_protection(op),
                load_balancer_protection(np),
            )
        };
        out.push(finding(
            id,
            kind,
            path,
            was,
            now,
            "deletion protection is switched off",
        ));
    }
    for attribute in ["DeletionPolicy", "UpdateReplacePolicy"] {
        let keeps = |r: &Value| {
            matches!(
                r.get(attribute).and_then(Value::as_str),
                Some("Retain" | "RetainExceptOnCreate" | "Snapshot")
            )
        };
        if keeps(old) && !keeps(new) {
            out.push(finding(
                id,
                kind,
                attribute,
                old.get(attribute),
                new.get(attribute),
                "a removal or replacement would now delete it with its data",
            ));
        }
    }
    out
}

/// Deletion protection on, as each type writes it.
pub fn deletion_protected(properties: Option<&Value>) -> bool {
    let Some(properties) = properties else {
        return false;
    };
    match properties.get("DeletionProtection") {
        Some(Value::Bool(true)) => return true,
        Some(Value::String(s)) if s == "ACTIVE" || s == "true" => return true,
        _ => {}
    }
    properties
        .get("LoadBalancerAttributes")
        .and_then(Value::as_array)
        .is_some_and(|attributes| {
            attributes.iter().any(|a| {
                a.get("Key").and_then(Value::as_str) == Some("deletion_protection.enabled")
                    && a.get("Value").and_then(Value::as_str) == Some("true")
            })
        })
}

/// The load balancer's `deletion_protection.enabled` attribute value.
fn load_balancer_protection(properties: Option<&Value>) -> Option<&Value> {
    properties?
        .get("LoadBalancerAttributes")?
        .as_array()?
        .iter()
        .find(|a| a.get("Key").and_then(Value::as_str) == Some("deletion_protection.enabled"))?
        .get("Value")
}

/// `A/B` below `Properties` as a report path: `Properties.A.B`.
fn properties_path(path: &str) -> String {
    format!("Properties.{}", path.replace('/', "."))
}

fn at<'v>(properties: Option<&'v Value>, path: &str) -> Option<&'v Value> {
    path.split('/')
        .try_fold(properties?, |value, key| value.get(key))
}

fn added_items(was: Option<&Value>, now: Option<&Value>) -> bool {
    let items = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    let before = items(was);
    items(now).iter().any(|item| !before.contains(item))
}

fn finding(
    id: &str,
    kind: &str,
    path: &str,
    was: Option<&Value>,
    now: Option<&Value>,
    what: &str,
) -> Finding {
    let show = |v: Option<&Value>| v.map_or("(absent)".to_string(), tree::short);
    Finding {
        logical_id: id.to_string(),
        kind: kind.to_string(),
        path: path.to_string(),
        before: show(was),
        after: show(now),
        what: what.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn loosening_counts_and_tightening_does_not() {
        let closed = json!({"Type": "AWS::Cognito::UserPool", "Properties": {"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true}}});
        let open = json!({"Type": "AWS::Cognito::UserPool", "Properties": {"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": false}}});
        assert_eq!(exposures("Pool", Some(&closed), Some(&open)).len(), 1);
        assert!(exposures("Pool", Some(&open), Some(&closed)).is_empty());
        let public =
            json!({"Type": "AWS::RDS::DBInstance", "Properties": {"PubliclyAccessible": true}});
        let private =
            json!({"Type": "AWS::RDS::DBInstance", "Properties": {"PubliclyAccessible": false}});
        assert_eq!(
            exposures("Db", Some(&private), Some(&public))[0].after,
            "true"
        );
        assert_eq!(
            exposures("Db", None, Some(&public)).len(),
            1,
            "a new public database"
        );
        assert!(exposures("Db", None, Some(&private)).is_empty());
    }

    #[test]
    fn another_security_group_attached_widens() {
        let one = json!({"Type": "AWS::RDS::DBInstance", "Properties": {"VPCSecurityGroups": [{"Ref": "A"}]}});
        let two = json!({"Type": "AWS::RDS::DBInstance", "Properties": {"VPCSecurityGroups": [{"Ref": "A"}, {"Ref": "B"}]}});
        assert_eq!(exposures("Db", Some(&one), Some(&two)).len(), 1);
        assert!(exposures("Db", Some(&two), Some(&one)).is_empty());
    }

    #[test]
    fn dropped_protection_is_found_in_each_spelling() {
        let db = |on: bool, policy: &str| json!({"Type": "AWS::RDS::DBInstance", "DeletionPolicy": policy, "Properties": {"DeletionProtection": on}});
        assert_eq!(
            protections("Db", &db(true, "Snapshot"), &db(false, "Snapshot")).len(),
            1
        );
        assert_eq!(
            protections("Db", &db(true, "Snapshot"), &db(true, "Delete")).len(),
            1
        );
        assert!(protections("Db", &db(false, "Delete"), &db(true, "Snapshot")).is_empty());
        let pool = |state: &str| json!({"Type": "AWS::Cognito::UserPool", "Properties": {"DeletionProtection": state}});
        let found = protections("Pool", &pool("ACTIVE"), &pool("INACTIVE"));
        let said = (
            found[0].path.as_str(),
            found[0].before.as_str(),
            found[0].after.as_str(),
        );
        assert_eq!(
            said,
            (
                "Properties.DeletionProtection",
                "\"ACTIVE\"",
                "\"INACTIVE\""
            )
        );
        let policy = protections("Db", &db(false, "Snapshot"), &db(false, "Delete"));
        assert_eq!(policy[0].path, "DeletionPolicy");
        assert!(deletion_protected(Some(
            &json!({"DeletionProtection": "ACTIVE"})
        )));
        assert!(deletion_protected(Some(
            &json!({"LoadBalancerAttributes": [{"Key": "deletion_protection.enabled", "Value": "true"}]})
        )));
    }
}
