//! What AWS services do with the permissions hubctl writes for them, as IAM evaluates it:
//! VPC Flow Logs assuming its role and writing its log group, CloudWatch Logs encrypting
//! log groups with the frame's key, Elastic Load Balancing writing access logs into the
//! hub's bucket, RDS enhanced monitoring assuming its role, Route 53 writing query logs,
//! and the TLS-only policies of both buckets. Each allowed case has a denied twin.

use serde_json::{json, Value};

use super::context::Principal;
use super::hub::{resource_of, Environment};
use super::resolve::resolve;
use super::{check, inline_policies, Case, Expect, Policies, Request};
use crate::support::{root, synth};

/// A request by an AWS service principal (`vpc-flow-logs.amazonaws.com`, ...). For services
/// acting on the customer's behalf AWS sends `aws:SourceAccount` and `aws:SourceArn` (IAM
/// User Guide, "The confused deputy problem"; "AWS global condition context keys").
fn service(
    principal: &str,
    action: &str,
    resource: &str,
    account: &str,
    source: Option<(&str, &str)>,
) -> Request {
    let mut request = Request {
        principal: principal.to_string(),
        action: action.to_string(),
        resource: resource.to_string(),
        resource_account: account.to_string(),
        context: [("aws:SecureTransport".to_string(), json!("true"))].into(),
    };
    if let Some((source_account, source_arn)) = source {
        request = request.with("aws:SourceAccount", json!(source_account));
        if !source_arn.is_empty() {
            request = request.with("aws:SourceArn", json!(source_arn));
        }
    }
    request
}

#[test]
fn aws_services_may_do_what_the_stacks_ask_of_them_and_no_more() {
    let (_dir, out) = synth(&root().join("config.example.yaml"));
    let env = Environment::load(&out, "dev");
    let (region, account) = (env.region.clone(), env.account.clone());
    let other = "999999999999";
    let mut cases = Vec::new();

    // VPC Flow Logs (Amazon VPC User Guide, "IAM role for publishing flow logs to CloudWatch
    // Logs"): assumes the role, then writes ENI streams into the flow log group.
    let flow_role = resolve(
        &env.frame["Resources"]["FlowLogRole"]["Properties"],
        &env.frame_scope,
    );
    let flow_role_arn = env.frame_scope.attributes["FlowLogRole.Arn"].clone();
    let trust = Policies {
        identity: Vec::new(),
        resource: Some(flow_role["AssumeRolePolicyDocument"].clone()),
    };
    let flow_log = format!("arn:aws:ec2:{region}:{account}:vpc-flow-log/fl-0123456789abcdef0");
    cases.push(Case::new(
        "VPC Flow Logs assumes the flow log role for this account's flow log",
        service(
            "vpc-flow-logs.amazonaws.com",
            "sts:AssumeRole",
            &flow_role_arn,
            &account,
            Some((&account, &flow_log)),
        ),
        &trust,
        Expect::Allowed,
    ));
    cases.push(Case::new(
        "VPC Flow Logs cannot assume it for another account's flow log",
        service(
            "vpc-flow-logs.amazonaws.com",
            "sts:AssumeRole",
            &flow_role_arn,
            &account,
            Some((
                other,
                &format!("arn:aws:ec2:{region}:{other}:vpc-flow-log/fl-1"),
            )),
        ),
        &trust,
        Expect::Denied,
    ));
    let group = env.frame_scope.refs["FlowLogGroup"]
        .as_str()
        .expect("the flow log group")
        .to_string();
    let hub_group = env.hub_scope.refs["LogGroup"]
        .as_str()
        .expect("the hub's log group")
        .to_string();
    let flow_session = Principal::RoleSession {
        role_arn: flow_role_arn.clone(),
        session: "fl-0123456789abcdef0".into(),
    };
    let flow_policies = Policies {
        identity: inline_policies(&flow_role),
        resource: None,
    };
    let stream = |group: &str| {
        format!("arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:eni-0123456789abcdef0-all")
    };
    for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
        cases.push(Case::new(
            format!("flow logs write their stream ({action})"),
            flow_session.request(action, &stream(&group), &account),
            &flow_policies,
            Expect::Allowed,
        ));
        cases.push(Case::new(
            format!("flow logs cannot write the hub's log group ({action})"),
            flow_session.request(action, &stream(&hub_group), &account),
            &flow_policies,
            Expect::Denied,
        ));
    }

    // CloudWatch Logs encrypts the log groups with the frame's key (CloudWatch Logs User
    // Guide, "Encrypt log data in CloudWatch Logs using AWS KMS": the service principal
    // logs.<region>.amazonaws.com, encryption context `aws:logs:arn` = the log group's ARN).
    let key = Policies {
        identity: Vec::new(),
        resource: Some(env.key_policy()),
    };
    let logs = format!("logs.{region}.amazonaws.com");
    for group in [&group, &hub_group] {
        for action in ["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt"] {
            let request = service(&logs, action, &env.key_arn(), &account, None).with(
                "kms:EncryptionContext:aws:logs:arn",
                json!(format!("arn:aws:logs:{region}:{account}:log-group:{group}")),
            );
            cases.push(Case::new(
                format!("CloudWatch Logs uses the key for {group} ({action})"),
                request,
                &key,
                Expect::Allowed,
            ));
        }
    }
    cases.push(Case::new(
        "CloudWatch Logs cannot use the key for another account's log group",
        service(&logs, "kms:Decrypt", &env.key_arn(), &account, None).with(
            "kms:EncryptionContext:aws:logs:arn",
            json!(format!("arn:aws:logs:{region}:{other}:log-group:theirs")),
        ),
        &key,
        Expect::Denied,
    ));
    cases.push(Case::new(
        "CloudWatch Logs cannot use the key outside a log group",
        service(&logs, "kms:Decrypt", &env.key_arn(), &account, None),
        &key,
        Expect::Denied,
    ));

    // Elastic Load Balancing writes access logs (ELB User Guide, "Enable access logs for your
    // Application Load Balancer": in eu-west-1 the ELB account 156460612806 writes
    // `AWSLogs/<account>/...`).
    let bucket_policy = resolve(
        &env.hub["Resources"]["AccessLogBucketPolicy"]["Properties"]["PolicyDocument"],
        &env.hub_scope,
    );
    let bucket = env.hub_scope.refs["AccessLogBucket"]
        .as_str()
        .expect("the bucket")
        .to_string();
    let elb = Policies {
        identity: vec![(
            "ElbLogDelivery".into(),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}),
        )],
        resource: Some(bucket_policy),
    };
    let elb_principal = "arn:aws:iam::156460612806:root";
    let object = |key: &str| format!("arn:aws:s3:::{bucket}/{key}");
    let log_object = object(&format!(
        "AWSLogs/{account}/elasticloadbalancing/{region}/2026/12/02/x.log.gz"
    ));
    cases.push(Case::new(
        "ELB writes the access logs",
        service(elb_principal, "s3:PutObject", &log_object, &account, None),
        &elb,
        Expect::Allowed,
    ));
    cases.push(Case::new(
        "ELB cannot write elsewhere in the bucket",
        service(
            elb_principal,
            "s3:PutObject",
            &object("index.html"),
            &account,
            None,
        ),
        &elb,
        Expect::Denied,
    ));
    cases.push(Case::new(
        "ELB cannot write under another account's prefix",
        service(
            elb_principal,
            "s3:PutObject",
            &object(&format!("AWSLogs/{other}/x.log.gz")),
            &account,
            None,
        ),
        &elb,
        Expect::Denied,
    ));
    cases.push(Case::new(
        "another AWS account cannot write the access logs",
        service(
            &format!("arn:aws:iam::{other}:root"),
            "s3:PutObject",
            &log_object,
            &account,
            None,
        ),
        &elb,
        Expect::Denied,
    ));
    cases.push(Case::new(
        "nobody reaches the log bucket without TLS",
        service(elb_principal, "s3:PutObject", &log_object, &account, None)
            .with("aws:SecureTransport", json!("false")),
        &elb,
        Expect::ExplicitlyDenied,
    ));

    // The template bucket: the deployer stages templates over TLS only.
    let template_bucket = env.frame_scope.refs["TemplateBucket"]
        .as_str()
        .expect("the template bucket")
        .to_string();
    let template_policy = resolve(
        &env.frame["Resources"]["TemplateBucketPolicy"]["Properties"]["PolicyDocument"],
        &env.frame_scope,
    );
    let deployer = Principal::User {
        arn: format!("arn:aws:iam::{account}:user/deployer"),
    };
    let admin = Policies {
        identity: vec![(
            "AdministratorAccess".into(),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        )],
        resource: Some(template_policy),
    };
    let staged = format!("arn:aws:s3:::{template_bucket}/hubctl-jhub-dev-hub-1.template.json");
    cases.push(Case::new(
        "the deployer stages a template",
        deployer.request("s3:PutObject", &staged, &account),
        &admin,
        Expect::Allowed,
    ));
    cases.push(Case::new(
        "not even the deployer without TLS",
        deployer
            .request("s3:GetObject", &staged, &account)
            .with("aws:SecureTransport", json!("false")),
        &admin,
        Expect::ExplicitlyDenied,
    ));

    // RDS enhanced monitoring (Amazon RDS User Guide, "Setting up and enabling Enhanced
    // Monitoring").
    let monitoring = resolve(
        &env.hub["Resources"]["DatabaseMonitoringRole"]["Properties"]["AssumeRolePolicyDocument"],
        &env.hub_scope,
    );
    let monitoring_arn = env.hub_scope.attributes["DatabaseMonitoringRole.Arn"].clone();
    let monitoring_trust = Policies {
        identity: Vec::new(),
        resource: Some(monitoring),
    };
    cases.push(Case::new(
        "RDS monitoring assumes its role for this account",
        service(
            "monitoring.rds.amazonaws.com",
            "sts:AssumeRole",
            &monitoring_arn,
            &account,
            Some((&account, "")),
        ),
        &monitoring_trust,
        Expect::Allowed,
    ));
    cases.push(Case::new(
        "RDS monitoring cannot assume it for another account",
        service(
            "monitoring.rds.amazonaws.com",
            "sts:AssumeRole",
            &monitoring_arn,
            &account,
            Some((other, "")),
        ),
        &monitoring_trust,
        Expect::Denied,
    ));
    check(&cases);
}

/// Route 53 query logging, only in us-east-1 (Route 53 Developer Guide, "Public DNS query
/// logging": the resource policy lets route53.amazonaws.com write the zone's log group).
#[test]
fn route_53_writes_query_logs_into_the_zones_log_group_only() {
    let (_dir, out) = synth(&root().join("tests/fixtures/lab-us-east-1.yaml"));
    let env = Environment::load(&out, "lab");
    let account = env.account.clone();
    let (id, policy) = resource_of(&env.dns, "AWS::Logs::ResourcePolicy");
    let text = resolve(&policy["Properties"]["PolicyDocument"], &env.dns_scope);
    let document: Value =
        serde_json::from_str(text.as_str().expect("a policy text")).expect("the policy is JSON");
    let group = env.dns_scope.refs["QueryLogGroup"]
        .as_str()
        .expect("the group")
        .to_string();
    let zone = "arn:aws:route53:::hostedzone/Z0LAB0EXAMPLE";
    let policies = Policies {
        identity: Vec::new(),
        resource: Some(document),
    };
    let stream = |group: &str| {
        format!("arn:aws:logs:us-east-1:{account}:log-group:{group}:log-stream:Z0LAB0EXAMPLE/us-east-1a")
    };
    let mut cases = Vec::new();
    for action in ["logs:CreateLogStream", "logs:PutLogEvents"] {
        cases.push(Case::new(
            format!("{id}: Route 53 writes the zone's query log ({action})"),
            service(
                "route53.amazonaws.com",
                action,
                &stream(&group),
                &account,
                Some((&account, zone)),
            ),
            &policies,
            Expect::Allowed,
        ));
        cases.push(Case::new(
            format!("{id}: not into another log group ({action})"),
            service(
                "route53.amazonaws.com",
                action,
                &stream("/aws/route53/other.example.org"),
                &account,
                Some((&account, zone)),
            ),
            &policies,
            Expect::Denied,
        ));
        cases.push(Case::new(
            format!("{id}: not for another account's zone ({action})"),
            service(
                "route53.amazonaws.com",
                action,
                &stream(&group),
                &account,
                Some(("999999999999", zone)),
            ),
            &policies,
            Expect::Denied,
        ));
    }
    check(&cases);
}
