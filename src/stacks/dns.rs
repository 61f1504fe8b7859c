//! The dns stack: the environment's public subzone in the workload account.
//!
//! Route 53 writes query logs only to CloudWatch Logs in us-east-1, so query logging is on
//! when the environment's region is us-east-1 and off elsewhere (a cross-region log group
//! would need a stack of its own in us-east-1).

use crate::cfn::iam::{PolicyDocument, Principal, Statement};
use crate::cfn::resources::{
    HostedZone, HostedZoneConfig, HostedZoneTag, LogGroup, LogsResourcePolicy, QueryLoggingConfig,
};
use crate::cfn::{Expr, Resource, Template};
use crate::model::Deployment;
use crate::stacks::frame::LOG_RETENTION_DAYS;

/// Output: the subzone's hosted zone id.
pub const HOSTED_ZONE_ID: &str = "HostedZoneId";
/// Output: the subzone's name.
pub const ZONE_NAME: &str = "ZoneName";

/// True where Route 53 can deliver query logs to a log group in the stack's own region.
pub fn query_logging(deployment: &Deployment) -> bool {
    deployment.region == "us-east-1"
}

/// The dns template of one environment.
pub fn template(deployment: &Deployment) -> Template {
    let name = deployment.stack_name(super::StackId::Dns.suffix());
    let subzone = deployment.dns.subzone.as_str();
    let mut template = Template::new(format!(
        "hubctl {name}: public hosted zone {subzone}, delegated from {} in account {}",
        deployment.dns.parent_zone, deployment.dns.parent_account
    ));
    let mut zone = HostedZone {
        hosted_zone_config: Some(HostedZoneConfig {
            comment: format!(
                "{name}: JupyterHub subzone, NS record in {}",
                deployment.dns.parent_zone
            ),
        }),
        hosted_zone_tags: vec![HostedZoneTag {
            key: "Name".to_string(),
            value: name.clone(),
        }],
        name: subzone.to_string(),
        query_logging_config: None,
    };
    let mut depends_on = None;
    if query_logging(deployment) {
        let log_group_name = format!("/aws/route53/{subzone}");
        template
            .add(
                "QueryLogGroup",
                Resource::new(LogGroup {
                    kms_key_id: None,
                    log_group_name: Some(log_group_name.clone().into()),
                    retention_in_days: LOG_RETENTION_DAYS,
                    tags: Vec::new(),
                }),
            )
            .skip_checkov(
                "CKV_AWS_158",
                "public DNS query logs (names asked of a public zone); the dns stack deploys beside the frame stack and has no KMS key of its own",
            );
        let policy = PolicyDocument::new(vec![Statement::allow(
            "Route53WritesQueryLogs",
            &["logs:CreateLogStream", "logs:PutLogEvents"],
            vec![Expr::from(format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{log_group_name}:*"))],
        )
        .principal(Principal::service("route53.amazonaws.com"))
        .when("StringEquals", "aws:SourceAccount", "${AWS::AccountId}".into())]);
        // The service takes the policy as a JSON string; Fn::Sub fills the pseudo parameters.
        // Serializing plain data to a JSON string cannot fail.
        let policy_text = serde_json::to_string(&policy).expect("policy serializes");
        template.add(
            "QueryLogResourcePolicy",
            Resource::new(LogsResourcePolicy {
                policy_document: Expr::sub(policy_text),
                policy_name: format!("{name}-route53-query-logs").into(),
            }),
        );
        zone.query_logging_config = Some(QueryLoggingConfig {
            cloud_watch_logs_log_group_arn: Expr::get_att("QueryLogGroup", "Arn"),
        });
        depends_on = Some("QueryLogResourcePolicy");
    }
    let resource = template.add("HostedZone", Resource::new(zone));
    if let Some(policy) = depends_on {
        resource.depends_on(policy);
    }
    template.output(
        HOSTED_ZONE_ID,
        "Hosted zone id of the subzone",
        Expr::reference("HostedZone"),
    );
    template.output(ZONE_NAME, "The subzone", Expr::from(subzone));
    template
}
