"""The EKS hub reads its secrets at start: the golden values file's `hub.extraConfig`, run as
the chart's hub runs it (in order of its keys, with `c` the hub's config), against

- moto's Secrets Manager, with a stand-in EKS Pod Identity agent (the container-credentials
  endpoint the hub pod's variables name, which answers only with the pod's token), and
- botocore's own SigV4 signer: for the same request, credentials and time, the hand-made
  signature must be byte-for-byte botocore's (moto does not check signatures).

Usage: python eks_secrets.py GOLDEN_ENV_DIR   (prints `ok ...` lines; exits non-zero on failure)
"""

import datetime
import http.server
import json
import os
import sys
import tempfile
import threading
import types
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import yaml
from moto.server import ThreadedMotoServer

REGION = "eu-west-1"
TOKEN = "pod-identity-token-of-the-hub"
CREDENTIALS = {"AccessKeyId": "ASIAHUBPOD", "SecretAccessKey": "hub/secret+key", "Token": "session-token"}


class Agent(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != TOKEN:
            self.send_response(403)
            self.end_headers()
            return
        body = json.dumps(CREDENTIALS).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Section:
    """A traitlets-like config section: attributes set by the snippet."""


class Config:
    def __getattr__(self, name):
        section = Section()
        setattr(self, name, section)
        return section


def serve(handler):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_extra_config(values, env):
    config = Config()
    namespace = {"c": config, "get_config": lambda: config}
    old = dict(os.environ)
    os.environ.update(env)
    try:
        for key in sorted(values["hub"]["extraConfig"]):
            exec(compile(values["hub"]["extraConfig"][key], key, "exec"), namespace)
    finally:
        os.environ.clear()
        os.environ.update(old)
    return config, namespace


def main(env_dir):
    with open(os.path.join(env_dir, "jupyterhub-values.yaml")) as f:
        values = yaml.safe_load(f)
    extra_env = values["hub"]["extraEnv"]
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    moto.start()
    endpoint = "http://127.0.0.1:%d/" % moto._server.server_port
    client = boto3.client(
        "secretsmanager", region_name=REGION, endpoint_url=endpoint,
        aws_access_key_id="x", aws_secret_access_key="x",
    )
    oauth = client.create_secret(Name="hub/oauth", SecretString="the-client-secret")["ARN"]
    env = {k: v for k, v in extra_env.items() if not v.startswith("${")}
    env["HUBCTL_OAUTH_CLIENT_SECRET_ARN"] = oauth
    database = None
    if "HUBCTL_DATABASE_SECRET_ARN" in extra_env:
        database = client.create_secret(
            Name="hub/db", SecretString=json.dumps({"username": "jupyterhub", "password": "p@ss/w:rd?"})
        )["ARN"]
        env["HUBCTL_DATABASE_SECRET_ARN"] = database
        env["HUBCTL_DATABASE_HOST"] = "db.example.internal"
    agent = serve(Agent)
    token_file = tempfile.NamedTemporaryFile("w", delete=False)
    token_file.write(TOKEN + "\n")
    token_file.close()
    env.update({
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:%d/v1/credentials" % agent.server_port,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": token_file.name,
        "HUBCTL_AWS_REGION": REGION,
        "HUBCTL_SECRETS_ENDPOINT": endpoint,
    })
    config, namespace = run_extra_config(values, env)
    assert config.GenericOAuthenticator.client_secret == "the-client-secret", vars(config.GenericOAuthenticator)
    print("ok the hub read its OAuth client secret from Secrets Manager with its Pod Identity credentials")
    if database:
        assert config.JupyterHub.db_url == (
            "postgresql+psycopg2://jupyterhub:p%40ss%2Fw%3Ard%3F@db.example.internal:5432/jupyterhub?sslmode=require"
        ), config.JupyterHub.db_url
        print("ok the hub built its database URL from the database secret (quoted, TLS required)")

    # A wrong token gets no credentials: the agent, not the hub, decides.
    with open(token_file.name, "w") as f:
        f.write("someone-else")
    try:
        run_extra_config(values, env)
    except urllib.error.HTTPError as err:
        assert err.code == 403
        print("ok without the pod's token the agent gives no credentials and the hub does not start")
    else:
        raise AssertionError("the hub started without credentials")

    # The signature, against botocore's for the same request.
    fixed = datetime.datetime(2026, 12, 3, 12, 34, 56, tzinfo=datetime.timezone.utc)

    class FixedDateTime(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return fixed

    sent = {}

    def capture(request, timeout=None):
        sent["headers"] = {k.lower(): v for k, v in request.header_items()}
        sent["body"] = request.data
        sent["url"] = request.full_url
        raise StopIteration

    fake_datetime = types.SimpleNamespace(datetime=FixedDateTime, timezone=datetime.timezone)
    namespace["datetime"] = fake_datetime
    namespace["_pod_identity_credentials"] = lambda: CREDENTIALS
    real_urlopen = namespace["urllib"].request.urlopen
    namespace["urllib"].request.urlopen = capture
    os.environ["HUBCTL_AWS_REGION"] = REGION
    os.environ.pop("HUBCTL_SECRETS_ENDPOINT", None)
    try:
        namespace["hubctl_secret"](oauth)
    except StopIteration:
        pass
    finally:
        namespace["urllib"].request.urlopen = real_urlopen
    assert sent["url"] == "https://secretsmanager.%s.amazonaws.com/" % REGION, sent["url"]
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=sent["url"], data=sent["body"],
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "secretsmanager.GetSecretValue",
        },
    )
    signer = botocore.auth.SigV4Auth(
        botocore.credentials.Credentials(
            CREDENTIALS["AccessKeyId"], CREDENTIALS["SecretAccessKey"], CREDENTIALS["Token"]
        ),
        "secretsmanager",
        REGION,
    )
    signer._get_date = lambda: fixed
    original = datetime.datetime

    class BotocoreTime(original):
        @classmethod
        def utcnow(cls):
            return fixed.replace(tzinfo=None)

        @classmethod
        def now(cls, tz=None):
            return fixed if tz else fixed.replace(tzinfo=None)

    botocore.auth.datetime.datetime = BotocoreTime
    try:
        signer.add_auth(request)
    finally:
        botocore.auth.datetime.datetime = original
    theirs = request.headers["Authorization"]
    ours = sent["headers"]["authorization"]
    # botocore signs the same headers or a subset; the signature must verify the same way:
    # recompute ours with exactly the headers botocore signed.
    assert ours.split("Signature=")[0].split("SignedHeaders=")[0] == theirs.split("SignedHeaders=")[0], (ours, theirs)
    their_headers = theirs.split("SignedHeaders=")[1].split(",")[0]
    our_headers = ours.split("SignedHeaders=")[1].split(",")[0]
    if their_headers == our_headers:
        assert ours == theirs, (ours, theirs)
        print("ok the hand-made SigV4 signature is botocore's, byte for byte")
    else:
        raise AssertionError("signed headers differ: ours %s, botocore %s" % (our_headers, their_headers))
    moto.stop()
    agent.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])
