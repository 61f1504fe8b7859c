//! One stack, brought to the synthesized template through a change set, in two halves:
//! [`plan_stack`] reads the live stack and decides what would happen, changing nothing
//! (identical → nothing to do); [`apply_stack`] does it: create the change set → wait →
//! drop it when empty → execute → follow the events → report the final status.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::api::{
    Artifacts, CertificateState, Certificates, Cfn, ChangeSetRequest, ChangeSetState, LiveStack,
    StackEvent, StackStatus, TemplateSource,
};
use super::keep::{keep_deployed, Kept};
use super::progress::{Progress, ProgressEvent};

/// How long to wait between status checks, and for how long at most.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Between polls.
    pub poll: Duration,
    /// Give up on one stack operation after this long.
    pub timeout: Duration,
    /// Explain a certificate still waiting for validation after this long.
    pub certificate_hint: Duration,
}

pub use crate::cfn::{MAX_INLINE_TEMPLATE, MAX_STAGED_TEMPLATE};

/// What a stack deployment uses besides CloudFormation: S3 for templates over the inline
/// limit (the frame stack's template bucket), ACM to explain a certificate that waits.
pub struct Support<'a, S, M> {
    /// S3.
    pub store: &'a S,
    /// The bucket, once the frame stack exists (`None` while deploying the frame itself).
    pub bucket: Option<String>,
    /// The environment's region, for the object's URL.
    pub region: String,
    /// ACM.
    pub certificates: &'a M,
}

impl<S, M> Support<'_, S, M> {
    /// The URL CloudFormation reads `key` from.
    pub fn url(&self, bucket: &str, key: &str) -> String {
        let domain = if self.region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        format!("https://{bucket}.s3.{}.{domain}/{key}", self.region)
    }
}

/// Refuses a template CloudFormation cannot take: over 1 MB, or over the inline limit with
/// no bucket to stage it in.
pub fn check_size(name: &str, bytes: usize, can_stage: bool) -> Result<()> {
    if bytes > MAX_STAGED_TEMPLATE {
        bail!("stack {name}: the template is {bytes} bytes, more than the {MAX_STAGED_TEMPLATE} CloudFormation accepts; list fewer users or profiles in this environment");
    }
    if bytes > MAX_INLINE_TEMPLATE && !can_stage {
        bail!("stack {name}: the template is {bytes} bytes, more than the {MAX_INLINE_TEMPLATE} CloudFormation accepts inline, and there is no template bucket to stage it in: only stacks deployed after the frame stack can use its {} output; make this stack smaller, or re-run deploy so the frame stack is brought up to date first", crate::stacks::frame::outputs::TEMPLATE_BUCKET);
    }
    Ok(())
}

/// What one stack deployment did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StackOutcome {
    /// Template, parameters and tags already matched: no mutating call was made.
    Unchanged,
    /// A change set ran.
    Changed,
}

/// A failed resource, for the end-of-run summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedResource {
    /// Stack name.
    pub stack: String,
    /// Logical id.
    pub logical_id: String,
    /// Resource type.
    pub resource_type: String,
    /// Its failed status.
    pub status: String,
    /// CloudFormation's reason.
    pub reason: String,
}

/// A stack operation that ended badly, with everything the summary needs.
#[derive(Debug, thiserror::Error)]
#[error("stack {stack} ended in {status}{}", reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
pub struct StackFailed {
    /// Stack name.
    pub stack: String,
    /// Final status.
    pub status: StackStatus,
    /// The stack's status reason.
    pub reason: Option<String>,
    /// The resources that failed.
    pub failed: Vec<FailedResource>,
}

/// Compact JSON of a template: what is sent, and what GetTemplate is compared with.
pub fn compact(template_json: &str) -> Result<String> {
    let value: serde_json::Value =
        serde_json::from_str(template_json).context("synthesized template is not JSON")?;
    Ok(value.to_string())
}

fn same_template(live: &str, wanted: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(live),
        serde_json::from_str::<serde_json::Value>(wanted),
    ) {
        (Ok(live), Ok(wanted)) => live == wanted,
        _ => false,
    }
}

/// Waits while the stack is in an `_IN_PROGRESS` status (someone else's operation).
async fn wait_until_stable(
    cfn: &impl Cfn,
    name: &str,
    timing: Timing,
) -> Result<Option<LiveStack>> {
    let deadline = tokio::time::Instant::now() + timing.timeout;
    loop {
        let live = cfn.describe_stack(name).await?;
        match &live {
            Some(stack) if stack.status.is_in_progress() => {
                if tokio::time::Instant::now() >= deadline {
                    bail!(
                        "stack {name} stayed in {} for {:?}; wait for it to finish, then re-run",
                        stack.status,
                        timing.timeout
                    );
                }
                tokio::time::sleep(timing.poll).await;
            }
            _ => return Ok(live),
        }
    }
}

/// The stack to bring about: its name, its synthesized template, parameters and tags.
#[derive(Clone, Copy, Debug)]
pub struct StackRequest<'a> {
    /// The stack's name.
    pub name: &'a str,
    /// Its template, as synth renders it.
    pub template_json: &'a str,
    /// Parameter values.
    pub parameters: &'a BTreeMap<String, String>,
    /// Stack tags.
    pub tags: &'a BTreeMap<String, String>,
}

/// What a stack operation works with: CloudFormation, the template bucket and ACM, where
/// progress goes, and how long to wait.
pub struct StackContext<'a, C, S, M, P> {
    /// CloudFormation.
    pub cfn: &'a C,
    /// S3 and ACM.
    pub support: &'a Support<'a, S, M>,
    /// Where progress goes.
    pub progress: &'a P,
    /// Polling and timeouts.
    pub timing: Timing,
}

/// What bringing a stack to its synthesized template would do, decided without changing
/// anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StackPlan {
    /// Template (as JSON), parameters and tags equal the live stack's: nothing to do.
    Unchanged {
        /// The live stack's outputs.
        outputs: BTreeMap<String, String>,
    },
    /// No stack yet, or one a change set made but never ran (`REVIEW_IN_PROGRESS`): a
    /// CREATE change set.
    Create,
    /// The first creation failed (`ROLLBACK_COMPLETE`): delete it, then create it anew.
    Recreate,
    /// The live stack differs: an UPDATE change set (which may still find no change).
    Update {
        /// The live stack's status.
        from: StackStatus,
        /// The template to send (compact JSON): the synthesized one with what it keeps
        /// from the deployed one (`keep`).
        body: String,
        /// What it keeps.
        kept: Vec<Kept>,
    },
}

/// Reads the live stack, waiting out someone else's operation, and compares it with
/// `request`; read-only. A stack that waits for a person (a failed rollback or delete) is an
/// error that says how out.
pub async fn plan_stack(
    cfn: &impl Cfn,
    timing: Timing,
    request: &StackRequest<'_>,
) -> Result<StackPlan> {
    let name = request.name;
    let Some(stack) = wait_until_stable(cfn, name, timing).await? else {
        return Ok(StackPlan::Create);
    };
    Ok(match &stack.status {
        StackStatus::Stuck(code) => bail!("stack {name} is {code}: {}", stuck_advice(name, code)),
        StackStatus::RollbackComplete => StackPlan::Recreate,
        StackStatus::ReviewInProgress => StackPlan::Create,
        _ => {
            let live = cfn.get_template(name).await?;
            let (body, kept) = keep_deployed(&live, &compact(request.template_json)?)?;
            if &stack.parameters == request.parameters
                && &stack.tags == request.tags
                && same_template(&live, &body)
            {
                StackPlan::Unchanged {
                    outputs: stack.outputs,
                }
            } else {
                StackPlan::Update {
                    from: stack.status,
                    body,
                    kept,
                }
            }
        }
    })
}

/// Deploys one stack (plan, then apply) and returns its outputs.
pub async fn deploy_stack(
    context: &StackContext<'_, impl Cfn, impl Artifacts, impl Certificates, impl Progress>,
    request: &StackRequest<'_>,
) -> Result<(StackOutcome, BTreeMap<String, String>)> {
    context.progress.report(ProgressEvent::StackStarted {
        stack: request.name.to_string(),
    });
    let body = compact(request.template_json)?;
    check_size(request.name, body.len(), context.support.bucket.is_some())?;
    let plan = plan_stack(context.cfn, context.timing, request).await?;
    apply_stack(context, request, plan).await
}

/// Carries out `plan` for `request`: the only half that changes anything.
pub async fn apply_stack(
    context: &StackContext<'_, impl Cfn, impl Artifacts, impl Certificates, impl Progress>,
    request: &StackRequest<'_>,
    plan: StackPlan,
) -> Result<(StackOutcome, BTreeMap<String, String>)> {
    let (cfn, support, progress, timing) = (
        context.cfn,
        context.support,
        context.progress,
        context.timing,
    );
    let name = request.name;
    let mut body = compact(request.template_json)?;
    // The stack's status before the change set runs: a CREATE change set leaves it in
    // REVIEW_IN_PROGRESS.
    let (create, from) = match plan {
        StackPlan::Unchanged { outputs } => {
            progress.report(ProgressEvent::StackUnchanged {
                stack: name.to_string(),
            });
            return Ok((StackOutcome::Unchanged, outputs));
        }
        StackPlan::Recreate => {
            progress.report(ProgressEvent::Resource {
                stack: name.to_string(),
                logical_id: name.to_string(),
                resource_type: "AWS::CloudFormation::Stack".to_string(),
                status: "ROLLBACK_COMPLETE".to_string(),
                reason: Some("a failed first creation can only be deleted: deleting it, then creating it anew".to_string()),
            });
            cfn.delete_stack(name).await?;
            let watch = Watch {
                name,
                operation: Operation::Delete,
                from: Some(StackStatus::RollbackComplete),
                seen: BTreeSet::new(),
            };
            follow(cfn, support.certificates, progress, timing, &watch).await?;
            (true, StackStatus::ReviewInProgress)
        }
        StackPlan::Create => (true, StackStatus::ReviewInProgress),
        StackPlan::Update {
            from,
            body: kept_body,
            kept,
        } => {
            for kept in kept {
                progress.report(ProgressEvent::Note {
                    stack: name.to_string(),
                    message: format!("{} {}", kept.logical_id, kept.what),
                });
            }
            body = kept_body;
            (false, from)
        }
    };

    let seen = event_ids(cfn, name).await;
    // Unique per stack and run: change set names are looked up per stack on AWS, but a name
    // shared by two stacks is one mistake away from running the wrong one.
    let change_set = format!("hubctl-{name}-{}", unix_seconds());
    let staged = match support.bucket.as_deref() {
        Some(bucket) if body.len() > MAX_INLINE_TEMPLATE => {
            let key = format!("{change_set}.template.json");
            support.store.put(bucket, &key, &body).await?;
            progress.report(ProgressEvent::Note {
                stack: name.to_string(),
                message: format!(
                    "template of {} bytes staged as s3://{bucket}/{key}",
                    body.len()
                ),
            });
            Some((bucket, key))
        }
        _ => None,
    };
    let change_set_request = ChangeSetRequest {
        stack_name: name.to_string(),
        change_set_name: change_set.clone(),
        create,
        template: match &staged {
            Some((bucket, key)) => TemplateSource::Url(support.url(bucket, key)),
            None => TemplateSource::Body(body),
        },
        parameters: request.parameters.clone(),
        tags: request.tags.clone(),
    };
    let created = create_change_set(cfn, timing, &change_set_request).await;
    // CloudFormation keeps its own copy once the change set exists (or has failed).
    if let Some((bucket, key)) = &staged {
        if let Err(err) = support.store.delete(bucket, key).await {
            progress.report(ProgressEvent::Note {
                stack: name.to_string(),
                message: format!("could not delete the staged template s3://{bucket}/{key} (the bucket's one-day lifecycle rule removes it): {err:#}"),
            });
        }
    }
    let state = created?;
    if state.status == "FAILED" {
        let reason = state.status_reason.unwrap_or_default();
        if reason.contains("didn't contain changes")
            || reason.contains("No updates are to be performed")
        {
            cfn.delete_change_set(name, &change_set).await?;
            progress.report(ProgressEvent::StackUnchanged {
                stack: name.to_string(),
            });
            let outputs = cfn
                .describe_stack(name)
                .await?
                .map(|s| s.outputs)
                .unwrap_or_default();
            return Ok((StackOutcome::Unchanged, outputs));
        }
        bail!("stack {name}: CloudFormation refused the change set: {reason}");
    }
    progress.report(ProgressEvent::ChangeSetReady {
        stack: name.to_string(),
        n_changes: state.n_changes,
    });
    if let Err(err) = cfn.execute_change_set(name, &change_set).await {
        // A retried call whose first attempt went through (its answer lost) finds the
        // change set already running: that is success, not a second execution.
        let state = cfn.describe_change_set(name, &change_set).await?;
        if !matches!(
            state.execution_status.as_str(),
            "EXECUTE_IN_PROGRESS" | "EXECUTE_COMPLETE"
        ) {
            return Err(err);
        }
    }
    let operation = if create {
        Operation::Create
    } else {
        Operation::Update
    };
    let watch = Watch {
        name,
        operation,
        from: Some(from),
        seen,
    };
    let stack = follow(cfn, support.certificates, progress, timing, &watch).await?;
    Ok((
        StackOutcome::Changed,
        stack.map(|s| s.outputs).unwrap_or_default(),
    ))
}

/// The ids of the stack's events so far: what a new operation's follower need not show again.
pub async fn event_ids(cfn: &impl Cfn, name: &str) -> BTreeSet<String> {
    cfn.stack_events(name, 100)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|event| event.id)
        .collect()
}

/// What to do about a stack CloudFormation will not change until someone decides: a failed
/// rollback or delete leaves resources in an unknown state, so deploy stops and says how out.
pub fn stuck_advice(name: &str, status: &str) -> String {
    match status {
        "UPDATE_ROLLBACK_FAILED" => format!(
            "an update failed and so did its rollback; fix what the stack's events name, then run `aws cloudformation continue-update-rollback --stack-name {name}` (add `--resources-to-skip` for resources that cannot roll back) and re-run deploy"
        ),
        "ROLLBACK_FAILED" => format!(
            "its creation failed and so did the cleanup; delete it (`aws cloudformation delete-stack --stack-name {name}`, with `--retain-resources` for what cannot be deleted) and re-run deploy"
        ),
        "DELETE_FAILED" => format!(
            "a delete did not finish; remove what blocks it (the stack's events name it), finish with `hubctl destroy` or `aws cloudformation delete-stack --stack-name {name}`, then re-run deploy"
        ),
        "IMPORT_ROLLBACK_FAILED" => format!(
            "a resource import failed and so did its rollback; resolve it in the CloudFormation console for {name}, then re-run deploy"
        ),
        _ => "it waits for someone to look at it in the CloudFormation console; then re-run deploy".to_string(),
    }
}

/// Creates the change set and waits until CloudFormation has computed it.
async fn create_change_set(
    cfn: &impl Cfn,
    timing: Timing,
    request: &ChangeSetRequest,
) -> Result<ChangeSetState> {
    let (name, change_set) = (&request.stack_name, &request.change_set_name);
    cfn.create_change_set(request).await?;
    let deadline = tokio::time::Instant::now() + timing.timeout;
    loop {
        let state = cfn.describe_change_set(name, change_set).await?;
        if state.status == "CREATE_COMPLETE" || state.status == "FAILED" {
            return Ok(state);
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "stack {name}: change set stayed {} for {:?}",
                state.status,
                timing.timeout
            );
        }
        tokio::time::sleep(timing.poll).await;
    }
}

/// The operation being followed, for its success status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// A new stack.
    Create,
    /// An existing stack.
    Update,
    /// Removal.
    Delete,
}

impl Operation {
    fn succeeded(self, status: &StackStatus) -> bool {
        matches!(
            (self, status),
            (Operation::Create, StackStatus::CreateComplete)
                | (Operation::Update, StackStatus::UpdateComplete)
                | (Operation::Delete, StackStatus::DeleteComplete)
        )
    }
}

/// A certificate CloudFormation is waiting on.
struct Waiting {
    arn: String,
    since: tokio::time::Instant,
    explained: bool,
}

/// The certificates CloudFormation is waiting on, by logical id.
#[derive(Default)]
struct WaitingCertificates(BTreeMap<String, Waiting>);

impl WaitingCertificates {
    fn see(&mut self, event: &StackEvent) {
        if event.resource_type != "AWS::CertificateManager::Certificate" {
            return;
        }
        let arn = event
            .physical_id
            .as_ref()
            .filter(|id| id.starts_with("arn:"));
        let waiting = matches!(
            event.status.as_str(),
            "CREATE_IN_PROGRESS" | "UPDATE_IN_PROGRESS"
        );
        match arn {
            // A replacement certificate has a new ARN: its own wait starts then.
            Some(arn)
                if waiting
                    && self
                        .0
                        .get(&event.logical_id)
                        .is_none_or(|known| &known.arn != arn) =>
            {
                self.0.insert(
                    event.logical_id.clone(),
                    Waiting {
                        arn: arn.clone(),
                        since: tokio::time::Instant::now(),
                        explained: false,
                    },
                );
            }
            _ if !waiting => {
                self.0.remove(&event.logical_id);
            }
            _ => {}
        }
    }

    /// Those waiting longer than `after` and not yet explained, marked explained.
    fn due(&mut self, after: Duration) -> Vec<(String, String)> {
        self.0
            .iter_mut()
            .filter(|(_, waiting)| !waiting.explained && waiting.since.elapsed() >= after)
            .map(|(logical_id, waiting)| {
                waiting.explained = true;
                (logical_id.clone(), waiting.arn.clone())
            })
            .collect()
    }
}

/// What to tell someone watching a stack wait for its certificate; nothing once ACM has
/// issued it (CloudFormation notices within minutes).
pub(super) fn explain_certificate(
    logical_id: &str,
    state: &CertificateState,
    waited: Duration,
) -> Option<String> {
    let minutes = waited.as_secs().div_ceil(60);
    if state.status == "ISSUED" {
        return None;
    }
    if state.status == "FAILED" {
        return Some(format!(
            "{logical_id}: ACM failed the certificate ({}); fix the cause, then re-run deploy",
            state.failure_reason.as_deref().unwrap_or("no reason given")
        ));
    }
    let pending: Vec<String> = state
        .validations
        .iter()
        .filter(|v| v.status != "SUCCESS")
        .map(|v| match &v.record {
            Some((record, value)) => format!("{} (CNAME {record} -> {value})", v.domain),
            None => format!("{} (no validation record yet)", v.domain),
        })
        .collect();
    Some(format!(
        "{logical_id}: certificate still {} after {minutes} min for {}. CloudFormation wrote the record into the subzone; ACM sees it once public DNS reaches the subzone: check that the parent zone's NS record for it lists the subzone's name servers and that the parent zone is the one its registrar serves. The stack keeps waiting",
        state.status,
        if pending.is_empty() { "its names".to_string() } else { pending.join(", ") }
    ))
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// One stack operation to follow: which stack, what it is, the status the stack had before
/// it started, and the events already shown.
#[derive(Clone, Debug)]
pub struct Watch<'a> {
    /// The stack.
    pub name: &'a str,
    /// The operation.
    pub operation: Operation,
    /// The stack's status before the operation started (a stack a CREATE change set made
    /// is `REVIEW_IN_PROGRESS`).
    pub from: Option<StackStatus>,
    /// Events already reported (from before the operation).
    pub seen: BTreeSet<String>,
}

/// Follows a stack operation to its end, reporting each new event; returns the final stack
/// (`None` once deleted) or a [`StackFailed`] with the failed resources.
///
/// The operation has started (ExecuteChangeSet and DeleteStack only start it) once the stack
/// was seen in progress, showed a new event of its own, or left the status it had before:
/// until then a resting status is the old one, not the end.
pub async fn follow(
    cfn: &impl Cfn,
    certificates: &impl Certificates,
    progress: &impl Progress,
    timing: Timing,
    watch: &Watch<'_>,
) -> Result<Option<LiveStack>> {
    let (name, operation) = (watch.name, watch.operation);
    let mut seen = watch.seen.clone();
    let mut started = false;
    let mut failed: Vec<FailedResource> = Vec::new();
    let mut waiting = WaitingCertificates::default();
    let deadline = tokio::time::Instant::now() + timing.timeout;
    loop {
        let live = cfn.describe_stack(name).await?;
        let mut events: Vec<StackEvent> = cfn.stack_events(name, 100).await.unwrap_or_default();
        events.reverse(); // oldest first
        for event in events {
            if !seen.insert(event.id.clone()) {
                continue;
            }
            started |= event.logical_id == name;
            waiting.see(&event);
            if event.status.ends_with("_FAILED") {
                failed.push(FailedResource {
                    stack: name.to_string(),
                    logical_id: event.logical_id.clone(),
                    resource_type: event.resource_type.clone(),
                    status: event.status.clone(),
                    reason: event.reason.clone().unwrap_or_default(),
                });
            }
            progress.report(ProgressEvent::Resource {
                stack: name.to_string(),
                logical_id: event.logical_id,
                resource_type: event.resource_type,
                status: event.status,
                reason: event.reason,
            });
        }
        let status = match &live {
            None if operation == Operation::Delete => StackStatus::DeleteComplete,
            None => bail!("stack {name} disappeared while it was being deployed"),
            Some(stack) => stack.status.clone(),
        };
        started |= status.is_in_progress() || watch.from.as_ref() != Some(&status);
        if started && !status.is_in_progress() {
            let ok = operation.succeeded(&status);
            progress.report(ProgressEvent::StackFinished {
                stack: name.to_string(),
                status: status.to_string(),
                ok,
            });
            if ok {
                return Ok(live);
            }
            return Err(StackFailed {
                stack: name.to_string(),
                reason: live.and_then(|stack| stack.status_reason),
                status,
                failed,
            }
            .into());
        }
        for (logical_id, arn) in waiting.due(timing.certificate_hint) {
            let message = match certificates.validation(&arn).await {
                Ok(state) => explain_certificate(&logical_id, &state, timing.certificate_hint),
                Err(err) => Some(format!(
                    "{logical_id}: cannot ask ACM why the certificate waits: {err:#}"
                )),
            };
            let Some(message) = message else { continue };
            progress.report(ProgressEvent::Note {
                stack: name.to_string(),
                message,
            });
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("stack {name} is still {status} after {:?}; it goes on in CloudFormation: watch it in the console and re-run when it ends", timing.timeout);
        }
        tokio::time::sleep(timing.poll).await;
    }
}
