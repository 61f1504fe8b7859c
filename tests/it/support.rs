//! Shared helpers: the hubctl binary, the fixture configs, and the Python tools the tests
//! run (cfn-lint, ...), each installed at pinned versions into its own virtualenv under
//! `target/tmp/tools/` on first use, so a fresh machine needs nothing installed by hand.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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

/// Says `message` where a person running the tests sees it: the terminal when there is one
/// (cargo test shows a passing test's own output only with --nocapture), and stderr.
pub fn announce(message: &str) {
    use std::io::Write;
    if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        let _ = writeln!(tty, "hubctl tests: {message}");
    }
    eprintln!("{message}");
}

/// Runs `install` into `dir` unless `dir` already holds what `pinned` pins (recorded in
/// `dir/<stamp>` after a successful install); one install at a time across the tests. The
/// first run says what it installs and how long it took.
pub fn install_once(dir: &Path, stamp: &str, pinned: &str, install: impl FnOnce()) {
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    let _guard = LOCK
        .get_or_init(|| Mutex::new(()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let stamp = dir.join(stamp);
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(pinned) {
        let started = std::time::Instant::now();
        install();
        std::fs::write(&stamp, pinned).expect("write install stamp");
        announce(&format!(
            "installed {} in {} s (once per checkout: the next runs reuse it)",
            dir.display(),
            started.elapsed().as_secs()
        ));
    }
}

/// The directory a pinned tool is installed into: `target/tmp/tools/<tool>/`.
fn tool_dir(tool: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("tools")
        .join(tool)
}

/// The path of executable `program` from the pinned Python tool `tool`
/// (`tests/tools/<tool>.txt`), installing it on first use.
pub fn python_tool(tool: &str, program: &str) -> PathBuf {
    let requirements = root().join("tests/tools").join(format!("{tool}.txt"));
    let wanted = std::fs::read_to_string(&requirements).expect("pinned requirements exist");
    let venv = tool_dir(tool);
    install_once(&venv, "installed-requirements.txt", &wanted, || {
        announce(&format!(
            "installing the pinned {tool} ({}) into {}, once",
            requirements.display(),
            venv.display()
        ));
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
    });
    venv.join("bin").join(program)
}

/// The directory of the pinned npm packages of `tests/<tool>/` (its `package.json` and
/// `package-lock.json`), installed with `npm ci` into `target/tmp/tools/<tool>/` on first
/// use. Returns the directory holding `node_modules/`.
pub fn npm_tool(tool: &str) -> PathBuf {
    let source = root().join("tests").join(tool);
    let lock = std::fs::read_to_string(source.join("package-lock.json"))
        .expect("the pinned package-lock.json exists");
    let dir = tool_dir(tool);
    install_once(&dir, "installed-package-lock.json", &lock, || {
        announce(&format!(
            "installing the pinned npm packages of {} into {}, once",
            source.display(),
            dir.display()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the tool directory");
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(source.join(file), dir.join(file)).expect("copy the package files");
        }
        run(Command::new("npm")
            .args([
                "ci",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
                "--loglevel=error",
            ])
            .current_dir(&dir));
    });
    dir
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

/// A child process killed when dropped.
pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tests/deploy/<script>` with `args` under the pinned moto tools' Python and
/// waits for its `ready <port>` line.
pub fn start(script: &str, args: &[String]) -> (Server, u16) {
    let python = python_tool("moto", "python");
    let mut child = Command::new(python)
        .arg(root().join("tests/deploy").join(script))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {script}: {err}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the ready line");
    let port = line
        .trim()
        .strip_prefix("ready ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{script} said {line:?}"));
    (Server(child), port)
}

/// The environment of a child process that speaks to the local endpoint `endpoint` with
/// dummy keys and nothing of the machine's own AWS setup: (variable, value), `None` to
/// remove it.
pub fn local_aws_env(endpoint: &str) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("AWS_ENDPOINT_URL", Some(endpoint.to_string())),
        ("AWS_ACCESS_KEY_ID", Some("testing".to_string())),
        ("AWS_SECRET_ACCESS_KEY", Some("testing".to_string())),
        ("AWS_SESSION_TOKEN", None),
        ("AWS_PROFILE", None),
        ("AWS_CONFIG_FILE", Some("/dev/null".to_string())),
        ("AWS_SHARED_CREDENTIALS_FILE", Some("/dev/null".to_string())),
        ("AWS_EC2_METADATA_DISABLED", Some("true".to_string())),
    ]
}

/// Debian's `packages` (name, a file it installs), installed with apt-get when a file is
/// missing: the browser and database of the hub login test. Debian keeps only the newest
/// build of each in its archive, so these are the distribution's, not pinned here; the test
/// reports the versions it ran. Panics naming the packages when they cannot be installed
/// (not root, no Debian archive): the test fails, it is never skipped.
pub fn debian_packages(packages: &[(&str, &str)]) {
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    let _guard = LOCK
        .get_or_init(|| Mutex::new(()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(_, file)| !Path::new(file).exists())
        .map(|(name, _)| *name)
        .collect();
    if missing.is_empty() {
        return;
    }
    announce(&format!(
        "installing Debian's {} with apt-get, once per machine",
        missing.join(", ")
    ));
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    let installed = install()
        || (Command::new("apt-get")
            .args(["update", "-q"])
            .status()
            .is_ok_and(|s| s.success())
            && install());
    let still: Vec<&str> = packages
        .iter()
        .filter(|(_, file)| !Path::new(file).exists())
        .map(|(_, file)| *file)
        .collect();
    assert!(
        installed && still.is_empty(),
        "the test needs Debian's {} ({} missing): `apt-get install {}` as root failed",
        missing.join(", "),
        still.join(", "),
        missing.join(" ")
    );
}
