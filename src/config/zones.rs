//! The availability zones a count of zones resolves to: per region, the zone ids in which
//! ECS Fargate runs (and EFS, RDS and NAT gateways with it), in id order.
//!
//! Ids, not names and not `Fn::GetAZs`: a zone name maps to a different physical zone in
//! each account, and `Fn::GetAZs` order "isn't guaranteed and can change" while a subnet's
//! zone is create-only. An id names the same zone in every account and never moves.
//!
//! The regions and their limits are read from the Amazon ECS Developer Guide, "Supported
//! Regions for Amazon ECS on AWS Fargate" (Linux), checked 2026-12-02: us-west-1 and
//! ap-northeast-1 run Fargate in the zones listed only; us-east-1 leaves out use1-az3,
//! constrained (no new instance types, missing from EFS One Zone's list). Elsewhere Fargate
//! runs in every zone, and the ids are the region's az1 to az3 (az4 in the regions that
//! have four): the ids of the regions without a restriction follow AWS's pattern and were
//! not read off an account (none is reachable here; `aws ec2 describe-availability-zones`
//! shows an account's). A region missing here needs its zones named in
//! `network.availability_zones` (ap-southeast-7 and the China and GovCloud regions so far:
//! their ids were not found in any source here).

/// (region, zone ids where Fargate runs), sorted by region.
const ZONES: &[(&str, &[&str])] = &[
    ("af-south-1", &["afs1-az1", "afs1-az2", "afs1-az3"]),
    ("ap-east-1", &["ape1-az1", "ape1-az2", "ape1-az3"]),
    ("ap-northeast-1", &["apne1-az1", "apne1-az2", "apne1-az4"]),
    (
        "ap-northeast-2",
        &["apne2-az1", "apne2-az2", "apne2-az3", "apne2-az4"],
    ),
    ("ap-northeast-3", &["apne3-az1", "apne3-az2", "apne3-az3"]),
    ("ap-south-1", &["aps1-az1", "aps1-az2", "aps1-az3"]),
    ("ap-south-2", &["aps2-az1", "aps2-az2", "aps2-az3"]),
    ("ap-southeast-1", &["apse1-az1", "apse1-az2", "apse1-az3"]),
    ("ap-southeast-2", &["apse2-az1", "apse2-az2", "apse2-az3"]),
    ("ap-southeast-3", &["apse3-az1", "apse3-az2", "apse3-az3"]),
    ("ap-southeast-4", &["apse4-az1", "apse4-az2", "apse4-az3"]),
    ("ap-southeast-5", &["apse5-az1", "apse5-az2", "apse5-az3"]),
    ("ca-central-1", &["cac1-az1", "cac1-az2", "cac1-az4"]),
    ("ca-west-1", &["caw1-az1", "caw1-az2", "caw1-az3"]),
    ("eu-central-1", &["euc1-az1", "euc1-az2", "euc1-az3"]),
    ("eu-central-2", &["euc2-az1", "euc2-az2", "euc2-az3"]),
    ("eu-north-1", &["eun1-az1", "eun1-az2", "eun1-az3"]),
    ("eu-south-1", &["eus1-az1", "eus1-az2", "eus1-az3"]),
    ("eu-south-2", &["eus2-az1", "eus2-az2", "eus2-az3"]),
    ("eu-west-1", &["euw1-az1", "euw1-az2", "euw1-az3"]),
    ("eu-west-2", &["euw2-az1", "euw2-az2", "euw2-az3"]),
    ("eu-west-3", &["euw3-az1", "euw3-az2", "euw3-az3"]),
    ("il-central-1", &["ilc1-az1", "ilc1-az2", "ilc1-az3"]),
    ("me-central-1", &["mec1-az1", "mec1-az2", "mec1-az3"]),
    ("me-south-1", &["mes1-az1", "mes1-az2", "mes1-az3"]),
    ("mx-central-1", &["mxc1-az1", "mxc1-az2", "mxc1-az3"]),
    ("sa-east-1", &["sae1-az1", "sae1-az2", "sae1-az3"]),
    (
        "us-east-1",
        &["use1-az1", "use1-az2", "use1-az4", "use1-az5", "use1-az6"],
    ),
    ("us-east-2", &["use2-az1", "use2-az2", "use2-az3"]),
    ("us-west-1", &["usw1-az1", "usw1-az3"]),
    (
        "us-west-2",
        &["usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"],
    ),
];

/// The zone ids of `region` where the hub can run, or `None` for a region not in the table.
pub fn zone_ids(region: &str) -> Option<&'static [&'static str]> {
    ZONES
        .binary_search_by(|(name, _)| name.cmp(&region))
        .ok()
        .map(|index| ZONES[index].1)
}

/// The regions the table covers, for error messages.
pub fn regions() -> impl Iterator<Item = &'static str> {
    ZONES.iter().map(|(region, _)| *region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_every_id_belongs_to_its_region() {
        assert!(ZONES.windows(2).all(|pair| pair[0].0 < pair[1].0));
        for (region, ids) in ZONES {
            // euw1 for eu-west-1, apne1 for ap-northeast-1, usw1 for us-west-1, ...
            let mut parts = region.split('-');
            let (area, direction, number) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            let short = match direction {
                "northeast" => "ne",
                "southeast" => "se",
                "central" => "c",
                other => &other[..1],
            };
            let prefix = format!("{area}{short}{number}-az");
            for id in *ids {
                assert!(
                    id.starts_with(&prefix),
                    "{id} in {region}: expected {prefix}N"
                );
            }
            assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{region}");
            assert!(ids.len() >= 2, "{region}: the hub needs two zones");
        }
        assert_eq!(zone_ids("eu-west-1").map(<[_]>::len), Some(3));
        assert_eq!(zone_ids("mars-east-1"), None);
    }
}
