//! `images`: deploy the frame (its KMS key) and the images stack only, then say which of the
//! environment's own images are pushed and print the commands that push the others. Runs on
//! a fresh account before anything else: the repositories need no subzone and no hub.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;

use super::apply::{confirm, options, Session};
use super::OutputFormat;
use crate::deploy;
use crate::model::Deployment;

/// The ECR repositories of `deployment`, created or updated, and what to push.
pub(super) fn images(deployment: &Deployment, yes: bool, format: OutputFormat) -> Result<ExitCode> {
    let env = &deployment.env;
    if crate::stacks::images::repositories(deployment).is_empty() {
        if format == OutputFormat::Json {
            super::print_json(serde_json::json!({
                "ok": true, "env": env, "changed": [], "unchanged": [], "images": {},
                "commands": [],
            }));
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "environment {env} runs no image from its own registry ({}): no repository to create; images elsewhere (Docker Hub, quay.io, another account's ECR) are left alone",
            deployment.registry()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let session = Session::open(&deployment.region)?;
    if !yes && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        session.check_account(deployment)?;
        if !confirm(&format!(
            "deploy the frame and images stacks of {} to account {} ({})?",
            deployment.env, deployment.account, deployment.region
        ))? {
            return super::apply::declined(format, "nothing changed");
        }
    }
    let progress = deploy::progress::Display::new();
    let result = session.runtime.block_on(deploy::images::deploy_images(
        deployment,
        &session.cloud,
        &progress,
        options(false, 4, false),
    ));
    progress.finish();
    let report = match result {
        Ok(report) => report,
        // Nothing started (no credentials, the wrong account) is exit 2 there too.
        Err(err) => {
            return super::apply::report_failure(
                err,
                format,
                "hubctl images picks up where it stopped",
            )
        }
    };
    if format == OutputFormat::Json {
        let images: serde_json::Map<String, serde_json::Value> = report
            .images
            .iter()
            .map(|(reference, pushed)| (reference.to_string(), serde_json::json!(pushed)))
            .collect();
        super::print_json(serde_json::json!({
            "ok": true, "env": deployment.env, "changed": report.stacks.changed,
            "unchanged": report.stacks.unchanged, "images": images,
            "commands": report.commands,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "repositories of {} ready ({} stack(s) changed, {} unchanged)",
        deployment.env,
        report.stacks.changed.len(),
        report.stacks.unchanged.len()
    )?;
    for (reference, pushed) in &report.images {
        let state = if *pushed { "pushed" } else { "NOT pushed" };
        writeln!(stdout, "  {reference}: {state}")?;
    }
    if report.commands.is_empty() {
        writeln!(
            stdout,
            "every image is pushed: hubctl deploy --env {} can go on",
            deployment.env
        )?;
    } else {
        writeln!(
            stdout,
            "push the missing images, then run `hubctl deploy --env {}`:",
            deployment.env
        )?;
        for command in &report.commands {
            writeln!(stdout, "  {command}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
