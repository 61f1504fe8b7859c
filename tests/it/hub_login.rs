//! The hub as users meet it (tests/hub/login/README.md): the example's dev environment on the
//! patched moto, JupyterHub from templates/hub/ with the hub task definition's environment and
//! secrets, real PostgreSQL, the real proxy, a real OpenID Connect provider on the Cognito
//! domain, and headless Chromium signing people in, starting a server and logging out.

use std::process::Command;

use crate::support::{debian_packages, npm_tool, python_tool, root};

/// Every check `tests/hub/login/login.py` makes, in order; each must have said `ok`.
const CHECKS: &[&str] = &[
    "the golden jhub-dev-hub stack is created on moto",
    "the hub gets exactly the variables and secrets of the golden hub task definition",
    "the hub's OAuth client secret is the pool client's",
    "answers 200 through the proxy",
    "the provider refuses a wrong password",
    "a user the config does not list is refused by JupyterHub's own 403 page",
    "the refused user gets no row in the hub's database",
    "bob lands on the spawn page with the configured server sizes",
    "bob's pages show no admin link",
    "bob is refused the admin panel",
    "the hub's spawner started bob's Fargate task with RunTask on moto",
    "bob sees his server's page through the proxy",
    "the hub keeps its users in PostgreSQL",
    "the hub's tables are in PostgreSQL",
    "bob's spawner state in PostgreSQL holds his task's ARN",
    "alice's pages show the admin link",
    "alice opens the admin panel",
    "the idle culler is a running hub service with --timeout=3600",
    "the restart neither stopped bob's task nor started another",
    "the restarted hub knows bob's server and counts it ready",
    "bob, still signed in, reaches his server through the restarted hub's proxy",
    "after logging out, bob's hub pages send him to the login page",
];

#[test]
fn a_person_signs_in_starts_a_server_and_logs_out_of_the_real_hub() {
    debian_packages(&[
        ("chromium", "/usr/bin/chromium"),
        ("postgresql", "/usr/lib/postgresql/15/bin/postgres"),
        ("openssl", "/usr/bin/openssl"),
        ("iproute2", "/usr/sbin/ip"),
    ]);
    let login = python_tool("login", "python");
    let hub = python_tool("hub", "python");
    let moto = python_tool("moto", "python");
    let node = npm_tool("hub/login");
    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hub-login");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let started = std::time::Instant::now();
    let output = Command::new("unshare")
        .args([
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
        .args(["--postgres-bin", "/usr/lib/postgresql/15/bin"])
        .output()
        .expect("unshare (util-linux) runs the login test in its own namespaces");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let logs = || {
        let mut text = String::new();
        for name in ["hub", "oidc", "alb", "user-server", "postgres", "moto"] {
            let log = std::fs::read_to_string(out.join(format!("{name}.log"))).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
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
