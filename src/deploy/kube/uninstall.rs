//! Destroy's step before the eks-addons stack goes: the releases uninstalled, the users'
//! servers stopped, what the controllers made waited out, the manifests deleted; and what
//! is still tagged with the cluster afterwards.

use super::*;

/// Destroy's step before the eks-addons stack goes: the releases uninstalled (the hub's
/// first), until the hub's namespace holds no Ingress (the load balancer controller removes
/// its finalizer once the load balancer, its target groups and security groups are deleted)
/// and the subzone no record external-dns wrote; then the manifests' objects deleted in
/// reverse and the volumes of their storage classes gone. `cluster_output` is the hub
/// stack's output with the cluster's name. A cluster or release that is gone already is not
/// an error. With a private endpoint, or without kubectl or helm, it stops (nothing deleted
/// yet) and says what to run; `--skip-helm` skips it with a warning.
pub async fn uninstall(
    cloud: &impl Cloud,
    progress: &impl Progress,
    timing: Timing,
    plan: &Plan<'_>,
    cluster_output: &'static str,
    skip_helm: bool,
) -> Result<()> {
    let Some(kubernetes) = &plan.kubernetes else {
        return Ok(());
    };
    let outputs = live_outputs(cloud.cfn(), plan).await?;
    let name = kubernetes.cluster.clone();
    let Some(cluster) = Cluster::of(
        |output| hub_output(&outputs, output),
        cluster_output,
        &plan.deployment.region,
    ) else {
        report(
            progress,
            &name,
            format!(
                "stack {} holds no cluster (gone, or never made): nothing to uninstall",
                plan.stack_name(StackId::Hub)
            ),
        );
        return Ok(());
    };
    let name = cluster.name.clone();
    if skip_helm {
        report(
            progress,
            &name,
            "WARNING: --skip-helm: the releases are not uninstalled, so the load balancer, target groups and security groups their controllers made may be left behind (and keep the VPC and the subzone from being deleted); destroy reports what is still tagged with the cluster's name at the end".to_string(),
        );
        return Ok(());
    }
    let filled = fill(kubernetes, plan, &outputs, false)?;
    let prefix = format!("hubctl-{}-", plan.deployment.stack_name("cluster"));
    if let Some(reason) = blocked(cloud.kube(), plan, false) {
        // What to run instead, with the files filled from the live stacks.
        let dir = private_dir(&prefix)?.keep();
        let kubeconfig = dir.join("kubeconfig");
        write_private(&kubeconfig, &kubeconfig_yaml(&cluster, Credential::AwsCli))?;
        let written = write_files(&dir, &filled)?;
        let mut commands: Vec<String> = kubernetes
            .releases
            .iter()
            .rev()
            .map(|release| command_line(HELM, &uninstall_args(release, &kubeconfig)))
            .collect();
        commands.push(format!(
            "{} (until it lists none)",
            command_line(
                KUBECTL,
                &kubectl_args(
                    &kubeconfig,
                    &["get", "ingress", "--namespace", &kubernetes.namespace]
                )
            )
        ));
        commands.extend(
            written
                .manifests
                .iter()
                .rev()
                .map(|(_, path)| command_line(KUBECTL, &delete_args(&kubeconfig, path))),
        );
        bail!(
            "cannot uninstall the releases of cluster {name} from here: {reason}. Deleting the stacks first would leave the load balancer, target groups and security groups its controllers made behind, so no stack was deleted. With the files in {} (a kubeconfig that runs `aws eks get-token`), run:\n  {}\nthen destroy again with --skip-helm",
            dir.display(),
            commands.join("\n  ")
        );
    }
    empty_cluster(cloud, progress, timing, plan, kubernetes, cluster, &filled, &outputs)
        .await
        .with_context(|| {
            format!("cannot empty cluster {name} before its stacks go (no stack was deleted; fix the cause and destroy again, or destroy with --skip-helm to leave what its controllers made)")
        })
}

/// Destroy's work in a reachable cluster (see [`uninstall`]).
#[allow(clippy::too_many_arguments)]
pub(super) async fn empty_cluster(
    cloud: &impl Cloud,
    progress: &impl Progress,
    timing: Timing,
    plan: &Plan<'_>,
    kubernetes: &Kubernetes,
    cluster: Cluster,
    filled: &Filled,
    outputs: &Outputs,
) -> Result<()> {
    let name = cluster.name.clone();
    let prefix = format!("hubctl-{}-", plan.deployment.stack_name("cluster"));
    let session = Session::open(cloud, cluster, &prefix, filled, timing).await?;
    let patience = timing.timeout.min(CONTROLLER_PATIENCE);
    for release in kubernetes.releases.iter().rev() {
        let status = session
            .helm(&["status", &release.name, "--namespace", &release.namespace])
            .await?;
        if !status.ok() {
            if !release_missing(&status) {
                bail!(
                    "helm status {} --namespace {} failed ({}): {}",
                    release.name,
                    release.namespace,
                    exit(&status),
                    tail(&status.stderr)
                );
            }
            report(
                progress,
                &name,
                format!("release {}: not installed", release.name),
            );
        } else {
            report(
                progress,
                &name,
                format!(
                    "release {}: helm uninstall (waits up to {HELM_TIMEOUT})",
                    release.name
                ),
            );
            let ran = session
                .run(HELM, &uninstall_args(release, &session.kubeconfig))
                .await?;
            if !ran.ok() && !release_missing(&ran) {
                bail!(
                    "helm uninstall of release {} failed ({}): {}",
                    release.name,
                    exit(&ran),
                    tail(&ran.stderr)
                );
            }
            report(
                progress,
                &name,
                format!("release {}: uninstalled", release.name),
            );
        }
        // Before the next release (the load balancer controller) goes: it holds the
        // ingress's finalizer until its load balancer is deleted.
        wait_for_no_ingress(
            &session,
            progress,
            timing.poll,
            patience,
            &kubernetes.namespace,
        )
        .await?;
    }
    // The chart leaves the users' servers running (the hub does not stop them when it goes:
    // `cleanup_servers` is off), and they hold the homes' claim: stop them first.
    let ran = session
        .kubectl(&[
            "delete",
            "pods",
            "--namespace",
            &kubernetes.namespace,
            "--selector",
            "component=singleuser-server",
            "--ignore-not-found",
            "--wait=true",
            "--timeout=10m",
        ])
        .await?;
    if !ran.ok() && !kind_unknown(&ran) {
        bail!(
            "stopping the users' servers (kubectl delete pods -l component=singleuser-server -n {}) failed ({}): {}",
            kubernetes.namespace,
            exit(&ran),
            tail(&ran.stderr)
        );
    }
    let stopped = ran
        .stdout
        .lines()
        .filter(|line| line.contains("deleted"))
        .count();
    report(
        progress,
        &name,
        format!("users' servers stopped: {stopped}"),
    );
    wait_for_no_dns_records(
        cloud.dns(),
        progress,
        timing,
        patience,
        plan,
        outputs,
        &name,
    )
    .await?;
    for (file, path) in session.written.manifests.iter().rev() {
        let ran = session
            .run(KUBECTL, &delete_args(&session.kubeconfig, path))
            .await?;
        if !ran.ok() {
            if kind_unknown(&ran) {
                report(
                    progress,
                    &name,
                    format!("{file}: the cluster does not know its kinds; nothing to delete"),
                );
                continue;
            }
            bail!(
                "kubectl delete -f {file} failed ({}): {}",
                exit(&ran),
                tail(&ran.stderr)
            );
        }
        let said: Vec<&str> = ran.stdout.lines().map(str::trim).collect();
        report(
            progress,
            &name,
            if said.is_empty() {
                format!("{file}: nothing left to delete")
            } else {
                format!("{file}: {}", said.join(", "))
            },
        );
    }
    let classes: BTreeSet<String> = kubernetes
        .manifests
        .iter()
        .flat_map(|manifest| &manifest.objects)
        .filter(|object| object["kind"] == "StorageClass")
        .filter_map(|object| object["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    wait_for_no_volumes(&session, progress, timing.poll, patience, &classes).await
}

pub(super) async fn wait_for_no_ingress<C: Cloud>(
    session: &Session<'_, C>,
    progress: &impl Progress,
    poll: Duration,
    patience: Duration,
    namespace: &str,
) -> Result<()> {
    let started = Instant::now();
    let mut waited = false;
    loop {
        let ran = session
            .kubectl(&[
                "get",
                "ingress",
                "--namespace",
                namespace,
                "--output",
                "json",
            ])
            .await?;
        let left = items(&ran, &format!("ingress --namespace {namespace}"))?;
        if left.is_empty() {
            if waited {
                report(
                    progress,
                    &session.cluster.name,
                    format!(
                        "no ingress left in namespace {namespace}: the controller deleted its load balancer, target groups and security groups ({}s)",
                        started.elapsed().as_secs()
                    ),
                );
            }
            return Ok(());
        }
        let names: Vec<String> = left.iter().map(object_name).collect();
        if started.elapsed() >= patience {
            bail!(
                "ingress {} in namespace {namespace} still there after {}s: its controller has not deleted its load balancer (the finalizer stays until it has); see `kubectl describe ingress --namespace {namespace}` and the controller's log, then re-run destroy",
                names.join(", "),
                patience.as_secs()
            );
        }
        if !waited {
            report(
                progress,
                &session.cluster.name,
                format!(
                    "waiting for ingress {} in namespace {namespace} to go (its controller deletes the load balancer, target groups and security groups first)",
                    names.join(", ")
                ),
            );
            waited = true;
        }
        tokio::time::sleep(poll).await;
    }
}

pub(super) async fn wait_for_no_volumes<C: Cloud>(
    session: &Session<'_, C>,
    progress: &impl Progress,
    poll: Duration,
    patience: Duration,
    classes: &BTreeSet<String>,
) -> Result<()> {
    if classes.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let mut first = true;
    loop {
        let ran = session
            .kubectl(&["get", "persistentvolumes", "--output", "json"])
            .await?;
        let volumes = items(&ran, "persistentvolumes")?;
        if first {
            first = false;
            for kept in volumes.iter().filter(|volume| {
                volume["spec"]["storageClassName"]
                    .as_str()
                    .is_some_and(|class| classes.contains(class))
                    && volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
            }) {
                report(
                    progress,
                    &session.cluster.name,
                    format!(
                        "kept by its storage class (storage.retain): volume {} (EBS {})",
                        object_name(kept),
                        kept["spec"]["csi"]["volumeHandle"].as_str().unwrap_or("?")
                    ),
                );
            }
        }
        let left: Vec<String> = volumes
            .iter()
            .filter(|volume| {
                volume["spec"]["storageClassName"]
                    .as_str()
                    .is_some_and(|class| classes.contains(class))
                    // A volume its class retains (`storage.retain`) stays by design: it is
                    // reported as kept, not waited for.
                    && volume["spec"]["persistentVolumeReclaimPolicy"] != "Retain"
            })
            .map(object_name)
            .collect();
        if left.is_empty() {
            return Ok(());
        }
        if started.elapsed() >= patience {
            bail!(
                "volume(s) {} of storage class(es) {} still there after {}s: their EBS volumes may not be deleted; see `kubectl describe pv`, then re-run destroy",
                left.join(", "),
                classes.iter().cloned().collect::<Vec<_>>().join(", "),
                patience.as_secs()
            );
        }
        report(
            progress,
            &session.cluster.name,
            format!("waiting for volume(s) {} to be deleted", left.join(", ")),
        );
        tokio::time::sleep(poll).await;
    }
}

/// A record external-dns wrote in the subzone: the hub's name, or its ownership TXT.
pub(super) fn written_by_external_dns(record: &crate::deploy::api::Record, host: &str) -> bool {
    let name = crate::deploy::delegation::normalize(std::slice::from_ref(&record.name));
    match record.kind.as_str() {
        "A" | "AAAA" | "CNAME" => name.first().is_some_and(|name| name == host),
        "TXT" => record
            .values
            .iter()
            .any(|value| value.contains("heritage=external-dns")),
        _ => false,
    }
}

/// Waits until the subzone holds none of the hub's records external-dns wrote (it removes
/// them once the ingress is gone; left, they keep the zone from being deleted).
pub(super) async fn wait_for_no_dns_records(
    dns: &impl Dns,
    progress: &impl Progress,
    timing: Timing,
    patience: Duration,
    plan: &Plan<'_>,
    outputs: &Outputs,
    cluster: &str,
) -> Result<()> {
    let Some(zone) = outputs.get(plan.delegation.zone_id) else {
        return Ok(());
    };
    let host = plan.deployment.dns.hub_host.to_string();
    let started = Instant::now();
    let mut waited = false;
    loop {
        let left: Vec<String> = dns
            .records(zone)
            .await?
            .iter()
            .filter(|record| written_by_external_dns(record, &host))
            .map(|record| format!("{} {}", record.name, record.kind))
            .collect();
        if left.is_empty() {
            if waited {
                report(
                    progress,
                    cluster,
                    format!(
                        "external-dns removed the hub's records from the subzone ({}s)",
                        started.elapsed().as_secs()
                    ),
                );
            }
            return Ok(());
        }
        if started.elapsed() >= patience {
            bail!(
                "record(s) {} are still in the subzone {}s after the ingress went: external-dns has not removed them (see its log: `kubectl logs --namespace external-dns deployment/external-dns`); delete them, then re-run destroy",
                left.join(", "),
                patience.as_secs()
            );
        }
        if !waited {
            report(
                progress,
                cluster,
                format!(
                    "waiting for external-dns to remove {} from the subzone",
                    left.join(", ")
                ),
            );
            waited = true;
        }
        tokio::time::sleep(timing.poll).await;
    }
}

/// The tags the cluster's controllers put on what they make, each a (key, value) filter of
/// the Resource Groups Tagging API (a key alone matches any value).
pub fn cluster_tags(cluster: &str) -> Vec<(String, Option<String>)> {
    vec![
        (
            "elbv2.k8s.aws/cluster".to_string(),
            Some(cluster.to_string()),
        ),
        (
            "eks:eks-cluster-name".to_string(),
            Some(cluster.to_string()),
        ),
        (format!("kubernetes.io/cluster/{cluster}"), None),
    ]
}
