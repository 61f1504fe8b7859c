//! The ECS hub's network edge: security groups (the only traffic paths), the internet-facing
//! ALB with its access-log bucket, listeners and target group, the certificate and the name.

use super::{HTTPS_PORT, HUB_API_PORT, NFS_PORT, POSTGRES_PORT, PROXY_PORT, USER_PORT};
use crate::cfn::iam::{PolicyDocument, Principal, Statement};
use crate::cfn::resources::{
    Action, Attribute, Bucket, BucketPolicy, LifecycleRule, Listener, ListenerCertificate,
    LoadBalancer, Matcher, NoncurrentVersionExpiration, RedirectConfig, SecurityGroupEgress,
    SecurityGroupIngress, SecurityGroupRule, ServerSideEncryptionByDefault,
    ServerSideEncryptionRule, TargetGroup,
};
use crate::cfn::{Expr, Resource, Template};
use crate::model::{Database, Deployment};
use crate::stacks::frame::LOG_RETENTION_DAYS;
use crate::stacks::hub::{
    certificate, group_id, ids, parameters, record, reference, security_group,
};

/// The Elastic Load Balancing account that writes access logs, for regions that predate
/// the log-delivery service principal (August 2022); newer regions use the principal.
pub(super) fn elb_log_account(region: &str) -> Option<&'static str> {
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

pub(super) fn tcp_to_cidr(description: &str, port: u16, cidr: &str) -> SecurityGroupRule {
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
pub(super) fn allow(
    template: &mut Template,
    id: &str,
    from: Expr,
    to: Expr,
    port: u16,
    description: &str,
) {
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

pub(super) fn add_security_groups(template: &mut Template, deployment: &Deployment) {
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
        ids::LOAD_BALANCER_SECURITY_GROUP,
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
        ids::HUB_SECURITY_GROUP,
        security_group("JupyterHub: proxy and hub API", Vec::new(), hub_egress),
    );
    template.add(
        ids::USER_SECURITY_GROUP,
        security_group("Single-user servers", Vec::new(), outbound()),
    );

    let (alb, hub_group, user) = (
        group_id(ids::LOAD_BALANCER_SECURITY_GROUP),
        group_id(ids::HUB_SECURITY_GROUP),
        group_id(ids::USER_SECURITY_GROUP),
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
            ids::DATABASE_SECURITY_GROUP,
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
            group_id(ids::DATABASE_SECURITY_GROUP),
            POSTGRES_PORT,
            "Hub to its database",
        );
    }
}

pub(super) fn add_load_balancer(template: &mut Template, deployment: &Deployment) {
    let hub = &deployment.hub;
    let host = deployment.dns.hub_host.as_str();
    certificate::add_certificate(template, host);
    // ALB access logs accept only SSE-S3 (not KMS) encryption.
    template
        .add(
            ids::ACCESS_LOG_BUCKET,
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
        ids::ACCESS_LOG_BUCKET_POLICY,
        Resource::new(BucketPolicy {
            bucket: reference(ids::ACCESS_LOG_BUCKET),
            policy_document: Some(PolicyDocument::new(vec![
                Statement::allow(
                    "LoadBalancerWritesAccessLogs",
                    &["s3:PutObject"],
                    vec![Expr::sub(format!(
                        "${{{}.Arn}}/AWSLogs/${{AWS::AccountId}}/*",
                        ids::ACCESS_LOG_BUCKET
                    ))],
                )
                .principal(log_writer),
                BucketPolicy::deny_insecure_transport(ids::ACCESS_LOG_BUCKET),
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
        Attribute::new("access_logs.s3.bucket", reference(ids::ACCESS_LOG_BUCKET)),
        Attribute::new("idle_timeout.timeout_seconds", "300"),
    ];
    attributes.sort_by(|a, b| a.key.cmp(&b.key));
    let alb = template.add(
        ids::LOAD_BALANCER,
        Resource::new(LoadBalancer {
            load_balancer_attributes: attributes,
            scheme: "internet-facing".to_string(),
            security_groups: vec![group_id(ids::LOAD_BALANCER_SECURITY_GROUP)],
            subnets: reference(parameters::PUBLIC_SUBNET_IDS),
            kind: "application".to_string(),
            tags: Vec::new(),
        }),
    );
    alb.depends_on(ids::ACCESS_LOG_BUCKET_POLICY);
    template.add(
        ids::TARGET_GROUP,
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
        ids::HTTPS_LISTENER,
        Resource::new(crate::cfn::resources::Listener {
            certificates: vec![ListenerCertificate {
                certificate_arn: reference(ids::CERTIFICATE),
            }],
            default_actions: vec![Action {
                kind: "forward".to_string(),
                target_group_arn: Some(reference(ids::TARGET_GROUP)),
                redirect_config: None,
            }],
            load_balancer_arn: reference(ids::LOAD_BALANCER),
            port: HTTPS_PORT,
            protocol: "HTTPS".to_string(),
            ssl_policy: Some("ELBSecurityPolicy-TLS13-1-2-2021-06".to_string()),
        }),
    );
    template.add(
        ids::HTTP_LISTENER,
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
            load_balancer_arn: reference(ids::LOAD_BALANCER),
            port: 80,
            protocol: "HTTP".to_string(),
            ssl_policy: None,
        }),
    );
    record::add_alias(
        template,
        host,
        Expr::get_att(ids::LOAD_BALANCER, "DNSName"),
        Expr::get_att(ids::LOAD_BALANCER, "CanonicalHostedZoneID"),
    );
}
