//! JupyterHub on EKS: the hub stack of `platform: eks` (the cluster, its access, its nodes,
//! the certificate, the database and login), the eks-addons stack, and what goes inside the
//! cluster (manifests and the Zero-to-JupyterHub chart's values).
//!
//! Traffic paths: internet (`allowed_cidrs`) → the ALB the ingress controller makes (Auto
//! Mode's, or the AWS Load Balancer Controller's) → the proxy pod; pods → EFS 2049 and the
//! database 5432 from the cluster security group only; the API endpoint private, and public
//! only from `eks.endpoint_cidrs`.

pub mod addons;
mod cluster;
mod manifests;
mod values;

use std::collections::BTreeMap;

use super::{database, homes, ids, login, outputs, parameters, reference, NFS_PORT, POSTGRES_PORT};
use crate::cfn::resources::SecurityGroupIngress;
use crate::cfn::{Expr, Parameter, Resource, Template};
use crate::k8s::Kubernetes;
use crate::model::{Database, Deployment, EksCluster};
use crate::stacks::platform::{HubPlatform, ProfileProblem};
use crate::stacks::{Cleanup, OutputRef, Stack, StackId};

/// The hub stack's outputs that other stacks, deploy and the cluster's files read.
pub mod hub_outputs {
    /// The cluster's name.
    pub const CLUSTER_NAME: &str = "ClusterName";
    /// Its ARN.
    pub const CLUSTER_ARN: &str = "ClusterArn";
    /// Its API endpoint (https URL).
    pub const CLUSTER_ENDPOINT: &str = "ClusterEndpoint";
    /// Its certificate authority (base64 PEM).
    pub const CLUSTER_CERTIFICATE_AUTHORITY: &str = "ClusterCertificateAuthority";
    /// The security group EKS gives the control plane, Auto Mode's nodes and managed nodes.
    pub const CLUSTER_SECURITY_GROUP_ID: &str = "ClusterSecurityGroupId";
    /// The hub's certificate.
    pub const CERTIFICATE_ARN: &str = "CertificateArn";
    /// The EFS access point the homes PersistentVolume mounts.
    pub const HOMES_ACCESS_POINT_ID: &str = "HomesAccessPointId";
    /// The shared data's read-write access point (admins' servers).
    pub const SHARED_ACCESS_POINT_ID: &str = "SharedAccessPointId";
    /// The shared data's read-only access point (every other server).
    pub const SHARED_READ_ONLY_ACCESS_POINT_ID: &str = "SharedReadOnlyAccessPointId";
    /// The secret holding the OAuth client secret.
    pub const OAUTH_CLIENT_SECRET_ARN: &str = "OAuthClientSecretArn";
    /// The OAuth client id (Cognito's app client, made here).
    pub const OAUTH_CLIENT_ID: &str = "OAuthClientId";
    /// The OAuth endpoints of a user pool made here.
    pub const OAUTH_AUTHORIZE_URL: &str = "OAuthAuthorizeUrl";
    /// See [`OAUTH_AUTHORIZE_URL`].
    pub const OAUTH_TOKEN_URL: &str = "OAuthTokenUrl";
    /// See [`OAUTH_AUTHORIZE_URL`].
    pub const OAUTH_USERDATA_URL: &str = "OAuthUserdataUrl";
    /// Cognito's logout endpoint for the hub's client (`login::OAuthSettings::logout_url`;
    /// another provider's, a literal of the config, goes into the values as it is).
    pub const OAUTH_LOGOUT_URL: &str = "OAuthLogoutUrl";
    /// The database's address.
    pub const DATABASE_HOST: &str = "DatabaseHost";
    /// The secret with the database's user and password.
    pub const DATABASE_SECRET_ARN: &str = "DatabaseSecretArn";
}

/// The parameter deploy fills with the IAM ARN of whoever deploys (from
/// GetCallerIdentity), so that it may install the chart; empty when that principal is one of
/// `eks.admin_roles` already (a principal can be in one access entry only).
pub const DEPLOYER_PRINCIPAL: &str = "DeployerPrincipalArn";

/// The hub's namespace in the cluster.
pub const NAMESPACE: &str = "jupyterhub";
/// The Helm release of the hub.
pub const RELEASE: &str = "jupyterhub";

/// The EKS platform.
pub struct Eks;

impl HubPlatform for Eks {
    fn stacks(&self, deployment: &Deployment) -> Vec<Stack> {
        let eks = cluster_of(deployment);
        vec![
            Stack {
                id: StackId::Hub,
                template: template(deployment, eks),
                depends_on: vec![StackId::Frame, StackId::Dns],
                inputs: hub_inputs(deployment),
                // The certificate is validated through the subzone.
                after_delegation: true,
                before_delete: Vec::new(),
                deployer_parameter: Some(DEPLOYER_PRINCIPAL),
            },
            Stack {
                id: StackId::EksAddons,
                template: addons::template(deployment, eks),
                depends_on: vec![StackId::Frame, StackId::Dns, StackId::Hub],
                inputs: addons::inputs(deployment),
                after_delegation: true,
                // What the chart made (the load balancer, its target groups and security
                // groups, the records external-dns wrote) goes before the controllers that
                // delete it.
                before_delete: vec![Cleanup::UninstallReleases {
                    cluster: hub_outputs::CLUSTER_NAME,
                }],
                deployer_parameter: None,
            },
        ]
    }

    fn check_profile(&self, cpu: u32, memory: u32) -> Result<(), ProfileProblem> {
        if !(128..=192 * 1024).contains(&cpu) {
            return Err(ProfileProblem::Cpu {
                problem: format!("{cpu} CPU units is not a server size EKS nodes offer"),
                fix: "give 128 to 196608 units (1024 = 1 vCPU)".to_string(),
            });
        }
        if !(256..=1_572_864).contains(&memory) {
            return Err(ProfileProblem::Memory {
                problem: format!("{memory} MiB is not a server size EKS nodes offer"),
                fix: "give 256 to 1572864 MiB".to_string(),
            });
        }
        Ok(())
    }

    fn hub_url(&self) -> Option<OutputRef> {
        Some(OutputRef::new(StackId::Hub, outputs::HUB_URL))
    }

    fn kubernetes(&self, deployment: &Deployment) -> Option<Kubernetes> {
        Some(kubernetes(deployment))
    }

    fn images<'d>(
        &self,
        deployment: &'d Deployment,
    ) -> Vec<(crate::stacks::images::ImageUse, &'d crate::model::Image)> {
        use crate::stacks::images::ImageUse;
        // The chart runs its own hub image; the servers run user_image and the profiles'.
        let hub = &deployment.hub;
        std::iter::once((ImageUse::User, &hub.user_image))
            .chain(hub.profiles.iter().map(|p| (ImageUse::User, &p.image)))
            .collect()
    }
}

/// The cluster of an EKS environment: the config gives `platform: eks` its `eks` section,
/// and only such an environment reaches this platform (`platform::of`).
fn cluster_of(deployment: &Deployment) -> &EksCluster {
    deployment
        .hub
        .eks
        .as_ref()
        .expect("config gives platform: eks its eks section")
}

/// Everything the environment installs in its cluster.
pub fn kubernetes(deployment: &Deployment) -> Kubernetes {
    let eks = cluster_of(deployment);
    let mut kubernetes = Kubernetes {
        cluster: cluster::cluster_name(deployment),
        namespace: NAMESPACE.to_string(),
        manifests: Vec::new(),
        releases: Vec::new(),
        placeholders: BTreeMap::new(),
    };
    manifests::add(&mut kubernetes, deployment, eks);
    values::add(&mut kubernetes, deployment, eks);
    kubernetes
}

/// Where the hub stack's parameters come from: the shared ones it uses.
fn hub_inputs(deployment: &Deployment) -> BTreeMap<String, OutputRef> {
    let wanted = template_parameters(deployment);
    let mut inputs = super::inputs();
    inputs.retain(|parameter, _| wanted.contains(&parameter.as_str()));
    inputs
}

/// The shared hub parameters this stack uses: the ingress finds the public subnets
/// itself (from the frame's output, in its annotations), and only a database needs the VPC.
fn template_parameters(deployment: &Deployment) -> Vec<&'static str> {
    use parameters as p;
    let mut wanted = vec![
        p::PRIVATE_SUBNET_IDS,
        p::FILE_SYSTEM_ID,
        p::FILE_SYSTEM_SECURITY_GROUP_ID,
        p::KMS_KEY_ARN,
        p::HOSTED_ZONE_ID,
    ];
    if matches!(deployment.hub.database, Database::Postgres { .. }) {
        wanted.push(p::VPC_ID);
    }
    wanted
}

/// The login settings the hub's values take from the hub stack, each with the output that
/// carries it when it is computed (Cognito's client id, the created pool's endpoints, the
/// logout URL naming the client); a literal goes into the values as it is.
fn oauth_outputs(oauth: &login::OAuthSettings) -> Vec<(&'static str, &'static str, &Expr)> {
    let mut settings = vec![
        (
            hub_outputs::OAUTH_CLIENT_ID,
            "The OAuth client id",
            &oauth.client_id,
        ),
        (
            hub_outputs::OAUTH_AUTHORIZE_URL,
            "The OAuth authorization endpoint",
            &oauth.authorize_url,
        ),
        (
            hub_outputs::OAUTH_TOKEN_URL,
            "The OAuth token endpoint",
            &oauth.token_url,
        ),
        (
            hub_outputs::OAUTH_USERDATA_URL,
            "The OAuth userinfo endpoint",
            &oauth.userdata_url,
        ),
    ];
    if let Some(logout_url) = &oauth.logout_url {
        settings.push((
            hub_outputs::OAUTH_LOGOUT_URL,
            "Cognito's logout endpoint for the hub's client",
            logout_url,
        ));
    }
    settings
}

/// The hub template of an EKS environment, its cluster `eks`.
pub fn template(deployment: &Deployment, eks: &EksCluster) -> Template {
    let name = deployment.stack_name(crate::stacks::StackId::Hub.suffix());
    let host = deployment.dns.hub_host.as_str();
    let compute = match &eks.compute {
        crate::model::Compute::Auto => "EKS Auto Mode".to_string(),
        crate::model::Compute::NodeGroups { gpu, .. } => format!(
            "managed node groups{}",
            if gpu.is_some() { " (with GPUs)" } else { "" }
        ),
    };
    let mut template = Template::new(format!(
        "hubctl {name}: EKS {} cluster ({compute}) for JupyterHub at https://{host}/, {} user(s), {} profile(s)",
        eks.version,
        deployment.hub.users().count(),
        deployment.hub.profiles.len()
    ));
    super::add_parameters(&mut template);
    let wanted = template_parameters(deployment);
    template
        .parameters
        .retain(|name, _| wanted.contains(&name.as_str()));
    let mut deployer = Parameter::new(
        "String",
        "Filled by hubctl deploy: the IAM ARN of whoever deploys, given cluster-admin so that it can install the chart; empty when it is one of eks.admin_roles",
    );
    deployer.allowed_pattern =
        Some("^$|^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$".to_string());
    deployer.default = Some(String::new());
    template.parameter(DEPLOYER_PRINCIPAL, deployer);
    let prefix = deployment.prefix();

    super::certificate::add_certificate(&mut template, host);
    cluster::add_cluster(&mut template, deployment, eks, &prefix);
    cluster::add_access(&mut template, eks);
    cluster::add_node_groups(&mut template, eks, &prefix);

    // EFS from the cluster's security group only: Auto Mode's nodes and managed nodes
    // carry it, and every pod's traffic leaves from its node.
    template.add(
        "ClusterToFileSystem",
        Resource::new(SecurityGroupIngress {
            description: "EKS cluster (nodes and pods) to EFS (NFS)".to_string(),
            group_id: Some(reference(parameters::FILE_SYSTEM_SECURITY_GROUP_ID)),
            ip_protocol: "tcp".to_string(),
            from_port: NFS_PORT,
            to_port: NFS_PORT,
            source_security_group_id: Some(cluster_security_group()),
            cidr_ip: None,
        }),
    );
    template.add(
        ids::HOMES_ACCESS_POINT,
        homes::access_point(
            &prefix,
            "/home",
            (homes::NOTEBOOK_UID, homes::NOTEBOOK_GID),
            "homes",
        ),
    );
    // Two access points on the shared directory: the nodes' role may write through one only.
    if let Some(shared) = &deployment.storage.shared {
        template.add(
            ids::SHARED_ACCESS_POINT,
            homes::shared_access_point(&prefix, shared, "shared"),
        );
        template.add(
            ids::SHARED_READ_ONLY_ACCESS_POINT,
            homes::shared_access_point(&prefix, shared, "shared-read-only"),
        );
    }

    if let Database::Postgres {
        instance_class,
        multi_az,
        engine_version,
    } = &deployment.hub.database
    {
        template.add(
            ids::DATABASE_SECURITY_GROUP,
            super::security_group(
                "Hub database: PostgreSQL from the EKS cluster only",
                Vec::new(),
                Vec::new(),
            ),
        );
        template.add(
            "ClusterToDatabase",
            Resource::new(SecurityGroupIngress {
                description: "EKS cluster (the hub pod) to the hub database".to_string(),
                group_id: Some(super::group_id(ids::DATABASE_SECURITY_GROUP)),
                ip_protocol: "tcp".to_string(),
                from_port: POSTGRES_PORT,
                to_port: POSTGRES_PORT,
                source_security_group_id: Some(cluster_security_group()),
                cidr_ip: None,
            }),
        );
        database::add_database(
            &mut template,
            deployment,
            instance_class,
            *multi_az,
            engine_version,
        );
        template.output(
            hub_outputs::DATABASE_HOST,
            "The hub database's address",
            Expr::get_att(ids::DATABASE, "Endpoint.Address"),
        );
        template.output(
            hub_outputs::DATABASE_SECRET_ARN,
            "The hub database's user and password",
            reference(ids::DATABASE_SECRET),
        );
    }
    let oauth = login::add_auth(&mut template, deployment, &prefix);
    template.output(
        hub_outputs::OAUTH_CLIENT_SECRET_ARN,
        "The secret holding the OAuth client secret (the hub reads it at start)",
        oauth.client_secret.clone(),
    );
    // Literal settings go into the values as they are; computed ones through outputs.
    for (output, description, value) in oauth_outputs(&oauth) {
        if value.as_literal().is_none() {
            template.output(output, description, value.clone());
        }
    }

    template.output(
        outputs::HUB_URL,
        "The hub",
        Expr::from(format!("https://{host}/")),
    );
    template.output(
        hub_outputs::CERTIFICATE_ARN,
        "The hub's certificate (the ingress's load balancer serves it)",
        reference(ids::CERTIFICATE),
    );
    template.output(
        hub_outputs::HOMES_ACCESS_POINT_ID,
        "EFS access point of the users' homes",
        reference(ids::HOMES_ACCESS_POINT),
    );
    if deployment.storage.shared.is_some() {
        template.output(
            hub_outputs::SHARED_ACCESS_POINT_ID,
            "EFS access point of the shared data, read-write (admins' servers)",
            reference(ids::SHARED_ACCESS_POINT),
        );
        template.output(
            hub_outputs::SHARED_READ_ONLY_ACCESS_POINT_ID,
            "EFS access point of the shared data, read-only (every other server)",
            reference(ids::SHARED_READ_ONLY_ACCESS_POINT),
        );
    }
    template
}

/// The security group EKS made for the cluster.
pub(super) fn cluster_security_group() -> Expr {
    Expr::get_att(ids::EKS_CLUSTER, "ClusterSecurityGroupId")
}

/// An output of the hub stack, for the addons stack's wiring and the cluster's files.
pub(crate) fn hub_output(name: &'static str) -> OutputRef {
    OutputRef::new(StackId::Hub, name)
}
