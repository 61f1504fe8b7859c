//! What CloudFormation does when a property changes, per resource type hubctl emits: the
//! create-only and conditionally create-only property paths of the resource schemas, and
//! whether the type holds state. `resource_types.json` is generated from the pinned
//! cfn-lint's schemas by `tests/tools/resource_table.py`; a test keeps the two equal.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

/// One resource type's entry.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TypeInfo {
    /// Paths below `Properties` whose change replaces the resource (`*`: any array item).
    pub create_only: Vec<String>,
    /// Paths whose change may replace it, depending on the values.
    pub conditional_create_only: Vec<String>,
    /// Paths that cannot change at all: CloudFormation's update fails (hand-kept in the
    /// generator, each with its source).
    #[serde(default)]
    pub immutable: Vec<String>,
    /// It holds data that replacing or removing it loses.
    pub stateful: bool,
    /// What is lost: `data`, `keys`, `dns`, `secret`, `identity`, `certificate`, `network`,
    /// `logs`.
    pub loss: Option<String>,
}

#[derive(Deserialize)]
struct Table {
    cfn_lint: String,
    types: BTreeMap<String, TypeInfo>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Compiled in and checked by tests: a parse failure is a build defect, not input.
        serde_json::from_str(include_str!("resource_types.json")).unwrap_or_else(|err| {
            panic!("src/diff/resource_types.json is not the table hubctl expects: {err}")
        })
    })
}

/// The entry of `type_name`, or `None` for a type hubctl does not emit.
pub fn lookup(type_name: &str) -> Option<&'static TypeInfo> {
    table().types.get(type_name)
}

/// The cfn-lint version the table was generated from.
pub fn source_version() -> &'static str {
    &table().cfn_lint
}

/// The values at `pattern` (segments separated by `/`, `*` for every array item) below
/// `properties`, in order; absent values are `Null`, so adding or removing one differs.
pub fn values_at<'v>(properties: Option<&'v Value>, pattern: &str) -> Vec<Option<&'v Value>> {
    let mut current = vec![properties];
    for segment in pattern.split('/') {
        let mut next = Vec::new();
        for value in current {
            match (segment, value) {
                // An intrinsic (`Fn::If`, `Ref`) stands for what is below it: compared whole.
                (_, Some(v)) if super::tree::is_intrinsic(v) => next.push(Some(v)),
                ("*", Some(Value::Array(items))) => next.extend(items.iter().map(Some)),
                ("*", _) => {}
                (key, Some(Value::Object(map))) => next.push(map.get(key)),
                (_, _) => next.push(None),
            }
        }
        current = next;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_at_walks_keys_and_array_items() {
        let properties = json!({"A": {"B": [{"C": 1}, {"C": 2}, {}]}, "D": "x"});
        let found: Vec<Option<&Value>> = values_at(Some(&properties), "A/B/*/C");
        assert_eq!(found, [Some(&json!(1)), Some(&json!(2)), None]);
        assert_eq!(values_at(Some(&properties), "D"), [Some(&json!("x"))]);
        assert_eq!(values_at(Some(&properties), "E/F"), [None]);
        assert_eq!(values_at(None, "D"), [None]);
        let hidden = json!({"PosixUser": {"Fn::If": ["C", {"Uid": "1"}, {"Uid": "2"}]}});
        assert_eq!(
            values_at(Some(&hidden), "PosixUser/Uid"),
            [Some(&hidden["PosixUser"])],
            "an intrinsic is compared whole"
        );
    }

    #[test]
    fn the_table_knows_the_network_types() {
        let vpc = lookup("AWS::EC2::VPC").expect("VPC is in the table");
        assert!(vpc.create_only.iter().any(|p| p == "CidrBlock"));
        assert!(
            lookup("AWS::EC2::Subnet").is_some_and(|s| s.create_only.iter().any(|p| p == "VpcId"))
        );
        assert!(lookup("AWS::Nope::Nothing").is_none());
        assert!(!source_version().is_empty());
    }
}
