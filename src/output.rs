//! Writing synth's files: all or nothing.
//!
//! The new tree is built in a temporary directory beside the output directory and swapped
//! into place (one atomic `renameat2(RENAME_EXCHANGE)` on Linux; two renames elsewhere), so
//! a reader (or a CI diff) never sees a half-written directory and a failure leaves the
//! previous output untouched. With `keep_others`, environments not being written are carried
//! over; without it (a synth of every environment) the output is exactly what was rendered.
//! An existing directory is replaced only when it looks like hubctl's own output.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};

/// Writes `files` (relative path → text) under `out_dir`, replacing the top-level
/// directories they live in and, with `keep_others`, keeping the others. Returns the old
/// output's path when it could not be removed afterwards (the new output is in place).
pub fn write_atomically(
    out_dir: &Path,
    files: &BTreeMap<String, String>,
    keep_others: bool,
) -> Result<Option<PathBuf>> {
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
        .filter(|name| keep_others && !written.contains(&name.as_str()))
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
    let moved = if out_dir.exists() {
        swap(&staged, out_dir)
    } else {
        fs::rename(&staged, out_dir)
    };
    if let Err(err) = moved {
        let _ = fs::remove_dir_all(&staged);
        return Err(err).with_context(|| {
            format!(
                "{}: cannot move the new output into place",
                out_dir.display()
            )
        });
    }
    // After a swap, `staged` holds the old output.
    if staged.exists() && fs::remove_dir_all(&staged).is_err() {
        return Ok(Some(staged));
    }
    Ok(None)
}

/// Exchanges two directories in one step, so `b` is never missing.
#[cfg(target_os = "linux")]
fn swap(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let to_c =
        |path: &Path| CString::new(path.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (a_c, b_c) = (to_c(a)?, to_c(b)?);
    // SAFETY: both pointers are valid NUL-terminated paths that live across the call.
    let status = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a_c.as_ptr(),
            libc::AT_FDCWD,
            b_c.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if status == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        // The file system or kernel cannot exchange: fall back to two renames.
        Some(libc::EINVAL) | Some(libc::ENOSYS) => swap_by_renames(a, b),
        _ => Err(err),
    }
}

#[cfg(not(target_os = "linux"))]
fn swap(a: &Path, b: &Path) -> std::io::Result<()> {
    swap_by_renames(a, b)
}

/// `b` → aside, `a` → `b`, old `b` → `a`; restores `b` if the second step fails.
fn swap_by_renames(a: &Path, b: &Path) -> std::io::Result<()> {
    let aside = a.with_extension("old");
    fs::rename(b, &aside)?;
    if let Err(err) = fs::rename(a, b) {
        let _ = fs::rename(&aside, b);
        return Err(err);
    }
    fs::rename(&aside, a)
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

/// Copies `from` into `to`, recursively (for carried-over environments, and the tests).
pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
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

/// Every JSON and YAML file below `dir`, by path relative to it (`/`-separated): a synth output read
/// back for `diff --against` (`diff::load::snapshot`).
pub fn read_tree(dir: &std::path::Path) -> Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    if !dir.is_dir() {
        return Err(anyhow!(
            "{}: not a directory; pass the output directory of an earlier `hubctl synth` (e.g. of the base branch)",
            dir.display()
        ));
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current)
            .with_context(|| format!("{}: cannot list", current.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "json" || e == "yaml") {
                let relative = path
                    .strip_prefix(dir)
                    .map_err(|_| anyhow!("{}: outside {}", path.display(), dir.display()))?;
                let key: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("{}: cannot read", path.display()))?;
                files.insert(key.join("/"), text);
            }
        }
    }
    Ok(files)
}
