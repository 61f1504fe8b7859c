//! The hub's certificate: ACM, validated by DNS in the environment's subzone (CloudFormation
//! writes the validation record there). Any platform's load balancer serves it.

use super::{ids, parameters, reference};
use crate::cfn::resources::{Certificate, DomainValidationOption};
use crate::cfn::{Resource, Template};

/// Adds the certificate for `host`.
pub(crate) fn add_certificate(template: &mut Template, host: &str) {
    template.add(
        ids::CERTIFICATE,
        Resource::new(Certificate {
            domain_name: host.to_string(),
            domain_validation_options: vec![DomainValidationOption {
                domain_name: host.to_string(),
                hosted_zone_id: reference(parameters::HOSTED_ZONE_ID),
            }],
            validation_method: "DNS".to_string(),
            tags: Vec::new(),
        }),
    );
}
