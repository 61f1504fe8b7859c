"""The hub as users meet it: a real login end to end (README.md beside this file).

    unshare --net --mount --pid --fork --mount-proc --propagation private -- \\
        <login venv>/bin/python login.py --out DIR --hub-python P --moto-python P \\
        --node-modules DIR --chromium PATH --postgres-bin DIR

Runs as root inside its own network, mount and PID namespaces (the test starts it that way), so
that the names the hub task uses (the hub's host, the Cognito domain, the database endpoint,
the Cloud Map name) and the address of a user's task can be made to resolve to this machine
without touching the machine's own /etc/hosts or ports, and so that every process it starts
ends with it.

What is real: the example's dev stacks (frame, dns, images, hub) created from the golden
templates on the patched moto, the hub task definition and the user task definitions as
moto's CloudFormation registered them, the secrets as its Secrets Manager generated them;
JupyterHub from the hub image's pinned packages, started with templates/hub/ as the image
holds it and exactly the environment and secrets of that task definition; PostgreSQL (with
TLS: the task asks for sslmode=require); configurable-http-proxy at the Dockerfile's
version; an OpenID Connect provider (oidc-provider) on the Cognito domain with the pool
client's id, secret and callback URLs; headless Chromium. Stand-ins: the load balancer's
HTTPS listener (alb.mjs), the user's server (standin_server.py), DNS (/etc/hosts in this
mount namespace) and the public CAs (a test CA, SSL_CERT_FILE for the hub).

Prints `ok <what>` per check; any failure raises with what was seen and where the logs and
screenshots are (all under --out).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
GOLDEN = ROOT / "tests/golden/example/dev"
sys.path.insert(0, str(ROOT / "tests/deploy"))

import create_every_template as stacks  # noqa: E402  (sets dummy keys, drops proxies)
import boto3  # noqa: E402
import psycopg2  # noqa: E402
from playwright.sync_api import TimeoutError as BrowserTimeout  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

HUB_UID = 1000  # templates/hub/Dockerfile: USER 1000:1000
# Loopback addresses of the stand-in hosts (the namespace's lo holds all of 127.0.0.0/8).
ALB_IP, COGNITO_IP, DATABASE_IP = "127.0.0.1", "127.0.0.2", "127.0.0.3"
# The hub task's own address, not loopback: the load balancer's target, the health check
# and the Cloud Map name reach the hub there, as from other machines on AWS (a hub bound to
# 127.0.0.1 would fail here as there).
HUB_TASK_IP = "10.20.0.10"
# The provider's accounts: an admin, a user, and one the config does not list.
PEOPLE = {"alice": "admin", "bob": "user", "mallory": "unlisted"}


class Failed(AssertionError):
    pass


def check(condition, what: str, seen: object = "") -> None:
    if not condition:
        raise Failed(f"{what}: not so. Seen: {seen}")
    print(f"ok {what}", flush=True)


# --- processes -------------------------------------------------------------------------


class Processes:
    """Every child, each logging to <out>/<name>.log; all stopped at the end."""

    def __init__(self, out: Path):
        self.out = out
        self.children: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], *, env=None, cwd=None, user: int | None = None, ready: str | None = None, timeout=60):
        if user is not None:
            command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--", *command]
        log = open(self.out / f"{name}.log", "ab")
        child = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=subprocess.PIPE if ready else log, stderr=log, start_new_session=True
        )
        self.children[name] = child
        if ready:
            line = read_line(child, timeout)
            if line.strip() != ready and not line.startswith(ready + " "):
                raise Failed(f"{name} did not start (said {line!r}); see {self.out / (name + '.log')}")
            threading.Thread(target=shutil.copyfileobj, args=(child.stdout, log), daemon=True).start()
            return line.strip()
        return ""

    def alive(self, name: str) -> bool:
        """True while `name` runs; a failure naming its log once it has exited."""
        child = self.children.get(name)
        if child is None or child.poll() is not None:
            raise Failed(f"{name} exited ({child and child.returncode}); see {self.out / (name + '.log')}")
        return True

    def stop(self, name: str, sig=signal.SIGTERM, timeout=30) -> int | None:
        child = self.children.pop(name, None)
        if child is None:
            return None
        if child.poll() is None:
            os.killpg(child.pid, sig)
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        return child.returncode

    def stop_all(self) -> None:
        for name in list(reversed(self.children)):
            self.stop(name)


def read_line(child: subprocess.Popen, timeout: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(child.stdout.readline().decode()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else f"nothing within {timeout} s"


def sh(command: list[str]) -> str:
    """Runs `command`; its output, or a failure that shows what it said."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise Failed(f"{' '.join(command)} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return done.stdout


def wait_for(what: str, probe, timeout=60.0, every=0.25):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value:
                return value
        except Failed:
            raise
        except Exception as error:  # noqa: BLE001 - the last error is reported
            last = error
        time.sleep(every)
    raise Failed(f"{what} within {timeout:g} s; last error: {last!r}")


def get(url: str, timeout=5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def api(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


# --- the environment on moto ----------------------------------------------------------


def create_stacks(endpoint: str) -> dict:
    """The example's dev stacks from the golden templates, as deploy orders them."""
    for name, status in stacks.create_environment(endpoint, GOLDEN / "manifest.json"):
        check(status == "CREATE_COMPLETE", f"the golden {name} stack is created on moto", status)
    return json.loads((GOLDEN / "manifest.json").read_text())


def secret_value(sm, value_from: str) -> str:
    """What ECS injects for a task definition secret: the secret's string, or one JSON key of
    it for `arn:...:secret:name:json-key:version-stage:version-id`."""
    parts = value_from.split(":")
    arn, key = ":".join(parts[:7]), parts[7] if len(parts) > 7 else ""
    text = sm.get_secret_value(SecretId=arn)["SecretString"]
    return str(json.loads(text)[key]) if key else text


@functools.cache
def golden_resources() -> dict:
    """The resources of the golden hub template."""
    return json.loads((GOLDEN / "jhub-dev-hub.template.json").read_text())["Resources"]


def golden_container(resource: str) -> dict:
    return golden_resources()[resource]


def hub_task_environment(region: str) -> tuple[dict[str, str], dict[str, str]]:
    """(plain environment, secrets) of the hub container as ECS would start it, from the task
    definition moto's CloudFormation registered, checked against the golden template."""
    ecs = boto3.client("ecs", region_name=region)
    sm = boto3.client("secretsmanager", region_name=region)
    family = golden_container("HubTask")["Properties"]["Family"]
    container = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]["containerDefinitions"][0]
    plain = {item["name"]: str(item["value"]) for item in container.get("environment", [])}
    secret = {item["name"]: secret_value(sm, item["valueFrom"]) for item in container.get("secrets", [])}
    golden = golden_container("HubTask")["Properties"]["ContainerDefinitions"][0]
    check(
        sorted(plain) == sorted(e["Name"] for e in golden["Environment"])
        and sorted(secret) == sorted(s["Name"] for s in golden["Secrets"]),
        "the hub gets exactly the variables and secrets of the golden hub task definition",
        (sorted(plain), sorted(secret)),
    )
    literal = {e["Name"]: e["Value"] for e in golden["Environment"] if isinstance(e["Value"], str)}
    check(all(plain[k] == v for k, v in literal.items()), "its literal values are the golden template's", literal)
    return plain, secret


# --- the parts ------------------------------------------------------------------------


def make_certificates(out: Path, names: list[str]) -> tuple[Path, Path, Path]:
    """A test CA and one certificate for every TLS name (the ALB's, Cognito's, RDS's)."""
    ca_key, ca, key, csr, cert = (out / n for n in ("ca.key", "ca.pem", "tls.key", "tls.csr", "tls.pem"))
    run = lambda *a: sh(["openssl", *a])  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca), "-days", "2", "-subj", "/CN=hubctl login test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={names[0]}")
    extensions = out / "tls.ext"
    extensions.write_text("subjectAltName=" + ",".join(f"DNS:{n}" for n in names) + "\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(extensions))
    return ca, cert, key


def point_names(out: Path, names: dict[str, str]) -> None:
    """/etc/hosts of this mount namespace only: the task's names to the stand-in addresses."""
    hosts = out / "hosts"
    # Like a container's, it names the machine itself (JupyterHub checks the proxy it bound to
    # 0.0.0.0 through the host name).
    hosts.write_text(f"127.0.0.1 localhost\n{HUB_TASK_IP} {socket.gethostname()}\n" + "".join(f"{ip} {name}\n" for name, ip in sorted(names.items())))
    subprocess.run(["mount", "--bind", str(hosts), "/etc/hosts"], check=True)
    for name, ip in names.items():
        check(socket.gethostbyname(name) == ip, f"{name} resolves to {ip} in the test's namespace", socket.gethostbyname(name))


def start_postgres(processes: Processes, out: Path, bin_dir: Path, port: int, user: str, password: str, database: str, cert: Path, key: Path) -> None:
    """PostgreSQL as RDS would offer it to the hub: TLS on, the master user and database of
    the stack (names from the task's secret and DBName), on the endpoint's port."""
    data = out / "postgres"
    data.mkdir()
    shutil.copy(cert, data / "server.crt")
    shutil.copy(key, data / "server.key")
    os.chmod(data / "server.key", 0o600)
    shutil.chown(data, "postgres", "postgres")
    for f in ("server.crt", "server.key"):
        shutil.chown(data / f, "postgres", "postgres")
    cluster = data / "cluster"
    as_postgres = ["runuser", "-u", "postgres", "--"]
    sh([*as_postgres, str(bin_dir / "initdb"), "-D", str(cluster), "-A", "peer", "-U", "postgres", "--no-sync"])
    (cluster / "pg_hba.conf").write_text("local all postgres peer\nhostssl all all 127.0.0.0/8 scram-sha-256\n")
    processes.start(
        "postgres",
        [
            *as_postgres, str(bin_dir / "postgres"), "-D", str(cluster), "-p", str(port), "-c", f"listen_addresses={DATABASE_IP}",
            "-c", f"unix_socket_directories={data}", "-c", "ssl=on", "-c", f"ssl_cert_file={data / 'server.crt'}",
            "-c", f"ssl_key_file={data / 'server.key'}", "-c", "fsync=off",
        ],
    )
    psql = [*as_postgres, str(bin_dir / "psql"), "-h", str(data), "-p", str(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]
    wait_for("PostgreSQL accepts connections", lambda: subprocess.run([*psql, "-c", "select 1"], capture_output=True).returncode == 0, 30)
    quoted = password.replace("'", "''")
    sh([*psql, "-c", f"create role \"{user}\" login password '{quoted}'", "-c", f"create database \"{database}\" owner \"{user}\""])
    version = sh([*psql, "-At", "-c", "show server_version"]).strip()
    print(f"   PostgreSQL {version} on {DATABASE_IP}:{port}, TLS on", flush=True)


def node(node_modules: Path, script: str, config: dict, out: Path, name: str) -> list[str]:
    path = out / f"{name}.json"
    path.write_text(json.dumps(config))
    # In the run's directory, beside a link to the pinned node_modules (an ES module's
    # imports resolve from its own directory up).
    if not (out / "node_modules").exists():
        (out / "node_modules").symlink_to(node_modules)
    shutil.copy(HERE / script, out / script)
    return ["node", str(out / script), str(path)]


# --- the hub --------------------------------------------------------------------------


def install_hub_files(out: Path) -> Path:
    """/srv/jupyterhub as the image lays it out (a tmpfs in this mount namespace), and the
    image's `jupyterhub` user (uid and gid 1000, templates/hub/Dockerfile's useradd) in this
    namespace's /etc/passwd and /etc/group: JupyterHub starts its services as the hub's user,
    looked up by name."""
    for table, line in (("passwd", "jupyterhub:x:1000:1000::/srv/jupyterhub:/usr/sbin/nologin"), ("group", "jupyterhub:x:1000:")):
        lines = [entry for entry in Path(f"/etc/{table}").read_text().splitlines() if entry.split(":")[2:3] != ["1000"]]
        (out / table).write_text("\n".join([*lines, line]) + "\n")
        subprocess.run(["mount", "--bind", str(out / table), f"/etc/{table}"], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/srv"], check=True)
    home = Path("/srv/jupyterhub")
    (home / "data").mkdir(parents=True)
    for name in ("jupyterhub_config.py", "fargate_spawner.py"):
        shutil.copy(ROOT / "templates/hub" / name, home / name)
    os.chown(home / "data", HUB_UID, HUB_UID)
    return home


def let_the_hub_user_run(program: str, out: Path) -> None:
    """The image's Python is world-readable; this machine's may sit under a directory only
    root may enter (/root, mode 700, for pyenv's). In this mount namespace, such a directory
    becomes a tmpfs that others may enter, holding only the way to the interpreter."""
    real = Path(os.path.realpath(program))
    for parent in reversed(real.parents):
        if parent == Path("/") or os.stat(parent).st_mode & 0o001:
            continue
        child = real.relative_to(parent).parts[0]
        keep = out / "reach" / parent.name
        keep.mkdir(parents=True)
        subprocess.run(["mount", "--bind", str(parent / child), str(keep)], check=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=711", "tmpfs", str(parent)], check=True)
        (parent / child).mkdir()
        subprocess.run(["mount", "--bind", str(keep), str(parent / child)], check=True)


# The hub task's file system, in a mount namespace of the hub's own: the root file system
# read-only (the task's ReadonlyRootFilesystem), the state volume writable, and /tmp an
# empty bind mount as Fargate makes it for a task volume: root's, mode 0755, so the hub's
# user cannot write there either (aws/containers-roadmap#938; the image declares no VOLUME).
# What the image would hold but this machine keeps under /tmp (a checkout there: its venv
# and the proxy) is put back, read-only, into the task's /tmp: $KEEP, one path per line.
TASK_FILE_SYSTEM = """
set -eu
mount --bind /srv/jupyterhub/data /srv/jupyterhub/data
mkdir -p /srv/outer-tmp
mount --bind /tmp /srv/outer-tmp
for target in $(awk '{print $5}' /proc/self/mountinfo | sort -u); do
  case "$target" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|/srv/jupyterhub/data) continue;; esac
  mount -o remount,bind,ro "$target"
done
mount -t tmpfs -o mode=0755,uid=0,gid=0 tmp /tmp
echo "$KEEP" | while read -r path; do
  case "$path" in /tmp/*) ;; *) continue;; esac
  mkdir -p "$path"
  mount --bind "/srv/outer-tmp/${path#/tmp/}" "$path"
  mount -o remount,bind,ro "$path"
done
cd /srv/jupyterhub/data
exec setpriv --reuid=1000 --regid=1000 --clear-groups -- "$@"
"""


def start_hub(processes: Processes, args, environment: dict[str, str], endpoint: str, ca: Path) -> None:
    env = {
        **environment,
        # What the Fargate task has besides its definition: the task role's credentials
        # (here moto's dummy keys and its endpoint) and the public CAs (here the test CA).
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "SSL_CERT_FILE": str(ca),
        "PATH": f"{args.node_modules / '.bin'}:{Path(args.hub_python).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/srv/jupyterhub",
    }
    keep = "\n".join(
        os.path.realpath(path) for path in (Path(args.hub_python).parent.parent, args.node_modules)
    )
    processes.start(
        "hub",
        ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", "KEEP=" + shlex.quote(keep) + "\n" + TASK_FILE_SYSTEM, "task",
         args.hub_python, "-m", "jupyterhub", "--config", "/srv/jupyterhub/jupyterhub_config.py"],
        env=env,
    )


def check_task_file_system(processes: Processes) -> None:
    """What the hub's user may write in the hub's mount namespace: the state volume only."""
    hub = processes.children["hub"].pid
    try_write = lambda path: subprocess.run(  # noqa: E731
        ["nsenter", "-t", str(hub), "-m", "--", "setpriv", f"--reuid={HUB_UID}", f"--regid={HUB_UID}", "--clear-groups", "--",
         "sh", "-c", f"echo probe > {path} && rm {path}"], capture_output=True,
    ).returncode == 0
    writable = {path: try_write(path) for path in ("/srv/jupyterhub/data/probe", "/srv/jupyterhub/probe", "/tmp/probe", str(ROOT / "probe"))}
    check(
        writable == {"/srv/jupyterhub/data/probe": True, "/srv/jupyterhub/probe": False, "/tmp/probe": False, str(ROOT / "probe"): False},
        "the hub runs as on Fargate: read-only root file system, a /tmp only root may write, the state volume writable",
        writable,
    )


# --- the user's server ----------------------------------------------------------------


class ServerWatch(threading.Thread):
    """Waits for the user's task that the hub's spawner starts with RunTask, then starts the
    stand-in server where that task would listen, with that task's environment."""

    def __init__(self, processes: Processes, args, region: str, cluster: str):
        super().__init__(daemon=True)
        self.processes, self.args, self.region, self.cluster = processes, args, region, cluster
        self.task: dict | None = None
        self.error: str | None = None

    def run(self):
        try:
            ecs = boto3.client("ecs", region_name=self.region)
            sm = boto3.client("secretsmanager", region_name=self.region)
            arns = wait_for("the spawner starts a task", lambda: ecs.list_tasks(cluster=self.cluster)["taskArns"], 120)
            task = ecs.describe_tasks(cluster=self.cluster, tasks=arns)["tasks"][0]
            self.task = task
            details = {d["name"]: d["value"] for a in task.get("attachments", []) for d in a.get("details", [])}
            ip = details["privateIPv4Address"]
            definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
            container = definition["containerDefinitions"][0]
            override = next(o for o in task["overrides"]["containerOverrides"] if o["name"] == container["name"])
            env = {e["name"]: e["value"] for e in container.get("environment", [])}
            env.update({e["name"]: e["value"] for e in override.get("environment", [])})
            env.update({s["name"]: secret_value(sm, s["valueFrom"]) for s in container.get("secrets", [])})
            env["PATH"] = "/usr/bin:/bin"
            port = container["portMappings"][0]["containerPort"]
            self.command = override.get("command", [])
            subprocess.run(["ip", "addr", "add", f"{ip}/32", "dev", "lo"], check=True)
            self.service_url = env.get("JUPYTERHUB_SERVICE_URL", "")
            self.processes.start("user-server", [self.args.hub_python, str(HERE / "standin_server.py")], env=env, ready="ready")
            self.address = (ip, port)
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            self.error = repr(error)


# --- the browser ----------------------------------------------------------------------


class Browser:
    def __init__(self, playwright, chromium: str, out: Path, resolve: dict[str, str]):
        self.out = out
        self.browser = playwright.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                # DNS over Chromium's own resolver too (it reads /etc/hosts, but say it plainly)
                "--host-resolver-rules=" + ", ".join(f"MAP {n} {ip}" for n, ip in sorted(resolve.items())),
            ],
        )
        self.shots = 0
        self.pages: list = []

    def person(self):
        """A new person: a browser context of their own (cookies included), one page."""
        # The test CA is not in Chromium's store: the certificates are checked by the hub's
        # side (Python against SSL_CERT_FILE), the browser accepts them.
        context = self.browser.new_context(ignore_https_errors=True, viewport={"width": 1200, "height": 800})
        context.set_default_timeout(60_000)  # a loaded 2-core machine runs the whole suite beside it
        page = context.new_page()
        self.pages.append(page)
        return page

    def shoot_all(self, why: str) -> None:
        for page in self.pages:
            try:
                self.shot(page, why)
            except Exception:  # noqa: BLE001 - a closed page has nothing to show
                pass

    def shot(self, page, name: str) -> None:
        self.shots += 1
        page.screenshot(path=str(self.out / f"{self.shots:02d}-{name}.png"), full_page=True)


def to_the_provider(browser: Browser, page, who: str, provider_host: str) -> None:
    """Clicks the hub's login button and waits for the provider's sign-in form: a failure
    shows where the browser ended instead (the provider's own error page, say)."""
    page.click("a#login-main, a.btn-jupyter, a[href*='oauth_login']")
    with shown(browser, page, who, "reached the provider's sign-in form", shot="not-at-the-sign-in-form"):
        page.wait_for_url(re.compile(rf"https://{re.escape(provider_host)}/interaction/.*"), timeout=30_000)


@contextlib.contextmanager
def shown(browser: Browser, page, who: str, what: str, shot: str, hint: str = ""):
    """A wait of the browser inside this block that times out says what was awaited and
    where the browser is instead, with a screenshot `<n>-<who>-<shot>.png`, not playwright's
    bare traceback. Other errors pass as they are."""
    try:
        yield
    except BrowserTimeout:
        try:
            browser.shot(page, f"{who}-{shot}")
        except Exception as error:  # noqa: BLE001 - a crashed page: the message still goes out
            print(f"   no screenshot of {who}'s page: {error!r}", flush=True)
        try:
            body = repr(page.inner_text("body", timeout=5_000)[:400])
        except Exception as error:  # noqa: BLE001 - as above
            body = f"<unreadable: {error.__class__.__name__}>"
        raise Failed(f"{who}'s browser never {what} within the wait; it is at {page.url}: {body}{hint}") from None


def sign_in(browser: Browser, page, hub_url: str, who: str, password: str, provider_host: str) -> None:
    page.goto(hub_url + "/")
    page.wait_for_url(re.compile(r".*/hub/login.*"))
    browser.shot(page, f"{who}-hub-login-page")
    to_the_provider(browser, page, who, provider_host)
    page.fill("input[name=username]", who)
    page.fill("input[name=password]", password)
    browser.shot(page, f"{who}-provider-sign-in")
    page.click("#signin")
    page.wait_for_load_state("networkidle")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--hub-python", required=True)
    parser.add_argument("--moto-python", required=True)
    parser.add_argument("--node-modules", type=Path, required=True)
    parser.add_argument("--chromium", required=True)
    parser.add_argument("--postgres-bin", type=Path, required=True)
    args = parser.parse_args()
    out = args.out
    if os.geteuid() != 0:
        raise Failed("run as root in its own namespaces (see the docstring)")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", f"{HUB_TASK_IP}/32", "dev", "lo"], check=True)
    processes = Processes(out)
    try:
        return run(processes, args, out)
    finally:
        processes.stop_all()


def run(processes: Processes, args, out: Path) -> int:
    started = time.monotonic()
    moto = processes.start("moto", [args.moto_python, str(ROOT / "tests/deploy/moto_launcher.py"), "--port", "0", "--quiet"], ready="ready")
    endpoint = f"http://127.0.0.1:{moto.split()[1]}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    manifest = create_stacks(endpoint)
    region = manifest["region"]
    plain, secret = hub_task_environment(region)
    environment = {**plain, **secret}

    hub_url = environment["JUPYTERHUB_PUBLIC_URL"]
    hub_host = urlparse(hub_url).hostname
    provider = urlparse(environment["OAUTH_AUTHORIZE_URL"])
    connect_host = urlparse(environment["JUPYTERHUB_HUB_CONNECT_URL"]).hostname
    database_host = environment["JUPYTERHUB_DB_HOST"]
    resources = golden_resources()
    check(
        hub_host == resources["Certificate"]["Properties"]["DomainName"] == resources["HubRecord"]["Properties"]["Name"]
        and connect_host == f"{resources['HubDiscovery']['Properties']['Name']}.{resources['Namespace']['Properties']['Name']}",
        "the hub's public host is its certificate's and DNS record's, its connect URL's host its Cloud Map name",
        (hub_host, connect_host),
    )
    point_names(out, {hub_host: ALB_IP, provider.hostname: COGNITO_IP, database_host: DATABASE_IP, connect_host: HUB_TASK_IP})
    ca, cert, key = make_certificates(out, [hub_host, provider.hostname, database_host])

    start_postgres(
        processes, out, args.postgres_bin, int(environment["JUPYTERHUB_DB_PORT"]), environment["JUPYTERHUB_DB_USER"],
        environment["JUPYTERHUB_DB_PASSWORD"], environment["JUPYTERHUB_DB_NAME"], cert, key,
    )

    # The provider, registered as the stack registered the hub's client with the pool, on
    # the pool's domain: the hub's settings must name Cognito's own endpoints there.
    idp = boto3.client("cognito-idp", region_name=region)
    pool_id = next(p["Id"] for p in idp.list_user_pools(MaxResults=10)["UserPools"])
    domain = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Domain"]
    cognito = f"https://{domain}.auth.{region}.amazoncognito.com"
    client = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=environment["OAUTH_CLIENT_ID"])["UserPoolClient"]
    check(client["ClientSecret"] == environment["OAUTH_CLIENT_SECRET"], "the hub's OAuth client secret is the pool client's", "differs")
    logout_uri = client["LogoutURLs"][0]
    expected = {
        "OAUTH_AUTHORIZE_URL": f"{cognito}/oauth2/authorize",
        "OAUTH_TOKEN_URL": f"{cognito}/oauth2/token",
        "OAUTH_USERDATA_URL": f"{cognito}/oauth2/userInfo",
        "OAUTH_LOGOUT_REDIRECT_URL": f"{cognito}/logout?client_id={client['ClientId']}&logout_uri={quote(logout_uri, safe='')}",
    }
    check(
        all(environment.get(k) == v for k, v in expected.items()),
        "the hub's OAuth endpoints are Cognito's on the pool's domain, its logout Cognito's /logout back to a LogoutURL",
        {k: environment.get(k) for k in expected},
    )
    passwords = {name: f"{name}-Secret-{os.getpid()}" for name in PEOPLE}
    processes.start(
        "oidc",
        node(args.node_modules, "oidc.mjs", {
            "issuer": cognito,
            "listen": {"host": COGNITO_IP, "port": 443},
            "tls": {"cert": str(cert), "key": str(key)},
            "client": {
                "client_id": client["ClientId"], "client_secret": client["ClientSecret"], "redirect_uris": client["CallbackURLs"],
                "scopes": client["AllowedOAuthScopes"], "logout_urls": client["LogoutURLs"],
            },
            "users": [{"username": n, "password": p, "email": f"{n}@example.com"} for n, p in passwords.items()],
        }, out, "oidc"),
        ready="ready",
    )

    # The load balancer's HTTPS listener, forwarding to the target group's port.
    target_group = golden_container("TargetGroup")["Properties"]
    processes.start(
        "alb",
        node(args.node_modules, "alb.mjs", {"listen": {"host": ALB_IP, "port": 443}, "tls": {"cert": str(cert), "key": str(key)}, "target": f"http://{HUB_TASK_IP}:{target_group['Port']}"}, out, "alb"),
        ready="ready",
    )

    install_hub_files(out)
    let_the_hub_user_run(args.hub_python, out)
    # Where the hub's namespace sees it (the run's directory may be under /tmp, which is the
    # task's own there).
    ca = Path(shutil.copy(ca, "/srv/jupyterhub/test-ca.pem"))
    # As after a hub task that was killed: its proxy's pid file left on EFS, naming a
    # number that, in the new task, is a process of the hub's user.
    processes.start("bystander", ["sleep", "3600"], user=HUB_UID)
    bystander = processes.children["bystander"]
    pid_file = Path("/srv/jupyterhub/data/jupyterhub-proxy.pid")
    pid_file.write_text(f"{bystander.pid}\n")
    os.chown(pid_file, HUB_UID, HUB_UID)
    start_hub(processes, args, environment, endpoint, ca)
    health = f"http://{HUB_TASK_IP}:{target_group['Port']}{target_group['HealthCheckPath']}"
    wait_for(f"the hub answers {health}", lambda: processes.alive("hub") and get(health)[0] == 200, 120)
    status, _ = get(health)
    check(str(status) == target_group["Matcher"]["HttpCode"], f"the load balancer's health check ({target_group['HealthCheckPath']} on the task's address and target port) answers {status} through the proxy", status)
    print(f"   the hub is up {time.monotonic() - started:.1f} s after the start", flush=True)
    check(bystander.poll() is None, "a stale proxy pid file naming a live process of the hub's user leaves that process alone", bystander.returncode)
    check_task_file_system(processes)

    cluster = environment["JUPYTERHUB_ECS_CLUSTER"]
    watch = ServerWatch(processes, args, region, cluster)
    with sync_playwright() as playwright:
        browser = Browser(playwright, args.chromium, out, {hub_host: ALB_IP, provider.hostname: COGNITO_IP})
        try:
            browse(browser, processes, args, out, environment, hub_url, provider.hostname, passwords, watch, region, cluster, endpoint, ca, health)
        except BaseException:
            browser.shoot_all("at-the-failure")
            raise
        finally:
            browser.browser.close()
    print(f"   {time.monotonic() - started:.1f} s in all", flush=True)
    return 0


def browse(browser, processes, args, out, environment, hub_url, provider_host, passwords, watch, region, cluster, endpoint, ca, health):
    # Someone the provider knows but the config does not list.
    mallory = browser.person()
    mallory.goto(hub_url + "/")
    mallory.wait_for_url(re.compile(r".*/hub/login.*"))
    to_the_provider(browser, mallory, "mallory", provider_host)
    mallory.fill("input[name=username]", "mallory")
    mallory.fill("input[name=password]", "not-her-password")
    mallory.click("#signin")
    mallory.wait_for_load_state("networkidle")
    check("Incorrect username or password." in mallory.content(), "the provider refuses a wrong password", mallory.url)
    mallory.fill("input[name=username]", "mallory")
    mallory.fill("input[name=password]", passwords["mallory"])
    response_codes: list[int] = []
    mallory.on("response", lambda r: response_codes.append(r.status) if "/hub/oauth_callback" in r.url else None)
    mallory.click("#signin")
    mallory.wait_for_load_state("networkidle")
    browser.shot(mallory, "mallory-refused")
    text = mallory.inner_text("body")
    check(
        "/hub/oauth_callback" in mallory.url and 403 in response_codes and "403" in text and mallory.locator("#jupyterhub-logo").count() == 1,
        "a user the config does not list is refused by JupyterHub's own 403 page after the provider's sign-in",
        (mallory.url, response_codes, text[:300]),
    )
    check("mallory" not in names_in_database(environment), "the refused user gets no row in the hub's database", names_in_database(environment))

    # bob: a user, not an admin.
    bob = browser.person()
    sign_in(browser, bob, hub_url, "bob", passwords["bob"], provider_host)
    with shown(browser, bob, "bob", "landed on the spawn page", shot="not-on-the-spawn-page"):
        bob.wait_for_url(re.compile(r".*/hub/spawn.*"))
    browser.shot(bob, "bob-spawn-page")
    sizes = bob.locator("select#profile option").all_inner_texts()
    check(len(sizes) == len(json.loads(environment["JUPYTERHUB_PROFILES"])) and sizes[0].startswith("small"), "bob lands on the spawn page with the configured server sizes", sizes)
    check(bob.locator("a[href$='/hub/admin']").count() == 0, "bob's pages show no admin link", bob.url)
    admin = bob.goto(hub_url + "/hub/admin")
    check(admin is not None and admin.status == 403, "bob is refused the admin panel", admin and admin.status)

    bob.goto(hub_url + "/hub/spawn")
    watch.start()
    bob.select_option("select#profile", "small")
    bob.click("input[type=submit], button[type=submit]")
    watch.join(150)
    check(not watch.is_alive() and watch.error is None and watch.task is not None, "the hub's spawner started bob's Fargate task with RunTask on moto", watch.error)
    task = watch.task
    families = json.loads(environment["JUPYTERHUB_USER_TASK_FAMILIES"])
    check(f"task-definition/{families['bob']['small']}:" in task["taskDefinitionArn"], "the task runs bob's small task definition from the hub stack", task["taskDefinitionArn"])
    check(task.get("startedBy", "").startswith("jupyterhub-") and task["launchType"] == "FARGATE", "started as the spawner starts it (FARGATE, startedBy jupyterhub-<id>)", task)
    check(
        watch.command[:1] == ["jupyterhub-singleuser"] and urlparse(watch.service_url).port == watch.address[1],
        "the task runs jupyterhub-singleuser, told to serve on its task definition's port",
        (watch.command, watch.service_url, watch.address),
    )
    with shown(browser, bob, "bob", "showed his server's page through the proxy", shot="no-server-page", hint=" (user-server.log says what his server met)"):
        bob.wait_for_url(re.compile(r".*/user/bob/.*"), timeout=120_000)
        bob.wait_for_selector("#standin", timeout=60_000)
    browser.shot(bob, "bob-server-through-the-proxy")
    ip, port = watch.address
    check(bob.inner_text("#standin") == "stand-in server of bob", f"bob sees his server's page through the proxy (the server on the task's address {ip}:{port} asked the hub's API who he is)", bob.inner_text("body")[:200])

    status, _ = get(health)
    check(status == 200, "the health check still answers with a server running", status)
    rows = users_in_database(environment)
    check(rows.get("alice") is True and rows.get("bob") is False and rows.get("carol") is False, "the hub keeps its users in PostgreSQL: alice an admin, bob and carol users", rows)
    tables = tables_in_database(environment)
    check({"users", "spawners", "servers", "api_tokens", "oauth_clients", "alembic_version"} <= tables, "the hub's tables are in PostgreSQL", sorted(tables))
    state = spawner_state(environment, "bob")
    check(state.get("task_arn") == task["taskArn"], "bob's spawner state in PostgreSQL holds his task's ARN (what a restarted hub finds the server by)", state)

    # alice: an admin.
    alice = browser.person()
    sign_in(browser, alice, hub_url, "alice", passwords["alice"], provider_host)
    with shown(browser, alice, "alice", "landed on the spawn page", shot="not-on-the-spawn-page"):
        alice.wait_for_url(re.compile(r".*/hub/spawn.*"))
    check(alice.locator("a[href$='/hub/admin']").count() >= 1, "alice's pages show the admin link", alice.url)
    panel = alice.goto(hub_url + "/hub/admin")
    check(panel is not None and panel.status == 200, "alice opens the admin panel", panel and panel.status)
    with shown(browser, alice, "alice", "saw bob in the admin panel", shot="no-bob-in-the-admin-panel"):
        alice.wait_for_selector("text=bob", timeout=30_000)
    browser.shot(alice, "alice-admin-panel")
    body = alice.inner_text("body")
    check("carol" in body and body.count("Stop Server") == 1, "the admin panel lists the hub's users, bob's server running", body[:400])
    token = request_token(browser, alice, hub_url)

    services = api(environment["JUPYTERHUB_HUB_CONNECT_URL"] + "/hub/api/services", token)
    culler = services.get("idle-culler", {})
    timeout = int(environment["JUPYTERHUB_IDLE_TIMEOUT"])
    check(f"--timeout={timeout}" in culler.get("command", []) and culler.get("pid"), f"the idle culler is a running hub service with --timeout={timeout}", culler)
    culling = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    check(f"jupyterhub_idle_culler --timeout={timeout}" in culling, "its process runs", culling)
    hub_log = (out / "hub.log").read_text()
    check(
        re.search(r"200 GET /hub/api/users\S* \(idle-culler@", hub_log) is not None and "Service idle-culler exited" not in hub_log,
        "the culler reads the users through the hub's API with its role's scopes (200) and keeps running",
        [l for l in hub_log.splitlines() if "idle-culler" in l][-5:],
    )

    # A hub restart (every deploy replaces the hub task) leaves bob's server running and known.
    processes.stop("hub")
    check(get_status(health) != 200, "the hub is down", health)
    before_restart = len((out / "hub.log").read_text())
    start_hub(processes, args, environment, endpoint, ca)
    wait_for(f"the restarted hub answers {health}", lambda: processes.alive("hub") and get(health)[0] == 200, 120)
    ecs = boto3.client("ecs", region_name=region)
    tasks = ecs.describe_tasks(cluster=cluster, tasks=[task["taskArn"]])["tasks"]
    check(tasks and tasks[0]["lastStatus"] == "RUNNING" and len(ecs.list_tasks(cluster=cluster)["taskArns"]) == 1, "the restart neither stopped bob's task nor started another (cleanup_servers = False)", tasks)
    bob_api = environment["JUPYTERHUB_HUB_CONNECT_URL"] + "/hub/api/users/bob"
    ready = lambda: api(bob_api, token).get("servers", {}).get("", {}).get("ready") is True  # noqa: E731
    wait_for("the restarted hub to check bob's server", ready, 60)
    check(ready(), "the restarted hub knows bob's server and counts it ready", api(bob_api, token))
    bob.goto(hub_url + "/user/bob/")
    with shown(browser, bob, "bob", "showed his server's page through the restarted hub's proxy", shot="no-server-page-after-the-restart", hint=" (user-server.log says what his server met)"):
        bob.wait_for_selector("#standin", timeout=60_000)
    asked = re.search(r"200 GET /hub/api/user \(bob@", (out / "hub.log").read_text()[before_restart:]) is not None
    check(
        bob.inner_text("#standin") == "stand-in server of bob" and asked,
        "bob, still signed in, reaches his server through the restarted hub's proxy, and his server asks the restarted hub who he is",
        (bob.url, asked),
    )

    # Logging out ends the hub's session and, through Cognito's /logout, the provider's.
    logouts: list[str] = []
    bob.on("request", lambda r: logouts.append(r.url) if urlparse(r.url).path == "/logout" else None)
    bob.goto(hub_url + "/hub/logout")
    bob.wait_for_load_state("networkidle")
    browser.shot(bob, "bob-logged-out")
    home = bob.goto(hub_url + "/hub/home")
    bob.wait_for_load_state("networkidle")
    check("/hub/login" in bob.url, "after logging out, bob's hub pages send him to the login page", (bob.url, home and home.status))
    check(logouts and logouts[0] == environment["OAUTH_LOGOUT_REDIRECT_URL"], "logging out went through Cognito's /logout", logouts)
    to_the_provider(browser, bob, "bob-again", provider_host)
    check(bob.locator("input[name=password]").count() == 1, "and ended the provider's session: signing in again asks for the password", bob.url)
    browser.shot(bob, "bob-asked-again")
    return 0


def get_status(url: str) -> int:
    try:
        return get(url, timeout=2)[0]
    except OSError:
        return 0


def request_token(browser: Browser, page, hub_url: str) -> str:
    # The page asks the hub's API from its script: on a loaded machine a click may come
    # before the script has taken over the form, so wait for the page, and click again.
    for attempt in range(3):
        page.goto(hub_url + "/hub/token", wait_until="networkidle")
        page.click("#request-token-form button[type=submit], #request-token-form input[type=submit]")
        try:
            page.wait_for_selector("#token-result", state="visible", timeout=20_000)
            break
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: try again, then say so
            browser.shot(page, f"alice-token-page-attempt-{attempt + 1}")
    else:
        raise Failed(f"the token page showed no token after three requests; the browser is at {page.url}")
    token = page.inner_text("#token-result").strip()
    check(re.fullmatch(r"[0-9a-f]{32,}", token) is not None, "alice asks the hub for an API token on its token page", token[:6])
    return token


# --- the database ---------------------------------------------------------------------


def connect(environment):
    return psycopg2.connect(
        host=environment["JUPYTERHUB_DB_HOST"], port=environment["JUPYTERHUB_DB_PORT"], user=environment["JUPYTERHUB_DB_USER"],
        password=environment["JUPYTERHUB_DB_PASSWORD"], dbname=environment["JUPYTERHUB_DB_NAME"], sslmode="require",
    )


def query(environment, sql, *params):
    with connect(environment) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def names_in_database(environment) -> set[str]:
    return {name for (name,) in query(environment, "select name from users")}


def users_in_database(environment) -> dict[str, bool]:
    return dict(query(environment, "select name, admin from users"))


def tables_in_database(environment) -> set[str]:
    return {t for (t,) in query(environment, "select tablename from pg_tables where schemaname = 'public'")}


def spawner_state(environment, user: str) -> dict:
    rows = query(environment, "select s.state from spawners s join users u on s.user_id = u.id where u.name = %s and s.name = ''", user)
    value = rows[0][0] if rows else None
    return json.loads(value) if isinstance(value, str) else (value or {})


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failed as failure:
        print(f"FAILED {failure}", flush=True)
        sys.exit(1)
