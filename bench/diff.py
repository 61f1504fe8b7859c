#!/usr/bin/env python3
"""Whole-process benchmark of `hubctl diff --against DIR`: median wall time and peak RSS.

Builds the release binary, generates bench/synth.py's config of 500 environments in 50
workload accounts (1,501 templates) as the base, synths it once to a base output directory
(as a base branch's CI job would), and makes a head config that differs in one place that
reaches every environment: `hub.allowed_cidrs: [0.0.0.0/0]` becomes `[203.0.113.0/24]`, so
each environment's ECS hub template changes its load balancer's security-group rules.
One checked run first asserts that `--output json` reports changes in all 500 environments
(and that the unchanged case reports none). Then it times complete processes (start, parse,
render of all templates, read and parse of the base directory, comparison, report, exit):
  1. head config, `--output json`    (500 changed environments);
  2. base config, `--output json`    (nothing differs);
  3. head config, `--output text`    (500 changed environments);
  4. for reference, `hubctl synth` of the head config (render + atomic write, no diff).
Each case: one warm-up, then 7 runs; stdout goes to /dev/null, no `--fail`, exit 0 asserted.
Wall time is measured around a direct child; peak RSS comes from GNU time (`%M`) run
separately, for the reason bench/synth.py gives (a child forked from Python would report
Python's resident size). GNU time (Debian package `time`) is installed with apt-get when
missing. Reuses bench/synth.py's generator and measurement. Usage: python3 bench/diff.py
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synth as synth_bench  # noqa: E402  (bench/synth.py)

ROOT = synth_bench.ROOT
BINARY = synth_bench.BINARY
GNU_TIME = synth_bench.GNU_TIME
ENVIRONMENTS = 500
RUNS = 7
BASE_CIDRS = "allowed_cidrs: [0.0.0.0/0]"
HEAD_CIDRS = "allowed_cidrs: [203.0.113.0/24]"


def diff_command(config, against, output):
    return [BINARY, "--config", config, "diff", "--against", against, "--output", output]


def measure(command, runs):
    synth_bench.run_command(command)  # warm the page cache
    samples = [synth_bench.run_command(command) for _ in range(runs)]
    times = [t for t, _ in samples]
    peak = max(rss for _, rss in samples)
    return statistics.median(times) * 1000, min(times) * 1000, peak / 1024


def head_config(base, head):
    with open(base) as handle:
        text = handle.read()
    if text.count(BASE_CIDRS) != 1:
        sys.exit(f"{base}: expected `{BASE_CIDRS}` once in the generated config")
    with open(head, "w") as handle:
        handle.write(text.replace(BASE_CIDRS, HEAD_CIDRS))


def json_report(config, against):
    done = subprocess.run(diff_command(config, against, "json"), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"hubctl diff of {config} failed with status {done.returncode}:\n{done.stderr}")
    return json.loads(done.stdout)


def check(base, head, base_out):
    """The head differs in every environment's hub stack (and nowhere else); the base in none."""
    report = json_report(head, base_out)
    changed = {e["env"]: e for e in report["environments"]}
    wanted = {f"e{i}" for i in range(ENVIRONMENTS)}
    if set(changed) != wanted:
        sys.exit(
            f"head diff: expected changes in exactly e0..e{ENVIRONMENTS - 1}, got {len(changed)} "
            f"(missing {sorted(wanted - set(changed))[:5]}, extra {sorted(set(changed) - wanted)[:5]})"
        )
    stacks = {s["id"] for e in changed.values() for s in e["stacks"]}
    resources = {(s["id"], r["logical_id"], r["impact"]) for e in changed.values() for s in e["stacks"] for r in s["resources"]}
    print(
        f"check: head differs in {len(changed)} environments, {report['summary']}, "
        f"{len(report['security_groups'])} security-group changes, broadened={report['broadened']}",
        file=sys.stderr,
    )
    print(f"check: changed stacks (by manifest id) {sorted(stacks)}, resources {sorted(resources)[:8]}", file=sys.stderr)
    same = json_report(base, base_out)
    if same["differs"] or same["environments"]:
        sys.exit(f"base diff against its own synth: expected no changes, got {same['summary']}")
    print("check: base against its own synth: no changes", file=sys.stderr)


def main():
    if not shutil.which(GNU_TIME):
        subprocess.run(["apt-get", "install", "-y", "-qq", "time"], check=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    rows = []
    with tempfile.TemporaryDirectory() as configs, tempfile.TemporaryDirectory(dir=os.path.join(ROOT, "target")) as scratch:
        base = os.path.join(configs, "base.yaml")
        head = os.path.join(configs, "head.yaml")
        synth_bench.many_environments(base, ENVIRONMENTS)
        head_config(base, head)
        base_out = os.path.join(scratch, "base_out")
        subprocess.run([BINARY, "--config", base, "synth", "--out", base_out], stdout=subprocess.DEVNULL, check=True)
        check(base, head, base_out)
        cases = [
            ("head vs base: 500 envs changed, `--output json`", diff_command(head, base_out, "json")),
            ("base vs base: no changes, `--output json`", diff_command(base, base_out, "json")),
            ("head vs base: 500 envs changed, `--output text`", diff_command(head, base_out, "text")),
        ]
        for name, command in cases:
            rows.append((name, *measure(command, RUNS)))
        rows.append(("reference: `synth --out` of head (no diff)", *synth_bench.measure(head, RUNS, scratch)))
    synth_bench.print_table("case", rows)


if __name__ == "__main__":
    main()
