//! The Helm values of the hub (Zero-to-JupyterHub, [`crate::k8s::JUPYTERHUB_CHART`]) and,
//! for node groups, of the AWS Load Balancer Controller.
//!
//! Ingress through an ALB (the certificate, `allowed_cidrs`, HTTP → HTTPS), its name
//! written by external-dns; the proxy as ClusterIP; the database on an encrypted gp3 volume
//! or PostgreSQL; homes on EFS; the login as on ECS, its client secret read by the hub at
//! start with its Pod Identity role; the idle culler; the profiles (GPU ones with
//! tolerations and limits); user pods kept from the instance metadata; the shared data
//! read-only in every server and read-write in admins'.

use serde_json::{json, Map, Value};

use super::cluster::GPU_TAINT;
use super::manifests::{
    GP3_STORAGE_CLASS, HOMES_CLAIM, INGRESS_CLASS, SHARED_ADMIN_CLAIM, SHARED_CLAIM,
};
use super::{hub_output, hub_outputs, NAMESPACE, RELEASE};
use crate::cfn::Expr;
use crate::k8s::{Chart, Kubernetes, Release, JUPYTERHUB_CHART};
use crate::model::{Compute, Database, Deployment, EksCluster, Image};
use crate::stacks::hub::login;
use crate::stacks::{frame, OutputRef, StackId};

/// The AWS Load Balancer Controller's chart (node groups only; Auto Mode has its own).
pub const LOAD_BALANCER_CONTROLLER_CHART: Chart = Chart {
    repository: "https://aws.github.io/eks-charts",
    name: "aws-load-balancer-controller",
    version: "1.13.0",
};

/// What the hub runs at start: `hubctl_secret(arn)`, reading Secrets Manager with the
/// hub's Pod Identity credentials.
const HUB_SECRETS_PY: &str = include_str!("../../../../templates/eks/hub_secrets.py");

pub(super) fn add(kubernetes: &mut Kubernetes, deployment: &Deployment, eks: &EksCluster) {
    if let Compute::NodeGroups { .. } = eks.compute {
        let values = json!({
            "clusterName": kubernetes.placeholder(hub_output(hub_outputs::CLUSTER_NAME)),
            "region": deployment.region,
            "vpcId": kubernetes.placeholder(OutputRef::new(StackId::Frame, frame::outputs::VPC_ID)),
            "serviceAccount": {"create": true, "name": "aws-load-balancer-controller"},
            "enableServiceMutatorWebhook": false,
            "createIngressClassResource": false,
            "replicaCount": 2,
        });
        kubernetes.releases.push(Release {
            name: "aws-load-balancer-controller".to_string(),
            namespace: "kube-system".to_string(),
            chart: LOAD_BALANCER_CONTROLLER_CHART,
            values_file: "aws-load-balancer-controller-values.yaml".to_string(),
            values,
        });
    }
    let values = hub_values(kubernetes, deployment, matches!(eks.compute, Compute::Auto));
    kubernetes.releases.push(Release {
        name: RELEASE.to_string(),
        namespace: NAMESPACE.to_string(),
        chart: JUPYTERHUB_CHART,
        values_file: "jupyterhub-values.yaml".to_string(),
        values,
    });
}

/// The shared data's volume in a user server's pod.
const SHARED_VOLUME: &str = "shared";

/// The hub's `modify_pod_hook`: the servers of `admins` (the config's, as their task roles
/// on ECS) get the shared data's read-write claim and a writable mount instead of the
/// read-only ones every server has. Users cannot change their pod: KubeSpawner makes it.
fn shared_data_hook(admins: &[String]) -> String {
    // A JSON list of strings is a Python list literal.
    let admins = serde_json::to_string(admins).expect("names serialize");
    format!(
        "_hubctl_shared_data_writers = frozenset({admins})\n\n\n\
         def _hubctl_shared_data(spawner, pod):\n    \
             if spawner.user.name not in _hubctl_shared_data_writers:\n        \
                 return pod\n    \
             for volume in pod.spec.volumes or []:\n        \
                 if volume.name == \"{SHARED_VOLUME}\":\n            \
                     volume.persistent_volume_claim.claim_name = \"{SHARED_ADMIN_CLAIM}\"\n            \
                     volume.persistent_volume_claim.read_only = False\n    \
             for container in pod.spec.containers:\n        \
                 for mount in container.volume_mounts or []:\n            \
                     if mount.name == \"{SHARED_VOLUME}\":\n                \
                         mount.read_only = False\n    \
             return pod\n\n\n\
         c.KubeSpawner.modify_pod_hook = _hubctl_shared_data\n"
    )
}

/// `name:tag` (or `name@sha256:digest`) as the chart's `{name, tag}`.
fn image(image: &Image) -> Value {
    match image.reference.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => json!({"name": name, "tag": tag}),
        _ => json!({"name": image.reference, "tag": "latest"}),
    }
}

/// A setting from the hub stack: the literal when it is one, else the output's placeholder.
fn setting(kubernetes: &mut Kubernetes, literal: Option<&str>, output: &'static str) -> Value {
    match literal {
        Some(text) => Value::from(text),
        None => Value::from(kubernetes.placeholder(hub_output(output))),
    }
}

/// The hub's values; `auto`: the cluster runs Auto Mode.
fn hub_values(kubernetes: &mut Kubernetes, deployment: &Deployment, auto: bool) -> Value {
    let hub = &deployment.hub;
    let host = deployment.dns.hub_host.as_str();
    let names = |users: &[crate::model::User]| -> Vec<String> {
        users.iter().map(|user| user.name.clone()).collect()
    };

    // Login: the hub stack's own settings (`login::settings`, the same as on ECS), each
    // literal one as it is and each computed one through the output the hub template
    // writes for it (`oauth_outputs`).
    let oauth = login::settings(deployment, &deployment.prefix());
    let mut from_stack = |value: &Expr, output| setting(kubernetes, value.as_literal(), output);
    let authorize = from_stack(&oauth.authorize_url, hub_outputs::OAUTH_AUTHORIZE_URL);
    let token = from_stack(&oauth.token_url, hub_outputs::OAUTH_TOKEN_URL);
    let userdata = from_stack(&oauth.userdata_url, hub_outputs::OAUTH_USERDATA_URL);
    let client_id = from_stack(&oauth.client_id, hub_outputs::OAUTH_CLIENT_ID);
    let logout_url = oauth
        .logout_url
        .as_ref()
        .map(|url| from_stack(url, hub_outputs::OAUTH_LOGOUT_URL));
    let scopes: Vec<&str> = oauth.scopes.split(' ').collect();
    let claim = oauth.username_claim.as_str();
    let mut extra_env = Map::new();
    extra_env.insert(
        "HUBCTL_AWS_REGION".to_string(),
        deployment.region.clone().into(),
    );
    extra_env.insert(
        "HUBCTL_OAUTH_CLIENT_SECRET_ARN".to_string(),
        kubernetes
            .placeholder(hub_output(hub_outputs::OAUTH_CLIENT_SECRET_ARN))
            .into(),
    );
    let mut settings = String::from(
        "c.GenericOAuthenticator.client_secret = hubctl_secret(os.environ[\"HUBCTL_OAUTH_CLIENT_SECRET_ARN\"])\n",
    );

    let db = match &hub.database {
        Database::Sqlite { volume_gib } => json!({
            "type": "sqlite-pvc",
            "pvc": {
                "accessModes": ["ReadWriteOnce"],
                "storage": format!("{volume_gib}Gi"),
                "storageClassName": GP3_STORAGE_CLASS,
            },
        }),
        Database::Postgres { .. } => {
            let address = kubernetes.placeholder(hub_output(hub_outputs::DATABASE_HOST));
            extra_env.insert(
                "HUBCTL_DATABASE_SECRET_ARN".to_string(),
                kubernetes
                    .placeholder(hub_output(hub_outputs::DATABASE_SECRET_ARN))
                    .into(),
            );
            extra_env.insert("HUBCTL_DATABASE_HOST".to_string(), address.into());
            settings.push_str(
                "_db = json.loads(hubctl_secret(os.environ[\"HUBCTL_DATABASE_SECRET_ARN\"]))\n\
                 c.JupyterHub.db_url = \"postgresql+psycopg2://{}:{}@{}:5432/jupyterhub?sslmode=require\".format(\n    \
                 quote(_db[\"username\"], safe=\"\"), quote(_db[\"password\"], safe=\"\"), os.environ[\"HUBCTL_DATABASE_HOST\"])\n",
            );
            json!({"type": "postgres", "url": "postgresql+psycopg2://"})
        }
        Database::External { url_secret_arn } => {
            extra_env.insert(
                "HUBCTL_DATABASE_URL_SECRET_ARN".to_string(),
                url_secret_arn.clone().into(),
            );
            settings.push_str(
                "c.JupyterHub.db_url = hubctl_secret(os.environ[\"HUBCTL_DATABASE_URL_SECRET_ARN\"])\n",
            );
            json!({"type": "other", "url": "postgresql+psycopg2://"})
        }
    };

    // The hub may reach the database in the VPC (the chart's policy allows public
    // addresses only); everything else keeps the chart's defaults.
    let mut hub_network_policy = json!({"enabled": true});
    if !matches!(hub.database, Database::Sqlite { .. }) {
        hub_network_policy["egress"] = json!([{
            "to": [{"ipBlock": {"cidr": deployment.network.vpc_cidr.to_string()}}],
            "ports": [{"port": 5432, "protocol": "TCP"}],
        }]);
    }

    let default_profile = hub.profiles.first().map(|p| p.name.clone());
    let profiles: Vec<Value> = hub
        .profiles
        .iter()
        .map(|profile| {
            let cpu = f64::from(profile.cpu) / 1024.0;
            let mut overrides = json!({
                "cpu_guarantee": cpu,
                "cpu_limit": cpu,
                "mem_guarantee": format!("{}M", profile.memory),
                "mem_limit": format!("{}M", profile.memory),
                "image": profile.image.reference,
            });
            let mut description =
                format!("{} vCPU, {} GiB", cpu, f64::from(profile.memory) / 1024.0);
            if profile.gpus > 0 {
                description.push_str(&format!(", {} GPU", profile.gpus));
                overrides["extra_resource_limits"] = json!({ GPU_TAINT: profile.gpus.to_string() });
                overrides["tolerations"] = json!([{
                    "key": GPU_TAINT,
                    "operator": "Exists",
                    "effect": "NoSchedule",
                }]);
                overrides["node_selector"] = if auto {
                    json!({"karpenter.sh/nodepool": super::manifests::GPU_NODE_POOL})
                } else {
                    json!({"hubctl/pool": "gpu"})
                };
            }
            let mut entry = json!({
                "display_name": profile.name,
                "slug": profile.name,
                "description": description,
                "kubespawner_override": overrides,
            });
            if Some(&profile.name) == default_profile.as_ref() {
                entry["default"] = json!(true);
            }
            entry
        })
        .collect();

    let mut storage = json!({
        "type": "static",
        "static": {"pvcName": HOMES_CLAIM, "subPath": "{username}"},
    });
    let mut extra_config = Map::new();
    extra_config.insert(
        "00-hubctl-secrets".to_string(),
        format!("import json\nimport os\nfrom urllib.parse import quote\n\n{HUB_SECRETS_PY}")
            .into(),
    );
    extra_config.insert("01-hubctl-settings".to_string(), settings.into());
    if let Some(shared) = &deployment.storage.shared {
        storage["extraVolumes"] = json!([{
            "name": SHARED_VOLUME,
            "persistentVolumeClaim": {"claimName": SHARED_CLAIM, "readOnly": true},
        }]);
        storage["extraVolumeMounts"] = json!([{
            "name": SHARED_VOLUME,
            "mountPath": shared.mount,
            "readOnly": true,
        }]);
        extra_config.insert(
            "02-hubctl-shared-data".to_string(),
            shared_data_hook(&names(&hub.admins)).into(),
        );
    }

    let cidrs: Vec<String> = hub.allowed_cidrs.iter().map(|c| c.to_string()).collect();
    let certificate = kubernetes.placeholder(hub_output(hub_outputs::CERTIFICATE_ARN));
    let subnets = kubernetes.placeholder(OutputRef::new(
        StackId::Frame,
        frame::outputs::PUBLIC_SUBNET_IDS,
    ));
    let annotations = json!({
        "alb.ingress.kubernetes.io/certificate-arn": certificate,
        "alb.ingress.kubernetes.io/healthcheck-path": "/hub/health",
        "alb.ingress.kubernetes.io/inbound-cidrs": cidrs.join(","),
        "alb.ingress.kubernetes.io/listen-ports": "[{\"HTTP\": 80}, {\"HTTPS\": 443}]",
        // Deletion protection stays off: a protected load balancer would keep the
        // ingress's finalizer, and destroy, from finishing.
        "alb.ingress.kubernetes.io/load-balancer-attributes": "deletion_protection.enabled=false,routing.http.drop_invalid_header_fields.enabled=true",
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "alb.ingress.kubernetes.io/ssl-redirect": "443",
        "alb.ingress.kubernetes.io/subnets": subnets,
        "alb.ingress.kubernetes.io/target-type": "ip",
        "external-dns.alpha.kubernetes.io/hostname": host,
    });

    let mut values = json!({
        "ingress": {
            "enabled": true,
            "ingressClassName": INGRESS_CLASS,
            "hosts": [host],
            "pathType": "Prefix",
            "annotations": annotations,
        },
        "proxy": {
            "service": {"type": "ClusterIP"},
            "https": {"enabled": false},
        },
        "hub": {
            "annotations": {"karpenter.sh/do-not-disrupt": "true"},
            "serviceAccount": {"create": true, "name": "hub"},
            "db": db,
            "extraEnv": extra_env,
            "networkPolicy": hub_network_policy,
            "config": {
                "JupyterHub": {"authenticator_class": "generic-oauth"},
                "Authenticator": {
                    "admin_users": names(&hub.admins),
                    "allowed_users": names(&hub.allowed_users),
                },
                "GenericOAuthenticator": {
                    "client_id": client_id,
                    "oauth_callback_url": format!("https://{host}/hub/oauth_callback"),
                    "authorize_url": authorize,
                    "token_url": token,
                    "userdata_url": userdata,
                    "scope": scopes,
                    "username_claim": claim,
                },
            },
            "extraConfig": extra_config,
        },
        "singleuser": {
            // Karpenter (Auto Mode) consolidates nodes and would evict a server with no
            // controller to bring it back: the user's kernels and unsaved work.
            "extraAnnotations": {"karpenter.sh/do-not-disrupt": "true"},
            "image": image(&hub.user_image),
            "cloudMetadata": {"blockWithIptables": true},
            "storage": storage,
            "profileList": profiles,
        },
        "cull": {
            "enabled": true,
            "timeout": hub.idle_timeout_seconds,
            "every": hub.idle_timeout_seconds.clamp(60, 600) / 2,
        },
        // The hook would hold every `helm upgrade` until each node pulled the user image;
        // Auto Mode and scaled-in node groups bring nodes as they are needed.
        "prePuller": {"hook": {"enabled": false}, "continuous": {"enabled": false}},
    });
    // Where logging out sends the browser, as on ECS (`login::OAuthSettings::logout_url`):
    // Cognito's logout endpoint (an output), or the provider's `auth.logout_url`.
    if let Some(logout_url) = logout_url {
        values["hub"]["config"]["GenericOAuthenticator"]["logout_redirect_url"] = logout_url;
    }
    values
}

#[cfg(test)]
mod tests {
    use super::super::{hub_output, hub_outputs, kubernetes, template};
    use crate::k8s::placeholder;

    /// An existing pool (which no golden covers on EKS): its endpoints are literals on its
    /// domain, in the values as they are; the client id and the logout URL, which name the
    /// client the hub stack creates, come through that stack's outputs, which exist for
    /// exactly those two.
    #[test]
    fn an_existing_pool_gives_literal_endpoints_and_the_stacks_client() {
        let config = crate::config::parse(
            "t.yaml",
            "project: p\nregion: eu-west-1\ndns: {parent_zone: example.com, parent_account: '111111111111', delegation_role: R}\nnetwork: {vpc_cidr: 10.0.0.0/16}\nhub: {platform: eks, eks: {compute: auto}, hub_image: 'quay.io/a/hub:1', user_image: 'quay.io/a/b:1', admins: [x], allowed_cidrs: [10.0.0.0/8], auth: {kind: cognito, user_pool_id: eu-west-1_AbCdEf123, domain: login.example.com}}\nenvironments:\n  dev: {account: '123456789012', dns: {subzone: dev.example.com, hub_host: hub.dev.example.com}}\n",
        )
        .expect("a valid config");
        let deployment = &config.deployments[0];
        let releases = kubernetes(deployment).releases;
        let hub = releases
            .iter()
            .find(|release| release.values_file == "jupyterhub-values.yaml")
            .expect("the hub's release");
        let login = &hub.values["hub"]["config"]["GenericOAuthenticator"];
        for (key, path) in [
            ("authorize_url", "/oauth2/authorize"),
            ("token_url", "/oauth2/token"),
            ("userdata_url", "/oauth2/userInfo"),
        ] {
            assert_eq!(
                login[key],
                format!("https://login.example.com{path}"),
                "{key}"
            );
        }
        assert_eq!(
            login["client_id"],
            placeholder(hub_output(hub_outputs::OAUTH_CLIENT_ID))
        );
        assert_eq!(
            login["logout_redirect_url"],
            placeholder(hub_output(hub_outputs::OAUTH_LOGOUT_URL))
        );
        assert_eq!(
            login["scope"],
            serde_json::json!(["openid", "email", "profile"])
        );
        assert_eq!(login["username_claim"], "username");

        let eks = deployment.hub.eks.as_ref().expect("an EKS environment");
        let outputs = template(deployment, eks).outputs;
        let login_outputs: Vec<&str> = outputs
            .keys()
            .map(String::as_str)
            .filter(|name| {
                name.starts_with("OAuth") && *name != hub_outputs::OAUTH_CLIENT_SECRET_ARN
            })
            .collect();
        assert_eq!(
            login_outputs,
            [hub_outputs::OAUTH_CLIENT_ID, hub_outputs::OAUTH_LOGOUT_URL]
        );
    }
}
