"""Runs the hub's real spawner (templates/hub/fargate_spawner.py) against moto and records
every AWS call it makes, for the IAM replay in tests/it/iam/hub.rs.

    python spawner_calls.py SETUP.json OUT.json     (AWS_ENDPOINT_URL points at moto)

Run with the hub image's pinned packages (tests/tools/hub.txt: jupyterhub, boto3).
SETUP.json, written by the test from the synthesized hub template with its intrinsics
resolved: {"account", "region", "cluster", "task_definitions": [CloudFormation properties of every
AWS::ECS::TaskDefinition], "token_secrets": [{"Name", "KmsKeyId"}], "hub_environment":
{name: value} (the hub container's Environment), "users": [names]}.

What it does:
1. Makes in moto what the stacks would have made: the cluster, every task definition (as
   RegisterTaskDefinition takes it), the users' token secrets, and a subnet and security
   group for the user servers in a VPC with DNS host names, as the frame's (moto's ECS needs
   them to exist; no policy names them).
   Long task ARNs (`task/<cluster>/<id>`) are switched on, as they are by default on AWS.
2. Loads templates/hub/jupyterhub_config.py with the hub container's environment, as the
   hub does, and for each user starts a server with the configured FargateSpawner (the
   first user one of every size), polls it and stops it.
3. Writes OUT.json: {"calls": [{"service", "operation", "params", "response"}] for every
   call the spawner made (botocore's before-parameter-build and after-call hooks, so nothing is
   listed by hand), "task_definitions": [as ECS holds them, from DescribeTaskDefinition],
   "cluster_arn"}.
"""

import asyncio
import json
import os
import sys

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "..", "..", "templates", "hub", "jupyterhub_config.py")

# Values the hub reads from ECS Secrets; the spawner does not use them.
FAKE_SECRETS = {
    "JUPYTERHUB_COOKIE_SECRET": "ab" * 32,
    "JUPYTERHUB_CRYPT_KEY": "cd" * 32,
    "JUPYTERHUB_PROXY_AUTH_TOKEN": "proxy-token",
    "JUPYTERHUB_DB_USER": "jupyterhub",
    "JUPYTERHUB_DB_PASSWORD": "password",
    "JUPYTERHUB_DB_URL": "postgresql+psycopg2://hub:pw@db.example.internal:5432/hub",
    "OAUTH_CLIENT_SECRET": "oauth-client-secret",
}

# CloudFormation property names whose API names are not the name with a lowercase first letter.
API_NAMES = {"EFSVolumeConfiguration": "efsVolumeConfiguration", "FilesystemId": "fileSystemId", "IAM": "iam"}
# Maps whose keys are data, not property names.
FREE_KEYS = {"Options", "DockerLabels"}


def api_shape(value, free=False):
    """A CloudFormation ECS property value as the ECS API takes it."""
    if isinstance(value, dict):
        return {
            (key if free else API_NAMES.get(key, key[:1].lower() + key[1:])): api_shape(item, key in FREE_KEYS)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [api_shape(item) for item in value]
    return value


def record_calls(session, calls):
    pending = {}

    def before(params, model, context, **kwargs):
        pending[id(context)] = json.loads(json.dumps(params, default=str))

    def after(http_response, parsed, model, context, **kwargs):
        calls.append(
            {
                "service": model.service_model.signing_name,
                "operation": model.name,
                "params": pending.pop(id(context), {}),
                "response": json.loads(json.dumps(parsed, default=str)),
            }
        )

    session.events.register("before-parameter-build.*.*", before)
    session.events.register("after-call.*.*", after)


def make_what_the_stacks_make(setup):
    region = setup["region"]
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    # As the frame's VPC: DNS host names on (moto's ECS needs them for awsvpc tasks).
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.0.0/20")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="user-servers", Description="user servers", VpcId=vpc)["GroupId"]
    ecs = boto3.client("ecs", region_name=region)
    ecs.put_account_setting(name="taskLongArnFormat", value="enabled")
    cluster_arn = ecs.create_cluster(clusterName=setup["cluster"])["cluster"]["clusterArn"]
    registered = []
    for properties in setup["task_definitions"]:
        definition = ecs.register_task_definition(**api_shape(properties))["taskDefinition"]
        registered.append(definition["taskDefinitionArn"])
    secrets = boto3.client("secretsmanager", region_name=region)
    for secret in setup["token_secrets"]:
        secrets.create_secret(Name=secret["Name"], KmsKeyId=secret["KmsKeyId"], SecretString="placeholder")
    held = [ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"] for arn in registered]
    return cluster_arn, subnet, group, json.loads(json.dumps(held, default=str))


def configured_spawner(environment):
    """Loads templates/hub/jupyterhub_config.py with the hub container's `environment` (and
    stand-in values for its secrets) as the hub does; returns the hub's config, a
    FargateSpawner without what the hub adds around the AWS calls, and the profile names."""
    environment = dict(environment)
    environment.update(FAKE_SECRETS)
    keep = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    os.environ.clear()
    os.environ.update(keep)
    os.environ.update(environment)

    from jupyterhub.app import JupyterHub

    app = JupyterHub()
    app.load_config_file(CONFIG)
    from fargate_spawner import FargateSpawner

    class HubSpawner(FargateSpawner):
        # What the hub adds around the AWS calls: not under test here.
        def get_env(self):
            return {"JUPYTERHUB_API_TOKEN": self.api_token, "JUPYTERHUB_SERVICE_URL": "http://0.0.0.0:8888/"}

        def get_args(self):
            return []

    profiles = [profile["name"] for profile in app.config.FargateSpawner.profiles]
    return app.config, HubSpawner, profiles


class User:
    """The user a spawner serves: what FargateSpawner reads of it."""

    def __init__(self, name, uid):
        self.name, self.id = name, uid


async def spawn_each_user(setup, subnet, group):
    environment = dict(setup["hub_environment"])
    environment["JUPYTERHUB_USER_SUBNETS"] = subnet
    environment["JUPYTERHUB_USER_SECURITY_GROUPS"] = group
    config, HubSpawner, profiles = configured_spawner(environment)
    for uid, name in enumerate(setup["users"], start=1):
        # The first user starts a server of every size; the others the default one.
        for profile in profiles if uid == 1 else profiles[:1]:
            spawner = HubSpawner(config=config, user=User(name, uid))
            spawner.user_options = {"profile": profile}
            spawner.api_token = f"token-of-{name}"
            spawner.poll_interval_seconds = 0
            ip, port = await spawner.start()
            assert ip and port == 8888, (ip, port)
            assert await spawner.poll() is None, "the server runs"
            await spawner.stop()


def act_in_account(account, region):
    """Credentials of the hub task's role in the environment's account: moto keys the
    account on the access key that AssumeRole returns. The role is made first (in that
    account, through moto's ``x-moto-account-id`` header), trusting the caller's account:
    the patched moto refuses AssumeRole of a role that does not exist, as AWS does."""
    iam = boto3.client("iam", region_name=region)
    iam.meta.events.register(
        "before-sign.*.*", lambda request, **_: request.headers.__setitem__("x-moto-account-id", account)
    )
    caller = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{caller}:root"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="hub-task", AssumeRolePolicyDocument=json.dumps(trust))
    sts = boto3.client("sts", region_name=region)
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/hub-task", RoleSessionName="hub")["Credentials"]
    os.environ["AWS_ACCESS_KEY_ID"] = credentials["AccessKeyId"]
    os.environ["AWS_SECRET_ACCESS_KEY"] = credentials["SecretAccessKey"]
    os.environ["AWS_SESSION_TOKEN"] = credentials["SessionToken"]


def main(setup_path, out_path):
    setup = json.load(open(setup_path))
    act_in_account(setup["account"], setup["region"])
    boto3.setup_default_session(region_name=setup["region"])
    cluster_arn, subnet, group, held = make_what_the_stacks_make(setup)
    calls = []
    record_calls(boto3.DEFAULT_SESSION, calls)
    asyncio.run(spawn_each_user(setup, subnet, group))
    json.dump({"calls": calls, "task_definitions": held, "cluster_arn": cluster_arn}, open(out_path, "w"), indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:3])
