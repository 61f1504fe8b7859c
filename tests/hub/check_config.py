"""Loads templates/hub/jupyterhub_config.py the way the hub container does, with the
environment the synthesized hub task definition sets, and checks what JupyterHub ends up
with. Run by tests/it/hub_image.rs with the pinned packages of tests/tools/hub.txt:

    python check_config.py TEMPLATE.json EXPECTED.json

TEMPLATE is a synthesized hub stack; EXPECTED holds what the config says (admins, allowed
users, idle timeout, profiles, region). Values that CloudFormation fills in at deploy time
(Refs, GetAtts) get stand-ins; secrets get fixed fake values.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "..", "..", "templates", "hub", "jupyterhub_config.py")

FAKE_SECRETS = {
    "JUPYTERHUB_COOKIE_SECRET": "ab" * 32,
    "JUPYTERHUB_CRYPT_KEY": "cd" * 32,
    "JUPYTERHUB_PROXY_AUTH_TOKEN": "proxy-token-" + "x" * 52,
    "JUPYTERHUB_DB_USER": "jupyterhub",
    "JUPYTERHUB_DB_PASSWORD": "p@ss/word",
    "JUPYTERHUB_DB_URL": "postgresql+psycopg2://hub:secret@db.example.internal:5432/hub",
    "OAUTH_CLIENT_SECRET": "oauth-client-secret",
}

STAND_INS = {
    "JUPYTERHUB_ECS_CLUSTER": "jhub-dev-hub-Cluster-abc",
    "JUPYTERHUB_USER_SUBNETS": "subnet-0a,subnet-0b",
    "JUPYTERHUB_USER_SECURITY_GROUPS": "sg-0123",
    "JUPYTERHUB_DB_HOST": "db.abc.eu-west-1.rds.amazonaws.com",
    "JUPYTERHUB_DB_PORT": "5432",
    "OAUTH_CLIENT_ID": "client-from-cognito",
}


def resolve(name, value, region):
    """A plain value as ECS would see it; intrinsic functions get stand-ins."""
    if isinstance(value, str):
        return value
    if name in STAND_INS:
        return STAND_INS[name]
    if name == "JUPYTERHUB_AWS_REGION":
        return region
    if "Fn::Sub" in value:
        text = value["Fn::Sub"]
        text = text.replace("${AWS::Region}", region).replace("${AWS::AccountId}", "123456789012")
        text = text.replace("${UserPoolClient}", STAND_INS["OAUTH_CLIENT_ID"])  # the logout URL's client id
        assert "${" not in text, f"{name}: unresolved {text}"
        return text
    raise AssertionError(f"{name}: no stand-in for {value}")


def hub_container(template):
    task = template["Resources"]["HubTask"]["Properties"]
    (container,) = [c for c in task["ContainerDefinitions"] if c["Name"] == "hub"]
    return container


def main():
    template_path, expected_path = sys.argv[1:3]
    template = json.load(open(template_path))
    expected = json.load(open(expected_path))
    region = expected["region"]
    container = hub_container(template)

    environment = {e["Name"]: resolve(e["Name"], e["Value"], region) for e in container["Environment"]}
    for secret in container["Secrets"]:
        environment[secret["Name"]] = FAKE_SECRETS[secret["Name"]]
    os.environ.clear()
    os.environ.update(environment)

    from jupyterhub.app import JupyterHub
    from oauthenticator.generic import GenericOAuthenticator

    app = JupyterHub()
    app.load_config_file(CONFIG)
    config = app.config

    # Authenticator: the generic OAuth2/OIDC one, with the users and endpoints of the config.
    assert app.authenticator_class is GenericOAuthenticator, app.authenticator_class
    authenticator = GenericOAuthenticator(config=config)
    assert authenticator.admin_users == set(expected["admins"]), authenticator.admin_users
    assert authenticator.allowed_users == set(expected["admins"] + expected["allowed_users"]), authenticator.allowed_users
    assert authenticator.client_secret == FAKE_SECRETS["OAUTH_CLIENT_SECRET"]
    assert authenticator.oauth_callback_url == f"https://{expected['hub_host']}/hub/oauth_callback"
    assert authenticator.authorize_url.startswith("https://"), authenticator.authorize_url
    assert authenticator.username_claim == expected["username_claim"], authenticator.username_claim
    assert authenticator.enable_auth_state
    # Logging out: through Cognito's /logout back to the login page (ending the hosted UI's
    # session too); with another provider through its `auth.logout_url`, if configured.
    if expected["cognito"]:
        origin = authenticator.authorize_url.removesuffix("/oauth2/authorize")
        back = f"https%3A%2F%2F{expected['hub_host']}%2Fhub%2Flogin"
        assert authenticator.logout_redirect_url.startswith(f"{origin}/logout?client_id="), authenticator.logout_redirect_url
        assert authenticator.logout_redirect_url.endswith(f"&logout_uri={back}"), authenticator.logout_redirect_url
    else:
        assert authenticator.logout_redirect_url == (expected["logout_url"] or ""), authenticator.logout_redirect_url

    # Secrets arrive as the bytes JupyterHub wants.
    assert app.cookie_secret == bytes.fromhex(FAKE_SECRETS["JUPYTERHUB_COOKIE_SECRET"])
    assert config.CryptKeeper["keys"] == [bytes.fromhex(FAKE_SECRETS["JUPYTERHUB_CRYPT_KEY"])]
    assert config.ConfigurableHTTPProxy.auth_token == FAKE_SECRETS["JUPYTERHUB_PROXY_AUTH_TOKEN"]

    # Database: PostgreSQL, never SQLite.
    assert app.db_url.startswith("postgresql"), app.db_url
    if expected["database"] == "postgres":
        assert app.db_url == (
            "postgresql+psycopg2://jupyterhub:p%40ss%2Fword@db.abc.eu-west-1.rds.amazonaws.com:5432/jupyterhub?sslmode=require"
        ), app.db_url
    else:
        assert app.db_url == FAKE_SECRETS["JUPYTERHUB_DB_URL"]

    # Spawner: every listed user has a task definition per profile, and RunTask asks for it.
    from fargate_spawner import FargateSpawner, task_ip

    assert app.spawner_class is FargateSpawner, app.spawner_class
    spawner_config = config.FargateSpawner
    assert spawner_config.region == region
    assert spawner_config.subnets == ["subnet-0a", "subnet-0b"]
    assert [p["name"] for p in spawner_config.profiles] == expected["profiles"]
    families = spawner_config.task_families
    assert sorted(families) == sorted(expected["admins"] + expected["allowed_users"]), families
    task_families = {
        props["Properties"]["Family"]
        for props in template["Resources"].values()
        if props["Type"] == "AWS::ECS::TaskDefinition" and props["Properties"]["Family"] != expected["hub_family"]
    }
    assert {f for by_profile in families.values() for f in by_profile.values()} == task_families

    class User:
        def __init__(self, name):
            self.name, self.id = name, 7
            self.escaped_name, self.url = name, f"/user/{name}/"

    class TestSpawner(FargateSpawner):
        def get_env(self):
            return {"JUPYTERHUB_API_TOKEN": "t", "JPY_API_TOKEN": "t", "JUPYTERHUB_SERVICE_URL": "http://0.0.0.0:8888/user/x/"}

        def get_args(self):
            return []

    for user_name, by_profile in families.items():
        for profile, family in by_profile.items():
            spawner = TestSpawner(config=config, user=User(user_name))
            spawner.user_options = {"profile": profile}
            request = spawner.run_task_request()
            assert request["taskDefinition"] == family
            assert request["cluster"] == STAND_INS["JUPYTERHUB_ECS_CLUSTER"]
            assert request["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
            overrides = request["overrides"]["containerOverrides"][0]
            assert overrides["name"] == "notebook" and overrides["command"] == ["jupyterhub-singleuser"]
            names = {variable["name"] for variable in overrides["environment"]}
            assert "JUPYTERHUB_API_TOKEN" not in names and "JPY_API_TOKEN" not in names, names
            assert "JUPYTERHUB_SERVICE_URL" in names
            assert spawner.token_secret_id() == expected["token_secret_prefix"] + user_name
    assert app.cleanup_servers is False and app.upgrade_db is True
    stranger = TestSpawner(config=config, user=User("mallory"))
    try:
        stranger.run_task_request()
        raise AssertionError("a user without task definitions got one")
    except Exception as error:  # tornado.web.HTTPError
        assert "403" in str(error), error
    assert task_ip({"attachments": [{"details": [{"name": "privateIPv4Address", "value": "10.0.0.9"}]}]}) == "10.0.0.9"

    # Task states moto cannot produce: a server that ECS is stopping (or that stopped itself)
    # is reported gone; one still starting is waited for; one that stops while starting fails.
    import asyncio

    class Scripted(TestSpawner):
        answers = []

        async def _describe(self, ecs):
            return self.answers.pop(0)

        def _ecs(self):
            return None

    def task(last, desired="RUNNING", reason=None):
        answer = {"lastStatus": last, "desiredStatus": desired}
        if reason:
            answer["stoppedReason"] = reason
        return answer

    for answer, want in [
        (task("RUNNING"), None),
        (task("RUNNING", desired="STOPPED"), 1),
        (task("DEACTIVATING", desired="STOPPED"), 1),
        (task("STOPPING", desired="STOPPED"), 1),
        (task("DEPROVISIONING", desired="STOPPED"), 1),
        (task("STOPPED", desired="STOPPED"), 1),
        (None, 1),
    ]:
        spawner = Scripted(config=config, user=User("alice"))
        spawner.task_arn = "arn:aws:ecs:eu-west-1:123456789012:task/c/1"
        spawner.answers = [answer]
        assert asyncio.run(spawner.poll()) == want, (answer, want)

    class Starting(Scripted):
        def run_task_request(self):
            return {}

        def _client(self, service):
            class Client:
                def put_secret_value(self, **kwargs):
                    pass

                def run_task(self, **kwargs):
                    return {"tasks": [{"taskArn": "arn:aws:ecs:eu-west-1:123456789012:task/c/2"}]}

            return Client()

        def _ecs(self):
            return self._client("ecs")

    address = {"attachments": [{"details": [{"name": "privateIPv4Address", "value": "10.0.0.7"}]}]}
    spawner = Starting(config=config, user=User("alice"))
    spawner.poll_interval_seconds = 0
    spawner.api_token = "t"
    spawner.answers = [task("PROVISIONING"), task("PENDING"), task("ACTIVATING"), dict(task("RUNNING"), **address)]
    assert asyncio.run(spawner.start()) == ("10.0.0.7", 8888)
    spawner = Starting(config=config, user=User("alice"))
    spawner.poll_interval_seconds = 0
    spawner.api_token = "t"
    spawner.answers = [task("PENDING"), task("DEACTIVATING", desired="STOPPED", reason="CannotPullContainerError: pull access denied")]
    try:
        asyncio.run(spawner.start())
        raise AssertionError("a task that stopped while starting was taken for a server")
    except RuntimeError as error:
        assert "CannotPullContainerError" in str(error), error

    # Idle culler: a service with the configured timeout and just the scopes it needs.
    (culler,) = app.services
    assert culler["name"] == "idle-culler"
    assert f"--timeout={expected['idle_timeout']}" in culler["command"], culler["command"]
    (role,) = config.JupyterHub.load_roles
    assert role["services"] == ["idle-culler"] and "delete:servers" in role["scopes"]

    # Addresses: the proxy, in this container, sends the hub route (logins, the ALB health
    # check) to the local hub, and so does the culler; only user servers, on other tasks,
    # get the Cloud Map name. Built with JupyterHub's own code, short of starting anything.
    from urllib.parse import urlparse

    from jupyterhub.services import service as services

    cloud_map = environment["JUPYTERHUB_HUB_CONNECT_URL"]
    parsed = urlparse(cloud_map)
    assert parsed.scheme == "http" and parsed.port == 8081 and parsed.path == "", cloud_map
    assert parsed.hostname.endswith(".internal"), cloud_map
    local = "http://127.0.0.1:8081"
    app.db_url = "sqlite://"  # in memory: the services live in the database
    app.init_db()
    app.init_hub()
    assert app.hub.url == local + "/hub/", app.hub.url
    app.init_proxy()
    routes = []

    async def add_route(routespec, target, data):
        routes.append((routespec, target, data))

    app.proxy.add_route = add_route
    asyncio.run(app.proxy.add_hub_route(app.hub))
    assert routes == [(app.hub_routespec, local, {"hub": True})], routes

    for user_name in families:
        spawner = FargateSpawner(config=config, hub=app.hub, user=User(user_name))
        request = spawner.run_task_request()
        (overrides,) = request["overrides"]["containerOverrides"]
        server_env = {variable["name"]: variable["value"] for variable in overrides["environment"]}
        api_url, activity_url = server_env.get("JUPYTERHUB_API_URL"), server_env.get("JUPYTERHUB_ACTIVITY_URL")
        assert api_url == cloud_map + "/hub/api", api_url
        assert activity_url == f"{cloud_map}/hub/api/users/{user_name}/activity", activity_url

    class Started(Exception):
        pass

    culler_env = {}

    class Capture(services._ServiceSpawner):
        def start(self):
            culler_env.update(self.get_env())
            raise Started

    app.init_services()
    services._ServiceSpawner, real = Capture, services._ServiceSpawner
    try:
        asyncio.run(app._service_map["idle-culler"].start())
        raise AssertionError("the culler's spawner did not start")
    except Started:
        pass
    finally:
        services._ServiceSpawner = real
    assert culler_env.get("JUPYTERHUB_API_URL") == local + "/hub/api", culler_env.get("JUPYTERHUB_API_URL")

    print(f"ok: {os.path.basename(template_path)}: {len(families)} users, {len(expected['profiles'])} profiles")


if __name__ == "__main__":
    main()
