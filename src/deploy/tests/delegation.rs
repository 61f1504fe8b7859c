//! The subzone delegation on fakes: the NS record created, kept, refused, retried through
//! IAM propagation and denials, and removed only while it points here.

use super::*;

pub(super) fn delegation_timing() -> DelegationTiming {
    DelegationTiming {
        poll: Duration::from_millis(1),
        insync_timeout: Duration::from_millis(200),
        access_denied_window: Duration::from_secs(5),
    }
}

pub(super) fn world(
    existing: Option<Vec<&str>>,
    denials: usize,
    pending_polls: usize,
) -> (FakeDns, FakeAssume, Delegation) {
    let workload = FakeDns {
        zones: [(
            "ZSUB".to_string(),
            vec![
                "ns-1.awsdns.com.".to_string(),
                "ns-2.awsdns.net.".to_string(),
            ],
        )]
        .into(),
        ..FakeDns::default()
    };
    let parent = FakeDns {
        zones_by_name: [("example.com".to_string(), vec!["ZPARENT".to_string()])].into(),
        pending_polls: Mutex::new(pending_polls),
        ..FakeDns::default()
    };
    if let Some(values) = existing {
        parent.records.lock().unwrap().insert(
            ("ZPARENT".to_string(), "dev.example.com".to_string()),
            (300, values.into_iter().map(str::to_string).collect()),
        );
    }
    let assume = FakeAssume {
        denials: Mutex::new(denials),
        parent: Arc::new(parent),
    };
    let delegation = Delegation {
        subzone: "dev.example.com".to_string(),
        zone_id: "ZSUB".to_string(),
        parent_zone: "example.com".to_string(),
        role_arn: "arn:aws:iam::111111111111:role/DomainOperatorRole".to_string(),
        force: false,
    };
    (workload, assume, delegation)
}

#[tokio::test]
async fn the_ns_record_is_created_after_iam_propagation_and_a_slow_insync() {
    let (workload, assume, delegation) = world(None, 2, 3);
    let progress = Collect::default();
    let outcome = delegate(
        &workload,
        &assume,
        &progress,
        delegation_timing(),
        &delegation,
    )
    .await
    .unwrap();
    assert_eq!(outcome, DelegationOutcome::Created);
    let records = assume.parent.records.lock().unwrap().clone();
    assert_eq!(
        records[&("ZPARENT".to_string(), "dev.example.com".to_string())].1,
        ["ns-1.awsdns.com.", "ns-2.awsdns.net."]
    );
    let retries = progress
        .events()
        .iter()
        .filter(
            |e| matches!(e, ProgressEvent::Delegation { message } if message.contains("denied")),
        )
        .count();
    assert_eq!(retries, 2);
}

#[tokio::test]
async fn the_same_ns_record_means_no_change() {
    let (workload, assume, delegation) =
        world(Some(vec!["NS-2.awsdns.net", "ns-1.awsdns.com."]), 0, 0);
    let outcome = delegate(
        &workload,
        &assume,
        &Collect::default(),
        delegation_timing(),
        &delegation,
    )
    .await
    .unwrap();
    assert_eq!(outcome, DelegationOutcome::Unchanged);
    assert!(assume.parent.changes.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_foreign_ns_record_is_refused_unless_forced() {
    let (workload, assume, mut delegation) = world(Some(vec!["ns.elsewhere.org."]), 0, 0);
    let err = delegate(
        &workload,
        &assume,
        &Collect::default(),
        delegation_timing(),
        &delegation,
    )
    .await
    .unwrap_err();
    assert!(
        format!("{err}").contains("pointing elsewhere")
            && format!("{err}").contains("--force-delegation"),
        "{err}"
    );
    assert!(assume.parent.changes.lock().unwrap().is_empty());
    delegation.force = true;
    let outcome = delegate(
        &workload,
        &assume,
        &Collect::default(),
        delegation_timing(),
        &delegation,
    )
    .await
    .unwrap();
    assert_eq!(outcome, DelegationOutcome::Replaced);
}

#[tokio::test]
async fn a_change_that_never_syncs_times_out() {
    let (workload, assume, delegation) = world(None, 0, usize::MAX);
    let err = delegate(
        &workload,
        &assume,
        &Collect::default(),
        delegation_timing(),
        &delegation,
    )
    .await
    .unwrap_err();
    assert!(format!("{err}").contains("not INSYNC"), "{err}");
}

#[tokio::test]
async fn a_denial_that_persists_names_the_fix() {
    let (workload, assume, delegation) = world(None, usize::MAX, 0);
    let timing = DelegationTiming {
        access_denied_window: Duration::from_millis(50),
        ..delegation_timing()
    };
    let err = delegate(&workload, &assume, &Collect::default(), timing, &delegation)
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("delegation-role.template.json"),
        "{err:#}"
    );
}

#[tokio::test]
async fn a_role_that_does_not_name_the_subzone_yet_is_retried_then_explained() {
    // The account's role exists (AssumeRole works) but the parent template deployed before
    // this environment was added: its NS write is denied until the owners redeploy.
    let (workload, assume, delegation) = world(None, 0, 0);
    *assume.parent.change_denials.lock().unwrap() = 2;
    let progress = Collect::default();
    let outcome = delegate(
        &workload,
        &assume,
        &progress,
        delegation_timing(),
        &delegation,
    )
    .await
    .unwrap();
    assert_eq!(outcome, DelegationOutcome::Created);
    let retries = progress
        .events()
        .iter()
        .filter(|e| matches!(e, ProgressEvent::Delegation { message } if message.starts_with("the NS record of dev.example.com in example.com denied")))
        .count();
    assert_eq!(retries, 2);

    let (workload, assume, delegation) = world(None, 0, 0);
    *assume.parent.change_denials.lock().unwrap() = usize::MAX;
    let timing = DelegationTiming {
        access_denied_window: Duration::from_millis(50),
        ..delegation_timing()
    };
    let err = delegate(&workload, &assume, &Collect::default(), timing, &delegation)
        .await
        .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("arn:aws:iam::111111111111:role/DomainOperatorRole may not read or write the NS record of dev.example.com in example.com")
            && text.contains("deploy the current parent/<project>-delegation-role.template.json"),
        "{text}"
    );
    assert!(assume.parent.records.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_explicit_deny_is_not_retried_and_says_where_to_look() {
    let (workload, assume, delegation) = world(None, 0, 0);
    let parent = FakeDns {
        zones_by_name: [("example.com".to_string(), vec!["ZPARENT".to_string()])].into(),
        change_denials: Mutex::new(usize::MAX),
        explicit_deny: true,
        ..FakeDns::default()
    };
    let assume = FakeAssume {
        parent: Arc::new(parent),
        ..assume
    };
    let progress = Collect::default();
    let started = std::time::Instant::now();
    let err = delegate(
        &workload,
        &assume,
        &progress,
        delegation_timing(),
        &delegation,
    )
    .await
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(400), "it waited");
    let text = format!("{err:#}");
    assert!(
        text.contains("an explicit deny refuses it")
            && text.contains("service or resource control policy"),
        "{text}"
    );
    assert!(progress.events().iter().all(
        |e| !matches!(e, ProgressEvent::Delegation { message } if message.contains("retrying"))
    ));
}

#[tokio::test]
async fn a_record_that_appears_while_a_denial_is_retried_is_not_overwritten() {
    let (workload, assume, delegation) = world(None, 0, 0);
    *assume.parent.change_denials.lock().unwrap() = 1;
    // Someone else writes the record between the denied attempt and the retry.
    let parent = assume.parent.clone();
    let planter = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        parent.records.lock().unwrap().insert(
            ("ZPARENT".to_string(), "dev.example.com".to_string()),
            (300, vec!["ns.elsewhere.org.".to_string()]),
        );
    });
    let err = delegate(
        &workload,
        &assume,
        &Collect::default(),
        delegation_timing(),
        &delegation,
    )
    .await
    .unwrap_err();
    planter.await.unwrap();
    assert!(format!("{err:#}").contains("pointing elsewhere"), "{err:#}");
    assert_eq!(
        assume.parent.records.lock().unwrap()
            [&("ZPARENT".to_string(), "dev.example.com".to_string())]
            .1,
        ["ns.elsewhere.org."]
    );
}

#[tokio::test]
async fn undelegation_removes_only_a_record_that_still_points_here() {
    let (workload, assume, delegation) = world(Some(vec!["ns.elsewhere.org."]), 0, 0);
    assert!(!undelegate(
        &workload,
        &assume,
        &Collect::default(),
        delegation_timing(),
        &delegation
    )
    .await
    .unwrap());
    assert_eq!(assume.parent.records.lock().unwrap().len(), 1);
    let (workload, assume, delegation) =
        world(Some(vec!["ns-1.awsdns.com.", "ns-2.awsdns.net."]), 0, 0);
    assert!(undelegate(
        &workload,
        &assume,
        &Collect::default(),
        delegation_timing(),
        &delegation
    )
    .await
    .unwrap());
    assert!(assume.parent.records.lock().unwrap().is_empty());
}
