//! The delegation-role template, for the parent DNS account's owners to deploy once.
//!
//! It replaces "Route 53 full access" with **one role per workload account**. The role of
//! account A trusts only account A and may write only the NS records of A's own subzones
//! in the parent zone (UPSERT and DELETE), read that zone's records, and read the change
//! status. hubctl calls Route 53 with the role's session, whose `aws:PrincipalAccount` is the
//! parent account itself, so a condition on the caller's account could never match there:
//! the trust policy is where the caller's account is known, and a role per account carries
//! it into the permissions without session tags or policy variables.

use std::collections::{BTreeMap, BTreeSet};

use crate::cfn::iam::{PolicyDocument, Principal, Statement};
use crate::cfn::resources::{InlinePolicy, Role};
use crate::cfn::{Expr, Parameter, Resource, Template};
use crate::model::{AccountId, Deployment};

/// The parameter holding the parent zone's id, filled by the parent account's owners.
pub const PARENT_ZONE_PARAMETER: &str = "ParentHostedZoneId";

/// The name of each role's one inline policy.
pub const POLICY_NAME: &str = "DelegateSubzones";

/// IAM: the inline policies of one role hold at most this many characters together
/// (whitespace not counted).
pub const ROLE_POLICY_LIMIT: usize = 10_240;

/// IAM: a role's trust policy holds at most this many characters by default (a quota
/// increase allows 4,096).
pub const TRUST_POLICY_LIMIT: usize = 2_048;

/// The logical id of workload account `account`'s role.
pub fn role_logical_id(account: &AccountId) -> String {
    format!("DelegationRole{account}")
}

/// Each workload account with its subzones, sorted.
fn subzones_by_account<'a>(
    deployments: &[&'a Deployment],
) -> BTreeMap<&'a AccountId, BTreeSet<&'a str>> {
    let mut accounts: BTreeMap<&AccountId, BTreeSet<&str>> = BTreeMap::new();
    for deployment in deployments {
        accounts
            .entry(&deployment.account)
            .or_default()
            .insert(deployment.dns.subzone.as_str());
    }
    accounts
}

fn zone_arn() -> Expr {
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:route53:::hostedzone/${{{PARENT_ZONE_PARAMETER}}}"
    ))
}

/// Only `account` may assume its role: any principal there that its own IAM policies let
/// call `sts:AssumeRole` on this role. `sts:SetSourceIdentity` too: a deployer whose session
/// carries a source identity (set at sign-in, e.g. by a SAML provider) passes it on to every
/// role it assumes, and STS refuses the chain unless the trust allows it; it names who
/// acts, for CloudTrail, and grants nothing.
fn trust_policy(account: &AccountId) -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow(
        "OnlyThisWorkloadAccountAssumes",
        &["sts:AssumeRole", "sts:SetSourceIdentity"],
        vec![],
    )
    .principal(Principal::aws(vec![Expr::sub(format!(
        "arn:${{AWS::Partition}}:iam::{account}:root"
    ))]))])
}

/// NS records of exactly `subzones` (UPSERT, DELETE), plus the reads the delegation needs.
fn permissions_policy(subzones: &BTreeSet<&str>) -> PolicyDocument {
    let names: Vec<&&str> = subzones.iter().collect();
    PolicyDocument::new(vec![
        Statement::allow(
            "WriteOwnSubzonesNsRecords",
            &["route53:ChangeResourceRecordSets"],
            vec![zone_arn()],
        )
        .when(
            "ForAllValues:StringEquals",
            "route53:ChangeResourceRecordSetsRecordTypes",
            Expr::strings(&["NS"]),
        )
        .when(
            "ForAllValues:StringEquals",
            "route53:ChangeResourceRecordSetsActions",
            Expr::strings(&["DELETE", "UPSERT"]),
        )
        .when(
            "ForAllValues:StringEquals",
            "route53:ChangeResourceRecordSetsNormalizedRecordNames",
            Expr::strings(&names),
        )
        // ForAllValues also holds when a key is absent: require all three.
        .when(
            "Null",
            "route53:ChangeResourceRecordSetsRecordTypes",
            "false".into(),
        )
        .when(
            "Null",
            "route53:ChangeResourceRecordSetsActions",
            "false".into(),
        )
        .when(
            "Null",
            "route53:ChangeResourceRecordSetsNormalizedRecordNames",
            "false".into(),
        ),
        // Deploy reads the subzone's current NS record before it writes (it refuses to
        // overwrite one that points elsewhere). Route 53 cannot scope this read to one name;
        // the records of a public zone are public through DNS anyway.
        Statement::allow(
            "ReadParentZoneRecords",
            &["route53:ListResourceRecordSets"],
            vec![zone_arn()],
        ),
        Statement::allow(
            "ReadChangeStatus",
            &["route53:GetChange"],
            vec![Expr::sub("arn:${AWS::Partition}:route53:::change/*")],
        ),
        Statement::allow(
            "FindParentZoneByName",
            &["route53:ListHostedZonesByName"],
            vec!["*".into()],
        ),
    ])
}

/// The template covering every environment in `deployments` (all share the parent zone and
/// the roles' base name; the config checks that). `None` when there is no environment.
pub fn template(deployments: &[&Deployment]) -> Option<Template> {
    let first = deployments.first()?;
    let dns = &first.dns;
    let accounts = subzones_by_account(deployments);
    let n_subzones: usize = accounts.values().map(BTreeSet::len).sum();

    let mut template = Template::new(format!(
        "hubctl {}: roles {}-<account> delegating {n_subzones} subzone(s) of {} to {} workload account(s) (deploy in account {})",
        first.project,
        dns.delegation_role.name,
        dns.parent_zone,
        accounts.len(),
        dns.parent_account
    ));
    let mut zone_parameter = Parameter::new(
        "AWS::Route53::HostedZone::Id",
        &format!(
            "Id of the public hosted zone {} in this account (aws route53 list-hosted-zones-by-name --dns-name {})",
            dns.parent_zone, dns.parent_zone
        ),
    );
    zone_parameter.allowed_pattern = Some("^Z[A-Z0-9]{1,31}$".to_string());
    template.parameter(PARENT_ZONE_PARAMETER, zone_parameter);

    for (account, subzones) in &accounts {
        template.add(
            &role_logical_id(account),
            Resource::new(Role {
                assume_role_policy_document: Some(trust_policy(account)),
                description: format!(
                    "hubctl {}: NS records of {} subzone(s) of {} for account {account}",
                    first.project,
                    subzones.len(),
                    dns.parent_zone
                ),
                managed_policy_arns: Vec::new(),
                max_session_duration: Some(3600),
                path: Some(dns.delegation_role.path.clone()),
                policies: vec![InlinePolicy {
                    policy_name: POLICY_NAME.to_string(),
                    policy_document: permissions_policy(subzones),
                }],
                role_name: Some(dns.delegation_role.role_name(account)),
                tags: Vec::new(),
            }),
        );
    }
    Some(template)
}

/// The size of one role's policies as IAM counts them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleSize {
    /// The workload account the role serves.
    pub account: AccountId,
    /// How many subzones its policy names.
    pub n_subzones: usize,
    /// Characters of its inline policies (names and documents, whitespace not counted).
    pub policy_chars: usize,
    /// Characters of its trust policy.
    pub trust_chars: usize,
}

/// Every role's size, with the template's placeholders at their longest (partition
/// `aws-us-gov`, a 32-character zone id), so a config that passes fits in any partition.
pub fn role_sizes(deployments: &[&Deployment]) -> Vec<RoleSize> {
    subzones_by_account(deployments)
        .into_iter()
        .map(|(account, subzones)| RoleSize {
            account: account.clone(),
            n_subzones: subzones.len(),
            policy_chars: POLICY_NAME.len() + iam_chars(&permissions_policy(&subzones)),
            trust_chars: iam_chars(&trust_policy(account)),
        })
        .collect()
}

/// Characters of `document` as IAM sees it after CloudFormation resolved it: compact JSON
/// (IAM does not count whitespace), placeholders at their longest.
fn iam_chars(document: &PolicyDocument) -> usize {
    fn resolve(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => match map.get("Fn::Sub") {
                Some(serde_json::Value::String(text)) if map.len() == 1 => {
                    serde_json::Value::String(
                        text.replace("${AWS::Partition}", "aws-us-gov").replace(
                            &format!("${{{PARENT_ZONE_PARAMETER}}}"),
                            "Z0000000000000000000000000000000",
                        ),
                    )
                }
                _ => map.into_iter().map(|(k, v)| (k, resolve(v))).collect(),
            },
            serde_json::Value::Array(items) => items.into_iter().map(resolve).collect(),
            other => other,
        }
    }
    // Plain data always serializes.
    let value = serde_json::to_value(document).expect("a policy document serializes");
    resolve(value).to_string().chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> crate::config::Config {
        crate::config::parse(
            "config.example.yaml",
            include_str!("../../config.example.yaml"),
        )
        .expect("the example is valid")
    }

    #[test]
    fn each_account_has_its_own_role_trusting_only_it_for_only_its_subzones() {
        let config = example();
        let all: Vec<&Deployment> = config.deployments.iter().collect();
        let template = template(&all).expect("there are environments");
        let roles: Vec<(
            String,
            serde_json::Value,
            serde_json::Value,
            serde_json::Value,
        )> = template
            .resources
            .iter()
            .map(|(id, resource)| {
                let role = &resource.properties;
                (
                    id.clone(),
                    role["RoleName"].clone(),
                    role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"].clone(),
                    role["Policies"][0]["PolicyDocument"]["Statement"][0]["Condition"]
                        ["ForAllValues:StringEquals"]
                        ["route53:ChangeResourceRecordSetsNormalizedRecordNames"]
                        .clone(),
                )
            })
            .collect();
        assert_eq!(
            roles,
            vec![
                (
                    "DelegationRole123456789012".to_string(),
                    serde_json::json!("DomainOperatorRole-123456789012"),
                    serde_json::json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::123456789012:root"}]),
                    // dev and eks-dev share the account, and so its role.
                    serde_json::json!(["dev.example.com", "eks-dev.example.com"]),
                ),
                (
                    "DelegationRole210987654321".to_string(),
                    serde_json::json!("DomainOperatorRole-210987654321"),
                    serde_json::json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::210987654321:root"}]),
                    serde_json::json!(["hub.example.com"]),
                ),
            ]
        );
        // The manifest's ARN and the template's role are the same role.
        assert_eq!(
            config.deployments[0].delegation_role_arn(),
            "arn:aws:iam::111111111111:role/DomainOperatorRole-123456789012"
        );
    }

    #[test]
    fn sizes_count_compact_json_with_the_longest_placeholders() {
        let config = example();
        // One subzone per account: eks-dev shares dev's account.
        let all: Vec<&Deployment> = config
            .deployments
            .iter()
            .filter(|d| d.env != "eks-dev")
            .collect();
        let sizes = role_sizes(&all);
        assert_eq!(sizes.len(), 2);
        let template = template(&all).expect("there are environments");
        let role = &template.resources["DelegationRole123456789012"].properties;
        let compact = role["Policies"][0]["PolicyDocument"].to_string();
        // Three `{"Fn::Sub":...}` wrappers go; three partitions become `aws-us-gov` and the
        // two zone ids 32 characters.
        let wrapper = r#"{"Fn::Sub":}"#.len();
        let partition = "${AWS::Partition}".len() - "aws-us-gov".len();
        let zone_id = 32 - "${ParentHostedZoneId}".len();
        let expected = compact.len() - 3 * wrapper - 3 * partition + 2 * zone_id;
        assert_eq!(sizes[0].policy_chars, POLICY_NAME.len() + expected);
        let trust = role["AssumeRolePolicyDocument"].to_string();
        assert_eq!(sizes[0].trust_chars, trust.len() - wrapper - partition);

        // Each further subzone adds its name, two quotes and a comma.
        let mut more = config.deployments[0].clone();
        more.env = "staging".to_string();
        more.dns.subzone = crate::model::DnsName::parse("staging.example.com").expect("a name");
        let grown = role_sizes(&[&config.deployments[0], &more]);
        assert_eq!(
            grown[0].policy_chars,
            sizes[0].policy_chars + "staging.example.com".len() + 3
        );
        assert_eq!(grown[0].n_subzones, 2);
    }
}
