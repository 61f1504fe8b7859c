//! The AWS Load Balancer Controller's role (node groups): its own load balancers only.

use super::*;

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
