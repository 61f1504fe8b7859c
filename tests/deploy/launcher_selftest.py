"""Self-test of moto_launcher.py's patches, against the launcher's own server.

Usage: <moto venv>/bin/python tests/deploy/launcher_selftest.py

Starts ``moto_launcher.py --port 0 --quiet`` once per PYTHONHASHSEED in SEEDS (in parallel),
deploys the example's frame, dns and hub stacks (tests/golden/example/dev) through
CreateChangeSet / ExecuteChangeSet with the hub's parameters wired from the frame's and dns's
outputs as manifest.json says, checks what the patches model, creates, updates and deletes
EKS stacks of its own in the frame's subnets (patch 16: the hub's EKS templates are not in the
example), checks AssumeRole against roles of its own (patch 17) and the images stack's repository
(patch 19), and deletes hub, dns and frame. Prints one line per check (``ok``/``FAIL`` seed name: detail) and exits 1 if any check
failed. Standard library, boto3 and cryptography (from the moto
venv) only.
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


def assume_role_checks(endpoint: str, config, c: Checks) -> None:  # type: ignore[no-untyped-def]
    """Patch 17: AssumeRole needs a role that exists and whose trust names the caller."""
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=REGION, config=config)

    def iam_in(account: str):  # type: ignore[no-untyped-def]
        iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION, config=config)
        iam.meta.events.register(
            "before-sign.*.*", lambda request, **_: request.headers.__setitem__("x-moto-account-id", account)
        )
        return iam

    def trust(principal, effect: str = "Allow") -> str:  # type: ignore[no-untyped-def]
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": effect, "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]})

    def assume(client, arn: str):  # type: ignore[no-untyped-def]
        try:
            answer = client.assume_role(RoleArn=arn, RoleSessionName="selftest")
        except ClientError as error:
            return error.response["ResponseMetadata"]["HTTPStatusCode"], error.response["Error"]
        return 200, answer

    caller = sts.get_caller_identity()["Arn"]
    parent = iam_in("111111111111")
    parent.create_role(RoleName="selftest-trusts", AssumeRolePolicyDocument=trust("arn:aws:iam::123456789012:root"))
    parent.create_role(RoleName="selftest-other", AssumeRolePolicyDocument=trust("arn:aws:iam::222222222222:root"))
    parent.create_role(RoleName="selftest-denied", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:*"}]}))
    parent.create_role(RoleName="selftest-to-role", Path="/team/", AssumeRolePolicyDocument=trust(["arn:aws:iam::123456789012:role/ops/selftest-caller"]))
    iam_in("123456789012").create_role(RoleName="selftest-caller", Path="/ops/", AssumeRolePolicyDocument=trust("123456789012"))

    for arn in ("arn:aws:iam::111111111111:role/selftest-missing", "arn:aws:iam::111111111111:role/selftest-other",
                "arn:aws:iam::111111111111:role/selftest-denied", "arn:aws:iam::111111111111:role/team/selftest-to-role",
                "arn:aws:iam::111111111111:role/selftest-trusts-not"):
        status, answer = assume(sts, arn)
        c.check(
            f"AssumeRole {arn.rsplit('/', 1)[-1]} is AccessDenied as STS says it",
            status == 403 and answer.get("Code") == "AccessDenied"
            and answer.get("Message") == f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {arn}",
            f"{status} {answer}",
        )
    status, answer = assume(sts, "arn:aws:iam::111111111111:role/selftest-trusts")
    c.check(
        "AssumeRole of a role trusting the caller's account gives that account's session",
        status == 200 and answer["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111111111111:assumed-role/selftest-trusts/selftest",
        f"{status} {answer.get('AssumedRoleUser') if status == 200 else answer}",
    )
    status, answer = assume(sts, "arn:aws:iam::123456789012:role/ops/selftest-caller")
    if c.check("AssumeRole of a role in the caller's own account that trusts it", status == 200, f"{status} {answer if status != 200 else answer['AssumedRoleUser']}"):
        credentials = answer["Credentials"]
        session = boto3.client(
            "sts", endpoint_url=endpoint, region_name=REGION, config=config,
            aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        status, answer = assume(session, "arn:aws:iam::111111111111:role/team/selftest-to-role")
        c.check("a trust naming a role (with its path) lets that role's session in", status == 200, f"{status} {answer if status != 200 else answer['AssumedRoleUser']}")


def ecr_checks(endpoint: str, config, c: Checks) -> None:  # type: ignore[no-untyped-def]
    """Patch 19: the example's images stack makes a repository as its template says, and its
    delete empties it exactly when EmptyOnDelete is true."""

    def client(service: str):  # type: ignore[no-untyped-def]
        return boto3.client(service, endpoint_url=endpoint, region_name=REGION, config=config)

    cf, ecr, kms = client("cloudformation"), client("ecr"), client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    manifest = json.dumps(
        {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": {}, "layers": []}
    )

    def settle(name: str) -> dict:
        for _ in range(200):
            stack = cf.describe_stacks(StackName=name)["Stacks"][0]
            if not stack["StackStatus"].endswith("IN_PROGRESS"):
                return stack
            time.sleep(0.05)
        return stack

    for empty_on_delete in (True, False):
        body = json.loads(template("images"))
        (logical_id,) = body["Resources"]
        body["Resources"][logical_id]["Properties"]["EmptyOnDelete"] = empty_on_delete
        name = f"ecr-{str(empty_on_delete).lower()}"
        stack_id = cf.create_stack(
            StackName=name,
            TemplateBody=json.dumps(body),
            Parameters=[{"ParameterKey": "KmsKeyArn", "ParameterValue": key}],
        )["StackId"]
        repository = ecr.describe_repositories(repositoryNames=["jhub/hub"])["repositories"][0]
        if empty_on_delete:
            c.check(
                "ecr: the repository has the template's scanning, tag mutability and key",
                repository["imageScanningConfiguration"] == {"scanOnPush": True}
                and repository["imageTagMutability"] == "IMMUTABLE"
                and repository["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": key},
                json.dumps(repository, default=str),
            )
            policy = ecr.get_lifecycle_policy(repositoryName="jhub/hub")["lifecyclePolicyText"]
            c.check(
                "ecr: the lifecycle policy is the template's",
                json.loads(policy) == json.loads(body["Resources"][logical_id]["Properties"]["LifecyclePolicy"]["LifecyclePolicyText"]),
                policy,
            )
        ecr.put_image(repositoryName="jhub/hub", imageManifest=manifest, imageTag="5.4.6-2")
        cf.delete_stack(StackName=name)
        stack = settle(stack_id)
        left = [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]
        if empty_on_delete:
            c.check(
                "ecr: EmptyOnDelete: true deletes a repository holding images with its stack",
                stack["StackStatus"] == "DELETE_COMPLETE" and left == [],
                f"{stack['StackStatus']} {stack.get('StackStatusReason')} {left}",
            )
        else:
            c.check(
                "ecr: without EmptyOnDelete a repository holding images stops the stack's delete",
                stack["StackStatus"] == "DELETE_FAILED" and left == ["jhub/hub"],
                f"{stack['StackStatus']} {stack.get('StackStatusReason')} {left}",
            )
            ecr.delete_repository(repositoryName="jhub/hub", force=True)
            cf.delete_stack(StackName=stack_id)
            settle(stack_id)


def run(seed: str, port: int, c: Checks) -> None:
    endpoint = f"http://127.0.0.1:{port}"
    config = Config(retries={"max_attempts": 1}, read_timeout=120)
    assume_role_checks(endpoint, config, c)
    ecr_checks(endpoint, config, c)

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

    # --- EKS (patch 16): cluster, node group, access entry; add-ons in a second stack ---------
    eks = client("eks")
    cluster_params = {"SubnetIds": frame["PrivateSubnetIds"], "RoleArn": EKS_ROLE, "DesiredSize": "1"}
    eks_out = deploy("selftest-eks", json.dumps(eks_template()), cluster_params)
    if not eks_out:
        return
    name = eks_out["ClusterName"]
    ident = re.fullmatch(r"https://([0-9A-F]{32})\.gr7\.eu-west-1\.eks\.amazonaws\.com", eks_out["Endpoint"])
    nodegroup = eks_out["NodegroupName"]
    eks_shapes = {
        "Ref Cluster is the name": (eks_out["ClusterName"], r"selftest-eks"),
        "Cluster Arn": (eks_out["ClusterArn"], r"arn:aws:eks:eu-west-1:\d{12}:cluster/selftest-eks"),
        "Cluster OpenIdConnectIssuerUrl": (eks_out["OidcIssuer"], r"https://oidc\.eks\.eu-west-1\.amazonaws\.com/id/" + (ident.group(1) if ident else "-")),
        "Cluster ClusterSecurityGroupId": (eks_out["ClusterSecurityGroupId"], r"sg-[0-9a-f]{17}"),
        "Ref Nodegroup is cluster/nodegroup": (eks_out["NodegroupRef"], re.escape(f"{name}/{nodegroup}")),
        "Nodegroup Arn": (eks_out["NodegroupArn"], rf"arn:aws:eks:eu-west-1:\d{{12}}:nodegroup/{name}/{re.escape(nodegroup)}/[0-9a-f-]{{36}}"),
        "Nodegroup ClusterName": (eks_out["NodegroupClusterName"], name),
        "Ref AccessEntry is principal|cluster": (eks_out["AccessEntryRef"], re.escape(f"{EKS_ADMIN}|{name}")),
        "AccessEntry AccessEntryArn": (eks_out["AccessEntryArn"], rf"arn:aws:eks:eu-west-1:\d{{12}}:access-entry/{name}/role/\d{{12}}/selftest-admin/[0-9a-f-]{{36}}"),
    }
    c.check("Cluster Endpoint is https://<32 hex>.gr7.<region>.eks.amazonaws.com", ident is not None, eks_out["Endpoint"])
    for check, (value, pattern) in eks_shapes.items():
        c.check(f"{check} shape", re.fullmatch(pattern, value) is not None, value)
    certificate = ca_certificate(eks_out["CertificateAuthorityData"])
    c.check("CertificateAuthorityData is base64 of a PEM CA certificate", certificate is not None, eks_out["CertificateAuthorityData"][:40])
    described = eks.describe_cluster(name=name)["cluster"]
    vpc_config = described.get("resourcesVpcConfig", {})
    c.check(
        "DescribeCluster shows the cluster as its outputs",
        described["status"] == "ACTIVE"
        and described["endpoint"] == eks_out["Endpoint"]
        and described["certificateAuthority"]["data"] == eks_out["CertificateAuthorityData"]
        and described["identity"]["oidc"]["issuer"] == eks_out["OidcIssuer"]
        and vpc_config.get("clusterSecurityGroupId") == eks_out["ClusterSecurityGroupId"]
        and vpc_config.get("vpcId") == frame["VpcId"]
        and described.get("accessConfig", {}).get("authenticationMode") == "API"
        and described.get("deletionProtection") is True,
        json.dumps({k: described.get(k) for k in ("status", "endpoint", "resourcesVpcConfig", "accessConfig", "deletionProtection")}),
    )
    group = security_group(ec2, eks_out["ClusterSecurityGroupId"])
    c.check(
        "the cluster security group exists in the cluster's VPC, named and tagged as EKS does",
        group is not None
        and group["VpcId"] == frame["VpcId"]
        and re.fullmatch(rf"eks-cluster-sg-{name}-\d+", group["GroupName"]) is not None
        and {"Key": "aws:eks:cluster-name", "Value": name} in group.get("Tags", []),
        repr({k: (group or {}).get(k) for k in ("GroupName", "VpcId", "Tags")}),
    )
    scaling = eks.describe_nodegroup(clusterName=name, nodegroupName=nodegroup)["nodegroup"].get("scalingConfig", {})
    c.check("DescribeNodegroup shows the node group", scaling.get("desiredSize") == 1, repr(scaling))

    addons = deploy("selftest-eks-addons", json.dumps(eks_addons_template()), {"ClusterName": name, "SubnetIds": frame["PrivateSubnetIds"]})
    if not addons:
        return
    for check, (value, pattern) in {
        "Ref Addon is cluster|addon": (addons["AddonRef"], re.escape(f"{name}|vpc-cni")),
        "Addon Arn": (addons["AddonArn"], rf"arn:aws:eks:eu-west-1:\d{{12}}:addon/{name}/vpc-cni/[0-9a-f-]{{36}}"),
        "PodIdentityAssociation AssociationId": (addons["AssociationId"], r"a-[a-z0-9]{17}"),
        "PodIdentityAssociation AssociationArn": (addons["AssociationArn"], rf"arn:aws:eks:eu-west-1:\d{{12}}:podidentityassociation/{name}/{re.escape(addons['AssociationId'])}"),
    }.items():
        c.check(f"{check} shape", re.fullmatch(pattern, value) is not None, value)

    # An add-on (or access entry) whose cluster is not there fails, as on AWS: an ordering
    # mistake in a template is caught.
    missing = cf.create_change_set(
        StackName="selftest-eks-missing", ChangeSetName="c1", ChangeSetType="CREATE",
        TemplateBody=json.dumps(eks_addons_template()), Parameters=[{"ParameterKey": "ClusterName", "ParameterValue": "no-such-cluster"}, {"ParameterKey": "SubnetIds", "ParameterValue": frame["PrivateSubnetIds"]}],
    )
    failed_with = error_code(lambda: cf.execute_change_set(ChangeSetName=missing["Id"]))
    c.check("an Addon on a missing cluster fails: ResourceNotFoundException", failed_with == "ResourceNotFoundException", repr(failed_with))
    c.check("... and the stack is not created", cf.describe_stacks(StackName=missing["StackId"])["Stacks"][0]["StackStatus"] != "CREATE_COMPLETE")
    cf.delete_stack(StackName=missing["StackId"])

    # The API's CreateCluster (CONFIG_MAP, CloudFormation's default too): an access entry fails.
    subnet_ids = frame["PrivateSubnetIds"].split(",")
    one_zone = error_code(lambda: eks.create_cluster(name="selftest-one-zone", roleArn=EKS_ROLE, resourcesVpcConfig={"subnetIds": subnet_ids[:1]}))
    c.check("CreateCluster (API) in one zone: InvalidParameterException", one_zone == "InvalidParameterException", repr(one_zone))
    eks.create_cluster(name="selftest-api", roleArn=EKS_ROLE, resourcesVpcConfig={"subnetIds": subnet_ids})
    api_group = eks.describe_cluster(name="selftest-api")["cluster"]["resourcesVpcConfig"].get("clusterSecurityGroupId")
    c.check("CreateCluster (API) creates the cluster security group", security_group(ec2, api_group) is not None, repr(api_group))
    admin = eks_template()["Resources"]["Admin"]
    admin["Properties"]["ClusterName"] = "selftest-api"
    entry = cf.create_change_set(
        StackName="selftest-eks-entry", ChangeSetName="c1", ChangeSetType="CREATE", TemplateBody=json.dumps({"Resources": {"Entry": admin}})
    )
    failed_with = error_code(lambda: cf.execute_change_set(ChangeSetName=entry["Id"]))
    c.check("an AccessEntry on a CONFIG_MAP cluster fails: InvalidRequestException", failed_with == "InvalidRequestException", repr(failed_with))
    cf.delete_stack(StackName=entry["StackId"])
    eks.create_nodegroup(clusterName="selftest-api", nodegroupName="ng", nodeRole=EKS_ROLE, subnets=subnet_ids)
    c.check("DeleteCluster (API) with a node group: ResourceInUseException", error_code(lambda: eks.delete_cluster(name="selftest-api")) == "ResourceInUseException")
    eks.delete_nodegroup(clusterName="selftest-api", nodegroupName="ng")
    c.check("DeleteCluster (API) then deletes the cluster and its security group", error_code(lambda: eks.delete_cluster(name="selftest-api")) is None and security_group(ec2, api_group) is None)

    # An update of properties that are not create-only keeps the cluster and the node group.
    update = cf.create_change_set(
        StackName="selftest-eks", ChangeSetName="c3", ChangeSetType="UPDATE", TemplateBody=json.dumps(eks_template(tag="updated")),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in dict(cluster_params, DesiredSize="2").items()],
    )
    cf.execute_change_set(ChangeSetName=update["Id"])
    updated = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="selftest-eks")["Stacks"][0]["Outputs"]}
    same = ("ClusterArn", "Endpoint", "CertificateAuthorityData", "ClusterSecurityGroupId", "NodegroupArn", "AccessEntryArn")
    scaling = eks.describe_nodegroup(clusterName=name, nodegroupName=nodegroup)["nodegroup"].get("scalingConfig", {})
    c.check(
        "an in-place update keeps cluster, security group and node group, and applies the change",
        all(updated[k] == eks_out[k] for k in same) and scaling.get("desiredSize") == 2 and eks.describe_cluster(name=name)["cluster"]["tags"].get("selftest") == "updated",
        f"changed: {[k for k in same if updated[k] != eks_out[k]]}, scaling {scaling}",
    )

    # Deletion protection refuses the cluster's delete; the node group (and entry) go first.
    stack = delete(eks_out["Id"])
    failed = [e for e in events(cf, eks_out["Id"]) if e["ResourceStatus"] == "DELETE_FAILED" and e["LogicalResourceId"] == "Cluster"]
    c.check(
        "cluster delete with DeletionProtection: DELETE_FAILED, InvalidRequestException",
        stack["StackStatus"] == "DELETE_FAILED" and "[Cluster]" in stack.get("StackStatusReason", "") and bool(failed) and "InvalidRequestException" in failed[-1].get("ResourceStatusReason", ""),
        f"{stack['StackStatus']} {[e.get('ResourceStatusReason') for e in failed]}",
    )
    c.check("... the cluster stays, its node group and access entry deleted first", set(resources(eks_out["Id"])) == {"Cluster"} and error_code(lambda: eks.describe_nodegroup(clusterName=name, nodegroupName=nodegroup)) == "ResourceNotFoundException", repr(sorted(resources(eks_out["Id"]))))
    # As on AWS: UpdateClusterConfig --no-deletion-protection, then the delete again. The other
    # stack's node group still holds the cluster: ResourceInUseException.
    eks.update_cluster_config(name=name, deletionProtection=False)
    stack = delete(eks_out["Id"])
    failed = [e for e in events(cf, eks_out["Id"]) if e["ResourceStatus"] == "DELETE_FAILED" and e["LogicalResourceId"] == "Cluster"]
    c.check(
        "cluster delete while another stack's node group remains: DELETE_FAILED, ResourceInUseException",
        stack["StackStatus"] == "DELETE_FAILED" and bool(failed) and "ResourceInUseException" in failed[-1].get("ResourceStatusReason", ""),
        f"{stack['StackStatus']} {[e.get('ResourceStatusReason') for e in failed]}",
    )
    stack = delete(addons["Id"])
    c.check("add-ons stack delete: DELETE_COMPLETE", stack["StackStatus"] == "DELETE_COMPLETE", f"{stack['StackStatus']} {stack.get('StackStatusReason')!r}")
    stack = delete(eks_out["Id"])
    c.check(
        "retried cluster delete: DELETE_COMPLETE, the cluster and its security group gone",
        stack["StackStatus"] == "DELETE_COMPLETE"
        and error_code(lambda: eks.describe_cluster(name=name)) == "ResourceNotFoundException"
        and security_group(ec2, eks_out["ClusterSecurityGroupId"]) is None,
        f"{stack['StackStatus']} {stack.get('StackStatusReason')!r}",
    )

    # A create-only property (RoleArn) changed: replacement (a new cluster, the old one and its
    # security group deleted); with a custom Name kept, CloudFormation refuses it.
    replace_params = {"SubnetIds": frame["PrivateSubnetIds"], "RoleArn": EKS_ROLE}
    first = deploy("selftest-eks-replace", json.dumps(eks_cluster_only_template()), replace_params)
    if not first:
        return

    def update_replace(body: str, role: str) -> str | None:
        params = [{"ParameterKey": k, "ParameterValue": v} for k, v in dict(replace_params, RoleArn=role).items()]
        change = cf.create_change_set(StackName="selftest-eks-replace", ChangeSetName=f"r{random.randrange(10**9)}", ChangeSetType="UPDATE", TemplateBody=body, Parameters=params)
        return error_code(lambda: cf.execute_change_set(ChangeSetName=change["Id"]))

    update_replace(json.dumps(eks_cluster_only_template()), EKS_ROLE + "-2")
    second = {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName="selftest-eks-replace")["Stacks"][0]["Outputs"]}
    c.check(
        "a RoleArn change replaces the cluster (old cluster and security group deleted)",
        second["ClusterName"] != first["ClusterName"]
        and error_code(lambda: eks.describe_cluster(name=first["ClusterName"])) == "ResourceNotFoundException"
        and security_group(ec2, first["ClusterSecurityGroupId"]) is None
        and eks.describe_cluster(name=second["ClusterName"])["cluster"]["roleArn"] == EKS_ROLE + "-2",
        f"{first['ClusterName']} -> {second['ClusterName']}",
    )
    update_replace(json.dumps(eks_cluster_only_template(name="selftest-named")), EKS_ROLE + "-2")
    failed_with = update_replace(json.dumps(eks_cluster_only_template(name="selftest-named")), EKS_ROLE + "-3")
    c.check(
        "a RoleArn change of a custom-named cluster is refused, the cluster kept",
        failed_with == "ValidationError" and eks.describe_cluster(name="selftest-named")["cluster"]["roleArn"] == EKS_ROLE + "-2",
        repr(failed_with),
    )
    stack = delete(first["Id"])
    c.check("replaced cluster's stack delete: DELETE_COMPLETE", stack["StackStatus"] == "DELETE_COMPLETE" and not eks.list_clusters()["clusters"], f"{stack['StackStatus']} {eks.list_clusters()['clusters']}")

    # --- frame delete ---------------------------------------------------------------------
    stack = delete(frame["Id"])
    c.check("frame delete: DELETE_COMPLETE", stack["StackStatus"] == "DELETE_COMPLETE", f"{stack['StackStatus']} {stack.get('StackStatusReason')!r}")
    c.check("frame's VPC gone", error_code(lambda: ec2.describe_vpcs(VpcIds=[frame["VpcId"]])) is not None)


EKS_ROLE = "arn:aws:iam::123456789012:role/selftest-eks"
EKS_ADMIN = "arn:aws:iam::123456789012:role/selftest-admin"


def eks_template(tag: str = "created") -> dict:
    """A cluster (deletion protection on), a node group and an access entry; every Ref / GetAtt
    the hub's EKS stack reads as an output."""
    outputs = {
        "ClusterName": {"Ref": "Cluster"},
        "ClusterArn": {"Fn::GetAtt": ["Cluster", "Arn"]},
        "Endpoint": {"Fn::GetAtt": ["Cluster", "Endpoint"]},
        "CertificateAuthorityData": {"Fn::GetAtt": ["Cluster", "CertificateAuthorityData"]},
        "ClusterSecurityGroupId": {"Fn::GetAtt": ["Cluster", "ClusterSecurityGroupId"]},
        "OidcIssuer": {"Fn::GetAtt": ["Cluster", "OpenIdConnectIssuerUrl"]},
        "NodegroupRef": {"Ref": "Nodes"},
        "NodegroupArn": {"Fn::GetAtt": ["Nodes", "Arn"]},
        "NodegroupName": {"Fn::GetAtt": ["Nodes", "NodegroupName"]},
        "NodegroupClusterName": {"Fn::GetAtt": ["Nodes", "ClusterName"]},
        "AccessEntryRef": {"Ref": "Admin"},
        "AccessEntryArn": {"Fn::GetAtt": ["Admin", "AccessEntryArn"]},
    }
    return {
        "Parameters": {
            "SubnetIds": {"Type": "List<AWS::EC2::Subnet::Id>"},
            "RoleArn": {"Type": "String"},
            "DesiredSize": {"Type": "Number"},
        },
        "Resources": {
            "Cluster": {
                "Type": "AWS::EKS::Cluster",
                "Properties": {
                    "Name": "selftest-eks",
                    "RoleArn": {"Ref": "RoleArn"},
                    "Version": "1.31",
                    "ResourcesVpcConfig": {"SubnetIds": {"Ref": "SubnetIds"}, "EndpointPrivateAccess": True, "EndpointPublicAccess": True},
                    "AccessConfig": {"AuthenticationMode": "API", "BootstrapClusterCreatorAdminPermissions": False},
                    "DeletionProtection": True,
                    "Tags": [{"Key": "selftest", "Value": tag}],
                },
            },
            "Nodes": {
                "Type": "AWS::EKS::Nodegroup",
                "Properties": {
                    "ClusterName": {"Ref": "Cluster"},
                    "NodeRole": {"Ref": "RoleArn"},
                    "Subnets": {"Ref": "SubnetIds"},
                    "ScalingConfig": {"MinSize": 1, "MaxSize": 3, "DesiredSize": {"Ref": "DesiredSize"}},
                },
            },
            "Admin": {
                "Type": "AWS::EKS::AccessEntry",
                "Properties": {
                    "ClusterName": {"Ref": "Cluster"},
                    "PrincipalArn": EKS_ADMIN,
                    "AccessPolicies": [
                        {"PolicyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", "AccessScope": {"Type": "cluster"}}
                    ],
                },
            },
        },
        "Outputs": {k: {"Value": v} for k, v in outputs.items()},
    }


def eks_addons_template() -> dict:
    """The add-ons stack: an Addon, a PodIdentityAssociation and (so that the cluster's delete
    meets another stack's node group) a Nodegroup, on a cluster named by a parameter."""
    return {
        "Parameters": {"ClusterName": {"Type": "String"}, "SubnetIds": {"Type": "List<AWS::EC2::Subnet::Id>"}},
        "Resources": {
            "Cni": {"Type": "AWS::EKS::Addon", "Properties": {"ClusterName": {"Ref": "ClusterName"}, "AddonName": "vpc-cni", "ResolveConflicts": "OVERWRITE"}},
            "HubIdentity": {
                "Type": "AWS::EKS::PodIdentityAssociation",
                "Properties": {"ClusterName": {"Ref": "ClusterName"}, "Namespace": "jhub", "ServiceAccount": "hub", "RoleArn": EKS_ROLE},
            },
            "ExtraNodes": {
                "Type": "AWS::EKS::Nodegroup",
                "Properties": {"ClusterName": {"Ref": "ClusterName"}, "NodeRole": EKS_ROLE, "Subnets": {"Ref": "SubnetIds"}},
            },
        },
        "Outputs": {
            "AddonRef": {"Value": {"Ref": "Cni"}},
            "AddonArn": {"Value": {"Fn::GetAtt": ["Cni", "Arn"]}},
            "AssociationArn": {"Value": {"Fn::GetAtt": ["HubIdentity", "AssociationArn"]}},
            "AssociationId": {"Value": {"Fn::GetAtt": ["HubIdentity", "AssociationId"]}},
        },
    }


def eks_cluster_only_template(name: str | None = None) -> dict:
    properties = {"RoleArn": {"Ref": "RoleArn"}, "ResourcesVpcConfig": {"SubnetIds": {"Ref": "SubnetIds"}}}
    if name:
        properties["Name"] = name
    return {
        "Parameters": {"SubnetIds": {"Type": "List<AWS::EC2::Subnet::Id>"}, "RoleArn": {"Type": "String"}},
        "Resources": {"Cluster": {"Type": "AWS::EKS::Cluster", "Properties": properties}},
        "Outputs": {
            "ClusterName": {"Value": {"Ref": "Cluster"}},
            "ClusterSecurityGroupId": {"Value": {"Fn::GetAtt": ["Cluster", "ClusterSecurityGroupId"]}},
        },
    }


def ca_certificate(data: str):  # type: ignore[no-untyped-def]
    """The CA certificate in a cluster's CertificateAuthorityData, or None if it is not one."""
    import base64

    from cryptography import x509

    try:
        pem = base64.b64decode(data, validate=True)
        certificate = x509.load_pem_x509_certificate(pem)
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except Exception:  # noqa: BLE001 - anything unparseable is "not a CA certificate"
        return None
    return certificate if pem.startswith(b"-----BEGIN CERTIFICATE-----") and constraints.ca else None


def security_group(ec2, group_id: str | None) -> dict | None:  # type: ignore[no-untyped-def]
    if not group_id:
        return None
    try:
        return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    except ClientError:
        return None


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
