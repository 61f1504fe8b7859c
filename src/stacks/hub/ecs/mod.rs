//! JupyterHub on ECS Fargate: the hub stack of `platform: ecs`.
//!
//! Traffic paths (security groups, nothing else): internet (`allowed_cidrs`) → ALB 443/80;
//! ALB → hub proxy 8000; user servers → hub API 8081; hub → user servers 8888; hub and user
//! servers → EFS 2049; hub → database 5432; hub and user servers → 443 outbound (AWS APIs,
//! image pulls, the identity provider, package installs).
//!
//! The hub container reads exactly the variables in [`HUB_ENVIRONMENT`] and
//! [`HUB_SECRETS`]; `templates/hub/jupyterhub_config.py` is the other side of that contract
//! and a test holds the two together.

mod network;
mod roles;
mod tasks;

use super::login::OAuthSettings;
use super::{database, homes, ids, login, outputs, parameters, reference};
use crate::cfn::resources::{GenerateSecretString, Secret};
use crate::cfn::{Expr, Resource, Template};
use crate::model::{Database, Deployment};
use crate::stacks::platform::{HubPlatform, ProfileProblem};
use crate::stacks::{OutputRef, Stack, StackId};

pub use tasks::{user_task_family, user_token_secret_prefix};

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
    "OAUTH_LOGOUT_REDIRECT_URL",
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
pub(super) use super::{NFS_PORT, POSTGRES_PORT};
pub(super) const HTTPS_PORT: u16 = 443;

/// The ECS Fargate platform.
pub struct Ecs;

/// Fargate's CPU/memory combinations (MiB): cpu → (min, max, step).
const FARGATE_SIZES: &[(u32, u32, u32, u32)] = &[
    (256, 512, 2048, 512),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

/// The hub stack's output naming its ECS cluster.
const CLUSTER_NAME: &str = "ClusterName";

impl HubPlatform for Ecs {
    fn stacks(&self, deployment: &Deployment) -> Vec<Stack> {
        vec![Stack {
            id: StackId::Hub,
            template: template(deployment),
            depends_on: vec![StackId::Frame, StackId::Dns],
            inputs: super::inputs(),
            // The certificate is validated through the subzone, which resolves only once the
            // parent zone delegates to it.
            after_delegation: true,
            before_delete: vec![crate::stacks::Cleanup::StopUserServers {
                cluster: CLUSTER_NAME,
            }],
            deployer_parameter: None,
        }]
    }

    fn check_profile(&self, cpu: u32, memory: u32) -> Result<(), ProfileProblem> {
        match FARGATE_SIZES.iter().find(|(units, ..)| *units == cpu) {
            None => Err(ProfileProblem::Cpu {
                problem: format!("{cpu} is not a Fargate CPU size"),
                fix: "use 256, 512, 1024, 2048, 4096, 8192 or 16384 (1024 = 1 vCPU)".to_string(),
            }),
            Some((_, min, max, step))
                if memory < *min || memory > *max || !(memory - min).is_multiple_of(*step) =>
            {
                Err(ProfileProblem::Memory {
                    problem: format!("{memory} MiB does not fit {cpu} CPU units on Fargate"),
                    fix: format!("use {min} to {max} MiB in steps of {step}"),
                })
            }
            Some(_) => Ok(()),
        }
    }

    fn hub_url(&self) -> Option<OutputRef> {
        Some(OutputRef::new(StackId::Hub, outputs::HUB_URL))
    }

    fn images<'d>(
        &self,
        deployment: &'d Deployment,
    ) -> Vec<(crate::stacks::images::ImageUse, &'d crate::model::Image)> {
        use crate::stacks::images::ImageUse;
        // The user task definitions run the profiles' images (user_image where a profile
        // names none).
        let hub = &deployment.hub;
        std::iter::once((ImageUse::Hub, &hub.hub_image))
            .chain(hub.profiles.iter().map(|p| (ImageUse::User, &p.image)))
            .collect()
    }
}

/// The hub template of an ECS environment.
pub fn template(deployment: &Deployment) -> Template {
    let name = deployment.stack_name(crate::stacks::StackId::Hub.suffix());
    let host = deployment.dns.hub_host.as_str();
    let mut template = Template::new(format!(
        "hubctl {name}: JupyterHub on ECS Fargate at https://{host}/ behind an ALB, {} user(s), {} profile(s)",
        deployment.hub.users().count(),
        deployment.hub.profiles.len()
    ));
    super::add_parameters(&mut template);
    let prefix = deployment.prefix();

    network::add_security_groups(&mut template, deployment);
    network::add_load_balancer(&mut template, deployment);
    add_secrets(&mut template);
    if let Database::Postgres {
        instance_class,
        multi_az,
        engine_version,
    } = &deployment.hub.database
    {
        database::add_database(
            &mut template,
            deployment,
            instance_class,
            *multi_az,
            engine_version,
        );
    }
    let oauth = login::add_auth(&mut template, deployment, &prefix);
    let secrets = hub_secrets(deployment, &oauth);
    tasks::add_cluster(&mut template, &prefix);
    homes::add_access_points(&mut template, deployment, &prefix);
    roles::add_roles(&mut template, deployment, &prefix, &secrets);
    tasks::add_user_tasks(&mut template, deployment, &prefix);
    tasks::add_hub_service(&mut template, deployment, &prefix, &oauth, &secrets);

    template.output(
        outputs::HUB_URL,
        "The hub",
        Expr::from(format!("https://{host}/")),
    );
    template.output(
        CLUSTER_NAME,
        "ECS cluster of the hub and the user servers",
        reference(ids::CLUSTER),
    );
    template.output(
        "LogGroupName",
        "Log group of the hub and the user servers",
        reference(ids::LOG_GROUP),
    );
    template
}

pub(super) fn generated_secret(description: &str, hex: bool) -> Resource {
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

pub(super) fn add_secrets(template: &mut Template) {
    for (id, description, hex) in [
        (
            ids::COOKIE_SECRET,
            "JupyterHub cookie secret (32 random bytes, hex)",
            true,
        ),
        (
            ids::PROXY_AUTH_TOKEN,
            "Token between JupyterHub and its proxy",
            false,
        ),
        (
            ids::CRYPT_KEY,
            "JupyterHub auth-state encryption key (32 random bytes, hex)",
            true,
        ),
    ] {
        template.add(id, generated_secret(description, hex));
    }
}

/// The secrets the hub container reads, as (variable, `valueFrom`, secret ARN for IAM).
pub(super) fn hub_secrets(
    deployment: &Deployment,
    oauth: &OAuthSettings,
) -> Vec<(&'static str, Expr, Expr)> {
    let mut secrets = vec![
        (
            "JUPYTERHUB_COOKIE_SECRET",
            reference(ids::COOKIE_SECRET),
            reference(ids::COOKIE_SECRET),
        ),
        (
            "JUPYTERHUB_CRYPT_KEY",
            reference(ids::CRYPT_KEY),
            reference(ids::CRYPT_KEY),
        ),
        (
            "JUPYTERHUB_PROXY_AUTH_TOKEN",
            reference(ids::PROXY_AUTH_TOKEN),
            reference(ids::PROXY_AUTH_TOKEN),
        ),
        (
            "OAUTH_CLIENT_SECRET",
            oauth.client_secret.clone(),
            oauth.client_secret.clone(),
        ),
    ];
    match &deployment.hub.database {
        Database::Postgres { .. } => {
            let secret_arn = reference(ids::DATABASE_SECRET);
            secrets.push((
                "JUPYTERHUB_DB_USER",
                Expr::sub(format!("${{{}}}:username::", ids::DATABASE_SECRET)),
                secret_arn.clone(),
            ));
            secrets.push((
                "JUPYTERHUB_DB_PASSWORD",
                Expr::sub(format!("${{{}}}:password::", ids::DATABASE_SECRET)),
                secret_arn,
            ));
        }
        // Not on ECS: the config refuses SQLite there.
        Database::Sqlite { .. } => {}
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
