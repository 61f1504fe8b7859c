//! The EKS cluster: its role, its nodes' role, the cluster itself (API authentication,
//! envelope encryption with the frame's key, control-plane logs, private endpoint), the
//! access entries, and for `compute: nodegroups` the managed node groups with their launch
//! templates.

use std::collections::BTreeMap;

use super::{hub_outputs, DEPLOYER_PRINCIPAL};
use crate::cfn::eks::{
    AccessConfig, AccessEntry, AccessPolicy, AccessScope, ClusterLogging, ComputeConfig,
    EksCluster as ClusterProperties, Enabled, EncryptionConfig, KeyProvider,
    KubernetesNetworkConfig, LaunchTemplate, LaunchTemplateBlockDevice, LaunchTemplateData,
    LaunchTemplateEbs, LaunchTemplateSpecification, LaunchTemplateTags, Logging, LoggingType,
    MetadataOptions, Nodegroup, ResourcesVpcConfig, ScalingConfig, StorageConfig, Taint,
    UpdateConfig, UpgradePolicy,
};
use crate::cfn::iam::{PolicyDocument, Principal, Statement};
use crate::cfn::resources::{InlinePolicy, LogGroup, Role, Tag};
use crate::cfn::{Expr, Resource, Template};
use crate::model::{Compute, Deployment, EksCluster, NodeGroup};
use crate::stacks::hub::policies::{managed, volumes_with_key};
use crate::stacks::hub::{ids, parameters, reference};

/// The node pools Auto Mode runs from the start: `system` for cluster add-ons,
/// `general-purpose` for everything else.
const AUTO_NODE_POOLS: &[&str] = &["general-purpose", "system"];

/// The label and taint of GPU nodes (the NVIDIA device plugin's resource name).
pub const GPU_TAINT: &str = "nvidia.com/gpu";

/// The cluster's name: `<project>-<env>`.
pub fn cluster_name(deployment: &Deployment) -> String {
    deployment.prefix()
}

pub(super) fn add_cluster(
    template: &mut Template,
    deployment: &Deployment,
    eks: &EksCluster,
    prefix: &str,
) {
    let auto = matches!(eks.compute, Compute::Auto);
    // EKS tags the sessions of the cluster role (Auto Mode launches and tags instances,
    // volumes and load balancers with them): the trust must allow sts:TagSession.
    let cluster_trust = PolicyDocument::new(vec![Statement::allow(
        "EksControlPlane",
        &["sts:AssumeRole", "sts:TagSession"],
        vec![],
    )
    .principal(Principal::service("eks.amazonaws.com"))]);
    let mut cluster_policies = vec![managed("AmazonEKSClusterPolicy")];
    if auto {
        for name in [
            "AmazonEKSBlockStoragePolicy",
            "AmazonEKSComputePolicy",
            "AmazonEKSLoadBalancingPolicy",
            "AmazonEKSNetworkingPolicy",
        ] {
            cluster_policies.push(managed(name));
        }
    }
    let key = reference(parameters::KMS_KEY_ARN);
    let mut inline = Vec::new();
    if auto {
        // Auto Mode creates the hub's EBS volume (StorageClass `kmsKeyId`: the frame's key)
        // with the cluster role; EC2 uses the key through grants for the volume only.
        inline.push(InlinePolicy {
            policy_name: "EncryptVolumesWithTheEnvironmentKey".to_string(),
            policy_document: PolicyDocument::new(volumes_with_key(&key)),
        });
    }
    template.add(
        ids::EKS_CLUSTER_ROLE,
        Resource::new(Role {
            assume_role_policy_document: Some(cluster_trust),
            description: format!(
                "{prefix}: the EKS control plane{}",
                if auto {
                    " and Auto Mode (compute, block storage, load balancing, networking)"
                } else {
                    ""
                }
            ),
            managed_policy_arns: cluster_policies,
            policies: inline,
            ..Role::default()
        }),
    );

    let node_trust = PolicyDocument::new(vec![Statement::allow(
        "Ec2Instances",
        &["sts:AssumeRole"],
        vec![],
    )
    .principal(Principal::service("ec2.amazonaws.com"))]);
    let node_policies = if auto {
        vec![
            managed("AmazonEC2ContainerRegistryPullOnly"),
            managed("AmazonEKSWorkerNodeMinimalPolicy"),
        ]
    } else {
        // The VPC CNI starts on a new node with the node's role, before its Pod Identity
        // association exists (the add-on is adopted after the nodes joined); pods cannot
        // reach the node role: the launch template's hop limit of 1 keeps them from IMDS.
        vec![
            managed("AmazonEC2ContainerRegistryPullOnly"),
            managed("AmazonEKSWorkerNodePolicy"),
            managed("AmazonEKS_CNI_Policy"),
        ]
    };
    // The EFS CSI driver's node daemon set mounts the homes with the node's role (the
    // add-on takes Pod Identity for its controller only): through their access point only,
    // as the file system's policy wants.
    let file_system = Expr::sub(format!(
        "arn:${{AWS::Partition}}:elasticfilesystem:${{AWS::Region}}:${{AWS::AccountId}}:file-system/${{{}}}",
        parameters::FILE_SYSTEM_ID
    ));
    let through = |sid: &str, actions: &[&str], access_point: &str| {
        Statement::allow(sid, actions, vec![file_system.clone()]).when(
            "StringEquals",
            "elasticfilesystem:AccessPointArn",
            Expr::get_att(access_point, "Arn"),
        )
    };
    let read_write = [
        "elasticfilesystem:ClientMount",
        "elasticfilesystem:ClientWrite",
    ];
    let mut node_inline = vec![InlinePolicy {
        policy_name: "MountTheHomesAccessPoint".to_string(),
        policy_document: PolicyDocument::new(vec![through(
            "MountTheHomesAccessPoint",
            &read_write,
            ids::HOMES_ACCESS_POINT,
        )]),
    }];
    // The shared data: every node mounts every server's volume, so IAM cannot tell one
    // user's server from another's here. It tells the access points apart: through the
    // read-only one (every user's server) EFS refuses writes; the read-write one is in
    // admins' servers only (the hub's `modify_pod_hook`).
    if deployment.storage.shared.is_some() {
        node_inline.push(InlinePolicy {
            policy_name: "MountTheSharedData".to_string(),
            policy_document: PolicyDocument::new(vec![
                through(
                    "ReadTheSharedDataForUsers",
                    &["elasticfilesystem:ClientMount"],
                    ids::SHARED_READ_ONLY_ACCESS_POINT,
                ),
                through(
                    "WriteTheSharedDataForAdmins",
                    &read_write,
                    ids::SHARED_ACCESS_POINT,
                ),
            ]),
        });
    }
    template.add(
        ids::EKS_NODE_ROLE,
        Resource::new(Role {
            assume_role_policy_document: Some(node_trust),
            description: format!(
                "{prefix}: the cluster's nodes (join the cluster, pull images, mount the homes)"
            ),
            managed_policy_arns: node_policies,
            policies: node_inline,
            ..Role::default()
        }),
    );
    // EKS writes the control plane's logs to this group, and would create it itself with
    // no expiry and no key, outside the stack (destroy would leave it).
    template.add(
        ids::CLUSTER_LOG_GROUP,
        Resource::new(LogGroup {
            kms_key_id: Some(reference(parameters::KMS_KEY_ARN)),
            log_group_name: Some(Expr::from(format!(
                "/aws/eks/{}/cluster",
                cluster_name(deployment)
            ))),
            retention_in_days: crate::stacks::frame::LOG_RETENTION_DAYS,
            ..LogGroup::default()
        }),
    );

    // Public only from the configured networks (checkov's CKV_AWS_38/39 hold either way).
    let public = !eks.endpoint_cidrs.is_empty();
    let cluster = Resource::new(ClusterProperties {
        access_config: Some(AccessConfig {
            authentication_mode: "API".to_string(),
            // Nobody gets admin by having created the cluster (that would be
            // CloudFormation's session): the access entries say who.
            bootstrap_cluster_creator_admin_permissions: false,
        }),
        // Auto Mode runs networking, DNS and storage itself; node groups start with EKS's
        // own vpc-cni, kube-proxy and CoreDNS, which the eks-addons stack adopts.
        bootstrap_self_managed_addons: !auto,
        compute_config: auto.then(|| ComputeConfig {
            enabled: true,
            node_pools: AUTO_NODE_POOLS
                .iter()
                .map(|pool| pool.to_string())
                .collect(),
            node_role_arn: Some(Expr::get_att(ids::EKS_NODE_ROLE, "Arn")),
        }),
        deletion_protection: deployment.hub.deletion_protection,
        encryption_config: vec![EncryptionConfig {
            provider: KeyProvider { key_arn: key },
            resources: vec!["secrets".to_string()],
        }],
        // AWS accepts Auto Mode only with compute, block storage and load balancing all
        // enabled (or all disabled), although each property validates alone.
        kubernetes_network_config: Some(KubernetesNetworkConfig {
            elastic_load_balancing: auto.then_some(Enabled { enabled: true }),
            ip_family: "ipv4".to_string(),
        }),
        logging: Some(Logging {
            cluster_logging: ClusterLogging {
                enabled_types: ["api", "audit", "authenticator"]
                    .into_iter()
                    .map(|kind| LoggingType {
                        kind: kind.to_string(),
                    })
                    .collect(),
            },
        }),
        name: cluster_name(deployment),
        resources_vpc_config: ResourcesVpcConfig {
            endpoint_private_access: true,
            endpoint_public_access: public,
            public_access_cidrs: eks.endpoint_cidrs.iter().map(|c| c.to_string()).collect(),
            security_group_ids: Vec::new(),
            subnet_ids: reference(parameters::PRIVATE_SUBNET_IDS),
        },
        role_arn: Expr::get_att(ids::EKS_CLUSTER_ROLE, "Arn"),
        storage_config: auto.then_some(StorageConfig {
            block_storage: Enabled { enabled: true },
        }),
        tags: Tag::name(prefix),
        // Standard support only: when it ends, EKS upgrades the cluster rather than bill
        // extended support (six times the hourly price).
        upgrade_policy: Some(UpgradePolicy {
            support_type: "STANDARD".to_string(),
        }),
        version: eks.version.clone(),
    });
    template
        .add(ids::EKS_CLUSTER, cluster)
        .depends_on(ids::CLUSTER_LOG_GROUP);

    template.output(
        hub_outputs::CLUSTER_NAME,
        "The EKS cluster",
        reference(ids::EKS_CLUSTER),
    );
    template.output(
        hub_outputs::CLUSTER_ARN,
        "The EKS cluster's ARN",
        Expr::get_att(ids::EKS_CLUSTER, "Arn"),
    );
    template.output(
        hub_outputs::CLUSTER_ENDPOINT,
        "The Kubernetes API endpoint",
        Expr::get_att(ids::EKS_CLUSTER, "Endpoint"),
    );
    template.output(
        hub_outputs::CLUSTER_CERTIFICATE_AUTHORITY,
        "The Kubernetes API's certificate authority (base64 PEM)",
        Expr::get_att(ids::EKS_CLUSTER, "CertificateAuthorityData"),
    );
    template.output(
        hub_outputs::CLUSTER_SECURITY_GROUP_ID,
        "The cluster security group (control plane and nodes)",
        super::cluster_security_group(),
    );
}

/// A stable logical id for an access entry of `arn`: its name's letters and a hash of the
/// whole ARN (two roles of one name under different paths stay apart), so that adding or
/// removing an admin touches no other entry.
fn access_entry_id(arn: &str) -> String {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    format!(
        "AdminAccess{}{:08x}",
        ids::alphanumeric(name),
        crate::model::fnv1a(arn)
    )
}

fn cluster_admin(principal: Expr) -> Resource {
    Resource::new(AccessEntry {
        access_policies: vec![AccessPolicy {
            access_scope: AccessScope {
                kind: "cluster".to_string(),
            },
            policy_arn: Expr::sub(
                "arn:${AWS::Partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            ),
        }],
        cluster_name: reference(ids::EKS_CLUSTER),
        principal_arn: principal,
        kind: "STANDARD".to_string(),
    })
}

pub(super) fn add_access(template: &mut Template, eks: &EksCluster) {
    for arn in &eks.admin_roles {
        template.add(
            &access_entry_id(arn),
            cluster_admin(Expr::from(arn.as_str())),
        );
    }
    template.conditions.insert(
        ids::HAS_DEPLOYER.to_string(),
        Expr::Not(Box::new(Expr::Equals(
            Box::new(reference(DEPLOYER_PRINCIPAL)),
            Box::new(Expr::from("")),
        ))),
    );
    template
        .add(
            ids::DEPLOYER_ACCESS,
            cluster_admin(reference(DEPLOYER_PRINCIPAL)),
        )
        .condition = Some(ids::HAS_DEPLOYER.to_string());
}

fn launch_template(prefix: &str, role: &str, devices: &[(&str, u32)]) -> Resource {
    Resource::new(LaunchTemplate {
        launch_template_data: Some(LaunchTemplateData {
            block_device_mappings: devices
                .iter()
                .map(|(device, size)| LaunchTemplateBlockDevice {
                    device_name: device.to_string(),
                    // Encrypted with the account's EBS key: EC2 Auto Scaling launches the
                    // nodes, and its service-linked role may not use the environment's key.
                    ebs: LaunchTemplateEbs {
                        delete_on_termination: true,
                        encrypted: true,
                        volume_size: *size,
                        volume_type: "gp3".to_string(),
                    },
                })
                .collect(),
            // IMDSv2 only, one hop: pods (one hop further) cannot take the node's role.
            metadata_options: MetadataOptions {
                http_endpoint: "enabled".to_string(),
                http_put_response_hop_limit: 1,
                http_tokens: "required".to_string(),
            },
            tag_specifications: ["instance", "volume"]
                .into_iter()
                .map(|kind| LaunchTemplateTags {
                    resource_type: kind.to_string(),
                    tags: Tag::name(format!("{prefix}-{role}")),
                })
                .collect(),
        }),
        launch_template_name: None,
    })
}

fn node_group(
    group: &NodeGroup,
    ami_type: &str,
    launch_template_id: &str,
    labels: BTreeMap<String, String>,
    taints: Vec<Taint>,
) -> Resource {
    Resource::new(Nodegroup {
        ami_type: ami_type.to_string(),
        cluster_name: reference(ids::EKS_CLUSTER),
        instance_types: group.instance_types.clone(),
        labels,
        launch_template: Some(LaunchTemplateSpecification {
            id: reference(launch_template_id),
            version: Expr::get_att(launch_template_id, "LatestVersionNumber"),
        }),
        node_role: Expr::get_att(ids::EKS_NODE_ROLE, "Arn"),
        // No fixed name: a change of instance types replaces the group, and CloudFormation
        // creates the new one before it deletes the old.
        nodegroup_name: None,
        scaling_config: Some(ScalingConfig {
            desired_size: group.desired,
            max_size: group.max,
            min_size: group.min,
        }),
        subnets: reference(parameters::PRIVATE_SUBNET_IDS),
        taints,
        update_config: Some(UpdateConfig { max_unavailable: 1 }),
    })
}

pub(super) fn add_node_groups(template: &mut Template, eks: &EksCluster, prefix: &str) {
    let Compute::NodeGroups { general, gpu } = &eks.compute else {
        return;
    };
    template.add(
        ids::NODE_LAUNCH_TEMPLATE,
        launch_template(prefix, "node", &[("/dev/xvda", 50)]),
    );
    template.add(
        ids::NODE_GROUP,
        node_group(
            general,
            "AL2023_x86_64_STANDARD",
            ids::NODE_LAUNCH_TEMPLATE,
            BTreeMap::from([("hubctl/pool".to_string(), "general".to_string())]),
            Vec::new(),
        ),
    );
    if let Some(gpu) = gpu {
        // Bottlerocket's NVIDIA variant carries the driver and the device plugin; images
        // and containers live on /dev/xvdb (its OS volume, /dev/xvda, keeps the AMI's size).
        template.add(
            ids::GPU_LAUNCH_TEMPLATE,
            launch_template(prefix, "gpu-node", &[("/dev/xvdb", 100)]),
        );
        template.add(
            ids::GPU_NODE_GROUP,
            node_group(
                gpu,
                "BOTTLEROCKET_x86_64_NVIDIA",
                ids::GPU_LAUNCH_TEMPLATE,
                BTreeMap::from([("hubctl/pool".to_string(), "gpu".to_string())]),
                vec![Taint {
                    effect: "NO_SCHEDULE".to_string(),
                    key: GPU_TAINT.to_string(),
                    value: "true".to_string(),
                }],
            ),
        );
    }
}
