//! The real `kubectl` and `helm`: found on PATH and run to their end.

use super::*;

/// Where `program` is on PATH (the first executable file of that name).
pub fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| executable(candidate))
}

#[cfg(unix)]
pub(super) fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
pub(super) fn executable(path: &Path) -> bool {
    path.is_file()
}

/// The real kubectl and helm: the programs on PATH, each run to its end with no input.
#[derive(Clone, Copy, Debug, Default)]
pub struct Programs;

impl Kube for Programs {
    fn find(&self, program: &str) -> Option<PathBuf> {
        on_path(program)
    }

    async fn run(&self, program: &str, args: &[String]) -> Result<Ran> {
        let path = self
            .find(program)
            .ok_or_else(|| anyhow!("{program} is not on PATH"))?;
        let args = args.to_vec();
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(&path)
                .args(&args)
                .stdin(std::process::Stdio::null())
                .output()
                .with_context(|| format!("cannot start {}", path.display()))
        })
        .await
        .context("the process runner stopped")??;
        Ok(Ran {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}
