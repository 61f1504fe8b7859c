//! Typed property structs for every resource type hubctl emits.
//!
//! Field names mirror CloudFormation's property names (PascalCase on the wire) and are
//! checked against AWS's resource schemas by cfn-lint in the test suite; their meaning is
//! AWS's documentation, so fields carry no doc comments of their own. Optional properties
//! are `Option`s or empty `Vec`s and are left out of the JSON when unset.
#![allow(missing_docs)]

use serde::Serialize;

use super::expr::Expr;
use super::iam::PolicyDocument;
use super::template::Properties;

/// A resource tag.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: Expr,
}

impl Tag {
    /// The `Name` tag the console shows.
    pub fn name(value: impl Into<Expr>) -> Vec<Tag> {
        vec![Tag {
            key: "Name".to_string(),
            value: value.into(),
        }]
    }
}

macro_rules! resource {
    ($(#[$meta:meta])* $name:ident = $kind:literal { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize)]
        #[serde(rename_all = "PascalCase")]
        pub struct $name { $($body)* }
        impl Properties for $name {
            const TYPE: &'static str = $kind;
        }
    };
}

resource! {
    /// AWS::KMS::Key
    KmsKey = "AWS::KMS::Key" {
        pub description: String,
        pub enable_key_rotation: bool,
        pub key_policy: Option<PolicyDocument>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

resource! {
    /// AWS::KMS::Alias
    KmsAlias = "AWS::KMS::Alias" {
        pub alias_name: Expr,
        pub target_key_id: Expr,
    }
}

resource! {
    /// AWS::EC2::VPC
    Vpc = "AWS::EC2::VPC" {
        pub cidr_block: String,
        pub enable_dns_hostnames: bool,
        pub enable_dns_support: bool,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

resource! {
    /// AWS::EC2::InternetGateway
    InternetGateway = "AWS::EC2::InternetGateway" {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

resource! {
    /// AWS::EC2::VPCGatewayAttachment
    VpcGatewayAttachment = "AWS::EC2::VPCGatewayAttachment" {
        pub internet_gateway_id: Option<Expr>,
        pub vpc_id: Option<Expr>,
    }
}

resource! {
    /// AWS::EC2::Subnet
    Subnet = "AWS::EC2::Subnet" {
        pub availability_zone: Option<Expr>,
        pub cidr_block: String,
        pub map_public_ip_on_launch: bool,
        pub vpc_id: Option<Expr>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

resource! {
    /// AWS::EC2::RouteTable
    RouteTable = "AWS::EC2::RouteTable" {
        pub vpc_id: Option<Expr>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

resource! {
    /// AWS::EC2::Route
    Route = "AWS::EC2::Route" {
        pub route_table_id: Option<Expr>,
        pub destination_cidr_block: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub gateway_id: Option<Expr>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub nat_gateway_id: Option<Expr>,
    }
}

resource! {
    /// AWS::EC2::SubnetRouteTableAssociation
    SubnetRouteTableAssociation = "AWS::EC2::SubnetRouteTableAssociation" {
        pub route_table_id: Option<Expr>,
        pub subnet_id: Option<Expr>,
    }
}

resource! {
    /// AWS::EC2::EIP
    Eip = "AWS::EC2::EIP" {
        pub domain: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

resource! {
    /// AWS::EC2::NatGateway
    NatGateway = "AWS::EC2::NatGateway" {
        pub allocation_id: Option<Expr>,
        pub subnet_id: Option<Expr>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

resource! {
    /// AWS::EC2::FlowLog
    FlowLog = "AWS::EC2::FlowLog" {
        pub deliver_logs_permission_arn: Option<Expr>,
        pub log_destination_type: String,
        pub log_group_name: Option<Expr>,
        pub resource_id: Option<Expr>,
        pub resource_type: String,
        pub traffic_type: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

/// One ingress or egress rule of a security group.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupRule {
    pub description: String,
    pub ip_protocol: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_ip: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_security_group_id: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_security_group_id: Option<Expr>,
}

resource! {
    /// AWS::EC2::SecurityGroup
    SecurityGroup = "AWS::EC2::SecurityGroup" {
        pub group_description: String,
        pub vpc_id: Option<Expr>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub security_group_ingress: Vec<SecurityGroupRule>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub security_group_egress: Vec<SecurityGroupRule>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

resource! {
    /// AWS::Logs::LogGroup
    LogGroup = "AWS::Logs::LogGroup" {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub kms_key_id: Option<Expr>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub log_group_name: Option<Expr>,
        pub retention_in_days: u32,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

resource! {
    /// AWS::Logs::ResourcePolicy; the policy is a JSON string, as the service wants it.
    LogsResourcePolicy = "AWS::Logs::ResourcePolicy" {
        pub policy_document: Expr,
        pub policy_name: Expr,
    }
}

/// An inline policy of a role.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_document: PolicyDocument,
    pub policy_name: String,
}

resource! {
    /// AWS::IAM::Role
    Role = "AWS::IAM::Role" {
        pub assume_role_policy_document: Option<PolicyDocument>,
        pub description: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub max_session_duration: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub path: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub policies: Vec<InlinePolicy>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub role_name: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

/// EFS `BackupPolicy`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupPolicy {
    pub status: String,
}

/// EFS `LifecyclePolicies` entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecyclePolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transition_to_i_a: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transition_to_primary_storage_class: Option<String>,
}

/// EFS `FileSystemTags` entry (EFS has its own tag shape).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FileSystemTag {
    pub key: String,
    pub value: Expr,
}

resource! {
    /// AWS::EFS::FileSystem
    FileSystem = "AWS::EFS::FileSystem" {
        pub backup_policy: Option<BackupPolicy>,
        pub encrypted: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub file_system_policy: Option<PolicyDocument>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub file_system_tags: Vec<FileSystemTag>,
        pub kms_key_id: Option<Expr>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub lifecycle_policies: Vec<LifecyclePolicy>,
        pub performance_mode: String,
        pub throughput_mode: String,
    }
}

resource! {
    /// AWS::EFS::MountTarget
    MountTarget = "AWS::EFS::MountTarget" {
        pub file_system_id: Option<Expr>,
        pub security_groups: Vec<Expr>,
        pub subnet_id: Option<Expr>,
    }
}

/// Route53 `HostedZoneConfig`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostedZoneConfig {
    pub comment: String,
}

/// Route53 `QueryLoggingConfig`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryLoggingConfig {
    pub cloud_watch_logs_log_group_arn: Expr,
}

/// Route53 `HostedZoneTags` entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostedZoneTag {
    pub key: String,
    pub value: String,
}

resource! {
    /// AWS::Route53::HostedZone
    HostedZone = "AWS::Route53::HostedZone" {
        pub hosted_zone_config: Option<HostedZoneConfig>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub hosted_zone_tags: Vec<HostedZoneTag>,
        pub name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub query_logging_config: Option<QueryLoggingConfig>,
    }
}
