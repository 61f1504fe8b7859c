//! `init` (a starter config) and `help`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::{Cli, InitPlatform, OutputFormat};

/// `hubctl init`: the starter config for `platform`, written only where nothing is (the
/// file is created exclusively, so a config that appears meanwhile is not overwritten).
pub(super) fn init(path: &Path, platform: InitPlatform, format: OutputFormat) -> Result<ExitCode> {
    let (text, name) = match platform {
        InitPlatform::Ecs => (include_str!("../../templates/init/ecs.yaml"), "ecs"),
        InitPlatform::Eks => (include_str!("../../templates/init/eks.yaml"), "eks"),
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path);
    let mut file = match file {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(anyhow::anyhow!(
                "{} exists; hubctl init never overwrites a config: edit it, or pass --config NEW.yaml",
                path.display()
            ));
        }
        Err(err) => {
            return Err(err)
                .with_context(|| format!("{}: cannot create the config", path.display()))
        }
    };
    file.write_all(text.as_bytes())
        .with_context(|| format!("{}: cannot write the config", path.display()))?;
    let config = path.display();
    let next = [
        "replace its example values: accounts, the parent zone and its account, the subzone and hub name, images, users, allowed_cidrs".to_string(),
        format!("hubctl --config {config} validate"),
        format!("hubctl --config {config} synth --out hubctl.out"),
        format!("hubctl --config {config} parent deploy --profile <dns-admin>   (the parent DNS account's owners, once)"),
        format!("hubctl --config {config} images --env dev   (then push the images it names)"),
        format!("hubctl --config {config} deploy --env dev"),
    ];
    if format == OutputFormat::Json {
        super::print_json(serde_json::json!({
            "ok": true, "config": config.to_string(), "platform": name,
            "environments": ["dev"], "next": next,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    println!("wrote {config} (platform {name}: one environment, `dev`). Next:");
    for (n, step) in next.iter().enumerate() {
        println!("  {}. {step}", n + 1);
    }
    Ok(ExitCode::SUCCESS)
}

/// `hubctl help [COMMAND]`: exactly what `hubctl [COMMAND] --help` prints (clap renders it,
/// so the long or short form is its choice, the same both ways); an unknown command is a
/// usage error naming the commands there are.
pub(super) fn help(command: Option<&str>) -> Result<ExitCode> {
    use clap::CommandFactory;
    let cli = Cli::command();
    let names: Vec<String> = cli
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let mut args = vec!["hubctl"];
    if let Some(name) = command {
        if !names.iter().any(|known| known == name) {
            eprintln!(
                "error: no command `{name}`; the commands are {}",
                names.join(", ")
            );
            return Ok(ExitCode::from(2));
        }
        args.push(name);
    }
    args.push("--help");
    match cli.try_get_matches_from(&args) {
        // A reader that stops early (`| head`) is not an error.
        Err(shown) if shown.kind() == clap::error::ErrorKind::DisplayHelp => {
            let _ = write!(std::io::stdout(), "{}", shown.render());
            Ok(ExitCode::SUCCESS)
        }
        Err(other) => Err(anyhow::anyhow!("{other}")),
        Ok(_) => Err(anyhow::anyhow!("clap printed no help for {args:?}")),
    }
}
