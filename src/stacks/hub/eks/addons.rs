//! The eks-addons stack (`<project>-<env>-eks-addons`): the EKS add-ons and, for everything
//! in the cluster that calls AWS, a Pod Identity role of exactly what it needs, each
//! trusted by EKS Pod Identity for one service account of this cluster only.
//!
//! Auto Mode runs networking, DNS, block storage, load balancing and the Pod Identity agent
//! itself: its clusters get the EFS CSI driver and external-dns only. Node groups get the
//! Pod Identity agent first, then the VPC CNI (network policies on), CoreDNS, kube-proxy,
//! the EBS and EFS CSI drivers, external-dns, and the AWS Load Balancer Controller's role
//! (the controller itself is a Helm chart deploy installs).

use std::collections::BTreeMap;

use super::{cluster::cluster_name, hub_output, hub_outputs, NAMESPACE};
use crate::cfn::eks::{Addon, AddonNamespace, AddonPodIdentity, PodIdentityAssociation};
use crate::cfn::iam::{PolicyDocument, Principal, Statement};
use crate::cfn::resources::{InlinePolicy, Role};
use crate::cfn::{Expr, Parameter, Resource, Template};
use crate::model::{Compute, Database, Deployment, EksCluster};
use crate::stacks::hub::policies::{
    decrypt_configured_secrets, managed, through_secrets_manager, volumes_with_key,
};
use crate::stacks::hub::reference;
use crate::stacks::{dns, frame, OutputRef, StackId};

/// Parameters of the eks-addons stack.
pub mod parameters {
    /// The cluster's name.
    pub const CLUSTER_NAME: &str = "ClusterName";
    /// The subzone.
    pub const HOSTED_ZONE_ID: &str = "HostedZoneId";
    /// The environment's key.
    pub const KMS_KEY_ARN: &str = "KmsKeyArn";
    /// The OAuth client secret's secret.
    pub const OAUTH_CLIENT_SECRET_ARN: &str = "OAuthClientSecretArn";
    /// The database's secret (postgres only).
    pub const DATABASE_SECRET_ARN: &str = "DatabaseSecretArn";
}

/// Service accounts the roles are for: (namespace, name).
pub mod service_accounts {
    /// The hub pod (Zero-to-JupyterHub's `hub` service account).
    pub const HUB: (&str, &str) = (super::NAMESPACE, "hub");
    /// The VPC CNI's daemon set.
    pub const VPC_CNI: (&str, &str) = ("kube-system", "aws-node");
    /// The EBS CSI driver's controller.
    pub const EBS_CSI: (&str, &str) = ("kube-system", "ebs-csi-controller-sa");
    /// external-dns (the community add-on's namespace and account).
    pub const EXTERNAL_DNS: (&str, &str) = ("external-dns", "external-dns");
    /// The AWS Load Balancer Controller.
    pub const LOAD_BALANCER_CONTROLLER: (&str, &str) =
        ("kube-system", "aws-load-balancer-controller");
}

/// Role logical ids.
pub mod roles {
    /// The hub's: reads its secrets.
    pub const HUB: &str = "HubPodRole";
    /// The VPC CNI's.
    pub const VPC_CNI: &str = "VpcCniPodRole";
    /// The EBS CSI driver's.
    pub const EBS_CSI: &str = "EbsCsiPodRole";
    /// external-dns's.
    pub const EXTERNAL_DNS: &str = "ExternalDnsPodRole";
    /// The AWS Load Balancer Controller's.
    pub const LOAD_BALANCER_CONTROLLER: &str = "LoadBalancerControllerPodRole";
}

/// Where the stack's parameters come from.
pub fn inputs(deployment: &Deployment) -> BTreeMap<String, OutputRef> {
    use parameters as p;
    let mut inputs = BTreeMap::from([
        (
            p::CLUSTER_NAME.to_string(),
            hub_output(hub_outputs::CLUSTER_NAME),
        ),
        (
            p::HOSTED_ZONE_ID.to_string(),
            OutputRef::new(StackId::Dns, dns::HOSTED_ZONE_ID),
        ),
        (
            p::KMS_KEY_ARN.to_string(),
            OutputRef::new(StackId::Frame, frame::outputs::KMS_KEY_ARN),
        ),
        (
            p::OAUTH_CLIENT_SECRET_ARN.to_string(),
            hub_output(hub_outputs::OAUTH_CLIENT_SECRET_ARN),
        ),
    ]);
    if matches!(deployment.hub.database, Database::Postgres { .. }) {
        inputs.insert(
            p::DATABASE_SECRET_ARN.to_string(),
            hub_output(hub_outputs::DATABASE_SECRET_ARN),
        );
    }
    inputs
}

/// The cluster's ARN (known before it exists: the name is fixed).
fn cluster_arn(deployment: &Deployment) -> Expr {
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:eks:${{AWS::Region}}:${{AWS::AccountId}}:cluster/{}",
        cluster_name(deployment)
    ))
}

/// EKS Pod Identity of this cluster, for the service account `(namespace, name)` only:
/// Pod Identity tags each session with the cluster's ARN and the pod's namespace and
/// service account (the session tags AWS documents for such conditions), so the trust
/// holds even if another association, in this cluster or another, named this role.
pub fn pod_identity_trust(
    deployment: &Deployment,
    (namespace, account): (&str, &str),
) -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow(
        "EksPodIdentityOfThisServiceAccount",
        &["sts:AssumeRole", "sts:TagSession"],
        vec![],
    )
    .principal(Principal::service("pods.eks.amazonaws.com"))
    .when(
        "StringEquals",
        "aws:RequestTag/eks-cluster-arn",
        cluster_arn(deployment),
    )
    .when(
        "StringEquals",
        "aws:RequestTag/kubernetes-namespace",
        namespace.into(),
    )
    .when(
        "StringEquals",
        "aws:RequestTag/kubernetes-service-account",
        account.into(),
    )])
}

fn pod_role(
    deployment: &Deployment,
    service_account: (&str, &str),
    description: String,
    managed: Vec<Expr>,
    statements: Vec<Statement>,
) -> Resource {
    Resource::new(Role {
        assume_role_policy_document: Some(pod_identity_trust(deployment, service_account)),
        description,
        managed_policy_arns: managed,
        policies: if statements.is_empty() {
            Vec::new()
        } else {
            vec![InlinePolicy {
                policy_name: "Least".to_string(),
                policy_document: PolicyDocument::new(statements),
            }]
        },
        ..Role::default()
    })
}

fn addon(
    name: &str,
    versions: &BTreeMap<String, String>,
    pod_identity: Option<(&str, &str)>,
    configuration: Option<serde_json::Value>,
) -> Resource {
    Resource::new(Addon {
        addon_name: name.to_string(),
        addon_version: versions.get(name).cloned(),
        cluster_name: reference(parameters::CLUSTER_NAME),
        configuration_values: configuration.map(|value| value.to_string()),
        // Its service account's namespace is in its role's trust: pinned, not the add-on's
        // default of the day.
        namespace_config: (name == "external-dns").then(|| AddonNamespace {
            namespace: service_accounts::EXTERNAL_DNS.0.to_string(),
        }),
        pod_identity_associations: pod_identity
            .map(|(role, account)| AddonPodIdentity {
                role_arn: Expr::get_att(role, "Arn"),
                service_account: account.to_string(),
            })
            .into_iter()
            .collect(),
        // The cluster's networking and DNS stay running if the add-on is deleted before
        // the cluster (a destroy stopped by a protected cluster leaves a working cluster).
        preserve_on_delete: ["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]
            .contains(&name)
            .then_some(true),
        // Node groups start with EKS's own vpc-cni, kube-proxy and CoreDNS: the add-ons
        // take them over.
        resolve_conflicts: "OVERWRITE".to_string(),
    })
}

/// The eks-addons template of `eks`.
pub fn template(deployment: &Deployment, eks: &EksCluster) -> Template {
    let name = deployment.stack_name(crate::stacks::StackId::EksAddons.suffix());
    let auto = matches!(eks.compute, Compute::Auto);
    let mut template = Template::new(format!(
        "hubctl {name}: EKS add-ons of cluster {} and the Pod Identity roles of what runs in it",
        cluster_name(deployment)
    ));
    let upstream = |what: &str| Parameter::new("String", what);
    use parameters as p;
    template.parameter(
        p::CLUSTER_NAME,
        upstream("From the hub stack: the EKS cluster"),
    );
    template.parameter(
        p::HOSTED_ZONE_ID,
        Parameter::new(
            "AWS::Route53::HostedZone::Id",
            "From the dns stack: the subzone",
        ),
    );
    let mut key = upstream("From the frame stack: the environment's KMS key");
    key.allowed_pattern = Some(crate::stacks::KMS_KEY_ARN_PATTERN.to_string());
    template.parameter(p::KMS_KEY_ARN, key);
    let secret_pattern = "^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$";
    let mut oauth = upstream("From the hub stack: the secret holding the OAuth client secret");
    oauth.allowed_pattern = Some(secret_pattern.to_string());
    template.parameter(p::OAUTH_CLIENT_SECRET_ARN, oauth);
    let mut hub_secrets = vec![reference(p::OAUTH_CLIENT_SECRET_ARN)];
    // Secrets named in the config may be under any key of the account.
    let mut configured: Vec<&str> = Vec::new();
    if let crate::model::Auth::OAuth(provider) = &deployment.hub.auth {
        configured.push(&provider.client_secret_arn);
    }
    if let Database::External { url_secret_arn } = &deployment.hub.database {
        configured.push(url_secret_arn);
    }
    match &deployment.hub.database {
        Database::Postgres { .. } => {
            let mut database = upstream("From the hub stack: the database's user and password");
            database.allowed_pattern = Some(secret_pattern.to_string());
            template.parameter(p::DATABASE_SECRET_ARN, database);
            hub_secrets.push(reference(p::DATABASE_SECRET_ARN));
        }
        Database::External { url_secret_arn } => hub_secrets.push(url_secret_arn.clone().into()),
        Database::Sqlite { .. } => {}
    }

    let zone_arn = Expr::sub(format!(
        "arn:${{AWS::Partition}}:route53:::hostedzone/${{{}}}",
        p::HOSTED_ZONE_ID
    ));
    let key = reference(p::KMS_KEY_ARN);
    let subzone = deployment.dns.subzone.as_str();

    // The hub reads its secrets when it starts, with its own role.
    let mut hub_statements = vec![
        Statement::allow(
            "ReadHubSecrets",
            &["secretsmanager:GetSecretValue"],
            hub_secrets,
        ),
        through_secrets_manager(Statement::allow(
            "DecryptThem",
            &["kms:Decrypt"],
            vec![key.clone()],
        )),
    ];
    hub_statements.extend(decrypt_configured_secrets(&configured));
    template.add(
        roles::HUB,
        pod_role(
            deployment,
            service_accounts::HUB,
            "JupyterHub's hub pod: reads its OAuth client secret (and database secret)".to_string(),
            Vec::new(),
            hub_statements,
        ),
    );
    template.add(
        "HubPodIdentity",
        Resource::new(PodIdentityAssociation {
            cluster_name: reference(p::CLUSTER_NAME),
            namespace: service_accounts::HUB.0.to_string(),
            role_arn: Expr::get_att(roles::HUB, "Arn"),
            service_account: service_accounts::HUB.1.to_string(),
        }),
    );

    // external-dns writes the hub's record (and its ownership TXT records) in the
    // subzone, below its apex (at it only when the hub's name is the subzone's): never the
    // subzone's NS or SOA (the record types say so), never another zone.
    let mut record_names = vec![format!("*.{subzone}")];
    if deployment.dns.hub_host == deployment.dns.subzone {
        record_names.insert(0, subzone.to_string());
    }
    template.add(
        roles::EXTERNAL_DNS,
        pod_role(
            deployment,
            service_accounts::EXTERNAL_DNS,
            format!("external-dns: the records below {subzone} only"),
            Vec::new(),
            vec![
                Statement::allow(
                    "ChangeRecordsBelowTheSubzone",
                    &["route53:ChangeResourceRecordSets"],
                    vec![zone_arn.clone()],
                )
                .when(
                    "ForAllValues:StringEquals",
                    "route53:ChangeResourceRecordSetsRecordTypes",
                    Expr::strings(&["A", "AAAA", "TXT"]),
                )
                .when(
                    "ForAllValues:StringLike",
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames",
                    Expr::strings(&record_names),
                ),
                Statement::allow(
                    "ReadTheSubzone",
                    &[
                        "route53:ListResourceRecordSets",
                        "route53:ListTagsForResource",
                    ],
                    vec![zone_arn],
                ),
                // No resource-level permissions exist for listing zones.
                Statement::allow(
                    "FindTheSubzone",
                    &["route53:ListHostedZones"],
                    vec!["*".into()],
                ),
            ],
        ),
    );
    let txt_owner = cluster_name(deployment);
    let external_dns_config = serde_json::json!({
        "domainFilters": [subzone],
        "policy": "sync",
        "txtOwnerId": txt_owner,
    });

    if !auto {
        template.add(
            POD_IDENTITY_AGENT,
            addon("eks-pod-identity-agent", &eks.addon_versions, None, None),
        );
        template.add(
            roles::VPC_CNI,
            pod_role(
                deployment,
                service_accounts::VPC_CNI,
                "VPC CNI: assigns pod addresses on the nodes".to_string(),
                vec![managed("AmazonEKS_CNI_Policy")],
                Vec::new(),
            ),
        );
        template.add(
            "VpcCni",
            addon(
                "vpc-cni",
                &eks.addon_versions,
                Some((roles::VPC_CNI, service_accounts::VPC_CNI.1)),
                Some(serde_json::json!({"enableNetworkPolicy": "true"})),
            ),
        );
        template.add("CoreDns", addon("coredns", &eks.addon_versions, None, None));
        template.add(
            "KubeProxy",
            addon("kube-proxy", &eks.addon_versions, None, None),
        );
        template.add(
            roles::EBS_CSI,
            pod_role(
                deployment,
                service_accounts::EBS_CSI,
                "EBS CSI driver: the hub's volume, encrypted with the environment's key"
                    .to_string(),
                vec![managed("service-role/AmazonEBSCSIDriverPolicy")],
                volumes_with_key(&key),
            ),
        );
        template.add(
            "EbsCsiDriver",
            addon(
                "aws-ebs-csi-driver",
                &eks.addon_versions,
                Some((roles::EBS_CSI, service_accounts::EBS_CSI.1)),
                None,
            ),
        );
        template.add(
            roles::LOAD_BALANCER_CONTROLLER,
            pod_role(
                deployment,
                service_accounts::LOAD_BALANCER_CONTROLLER,
                "AWS Load Balancer Controller: the hub's ALB, its target groups and security groups".to_string(),
                Vec::new(),
                load_balancer_controller_statements(&cluster_name(deployment)),
            ),
        );
        template.add(
            "LoadBalancerControllerPodIdentity",
            Resource::new(PodIdentityAssociation {
                cluster_name: reference(p::CLUSTER_NAME),
                namespace: service_accounts::LOAD_BALANCER_CONTROLLER.0.to_string(),
                role_arn: Expr::get_att(roles::LOAD_BALANCER_CONTROLLER, "Arn"),
                service_account: service_accounts::LOAD_BALANCER_CONTROLLER.1.to_string(),
            }),
        );
    }
    template.add(
        "EfsCsiDriver",
        addon(
            "aws-efs-csi-driver",
            &eks.addon_versions,
            // Its node daemon set mounts with the node's role (the add-on takes Pod
            // Identity for its controller only, and the mount helper reads only instance
            // credentials in the driver versions EKS offers): see the hub stack's NodeRole.
            None,
            None,
        ),
    );
    template.add(
        "ExternalDns",
        addon(
            "external-dns",
            &eks.addon_versions,
            Some((roles::EXTERNAL_DNS, service_accounts::EXTERNAL_DNS.1)),
            Some(external_dns_config),
        ),
    );
    // Node groups: everything that takes a role waits for the agent that hands roles out
    // (Auto Mode runs the agent itself).
    if !auto {
        for (id, resource) in template.resources.iter_mut() {
            if id != POD_IDENTITY_AGENT
                && matches!(
                    resource.kind,
                    "AWS::EKS::Addon" | "AWS::EKS::PodIdentityAssociation"
                )
            {
                resource.depends_on.push(POD_IDENTITY_AGENT.to_string());
            }
        }
    }
    template
}

/// The Pod Identity agent add-on's logical id (node groups only).
const POD_IDENTITY_AGENT: &str = "PodIdentityAgent";

/// What the AWS Load Balancer Controller calls, scoped by the tag it puts on everything it
/// creates (`elbv2.k8s.aws/cluster` = the cluster's name): it creates only with that tag,
/// changes and deletes only what carries it, and may not rewrite or drop it.
fn load_balancer_controller_statements(cluster: &str) -> Vec<Statement> {
    const TAG: &str = "elbv2.k8s.aws/cluster";
    let ours = |statement: Statement| {
        statement.when(
            "StringEquals",
            &format!("aws:ResourceTag/{TAG}"),
            cluster.into(),
        )
    };
    let creates_ours = |statement: Statement| {
        statement.when(
            "StringEquals",
            &format!("aws:RequestTag/{TAG}"),
            cluster.into(),
        )
    };
    let keeps_the_tag = |statement: Statement| {
        statement.when("Null", &format!("aws:RequestTag/{TAG}"), "true".into())
    };
    vec![
        Statement::allow(
            "Describe",
            &[
                "acm:DescribeCertificate",
                "acm:ListCertificates",
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInstances",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeTags",
                "ec2:DescribeVpcs",
                "ec2:GetSecurityGroupsForVpc",
                "elasticloadbalancing:DescribeListenerAttributes",
                "elasticloadbalancing:DescribeListenerCertificates",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeSSLPolicies",
                "elasticloadbalancing:DescribeTags",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            vec!["*".into()],
        ),
        Statement::allow(
            "ElbServiceLinkedRole",
            &["iam:CreateServiceLinkedRole"],
            vec!["*".into()],
        )
        .when(
            "StringEquals",
            "iam:AWSServiceName",
            "elasticloadbalancing.amazonaws.com".into(),
        ),
        creates_ours(Statement::allow(
            "CreateTaggedSecurityGroups",
            &["ec2:CreateSecurityGroup"],
            vec!["*".into()],
        )),
        creates_ours(
            Statement::allow(
                "TagNewSecurityGroups",
                &["ec2:CreateTags"],
                vec!["*".into()],
            )
            .when(
                "StringEquals",
                "ec2:CreateAction",
                "CreateSecurityGroup".into(),
            ),
        ),
        // Its own groups, and the cluster's (the nodes' and pods' group), get the rules that
        // let the load balancer in; no other group in the account.
        ours(Statement::allow(
            "ManageItsSecurityGroups",
            &[
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
                "ec2:RevokeSecurityGroupIngress",
            ],
            vec!["*".into()],
        )),
        Statement::allow(
            "OpenTheClusterGroupToTheLoadBalancer",
            &[
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
            ],
            vec!["*".into()],
        )
        .when(
            "StringEquals",
            "aws:ResourceTag/aws:eks:cluster-name",
            cluster.into(),
        ),
        keeps_the_tag(ours(Statement::allow(
            "TagItsSecurityGroups",
            &["ec2:CreateTags", "ec2:DeleteTags"],
            vec!["*".into()],
        ))),
        // A listener or rule is authorized on its load balancer or listener (tagged) or
        // on itself (tagged in the request): either way, only for this cluster.
        creates_ours(Statement::allow(
            "CreateTaggedLoadBalancers",
            &[
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:CreateTargetGroup",
            ],
            vec!["*".into()],
        )),
        creates_ours(
            Statement::allow(
                "TagOnCreate",
                &["elasticloadbalancing:AddTags"],
                vec!["*".into()],
            )
            .when(
                "StringEquals",
                "elasticloadbalancing:CreateAction",
                Expr::strings(&[
                    "CreateListener",
                    "CreateLoadBalancer",
                    "CreateRule",
                    "CreateTargetGroup",
                ]),
            ),
        ),
        ours(Statement::allow(
            "ManageItsLoadBalancers",
            &[
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:DeregisterTargets",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
            ],
            vec!["*".into()],
        )),
        keeps_the_tag(ours(Statement::allow(
            "TagItsLoadBalancers",
            &[
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
            ],
            vec!["*".into()],
        ))),
    ]
}
