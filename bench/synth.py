#!/usr/bin/env python3
"""Whole-process benchmark of `hubctl synth`: median wall time and peak RSS.

Builds the release binary, then times complete `hubctl synth` processes (start, parse,
render, atomic write, exit):
  1. the example config (config.example.yaml: 2 environments, 7 templates), 51 runs;
  2. a generated config with 500 environments in 50 workload accounts (1,501 templates:
     each environment's frame, dns and ECS hub, and one parent template of 50 roles), 7 runs.
Wall time is measured around a direct child. Peak RSS comes from GNU time (`%M`), run
separately: a child forked from Python inherits Python's resident pages, and its ru_maxrss
would report Python's size, not hubctl's. GNU time (Debian package `time`) is installed
with apt-get when missing. Usage: python3 bench/synth.py
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "hubctl")


GNU_TIME = "/usr/bin/time"


def run_once(config, out):
    return run_command([BINARY, "--config", config, "synth", "--out", out])


def run_command(command):
    """One whole process: (wall seconds, peak RSS in KiB from GNU time); exits on failure."""
    start = time.perf_counter()
    status = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{' '.join(command)} failed with status {status}")
    measured = subprocess.run(
        [GNU_TIME, "-f", "%M"] + command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True
    )
    return elapsed, int(measured.stderr.strip().splitlines()[-1])  # kilobytes


def measure(config, runs, scratch_root):
    with tempfile.TemporaryDirectory(dir=scratch_root) as scratch:
        out = os.path.join(scratch, "out")
        run_once(config, out)  # warm the page cache
        samples = [run_once(config, out) for _ in range(runs)]
    times = [t for t, _ in samples]
    peak = max(rss for _, rss in samples)
    return statistics.median(times) * 1000, min(times) * 1000, peak / 1024


def many_environments(path, count):
    lines = [
        "project: bench",
        "region: eu-west-1",
        "dns: {parent_zone: x.io, parent_account: '111111111111', delegation_role: DomainOperatorRole}",
        "network: {vpc_cidr: 10.0.0.0/16, availability_zones: 3, nat_gateways: 3}",
        "hub: {platform: ecs, hub_image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/hub:1', "
        "user_image: 'quay.io/jupyter/base-notebook:2025-06-30', admins: [alice], allowed_users: [bob], "
        "allowed_cidrs: [0.0.0.0/0], auth: {kind: cognito}}",
        "environments:",
    ]
    for i in range(count):
        account = f"{200000000000 + i % 50:012d}"  # 50 workload accounts, 50 delegation roles
        lines.append(f"  e{i}: {{account: '{account}', dns: {{subzone: e{i}.x.io, hub_host: h.e{i}.x.io}}}}")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def print_table(first, rows):
    """The markdown table the README quotes: (name, median ms, fastest ms, peak MiB) rows."""
    print(f"| {first} | median wall | fastest | peak RSS |")
    print("|---|---|---|---|")
    for name, median, fastest, rss in rows:
        print(f"| {name} | {median:.1f} ms | {fastest:.1f} ms | {rss:.1f} MiB |")


def main():
    if not shutil.which(GNU_TIME):
        subprocess.run(["apt-get", "install", "-y", "-qq", "time"], check=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    example = os.path.join(ROOT, "config.example.yaml")
    # Output on the project's disk, and on tmpfs to separate hubctl's own cost from the
    # file system's (creating a file costs ~0.6 ms on some virtual disks).
    targets = [("disk", os.path.join(ROOT, "target"))]
    if os.path.isdir("/dev/shm"):
        targets.append(("tmpfs", "/dev/shm"))
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        many = os.path.join(scratch, "many.yaml")
        many_environments(many, 500)
        for where, scratch_root in targets:
            rows.append((f"example (2 envs, 7 templates), out on {where}", *measure(example, 51, scratch_root)))
            rows.append((f"500 environments in 50 accounts (1,501 templates), out on {where}", *measure(many, 7, scratch_root)))
    print_table("config", rows)


if __name__ == "__main__":
    main()
