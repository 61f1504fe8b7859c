//! Scripted stand-ins for the AWS traits, for what `moto_server` cannot show: per-resource
//! event streams, failures, rollbacks, retries that already went through, slow changes.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use anyhow::{anyhow, Result};

use super::api::{
    Artifacts, AssumeRole, CertificateState, Certificates, Cfn, ChangeSetRequest, ChangeSetState,
    Dns, Identity, LiveStack, NsChange, StackEvent, TemplateSource,
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

fn next<T: Clone>(queue: &Mutex<VecDeque<T>>) -> Option<T> {
    let mut queue = queue.lock().unwrap_or_else(|p| p.into_inner());
    if queue.len() > 1 {
        queue.pop_front()
    } else {
        queue.front().cloned()
    }
}

impl FakeCfn {
    fn call(&self, what: String) {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(what);
    }

    /// The calls that change something.
    pub fn mutating_calls(&self) -> Vec<String> {
        mutating(&self.calls)
    }
}

/// The calls in `calls` that change something.
fn mutating(calls: &Mutex<Vec<String>>) -> Vec<String> {
    calls
        .lock()
        .unwrap_or_else(|p| p.into_inner())
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
        status: status.to_string(),
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
        Ok(self
            .template
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone())
    }

    async fn create_change_set(&self, request: &ChangeSetRequest) -> Result<()> {
        self.call(format!(
            "CreateChangeSet {} create={}",
            request.stack_name, request.create
        ));
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(request.clone());
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
        if !self
            .calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|c| c.starts_with("ExecuteChangeSet") || c.starts_with("DeleteStack"))
        {
            return Ok(Vec::new());
        }
        let events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        let mut revealed = self.revealed.lock().unwrap_or_else(|p| p.into_inner());
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
        Ok(self
            .records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
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
        let key = (zone_id.to_string(), name.to_string());
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        match change {
            NsChange::Upsert => {
                records.insert(key, (ttl, values.to_vec()));
            }
            NsChange::Delete => {
                records.remove(&key);
            }
        }
        self.changes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(format!("{change:?} {name}"));
        Ok("C1".to_string())
    }

    async fn change_in_sync(&self, _change_id: &str) -> Result<bool> {
        let mut pending = self.pending_polls.lock().unwrap_or_else(|p| p.into_inner());
        if *pending == 0 {
            return Ok(true);
        }
        *pending -= 1;
        Ok(false)
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
        let mut denials = self.denials.lock().unwrap_or_else(|p| p.into_inner());
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
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(format!("PutObject {bucket}/{key}"));
        self.objects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((bucket.to_string(), key.to_string()), body.to_string());
        Ok(())
    }

    async fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(format!("DeleteObject {bucket}/{key}"));
        self.objects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(bucket.to_string(), key.to_string()));
        Ok(())
    }

    async fn keys(&self, bucket: &str) -> Result<Vec<String>> {
        Ok(self
            .objects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
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
        self.asked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(arn.to_string());
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

/// Credentials of one account.
pub struct FakeIdentity(pub &'static str);

impl Identity for FakeIdentity {
    async fn account(&self) -> Result<String> {
        Ok(self.0.to_string())
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
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(what);
    }

    /// The calls that change something.
    pub fn mutating_calls(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|c| {
                ["Create", "Execute", "Delete"]
                    .iter()
                    .any(|v| c.starts_with(v))
            })
            .cloned()
            .collect()
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
                self.store
                    .objects
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
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
        Ok(self
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .map(|(stack, _)| stack.clone()))
    }

    async fn get_template(&self, name: &str) -> Result<String> {
        self.call(format!("GetTemplate {name}"));
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
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
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(request);
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
        let request = self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .rev()
            .find(|r| r.stack_name == stack)
            .cloned()
            .ok_or_else(|| anyhow!("no change set for {stack}"))?;
        let TemplateSource::Body(body) = request.template else {
            return Err(anyhow!("requests are stored with their body"));
        };
        let failed = self.fail.iter().any(|f| f == stack);
        let live = LiveStack {
            status: if failed {
                "ROLLBACK_COMPLETE"
            } else {
                "CREATE_COMPLETE"
            }
            .to_string(),
            status_reason: failed.then(|| "The following resource(s) failed to create".to_string()),
            parameters: request.parameters,
            outputs: if failed {
                BTreeMap::new()
            } else {
                self.outputs.get(stack).cloned().unwrap_or_default()
            },
            tags: request.tags,
        };
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(stack.to_string(), (live, body));
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
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        Ok(())
    }
}
