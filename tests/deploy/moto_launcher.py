"""Run moto's server (pinned in tests/tools/moto.txt) on 127.0.0.1 for the deploy tests.

Usage: moto_launcher.py --port PORT [--quiet]

Starts moto's own threaded server (``moto.server.ThreadedMotoServer``: werkzeug
with moto's ``DomainDispatcherApplication`` and ``MotoRequestHandler``) bound to
127.0.0.1 only, prints exactly ``ready <port>`` on stdout (flushed) once the port
accepts TCP connections, and runs until SIGTERM or SIGINT. ``--port 0`` picks a
free port; the line printed then names the port actually bound. Request logs go
to stderr (``--quiet`` keeps only warnings).

Five moto behaviours are patched, nothing else (each where moto differs from AWS in a
way the deploy, or a test replaying the hub's calls, depends on):

ExecuteChangeSet recomputes the stack's Outputs.
    In moto 5.2 ``CloudFormationBackend.execute_change_set`` applies the change
    set's resources (``ChangeSet.apply`` -> ``ResourceMap.update``) and sets
    ``stack.template`` to the change set's template, but it neither re-parses
    ``stack.template_dict`` nor rebuilds ``stack.output_map``. After a CREATE
    change set the stack still carries the empty template of its
    REVIEW_IN_PROGRESS placeholder, so DescribeStacks shows no Outputs; after an
    UPDATE change set it shows the old template's Outputs (new ones missing,
    changed ones stale). Real AWS recomputes Outputs when the change set
    executes, and the deploy reads Outputs right after executing a change set.
    The patch wraps ``CloudFormationBackend.execute_change_set``: after moto's
    own code has run, it re-parses the stack's (new) template and rebuilds its
    ``OutputMap`` exactly as ``Stack.update`` (UpdateStack) does, so Outputs,
    including Ref / GetAtt values and ExportName, are computed from the executed
    template just as after CreateStack / UpdateStack.

    Not changed (as in moto's UpdateStack, change sets do not register exports
    in the backend's export list used by ListExports / Fn::ImportValue).

AWS::KMS::Key reads CloudFormation's tag shape.
    moto 5.2's ``Key.create_from_cloudformation_json`` hands the template's
    ``Tags`` (CloudFormation's ``[{Key, Value}]``) to the KMS API's tagging code,
    which expects ``[{TagKey, TagValue}]`` and fails with ``KeyError: 'TagKey'``
    (HTTP 500), so no template with a tagged KMS key can be created. The patch
    converts the tags to the KMS API's shape first, as CloudFormation does.

A change set name is unique per stack.
    moto 5.2 accepts a second CreateChangeSet with the same stack and change set
    name and creates a second stack; AWS answers AlreadyExistsException. A retried
    CreateChangeSet (its first answer lost) must not create anything twice.

A Fargate task needs no container-level memory.
    On Fargate the task-level ``memory`` is required and a container's ``memory`` /
    ``memoryReservation`` are optional (Amazon ECS Developer Guide, "Task definition
    parameters for Fargate"). moto 5.2's ``_calculate_task_resource_requirements``, which
    RunTask calls, adds each container's memory and fails with ``TypeError`` (HTTP 500)
    when a container has none, so the hub's user servers, whose task definitions set memory
    only per task, could not start. For a Fargate task definition with task-level memory
    (and only there, as on AWS) the patch counts a container without memory as 0 (moto uses
    the sum only to place tasks on EC2 container instances).

An ECS task runs until it is stopped.
    moto 5.2 moves a task one step towards STOPPED (RUNNING, DEACTIVATING, STOPPING,
    DEPROVISIONING, STOPPED) each time DescribeTasks reads it (its state manager's default
    for ``ecs::task``: manual progression, once per read), so a user server "stops" while
    the spawner watches it start. On AWS a task that started stays RUNNING until StopTask
    (or its container exits). The launcher sets moto's own state-manager transition for
    ``ecs::task`` so that reads never advance it; StopTask still stops it at once (on AWS
    it passes DEACTIVATING, STOPPING and DEPROVISIONING first). moto runs no containers, so
    a task never stops by itself here as it does on AWS when its essential container exits:
    the spawner's handling of those states is tested with stand-in answers in
    tests/hub/check_config.py.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time


def patch_execute_change_set_outputs() -> None:
    """Make ExecuteChangeSet rebuild the stack's Outputs from the executed template."""
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.execute_change_set
    if getattr(original, "_hubctl_patched", False):
        return

    def execute_change_set(self, change_set_name, stack_name=None):  # type: ignore[no-untyped-def]
        original(self, change_set_name, stack_name)
        # Same lookup as moto's execute_change_set (change set ARN, else name).
        change_set = self.describe_change_set(change_set_name)
        stack = self.stacks[change_set.stack_id]
        # What Stack.update (UpdateStack) does after ResourceMap.update:
        stack._parse_template()
        stack.output_map = stack._create_output_map()

    execute_change_set._hubctl_patched = True  # type: ignore[attr-defined]
    execute_change_set.__doc__ = original.__doc__
    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]


def patch_kms_key_cloudformation_tags() -> None:
    """Give moto's KMS the tag shape its API code expects, as CloudFormation does."""
    from moto.kms.models import Key

    original = Key.create_from_cloudformation_json.__func__
    if getattr(original, "_hubctl_patched", False):
        return

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        properties = cloudformation_json.get("Properties", {})
        tags = properties.get("Tags")
        if tags:
            properties = dict(properties, Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in tags])
            cloudformation_json = dict(cloudformation_json, Properties=properties)
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    create_from_cloudformation_json._hubctl_patched = True  # type: ignore[attr-defined]
    Key.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign]


def patch_unique_change_set_names() -> None:
    """CreateChangeSet with a name the stack already has is AlreadyExistsException."""
    from moto.cloudformation.exceptions import AlreadyExistsException
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.create_change_set
    if getattr(original, "_hubctl_patched", False):
        return

    def create_change_set(self, stack_name, change_set_name, *args, **kwargs):  # type: ignore[no-untyped-def]
        for change_set in self.change_sets.values():
            if change_set.change_set_name == change_set_name and change_set.stack_name == stack_name:
                raise AlreadyExistsException(change_set_name)
        return original(self, stack_name, change_set_name, *args, **kwargs)

    create_change_set._hubctl_patched = True  # type: ignore[attr-defined]
    CloudFormationBackend.create_change_set = create_change_set  # type: ignore[method-assign]


def patch_fargate_container_memory() -> None:
    """RunTask of a task definition whose containers leave memory to the task."""
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend._calculate_task_resource_requirements
    if getattr(original, "_hubctl_patched", False):
        return
    keys = ("memory", "memoryReservation", "Memory", "MemoryReservation")

    def calculate(task_definition):  # type: ignore[no-untyped-def]
        # Only where AWS allows it: a Fargate task definition with task-level memory.
        fargate = "FARGATE" in (getattr(task_definition, "requires_compatibilities", None) or [])
        if not (fargate and getattr(task_definition, "memory", None)):
            return original(task_definition)
        missing = [c for c in task_definition.container_definitions if not any(c.get(k) is not None for k in keys)]
        for container in missing:
            container["memoryReservation"] = 0
        try:
            return original(task_definition)
        finally:
            for container in missing:
                del container["memoryReservation"]

    calculate._hubctl_patched = True  # type: ignore[attr-defined]
    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(calculate)  # type: ignore[method-assign]


def patch_ecs_tasks_keep_running() -> None:
    """A task stays RUNNING however often DescribeTasks reads it, until StopTask."""
    from moto.moto_api import state_manager

    state_manager.set_transition(model_name="ecs::task", transition={"progression": "manual", "times": 2**62})


def wait_accepting(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--quiet", action="store_true", help="log only warnings to stderr")
    args = parser.parse_args(argv)

    if args.quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    stop = threading.Event()

    def on_signal(signum, frame):  # type: ignore[no-untyped-def]
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    patch_execute_change_set_outputs()
    patch_kms_key_cloudformation_tags()
    patch_unique_change_set_names()
    patch_fargate_container_memory()
    patch_ecs_tasks_keep_running()
    from moto.server import ThreadedMotoServer

    host = "127.0.0.1"
    server = ThreadedMotoServer(ip_address=host, port=args.port, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    # moto builds some URLs (e.g. SQS queue URLs) from MOTO_PORT, as moto_server does.
    os.environ.setdefault("MOTO_PORT", str(port))
    wait_accepting(host, port)
    sys.stdout.write(f"ready {port}\n")
    sys.stdout.flush()

    while not stop.wait(0.5):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
