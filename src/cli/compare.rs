//! `diff`: the config's synth against an earlier synth output or the deployed stacks.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Result};

#[cfg(feature = "aws")]
use super::apply::cloud;
use super::compile::load_config;
#[cfg(feature = "aws")]
use super::{one_env, runtime};
use super::{DiffFormat, OutputFormat};
#[cfg(feature = "aws")]
use crate::deploy::api::Cloud;
use crate::{diff, output, synth};

pub(super) fn diff(
    path: &Path,
    env: Option<&str>,
    against: Option<&Path>,
    deployed: bool,
    fail: bool,
    format: DiffFormat,
) -> Result<ExitCode> {
    let config_format = match format {
        DiffFormat::Json => OutputFormat::Json,
        _ => OutputFormat::Text,
    };
    let Some(config) = load_config(path, config_format)? else {
        return Ok(ExitCode::from(2));
    };
    let report = match (against, env) {
        (Some(dir), _) => {
            let selected = config.select(env).map_err(|message| anyhow!(message))?;
            let all: Vec<_> = config.deployments.iter().collect();
            let rendered = synth::render(&all, &selected);
            let origin = dir.display().to_string();
            let files = output::read_tree(dir)?;
            if !files.keys().any(|f| f.ends_with("/manifest.json")) {
                return Err(anyhow!(
                    "{origin}: no <env>/manifest.json in it; pass the output directory of an earlier `hubctl synth` (e.g. of the base branch)"
                ));
            }
            // One environment at a time, so only its templates are parsed and held; the
            // head shares the base's parsed templates where the text is the same.
            let names: std::collections::BTreeSet<&str> = files
                .keys()
                .chain(rendered.files.keys())
                .filter_map(|path| path.split_once('/').map(|(env, _)| env))
                .filter(|name| env.is_none_or(|wanted| wanted == *name))
                .collect();
            let mut comparison = diff::Comparison::new(&origin);
            for name in names {
                let only = [name];
                let before = diff::load::snapshot(&files, Some(&only), &origin, None)?;
                let reuse = diff::load::Reuse {
                    files: &files,
                    snapshot: &before,
                };
                let after =
                    diff::load::snapshot(&rendered.files, Some(&only), "synth", Some(reuse))?;
                comparison.add(&before, &after);
            }
            comparison.finish()
        }
        #[cfg(feature = "aws")]
        (None, Some(env)) if deployed => {
            let deployment = one_env(&config, env)?;
            let sides = runtime()?.block_on(async {
                let cloud = cloud(&deployment.region).await;
                diff::live::snapshots(deployment, cloud.cfn(), cloud.identity()).await
            })?;
            let mut report = diff::compare(&sides.live, &sides.wanted, "deployed");
            report.notes = sides.notes;
            report
        }
        #[cfg(not(feature = "aws"))]
        (None, Some(_)) if deployed => return Err(anyhow!(
            "`diff --deployed` reads the live stacks, and this hubctl was built without the AWS SDK (--no-default-features): compare with an earlier synth output (--against DIR), or install the full build"
        )),
        _ => {
            return Err(anyhow!(
                "pass --against DIR (an earlier synth output) or --deployed --env ENV"
            ))
        }
    };
    let mut stdout = std::io::stdout().lock();
    match format {
        DiffFormat::Text => {
            let colour = stdout.is_terminal() && !crate::deploy::progress::no_color();
            write!(stdout, "{}", diff::render::text(&report, colour))?;
        }
        DiffFormat::Json => writeln!(
            stdout,
            "{}",
            crate::cfn::template::to_canonical_json(&report).trim_end()
        )?,
        DiffFormat::Markdown => write!(
            stdout,
            "{}",
            diff::render::markdown(&report, diff::render::GITHUB_COMMENT_LIMIT)
        )?,
    }
    Ok(ExitCode::from(report.exit_code(fail)))
}
