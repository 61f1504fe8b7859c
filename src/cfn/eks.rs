//! Typed property structs for the EKS resource types (and the node groups' launch template),
//! as `resources` has them for the rest.
#![allow(missing_docs)]

use serde::Serialize;

use super::expr::Expr;
use super::resources::{resource, Tag};
use super::template::Properties;

/// `ResourcesVpcConfig`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourcesVpcConfig {
    pub endpoint_private_access: bool,
    pub endpoint_public_access: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub public_access_cidrs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_group_ids: Vec<Expr>,
    pub subnet_ids: Expr,
}

/// `AccessConfig`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessConfig {
    pub authentication_mode: String,
    pub bootstrap_cluster_creator_admin_permissions: bool,
}

/// `EncryptionConfig` item.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptionConfig {
    pub provider: KeyProvider,
    pub resources: Vec<String>,
}

/// `Provider`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyProvider {
    pub key_arn: Expr,
}

/// `Logging`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Logging {
    pub cluster_logging: ClusterLogging,
}

/// `ClusterLogging`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterLogging {
    pub enabled_types: Vec<LoggingType>,
}

/// `LoggingTypeConfig`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingType {
    #[serde(rename = "Type")]
    pub kind: String,
}

/// `ComputeConfig` (Auto Mode).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ComputeConfig {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub node_pools: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_role_arn: Option<Expr>,
}

/// `Enabled` flags of `StorageConfig.BlockStorage` and
/// `KubernetesNetworkConfig.ElasticLoadBalancing`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Enabled {
    pub enabled: bool,
}

/// `StorageConfig`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StorageConfig {
    pub block_storage: Enabled,
}

/// `KubernetesNetworkConfig`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KubernetesNetworkConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elastic_load_balancing: Option<Enabled>,
    pub ip_family: String,
}

/// `UpgradePolicy`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpgradePolicy {
    pub support_type: String,
}

resource! {
    /// AWS::EKS::Cluster
    EksCluster = "AWS::EKS::Cluster" {
        pub access_config: Option<AccessConfig>,
        pub bootstrap_self_managed_addons: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub compute_config: Option<ComputeConfig>,
        pub deletion_protection: bool,
        pub encryption_config: Vec<EncryptionConfig>,
        pub kubernetes_network_config: Option<KubernetesNetworkConfig>,
        pub logging: Option<Logging>,
        pub name: String,
        pub resources_vpc_config: ResourcesVpcConfig,
        pub role_arn: Expr,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub storage_config: Option<StorageConfig>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub tags: Vec<Tag>,
        pub upgrade_policy: Option<UpgradePolicy>,
        pub version: String,
    }
}

/// `AccessPolicy` of an access entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessPolicy {
    pub access_scope: AccessScope,
    pub policy_arn: Expr,
}

/// `AccessScope`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessScope {
    #[serde(rename = "Type")]
    pub kind: String,
}

resource! {
    /// AWS::EKS::AccessEntry
    AccessEntry = "AWS::EKS::AccessEntry" {
        pub access_policies: Vec<AccessPolicy>,
        pub cluster_name: Expr,
        pub principal_arn: Expr,
        #[serde(rename = "Type")]
        pub kind: String,
    }
}

/// `ScalingConfig` of a node group.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalingConfig {
    pub desired_size: u32,
    pub max_size: u32,
    pub min_size: u32,
}

/// `Taint` of a node group.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Taint {
    pub effect: String,
    pub key: String,
    pub value: String,
}

/// `LaunchTemplateSpecification` of a node group.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateSpecification {
    pub id: Expr,
    pub version: Expr,
}

/// `UpdateConfig` of a node group.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateConfig {
    pub max_unavailable: u32,
}

resource! {
    /// AWS::EKS::Nodegroup
    Nodegroup = "AWS::EKS::Nodegroup" {
        pub ami_type: String,
        pub cluster_name: Expr,
        pub instance_types: Vec<String>,
        #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        pub labels: std::collections::BTreeMap<String, String>,
        pub launch_template: Option<LaunchTemplateSpecification>,
        pub node_role: Expr,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub nodegroup_name: Option<String>,
        pub scaling_config: Option<ScalingConfig>,
        pub subnets: Expr,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub taints: Vec<Taint>,
        pub update_config: Option<UpdateConfig>,
    }
}

/// `PodIdentityAssociation` item of an add-on.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddonPodIdentity {
    pub role_arn: Expr,
    pub service_account: String,
}

/// `NamespaceConfig` of an add-on.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddonNamespace {
    pub namespace: String,
}

resource! {
    /// AWS::EKS::Addon
    Addon = "AWS::EKS::Addon" {
        pub addon_name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub addon_version: Option<String>,
        pub cluster_name: Expr,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub configuration_values: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub namespace_config: Option<AddonNamespace>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub pod_identity_associations: Vec<AddonPodIdentity>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub preserve_on_delete: Option<bool>,
        pub resolve_conflicts: String,
    }
}

resource! {
    /// AWS::EKS::PodIdentityAssociation
    PodIdentityAssociation = "AWS::EKS::PodIdentityAssociation" {
        pub cluster_name: Expr,
        pub namespace: String,
        pub role_arn: Expr,
        pub service_account: String,
    }
}

/// `MetadataOptions` of a launch template.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetadataOptions {
    pub http_endpoint: String,
    pub http_put_response_hop_limit: u32,
    pub http_tokens: String,
}

/// `Ebs` of a launch template's block device mapping.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateEbs {
    pub delete_on_termination: bool,
    pub encrypted: bool,
    pub volume_size: u32,
    pub volume_type: String,
}

/// `BlockDeviceMapping` of a launch template.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateBlockDevice {
    pub device_name: String,
    pub ebs: LaunchTemplateEbs,
}

/// `TagSpecification` of a launch template's data.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateTags {
    pub resource_type: String,
    pub tags: Vec<Tag>,
}

/// `LaunchTemplateData`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateData {
    pub block_device_mappings: Vec<LaunchTemplateBlockDevice>,
    pub metadata_options: MetadataOptions,
    pub tag_specifications: Vec<LaunchTemplateTags>,
}

resource! {
    /// AWS::EC2::LaunchTemplate
    LaunchTemplate = "AWS::EC2::LaunchTemplate" {
        pub launch_template_data: Option<LaunchTemplateData>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub launch_template_name: Option<String>,
    }
}
