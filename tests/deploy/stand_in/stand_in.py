"""Stand-ins for `kubectl` and `helm`, for the EKS deploy test (tests/it/deploy_eks.rs).

    stand_in.py kubectl ARGS...      as kubectl would be called
    stand_in.py helm ARGS...         as helm would be called

The test puts two wrappers named `kubectl` and `helm` on PATH that run this file with
the pinned moto tools' Python (PyYAML and boto3 come with it). The cluster is a JSON file in
$STAND_IN_STATE, so the answers follow what earlier calls did:

    kubectl diff --server-side -f F     exit 0 when F was applied as it is, else 1
    kubectl apply --server-side --field-manager hubctl -f F
    kubectl get ingress -n NS -o json   the hub release's ingress; once uninstalled it stays
                                        for two more reads (the controller's finalizer)
    kubectl get persistentvolumes -o json   the hub database's volume, until the namespace goes
    kubectl delete --ignore-not-found -f F
    helm list -n NS --filter ^NAME$ -o json, helm get values NAME -n NS -o json (numbers as
    Go prints them: 1.0 as 1), helm status NAME, helm upgrade --install ..., helm uninstall

Every call is appended to $STAND_IN_STATE/log.jsonl as {"program", "argv", "files": {path:
{"sha256", "copy"}}} (each file given with -f or --values is copied into
$STAND_IN_STATE/files/), plus, for `helm uninstall`, the status the stack named
$STAND_IN_WATCH_STACK has at that moment (read with boto3 through the environment's
AWS_ENDPOINT_URL). Before anything, the kubeconfig is checked as the API server would check
the token: a 0600 file in a 0700 directory, whose user reads a `k8s-aws-v1.` token from a
0600 `tokenFile`, the base64url of a presigned STS GetCallerIdentity URL that signs the
`x-k8s-aws-id` header; a bad one is refused like an unauthorized client.
"""

import base64
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import urllib.parse

import yaml

STATE = os.environ["STAND_IN_STATE"]
CLUSTER = os.path.join(STATE, "cluster.json")


def load():
    if os.path.exists(CLUSTER):
        with open(CLUSTER) as f:
            return json.load(f)
    return {"applied": {}, "releases": {}, "ingresses": {}, "volumes": [], "namespaces": ["kube-system", "default"]}


def save(cluster):
    with open(CLUSTER + ".new", "w") as f:
        json.dump(cluster, f, indent=1, sort_keys=True)
    os.replace(CLUSTER + ".new", CLUSTER)


def fail(message, code=1):
    sys.stderr.write(message + "\n")
    sys.exit(code)


def option(args, *names):
    for name in names:
        if name in args:
            at = args.index(name)
            if at + 1 < len(args):
                return args[at + 1]
    return None


def relative(path):
    parent = os.path.basename(os.path.dirname(path))
    name = os.path.basename(path)
    return f"k8s/{name}" if parent == "k8s" else name


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def check_kubeconfig(path):
    """What the API server and a careful client would refuse, as an error message."""
    if path is None:
        return "no --kubeconfig"
    if mode(path) != 0o600 or mode(os.path.dirname(path)) != 0o700:
        return f"kubeconfig {path} is {oct(mode(path))} in {oct(mode(os.path.dirname(path)))}"
    with open(path) as f:
        config = yaml.safe_load(f)
    cluster = config["clusters"][0]["cluster"]
    if not cluster["server"].startswith("https://") or not base64.b64decode(cluster["certificate-authority-data"]):
        return f"cluster {cluster}"
    user = config["users"][0]["user"]
    if set(user) != {"tokenFile"}:
        return f"the user is not a token file: {sorted(user)}"
    token_file = user["tokenFile"]
    if mode(token_file) != 0o600:
        return f"token file {oct(mode(token_file))}"
    with open(token_file) as f:
        token = f.read().strip()
    if not token.startswith("k8s-aws-v1."):
        return "not an EKS token"
    body = token[len("k8s-aws-v1."):]
    if "=" in body:
        return "padded base64"
    url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    parsed = urllib.parse.urlparse(url)
    query = urllib.parse.parse_qs(parsed.query)
    if parsed.scheme != "https" or not re.fullmatch(r"sts\.[a-z0-9-]+\.amazonaws\.com", parsed.netloc):
        return f"token URL {url}"
    if query.get("Action") != ["GetCallerIdentity"] or query.get("X-Amz-Expires") != ["60"]:
        return f"token URL {url}"
    if "x-k8s-aws-id" not in query.get("X-Amz-SignedHeaders", [""])[0].split(";"):
        return f"token URL does not sign x-k8s-aws-id: {url}"
    return None


def log(entry):
    with open(os.path.join(STATE, "log.jsonl"), "a") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")


def keep_file(path, entry):
    with open(path, "rb") as f:
        data = f.read()
    copies = os.path.join(STATE, "files")
    os.makedirs(copies, exist_ok=True)
    copy = os.path.join(copies, f"{len(os.listdir(copies)):03d}-{os.path.basename(path)}")
    shutil.copyfile(path, copy)
    entry["files"][relative(path)] = {"sha256": hashlib.sha256(data).hexdigest(), "copy": copy}
    return data.decode()


def go_numbers(value):
    """JSON as Helm (Go) prints it: an integral float without its fraction."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: go_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [go_numbers(v) for v in value]
    return value


def kubectl(args, cluster, entry):
    verb = args[0] if args else ""
    if verb == "delete" and args[1:2] == ["pods"]:
        # The users' servers, by the chart's label: none run in the stand-in's cluster.
        if option(args, "--selector", "-l") != "component=singleuser-server" or "--ignore-not-found" not in args:
            fail(f"error: unexpected {args}", 2)
        if option(args, "-n", "--namespace") not in cluster["namespaces"]:
            fail("error: the hub's namespace is gone before its servers were stopped", 1)
        return 0
    if verb in ("diff", "apply", "delete"):
        path = option(args, "-f", "--filename")
        text = keep_file(path, entry)
        name = relative(path)
        digest = entry["files"][name]["sha256"]
        documents = [d for d in yaml.safe_load_all(text) if d]
        if verb == "diff":
            if "--server-side" not in args:
                fail("error: the stand-in compares server-side only", 2)
            if cluster["applied"].get(name) == digest:
                return 0
            print(f"diff -u -N live/{name} merged/{name}")
            return 1
        if verb == "apply":
            if "--server-side" not in args or option(args, "--field-manager") != "hubctl":
                fail("error: expected --server-side --field-manager hubctl", 2)
            if "${" in text:
                fail(f"error: {name} holds a placeholder", 1)
            for document in documents:
                namespace = document["metadata"].get("namespace")
                if namespace and namespace not in cluster["namespaces"]:
                    fail(f'Error from server (NotFound): namespaces "{namespace}" not found')
            for document in documents:
                if document["kind"] == "Namespace":
                    cluster["namespaces"].append(document["metadata"]["name"])
                print(f"{document['kind'].lower()}/{document['metadata']['name']} serverside-applied")
            cluster["applied"][name] = digest
            return 0
        # delete
        if "--ignore-not-found" not in args:
            fail("error: expected --ignore-not-found", 2)
        if cluster["applied"].pop(name, None) is not None:
            for document in documents:
                if document["kind"] == "Namespace":
                    gone = document["metadata"]["name"]
                    cluster["namespaces"] = [n for n in cluster["namespaces"] if n != gone]
                    cluster["ingresses"].pop(gone, None)
                    cluster["volumes"] = []
                print(f"{document['kind'].lower()} \"{document['metadata']['name']}\" deleted")
        return 0
    if verb == "get":
        kind = args[1]
        if option(args, "-o", "--output") != "json":
            fail("error: expected -o json", 2)
        if kind == "ingress":
            namespace = option(args, "-n", "--namespace")
            items = []
            kept = []
            for ingress in cluster["ingresses"].get(namespace, []):
                items.append({"kind": "Ingress", "metadata": {"name": ingress["name"], "namespace": namespace}})
                if ingress["reads_left"] is None:
                    kept.append(ingress)
                elif ingress["reads_left"] > 0:
                    kept.append(dict(ingress, reads_left=ingress["reads_left"] - 1))
            cluster["ingresses"][namespace] = kept
        elif kind == "persistentvolumes":
            items = cluster["volumes"]
        else:
            fail(f"error: the server doesn't have a resource type \"{kind}\"")
        print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        return 0
    fail(f"stand-in kubectl: unknown {args}", 2)


def watched_stack():
    name = os.environ.get("STAND_IN_WATCH_STACK")
    if not name:
        return None
    import boto3

    cfn = boto3.client("cloudformation", region_name=os.environ.get("STAND_IN_REGION", "eu-west-1"))
    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except Exception as error:  # a stack that is gone
        return f"absent ({error.__class__.__name__})"


def helm(args, cluster, entry):
    verb = args[0] if args else ""
    namespace = option(args, "-n", "--namespace")
    releases = cluster["releases"]
    if verb == "list":
        pattern = re.compile(option(args, "--filter") or ".*")
        print(json.dumps([
            {"name": name, "namespace": r["namespace"], "revision": str(r["revision"]), "status": "deployed",
             "chart": f"{r['chart']}-{r['version']}", "app_version": "5.3.0"}
            for name, r in sorted(releases.items()) if r["namespace"] == namespace and pattern.search(name)
        ]))
        return 0
    if verb == "get" and args[1] == "values":
        release = releases.get(args[2])
        if release is None:
            fail("Error: release: not found")
        print(json.dumps(go_numbers(release["values"])))
        return 0
    if verb == "status":
        if args[1] not in releases:
            fail("Error: release: not found")
        print(f"NAME: {args[1]}\nSTATUS: deployed")
        return 0
    if verb == "upgrade":
        if "--install" not in args or "--wait" not in args or option(args, "--timeout") is None:
            fail("Error: expected --install --wait --timeout", 2)
        name, chart = args[args.index("--install") + 1], args[args.index("--install") + 2]
        path = option(args, "-f", "--values")
        text = keep_file(path, entry)
        if "${" in text:
            fail("Error: the values hold a placeholder")
        if namespace not in cluster["namespaces"]:
            fail(f'Error: create: failed to create: namespaces "{namespace}" not found')
        if not option(args, "--repo") or not option(args, "--version"):
            fail("Error: expected --repo and --version", 2)
        old = releases.get(name, {"revision": 0})
        releases[name] = {"namespace": namespace, "chart": chart, "version": option(args, "--version"),
                          "repo": option(args, "--repo"), "values": yaml.safe_load(text) or {},
                          "revision": old["revision"] + 1}
        if chart == "jupyterhub":
            cluster["ingresses"][namespace] = [{"name": name, "reads_left": None}]
            cluster["volumes"] = [{"kind": "PersistentVolume", "metadata": {"name": "pvc-hub-db-dir"},
                                   "spec": {"storageClassName": "hubctl-gp3-encrypted"}}]
        print(f'Release "{name}" has been upgraded. Happy Helming!\nSTATUS: deployed')
        return 0
    if verb == "uninstall":
        entry["watched_stack"] = watched_stack()
        if "--wait" not in args:
            fail("Error: expected --wait", 2)
        if releases.pop(args[1], None) is None:
            fail(f"Error: uninstall: Release not loaded: {args[1]}: release: not found")
        for ingress in cluster["ingresses"].get(namespace, []):
            ingress["reads_left"] = 2
        print(f'release "{args[1]}" uninstalled')
        return 0
    fail(f"stand-in helm: unknown {args}", 2)


def main():
    program, args = sys.argv[1], sys.argv[2:]
    entry = {"program": program, "argv": args, "files": {}}
    kubeconfig = option(args, "--kubeconfig")
    refused = check_kubeconfig(kubeconfig)
    if refused:
        entry["refused"] = refused
        log(entry)
        fail(f"error: You must be logged in to the server (Unauthorized): {refused}")
    rest = list(args)
    at = rest.index("--kubeconfig")
    del rest[at:at + 2]
    cluster = load()
    try:
        code = (kubectl if program == "kubectl" else helm)(rest, cluster, entry)
    except SystemExit as exit:
        entry["exit"] = exit.code
        log(entry)
        raise
    save(cluster)
    entry["exit"] = code
    log(entry)
    sys.exit(code)


if __name__ == "__main__":
    main()
