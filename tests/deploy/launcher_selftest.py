"""Self-test of moto_launcher.py's patches, against the launcher's own server.

Usage: <moto venv>/bin/python tests/deploy/launcher_selftest.py

Starts ``moto_launcher.py --port 0 --quiet`` once per PYTHONHASHSEED in SEEDS (in parallel),
deploys the example's frame, dns and hub stacks (tests/golden/example/dev) through
CreateChangeSet / ExecuteChangeSet with the hub's parameters wired from the frame's and dns's
outputs as manifest.json says, checks what the patches model, and deletes hub, dns and frame.
Prints one line per check (``ok``/``FAIL`` seed name: detail) and exits 1 if any check failed.
Standard library and boto3 (from the moto venv) only.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOLDEN = HERE.parent / "golden" / "example" / "dev"
REGION = "eu-west-1"
SEEDS = ["0", "1", "2", str(random.randrange(1, 2**32))]

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION=REGION,
)
for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
    os.environ.pop(proxy, None)

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

_print_lock = threading.Lock()


class Checks:
    def __init__(self, seed: str) -> None:
        self.seed = seed
        self.failed = 0

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if not ok:
            self.failed += 1
        with _print_lock:
            print(f"{'ok  ' if ok else 'FAIL'} seed={self.seed} {name}{': ' + detail if detail else ''}", flush=True)
        return ok


def start_launcher(seed: str, log) -> tuple[subprocess.Popen, int]:  # type: ignore[no-untyped-def]
    env = dict(os.environ, PYTHONHASHSEED=seed)
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "moto_launcher.py"), "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=log,
        env=env,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    match = re.fullmatch(r"ready (\d+)\n", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"launcher did not print 'ready <port>': {line!r}")
    return proc, int(match.group(1))


def error_code(call) -> str | None:  # type: ignore[no-untyped-def]
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"]
    return None


def template(name: str) -> str:
    return (GOLDEN / f"jhub-dev-{name}.template.json").read_text()


def events(cf, stack_id: str) -> list[dict]:  # type: ignore[no-untyped-def]
    found = cf.describe_stack_events(StackName=stack_id)["StackEvents"]
    # The API lists the newest first; moto's timestamps may tie, so keep moto's order reversed.
    return list(reversed(found))


def run(seed: str, port: int, c: Checks) -> None:
    endpoint = f"http://127.0.0.1:{port}"
    config = Config(retries={"max_attempts": 1}, read_timeout=120)

    def client(service: str):  # type: ignore[no-untyped-def]
        return boto3.client(service, endpoint_url=endpoint, region_name=REGION, config=config)

    cf, ec2, r53, ecs, efs = (client(s) for s in ("cloudformation", "ec2", "route53", "ecs", "efs"))
    manifest = json.loads((GOLDEN / "manifest.json").read_text())

    def deploy(name: str, body: str, parameters: dict[str, str]) -> dict:
        params = [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())]
        cs = cf.create_change_set(
            StackName=name, ChangeSetName="c1", ChangeSetType="CREATE", TemplateBody=body, Parameters=params
        )
        described = cf.describe_change_set(ChangeSetName=cs["Id"])
        shown = {p["ParameterKey"]: p["ParameterValue"] for p in described.get("Parameters", [])}
        c.check(f"{name} DescribeChangeSet parameters are the strings passed", shown == parameters, repr(shown))
        try:
            cf.execute_change_set(ChangeSetName=cs["Id"])
        except ClientError as error:
            c.check(f"{name} ExecuteChangeSet (CREATE)", False, str(error)[:300])
            return {}
        stack = cf.describe_stacks(StackName=name)["Stacks"][0]
        c.check(f"{name} CREATE_COMPLETE", stack["StackStatus"] == "CREATE_COMPLETE", stack["StackStatus"])
        shown = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
        c.check(f"{name} DescribeStacks parameters are the strings passed", shown == parameters, repr(shown))
        # The same template and parameters again: AWS's change set FAILS with "didn't contain changes".
        again = cf.create_change_set(
            StackName=name, ChangeSetName="c2", ChangeSetType="UPDATE", TemplateBody=body, Parameters=params
        )
        second = cf.describe_change_set(ChangeSetName=again["Id"])
        c.check(
            f"{name} unchanged second change set has no changes",
            second["Status"] == "FAILED" and "didn't contain changes" in second.get("StatusReason", "") and not second.get("Changes"),
            f"{second['Status']} {second.get('StatusReason')} {len(second.get('Changes', []))} changes",
        )
        cf.delete_change_set(ChangeSetName=again["Id"])
        return {"Id": stack["StackId"], **{o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}}

    def resources(stack: str) -> dict[str, dict]:
        found = cf.list_stack_resources(StackName=stack)["StackResourceSummaries"]
        return {r["LogicalResourceId"]: r for r in found}

    def delete(stack_id: str) -> dict:
        cf.delete_stack(StackName=stack_id)
        return cf.describe_stacks(StackName=stack_id)["Stacks"][0]

    # --- frame --------------------------------------------------------------------------
    frame_t = json.loads(template("frame"))
    frame = deploy("jhub-dev-frame", template("frame"), {})
    if not frame:
        return
    subnets = {r: ec2.describe_subnets(SubnetIds=[p["PhysicalResourceId"]])["Subnets"][0] for r, p in resources("jhub-dev-frame").items() if p["ResourceType"] == "AWS::EC2::Subnet"}
    wanted = {r: frame_t["Resources"][r]["Properties"].get("AvailabilityZoneId") for r in subnets}
    got = {r: s["AvailabilityZoneId"] for r, s in subnets.items()}
    c.check("subnets land in their AvailabilityZoneId", wanted == got and len(set(got.values())) > 1, repr(got))
    mounts = efs.describe_mount_targets(FileSystemId=frame["FileSystemId"])["MountTargets"]
    c.check("EFS mount targets in distinct zones", len(mounts) == 2, f"{len(mounts)} mount targets")

    # --- dns ----------------------------------------------------------------------------
    dns = deploy("jhub-dev-dns", template("dns"), {})
    if not dns:
        return
    zone_id = dns["HostedZoneId"]

    # --- hub ----------------------------------------------------------------------------
    outputs = {"frame": frame, "dns": dns}
    hub_entry = next(s for s in manifest["stacks"] if s["id"] == "hub")
    hub_params = {k: outputs[v["stack"]][v["output"]] for k, v in hub_entry["parameters"].items()}
    hub_t = json.loads(template("hub"))
    hub = deploy("jhub-dev-hub", template("hub"), hub_params)
    if not hub:
        return
    hub_resources = resources("jhub-dev-hub")
    missing = sorted(set(hub_t["Resources"]) - set(hub_resources))
    c.check("every hub resource exists (TaskDefinitions too)", not missing, f"missing {missing}")
    empty = sorted(r for r, p in hub_resources.items() if not p.get("PhysicalResourceId") and p["ResourceType"] not in ("AWS::EC2::SecurityGroupIngress", "AWS::RDS::DBSubnetGroup"))
    c.check("every hub resource has a physical id", not empty, f"empty {empty}")

    def physical(logical_type: str) -> list[str]:
        return [p["PhysicalResourceId"] for p in hub_resources.values() if p["ResourceType"] == logical_type]

    shapes = {
        "AWS::CertificateManager::Certificate": r"arn:aws:acm:eu-west-1:\d{12}:certificate/[0-9a-f-]+",
        "AWS::SecretsManager::Secret": r"arn:aws:secretsmanager:eu-west-1:\d{12}:secret:.+-[A-Za-z0-9]{6}",
        "AWS::SecretsManager::SecretTargetAttachment": r"arn:aws:secretsmanager:eu-west-1:\d{12}:secret:.+",
        "AWS::ServiceDiscovery::PrivateDnsNamespace": r"ns-[a-z0-9]+",
        "AWS::ServiceDiscovery::Service": r"srv-[a-z0-9]+",
        "AWS::Cognito::UserPool": r"eu-west-1_[0-9a-zA-Z]+",
        "AWS::EC2::SecurityGroupEgress": r"sgr-[0-9a-f]+",
        "AWS::ECS::TaskDefinition": r"arn:aws:ecs:eu-west-1:\d{12}:task-definition/.+:\d+",
        "AWS::S3::BucketPolicy": r"[a-z0-9.-]+",
    }
    for kind, pattern in shapes.items():
        ids = physical(kind)
        c.check(f"{kind} physical id shape", bool(ids) and all(re.fullmatch(pattern, i) for i in ids), repr(ids[:2]))

    cert_arn = physical("AWS::CertificateManager::Certificate")[0]
    acm, idp, sd, sm, s3 = (client(s) for s in ("acm", "cognito-idp", "servicediscovery", "secretsmanager", "s3"))
    c.check("ACM shows the certificate", error_code(lambda: acm.describe_certificate(CertificateArn=cert_arn)) is None)
    listeners = [l for lb in client("elbv2").describe_load_balancers()["LoadBalancers"] for l in client("elbv2").describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]]
    c.check("HTTPS listener carries the certificate ARN", any(cert.get("CertificateArn") == cert_arn for l in listeners for cert in l.get("Certificates", [])))
    c.check("Cognito shows the user pool", error_code(lambda: idp.describe_user_pool(UserPoolId=hub["UserPoolId"])) is None)
    clients = idp.list_user_pool_clients(UserPoolId=hub["UserPoolId"])["UserPoolClients"] if error_code(lambda: idp.describe_user_pool(UserPoolId=hub["UserPoolId"])) is None else []
    c.check("Cognito shows the user pool client", len(clients) == 1, repr(clients))
    c.check("Cognito shows the domain", idp.describe_user_pool_domain(Domain="jhub-dev-123456789012").get("DomainDescription", {}).get("UserPoolId") == hub["UserPoolId"])
    namespaces = sd.list_namespaces()["Namespaces"]
    services = sd.list_services()["Services"]
    c.check("Cloud Map shows namespace and service", physical("AWS::ServiceDiscovery::PrivateDnsNamespace") == [n["Id"] for n in namespaces] and physical("AWS::ServiceDiscovery::Service") == [s["Id"] for s in services], f"{namespaces} {services}")
    secrets = sm.list_secrets()["SecretList"]
    c.check("Secrets Manager shows every secret", sorted(physical("AWS::SecretsManager::Secret")) == sorted(s["ARN"] for s in secrets), f"{len(secrets)} secrets")
    db_secret = physical("AWS::SecretsManager::SecretTargetAttachment")[0]
    value = json.loads(sm.get_secret_value(SecretId=db_secret)["SecretString"])
    c.check("SecretTargetAttachment adds host/port to the secret", {"host", "port", "engine"} <= set(value), repr(sorted(value)))
    bucket = physical("AWS::S3::BucketPolicy")[0]
    c.check("S3 shows the bucket policy", "LoadBalancerWritesAccessLogs" in s3.get_bucket_policy(Bucket=bucket)["Policy"])
    # The policy denies s3:* to everyone "if aws:SecureTransport is false": a Deny whose
    # condition does not hold denies nothing (patch 15).
    c.check("a TLS-only Deny does not deny every request", error_code(lambda: s3.put_object(Bucket=bucket, Key="selftest", Body=b"x")) is None)
    s3.delete_object(Bucket=bucket, Key="selftest")
    sg_rules = ec2.describe_security_group_rules(SecurityGroupRuleIds=physical("AWS::EC2::SecurityGroupEgress"))["SecurityGroupRules"]
    c.check("EC2 shows the egress rules", len(sg_rules) == len(physical("AWS::EC2::SecurityGroupEgress")) and all(r["IsEgress"] for r in sg_rules), f"{len(sg_rules)} rules")
    cluster = hub["ClusterName"]
    ecs_services = ecs.describe_services(cluster=cluster, services=[physical("AWS::ECS::Service")[0]])["services"]
    registry = ecs_services[0].get("serviceRegistries", []) if ecs_services else []
    c.check("ECS service is FARGATE with its Cloud Map registry", bool(ecs_services) and ecs_services[0].get("launchType") == "FARGATE" and registry and registry[0].get("registryArn") == services[0]["Arn"], repr(registry))
    task_defs = physical("AWS::ECS::TaskDefinition")
    td = ecs.describe_task_definition(taskDefinition=task_defs[0])["taskDefinition"]
    c.check("task definition keeps Fargate fields", td.get("networkMode") == "awsvpc" and "FARGATE" in td.get("requiresCompatibilities", []) and td.get("cpu") and td.get("executionRoleArn"), json.dumps({k: td.get(k) for k in ("networkMode", "requiresCompatibilities", "cpu", "memory")}))

    record_sets = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    validation = [r for r in record_sets if r["Type"] == "CNAME" and r["ResourceRecords"][0]["Value"].endswith(".acm-validations.aws.")]
    c.check(
        "ACM validation CNAME written into the hosted zone",
        len(validation) == 1 and re.fullmatch(r"_[0-9a-f]{32}\.hub\.dev\.example\.com\.", validation[0]["Name"]) is not None,
        repr([r["Name"] for r in validation]),
    )

    # --- DeleteCluster (API) with services / tasks ----------------------------------------
    c.check("DeleteCluster with an active service: ClusterContainsServicesException", error_code(lambda: ecs.delete_cluster(cluster=cluster)) == "ClusterContainsServicesException")
    ecs.create_cluster(clusterName="selftest-api")
    net = {"awsvpcConfiguration": {"subnets": hub_params["PrivateSubnetIds"].split(","), "securityGroups": [hub_params["FileSystemSecurityGroupId"]]}}
    task = ecs.run_task(cluster="selftest-api", taskDefinition=task_defs[0], launchType="FARGATE", networkConfiguration=net)["tasks"][0]
    c.check("DeleteCluster with a running task: ClusterContainsTasksException", error_code(lambda: ecs.delete_cluster(cluster="selftest-api")) == "ClusterContainsTasksException")
    ecs.stop_task(cluster="selftest-api", task=task["taskArn"])
    c.check("DeleteCluster after StopTask succeeds", error_code(lambda: ecs.delete_cluster(cluster="selftest-api")) is None)

    # --- hub delete: a RunTask task keeps the cluster ---------------------------------------
    user_task = ecs.run_task(cluster=cluster, taskDefinition=task_defs[0], launchType="FARGATE", networkConfiguration=net)["tasks"][0]
    stack = delete(hub["Id"])
    reason = stack.get("StackStatusReason", "")
    c.check("hub delete with a running task: DELETE_FAILED naming the Cluster", stack["StackStatus"] == "DELETE_FAILED" and "[Cluster]" in reason, f"{stack['StackStatus']} {reason!r}")
    failed = [e for e in events(cf, hub["Id"]) if e["ResourceStatus"] == "DELETE_FAILED" and e["LogicalResourceId"] == "Cluster"]
    c.check("Cluster's DELETE_FAILED event gives ClusterContainsTasksException", bool(failed) and "ClusterContainsTasksException" in failed[0].get("ResourceStatusReason", ""), repr([e.get("ResourceStatusReason") for e in failed]))
    left = resources(hub["Id"]) if stack["StackStatus"] == "DELETE_FAILED" else {}
    c.check("DELETE_FAILED keeps the resources not yet deleted", "Cluster" in left and "HubService" not in left, repr(sorted(left)))
    ecs.stop_task(cluster=cluster, task=user_task["taskArn"])
    stack = delete(hub["Id"])
    c.check("retried hub delete: DELETE_COMPLETE", stack["StackStatus"] == "DELETE_COMPLETE", stack["StackStatus"])
    order = [e["LogicalResourceId"] for e in events(cf, hub["Id"]) if e["ResourceStatus"] == "DELETE_COMPLETE" and e["LogicalResourceId"] in hub_t["Resources"]]
    deps = dependencies(hub_t["Resources"])
    late = [(a, b) for i, a in enumerate(order) for b in order[i + 1 :] if b in dependents(deps, a)]
    retained = {r for r, v in hub_t["Resources"].items() if v.get("DeletionPolicy") == "Retain"}
    c.check(
        "hub resources deleted in reverse dependency order",
        not late and set(order) == set(hub_t["Resources"]) - retained,
        f"{len(order)} deleted, dependents after their dependency: {late[:3]}",
    )
    c.check("ECS cluster deleted", ecs.describe_clusters(clusters=[cluster])["clusters"][0]["status"] == "INACTIVE")
    c.check("Cloud Map namespace and its zone deleted", not sd.list_namespaces()["Namespaces"] and all(z["Config"].get("PrivateZone") is not True for z in r53.list_hosted_zones()["HostedZones"]))

    # --- dns delete: the validation CNAME stays and blocks it -----------------------------
    record_sets = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    validation = [r for r in record_sets if r["Type"] == "CNAME" and r["ResourceRecords"][0]["Value"].endswith(".acm-validations.aws.")]
    c.check("validation CNAME left in the zone after the certificate's stack is gone", len(validation) == 1 and not [r for r in record_sets if r["Type"] == "A"], repr([(r["Name"], r["Type"]) for r in record_sets]))
    c.check("DeleteHostedZone (API) of a non-empty zone: HostedZoneNotEmpty", error_code(lambda: r53.delete_hosted_zone(Id=zone_id)) == "HostedZoneNotEmpty")
    stack = delete(dns["Id"])
    failed = [e for e in events(cf, dns["Id"]) if e["ResourceStatus"] == "DELETE_FAILED" and e["LogicalResourceId"] == "HostedZone"]
    c.check(
        "dns delete with the CNAME: DELETE_FAILED, HostedZoneNotEmpty",
        stack["StackStatus"] == "DELETE_FAILED" and bool(failed) and "HostedZoneNotEmpty" in failed[0].get("ResourceStatusReason", ""),
        f"{stack['StackStatus']} {stack.get('StackStatusReason')!r}",
    )
    if validation:
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": validation[0]}]})
    stack = delete(dns["Id"])
    c.check("retried dns delete: DELETE_COMPLETE, zone gone", stack["StackStatus"] == "DELETE_COMPLETE" and error_code(lambda: r53.get_hosted_zone(Id=zone_id)) == "NoSuchHostedZone", stack["StackStatus"])

    # --- frame delete ---------------------------------------------------------------------
    stack = delete(frame["Id"])
    c.check("frame delete: DELETE_COMPLETE", stack["StackStatus"] == "DELETE_COMPLETE", f"{stack['StackStatus']} {stack.get('StackStatusReason')!r}")
    c.check("frame's VPC gone", error_code(lambda: ec2.describe_vpcs(VpcIds=[frame["VpcId"]])) is not None)


def dependencies(resources: dict) -> dict[str, set[str]]:
    """What each resource Refs / GetAtts / Subs / DependsOn (the order AWS deletes by)."""
    names = set(resources)

    def refs(value):  # type: ignore[no-untyped-def]
        found = set()
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "Ref" and item in names:
                    found.add(item)
                elif key == "Fn::GetAtt":
                    target = item[0] if isinstance(item, list) else item.split(".")[0]
                    found |= {target} & names
                elif key == "Fn::Sub":
                    text = item[0] if isinstance(item, list) else item
                    found |= {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)} & names
                    found |= refs(item[1:] if isinstance(item, list) else [])
                else:
                    found |= refs(item)
        elif isinstance(value, list):
            for item in value:
                found |= refs(item)
        return found

    graph = {}
    for name, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        graph[name] = (set([depends_on] if isinstance(depends_on, str) else depends_on) | refs(resource.get("Properties", {}))) - {name}
    return graph


def dependents(graph: dict[str, set[str]], name: str) -> set[str]:
    """Everything that (transitively) depends on ``name``."""
    found: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        for other, deps in graph.items():
            if current in deps and other not in found:
                found.add(other)
                todo.append(other)
    return found


def main() -> int:
    started = time.monotonic()
    launchers = {}
    logs = {seed: tempfile.TemporaryFile(mode="w+") for seed in SEEDS}
    try:
        for seed in SEEDS:
            launchers[seed] = start_launcher(seed, logs[seed])
        results = {seed: Checks(seed) for seed in SEEDS}

        def worker(seed: str) -> None:
            try:
                run(seed, launchers[seed][1], results[seed])
            except Exception as error:  # noqa: BLE001 - a crash is a failed check
                results[seed].check("sequence ran to the end", False, f"{type(error).__name__}: {str(error)[:400]}")

        threads = [threading.Thread(target=worker, args=(seed,)) for seed in SEEDS]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for proc, _ in launchers.values():
            proc.terminate()
        for proc, _ in launchers.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    for seed, result in results.items():
        if result.failed:
            # The launcher's stderr (moto's tracebacks of HTTP 500 answers, warnings) for diagnosis.
            logs[seed].seek(0)
            tail = [line for line in logs[seed].read().splitlines() if "Warning" not in line][-40:]
            print(f"--- launcher stderr (seed {seed}), last lines:\n" + "\n".join(tail))
            break
    failed = sum(r.failed for r in results.values())
    print(f"{'FAILED' if failed else 'passed'}: {failed} failed check(s), seeds {', '.join(SEEDS)}, {time.monotonic() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
