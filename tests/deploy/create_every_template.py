"""Every stack of every environment in tests/golden/ created on the patched moto, as deploy
would: in the manifest's deploy order, through CREATE change sets, each stack's parameters
filled from the outputs its manifest names, in the environment's account and region.

Usage: <moto venv>/bin/python tests/deploy/create_every_template.py

Starts one moto_launcher.py; prints one line per stack and exits 1 unless every stack ends
CREATE_COMPLETE. (The delegation step is the deploy tests' concern; the parent template is
created in the parent account.) Standard library and boto3 (from the moto venv) only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOLDEN = HERE.parent / "golden"

for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(proxy, None)
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
os.environ.pop("AWS_SESSION_TOKEN", None)

import boto3  # noqa: E402


def clients(endpoint: str, account: str, region: str, service: str = "cloudformation"):  # type: ignore[no-untyped-def]
    """A client in `account`, through moto's ``x-moto-account-id`` header (the patched moto
    refuses AssumeRole of a role that does not exist, as AWS does)."""
    client = boto3.client(service, endpoint_url=endpoint, region_name=region)

    def to_account(request, **_):  # type: ignore[no-untyped-def]
        request.headers["x-moto-account-id"] = account

    client.meta.events.register("before-sign.*.*", to_account)
    return client


def existing_pools(endpoint: str, account: str, region: str, body: str) -> str:
    """`body` with each existing user pool it names (`hub.auth.user_pool_id`) made first, as
    it exists on AWS before such a config is deployed: moto picks its own pool ids."""
    for pool_id in sorted(set(re.findall(r'"UserPoolId": "(' + re.escape(region) + r'_[A-Za-z0-9]+)"', body))):
        idp = clients(endpoint, account, region, "cognito-idp")
        made = idp.create_user_pool(PoolName=f"existing-{pool_id}")["UserPool"]["Id"]
        body = body.replace(pool_id, made)
    return body


def create(cf, name: str, body: str, parameters: dict[str, str]) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    change_set = cf.create_change_set(
        StackName=name,
        ChangeSetName="create",
        ChangeSetType="CREATE",
        TemplateBody=body,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    cf.execute_change_set(ChangeSetName=change_set["Id"])
    stack = cf.describe_stacks(StackName=name)["Stacks"][0]
    return stack["StackStatus"], {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def create_environment(endpoint: str, manifest_path: Path):  # type: ignore[no-untyped-def]
    """Every stack of the golden environment `manifest_path` names, created in its deploy
    order, each stack's parameters filled from the outputs its manifest names: yields
    (stack name, status), the status naming the error when the creation raised."""
    manifest = json.loads(manifest_path.read_text())
    cf = clients(endpoint, manifest["account"], manifest["region"])
    outputs: dict[str, dict[str, str]] = {}
    stacks = {stack["id"]: stack for stack in manifest["stacks"]}
    for wave in manifest["deploy_order"]:
        for step in wave:
            if step not in stacks:
                continue
            stack = stacks[step]
            body = existing_pools(
                endpoint,
                manifest["account"],
                manifest["region"],
                (manifest_path.parent / stack["template"]).read_text(),
            )
            parameters = {
                name: outputs[source["stack"]][source["output"]] for name, source in stack["parameters"].items()
            }
            try:
                status, outputs[step] = create(cf, stack["name"], body, parameters)
            except Exception as error:  # noqa: BLE001 - any failure is reported
                status, outputs[step] = f"{type(error).__name__}: {str(error)[:300]}", {}
            yield stack["name"], status


def main() -> int:
    launcher = subprocess.Popen(
        [sys.executable, str(HERE / "moto_launcher.py"), "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    failed = 0
    try:
        port = int(launcher.stdout.readline().split()[1])
        endpoint = f"http://127.0.0.1:{port}"
        for manifest_path in sorted(GOLDEN.glob("*/*/manifest.json")):
            for name, status in create_environment(endpoint, manifest_path):
                where = f"{manifest_path.parent.relative_to(GOLDEN)} {name}"
                print(f"{'ok  ' if status == 'CREATE_COMPLETE' else 'FAIL'} {where}: {status}")
                failed += status != "CREATE_COMPLETE"
        for parent in sorted(GOLDEN.glob("*/parent/*.template.json")):
            manifest = json.loads(next(parent.parent.parent.glob("*/manifest.json")).read_text())
            cf = clients(endpoint, manifest["delegation"]["parent_account"], "us-east-1")
            zone = boto3.client(
                "route53", endpoint_url=endpoint, region_name="us-east-1"
            )  # the parameter needs a zone id of the right shape only
            zone_id = zone.create_hosted_zone(Name=manifest["delegation"]["parent_zone"], CallerReference=str(parent))["HostedZone"]["Id"].split("/")[-1]
            try:
                status, _ = create(cf, parent.name.removesuffix(".template.json"), parent.read_text(), {"ParentHostedZoneId": zone_id})
            except Exception as error:  # noqa: BLE001
                status = f"{type(error).__name__}: {str(error)[:300]}"
            print(f"{'ok  ' if status == 'CREATE_COMPLETE' else 'FAIL'} {parent.relative_to(GOLDEN)}: {status}")
            failed += status != "CREATE_COMPLETE"
    finally:
        launcher.terminate()
        launcher.wait(timeout=10)
    print(f"{'FAILED' if failed else 'passed'}: {failed} stack(s) not created")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
