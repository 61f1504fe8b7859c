//! The frame stack: VPC, subnets, NAT, flow logs, the KMS key and the EFS home file system.
//!
//! Subnets: the VPC is split into 16 equal blocks whatever the number of zones; zone i's
//! private subnet is block i and its public subnet block 8 + i. Adding or removing a zone
//! never moves another zone's subnets (a moved subnet would be replaced, and its new range
//! would overlap a neighbour that still exists during the update).

use crate::cfn::iam::{PolicyDocument, Principal, Statement};
use crate::cfn::resources::{
    BackupPolicy, Bucket, BucketPolicy, Eip, FileSystem, FileSystemTag, FlowLog, InlinePolicy,
    InternetGateway, KmsAlias, KmsKey, LifecyclePolicy, LifecycleRule, LogGroup, MountTarget,
    NatGateway, NoncurrentVersionExpiration, Role, Route, RouteTable, SecurityGroup,
    SecurityGroupRule, ServerSideEncryptionByDefault, ServerSideEncryptionRule, Subnet,
    SubnetRouteTableAssociation, Tag, Vpc, VpcEndpoint, VpcGatewayAttachment,
};
use crate::cfn::{Expr, Resource, Template};
use crate::model::{AvailabilityZones, Deployment};

/// The VPC is split into 2^4 = 16 blocks: room for 6 zones' private and public subnets.
const SUBNET_BITS: u8 = 4;
/// Public subnets start at block 8.
const PUBLIC_BLOCKS: usize = 8;

/// Log retention for every log group hubctl creates (one year, the usual audit floor).
pub const LOG_RETENTION_DAYS: u32 = 365;

/// Outputs other stacks are wired to.
pub mod outputs {
    /// The VPC id.
    pub const VPC_ID: &str = "VpcId";
    /// The VPC's CIDR block.
    pub const VPC_CIDR: &str = "VpcCidr";
    /// Public subnet ids, comma-separated, in zone order.
    pub const PUBLIC_SUBNET_IDS: &str = "PublicSubnetIds";
    /// Private subnet ids, comma-separated, in zone order.
    pub const PRIVATE_SUBNET_IDS: &str = "PrivateSubnetIds";
    /// The EFS file system id.
    pub const FILE_SYSTEM_ID: &str = "FileSystemId";
    /// The security group of the EFS mount targets.
    pub const FILE_SYSTEM_SECURITY_GROUP_ID: &str = "FileSystemSecurityGroupId";
    /// The ARN of the environment's KMS key.
    pub const KMS_KEY_ARN: &str = "KmsKeyArn";
    /// The bucket deploy stages templates in that are too large to send inline.
    pub const TEMPLATE_BUCKET: &str = "TemplateBucket";
}

/// Days a staged template may outlive a deploy that died before removing it.
const STAGED_TEMPLATE_DAYS: u32 = 1;

/// Zone `index` of the subnets: `(AvailabilityZone, AvailabilityZoneId)`, one of them set.
/// Both are fixed at synth (never `Fn::GetAZs`, whose order may change): a subnet's zone is
/// create-only.
fn zone(deployment: &Deployment, index: usize) -> (Option<Expr>, Option<String>) {
    match &deployment.network.availability_zones {
        AvailabilityZones::Ids(ids) => (None, Some(ids[index].clone())),
        AvailabilityZones::Named(names) => (Some(Expr::from(names[index].as_str())), None),
    }
}

/// The frame template of one environment.
pub fn template(deployment: &Deployment) -> Template {
    let name = deployment.stack_name(super::StackId::Frame.suffix());
    let n_zones = deployment.network.availability_zones.len();
    let mut template = Template::new(format!(
        "hubctl {name}: VPC over {n_zones} zones, {} NAT gateway(s), flow logs, KMS key, encrypted EFS",
        deployment.network.nat_gateways
    ));
    let prefix = deployment.prefix();

    add_key(&mut template, deployment, &prefix);
    add_network(&mut template, deployment, &prefix);
    add_endpoints(&mut template, deployment, &prefix);
    add_flow_logs(&mut template);
    add_file_system(&mut template, deployment, &prefix);
    add_template_bucket(&mut template);

    let ids = |kind: &str| {
        Expr::join(
            ",",
            (1..=n_zones)
                .map(|i| Expr::reference(&format!("{kind}Subnet{i}")))
                .collect(),
        )
    };
    template.output(outputs::VPC_ID, "The VPC", Expr::reference("Vpc"));
    template.output(
        outputs::VPC_CIDR,
        "The VPC's address range",
        Expr::get_att("Vpc", "CidrBlock"),
    );
    template.output(
        outputs::PUBLIC_SUBNET_IDS,
        "Public subnets, one per zone, comma-separated",
        ids("Public"),
    );
    template.output(
        outputs::PRIVATE_SUBNET_IDS,
        "Private subnets, one per zone, comma-separated",
        ids("Private"),
    );
    template.output(
        outputs::FILE_SYSTEM_ID,
        "EFS file system for user homes",
        Expr::reference("FileSystem"),
    );
    template.output(
        outputs::FILE_SYSTEM_SECURITY_GROUP_ID,
        "Security group of the EFS mount targets",
        Expr::get_att("FileSystemSecurityGroup", "GroupId"),
    );
    template.output(
        outputs::KMS_KEY_ARN,
        "KMS key for logs, EFS and secrets",
        Expr::get_att("Key", "Arn"),
    );
    template.output(
        outputs::TEMPLATE_BUCKET,
        "Bucket hubctl deploy stages large templates in",
        Expr::reference("TemplateBucket"),
    );
    template
}

fn add_key(template: &mut Template, deployment: &Deployment, prefix: &str) {
    let policy = PolicyDocument::new(vec![
        Statement::allow("AccountAdministersKey", &["kms:*"], vec!["*".into()]).principal(
            Principal::aws(vec![Expr::sub(
                "arn:${AWS::Partition}:iam::${AWS::AccountId}:root",
            )]),
        ),
        Statement::allow(
            "CloudWatchLogsOfThisAccount",
            &[
                "kms:Decrypt*",
                "kms:Describe*",
                "kms:Encrypt*",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
            ],
            vec!["*".into()],
        )
        .principal(Principal {
            service: vec![Expr::sub("logs.${AWS::Region}.amazonaws.com")],
            ..Principal::default()
        })
        .when(
            "ArnLike",
            "kms:EncryptionContext:aws:logs:arn",
            Expr::sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"),
        ),
    ]);
    template
        .add(
            "Key",
            Resource::new(KmsKey {
                description: format!("{prefix}: encrypts EFS, logs and secrets"),
                enable_key_rotation: true,
                key_policy: Some(policy),
                tags: Tag::name(prefix),
            }),
        )
        .keep_on_delete(deployment.storage.retain);
    template.add(
        "KeyAlias",
        Resource::new(KmsAlias {
            alias_name: format!("alias/{prefix}").into(),
            target_key_id: Expr::reference("Key"),
        }),
    );
}

fn add_network(template: &mut Template, deployment: &Deployment, prefix: &str) {
    let network = &deployment.network;
    let n_zones = network.availability_zones.len();

    let vpc_id = || Some(Expr::reference("Vpc"));
    let named_zones = matches!(network.availability_zones, AvailabilityZones::Named(_));

    template.add(
        "Vpc",
        Resource::new(Vpc {
            cidr_block: network.vpc_cidr.to_string(),
            enable_dns_hostnames: true,
            enable_dns_support: true,
            tags: Tag::name(prefix),
        }),
    );
    template.add(
        "InternetGateway",
        Resource::new(InternetGateway {
            tags: Tag::name(prefix),
        }),
    );
    template.add(
        "InternetGatewayAttachment",
        Resource::new(VpcGatewayAttachment {
            internet_gateway_id: Some(Expr::reference("InternetGateway")),
            vpc_id: vpc_id(),
        }),
    );
    template.add(
        "PublicRouteTable",
        Resource::new(RouteTable {
            vpc_id: vpc_id(),
            tags: Tag::name(format!("{prefix}-public")),
        }),
    );
    template
        .add(
            "PublicDefaultRoute",
            Resource::new(Route {
                route_table_id: Some(Expr::reference("PublicRouteTable")),
                destination_cidr_block: "0.0.0.0/0".to_string(),
                gateway_id: Some(Expr::reference("InternetGateway")),
                nat_gateway_id: None,
            }),
        )
        .depends_on("InternetGatewayAttachment");

    for zone_index in 0..n_zones {
        let n = zone_index + 1;
        for (kind, block, public) in [
            ("Private", zone_index, false),
            ("Public", PUBLIC_BLOCKS + zone_index, true),
        ] {
            let (availability_zone, availability_zone_id) = zone(deployment, zone_index);
            let subnet = template.add(
                &format!("{kind}Subnet{n}"),
                Resource::new(Subnet {
                    availability_zone,
                    availability_zone_id,
                    cidr_block: network
                        .vpc_cidr
                        .subnet(SUBNET_BITS, block as u32)
                        .to_string(),
                    map_public_ip_on_launch: false,
                    vpc_id: vpc_id(),
                    tags: Tag::name(format!("{prefix}-{}-{n}", kind.to_lowercase())),
                }),
            );
            if named_zones {
                subnet.ignore_cfn_lint(
                    "W3010",
                    "zones are named explicitly in network.availability_zones",
                );
            }
            let route_table = if public {
                "PublicRouteTable".to_string()
            } else {
                format!("PrivateRouteTable{n}")
            };
            template.add(
                &format!("{kind}Subnet{n}RouteTableAssociation"),
                Resource::new(SubnetRouteTableAssociation {
                    route_table_id: Some(Expr::reference(&route_table)),
                    subnet_id: Some(Expr::reference(&format!("{kind}Subnet{n}"))),
                }),
            );
        }
        template.add(
            &format!("PrivateRouteTable{n}"),
            Resource::new(RouteTable {
                vpc_id: vpc_id(),
                tags: Tag::name(format!("{prefix}-private-{n}")),
            }),
        );
        let nat = zone_index % network.nat_gateways + 1;
        template.add(
            &format!("PrivateDefaultRoute{n}"),
            Resource::new(Route {
                route_table_id: Some(Expr::reference(&format!("PrivateRouteTable{n}"))),
                destination_cidr_block: "0.0.0.0/0".to_string(),
                gateway_id: None,
                nat_gateway_id: Some(Expr::reference(&format!("NatGateway{nat}"))),
            }),
        );
    }
    for n in 1..=network.nat_gateways {
        template
            .add(
                &format!("NatEip{n}"),
                Resource::new(Eip {
                    domain: "vpc".to_string(),
                    tags: Tag::name(format!("{prefix}-nat-{n}")),
                }),
            )
            .depends_on("InternetGatewayAttachment");
        template.add(
            &format!("NatGateway{n}"),
            Resource::new(NatGateway {
                allocation_id: Some(Expr::get_att(&format!("NatEip{n}"), "AllocationId")),
                subnet_id: Some(Expr::reference(&format!("PublicSubnet{n}"))),
                tags: Tag::name(format!("{prefix}-nat-{n}")),
            }),
        );
    }
}

/// S3 through a gateway endpoint (free; ECR serves image layers from S3, so every server
/// start's image pull skips the NAT gateway's per-GB charge), and with
/// `network.ecr_endpoints` ECR's API and registry as interface endpoints in the private
/// subnets (hourly per zone; worth it only for heavy pulls, see the README's costs).
fn add_endpoints(template: &mut Template, deployment: &Deployment, prefix: &str) {
    let network = &deployment.network;
    let n_zones = network.availability_zones.len();
    template.add(
        "S3Endpoint",
        Resource::new(VpcEndpoint {
            route_table_ids: (1..=n_zones)
                .map(|n| Expr::reference(&format!("PrivateRouteTable{n}")))
                .collect(),
            service_name: Expr::sub("com.amazonaws.${AWS::Region}.s3"),
            vpc_endpoint_type: "Gateway".to_string(),
            vpc_id: Expr::reference("Vpc"),
            ..VpcEndpoint::default()
        }),
    );
    if !network.ecr_endpoints {
        return;
    }
    template.add(
        "EcrEndpointSecurityGroup",
        Resource::new(SecurityGroup {
            group_description: format!("{prefix} ECR endpoints - HTTPS from the VPC only"),
            vpc_id: Some(Expr::reference("Vpc")),
            security_group_ingress: vec![SecurityGroupRule {
                description: "HTTPS from the VPC".to_string(),
                ip_protocol: "tcp".to_string(),
                from_port: Some(443),
                to_port: Some(443),
                cidr_ip: Some(Expr::get_att("Vpc", "CidrBlock")),
                ..SecurityGroupRule::default()
            }],
            security_group_egress: vec![SecurityGroupRule {
                description: "No egress: endpoints only answer".to_string(),
                ip_protocol: "-1".to_string(),
                cidr_ip: Some("127.0.0.1/32".into()),
                ..SecurityGroupRule::default()
            }],
            tags: Tag::name(format!("{prefix}-ecr-endpoints")),
        }),
    );
    for (id, service) in [("EcrApiEndpoint", "ecr.api"), ("EcrDkrEndpoint", "ecr.dkr")] {
        template.add(
            id,
            Resource::new(VpcEndpoint {
                private_dns_enabled: Some(true),
                security_group_ids: vec![Expr::get_att("EcrEndpointSecurityGroup", "GroupId")],
                service_name: Expr::sub(format!("com.amazonaws.${{AWS::Region}}.{service}")),
                subnet_ids: (1..=n_zones)
                    .map(|n| Expr::reference(&format!("PrivateSubnet{n}")))
                    .collect(),
                vpc_endpoint_type: "Interface".to_string(),
                vpc_id: Expr::reference("Vpc"),
                ..VpcEndpoint::default()
            }),
        );
    }
}

fn add_flow_logs(template: &mut Template) {
    template.add(
        "FlowLogGroup",
        Resource::new(LogGroup {
            kms_key_id: Some(Expr::get_att("Key", "Arn")),
            log_group_name: None,
            retention_in_days: LOG_RETENTION_DAYS,
            tags: Vec::new(),
        }),
    );
    let trust = PolicyDocument::new(vec![Statement::allow(
        "FlowLogsOfThisAccount",
        &["sts:AssumeRole"],
        vec![],
    )
    .principal(Principal::service("vpc-flow-logs.amazonaws.com"))
    .when(
        "StringEquals",
        "aws:SourceAccount",
        Expr::reference("AWS::AccountId"),
    )
    .when(
        "ArnLike",
        "aws:SourceArn",
        Expr::sub("arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc-flow-log/*"),
    )]);
    template.add(
        "FlowLogRole",
        Resource::new(Role {
            assume_role_policy_document: Some(trust),
            description: "Lets VPC flow logs write to the stack's flow log group only".to_string(),
            policies: vec![InlinePolicy {
                policy_name: "WriteFlowLogs".to_string(),
                policy_document: PolicyDocument::new(vec![Statement::allow(
                    "WriteToFlowLogGroup",
                    &[
                        "logs:CreateLogStream",
                        "logs:DescribeLogStreams",
                        "logs:PutLogEvents",
                    ],
                    vec![Expr::get_att("FlowLogGroup", "Arn")],
                )]),
            }],
            ..Role::default()
        }),
    );
    template.add(
        "FlowLog",
        Resource::new(FlowLog {
            deliver_logs_permission_arn: Some(Expr::get_att("FlowLogRole", "Arn")),
            log_destination_type: "cloud-watch-logs".to_string(),
            log_group_name: Some(Expr::reference("FlowLogGroup")),
            resource_id: Some(Expr::reference("Vpc")),
            resource_type: "VPC".to_string(),
            traffic_type: "ALL".to_string(),
            tags: Vec::new(),
        }),
    );
}

fn add_file_system(template: &mut Template, deployment: &Deployment, prefix: &str) {
    let n_zones = deployment.network.availability_zones.len();
    // Mounts must go through an access point (the hub stack's per-user homes); access itself
    // comes from the mounting role's IAM policy. No statement here allows anything.
    let client_actions = [
        "elasticfilesystem:ClientMount",
        "elasticfilesystem:ClientRootAccess",
        "elasticfilesystem:ClientWrite",
    ];
    let file_system_policy = PolicyDocument::new(vec![
        Statement::deny("DenyUnencryptedTransport", &["*"], vec!["*".into()])
            .principal(Principal::aws(vec!["*".into()]))
            .when("Bool", "aws:SecureTransport", "false".into()),
        Statement::deny(
            "DenyMountsWithoutAccessPoint",
            &client_actions,
            vec!["*".into()],
        )
        .principal(Principal::aws(vec!["*".into()]))
        .when("Null", "elasticfilesystem:AccessPointArn", "true".into()),
    ]);
    template
        .add(
            "FileSystem",
            Resource::new(FileSystem {
                backup_policy: Some(BackupPolicy {
                    status: "ENABLED".to_string(),
                }),
                encrypted: true,
                file_system_policy: Some(file_system_policy),
                file_system_tags: vec![FileSystemTag {
                    key: "Name".to_string(),
                    value: format!("{prefix}-home").into(),
                }],
                kms_key_id: Some(Expr::get_att("Key", "Arn")),
                lifecycle_policies: vec![
                    LifecyclePolicy {
                        transition_to_i_a: Some("AFTER_30_DAYS".to_string()),
                        transition_to_primary_storage_class: None,
                    },
                    LifecyclePolicy {
                        transition_to_i_a: None,
                        transition_to_primary_storage_class: Some("AFTER_1_ACCESS".to_string()),
                    },
                ],
                performance_mode: "generalPurpose".to_string(),
                throughput_mode: "elastic".to_string(),
            }),
        )
        .keep_on_delete(deployment.storage.retain);
    template.add(
        "FileSystemSecurityGroup",
        Resource::new(SecurityGroup {
            group_description: format!(
                "{prefix} EFS mount targets - NFS only from the hub stack security groups"
            ),
            vpc_id: Some(Expr::reference("Vpc")),
            security_group_ingress: Vec::new(),
            security_group_egress: vec![SecurityGroupRule {
                description: "No egress: mount targets only answer".to_string(),
                ip_protocol: "-1".to_string(),
                cidr_ip: Some("127.0.0.1/32".into()),
                ..SecurityGroupRule::default()
            }],
            tags: Tag::name(format!("{prefix}-efs")),
        }),
    );
    for n in 1..=n_zones {
        template.add(
            &format!("MountTarget{n}"),
            Resource::new(MountTarget {
                file_system_id: Some(Expr::reference("FileSystem")),
                security_groups: vec![Expr::get_att("FileSystemSecurityGroup", "GroupId")],
                subnet_id: Some(Expr::reference(&format!("PrivateSubnet{n}"))),
            }),
        );
    }
}

/// A private bucket for templates over CloudFormation's inline limit (the hub stack of a
/// larger team): deploy uploads one, creates the change set from its URL and deletes it as
/// soon as CloudFormation has read it; a one-day lifecycle rule removes what an interrupted
/// deploy left behind. Deployed with the frame, so no separate bootstrap step exists.
fn add_template_bucket(template: &mut Template) {
    template
        .add(
            "TemplateBucket",
            Resource::new(Bucket::private(
                ServerSideEncryptionRule {
                    bucket_key_enabled: Some(true),
                    server_side_encryption_by_default: ServerSideEncryptionByDefault {
                        kms_master_key_id: Some(Expr::get_att("Key", "Arn")),
                        sse_algorithm: "aws:kms".to_string(),
                    },
                },
                LifecycleRule {
                    id: "ExpireStagedTemplates".to_string(),
                    status: "Enabled".to_string(),
                    expiration_in_days: STAGED_TEMPLATE_DAYS,
                    noncurrent_version_expiration: NoncurrentVersionExpiration {
                        noncurrent_days: STAGED_TEMPLATE_DAYS,
                    },
                },
                false,
            )),
        )
        .skip_checkov(
            "CKV_AWS_18",
            "holds only transient copies of synthesized templates, each deleted once CloudFormation has read it; the API calls are in CloudTrail",
        )
        .skip_checkov(
            "CKV_AWS_21",
            "no versions to keep: every object is a copy of a template reproducible from the config, deleted within seconds, so that the frame stack can be deleted with the bucket",
        );
    template.add(
        "TemplateBucketPolicy",
        Resource::new(BucketPolicy {
            bucket: Expr::reference("TemplateBucket"),
            policy_document: Some(PolicyDocument::new(vec![
                BucketPolicy::deny_insecure_transport("TemplateBucket"),
            ])),
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AvailabilityZones;

    fn subnet_cidrs(n_zones: usize) -> Vec<(String, String)> {
        let config = crate::config::parse(
            "t.yaml",
            &format!(
                "project: p\nregion: eu-west-1\ndns: {{parent_zone: example.com, parent_account: '111111111111', delegation_role: R, subzone: d.example.com, hub_host: d.example.com}}\nnetwork: {{vpc_cidr: 10.0.0.0/16, availability_zones: {n_zones}}}\nhub: {{platform: ecs, hub_image: 'a/b:1', user_image: 'a/c:1', admins: [x], allowed_cidrs: [10.0.0.0/8], auth: {{kind: cognito}}}}\nenvironments: {{dev: {{account: '123456789012'}}}}\n"
            ),
        )
        .expect("valid config");
        let ids = ["euw1-az1", "euw1-az2", "euw1-az3"];
        assert_eq!(
            config.deployments[0].network.availability_zones,
            AvailabilityZones::Ids(ids[..n_zones].iter().map(|id| id.to_string()).collect())
        );
        let template = template(&config.deployments[0]);
        template
            .resources
            .iter()
            .filter(|(_, resource)| resource.kind == "AWS::EC2::Subnet")
            .map(|(id, resource)| {
                (
                    id.clone(),
                    resource.properties["CidrBlock"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn adding_a_zone_moves_no_subnet() {
        let two = subnet_cidrs(2);
        let three = subnet_cidrs(3);
        for subnet in &two {
            assert!(three.contains(subnet), "{subnet:?} moved: {three:?}");
        }
        assert!(three.contains(&("PublicSubnet1".to_string(), "10.0.128.0/20".to_string())));
    }

    #[test]
    fn six_zones_fit_a_slash_24() {
        let cidr = crate::model::Cidr::parse("10.0.0.0/24").unwrap();
        assert_eq!(
            cidr.subnet(SUBNET_BITS, (PUBLIC_BLOCKS + 5) as u32)
                .to_string(),
            "10.0.0.208/28"
        );
    }
}
