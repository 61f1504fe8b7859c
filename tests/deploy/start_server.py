"""Starts one user's server in a deployed ECS environment with the hub's real spawner, as the
hub would, and leaves it running: what destroy must then stop.

    python start_server.py REGION TASK_FAMILY USER     (AWS_ENDPOINT_URL points at moto)

Run with the hub image's pinned packages (tests/tools/hub.txt: jupyterhub, boto3). Reads the
hub container's environment from the hub's task definition as ECS holds it (family
TASK_FAMILY, registered by the deployed hub stack, its references resolved by CloudFormation),
loads templates/hub/jupyterhub_config.py with it, and starts USER's server of the first
profile with the configured FargateSpawner (RunTask). Prints the task's ARN.
"""

import asyncio
import os
import sys

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "..", "..", "templates", "hub", "jupyterhub_config.py")

# Values the hub reads from ECS Secrets; the spawner does not use them.
SECRETS = {
    "JUPYTERHUB_COOKIE_SECRET": "ab" * 32,
    "JUPYTERHUB_CRYPT_KEY": "cd" * 32,
    "JUPYTERHUB_PROXY_AUTH_TOKEN": "proxy-token",
    "JUPYTERHUB_DB_USER": "jupyterhub",
    "JUPYTERHUB_DB_PASSWORD": "password",
    "OAUTH_CLIENT_SECRET": "oauth-client-secret",
}


async def start(region, family, user):
    ecs = boto3.client("ecs", region_name=region)
    definition = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    hub = definition["containerDefinitions"][0]
    environment = {item["name"]: str(item["value"]) for item in hub.get("environment", [])}
    environment.update(SECRETS)
    keep = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    os.environ.clear()
    os.environ.update(keep)
    os.environ.update(environment)

    from jupyterhub.app import JupyterHub

    app = JupyterHub()
    app.load_config_file(CONFIG)
    from fargate_spawner import FargateSpawner

    class User:
        def __init__(self, name):
            self.name, self.id = name, 1

    class HubSpawner(FargateSpawner):
        # What the hub adds around the AWS calls: not under test here.
        def get_env(self):
            return {"JUPYTERHUB_API_TOKEN": self.api_token, "JUPYTERHUB_SERVICE_URL": "http://0.0.0.0:8888/"}

        def get_args(self):
            return []

    profiles = [profile["name"] for profile in app.config.FargateSpawner.profiles]
    spawner = HubSpawner(config=app.config, user=User(user))
    spawner.user_options = {"profile": profiles[0]}
    spawner.api_token = f"token-of-{user}"
    spawner.poll_interval_seconds = 0
    ip, port = await spawner.start()
    assert ip and port == 8888, (ip, port)
    assert await spawner.poll() is None, "the server runs"
    print(spawner.task_arn)


if __name__ == "__main__":
    asyncio.run(start(*sys.argv[1:4]))
