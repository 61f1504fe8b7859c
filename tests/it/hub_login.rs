//! The hub as users meet it (tests/hub/login/README.md): the example's dev environment on the
//! patched moto, JupyterHub from templates/hub/ with the hub task definition's environment and
//! secrets, real PostgreSQL, the real proxy, a real OpenID Connect provider on the Cognito
//! domain, and headless Chromium signing people in, starting a server and logging out.

use std::process::Command;

use crate::support::{debian_packages, npm_tool, python_tool, root};

/// Every check `tests/hub/login/login.py` makes, in order; each must have said `ok`, and no
/// other `ok` line may appear (a check dropped from the script fails here).
const CHECKS: &[&str] = &[
    "the golden jhub-dev-frame stack is created on moto",
    "the golden jhub-dev-dns stack is created on moto",
    "the golden jhub-dev-images stack is created on moto",
    "the golden jhub-dev-hub stack is created on moto",
    "the hub gets exactly the variables and secrets of the golden hub task definition",
    "its literal values are the golden template's",
    "the hub's public host is its certificate's and DNS record's, its connect URL's host its Cloud Map name",
    "hub.dev.example.com resolves to 127.0.0.1",
    "jhub-dev-123456789012.auth.eu-west-1.amazoncognito.com resolves to 127.0.0.2",
    ".rds.amazonaws.com resolves to 127.0.0.3",
    "hub.jhub-dev.hub.internal resolves to 10.20.0.10",
    "the hub's OAuth client secret is the pool client's",
    "the hub's OAuth endpoints are Cognito's on the pool's domain, its logout Cognito's /logout back to a LogoutURL",
    "the load balancer's health check (/hub/health on the task's address and target port) answers 200 through the proxy",
    "a stale proxy pid file naming a live process of the hub's user leaves that process alone",
    "the hub runs as on Fargate: read-only root file system, a /tmp only root may write, the state volume writable",
    "the provider refuses a wrong password",
    "a user the config does not list is refused by JupyterHub's own 403 page after the provider's sign-in",
    "the refused user gets no row in the hub's database",
    "bob lands on the spawn page with the configured server sizes",
    "bob's pages show no admin link",
    "bob is refused the admin panel",
    "the hub's spawner started bob's Fargate task with RunTask on moto",
    "the task runs bob's small task definition from the hub stack",
    "started as the spawner starts it (FARGATE, startedBy jupyterhub-<id>)",
    "the task runs jupyterhub-singleuser, told to serve on its task definition's port",
    "bob sees his server's page through the proxy",
    "the health check still answers with a server running",
    "the hub keeps its users in PostgreSQL: alice an admin, bob and carol users",
    "the hub's tables are in PostgreSQL",
    "bob's spawner state in PostgreSQL holds his task's ARN",
    "alice's pages show the admin link",
    "alice opens the admin panel",
    "the admin panel lists the hub's users, bob's server running",
    "alice asks the hub for an API token on its token page",
    "the idle culler is a running hub service with --timeout=3600",
    "its process runs",
    "the culler reads the users through the hub's API with its role's scopes (200) and keeps running",
    "the hub is down",
    "the restart neither stopped bob's task nor started another (cleanup_servers = False)",
    "the restarted hub knows bob's server and counts it ready",
    "bob, still signed in, reaches his server through the restarted hub's proxy, and his server asks the restarted hub who he is",
    "after logging out, bob's hub pages send him to the login page",
    "logging out went through Cognito's /logout",
    "and ended the provider's session: signing in again asks for the password",
];

/// The newest PostgreSQL server Debian installed (`/usr/lib/postgresql/<major>/bin`).
fn postgres_bin() -> std::path::PathBuf {
    let mut found: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").exists().then_some((major, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, bin)| bin)
        .expect("Debian's postgresql installs /usr/lib/postgresql/<major>/bin/postgres")
}

#[test]
fn a_person_signs_in_starts_a_server_and_logs_out_of_the_real_hub() {
    let uid = Command::new("id").arg("-u").output().expect("id runs");
    assert!(
        String::from_utf8_lossy(&uid.stdout).trim() == "0",
        "the hub login test runs as root: it installs Debian packages and makes network, mount and PID namespaces of its own (unshare)"
    );
    debian_packages(&[
        ("chromium", "/usr/bin/chromium"),
        // pg_ctlcluster: the server's common part (the client has none)
        ("postgresql", "/usr/bin/pg_ctlcluster"),
        ("openssl", "/usr/bin/openssl"),
        ("iproute2", "/usr/sbin/ip"),
        ("procps", "/usr/bin/ps"),
        ("util-linux", "/usr/bin/unshare"),
    ]);
    let postgres = postgres_bin();
    let login = python_tool("login", "python");
    let hub = python_tool("hub", "python");
    let moto = python_tool("moto", "python");
    let node = npm_tool("hub/login");
    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hub-login");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let started = std::time::Instant::now();
    // A deadline for the whole run (the browser's waits have their own), and every process
    // of it ends with it (--kill-child, the PID namespace).
    let output = Command::new("timeout")
        .args(["--kill-after=10", "600", "unshare"])
        .args([
            "--kill-child",
            "--net",
            "--mount",
            "--pid",
            "--fork",
            "--mount-proc",
            "--propagation",
            "private",
            "--",
        ])
        .arg(&login)
        .arg(root().join("tests/hub/login/login.py"))
        .arg("--out")
        .arg(&out)
        .arg("--hub-python")
        .arg(&hub)
        .arg("--moto-python")
        .arg(&moto)
        .arg("--node-modules")
        .arg(node.join("node_modules"))
        .args(["--chromium", "/usr/bin/chromium"])
        .arg("--postgres-bin")
        .arg(&postgres)
        .output()
        .expect("unshare (util-linux) runs the login test in its own namespaces");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let logs = || {
        let mut text = String::new();
        for name in ["hub", "oidc", "alb", "user-server", "postgres", "moto"] {
            let log = std::fs::read_to_string(out.join(format!("{name}.log"))).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(40)..];
            text.push_str(&format!(
                "--- {name}.log (last lines)\n{}\n",
                tail.join("\n")
            ));
        }
        text
    };
    assert!(
        output.status.success(),
        "the login test failed ({}); screenshots and logs in {}\n{stdout}\n{}\n{}",
        output.status,
        out.display(),
        String::from_utf8_lossy(&output.stderr),
        logs()
    );
    let ok: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ok "))
        .collect();
    for check in CHECKS {
        assert!(
            ok.iter().any(|line| line.contains(check)),
            "the login test never said `ok {check}`:\n{stdout}"
        );
    }
    assert_eq!(
        ok.len(),
        CHECKS.len(),
        "the login test's checks and CHECKS differ:\n{stdout}"
    );
    let shots = crate::support::files_under(&out)
        .into_iter()
        .filter(|f| f.ends_with(".png"))
        .count();
    assert!(
        shots >= 6,
        "screenshots of the pages in {}: {shots}",
        out.display()
    );
    crate::support::announce(&format!(
        "hub login test: {} checks in {:.0} s; screenshots in {}",
        ok.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    ));
}
