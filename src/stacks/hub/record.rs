//! The hub's name: an alias record for `hub_host` in the subzone, pointing at whatever
//! load balancer the platform puts in front of the hub.

use super::{ids, parameters, reference};
use crate::cfn::resources::{AliasTarget, RecordSet};
use crate::cfn::{Expr, Resource, Template};

/// Adds the alias record `host` → the load balancer `(dns_name, hosted_zone_id)`.
pub(crate) fn add_alias(template: &mut Template, host: &str, dns_name: Expr, hosted_zone_id: Expr) {
    template.add(
        ids::HUB_RECORD,
        Resource::new(RecordSet {
            alias_target: Some(AliasTarget {
                dns_name,
                evaluate_target_health: true,
                hosted_zone_id,
            }),
            hosted_zone_id: reference(parameters::HOSTED_ZONE_ID),
            name: host.to_string(),
            kind: "A".to_string(),
        }),
    );
}
