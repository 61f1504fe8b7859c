//! The hub database, when the stack makes it: RDS PostgreSQL in the private subnets,
//! encrypted with the environment's key, its password generated into the stack's own secret,
//! enhanced monitoring, a snapshot on delete. Any platform's hub connects to it.

use super::{group_id, ids, parameters, reference};
use crate::cfn::iam::{PolicyDocument, Principal, Statement};
use crate::cfn::resources::{
    DbInstance, DbSubnetGroup, GenerateSecretString, Role, Secret, SecretTargetAttachment,
};
use crate::cfn::{Expr, Resource, Template};
use crate::model::Deployment;

/// The hub database's user.
pub(super) const DATABASE_USER: &str = "jupyterhub";

pub(super) fn add_database(
    template: &mut Template,
    deployment: &Deployment,
    instance_class: &str,
    multi_az: bool,
    engine_version: &str,
) {
    template.add(
        ids::DATABASE_SECRET,
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
        ids::DATABASE_SECRET_ATTACHMENT,
        Resource::new(SecretTargetAttachment {
            secret_id: reference(ids::DATABASE_SECRET),
            target_id: reference(ids::DATABASE),
            target_type: "AWS::RDS::DBInstance".to_string(),
        }),
    );
    template.add(
        ids::DATABASE_SUBNET_GROUP,
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
    template.add(ids::DATABASE_MONITORING_ROLE,
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
        ids::DATABASE,
        Resource::new(DbInstance {
            allocated_storage: "20".to_string(),
            auto_minor_version_upgrade: true,
            backup_retention_period: 7,
            copy_tags_to_snapshot: true,
            db_instance_class: instance_class.to_string(),
            db_name: "jupyterhub".to_string(),
            db_subnet_group_name: reference(ids::DATABASE_SUBNET_GROUP),
            deletion_protection: deployment.hub.deletion_protection,
            enable_cloudwatch_logs_exports: vec!["postgresql".to_string(), "upgrade".to_string()],
            enable_iam_database_authentication: true,
            enable_performance_insights: true,
            engine: "postgres".to_string(),
            engine_version: engine_version.to_string(),
            kms_key_id: reference(parameters::KMS_KEY_ARN),
            // From the stack's own secret (not RDS's managed one: RDS rotates that every 7
            // days, and ECS reads secrets only when the hub starts).
            master_user_password: Expr::sub(format!(
                "{{{{resolve:secretsmanager:${{{}}}:SecretString:password}}}}",
                ids::DATABASE_SECRET
            )),
            master_username: DATABASE_USER.to_string(),
            max_allocated_storage: 100,
            multi_az,
            monitoring_interval: 60,
            monitoring_role_arn: Expr::get_att(ids::DATABASE_MONITORING_ROLE, "Arn"),
            performance_insights_kms_key_id: reference(parameters::KMS_KEY_ARN),
            publicly_accessible: false,
            storage_encrypted: true,
            storage_type: "gp3".to_string(),
            vpc_security_groups: vec![group_id(ids::DATABASE_SECURITY_GROUP)],
        }),
    );
    // A final snapshot only where its key outlives the stack: with `storage.retain: false`
    // destroy deletes the KMS key, and a snapshot under a deleted key can never be restored.
    // A replacement keeps its snapshot either way (the key is still there then).
    database.deletion_policy = Some(if deployment.storage.retain {
        crate::cfn::template::Policy::Snapshot
    } else {
        crate::cfn::template::Policy::Delete
    });
    database.update_replace_policy = Some(crate::cfn::template::Policy::Snapshot);
    // The major version only, so that RDS's automatic minor upgrades and the template agree.
    // cfn-lint's W3691 lists every major-only version as deprecated; RDS accepts them.
    database.ignore_cfn_lint(
        "W3691",
        "EngineVersion is the major version: RDS applies minor versions (AutoMinorVersionUpgrade)",
    );
    if !multi_az {
        database.skip_checkov(
            "CKV_AWS_157",
            "hub.database.multi_az is false: one hub, one instance; set it for a standby",
        );
    }
}
