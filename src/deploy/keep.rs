//! What an update keeps from the deployed template where the synthesized one says the same
//! thing in another way that CloudFormation would act on.
//!
//! Two such changes exist, both from hubctl's own history, and both would fail on AWS:
//! - a subnet's zone, written since as `AvailabilityZoneId` (before: `Fn::Select` of
//!   `Fn::GetAZs`), or named differently in the config: the zone is create-only, so
//!   CloudFormation would replace the subnet, and the replacement, with the same CIDR block,
//!   fails with `InvalidSubnet.Conflict`. A deployed subnet keeps its zone; in a frame placed
//!   by `Fn::GetAZs`, a new subnet is refused with the way out (see `keep_subnet_zones`);
//! - a database deployed with a minor version (`17.6`) that synth now pins to its major
//!   (`17`): CloudFormation would call ModifyDBInstance with `17`, which RDS resolves to
//!   its default minor, a downgrade it refuses once the instance was upgraded.
//!
//! The deployed value stays as long as it means the same (the same resource, a major of
//! the same number); the next replacement of such a resource takes the synthesized form.

use anyhow::{bail, Context, Result};
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
        kept.extend(keep_subnet_zones(live_resources, wanted_resources)?);
        for (id, resource) in wanted_resources.iter_mut() {
            let Some(deployed) = live_resources.get(id) else {
                continue;
            };
            if deployed.get("Type") != resource.get("Type")
                || resource_type(deployed) != "AWS::RDS::DBInstance"
            {
                continue;
            }
            let (Some(old), Some(new)) = (
                deployed.get("Properties").and_then(Value::as_object),
                properties_mut(resource),
            ) else {
                continue;
            };
            if let Some(what) = keep_engine_minor(old, new) {
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

const SUBNET: &str = "AWS::EC2::Subnet";
const ZONE_KEYS: [&str; 2] = ["AvailabilityZone", "AvailabilityZoneId"];

fn zone_of(properties: &Map<String, Value>) -> Vec<(&'static str, Value)> {
    ZONE_KEYS
        .iter()
        .filter_map(|key| properties.get(*key).map(|value| (*key, value.clone())))
        .collect()
}

fn properties_mut(resource: &mut Value) -> Option<&mut Map<String, Value>> {
    resource
        .get_mut("Properties")
        .and_then(Value::as_object_mut)
}

/// A subnet's zone is create-only, and a replacement with the same CIDR block fails
/// (`InvalidSubnet.Conflict`): a deployed subnet keeps its deployed zone, however synth now
/// writes it. In a frame whose subnets were placed by `Fn::GetAZs` order (before zones were
/// fixed at synth), a new subnet is refused: ids from the table could name a zone a kept
/// subnet already is in (names map to different zone ids in each account), an index into
/// `Fn::GetAZs` resolves against today's list, which may have moved, and two subnets of one
/// tier in one zone break the mount targets, the load balancer and the endpoints. Named
/// zones are the way out, and the error says how to find the deployed ones.
fn keep_subnet_zones(
    live: &Map<String, Value>,
    wanted: &mut Map<String, Value>,
) -> Result<Vec<Kept>> {
    let by_get_azs = live.values().any(|resource| {
        resource_type(resource) == SUBNET
            && resource
                .pointer("/Properties/AvailabilityZone/Fn::Select/1/Fn::GetAZs")
                .is_some()
    });
    let mut kept = Vec::new();
    let mut refused = Vec::new();
    let subnets: Vec<String> = wanted
        .iter()
        .filter(|(_, resource)| resource_type(resource) == SUBNET)
        .map(|(id, _)| id.clone())
        .collect();
    for id in subnets {
        let deployed = live
            .get(&id)
            .filter(|resource| resource_type(resource) == SUBNET)
            .and_then(|resource| resource.get("Properties"))
            .and_then(Value::as_object);
        let Some(new) = wanted.get_mut(&id).and_then(properties_mut) else {
            continue;
        };
        match deployed {
            Some(old) => {
                let (was, is) = (zone_of(old), zone_of(new));
                if was.is_empty() || was == is {
                    continue;
                }
                for key in ZONE_KEYS {
                    new.remove(key);
                }
                for (key, value) in &was {
                    new.insert(key.to_string(), value.clone());
                }
                kept.push(Kept {
                    logical_id: id,
                    what: format!(
                        "keeps its deployed zone {} instead of {} (a subnet's zone is create-only: a replacement with the same CIDR block would fail)",
                        show(&was),
                        show(&is)
                    ),
                });
            }
            None if by_get_azs => {
                refused.push(id);
            }
            None => {}
        }
    }
    if !refused.is_empty() {
        bail!(
            "{} would be new in a frame whose subnets were placed by Fn::GetAZs order (before hubctl fixed zones at synth): where those subnets are is not in the template, and a zone id from hubctl's table may be one they already use (zone names map to different ids in each account; two subnets of a tier in one zone break the mount targets and the load balancer). Name the zones instead: find the deployed ones with `aws ec2 describe-subnets --filters Name=vpc-id,Values=<the frame's VpcId> --query 'Subnets[].[Tags[?Key==`Name`]|[0].Value,AvailabilityZone]'`, then set `network.availability_zones` to those names in subnet order plus the new zone's",
            refused.join(", ")
        );
    }
    Ok(kept)
}

fn show(zone: &[(&str, Value)]) -> String {
    zone.iter()
        .map(|(key, value)| format!("{key} {value}"))
        .collect::<Vec<_>>()
        .join(", ")
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
    fn a_deployed_subnet_keeps_its_zone_and_a_new_one_beside_get_azs_is_refused() {
        let live = subnet(
            json!({"AvailabilityZone": {"Fn::Select": ["0", {"Fn::GetAZs": ""}]}, "CidrBlock": "10.0.0.0/20"}),
        );
        let wanted = subnet(json!({"AvailabilityZoneId": "euw1-az1", "CidrBlock": "10.0.0.0/20"}));
        let (body, kept) = keep_deployed(&live.to_string(), &wanted.to_string()).unwrap();
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body["Resources"]["PrivateSubnet1"]["Properties"],
            json!({"AvailabilityZone": {"Fn::Select": ["0", {"Fn::GetAZs": ""}]}, "CidrBlock": "10.0.0.0/20"})
        );
        assert_eq!(kept.len(), 1);
        assert!(kept[0].what.contains("create-only"), "{}", kept[0].what);
        // A zone added: euw1-az2 may be the zone "GetAZs index 0" already is in this account.
        let mut grown = wanted.clone();
        grown["Resources"]["PrivateSubnet2"] = json!({"Type": "AWS::EC2::Subnet", "Properties": {"AvailabilityZoneId": "euw1-az2", "CidrBlock": "10.0.16.0/20"}});
        let err = keep_deployed(&live.to_string(), &grown.to_string()).unwrap_err();
        let message = format!("{err}");
        assert!(
            message.starts_with(
                "PrivateSubnet2 would be new in a frame whose subnets were placed by Fn::GetAZs"
            ) && message.contains("network.availability_zones")
                && message.contains("aws ec2 describe-subnets"),
            "{message}"
        );
    }

    #[test]
    fn in_a_frame_placed_by_id_a_new_subnet_keeps_its_id() {
        let live = subnet(json!({"AvailabilityZoneId": "euw1-az1"}));
        let mut wanted = live.clone();
        wanted["Resources"]["PrivateSubnet2"] =
            json!({"Type": "AWS::EC2::Subnet", "Properties": {"AvailabilityZoneId": "euw1-az2"}});
        let (body, kept) = keep_deployed(&live.to_string(), &wanted.to_string()).unwrap();
        assert_eq!((body, kept.len()), (wanted.to_string(), 0));
    }

    #[test]
    fn a_zone_never_moves_under_a_deployed_subnet() {
        // Named zones, then a count; or one named zone for another: the deployed one stays.
        for (deployed, synthesized) in [
            (
                json!({"AvailabilityZone": "eu-west-1a"}),
                json!({"AvailabilityZoneId": "euw1-az1"}),
            ),
            (
                json!({"AvailabilityZone": "eu-west-1a"}),
                json!({"AvailabilityZone": "eu-west-1b"}),
            ),
            (
                json!({"AvailabilityZoneId": "euw1-az2"}),
                json!({"AvailabilityZone": "eu-west-1a"}),
            ),
        ] {
            let (body, kept) = keep_deployed(
                &subnet(deployed.clone()).to_string(),
                &subnet(synthesized).to_string(),
            )
            .unwrap();
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body["Resources"]["PrivateSubnet1"]["Properties"], deployed);
            assert_eq!(kept.len(), 1);
        }
    }

    #[test]
    fn other_resources_are_left_alone() {
        let wanted = subnet(json!({"AvailabilityZoneId": "euw1-az1"})).to_string();
        let live = json!({"Resources": {"PrivateSubnet1": {"Type": "AWS::EC2::VPC", "Properties": {"AvailabilityZone": "x"}}}});
        let (body, kept) = keep_deployed(&live.to_string(), &wanted).unwrap();
        assert_eq!((body.as_str(), kept.len()), (wanted.as_str(), 0));
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
