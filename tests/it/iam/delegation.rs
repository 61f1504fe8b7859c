//! The parent account's delegation roles, as IAM evaluates them: every call the delegation
//! makes is allowed, and the same calls with one thing changed are denied.
//!
//! The requests here are built from each environment's manifest; the deploy end-to-end test
//! (`tests/it/deploy.rs`) replays the requests hubctl really sent through the proxy with
//! [`replay_parent_requests`].

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

use super::context::{self, Principal, RecordChange};
use super::resolve::{resolve, Scope};
use super::{check, inline_policies, Case, Expect, Policies, Request};
use crate::support::{root, synth};

/// The parent zone's id the DNS team fills into the template's parameter.
const PARENT_ZONE_ID: &str = "Z0PARENT0EXAMPLE";

/// The synthesized parent template of `out` (a synth output directory).
pub fn parent_template(out: &Path) -> Value {
    let dir = out.join("parent");
    let entry = std::fs::read_dir(&dir)
        .expect("synth writes parent/")
        .next()
        .expect("one parent template")
        .expect("readable entry");
    serde_json::from_str(&std::fs::read_to_string(entry.path()).expect("read")).expect("JSON")
}

/// A delegation role as IAM holds it after the parent stack was deployed with
/// `ParentHostedZoneId = zone_id`: its trust policy and its inline policies.
pub struct ParentRole {
    /// The role's ARN.
    pub arn: String,
    /// Its trust policy (the resource policy of `sts:AssumeRole`).
    pub trust: Value,
    /// Its inline policies.
    pub identity: Vec<(String, Value)>,
}

/// Every role of the parent template, deployed in `parent_account` with the zone `zone_id`.
pub fn parent_roles(template: &Value, parent_account: &str, zone_id: &str) -> Vec<ParentRole> {
    let scope = Scope::new("us-east-1", parent_account, "jhub-delegation-role")
        .parameter("ParentHostedZoneId", json!(zone_id))
        .with_resources(template);
    let resources = template["Resources"].as_object().expect("resources");
    let roles: Vec<ParentRole> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::IAM::Role")
        .map(|(id, r)| {
            let properties = resolve(&r["Properties"], &scope);
            ParentRole {
                arn: scope.attributes[&format!("{id}.Arn")].clone(),
                trust: properties["AssumeRolePolicyDocument"].clone(),
                identity: inline_policies(&properties),
            }
        })
        .collect();
    assert_eq!(
        roles.len(),
        resources.len(),
        "the parent template holds roles only"
    );
    roles
}

fn role<'a>(roles: &'a [ParentRole], arn: &str) -> &'a ParentRole {
    roles
        .iter()
        .find(|role| role.arn == arn)
        .unwrap_or_else(|| panic!("hubctl uses {arn}, which the parent template does not define"))
}

/// The workload account's deployer: an administrator there. Its identity policy is the
/// account's own business, not hubctl's, so it allows everything; the trust policy decides.
fn administrator() -> Vec<(String, Value)> {
    vec![(
        "AdministratorAccess".to_string(),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )]
}

fn ns(action: &str, name: &str) -> RecordChange {
    (action.to_string(), name.to_string(), "NS".to_string())
}

/// The session's policies for a request with the session of `role`.
fn session_policies(role: &ParentRole) -> Policies {
    Policies {
        identity: role.identity.clone(),
        resource: None,
    }
}

/// The delegation of one environment, from its manifest.
struct Environment {
    env: String,
    account: String,
    subzone: String,
    parent_zone: String,
    role_arn: String,
}

fn environments(out: &Path) -> Vec<Environment> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(out).expect("synth output") {
        let manifest = entry.expect("entry").path().join("manifest.json");
        if !manifest.exists() {
            continue;
        }
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(manifest).expect("read")).expect("JSON");
        let delegation = &manifest["delegation"];
        found.push(Environment {
            env: manifest["environment"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            account: manifest["account"].as_str().unwrap_or_default().to_string(),
            subzone: delegation["subzone"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            parent_zone: delegation["parent_zone"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            role_arn: delegation["role_arn"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        });
    }
    found.sort_by(|a, b| a.env.cmp(&b.env));
    found
}

/// The requests of one delegation and of its removal, all allowed; then the NS write with one
/// thing changed, each denied.
fn delegation_cases(
    environments: &[Environment],
    roles: &[ParentRole],
    parent_account: &str,
) -> Vec<Case> {
    let mut cases = Vec::new();
    let zone = format!("arn:aws:route53:::hostedzone/{PARENT_ZONE_ID}");
    for environment in environments {
        let Environment {
            env,
            account,
            subzone,
            parent_zone,
            role_arn,
        } = environment;
        let caller = Principal::User {
            arn: format!("arn:aws:iam::{account}:user/deployer"),
        };
        let own = role(roles, role_arn);
        let trust = Policies {
            identity: administrator(),
            resource: Some(own.trust.clone()),
        };
        cases.push(Case::new(
            format!("{env}: its account assumes its role"),
            context::assume_role(&caller, role_arn, &format!("hubctl-{env}"), &[]),
            &trust,
            Expect::Allowed,
        ));
        // The trust names the account (`:root`), so the deployer's own policies must allow
        // the call too (what deploy's check before any stack names as the third cause; moto
        // enforces no identity policy). Exactly sts:AssumeRole on this role is enough.
        cases.push(Case::new(
            format!("{env}: a deployer of its account whose own policies do not allow sts:AssumeRole cannot assume it"),
            context::assume_role(&caller, role_arn, &format!("hubctl-{env}"), &[]),
            &Policies {
                identity: vec![(
                    "EverythingButAssumeRole".to_string(),
                    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "sts:AssumeRole", "Resource": "*"}]}),
                )],
                resource: Some(own.trust.clone()),
            },
            Expect::Denied,
        ));
        // A deployer whose session carries a source identity passes it on: STS asks for
        // sts:SetSourceIdentity on the role as well.
        cases.push(Case::new(
            format!("{env}: its account's deployer with a source identity may pass it on"),
            caller
                .request(
                    "sts:SetSourceIdentity",
                    role_arn,
                    &context::account_of(role_arn),
                )
                .with("sts:SourceIdentity", json!("alice@example.com")),
            &trust,
            Expect::Allowed,
        ));
        cases.push(Case::new(
            format!("{env}: sts:AssumeRole on its role alone lets a deployer assume it"),
            context::assume_role(&caller, role_arn, &format!("hubctl-{env}"), &[]),
            &Policies {
                identity: vec![(
                    "AssumeTheDelegationRole".to_string(),
                    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]}),
                )],
                resource: Some(own.trust.clone()),
            },
            Expect::Allowed,
        ));
        let session = Principal::RoleSession {
            role_arn: role_arn.clone(),
            session: format!("hubctl-{env}"),
        };
        let policies = session_policies(own);
        let allowed: Vec<(&str, Request)> = vec![
            (
                "finds the parent zone",
                context::route53(&session, "ListHostedZonesByName", "*"),
            ),
            (
                "reads the zone's records",
                context::route53(&session, "ListResourceRecordSets", &zone),
            ),
            (
                "writes its NS record",
                context::route53_change(&session, PARENT_ZONE_ID, &[ns("UPSERT", subzone)]),
            ),
            (
                "waits for the change",
                context::route53(&session, "GetChange", "arn:aws:route53:::change/C0EXAMPLE"),
            ),
            (
                "removes its NS record",
                context::route53_change(&session, PARENT_ZONE_ID, &[ns("DELETE", subzone)]),
            ),
            (
                "names the record with a trailing dot and capitals",
                context::route53_change(
                    &session,
                    PARENT_ZONE_ID,
                    &[ns("UPSERT", &format!("{}.", subzone.to_uppercase()))],
                ),
            ),
        ];
        for (what, request) in allowed {
            cases.push(Case::new(
                format!("{env}: {what}"),
                request,
                &policies,
                Expect::Allowed,
            ));
        }
        let record =
            |change: RecordChange| context::route53_change(&session, PARENT_ZONE_ID, &[change]);
        let mut denied: Vec<(String, Request)> = vec![
            (
                "an A record of its subzone".into(),
                record(("UPSERT".into(), subzone.clone(), "A".into())),
            ),
            (
                "a CNAME in its subzone's place".into(),
                record(("UPSERT".into(), subzone.clone(), "CNAME".into())),
            ),
            (
                "the parent zone's own NS record".into(),
                record(ns("UPSERT", parent_zone)),
            ),
            (
                "a name below its subzone".into(),
                record(ns("UPSERT", &format!("x.{subzone}"))),
            ),
            (
                "a sibling name".into(),
                record(ns("UPSERT", &format!("evil.{parent_zone}"))),
            ),
            (
                "CREATE instead of UPSERT".into(),
                record(ns("CREATE", subzone)),
            ),
            (
                "its NS record batched with another record".into(),
                context::route53_change(
                    &session,
                    PARENT_ZONE_ID,
                    &[
                        ns("UPSERT", subzone),
                        ("UPSERT".into(), format!("www.{parent_zone}"), "A".into()),
                    ],
                ),
            ),
            (
                "its NS record in another zone".into(),
                context::route53_change(&session, "Z0OTHERZONE", &[ns("UPSERT", subzone)]),
            ),
        ];
        for other in environments.iter().filter(|o| o.account != *account) {
            denied.push((
                format!("environment {}'s NS record", other.env),
                record(ns("UPSERT", &other.subzone)),
            ));
            let stranger = Principal::User {
                arn: format!("arn:aws:iam::{}:user/deployer", other.account),
            };
            cases.push(Case::new(
                format!("{env}: account {} cannot assume its role", other.account),
                context::assume_role(&stranger, role_arn, "hubctl", &[]),
                &trust,
                Expect::Denied,
            ));
            cases.push(Case::new(
                format!(
                    "{env}: account {} cannot set a source identity on its role",
                    other.account
                ),
                stranger
                    .request(
                        "sts:SetSourceIdentity",
                        role_arn,
                        &context::account_of(role_arn),
                    )
                    .with("sts:SourceIdentity", json!("mallory@example.com")),
                &trust,
                Expect::Denied,
            ));
            let foreign = Principal::RoleSession {
                role_arn: other.role_arn.clone(),
                session: "hubctl".to_string(),
            };
            cases.push(Case::new(
                format!(
                    "{env}: environment {}'s session cannot write {subzone}",
                    other.env
                ),
                context::route53_change(&foreign, PARENT_ZONE_ID, &[ns("UPSERT", subzone)]),
                &session_policies(role(roles, &other.role_arn)),
                Expect::Denied,
            ));
        }
        let outsider = Principal::User {
            arn: "arn:aws:iam::999999999998:user/deployer".to_string(),
        };
        cases.push(Case::new(
            format!("{env}: an account outside the config cannot assume its role"),
            context::assume_role(&outsider, role_arn, "hubctl", &[]),
            &trust,
            Expect::Denied,
        ));
        let parent_user = Principal::User {
            arn: format!("arn:aws:iam::{parent_account}:user/someone"),
        };
        cases.push(Case::new(
            format!("{env}: a principal of the parent account without its own permission cannot assume it"),
            context::assume_role(&parent_user, role_arn, "hubctl", &[]),
            &Policies { identity: Vec::new(), resource: Some(own.trust.clone()) },
            Expect::Denied,
        ));
        for (what, request) in denied {
            cases.push(Case::new(
                format!("{env}: not {what}"),
                request,
                &policies,
                Expect::Denied,
            ));
        }
    }
    cases
}

#[test]
fn each_environment_delegates_its_own_subzone_and_nothing_else() {
    let (_dir, out) = synth(&root().join("config.example.yaml"));
    let roles = parent_roles(&parent_template(&out), "111111111111", PARENT_ZONE_ID);
    let environments = environments(&out);
    // dev and eks-dev share an account (and its role); prod is the other account.
    assert_eq!(environments.len(), 3);
    let cases = delegation_cases(&environments, &roles, "111111111111");
    check(&cases);
}

/// The condition the first version of the role had: the caller's account in
/// `aws:PrincipalAccount`. The evaluator must deny it, as AWS does (the session's
/// `aws:PrincipalAccount` is the parent account), or the tests above prove nothing.
#[test]
fn a_condition_on_the_callers_account_never_matches_a_role_session() {
    let session = Principal::RoleSession {
        role_arn: "arn:aws:iam::111111111111:role/DomainOperatorRole".to_string(),
        session: "hubctl".to_string(),
    };
    let policy = |account: &str| {
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["route53:ChangeResourceRecordSets"],
            "Resource": [format!("arn:aws:route53:::hostedzone/{PARENT_ZONE_ID}")],
            "Condition": {"StringEquals": {"aws:PrincipalAccount": account}}
        }]})
    };
    let request =
        context::route53_change(&session, PARENT_ZONE_ID, &[ns("UPSERT", "dev.example.com")]);
    check(&[
        Case::new(
            "the workload account in aws:PrincipalAccount: denied",
            request.clone(),
            &Policies {
                identity: vec![("old".into(), policy("123456789012"))],
                resource: None,
            },
            Expect::Denied,
        ),
        Case::new(
            "the parent account in aws:PrincipalAccount: allowed (so the key is evaluated)",
            request,
            &Policies {
                identity: vec![("old".into(), policy("111111111111"))],
                resource: None,
            },
            Expect::Allowed,
        ),
    ]);
}

/// The organisation the issue asks for: 500 environments in 50 workload accounts under one
/// parent zone. It synthesizes, and every environment's delegation holds: its own NS record
/// allowed, its neighbour's (in another account) denied, its role not assumable by that
/// neighbour's account.
#[test]
fn five_hundred_environments_in_fifty_accounts_delegate_each_its_own_subzone() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let config = dir.path().join("many.yaml");
    std::fs::write(&config, many_environments(500, 50)).expect("write the config");
    let (_out_dir, out) = synth(&config);
    let template = parent_template(&out);
    let roles = parent_roles(&template, "111111111111", PARENT_ZONE_ID);
    assert_eq!(roles.len(), 50);
    let environments = environments(&out);
    assert_eq!(environments.len(), 500);
    let mut cases = Vec::new();
    for (index, environment) in environments.iter().enumerate() {
        let neighbour = (1..environments.len())
            .map(|step| &environments[(index + step) % environments.len()])
            .find(|other| other.account != environment.account)
            .expect("another account");
        let own = role(&roles, &environment.role_arn);
        let session = Principal::RoleSession {
            role_arn: environment.role_arn.clone(),
            session: "hubctl".into(),
        };
        let policies = session_policies(own);
        cases.push(Case::new(
            format!("{}: its NS record", environment.env),
            context::route53_change(
                &session,
                PARENT_ZONE_ID,
                &[ns("UPSERT", &environment.subzone)],
            ),
            &policies,
            Expect::Allowed,
        ));
        cases.push(Case::new(
            format!("{}: not {}'s NS record", environment.env, neighbour.env),
            context::route53_change(
                &session,
                PARENT_ZONE_ID,
                &[ns("UPSERT", &neighbour.subzone)],
            ),
            &policies,
            Expect::Denied,
        ));
        let stranger = Principal::User {
            arn: format!("arn:aws:iam::{}:user/deployer", neighbour.account),
        };
        cases.push(Case::new(
            format!(
                "{}: {}'s account cannot assume its role",
                environment.env, neighbour.env
            ),
            context::assume_role(&stranger, &environment.role_arn, "hubctl", &[]),
            &Policies {
                identity: administrator(),
                resource: Some(own.trust.clone()),
            },
            Expect::Denied,
        ));
    }
    check(&cases);
    // Every role fits IAM with room: the policy of 10 subzones is far below 10,240.
    for role in &roles {
        let chars: usize = role
            .identity
            .iter()
            .map(|(name, doc)| name.len() + doc.to_string().len())
            .sum();
        assert!(chars < 2_000, "{}: {chars}", role.arn);
    }
}

/// A config of `n` environments spread over `accounts` workload accounts (round robin), each
/// with an ECS hub; the benchmark (bench/synth.py) uses the same shape.
pub fn many_environments(n: usize, accounts: usize) -> String {
    let mut yaml = String::from(
        "project: bench\nregion: eu-west-1\n\
         dns: {parent_zone: x.io, parent_account: '111111111111', delegation_role: DomainOperatorRole}\n\
         network: {vpc_cidr: 10.0.0.0/16, availability_zones: 3, nat_gateways: 3}\n\
         hub: {platform: ecs, hub_image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/hub:1', \
         user_image: 'quay.io/jupyter/base-notebook:2025-06-30', admins: [alice], allowed_users: [bob], \
         allowed_cidrs: [0.0.0.0/0], auth: {kind: cognito}}\nenvironments:\n",
    );
    for i in 0..n {
        yaml.push_str(&format!(
            "  e{i}: {{account: '{:012}', dns: {{subzone: e{i}.x.io, hub_host: h.e{i}.x.io}}}}\n",
            200_000_000_000u64 + (i % accounts) as u64
        ));
    }
    yaml
}

/// One request of the proxy's log (`tests/deploy/proxy.py --log-bodies`).
fn text<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(value, |v, key| &v[*key])
        .as_str()
        .unwrap_or_default()
}

/// Items of an XML list as the proxy decodes it: one object, or a list of them.
fn items(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

/// What [`replay_parent_requests`] saw, by kind, so a test can insist each kind occurred.
pub type Seen = BTreeMap<String, usize>;

/// The requests hubctl sent to the parent account, from the proxy's log: each AssumeRole
/// (evaluated against the role's trust policy, the caller being whoever GetCallerIdentity
/// named), and every request signed with a session AssumeRole returned (against the role's
/// inline policies). A request to the parent account of a kind this replay does not know
/// fails the test: it must be added here, with its request context, before it can pass.
pub fn replay_parent_requests(
    log: &str,
    template: &Value,
    parent_account: &str,
    zone_id: &str,
) -> (Vec<Case>, Seen) {
    let roles = parent_roles(template, parent_account, zone_id);
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON log line"))
        .filter(|line: &Value| line["fault"].is_null())
        .collect();
    let caller_arn = lines
        .iter()
        .find(|l| l["action"] == "GetCallerIdentity")
        .map(|l| {
            text(
                &l["reply"],
                &[
                    "GetCallerIdentityResponse",
                    "GetCallerIdentityResult",
                    "Arn",
                ],
            )
            .to_string()
        })
        .expect("hubctl asked who it is");
    let caller = Principal::from_caller_arn(&caller_arn);
    let mut sessions: BTreeMap<String, (Principal, String)> = BTreeMap::new();
    let mut cases = Vec::new();
    let mut seen = Seen::new();
    for line in &lines {
        let n = &line["n"];
        if line["action"] == "AssumeRole" {
            let role_arn = line["request"]["RoleArn"]
                .as_str()
                .expect("RoleArn")
                .to_string();
            let session = line["request"]["RoleSessionName"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let tags: Vec<(String, String)> = (1..)
                .map_while(|i| {
                    let key = line["request"][format!("Tags.member.{i}.Key")].as_str()?;
                    let value = line["request"][format!("Tags.member.{i}.Value")].as_str()?;
                    Some((key.to_string(), value.to_string()))
                })
                .collect();
            let role = role(&roles, &role_arn);
            cases.push(Case::new(
                format!("#{n} AssumeRole {role_arn}"),
                context::assume_role(&caller, &role_arn, &session, &tags),
                &Policies {
                    identity: administrator(),
                    resource: Some(role.trust.clone()),
                },
                Expect::Allowed,
            ));
            *seen.entry("AssumeRole".into()).or_default() += 1;
            let key = text(
                &line["reply"],
                &[
                    "AssumeRoleResponse",
                    "AssumeRoleResult",
                    "Credentials",
                    "AccessKeyId",
                ],
            );
            if !key.is_empty() {
                sessions.insert(
                    key.to_string(),
                    (
                        Principal::RoleSession {
                            role_arn: role_arn.clone(),
                            session,
                        },
                        role_arn,
                    ),
                );
            }
            continue;
        }
        let Some((session, role_arn)) = line["access_key"]
            .as_str()
            .and_then(|key| sessions.get(key))
        else {
            continue; // the workload account's own calls
        };
        let policies = session_policies(role(&roles, role_arn));
        let path = line["path"]
            .as_str()
            .unwrap_or_default()
            .trim_end_matches('/');
        let segments: Vec<&str> = path.split('/').collect();
        let (kind, request) = match (line["method"].as_str().unwrap_or_default(), &segments[..]) {
            ("GET", ["", _, "hostedzonesbyname"]) => ("ListHostedZonesByName".to_string(), context::route53(session, "ListHostedZonesByName", "*")),
            ("GET", ["", _, "hostedzone", zone, "rrset"]) => (
                "ListResourceRecordSets".to_string(),
                context::route53(session, "ListResourceRecordSets", &format!("arn:aws:route53:::hostedzone/{zone}")),
            ),
            ("GET", ["", _, "change", change]) => ("GetChange".to_string(), context::route53(session, "GetChange", &format!("arn:aws:route53:::change/{change}"))),
            ("POST", ["", _, "hostedzone", zone, "rrset"]) => {
                let batch = &line["request"]["ChangeResourceRecordSetsRequest"]["ChangeBatch"]["Changes"]["Change"];
                let changes: Vec<RecordChange> = items(batch)
                    .into_iter()
                    .map(|change| {
                        (
                            text(change, &["Action"]).to_string(),
                            text(change, &["ResourceRecordSet", "Name"]).to_string(),
                            text(change, &["ResourceRecordSet", "Type"]).to_string(),
                        )
                    })
                    .collect();
                assert!(!changes.is_empty(), "#{n}: a change batch without changes: {line}");
                let actions: Vec<&str> = changes.iter().map(|(a, _, _)| a.as_str()).collect();
                (format!("ChangeResourceRecordSets {}", actions.join("+")), context::route53_change(session, zone, &changes))
            }
            _ => panic!("#{n}: hubctl sent {} {} to the parent account, which this replay does not know: add its request context", line["method"], line["path"]),
        };
        *seen.entry(kind.clone()).or_default() += 1;
        cases.push(Case::new(
            format!("#{n} {kind}"),
            request,
            &policies,
            Expect::Allowed,
        ));
    }
    (cases, seen)
}

/// The real NS write from the proxy's log with one thing changed, each of which IAM must
/// deny: another record type, another name (the parent zone's own, another environment's
/// subzone, a name below its own), and the same write from another workload account's role
/// (and that account assuming this environment's role).
pub fn variants_of_the_ns_write(
    log: &str,
    template: &Value,
    parent_account: &str,
    zone_id: &str,
) -> Vec<Case> {
    let (replayed, _) = replay_parent_requests(log, template, parent_account, zone_id);
    let write = replayed
        .iter()
        .find(|case| case.name.ends_with("ChangeResourceRecordSets UPSERT"))
        .expect("the log holds the NS write");
    let names = &write.request.context["route53:ChangeResourceRecordSetsNormalizedRecordNames"];
    let subzone = names[0].as_str().expect("the subzone").to_string();
    let parent_zone = subzone
        .split_once('.')
        .map(|(_, rest)| rest.to_string())
        .expect("a parent");
    let roles = parent_roles(template, parent_account, zone_id);
    let own_role = write.request.context["aws:PrincipalArn"]
        .as_str()
        .expect("the role")
        .to_string();
    let other = roles
        .iter()
        .find(|role| role.arn != own_role)
        .expect("a second workload account's role");
    let other_account = other
        .arn
        .rsplit('-')
        .next()
        .expect("the account in the name")
        .to_string();
    let other_subzone = other.identity[0].1["Statement"][0]["Condition"]
        ["ForAllValues:StringEquals"]["route53:ChangeResourceRecordSetsNormalizedRecordNames"][0]
        .as_str()
        .expect("its subzone")
        .to_string();
    let changed = |key: &str, value: Value| {
        let mut case = write.clone();
        case.request.context.insert(key.to_string(), value);
        case.expect = Expect::Denied;
        case
    };
    let mut cases = vec![
        Case {
            name: "the NS write as an A record".into(),
            ..changed("route53:ChangeResourceRecordSetsRecordTypes", json!(["A"]))
        },
        Case {
            name: format!("the NS write for {parent_zone} itself"),
            ..changed(
                "route53:ChangeResourceRecordSetsNormalizedRecordNames",
                json!([parent_zone]),
            )
        },
        Case {
            name: format!("the NS write for {other_subzone}, account {other_account}'s"),
            ..changed(
                "route53:ChangeResourceRecordSetsNormalizedRecordNames",
                json!([other_subzone]),
            )
        },
        Case {
            name: format!("the NS write for x.{subzone}"),
            ..changed(
                "route53:ChangeResourceRecordSetsNormalizedRecordNames",
                json!([format!("x.{subzone}")]),
            )
        },
    ];
    let foreign = Principal::RoleSession {
        role_arn: other.arn.clone(),
        session: "hubctl".into(),
    };
    let mut foreign_write = context::route53_change(&foreign, zone_id, &[ns("UPSERT", &subzone)]);
    foreign_write.context.insert(
        "route53:ChangeResourceRecordSetsActions".into(),
        write.request.context["route53:ChangeResourceRecordSetsActions"].clone(),
    );
    cases.push(Case::new(
        format!("the NS write from account {other_account}'s role"),
        foreign_write,
        &session_policies(other),
        Expect::Denied,
    ));
    let stranger = Principal::User {
        arn: format!("arn:aws:iam::{other_account}:user/deployer"),
    };
    cases.push(Case::new(
        format!("account {other_account} assuming {own_role}"),
        context::assume_role(&stranger, &own_role, "hubctl", &[]),
        &Policies {
            identity: administrator(),
            resource: Some(role(&roles, &own_role).trust.clone()),
        },
        Expect::Denied,
    ));
    cases
}
