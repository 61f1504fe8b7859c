//! The hub stack on ECS Fargate: certificate, load balancer, name, JupyterHub service,
//! secrets, database, single-user task definitions, EFS access points, Cloud Map, roles.
//!
//! Traffic paths (security groups, nothing else): internet (`allowed_cidrs`) → ALB 443/80;
//! ALB → hub proxy 8000; user servers → hub API 8081; hub → user servers 8888; hub and user
//! servers → EFS 2049; hub → database 5432; hub and user servers → 443 outbound (AWS APIs,
//! image pulls, the identity provider, package installs).
//!
//! The hub container reads exactly the variables in [`HUB_ENVIRONMENT`] and
//! [`HUB_SECRETS`]; `templates/hub/jupyterhub_config.py` is the other side of that contract
//! and a test holds the two together.

use std::collections::BTreeMap;

use crate::cfn::iam::{PolicyDocument, Principal, Statement};
use crate::cfn::resources::{
    AccessPoint, AccessPointTag, Action, AdminCreateUserConfig, AliasTarget, Attribute,
    AwsVpcConfiguration, Bucket, BucketPolicy, Certificate, Cluster, ClusterSetting,
    ContainerDefinition, ContainerSecret, CreationInfo, DbInstance, DbSubnetGroup,
    DeploymentCircuitBreaker, DeploymentConfiguration, DiscoveryService, DnsConfig, DnsRecord,
    DomainValidationOption, EfsAuthorizationConfig, EfsVolumeConfiguration, GenerateSecretString,
    HealthCheckCustomConfig, InlinePolicy, KernelCapabilities, KeyValuePair, LifecycleRule,
    LinuxParameters, Listener, ListenerCertificate, LoadBalancer, LogConfiguration, LogGroup,
    Matcher, MountPoint, NetworkConfiguration, NoncurrentVersionExpiration, PasswordPolicy,
    PortMapping, PosixUser, PrivateDnsNamespace, RecordSet, RedirectConfig, Role, RootDirectory,
    RuntimePlatform, Secret, SecretTargetAttachment, SecurityGroup, SecurityGroupEgress,
    SecurityGroupIngress, SecurityGroupRule, ServerSideEncryptionByDefault,
    ServerSideEncryptionRule, Service, ServiceLoadBalancer, ServiceRegistry, TargetGroup,
    TaskDefinition, UserPool, UserPoolClient, UserPoolDomain, UserPoolPolicies, Volume,
};
use crate::cfn::{Expr, Parameter, Resource, Template};
use crate::model::{Auth, Database, Deployment, Image, Profile, User};
use crate::stacks::frame::LOG_RETENTION_DAYS;

/// Outputs other code reads.
pub mod outputs {
    /// The hub's URL.
    pub const HUB_URL: &str = "HubUrl";
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

/// Plain environment variables of the hub container (some only with some configs).
pub const HUB_ENVIRONMENT: &[&str] = &[
    "JUPYTERHUB_ADMIN_USERS",
    "JUPYTERHUB_ALLOWED_USERS",
    "JUPYTERHUB_AWS_REGION",
    "JUPYTERHUB_DB_HOST",
    "JUPYTERHUB_DB_NAME",
    "JUPYTERHUB_DB_PORT",
    "JUPYTERHUB_ECS_CLUSTER",
    "JUPYTERHUB_HUB_CONNECT_URL",
    "JUPYTERHUB_IDLE_TIMEOUT",
    "JUPYTERHUB_PROFILES",
    "JUPYTERHUB_PUBLIC_URL",
    "JUPYTERHUB_USER_SECURITY_GROUPS",
    "JUPYTERHUB_USER_SUBNETS",
    "JUPYTERHUB_USER_TASK_FAMILIES",
    "JUPYTERHUB_USER_TOKEN_SECRET_PREFIX",
    "OAUTH_AUTHORIZE_URL",
    "OAUTH_CALLBACK_URL",
    "OAUTH_CLIENT_ID",
    "OAUTH_SCOPES",
    "OAUTH_TOKEN_URL",
    "OAUTH_USERDATA_URL",
    "OAUTH_USERNAME_CLAIM",
];

/// Environment variables of the hub container filled from Secrets Manager.
pub const HUB_SECRETS: &[&str] = &[
    "JUPYTERHUB_COOKIE_SECRET",
    "JUPYTERHUB_CRYPT_KEY",
    "JUPYTERHUB_DB_PASSWORD",
    "JUPYTERHUB_DB_URL",
    "JUPYTERHUB_DB_USER",
    "JUPYTERHUB_PROXY_AUTH_TOKEN",
    "OAUTH_CLIENT_SECRET",
];

/// The hub's public proxy port (ALB target).
pub const PROXY_PORT: u16 = 8000;
/// The hub API port user servers call.
pub const HUB_API_PORT: u16 = 8081;
/// The single-user server port.
pub const USER_PORT: u16 = 8888;
const NFS_PORT: u16 = 2049;
const POSTGRES_PORT: u16 = 5432;
const HTTPS_PORT: u16 = 443;
/// The hub database's user.
const DATABASE_USER: &str = "jupyterhub";
/// The container user of the hub image (non-root).
const HUB_UID: u32 = 1000;
/// The container user of the Jupyter docker-stacks images (`jovyan`, non-root).
const NOTEBOOK_UID: u32 = 1000;
/// Its group (`users`).
const NOTEBOOK_GID: u32 = 100;

/// The Elastic Load Balancing account that writes access logs, for regions that predate
/// the log-delivery service principal (August 2022); newer regions use the principal.
fn elb_log_account(region: &str) -> Option<&'static str> {
    Some(match region {
        "us-east-1" => "127311923021",
        "us-east-2" => "033677994240",
        "us-west-1" => "027434742980",
        "us-west-2" => "797873946194",
        "af-south-1" => "098369216593",
        "ap-east-1" => "754344448648",
        "ap-southeast-3" => "589379963580",
        "ap-south-1" => "718504428378",
        "ap-northeast-3" => "383597477331",
        "ap-northeast-2" => "600734575887",
        "ap-southeast-1" => "114774131450",
        "ap-southeast-2" => "783225319266",
        "ap-northeast-1" => "582318560864",
        "ca-central-1" => "985666609251",
        "eu-central-1" => "054676820928",
        "eu-west-1" => "156460612806",
        "eu-west-2" => "652711504416",
        "eu-south-1" => "635631232127",
        "eu-west-3" => "009996457667",
        "eu-north-1" => "897822967062",
        "me-south-1" => "076674570225",
        "sa-east-1" => "507241528517",
        "us-gov-west-1" => "048591011584",
        "us-gov-east-1" => "190560391635",
        "cn-north-1" => "638102146993",
        "cn-northwest-1" => "037604701340",
        _ => return None,
    })
}

/// Letters and digits of `text`, for logical ids.
fn alphanumeric(text: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    out
}

/// `a-z0-9-` form of a user name for task definition families; the uid keeps it unique.
fn family_slug(user: &User) -> String {
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

fn user_task_logical_id(profile: &Profile, user: &User) -> String {
    format!(
        "UserTask{}{}{}",
        alphanumeric(&profile.name),
        alphanumeric(&user.name),
        user.uid
    )
}

fn user_role_logical_id(user: &User) -> String {
    format!("UserRole{}{}", alphanumeric(&user.name), user.uid)
}

/// The IAM path of the user servers' task roles: the hub may pass roles under it only.
fn user_role_path(prefix: &str) -> String {
    format!("/hubctl/{prefix}/users/")
}

/// The name prefix of the secrets that carry each user server's JupyterHub API token.
pub fn user_token_secret_prefix(prefix: &str) -> String {
    format!("hubctl/{prefix}/user-token/")
}

/// Every user token secret of this environment, as an IAM resource.
fn user_token_secrets(prefix: &str) -> Expr {
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{}*",
        user_token_secret_prefix(prefix)
    ))
}

fn user_token_logical_id(user: &User) -> String {
    format!("UserToken{}{}", alphanumeric(&user.name), user.uid)
}

fn access_point_logical_id(user: &User) -> String {
    format!("HomeAccessPoint{}{}", alphanumeric(&user.name), user.uid)
}

fn env(name: &str, value: impl Into<Expr>) -> KeyValuePair {
    KeyValuePair {
        name: name.to_string(),
        value: value.into(),
    }
}

fn secret(name: &str, value_from: Expr) -> ContainerSecret {
    ContainerSecret {
        name: name.to_string(),
        value_from,
    }
}

fn reference(name: &str) -> Expr {
    Expr::reference(name)
}

/// The hub template of an ECS environment.
pub fn template(deployment: &Deployment) -> Template {
    let name = deployment.stack_name("hub");
    let host = deployment.dns.hub_host.as_str();
    let mut template = Template::new(format!(
        "hubctl {name}: JupyterHub on ECS Fargate at https://{host}/ behind an ALB, {} user(s), {} profile(s)",
        deployment.hub.users().count(),
        deployment.hub.profiles.len()
    ));
    add_parameters(&mut template);
    let prefix = format!("{}-{}", deployment.project, deployment.env);

    add_security_groups(&mut template, deployment);
    add_load_balancer(&mut template, deployment);
    add_secrets(&mut template);
    if let Database::Postgres {
        instance_class,
        multi_az,
        engine_version,
    } = &deployment.hub.database
    {
        add_database(
            &mut template,
            deployment,
            instance_class,
            *multi_az,
            engine_version,
        );
    }
    let oauth = add_auth(&mut template, deployment, &prefix);
    let secrets = hub_secrets(deployment, &oauth);
    add_cluster(&mut template, &prefix);
    add_access_points(&mut template, deployment, &prefix);
    add_roles(&mut template, deployment, &prefix, &secrets);
    add_user_tasks(&mut template, deployment, &prefix);
    add_hub_service(&mut template, deployment, &prefix, &oauth, &secrets);

    template.output(
        outputs::HUB_URL,
        "The hub",
        Expr::from(format!("https://{host}/")),
    );
    template.output(
        "ClusterName",
        "ECS cluster of the hub and the user servers",
        reference("Cluster"),
    );
    template.output(
        "LogGroupName",
        "Log group of the hub and the user servers",
        reference("LogGroup"),
    );
    template
}

fn add_parameters(template: &mut Template) {
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
    key.allowed_pattern =
        Some("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-f0-9-]+$".to_string());
    template.parameter(KMS_KEY_ARN, key);
    template.parameter(
        HOSTED_ZONE_ID,
        upstream(
            "AWS::Route53::HostedZone::Id",
            "From the dns stack: the subzone",
        ),
    );
}

/// A security group whose inline rules are only to CIDRs (or none: the placeholder that
/// removes AWS's default allow-all egress); rules between groups are separate resources, so
/// groups can refer to each other without a dependency cycle.
fn security_group(
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

fn tcp_to_cidr(description: &str, port: u16, cidr: &str) -> SecurityGroupRule {
    SecurityGroupRule {
        description: description.to_string(),
        ip_protocol: "tcp".to_string(),
        from_port: Some(port),
        to_port: Some(port),
        cidr_ip: Some(cidr.into()),
        ..SecurityGroupRule::default()
    }
}

/// `from` may open TCP `port` to `to`: an egress rule on `from` and an ingress rule on `to`.
fn allow(template: &mut Template, id: &str, from: Expr, to: Expr, port: u16, description: &str) {
    template.add(
        &format!("{id}Egress"),
        Resource::new(SecurityGroupEgress {
            description: description.to_string(),
            group_id: Some(from.clone()),
            ip_protocol: "tcp".to_string(),
            from_port: port,
            to_port: port,
            destination_security_group_id: Some(to.clone()),
            cidr_ip: None,
        }),
    );
    template.add(
        &format!("{id}Ingress"),
        Resource::new(SecurityGroupIngress {
            description: description.to_string(),
            group_id: Some(to),
            ip_protocol: "tcp".to_string(),
            from_port: port,
            to_port: port,
            source_security_group_id: Some(from),
            cidr_ip: None,
        }),
    );
}

fn group_id(logical_id: &str) -> Expr {
    Expr::get_att(logical_id, "GroupId")
}

fn add_security_groups(template: &mut Template, deployment: &Deployment) {
    let hub = &deployment.hub;
    let mut alb_ingress = Vec::new();
    for cidr in &hub.allowed_cidrs {
        let cidr_text = cidr.to_string();
        alb_ingress.push(tcp_to_cidr(
            &format!("HTTPS from {cidr_text}"),
            HTTPS_PORT,
            &cidr_text,
        ));
        alb_ingress.push(tcp_to_cidr(
            &format!("HTTP from {cidr_text}, redirected to HTTPS"),
            80,
            &cidr_text,
        ));
    }
    let alb = template.add(
        "LoadBalancerSecurityGroup",
        security_group(
            "Hub load balancer: HTTPS and HTTP from hub.allowed_cidrs",
            alb_ingress,
            Vec::new(),
        ),
    );
    if hub.allowed_cidrs.iter().any(|cidr| cidr.prefix == 0) {
        alb.skip_checkov(
            "CKV_AWS_260",
            "hub.allowed_cidrs opens the hub to the internet, as written in the config",
        );
    }
    let outbound = || {
        vec![tcp_to_cidr(
            "HTTPS to AWS APIs, image registries and the identity provider",
            HTTPS_PORT,
            "0.0.0.0/0",
        )]
    };
    let mut hub_egress = outbound();
    if matches!(hub.database, Database::External { .. }) {
        hub_egress.push(tcp_to_cidr(
            "PostgreSQL to the external hub database",
            POSTGRES_PORT,
            "0.0.0.0/0",
        ));
    }
    template.add(
        "HubSecurityGroup",
        security_group("JupyterHub: proxy and hub API", Vec::new(), hub_egress),
    );
    template.add(
        "UserSecurityGroup",
        security_group("Single-user servers", Vec::new(), outbound()),
    );

    let (alb, hub_group, user) = (
        group_id("LoadBalancerSecurityGroup"),
        group_id("HubSecurityGroup"),
        group_id("UserSecurityGroup"),
    );
    let efs = reference(parameters::FILE_SYSTEM_SECURITY_GROUP_ID);
    allow(
        template,
        "LoadBalancerToHubProxy",
        alb,
        hub_group.clone(),
        PROXY_PORT,
        "ALB to the hub proxy",
    );
    allow(
        template,
        "UserToHubApi",
        user.clone(),
        hub_group.clone(),
        HUB_API_PORT,
        "User servers to the hub API",
    );
    allow(
        template,
        "HubToUser",
        hub_group.clone(),
        user.clone(),
        USER_PORT,
        "Hub proxy to user servers",
    );
    allow(
        template,
        "HubToFileSystem",
        hub_group.clone(),
        efs.clone(),
        NFS_PORT,
        "Hub to EFS (NFS)",
    );
    allow(
        template,
        "UserToFileSystem",
        user,
        efs,
        NFS_PORT,
        "User servers to EFS (NFS)",
    );
    if matches!(hub.database, Database::Postgres { .. }) {
        template.add(
            "DatabaseSecurityGroup",
            security_group(
                "Hub database: PostgreSQL from the hub only",
                Vec::new(),
                Vec::new(),
            ),
        );
        allow(
            template,
            "HubToDatabase",
            hub_group,
            group_id("DatabaseSecurityGroup"),
            POSTGRES_PORT,
            "Hub to its database",
        );
    }
}

fn add_load_balancer(template: &mut Template, deployment: &Deployment) {
    let hub = &deployment.hub;
    let host = deployment.dns.hub_host.as_str();
    template.add(
        "Certificate",
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

    // ALB access logs accept only SSE-S3 (not KMS) encryption.
    template
        .add(
            "AccessLogBucket",
            Resource::new(Bucket::private(
                ServerSideEncryptionRule {
                    bucket_key_enabled: None,
                    server_side_encryption_by_default: ServerSideEncryptionByDefault {
                        kms_master_key_id: None,
                        sse_algorithm: "AES256".to_string(),
                    },
                },
                LifecycleRule {
                    id: "ExpireAccessLogs".to_string(),
                    status: "Enabled".to_string(),
                    expiration_in_days: LOG_RETENTION_DAYS,
                    noncurrent_version_expiration: NoncurrentVersionExpiration {
                        noncurrent_days: 30,
                    },
                },
                true,
            )),
        )
        .keep_on_delete(true)
        .skip_checkov(
            "CKV_AWS_18",
            "this bucket receives the ALB's access logs; logging it would recurse",
        );
    let log_writer = match elb_log_account(&deployment.region) {
        Some(account) => Principal::aws(vec![Expr::sub(format!(
            "arn:${{AWS::Partition}}:iam::{account}:root"
        ))]),
        None => Principal::service("logdelivery.elasticloadbalancing.amazonaws.com"),
    };
    template.add(
        "AccessLogBucketPolicy",
        Resource::new(BucketPolicy {
            bucket: reference("AccessLogBucket"),
            policy_document: Some(PolicyDocument::new(vec![
                Statement::allow(
                    "LoadBalancerWritesAccessLogs",
                    &["s3:PutObject"],
                    vec![Expr::sub(
                        "${AccessLogBucket.Arn}/AWSLogs/${AWS::AccountId}/*",
                    )],
                )
                .principal(log_writer),
                BucketPolicy::deny_insecure_transport("AccessLogBucket"),
            ])),
        }),
    );

    let mut attributes = vec![
        Attribute::new("routing.http.drop_invalid_header_fields.enabled", "true"),
        Attribute::new(
            "deletion_protection.enabled",
            hub.deletion_protection.to_string(),
        ),
        Attribute::new("access_logs.s3.enabled", "true"),
        Attribute::new("access_logs.s3.bucket", reference("AccessLogBucket")),
        Attribute::new("idle_timeout.timeout_seconds", "300"),
    ];
    attributes.sort_by(|a, b| a.key.cmp(&b.key));
    let alb = template.add(
        "LoadBalancer",
        Resource::new(LoadBalancer {
            load_balancer_attributes: attributes,
            scheme: "internet-facing".to_string(),
            security_groups: vec![group_id("LoadBalancerSecurityGroup")],
            subnets: reference(parameters::PUBLIC_SUBNET_IDS),
            kind: "application".to_string(),
            tags: Vec::new(),
        }),
    );
    alb.depends_on("AccessLogBucketPolicy");
    template.add(
        "TargetGroup",
        Resource::new(TargetGroup {
            health_check_path: "/hub/health".to_string(),
            matcher: Some(Matcher {
                http_code: "200".to_string(),
            }),
            port: PROXY_PORT,
            protocol: "HTTP".to_string(),
            target_group_attributes: vec![Attribute::new(
                "deregistration_delay.timeout_seconds",
                "30",
            )],
            target_type: "ip".to_string(),
            vpc_id: reference(parameters::VPC_ID),
        }),
    );
    template.add(
        "HttpsListener",
        Resource::new(crate::cfn::resources::Listener {
            certificates: vec![ListenerCertificate {
                certificate_arn: reference("Certificate"),
            }],
            default_actions: vec![Action {
                kind: "forward".to_string(),
                target_group_arn: Some(reference("TargetGroup")),
                redirect_config: None,
            }],
            load_balancer_arn: reference("LoadBalancer"),
            port: HTTPS_PORT,
            protocol: "HTTPS".to_string(),
            ssl_policy: Some("ELBSecurityPolicy-TLS13-1-2-2021-06".to_string()),
        }),
    );
    template.add(
        "HttpListener",
        Resource::new(Listener {
            certificates: Vec::new(),
            default_actions: vec![Action {
                kind: "redirect".to_string(),
                target_group_arn: None,
                redirect_config: Some(RedirectConfig {
                    protocol: "HTTPS".to_string(),
                    port: HTTPS_PORT.to_string(),
                    status_code: "HTTP_301".to_string(),
                }),
            }],
            load_balancer_arn: reference("LoadBalancer"),
            port: 80,
            protocol: "HTTP".to_string(),
            ssl_policy: None,
        }),
    );
    template.add(
        "HubRecord",
        Resource::new(RecordSet {
            alias_target: Some(AliasTarget {
                dns_name: Expr::get_att("LoadBalancer", "DNSName"),
                evaluate_target_health: true,
                hosted_zone_id: Expr::get_att("LoadBalancer", "CanonicalHostedZoneID"),
            }),
            hosted_zone_id: reference(parameters::HOSTED_ZONE_ID),
            name: host.to_string(),
            kind: "A".to_string(),
        }),
    );
}

fn generated_secret(description: &str, hex: bool) -> Resource {
    Resource::new(Secret {
        description: description.to_string(),
        name: None,
        generate_secret_string: Some(GenerateSecretString {
            exclude_characters: hex.then(|| "ghijklmnopqrstuvwxyz".to_string()),
            exclude_punctuation: true,
            exclude_uppercase: hex,
            include_space: false,
            password_length: 64,
            ..GenerateSecretString::default()
        }),
        kms_key_id: reference(parameters::KMS_KEY_ARN),
        secret_string: None,
    })
}

fn add_secrets(template: &mut Template) {
    for (id, description, hex) in [
        (
            "CookieSecret",
            "JupyterHub cookie secret (32 random bytes, hex)",
            true,
        ),
        (
            "ProxyAuthToken",
            "Token between JupyterHub and its proxy",
            false,
        ),
        (
            "CryptKey",
            "JupyterHub auth-state encryption key (32 random bytes, hex)",
            true,
        ),
    ] {
        template.add(id, generated_secret(description, hex));
    }
}

fn add_database(
    template: &mut Template,
    deployment: &Deployment,
    instance_class: &str,
    multi_az: bool,
    engine_version: &str,
) {
    template.add(
        "DatabaseSecret",
        Resource::new(Secret {
            description: "Hub database user and password (not rotated: the hub reads it at start)"
                .to_string(),
            name: None,
            generate_secret_string: Some(GenerateSecretString {
                exclude_characters: Some("\"@/\\ '%:?#[]".to_string()),
                exclude_punctuation: false,
                exclude_uppercase: false,
                generate_string_key: Some("password".to_string()),
                include_space: false,
                password_length: 40,
                secret_string_template: Some(format!("{{\"username\":\"{DATABASE_USER}\"}}")),
            }),
            kms_key_id: reference(parameters::KMS_KEY_ARN),
            secret_string: None,
        }),
    );
    template.add(
        "DatabaseSecretAttachment",
        Resource::new(SecretTargetAttachment {
            secret_id: reference("DatabaseSecret"),
            target_id: reference("Database"),
            target_type: "AWS::RDS::DBInstance".to_string(),
        }),
    );
    template.add(
        "DatabaseSubnetGroup",
        Resource::new(DbSubnetGroup {
            description: "Hub database: the private subnets".to_string(),
            subnet_ids: reference(parameters::PRIVATE_SUBNET_IDS),
        }),
    );
    let monitoring_trust = PolicyDocument::new(vec![Statement::allow(
        "RdsMonitoring",
        &["sts:AssumeRole"],
        vec![],
    )
    .principal(Principal::service("monitoring.rds.amazonaws.com"))
    .when(
        "StringEquals",
        "aws:SourceAccount",
        reference("AWS::AccountId"),
    )]);
    template.add(
        "DatabaseMonitoringRole",
        Resource::new(Role {
            assume_role_policy_document: Some(monitoring_trust),
            description: "RDS enhanced monitoring of the hub database".to_string(),
            managed_policy_arns: vec![Expr::sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
            )],
            ..Role::default()
        }),
    );
    let database = template.add(
        "Database",
        Resource::new(DbInstance {
            allocated_storage: "20".to_string(),
            auto_minor_version_upgrade: true,
            backup_retention_period: 7,
            copy_tags_to_snapshot: true,
            db_instance_class: instance_class.to_string(),
            db_name: "jupyterhub".to_string(),
            db_subnet_group_name: reference("DatabaseSubnetGroup"),
            deletion_protection: deployment.hub.deletion_protection,
            enable_cloudwatch_logs_exports: vec!["postgresql".to_string(), "upgrade".to_string()],
            enable_iam_database_authentication: true,
            enable_performance_insights: true,
            engine: "postgres".to_string(),
            engine_version: engine_version.to_string(),
            kms_key_id: reference(parameters::KMS_KEY_ARN),
            // From the stack's own secret (not RDS's managed one: RDS rotates that every 7
            // days, and ECS reads secrets only when the hub starts).
            master_user_password: Expr::sub(
                "{{resolve:secretsmanager:${DatabaseSecret}:SecretString:password}}",
            ),
            master_username: DATABASE_USER.to_string(),
            max_allocated_storage: 100,
            multi_az,
            monitoring_interval: 60,
            monitoring_role_arn: Expr::get_att("DatabaseMonitoringRole", "Arn"),
            performance_insights_kms_key_id: reference(parameters::KMS_KEY_ARN),
            publicly_accessible: false,
            storage_encrypted: true,
            storage_type: "gp3".to_string(),
            vpc_security_groups: vec![group_id("DatabaseSecurityGroup")],
        }),
    );
    database.deletion_policy = Some(crate::cfn::template::Policy::Snapshot);
    database.update_replace_policy = Some(crate::cfn::template::Policy::Snapshot);
    if !multi_az {
        database.skip_checkov(
            "CKV_AWS_157",
            "hub.database.multi_az is false: one hub, one instance; set it for a standby",
        );
    }
}

/// The OAuth settings the hub container gets: (authorize, token, userdata, client id,
/// client secret `valueFrom`, scopes, username claim).
struct OAuthSettings {
    authorize_url: Expr,
    token_url: Expr,
    userdata_url: Expr,
    client_id: Expr,
    client_secret: Expr,
    scopes: String,
    username_claim: String,
}

fn add_auth(template: &mut Template, deployment: &Deployment, prefix: &str) -> OAuthSettings {
    let host = deployment.dns.hub_host.as_str();
    match &deployment.hub.auth {
        Auth::OAuth(provider) => OAuthSettings {
            authorize_url: provider.authorize_url.clone().into(),
            token_url: provider.token_url.clone().into(),
            userdata_url: provider.userdata_url.clone().into(),
            client_id: provider.client_id.clone().into(),
            client_secret: provider.client_secret_arn.clone().into(),
            scopes: provider.scopes.join(" "),
            username_claim: provider.username_claim.clone(),
        },
        Auth::Cognito { existing } => {
            let (pool_id, domain) = match existing {
                Some(pool) => (
                    Expr::from(pool.user_pool_id.as_str()),
                    Expr::from(pool.domain.as_str()),
                ),
                None => {
                    template.add(
                        "UserPool",
                        Resource::new(UserPool {
                            admin_create_user_config: Some(AdminCreateUserConfig {
                                allow_admin_create_user_only: true,
                            }),
                            auto_verified_attributes: vec!["email".to_string()],
                            deletion_protection: if deployment.hub.deletion_protection {
                                "ACTIVE"
                            } else {
                                "INACTIVE"
                            }
                            .to_string(),
                            enabled_mfas: vec!["SOFTWARE_TOKEN_MFA".to_string()],
                            mfa_configuration: "OPTIONAL".to_string(),
                            policies: Some(UserPoolPolicies {
                                password_policy: PasswordPolicy {
                                    minimum_length: 12,
                                    require_lowercase: true,
                                    require_numbers: true,
                                    require_symbols: false,
                                    require_uppercase: true,
                                    temporary_password_validity_days: 7,
                                },
                            }),
                            user_pool_name: format!("{prefix}-hub"),
                        }),
                    );
                    let domain_prefix = format!("{prefix}-${{AWS::AccountId}}");
                    template.add(
                        "UserPoolDomain",
                        Resource::new(UserPoolDomain {
                            domain: Expr::sub(domain_prefix.clone()),
                            user_pool_id: reference("UserPool"),
                        }),
                    );
                    template.output(
                        "UserPoolId",
                        "Cognito user pool: create the hub's users here",
                        reference("UserPool"),
                    );
                    (
                        reference("UserPool"),
                        Expr::sub(format!(
                            "{domain_prefix}.auth.${{AWS::Region}}.amazoncognito.com"
                        )),
                    )
                }
            };
            template.add(
                "UserPoolClient",
                Resource::new(UserPoolClient {
                    allowed_o_auth_flows: vec!["code".to_string()],
                    allowed_o_auth_flows_user_pool_client: true,
                    allowed_o_auth_scopes: vec![
                        "email".to_string(),
                        "openid".to_string(),
                        "profile".to_string(),
                    ],
                    callback_urls: vec![format!("https://{host}/hub/oauth_callback")],
                    client_name: format!("{prefix}-hub"),
                    enable_token_revocation: true,
                    generate_secret: true,
                    logout_urls: vec![format!("https://{host}/hub/login")],
                    prevent_user_existence_errors: "ENABLED".to_string(),
                    supported_identity_providers: vec!["COGNITO".to_string()],
                    user_pool_id: pool_id,
                }),
            );
            // The client secret goes from Cognito into Secrets Manager inside CloudFormation;
            // the template only names the attribute, never the value.
            template.add(
                "OAuthClientSecret",
                Resource::new(Secret {
                    description: "Cognito app client secret of the hub".to_string(),
                    name: None,
                    generate_secret_string: None,
                    kms_key_id: reference(parameters::KMS_KEY_ARN),
                    secret_string: Some(Expr::get_att("UserPoolClient", "ClientSecret")),
                }),
            );
            let url = |path: &str| match &domain {
                Expr::Str(domain) => Expr::from(format!("https://{domain}{path}")),
                Expr::Sub(domain) => Expr::sub(format!("https://{domain}{path}")),
                other => other.clone(),
            };
            OAuthSettings {
                authorize_url: url("/oauth2/authorize"),
                token_url: url("/oauth2/token"),
                userdata_url: url("/oauth2/userInfo"),
                client_id: reference("UserPoolClient"),
                client_secret: reference("OAuthClientSecret"),
                scopes: "openid email profile".to_string(),
                username_claim: "username".to_string(),
            }
        }
    }
}

fn add_cluster(template: &mut Template, prefix: &str) {
    template.add(
        "Cluster",
        Resource::new(Cluster {
            cluster_settings: vec![ClusterSetting {
                name: "containerInsights".to_string(),
                value: "enabled".to_string(),
            }],
            tags: Vec::new(),
        }),
    );
    template.add(
        "LogGroup",
        Resource::new(LogGroup {
            kms_key_id: Some(reference(parameters::KMS_KEY_ARN)),
            log_group_name: Some(format!("/hubctl/{prefix}/hub").into()),
            retention_in_days: LOG_RETENTION_DAYS,
            tags: Vec::new(),
        }),
    );
    template.add(
        "Namespace",
        Resource::new(PrivateDnsNamespace {
            description: "User servers find the hub API here".to_string(),
            name: format!("{prefix}.hub.internal"),
            vpc: reference(parameters::VPC_ID),
        }),
    );
    template.add(
        "HubDiscovery",
        Resource::new(DiscoveryService {
            description: "The hub's API address".to_string(),
            dns_config: Some(DnsConfig {
                dns_records: vec![DnsRecord {
                    ttl: 10,
                    kind: "A".to_string(),
                }],
                namespace_id: Expr::get_att("Namespace", "Id"),
                routing_policy: "MULTIVALUE".to_string(),
            }),
            health_check_custom_config: Some(HealthCheckCustomConfig {
                failure_threshold: 1,
            }),
            name: "hub".to_string(),
        }),
    );
}

fn access_point(prefix: &str, path: &str, (uid, gid): (u32, u32), owner: &str) -> Resource {
    let (uid, gid) = (uid.to_string(), gid.to_string());
    Resource::new(AccessPoint {
        access_point_tags: vec![AccessPointTag {
            key: "Name".to_string(),
            value: format!("{prefix}-{owner}"),
        }],
        file_system_id: reference(parameters::FILE_SYSTEM_ID),
        posix_user: Some(PosixUser {
            gid: gid.clone(),
            uid: uid.clone(),
        }),
        root_directory: Some(RootDirectory {
            creation_info: CreationInfo {
                owner_gid: gid,
                owner_uid: uid,
                permissions: "0750".to_string(),
            },
            path: path.to_string(),
        }),
    })
}

fn add_access_points(template: &mut Template, deployment: &Deployment, prefix: &str) {
    template.add(
        "HubAccessPoint",
        access_point(prefix, "/hub", (HUB_UID, HUB_UID), "hub"),
    );
    // Every home belongs to the notebook image's user (jovyan, 1000:100), so files, git and
    // ssh see the owner they expect; homes are kept apart by their root directory and by
    // each user's task role, which may mount only that user's access point.
    for user in deployment.hub.users() {
        template.add(
            &access_point_logical_id(user),
            access_point(
                prefix,
                &format!("/home/{}", user.name),
                (NOTEBOOK_UID, NOTEBOOK_GID),
                &user.name,
            ),
        );
    }
}

fn ecs_tasks_trust() -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow(
        "EcsTasksOfThisAccount",
        &["sts:AssumeRole"],
        vec![],
    )
    .principal(Principal::service("ecs-tasks.amazonaws.com"))
    .when(
        "StringEquals",
        "aws:SourceAccount",
        reference("AWS::AccountId"),
    )])
}

fn role(description: &str, policy_name: &str, statements: Vec<Statement>) -> Resource {
    Resource::new(Role {
        assume_role_policy_document: Some(ecs_tasks_trust()),
        description: description.to_string(),
        policies: vec![InlinePolicy {
            policy_name: policy_name.to_string(),
            policy_document: PolicyDocument::new(statements),
        }],
        ..Role::default()
    })
}

/// Pull permissions for `images`: the token call (no resource-level permission exists) and
/// reads of exactly the ECR repositories named; public registries need none.
fn image_pull_statements(images: &[&Image]) -> Vec<Statement> {
    let mut repositories: Vec<Expr> = images
        .iter()
        .filter_map(|image| image.ecr.as_ref())
        .map(|(account, region, repository)| {
            Expr::sub(format!(
                "arn:${{AWS::Partition}}:ecr:{region}:{account}:repository/{repository}"
            ))
        })
        .collect();
    repositories.dedup();
    if repositories.is_empty() {
        return Vec::new();
    }
    vec![
        Statement::allow("EcrToken", &["ecr:GetAuthorizationToken"], vec!["*".into()]),
        Statement::allow(
            "PullImages",
            &[
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
            ],
            repositories,
        ),
    ]
}

fn write_logs() -> Statement {
    Statement::allow(
        "WriteLogs",
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        vec![Expr::sub("${LogGroup.Arn}"), Expr::sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${LogGroup}:log-stream:*")],
    )
}

fn file_system_arn() -> Expr {
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:elasticfilesystem:${{AWS::Region}}:${{AWS::AccountId}}:file-system/${{{}}}",
        parameters::FILE_SYSTEM_ID
    ))
}

/// The secrets the hub container reads, as (variable, `valueFrom`, secret ARN for IAM).
fn hub_secrets(deployment: &Deployment, oauth: &OAuthSettings) -> Vec<(&'static str, Expr, Expr)> {
    let mut secrets = vec![
        (
            "JUPYTERHUB_COOKIE_SECRET",
            reference("CookieSecret"),
            reference("CookieSecret"),
        ),
        (
            "JUPYTERHUB_CRYPT_KEY",
            reference("CryptKey"),
            reference("CryptKey"),
        ),
        (
            "JUPYTERHUB_PROXY_AUTH_TOKEN",
            reference("ProxyAuthToken"),
            reference("ProxyAuthToken"),
        ),
        (
            "OAUTH_CLIENT_SECRET",
            oauth.client_secret.clone(),
            oauth.client_secret.clone(),
        ),
    ];
    match &deployment.hub.database {
        Database::Postgres { .. } => {
            let secret_arn = reference("DatabaseSecret");
            secrets.push((
                "JUPYTERHUB_DB_USER",
                Expr::sub("${DatabaseSecret}:username::"),
                secret_arn.clone(),
            ));
            secrets.push((
                "JUPYTERHUB_DB_PASSWORD",
                Expr::sub("${DatabaseSecret}:password::"),
                secret_arn,
            ));
        }
        Database::External { url_secret_arn } => {
            secrets.push((
                "JUPYTERHUB_DB_URL",
                url_secret_arn.clone().into(),
                url_secret_arn.clone().into(),
            ));
        }
    }
    secrets.sort_by(|a, b| a.0.cmp(b.0));
    secrets
}

fn add_roles(
    template: &mut Template,
    deployment: &Deployment,
    prefix: &str,
    secrets: &[(&str, Expr, Expr)],
) {
    let hub = &deployment.hub;

    // Execution roles: what ECS itself needs to start the containers.
    let mut hub_execution = image_pull_statements(&[&hub.hub_image]);
    hub_execution.push(write_logs());
    let mut secret_arns: Vec<Expr> = Vec::new();
    for (_, _, arn) in secrets {
        if !secret_arns.contains(arn) {
            secret_arns.push(arn.clone());
        }
    }
    hub_execution.push(Statement::allow(
        "ReadHubSecrets",
        &["secretsmanager:GetSecretValue"],
        secret_arns,
    ));
    hub_execution.push(
        Statement::allow(
            "DecryptHubSecrets",
            &["kms:Decrypt"],
            vec![reference(parameters::KMS_KEY_ARN)],
        )
        .when(
            "StringEquals",
            "kms:ViaService",
            Expr::sub("secretsmanager.${AWS::Region}.amazonaws.com"),
        ),
    );
    // Secrets named in the config may be encrypted with any key of the account (the
    // `aws/secretsmanager` key needs no grant here, a customer-managed one does): decrypt
    // through Secrets Manager, and only for exactly those secrets.
    let configured: Vec<&str> = secrets
        .iter()
        .filter_map(|(_, _, arn)| arn.as_literal())
        .collect();
    if !configured.is_empty() {
        let mut arns = configured;
        arns.sort_unstable();
        arns.dedup();
        hub_execution.push(
            Statement::allow(
                "DecryptConfiguredSecrets",
                &["kms:Decrypt"],
                vec![Expr::sub(
                    "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*",
                )],
            )
            .when(
                "StringEquals",
                "kms:ViaService",
                Expr::sub("secretsmanager.${AWS::Region}.amazonaws.com"),
            )
            .when(
                "StringEquals",
                "kms:EncryptionContext:SecretARN",
                Expr::strings(&arns),
            ),
        );
    }
    template.add(
        "HubExecutionRole",
        role(
            "Starts the hub: pulls its image, writes logs, reads its secrets",
            "StartHub",
            hub_execution,
        ),
    );
    let user_images: Vec<&Image> = hub.profiles.iter().map(|profile| &profile.image).collect();
    let mut user_execution = image_pull_statements(&user_images);
    user_execution.push(write_logs());
    user_execution.push(Statement::allow(
        "ReadUserTokens",
        &["secretsmanager:GetSecretValue"],
        vec![user_token_secrets(prefix)],
    ));
    user_execution.push(
        Statement::allow(
            "DecryptUserTokens",
            &["kms:Decrypt"],
            vec![reference(parameters::KMS_KEY_ARN)],
        )
        .when(
            "StringEquals",
            "kms:ViaService",
            Expr::sub("secretsmanager.${AWS::Region}.amazonaws.com"),
        ),
    );
    template.add(
        "UserExecutionRole",
        role(
            "Starts single-user servers: pulls images, writes logs",
            "StartUserServers",
            user_execution,
        ),
    );

    // Task roles: what the running containers may do.
    let cluster_arn = Expr::get_att("Cluster", "Arn");
    let hub_task = vec![
        Statement::allow(
            "RunUserServersInThisCluster",
            &["ecs:RunTask"],
            vec![Expr::sub(format!(
                "arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:task-definition/{prefix}-user-*"
            ))],
        )
        .when("ArnEquals", "ecs:cluster", cluster_arn.clone()),
        Statement::allow(
            "ManageUserServersInThisCluster",
            &["ecs:DescribeTasks", "ecs:StopTask"],
            vec![Expr::sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/${Cluster}/*")],
        )
        .when("ArnEquals", "ecs:cluster", cluster_arn),
        Statement::allow(
            "PassOnlyUserServerRoles",
            &["iam:PassRole"],
            vec![
                Expr::sub(format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role{}*", user_role_path(prefix))),
                Expr::get_att("UserExecutionRole", "Arn"),
            ],
        )
        .when("StringEquals", "iam:PassedToService", "ecs-tasks.amazonaws.com".into()),
        Statement::allow("HandUserServersTheirTokens", &["secretsmanager:PutSecretValue"], vec![user_token_secrets(prefix)]),
        Statement::allow("EncryptUserServerTokens", &["kms:Decrypt", "kms:GenerateDataKey"], vec![reference(parameters::KMS_KEY_ARN)])
            .when("StringEquals", "kms:ViaService", Expr::sub("secretsmanager.${AWS::Region}.amazonaws.com")),
        Statement::allow(
            "MountHubState",
            &["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            vec![file_system_arn()],
        )
        .when("StringEquals", "elasticfilesystem:AccessPointArn", Expr::get_att("HubAccessPoint", "Arn")),
    ];
    template.add(
        "HubTaskRole",
        role(
            "The hub: starts, watches and stops user servers in its cluster",
            "SpawnUserServers",
            hub_task,
        ),
    );

    // One task role per user: it may mount that user's home and nothing else, so a user
    // server's credentials (which the user can read) open no one else's files.
    for user in hub.users() {
        let statement = Statement::allow(
            "MountOwnHome",
            &[
                "elasticfilesystem:ClientMount",
                "elasticfilesystem:ClientWrite",
            ],
            vec![file_system_arn()],
        )
        .when(
            "StringEquals",
            "elasticfilesystem:AccessPointArn",
            Expr::get_att(&access_point_logical_id(user), "Arn"),
        );
        template.add(
            &user_role_logical_id(user),
            Resource::new(Role {
                assume_role_policy_document: Some(ecs_tasks_trust()),
                description: format!(
                    "The server of {}: mounts their home and nothing else",
                    user.name
                ),
                path: Some(user_role_path(prefix)),
                policies: vec![InlinePolicy {
                    policy_name: "MountOwnHome".to_string(),
                    policy_document: PolicyDocument::new(vec![statement]),
                }],
                ..Role::default()
            }),
        );
    }
}

fn log_configuration(stream_prefix: &str) -> LogConfiguration {
    let mut options = BTreeMap::new();
    options.insert("awslogs-group".to_string(), reference("LogGroup"));
    options.insert("awslogs-region".to_string(), reference("AWS::Region"));
    options.insert("awslogs-stream-prefix".to_string(), stream_prefix.into());
    LogConfiguration {
        log_driver: "awslogs".to_string(),
        options,
    }
}

fn efs_volume(name: &str, access_point: &str) -> Volume {
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

fn hardened_linux() -> Option<LinuxParameters> {
    Some(LinuxParameters {
        capabilities: KernelCapabilities {
            drop: vec!["ALL".to_string()],
        },
        init_process_enabled: true,
    })
}

fn add_user_tasks(template: &mut Template, deployment: &Deployment, prefix: &str) {
    for user in deployment.hub.users() {
        template.add(
            &user_token_logical_id(user),
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
            template.add(
                &user_task_logical_id(profile, user),
                Resource::new(TaskDefinition {
                    container_definitions: vec![ContainerDefinition {
                        environment: Vec::new(),
                        essential: true,
                        image: profile.image.reference.clone(),
                        linux_parameters: hardened_linux(),
                        log_configuration: Some(log_configuration("user")),
                        mount_points: vec![MountPoint {
                            container_path: "/home/jovyan".to_string(),
                            read_only: false,
                            source_volume: "home".to_string(),
                        }],
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
                            .map(|name| secret(name, reference(&user_token_logical_id(user))))
                            .collect(),
                        user: format!("{NOTEBOOK_UID}:{NOTEBOOK_GID}"),
                    }],
                    cpu: profile.cpu.to_string(),
                    execution_role_arn: Expr::get_att("UserExecutionRole", "Arn"),
                    family: user_task_family(deployment, profile, user),
                    memory: profile.memory.to_string(),
                    network_mode: "awsvpc".to_string(),
                    requires_compatibilities: vec!["FARGATE".to_string()],
                    runtime_platform: Some(RuntimePlatform {
                        cpu_architecture: "X86_64".to_string(),
                        operating_system_family: "LINUX".to_string(),
                    }),
                    task_role_arn: Expr::get_att(&user_role_logical_id(user), "Arn"),
                    volumes: vec![efs_volume("home", &access_point_logical_id(user))],
                }),
            );
        }
    }
}

/// The hub container's plain environment, sorted by name.
fn hub_environment(
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
        env("JUPYTERHUB_ECS_CLUSTER", reference("Cluster")),
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
            group_id("UserSecurityGroup"),
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
    if let Database::Postgres { .. } = hub.database {
        environment.push(env(
            "JUPYTERHUB_DB_HOST",
            Expr::get_att("Database", "Endpoint.Address"),
        ));
        environment.push(env("JUPYTERHUB_DB_NAME", "jupyterhub"));
        environment.push(env(
            "JUPYTERHUB_DB_PORT",
            Expr::get_att("Database", "Endpoint.Port"),
        ));
    }
    environment.sort_by(|a, b| a.name.cmp(&b.name));
    environment
}

fn add_hub_service(
    template: &mut Template,
    deployment: &Deployment,
    prefix: &str,
    oauth: &OAuthSettings,
    secrets: &[(&str, Expr, Expr)],
) {
    template.add(
        "HubTask",
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
            execution_role_arn: Expr::get_att("HubExecutionRole", "Arn"),
            family: format!("{prefix}-hub"),
            memory: "2048".to_string(),
            network_mode: "awsvpc".to_string(),
            requires_compatibilities: vec!["FARGATE".to_string()],
            runtime_platform: Some(RuntimePlatform {
                cpu_architecture: "X86_64".to_string(),
                operating_system_family: "LINUX".to_string(),
            }),
            task_role_arn: Expr::get_att("HubTaskRole", "Arn"),
            volumes: vec![
                efs_volume("state", "HubAccessPoint"),
                Volume {
                    efs_volume_configuration: None,
                    name: "tmp".to_string(),
                },
            ],
        }),
    );
    template
        .add(
            "HubService",
            Resource::new(Service {
                cluster: reference("Cluster"),
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
                    target_group_arn: reference("TargetGroup"),
                }],
                network_configuration: Some(NetworkConfiguration {
                    awsvpc_configuration: AwsVpcConfiguration {
                        assign_public_ip: "DISABLED".to_string(),
                        security_groups: vec![group_id("HubSecurityGroup")],
                        subnets: reference(parameters::PRIVATE_SUBNET_IDS),
                    },
                }),
                propagate_tags: "SERVICE".to_string(),
                service_registries: vec![ServiceRegistry {
                    registry_arn: Expr::get_att("HubDiscovery", "Arn"),
                }],
                task_definition: reference("HubTask"),
            }),
        )
        .depends_on("HttpsListener");
}
