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

/// An EFS client's mount request (Amazon EFS User Guide, "Using IAM to control file system
/// data access": ClientMount, ClientWrite, ClientRootAccess, with
/// `elasticfilesystem:AccessPointArn` when mounted through an access point,
/// `elasticfilesystem:AccessedViaMountTarget`, and `aws:SecureTransport` true with TLS).
fn efs_mount(
    env: &Env,
    session: &PodSession,
    action: &str,
    file_system: &str,
    access_point: Option<&str>,
    tls: bool,
) -> Request {
    let arn = format!(
        "arn:aws:elasticfilesystem:{}:{}:file-system/{file_system}",
        env.region, env.account
    );
    let mut request = session
        .request(action, &arn, &env.account)
        .with("elasticfilesystem:AccessedViaMountTarget", json!("true"))
        .with(
            "aws:SecureTransport",
            json!(if tls { "true" } else { "false" }),
        );
    if let Some(access_point) = access_point {
        request = request.with(
            "elasticfilesystem:AccessPointArn",
            json!(format!(
                "arn:aws:elasticfilesystem:{}:{}:access-point/{access_point}",
                env.region, env.account
            )),
        );
    }
    request
}

#[test]
fn the_efs_csi_driver_mounts_the_homes_access_point_only() {
    let cases = each_fixture(|env, cases| {
        // The EFS CSI driver's node daemon set mounts with the node's role.
        let efs = env.node_session();
        let file_system = env.parameter("hub", "FileSystemId");
        let homes = env.scope("hub").refs["HomesAccessPoint"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        // The persistent volume mounts with `iam` and `tls` (k8s/10-storage.yaml).
        let storage = std::fs::read_to_string(env.dir.join("k8s/10-storage.yaml"))
            .expect("the storage manifest");
        assert!(
            storage.contains("- \"iam\"") && storage.contains("- \"tls\""),
            "{}: the homes' volume mounts with IAM and TLS",
            env.name
        );
        let policies = efs.with(&env.file_system_policy());
        let name = |what: &str| format!("{}: the EFS CSI driver {what}", env.name);
        for action in [
            "elasticfilesystem:ClientMount",
            "elasticfilesystem:ClientWrite",
        ] {
            cases.push(Case::new(
                name(&format!(
                    "mounts the homes through their access point ({action})"
                )),
                efs_mount(env, &efs, action, &file_system, Some(&homes), true),
                &policies,
                Expect::Allowed,
            ));
            cases.push(Case::new(
                name(&format!("cannot mount without an access point ({action})")),
                efs_mount(env, &efs, action, &file_system, None, true),
                &policies,
                Expect::ExplicitlyDenied,
            ));
            cases.push(Case::new(
                name(&format!(
                    "cannot mount through another access point ({action})"
                )),
                efs_mount(
                    env,
                    &efs,
                    action,
                    &file_system,
                    Some("fsap-0123456789abcdef0"),
                    true,
                ),
                &policies,
                Expect::Denied,
            ));
            cases.push(Case::new(
                name(&format!("cannot mount without TLS ({action})")),
                efs_mount(env, &efs, action, &file_system, Some(&homes), false),
                &policies,
                Expect::ExplicitlyDenied,
            ));
            cases.push(Case::new(
                name(&format!("cannot mount another file system ({action})")),
                efs_mount(
                    env,
                    &efs,
                    action,
                    "fs-0123456789abcdef0",
                    Some(&homes),
                    true,
                ),
                &Policies {
                    identity: efs.policies.identity.clone(),
                    resource: None,
                },
                Expect::Denied,
            ));
        }
        cases.push(Case::new(
            name("has no root access through the access point"),
            efs_mount(
                env,
                &efs,
                "elasticfilesystem:ClientRootAccess",
                &file_system,
                Some(&homes),
                true,
            ),
            &policies,
            Expect::Denied,
        ));
        cases.push(Case::new(
            name("has no root access without an access point"),
            efs_mount(
                env,
                &efs,
                "elasticfilesystem:ClientRootAccess",
                &file_system,
                None,
                true,
            ),
            &policies,
            Expect::ExplicitlyDenied,
        ));
    });
    check(&cases);
}

/// `storage.shared` on EKS (the example's eks-dev sets it). The EFS CSI driver mounts every
/// server's volumes with the node's role, so IAM cannot tell one user's server from
/// another's: it tells the two access points apart. The nodes may mount the read-only one
/// and never write through it (EFS refuses every write through that mount, whatever the
/// pod asks); they may write through the read-write one, which the files give admins'
/// servers only. No Pod Identity role mounts either.
#[test]
fn the_shared_data_is_read_only_through_its_read_only_access_point() {
    let n_with_shared = std::sync::atomic::AtomicUsize::new(0);
    let cases = each_fixture(|env, cases| {
        let refs = &env.scope("hub").refs;
        let (Some(read_write), Some(read_only)) = (
            refs.get("SharedAccessPoint").and_then(Value::as_str),
            refs.get("SharedReadOnlyAccessPoint")
                .and_then(Value::as_str),
        ) else {
            assert!(
                !refs.contains_key("SharedAccessPoint")
                    && !refs.contains_key("SharedReadOnlyAccessPoint"),
                "{}: one shared access point without the other",
                env.name
            );
            return;
        };
        n_with_shared.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        assert_ne!(read_write, read_only);
        shared_data_files(env);
        let file_system = env.parameter("hub", "FileSystemId");
        let node = env.node_session();
        let policies = node.with(&env.file_system_policy());
        let name = |what: &str| format!("{}: shared data: {what}", env.name);
        let mount = |session: &PodSession, action: &str, access_point: &str, tls: bool| {
            efs_mount(env, session, action, &file_system, Some(access_point), tls)
        };
        for (action, through_read_only, through_read_write) in [
            (
                "elasticfilesystem:ClientMount",
                Expect::Allowed,
                Expect::Allowed,
            ),
            (
                "elasticfilesystem:ClientWrite",
                Expect::Denied,
                Expect::Allowed,
            ),
            (
                "elasticfilesystem:ClientRootAccess",
                Expect::Denied,
                Expect::Denied,
            ),
        ] {
            cases.push(Case::new(
                name(&format!(
                    "the nodes through the read-only access point: {action}"
                )),
                mount(&node, action, read_only, true),
                &policies,
                through_read_only,
            ));
            cases.push(Case::new(
                name(&format!(
                    "the nodes through the read-write access point: {action}"
                )),
                mount(&node, action, read_write, true),
                &policies,
                through_read_write,
            ));
        }
        for access_point in [read_only, read_write] {
            cases.push(Case::new(
                name(&format!(
                    "the nodes cannot mount {access_point} without TLS"
                )),
                mount(&node, "elasticfilesystem:ClientMount", access_point, false),
                &policies,
                Expect::ExplicitlyDenied,
            ));
        }
        // Pod Identity roles (the hub's, the add-ons'): none mounts the shared data.
        let accounts = env.service_accounts();
        for id in env.ids_of("eks-addons", "AWS::IAM::Role") {
            if !accounts.contains_key(&id) {
                continue;
            }
            let pod = env.pod_session(&id);
            for access_point in [read_only, read_write] {
                for action in [
                    "elasticfilesystem:ClientMount",
                    "elasticfilesystem:ClientWrite",
                ] {
                    cases.push(Case::new(
                        name(&format!("the pod role {id} cannot {action} {access_point}")),
                        mount(&pod, action, access_point, true),
                        &pod.with(&env.file_system_policy()),
                        Expect::Denied,
                    ));
                }
            }
        }
    });
    assert!(
        n_with_shared.into_inner() >= 1,
        "no EKS fixture has storage.shared"
    );
    check(&cases);
}

/// The cluster's files put the two access points where the IAM cases assume them: the
/// claim every server gets (`shared`, read-only in the pod) on the read-only access point,
/// mounted `ro`; the admins' claim on the read-write one; and the hub's hook hands the
/// read-write claim to the config's admins only.
fn shared_data_files(env: &Env) {
    let text =
        std::fs::read_to_string(env.dir.join("k8s/10-storage.yaml")).expect("the storage manifest");
    let objects = hubctl::k8s::parse_yaml_stream(&text).expect("the storage manifest's YAML");
    let volume_of_claim = |claim: &str| -> Value {
        let pvc = objects
            .iter()
            .find(|o| o["kind"] == "PersistentVolumeClaim" && o["metadata"]["name"] == claim)
            .unwrap_or_else(|| panic!("{}: no claim {claim}", env.name));
        objects
            .iter()
            .find(|o| {
                o["kind"] == "PersistentVolume"
                    && o["metadata"]["name"] == pvc["spec"]["volumeName"]
            })
            .unwrap_or_else(|| panic!("{}: claim {claim} has no volume", env.name))
            .clone()
    };
    let read_only = volume_of_claim("shared");
    assert_eq!(
        read_only["spec"]["csi"]["volumeHandle"],
        json!("${frame.FileSystemId}::${hub.SharedReadOnlyAccessPointId}"),
        "{}",
        env.name
    );
    assert_eq!(read_only["spec"]["csi"]["readOnly"], json!(true));
    assert_eq!(read_only["spec"]["accessModes"], json!(["ReadOnlyMany"]));
    let options = read_only["spec"]["mountOptions"]
        .as_array()
        .expect("options");
    for option in ["iam", "tls", "ro"] {
        assert!(options.contains(&json!(option)), "{}: {option}", env.name);
    }
    let read_write = volume_of_claim("shared-admin");
    assert_eq!(
        read_write["spec"]["csi"]["volumeHandle"],
        json!("${frame.FileSystemId}::${hub.SharedAccessPointId}"),
        "{}",
        env.name
    );
    // The hub stack's outputs are the access points the IAM cases mount.
    assert_eq!(
        env.hub_output("SharedReadOnlyAccessPointId"),
        env.scope("hub").refs["SharedReadOnlyAccessPoint"]
            .as_str()
            .unwrap_or_default()
    );
    assert_eq!(
        env.hub_output("SharedAccessPointId"),
        env.scope("hub").refs["SharedAccessPoint"]
            .as_str()
            .unwrap_or_default()
    );
    let values =
        std::fs::read_to_string(env.dir.join("jupyterhub-values.yaml")).expect("the values");
    let values = &hubctl::k8s::parse_yaml_stream(&values).expect("the values' YAML")[0];
    let storage = &values["singleuser"]["storage"];
    assert_eq!(
        storage["extraVolumes"],
        json!([{"name": "shared", "persistentVolumeClaim": {"claimName": "shared", "readOnly": true}}]),
        "{}",
        env.name
    );
    assert_eq!(storage["extraVolumeMounts"][0]["readOnly"], json!(true));
    let hook = values["hub"]["extraConfig"]["02-hubctl-shared-data"]
        .as_str()
        .expect("the shared data's hook");
    let admins = &values["hub"]["config"]["Authenticator"]["admin_users"];
    assert!(
        hook.contains(&format!("frozenset({admins})")),
        "{}: the hook's writers are the config's admins {admins}:\n{hook}",
        env.name
    );
}

/// A KMS request EC2 makes for the caller creating or attaching an encrypted volume (AWS KMS
/// Developer Guide, "How Amazon EBS uses AWS KMS": CreateGrant, GenerateDataKeyWithoutPlaintext,
/// Decrypt and ReEncrypt with the caller's permissions; `kms:ViaService`
/// `ec2.<region>.amazonaws.com`; "kms:GrantIsForAWSResource": true when an integrated
/// service creates the grant for the caller, false when the caller calls CreateGrant).
fn kms_via_ec2(env: &Env, session: &Request, action: &str, key: &str) -> Request {
    let mut request = session.clone();
    request.action = action.to_string();
    request.resource = key.to_string();
    request.resource_account = account_of(key);
    request = request
        .with(
            "kms:ViaService",
            json!(format!("ec2.{}.amazonaws.com", env.region)),
        )
        .with("kms:CallerAccount", json!(env.account));
    if action == "kms:CreateGrant" {
        request = request.with("kms:GrantIsForAWSResource", json!("true"));
    }
    request
}

#[test]
fn block_storage_uses_the_environment_key_only_through_ec2() {
    let cases = each_fixture(|env, cases| {
        let (key, key_policy) = env.key();
        // Auto Mode's block storage runs as the cluster role; node groups' EBS CSI driver as
        // its Pod Identity role.
        let (who, base, identity) = if env.has("eks-addons", "EbsCsiPodRole") {
            let ebs = env.pod_session("EbsCsiPodRole");
            (
                "the EBS CSI driver",
                ebs.request("kms:DescribeKey", &key, &env.account),
                ebs.policies.identity.clone(),
            )
        } else {
            let role = env.role("hub", "ClusterRole");
            let session = Principal::RoleSession {
                role_arn: role.arn.clone(),
                session: "eks-auto-mode".into(),
            };
            (
                "Auto Mode (the cluster role)",
                session.request("kms:DescribeKey", &key, &env.account),
                role.identity,
            )
        };
        let policies = Policies {
            identity,
            resource: Some(key_policy),
        };
        let name = |what: &str| format!("{}: {who} {what}", env.name);
        for action in [
            "kms:CreateGrant",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:Decrypt",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
            "kms:DescribeKey",
        ] {
            cases.push(Case::new(
                name(&format!("has EC2 use the key for a volume ({action})")),
                kms_via_ec2(env, &base, action, &key),
                &policies,
                Expect::Allowed,
            ));
        }
        let grant = kms_via_ec2(env, &base, "kms:CreateGrant", &key);
        let mut direct_grant = grant
            .clone()
            .with("kms:GrantIsForAWSResource", json!("false"));
        direct_grant.context.remove("kms:ViaService");
        cases.push(Case::new(
            name("cannot create a grant itself (kms:GrantIsForAWSResource false)"),
            direct_grant.clone(),
            &policies,
            Expect::Denied,
        ));
        let mut no_flag = grant.clone();
        no_flag.context.remove("kms:GrantIsForAWSResource");
        cases.push(Case::new(
            name("cannot create a grant without kms:GrantIsForAWSResource"),
            no_flag,
            &policies,
            Expect::Denied,
        ));
        let mut other_key = grant.clone();
        other_key.resource = format!(
            "arn:aws:kms:{}:{}:key/0b5e7c1d-0000-4000-8000-otherkey0001",
            env.region, env.account
        );
        cases.push(Case::new(
            name("cannot have EC2 create a grant on another key"),
            other_key,
            &Policies {
                identity: policies.identity.clone(),
                resource: Some(json!({"Version": "2012-10-17", "Statement": [{
                    "Sid": "AccountDecides", "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{}:root", env.account)},
                    "Action": "kms:*", "Resource": "*"
                }]})),
            },
            Expect::Denied,
        ));
        for action in ["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext"] {
            let mut direct = kms_via_ec2(env, &base, action, &key);
            direct.context.remove("kms:ViaService");
            cases.push(Case::new(
                name(&format!("cannot use the key directly ({action})")),
                direct,
                &policies,
                Expect::Denied,
            ));
            cases.push(Case::new(
                name(&format!(
                    "cannot use the key through another service ({action})"
                )),
                kms_via_ec2(env, &base, action, &key).with(
                    "kms:ViaService",
                    json!(format!("rds.{}.amazonaws.com", env.region)),
                ),
                &policies,
                Expect::Denied,
            ));
        }
    });
    check(&cases);
}

/// The tags the AWS Load Balancer Controller puts on what it creates for an ingress
/// (`elbv2.k8s.aws/cluster` = the cluster's name, `ingress.k8s.aws/stack`,
/// `ingress.k8s.aws/resource`, on the ALB, target groups, security groups, listeners and
/// listener rules: its `docs/guide/ingress/annotations.md`, "Resource Tags"), as request tags
/// (`aws:RequestTag/<key>`, `aws:TagKeys`) on a create.
fn with_request_tags(mut request: Request, tags: &[(&str, &str)]) -> Request {
    for (key, value) in tags {
        request = request.with(&format!("aws:RequestTag/{key}"), json!(value));
    }
    let keys: Vec<&str> = tags.iter().map(|(key, _)| *key).collect();
    request.with("aws:TagKeys", json!(keys))
}

/// The tags of an existing resource, as `aws:ResourceTag/<key>`.
fn with_resource_tags(mut request: Request, tags: &[(&str, &str)]) -> Request {
    for (key, value) in tags {
        request = request.with(&format!("aws:ResourceTag/{key}"), json!(value));
    }
    request
}

/// The load balancer, target group, listener and security group of the hub's ingress.
struct Ingress {
    load_balancer: String,
    target_group: String,
    listener: String,
    rule: String,
    security_group: String,
}

fn ingress(env: &Env) -> Ingress {
    let elb = format!(
        "arn:aws:elasticloadbalancing:{}:{}",
        env.region, env.account
    );
    Ingress {
        load_balancer: format!("{elb}:loadbalancer/app/k8s-jupyterh-jupyterh-5f2c9a1b7e/50dc6c495c0c9188"),
        target_group: format!("{elb}:targetgroup/k8s-jupyterh-proxypub-3e8d1c0a2b/73e2d6bc24d8a067"),
        listener: format!("{elb}:listener/app/k8s-jupyterh-jupyterh-5f2c9a1b7e/50dc6c495c0c9188/f2f7dc8efc522ab2"),
        rule: format!("{elb}:listener-rule/app/k8s-jupyterh-jupyterh-5f2c9a1b7e/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"),
        security_group: format!("arn:aws:ec2:{}:{}:security-group/sg-0a1b2c3d4e5f60718", env.region, env.account),
    }
}

/// The node-group fixture's controller session.
fn load_balancer_controller() -> (tempfile::TempDir, Env) {
    let (dir, out) = synth(&root().join(FIXTURES[1].0));
    let env = Env::load(&out, FIXTURES[1].1).labelled(FIXTURES[1].0);
    assert!(
        env.has("eks-addons", "LoadBalancerControllerPodRole"),
        "node groups run the AWS Load Balancer Controller"
    );
    (dir, env)
}

#[test]
fn the_load_balancer_controller_manages_its_clusters_load_balancers_only() {
    let (_dir, env) = load_balancer_controller();
    let env = &env;
    let lbc = env.pod_session("LoadBalancerControllerPodRole");
    let cluster = env.cluster_name();
    let ours = [
        ("elbv2.k8s.aws/cluster", cluster.as_str()),
        ("ingress.k8s.aws/stack", "jupyterhub/jupyterhub"),
        ("ingress.k8s.aws/resource", "LoadBalancer"),
    ];
    let theirs = [
        ("elbv2.k8s.aws/cluster", "other-cluster"),
        ("ingress.k8s.aws/stack", "jupyterhub/jupyterhub"),
        ("ingress.k8s.aws/resource", "LoadBalancer"),
    ];
    let untagged = [("ingress.k8s.aws/stack", "jupyterhub/jupyterhub")];
    let Ingress {
        load_balancer,
        target_group,
        security_group,
        ..
    } = ingress(env);
    let account = env.account.clone();
    let new_group = format!("arn:aws:ec2:{}:{account}:security-group/*", env.region);
    let request = |action: &str, resource: &str| lbc.request(action, resource, &account);
    let create_tags = |resource: &str, tags: &[(&str, &str)]| {
        with_request_tags(request("ec2:CreateTags", resource), tags)
            .with("ec2:CreateAction", json!("CreateSecurityGroup"))
    };
    let allowed: Vec<(&str, Request)> = vec![
        ("creates the hub's load balancer tagged for its cluster", with_request_tags(request("elasticloadbalancing:CreateLoadBalancer", &load_balancer), &ours)),
        ("tags it as it creates it", with_request_tags(request("elasticloadbalancing:AddTags", &load_balancer), &ours).with("elasticloadbalancing:CreateAction", json!("CreateLoadBalancer"))),
        ("creates the target group tagged for its cluster", with_request_tags(request("elasticloadbalancing:CreateTargetGroup", &target_group), &ours)),
        ("tags it as it creates it", with_request_tags(request("elasticloadbalancing:AddTags", &target_group), &ours).with("elasticloadbalancing:CreateAction", json!("CreateTargetGroup"))),
        ("creates a listener on its load balancer", with_resource_tags(request("elasticloadbalancing:CreateListener", &load_balancer), &ours)),
        ("sets its load balancer's attributes", with_resource_tags(request("elasticloadbalancing:ModifyLoadBalancerAttributes", &load_balancer), &ours)),
        ("sets its load balancer's security groups", with_resource_tags(request("elasticloadbalancing:SetSecurityGroups", &load_balancer), &ours)),
        ("registers the hub's pods", with_resource_tags(request("elasticloadbalancing:RegisterTargets", &target_group), &ours)),
        ("deletes its load balancer", with_resource_tags(request("elasticloadbalancing:DeleteLoadBalancer", &load_balancer), &ours)),
        ("deletes its target group", with_resource_tags(request("elasticloadbalancing:DeleteTargetGroup", &target_group), &ours)),
        ("creates its security group tagged for its cluster", with_request_tags(request("ec2:CreateSecurityGroup", &new_group), &ours)),
        ("tags it as it creates it", create_tags(&new_group, &ours)),
        // EKS tags the cluster security group (the nodes' and pods') `aws:eks:cluster-name`.
        ("opens the nodes to the load balancer", with_resource_tags(request("ec2:AuthorizeSecurityGroupIngress", &security_group), &[("aws:eks:cluster-name", cluster.as_str())])),
        ("deletes its security group", with_resource_tags(request("ec2:DeleteSecurityGroup", &security_group), &ours)),
        ("creates ELB's service-linked role", request("iam:CreateServiceLinkedRole", &format!("arn:aws:iam::{account}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing")).with("iam:AWSServiceName", json!("elasticloadbalancing.amazonaws.com"))),
        ("describes the load balancers", request("elasticloadbalancing:DescribeLoadBalancers", "*")),
        ("describes the subnets", request("ec2:DescribeSubnets", "*")),
        ("reads the hub's certificate", request("acm:DescribeCertificate", &env.hub_output("CertificateArn"))),
    ];
    let mut cases = Vec::new();
    for (what, request) in allowed {
        cases.push(Case::new(
            format!("{}: the load balancer controller {what}", env.name),
            request,
            &lbc.policies,
            Expect::Allowed,
        ));
    }
    let database_group = format!(
        "arn:aws:ec2:{}:{account}:security-group/sg-0d47ab45e0000da7a",
        env.region
    );
    let denied: Vec<(&str, Request)> = vec![
        ("create a load balancer without its cluster's tag", with_request_tags(request("elasticloadbalancing:CreateLoadBalancer", &load_balancer), &untagged)),
        ("create a load balancer tagged for another cluster", with_request_tags(request("elasticloadbalancing:CreateLoadBalancer", &load_balancer), &theirs)),
        ("create a load balancer without tags", request("elasticloadbalancing:CreateLoadBalancer", &load_balancer)),
        ("create a target group without its cluster's tag", with_request_tags(request("elasticloadbalancing:CreateTargetGroup", &target_group), &untagged)),
        ("delete another cluster's load balancer", with_resource_tags(request("elasticloadbalancing:DeleteLoadBalancer", &load_balancer), &theirs)),
        ("delete an untagged load balancer", with_resource_tags(request("elasticloadbalancing:DeleteLoadBalancer", &load_balancer), &untagged)),
        ("modify another cluster's load balancer", with_resource_tags(request("elasticloadbalancing:ModifyLoadBalancerAttributes", &load_balancer), &theirs)),
        ("delete another cluster's target group", with_resource_tags(request("elasticloadbalancing:DeleteTargetGroup", &target_group), &theirs)),
        ("register targets with another cluster's target group", with_resource_tags(request("elasticloadbalancing:RegisterTargets", &target_group), &theirs)),
        ("tag another cluster's load balancer", with_request_tags(with_resource_tags(request("elasticloadbalancing:AddTags", &load_balancer), &theirs), &ours)),
        ("create a security group without its cluster's tag", with_request_tags(request("ec2:CreateSecurityGroup", &new_group), &untagged)),
        ("create a security group tagged for another cluster", with_request_tags(request("ec2:CreateSecurityGroup", &new_group), &theirs)),
        ("delete another cluster's security group", with_resource_tags(request("ec2:DeleteSecurityGroup", &security_group), &theirs)),
        ("delete an untagged security group (the database's)", request("ec2:DeleteSecurityGroup", &database_group)),
        ("claim an untagged security group by tagging it", with_request_tags(request("ec2:CreateTags", &database_group), &ours)),
        ("create another service's service-linked role", request("iam:CreateServiceLinkedRole", &format!("arn:aws:iam::{account}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS")).with("iam:AWSServiceName", json!("ecs.amazonaws.com"))),
    ];
    for (what, request) in denied {
        cases.push(Case::new(
            format!("{}: the load balancer controller cannot {what}", env.name),
            request,
            &lbc.policies,
            Expect::Denied,
        ));
    }
    check(&cases);
}

/// The controller tags the listeners and rules it creates (feature gate
/// `ListenerRulesTagging`, on by default since v2.4): CreateListener and CreateRule with
/// `Tags` need `elasticloadbalancing:AddTags` on the new listener or rule, with
/// `elasticloadbalancing:CreateAction` CreateListener or CreateRule and the request's tags
/// (users of policies without it report `not authorized to perform:
/// elasticloadbalancing:AddTags on resource: ...:listener/app/...`, e.g.
/// aws-ia/terraform-aws-eks-blueprints#717): `TagOnCreate` allows it for this cluster's tag.
#[test]
fn the_load_balancer_controller_tags_the_listeners_and_rules_it_creates() {
    let (_dir, env) = load_balancer_controller();
    let lbc = env.pod_session("LoadBalancerControllerPodRole");
    let cluster = env.cluster_name();
    let ours = [
        ("elbv2.k8s.aws/cluster", cluster.as_str()),
        ("ingress.k8s.aws/stack", "jupyterhub/jupyterhub"),
        ("ingress.k8s.aws/resource", "443"),
    ];
    let Ingress { listener, rule, .. } = ingress(&env);
    let cases: Vec<Case> = [("CreateListener", &listener), ("CreateRule", &rule)]
        .into_iter()
        .map(|(create, resource)| {
            Case::new(
                format!("the load balancer controller tags what {create} creates"),
                with_request_tags(
                    lbc.request("elasticloadbalancing:AddTags", resource, &env.account),
                    &ours,
                )
                .with("elasticloadbalancing:CreateAction", json!(create)),
                &lbc.policies,
                Expect::Allowed,
            )
        })
        .collect();
    check(&cases);
}

/// The controller changes only listeners, rules and security groups of its cluster: those
/// it tagged `elbv2.k8s.aws/cluster` (it tags the listeners and rules it creates, above) and
/// the cluster security group the nodes use, which EKS tags `aws:eks:cluster-name`; never
/// another load balancer's listener or the database's security group.
#[test]
fn the_load_balancer_controller_cannot_touch_other_listeners_or_security_groups() {
    let (_dir, env) = load_balancer_controller();
    let lbc = env.pod_session("LoadBalancerControllerPodRole");
    let elb = format!(
        "arn:aws:elasticloadbalancing:{}:{}",
        env.region, env.account
    );
    let listener = format!("{elb}:listener/app/jhub-dev-hub/0123456789abcdef/fedcba9876543210");
    let database = format!(
        "arn:aws:ec2:{}:{}:security-group/sg-0d47ab45e0000da7a",
        env.region, env.account
    );
    let cases: Vec<Case> = [
        ("elasticloadbalancing:ModifyListener", &listener),
        ("elasticloadbalancing:DeleteListener", &listener),
        ("elasticloadbalancing:CreateRule", &listener),
        ("ec2:AuthorizeSecurityGroupIngress", &database),
    ]
    .into_iter()
    .map(|(action, resource)| {
        Case::new(
            format!("the load balancer controller cannot {action} on {resource}"),
            with_resource_tags(
                lbc.request(action, resource, &env.account),
                &[("Name", "someone-else")],
            ),
            &lbc.policies,
            Expect::Denied,
        )
    })
    .collect();
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
