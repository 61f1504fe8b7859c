//! The ECS hub's tasks: the cluster and its log group, Cloud Map for the hub API, the hub's
//! task definition and service (exactly one task), and one task definition per user and
//! server size with that user's token secret.

use std::collections::BTreeMap;

use super::{HUB_API_PORT, PROXY_PORT, USER_PORT};
use crate::cfn::resources::{
    AwsVpcConfiguration, Cluster, ClusterSetting, ContainerDefinition, ContainerSecret,
    DeploymentCircuitBreaker, DeploymentConfiguration, DiscoveryService, DnsConfig, DnsRecord,
    EfsAuthorizationConfig, EfsVolumeConfiguration, GenerateSecretString, HealthCheckCustomConfig,
    KernelCapabilities, KeyValuePair, LinuxParameters, LogConfiguration, LogGroup, MountPoint,
    NetworkConfiguration, PortMapping, PrivateDnsNamespace, RuntimePlatform, Secret, Service,
    ServiceLoadBalancer, ServiceRegistry, TaskDefinition, Volume,
};
use crate::cfn::{Expr, Resource, Template};
use crate::model::{Database, Deployment, Profile, User, HOME_MOUNT};
use crate::stacks::frame::LOG_RETENTION_DAYS;
use crate::stacks::hub::homes::{HUB_UID, NOTEBOOK_GID, NOTEBOOK_UID};
use crate::stacks::hub::ids;
use crate::stacks::hub::login::OAuthSettings;
use crate::stacks::hub::{group_id, parameters, reference};

/// `a-z0-9-` form of a user name for task definition families; the uid keeps it unique.
pub(super) fn family_slug(user: &User) -> String {
    let slug: String = user
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    if slug == user.name {
        slug
    } else {
        format!("{}-{}", slug.trim_matches('-'), user.uid)
    }
}

/// The task definition family of `user`'s server of size `profile`.
pub fn user_task_family(deployment: &Deployment, profile: &Profile, user: &User) -> String {
    format!(
        "{}-{}-user-{}-{}",
        deployment.project,
        deployment.env,
        profile.name,
        family_slug(user)
    )
}

/// The name prefix of the secrets that carry each user server's JupyterHub API token.
pub fn user_token_secret_prefix(prefix: &str) -> String {
    format!("hubctl/{prefix}/user-token/")
}

pub(super) fn env(name: &str, value: impl Into<Expr>) -> KeyValuePair {
    KeyValuePair {
        name: name.to_string(),
        value: value.into(),
    }
}

pub(super) fn secret(name: &str, value_from: Expr) -> ContainerSecret {
    ContainerSecret {
        name: name.to_string(),
        value_from,
    }
}

pub(super) fn add_cluster(template: &mut Template, prefix: &str) {
    template.add(
        ids::CLUSTER,
        Resource::new(Cluster {
            cluster_settings: vec![ClusterSetting {
                name: "containerInsights".to_string(),
                value: "enabled".to_string(),
            }],
            tags: Vec::new(),
        }),
    );
    template.add(
        ids::LOG_GROUP,
        Resource::new(LogGroup {
            kms_key_id: Some(reference(parameters::KMS_KEY_ARN)),
            log_group_name: Some(format!("/hubctl/{prefix}/hub").into()),
            retention_in_days: LOG_RETENTION_DAYS,
            tags: Vec::new(),
        }),
    );
    template.add(
        ids::NAMESPACE,
        Resource::new(PrivateDnsNamespace {
            description: "User servers find the hub API here".to_string(),
            name: format!("{prefix}.hub.internal"),
            vpc: reference(parameters::VPC_ID),
        }),
    );
    template.add(
        ids::HUB_DISCOVERY,
        Resource::new(DiscoveryService {
            description: "The hub's API address".to_string(),
            dns_config: Some(DnsConfig {
                dns_records: vec![DnsRecord {
                    ttl: 10,
                    kind: "A".to_string(),
                }],
                namespace_id: Expr::get_att(ids::NAMESPACE, "Id"),
                routing_policy: "MULTIVALUE".to_string(),
            }),
            health_check_custom_config: Some(HealthCheckCustomConfig {
                failure_threshold: 1,
            }),
            name: "hub".to_string(),
        }),
    );
}

pub(super) fn log_configuration(stream_prefix: &str) -> LogConfiguration {
    let mut options = BTreeMap::new();
    options.insert("awslogs-group".to_string(), reference(ids::LOG_GROUP));
    options.insert("awslogs-region".to_string(), reference("AWS::Region"));
    options.insert("awslogs-stream-prefix".to_string(), stream_prefix.into());
    LogConfiguration {
        log_driver: "awslogs".to_string(),
        options,
    }
}

pub(super) fn efs_volume(name: &str, access_point: &str) -> Volume {
    Volume {
        efs_volume_configuration: Some(EfsVolumeConfiguration {
            authorization_config: EfsAuthorizationConfig {
                access_point_id: reference(access_point),
                iam: "ENABLED".to_string(),
            },
            filesystem_id: reference(parameters::FILE_SYSTEM_ID),
            transit_encryption: "ENABLED".to_string(),
        }),
        name: name.to_string(),
    }
}

pub(super) fn hardened_linux() -> Option<LinuxParameters> {
    Some(LinuxParameters {
        capabilities: KernelCapabilities {
            drop: vec!["ALL".to_string()],
        },
        init_process_enabled: true,
    })
}

pub(super) fn add_user_tasks(template: &mut Template, deployment: &Deployment, prefix: &str) {
    for user in deployment.hub.users() {
        template.add(
            &ids::user_token(user),
            Resource::new(Secret {
                description: format!(
                    "JupyterHub API token of {}'s server, written by the hub at each start",
                    user.name
                ),
                name: Some(format!("{}{}", user_token_secret_prefix(prefix), user.name)),
                generate_secret_string: Some(GenerateSecretString {
                    exclude_punctuation: true,
                    password_length: 64,
                    ..GenerateSecretString::default()
                }),
                kms_key_id: reference(parameters::KMS_KEY_ARN),
                secret_string: None,
            }),
        );
    }
    for profile in &deployment.hub.profiles {
        for user in deployment.hub.users() {
            let mut mount_points = vec![MountPoint {
                container_path: HOME_MOUNT.to_string(),
                read_only: false,
                source_volume: "home".to_string(),
            }];
            let mut volumes = vec![efs_volume("home", &ids::home_access_point(user))];
            // Read-only for users; their task roles cannot write through the access point
            // either (`roles`), so the mount's flag is not what keeps the data safe.
            if let Some(shared) = &deployment.storage.shared {
                mount_points.push(MountPoint {
                    container_path: shared.mount.clone(),
                    read_only: !deployment.hub.is_admin(user),
                    source_volume: "shared".to_string(),
                });
                volumes.push(efs_volume("shared", ids::SHARED_ACCESS_POINT));
            }
            template.add(
                &ids::user_task(profile, user),
                Resource::new(TaskDefinition {
                    container_definitions: vec![ContainerDefinition {
                        environment: Vec::new(),
                        essential: true,
                        image: profile.image.reference.clone(),
                        linux_parameters: hardened_linux(),
                        log_configuration: Some(log_configuration("user")),
                        mount_points,
                        name: "notebook".to_string(),
                        port_mappings: vec![PortMapping {
                            container_port: USER_PORT,
                            protocol: "tcp".to_string(),
                        }],
                        privileged: false,
                        readonly_root_filesystem: false,
                        // The JupyterHub API token arrives as a secret the hub writes just
                        // before the task starts: in RunTask's overrides it would show in
                        // DescribeTasks to anyone who may read ECS.
                        secrets: ["JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN"]
                            .iter()
                            .map(|name| secret(name, reference(&ids::user_token(user))))
                            .collect(),
                        user: format!("{NOTEBOOK_UID}:{NOTEBOOK_GID}"),
                    }],
                    cpu: profile.cpu.to_string(),
                    execution_role_arn: Expr::get_att(ids::USER_EXECUTION_ROLE, "Arn"),
                    family: user_task_family(deployment, profile, user),
                    memory: profile.memory.to_string(),
                    network_mode: "awsvpc".to_string(),
                    requires_compatibilities: vec!["FARGATE".to_string()],
                    runtime_platform: Some(RuntimePlatform {
                        cpu_architecture: "X86_64".to_string(),
                        operating_system_family: "LINUX".to_string(),
                    }),
                    task_role_arn: Expr::get_att(&ids::user_role(user), "Arn"),
                    volumes,
                }),
            );
        }
    }
}

/// The hub container's plain environment, sorted by name.
pub(super) fn hub_environment(
    deployment: &Deployment,
    prefix: &str,
    oauth: &OAuthSettings,
) -> Vec<KeyValuePair> {
    let hub = &deployment.hub;
    let host = deployment.dns.hub_host.as_str();
    let names = |users: &[User]| {
        users
            .iter()
            .map(|user| user.name.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    let profiles: Vec<serde_json::Value> = hub
        .profiles
        .iter()
        .map(|profile| serde_json::json!({"name": profile.name, "cpu": profile.cpu, "memory": profile.memory}))
        .collect();
    let mut families: BTreeMap<&str, BTreeMap<&str, String>> = BTreeMap::new();
    for user in hub.users() {
        for profile in &hub.profiles {
            families
                .entry(&user.name)
                .or_default()
                .insert(&profile.name, user_task_family(deployment, profile, user));
        }
    }
    let mut environment = vec![
        env("JUPYTERHUB_ADMIN_USERS", names(&hub.admins)),
        env("JUPYTERHUB_ALLOWED_USERS", names(&hub.allowed_users)),
        env("JUPYTERHUB_AWS_REGION", reference("AWS::Region")),
        env("JUPYTERHUB_ECS_CLUSTER", reference(ids::CLUSTER)),
        env(
            "JUPYTERHUB_HUB_CONNECT_URL",
            format!("http://hub.{prefix}.hub.internal:{HUB_API_PORT}"),
        ),
        env(
            "JUPYTERHUB_IDLE_TIMEOUT",
            hub.idle_timeout_seconds.to_string(),
        ),
        // Serializing plain data cannot fail.
        env(
            "JUPYTERHUB_PROFILES",
            serde_json::to_string(&profiles).expect("profiles serialize"),
        ),
        env("JUPYTERHUB_PUBLIC_URL", format!("https://{host}")),
        env(
            "JUPYTERHUB_USER_SECURITY_GROUPS",
            group_id(ids::USER_SECURITY_GROUP),
        ),
        env(
            "JUPYTERHUB_USER_SUBNETS",
            Expr::Join(
                ",".to_string(),
                Box::new(reference(parameters::PRIVATE_SUBNET_IDS)),
            ),
        ),
        env(
            "JUPYTERHUB_USER_TASK_FAMILIES",
            serde_json::to_string(&families).expect("families serialize"),
        ),
        env(
            "JUPYTERHUB_USER_TOKEN_SECRET_PREFIX",
            user_token_secret_prefix(prefix),
        ),
        env("OAUTH_AUTHORIZE_URL", oauth.authorize_url.clone()),
        env(
            "OAUTH_CALLBACK_URL",
            format!("https://{host}/hub/oauth_callback"),
        ),
        env("OAUTH_CLIENT_ID", oauth.client_id.clone()),
        env("OAUTH_SCOPES", oauth.scopes.clone()),
        env("OAUTH_TOKEN_URL", oauth.token_url.clone()),
        env("OAUTH_USERDATA_URL", oauth.userdata_url.clone()),
        env("OAUTH_USERNAME_CLAIM", oauth.username_claim.clone()),
    ];
    if let Some(logout_url) = &oauth.logout_url {
        environment.push(env("OAUTH_LOGOUT_REDIRECT_URL", logout_url.clone()));
    }
    if let Database::Postgres { .. } = hub.database {
        environment.push(env(
            "JUPYTERHUB_DB_HOST",
            Expr::get_att(ids::DATABASE, "Endpoint.Address"),
        ));
        environment.push(env("JUPYTERHUB_DB_NAME", "jupyterhub"));
        environment.push(env(
            "JUPYTERHUB_DB_PORT",
            Expr::get_att(ids::DATABASE, "Endpoint.Port"),
        ));
    }
    environment.sort_by(|a, b| a.name.cmp(&b.name));
    environment
}

pub(super) fn add_hub_service(
    template: &mut Template,
    deployment: &Deployment,
    prefix: &str,
    oauth: &OAuthSettings,
    secrets: &[(&str, Expr, Expr)],
) {
    template.add(
        ids::HUB_TASK,
        Resource::new(TaskDefinition {
            container_definitions: vec![ContainerDefinition {
                environment: hub_environment(deployment, prefix, oauth),
                essential: true,
                image: deployment.hub.hub_image.reference.clone(),
                linux_parameters: hardened_linux(),
                log_configuration: Some(log_configuration("hub")),
                mount_points: vec![
                    MountPoint {
                        container_path: "/srv/jupyterhub/data".to_string(),
                        read_only: false,
                        source_volume: "state".to_string(),
                    },
                    MountPoint {
                        container_path: "/tmp".to_string(),
                        read_only: false,
                        source_volume: "tmp".to_string(),
                    },
                ],
                name: "hub".to_string(),
                port_mappings: vec![
                    PortMapping {
                        container_port: PROXY_PORT,
                        protocol: "tcp".to_string(),
                    },
                    PortMapping {
                        container_port: HUB_API_PORT,
                        protocol: "tcp".to_string(),
                    },
                ],
                privileged: false,
                readonly_root_filesystem: true,
                secrets: secrets
                    .iter()
                    .map(|(name, value_from, _)| secret(name, value_from.clone()))
                    .collect(),
                user: format!("{HUB_UID}:{HUB_UID}"),
            }],
            cpu: "1024".to_string(),
            execution_role_arn: Expr::get_att(ids::HUB_EXECUTION_ROLE, "Arn"),
            family: format!("{prefix}-hub"),
            memory: "2048".to_string(),
            network_mode: "awsvpc".to_string(),
            requires_compatibilities: vec!["FARGATE".to_string()],
            runtime_platform: Some(RuntimePlatform {
                cpu_architecture: "X86_64".to_string(),
                operating_system_family: "LINUX".to_string(),
            }),
            task_role_arn: Expr::get_att(ids::HUB_TASK_ROLE, "Arn"),
            volumes: vec![
                efs_volume("state", ids::HUB_ACCESS_POINT),
                Volume {
                    efs_volume_configuration: None,
                    name: "tmp".to_string(),
                },
            ],
        }),
    );
    template
        .add(
            ids::HUB_SERVICE,
            Resource::new(Service {
                cluster: reference(ids::CLUSTER),
                // JupyterHub is not made to run twice against one database: at most one task,
                // the old one stopped before the new one starts.
                deployment_configuration: Some(DeploymentConfiguration {
                    deployment_circuit_breaker: DeploymentCircuitBreaker {
                        enable: true,
                        rollback: true,
                    },
                    maximum_percent: 100,
                    minimum_healthy_percent: 0,
                }),
                desired_count: 1,
                enable_execute_command: false,
                health_check_grace_period_seconds: 120,
                launch_type: "FARGATE".to_string(),
                load_balancers: vec![ServiceLoadBalancer {
                    container_name: "hub".to_string(),
                    container_port: PROXY_PORT,
                    target_group_arn: reference(ids::TARGET_GROUP),
                }],
                network_configuration: Some(NetworkConfiguration {
                    awsvpc_configuration: AwsVpcConfiguration {
                        assign_public_ip: "DISABLED".to_string(),
                        security_groups: vec![group_id(ids::HUB_SECURITY_GROUP)],
                        subnets: reference(parameters::PRIVATE_SUBNET_IDS),
                    },
                }),
                propagate_tags: "SERVICE".to_string(),
                service_registries: vec![ServiceRegistry {
                    registry_arn: Expr::get_att(ids::HUB_DISCOVERY, "Arn"),
                }],
                task_definition: reference(ids::HUB_TASK),
            }),
        )
        .depends_on(ids::HTTPS_LISTENER);
}
