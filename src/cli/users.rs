//! `users`: the first login on Cognito. Checks the account, reads the environment's user
//! pool, says who is there, asks (on a terminal), then invites the configured users the pool
//! lacks with Cognito's own e-mail; prints what it did per user.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use super::{apply, runtime, OutputFormat};
use crate::deploy;
use crate::deploy::api::PoolUser;
use crate::deploy::users::{Member, NoAddress, PoolLocation, Stop};
use crate::model::Deployment;

/// `hubctl users --env <env> [--yes] [--dry-run]`.
pub(super) fn run(
    config: &Path,
    deployment: &Deployment,
    yes: bool,
    dry_run: bool,
    format: OutputFormat,
) -> Result<ExitCode> {
    let json = format == OutputFormat::Json;
    // An OAuth login has no pool: said before any call.
    let location = deploy::users::pool_location(deployment)?;
    runtime()?.block_on(async {
        let sdk = deploy::aws::sdk_config(&deployment.region).await;
        deploy::check_account(&deploy::aws::Sts::new(&sdk), deployment).await?;
        let cfn = deploy::aws::CloudFormation::new(&sdk);
        let pool_id = deploy::users::pool_id(&cfn, deployment, &location).await?;
        let directory = deploy::aws::Cognito::new(&sdk);
        let roster = deploy::users::roster(&directory, &pool_id, &deployment.hub).await?;

        // With --output json the lines go nowhere and one object says the same at the end.
        let mut stdout: Box<dyn Write> = if json {
            Box::new(std::io::sink())
        } else {
            Box::new(std::io::stdout().lock())
        };
        let mut result = Outcome {
            env: deployment.env.clone(),
            pool_id: pool_id.clone(),
            present: roster
                .present
                .iter()
                .map(|(member, user)| serde_json::json!({
                    "name": member.name, "admin": member.admin, "status": user.status,
                    "enabled": user.enabled,
                }))
                .collect(),
            extra: roster.extra.iter().map(|user| user.username.clone()).collect(),
            ..Outcome::default()
        };
        let source = match &location {
            PoolLocation::Stack { stack_name, .. } => format!("output of stack {stack_name}"),
            PoolLocation::Existing { .. } => "hub.auth.user_pool_id".to_string(),
        };
        writeln!(stdout, "user pool {pool_id} ({source})")?;
        for (member, user) in &roster.present {
            writeln!(
                stdout,
                "  already there: {}{} ({})",
                member.name,
                admin(member),
                state(user)
            )?;
        }
        for user in &roster.extra {
            let email = match &user.email {
                Some(email) if *email != user.username => format!(" <{email}>"),
                _ => String::new(),
            };
            writeln!(
                stdout,
                "  not in the config (left alone): {}{email}",
                user.username
            )?;
        }
        let without = roster.without_address();
        if !without.is_empty() {
            drop(stdout);
            return Err(NoAddress {
                file: config.display().to_string(),
                users: without.into_iter().cloned().collect(),
            }
            .into());
        }
        let n_there = roster.present.len();
        if roster.missing.is_empty() {
            writeln!(stdout, "0 invited, {n_there} already there")?;
            return result.print(json, ExitCode::SUCCESS);
        }
        if dry_run {
            for member in &roster.missing {
                writeln!(stdout, "  would invite: {}{}", member.name, admin(member))?;
            }
            result.would_invite = roster.missing.iter().map(|m| m.name.clone()).collect();
            writeln!(
                stdout,
                "0 invited (--dry-run; {} to invite), {n_there} already there",
                roster.missing.len()
            )?;
            return result.print(json, ExitCode::SUCCESS);
        }
        stdout.flush()?;
        if !yes && std::io::stdin().is_terminal() {
            let names: Vec<&str> = roster.missing.iter().map(|m| m.name.as_str()).collect();
            if !apply::confirm(&format!(
                "invite {} into user pool {pool_id}? Cognito e-mails each a temporary password",
                names.join(", ")
            ))? {
                return apply::declined(format, "nobody invited");
            }
        }
        let done = deploy::users::invite(&directory, &pool_id, &roster.missing).await;
        for member in &done.sent {
            writeln!(
                stdout,
                "  invited: {}{} (Cognito e-mails them a temporary password)",
                member.name,
                admin(member)
            )?;
        }
        for member in &done.already_there {
            writeln!(
                stdout,
                "  already there: {}{} (created since the pool was read)",
                member.name,
                admin(member)
            )?;
        }
        writeln!(
            stdout,
            "{} invited, {} already there",
            done.sent.len(),
            n_there + done.already_there.len()
        )?;
        drop(stdout);
        result.invited = done.sent.iter().map(|m| m.name.clone()).collect();
        result.raced = done.already_there.iter().map(|m| m.name.clone()).collect();
        let Some((member, why)) = done.stopped else {
            return result.print(json, ExitCode::SUCCESS);
        };
        let rest: Vec<&str> = std::iter::once(member.name.as_str())
            .chain(done.not_tried.iter().map(|m| m.name.as_str()))
            .collect();
        let error = match why {
            Stop::LimitExceeded(message) => format!(
                "Cognito refused to send more e-mail (LimitExceededException: {message}); the pool sends with Cognito's own e-mail, at most 50 messages a day; re-run tomorrow to invite the rest ({}), or have the pool send through Amazon SES",
                rest.join(", ")
            ),
            Stop::Failed(err) => format!(
                "{err:#}; not invited: {}; fix the cause and re-run (the users invited so far are kept)",
                rest.join(", ")
            ),
        };
        result.not_invited = rest.iter().map(|name| name.to_string()).collect();
        if !json {
            eprintln!("error: {error}");
        }
        result.error = Some(error);
        result.print(json, ExitCode::from(1))
    })
}

/// `users --output json`: the shape the README documents.
#[derive(Default)]
struct Outcome {
    env: String,
    pool_id: String,
    present: Vec<serde_json::Value>,
    extra: Vec<String>,
    would_invite: Vec<String>,
    invited: Vec<String>,
    raced: Vec<String>,
    not_invited: Vec<String>,
    error: Option<String>,
}

impl Outcome {
    /// Prints the object when JSON was asked for; `code` either way.
    fn print(self, json: bool, code: ExitCode) -> Result<ExitCode> {
        if json {
            // A stop part-way is an error in the shape every command's errors have, with
            // what was and was not done beside it.
            let mut value = match &self.error {
                Some(error) => super::error_json(error),
                None => serde_json::json!({ "ok": true }),
            };
            for (key, field) in [
                ("env", serde_json::json!(self.env)),
                ("pool_id", serde_json::json!(self.pool_id)),
                ("already_there", serde_json::json!(self.present)),
                ("not_in_config", serde_json::json!(self.extra)),
                ("would_invite", serde_json::json!(self.would_invite)),
                ("invited", serde_json::json!(self.invited)),
                ("created_meanwhile", serde_json::json!(self.raced)),
                ("not_invited", serde_json::json!(self.not_invited)),
            ] {
                value[key] = field;
            }
            super::print_json(value);
        }
        Ok(code)
    }
}

fn admin(member: &Member) -> &'static str {
    if member.admin {
        " (admin)"
    } else {
        ""
    }
}

/// What the pool's status means for the person.
fn state(user: &PoolUser) -> String {
    let status = match user.status.as_str() {
        "FORCE_CHANGE_PASSWORD" => "invited, has not signed in yet".to_string(),
        "CONFIRMED" => "has signed in".to_string(),
        "RESET_REQUIRED" => "must reset their password".to_string(),
        other => other.to_string(),
    };
    if user.enabled {
        status
    } else {
        format!("{status}; disabled in the pool")
    }
}
