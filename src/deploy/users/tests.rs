//! The invitation engine against an in-memory pool: missing, present and extra users,
//! pagination, a user created meanwhile, the e-mail quota, other refusals.

use super::*;
use crate::deploy::fakes::{stack, FakeCfn, FakeDirectory};

const POOL: &str = "eu-west-1_AbCdEf123";

fn deployment(hub_users: &str, auth: &str) -> Deployment {
    let text = format!(
        "project: p\nregion: eu-west-1\ndns: {{parent_zone: example.com, parent_account: '111111111111', delegation_role: R, subzone: dev.example.com, hub_host: hub.dev.example.com}}\nnetwork: {{vpc_cidr: 10.20.0.0/16}}\nhub: {{platform: ecs, hub_image: 'a/b:1', user_image: 'a/c:1', {hub_users}, allowed_cidrs: [10.0.0.0/8], auth: {auth}}}\nenvironments: {{dev: {{account: '123456789012'}}}}\n"
    );
    let config = crate::config::parse("t.yaml", &text).expect("valid config");
    config
        .deployments
        .into_iter()
        .next()
        .expect("one environment")
}

fn users(admins: &str, allowed: &str) -> Deployment {
    deployment(
        &format!("admins: [{admins}], allowed_users: [{allowed}]"),
        "{kind: cognito}",
    )
}

fn names(members: &[Member]) -> Vec<&str> {
    members.iter().map(|m| m.name.as_str()).collect()
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(future)
}

#[test]
fn missing_users_are_invited_present_kept_and_extra_only_reported() {
    let env = users("a@example.com", "b@example.com, c@example.com");
    let pool = FakeDirectory::with(&["z@example.com", "b@example.com"]);
    let roster = block_on(super::roster(&pool, POOL, &env.hub)).unwrap();
    assert_eq!(names(&roster.missing), ["a@example.com", "c@example.com"]);
    assert!(roster.missing[0].admin && !roster.missing[1].admin);
    assert_eq!(roster.present.len(), 1);
    assert_eq!(roster.present[0].0.name, "b@example.com");
    assert_eq!(
        roster
            .extra
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["z@example.com"]
    );
    assert!(roster.without_address().is_empty());

    let done = block_on(invite(&pool, POOL, &roster.missing));
    assert_eq!(names(&done.sent), ["a@example.com", "c@example.com"]);
    assert!(done.stopped.is_none() && done.not_tried.is_empty());
    // Nothing deleted: the extra user stays.
    assert_eq!(
        pool.names(),
        [
            "z@example.com",
            "b@example.com",
            "a@example.com",
            "c@example.com"
        ]
    );
    assert!(pool
        .calls
        .lock()
        .unwrap()
        .contains(&"AdminCreateUser a@example.com a@example.com".to_string()));

    // A re-run: everyone is there, nobody is invited.
    let again = block_on(super::roster(&pool, POOL, &env.hub)).unwrap();
    assert!(again.missing.is_empty());
    assert_eq!(again.present.len(), 3);
    assert_eq!(
        again.present[0].1.status, "FORCE_CHANGE_PASSWORD",
        "invited, not signed in yet"
    );
}

#[test]
fn every_page_of_the_pool_is_read() {
    let mut many: Vec<String> = (0..130).map(|i| format!("u{i:03}@example.com")).collect();
    many.push("last@example.com".to_string());
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let pool = FakeDirectory::with(&refs);
    let env = users("last@example.com", "new@example.com");
    let roster = block_on(super::roster(&pool, POOL, &env.hub)).unwrap();
    // The admin is on the third page (60 + 60 + 11): found, not invited again.
    assert_eq!(roster.present.len(), 1);
    assert_eq!(names(&roster.missing), ["new@example.com"]);
    assert_eq!(roster.extra.len(), 130);
    assert_eq!(
        *pool.calls.lock().unwrap(),
        ["ListUsers -", "ListUsers page-60", "ListUsers page-120"]
    );
}

#[test]
fn a_list_that_never_ends_is_an_error_not_a_hang() {
    let mut pool = FakeDirectory::with(&["a@example.com"]);
    pool.endless = true;
    let err = block_on(pool_users(&pool, POOL)).unwrap_err();
    assert!(format!("{err}").contains("same page token"), "{err}");
}

#[test]
fn a_pool_that_names_users_by_sub_is_matched_by_email() {
    let pool = FakeDirectory::default();
    pool.users.lock().unwrap().push(PoolUser {
        username: "6f1c2a3e-0000-4000-8000-000000000000".to_string(),
        email: Some("a@example.com".to_string()),
        status: "CONFIRMED".to_string(),
        enabled: true,
    });
    let env = users("a@example.com", "");
    let roster = block_on(super::roster(&pool, POOL, &env.hub)).unwrap();
    assert!(roster.missing.is_empty() && roster.extra.is_empty());
}

#[test]
fn a_pool_that_names_users_by_email_is_refused_before_anything() {
    let mut pool = FakeDirectory::with(&[]);
    pool.username_attributes = vec!["email".to_string()];
    let env = users("a@example.com", "");
    let err = block_on(super::roster(&pool, POOL, &env.hub)).unwrap_err();
    let said = format!("{err}");
    assert!(
        said.contains("names its users by email (UsernameAttributes)")
            && said.contains("remove hub.auth.user_pool_id")
            && said.contains("nobody was invited"),
        "{said}"
    );
    assert!(
        pool.calls.lock().unwrap().is_empty(),
        "no ListUsers, no invitation"
    );
}

#[test]
fn a_user_created_meanwhile_counts_as_there() {
    let mut pool = FakeDirectory::with(&[]);
    pool.created_meanwhile = vec!["b@example.com".to_string()];
    let env = users("a@example.com", "b@example.com, c@example.com");
    let roster = block_on(super::roster(&pool, POOL, &env.hub)).unwrap();
    assert_eq!(roster.missing.len(), 3);
    let done = block_on(invite(&pool, POOL, &roster.missing));
    assert_eq!(names(&done.sent), ["a@example.com", "c@example.com"]);
    assert_eq!(names(&done.already_there), ["b@example.com"]);
    assert!(done.stopped.is_none());
}

#[test]
fn the_daily_email_limit_stops_and_keeps_what_was_sent() {
    let pool = FakeDirectory::with(&[]);
    *pool.emails_left.lock().unwrap() = Some(1);
    let env = users("a@example.com", "b@example.com, c@example.com");
    let roster = block_on(super::roster(&pool, POOL, &env.hub)).unwrap();
    let done = block_on(invite(&pool, POOL, &roster.missing));
    assert_eq!(names(&done.sent), ["a@example.com"]);
    let (at, why) = done.stopped.expect("stopped at the limit");
    assert_eq!(at.name, "b@example.com");
    assert!(matches!(why, Stop::LimitExceeded(ref m) if m.contains("daily email limit")));
    assert_eq!(names(&done.not_tried), ["c@example.com"]);
    // No call after the refusal.
    assert_eq!(
        pool.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.starts_with("AdminCreateUser"))
            .count(),
        2
    );
    // Tomorrow's re-run invites the rest only.
    *pool.emails_left.lock().unwrap() = Some(50);
    let later = block_on(super::roster(&pool, POOL, &env.hub)).unwrap();
    assert_eq!(names(&later.missing), ["b@example.com", "c@example.com"]);
}

#[test]
fn another_refusal_stops_with_the_error() {
    let mut pool = FakeDirectory::with(&[]);
    pool.failing = Some((
        "a@example.com".to_string(),
        "AccessDeniedException: not authorized to perform cognito-idp:AdminCreateUser".to_string(),
    ));
    let env = users("a@example.com", "b@example.com");
    let roster = block_on(super::roster(&pool, POOL, &env.hub)).unwrap();
    let done = block_on(invite(&pool, POOL, &roster.missing));
    assert!(done.sent.is_empty());
    let (at, why) = done.stopped.expect("stopped");
    assert_eq!(at.name, "a@example.com");
    assert!(matches!(why, Stop::Failed(ref e) if format!("{e}").contains("AccessDenied")));
    assert_eq!(names(&done.not_tried), ["b@example.com"]);
}

#[test]
fn names_that_are_not_addresses_are_named_with_their_key_and_the_fix() {
    let pool = FakeDirectory::with(&["bob"]);
    let env = users("alice", "bob, carol@example.com, dave");
    let roster = block_on(super::roster(&pool, POOL, &env.hub)).unwrap();
    // bob is in the pool already: no address needed.
    let without: Vec<Member> = roster.without_address().into_iter().cloned().collect();
    assert_eq!(names(&without), ["alice", "dave"]);
    let message = NoAddress {
        file: "hubctl.yaml".to_string(),
        users: without,
    }
    .to_string();
    assert!(
        message.contains("hubctl.yaml: hub.admins: \"alice\" is not an e-mail address"),
        "{message}"
    );
    assert!(
        message.contains("hub.allowed_users: \"dave\"") && message.contains("dave@example.com"),
        "{message}"
    );
    assert!(message.ends_with("nobody was invited"), "{message}");
}

#[test]
fn what_counts_as_an_address() {
    for good in ["a@example.com", "a.b-c@sub.example.org", "1@x.io"] {
        assert!(is_email(good), "{good}");
    }
    for bad in [
        "alice",
        "@example.com",
        "a@",
        "a@example",
        "a@b@example.com",
        "a@.example.com",
        "a@example.",
        "a@-x.com",
    ] {
        assert!(!is_email(bad), "{bad}");
    }
}

#[test]
fn the_pool_is_the_hub_stacks_output_or_the_configured_one() {
    let env = users("a@example.com", "");
    let location = pool_location(&env).unwrap();
    assert_eq!(
        location,
        PoolLocation::Stack {
            output: OutputRef::new(StackId::Hub, "UserPoolId"),
            stack_name: "p-dev-hub".to_string(),
        }
    );
    let cfn = FakeCfn::default();
    cfn.stacks
        .lock()
        .unwrap()
        .push_back(stack("CREATE_COMPLETE", &[("UserPoolId", POOL)]));
    assert_eq!(block_on(pool_id(&cfn, &env, &location)).unwrap(), POOL);

    let undeployed = FakeCfn::default();
    undeployed.stacks.lock().unwrap().push_back(None);
    let err = block_on(pool_id(&undeployed, &env, &location)).unwrap_err();
    assert!(
        format!("{err}").contains("hubctl deploy --env dev"),
        "{err}"
    );

    let existing = deployment(
        "admins: [a@example.com]",
        "{kind: cognito, user_pool_id: eu-west-1_XyZ987abc, domain: login.example.com}",
    );
    assert_eq!(
        pool_location(&existing).unwrap(),
        PoolLocation::Existing {
            id: "eu-west-1_XyZ987abc".to_string(),
        }
    );
    // No call for a configured pool.
    assert_eq!(
        block_on(pool_id(
            &FakeCfn::default(),
            &existing,
            &pool_location(&existing).unwrap()
        ))
        .unwrap(),
        "eu-west-1_XyZ987abc"
    );
}

#[test]
fn an_oauth_login_has_no_pool_to_invite_into() {
    let env = deployment(
        "admins: [a]",
        "{kind: oauth, authorize_url: 'https://login.example.com/authorize', token_url: 'https://login.example.com/token', userdata_url: 'https://login.example.com/userinfo', client_id: hub, client_secret_arn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub-AbCdEf', scopes: [openid], username_claim: email}",
    );
    let err = pool_location(&env).unwrap_err();
    assert!(err.to_string().contains("OAuth provider"), "{err}");
}
