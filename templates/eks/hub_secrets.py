# hubctl: the hub reads its secrets from AWS Secrets Manager when it starts, with the
# credentials EKS Pod Identity gives its service account (role HubPodRole: these secrets
# only). Nothing secret is in the chart's values, a manifest or a Kubernetes Secret.
# The hub image has no AWS SDK; this is a SigV4-signed GetSecretValue with the standard
# library (AWS's documented container-credentials and signing steps).
import datetime
import hashlib
import hmac
import json
import os
import urllib.request


def _pod_identity_credentials():
    with open(os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]) as f:
        token = f.read().strip()
    request = urllib.request.Request(
        os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
        headers={"Authorization": token},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _sign(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def hubctl_secret(arn):
    """The SecretString of `arn`."""
    region = os.environ["HUBCTL_AWS_REGION"]
    endpoint = os.environ.get("HUBCTL_SECRETS_ENDPOINT") or f"https://secretsmanager.{region}.amazonaws.com/"
    host = urllib.request.urlparse(endpoint).netloc
    credentials = _pod_identity_credentials()
    body = json.dumps({"SecretId": arn}).encode()
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "host": host,
        "x-amz-date": amz_date,
        "x-amz-security-token": credentials["Token"],
        "x-amz-target": "secretsmanager.GetSecretValue",
    }
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        ["POST", "/", ""]
        + [f"{name}:{headers[name]}" for name in sorted(headers)]
        + ["", signed, hashlib.sha256(body).hexdigest()]
    )
    scope = f"{day}/{region}/secretsmanager/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + credentials["SecretAccessKey"]).encode()
    for part in (day, region, "secretsmanager", "aws4_request"):
        key = _sign(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials['AccessKeyId']}/{scope}, "
        f"SignedHeaders={signed}, Signature={signature}"
    )
    request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["SecretString"]
