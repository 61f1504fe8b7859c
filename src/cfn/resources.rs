//! Typed property structs for every resource type hubctl emits.
//!
//! Field names mirror CloudFormation's property names (PascalCase on the wire) and are
//! checked against AWS's resource schemas by cfn-lint in the test suite; their meaning is
//! AWS's documentation, so fields carry no doc comments of their own. Optional properties
//! are `Option`s or empty `Vec`s and are left out of the JSON when unset.
#![allow(missing_docs)]

use serde::Serialize;

use super::expr::Expr;
use super::iam::{PolicyDocument, Principal, Statement};
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
pub(crate) use resource;

resource! {
    /// AWS::KMS::Key
    KmsKey = "AWS::KMS::Key" {
        pub description: String,
        pub enable_key_rotation: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
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
        #[serde(skip_serializing_if = "Option::is_none")]
        pub internet_gateway_id: Option<Expr>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub vpc_id: Option<Expr>,
    }
}

resource! {
    /// AWS::EC2::Subnet
    Subnet = "AWS::EC2::Subnet" {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub availability_zone: Option<Expr>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub availability_zone_id: Option<String>,
        pub cidr_block: String,
        pub map_public_ip_on_launch: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub vpc_id: Option<Expr>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

resource! {
    /// AWS::EC2::RouteTable
    RouteTable = "AWS::EC2::RouteTable" {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub vpc_id: Option<Expr>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

resource! {
    /// AWS::EC2::Route
    Route = "AWS::EC2::Route" {
        #[serde(skip_serializing_if = "Option::is_none")]
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
        #[serde(skip_serializing_if = "Option::is_none")]
        pub route_table_id: Option<Expr>,
        #[serde(skip_serializing_if = "Option::is_none")]
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
        #[serde(skip_serializing_if = "Option::is_none")]
        pub allocation_id: Option<Expr>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub subnet_id: Option<Expr>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

resource! {
    /// AWS::EC2::FlowLog
    FlowLog = "AWS::EC2::FlowLog" {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub deliver_logs_permission_arn: Option<Expr>,
        pub log_destination_type: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub log_group_name: Option<Expr>,
        #[serde(skip_serializing_if = "Option::is_none")]
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
    /// AWS::EC2::VPCEndpoint
    VpcEndpoint = "AWS::EC2::VPCEndpoint" {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub private_dns_enabled: Option<bool>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub route_table_ids: Vec<Expr>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub security_group_ids: Vec<Expr>,
        pub service_name: Expr,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub subnet_ids: Vec<Expr>,
        pub vpc_endpoint_type: String,
        pub vpc_id: Expr,
    }
}

resource! {
    /// AWS::EC2::SecurityGroup
    SecurityGroup = "AWS::EC2::SecurityGroup" {
        pub group_description: String,
        #[serde(skip_serializing_if = "Option::is_none")]
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
        #[serde(skip_serializing_if = "Option::is_none")]
        pub assume_role_policy_document: Option<PolicyDocument>,
        pub description: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub managed_policy_arns: Vec<Expr>,
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
        #[serde(skip_serializing_if = "Option::is_none")]
        pub backup_policy: Option<BackupPolicy>,
        pub encrypted: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub file_system_policy: Option<PolicyDocument>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub file_system_tags: Vec<FileSystemTag>,
        #[serde(skip_serializing_if = "Option::is_none")]
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
        #[serde(skip_serializing_if = "Option::is_none")]
        pub file_system_id: Option<Expr>,
        pub security_groups: Vec<Expr>,
        #[serde(skip_serializing_if = "Option::is_none")]
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
        #[serde(skip_serializing_if = "Option::is_none")]
        pub hosted_zone_config: Option<HostedZoneConfig>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub hosted_zone_tags: Vec<HostedZoneTag>,
        pub name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub query_logging_config: Option<QueryLoggingConfig>,
    }
}

resource! {
    /// AWS::EC2::SecurityGroupIngress (a rule between groups, kept apart to avoid cycles)
    SecurityGroupIngress = "AWS::EC2::SecurityGroupIngress" {
        pub description: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub group_id: Option<Expr>,
        pub ip_protocol: String,
        pub from_port: u16,
        pub to_port: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub source_security_group_id: Option<Expr>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub cidr_ip: Option<Expr>,
    }
}

resource! {
    /// AWS::EC2::SecurityGroupEgress
    SecurityGroupEgress = "AWS::EC2::SecurityGroupEgress" {
        pub description: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub group_id: Option<Expr>,
        pub ip_protocol: String,
        pub from_port: u16,
        pub to_port: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub destination_security_group_id: Option<Expr>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub cidr_ip: Option<Expr>,
    }
}

/// ACM `DomainValidationOptions` entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DomainValidationOption {
    pub domain_name: String,
    pub hosted_zone_id: Expr,
}

resource! {
    /// AWS::CertificateManager::Certificate
    Certificate = "AWS::CertificateManager::Certificate" {
        pub domain_name: String,
        pub domain_validation_options: Vec<DomainValidationOption>,
        pub validation_method: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

/// S3 bucket encryption.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketEncryption {
    pub server_side_encryption_configuration: Vec<ServerSideEncryptionRule>,
}

/// One S3 encryption rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerSideEncryptionRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_key_enabled: Option<bool>,
    pub server_side_encryption_by_default: ServerSideEncryptionByDefault,
}

/// S3 default encryption.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServerSideEncryptionByDefault {
    #[serde(rename = "KMSMasterKeyID", skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<Expr>,
    #[serde(rename = "SSEAlgorithm")]
    pub sse_algorithm: String,
}

/// S3 public access block.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlockConfiguration {
    pub block_public_acls: bool,
    pub block_public_policy: bool,
    pub ignore_public_acls: bool,
    pub restrict_public_buckets: bool,
}

/// S3 versioning.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersioningConfiguration {
    pub status: String,
}

/// S3 lifecycle.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleConfiguration {
    pub rules: Vec<LifecycleRule>,
}

/// One S3 lifecycle rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleRule {
    pub id: String,
    pub status: String,
    pub expiration_in_days: u32,
    pub noncurrent_version_expiration: NoncurrentVersionExpiration,
}

/// Expiry of old object versions.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NoncurrentVersionExpiration {
    pub noncurrent_days: u32,
}

/// S3 object ownership.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipControls {
    pub rules: Vec<OwnershipControlsRule>,
}

/// One object ownership rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipControlsRule {
    pub object_ownership: String,
}

resource! {
    /// AWS::S3::Bucket
    Bucket = "AWS::S3::Bucket" {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub bucket_encryption: Option<BucketEncryption>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub lifecycle_configuration: Option<LifecycleConfiguration>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub ownership_controls: Option<OwnershipControls>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub public_access_block_configuration: Option<PublicAccessBlockConfiguration>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub versioning_configuration: Option<VersioningConfiguration>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

impl Bucket {
    /// A bucket no one outside the account reaches: public access blocked, ACLs disabled
    /// (owner enforced), default encryption by `encryption`, objects expiring by `expiry`.
    pub fn private(
        encryption: ServerSideEncryptionRule,
        expiry: LifecycleRule,
        versioned: bool,
    ) -> Bucket {
        Bucket {
            bucket_encryption: Some(BucketEncryption {
                server_side_encryption_configuration: vec![encryption],
            }),
            lifecycle_configuration: Some(LifecycleConfiguration {
                rules: vec![expiry],
            }),
            ownership_controls: Some(OwnershipControls {
                rules: vec![OwnershipControlsRule {
                    object_ownership: "BucketOwnerEnforced".to_string(),
                }],
            }),
            public_access_block_configuration: Some(PublicAccessBlockConfiguration {
                block_public_acls: true,
                block_public_policy: true,
                ignore_public_acls: true,
                restrict_public_buckets: true,
            }),
            versioning_configuration: versioned.then(|| VersioningConfiguration {
                status: "Enabled".to_string(),
            }),
            tags: Vec::new(),
        }
    }
}

impl BucketPolicy {
    /// The statement denying every request to bucket `logical_id` made without TLS.
    pub fn deny_insecure_transport(logical_id: &str) -> Statement {
        Statement::deny(
            "DenyUnencryptedTransport",
            &["s3:*"],
            vec![
                Expr::get_att(logical_id, "Arn"),
                Expr::sub(format!("${{{logical_id}.Arn}}/*")),
            ],
        )
        .principal(Principal::aws(vec!["*".into()]))
        .when("Bool", "aws:SecureTransport", "false".into())
    }
}

resource! {
    /// AWS::S3::BucketPolicy
    BucketPolicy = "AWS::S3::BucketPolicy" {
        pub bucket: Expr,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub policy_document: Option<PolicyDocument>,
    }
}

/// A load balancer or target group attribute.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attribute {
    pub key: String,
    pub value: Expr,
}

impl Attribute {
    /// `key = value`.
    pub fn new(key: &str, value: impl Into<Expr>) -> Attribute {
        Attribute {
            key: key.to_string(),
            value: value.into(),
        }
    }
}

resource! {
    /// AWS::ElasticLoadBalancingV2::LoadBalancer
    LoadBalancer = "AWS::ElasticLoadBalancingV2::LoadBalancer" {
        pub load_balancer_attributes: Vec<Attribute>,
        pub scheme: String,
        pub security_groups: Vec<Expr>,
        pub subnets: Expr,
        #[serde(rename = "Type")]
        pub kind: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

/// A listener's certificate.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListenerCertificate {
    pub certificate_arn: Expr,
}

/// A listener action: forward or redirect.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Action {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_config: Option<RedirectConfig>,
}

/// Redirect settings.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RedirectConfig {
    pub protocol: String,
    pub port: String,
    pub status_code: String,
}

resource! {
    /// AWS::ElasticLoadBalancingV2::Listener
    Listener = "AWS::ElasticLoadBalancingV2::Listener" {
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub certificates: Vec<ListenerCertificate>,
        pub default_actions: Vec<Action>,
        pub load_balancer_arn: Expr,
        pub port: u16,
        pub protocol: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub ssl_policy: Option<String>,
    }
}

/// Health check success codes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Matcher {
    pub http_code: String,
}

resource! {
    /// AWS::ElasticLoadBalancingV2::TargetGroup
    TargetGroup = "AWS::ElasticLoadBalancingV2::TargetGroup" {
        pub health_check_path: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub matcher: Option<Matcher>,
        pub port: u16,
        pub protocol: String,
        pub target_group_attributes: Vec<Attribute>,
        pub target_type: String,
        pub vpc_id: Expr,
    }
}

/// Route 53 alias target.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasTarget {
    #[serde(rename = "DNSName")]
    pub dns_name: Expr,
    pub evaluate_target_health: bool,
    pub hosted_zone_id: Expr,
}

resource! {
    /// AWS::Route53::RecordSet
    RecordSet = "AWS::Route53::RecordSet" {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub alias_target: Option<AliasTarget>,
        pub hosted_zone_id: Expr,
        pub name: String,
        #[serde(rename = "Type")]
        pub kind: String,
    }
}

/// An ECS cluster setting.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterSetting {
    pub name: String,
    pub value: String,
}

resource! {
    /// AWS::ECS::Cluster
    Cluster = "AWS::ECS::Cluster" {
        pub cluster_settings: Vec<ClusterSetting>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}

/// Secrets Manager password generation.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateSecretString {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_characters: Option<String>,
    pub exclude_punctuation: bool,
    pub exclude_uppercase: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate_string_key: Option<String>,
    pub include_space: bool,
    pub password_length: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_string_template: Option<String>,
}

resource! {
    /// AWS::SecretsManager::Secret
    Secret = "AWS::SecretsManager::Secret" {
        pub description: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub generate_secret_string: Option<GenerateSecretString>,
        pub kms_key_id: Expr,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub secret_string: Option<Expr>,
    }
}

resource! {
    /// AWS::RDS::DBSubnetGroup
    DbSubnetGroup = "AWS::RDS::DBSubnetGroup" {
        #[serde(rename = "DBSubnetGroupDescription")]
        pub description: String,
        pub subnet_ids: Expr,
    }
}

resource! {
    /// AWS::RDS::DBInstance
    DbInstance = "AWS::RDS::DBInstance" {
        pub allocated_storage: String,
        pub auto_minor_version_upgrade: bool,
        pub backup_retention_period: u32,
        pub copy_tags_to_snapshot: bool,
        #[serde(rename = "DBInstanceClass")]
        pub db_instance_class: String,
        #[serde(rename = "DBName")]
        pub db_name: String,
        #[serde(rename = "DBSubnetGroupName")]
        pub db_subnet_group_name: Expr,
        pub deletion_protection: bool,
        pub enable_cloudwatch_logs_exports: Vec<String>,
        #[serde(rename = "EnableIAMDatabaseAuthentication")]
        pub enable_iam_database_authentication: bool,
        pub enable_performance_insights: bool,
        pub engine: String,
        pub engine_version: String,
        pub kms_key_id: Expr,
        pub master_user_password: Expr,
        pub master_username: String,
        pub max_allocated_storage: u32,
        #[serde(rename = "MultiAZ")]
        pub multi_az: bool,
        pub monitoring_interval: u32,
        pub monitoring_role_arn: Expr,
        #[serde(rename = "PerformanceInsightsKMSKeyId")]
        pub performance_insights_kms_key_id: Expr,
        pub publicly_accessible: bool,
        pub storage_encrypted: bool,
        pub storage_type: String,
        #[serde(rename = "VPCSecurityGroups")]
        pub vpc_security_groups: Vec<Expr>,
    }
}

/// Cloud Map DNS settings.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DnsConfig {
    pub dns_records: Vec<DnsRecord>,
    pub namespace_id: Expr,
    pub routing_policy: String,
}

/// One Cloud Map record kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DnsRecord {
    #[serde(rename = "TTL")]
    pub ttl: u32,
    #[serde(rename = "Type")]
    pub kind: String,
}

/// Cloud Map custom health check (ECS reports task health).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthCheckCustomConfig {
    pub failure_threshold: u32,
}

resource! {
    /// AWS::ServiceDiscovery::PrivateDnsNamespace
    PrivateDnsNamespace = "AWS::ServiceDiscovery::PrivateDnsNamespace" {
        pub description: String,
        pub name: String,
        pub vpc: Expr,
    }
}

resource! {
    /// AWS::ServiceDiscovery::Service
    DiscoveryService = "AWS::ServiceDiscovery::Service" {
        pub description: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub dns_config: Option<DnsConfig>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub health_check_custom_config: Option<HealthCheckCustomConfig>,
        pub name: String,
    }
}

/// EFS access point POSIX identity.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PosixUser {
    pub gid: String,
    pub uid: String,
}

/// EFS access point root directory.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RootDirectory {
    pub creation_info: CreationInfo,
    pub path: String,
}

/// Owner and mode of an access point's root directory when EFS creates it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreationInfo {
    pub owner_gid: String,
    pub owner_uid: String,
    pub permissions: String,
}

/// EFS access point tag.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessPointTag {
    pub key: String,
    pub value: String,
}

resource! {
    /// AWS::EFS::AccessPoint
    AccessPoint = "AWS::EFS::AccessPoint" {
        pub access_point_tags: Vec<AccessPointTag>,
        pub file_system_id: Expr,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub posix_user: Option<PosixUser>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub root_directory: Option<RootDirectory>,
    }
}

/// A name/value pair of a container's environment.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyValuePair {
    pub name: String,
    pub value: Expr,
}

/// A container secret: an environment variable filled from Secrets Manager at start.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerSecret {
    pub name: String,
    pub value_from: Expr,
}

/// A container port.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortMapping {
    pub container_port: u16,
    pub protocol: String,
}

/// A volume mounted into a container.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MountPoint {
    pub container_path: String,
    pub read_only: bool,
    pub source_volume: String,
}

/// Container logging.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogConfiguration {
    pub log_driver: String,
    pub options: std::collections::BTreeMap<String, Expr>,
}

/// Linux settings of a container.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LinuxParameters {
    pub capabilities: KernelCapabilities,
    pub init_process_enabled: bool,
}

/// Dropped kernel capabilities.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KernelCapabilities {
    pub drop: Vec<String>,
}

/// One container of a task definition.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerDefinition {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<KeyValuePair>,
    pub essential: bool,
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linux_parameters: Option<LinuxParameters>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mount_points: Vec<MountPoint>,
    pub name: String,
    pub port_mappings: Vec<PortMapping>,
    pub privileged: bool,
    pub readonly_root_filesystem: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<ContainerSecret>,
    pub user: String,
}

/// EFS authorization of a task volume.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EfsAuthorizationConfig {
    #[serde(rename = "AccessPointId")]
    pub access_point_id: Expr,
    #[serde(rename = "IAM")]
    pub iam: String,
}

/// EFS settings of a task volume.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EfsVolumeConfiguration {
    pub authorization_config: EfsAuthorizationConfig,
    pub filesystem_id: Expr,
    pub transit_encryption: String,
}

/// A task volume.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Volume {
    #[serde(
        rename = "EFSVolumeConfiguration",
        skip_serializing_if = "Option::is_none"
    )]
    pub efs_volume_configuration: Option<EfsVolumeConfiguration>,
    pub name: String,
}

/// CPU architecture and OS of a task.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimePlatform {
    pub cpu_architecture: String,
    pub operating_system_family: String,
}

resource! {
    /// AWS::ECS::TaskDefinition
    TaskDefinition = "AWS::ECS::TaskDefinition" {
        pub container_definitions: Vec<ContainerDefinition>,
        pub cpu: String,
        pub execution_role_arn: Expr,
        pub family: String,
        pub memory: String,
        pub network_mode: String,
        pub requires_compatibilities: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub runtime_platform: Option<RuntimePlatform>,
        pub task_role_arn: Expr,
        pub volumes: Vec<Volume>,
    }
}

/// ECS deployment settings.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeploymentConfiguration {
    pub deployment_circuit_breaker: DeploymentCircuitBreaker,
    pub maximum_percent: u32,
    pub minimum_healthy_percent: u32,
}

/// Roll back a deployment that cannot reach a steady state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeploymentCircuitBreaker {
    pub enable: bool,
    pub rollback: bool,
}

/// awsvpc networking of a service.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkConfiguration {
    pub awsvpc_configuration: AwsVpcConfiguration,
}

/// Subnets and groups of a service's tasks.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AwsVpcConfiguration {
    pub assign_public_ip: String,
    pub security_groups: Vec<Expr>,
    pub subnets: Expr,
}

/// A service's load balancer target.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceLoadBalancer {
    pub container_name: String,
    pub container_port: u16,
    pub target_group_arn: Expr,
}

/// A service's Cloud Map registration.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceRegistry {
    pub registry_arn: Expr,
}

resource! {
    /// AWS::ECS::Service
    Service = "AWS::ECS::Service" {
        pub cluster: Expr,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub deployment_configuration: Option<DeploymentConfiguration>,
        pub desired_count: u32,
        pub enable_execute_command: bool,
        pub health_check_grace_period_seconds: u32,
        pub launch_type: String,
        pub load_balancers: Vec<ServiceLoadBalancer>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub network_configuration: Option<NetworkConfiguration>,
        pub propagate_tags: String,
        pub service_registries: Vec<ServiceRegistry>,
        pub task_definition: Expr,
    }
}

/// Cognito admin-only sign-up, and the invitation an admin-created user gets.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminCreateUserConfig {
    pub allow_admin_create_user_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_message_template: Option<InviteMessageTemplate>,
}

/// The e-mail Cognito sends a user an admin created (`{username}` and `{####}`, the
/// temporary password, are both required in the message).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InviteMessageTemplate {
    pub email_message: String,
    pub email_subject: String,
}

/// Who sends a user pool's e-mail (`COGNITO_DEFAULT`: Cognito itself, a daily quota).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EmailConfiguration {
    pub email_sending_account: String,
}

/// How a user pool's users recover a forgotten password.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountRecoverySetting {
    pub recovery_mechanisms: Vec<RecoveryOption>,
}

/// One way to recover an account, by priority (1 first).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecoveryOption {
    pub name: String,
    pub priority: u32,
}

/// Cognito password policy.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolPolicies {
    pub password_policy: PasswordPolicy,
}

/// Cognito password rules.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PasswordPolicy {
    pub minimum_length: u32,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    pub require_uppercase: bool,
    pub temporary_password_validity_days: u32,
}

/// Cognito advanced security.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserPoolAddOns {
    pub advanced_security_mode: String,
}

resource! {
    /// AWS::Cognito::UserPool
    UserPool = "AWS::Cognito::UserPool" {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub account_recovery_setting: Option<AccountRecoverySetting>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub admin_create_user_config: Option<AdminCreateUserConfig>,
        pub auto_verified_attributes: Vec<String>,
        pub deletion_protection: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub email_configuration: Option<EmailConfiguration>,
        pub enabled_mfas: Vec<String>,
        pub mfa_configuration: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub policies: Option<UserPoolPolicies>,
        pub user_pool_name: String,
    }
}

resource! {
    /// AWS::Cognito::UserPoolDomain
    UserPoolDomain = "AWS::Cognito::UserPoolDomain" {
        pub domain: Expr,
        pub user_pool_id: Expr,
    }
}

resource! {
    /// AWS::Cognito::UserPoolClient
    UserPoolClient = "AWS::Cognito::UserPoolClient" {
        pub allowed_o_auth_flows: Vec<String>,
        pub allowed_o_auth_flows_user_pool_client: bool,
        pub allowed_o_auth_scopes: Vec<String>,
        #[serde(rename = "CallbackURLs")]
        pub callback_urls: Vec<String>,
        pub client_name: String,
        pub enable_token_revocation: bool,
        pub generate_secret: bool,
        #[serde(rename = "LogoutURLs")]
        pub logout_urls: Vec<String>,
        pub prevent_user_existence_errors: String,
        pub supported_identity_providers: Vec<String>,
        pub user_pool_id: Expr,
    }
}

resource! {
    /// AWS::SecretsManager::SecretTargetAttachment (adds the database's address to its secret)
    SecretTargetAttachment = "AWS::SecretsManager::SecretTargetAttachment" {
        pub secret_id: Expr,
        pub target_id: Expr,
        pub target_type: String,
    }
}

/// An ECR repository's scan setting.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageScanningConfiguration {
    pub scan_on_push: bool,
}

/// An ECR repository's encryption at rest (create-only).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RepositoryEncryption {
    pub encryption_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key: Option<Expr>,
}

/// An ECR lifecycle policy: its rules as a JSON string.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RepositoryLifecyclePolicy {
    pub lifecycle_policy_text: String,
}

resource! {
    /// AWS::ECR::Repository
    Repository = "AWS::ECR::Repository" {
        pub empty_on_delete: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub encryption_configuration: Option<RepositoryEncryption>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub image_scanning_configuration: Option<ImageScanningConfiguration>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub image_tag_mutability: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub lifecycle_policy: Option<RepositoryLifecyclePolicy>,
        pub repository_name: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
    }
}
