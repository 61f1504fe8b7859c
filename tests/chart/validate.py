#!/usr/bin/env python3
"""Validates what `hubctl synth` writes for a `platform: eks` environment.

    validate.py --chart tests/chart/jupyterhub [--helm PATH] --kube-version 1.33 \
        [--namespace NS] ENV_DIR...

Each ENV_DIR holds `jupyterhub-values.yaml` (Helm values for the vendored
Zero-to-JupyterHub chart) and `k8s/*.yaml` (plain Kubernetes manifests). For each:

1. every deploy-time placeholder `${<stack>.<OutputName>}` is replaced by a plausible
   value of the right shape (an ACM ARN for CertificateArn, fs-... for FileSystemId, ...);
2. the chart's values.yaml defaults are coalesced with the values file the way Helm
   does it, and the result is validated against the chart's values.schema.yaml (every
   error, with its path);
3. with --helm: `helm template` of the chart with the values must succeed, and helm's
   own coalesced values must equal step 2's (so step 2 validated what helm renders);
4. every rendered object and every k8s/ document is validated with kubernetes-validate's
   strict schemas for --kube-version (an unknown field is an error); the custom kinds
   (IngressClassParams, SecretProviderClass, NodePool, NodeClass) have no schema there,
   so they are validated against the hand-written schemas in custom-kinds.yaml;
5. a few cross-references no schema can see: the storage classes, PVCs, PVs, ingress
   class and SecretProviderClasses the values and manifests name must be defined.

Findings are printed one a line, `<env_dir>: <file or object>: <message>`; the exit code
is 1 if there is any, else 0 after a summary line.
"""

import argparse
import copy
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema
import kubernetes_validate.utils as kv
import referencing
import yaml
from packaging.version import Version

HERE = Path(__file__).resolve().parent
VALUES_FILE = "jupyterhub-values.yaml"
RELEASE = "hub"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9][A-Za-z0-9-]*)\.([A-Za-z][A-Za-z0-9]*)\}")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
ACCOUNT = "123456789012"
REGION = "us-east-1"
HEX17 = "0123456789abcdef0"
UUID = "01234567-89ab-cdef-0123-456789abcdef"
K8S_DEFS = "https://kubernetes.io/api/_definitions.json"


# --- YAML as Helm and the API server read it ---------------------------------------------


class Loader(yaml.SafeLoader):
    """A safe loader that keeps dates as strings (as YAML-to-JSON does) and rejects
    duplicate keys (a second value silently replacing the first is always a bug)."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    mapping = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Go's YAML (helm's and kubectl's) also reads a plain y, Y, n or N as a boolean
Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN"))


def _construct_bool(loader, node):
    value = loader.construct_scalar(node)
    if value in ("y", "Y", "n", "N"):
        return value in ("y", "Y")
    return yaml.SafeLoader.construct_yaml_bool(loader, node)


Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)


def load_all(text):
    return [doc for doc in yaml.load_all(text, Loader=Loader) if doc is not None]


# --- placeholders --------------------------------------------------------------------------


def placeholder_value(stack, output):
    """A value of the shape a CloudFormation output of that name has."""
    name = output
    lower = name.lower()
    if name == "CertificateArn" or name.endswith("CertificateArn"):
        return f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{UUID}"
    if name.endswith("RoleArn"):
        return f"arn:aws:iam::{ACCOUNT}:role/{stack}-{name[: -len('Arn')]}"
    if name.endswith("SecretArn"):
        return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{stack}-{name[:-3]}-AbCdEf"
    if name.endswith("KeyArn"):
        return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{UUID}"
    if name.endswith("TopicArn"):
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{stack}-{name[:-3]}"
    if name.endswith("ClusterArn"):
        return f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{stack}-cluster"
    if name.endswith("Arn"):  # a principal, or anything else
        return f"arn:aws:iam::{ACCOUNT}:role/{stack}-{name[:-3]}"
    ids = {
        "AccessPointId": f"fsap-{HEX17}",
        "FileSystemId": f"fs-{HEX17}",
        "SecurityGroupId": f"sg-{HEX17}",
        "SubnetId": f"subnet-{HEX17}",
        "VpcId": f"vpc-{HEX17}",
        "HostedZoneId": "Z0123456789ABCDEFGHIJ",
        "KeyId": UUID,
        "AccountId": ACCOUNT,
        "UserPoolId": f"{REGION}_AbCdEfGhI",
        "ClientId": "0123456789abcdefghijklmnop",
    }
    for suffix, value in ids.items():
        if name.endswith(suffix):
            return value
    if name.endswith("SubnetIds"):
        return f"subnet-{HEX17},subnet-0123456789abcdef1"
    if name.endswith("Region"):
        return REGION
    if name.endswith("ClusterName"):
        return f"{stack}-cluster"
    if any(name.endswith(s) for s in ("DnsName", "Hostname", "HostName", "Domain", "Host")):
        return f"{lower}.example.com"
    if name.endswith("Endpoint") or name.endswith("Url"):
        return f"https://{lower}.example.com"
    if name.endswith("Id"):
        return f"{lower}-{HEX17}"
    if name.endswith("Name"):
        return f"{stack}-{lower}"
    return f"placeholder-{lower}"


def fill_placeholders(text):
    """(text with every placeholder replaced, sorted list of the placeholders seen)."""
    seen = set()

    def replace(match):
        seen.add(match.group(0))
        return placeholder_value(match.group(1), match.group(2))

    return PLACEHOLDER.sub(replace, text), sorted(seen)


# --- Helm's coalescing of the chart's defaults with the user's values --------------------


def clean_nils(table):
    """Helm's cleanNilValues: drop the null entries of a map, and of the maps in it."""
    for key in [key for key, val in table.items() if val is None]:
        del table[key]
    for val in table.values():
        if isinstance(val, dict):
            clean_nils(val)
    return table


def coalesce_tables(dst, src):
    """Helm's coalesceTablesFullKey (merge=false): dst (the user's) wins; maps merge; a
    user null removes a default that is not null, and stays where there is none."""
    src = dict(src)
    src_non_nil = {key for key, val in src.items() if val is not None}
    for key, val in dst.items():
        if val is None:
            src[key] = None
    for key, val in src.items():
        if key in dst:
            dv = dst[key]
            if dv is None and key in src_non_nil:
                del dst[key]
            elif isinstance(val, dict) and isinstance(dv, dict):
                coalesce_tables(dv, val)
        else:
            dst[key] = val
    return dst


def coalesce(defaults, user):
    """Helm's CoalesceValues, as helm 4.2.3 does it for a chart without dependencies:
    the chart's null defaults are dropped; a user null deletes the chart's key; user maps
    merge into default maps; any other user value replaces the default. (validate.py
    checks it against helm's own result whenever it has a helm binary.)"""
    values = copy.deepcopy(user)
    for key, val in copy.deepcopy(defaults).items():
        if key in values:
            value = values[key]
            if value is None:
                del values[key]
            elif isinstance(value, dict) and isinstance(val, dict):
                coalesce_tables(value, clean_nils(val))
        elif val is not None:
            values[key] = clean_nils(val) if isinstance(val, dict) else val
    return values


def json_path(parts):
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top)"


def short(message, limit=400):
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 3] + "..."


def first_differences(a, b, path=(), found=None, limit=5):
    found = [] if found is None else found
    if len(found) >= limit:
        return found
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a:
                found.append(f"{json_path(path + (key,))}: only helm has it")
            elif key not in b:
                found.append(f"{json_path(path + (key,))}: helm does not have it")
            else:
                first_differences(a[key], b[key], path + (key,), found, limit)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            first_differences(x, y, path + (i,), found, limit)
    elif a != b:
        found.append(f"{json_path(path)}: {short(json.dumps(a), 80)} here, {short(json.dumps(b), 80)} in helm")
    return found[:limit]


# --- Kubernetes schemas -------------------------------------------------------------------


class Kube:
    """kubernetes-validate's strict schemas of one Kubernetes version, plus the hand
    schemas of the custom kinds, each compiled once."""

    def __init__(self, desired):
        versions = kv.all_versions()
        wanted = Version(kv.major_minor(desired.lstrip("v")))
        usable = [v for v in versions if Version(kv.major_minor(v)) <= wanted]
        if not usable or wanted > Version(kv.major_minor(versions[-1])):
            raise SystemExit(
                f"kubernetes-validate {kv.__version__} has schemas for Kubernetes "
                f"{kv.major_minor(versions[0])} to {kv.major_minor(versions[-1])}, not {desired}"
            )
        self.version = usable[-1]
        self.dir = f"kubernetes-json-schema/v{self.version}-local-strict"
        definitions = kv.schema_contents(f"{self.dir}/_definitions.json", desired)
        self.registry = referencing.Resource.from_contents(definitions) @ referencing.Registry()
        self.validators = {}
        custom = yaml.safe_load((HERE / "custom-kinds.yaml").read_text())
        self.custom = {(c["apiVersion"], c["kind"]): c["schema"] for c in custom["kinds"]}

    def validator(self, api_version, kind):
        """The validator of that kind, None if kubernetes-validate has no schema for it."""
        key = (api_version, kind)
        if key not in self.validators:
            if key in self.custom:
                schema = self.custom[key]
            else:
                group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
                try:
                    schema = kv.schema_contents(f"{self.dir}/{kind.lower()}-{group}.json", self.version)
                except FileNotFoundError:
                    schema = None
            self.validators[key] = (
                None
                if schema is None
                else jsonschema.Draft202012Validator(schema, registry=self.registry)
            )
        return self.validators[key]

    def errors(self, obj):
        """Every error in one object, as messages with the path of the field."""
        if not isinstance(obj, dict):
            return [f"is a {type(obj).__name__}, not a mapping"]
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return ["has no apiVersion or kind"]
        found = []
        name = (obj.get("metadata") or {}).get("name")
        if not isinstance(name, str) or not name:
            found.append("metadata.name: missing")
        elif len(name) > 253 or not DNS_SUBDOMAIN.match(name):
            found.append(f"metadata.name: {name!r} is not a valid Kubernetes object name")
        validator = self.validator(api_version, kind)
        if validator is None:
            custom = ", ".join(f"{k} ({a})" for a, k in sorted(self.custom))
            found.append(
                f"no schema for {kind} {api_version} in Kubernetes {kv.major_minor(self.version)}: "
                f"neither a built-in kind nor one of the custom kinds the validator knows ({custom})"
            )
            return found
        for error in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))):
            found.append(f"{json_path(error.absolute_path)}: {short(error.message)}")
        return found


def describe(obj, source):
    if isinstance(obj, dict):
        name = (obj.get("metadata") or {}).get("name", "?")
        return f"{source}: {obj.get('kind', '?')}/{name}"
    return source


# --- one environment ----------------------------------------------------------------------


class Env:
    def __init__(self, args, kube, env_dir):
        self.args = args
        self.kube = kube
        self.dir = env_dir
        self.findings = []
        self.objects = []  # (object, where it came from)
        self.counts = {"rendered": 0, "manifests": 0, "placeholders": 0}

    def find(self, where, message):
        self.findings.append(f"{self.dir}: {where}: {message}")

    def manifests(self):
        k8s = self.dir / "k8s"
        if not k8s.is_dir():
            self.find("k8s/", "missing (the manifests the values need)")
            return []
        found = []
        for path in sorted(k8s.iterdir()):
            if path.suffix not in (".yaml", ".yml"):
                self.find(f"k8s/{path.name}", "not a .yaml file")
                continue
            text, placeholders = fill_placeholders(path.read_text())
            self.counts["placeholders"] += len(placeholders)
            try:
                docs = load_all(text)
            except yaml.YAMLError as err:
                self.find(f"k8s/{path.name}", f"not YAML: {short(str(err))}")
                continue
            for i, doc in enumerate(docs):
                found.append((doc, f"k8s/{path.name}" + (f"#{i}" if len(docs) > 1 else "")))
        return found

    def namespace(self, manifests):
        if self.args.namespace:
            return self.args.namespace
        names = [
            doc["metadata"]["name"]
            for doc, _ in manifests
            if isinstance(doc, dict) and doc.get("kind") == "Namespace"
            and isinstance(doc.get("metadata"), dict) and "name" in doc["metadata"]
        ]
        if len(names) == 1:
            return names[0]
        if names:
            self.find("k8s/", f"{len(names)} Namespace manifests ({', '.join(names)}): pass --namespace")
        return "default"

    def values(self, chart_defaults, schema_validator):
        path = self.dir / VALUES_FILE
        if not path.is_file():
            self.find(VALUES_FILE, "missing")
            return None, None
        filled, placeholders = fill_placeholders(path.read_text())
        self.counts["placeholders"] += len(placeholders)
        try:
            docs = list(yaml.load_all(filled, Loader=Loader))
        except yaml.YAMLError as err:
            self.find(VALUES_FILE, f"not YAML: {short(str(err))}")
            return None, None
        if len(docs) != 1 or not isinstance(docs[0], (dict, type(None))):
            self.find(VALUES_FILE, "is not one YAML mapping")
            return None, None
        user = docs[0] or {}
        merged = coalesce(chart_defaults, user)
        for error in sorted(schema_validator.iter_errors(merged), key=lambda e: list(map(str, e.absolute_path))):
            self.find(VALUES_FILE, f"{json_path(error.absolute_path)}: {short(error.message)}")
        return filled, merged

    def helm(self, filled, merged, namespace, workdir):
        values = workdir / "values.yaml"
        values.write_text(filled)
        options = ["--namespace", namespace, "--kube-version", self.args.kube_version, "--values", str(values)]
        result = subprocess.run(
            [self.args.helm, "template", RELEASE, str(self.args.chart)] + options,
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            self.find("helm template", f"exit {result.returncode}: {short(result.stderr, 2000)}")
            return
        for line in result.stderr.splitlines():
            # a clean values file makes helm say nothing (its warnings are of values it
            # ignored or could not merge)
            if line.strip():
                self.find("helm template", f"warned: {short(line)}")
        for doc in self.rendered(result.stdout):
            self.objects.append(doc)
            self.counts["rendered"] += 1
        # helm's own coalesced values, rendered by one extra template in a copy of the
        # chart without its schema (step 2 already judged the values against it)
        chart = workdir / "chart"
        shutil.copytree(self.args.chart, chart)
        (chart / "values.schema.json").unlink(missing_ok=True)
        (chart / "templates" / "zz-hubctl-values.yaml").write_text("{{ .Values | toJson }}\n")
        result = subprocess.run(
            [self.args.helm, "template", RELEASE, str(chart)] + options
            + ["--show-only", "templates/zz-hubctl-values.yaml"],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            self.find("helm values", f"exit {result.returncode}: {short(result.stderr, 2000)}")
            return
        helm_values = json.loads("\n".join(
            line for line in result.stdout.splitlines() if line and not line.startswith(("---", "#"))
        ))
        ours = json.loads(json.dumps(merged))
        if helm_values != ours:
            for diff in first_differences(ours, helm_values):
                self.find(VALUES_FILE, f"the validator's merge differs from helm's: {diff}")

    def rendered(self, stdout):
        source = "helm template"
        for chunk in re.split(r"^---\s*$", stdout, flags=re.M):
            match = re.search(r"^# Source: (\S+)", chunk, flags=re.M)
            if match:
                source = match.group(1)
            try:
                docs = load_all(chunk)
            except yaml.YAMLError as err:
                self.find(source, f"helm rendered something that is not YAML: {short(str(err))}")
                continue
            for doc in docs:
                yield doc, source

    def validate_objects(self):
        seen = {}
        for obj, source in self.objects:
            where = describe(obj, source)
            for message in self.kube.errors(obj):
                self.find(where, message)
            if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict):
                key = (obj.get("kind"), obj["metadata"].get("namespace"), obj["metadata"].get("name"))
                if key in seen:
                    self.find(where, f"defined again (first in {seen[key]})")
                seen.setdefault(key, source)

    def cross_references(self, merged, namespace):
        def named(kind):
            return {
                o["metadata"]["name"]: (o, s)
                for o, s in self.objects
                if isinstance(o, dict) and o.get("kind") == kind
                and isinstance(o.get("metadata"), dict) and "name" in o["metadata"]
            }

        def in_namespace(kind):
            return {
                n: (o, s) for n, (o, s) in named(kind).items()
                if o["metadata"].get("namespace", namespace) == namespace
            }

        classes = named("StorageClass")
        pvcs = in_namespace("PersistentVolumeClaim")
        pvs = named("PersistentVolume")

        def need_class(where, name):
            if name and name not in classes:
                self.find(where, f"storage class {name!r} is not defined in k8s/ (defined: {sorted(classes) or 'none'})")

        if merged:
            hub, single = merged.get("hub") or {}, merged.get("singleuser") or {}
            db = hub.get("db") or {}
            if db.get("type") == "sqlite-pvc":
                need_class(f"{VALUES_FILE}: hub.db.pvc.storageClassName", (db.get("pvc") or {}).get("storageClassName"))
            storage = single.get("storage") or {}
            if storage.get("type") == "dynamic":
                need_class(f"{VALUES_FILE}: singleuser.storage.dynamic.storageClass", (storage.get("dynamic") or {}).get("storageClass"))
            if storage.get("type") == "static":
                claim = (storage.get("static") or {}).get("pvcName")
                if claim not in pvcs:
                    self.find(f"{VALUES_FILE}: singleuser.storage.static.pvcName",
                              f"no PersistentVolumeClaim {claim!r} in namespace {namespace!r} in k8s/")
            ingress = merged.get("ingress") or {}
            if ingress.get("enabled") and ingress.get("ingressClassName"):
                if ingress["ingressClassName"] not in named("IngressClass"):
                    self.find(f"{VALUES_FILE}: ingress.ingressClassName",
                              f"IngressClass {ingress['ingressClassName']!r} is not defined in k8s/")
        for name, (pvc, source) in pvcs.items():
            spec = pvc.get("spec") or {}
            need_class(describe(pvc, source), spec.get("storageClassName"))
            volume = spec.get("volumeName")
            if volume:
                if volume not in pvs:
                    self.find(describe(pvc, source), f"spec.volumeName: no PersistentVolume {volume!r} in k8s/")
                elif (pvs[volume][0].get("spec") or {}).get("storageClassName") != spec.get("storageClassName"):
                    self.find(describe(pvc, source), f"spec.storageClassName differs from PersistentVolume {volume!r}'s")
        for name, (pv, source) in pvs.items():
            need_class(describe(pv, source), (pv.get("spec") or {}).get("storageClassName"))
        params = named("IngressClassParams")
        for name, (cls, source) in named("IngressClass").items():
            ref = (cls.get("spec") or {}).get("parameters") or {}
            if ref.get("kind") == "IngressClassParams" and ref.get("name") not in params:
                self.find(describe(cls, source), f"spec.parameters: no IngressClassParams {ref.get('name')!r} in k8s/")
        providers = in_namespace("SecretProviderClass")
        for obj, source in self.objects:
            for spec in pod_specs(obj):
                for volume in spec.get("volumes") or []:
                    csi = (volume or {}).get("csi") or {}
                    if csi.get("driver") == "secrets-store.csi.k8s.io":
                        wanted = (csi.get("volumeAttributes") or {}).get("secretProviderClass")
                        if wanted not in providers:
                            self.find(describe(obj, source), f"volume {volume.get('name')!r}: no SecretProviderClass {wanted!r} in namespace {namespace!r} in k8s/")
                    claim = ((volume or {}).get("persistentVolumeClaim") or {}).get("claimName")
                    if claim and claim not in pvcs and not rendered_claim(self.objects, claim):
                        self.find(describe(obj, source), f"volume {volume.get('name')!r}: no PersistentVolumeClaim {claim!r}")

    def run(self, chart_defaults, schema_validator):
        manifests = self.manifests()
        self.counts["manifests"] = len(manifests)
        self.objects.extend(manifests)
        namespace = self.namespace(manifests)
        filled, merged = self.values(chart_defaults, schema_validator)
        if filled is not None and self.args.helm:
            if any(f.startswith(f"{self.dir}: {VALUES_FILE}:") for f in self.findings):
                self.find("helm template", "not run: the values do not match the chart's schema")
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    self.helm(filled, merged, namespace, Path(tmp))
        self.validate_objects()
        self.cross_references(merged, namespace)


def pod_specs(obj):
    if not isinstance(obj, dict):
        return []
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return [spec]
    template = (spec.get("template") or {}).get("spec")
    if obj.get("kind") == "CronJob":
        template = (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")
    return [template] if isinstance(template, dict) else []


def rendered_claim(objects, claim):
    return any(
        isinstance(o, dict) and o.get("kind") == "PersistentVolumeClaim"
        and (o.get("metadata") or {}).get("name") == claim
        for o, _ in objects
    )


# --- the chart ----------------------------------------------------------------------------


def generated_schema(schema):
    """tools/generate-json-schema.py's transform: drop `description` everywhere but
    directly under `properties` (where it may be a value's name)."""
    schema = copy.deepcopy(schema)

    def clean(d):
        d.pop("description", None)
        for value in (d.get("properties") or {}).values():
            if isinstance(value, dict):
                clean(value)

    clean(schema)
    return schema


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chart", required=True, type=Path, help="the chart directory")
    parser.add_argument("--helm", help="a helm binary: render the chart and validate what it renders")
    parser.add_argument("--kube-version", required=True, help="the cluster's Kubernetes version, e.g. 1.33")
    parser.add_argument("--namespace", help="the release namespace (default: the k8s/ Namespace manifest's)")
    parser.add_argument("env_dirs", nargs="+", type=Path)
    args = parser.parse_args()

    chart_defaults = yaml.load((args.chart / "values.yaml").read_text(), Loader=Loader)
    schema = yaml.load((args.chart / "values.schema.yaml").read_text(), Loader=Loader)
    findings = []
    shipped = args.chart / "values.schema.json"
    if not shipped.is_file() or json.loads(shipped.read_text()) != generated_schema(schema):
        findings.append(f"{args.chart}: values.schema.json: not generated from values.schema.yaml (see tests/chart/README.md)")
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    schema_validator = validator_class(schema)
    kube = Kube(args.kube_version)

    totals = {"rendered": 0, "manifests": 0, "placeholders": 0}
    for env_dir in args.env_dirs:
        env = Env(args, kube, env_dir)
        env.run(chart_defaults, schema_validator)
        findings.extend(env.findings)
        for key in totals:
            totals[key] += env.counts[key]
    for finding in findings:
        print(finding)
    if findings:
        print(f"{len(findings)} finding(s) in {len(args.env_dirs)} environment(s)", file=sys.stderr)
        return 1
    what = f"{totals['rendered']} rendered object(s) and " if args.helm else "(no helm: nothing rendered) "
    print(
        f"ok: {len(args.env_dirs)} environment(s): values valid against chart "
        f"{chart_version(args.chart)}'s schema; {what}{totals['manifests']} k8s/ document(s) "
        f"valid for Kubernetes {kv.major_minor(kube.version)} "
        f"({totals['placeholders']} placeholder(s) filled)"
    )
    return 0


def chart_version(chart):
    return yaml.safe_load((chart / "Chart.yaml").read_text()).get("version", "?")


if __name__ == "__main__":
    sys.exit(main())
