//! `parent deploy` against scripted AWS answers (the parent account's CloudFormation,
//! identity and Route 53), and deploy's check, before any stack, that the role it makes can
//! be assumed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{apply, parent_of, plan, Parent};
use crate::deploy::api::TemplateSource;
use crate::deploy::changeset::{StackOutcome, StackPlan, Timing};
use crate::deploy::fakes::{
    FakeAccounts, FakeAcm, FakeAssume, FakeCloud, FakeDns, FakeIdentity, FakeKube, FakeRegistry,
    FakeTagging, FakeTasks,
};
use crate::deploy::progress::{Collect, ProgressEvent};
use crate::deploy::NothingStarted;
use crate::model::Deployment;

const CONFIG: &str = "project: p\nregion: eu-west-1\ndns: {parent_zone: example.com, parent_account: '111111111111', delegation_role: R}\nnetwork: {vpc_cidr: 10.20.0.0/16}\nhub: {platform: ecs, hub_image: 'a/b:1', user_image: 'a/c:1', admins: [x], allowed_cidrs: [10.0.0.0/8], auth: {kind: cognito}}\nenvironments:\n  dev: {account: '123456789012', dns: {subzone: dev.example.com, hub_host: hub.dev.example.com}}\n  prod: {account: '210987654321', dns: {subzone: prod.example.com, hub_host: hub.prod.example.com}}\n  lab: {account: '123456789012', dns: {subzone: lab.example.com, hub_host: hub.lab.example.com}}\n";

fn deployments() -> Vec<Deployment> {
    crate::config::parse("t.yaml", CONFIG)
        .expect("valid config")
        .deployments
}

fn parent() -> Parent {
    let deployments = deployments();
    let all: Vec<&Deployment> = deployments.iter().collect();
    parent_of(&all, "us-east-1").expect("a parent stack")
}

fn timing() -> Timing {
    Timing {
        poll: Duration::from_millis(1),
        timeout: Duration::from_millis(300),
        certificate_hint: Duration::from_secs(3600),
    }
}

/// The parent account as `caller` sees it: its zones by name, an empty CloudFormation.
fn parent_account(caller: &'static str, zones: &[&str]) -> FakeAccounts {
    let cfn = FakeCloud::default();
    let artifacts = cfn.store.clone();
    FakeAccounts {
        cfn,
        identity: FakeIdentity::of(caller),
        dns: FakeDns {
            zones_by_name: [(
                "example.com".to_string(),
                zones.iter().map(|z| z.to_string()).collect(),
            )]
            .into(),
            ..FakeDns::default()
        },
        assume: FakeAssume {
            denials: Mutex::new(0),
            parent: Arc::new(FakeDns::default()),
        },
        artifacts,
        certificates: FakeAcm::default(),
        tasks: FakeTasks::default(),
        kube: FakeKube::default(),
        tagging: FakeTagging::default(),
        registry: FakeRegistry::full(),
    }
}

fn nothing_started(err: &anyhow::Error) -> String {
    assert!(
        err.downcast_ref::<NothingStarted>().is_some(),
        "not classified as nothing started: {err:#}"
    );
    format!("{err:#}")
}

#[test]
fn the_parent_stack_is_synths_template_with_one_role_per_workload_account() {
    let parent = parent();
    let deployments = deployments();
    let all: Vec<&Deployment> = deployments.iter().collect();
    let synthesized = crate::synth::render(&all, &all);
    assert_eq!(parent.stack, "p-delegation-role");
    assert_eq!(
        synthesized.files["parent/p-delegation-role.template.json"],
        parent.template_json
    );
    assert_eq!(
        (
            parent.account.as_str(),
            parent.zone.as_str(),
            parent.region.as_str()
        ),
        ("111111111111", "example.com", "us-east-1")
    );
    let roles: Vec<(&str, &str, Vec<&str>)> = parent
        .roles
        .iter()
        .map(|r| {
            (
                r.account.as_str(),
                r.arn.as_str(),
                r.subzones.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            (
                "123456789012",
                "arn:aws:iam::111111111111:role/R-123456789012",
                vec!["dev.example.com", "lab.example.com"]
            ),
            (
                "210987654321",
                "arn:aws:iam::111111111111:role/R-210987654321",
                vec!["prod.example.com"]
            ),
        ]
    );
}

#[tokio::test]
async fn parent_deploy_creates_the_stack_with_the_zone_found_by_name_and_a_rerun_changes_nothing() {
    let parent = parent();
    let cloud = parent_account("111111111111", &["ZPARENT"]);
    let first = plan(&cloud, &parent, "profile dns", timing())
        .await
        .expect("the plan");
    assert_eq!(first.zone_id, "ZPARENT");
    assert_eq!(first.stack, StackPlan::Create);
    assert!(
        cloud.cfn.mutating_calls().is_empty(),
        "planning changed something: {:?}",
        cloud.cfn.mutating_calls()
    );
    let progress = Collect::default();
    let outcome = apply(&cloud, &progress, &parent, first, timing())
        .await
        .expect("the change set");
    assert_eq!(outcome, StackOutcome::Changed);
    let requests = cloud.cfn.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert!(request.create);
    assert_eq!(request.stack_name, "p-delegation-role");
    assert_eq!(
        request.parameters,
        [("ParentHostedZoneId".to_string(), "ZPARENT".to_string())].into()
    );
    assert_eq!(
        request.tags,
        [("hubctl:project".to_string(), "p".to_string())].into()
    );
    let TemplateSource::Body(body) = &request.template else {
        panic!("the parent template goes inline");
    };
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(body).unwrap(),
        serde_json::from_str::<serde_json::Value>(&parent.template_json).unwrap()
    );
    assert!(progress.events().contains(&ProgressEvent::StackStarted {
        stack: "p-delegation-role".to_string()
    }));

    // Again: read-only, and apply makes no call that changes anything.
    let n_mutating = cloud.cfn.mutating_calls().len();
    let second = plan(&cloud, &parent, "profile dns", timing())
        .await
        .expect("the second plan");
    assert!(second.is_unchanged(), "{:?}", second.stack);
    let outcome = apply(&cloud, &Collect::default(), &parent, second, timing())
        .await
        .unwrap();
    assert_eq!(outcome, StackOutcome::Unchanged);
    assert_eq!(cloud.cfn.mutating_calls().len(), n_mutating);

    // A new workload account's role changes the template: an update.
    let mut grown = parent.clone();
    grown.template_json = grown
        .template_json
        .replace("R-210987654321", "R-210987654322");
    let third = plan(&cloud, &grown, "profile dns", timing()).await.unwrap();
    assert!(
        matches!(third.stack, StackPlan::Update { .. }),
        "{:?}",
        third.stack
    );
}

#[tokio::test]
async fn credentials_of_another_account_are_refused_before_any_call_to_cloudformation() {
    let parent = parent();
    let cloud = parent_account("123456789012", &["ZPARENT"]);
    let err = plan(&cloud, &parent, "profile dev-admin", timing())
        .await
        .unwrap_err();
    let text = nothing_started(&err);
    assert!(
        text.contains("profile dev-admin are for account 123456789012")
            && text.contains("parent DNS account 111111111111 (dns.parent_account)")
            && text.contains("--profile")
            && text.ends_with("nothing was changed"),
        "{text}"
    );
    assert!(cloud.cfn.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_missing_or_ambiguous_parent_zone_is_named_with_its_account() {
    let parent = parent();
    let cloud = parent_account("111111111111", &[]);
    let text = nothing_started(
        &plan(&cloud, &parent, "profile dns", timing())
            .await
            .unwrap_err(),
    );
    assert!(
        text.contains("account 111111111111 has no public hosted zone named example.com")
            && text.contains("dns.parent_zone"),
        "{text}"
    );
    let cloud = parent_account("111111111111", &["ZONE1", "ZONE2"]);
    let text = nothing_started(
        &plan(&cloud, &parent, "profile dns", timing())
            .await
            .unwrap_err(),
    );
    assert!(
        text.contains("2 public hosted zones named example.com (ZONE1, ZONE2)"),
        "{text}"
    );
    assert!(cloud.cfn.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_parent_template_over_the_inline_limit_is_refused_with_the_way_out() {
    let mut parent = parent();
    parent.template_json = serde_json::json!({
        "Metadata": {"Padding": "x".repeat(60_000)},
        "Resources": {}
    })
    .to_string();
    let cloud = parent_account("111111111111", &["ZPARENT"]);
    let text = nothing_started(
        &plan(&cloud, &parent, "profile dns", timing())
            .await
            .unwrap_err(),
    );
    assert!(
        text.contains("--s3-bucket") && text.contains("CAPABILITY_NAMED_IAM"),
        "{text}"
    );
}

/// The workload account's side: its deploy, before any stack.
fn workload(denials: usize) -> FakeAccounts {
    let mut cloud = parent_account("123456789012", &[]);
    cloud.assume = FakeAssume {
        denials: Mutex::new(denials),
        parent: Arc::new(FakeDns::default()),
    };
    cloud
}

fn options() -> crate::deploy::Options {
    crate::deploy::Options {
        force_delegation: false,
        concurrency: 4,
        timing: timing(),
        delegation_timing: crate::deploy::delegation::DelegationTiming {
            poll: Duration::from_millis(1),
            insync_timeout: Duration::from_millis(200),
            access_denied_window: Duration::from_secs(5),
        },
        skip_helm: false,
    }
}

#[tokio::test]
async fn a_deploy_whose_role_cannot_be_assumed_stops_before_any_stack_with_the_fix() {
    let deployments = deployments();
    let dev = &deployments[0];
    let cloud = workload(usize::MAX);
    let started = std::time::Instant::now();
    let err = crate::deploy::deploy(dev, &cloud, &Collect::default(), options())
        .await
        .unwrap_err();
    // Asked once, not retried for the delegation's IAM-propagation window.
    assert!(started.elapsed() < Duration::from_secs(1), "it retried");
    let text = nothing_started(&err);
    assert!(!text.contains('\n'), "one line: {text}");
    for needle in [
        "cannot assume the delegation role arn:aws:iam::111111111111:role/R-123456789012",
        "in the parent DNS account 111111111111",
        "from workload account 123456789012 (region eu-west-1)",
        "AccessDenied",
        "hubctl parent deploy --profile <dns-admin>",
        "its trust does not name account 123456789012",
        "sts:AssumeRole",
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }
    assert!(text.ends_with("nothing was changed"), "{text}");
    assert!(
        cloud.cfn.calls.lock().unwrap().is_empty(),
        "CloudFormation was asked: {:?}",
        cloud.cfn.calls.lock().unwrap()
    );
}

#[tokio::test]
async fn a_deploy_whose_role_can_be_assumed_goes_on_to_the_stacks() {
    let deployments = deployments();
    let cloud = workload(0);
    // The fake's stacks have no outputs, so the deploy fails later; it got past the check.
    let err = crate::deploy::deploy(&deployments[0], &cloud, &Collect::default(), options())
        .await
        .unwrap_err();
    assert!(err.downcast_ref::<NothingStarted>().is_none(), "{err:#}");
    assert!(
        cloud
            .cfn
            .calls
            .lock()
            .unwrap()
            .iter()
            .any(|c| c == "CreateChangeSet p-dev-frame"),
        "{:?}",
        cloud.cfn.calls.lock().unwrap()
    );
}

/// STS's answer to a caller that an SCP or a permissions boundary denies.
struct ExplicitlyDenied;

impl crate::deploy::api::AssumeRole for ExplicitlyDenied {
    type ParentDns = FakeDns;

    async fn assume(&self, role_arn: &str) -> anyhow::Result<FakeDns> {
        Err(anyhow::anyhow!("AssumeRole {role_arn}: AccessDenied: User: arn:aws:sts::123456789012:assumed-role/Deployer/ci is not authorized to perform: sts:AssumeRole on resource: {role_arn} with an explicit deny in a service control policy"))
    }
}

#[tokio::test]
async fn an_explicit_deny_of_the_role_is_named_as_such() {
    let deployments = deployments();
    let err = crate::deploy::delegation::check_assumable(&ExplicitlyDenied, &deployments[0])
        .await
        .unwrap_err();
    let text = nothing_started(&err);
    assert!(
        text.contains("an explicit deny refuses it") && !text.contains("hubctl parent deploy"),
        "{text}"
    );
}

#[tokio::test]
async fn a_parent_stack_waiting_for_a_person_is_named_with_its_account_and_region() {
    let parent = parent();
    let cloud = parent_account("111111111111", &["ZPARENT"]);
    cloud.cfn.live.lock().unwrap().insert(
        "p-delegation-role".to_string(),
        (
            crate::deploy::api::LiveStack {
                status: crate::deploy::api::StackStatus::parse("UPDATE_ROLLBACK_FAILED"),
                ..Default::default()
            },
            parent.template_json.clone(),
        ),
    );
    let text = nothing_started(
        &plan(&cloud, &parent, "profile dns", timing())
            .await
            .unwrap_err(),
    );
    assert!(
        text.contains("stack p-delegation-role is UPDATE_ROLLBACK_FAILED")
            && text.contains("continue-update-rollback")
            && text.contains("in the parent DNS account 111111111111, region us-east-1"),
        "{text}"
    );
    assert!(cloud.cfn.mutating_calls().is_empty());
}
