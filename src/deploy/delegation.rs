//! The subzone delegation: the NS record of the environment's subzone in the parent zone,
//! written through the role the parent DNS account hands out. Touches no other record.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};

use super::api::{AssumeRole, Dns, NsChange};
use super::progress::{Progress, ProgressEvent};
use super::NothingStarted;
use crate::model::Deployment;

/// TTL of the NS record hubctl writes (two days, the usual for delegations).
pub const NS_TTL: i64 = 172_800;

/// What the delegation needs to know.
#[derive(Clone, Debug)]
pub struct Delegation {
    /// The subzone, e.g. `dev.example.com`.
    pub subzone: String,
    /// Its hosted zone id in the workload account.
    pub zone_id: String,
    /// The parent zone, e.g. `example.com`.
    pub parent_zone: String,
    /// The role to assume in the parent account.
    pub role_arn: String,
    /// Replace an NS record that points elsewhere.
    pub force: bool,
}

impl Delegation {
    /// "the NS record of <subzone> in <parent zone>", for messages.
    fn record(&self) -> String {
        format!("the NS record of {} in {}", self.subzone, self.parent_zone)
    }
}

/// What the delegation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DelegationOutcome {
    /// The parent already delegated to these name servers.
    Unchanged,
    /// The NS record was created.
    Created,
    /// An NS record pointing elsewhere was replaced (`--force-delegation`).
    Replaced,
}

/// Timing of the delegation's waits.
#[derive(Clone, Copy, Debug)]
pub struct DelegationTiming {
    /// Between polls of the change status.
    pub poll: Duration,
    /// Give up waiting for `INSYNC` after this long.
    pub insync_timeout: Duration,
    /// Keep retrying AccessDenied (a role or its trust just created: IAM propagates in
    /// seconds to a minute) for this long.
    pub access_denied_window: Duration,
}

/// Lowercase names without the trailing dot, sorted: how two NS sets are compared.
pub fn normalize(values: &[String]) -> Vec<String> {
    let mut names: Vec<String> = values
        .iter()
        .map(|v| v.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn is_access_denied(err: &anyhow::Error) -> bool {
    let text = format!("{err:#}");
    text.contains("AccessDenied") || text.contains("not authorized")
}

/// An explicit deny (an SCP, RCP, permissions boundary or Deny statement) does not pass with
/// IAM propagation: AWS says "with an explicit deny" in its message.
fn is_explicit_deny(err: &anyhow::Error) -> bool {
    format!("{err:#}").contains("explicit deny")
}

/// What to check when a denial is explicit.
const EXPLICIT_DENY_HINT: &str = "an explicit deny refuses it: a service or resource control policy of the organisation, a permissions boundary, or a Deny statement; ask whoever manages those for the workload or the parent DNS account";

/// Runs `call`, retrying AccessDenied with backoff for a bounded time: a role, its trust or
/// its policy that the parent account's owners just deployed takes IAM seconds to a minute
/// to propagate. Other errors, and a denial that outlasts the window, are returned.
async fn retry_denied<T, F, Fut>(
    what: &str,
    timing: DelegationTiming,
    progress: &impl Progress,
    mut call: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let deadline = tokio::time::Instant::now() + timing.access_denied_window;
    let mut wait = Duration::from_millis(500);
    loop {
        match call().await {
            Ok(value) => return Ok(value),
            Err(err)
                if is_access_denied(&err)
                    && !is_explicit_deny(&err)
                    && tokio::time::Instant::now() + wait < deadline =>
            {
                progress.report(ProgressEvent::Delegation {
                    message: format!(
                        "{what} denied, retrying in {:.1}s (IAM changes take a moment)",
                        wait.as_secs_f64()
                    ),
                });
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
            Err(err) => return Err(err),
        }
    }
}

/// Assumes the role, retrying AccessDenied for a bounded time.
async fn assume_with_retry<A: AssumeRole>(
    assume: &A,
    role_arn: &str,
    timing: DelegationTiming,
    progress: &impl Progress,
) -> Result<A::ParentDns> {
    retry_denied(&format!("access to {role_arn}"), timing, progress, || assume.assume(role_arn))
        .await
        .map_err(|err| {
            let hint = if is_explicit_deny(&err) {
                EXPLICIT_DENY_HINT.to_string()
            } else if is_access_denied(&err) {
                format!("ask the owners of the parent DNS account to deploy the current parent/<project>-delegation-role.template.json (`hubctl parent deploy --profile <dns-admin>`: it makes this role and trusts only this account with it); and check that this account lets you call sts:AssumeRole on {role_arn}")
            } else {
                "check the parent DNS account's id (dns.parent_account) and that STS answers in this region".to_string()
            };
            err.context(format!("cannot assume {role_arn}: {hint}"))
        })
}

/// The fix for a denial that outlasted the retries of the parent-zone calls.
fn explain_parent_denial(err: anyhow::Error, delegation: &Delegation) -> anyhow::Error {
    if is_explicit_deny(&err) {
        err.context(EXPLICIT_DENY_HINT)
    } else if is_access_denied(&err) {
        err.context(format!(
            "{} may not read or write the NS record of {} in {}: ask the owners of the parent DNS account to deploy the current parent/<project>-delegation-role.template.json (`hubctl parent deploy --profile <dns-admin>`; this account's role must name {})",
            delegation.role_arn, delegation.subzone, delegation.parent_zone, delegation.subzone
        ))
    } else {
        err
    }
}

/// Deploy's check before any stack is planned or changed: the environment's delegation
/// role can be assumed, asked once. The parent account's owners deploy the role before any
/// environment (`hubctl parent deploy`), so a denial here is a missing role, a trust that
/// does not name this account (the environment joined the config after their last run) or
/// the caller's own policies, not IAM propagation; the later delegation step still retries
/// denials for a role or a policy that changed moments before. The session is dropped:
/// the delegation assumes the role again when the subzone exists (the session lasts 15
/// minutes, and the stacks before it may take longer).
pub async fn check_assumable(assume: &impl AssumeRole, deployment: &Deployment) -> Result<()> {
    let role_arn = deployment.delegation_role_arn();
    let (parent, account) = (&deployment.dns.parent_account, &deployment.account);
    match assume.assume(&role_arn).await {
        Ok(_) => Ok(()),
        Err(err) => {
            let hint = if is_explicit_deny(&err) {
                EXPLICIT_DENY_HINT.to_string()
            } else if is_access_denied(&err) {
                format!("the DNS team has not deployed this account's role yet (they run `hubctl parent deploy --profile <dns-admin>` with this config, in account {parent}), or its trust does not name account {account} (environment `{}` joined the config after their last run: they run it again), or your own policies in account {account} do not allow sts:AssumeRole on it; a role deployed in the last minute may still be on its way through IAM: re-run in a minute", deployment.env)
            } else {
                format!(
                    "check dns.parent_account ({parent}) and that STS answers in {}",
                    deployment.region
                )
            };
            Err(NothingStarted(format!(
                "cannot assume the delegation role {role_arn} in the parent DNS account {parent} from workload account {account} (region {}): {err:#}; {hint}",
                deployment.region
            ))
            .into())
        }
    }
}

/// Points the parent zone's NS record for the subzone at the subzone's name servers.
pub async fn delegate<W: Dns, A: AssumeRole>(
    workload: &W,
    assume: &A,
    progress: &impl Progress,
    timing: DelegationTiming,
    delegation: &Delegation,
) -> Result<DelegationOutcome> {
    let wanted = normalize(&workload.name_servers(&delegation.zone_id).await?);
    if wanted.is_empty() {
        bail!(
            "hosted zone {} of {} has no name servers",
            delegation.zone_id,
            delegation.subzone
        );
    }
    let parent = assume_with_retry(assume, &delegation.role_arn, timing, progress).await?;
    let values: Vec<String> = wanted.iter().map(|name| format!("{name}.")).collect();
    // Read, compare and write together: a denial (a role that does not name this subzone
    // yet) is retried from the read, so a record that appeared meanwhile is seen, not
    // overwritten.
    let written = retry_denied(&delegation.record(), timing, progress, || async {
        let parent_zone_id = parent_zone_id(&parent, &delegation.parent_zone).await?;
        let existing = parent
            .ns_record(&parent_zone_id, &delegation.subzone)
            .await?;
        let outcome = match &existing {
            Some((_, values)) if normalize(values) == wanted => return Ok(None),
            Some((_, values)) if !delegation.force => bail!(
                "{} already has an NS record for {} pointing elsewhere ({}), not at this environment's zone ({}); if it is stale, re-run with --force-delegation",
                delegation.parent_zone,
                delegation.subzone,
                normalize(values).join(", "),
                wanted.join(", ")
            ),
            Some(_) => DelegationOutcome::Replaced,
            None => DelegationOutcome::Created,
        };
        let change = parent
            .change_ns(&parent_zone_id, &delegation.subzone, NsChange::Upsert, NS_TTL, &values)
            .await?;
        Ok(Some((outcome, change)))
    })
    .await
    .map_err(|err| explain_parent_denial(err, delegation))?;
    let Some((outcome, change)) = written else {
        progress.report(ProgressEvent::Delegation {
            message: format!(
                "{} already delegates {} to its name servers",
                delegation.parent_zone, delegation.subzone
            ),
        });
        return Ok(DelegationOutcome::Unchanged);
    };
    progress.report(ProgressEvent::Delegation {
        message: format!(
            "NS {} → {} written in {}, waiting for INSYNC",
            delegation.subzone,
            wanted.join(", "),
            delegation.parent_zone
        ),
    });
    wait_in_sync(&parent, &change, timing.poll, timing.insync_timeout).await?;
    progress.report(ProgressEvent::Delegation {
        message: format!("{} delegated", delegation.subzone),
    });
    Ok(outcome)
}

/// Removes the NS record, but only while it still points at the subzone's name servers.
/// Returns true when a record was removed.
pub async fn undelegate<W: Dns, A: AssumeRole>(
    workload: &W,
    assume: &A,
    progress: &impl Progress,
    timing: DelegationTiming,
    delegation: &Delegation,
) -> Result<bool> {
    let ours = normalize(&workload.name_servers(&delegation.zone_id).await?);
    let parent = assume_with_retry(assume, &delegation.role_arn, timing, progress).await?;
    /// What the parent zone held.
    enum Found {
        /// Our record, now being removed by this change.
        Ours(String),
        /// A record that points elsewhere.
        Foreign,
        /// No record.
        Absent,
    }
    let found = retry_denied(&delegation.record(), timing, progress, || async {
        let parent_zone_id = parent_zone_id(&parent, &delegation.parent_zone).await?;
        match parent
            .ns_record(&parent_zone_id, &delegation.subzone)
            .await?
        {
            Some((ttl, values)) if normalize(&values) == ours => parent
                .change_ns(
                    &parent_zone_id,
                    &delegation.subzone,
                    NsChange::Delete,
                    ttl,
                    &values,
                )
                .await
                .map(Found::Ours),
            Some(_) => Ok(Found::Foreign),
            None => Ok(Found::Absent),
        }
    })
    .await
    .map_err(|err| explain_parent_denial(err, delegation))?;
    match found {
        Found::Ours(change) => {
            wait_in_sync(&parent, &change, timing.poll, timing.insync_timeout).await?;
            progress.report(ProgressEvent::Delegation {
                message: format!(
                    "NS record of {} removed from {}",
                    delegation.subzone, delegation.parent_zone
                ),
            });
            Ok(true)
        }
        Found::Foreign => {
            progress.report(ProgressEvent::Delegation {
                message: format!(
                    "the NS record of {} in {} points elsewhere now: left alone",
                    delegation.subzone, delegation.parent_zone
                ),
            });
            Ok(false)
        }
        Found::Absent => Ok(false),
    }
}

async fn parent_zone_id(parent: &impl Dns, name: &str) -> Result<String> {
    let zones = parent.public_zones_named(name).await?;
    match zones.as_slice() {
        [zone] => Ok(zone.clone()),
        [] => Err(anyhow!("the parent DNS account has no public hosted zone {name}; check dns.parent_zone and dns.parent_account")),
        _ => Err(anyhow!(
            "the parent DNS account has {} public hosted zones named {name} ({}); hubctl will not guess which one delegates",
            zones.len(),
            zones.join(", ")
        )),
    }
}

/// Polls Route 53 every `poll` until `change` is `INSYNC`, for at most `timeout`.
pub(super) async fn wait_in_sync(
    dns: &impl Dns,
    change: &str,
    poll: Duration,
    timeout: Duration,
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + timeout;
    while !dns.change_in_sync(change).await? {
        if tokio::time::Instant::now() >= deadline {
            bail!("Route 53 change {change} is not INSYNC after {timeout:?}; it usually is within a minute: re-run to check");
        }
        tokio::time::sleep(poll).await;
    }
    Ok(())
}
