//! Writing synth's files: all or nothing.
//!
//! The new tree is built in a temporary directory beside the output directory and renamed
//! into place, so a reader (or a CI diff) never sees a half-written directory and a failure
//! leaves the previous output untouched. Environments not being written are carried over.
//! An existing directory is replaced only when it looks like hubctl's own output.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Writes `files` (relative path → text) under `out_dir`, replacing the top-level
/// directories they live in and keeping the others.
pub fn write_atomically(out_dir: &Path, files: &BTreeMap<String, String>) -> Result<()> {
    let existing = existing_output(out_dir)?;
    let parent = match out_dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)
        .with_context(|| format!("{}: cannot create the directory", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".hubctl-synth-")
        .tempdir_in(&parent)
        .with_context(|| {
            format!(
                "{}: cannot create a temporary directory; is it writable?",
                parent.display()
            )
        })?;

    let written: Vec<&str> = files
        .keys()
        .filter_map(|path| path.split('/').next())
        .collect();
    for kept in existing
        .iter()
        .filter(|name| !written.contains(&name.as_str()))
    {
        copy_dir(&out_dir.join(kept), &staging.path().join(kept))?;
    }
    let directories: std::collections::BTreeSet<PathBuf> = files
        .keys()
        .filter_map(|relative| {
            staging
                .path()
                .join(relative)
                .parent()
                .map(Path::to_path_buf)
        })
        .collect();
    for dir in &directories {
        fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    for (relative, text) in files {
        let path = staging.path().join(relative);
        fs::write(&path, text).with_context(|| format!("{}: cannot write", path.display()))?;
    }

    let staged = staging.keep();
    if out_dir.exists() {
        let old = staged.with_extension("old");
        fs::rename(out_dir, &old)
            .with_context(|| format!("{}: cannot move the old output aside", out_dir.display()))?;
        if let Err(err) = fs::rename(&staged, out_dir) {
            let _ = fs::rename(&old, out_dir);
            let _ = fs::remove_dir_all(&staged);
            return Err(err).with_context(|| {
                format!(
                    "{}: cannot move the new output into place",
                    out_dir.display()
                )
            });
        }
        fs::remove_dir_all(&old)
            .with_context(|| format!("{}: cannot remove the old output", old.display()))?;
    } else if let Err(err) = fs::rename(&staged, out_dir) {
        let _ = fs::remove_dir_all(&staged);
        return Err(err).with_context(|| {
            format!(
                "{}: cannot move the new output into place",
                out_dir.display()
            )
        });
    }
    Ok(())
}

/// The top-level directories of an existing hubctl output; an error when `out_dir` holds
/// anything else, so a mistyped `--out .` never replaces a user's directory.
fn existing_output(out_dir: &Path) -> Result<Vec<String>> {
    if !out_dir.exists() {
        return Ok(Vec::new());
    }
    let refuse = |what: &str| {
        anyhow::anyhow!(
            "{}: exists and {what}, so it is not hubctl's output; choose another --out (e.g. hubctl.out) or remove it",
            out_dir.display()
        )
    };
    if !out_dir.is_dir() {
        return Err(refuse("is not a directory"));
    }
    let mut names = Vec::new();
    for entry in
        fs::read_dir(out_dir).with_context(|| format!("{}: cannot read", out_dir.display()))?
    {
        let entry = entry.with_context(|| format!("{}: cannot read", out_dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let ours = path.is_dir()
            && (name == crate::synth::PARENT_DIR || path.join("manifest.json").is_file());
        if !ours {
            return Err(refuse(&format!("holds `{name}`")));
        }
        names.push(name);
    }
    names.sort();
    Ok(names)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("{}: cannot create", to.display()))?;
    for entry in fs::read_dir(from).with_context(|| format!("{}: cannot read", from.display()))? {
        let entry = entry.with_context(|| format!("{}: cannot read", from.display()))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .with_context(|| format!("{}: cannot copy", entry.path().display()))?;
        }
    }
    Ok(())
}
