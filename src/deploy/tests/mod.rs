//! The engine's sequencing against scripted AWS answers: progress from event streams, the
//! failure summary, rollbacks, no-op detection, retried calls, slow and stuck changes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::api::{CertificateState, ChangeSetState, DomainValidation, TemplateSource};
use super::changeset::{
    deploy_stack, StackContext, StackFailed, StackOutcome, StackPlan, StackRequest, Support, Timing,
};
use super::delegation::{delegate, undelegate, Delegation, DelegationOutcome, DelegationTiming};
use super::fakes::{
    event, stack, FakeAccounts, FakeAcm, FakeAssume, FakeCfn, FakeCloud, FakeDns, FakeIdentity,
    FakeStore,
};
use super::progress::{Collect, ProgressEvent};

const TEMPLATE: &str = "{\n  \"Resources\": {\"Vpc\": {\"Type\": \"AWS::EC2::VPC\"}}\n}\n";

fn timing() -> Timing {
    Timing {
        poll: Duration::from_millis(1),
        timeout: Duration::from_millis(300),
        certificate_hint: Duration::from_secs(3600),
    }
}

/// An ACM no test without a certificate asks.
static NO_ACM: FakeAcm = FakeAcm {
    state: CertificateState {
        status: String::new(),
        failure_reason: None,
        validations: Vec::new(),
    },
    asked: Mutex::new(Vec::new()),
};

fn change_set(status: &str, reason: Option<&str>) -> ChangeSetState {
    ChangeSetState {
        status: status.to_string(),
        status_reason: reason.map(str::to_string),
        execution_status: String::new(),
        n_changes: 1,
    }
}

/// No template bucket yet: every template goes inline.
fn inline(store: &FakeStore) -> Support<'_, FakeStore, FakeAcm> {
    Support {
        store,
        bucket: None,
        region: "eu-west-1".to_string(),
        certificates: &NO_ACM,
    }
}

/// Deploys `TEMPLATE` as stack `s` inline, with no progress to look at.
async fn run_s(
    cfn: &impl super::api::Cfn,
    store: &FakeStore,
) -> anyhow::Result<(StackOutcome, BTreeMap<String, String>)> {
    run(
        cfn,
        &inline(store),
        &Collect::default(),
        timing(),
        "s",
        TEMPLATE,
    )
    .await
}

/// Deploys `template` as stack `name`, without parameters or tags.
async fn run(
    cfn: &impl super::api::Cfn,
    support: &Support<'_, FakeStore, FakeAcm>,
    progress: &Collect,
    timing: Timing,
    name: &str,
    template: &str,
) -> anyhow::Result<(StackOutcome, BTreeMap<String, String>)> {
    let context = StackContext {
        cfn,
        support,
        progress,
        timing,
    };
    let no_params = no_params();
    let request = StackRequest {
        name,
        template_json: template,
        parameters: &no_params,
        tags: &no_params,
    };
    deploy_stack(&context, &request).await
}

/// The frame's template bucket `tb` exists.
fn with_bucket(store: &FakeStore) -> Support<'_, FakeStore, FakeAcm> {
    Support {
        bucket: Some("tb".to_string()),
        ..inline(store)
    }
}

fn no_params() -> BTreeMap<String, String> {
    BTreeMap::new()
}

#[tokio::test]
async fn a_new_stack_reports_every_event_and_returns_its_outputs() {
    let store = FakeStore::default();
    let cfn = FakeCfn {
        events_per_poll: 1,
        ..FakeCfn::default()
    };
    *cfn.stacks.lock().unwrap() = [
        None,
        stack("CREATE_IN_PROGRESS", &[]),
        stack("CREATE_IN_PROGRESS", &[]),
        stack("CREATE_COMPLETE", &[("VpcId", "vpc-1")]),
    ]
    .into();
    *cfn.change_set.lock().unwrap() = [
        change_set("CREATE_PENDING", None),
        change_set("CREATE_COMPLETE", None),
    ]
    .into();
    *cfn.events.lock().unwrap() = vec![
        event(
            "e1",
            "app-frame",
            "CREATE_IN_PROGRESS",
            Some("User Initiated"),
        ),
        event("e2", "Vpc", "CREATE_IN_PROGRESS", None),
        event("e3", "Vpc", "CREATE_COMPLETE", None),
    ];
    let progress = Collect::default();
    let (outcome, outputs) = run(
        &cfn,
        &inline(&store),
        &progress,
        timing(),
        "app-frame",
        TEMPLATE,
    )
    .await
    .unwrap();
    assert_eq!(outcome, StackOutcome::Changed);
    assert_eq!(outputs["VpcId"], "vpc-1");
    let statuses: Vec<String> = progress
        .events()
        .into_iter()
        .filter_map(|e| match e {
            ProgressEvent::Resource {
                logical_id, status, ..
            } => Some(format!("{logical_id} {status}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [
            "app-frame CREATE_IN_PROGRESS",
            "Vpc CREATE_IN_PROGRESS",
            "Vpc CREATE_COMPLETE"
        ]
    );
    assert!(matches!(
        progress.events().last(),
        Some(ProgressEvent::StackFinished { ok: true, .. })
    ));
    assert!(cfn
        .calls
        .lock()
        .unwrap()
        .contains(&"CreateChangeSet app-frame create=true".to_string()));
}

#[tokio::test]
async fn a_failed_creation_ends_with_the_failed_resources_and_the_stack_status() {
    let store = FakeStore::default();
    let cfn = FakeCfn {
        events_per_poll: 10,
        ..FakeCfn::default()
    };
    let mut rolled_back = stack("ROLLBACK_COMPLETE", &[]).unwrap();
    rolled_back.status_reason =
        Some("The following resource(s) failed to create: [Vpc].".to_string());
    *cfn.stacks.lock().unwrap() =
        [None, stack("ROLLBACK_IN_PROGRESS", &[]), Some(rolled_back)].into();
    *cfn.change_set.lock().unwrap() = [change_set("CREATE_COMPLETE", None)].into();
    *cfn.events.lock().unwrap() = vec![
        event("e1", "Vpc", "CREATE_IN_PROGRESS", None),
        event(
            "e2",
            "Vpc",
            "CREATE_FAILED",
            Some("The CIDR '10.0.0.0/8' is invalid."),
        ),
        event("e3", "app-frame", "ROLLBACK_IN_PROGRESS", None),
        event("e4", "Vpc", "DELETE_COMPLETE", None),
        event("e5", "app-frame", "ROLLBACK_COMPLETE", None),
    ];
    let progress = Collect::default();
    let err = run(
        &cfn,
        &inline(&store),
        &progress,
        timing(),
        "app-frame",
        TEMPLATE,
    )
    .await
    .unwrap_err();
    let failed = err.downcast_ref::<StackFailed>().expect("a StackFailed");
    assert_eq!(failed.status.as_str(), "ROLLBACK_COMPLETE");
    assert_eq!(
        failed.reason.as_deref(),
        Some("The following resource(s) failed to create: [Vpc].")
    );
    assert_eq!(failed.failed.len(), 1);
    assert_eq!(failed.failed[0].logical_id, "Vpc");
    assert_eq!(failed.failed[0].reason, "The CIDR '10.0.0.0/8' is invalid.");
    assert!(matches!(
        progress.events().last(),
        Some(ProgressEvent::StackFinished { ok: false, .. })
    ));
}

#[tokio::test]
async fn an_update_rollback_is_a_failure_too() {
    let store = FakeStore::default();
    let cfn = FakeCfn::default();
    *cfn.stacks.lock().unwrap() = [
        stack("CREATE_COMPLETE", &[]),
        stack("UPDATE_ROLLBACK_COMPLETE", &[]),
    ]
    .into();
    *cfn.template.lock().unwrap() = "{}".to_string();
    *cfn.change_set.lock().unwrap() = [change_set("CREATE_COMPLETE", None)].into();
    let err = run_s(&cfn, &store).await.unwrap_err();
    assert_eq!(
        err.downcast_ref::<StackFailed>().map(|f| f.status.as_str()),
        Some("UPDATE_ROLLBACK_COMPLETE")
    );
}

#[tokio::test]
async fn an_identical_stack_gets_no_mutating_call() {
    let store = FakeStore::default();
    let cfn = FakeCfn::default();
    *cfn.stacks.lock().unwrap() = [stack("UPDATE_COMPLETE", &[("A", "1")])].into();
    // Same JSON, different whitespace: what GetTemplate returns for a compact upload.
    *cfn.template.lock().unwrap() = serde_json::from_str::<serde_json::Value>(TEMPLATE)
        .unwrap()
        .to_string();
    let (outcome, outputs) = run_s(&cfn, &store).await.unwrap();
    assert_eq!(outcome, StackOutcome::Unchanged);
    assert_eq!(outputs["A"], "1");
    assert!(
        cfn.mutating_calls().is_empty(),
        "{:?}",
        cfn.mutating_calls()
    );
}

#[tokio::test]
async fn planning_a_stack_reads_only() {
    let no_params = no_params();
    let request = StackRequest {
        name: "s",
        template_json: TEMPLATE,
        parameters: &no_params,
        tags: &no_params,
    };
    let cases: [(Option<crate::deploy::api::LiveStack>, &str, StackPlan); 5] = [
        (None, "", StackPlan::Create),
        (stack("REVIEW_IN_PROGRESS", &[]), "", StackPlan::Create),
        (stack("ROLLBACK_COMPLETE", &[]), "", StackPlan::Recreate),
        (
            stack("UPDATE_COMPLETE", &[("A", "1")]),
            "{\"Resources\":{\"Vpc\":{\"Type\":\"AWS::EC2::VPC\"}}}",
            StackPlan::Unchanged {
                outputs: [("A".to_string(), "1".to_string())].into(),
            },
        ),
        (
            stack("UPDATE_COMPLETE", &[]),
            "{\"Resources\":{}}",
            StackPlan::Update {
                from: crate::deploy::api::StackStatus::UpdateComplete,
                body: super::changeset::compact(TEMPLATE).unwrap(),
                kept: vec![],
            },
        ),
    ];
    for (live, template, expected) in cases {
        let cfn = FakeCfn::default();
        *cfn.stacks.lock().unwrap() = [live.clone()].into();
        *cfn.template.lock().unwrap() = template.to_string();
        let plan = super::changeset::plan_stack(&cfn, timing(), &request)
            .await
            .unwrap();
        assert_eq!(plan, expected, "{live:?}");
        assert!(
            cfn.mutating_calls().is_empty(),
            "{:?}",
            cfn.mutating_calls()
        );
    }
    // A stack that waits for a person is an error with the way out, still read-only.
    let cfn = FakeCfn::default();
    *cfn.stacks.lock().unwrap() = [stack("UPDATE_ROLLBACK_FAILED", &[])].into();
    let err = super::changeset::plan_stack(&cfn, timing(), &request)
        .await
        .unwrap_err();
    assert!(
        format!("{err}").contains("continue-update-rollback"),
        "{err}"
    );
    assert!(cfn.mutating_calls().is_empty());
}

#[tokio::test]
async fn a_stack_left_by_a_change_set_that_never_ran_is_created_without_waiting() {
    // REVIEW_IN_PROGRESS rests until a change set runs (an interrupted first deploy): it is
    // not someone else's operation to wait out.
    let store = FakeStore::default();
    let cfn = FakeCfn::default();
    *cfn.stacks.lock().unwrap() = [
        stack("REVIEW_IN_PROGRESS", &[]),
        stack("CREATE_COMPLETE", &[("A", "1")]),
    ]
    .into();
    *cfn.change_set.lock().unwrap() = [change_set("CREATE_COMPLETE", None)].into();
    let (outcome, outputs) = run_s(&cfn, &store).await.unwrap();
    assert_eq!(outcome, StackOutcome::Changed);
    assert_eq!(outputs["A"], "1");
    assert!(
        cfn.mutating_calls()
            .iter()
            .any(|c| c == "CreateChangeSet s create=true"),
        "{:?}",
        cfn.mutating_calls()
    );
}

#[tokio::test]
async fn an_operation_that_has_not_shown_yet_is_waited_for() {
    // ExecuteChangeSet and DeleteStack only start an operation: the first DescribeStacks
    // may still show the status from before (REVIEW_IN_PROGRESS after a CREATE change set,
    // the old UPDATE_COMPLETE before an update), which is not the end.
    let store = FakeStore::default();
    let cfn = FakeCfn::default();
    *cfn.stacks.lock().unwrap() = [
        None,
        stack("REVIEW_IN_PROGRESS", &[]),
        stack("REVIEW_IN_PROGRESS", &[]),
        stack("CREATE_IN_PROGRESS", &[]),
        stack("CREATE_COMPLETE", &[("A", "1")]),
    ]
    .into();
    *cfn.change_set.lock().unwrap() = [change_set("CREATE_COMPLETE", None)].into();
    let (outcome, outputs) = run_s(&cfn, &store).await.unwrap();
    assert_eq!(outcome, StackOutcome::Changed);
    assert_eq!(outputs["A"], "1", "the outputs of the created stack");

    let cfn = FakeCfn::default();
    *cfn.stacks.lock().unwrap() = [
        stack("UPDATE_COMPLETE", &[("A", "old")]),
        stack("UPDATE_COMPLETE", &[("A", "old")]),
        stack("UPDATE_IN_PROGRESS", &[]),
        stack("UPDATE_COMPLETE", &[("A", "new")]),
    ]
    .into();
    *cfn.template.lock().unwrap() = "{\"Resources\": {}}".to_string();
    *cfn.change_set.lock().unwrap() = [change_set("CREATE_COMPLETE", None)].into();
    let (outcome, outputs) = run_s(&cfn, &store).await.unwrap();
    assert_eq!(outcome, StackOutcome::Changed);
    assert_eq!(
        outputs["A"], "new",
        "not the outputs from before the update"
    );
}

#[tokio::test]
async fn an_empty_change_set_is_deleted_and_nothing_runs() {
    let store = FakeStore::default();
    let cfn = FakeCfn::default();
    *cfn.stacks.lock().unwrap() = [stack("CREATE_COMPLETE", &[])].into();
    *cfn.template.lock().unwrap() = "{\"Resources\": {}}".to_string();
    *cfn.change_set.lock().unwrap() =
        [change_set("FAILED", Some("The submitted information didn't contain changes. Submit different information to create a change set."))].into();
    let (outcome, _) = run_s(&cfn, &store).await.unwrap();
    assert_eq!(outcome, StackOutcome::Unchanged);
    assert_eq!(
        cfn.mutating_calls(),
        ["CreateChangeSet s create=false", "DeleteChangeSet s"]
    );
}

#[tokio::test]
async fn a_stack_whose_creation_failed_is_deleted_then_created() {
    let store = FakeStore::default();
    let cfn = FakeCfn::default();
    *cfn.stacks.lock().unwrap() = [
        stack("ROLLBACK_COMPLETE", &[]),
        None,
        stack("CREATE_COMPLETE", &[]),
    ]
    .into();
    *cfn.change_set.lock().unwrap() = [change_set("CREATE_COMPLETE", None)].into();
    run_s(&cfn, &store).await.unwrap();
    assert_eq!(
        cfn.mutating_calls(),
        [
            "DeleteStack s",
            "CreateChangeSet s create=true",
            "ExecuteChangeSet s"
        ]
    );
}

#[tokio::test]
async fn an_execute_whose_answer_was_lost_is_not_an_error() {
    let store = FakeStore::default();
    let cfn = FakeCfn {
        execute_error: Some("connection closed before message completed".to_string()),
        ..FakeCfn::default()
    };
    *cfn.stacks.lock().unwrap() = [None, stack("CREATE_COMPLETE", &[])].into();
    let running = ChangeSetState {
        execution_status: "EXECUTE_IN_PROGRESS".to_string(),
        ..change_set("CREATE_COMPLETE", None)
    };
    *cfn.change_set.lock().unwrap() = [change_set("CREATE_COMPLETE", None), running].into();
    run_s(&cfn, &store).await.unwrap();
    assert_eq!(
        cfn.mutating_calls()
            .iter()
            .filter(|c| c.starts_with("ExecuteChangeSet"))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_stack_whose_rollback_failed_is_left_alone_with_the_way_out() {
    for (status, expected) in [
        (
            "UPDATE_ROLLBACK_FAILED",
            "continue-update-rollback --stack-name s",
        ),
        ("ROLLBACK_FAILED", "delete-stack --stack-name s"),
        ("DELETE_FAILED", "hubctl destroy"),
    ] {
        let store = FakeStore::default();
        let cfn = FakeCfn::default();
        *cfn.stacks.lock().unwrap() = [stack(status, &[])].into();
        let err = run_s(&cfn, &store).await.unwrap_err();
        let message = format!("{err}");
        assert!(
            message.contains(&format!("stack s is {status}")) && message.contains(expected),
            "{message}"
        );
        assert!(
            cfn.mutating_calls().is_empty(),
            "{:?}",
            cfn.mutating_calls()
        );
    }
}

#[tokio::test]
async fn a_stuck_stack_times_out_with_advice() {
    let store = FakeStore::default();
    let cfn = FakeCfn::default();
    *cfn.stacks.lock().unwrap() = [stack("UPDATE_IN_PROGRESS", &[])].into();
    let err = run_s(&cfn, &store).await.unwrap_err();
    assert!(
        format!("{err}").contains("stayed in UPDATE_IN_PROGRESS"),
        "{err}"
    );
    assert!(cfn.mutating_calls().is_empty());
}

/// A template of about `bytes` bytes (compact).
fn template_of(bytes: usize) -> String {
    serde_json::json!({
        "Metadata": {"Padding": "x".repeat(bytes)},
        "Resources": {"Vpc": {"Type": "AWS::EC2::VPC"}}
    })
    .to_string()
}

fn new_stack_script(cfn: &FakeCfn) {
    *cfn.stacks.lock().unwrap() = [None, stack("CREATE_COMPLETE", &[])].into();
    *cfn.change_set.lock().unwrap() = [change_set("CREATE_COMPLETE", None)].into();
}

#[tokio::test]
async fn a_template_over_the_inline_limit_is_staged_sent_by_url_and_removed() {
    let store = FakeStore::default();
    let cfn = FakeCfn::default();
    new_stack_script(&cfn);
    let progress = Collect::default();
    let staging = with_bucket(&store);
    let template = template_of(60_000);
    run(&cfn, &staging, &progress, timing(), "app-hub", &template)
        .await
        .unwrap();
    let requests = cfn.requests.lock().unwrap().clone();
    let TemplateSource::Url(url) = &requests[0].template else {
        panic!("sent inline: {:?}", requests[0].template);
    };
    let key = format!("{}.template.json", requests[0].change_set_name);
    assert_eq!(url, &format!("https://tb.s3.eu-west-1.amazonaws.com/{key}"));
    assert_eq!(
        *store.calls.lock().unwrap(),
        [
            format!("PutObject tb/{key}"),
            format!("DeleteObject tb/{key}")
        ]
    );
    assert!(store.objects.lock().unwrap().is_empty());
    assert!(progress
        .events()
        .iter()
        .any(|e| e.line().contains(&format!("staged as s3://tb/{key}"))));
}

#[tokio::test]
async fn a_staged_template_is_removed_when_the_change_set_is_refused() {
    let store = FakeStore::default();
    let cfn = FakeCfn {
        create_error: Some("ValidationError: Template format error".to_string()),
        ..FakeCfn::default()
    };
    new_stack_script(&cfn);
    let staging = with_bucket(&store);
    let err = run(
        &cfn,
        &staging,
        &Collect::default(),
        timing(),
        "app-hub",
        &template_of(60_000),
    )
    .await
    .unwrap_err();
    assert!(format!("{err}").contains("Template format error"), "{err}");
    assert_eq!(store.calls.lock().unwrap().len(), 2);
    assert!(store.objects.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_small_template_goes_inline_even_with_a_bucket() {
    let store = FakeStore::default();
    let cfn = FakeCfn::default();
    new_stack_script(&cfn);
    let staging = with_bucket(&store);
    run(
        &cfn,
        &staging,
        &Collect::default(),
        timing(),
        "app-hub",
        TEMPLATE,
    )
    .await
    .unwrap();
    let requests = cfn.requests.lock().unwrap().clone();
    assert!(matches!(&requests[0].template, TemplateSource::Body(body) if body.len() < 100));
    assert!(store.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_template_that_cannot_be_sent_is_refused_before_any_call() {
    for (bucket, bytes, expected) in [
        (None, 60_000, "accepts inline"),
        (Some("tb"), 1_100_000, "1000000 CloudFormation accepts"),
    ] {
        let store = FakeStore::default();
        let cfn = FakeCfn::default();
        let staging = Support {
            bucket: bucket.map(str::to_string),
            ..inline(&store)
        };
        let err = run(
            &cfn,
            &staging,
            &Collect::default(),
            timing(),
            "app-frame",
            &template_of(bytes),
        )
        .await
        .unwrap_err();
        assert!(format!("{err}").contains(expected), "{err}");
        assert!(cfn.calls.lock().unwrap().is_empty());
        assert!(store.calls.lock().unwrap().is_empty());
    }
}

#[test]
fn china_regions_have_their_own_s3_domain() {
    let store = FakeStore::default();
    let staging = Support {
        region: "cn-north-1".to_string(),
        ..inline(&store)
    };
    assert_eq!(
        staging.url("b", "k.json"),
        "https://b.s3.cn-north-1.amazonaws.com.cn/k.json"
    );
}

fn certificate_event(id: &str, status: &str, arn: Option<&str>) -> super::api::StackEvent {
    super::api::StackEvent {
        resource_type: "AWS::CertificateManager::Certificate".to_string(),
        physical_id: arn.map(str::to_string),
        ..event(id, "Certificate", status, None)
    }
}

const CERTIFICATE_ARN: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/abc";

/// A hub stack whose certificate waits three polls, then validates.
/// A new hub stack whose certificate waits three polls, then validates (one event a poll).
fn waiting_certificate_cfn() -> FakeCfn {
    let cfn = FakeCfn {
        events_per_poll: 1,
        ..FakeCfn::default()
    };
    *cfn.stacks.lock().unwrap() = [
        None,
        stack("CREATE_IN_PROGRESS", &[]),
        stack("CREATE_IN_PROGRESS", &[]),
        stack("CREATE_IN_PROGRESS", &[]),
        stack("CREATE_IN_PROGRESS", &[]),
        stack("CREATE_COMPLETE", &[]),
    ]
    .into();
    *cfn.change_set.lock().unwrap() = [change_set("CREATE_COMPLETE", None)].into();
    *cfn.events.lock().unwrap() = vec![
        certificate_event("e1", "CREATE_IN_PROGRESS", None),
        certificate_event("e2", "CREATE_IN_PROGRESS", Some(CERTIFICATE_ARN)),
        event("e3", "Vpc", "CREATE_IN_PROGRESS", None),
        event("e4", "Vpc", "CREATE_COMPLETE", None),
        certificate_event("e5", "CREATE_COMPLETE", Some(CERTIFICATE_ARN)),
    ];
    cfn
}

fn pending_certificate() -> FakeAcm {
    FakeAcm {
        state: CertificateState {
            status: "PENDING_VALIDATION".to_string(),
            failure_reason: None,
            validations: vec![DomainValidation {
                domain: "hub.dev.example.com".to_string(),
                status: "PENDING_VALIDATION".to_string(),
                record: Some((
                    "_x1.hub.dev.example.com.".to_string(),
                    "_y2.acm-validations.aws.".to_string(),
                )),
            }],
        },
        ..FakeAcm::default()
    }
}

/// Deploys on `cfn`'s script, explaining a waiting certificate after `hint`: what ACM was
/// asked, and the notes printed.
async fn explain_after(cfn: &FakeCfn, hint: Duration) -> (Vec<String>, Vec<String>) {
    let store = FakeStore::default();
    let acm = pending_certificate();
    let support = Support {
        certificates: &acm,
        ..inline(&store)
    };
    let progress = Collect::default();
    let timing = Timing {
        certificate_hint: hint,
        ..timing()
    };
    run(cfn, &support, &progress, timing, "app-hub", TEMPLATE)
        .await
        .unwrap();
    let notes = progress
        .events()
        .iter()
        .filter(|e| matches!(e, ProgressEvent::Note { .. }))
        .map(ProgressEvent::line)
        .collect();
    let asked = acm.asked.lock().unwrap().clone();
    (asked, notes)
}

#[tokio::test]
async fn a_certificate_that_keeps_the_stack_waiting_is_explained_once() {
    let (asked, notes) = explain_after(&waiting_certificate_cfn(), Duration::ZERO).await;
    assert_eq!(asked, [CERTIFICATE_ARN]);
    assert_eq!(notes.len(), 1, "{notes:?}");
    for expected in [
        "app-hub: Certificate: certificate still PENDING_VALIDATION",
        "hub.dev.example.com (CNAME _x1.hub.dev.example.com. -> _y2.acm-validations.aws.)",
        "parent zone's NS record",
    ] {
        assert!(notes[0].contains(expected), "{expected:?} in {}", notes[0]);
    }
}

#[tokio::test]
async fn a_certificate_validated_in_time_costs_no_acm_call() {
    let (asked, notes) = explain_after(&waiting_certificate_cfn(), timing().certificate_hint).await;
    assert!(asked.is_empty());
    assert!(notes.is_empty(), "{notes:?}");
}

#[tokio::test]
async fn a_replacement_certificate_is_the_one_explained_and_deletions_are_not() {
    const NEW_ARN: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/new";
    // Two events per poll: the first poll shows the old and the new certificate together.
    let cfn = FakeCfn {
        events_per_poll: 2,
        ..FakeCfn::default()
    };
    *cfn.stacks.lock().unwrap() = [
        stack("UPDATE_COMPLETE", &[]),
        stack("UPDATE_IN_PROGRESS", &[]),
        stack("UPDATE_IN_PROGRESS", &[]),
        stack("UPDATE_IN_PROGRESS", &[]),
        stack("UPDATE_COMPLETE", &[]),
    ]
    .into();
    *cfn.change_set.lock().unwrap() = [change_set("CREATE_COMPLETE", None)].into();
    *cfn.events.lock().unwrap() = vec![
        // CloudFormation reports the old certificate first, then its replacement.
        certificate_event("e1", "UPDATE_IN_PROGRESS", Some(CERTIFICATE_ARN)),
        certificate_event("e2", "UPDATE_IN_PROGRESS", Some(NEW_ARN)),
        certificate_event("e3", "UPDATE_COMPLETE", Some(NEW_ARN)),
        certificate_event("e4", "DELETE_IN_PROGRESS", Some(CERTIFICATE_ARN)),
        certificate_event("e5", "DELETE_COMPLETE", Some(CERTIFICATE_ARN)),
    ];
    let (asked, _) = explain_after(&cfn, Duration::ZERO).await;
    assert_eq!(asked, [NEW_ARN]);

    // A certificate being deleted (cleanup, rollback, destroy) is never explained.
    let deleting = FakeCfn {
        events_per_poll: 1,
        ..FakeCfn::default()
    };
    *deleting.stacks.lock().unwrap() = [
        None,
        stack("CREATE_IN_PROGRESS", &[]),
        stack("CREATE_IN_PROGRESS", &[]),
        stack("CREATE_COMPLETE", &[]),
    ]
    .into();
    *deleting.change_set.lock().unwrap() = [change_set("CREATE_COMPLETE", None)].into();
    *deleting.events.lock().unwrap() = vec![
        certificate_event("d1", "DELETE_IN_PROGRESS", Some(CERTIFICATE_ARN)),
        certificate_event("d2", "DELETE_IN_PROGRESS", Some(CERTIFICATE_ARN)),
    ];
    let (asked, _) = explain_after(&deleting, Duration::ZERO).await;
    assert!(asked.is_empty());
}

#[test]
fn a_failed_certificate_says_why() {
    let state = CertificateState {
        status: "FAILED".to_string(),
        failure_reason: Some("CAA_ERROR".to_string()),
        validations: Vec::new(),
    };
    let message =
        super::changeset::explain_certificate("Certificate", &state, Duration::from_secs(600))
            .expect("a failed certificate is explained");
    assert!(
        message.contains("ACM failed the certificate (CAA_ERROR)"),
        "{message}"
    );
    let issued = CertificateState {
        status: "ISSUED".to_string(),
        ..state
    };
    assert_eq!(
        super::changeset::explain_certificate("Certificate", &issued, Duration::from_secs(600)),
        None,
        "an issued certificate needs no advice"
    );
}

/// An ECS environment `p-dev` with `n_users` users besides the admin, unprotected (destroy
/// refuses deletion protection before it starts).
fn ecs_deployment(n_users: usize) -> crate::model::Deployment {
    let users: Vec<String> = (1..=n_users).map(|n| format!("user{n}")).collect();
    let config = crate::config::parse(
        "t.yaml",
        &format!(
            "project: p\nregion: eu-west-1\ndns: {{parent_zone: example.com, parent_account: '111111111111', delegation_role: R, subzone: dev.example.com, hub_host: hub.dev.example.com}}\nnetwork: {{vpc_cidr: 10.20.0.0/16}}\nhub: {{platform: ecs, hub_image: 'a/b:1', user_image: 'a/c:1', admins: [x], allowed_users: [{}], allowed_cidrs: [10.0.0.0/8], auth: {{kind: cognito}}, deletion_protection: false}}\nenvironments: {{dev: {{account: '123456789012'}}}}\n",
            users.join(", ")
        ),
    )
    .expect("valid config");
    config.deployments[0].clone()
}

#[test]
fn a_hub_over_the_inline_limit_passes_the_size_check_only_after_the_frame() {
    let deployment = &ecs_deployment(14);
    let plan = crate::plan::Plan::of(deployment);
    let hub = plan
        .stack(crate::stacks::StackId::Hub)
        .expect("a hub stack");
    let bytes = super::changeset::compact(&hub.template.to_json())
        .unwrap()
        .len();
    assert!(bytes > super::changeset::MAX_INLINE_TEMPLATE, "{bytes}");

    super::check_sizes(&plan, &plan.waves).expect("the hub deploys after the frame");

    let one_wave = vec![plan.waves.concat()];
    let err = super::check_sizes(&plan, &one_wave).unwrap_err();
    assert!(
        format!("{err}").contains("p-dev-hub") && format!("{err}").contains("no template bucket"),
        "{err}"
    );
}

fn options() -> super::Options {
    super::Options {
        force_delegation: false,
        concurrency: 4,
        timing: timing(),
        delegation_timing: delegation_timing(),
        skip_helm: false,
    }
}

fn outputs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A cloud whose stacks answer with plausible outputs.
fn cloud(fail: &[&str]) -> FakeCloud {
    FakeCloud {
        outputs: [
            (
                "p-dev-frame".to_string(),
                outputs(&[
                    ("VpcId", "vpc-1"),
                    ("VpcCidr", "10.20.0.0/16"),
                    ("PublicSubnetIds", "subnet-a,subnet-b"),
                    ("PrivateSubnetIds", "subnet-c,subnet-d"),
                    ("FileSystemId", "fs-12345678"),
                    ("FileSystemSecurityGroupId", "sg-efs"),
                    ("KmsKeyArn", "arn:aws:kms:eu-west-1:123456789012:key/k"),
                    ("TemplateBucket", "tb"),
                ]),
            ),
            (
                "p-dev-dns".to_string(),
                outputs(&[("HostedZoneId", "ZSUB"), ("ZoneName", "dev.example.com")]),
            ),
            (
                "p-dev-hub".to_string(),
                outputs(&[
                    ("HubUrl", "https://hub.dev.example.com/"),
                    ("ClusterName", "p-dev-cluster"),
                ]),
            ),
        ]
        .into(),
        fail: fail.iter().map(|s| s.to_string()).collect(),
        ..FakeCloud::default()
    }
}

fn clients(cfn: FakeCloud, account: &'static str) -> FakeAccounts {
    let (dns, assume, _) = world(None, 0, 0);
    let artifacts = cfn.store.clone();
    FakeAccounts {
        cfn,
        identity: FakeIdentity::of(account),
        dns,
        assume,
        artifacts,
        certificates: FakeAcm::default(),
        tasks: super::fakes::FakeTasks::default(),
        kube: super::fakes::FakeKube::default(),
        tagging: super::fakes::FakeTagging::default(),
        registry: super::fakes::FakeRegistry::full(),
    }
}

#[tokio::test]
async fn deploy_runs_the_waves_in_order_and_wires_outputs_into_the_hub() {
    let deployment = ecs_deployment(14);
    let clients = clients(cloud(&[]), "123456789012");
    let progress = Collect::default();
    let report = super::deploy(&deployment, &clients, &progress, options())
        .await
        .unwrap();
    assert_eq!(
        report.hub_url.as_deref(),
        Some("https://hub.dev.example.com/")
    );
    assert_eq!(report.changed.len(), 3);

    // frame and dns, then the delegation, then the hub.
    let lines: Vec<String> = progress.events().iter().map(ProgressEvent::line).collect();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} in {lines:#?}"))
    };
    let delegated = at("delegation: dev.example.com delegated");
    assert!(at("p-dev-frame: CREATE_COMPLETE") < delegated);
    assert!(at("p-dev-dns: CREATE_COMPLETE") < delegated);
    assert!(delegated < at("p-dev-hub: started"));
    let parent = clients.assume.parent.records.lock().unwrap().clone();
    assert_eq!(
        parent[&("ZPARENT".to_string(), "dev.example.com".to_string())].1,
        ["ns-1.awsdns.com.", "ns-2.awsdns.net."]
    );

    // Every hub parameter filled from the output the manifest names.
    let requests = clients.cfn.requests.lock().unwrap().clone();
    let hub = requests
        .iter()
        .find(|r| r.stack_name == "p-dev-hub")
        .expect("a hub change set");
    let expected = outputs(&[
        ("FileSystemId", "fs-12345678"),
        ("FileSystemSecurityGroupId", "sg-efs"),
        ("HostedZoneId", "ZSUB"),
        ("KmsKeyArn", "arn:aws:kms:eu-west-1:123456789012:key/k"),
        ("PrivateSubnetIds", "subnet-c,subnet-d"),
        ("PublicSubnetIds", "subnet-a,subnet-b"),
        ("VpcCidr", "10.20.0.0/16"),
        ("VpcId", "vpc-1"),
    ]);
    let declared: Vec<String> = crate::stacks::build(&deployment)
        .into_iter()
        .find(|s| s.id == crate::stacks::StackId::Hub)
        .map(|s| s.inputs.keys().cloned().collect())
        .unwrap_or_default();
    let sent: Vec<String> = hub.parameters.keys().cloned().collect();
    assert_eq!(sent, declared, "every declared parameter is sent");
    for (parameter, value) in &hub.parameters {
        assert_eq!(Some(value), expected.get(parameter), "{parameter}");
    }
    // The hub (15 users) went through the frame's bucket, which is empty again.
    let staged = clients.cfn.store.calls.lock().unwrap().clone();
    assert_eq!(staged.len(), 2, "{staged:?}");
    assert!(
        staged[0].starts_with("PutObject tb/hubctl-p-dev-hub-"),
        "{staged:?}"
    );
    assert!(clients.cfn.store.objects.lock().unwrap().is_empty());

    // Again, unchanged: reads only, nothing staged.
    let before = clients.cfn.mutating_calls().len();
    let again = super::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    assert_eq!(again.unchanged.len(), 3, "{again:?}");
    assert_eq!(clients.cfn.mutating_calls().len(), before);
    assert_eq!(clients.cfn.store.calls.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_failed_frame_stops_the_deploy_before_the_delegation_and_the_hub() {
    let deployment = ecs_deployment(1);
    let clients = clients(cloud(&["p-dev-frame"]), "123456789012");
    let err = super::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap_err();
    let failed = super::failure_summary(&err).expect("a stack failure");
    assert_eq!(
        (failed.stack.as_str(), failed.status.as_str()),
        ("p-dev-frame", "ROLLBACK_COMPLETE")
    );
    let requests = clients.cfn.requests.lock().unwrap().clone();
    assert!(requests.iter().all(|r| r.stack_name != "p-dev-hub"));
    assert!(clients.assume.parent.records.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_wrong_account_is_refused_before_any_cloudformation_call() {
    let deployment = ecs_deployment(1);
    let clients = clients(cloud(&[]), "999999999999");
    let err = super::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap_err();
    let wrong = err
        .downcast_ref::<super::WrongAccount>()
        .expect("WrongAccount");
    assert_eq!(
        (wrong.expected.as_str(), wrong.actual.as_str()),
        ("123456789012", "999999999999")
    );
    assert!(clients.cfn.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn destroy_walks_the_plan_backwards_and_reports_what_the_templates_keep() {
    let deployment = ecs_deployment(1);
    let clients = clients(cloud(&[]), "123456789012");
    super::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    let progress = Collect::default();
    let report = super::destroy(&deployment, &clients, &progress, options())
        .await
        .unwrap();
    assert!(report.delegation_removed);
    assert!(
        clients.cfn.live.lock().unwrap().is_empty(),
        "every stack is gone"
    );

    // The order destroy took is the plan's, reversed: each step's first event.
    let plan = crate::plan::Plan::of(&deployment);
    let lines: Vec<String> = progress.events().iter().map(ProgressEvent::line).collect();
    let first = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} in {lines:#?}"))
    };
    let at = |step: &crate::plan::StepId| match step {
        crate::plan::StepId::Stack(id) => first(&format!("{}: started", plan.stack_name(*id))),
        crate::plan::StepId::Delegation => first("NS record of dev.example.com removed"),
    };
    let reverse = plan.reverse();
    for (earlier, later) in reverse.iter().zip(reverse.iter().skip(1)) {
        let last_of_earlier = earlier.iter().map(at).max().unwrap();
        let first_of_later = later.iter().map(at).min().unwrap();
        assert!(last_of_earlier < first_of_later, "{reverse:?}: {lines:#?}");
    }
    let deleted: Vec<&str> = report.deleted.iter().map(String::as_str).collect();
    assert_eq!(deleted, ["p-dev-hub", "p-dev-dns", "p-dev-frame"]);

    // What stays: exactly the resources whose DeletionPolicy keeps them, read from the
    // rendered templates.
    let mut expected = Vec::new();
    for stack in &plan.stacks {
        let template: serde_json::Value = serde_json::from_str(&stack.template.to_json()).unwrap();
        for (id, resource) in template["Resources"].as_object().unwrap() {
            if matches!(
                resource["DeletionPolicy"].as_str(),
                Some("Retain" | "Snapshot")
            ) {
                expected.push((plan.stack_name(stack.id), id.clone()));
            }
        }
    }
    let mut kept: Vec<(String, String)> = report
        .retained
        .iter()
        .map(|r| (r.stack.clone(), r.logical_id.clone()))
        .collect();
    kept.sort();
    expected.sort();
    assert_eq!(kept, expected);
    assert!(
        kept.len() >= 4,
        "EFS, key, log bucket, database snapshot: {kept:?}"
    );
}

#[tokio::test]
async fn what_stays_is_what_the_deployed_template_says() {
    // Deployed when the config kept the storage; the config no longer does. CloudFormation
    // acts on the template it holds, so that is what the report reads.
    let deployment = ecs_deployment(1);
    let clients = clients(cloud(&[]), "123456789012");
    super::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    {
        let mut live = clients.cfn.live.lock().unwrap();
        let (_, template) = live.get_mut("p-dev-frame").expect("the frame stack");
        let mut value: serde_json::Value = serde_json::from_str(template).unwrap();
        value["Resources"]["FileSystem"]["DeletionPolicy"] = serde_json::json!("Delete");
        *template = value.to_string();
    }
    let report = super::destroy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    let kept: Vec<&str> = report
        .retained
        .iter()
        .filter(|r| r.stack == "p-dev-frame")
        .map(|r| r.logical_id.as_str())
        .collect();
    assert_eq!(kept, ["Key"], "{:?}", report.retained);
}

#[tokio::test]
async fn an_update_keeps_a_deployed_subnet_zone_and_the_next_deploy_is_a_no_op() {
    let store = FakeStore::default();
    let cloud = FakeCloud::default();
    let deployed = r#"{"Resources":{"PrivateSubnet1":{"Type":"AWS::EC2::Subnet","Properties":{"AvailabilityZone":{"Fn::Select":[0,{"Fn::GetAZs":""}]},"CidrBlock":"10.0.0.0/20"}}}}"#;
    // Deployed by an earlier hubctl, which left the zone to Fn::GetAZs order.
    run(
        &cloud,
        &inline(&store),
        &Collect::default(),
        timing(),
        "s",
        deployed,
    )
    .await
    .unwrap();
    // Synth now fixes the zone by id, and adds a tag: an update, but not of the zone.
    let wanted = r#"{"Resources":{"PrivateSubnet1":{"Type":"AWS::EC2::Subnet","Properties":{"AvailabilityZoneId":"euw1-az1","CidrBlock":"10.0.0.0/20","Tags":[{"Key":"Name","Value":"p"}]}}}}"#;
    let progress = Collect::default();
    let (outcome, _) = run(&cloud, &inline(&store), &progress, timing(), "s", wanted)
        .await
        .unwrap();
    assert_eq!(outcome, StackOutcome::Changed);
    let sent = match &cloud.requests.lock().unwrap()[1].template {
        TemplateSource::Body(body) => serde_json::from_str::<serde_json::Value>(body).unwrap(),
        other => panic!("{other:?}"),
    };
    let properties = &sent["Resources"]["PrivateSubnet1"]["Properties"];
    assert_eq!(
        properties["AvailabilityZone"],
        serde_json::json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]})
    );
    assert!(
        properties.get("AvailabilityZoneId").is_none(),
        "{properties}"
    );
    assert_eq!(properties["Tags"][0]["Value"], "p");
    assert!(
        progress.events().iter().any(|event| matches!(event,
            ProgressEvent::Note { message, .. } if message.contains("PrivateSubnet1 keeps its deployed zone AvailabilityZone"))),
        "{:?}",
        progress.events()
    );
    // The same synth again: the stack equals it once the kept zone is counted in.
    let before = cloud.mutating_calls().len();
    let (outcome, _) = run(&cloud, &inline(&store), &progress, timing(), "s", wanted)
        .await
        .unwrap();
    assert_eq!(outcome, StackOutcome::Unchanged);
    assert_eq!(cloud.mutating_calls().len(), before);
}

fn task(arn: &str, group: &str, started_by: &str) -> super::api::Task {
    super::api::Task {
        arn: arn.to_string(),
        group: group.to_string(),
        started_by: started_by.to_string(),
        last_status: "RUNNING".to_string(),
        desired_status: "RUNNING".to_string(),
    }
}

/// The hub's service in `p-dev-cluster`, running its one task.
fn hub_service() -> std::sync::Mutex<BTreeMap<String, Vec<super::api::Service>>> {
    std::sync::Mutex::new(
        [(
            "p-dev-cluster".to_string(),
            vec![super::api::Service {
                arn: "arn:service/hub".to_string(),
                desired: 1,
                running: 1,
                pending: 0,
            }],
        )]
        .into(),
    )
}

fn cname(name: &str, value: &str) -> super::api::Record {
    super::api::Record {
        name: name.to_string(),
        kind: "CNAME".to_string(),
        ttl: 300,
        values: vec![value.to_string()],
    }
}

#[tokio::test]
async fn destroy_stops_the_user_servers_and_removes_the_validation_records_first() {
    let deployment = ecs_deployment(1);
    let mut clients = clients(cloud(&[]), "123456789012");
    super::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    // The hub's own task, a running user server, one already stopping (desired STOPPED,
    // still running), and one stopped long ago.
    let mut stopping = task("arn:task/bob", "", "jupyterhub");
    stopping.desired_status = "STOPPED".to_string();
    let mut stopped = task("arn:task/old", "", "jupyterhub");
    stopped.last_status = "STOPPED".to_string();
    stopped.desired_status = "STOPPED".to_string();
    clients.tasks = super::fakes::FakeTasks {
        services: hub_service(),
        tasks: std::sync::Mutex::new(
            [(
                "p-dev-cluster".to_string(),
                vec![
                    (task("arn:task/hub", "service:hub", "ecs-svc/123"), 0),
                    (task("arn:task/alice", "", "jupyterhub"), 0),
                    (stopping, 2),
                    (stopped, 0),
                ],
            )]
            .into(),
        ),
        polls_to_stop: 2,
        ..super::fakes::FakeTasks::default()
    };
    // The certificate's validation record, and a record of someone else's.
    let validation = cname(
        "_3f1a.hub.dev.example.com.",
        "_9c2b.zfyfvmchrl.acm-validations.aws.",
    );
    let other = cname("www.dev.example.com.", "hub.dev.example.com.");
    clients
        .dns
        .other_records
        .lock()
        .unwrap()
        .insert("ZSUB".to_string(), vec![validation.clone(), other.clone()]);
    let progress = Collect::default();
    super::destroy(&deployment, &clients, &progress, options())
        .await
        .unwrap();

    // The service first, then only the running user server (the stopping one is waited
    // for, the hub's task is the service's), and all of it before the hub stack went.
    let calls = clients.tasks.calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        [
            "UpdateService p-dev-cluster arn:service/hub 0",
            "StopTask p-dev-cluster arn:task/alice",
        ]
    );
    for (task, _) in &clients.tasks.tasks.lock().unwrap()["p-dev-cluster"][1..] {
        assert_eq!(task.last_status, "STOPPED", "{task:?}");
    }
    let lines: Vec<String> = progress.events().iter().map(ProgressEvent::line).collect();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} in {lines:#?}"))
    };
    assert!(
        at("2 user server(s) stopped") < at("p-dev-hub: started"),
        "{lines:#?}"
    );
    // Only the validation record goes, before the dns stack.
    assert_eq!(
        clients.dns.other_records.lock().unwrap()["ZSUB"],
        vec![other]
    );
    assert!(
        at("deleted the certificate validation record _3f1a.hub.dev.example.com.")
            < at("p-dev-dns: started"),
        "{lines:#?}"
    );
    assert!(clients.cfn.live.lock().unwrap().is_empty());

    // Re-run after everything went: nothing left to stop or delete, no error.
    super::destroy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    assert_eq!(clients.tasks.calls.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn destroy_stops_at_a_server_that_does_not_stop_and_says_why() {
    let deployment = ecs_deployment(1);
    let mut clients = clients(cloud(&[]), "123456789012");
    super::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    clients.tasks = super::fakes::FakeTasks {
        tasks: std::sync::Mutex::new(
            [(
                "p-dev-cluster".to_string(),
                vec![(task("arn:task/alice", "", "jupyterhub"), 0)],
            )]
            .into(),
        ),
        services: hub_service(),
        polls_to_stop: usize::MAX,
        ..super::fakes::FakeTasks::default()
    };
    let err = super::destroy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("1 task(s) in cluster p-dev-cluster have not stopped")
            && message.contains("arn:task/alice DEPROVISIONING")
            && message.contains("re-run destroy"),
        "{message}"
    );
    // The hub stack was not asked to go while its cluster still runs a server.
    assert!(clients.cfn.live.lock().unwrap().contains_key("p-dev-hub"));
    // And the hub runs again: a deploy would see an unchanged template and leave it at 0.
    assert_eq!(
        clients.tasks.calls.lock().unwrap()[..],
        [
            "UpdateService p-dev-cluster arn:service/hub 0",
            "StopTask p-dev-cluster arn:task/alice",
            "UpdateService p-dev-cluster arn:service/hub 1",
        ]
    );
    assert_eq!(
        clients.tasks.services.lock().unwrap()["p-dev-cluster"][0].desired,
        1
    );
}

mod delegation;
use delegation::{delegation_timing, world};
mod eks;
mod images;
