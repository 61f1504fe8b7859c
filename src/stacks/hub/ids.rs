//! The hub stack's logical ids that other resources refer to (by `Ref`, `Fn::GetAtt` or
//! inside `Fn::Sub` text), each named once: a rename is one edit, and a typo does not
//! compile.

use crate::model::{Profile, User};

/// The ALB access-log bucket.
pub const ACCESS_LOG_BUCKET: &str = "AccessLogBucket";
/// Its bucket policy.
pub const ACCESS_LOG_BUCKET_POLICY: &str = "AccessLogBucketPolicy";
/// The hub's ACM certificate.
pub const CERTIFICATE: &str = "Certificate";
/// The ECS cluster.
pub const CLUSTER: &str = "Cluster";
/// JupyterHub's cookie secret.
pub const COOKIE_SECRET: &str = "CookieSecret";
/// JupyterHub's auth-state key.
pub const CRYPT_KEY: &str = "CryptKey";
/// The hub database.
pub const DATABASE: &str = "Database";
/// RDS enhanced monitoring's role.
pub const DATABASE_MONITORING_ROLE: &str = "DatabaseMonitoringRole";
/// The database user and password.
pub const DATABASE_SECRET: &str = "DatabaseSecret";
/// Its attachment to the database.
pub const DATABASE_SECRET_ATTACHMENT: &str = "DatabaseSecretAttachment";
/// The database's security group.
pub const DATABASE_SECURITY_GROUP: &str = "DatabaseSecurityGroup";
/// The database's subnets.
pub const DATABASE_SUBNET_GROUP: &str = "DatabaseSubnetGroup";
/// HTTP, redirecting to HTTPS.
pub const HTTP_LISTENER: &str = "HttpListener";
/// HTTPS with the certificate.
pub const HTTPS_LISTENER: &str = "HttpsListener";
/// The cluster-admin access entry of whoever deploys (EKS).
pub const DEPLOYER_ACCESS: &str = "DeployerAccess";
/// The EKS control plane's log group (`/aws/eks/<cluster>/cluster`).
pub const CLUSTER_LOG_GROUP: &str = "ClusterLogGroup";
/// The EKS cluster.
pub const EKS_CLUSTER: &str = "Cluster";
/// The EKS control plane's role (and Auto Mode's).
pub const EKS_CLUSTER_ROLE: &str = "ClusterRole";
/// The EKS nodes' role.
pub const EKS_NODE_ROLE: &str = "NodeRole";
/// The GPU node group's launch template.
pub const GPU_LAUNCH_TEMPLATE: &str = "GpuNodeLaunchTemplate";
/// The GPU node group.
pub const GPU_NODE_GROUP: &str = "GpuNodeGroup";
/// Condition: deploy named a principal that is not an admin already.
pub const HAS_DEPLOYER: &str = "HasDeployer";
/// The EFS access point of every home on EKS (`/home`, each user's a sub-path).
pub const HOMES_ACCESS_POINT: &str = "HomesAccessPoint";
/// The general node group's launch template.
pub const NODE_LAUNCH_TEMPLATE: &str = "NodeLaunchTemplate";
/// The general node group.
pub const NODE_GROUP: &str = "NodeGroup";
/// The hub's state on EFS.
pub const HUB_ACCESS_POINT: &str = "HubAccessPoint";
/// The shared data's access point (`storage.shared`): the one every server mounts on ECS,
/// the admins' read-write one on EKS.
pub const SHARED_ACCESS_POINT: &str = "SharedAccessPoint";
/// The shared data's read-only access point on EKS: the nodes may not write through it.
pub const SHARED_READ_ONLY_ACCESS_POINT: &str = "SharedReadOnlyAccessPoint";
/// Cloud Map: the hub API's address.
pub const HUB_DISCOVERY: &str = "HubDiscovery";
/// What ECS needs to start the hub.
pub const HUB_EXECUTION_ROLE: &str = "HubExecutionRole";
/// `hub_host` → the load balancer.
pub const HUB_RECORD: &str = "HubRecord";
/// The hub's security group.
pub const HUB_SECURITY_GROUP: &str = "HubSecurityGroup";
/// The hub's ECS service.
pub const HUB_SERVICE: &str = "HubService";
/// The hub's task definition.
pub const HUB_TASK: &str = "HubTask";
/// What the running hub may do.
pub const HUB_TASK_ROLE: &str = "HubTaskRole";
/// The internet-facing ALB.
pub const LOAD_BALANCER: &str = "LoadBalancer";
/// The ALB's security group.
pub const LOAD_BALANCER_SECURITY_GROUP: &str = "LoadBalancerSecurityGroup";
/// The log group of the hub and the user servers.
pub const LOG_GROUP: &str = "LogGroup";
/// Cloud Map's private namespace.
pub const NAMESPACE: &str = "Namespace";
/// The OAuth client secret (Cognito).
pub const OAUTH_CLIENT_SECRET: &str = "OAuthClientSecret";
/// The token between JupyterHub and its proxy.
pub const PROXY_AUTH_TOKEN: &str = "ProxyAuthToken";
/// The ALB's target: the hub proxy.
pub const TARGET_GROUP: &str = "TargetGroup";
/// What ECS needs to start user servers.
pub const USER_EXECUTION_ROLE: &str = "UserExecutionRole";
/// The Cognito user pool, when created.
pub const USER_POOL: &str = "UserPool";
/// The hub's Cognito app client.
pub const USER_POOL_CLIENT: &str = "UserPoolClient";
/// The user pool's hosted UI domain.
pub const USER_POOL_DOMAIN: &str = "UserPoolDomain";
/// The user servers' security group.
pub const USER_SECURITY_GROUP: &str = "UserSecurityGroup";

/// Letters and digits of `text`, for logical ids.
pub fn alphanumeric(text: &str) -> String {
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

/// The task role of `user`'s servers.
pub fn user_role(user: &User) -> String {
    format!("UserRole{}{}", alphanumeric(&user.name), user.uid)
}

/// The EFS access point of `user`'s home.
pub fn home_access_point(user: &User) -> String {
    format!("HomeAccessPoint{}{}", alphanumeric(&user.name), user.uid)
}

/// The secret carrying `user`'s JupyterHub API token.
pub fn user_token(user: &User) -> String {
    format!("UserToken{}{}", alphanumeric(&user.name), user.uid)
}

/// The task definition of `user`'s server of size `profile`.
pub fn user_task(profile: &Profile, user: &User) -> String {
    format!(
        "UserTask{}{}{}",
        alphanumeric(&profile.name),
        alphanumeric(&user.name),
        user.uid
    )
}
