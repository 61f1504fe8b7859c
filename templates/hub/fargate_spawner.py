"""FargateSpawner: each user's server is one ECS Fargate task.

Small on purpose (hubctl's own, not a dependency): the maintained Fargate spawners on PyPI
register task definitions at run time, which needs `ecs:RegisterTaskDefinition` and
`iam:PassRole` on whatever they register. Here the stack declares one task definition per
user and server size (the user's EFS home is pinned in it), and this spawner only runs,
watches and stops those: the hub's role can do nothing else.
"""

import asyncio
import html

from jupyterhub.spawner import Spawner
from tornado import web
from traitlets import Dict, Integer, List, Unicode, default


class FargateSpawner(Spawner):
    region = Unicode(config=True, help="AWS region of the cluster")
    cluster = Unicode(config=True, help="ECS cluster the user servers run in")
    subnets = List(Unicode(), config=True, help="Private subnets of the user servers")
    security_groups = List(Unicode(), config=True, help="Security groups of the user servers")
    task_families = Dict(config=True, help="user name -> profile name -> task definition family")
    profiles = List(Dict(), config=True, help="Server sizes: [{name, cpu, memory}]")
    token_secret_prefix = Unicode(config=True, help="Secrets Manager name prefix of the users' API token secrets")
    container_name = Unicode("notebook", config=True, help="Container of the user server")
    poll_interval_seconds = Integer(5, config=True, help="Seconds between task status checks while starting")

    task_arn = Unicode(None, allow_none=True)

    @default("port")
    def _default_port(self):
        return 8888

    @default("ip")
    def _default_ip(self):
        return "0.0.0.0"

    @default("options_form")
    def _default_options_form(self):
        if len(self.profiles) <= 1:
            return ""
        options = "".join(
            f'<option value="{html.escape(p["name"])}">{html.escape(p["name"])}: '
            f'{p["cpu"] / 1024:g} vCPU, {p["memory"] / 1024:g} GiB</option>'
            for p in self.profiles
        )
        return f'<label for="profile">Server size</label><select class="form-control" name="profile" id="profile">{options}</select>'

    def options_from_form(self, formdata):
        return {"profile": formdata.get("profile", [""])[0]}

    def task_family(self):
        """The task definition of this user's server in the chosen size."""
        profile = self.user_options.get("profile") or self.profiles[0]["name"]
        family = self.task_families.get(self.user.name, {}).get(profile)
        if family is None:
            raise web.HTTPError(403, f"no server of size {profile!r} is defined for {self.user.name!r}; ask an admin")
        return family

    def _client(self, service):
        import boto3  # imported here: the hub loads this module before any AWS call

        return boto3.client(service, region_name=self.region)

    def _ecs(self):
        return self._client("ecs")

    def load_state(self, state):
        super().load_state(state)
        self.task_arn = state.get("task_arn")

    def get_state(self):
        state = super().get_state()
        if self.task_arn:
            state["task_arn"] = self.task_arn
        return state

    def clear_state(self):
        super().clear_state()
        self.task_arn = None

    # The API token reaches the server through the task definition's Secrets (from the
    # user's token secret, written just before RunTask), never through RunTask's overrides,
    # which DescribeTasks shows to anyone who may read ECS.
    TOKEN_VARIABLES = ("JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN")

    def token_secret_id(self):
        return self.token_secret_prefix + self.user.name

    def run_task_request(self):
        """The RunTask request for this user (separate so tests can read it)."""
        environment = [
            {"name": name, "value": value}
            for name, value in sorted(self.get_env().items())
            if name not in self.TOKEN_VARIABLES
        ]
        return {
            "cluster": self.cluster,
            "taskDefinition": self.task_family(),
            "launchType": "FARGATE",
            "count": 1,
            "startedBy": f"jupyterhub-{self.user.id}"[:36],
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": list(self.subnets),
                    "securityGroups": list(self.security_groups),
                    "assignPublicIp": "DISABLED",
                }
            },
            "overrides": {
                "containerOverrides": [
                    {"name": self.container_name, "command": self.cmd + self.get_args(), "environment": environment}
                ]
            },
        }

    async def _describe(self, ecs):
        response = await asyncio.to_thread(ecs.describe_tasks, cluster=self.cluster, tasks=[self.task_arn])
        tasks = response.get("tasks", [])
        return tasks[0] if tasks else None

    async def start(self):
        request = self.run_task_request()  # resolves the task definition first: unknown users stop here
        secrets = self._client("secretsmanager")
        await asyncio.to_thread(secrets.put_secret_value, SecretId=self.token_secret_id(), SecretString=self.api_token)
        ecs = self._ecs()
        response = await asyncio.to_thread(ecs.run_task, **request)
        if response.get("failures") or not response.get("tasks"):
            raise RuntimeError(f"ECS could not start the server: {response.get('failures')}")
        self.task_arn = response["tasks"][0]["taskArn"]
        while True:
            task = await self._describe(ecs)
            status = task["lastStatus"] if task else "MISSING"
            if status == "RUNNING":
                return (task_ip(task), self.port)
            if status in STOPPING or status == "MISSING" or task.get("desiredStatus") == "STOPPED":
                reason = task.get("stoppedReason", "unknown") if task else "the task disappeared"
                raise RuntimeError(f"the server's task stopped while starting: {reason}")
            await asyncio.sleep(self.poll_interval_seconds)

    async def poll(self):
        if not self.task_arn:
            return 0
        task = await self._describe(self._ecs())
        # A task on its way out (ECS stopped it, or its container exited) serves no one.
        if task is None or task["lastStatus"] in STOPPING or task.get("desiredStatus") == "STOPPED":
            return 1
        return None

    async def stop(self, now=False):
        if self.task_arn:
            await asyncio.to_thread(
                self._ecs().stop_task, cluster=self.cluster, task=self.task_arn, reason="stopped by JupyterHub"
            )
        self.clear_state()


# The states of a task that is stopping or stopped (Amazon ECS Developer Guide, "Task
# lifecycle"): it will not serve again.
STOPPING = ("DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED", "DELETED")


def task_ip(task):
    """The private IPv4 address of an awsvpc task."""
    for attachment in task.get("attachments", []):
        for detail in attachment.get("details", []):
            if detail.get("name") == "privateIPv4Address":
                return detail["value"]
    raise RuntimeError("the running task has no private IPv4 address")
