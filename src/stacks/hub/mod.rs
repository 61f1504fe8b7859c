//! The hub stack: JupyterHub behind HTTPS, with its database, login and EFS homes.
//!
//! A platform (`ecs` today; EKS to come) is an implementation of
//! [`crate::stacks::platform::HubPlatform`]: it builds its hub stack from the parts here that
//! any platform shares — the certificate, the record, the database, the identity provider,
//! the EFS access points, the parameters the frame and dns stacks fill — plus its own.
//! Logical ids that other resources refer to are named once, in [`ids`].

pub mod ecs;
pub mod eks;
pub mod ids;

mod certificate;
mod database;
mod homes;
mod login;
mod policies;
mod record;

use std::collections::BTreeMap;

use crate::cfn::resources::{SecurityGroup, SecurityGroupRule};
use crate::cfn::{Expr, Parameter, Resource, Template};
use crate::stacks::{dns, frame, OutputRef, StackId};

/// NFS, to the EFS mount targets.
pub(super) const NFS_PORT: u16 = 2049;
/// PostgreSQL, to the hub database.
pub(super) const POSTGRES_PORT: u16 = 5432;

/// Outputs other code reads.
pub mod outputs {
    /// The hub's URL.
    pub const HUB_URL: &str = "HubUrl";
    /// The Cognito user pool the stack creates (`hubctl users` invites into it).
    pub const USER_POOL_ID: &str = "UserPoolId";
}

/// Parameters deploy fills from the frame and dns stacks' outputs.
pub mod parameters {
    /// VPC id.
    pub const VPC_ID: &str = "VpcId";
    /// Public subnets (ALB).
    pub const PUBLIC_SUBNET_IDS: &str = "PublicSubnetIds";
    /// Private subnets (tasks, database).
    pub const PRIVATE_SUBNET_IDS: &str = "PrivateSubnetIds";
    /// EFS file system.
    pub const FILE_SYSTEM_ID: &str = "FileSystemId";
    /// EFS mount targets' security group.
    pub const FILE_SYSTEM_SECURITY_GROUP_ID: &str = "FileSystemSecurityGroupId";
    /// The environment's KMS key.
    pub const KMS_KEY_ARN: &str = "KmsKeyArn";
    /// The subzone's hosted zone.
    pub const HOSTED_ZONE_ID: &str = "HostedZoneId";
}

pub(super) fn reference(name: &str) -> Expr {
    Expr::reference(name)
}

/// A security group whose inline rules are only to CIDRs (or none: the placeholder that
/// removes AWS's default allow-all egress); rules between groups are separate resources, so
/// groups can refer to each other without a dependency cycle.
pub(super) fn security_group(
    description: &str,
    ingress: Vec<SecurityGroupRule>,
    egress: Vec<SecurityGroupRule>,
) -> Resource {
    let egress = if egress.is_empty() {
        vec![SecurityGroupRule {
            description: "No other egress".to_string(),
            ip_protocol: "-1".to_string(),
            cidr_ip: Some("127.0.0.1/32".into()),
            ..SecurityGroupRule::default()
        }]
    } else {
        egress
    };
    Resource::new(SecurityGroup {
        group_description: description.to_string(),
        vpc_id: Some(reference(parameters::VPC_ID)),
        security_group_ingress: ingress,
        security_group_egress: egress,
        tags: Vec::new(),
    })
}

pub(super) fn group_id(logical_id: &str) -> Expr {
    Expr::get_att(logical_id, "GroupId")
}

/// Where the parameters of [`add_parameters`] come from (a platform that leaves some out
/// leaves out their inputs too).
pub(super) fn inputs() -> BTreeMap<String, OutputRef> {
    use parameters as p;
    let from = OutputRef::new;
    [
        (p::VPC_ID, from(StackId::Frame, frame::outputs::VPC_ID)),
        (
            p::PUBLIC_SUBNET_IDS,
            from(StackId::Frame, frame::outputs::PUBLIC_SUBNET_IDS),
        ),
        (
            p::PRIVATE_SUBNET_IDS,
            from(StackId::Frame, frame::outputs::PRIVATE_SUBNET_IDS),
        ),
        (
            p::FILE_SYSTEM_ID,
            from(StackId::Frame, frame::outputs::FILE_SYSTEM_ID),
        ),
        (
            p::FILE_SYSTEM_SECURITY_GROUP_ID,
            from(
                StackId::Frame,
                frame::outputs::FILE_SYSTEM_SECURITY_GROUP_ID,
            ),
        ),
        (
            p::KMS_KEY_ARN,
            from(StackId::Frame, frame::outputs::KMS_KEY_ARN),
        ),
        (p::HOSTED_ZONE_ID, from(StackId::Dns, dns::HOSTED_ZONE_ID)),
    ]
    .into_iter()
    .map(|(parameter, input)| (parameter.to_string(), input))
    .collect()
}

/// The parameters every hub stack takes from the frame and dns stacks.
pub(super) fn add_parameters(template: &mut Template) {
    use parameters::*;
    let upstream = |kind: &str, what: &str| Parameter::new(kind, what);
    template.parameter(
        VPC_ID,
        upstream("AWS::EC2::VPC::Id", "From the frame stack: the VPC"),
    );
    template.parameter(
        PUBLIC_SUBNET_IDS,
        upstream(
            "List<AWS::EC2::Subnet::Id>",
            "From the frame stack: public subnets",
        ),
    );
    template.parameter(
        PRIVATE_SUBNET_IDS,
        upstream(
            "List<AWS::EC2::Subnet::Id>",
            "From the frame stack: private subnets",
        ),
    );
    let mut file_system = upstream("String", "From the frame stack: the EFS file system");
    file_system.allowed_pattern = Some("^fs-[0-9a-f]{8,40}$".to_string());
    template.parameter(FILE_SYSTEM_ID, file_system);
    template.parameter(
        FILE_SYSTEM_SECURITY_GROUP_ID,
        upstream(
            "AWS::EC2::SecurityGroup::Id",
            "From the frame stack: the EFS mount targets' security group",
        ),
    );
    let mut key = upstream(
        "String",
        "From the frame stack: the KMS key for logs, secrets and the database",
    );
    key.allowed_pattern = Some(crate::stacks::KMS_KEY_ARN_PATTERN.to_string());
    template.parameter(KMS_KEY_ARN, key);
    template.parameter(
        HOSTED_ZONE_ID,
        upstream(
            "AWS::Route53::HostedZone::Id",
            "From the dns stack: the subzone",
        ),
    );
}
