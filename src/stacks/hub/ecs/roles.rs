//! The ECS hub's roles: execution roles (what ECS needs to start the hub and the user
//! servers) and task roles (what the running hub and each user's server may do).

use super::tasks::user_token_secret_prefix;
use crate::cfn::iam::{PolicyDocument, Principal, Statement};
use crate::cfn::resources::{InlinePolicy, Role};
use crate::cfn::{Expr, Resource, Template};
use crate::model::{Deployment, Image};
use crate::stacks::hub::policies::{decrypt_configured_secrets, through_secrets_manager};
use crate::stacks::hub::{ids, parameters, reference};

/// The IAM path of the user servers' task roles: the hub may pass roles under it only.
pub(super) fn user_role_path(prefix: &str) -> String {
    format!("/hubctl/{prefix}/users/")
}

/// Every user token secret of this environment, as an IAM resource.
pub(super) fn user_token_secrets(prefix: &str) -> Expr {
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{}*",
        user_token_secret_prefix(prefix)
    ))
}

pub(super) fn ecs_tasks_trust() -> PolicyDocument {
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

pub(super) fn role(description: &str, policy_name: &str, statements: Vec<Statement>) -> Resource {
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
pub(super) fn image_pull_statements(images: &[&Image]) -> Vec<Statement> {
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

pub(super) fn write_logs() -> Statement {
    Statement::allow(
        "WriteLogs",
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        vec![
            Expr::sub(format!("${{{}.Arn}}", ids::LOG_GROUP)),
            Expr::sub(format!(
                "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:${{{}}}:log-stream:*",
                ids::LOG_GROUP
            )),
        ],
    )
}

pub(super) fn file_system_arn() -> Expr {
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:elasticfilesystem:${{AWS::Region}}:${{AWS::AccountId}}:file-system/${{{}}}",
        parameters::FILE_SYSTEM_ID
    ))
}

pub(super) fn add_roles(
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
    hub_execution.push(through_secrets_manager(Statement::allow(
        "DecryptHubSecrets",
        &["kms:Decrypt"],
        vec![reference(parameters::KMS_KEY_ARN)],
    )));
    let configured: Vec<&str> = secrets
        .iter()
        .filter_map(|(_, _, arn)| arn.as_literal())
        .collect();
    hub_execution.extend(decrypt_configured_secrets(&configured));
    template.add(
        ids::HUB_EXECUTION_ROLE,
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
    user_execution.push(through_secrets_manager(Statement::allow(
        "DecryptUserTokens",
        &["kms:Decrypt"],
        vec![reference(parameters::KMS_KEY_ARN)],
    )));
    template.add(
        ids::USER_EXECUTION_ROLE,
        role(
            "Starts single-user servers: pulls images, writes logs",
            "StartUserServers",
            user_execution,
        ),
    );

    // Task roles: what the running containers may do.
    let cluster_arn = Expr::get_att(ids::CLUSTER, "Arn");
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
            vec![Expr::sub(format!(
                "arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:task/${{{}}}/*",
                ids::CLUSTER
            ))],
        )
        .when("ArnEquals", "ecs:cluster", cluster_arn),
        Statement::allow(
            "PassOnlyUserServerRoles",
            &["iam:PassRole"],
            vec![
                Expr::sub(format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role{}*", user_role_path(prefix))),
                Expr::get_att(ids::USER_EXECUTION_ROLE, "Arn"),
            ],
        )
        .when("StringEquals", "iam:PassedToService", "ecs-tasks.amazonaws.com".into()),
        Statement::allow("HandUserServersTheirTokens", &["secretsmanager:PutSecretValue"], vec![user_token_secrets(prefix)]),
        through_secrets_manager(Statement::allow("EncryptUserServerTokens", &["kms:Decrypt", "kms:GenerateDataKey"], vec![reference(parameters::KMS_KEY_ARN)])),
        Statement::allow(
            "MountHubState",
            &["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            vec![file_system_arn()],
        )
        .when("StringEquals", "elasticfilesystem:AccessPointArn", Expr::get_att(ids::HUB_ACCESS_POINT, "Arn")),
    ];
    template.add(
        ids::HUB_TASK_ROLE,
        role(
            "The hub: starts, watches and stops user servers in its cluster",
            "SpawnUserServers",
            hub_task,
        ),
    );

    // One task role per user: it may mount that user's home and nothing else, so a user
    // server's credentials (which the user can read) open no one else's files; with
    // `storage.shared` also the shared data, read-only (ClientMount without ClientWrite:
    // EFS refuses every write through that mount) except for admins.
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
            Expr::get_att(&ids::home_access_point(user), "Arn"),
        );
        let mut policies = vec![InlinePolicy {
            policy_name: "MountOwnHome".to_string(),
            policy_document: PolicyDocument::new(vec![statement]),
        }];
        let mut description = format!(
            "The server of {}: mounts their home and nothing else",
            user.name
        );
        if deployment.storage.shared.is_some() {
            let admin = hub.is_admin(user);
            let (sid, actions, access): (_, &[&str], _) = if admin {
                (
                    "WriteSharedData",
                    &[
                        "elasticfilesystem:ClientMount",
                        "elasticfilesystem:ClientWrite",
                    ],
                    "read-write",
                )
            } else {
                (
                    "ReadSharedData",
                    &["elasticfilesystem:ClientMount"],
                    "read-only",
                )
            };
            policies.push(InlinePolicy {
                policy_name: "MountSharedData".to_string(),
                policy_document: PolicyDocument::new(vec![Statement::allow(
                    sid,
                    actions,
                    vec![file_system_arn()],
                )
                .when(
                    "StringEquals",
                    "elasticfilesystem:AccessPointArn",
                    Expr::get_att(ids::SHARED_ACCESS_POINT, "Arn"),
                )]),
            });
            description = format!(
                "The server of {}: mounts their home and the shared data ({access}), nothing else",
                user.name
            );
        }
        template.add(
            &ids::user_role(user),
            Resource::new(Role {
                assume_role_policy_document: Some(ecs_tasks_trust()),
                description,
                path: Some(user_role_path(prefix)),
                policies,
                ..Role::default()
            }),
        );
    }
}
