//! What an update keeps from the deployed template where the synthesized one says the same
//! thing in another way that CloudFormation would act on.
//!
//! Two such changes exist, both from hubctl's own history, and both would fail on AWS:
//! - a subnet deployed with `AvailabilityZone` (`Fn::Select` of `Fn::GetAZs`, before zones
//!   were fixed at synth) that synth now writes with `AvailabilityZoneId`: the zone is
//!   create-only, so CloudFormation would replace the subnet, and the replacement, with the
//!   same CIDR block, fails with `InvalidSubnet.Conflict`;
//! - a database deployed with a minor version (`17.6`) that synth now pins to its major
//!   (`17`): CloudFormation would call ModifyDBInstance with `17`, which RDS resolves to
//!   its default minor, a downgrade it refuses once the instance was upgraded.
//!
//! The deployed value stays as long as it means the same (the same resource, a major of
//! the same number); the next replacement of such a resource takes the synthesized form.

use anyhow::{Context, Result};
use serde_json::{Map, Value};

/// One value kept from the deployed template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    /// The resource's logical id.
    pub logical_id: String,
    /// What was kept, and why, for the progress output.
    pub what: String,
}

/// `wanted` (compact JSON) with the values of `live` (GetTemplate's body) it keeps, and
/// what they are. `wanted` comes back unchanged when nothing is kept.
pub fn keep_deployed(live: &str, wanted: &str) -> Result<(String, Vec<Kept>)> {
    let Ok(live) = serde_json::from_str::<Value>(live) else {
        // Not JSON (a YAML template someone deployed by hand): nothing to keep from it.
        return Ok((wanted.to_string(), Vec::new()));
    };
    let mut template: Value =
        serde_json::from_str(wanted).context("synthesized template is not JSON")?;
    let mut kept = Vec::new();
    let live_resources = live.get("Resources").and_then(Value::as_object);
    let wanted_resources = template.get_mut("Resources").and_then(Value::as_object_mut);
    if let (Some(live_resources), Some(wanted_resources)) = (live_resources, wanted_resources) {
        for (id, resource) in wanted_resources.iter_mut() {
            let Some(deployed) = live_resources.get(id) else {
                continue;
            };
            if deployed.get("Type") != resource.get("Type") {
                continue;
            }
            let (Some(old), Some(new)) = (
                deployed.get("Properties").and_then(Value::as_object),
                resource
                    .get_mut("Properties")
                    .and_then(Value::as_object_mut),
            ) else {
                continue;
            };
            let what = match resource_type(deployed) {
                "AWS::EC2::Subnet" => keep_subnet_zone(old, new),
                "AWS::RDS::DBInstance" => keep_engine_minor(old, new),
                _ => None,
            };
            if let Some(what) = what {
                kept.push(Kept {
                    logical_id: id.clone(),
                    what,
                });
            }
        }
    }
    if kept.is_empty() {
        return Ok((wanted.to_string(), kept));
    }
    Ok((template.to_string(), kept))
}

fn resource_type(resource: &Value) -> &str {
    resource.get("Type").and_then(Value::as_str).unwrap_or("")
}

/// A deployed `AvailabilityZone` replaces a synthesized `AvailabilityZoneId`.
fn keep_subnet_zone(old: &Map<String, Value>, new: &mut Map<String, Value>) -> Option<String> {
    let zone = old.get("AvailabilityZone")?;
    if old.contains_key("AvailabilityZoneId") || !new.contains_key("AvailabilityZoneId") {
        return None;
    }
    let id = new.remove("AvailabilityZoneId")?;
    new.insert("AvailabilityZone".to_string(), zone.clone());
    Some(format!(
        "keeps its deployed AvailabilityZone {zone} instead of AvailabilityZoneId {id} (a subnet's zone is create-only: a replacement with the same CIDR block would fail)"
    ))
}

/// A deployed `major.minor` replaces a synthesized `major` of the same number.
fn keep_engine_minor(old: &Map<String, Value>, new: &mut Map<String, Value>) -> Option<String> {
    let deployed = old.get("EngineVersion")?.as_str()?;
    let wanted = new.get("EngineVersion")?.as_str()?;
    let (major, _) = deployed.split_once('.')?;
    if wanted.contains('.') || major != wanted {
        return None;
    }
    let message = format!(
        "keeps its deployed EngineVersion {deployed} for major version {wanted} (RDS applies minor upgrades; changing it would ask RDS for its default minor)"
    );
    new.insert(
        "EngineVersion".to_string(),
        Value::String(deployed.to_string()),
    );
    Some(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn subnet(properties: Value) -> Value {
        json!({"Resources": {"PrivateSubnet1": {"Type": "AWS::EC2::Subnet", "Properties": properties}}})
    }

    #[test]
    fn a_deployed_subnet_keeps_its_zone_and_a_new_one_takes_the_id() {
        let live = subnet(
            json!({"AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}, "CidrBlock": "10.0.0.0/20"}),
        );
        let mut wanted =
            subnet(json!({"AvailabilityZoneId": "euw1-az1", "CidrBlock": "10.0.0.0/20"}));
        wanted["Resources"]["PrivateSubnet2"] = json!({"Type": "AWS::EC2::Subnet", "Properties": {"AvailabilityZoneId": "euw1-az2", "CidrBlock": "10.0.16.0/20"}});
        let (body, kept) = keep_deployed(&live.to_string(), &wanted.to_string()).unwrap();
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body["Resources"]["PrivateSubnet1"]["Properties"],
            json!({"AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}, "CidrBlock": "10.0.0.0/20"})
        );
        assert_eq!(
            body["Resources"]["PrivateSubnet2"]["Properties"]["AvailabilityZoneId"],
            "euw1-az2"
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].logical_id, "PrivateSubnet1");
        assert!(kept[0].what.contains("create-only"), "{}", kept[0].what);
    }

    #[test]
    fn a_subnet_deployed_with_an_id_or_of_another_type_is_left_alone() {
        let wanted = subnet(json!({"AvailabilityZoneId": "euw1-az1"})).to_string();
        for live in [
            subnet(json!({"AvailabilityZoneId": "euw1-az2"})),
            json!({"Resources": {"PrivateSubnet1": {"Type": "AWS::EC2::Vpc", "Properties": {"AvailabilityZone": "x"}}}}),
        ] {
            let (body, kept) = keep_deployed(&live.to_string(), &wanted).unwrap();
            assert_eq!((body.as_str(), kept.len()), (wanted.as_str(), 0));
        }
    }

    fn database(version: &str) -> String {
        json!({"Resources": {"Database": {"Type": "AWS::RDS::DBInstance", "Properties": {"EngineVersion": version}}}}).to_string()
    }

    #[test]
    fn a_deployed_minor_stays_while_the_major_is_the_same() {
        let (body, kept) = keep_deployed(&database("17.6"), &database("17")).unwrap();
        assert_eq!(body, database("17.6"));
        assert_eq!(kept.len(), 1);
        // A major upgrade goes through, and so does a template already on the major.
        for (live, wanted) in [("16.4", "17"), ("17", "17"), ("17.6", "18")] {
            let (body, kept) = keep_deployed(&database(live), &database(wanted)).unwrap();
            assert_eq!(
                (body, kept.len()),
                (database(wanted), 0),
                "{live} → {wanted}"
            );
        }
    }

    #[test]
    fn a_live_template_that_is_not_json_keeps_nothing() {
        let (body, kept) = keep_deployed("Resources: {}", &database("17")).unwrap();
        assert_eq!((body, kept.len()), (database("17"), 0));
    }
}
