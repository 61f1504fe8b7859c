//! Shared helpers: the hubctl binary, the fixture configs, and the Python tools the tests
//! run (cfn-lint, ...), each installed at pinned versions into its own virtualenv under
//! `target/tmp/tools/` on first use, so a fresh machine needs nothing installed by hand.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A command running the freshly built `hubctl` binary.
pub fn hubctl() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("hubctl").expect("the hubctl binary is built by cargo test")
}

/// Every config the golden files cover: (name, path).
pub fn fixtures() -> Vec<(String, PathBuf)> {
    let mut configs = vec![("example".to_string(), root().join("config.example.yaml"))];
    let mut entries: Vec<PathBuf> = std::fs::read_dir(root().join("tests/fixtures"))
        .expect("tests/fixtures exists")
        .map(|entry| entry.expect("readable fixture dir").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_stem()
            .expect("fixture has a name")
            .to_string_lossy()
            .into_owned();
        configs.push((name, path));
    }
    configs
}

/// Runs `hubctl synth` of `config` into a fresh directory and returns it.
pub fn synth(config: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let out = dir.path().join("out");
    hubctl()
        .arg("--config")
        .arg(config)
        .arg("synth")
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    (dir, out)
}

/// Every file under `dir`, as sorted relative paths.
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("readable dir") {
            let path = entry.expect("readable entry").path();
            if path.is_dir() {
                walk(base, &path, found);
            } else {
                let relative = path.strip_prefix(base).expect("under base");
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut found = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut found);
    }
    found.sort();
    found
}

/// The path of executable `program` from the pinned Python tool `tool`
/// (`tests/tools/<tool>.txt`), installing it on first use.
pub fn python_tool(tool: &str, program: &str) -> PathBuf {
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    let _guard = LOCK
        .get_or_init(|| Mutex::new(()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let requirements = root().join("tests/tools").join(format!("{tool}.txt"));
    let wanted = std::fs::read_to_string(&requirements).expect("pinned requirements exist");
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("tools")
        .join(tool);
    let stamp = venv.join("installed-requirements.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        eprintln!(
            "installing {tool} into {} (pinned: {})",
            venv.display(),
            requirements.display()
        );
        run(Command::new(python())
            .args(["-m", "venv", "--clear"])
            .arg(&venv));
        run(Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
                "-r",
            ])
            .arg(&requirements));
        std::fs::write(&stamp, &wanted).expect("write install stamp");
    }
    venv.join("bin").join(program)
}

fn python() -> String {
    std::env::var("HUBCTL_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn run(command: &mut Command) {
    let status = command
        .status()
        .unwrap_or_else(|err| panic!("cannot run {command:?}: {err}"));
    assert!(status.success(), "{command:?} failed with {status}");
}
