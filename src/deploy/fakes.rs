//! Scripted stand-ins for the AWS traits, for what `moto_server` cannot show: per-resource
//! event streams, failures, rollbacks, retries that already went through, slow changes.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use anyhow::{anyhow, Result};

use super::api::{
    Artifacts, AssumeRole, CertificateState, Certificates, Cfn, ChangeSetRequest, ChangeSetState,
    Cloud, Dns, Identity, Kube, LiveStack, NsChange, Ran, Record, Service, StackEvent, StackStatus,
    Tagging, Task, Tasks, TemplateSource,
};

/// A CloudFormation whose answers follow a script.
#[derive(Default)]
pub struct FakeCfn {
    /// Every call made, in order (`CreateChangeSet stack`, ...).
    pub calls: Mutex<Vec<String>>,
    /// What DescribeStacks answers, one entry per call (the last one repeats).
    pub stacks: Mutex<VecDeque<Option<LiveStack>>>,
    /// The deployed template body.
    pub template: Mutex<String>,
    /// Events; they become visible `events_per_poll` at a time, newest first when listed.
    pub events: Mutex<Vec<StackEvent>>,
    /// How many events each DescribeStackEvents call reveals.
    pub events_per_poll: usize,
    /// What DescribeChangeSet answers, one per call (the last one repeats).
    pub change_set: Mutex<VecDeque<ChangeSetState>>,
    /// ExecuteChangeSet fails with this error (its first attempt went through).
    pub execute_error: Option<String>,
    /// How many events have been revealed so far.
    pub revealed: Mutex<usize>,
    /// Every change set request, in order.
    pub requests: Mutex<Vec<ChangeSetRequest>>,
    /// CreateChangeSet fails with this error.
    pub create_error: Option<String>,
}

/// The guarded value; a test that panicked while holding the lock does not hide it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn next<T: Clone>(queue: &Mutex<VecDeque<T>>) -> Option<T> {
    let mut queue = lock(queue);
    if queue.len() > 1 {
        queue.pop_front()
    } else {
        queue.front().cloned()
    }
}

impl FakeCfn {
    fn call(&self, what: String) {
        lock(&self.calls).push(what);
    }

    /// The calls that change something.
    pub fn mutating_calls(&self) -> Vec<String> {
        mutating(&self.calls)
    }
}

/// The calls in `calls` that change something.
fn mutating(calls: &Mutex<Vec<String>>) -> Vec<String> {
    lock(calls)
        .iter()
        .filter(|c| {
            ["Create", "Execute", "Delete", "Update"]
                .iter()
                .any(|verb| c.starts_with(verb))
        })
        .cloned()
        .collect()
}

/// A stack in `status` with these outputs.
pub fn stack(status: &str, outputs: &[(&str, &str)]) -> Option<LiveStack> {
    Some(LiveStack {
        status: StackStatus::parse(status),
        outputs: outputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..LiveStack::default()
    })
}

/// An event.
pub fn event(id: &str, logical_id: &str, status: &str, reason: Option<&str>) -> StackEvent {
    StackEvent {
        id: id.to_string(),
        logical_id: logical_id.to_string(),
        resource_type: "AWS::EC2::VPC".to_string(),
        physical_id: None,
        status: status.to_string(),
        reason: reason.map(str::to_string),
        timestamp: String::new(),
    }
}

impl Cfn for FakeCfn {
    async fn describe_stack(&self, name: &str) -> Result<Option<LiveStack>> {
        self.call(format!("DescribeStacks {name}"));
        Ok(next(&self.stacks).flatten())
    }

    async fn get_template(&self, name: &str) -> Result<String> {
        self.call(format!("GetTemplate {name}"));
        Ok(lock(&self.template).clone())
    }

    async fn create_change_set(&self, request: &ChangeSetRequest) -> Result<()> {
        self.call(format!(
            "CreateChangeSet {} create={}",
            request.stack_name, request.create
        ));
        lock(&self.requests).push(request.clone());
        match &self.create_error {
            Some(error) => Err(anyhow!(error.clone())),
            None => Ok(()),
        }
    }

    async fn describe_change_set(&self, stack: &str, _change_set: &str) -> Result<ChangeSetState> {
        self.call(format!("DescribeChangeSet {stack}"));
        next(&self.change_set).ok_or_else(|| anyhow!("no change set scripted"))
    }

    async fn execute_change_set(&self, stack: &str, _change_set: &str) -> Result<()> {
        self.call(format!("ExecuteChangeSet {stack}"));
        match &self.execute_error {
            Some(error) => Err(anyhow!(error.clone())),
            None => Ok(()),
        }
    }

    async fn delete_change_set(&self, stack: &str, _change_set: &str) -> Result<()> {
        self.call(format!("DeleteChangeSet {stack}"));
        Ok(())
    }

    async fn stack_events(&self, name: &str, limit: usize) -> Result<Vec<StackEvent>> {
        self.call(format!("DescribeStackEvents {name}"));
        // Like CloudFormation: the operation's events appear once it runs.
        if !lock(&self.calls)
            .iter()
            .any(|c| c.starts_with("ExecuteChangeSet") || c.starts_with("DeleteStack"))
        {
            return Ok(Vec::new());
        }
        let events = lock(&self.events);
        let mut revealed = lock(&self.revealed);
        *revealed = (*revealed + self.events_per_poll.max(1)).min(events.len());
        Ok(events[..*revealed]
            .iter()
            .rev()
            .take(limit)
            .cloned()
            .collect())
    }

    async fn delete_stack(&self, name: &str) -> Result<()> {
        self.call(format!("DeleteStack {name}"));
        Ok(())
    }
}

/// An NS record: TTL and values.
pub type NsRecord = (i64, Vec<String>);

/// A Route 53 with zones and NS records in memory.
#[derive(Default)]
pub struct FakeDns {
    /// Name servers by zone id.
    pub zones: BTreeMap<String, Vec<String>>,
    /// Public zone ids by name.
    pub zones_by_name: BTreeMap<String, Vec<String>>,
    /// NS records: (zone id, name) → (ttl, values).
    pub records: Mutex<BTreeMap<(String, String), NsRecord>>,
    /// How many GetChange calls answer PENDING before INSYNC.
    pub pending_polls: Mutex<usize>,
    /// Every change made.
    pub changes: Mutex<Vec<String>>,
    /// AccessDenied answers to ChangeResourceRecordSets left (a role whose policy does not
    /// name the subzone yet).
    pub change_denials: Mutex<usize>,
    /// Whether those denials are explicit (an SCP), as AWS words them.
    pub explicit_deny: bool,
    /// Other record sets by zone id (what `records` lists besides the NS records).
    pub other_records: Mutex<BTreeMap<String, Vec<Record>>>,
}

impl Dns for FakeDns {
    async fn name_servers(&self, zone_id: &str) -> Result<Vec<String>> {
        self.zones
            .get(zone_id)
            .cloned()
            .ok_or_else(|| anyhow!("NoSuchHostedZone {zone_id}"))
    }

    async fn public_zones_named(&self, name: &str) -> Result<Vec<String>> {
        Ok(self.zones_by_name.get(name).cloned().unwrap_or_default())
    }

    async fn ns_record(&self, zone_id: &str, name: &str) -> Result<Option<(i64, Vec<String>)>> {
        Ok(lock(&self.records)
            .get(&(zone_id.to_string(), name.to_string()))
            .cloned())
    }

    async fn change_ns(
        &self,
        zone_id: &str,
        name: &str,
        change: NsChange,
        ttl: i64,
        values: &[String],
    ) -> Result<String> {
        {
            let mut denials = lock(&self.change_denials);
            if *denials > 0 {
                *denials -= 1;
                let why = if self.explicit_deny {
                    " with an explicit deny in a service control policy"
                } else {
                    " because no identity-based policy allows the route53:ChangeResourceRecordSets action"
                };
                return Err(anyhow!("ChangeResourceRecordSets {zone_id}: AccessDenied: not authorized to perform route53:ChangeResourceRecordSets{why}"));
            }
        }
        let key = (zone_id.to_string(), name.to_string());
        let mut records = lock(&self.records);
        match change {
            NsChange::Upsert => {
                records.insert(key, (ttl, values.to_vec()));
            }
            NsChange::Delete => {
                records.remove(&key);
            }
        }
        lock(&self.changes).push(format!("{change:?} {name}"));
        Ok("C1".to_string())
    }

    async fn change_in_sync(&self, _change_id: &str) -> Result<bool> {
        let mut pending = lock(&self.pending_polls);
        if *pending == 0 {
            return Ok(true);
        }
        *pending -= 1;
        Ok(false)
    }

    async fn records(&self, zone_id: &str) -> Result<Vec<Record>> {
        let mut records: Vec<Record> = lock(&self.records)
            .iter()
            .filter(|((zone, _), _)| zone == zone_id)
            .map(|((_, name), (ttl, values))| Record {
                name: format!("{name}."),
                kind: "NS".to_string(),
                ttl: *ttl,
                values: values.clone(),
            })
            .collect();
        records.extend(
            lock(&self.other_records)
                .get(zone_id)
                .cloned()
                .unwrap_or_default(),
        );
        Ok(records)
    }

    async fn delete_record(&self, zone_id: &str, record: &Record) -> Result<String> {
        let mut all = lock(&self.other_records);
        let records = all.entry(zone_id.to_string()).or_default();
        let before = records.len();
        records.retain(|r| r != record);
        if records.len() == before {
            return Err(anyhow!(
                "ChangeResourceRecordSets {zone_id}: InvalidChangeBatch: {} not found",
                record.name
            ));
        }
        lock(&self.changes).push(format!("Delete {} {}", record.kind, record.name));
        Ok("C2".to_string())
    }
}

/// An ECS cluster's tasks: each StopTask marks the task's desired status STOPPED, and the
/// task reaches STOPPED after `polls_to_stop` further reads (as ECS passes DEACTIVATING,
/// STOPPING, DEPROVISIONING).
#[derive(Default)]
pub struct FakeTasks {
    /// Services by cluster; a service's running count follows its desired count after
    /// `polls_to_stop` reads.
    pub services: Mutex<BTreeMap<String, Vec<Service>>>,
    /// Tasks by cluster, with the reads left before a stopping task is STOPPED.
    pub tasks: Mutex<BTreeMap<String, Vec<(Task, usize)>>>,
    /// Reads a stopping task takes to stop.
    pub polls_to_stop: usize,
    /// Every call that changes something, in order.
    pub calls: Mutex<Vec<String>>,
}

impl Tasks for FakeTasks {
    async fn services(&self, cluster: &str) -> Result<Vec<Service>> {
        let mut all = lock(&self.services);
        let Some(services) = all.get_mut(cluster) else {
            return Ok(Vec::new());
        };
        let answer = services.clone();
        for service in services.iter_mut() {
            service.running = service.desired;
        }
        Ok(answer)
    }

    async fn set_desired(&self, cluster: &str, service: &str, count: i32) -> Result<()> {
        lock(&self.calls).push(format!("UpdateService {cluster} {service} {count}"));
        if let Some(found) = lock(&self.services)
            .get_mut(cluster)
            .and_then(|services| services.iter_mut().find(|s| s.arn == service))
        {
            found.desired = count;
        }
        // At 0, ECS stops the service's tasks (they pass DEACTIVATING, STOPPING first).
        if count == 0 {
            let group = format!("service:{}", service.rsplit('/').next().unwrap_or(service));
            for (task, left) in lock(&self.tasks).get_mut(cluster).into_iter().flatten() {
                if task.group == group && task.desired_status != "STOPPED" {
                    task.desired_status = "STOPPED".to_string();
                    *left = self.polls_to_stop.min(2);
                }
            }
        }
        Ok(())
    }

    async fn tasks(&self, cluster: &str) -> Result<Vec<Task>> {
        let mut all = lock(&self.tasks);
        let Some(tasks) = all.get_mut(cluster) else {
            return Ok(Vec::new());
        };
        for (task, left) in tasks.iter_mut() {
            if task.desired_status == "STOPPED" && task.last_status != "STOPPED" {
                if *left == 0 {
                    task.last_status = "STOPPED".to_string();
                } else {
                    *left -= 1;
                    task.last_status = "DEPROVISIONING".to_string();
                }
            }
        }
        Ok(tasks.iter().map(|(task, _)| task.clone()).collect())
    }

    async fn stop_task(&self, cluster: &str, arn: &str, _reason: &str) -> Result<()> {
        lock(&self.calls).push(format!("StopTask {cluster} {arn}"));
        let mut all = lock(&self.tasks);
        let task = all
            .get_mut(cluster)
            .and_then(|tasks| tasks.iter_mut().find(|(task, _)| task.arn == arn))
            .ok_or_else(|| anyhow!("InvalidParameterException: task {arn} not found"))?;
        task.0.desired_status = "STOPPED".to_string();
        task.1 = self.polls_to_stop;
        Ok(())
    }
}

/// Assumes a role into a [`FakeDns`] after `denials` AccessDenied answers.
pub struct FakeAssume {
    /// AccessDenied answers left.
    pub denials: Mutex<usize>,
    /// The parent account's DNS handed out on success.
    pub parent: std::sync::Arc<FakeDns>,
}

impl AssumeRole for FakeAssume {
    type ParentDns = SharedDns;

    async fn assume(&self, role_arn: &str) -> Result<SharedDns> {
        let mut denials = lock(&self.denials);
        if *denials > 0 {
            *denials -= 1;
            return Err(anyhow!(
                "AccessDenied: not authorized to perform sts:AssumeRole on {role_arn}"
            ));
        }
        Ok(SharedDns(self.parent.clone()))
    }
}

/// A [`FakeDns`] shared between the test and the engine.
#[derive(Clone)]
pub struct SharedDns(pub std::sync::Arc<FakeDns>);

impl Dns for SharedDns {
    async fn name_servers(&self, zone_id: &str) -> Result<Vec<String>> {
        self.0.name_servers(zone_id).await
    }
    async fn public_zones_named(&self, name: &str) -> Result<Vec<String>> {
        self.0.public_zones_named(name).await
    }
    async fn ns_record(&self, zone_id: &str, name: &str) -> Result<Option<(i64, Vec<String>)>> {
        self.0.ns_record(zone_id, name).await
    }
    async fn change_ns(
        &self,
        zone_id: &str,
        name: &str,
        change: NsChange,
        ttl: i64,
        values: &[String],
    ) -> Result<String> {
        self.0.change_ns(zone_id, name, change, ttl, values).await
    }
    async fn change_in_sync(&self, change_id: &str) -> Result<bool> {
        self.0.change_in_sync(change_id).await
    }
    async fn records(&self, zone_id: &str) -> Result<Vec<Record>> {
        self.0.records(zone_id).await
    }
    async fn delete_record(&self, zone_id: &str, record: &Record) -> Result<String> {
        self.0.delete_record(zone_id, record).await
    }
}

/// An S3 bucket in memory.
#[derive(Default)]
pub struct FakeStore {
    /// Every call made, in order (`PutObject bucket/key`, ...).
    pub calls: Mutex<Vec<String>>,
    /// The objects by (bucket, key).
    pub objects: Mutex<BTreeMap<(String, String), String>>,
}

impl Artifacts for FakeStore {
    async fn put(&self, bucket: &str, key: &str, body: &str) -> Result<()> {
        lock(&self.calls).push(format!("PutObject {bucket}/{key}"));
        lock(&self.objects).insert((bucket.to_string(), key.to_string()), body.to_string());
        Ok(())
    }

    async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        lock(&self.calls).push(format!("DeleteObject {bucket}/{key}"));
        lock(&self.objects).remove(&(bucket.to_string(), key.to_string()));
        Ok(())
    }

    async fn keys(&self, bucket: &str) -> Result<Vec<String>> {
        Ok(lock(&self.objects)
            .keys()
            .filter(|(b, _)| b == bucket)
            .map(|(_, key)| key.clone())
            .collect())
    }
}

/// An ACM that answers with a fixed state and counts the questions.
#[derive(Default)]
pub struct FakeAcm {
    /// What DescribeCertificate answers.
    pub state: CertificateState,
    /// The ARNs asked about, in order.
    pub asked: Mutex<Vec<String>>,
}

impl Certificates for FakeAcm {
    async fn validation(&self, arn: &str) -> Result<CertificateState> {
        lock(&self.asked).push(arn.to_string());
        Ok(self.state.clone())
    }
}

impl<T: Artifacts + Send> Artifacts for std::sync::Arc<T> {
    async fn put(&self, bucket: &str, key: &str, body: &str) -> Result<()> {
        self.as_ref().put(bucket, key, body).await
    }

    async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        self.as_ref().delete(bucket, key).await
    }

    async fn keys(&self, bucket: &str) -> Result<Vec<String>> {
        self.as_ref().keys(bucket).await
    }
}

/// Credentials of one account: an assumed role's session, unless `arn` says otherwise.
pub struct FakeIdentity {
    /// The account.
    pub account: &'static str,
    /// What GetCallerIdentity answers as the ARN.
    pub arn: String,
    /// How many EKS tokens were minted.
    pub tokens: Mutex<usize>,
}

impl FakeIdentity {
    /// The session `deployer` of role `Deployer` in `account`.
    pub fn of(account: &'static str) -> FakeIdentity {
        FakeIdentity {
            account,
            arn: format!("arn:aws:sts::{account}:assumed-role/Deployer/deployer"),
            tokens: Mutex::new(0),
        }
    }
}

impl Identity for FakeIdentity {
    async fn account(&self) -> Result<String> {
        Ok(self.account.to_string())
    }

    async fn arn(&self) -> Result<String> {
        Ok(self.arn.clone())
    }

    async fn eks_token(&self, cluster: &str) -> Result<String> {
        *lock(&self.tokens) += 1;
        Ok(format!("k8s-aws-v1.fake-token-for-{cluster}"))
    }
}

/// A Tagging API that answers from a table: (key, value) → ARNs.
#[derive(Default)]
pub struct FakeTagging {
    /// What each filter finds.
    pub tagged: BTreeMap<(String, Option<String>), Vec<String>>,
}

impl Tagging for FakeTagging {
    async fn tagged(&self, key: &str, value: Option<&str>) -> Result<Vec<String>> {
        Ok(self
            .tagged
            .get(&(key.to_string(), value.map(str::to_string)))
            .cloned()
            .unwrap_or_default())
    }
}

/// ECR holding the images pushed to it, (repository, tag or digest), in the repositories in
/// `repositories`; [`FakeRegistry::full`] holds every image asked for.
#[derive(Default)]
pub struct FakeRegistry {
    /// When true, every image is there (the tables are not read).
    pub all_present: bool,
    /// The repositories that exist.
    pub repositories: std::sync::Mutex<std::collections::BTreeSet<String>>,
    /// The images pushed: (repository, tag or digest).
    pub images: std::sync::Mutex<std::collections::BTreeSet<(String, String)>>,
    /// Every call, as `describe <repository> <tag or digest>`.
    pub calls: std::sync::Mutex<Vec<String>>,
    /// Repositories made outside hubctl (by hand, another tool) before the first deploy.
    pub foreign: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl FakeRegistry {
    /// A registry holding every image asked for.
    pub fn full() -> FakeRegistry {
        FakeRegistry {
            all_present: true,
            ..FakeRegistry::default()
        }
    }

    /// Pushes `tag` to `repository` (creating the repository in the table).
    pub fn push(&self, repository: &str, tag: &str) {
        self.repositories
            .lock()
            .expect("lock")
            .insert(repository.to_string());
        self.images
            .lock()
            .expect("lock")
            .insert((repository.to_string(), tag.to_string()));
    }
}

impl super::api::Registry for FakeRegistry {
    async fn repository_exists(&self, repository: &str) -> Result<bool> {
        // `repositories` are the images stack's (the fake CloudFormation makes no ECR
        // resource); only `foreign` ones exist outside it.
        Ok(self.foreign.lock().expect("lock").contains(repository))
    }

    async fn image_state(
        &self,
        repository: &str,
        image: crate::stacks::images::ImageId<'_>,
    ) -> Result<super::api::ImageState> {
        use super::api::ImageState;
        use crate::stacks::images::ImageId;
        let id = match image {
            ImageId::Tag(tag) | ImageId::Digest(tag) => tag.to_string(),
        };
        self.calls
            .lock()
            .expect("lock")
            .push(format!("describe {repository} {id}"));
        if self.all_present {
            return Ok(ImageState::Present);
        }
        if !self.repositories.lock().expect("lock").contains(repository) {
            return Ok(ImageState::NoRepository);
        }
        let key = (repository.to_string(), id);
        Ok(if self.images.lock().expect("lock").contains(&key) {
            ImageState::Present
        } else {
            ImageState::Missing
        })
    }
}

/// One release the fake helm holds.
#[derive(Clone, Debug, PartialEq)]
pub struct FakeRelease {
    /// `<chart>-<version>`.
    pub chart: String,
    /// Its namespace.
    pub namespace: String,
    /// The values it was installed with, as `helm get values -o json` gives them.
    pub values: serde_json::Value,
}

/// kubectl and helm against a cluster in memory: applied manifests, releases, ingresses.
/// Each call is recorded as `<program> <subcommand> <file or release>`, files by their path
/// relative to the session directory (`k8s/00-namespace.yaml`), after checking that the
/// kubeconfig reads a token from a private file beside it.
#[derive(Default)]
pub struct FakeKube {
    /// Programs that are not on PATH.
    pub missing: Vec<&'static str>,
    /// Every call, in order.
    pub calls: Mutex<Vec<String>>,
    /// Every file handed over, by relative path, with its text.
    pub files: Mutex<Vec<(String, String)>>,
    /// Manifests the cluster holds, by relative path, with their text.
    pub applied: Mutex<BTreeMap<String, String>>,
    /// Releases by name.
    pub releases: Mutex<BTreeMap<String, FakeRelease>>,
    /// Ingresses in the hub's namespace: `(name, reads left once deleted)`; installing a
    /// release called `jupyterhub` makes one.
    pub ingresses: Mutex<Vec<(String, Option<usize>)>>,
    /// Reads after the first that still show the ingress of an uninstalled release.
    pub ingress_reads: usize,
    /// Answers that replace the fake's for a call starting with the key
    /// (`helm upgrade jupyterhub`).
    pub answers: BTreeMap<String, Ran>,
    /// Calls refused as Unauthorized first (an access entry EKS has not taken in yet).
    pub refusals: Mutex<usize>,
}

fn ran(code: i32, stdout: &str, stderr: &str) -> Ran {
    Ran {
        code: Some(code),
        stdout: stdout.to_string(),
        stderr: stderr.to_string(),
    }
}

impl FakeKube {
    /// The calls recorded, in order.
    pub fn calls(&self) -> Vec<String> {
        lock(&self.calls).clone()
    }

    /// The calls that change the cluster.
    pub fn changes(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|call| {
                [
                    "kubectl apply",
                    "kubectl delete",
                    "helm upgrade",
                    "helm uninstall",
                ]
                .iter()
                .any(|verb| call.starts_with(verb))
            })
            .collect()
    }

    fn relative(path: &str) -> String {
        let path = std::path::Path::new(path);
        match path.parent().and_then(|p| p.file_name()) {
            Some(dir) if dir == "k8s" => format!(
                "k8s/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            ),
            _ => path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        }
    }

    fn file(&self, path: &str) -> Result<(String, String)> {
        let text = std::fs::read_to_string(path).map_err(|err| anyhow!("{path}: {err}"))?;
        let relative = Self::relative(path);
        lock(&self.files).push((relative.clone(), text.clone()));
        Ok((relative, text))
    }

    /// A kubeconfig whose user reads a k8s-aws-v1 token from a 0600 file in a 0700
    /// directory; `Err` says what is wrong.
    fn check_kubeconfig(path: &str) -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let text = std::fs::read_to_string(path).map_err(|err| anyhow!("{path}: {err}"))?;
        let config = crate::k8s::parse_yaml_stream(&text).map_err(|err| anyhow!(err))?;
        let token_file = config[0]["users"][0]["user"]["tokenFile"]
            .as_str()
            .ok_or_else(|| anyhow!("no tokenFile in {text}"))?
            .to_string();
        let token = std::fs::read_to_string(&token_file)?;
        if !token.starts_with("k8s-aws-v1.") {
            return Err(anyhow!("token {token}"));
        }
        let mode = |p: &str| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0)
        };
        let dir = std::path::Path::new(path)
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        if mode(path) != 0o600 || mode(&token_file) != 0o600 || mode(&dir) != 0o700 {
            return Err(anyhow!(
                "modes {:o} {:o} {:o}",
                mode(path),
                mode(&token_file),
                mode(&dir)
            ));
        }
        Ok(())
    }

    fn answer(&self, program: &str, args: &[String]) -> Result<Ran> {
        let mut rest: Vec<&str> = Vec::new();
        let mut kubeconfig = None;
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if arg == "--kubeconfig" {
                kubeconfig = iter.next().cloned();
            } else {
                rest.push(arg);
            }
        }
        let kubeconfig = kubeconfig.ok_or_else(|| anyhow!("no --kubeconfig in {args:?}"))?;
        {
            let mut refusals = lock(&self.refusals);
            if *refusals > 0 {
                *refusals -= 1;
                return self.record(
                    format!("{program} refused"),
                    ran(
                        1,
                        "",
                        "error: You must be logged in to the server (Unauthorized)",
                    ),
                );
            }
        }
        if let Err(err) = Self::check_kubeconfig(&kubeconfig) {
            return Ok(ran(
                1,
                "",
                &format!("error: You must be logged in to the server (Unauthorized): {err}"),
            ));
        }
        let after = |flag: &str| {
            rest.iter()
                .position(|a| *a == flag)
                .and_then(|at| rest.get(at + 1))
                .map(|s| s.to_string())
        };
        let namespace = after("--namespace").unwrap_or_default();
        let (what, answer) = match (program, rest.first().copied().unwrap_or_default()) {
            ("kubectl", "diff") => {
                let (file, text) = self.file(&after("-f").unwrap_or_default())?;
                let same = lock(&self.applied).get(&file) == Some(&text);
                (
                    file,
                    if same {
                        ran(0, "", "")
                    } else {
                        ran(1, "+ changes", "")
                    },
                )
            }
            ("kubectl", "apply") => {
                let (file, text) = self.file(&after("-f").unwrap_or_default())?;
                lock(&self.applied).insert(file.clone(), text);
                (
                    file.clone(),
                    ran(0, &format!("{file} serverside-applied\n"), ""),
                )
            }
            ("kubectl", "delete") if rest.get(1) == Some(&"pods") => (
                format!("pods {}", after("--selector").unwrap_or_default()),
                ran(0, "", ""),
            ),
            ("kubectl", "delete") => {
                let (file, _) = self.file(&after("-f").unwrap_or_default())?;
                let had = lock(&self.applied).remove(&file).is_some();
                (file.clone(), ran(0, if had { "deleted" } else { "" }, ""))
            }
            ("kubectl", "get") => {
                let kind = rest.get(1).copied().unwrap_or_default().to_string();
                let items: Vec<serde_json::Value> = if kind == "ingress" {
                    let mut ingresses = lock(&self.ingresses);
                    let items = ingresses
                        .iter()
                        .map(|(name, _)| serde_json::json!({"metadata": {"name": name}}))
                        .collect();
                    for (_, left) in ingresses.iter_mut() {
                        if let Some(left) = left {
                            *left = left.saturating_sub(1);
                        }
                    }
                    ingresses.retain(|(_, left)| *left != Some(0));
                    items
                } else {
                    Vec::new()
                };
                (
                    kind,
                    ran(0, &serde_json::json!({"items": items}).to_string(), ""),
                )
            }
            ("helm", "list") => {
                let list: Vec<serde_json::Value> = lock(&self.releases)
                    .iter()
                    .filter(|(_, r)| r.namespace == namespace)
                    .map(|(name, r)| serde_json::json!({"name": name, "namespace": r.namespace, "chart": r.chart, "status": "deployed"}))
                    .collect();
                (
                    namespace.clone(),
                    ran(0, &serde_json::Value::from(list).to_string(), ""),
                )
            }
            ("helm", "get") => {
                let name = rest.get(2).copied().unwrap_or_default().to_string();
                let answer = match lock(&self.releases).get(&name) {
                    Some(release) => ran(0, &release.values.to_string(), ""),
                    None => ran(1, "", "Error: release: not found"),
                };
                (name, answer)
            }
            ("helm", "status") => {
                let name = rest.get(1).copied().unwrap_or_default().to_string();
                let answer = if lock(&self.releases).contains_key(&name) {
                    ran(0, "STATUS: deployed", "")
                } else {
                    ran(1, "", "Error: release: not found")
                };
                (name, answer)
            }
            ("helm", "upgrade") => {
                let name = rest.get(2).copied().unwrap_or_default().to_string();
                let chart = format!(
                    "{}-{}",
                    rest.get(3).copied().unwrap_or_default(),
                    after("--version").unwrap_or_default()
                );
                let (_, text) = self.file(&after("--values").unwrap_or_default())?;
                if let Some(answer) = self.answers.get(&format!("helm upgrade {name}")) {
                    return self.record(format!("helm upgrade {name}"), answer.clone());
                }
                let values = crate::k8s::parse_yaml_stream(&text)
                    .map_err(|err| anyhow!(err))?
                    .remove(0);
                lock(&self.releases).insert(
                    name.clone(),
                    FakeRelease {
                        chart,
                        namespace: namespace.clone(),
                        values,
                    },
                );
                if name == "jupyterhub" {
                    let mut ingresses = lock(&self.ingresses);
                    if ingresses.is_empty() {
                        ingresses.push(("jupyterhub".to_string(), None));
                    }
                }
                (name, ran(0, "STATUS: deployed", ""))
            }
            ("helm", "uninstall") => {
                let name = rest.get(1).copied().unwrap_or_default().to_string();
                let answer = if lock(&self.releases).remove(&name).is_some() {
                    if name == "jupyterhub" {
                        for (_, left) in lock(&self.ingresses).iter_mut() {
                            *left = Some(self.ingress_reads + 1);
                        }
                    }
                    ran(0, "release uninstalled", "")
                } else {
                    ran(
                        1,
                        "",
                        "Error: uninstall: Release not loaded: release: not found",
                    )
                };
                (name, answer)
            }
            (program, other) => (
                other.to_string(),
                ran(2, "", &format!("{program}: unknown {other}")),
            ),
        };
        let call = format!(
            "{program} {} {what}",
            rest.first().copied().unwrap_or_default()
        );
        let answer = self
            .answers
            .iter()
            .find(|(key, _)| call.starts_with(key.as_str()))
            .map_or(answer, |(_, answer)| answer.clone());
        self.record(call, answer)
    }

    fn record(&self, call: String, answer: Ran) -> Result<Ran> {
        lock(&self.calls).push(call);
        Ok(answer)
    }
}

impl Kube for FakeKube {
    fn find(&self, program: &str) -> Option<std::path::PathBuf> {
        (!self.missing.contains(&program))
            .then(|| std::path::PathBuf::from(format!("/usr/bin/{program}")))
    }

    async fn run(&self, program: &str, args: &[String]) -> Result<Ran> {
        self.answer(program, args)
    }
}

/// A CloudFormation of several stacks that completes each change set at once: executing
/// one stores its template, parameters and tags, and gives the stack the outputs set up for
/// it (or `ROLLBACK_COMPLETE` for a stack listed in `fail`). For the orchestration: waves,
/// wiring, staging, re-runs.
#[derive(Default)]
pub struct FakeCloud {
    /// Every call made, in order (`ExecuteChangeSet stack`, ...).
    pub calls: Mutex<Vec<String>>,
    /// Every change set request, in order.
    pub requests: Mutex<Vec<ChangeSetRequest>>,
    /// The outputs each stack gets when it is created.
    pub outputs: BTreeMap<String, BTreeMap<String, String>>,
    /// Stacks whose creation fails.
    pub fail: Vec<String>,
    /// Where staged templates are read from.
    pub store: std::sync::Arc<FakeStore>,
    /// Live stacks and their templates.
    pub live: Mutex<BTreeMap<String, (LiveStack, String)>>,
}

impl FakeCloud {
    fn call(&self, what: String) {
        lock(&self.calls).push(what);
    }

    /// The calls that change something.
    pub fn mutating_calls(&self) -> Vec<String> {
        mutating(&self.calls)
    }

    fn body(&self, template: &TemplateSource) -> Result<String> {
        match template {
            TemplateSource::Body(body) => Ok(body.clone()),
            TemplateSource::Url(url) => {
                let rest = url
                    .strip_prefix("https://")
                    .ok_or_else(|| anyhow!("not an S3 URL: {url}"))?;
                let (host, key) = rest
                    .split_once('/')
                    .ok_or_else(|| anyhow!("no key in {url}"))?;
                let bucket = host.split('.').next().unwrap_or_default();
                lock(&self.store.objects)
                    .get(&(bucket.to_string(), key.to_string()))
                    .cloned()
                    .ok_or_else(|| anyhow!("S3 error: no object at {url}"))
            }
        }
    }
}

impl Cfn for FakeCloud {
    async fn describe_stack(&self, name: &str) -> Result<Option<LiveStack>> {
        self.call(format!("DescribeStacks {name}"));
        Ok(lock(&self.live).get(name).map(|(stack, _)| stack.clone()))
    }

    async fn get_template(&self, name: &str) -> Result<String> {
        self.call(format!("GetTemplate {name}"));
        lock(&self.live)
            .get(name)
            .map(|(_, template)| template.clone())
            .ok_or_else(|| anyhow!("ValidationError: Stack with id {name} does not exist"))
    }

    async fn create_change_set(&self, request: &ChangeSetRequest) -> Result<()> {
        self.call(format!("CreateChangeSet {}", request.stack_name));
        // CloudFormation reads the template when the change set is created.
        let body = self.body(&request.template)?;
        let mut request = request.clone();
        request.template = TemplateSource::Body(body);
        lock(&self.requests).push(request);
        Ok(())
    }

    async fn describe_change_set(&self, stack: &str, _change_set: &str) -> Result<ChangeSetState> {
        self.call(format!("DescribeChangeSet {stack}"));
        Ok(ChangeSetState {
            status: "CREATE_COMPLETE".to_string(),
            status_reason: None,
            execution_status: "AVAILABLE".to_string(),
            n_changes: 1,
        })
    }

    async fn execute_change_set(&self, stack: &str, _change_set: &str) -> Result<()> {
        self.call(format!("ExecuteChangeSet {stack}"));
        let request = lock(&self.requests)
            .iter()
            .rev()
            .find(|r| r.stack_name == stack)
            .cloned()
            .ok_or_else(|| anyhow!("no change set for {stack}"))?;
        let TemplateSource::Body(body) = request.template else {
            return Err(anyhow!("requests are stored with their body"));
        };
        let failed = self.fail.iter().any(|f| f == stack);
        let existed = lock(&self.live).contains_key(stack);
        let live = LiveStack {
            status: if failed {
                StackStatus::RollbackComplete
            } else if existed {
                StackStatus::UpdateComplete
            } else {
                StackStatus::CreateComplete
            },
            status_reason: failed.then(|| "The following resource(s) failed to create".to_string()),
            parameters: request.parameters,
            outputs: if failed {
                BTreeMap::new()
            } else {
                self.outputs.get(stack).cloned().unwrap_or_default()
            },
            tags: request.tags,
        };
        lock(&self.live).insert(stack.to_string(), (live, body));
        Ok(())
    }

    async fn delete_change_set(&self, stack: &str, _change_set: &str) -> Result<()> {
        self.call(format!("DeleteChangeSet {stack}"));
        Ok(())
    }

    async fn stack_events(&self, name: &str, _limit: usize) -> Result<Vec<StackEvent>> {
        self.call(format!("DescribeStackEvents {name}"));
        Ok(Vec::new())
    }

    async fn delete_stack(&self, name: &str) -> Result<()> {
        self.call(format!("DeleteStack {name}"));
        lock(&self.live).remove(name);
        Ok(())
    }
}

/// The scripted accounts of one environment, as the engine's one [`Cloud`].
pub struct FakeAccounts {
    /// CloudFormation of the workload account.
    pub cfn: FakeCloud,
    /// Whose credentials are in use.
    pub identity: FakeIdentity,
    /// Route 53 of the workload account.
    pub dns: FakeDns,
    /// The parent account, through its role.
    pub assume: FakeAssume,
    /// S3.
    pub artifacts: std::sync::Arc<FakeStore>,
    /// ACM.
    pub certificates: FakeAcm,
    /// ECS.
    pub tasks: FakeTasks,
    /// kubectl and helm.
    pub kube: FakeKube,
    /// The Tagging API.
    pub tagging: FakeTagging,
    /// ECR.
    pub registry: FakeRegistry,
}

impl Cloud for FakeAccounts {
    type Cfn = FakeCloud;
    type Identity = FakeIdentity;
    type Dns = FakeDns;
    type AssumeRole = FakeAssume;
    type Artifacts = std::sync::Arc<FakeStore>;
    type Certificates = FakeAcm;
    type Tasks = FakeTasks;
    type Kube = FakeKube;
    type Tagging = FakeTagging;
    type Registry = FakeRegistry;

    fn registry(&self) -> &FakeRegistry {
        &self.registry
    }
    fn tasks(&self) -> &FakeTasks {
        &self.tasks
    }
    fn kube(&self) -> &FakeKube {
        &self.kube
    }
    fn tagging(&self) -> &FakeTagging {
        &self.tagging
    }
    fn cfn(&self) -> &FakeCloud {
        &self.cfn
    }
    fn identity(&self) -> &FakeIdentity {
        &self.identity
    }
    fn dns(&self) -> &FakeDns {
        &self.dns
    }
    fn assume(&self) -> &FakeAssume {
        &self.assume
    }
    fn artifacts(&self) -> &std::sync::Arc<FakeStore> {
        &self.artifacts
    }
    fn certificates(&self) -> &FakeAcm {
        &self.certificates
    }
}

/// A Cognito user pool in memory, answering as Cognito does: ListUsers in pages of
/// `page_size` (60 when 0, Cognito's maximum), AdminCreateUser with UsernameExistsException
/// for a user who is there, LimitExceededException once the day's e-mails are spent.
#[derive(Default)]
pub struct FakeDirectory {
    /// The pool's users.
    pub users: Mutex<Vec<super::api::PoolUser>>,
    /// Users per ListUsers page.
    pub page_size: usize,
    /// Every call, in order (`ListUsers <token>`, `AdminCreateUser <name> <email>`).
    pub calls: Mutex<Vec<String>>,
    /// Users someone else creates just before hubctl's AdminCreateUser of them.
    pub created_meanwhile: Vec<String>,
    /// E-mails left today; `None`: no limit.
    pub emails_left: Mutex<Option<usize>>,
    /// AdminCreateUser of this user fails with this error.
    pub failing: Option<(String, String)>,
    /// ListUsers answers the same next-page token for ever.
    pub endless: bool,
    /// The pool's `UsernameAttributes`.
    pub username_attributes: Vec<String>,
}

impl FakeDirectory {
    /// A pool holding `users` (confirmed, enabled; the name is the e-mail address).
    pub fn with(users: &[&str]) -> FakeDirectory {
        FakeDirectory {
            users: Mutex::new(users.iter().map(|name| pool_user(name)).collect()),
            ..FakeDirectory::default()
        }
    }

    /// The user names in the pool, in the order they came.
    pub fn names(&self) -> Vec<String> {
        lock(&self.users)
            .iter()
            .map(|user| user.username.clone())
            .collect()
    }
}

/// A confirmed, enabled user whose e-mail address is their name.
pub fn pool_user(name: &str) -> super::api::PoolUser {
    super::api::PoolUser {
        username: name.to_string(),
        email: Some(name.to_string()),
        status: "CONFIRMED".to_string(),
        enabled: true,
    }
}

impl super::api::Directory for FakeDirectory {
    async fn username_attributes(&self, _pool_id: &str) -> Result<Vec<String>> {
        Ok(self.username_attributes.clone())
    }

    async fn list_users(
        &self,
        _pool_id: &str,
        token: Option<&str>,
    ) -> Result<super::api::UserPage> {
        lock(&self.calls).push(format!("ListUsers {}", token.unwrap_or("-")));
        let size = if self.page_size == 0 {
            60
        } else {
            self.page_size
        };
        let start: usize = match token {
            None => 0,
            Some(token) => token
                .strip_prefix("page-")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| anyhow!("InvalidParameterException: bad token {token}"))?,
        };
        let users = lock(&self.users);
        let end = (start + size).min(users.len());
        let next = if self.endless {
            Some("page-0".to_string())
        } else {
            (end < users.len()).then(|| format!("page-{end}"))
        };
        Ok(super::api::UserPage {
            users: users[start.min(end)..end].to_vec(),
            next,
        })
    }

    async fn invite(
        &self,
        _pool_id: &str,
        username: &str,
        email: &str,
    ) -> Result<super::api::Invitation> {
        lock(&self.calls).push(format!("AdminCreateUser {username} {email}"));
        if self.created_meanwhile.iter().any(|name| name == username) {
            let mut users = lock(&self.users);
            if !users.iter().any(|user| user.username == username) {
                users.push(pool_user(username));
            }
        }
        if let Some((user, error)) = &self.failing {
            if user == username {
                return Err(anyhow!("AdminCreateUser {username}: {error}"));
            }
        }
        let mut users = lock(&self.users);
        if users.iter().any(|user| user.username == username) {
            return Ok(super::api::Invitation::AlreadyThere);
        }
        let mut left = lock(&self.emails_left);
        match left.as_mut() {
            Some(0) => {
                return Ok(super::api::Invitation::LimitExceeded(
                    "Exceeded daily email limit for the operation or the account.".to_string(),
                ))
            }
            Some(n) => *n -= 1,
            None => {}
        }
        users.push(super::api::PoolUser {
            username: username.to_string(),
            email: Some(email.to_string()),
            status: "FORCE_CHANGE_PASSWORD".to_string(),
            enabled: true,
        });
        Ok(super::api::Invitation::Sent)
    }
}
