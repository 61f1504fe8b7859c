//! `hubctl users`: the first login on Cognito. The configured admins and allowed users the
//! environment's user pool lacks are created with Cognito's own e-mail invitation (Cognito
//! makes the temporary password and sends it), so no password passes through hubctl or the
//! config. Users already in the pool are left as they are; users only in the pool are
//! reported and never deleted.
//!
//! Read first ([`roster`]: ListUsers, every page), then invite ([`invite`]: AdminCreateUser
//! per missing user, in the config's order), so the CLI can show and ask in between. A re-run
//! invites nobody. No Cognito group is made for admins: JupyterHub learns them from
//! `JUPYTERHUB_ADMIN_USERS` (`admin_users`), which the hub stack sets from `hub.admins`.

use anyhow::{anyhow, Result};

use super::api::{Cfn, Directory, Invitation, PoolUser};
use super::live_output;
use crate::model::{Auth, Deployment, Hub};
use crate::plan::Plan;
use crate::stacks::hub::outputs;
use crate::stacks::{OutputRef, StackId};

/// The environment signs in with an OAuth provider: its users are managed there.
#[derive(Debug, thiserror::Error)]
#[error("environment `{env}` signs in through an OAuth provider (hub.auth.kind: oauth): create its users in that provider; hub.admins and hub.allowed_users only say whom JupyterHub lets in")]
pub struct NotCognito {
    /// The environment.
    pub env: String,
}

/// Where the environment's user pool is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolLocation {
    /// Created by the hub stack: its id is the stack's `UserPoolId` output.
    Stack {
        /// The hub stack's output.
        output: OutputRef,
        /// The hub stack's name.
        stack_name: String,
    },
    /// An existing pool the config names (`hub.auth.user_pool_id`; the config reader holds
    /// it to the environment's region, where the hub's app client is made).
    Existing {
        /// Its id.
        id: String,
    },
}

/// Where the pool of `deployment` is; [`NotCognito`] when it signs in through OAuth.
pub fn pool_location(deployment: &Deployment) -> Result<PoolLocation, NotCognito> {
    match &deployment.hub.auth {
        Auth::OAuth(_) => Err(NotCognito {
            env: deployment.env.clone(),
        }),
        Auth::Cognito {
            existing: Some(pool),
        } => Ok(PoolLocation::Existing {
            id: pool.user_pool_id.as_str().to_string(),
        }),
        Auth::Cognito { existing: None } => Ok(PoolLocation::Stack {
            output: OutputRef::new(StackId::Hub, outputs::USER_POOL_ID),
            stack_name: Plan::of(deployment).stack_name(StackId::Hub),
        }),
    }
}

/// The pool's id: the configured one, or the deployed hub stack's output.
pub async fn pool_id(
    cfn: &impl Cfn,
    deployment: &Deployment,
    location: &PoolLocation,
) -> Result<String> {
    match location {
        PoolLocation::Existing { id, .. } => Ok(id.clone()),
        PoolLocation::Stack {
            output, stack_name, ..
        } => live_output(cfn, &Plan::of(deployment), *output)
            .await?
            .ok_or_else(|| {
                anyhow!(
                    "stack {stack_name} is not deployed or has no output {}: run `hubctl deploy --env {}` first; it creates the user pool",
                    output.output,
                    deployment.env
                )
            }),
    }
}

/// A configured user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Their JupyterHub name, which is their Cognito user name.
    pub name: String,
    /// Listed in `hub.admins` (else in `hub.allowed_users`).
    pub admin: bool,
}

impl Member {
    /// The config key that lists them.
    pub fn key(&self) -> &'static str {
        if self.admin {
            "hub.admins"
        } else {
            "hub.allowed_users"
        }
    }
}

/// The configured users against the pool's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roster {
    /// Configured and in the pool (config order), with the pool's view of them.
    pub present: Vec<(Member, PoolUser)>,
    /// Configured, not in the pool (config order): to invite.
    pub missing: Vec<Member>,
    /// In the pool, not configured (by user name): left alone.
    pub extra: Vec<PoolUser>,
}

impl Roster {
    /// The missing users whose name is not an e-mail address: Cognito has nowhere to send
    /// their invitation.
    pub fn without_address(&self) -> Vec<&Member> {
        self.missing
            .iter()
            .filter(|member| !is_email(&member.name))
            .collect()
    }
}

/// Users to invite whose name is no e-mail address: nothing was changed.
#[derive(Debug, thiserror::Error)]
#[error("{}", describe_without_address(.file, .users))]
pub struct NoAddress {
    /// The config file.
    pub file: String,
    /// The users, in the config's order.
    pub users: Vec<Member>,
}

fn describe_without_address(file: &str, users: &[Member]) -> String {
    let lines: Vec<String> = users
        .iter()
        .map(|member| {
            format!(
                "{file}: {}: \"{}\" is not an e-mail address, and Cognito e-mails a new user's temporary password to their user name; list them by e-mail address (e.g. \"{}@example.com\"), which JupyterHub then knows them by (a new name is a new home directory)",
                member.key(),
                member.name,
                member.name
            )
        })
        .collect();
    format!("{}; nobody was invited", lines.join("\n"))
}

/// True for `local@domain.tld` (a config user name has only a-z, 0-9 and `._@-`).
pub fn is_email(name: &str) -> bool {
    let Some((local, domain)) = name.split_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    !local.is_empty()
        && !domain.contains('@')
        && labels.len() >= 2
        && labels
            .iter()
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
}

/// Every user of the pool (every page of ListUsers).
pub async fn pool_users(directory: &impl Directory, pool_id: &str) -> Result<Vec<PoolUser>> {
    let mut users = Vec::new();
    let mut token: Option<String> = None;
    let mut seen_tokens = std::collections::BTreeSet::new();
    loop {
        let page = directory.list_users(pool_id, token.as_deref()).await?;
        users.extend(page.users);
        match page.next.filter(|next| !next.is_empty()) {
            Some(next) => {
                if !seen_tokens.insert(next.clone()) {
                    return Err(anyhow!(
                        "ListUsers {pool_id}: the same page token came back twice; the pool's list never ends"
                    ));
                }
                token = Some(next);
            }
            None => return Ok(users),
        }
    }
}

/// The hub's configured users (admins first, as configured) against the pool's. A pool
/// user is a configured one when their user name, or their `email` (a pool with
/// `UsernameAttributes: [email]` names users by `sub`), is the configured name.
pub async fn roster(directory: &impl Directory, pool_id: &str, hub: &Hub) -> Result<Roster> {
    // A pool that names users by e-mail or phone gives each a UUID as user name, and that
    // is the `username` the hub's login receives: nobody configured could sign in.
    let attributes = directory.username_attributes(pool_id).await?;
    if !attributes.is_empty() {
        return Err(anyhow!(
            "user pool {pool_id} names its users by {} (UsernameAttributes), so Cognito gives each a UUID as user name and the hub receives that UUID as the username: nobody in hub.admins or hub.allowed_users could sign in; use a pool without UsernameAttributes (remove hub.auth.user_pool_id and hub.auth.domain: hubctl's own pool has none); nobody was invited",
            attributes.join(" and ")
        ));
    }
    let mut pool = pool_users(directory, pool_id).await?;
    let mut roster = Roster::default();
    let members = hub
        .admins
        .iter()
        .map(|user| (user, true))
        .chain(hub.allowed_users.iter().map(|user| (user, false)));
    for (user, admin) in members {
        let member = Member {
            name: user.name.clone(),
            admin,
        };
        let found = pool
            .iter()
            .position(|p| p.username == user.name)
            .or_else(|| {
                pool.iter()
                    .position(|p| p.email.as_deref() == Some(user.name.as_str()))
            });
        match found {
            Some(index) => roster.present.push((member, pool.remove(index))),
            None => roster.missing.push(member),
        }
    }
    pool.sort_by(|a, b| a.username.cmp(&b.username));
    roster.extra = pool;
    Ok(roster)
}

/// Why inviting stopped before the end.
#[derive(Debug)]
pub enum Stop {
    /// The pool's e-mail quota is spent (AWS's message).
    LimitExceeded(String),
    /// Any other error.
    Failed(anyhow::Error),
}

/// What [`invite`] did.
#[derive(Debug, Default)]
pub struct Invited {
    /// Created, Cognito e-mailing each their temporary password (config order).
    pub sent: Vec<Member>,
    /// Created by someone else since the pool was read (UsernameExistsException).
    pub already_there: Vec<Member>,
    /// Where it stopped: the user and why; the users after them were not tried.
    pub stopped: Option<(Member, Stop)>,
    /// Not tried, because it stopped.
    pub not_tried: Vec<Member>,
}

/// Invites each of `missing` (their name is their e-mail address; see
/// [`Roster::without_address`]), in order; stops at the first refusal, keeping what was
/// done.
pub async fn invite(directory: &impl Directory, pool_id: &str, missing: &[Member]) -> Invited {
    let mut done = Invited::default();
    let mut rest = missing.iter();
    for member in rest.by_ref() {
        match directory.invite(pool_id, &member.name, &member.name).await {
            Ok(Invitation::Sent) => done.sent.push(member.clone()),
            Ok(Invitation::AlreadyThere) => done.already_there.push(member.clone()),
            Ok(Invitation::LimitExceeded(message)) => {
                done.stopped = Some((member.clone(), Stop::LimitExceeded(message)));
                break;
            }
            Err(err) => {
                done.stopped = Some((member.clone(), Stop::Failed(err)));
                break;
            }
        }
    }
    done.not_tried = rest.cloned().collect();
    done
}

#[cfg(test)]
mod tests;
