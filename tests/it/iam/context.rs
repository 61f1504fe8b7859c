//! Request contexts as AWS builds them, one function per kind of request, each citing the
//! page that says what AWS puts in it. Only keys AWS really sends are set; the evaluator
//! (`tests/iam/simulate.mjs`) reports any key the Service Authorization Reference does not
//! list for the action, so a test cannot grant itself a key AWS would leave out.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::Request;

/// Who signs a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// An IAM user (moto's default caller is `arn:aws:iam::123456789012:user/moto`).
    User {
        /// The user's ARN.
        arn: String,
    },
    /// A session of an assumed role.
    RoleSession {
        /// The role's ARN, with its path.
        role_arn: String,
        /// The session name given to AssumeRole (or the ECS task id, for task roles).
        session: String,
    },
}

/// The account of an ARN (`arn:partition:service:region:ACCOUNT:...`).
pub fn account_of(arn: &str) -> String {
    arn.split(':').nth(4).unwrap_or_default().to_string()
}

impl Principal {
    /// A user or a role session, from the ARN GetCallerIdentity returns.
    pub fn from_caller_arn(arn: &str) -> Principal {
        if let Some(rest) = arn.split(":assumed-role/").nth(1) {
            let (role, session) = rest.split_once('/').unwrap_or((rest, ""));
            let partition = arn.split(':').nth(1).unwrap_or("aws");
            Principal::RoleSession {
                role_arn: format!("arn:{partition}:iam::{}:role/{role}", account_of(arn)),
                session: session.to_string(),
            }
        } else {
            // moto answers `arn:aws:sts::ACCOUNT:user/NAME` for a user; AWS names users in iam.
            let partition = arn.split(':').nth(1).unwrap_or("aws");
            let name = arn.split(":user/").nth(1).unwrap_or_default();
            Principal::User {
                arn: format!("arn:{partition}:iam::{}:user/{name}", account_of(arn)),
            }
        }
    }

    /// The ARN the request is made by: the user, or
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE-NAME/SESSION` (the path is not part of it).
    pub fn arn(&self) -> String {
        match self {
            Principal::User { arn } => arn.clone(),
            Principal::RoleSession { role_arn, session } => {
                let partition = role_arn.split(':').nth(1).unwrap_or("aws");
                let name = role_arn.rsplit('/').next().unwrap_or_default();
                format!(
                    "arn:{partition}:sts::{}:assumed-role/{name}/{session}",
                    account_of(role_arn)
                )
            }
        }
    }

    /// The principal's part of every request context. IAM User Guide, "AWS global condition
    /// context keys" (reference_policies_condition-keys.html): `aws:PrincipalAccount` is "the
    /// account to which the requesting principal belongs" — for a role session the role's
    /// own account, not the account that assumed it; `aws:PrincipalArn` is the user's ARN, or
    /// "for IAM roles, the ARN of the role, not the ARN of the user that assumed the role";
    /// `aws:PrincipalType` is `User` or `AssumedRole`.
    pub fn context(&self) -> BTreeMap<String, Value> {
        let (arn, kind) = match self {
            Principal::User { arn } => (arn.clone(), "User"),
            Principal::RoleSession { role_arn, .. } => (role_arn.clone(), "AssumedRole"),
        };
        BTreeMap::from([
            ("aws:PrincipalAccount".to_string(), json!(account_of(&arn))),
            ("aws:PrincipalArn".to_string(), json!(arn)),
            ("aws:PrincipalType".to_string(), json!(kind)),
            ("aws:SecureTransport".to_string(), json!("true")),
        ])
    }

    /// A request by this principal.
    pub fn request(&self, action: &str, resource: &str, resource_account: &str) -> Request {
        Request {
            principal: self.arn(),
            action: action.to_string(),
            resource: resource.to_string(),
            resource_account: resource_account.to_string(),
            context: self.context(),
        }
    }
}

impl Request {
    /// Adds a context key.
    pub fn with(mut self, key: &str, value: Value) -> Request {
        self.context.insert(key.to_string(), value);
        self
    }
}

/// `sts:AssumeRole` of `role_arn` by `caller`, evaluated against the role's trust policy.
/// IAM User Guide, "AWS global condition context keys" (the caller's principal keys) and
/// "Passing session tags in AWS STS" (id_session-tags.html: each tag passed arrives as
/// `aws:RequestTag/<key>`, their keys as `aws:TagKeys`); `sts:RoleSessionName` is the session
/// name (IAM User Guide, "Available keys for AWS STS", reference_policies_iam-condition-keys.html).
pub fn assume_role(
    caller: &Principal,
    role_arn: &str,
    session: &str,
    tags: &[(String, String)],
) -> Request {
    let mut request = caller
        .request("sts:AssumeRole", role_arn, &account_of(role_arn))
        .with("sts:RoleSessionName", json!(session));
    if !tags.is_empty() {
        for (key, value) in tags {
            request = request.with(&format!("aws:RequestTag/{key}"), json!(value));
        }
        let keys: Vec<&String> = tags.iter().map(|(key, _)| key).collect();
        request = request.with("aws:TagKeys", json!(keys));
    }
    request
}

/// One change of a Route 53 change batch: (action, record name, record type).
pub type RecordChange = (String, String, String);

/// `route53:ChangeResourceRecordSets` on `zone_id`. Route 53 Developer Guide, "Using IAM
/// policy conditions for fine-grained access control" (specifying-rrset-conditions.html):
/// `route53:ChangeResourceRecordSetsActions`, `...RecordTypes` and
/// `...NormalizedRecordNames` are multivalued, one value per change of the batch; a
/// normalized name is lowercase, without the trailing dot.
pub fn route53_change(session: &Principal, zone_id: &str, changes: &[RecordChange]) -> Request {
    let mut actions: Vec<&str> = changes.iter().map(|(a, _, _)| a.as_str()).collect();
    let mut names: Vec<String> = changes
        .iter()
        .map(|(_, name, _)| name.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    let mut types: Vec<&str> = changes.iter().map(|(_, _, t)| t.as_str()).collect();
    for values in [&mut actions, &mut types] {
        values.sort();
        values.dedup();
    }
    names.sort();
    names.dedup();
    session
        .request(
            "route53:ChangeResourceRecordSets",
            &format!("arn:aws:route53:::hostedzone/{zone_id}"),
            &session_account(session),
        )
        .with("route53:ChangeResourceRecordSetsActions", json!(actions))
        .with(
            "route53:ChangeResourceRecordSetsNormalizedRecordNames",
            json!(names),
        )
        .with("route53:ChangeResourceRecordSetsRecordTypes", json!(types))
}

/// The account whose resources a session reaches: the role's.
fn session_account(principal: &Principal) -> String {
    match principal {
        Principal::User { arn } => account_of(arn),
        Principal::RoleSession { role_arn, .. } => account_of(role_arn),
    }
}

/// A Route 53 request with no service-specific keys: `ListResourceRecordSets` on a zone,
/// `GetChange` on a change, `ListHostedZonesByName` on `*` (Service Authorization Reference,
/// "Actions defined by Amazon Route 53": resource types hostedzone, change, none).
pub fn route53(session: &Principal, action: &str, resource: &str) -> Request {
    session.request(
        &format!("route53:{action}"),
        resource,
        &session_account(session),
    )
}

/// A pod whose service account has an EKS Pod Identity association.
#[derive(Clone, Debug)]
pub struct Pod {
    /// The cluster's ARN (`arn:aws:eks:<region>:<account>:cluster/<name>`).
    pub cluster_arn: String,
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's service account.
    pub service_account: String,
    /// The pod's name.
    pub name: String,
    /// The pod's UID.
    pub uid: String,
}

/// The AssumeRole (`action` `sts:AssumeRole`) or TagSession (`sts:TagSession`) EKS Pod
/// Identity makes for `pod` on `role_arn`. Amazon EKS User Guide, "Create IAM role with
/// trust policy required by EKS Pod Identity" (pod-id-role.html: the principal
/// `pods.eks.amazonaws.com` calls `sts:AssumeRole` and `sts:TagSession`) and "Grant Pods
/// access to AWS resources based on tags" (pod-id-abac.html: the session tags
/// `eks-cluster-arn`, `eks-cluster-name`, `kubernetes-namespace`, `kubernetes-service-account`,
/// `kubernetes-pod-name`, `kubernetes-pod-uid` on the AssumeRole request, all transitive —
/// so each is an `aws:RequestTag/<key>`, their keys are `aws:TagKeys` and
/// `sts:TransitiveTagKeys`); EKS Auth API Reference, `AssumedRoleUser`: the session name is
/// `eks-<cluster name>-<pod name>-<random UUID>` (at most 64 characters, as STS allows).
/// `aws:SourceAccount` is the cluster's account and `aws:SourceArn` the cluster's ARN, as a
/// service acting for a resource sends them (IAM User Guide, "The confused deputy problem");
/// the EKS guides do not spell out the value of `aws:SourceArn` for Pod Identity.
pub fn pod_identity(action: &str, role_arn: &str, pod: &Pod) -> Request {
    let cluster_name = pod.cluster_arn.rsplit('/').next().unwrap_or_default();
    let tags = [
        ("eks-cluster-arn", pod.cluster_arn.as_str()),
        ("eks-cluster-name", cluster_name),
        ("kubernetes-namespace", pod.namespace.as_str()),
        ("kubernetes-service-account", pod.service_account.as_str()),
        ("kubernetes-pod-name", pod.name.as_str()),
        ("kubernetes-pod-uid", pod.uid.as_str()),
    ];
    let mut session = format!("eks-{cluster_name}-{}-{}", pod.name, pod.uid);
    session.truncate(64);
    let mut request = Request {
        principal: "pods.eks.amazonaws.com".to_string(),
        action: action.to_string(),
        resource: role_arn.to_string(),
        resource_account: account_of(role_arn),
        context: BTreeMap::from([
            ("aws:SecureTransport".to_string(), json!("true")),
            (
                "aws:SourceAccount".to_string(),
                json!(account_of(&pod.cluster_arn)),
            ),
            ("aws:SourceArn".to_string(), json!(pod.cluster_arn)),
        ]),
    };
    if action == "sts:AssumeRole" {
        request = request.with("sts:RoleSessionName", json!(session));
    }
    for (key, value) in tags {
        request = request.with(&format!("aws:RequestTag/{key}"), json!(value));
    }
    let keys: Vec<&str> = tags.iter().map(|(key, _)| *key).collect();
    request
        .with("aws:TagKeys", json!(keys))
        .with("sts:TransitiveTagKeys", json!(keys))
}
