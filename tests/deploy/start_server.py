"""Starts one user's server in a deployed ECS environment with the hub's real spawner, as the
hub would, and leaves it running: what destroy must then stop.

    python start_server.py REGION TASK_FAMILY USER     (AWS_ENDPOINT_URL points at moto)

Run with the hub image's pinned packages (tests/tools/hub.txt: jupyterhub, boto3). Reads the
hub container's environment from the hub's task definition as ECS holds it (family
TASK_FAMILY, registered by the deployed hub stack, its references resolved by CloudFormation),
loads templates/hub/jupyterhub_config.py with it as tests/iam/spawner_calls.py does, and starts
USER's server of the first profile with the configured FargateSpawner (RunTask). Prints the
task's ARN.
"""

import asyncio
import os
import sys

import boto3

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "iam"))
from spawner_calls import User, configured_spawner  # noqa: E402


async def start(region, family, user):
    ecs = boto3.client("ecs", region_name=region)
    definition = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    hub = definition["containerDefinitions"][0]
    environment = {item["name"]: str(item["value"]) for item in hub.get("environment", [])}
    config, HubSpawner, profiles = configured_spawner(environment)
    spawner = HubSpawner(config=config, user=User(user, 1))
    spawner.user_options = {"profile": profiles[0]}
    spawner.api_token = f"token-of-{user}"
    spawner.poll_interval_seconds = 0
    ip, port = await spawner.start()
    assert ip and port == 8888, (ip, port)
    assert await spawner.poll() is None, "the server runs"
    print(spawner.task_arn)


if __name__ == "__main__":
    asyncio.run(start(*sys.argv[1:4]))
