//! The EKS steps against scripted answers: the manifests and the chart after the stacks,
//! the commands printed when the cluster cannot be reached, destroy's uninstall first, the
//! deploying principal's access entry.

use super::*;

/// Environment `eks-dev` of `config.example.yaml`: EKS Auto Mode, a public endpoint.
fn eks_deployment() -> crate::model::Deployment {
    let config = crate::config::parse(
        "config.example.yaml",
        include_str!("../../../config.example.yaml"),
    )
    .expect("the example is valid");
    config
        .deployments
        .into_iter()
        .find(|deployment| deployment.env == "eks-dev")
        .expect("an eks-dev environment")
}

/// A cloud whose EKS stacks answer with a plausible value for every output the plan wires
/// or fills a placeholder with.
fn eks_cloud(deployment: &crate::model::Deployment) -> FakeCloud {
    let plan = crate::plan::Plan::of(deployment);
    let mut wanted: Vec<crate::stacks::OutputRef> = plan
        .stacks
        .iter()
        .flat_map(|stack| stack.inputs.values().copied())
        .collect();
    wanted.extend(
        plan.kubernetes
            .as_ref()
            .expect("an EKS plan")
            .placeholders
            .values()
            .copied(),
    );
    use crate::stacks::hub::eks::hub_outputs as hub;
    use crate::stacks::StackId;
    for output in [
        hub::CLUSTER_NAME,
        hub::CLUSTER_ENDPOINT,
        hub::CLUSTER_CERTIFICATE_AUTHORITY,
        "HubUrl",
    ] {
        wanted.push(crate::stacks::OutputRef::new(StackId::Hub, output));
    }
    wanted.push(crate::stacks::OutputRef::new(
        StackId::Frame,
        "TemplateBucket",
    ));
    let mut outputs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for output in wanted {
        let value = match output.output {
            "ClusterName" => "jhub-eks-dev".to_string(),
            "ClusterEndpoint" => "https://ABC.gr7.eu-west-1.eks.amazonaws.com".to_string(),
            "ClusterCertificateAuthority" => "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t".to_string(),
            "HostedZoneId" => "ZSUB".to_string(),
            "HubUrl" => "https://hub.eks-dev.example.com/".to_string(),
            "TemplateBucket" => "tb".to_string(),
            other => format!("{}-{other}", output.stack.suffix()),
        };
        outputs
            .entry(plan.stack_name(output.stack))
            .or_default()
            .insert(output.output.to_string(), value);
    }
    FakeCloud {
        outputs,
        ..FakeCloud::default()
    }
}

fn eks_clients(deployment: &crate::model::Deployment) -> FakeAccounts {
    clients(eks_cloud(deployment), "123456789012")
}

fn lines(progress: &Collect) -> Vec<String> {
    progress.events().iter().map(ProgressEvent::line).collect()
}

fn position(lines: &[String], needle: &str) -> usize {
    lines
        .iter()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} in {lines:#?}"))
}

fn manifest_files(deployment: &crate::model::Deployment) -> Vec<String> {
    crate::plan::Plan::of(deployment)
        .kubernetes
        .expect("an EKS plan")
        .manifests
        .iter()
        .map(|manifest| format!("k8s/{}", manifest.file))
        .collect()
}

#[tokio::test]
async fn eks_deploy_applies_the_manifests_in_order_then_installs_the_chart_and_a_rerun_changes_nothing(
) {
    let deployment = eks_deployment();
    let clients = eks_clients(&deployment);
    let progress = Collect::default();
    let report = crate::deploy::deploy(&deployment, &clients, &progress, options())
        .await
        .unwrap();
    assert_eq!(report.changed.len(), 4, "{report:?}");
    assert_eq!(
        report.hub_url.as_deref(),
        Some("https://hub.eks-dev.example.com/")
    );
    let manifests = manifest_files(&deployment);
    assert!(manifests.len() >= 2, "{manifests:?}");
    assert_eq!(
        report.cluster,
        Some(crate::deploy::kube::ClusterOutcome::Installed {
            applied: manifests.clone(),
            unchanged_manifests: Vec::new(),
            upgraded: vec!["jupyterhub".to_string()],
            unchanged_releases: Vec::new(),
        })
    );
    // Each manifest compared, then applied, in order; then the release.
    let mut expected: Vec<String> = manifests
        .iter()
        .flat_map(|file| {
            [
                format!("kubectl diff {file}"),
                format!("kubectl apply {file}"),
            ]
        })
        .collect();
    expected.push("helm list jupyterhub".to_string());
    expected.push("helm upgrade jupyterhub".to_string());
    assert_eq!(clients.kube.calls(), expected);
    // After every stack, and nothing left to fill in what kubectl and helm were given.
    let lines = lines(&progress);
    assert!(
        position(&lines, "jhub-eks-dev-eks-addons: CREATE_COMPLETE")
            < position(
                &lines,
                "cluster jhub-eks-dev: k8s/00-namespace.yaml: applied"
            ),
        "{lines:#?}"
    );
    let files = clients.kube.files.lock().unwrap().clone();
    assert!(files
        .iter()
        .any(|(file, _)| file == "jupyterhub-values.yaml"));
    for (file, text) in &files {
        assert!(!text.contains("${"), "{file}: {text}");
    }
    let values = &files
        .iter()
        .find(|(file, _)| file == "jupyterhub-values.yaml")
        .unwrap()
        .1;
    assert!(values.contains("hub-CertificateArn"), "{values}");
    assert!(values.contains("hub-OAuthClientSecretArn"), "{values}");
    // Whoever deploys gets the cluster access entry: the role of its session.
    let requests = clients.cfn.requests.lock().unwrap().clone();
    let hub = requests
        .iter()
        .find(|r| r.stack_name == "jhub-eks-dev-hub")
        .expect("a hub change set");
    assert_eq!(
        hub.parameters["DeployerPrincipalArn"],
        "arn:aws:iam::123456789012:role/Deployer"
    );

    // Again: no stack changes, nothing applied or upgraded.
    let (cfn_before, kube_before) = (
        clients.cfn.mutating_calls().len(),
        clients.kube.changes().len(),
    );
    let progress = Collect::default();
    let again = crate::deploy::deploy(&deployment, &clients, &progress, options())
        .await
        .unwrap();
    assert_eq!(again.unchanged.len(), 4, "{again:?}");
    assert_eq!(clients.cfn.mutating_calls().len(), cfn_before);
    assert_eq!(
        clients.kube.changes().len(),
        kube_before,
        "{:?}",
        clients.kube.calls()
    );
    assert_eq!(
        again.cluster,
        Some(crate::deploy::kube::ClusterOutcome::Installed {
            applied: Vec::new(),
            unchanged_manifests: manifests,
            upgraded: Vec::new(),
            unchanged_releases: vec!["jupyterhub".to_string()],
        })
    );
    let lines = self::lines(&progress);
    position(
        &lines,
        "release jupyterhub: chart jupyterhub 4.4.0 with the same values is deployed; not upgraded",
    );
}

#[tokio::test]
async fn eks_without_kubectl_with_skip_helm_or_a_private_endpoint_prints_the_commands() {
    let mut private = eks_deployment();
    private
        .hub
        .eks
        .as_mut()
        .expect("an eks section")
        .endpoint_cidrs
        .clear();
    let cases: [(crate::model::Deployment, Vec<&'static str>, bool, &str); 3] = [
        (
            eks_deployment(),
            vec!["kubectl"],
            false,
            "kubectl not found on PATH",
        ),
        (eks_deployment(), Vec::new(), true, "--skip-helm was given"),
        (
            private,
            Vec::new(),
            false,
            "the cluster's API endpoint is private (hub.eks.endpoint_cidrs: [])",
        ),
    ];
    for (deployment, missing, skip_helm, why) in cases {
        let mut clients = eks_clients(&deployment);
        clients.kube.missing = missing;
        let progress = Collect::default();
        let options = crate::deploy::Options {
            skip_helm,
            ..options()
        };
        let report = crate::deploy::deploy(&deployment, &clients, &progress, options)
            .await
            .unwrap();
        assert_eq!(
            report.changed.len(),
            4,
            "the stacks are deployed: {report:?}"
        );
        let Some(crate::deploy::kube::ClusterOutcome::Pending {
            reason,
            dir,
            commands,
        }) = report.cluster
        else {
            panic!("{:?}", report.cluster);
        };
        assert!(reason.contains(why), "{reason}");
        assert!(
            clients.kube.calls().is_empty(),
            "{:?}",
            clients.kube.calls()
        );
        let kubeconfig = dir.join("kubeconfig");
        let mut expected: Vec<String> = manifest_files(&deployment)
            .iter()
            .map(|file| {
                format!(
                    "kubectl --kubeconfig {} apply --server-side --field-manager hubctl -f {}",
                    kubeconfig.display(),
                    dir.join(file).display()
                )
            })
            .collect();
        expected.push(format!(
            "helm upgrade --install jupyterhub jupyterhub --repo https://hub.jupyter.org/helm-chart/ --version 4.4.0 --namespace jupyterhub --values {} --kubeconfig {} --wait --timeout 15m",
            dir.join("jupyterhub-values.yaml").display(),
            kubeconfig.display()
        ));
        assert_eq!(commands, expected);
        // The files are there, filled, in a private directory under the OS temp dir.
        assert!(dir.starts_with(std::env::temp_dir()), "{}", dir.display());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        for file in manifest_files(&deployment)
            .iter()
            .chain(["jupyterhub-values.yaml".to_string()].iter())
        {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            assert!(!text.contains("${"), "{file}: {text}");
        }
        let config = std::fs::read_to_string(&kubeconfig).unwrap();
        assert!(
            config.contains("get-token") && !config.contains("k8s-aws-v1"),
            "{config}"
        );
        let lines = lines(&progress);
        let note = &lines[position(&lines, "the hub is not installed yet")];
        // The commands themselves come once, with the summary (the CLI prints them).
        assert!(
            note.contains(why)
                && !note.contains(&commands[0])
                && note.contains(&format!("the {} commands", commands.len())),
            "{note}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[tokio::test]
async fn a_failed_helm_upgrade_names_the_release_and_quotes_helms_stderr() {
    let deployment = eks_deployment();
    let mut clients = eks_clients(&deployment);
    clients.kube.answers.insert(
        "helm upgrade jupyterhub".to_string(),
        crate::deploy::api::Ran {
            code: Some(1),
            stdout: String::new(),
            stderr: "Error: UPGRADE FAILED: context deadline exceeded\n".to_string(),
        },
    );
    // The stacks' outputs survive the failure (the CLI prints and writes them, then fails).
    let report = crate::deploy::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    assert!(report.outputs.iter().count() >= 4, "{:?}", report.outputs);
    let Some(crate::deploy::kube::ClusterOutcome::Failed { error: message }) = report.cluster
    else {
        panic!("the cluster step did not fail: {:?}", report.cluster);
    };
    assert!(
        message.contains("helm upgrade --install of release jupyterhub (chart jupyterhub 4.4.0")
            && message.contains("exit 1")
            && message.ends_with("Error: UPGRADE FAILED: context deadline exceeded"),
        "{message}"
    );
}

#[tokio::test]
async fn a_missing_output_names_the_placeholder_and_its_stack() {
    let deployment = eks_deployment();
    let mut cloud = eks_cloud(&deployment);
    cloud
        .outputs
        .get_mut("jhub-eks-dev-hub")
        .unwrap()
        .remove("CertificateArn");
    let clients = clients(cloud, "123456789012");
    let report = crate::deploy::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    let Some(crate::deploy::kube::ClusterOutcome::Failed { error }) = report.cluster else {
        panic!("the cluster step did not fail: {:?}", report.cluster);
    };
    assert_eq!(
        error,
        "jupyterhub-values.yaml: placeholder ${hub.CertificateArn} has no value: stack jhub-eks-dev-hub has no output CertificateArn"
    );
    assert!(clients.kube.calls().is_empty());
}

#[tokio::test]
async fn eks_destroy_uninstalls_the_chart_and_waits_for_the_ingress_before_the_addons_stack_goes() {
    let deployment = eks_deployment();
    let mut clients = eks_clients(&deployment);
    clients.kube.ingress_reads = 2;
    let security_group = "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123".to_string();
    clients.tagging.tagged.insert(
        ("kubernetes.io/cluster/jhub-eks-dev".to_string(), None),
        vec![security_group.clone()],
    );
    crate::deploy::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    let deployed = clients.kube.calls().len();
    let progress = Collect::default();
    let report = crate::deploy::destroy(&deployment, &clients, &progress, options())
        .await
        .unwrap();
    assert!(
        clients.cfn.live.lock().unwrap().is_empty(),
        "every stack is gone"
    );
    assert_eq!(
        report.deleted,
        [
            "jhub-eks-dev-eks-addons",
            "jhub-eks-dev-hub",
            "jhub-eks-dev-dns",
            "jhub-eks-dev-frame"
        ]
    );
    // The release first, then the ingress waited out, then the manifests in reverse.
    let mut expected = vec![
        "helm status jupyterhub".to_string(),
        "helm uninstall jupyterhub".to_string(),
    ];
    expected.extend(std::iter::repeat_n("kubectl get ingress".to_string(), 4));
    // The users' servers go before the claim they mount.
    expected.push("kubectl delete pods component=singleuser-server".to_string());
    expected.extend(
        manifest_files(&deployment)
            .iter()
            .rev()
            .map(|file| format!("kubectl delete {file}")),
    );
    expected.push("kubectl get persistentvolumes".to_string());
    assert_eq!(clients.kube.calls()[deployed..], expected[..]);
    let lines = lines(&progress);
    let started = position(&lines, "jhub-eks-dev-eks-addons: started");
    assert!(
        position(&lines, "release jupyterhub: uninstalled") < started,
        "{lines:#?}"
    );
    assert!(position(&lines, "no ingress left in namespace jupyterhub") < started);
    assert!(position(&lines, "k8s/00-namespace.yaml: deleted") < started);
    // What the controllers left is reported, not a failure.
    assert_eq!(
        report.still_tagged,
        [format!(
            "{security_group} (tagged kubernetes.io/cluster/jhub-eks-dev)"
        )]
    );
    assert!(
        position(
            &lines,
            "may still exist after destroy (the tagging index lags by minutes): arn:aws:ec2"
        ) > position(&lines, "jhub-eks-dev-frame: started")
    );

    // Again, after everything went: no cluster, nothing to uninstall, no error.
    let progress = Collect::default();
    crate::deploy::destroy(&deployment, &clients, &progress, options())
        .await
        .unwrap();
    assert_eq!(clients.kube.calls().len(), deployed + expected.len());
}

#[tokio::test]
async fn an_ingress_that_stays_stops_destroy_before_the_addons_stack_goes() {
    let deployment = eks_deployment();
    let mut clients = eks_clients(&deployment);
    clients.kube.ingress_reads = 1_000_000;
    crate::deploy::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    let err = crate::deploy::destroy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("ingress jupyterhub in namespace jupyterhub still there after")
            && message.contains("re-run destroy"),
        "{message}"
    );
    assert!(
        !clients
            .cfn
            .calls
            .lock()
            .unwrap()
            .iter()
            .any(|c| c.starts_with("DeleteStack")),
        "no stack was deleted"
    );
}

#[tokio::test]
async fn destroy_of_a_private_cluster_stops_before_any_stack_goes_unless_skip_helm() {
    let mut deployment = eks_deployment();
    deployment
        .hub
        .eks
        .as_mut()
        .expect("an eks section")
        .endpoint_cidrs
        .clear();
    let clients = eks_clients(&deployment);
    let report = crate::deploy::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    if let Some(crate::deploy::kube::ClusterOutcome::Pending { dir, .. }) = &report.cluster {
        std::fs::remove_dir_all(dir).unwrap();
    }
    let err = crate::deploy::destroy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("the cluster's API endpoint is private")
            && message.contains("no stack was deleted")
            && message.contains("helm uninstall jupyterhub --namespace jupyterhub --wait")
            && message.contains("--skip-helm"),
        "{message}"
    );
    // The commands name files filled from the live stacks, in a directory that stays.
    let dir = message
        .split_once("With the files in ")
        .and_then(|(_, rest)| rest.split_once(" (a kubeconfig"))
        .map(|(dir, _)| std::path::PathBuf::from(dir))
        .expect("the directory");
    let storage = std::fs::read_to_string(dir.join("k8s/10-storage.yaml")).unwrap();
    assert!(!storage.contains("${"), "{storage}");
    assert!(message.contains(&format!(
        "-f {}",
        dir.join("k8s/00-namespace.yaml").display()
    )));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!clients
        .cfn
        .calls
        .lock()
        .unwrap()
        .iter()
        .any(|c| c.starts_with("DeleteStack")));
    assert!(clients.kube.calls().is_empty());

    let progress = Collect::default();
    let skip = crate::deploy::Options {
        skip_helm: true,
        ..options()
    };
    crate::deploy::destroy(&deployment, &clients, &progress, skip)
        .await
        .unwrap();
    assert!(clients.cfn.live.lock().unwrap().is_empty());
    assert!(clients.kube.calls().is_empty());
    let lines = lines(&progress);
    assert!(
        position(
            &lines,
            "WARNING: --skip-helm: the releases are not uninstalled"
        ) < position(&lines, "jhub-eks-dev-eks-addons: started")
    );
}

#[test]
fn the_deployer_is_the_principal_an_access_entry_names() {
    use crate::deploy::deployer_principal as principal;
    let admins = vec![
        "arn:aws:iam::123456789012:role/PlatformAdmin".to_string(),
        "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123abcd".to_string(),
    ];
    // A user as it is; a session as its role; an admin role (any path) as nobody.
    assert_eq!(
        principal("arn:aws:iam::123456789012:user/ci/deployer", &admins).unwrap(),
        "arn:aws:iam::123456789012:user/ci/deployer"
    );
    assert_eq!(
        principal(
            "arn:aws:sts::123456789012:assumed-role/Deployer/alice",
            &admins
        )
        .unwrap(),
        "arn:aws:iam::123456789012:role/Deployer"
    );
    assert_eq!(
        principal(
            "arn:aws:sts::123456789012:assumed-role/PlatformAdmin/alice",
            &admins
        )
        .unwrap(),
        ""
    );
    assert_eq!(
        principal(
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123abcd/alice@example.com",
            &admins
        )
        .unwrap(),
        ""
    );
    // The same name in another account is another role.
    assert_eq!(
        principal(
            "arn:aws:sts::999999999999:assumed-role/PlatformAdmin/x",
            &admins
        )
        .unwrap(),
        "arn:aws:iam::999999999999:role/PlatformAdmin"
    );
    assert_eq!(
        principal("arn:aws-cn:sts::123456789012:assumed-role/Deployer/x", &[]).unwrap(),
        "arn:aws-cn:iam::123456789012:role/Deployer"
    );
    // An SSO role no admin role names: its path is unknown here, and EKS needs it.
    let err = principal(
        "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ReadOnly_99/bob",
        &admins,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("aws iam get-role --role-name AWSReservedSSO_ReadOnly_99 --query Role.Arn")
            && err.contains("hub.eks.admin_roles")
            && err.contains("nothing was changed")
            && !err.contains('\n'),
        "{err}"
    );
    assert!(principal("arn:aws:iam::123456789012:root", &admins).is_err());
    assert!(principal("arn:aws:sts::123456789012:federated-user/bob", &admins).is_err());
}

#[tokio::test]
async fn an_sso_deployer_without_an_admin_role_stops_the_deploy_before_any_change() {
    let deployment = eks_deployment();
    let mut clients = eks_clients(&deployment);
    clients.identity.arn =
        "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_42/alice".to_string();
    let err = crate::deploy::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap_err();
    assert!(
        err.downcast_ref::<crate::deploy::DeployerUnusable>()
            .is_some(),
        "{err:#}"
    );
    assert!(clients.cfn.calls.lock().unwrap().is_empty());
    // An ECS environment has no deployer parameter and never asks.
    let ecs = ecs_deployment(1);
    let mut clients = clients_for_ecs();
    clients.identity.arn = "arn:aws:iam::123456789012:root".to_string();
    crate::deploy::deploy(&ecs, &clients, &Collect::default(), options())
        .await
        .unwrap();
}

fn clients_for_ecs() -> FakeAccounts {
    clients(cloud(&[]), "123456789012")
}

#[tokio::test]
async fn a_record_external_dns_leaves_stops_destroy_before_the_addons_stack_goes() {
    let deployment = eks_deployment();
    let clients = eks_clients(&deployment);
    crate::deploy::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    let alias = crate::deploy::api::Record {
        name: "hub.eks-dev.example.com.".to_string(),
        kind: "A".to_string(),
        ttl: 0,
        values: Vec::new(),
    };
    let owner = crate::deploy::api::Record {
        name: "a-hub.eks-dev.example.com.".to_string(),
        kind: "TXT".to_string(),
        ttl: 300,
        values: vec!["\"heritage=external-dns,external-dns/owner=jhub-eks-dev\"".to_string()],
    };
    let validation = cname(
        "_3f1a.hub.eks-dev.example.com.",
        "_9c2b.zfyfvmchrl.acm-validations.aws.",
    );
    clients
        .dns
        .other_records
        .lock()
        .unwrap()
        .insert("ZSUB".to_string(), vec![alias, owner, validation]);
    let err = crate::deploy::destroy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains(
            "hub.eks-dev.example.com. A, a-hub.eks-dev.example.com. TXT are still in the subzone"
        ) && !message.contains("_3f1a")
            && message.contains("no stack was deleted"),
        "{message}"
    );
    assert!(!clients
        .cfn
        .calls
        .lock()
        .unwrap()
        .iter()
        .any(|c| c.starts_with("DeleteStack")));
}

#[tokio::test]
async fn a_new_access_entry_refused_at_first_is_waited_for() {
    let deployment = eks_deployment();
    let clients = eks_clients(&deployment);
    *clients.kube.refusals.lock().unwrap() = 2;
    let report = crate::deploy::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    assert!(matches!(
        report.cluster,
        Some(crate::deploy::kube::ClusterOutcome::Installed { .. })
    ));
    let calls = clients.kube.calls();
    assert_eq!(
        calls[..3],
        [
            "kubectl refused",
            "kubectl refused",
            "kubectl diff k8s/00-namespace.yaml"
        ]
    );
    // Each retry signs a fresh token.
    assert!(*clients.identity.tokens.lock().unwrap() >= 3);
}

#[tokio::test]
async fn destroy_of_a_protected_environment_is_refused_before_anything_goes() {
    let mut deployment = eks_deployment();
    deployment.hub.deletion_protection = true;
    let clients = eks_clients(&deployment);
    crate::deploy::deploy(&deployment, &clients, &Collect::default(), options())
        .await
        .unwrap();
    let deployed = clients.kube.calls().len();
    let before = clients.cfn.mutating_calls().len();
    let err = crate::deploy::destroy(&deployment, &clients, &Collect::default(), options())
        .await
        .expect_err("a protected cluster is refused");
    let message = format!("{err:#}");
    assert!(
        message.contains("nothing was deleted")
            && message.contains("jhub-eks-dev-hub Cluster (AWS::EKS::Cluster)")
            && message.contains("hub.deletion_protection: false"),
        "{message}"
    );
    assert_eq!(
        clients.cfn.mutating_calls().len(),
        before,
        "a stack was touched"
    );
    assert_eq!(
        clients.kube.calls().len(),
        deployed,
        "the cluster was touched"
    );
    assert_eq!(clients.cfn.live.lock().unwrap().len(), 4);
}
