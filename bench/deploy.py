#!/usr/bin/env python3
"""Wall time and AWS API calls of `hubctl deploy` and `destroy` against moto_server.

For each run: a fresh moto_server (tests/deploy/moto_launcher.py, moto pinned in
tests/tools/moto.txt, with its AWS-behaviour patches) behind the recording proxy
(tests/deploy/proxy.py, no faults), the parent zone made in account 111111111111 and the
delegation roles deployed there (`hubctl parent deploy` with an IAM user of that account,
straight to moto: not counted), then the release binary takes environment `dev` of config.example.yaml (the whole ECS environment:
frame, dns, delegation, hub) through a first deploy, a no-op re-run and a destroy. The
proxy's log gives the calls by action.

Usage: python3 bench/deploy.py [RUNS]   (default 5)

Needs the moto virtualenv the tests provision (target/tmp/tools/moto); made here the same
way if missing. Figures are local-endpoint figures: they measure hubctl's own work and its
number of calls, not CloudFormation's (which takes minutes for a VPC on AWS).
"""

from __future__ import annotations

import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "hubctl")
VENV = os.path.join(ROOT, "target", "tmp", "tools", "moto")
REQUIREMENTS = os.path.join(ROOT, "tests", "tools", "moto.txt")


def moto_python() -> str:
    stamp = os.path.join(VENV, "installed-requirements.txt")
    wanted = open(REQUIREMENTS, encoding="utf-8").read()
    if not os.path.exists(stamp) or open(stamp, encoding="utf-8").read() != wanted:
        subprocess.run([sys.executable, "-m", "venv", "--clear", VENV], check=True)
        subprocess.run(
            [os.path.join(VENV, "bin", "pip"), "install", "--quiet", "--disable-pip-version-check",
             "--no-input", "-r", REQUIREMENTS],
            check=True,
        )
        with open(stamp, "w", encoding="utf-8") as f:
            f.write(wanted)
    return os.path.join(VENV, "bin", "python")


def start(python: str, script: str, args: list[str]) -> tuple[subprocess.Popen, int]:
    child = subprocess.Popen(
        [python, os.path.join(ROOT, "tests", "deploy", script), *args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    line = child.stdout.readline().strip()
    if not line.startswith("ready "):
        raise SystemExit(f"{script} said {line!r}")
    return child, int(line.split()[1])


def calls(log: str) -> list[str]:
    if not os.path.exists(log):
        return []
    with open(log, encoding="utf-8") as f:
        return [json.loads(line)["action"] for line in f if line.strip()]


def one_run(python: str) -> list[tuple[float, list[str]]]:
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "requests.jsonl")
        moto, moto_port = start(python, "moto_launcher.py", ["--port", "0", "--quiet"])
        proxy, proxy_port = start(
            python, "proxy.py",
            ["--port", "0", "--target", f"http://127.0.0.1:{moto_port}", "--log", log],
        )
        try:
            subprocess.run(
                [python, os.path.join(ROOT, "tests", "deploy", "parent_zone.py"),
                 f"http://127.0.0.1:{moto_port}", "create", "example.com"],
                check=True, stdout=subprocess.DEVNULL,
            )
            env = dict(
                os.environ,
                AWS_ENDPOINT_URL=f"http://127.0.0.1:{proxy_port}",
                AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                AWS_EC2_METADATA_DISABLED="true", HUBCTL_POLL_MS="20", HUBCTL_TIMEOUT_S="60",
            )
            env.pop("AWS_PROFILE", None)
            env.pop("AWS_SESSION_TOKEN", None)
            base = [BINARY, "--config", "config.example.yaml"]
            # The DNS team's roles first, as on AWS (the patched moto refuses AssumeRole of a
            # role that does not exist).
            keys = subprocess.run(
                [python, os.path.join(ROOT, "tests", "deploy", "parent_zone.py"),
                 f"http://127.0.0.1:{moto_port}", "admin-keys"],
                check=True, capture_output=True, text=True,
            ).stdout.split()
            credentials = os.path.join(tmp, "credentials")
            with open(credentials, "w", encoding="utf-8") as f:
                f.write(f"[dns-admin]\naws_access_key_id = {keys[0]}\naws_secret_access_key = {keys[1]}\n")
            subprocess.run(
                base + ["parent", "deploy", "--profile", "dns-admin", "--yes"], cwd=ROOT, check=True,
                env=dict(env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{moto_port}", AWS_SHARED_CREDENTIALS_FILE=credentials),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            figures = []
            for command in (base + ["deploy", "--env", "dev"], base + ["deploy", "--env", "dev"],
                            base + ["destroy", "--env", "dev", "--yes"]):
                before = len(calls(log))
                started = time.perf_counter()
                subprocess.run(command, cwd=ROOT, env=env, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                wall = time.perf_counter() - started
                figures.append((wall, calls(log)[before:]))
        finally:
            for child in (proxy, moto):
                child.terminate()
                child.wait()
    return figures


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    python = moto_python()
    results = [one_run(python) for _ in range(runs)]
    for index, label in enumerate(("first deploy", "no-op re-run", "destroy")):
        walls = [r[index][0] * 1000 for r in results]
        counts = collections.Counter(results[-1][index][1])
        print(f"{label}: median {statistics.median(walls):.0f} ms "
              f"(min {min(walls):.0f}, max {max(walls):.0f}, {runs} runs), "
              f"{len(results[-1][index][1])} API calls")
        for action, n in sorted(counts.items()):
            print(f"    {n:3d}  {action}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
