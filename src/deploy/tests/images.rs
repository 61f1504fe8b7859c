//! The images check between the images stack and the hub, and `hubctl images`, on fakes.

use super::*;
use crate::deploy::fakes::FakeRegistry;
use crate::deploy::images::{deploy_images, ImagesMissing};

const REGISTRY: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

/// The ECS environment of `ecs_deployment`, its hub image in its own registry.
fn own_image_deployment() -> crate::model::Deployment {
    let config = crate::config::parse(
        "t.yaml",
        &format!("project: p\nregion: eu-west-1\ndns: {{parent_zone: example.com, parent_account: '111111111111', delegation_role: R, subzone: dev.example.com, hub_host: hub.dev.example.com}}\nnetwork: {{vpc_cidr: 10.20.0.0/16}}\nhub: {{platform: ecs, hub_image: '{REGISTRY}/jhub/hub:1', user_image: 'quay.io/a/c:1', admins: [x], allowed_cidrs: [10.0.0.0/8], auth: {{kind: cognito}}, deletion_protection: false}}\nenvironments: {{dev: {{account: '123456789012'}}}}\n"),
    )
    .expect("valid config");
    config.deployments[0].clone()
}

/// The example's clients with an ECR that holds only what is pushed to it.
fn scripted_clients() -> FakeAccounts {
    FakeAccounts {
        registry: FakeRegistry::default(),
        ..clients(cloud(&[]), "123456789012")
    }
}

fn stacks_sent(clients: &FakeAccounts) -> Vec<String> {
    let mut names: Vec<String> = clients
        .cfn
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.stack_name.clone())
        .collect();
    names.dedup();
    names
}

#[tokio::test]
async fn a_missing_tag_stops_deploy_before_the_hub_with_the_commands_and_a_push_lets_it_go_on() {
    let deployment = own_image_deployment();
    let clients = scripted_clients();
    clients.registry.push("jhub/hub", "0.9");
    let progress = Collect::default();
    let err = crate::deploy::deploy(&deployment, &clients, &progress, options())
        .await
        .expect_err("the hub's image is not pushed");
    let missing = err
        .downcast_ref::<ImagesMissing>()
        .unwrap_or_else(|| panic!("{err:#}"));
    assert_eq!(missing.missing, [format!("{REGISTRY}/jhub/hub:1")]);
    assert_eq!(
        missing.commands,
        [
            format!("aws ecr get-login-password --region eu-west-1 | docker login --username AWS --password-stdin {REGISTRY}"),
            format!("docker build --platform linux/amd64 -t {REGISTRY}/jhub/hub:1 templates/hub"),
            format!("docker push {REGISTRY}/jhub/hub:1"),
        ]
    );
    assert!(
        err.to_string()
            .contains("the repositories exist; push the images and re-run deploy"),
        "{err}"
    );
    let sent = stacks_sent(&clients);
    assert!(sent.contains(&"p-dev-images".to_string()), "{sent:?}");
    assert!(!sent.contains(&"p-dev-hub".to_string()), "{sent:?}");
    // The images stack got the frame's key.
    let requests = clients.cfn.requests.lock().unwrap().clone();
    let images = requests
        .iter()
        .find(|r| r.stack_name == "p-dev-images")
        .expect("an images change set");
    assert_eq!(
        images.parameters.get("KmsKeyArn").map(String::as_str),
        Some("arn:aws:kms:eu-west-1:123456789012:key/k")
    );
    assert_eq!(
        clients.registry.calls.lock().unwrap().clone(),
        ["describe jhub/hub 1"]
    );

    clients.registry.push("jhub/hub", "1");
    crate::deploy::deploy(&deployment, &clients, &progress, options())
        .await
        .expect("the image is there now");
    assert!(stacks_sent(&clients).contains(&"p-dev-hub".to_string()));
    let lines: Vec<String> = progress.events().iter().map(ProgressEvent::line).collect();
    let pushed = lines
        .iter()
        .position(|l| l.contains(&format!("image {REGISTRY}/jhub/hub:1 is pushed")))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    let hub = lines
        .iter()
        .rposition(|l| l.contains("p-dev-hub: started"))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert!(pushed < hub, "{lines:#?}");
    assert!(
        lines.iter().any(|l| l
            .contains("image quay.io/a/c:1 is not in this environment's registry: not checked")),
        "{lines:#?}"
    );
}

#[tokio::test]
async fn an_environment_without_own_images_asks_ecr_nothing() {
    let deployment = ecs_deployment(1);
    let clients = scripted_clients();
    crate::deploy::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .expect("nothing to check");
    assert!(clients.registry.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn hubctl_images_deploys_the_frame_and_the_repositories_only_and_says_what_to_push() {
    let deployment = own_image_deployment();
    let clients = scripted_clients();
    clients.registry.push("jhub/hub", "0.9");
    let report = deploy_images(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    assert_eq!(stacks_sent(&clients), ["p-dev-frame", "p-dev-images"]);
    assert_eq!(report.images, [(format!("{REGISTRY}/jhub/hub:1"), false)]);
    assert_eq!(report.commands.len(), 3, "{:?}", report.commands);
    assert!(clients.assume.parent.records.lock().unwrap().is_empty());

    clients.registry.push("jhub/hub", "1");
    let report = deploy_images(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    assert_eq!(report.images, [(format!("{REGISTRY}/jhub/hub:1"), true)]);
    assert!(report.commands.is_empty());
}

#[tokio::test]
async fn hubctl_images_without_own_images_deploys_nothing() {
    let clients = clients(cloud(&[]), "123456789012");
    let report = deploy_images(&ecs_deployment(1), &clients, &Collect::default(), options())
        .await
        .unwrap();
    assert!(report.images.is_empty());
    assert!(stacks_sent(&clients).is_empty());
}

#[tokio::test]
async fn destroy_deletes_the_repositories_after_the_hub_and_before_the_frame_key() {
    let deployment = own_image_deployment();
    let clients = clients(cloud(&[]), "123456789012");
    crate::deploy::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    let report = crate::deploy::destroy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    let deleted: Vec<String> = clients
        .cfn
        .calls
        .lock()
        .unwrap()
        .iter()
        .filter_map(|call| call.strip_prefix("DeleteStack ").map(str::to_string))
        .collect();
    let at = |name: &str| {
        deleted
            .iter()
            .position(|d| d == name)
            .unwrap_or_else(|| panic!("{name} in {deleted:?}"))
    };
    assert!(at("p-dev-hub") < at("p-dev-images"), "{deleted:?}");
    assert!(at("p-dev-images") < at("p-dev-frame"), "{deleted:?}");
    // Emptied on delete: nothing of the images stack is reported as kept.
    assert!(
        report
            .retained
            .iter()
            .all(|kept| kept.stack != "p-dev-images"),
        "{:?}",
        report.retained
    );
}

#[tokio::test]
async fn a_repository_made_outside_the_images_stack_stops_deploy_before_any_stack() {
    let deployment = own_image_deployment();
    let clients = scripted_clients();
    clients
        .registry
        .foreign
        .lock()
        .unwrap()
        .insert("jhub/hub".to_string());
    let progress = Collect::default();
    let err = crate::deploy::deploy(&deployment, &clients, &progress, options())
        .await
        .expect_err("the repository is someone else's");
    let said = format!("{err:#}");
    assert!(
        said.contains("ECR repository jhub/hub exists in account 123456789012 (eu-west-1) but is not the images stack p-dev-images's")
            && said.contains("nothing was changed"),
        "{said}"
    );
    assert!(
        err.downcast_ref::<crate::deploy::NothingStarted>()
            .is_some(),
        "exit 2: {said}"
    );
    assert!(stacks_sent(&clients).is_empty(), "no change set was made");
    // hubctl images says the same, before the frame.
    let err = deploy_images(&deployment, &clients, &progress, options())
        .await
        .expect_err("the repository is someone else's");
    assert!(
        format!("{err:#}").contains("is not the images stack"),
        "{err:#}"
    );
    assert!(stacks_sent(&clients).is_empty(), "no change set was made");
}
