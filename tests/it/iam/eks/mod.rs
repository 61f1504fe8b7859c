//! `platform: eks`, as IAM evaluates it: the Pod Identity roles of the eks-addons stack
//! (trusted by EKS Pod Identity for one service account of this cluster only), what each
//! add-on and the hub pod may do with them, and the hub stack's cluster and node roles.
//! Both EKS fixtures: the example's eks-dev (Auto Mode) and `tests/fixtures/eks-nodegroups.yaml`
//! (managed node groups, PostgreSQL, a configured OAuth secret, the AWS Load Balancer
//! Controller). Each allowed case has denied twins, built from the same request with one
//! thing changed.
//!
//! AWS managed policies (AmazonEKSClusterPolicy, AmazonEBSCSIDriverPolicy, ...) are documents
//! this harness does not have: they are not evaluated, only listed
//! (`managed_policies_are_listed_and_not_evaluated`), so that a new one fails until someone
//! looks at it. What the evaluator cannot decide here is said where it matters.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::context::{self, account_of, Pod, Principal, RecordChange};
use super::hub::{read_json, resource_of};
use super::resolve::{outputs, resolve, Scope};
use super::{check, inline_policies, Case, Expect, Policies, Request};
use crate::support::{root, synth};

mod load_balancer;
mod storage;

/// The EKS fixtures: (config, environment).
const FIXTURES: [(&str, &str); 2] = [
    ("config.example.yaml", "eks-dev"),
    ("tests/fixtures/eks-nodegroups.yaml", "eks-dev"),
];

/// An account that is not the environment's.
const OTHER_ACCOUNT: &str = "999999999999";

/// The namespace each EKS add-on runs its service accounts in (Amazon EKS User Guide, each
/// add-on's page: the EBS and EFS CSI drivers and the VPC CNI in `kube-system`; the
/// community add-on external-dns in `external-dns`). An add-on's Pod Identity association
/// names the service account only; the namespace is the add-on's.
const ADDON_NAMESPACES: [(&str, &str); 4] = [
    ("aws-ebs-csi-driver", "kube-system"),
    ("aws-efs-csi-driver", "kube-system"),
    ("vpc-cni", "kube-system"),
    ("external-dns", "external-dns"),
];

/// One environment's stacks, every intrinsic resolved as CloudFormation would; each stack's
/// parameters filled from the upstream outputs its manifest names, as deploy fills them.
struct Env {
    name: String,
    dir: PathBuf,
    region: String,
    account: String,
    manifest: Value,
    stacks: BTreeMap<String, (Value, Scope)>,
}

/// A role as IAM holds it.
struct Role {
    arn: String,
    trust: Value,
    identity: Vec<(String, Value)>,
    managed: Vec<String>,
}

impl Env {
    fn load(out: &Path, env: &str) -> Env {
        let dir = out.join(env);
        let manifest = read_json(&dir.join("manifest.json"));
        let region = manifest["region"].as_str().expect("region").to_string();
        let account = manifest["account"].as_str().expect("account").to_string();
        let mut upstream: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
        let mut stacks = BTreeMap::new();
        for stack in manifest["stacks"].as_array().expect("stacks") {
            let id = stack["id"].as_str().expect("id").to_string();
            let name = stack["name"].as_str().expect("name");
            let template = read_json(&dir.join(stack["template"].as_str().expect("template")));
            let mut scope = Scope::new(&region, &account, name);
            for (parameter, source) in stack["parameters"].as_object().expect("parameters") {
                let value = upstream[source["stack"].as_str().expect("stack")]
                    [source["output"].as_str().expect("output")]
                .clone();
                let kind = template["Parameters"][parameter]["Type"]
                    .as_str()
                    .unwrap_or_default();
                let value = match (&value, kind.starts_with("List<")) {
                    (Value::String(text), true) => json!(text.split(',').collect::<Vec<_>>()),
                    _ => value,
                };
                scope = scope.parameter(parameter, value);
            }
            // Deploy fills the deployer's ARN (a role of the account).
            if let Some(parameter) = stack["deployer_parameter"].as_str() {
                scope = scope.parameter(
                    parameter,
                    json!(format!("arn:aws:iam::{account}:role/Deployer")),
                );
            }
            let scope = scope.with_resources(&template);
            upstream.insert(id.clone(), outputs(&template, &scope));
            stacks.insert(id, (template, scope));
        }
        for id in ["frame", "dns", "hub", "eks-addons"] {
            assert!(stacks.contains_key(id), "{env}: no {id} stack");
        }
        Env {
            name: env.to_string(),
            dir,
            region,
            account,
            manifest,
            stacks,
        }
    }

    /// Names the environment after its config in the cases' names.
    fn labelled(mut self, config: &str) -> Env {
        let stem = Path::new(config)
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.name = format!("{stem}/{}", self.name);
        self
    }

    fn template(&self, stack: &str) -> &Value {
        &self.stacks[stack].0
    }

    fn scope(&self, stack: &str) -> &Scope {
        &self.stacks[stack].1
    }

    /// The resolved properties of `id` in `stack`.
    fn properties(&self, stack: &str, id: &str) -> Value {
        let resource = &self.template(stack)["Resources"][id];
        assert!(!resource.is_null(), "{}: no {id} in {stack}", self.name);
        resolve(&resource["Properties"], self.scope(stack))
    }

    fn ids_of(&self, stack: &str, kind: &str) -> Vec<String> {
        self.template(stack)["Resources"]
            .as_object()
            .expect("resources")
            .iter()
            .filter(|(_, r)| r["Type"] == kind)
            .map(|(id, _)| id.clone())
            .collect()
    }

    fn has(&self, stack: &str, id: &str) -> bool {
        !self.template(stack)["Resources"][id].is_null()
    }

    /// A parameter's value (a `Ref` of it).
    fn parameter(&self, stack: &str, name: &str) -> String {
        self.scope(stack).refs[name]
            .as_str()
            .unwrap_or_else(|| panic!("{}: {stack} parameter {name}", self.name))
            .to_string()
    }

    fn role(&self, stack: &str, id: &str) -> Role {
        let properties = self.properties(stack, id);
        Role {
            arn: self.scope(stack).attributes[&format!("{id}.Arn")].clone(),
            trust: properties["AssumeRolePolicyDocument"].clone(),
            identity: inline_policies(&properties),
            managed: properties["ManagedPolicyArns"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|arn| arn.as_str().expect("a policy ARN").to_string())
                .collect(),
        }
    }

    fn cluster_arn(&self) -> String {
        self.scope("hub").attributes["Cluster.Arn"].clone()
    }

    fn cluster_name(&self) -> String {
        self.parameter("eks-addons", "ClusterName")
    }

    /// The frame's key policy, and the key's ARN as the stacks receive it.
    fn key(&self) -> (String, Value) {
        let (_, key) = resource_of(self.template("frame"), "AWS::KMS::Key");
        (
            self.parameter("eks-addons", "KmsKeyArn"),
            resolve(&key["Properties"]["KeyPolicy"], self.scope("frame")),
        )
    }

    fn file_system_policy(&self) -> Value {
        let (_, fs) = resource_of(self.template("frame"), "AWS::EFS::FileSystem");
        resolve(&fs["Properties"]["FileSystemPolicy"], self.scope("frame"))
    }

    /// A hub stack output's value.
    fn hub_output(&self, output: &str) -> String {
        outputs(self.template("hub"), self.scope("hub"))[output]
            .as_str()
            .unwrap_or_else(|| panic!("{}: hub output {output}", self.name))
            .to_string()
    }

    /// The hub's host name (from the hub stack's `HubUrl`).
    fn hub_host(&self) -> String {
        let url = self.hub_output("HubUrl");
        url.trim_start_matches("https://")
            .trim_end_matches('/')
            .to_string()
    }

    fn subzone(&self) -> String {
        self.manifest["delegation"]["subzone"]
            .as_str()
            .expect("the subzone")
            .to_string()
    }

    /// Each eks-addons role's service account `(namespace, name)`, from the add-ons' and
    /// the stack's Pod Identity associations.
    fn service_accounts(&self) -> BTreeMap<String, Vec<(String, String)>> {
        let mut found: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let role_of = |arn: &Value| -> String {
            arn["Fn::GetAtt"][0]
                .as_str()
                .unwrap_or_else(|| panic!("a role of the stack: {arn}"))
                .to_string()
        };
        let resources = self.template("eks-addons")["Resources"]
            .as_object()
            .expect("resources");
        for resource in resources.values() {
            let properties = &resource["Properties"];
            match resource["Type"].as_str().unwrap_or_default() {
                "AWS::EKS::Addon" => {
                    let addon = properties["AddonName"].as_str().expect("an add-on");
                    for association in properties["PodIdentityAssociations"]
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        let namespace = ADDON_NAMESPACES
                            .iter()
                            .find(|(name, _)| *name == addon)
                            .unwrap_or_else(|| {
                                panic!("{addon}: add its namespace to ADDON_NAMESPACES")
                            })
                            .1;
                        found
                            .entry(role_of(&association["RoleArn"]))
                            .or_default()
                            .push((
                                namespace.to_string(),
                                association["ServiceAccount"]
                                    .as_str()
                                    .expect("a service account")
                                    .to_string(),
                            ));
                    }
                }
                "AWS::EKS::PodIdentityAssociation" => {
                    found
                        .entry(role_of(&properties["RoleArn"]))
                        .or_default()
                        .push((
                            properties["Namespace"]
                                .as_str()
                                .expect("a namespace")
                                .to_string(),
                            properties["ServiceAccount"]
                                .as_str()
                                .expect("a service account")
                                .to_string(),
                        ));
                }
                _ => {}
            }
        }
        found
    }

    /// The pod of `(namespace, service account)` in this cluster.
    fn pod(&self, (namespace, service_account): (&str, &str)) -> Pod {
        Pod {
            cluster_arn: self.cluster_arn(),
            namespace: namespace.to_string(),
            service_account: service_account.to_string(),
            name: format!("{service_account}-6d8f7c9b5-x2k9q"),
            uid: "8c1e4b2a-5d3f-4e6a-9b7c-0d1e2f3a4b5c".to_string(),
        }
    }

    /// The session of the nodes' instance role (EC2 names it after the instance), as the EFS
    /// mount helper on a node uses it. It carries no session tags; none of the node role's
    /// policies reads any, and the tags `tagged` adds change nothing.
    fn node_session(&self) -> PodSession {
        let role = self.role("hub", "NodeRole");
        PodSession {
            principal: Principal::RoleSession {
                role_arn: role.arn.clone(),
                session: "i-0123456789abcdef0".to_string(),
            },
            pod: self.pod(("kube-system", "efs-csi-node-sa")),
            policies: Policies {
                identity: role.identity,
                resource: None,
            },
        }
    }

    /// The Pod Identity session of role `id` for the pod of its service account.
    fn pod_session(&self, id: &str) -> PodSession {
        let accounts = self.service_accounts();
        let (namespace, account) = &accounts[id][0];
        let pod = self.pod((namespace, account));
        let role = self.role("eks-addons", id);
        let request = context::pod_identity("sts:AssumeRole", &role.arn, &pod);
        PodSession {
            principal: Principal::RoleSession {
                role_arn: role.arn.clone(),
                session: request.context["sts:RoleSessionName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            },
            pod,
            policies: Policies {
                identity: role.identity,
                resource: None,
            },
        }
    }
}

/// A session EKS Pod Identity gave a pod: its requests carry the session's tags as
/// `aws:PrincipalTag/<key>` (IAM User Guide, "Passing session tags in AWS STS").
struct PodSession {
    principal: Principal,
    pod: Pod,
    policies: Policies,
}

impl PodSession {
    fn tagged(&self, mut request: Request) -> Request {
        let cluster_name = self.pod.cluster_arn.rsplit('/').next().unwrap_or_default();
        for (key, value) in [
            ("eks-cluster-arn", self.pod.cluster_arn.as_str()),
            ("eks-cluster-name", cluster_name),
            ("kubernetes-namespace", self.pod.namespace.as_str()),
            (
                "kubernetes-service-account",
                self.pod.service_account.as_str(),
            ),
            ("kubernetes-pod-name", self.pod.name.as_str()),
            ("kubernetes-pod-uid", self.pod.uid.as_str()),
        ] {
            request = request.with(&format!("aws:PrincipalTag/{key}"), json!(value));
        }
        request
    }

    fn request(&self, action: &str, resource: &str, account: &str) -> Request {
        self.tagged(self.principal.request(action, resource, account))
    }

    /// The session's policies with `resource` as the resource's policy.
    fn with(&self, resource: &Value) -> Policies {
        Policies {
            identity: self.policies.identity.clone(),
            resource: Some(resource.clone()),
        }
    }
}

/// Synthesizes each EKS fixture and collects the cases `cases_of` builds for it.
fn each_fixture(cases_of: impl Fn(&Env, &mut Vec<Case>)) -> Vec<Case> {
    let mut cases = Vec::new();
    for (config, env) in FIXTURES {
        let (_dir, out) = synth(&root().join(config));
        cases_of(&Env::load(&out, env).labelled(config), &mut cases);
    }
    cases
}

/// A request by an AWS service principal with `aws:SourceAccount` (IAM User Guide, "The
/// confused deputy problem": services acting for a resource of an account send it).
fn service(principal: &str, action: &str, resource: &str, source_account: Option<&str>) -> Request {
    let mut request = Request {
        principal: principal.to_string(),
        action: action.to_string(),
        resource: resource.to_string(),
        resource_account: account_of(resource),
        context: [("aws:SecureTransport".to_string(), json!("true"))].into(),
    };
    if let Some(account) = source_account {
        request = request.with("aws:SourceAccount", json!(account));
    }
    request
}

/// The account's administrator: whatever its identity policy, a role's trust decides.
fn administrator() -> Vec<(String, Value)> {
    vec![(
        "AdministratorAccess".to_string(),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )]
}

fn trust(role: &Role) -> Policies {
    Policies {
        identity: Vec::new(),
        resource: Some(role.trust.clone()),
    }
}

/// The roles of the eks-addons stack, each tested below: a new one fails until it is.
const POD_ROLES: [&str; 5] = [
    "EbsCsiPodRole",
    "ExternalDnsPodRole",
    "HubPodRole",
    "LoadBalancerControllerPodRole",
    "VpcCniPodRole",
];

#[test]
fn eks_pod_identity_roles_trust_one_service_account_of_their_cluster() {
    let cases = each_fixture(|env, cases| {
        let accounts = env.service_accounts();
        let roles = env.ids_of("eks-addons", "AWS::IAM::Role");
        for id in &roles {
            assert!(
                POD_ROLES.contains(&id.as_str()),
                "{}: {id} is new: test what it may do, then add it to POD_ROLES",
                env.name
            );
            let associated = accounts
                .get(id)
                .unwrap_or_else(|| panic!("{}: {id} has no Pod Identity association", env.name));
            assert_eq!(
                associated.len(),
                1,
                "{}: {id} is associated with {associated:?}",
                env.name
            );
        }
        assert!(
            accounts.keys().all(|id| roles.contains(id)),
            "{}: associations name roles of another stack: {accounts:?}",
            env.name
        );
        let cluster = env.cluster_arn();
        let other_cluster = format!(
            "arn:aws:eks:{}:{}:cluster/{}-other",
            env.region,
            env.account,
            env.cluster_name()
        );
        let other_account_cluster = format!(
            "arn:aws:eks:{}:{OTHER_ACCOUNT}:cluster/{}",
            env.region,
            env.cluster_name()
        );
        for id in &roles {
            let role = env.role("eks-addons", id);
            let (namespace, account) = &accounts[id][0];
            let pod = env.pod((namespace, account));
            let policies = trust(&role);
            let name = |what: &str| format!("{}: {id}: {what}", env.name);
            for action in ["sts:AssumeRole", "sts:TagSession"] {
                cases.push(Case::new(
                    name(&format!(
                        "Pod Identity for {namespace}/{account} of {cluster} ({action})"
                    )),
                    context::pod_identity(action, &role.arn, &pod),
                    &policies,
                    Expect::Allowed,
                ));
                let variants: [(&str, Pod); 5] = [
                    (
                        "the same service account in another cluster of the account",
                        Pod {
                            cluster_arn: other_cluster.clone(),
                            ..pod.clone()
                        },
                    ),
                    (
                        "the same cluster name and service account in another account",
                        Pod {
                            cluster_arn: other_account_cluster.clone(),
                            ..pod.clone()
                        },
                    ),
                    (
                        "the same service account name in another namespace",
                        Pod {
                            namespace: "default".into(),
                            ..pod.clone()
                        },
                    ),
                    (
                        "another service account of the namespace (a user server's: default)",
                        Pod {
                            service_account: "default".into(),
                            ..pod.clone()
                        },
                    ),
                    (
                        "another service account of the namespace (one named like it)",
                        Pod {
                            service_account: format!("{account}-copy"),
                            ..pod.clone()
                        },
                    ),
                ];
                for (what, variant) in variants {
                    cases.push(Case::new(
                        name(&format!("not for {what} ({action})")),
                        context::pod_identity(action, &role.arn, &variant),
                        &policies,
                        Expect::Denied,
                    ));
                }
            }
            // Nothing but Pod Identity: not the account's administrator, not EC2 (a node).
            cases.push(Case::new(
                name("not the account's administrator"),
                context::assume_role(
                    &Principal::User {
                        arn: format!("arn:aws:iam::{}:user/admin", env.account),
                    },
                    &role.arn,
                    "admin",
                    &[],
                ),
                &Policies {
                    identity: administrator(),
                    resource: Some(role.trust.clone()),
                },
                Expect::Denied,
            ));
            cases.push(Case::new(
                name("not EC2 (a node's instance profile)"),
                service(
                    "ec2.amazonaws.com",
                    "sts:AssumeRole",
                    &role.arn,
                    Some(&env.account),
                ),
                &policies,
                Expect::Denied,
            ));
        }
    });
    check(&cases);
}

/// external-dns's TXT registry name of the record `name` of `kind` with the default (empty)
/// prefix and suffix: `<type>-` before the first label (external-dns `registry/mapper`,
/// `AffixNameMapper.ToTXTName`: the "new format"). Before v0.18 external-dns also wrote the
/// "old format", a TXT record of the record's own name.
fn txt_name(name: &str, kind: &str) -> String {
    format!("{}-{name}", kind.to_ascii_lowercase())
}

fn change(action: &str, name: &str, kind: &str) -> RecordChange {
    (action.to_string(), name.to_string(), kind.to_string())
}

#[test]
fn external_dns_changes_a_aaaa_and_txt_records_below_its_subzone_only() {
    let cases = each_fixture(|env, cases| {
        let dns = env.pod_session("ExternalDnsPodRole");
        let zone = env.parameter("eks-addons", "HostedZoneId");
        assert_eq!(
            zone,
            env.scope("dns").refs["HostedZone"]
                .as_str()
                .unwrap_or_default(),
            "{}: external-dns's zone is the subzone",
            env.name
        );
        let (host, subzone) = (env.hub_host(), env.subzone());
        let parent_zone = "Z0PARENT0EXAMPLE";
        let name = |what: &str| format!("{}: external-dns {what}", env.name);
        let batch = |zone: &str, changes: &[RecordChange]| {
            dns.tagged(context::route53_change(&dns.principal, zone, changes))
        };
        let a = txt_name(&host, "A");
        let aaaa = txt_name(&host, "AAAA");
        let allowed: Vec<(&str, Request)> = vec![
            (
                "creates the hub's alias record and its TXT records (old and new format, external-dns < v0.18)",
                batch(&zone, &[change("CREATE", &host, "A"), change("CREATE", &host, "TXT"), change("CREATE", &a, "TXT")]),
            ),
            (
                "creates the hub's alias record and its TXT record (new format only, external-dns >= v0.18)",
                batch(&zone, &[change("CREATE", &host, "A"), change("CREATE", &a, "TXT")]),
            ),
            (
                "updates them (UPSERT)",
                batch(&zone, &[change("UPSERT", &host, "A"), change("UPSERT", &a, "TXT")]),
            ),
            (
                "creates a dual-stack alias (AAAA) and its TXT record",
                batch(&zone, &[change("CREATE", &host, "AAAA"), change("CREATE", &aaaa, "TXT")]),
            ),
            (
                "deletes them (policy sync)",
                batch(&zone, &[change("DELETE", &host, "A"), change("DELETE", &host, "TXT"), change("DELETE", &a, "TXT")]),
            ),
            (
                "names them with a trailing dot and capitals",
                batch(&zone, &[change("UPSERT", &format!("{}.", host.to_uppercase()), "A")]),
            ),
            (
                "finds the zones",
                dns.tagged(context::route53(&dns.principal, "ListHostedZones", "*")),
            ),
            (
                "reads the subzone's records",
                dns.tagged(context::route53(&dns.principal, "ListResourceRecordSets", &format!("arn:aws:route53:::hostedzone/{zone}"))),
            ),
            (
                "reads the subzone's tags",
                dns.tagged(context::route53(&dns.principal, "ListTagsForResource", &format!("arn:aws:route53:::hostedzone/{zone}"))),
            ),
        ];
        for (what, request) in allowed {
            cases.push(Case::new(
                name(what),
                request,
                &dns.policies,
                Expect::Allowed,
            ));
        }
        let record = [change("UPSERT", &host, "A"), change("UPSERT", &a, "TXT")];
        let denied: Vec<(&str, Request)> = vec![
            ("in the parent zone", batch(parent_zone, &record)),
            ("in another zone", batch("Z0OTHER0EXAMPLE", &record)),
            (
                "the subzone's NS record (its apex)",
                batch(&zone, &[change("UPSERT", &subzone, "NS")]),
            ),
            (
                "the subzone's SOA record (its apex)",
                batch(&zone, &[change("UPSERT", &subzone, "SOA")]),
            ),
            (
                "an A record at the apex",
                batch(&zone, &[change("UPSERT", &subzone, "A")]),
            ),
            (
                "a TXT record at the apex",
                batch(&zone, &[change("UPSERT", &subzone, "TXT")]),
            ),
            (
                "a CNAME below the subzone",
                batch(&zone, &[change("UPSERT", &host, "CNAME")]),
            ),
            (
                "an MX record below the subzone",
                batch(&zone, &[change("UPSERT", &host, "MX")]),
            ),
            (
                "an NS record below the subzone (a delegation)",
                batch(&zone, &[change("UPSERT", &format!("x.{subzone}"), "NS")]),
            ),
            (
                "a name that only ends like the subzone",
                batch(&zone, &[change("UPSERT", &format!("evil{subzone}"), "A")]),
            ),
            (
                "a batch with one change outside the subzone",
                batch(
                    &zone,
                    &[
                        change("UPSERT", &host, "A"),
                        change(
                            "UPSERT",
                            &format!(
                                "hub.{}",
                                env.manifest["delegation"]["parent_zone"]
                                    .as_str()
                                    .unwrap_or_default()
                            ),
                            "A",
                        ),
                    ],
                ),
            ),
        ];
        for (what, request) in denied {
            cases.push(Case::new(
                name(&format!("cannot change {what}")),
                request,
                &dns.policies,
                Expect::Denied,
            ));
        }
        cases.push(Case::new(
            name("cannot read the parent zone's records"),
            dns.tagged(context::route53(
                &dns.principal,
                "ListResourceRecordSets",
                &format!("arn:aws:route53:::hostedzone/{parent_zone}"),
            )),
            &dns.policies,
            Expect::Denied,
        ));
    });
    check(&cases);
}

/// A hub whose name is its subzone (the config allows `hub_host` = `subzone`): external-dns
/// must write the hub's A record and its ownership TXT record at the apex, and still
/// nothing else there. (Its new-format TXT name, `a-<apex>`, would lie outside the zone:
/// Route 53 refuses such a record whatever IAM says, so only the old format can work at
/// an apex.)
#[test]
fn external_dns_writes_the_hub_at_the_subzone_apex_when_it_lives_there() {
    let example = std::fs::read_to_string(root().join("config.example.yaml")).unwrap();
    let at_apex = example.replacen(
        "hub_host: hub.eks-dev.example.com",
        "hub_host: eks-dev.example.com",
        1,
    );
    assert_ne!(at_apex, example, "the example's eks-dev hub host moved");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("apex.yaml");
    std::fs::write(&config, at_apex).unwrap();
    let (_out_dir, out) = synth(&config);
    let env = Env::load(&out, "eks-dev").labelled("apex");
    let dns = env.pod_session("ExternalDnsPodRole");
    let zone = env.parameter("eks-addons", "HostedZoneId");
    let subzone = env.subzone();
    assert_eq!(env.hub_host(), subzone);
    let batch = |zone: &str, changes: &[RecordChange]| {
        dns.tagged(context::route53_change(&dns.principal, zone, changes))
    };
    let a = txt_name(&subzone, "A");
    let mut cases = Vec::new();
    for (what, request) in [
        (
            "writes the hub's alias record and its TXT record at the apex",
            batch(
                &zone,
                &[
                    change("UPSERT", &subzone, "A"),
                    change("UPSERT", &subzone, "TXT"),
                ],
            ),
        ),
        (
            "deletes them (policy sync)",
            batch(
                &zone,
                &[
                    change("DELETE", &subzone, "A"),
                    change("DELETE", &subzone, "TXT"),
                ],
            ),
        ),
    ] {
        cases.push(Case::new(
            format!("apex: external-dns {what}"),
            request,
            &dns.policies,
            Expect::Allowed,
        ));
    }
    for (what, request) in [
        (
            "the apex NS record",
            batch(&zone, &[change("UPSERT", &subzone, "NS")]),
        ),
        (
            "the apex SOA record",
            batch(&zone, &[change("UPSERT", &subzone, "SOA")]),
        ),
        (
            "a CNAME at the apex",
            batch(&zone, &[change("UPSERT", &subzone, "CNAME")]),
        ),
        (
            "the apex record in the parent zone",
            batch("Z0PARENT0EXAMPLE", &[change("UPSERT", &subzone, "A")]),
        ),
        (
            "the parent zone's name",
            batch(&zone, &[change("UPSERT", "example.com", "A")]),
        ),
        (
            "a new-format TXT name beside the subzone",
            batch(&zone, &[change("UPSERT", &a, "TXT")]),
        ),
    ] {
        cases.push(Case::new(
            format!("apex: external-dns cannot change {what}"),
            request,
            &dns.policies,
            Expect::Denied,
        ));
    }
    check(&cases);
}

/// A KMS request Secrets Manager makes for the caller to decrypt `secret` (AWS Secrets
/// Manager User Guide, "Secret encryption and decryption": Decrypt with the caller's
/// permissions, encryption context `SecretARN` and `SecretVersionId`; AWS KMS Developer
/// Guide, "kms:ViaService" and "kms:CallerAccount").
fn decrypt_via_secrets_manager(
    env: &Env,
    session: &PodSession,
    key: &str,
    secret: &str,
) -> Request {
    session
        .request("kms:Decrypt", key, &account_of(key))
        .with(
            "kms:ViaService",
            json!(format!("secretsmanager.{}.amazonaws.com", env.region)),
        )
        .with("kms:CallerAccount", json!(env.account))
        .with("kms:EncryptionContext:SecretARN", json!(secret))
        .with(
            "kms:EncryptionContext:SecretVersionId",
            json!("a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"),
        )
}

/// The secrets the hub pod reads (`HUBCTL_*_SECRET_ARN` in the chart's values): their ARN
/// and, for those the hub stack creates, their KMS key.
fn hub_secrets(env: &Env) -> Vec<(String, Option<String>)> {
    let mut secrets = vec![env.parameter("eks-addons", "OAuthClientSecretArn")];
    if env
        .scope("eks-addons")
        .refs
        .contains_key("DatabaseSecretArn")
    {
        secrets.push(env.parameter("eks-addons", "DatabaseSecretArn"));
    }
    let created: BTreeMap<String, Option<String>> = env
        .ids_of("hub", "AWS::SecretsManager::Secret")
        .into_iter()
        .map(|id| {
            (
                env.scope("hub").refs[&id]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                resolve(
                    &env.template("hub")["Resources"][&id]["Properties"]["KmsKeyId"],
                    env.scope("hub"),
                )
                .as_str()
                .map(str::to_string),
            )
        })
        .collect();
    secrets
        .into_iter()
        .map(|arn| {
            let key = created.get(&arn).cloned().flatten();
            (arn, key)
        })
        .collect()
}

#[test]
fn the_hub_pod_reads_exactly_its_secrets_and_decrypts_only_through_secrets_manager() {
    let cases = each_fixture(|env, cases| {
        let hub = env.pod_session("HubPodRole");
        let (key, key_policy) = env.key();
        let name = |what: &str| format!("{}: the hub pod {what}", env.name);
        let secrets = hub_secrets(env);
        assert_eq!(
            secrets.len(),
            if env.has("hub", "Database") { 2 } else { 1 },
            "{}: the OAuth client secret, and the database's for postgres",
            env.name
        );
        for (secret, secret_key) in &secrets {
            cases.push(Case::new(
                name(&format!("reads {secret}")),
                hub.request("secretsmanager:GetSecretValue", secret, &account_of(secret)),
                &hub.policies,
                Expect::Allowed,
            ));
            let Some(secret_key) = secret_key else {
                continue; // named in the config: `a_configured_oauth_secret_...` below
            };
            assert_eq!(
                secret_key, &key,
                "{}: {secret} is under the frame's key",
                env.name
            );
            let decrypt = decrypt_via_secrets_manager(env, &hub, &key, secret);
            cases.push(Case::new(
                name(&format!("has Secrets Manager decrypt {secret}")),
                decrypt.clone(),
                &hub.with(&key_policy),
                Expect::Allowed,
            ));
            let mut direct = decrypt.clone();
            direct.context.remove("kms:ViaService");
            cases.push(Case::new(
                name(&format!("cannot decrypt {secret} with the key directly")),
                direct,
                &hub.with(&key_policy),
                Expect::Denied,
            ));
            cases.push(Case::new(
                name("cannot decrypt through another service (S3)"),
                decrypt.with(
                    "kms:ViaService",
                    json!(format!("s3.{}.amazonaws.com", env.region)),
                ),
                &hub.with(&key_policy),
                Expect::Denied,
            ));
        }
        let (first, _) = &secrets[0];
        let other = format!(
            "arn:aws:secretsmanager:{}:{}:secret:{}-other-AbCdEf",
            env.region,
            env.account,
            env.cluster_name()
        );
        cases.push(Case::new(
            name("cannot read another secret of the account"),
            hub.request("secretsmanager:GetSecretValue", &other, &env.account),
            &hub.policies,
            Expect::Denied,
        ));
        cases.push(Case::new(
            name("cannot overwrite its secret"),
            hub.request("secretsmanager:PutSecretValue", first, &account_of(first)),
            &hub.policies,
            Expect::Denied,
        ));
        let other_key = format!(
            "arn:aws:kms:{}:{}:key/0b5e7c1d-0000-4000-8000-otherkey0001",
            env.region, env.account
        );
        cases.push(Case::new(
            name("cannot decrypt with another key of the account"),
            decrypt_via_secrets_manager(env, &hub, &other_key, &other),
            &Policies {
                identity: hub.policies.identity.clone(),
                resource: Some(json!({"Version": "2012-10-17", "Statement": [{
                    "Sid": "AccountDecides", "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{}:root", env.account)},
                    "Action": "kms:*", "Resource": "*"
                }]})),
            },
            Expect::Denied,
        ));
    });
    check(&cases);
}

/// The node-group fixture names its OAuth client secret in the config (as the ECS lab
/// fixture does): it may be under whichever customer-managed key of the account its owner
/// chose, so the hub pod, like the ECS hub, may decrypt with any key of the account through
/// Secrets Manager and for that secret only (`DecryptConfiguredSecrets`).
#[test]
fn a_configured_oauth_secret_under_its_own_key_is_decrypted_for_the_hub_pod() {
    let (_dir, out) = synth(&root().join(FIXTURES[1].0));
    let env = Env::load(&out, FIXTURES[1].1).labelled(FIXTURES[1].0);
    let hub = env.pod_session("HubPodRole");
    let customer_key = format!(
        "arn:aws:kms:{}:{}:key/0b5e7c1d-0000-4000-8000-customerkey1",
        env.region, env.account
    );
    let key_policy = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "AccountDecides", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{}:root", env.account)},
        "Action": "kms:*", "Resource": "*"
    }]});
    let mut cases = Vec::new();
    for (secret, key) in hub_secrets(&env) {
        if key.is_some() {
            continue;
        }
        cases.push(Case::new(
            format!("the hub pod has Secrets Manager decrypt {secret} under its own key"),
            decrypt_via_secrets_manager(&env, &hub, &customer_key, &secret),
            &hub.with(&key_policy),
            Expect::Allowed,
        ));
    }
    check(&cases);
}

#[test]
fn the_cluster_and_node_roles_trust_eks_and_ec2_of_this_account_only() {
    let cases = each_fixture(|env, cases| {
        let cluster = env.role("hub", "ClusterRole");
        let node = env.role("hub", "NodeRole");
        let name = |what: &str| format!("{}: {what}", env.name);
        // Amazon EKS User Guide, "Amazon EKS cluster IAM role" (Auto Mode: sts:AssumeRole and
        // sts:TagSession for eks.amazonaws.com).
        for action in ["sts:AssumeRole", "sts:TagSession"] {
            cases.push(Case::new(
                name(&format!("EKS assumes the cluster role ({action})")),
                service("eks.amazonaws.com", action, &cluster.arn, None),
                &trust(&cluster),
                Expect::Allowed,
            ));
        }
        let admin = Principal::User {
            arn: format!("arn:aws:iam::{}:user/admin", env.account),
        };
        for (what, request) in [
            (
                "EC2 cannot assume the cluster role",
                service(
                    "ec2.amazonaws.com",
                    "sts:AssumeRole",
                    &cluster.arn,
                    Some(&env.account),
                ),
            ),
            (
                "EKS Pod Identity cannot give a pod the cluster role",
                context::pod_identity(
                    "sts:AssumeRole",
                    &cluster.arn,
                    &env.pod(("kube-system", "default")),
                ),
            ),
            (
                "EKS cannot assume the node role",
                service("eks.amazonaws.com", "sts:AssumeRole", &node.arn, None),
            ),
            (
                "EKS Pod Identity cannot give a pod the node role",
                context::pod_identity(
                    "sts:AssumeRole",
                    &node.arn,
                    &env.pod(("kube-system", "default")),
                ),
            ),
            // No aws:SourceAccount condition on the node role: AWS's node role trust has
            // none, and EC2 is not documented to send it when it starts an instance.
            (
                "EC2 cannot tag the node role's session",
                service(
                    "ec2.amazonaws.com",
                    "sts:TagSession",
                    &node.arn,
                    Some(&env.account),
                ),
            ),
        ] {
            let role = if request.resource == cluster.arn {
                &cluster
            } else {
                &node
            };
            cases.push(Case::new(name(what), request, &trust(role), Expect::Denied));
        }
        for role in [&cluster, &node] {
            cases.push(Case::new(
                name(&format!(
                    "the account's administrator cannot assume {}",
                    role.arn
                )),
                context::assume_role(&admin, &role.arn, "admin", &[]),
                &Policies {
                    identity: administrator(),
                    resource: Some(role.trust.clone()),
                },
                Expect::Denied,
            ));
        }
        // Amazon EKS User Guide, "Amazon EKS node IAM role": EC2 assumes it for the
        // instance profile of each node; `aws:SourceAccount` is the instance's account.
        cases.push(Case::new(
            name("EC2 assumes the node role for this account's nodes"),
            service(
                "ec2.amazonaws.com",
                "sts:AssumeRole",
                &node.arn,
                Some(&env.account),
            ),
            &trust(&node),
            Expect::Allowed,
        ));
        if env.has("hub", "DatabaseMonitoringRole") {
            let monitoring = env.role("hub", "DatabaseMonitoringRole");
            cases.push(Case::new(
                name("RDS monitoring assumes its role for this account"),
                service(
                    "monitoring.rds.amazonaws.com",
                    "sts:AssumeRole",
                    &monitoring.arn,
                    Some(&env.account),
                ),
                &trust(&monitoring),
                Expect::Allowed,
            ));
            cases.push(Case::new(
                name("RDS monitoring cannot assume it for another account"),
                service(
                    "monitoring.rds.amazonaws.com",
                    "sts:AssumeRole",
                    &monitoring.arn,
                    Some(OTHER_ACCOUNT),
                ),
                &trust(&monitoring),
                Expect::Denied,
            ));
        }
    });
    check(&cases);
}

/// The AWS managed policies of each EKS fixture's roles: documents this harness does not
/// have, so none is evaluated. A managed policy not listed here fails the test: read what
/// it grants, then list it.
/// (stack, role, policy name after `arn:aws:iam::aws:policy/`).
type Managed = (&'static str, &'static str, &'static str);

const MANAGED_NOT_EVALUATED: [(&str, &[Managed]); 2] = [
    (
        "config.example.yaml",
        &[
            ("hub", "ClusterRole", "AmazonEKSBlockStoragePolicy"),
            ("hub", "ClusterRole", "AmazonEKSClusterPolicy"),
            ("hub", "ClusterRole", "AmazonEKSComputePolicy"),
            ("hub", "ClusterRole", "AmazonEKSLoadBalancingPolicy"),
            ("hub", "ClusterRole", "AmazonEKSNetworkingPolicy"),
            ("hub", "NodeRole", "AmazonEC2ContainerRegistryPullOnly"),
            ("hub", "NodeRole", "AmazonEKSWorkerNodeMinimalPolicy"),
        ],
    ),
    (
        "tests/fixtures/eks-nodegroups.yaml",
        &[
            (
                "eks-addons",
                "EbsCsiPodRole",
                "service-role/AmazonEBSCSIDriverPolicy",
            ),
            ("eks-addons", "VpcCniPodRole", "AmazonEKS_CNI_Policy"),
            ("hub", "ClusterRole", "AmazonEKSClusterPolicy"),
            (
                "hub",
                "DatabaseMonitoringRole",
                "service-role/AmazonRDSEnhancedMonitoringRole",
            ),
            ("hub", "NodeRole", "AmazonEC2ContainerRegistryPullOnly"),
            ("hub", "NodeRole", "AmazonEKSWorkerNodePolicy"),
            ("hub", "NodeRole", "AmazonEKS_CNI_Policy"),
        ],
    ),
];

#[test]
fn managed_policies_are_listed_and_not_evaluated() {
    for (config, env) in FIXTURES {
        let (_dir, out) = synth(&root().join(config));
        let env = Env::load(&out, env).labelled(config);
        let mut found = Vec::new();
        for stack in env.stacks.keys() {
            for id in env.ids_of(stack, "AWS::IAM::Role") {
                for arn in env.role(stack, &id).managed {
                    let name = arn
                        .strip_prefix("arn:aws:iam::aws:policy/")
                        .unwrap_or_else(|| {
                            panic!("{config}: {id}: {arn} is not an AWS managed policy")
                        })
                        .to_string();
                    found.push((stack.clone(), id.clone(), name));
                }
            }
        }
        found.sort();
        let listed: Vec<(String, String, String)> = MANAGED_NOT_EVALUATED
            .iter()
            .find(|(listed, _)| *listed == config)
            .expect("a list per fixture")
            .1
            .iter()
            .map(|(s, r, p)| (s.to_string(), r.to_string(), p.to_string()))
            .collect();
        assert_eq!(
            found, listed,
            "{config}: the AWS managed policies changed; they are not evaluated here: read what each grants, then update MANAGED_NOT_EVALUATED"
        );
    }
}
