//! The delegation-role template, for the parent DNS account's owners to deploy once.
//!
//! It replaces "Route 53 full access" with one role that the workload accounts may assume
//! and that can only write NS records of the configured subzones in the parent zone
//! (UPSERT and DELETE), read that zone's records, and read the change status.

use std::collections::BTreeSet;

use crate::cfn::iam::{PolicyDocument, Principal, Statement};
use crate::cfn::resources::{InlinePolicy, Role};
use crate::cfn::{Expr, Parameter, Resource, Template};
use crate::model::Deployment;

/// The parameter holding the parent zone's id, filled by the parent account's owners.
pub const PARENT_ZONE_PARAMETER: &str = "ParentHostedZoneId";

/// The template covering every environment in `deployments` (all share the parent zone and
/// role; the config checks that). `None` when there is no environment.
pub fn template(deployments: &[&Deployment]) -> Option<Template> {
    let first = deployments.first()?;
    let dns = &first.dns;
    let accounts: BTreeSet<&str> = deployments.iter().map(|d| d.account.as_str()).collect();
    let subzones: BTreeSet<&str> = deployments.iter().map(|d| d.dns.subzone.as_str()).collect();

    let mut template = Template::new(format!(
        "hubctl {}: role {} for delegating {} subzone(s) of {} (deploy in account {})",
        first.project,
        dns.delegation_role.name,
        subzones.len(),
        dns.parent_zone,
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

    let zone_arn = Expr::sub(format!(
        "arn:${{AWS::Partition}}:route53:::hostedzone/${{{PARENT_ZONE_PARAMETER}}}"
    ));
    let trust = PolicyDocument::new(vec![Statement::allow(
        "WorkloadAccountsAssume",
        &["sts:AssumeRole"],
        vec![],
    )
    .principal(Principal::aws(
        accounts
            .iter()
            .map(|account| Expr::sub(format!("arn:${{AWS::Partition}}:iam::{account}:root")))
            .collect(),
    ))]);
    // One statement per workload account: each may write only its own subzones' NS records,
    // so no environment can redirect another's name.
    let mut statements: Vec<Statement> = accounts
        .iter()
        .map(|account| {
            let own_subzones: BTreeSet<&str> = deployments
                .iter()
                .filter(|d| d.account.as_str() == *account)
                .map(|d| d.dns.subzone.as_str())
                .collect();
            Statement::allow(
                &format!("Account{account}WritesItsSubzoneNsRecords"),
                &["route53:ChangeResourceRecordSets"],
                vec![zone_arn.clone()],
            )
            .when("StringEquals", "aws:PrincipalAccount", Expr::from(*account))
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
                Expr::strings(&own_subzones.iter().collect::<Vec<_>>()),
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
            )
        })
        .collect();
    statements.extend([
        // Deploy reads the subzone's current NS record before it writes (it refuses to
        // overwrite one that points elsewhere). Route 53 cannot scope this read to one name;
        // the records of a public zone are public through DNS anyway.
        Statement::allow(
            "ReadParentZoneRecords",
            &["route53:ListResourceRecordSets"],
            vec![zone_arn],
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
    ]);
    let permissions = PolicyDocument::new(statements);
    template.add(
        "DelegationRole",
        Resource::new(Role {
            assume_role_policy_document: Some(trust),
            description: format!(
                "hubctl {}: NS delegation of {} subzones",
                first.project, dns.parent_zone
            ),
            managed_policy_arns: Vec::new(),
            max_session_duration: Some(3600),
            path: Some(dns.delegation_role.path.clone()),
            policies: vec![InlinePolicy {
                policy_name: "DelegateSubzones".to_string(),
                policy_document: permissions,
            }],
            role_name: Some(dns.delegation_role.name.clone()),
            tags: Vec::new(),
        }),
    );
    template.output(
        "RoleArn",
        "The role hubctl deploy assumes",
        Expr::get_att("DelegationRole", "Arn"),
    );
    Some(template)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_account_may_write_only_its_own_subzones() {
        let config = crate::config::parse(
            "config.example.yaml",
            include_str!("../../config.example.yaml"),
        )
        .expect("the example is valid");
        let all: Vec<&Deployment> = config.deployments.iter().collect();
        let template = template(&all).expect("there are environments");
        let role = &template.resources["DelegationRole"].properties;
        let statements = role["Policies"][0]["PolicyDocument"]["Statement"]
            .as_array()
            .expect("statements");
        let writers: Vec<_> = statements
            .iter()
            .filter(|s| s["Action"][0] == "route53:ChangeResourceRecordSets")
            .map(|s| {
                let condition = &s["Condition"];
                (
                    condition["StringEquals"]["aws:PrincipalAccount"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    condition["ForAllValues:StringEquals"]
                        ["route53:ChangeResourceRecordSetsNormalizedRecordNames"]
                        .clone(),
                )
            })
            .collect();
        assert_eq!(
            writers,
            vec![
                (
                    "123456789012".to_string(),
                    serde_json::json!(["dev.example.com"])
                ),
                (
                    "210987654321".to_string(),
                    serde_json::json!(["hub.example.com"])
                ),
            ]
        );
        let trusted = &role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"];
        assert_eq!(trusted.as_array().map(Vec::len), Some(2));
    }
}
