"""Generates src/diff/resource_types.json, the table `hubctl diff` reads to tell which
changes to a resource replace it and what replacing (or removing) it loses.

For every CloudFormation resource type hubctl emits, the table holds:

- `create_only`: the property paths whose change forces a replacement: the schema's
  `createOnlyProperties`, plus its writable `primaryIdentifier` paths (an identifier that
  changes names another physical resource; some schemas leave such paths out of
  `createOnlyProperties`), plus the documented ones the schema misses (`EXTRA_CREATE_ONLY`
  below);
- `conditional_create_only`: the paths whose change may force one (the schema's
  `conditionalCreateOnlyProperties`);
- `immutable`: the paths whose change makes CloudFormation's update fail, neither updating
  nor replacing the resource (`IMMUTABLE` below; `[]` for most types);
- `stateful`: whether the resource holds state a replacement destroys (cfn-lint's
  `StatefulResources.json`, plus hubctl's own list, `LOSS` below);
- `loss`: what is lost, from `LOSS`; every other stateful type loses "data"; null when
  not stateful.

Why generated: the schemas are AWS's, they change, and a hand-written table would drift
from them silently. The two hand-kept lists hold only what AWS documents and the schemas
cannot say; each entry cites its source. They come from the cfn-lint pinned in tests/tools/cfn-lint.txt (its
bundled copy, for region us-east-1), so the table changes only when the pin does, and the
test `diff_table` proves the committed table is what this script makes from the pin.

The types hubctl emits: every resource "Type" of every tests/golden/**/*.template.json,
plus every string literal "AWS::<Service>::<Name>" in src/**/*.rs outside src/diff/ (types
emitted only under configs the fixtures don't cover count too; the diff's own lists name
types it knows about, not types hubctl emits), keeping only the names the us-east-1
provider map knows as resource types.

Python 3 stdlib only (and cfnlint, to find its data); run it with the pinned cfn-lint's
Python:

    target/tmp/tools/cfn-lint/bin/python tests/tools/resource_table.py          # print
    target/tmp/tools/cfn-lint/bin/python tests/tools/resource_table.py --write  # write
    target/tmp/tools/cfn-lint/bin/python tests/tools/resource_table.py --check  # verify
"""

import argparse
import json
import re
import sys
from pathlib import Path

import cfnlint
import cfnlint.version

ROOT = Path(__file__).resolve().parent.parent.parent
TABLE = ROOT / "src" / "diff" / "resource_types.json"
REGION = "us-east-1"
FIX = "target/tmp/tools/cfn-lint/bin/python tests/tools/resource_table.py --write"

# hubctl's own list: what replacing or removing a resource of the type loses. Every type
# here counts as stateful, whether or not cfn-lint lists it.
LOSS = {
    # The files on the file system.
    "AWS::EFS::FileSystem": "data",
    # The database's data (and its automated backups, unless retained).
    "AWS::RDS::DBInstance": "data",
    # The cluster's data, shared by all its instances.
    "AWS::RDS::DBCluster": "data",
    # The objects in the bucket (and its name, which someone else may then take).
    "AWS::S3::Bucket": "data",
    # The key material: everything encrypted under the key becomes unreadable.
    "AWS::KMS::Key": "keys",
    # A new zone gets new name servers: its records and the parent's delegation are lost.
    "AWS::Route53::HostedZone": "dns",
    # The secret value (a generated password cannot be generated again).
    "AWS::SecretsManager::Secret": "secret",
    # The users and their passwords, which cannot be exported.
    "AWS::Cognito::UserPool": "identity",
    # The issued certificate; a new one needs validating again before it serves.
    "AWS::CertificateManager::Certificate": "certificate",
    # The network: everything in the VPC has to be replaced with it.
    "AWS::EC2::VPC": "network",
    # The images pushed to the repository.
    "AWS::ECR::Repository": "data",
    # The log events stored in the group.
    "AWS::Logs::LogGroup": "logs",
}

# Hand-kept: the property paths (as in `create_only`; `*` for any array item) whose change
# makes CloudFormation's update fail: the schema does not make them create-only, so
# CloudFormation updates in place, and the service refuses. Only for types the table has;
# each entry cites where AWS says so.
IMMUTABLE = {
    "AWS::Cognito::UserPool": [
        # Amazon Cognito Developer Guide, "Updating user pool and app client configuration",
        # "Settings you can't change": "Amazon Cognito user pool sign-in options. API
        # parameter names: AliasAttributes and UsernameAttributes ... To change user pool
        # sign-in options, create a new user pool." (The schema says nothing.)
        "AliasAttributes",
        "UsernameAttributes",
        # Same section: "Make user name case sensitive. API parameter name:
        # UsernameConfiguration ... To change case sensitivity, create a new user pool."
        "UsernameConfiguration",
    ],
    "AWS::KMS::Key": [
        # The schema's description of KeySpec: "If you change the value of the KeySpec
        # property on an existing KMS key, the update request fails, regardless of the value
        # of the UpdateReplacePolicy attribute."
        "KeySpec",
        # Of KeyUsage: "If you change the value of the KeyUsage property on an existing KMS
        # key, the update request fails, ..."
        "KeyUsage",
        # Of MultiRegion: "If you change the value of the MultiRegion property on an existing
        # KMS key, the update request fails, ..."
        "MultiRegion",
        # The schema's description of the type: "If you change the value of the KeySpec,
        # KeyUsage, Origin, or MultiRegion properties of an existing KMS key, the update
        # request fails, ..." (Origin's own: "You cannot change the origin after you create
        # the KMS key.")
        "Origin",
    ],
    "AWS::ServiceDiscovery::Service": [
        # CloudFormation Template Reference, "AWS::ServiceDiscovery::Service DnsConfig":
        # DnsRecords "Update requires: No interruption", yet "The record type of a service
        # can't be updated directly and can only be changed by deleting the service and
        # recreating it with a new DnsConfig." (Cloud Map API Reference, "DnsConfig": "The
        # record type of a service specified in a DnsRecord object can't be updated.")
        "DnsConfig/DnsRecords/*/Type",
    ],
}

# Hand-kept: paths AWS documents as "Update requires: Replacement" that the schema's
# createOnlyProperties miss. Only for types the table has; each entry cites its source.
EXTRA_CREATE_ONLY = {
    "AWS::Route53::RecordSet": [
        # CloudFormation User Guide, "AWS::Route53::RecordSet" (the last copy in
        # awsdocs/aws-cloudformation-user-guide, 2023-09): Name "Update requires:
        # Replacement". Also a primaryIdentifier path, so added either way.
        "Name",
    ],
    "AWS::ServiceDiscovery::Service": [
        # CloudFormation Template Reference, "AWS::ServiceDiscovery::Service DnsConfig":
        # NamespaceId "Use NamespaceId in Service instead. ... Update requires: Replacement"
        # (the top-level NamespaceId is create-only in the schema; this one is not).
        "DnsConfig/NamespaceId",
    ],
}

TYPE_LITERAL = re.compile(r'"(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)"')
PREFIX = "/properties/"


def note(message):
    print(f"resource_table.py: {message}", file=sys.stderr)


def cfnlint_data():
    return Path(cfnlint.__file__).resolve().parent / "data"


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def emitted_names():
    """Every resource type in the golden templates and every type-like literal in src."""
    names = set()
    for template in sorted((ROOT / "tests" / "golden").glob("**/*.template.json")):
        for resource in load_json(template).get("Resources", {}).values():
            names.add(resource["Type"])
    for source in sorted((ROOT / "src").glob("**/*.rs")):
        if (ROOT / "src" / "diff") in source.parents:
            continue
        names.update(TYPE_LITERAL.findall(source.read_text(encoding="utf-8")))
    return names


def paths(type_name, key, schema):
    """The schema's `key` pointers as paths: `/properties/` removed; sorted, unique."""
    found = set()
    for pointer in schema.get(key, []):
        if pointer.startswith(PREFIX):
            found.add(pointer[len(PREFIX):])
        else:
            note(f"{type_name} {key}: {pointer!r} does not start with {PREFIX!r}; kept verbatim")
            found.add(pointer)
    return sorted(found)


def schema_node(schema, node):
    """`node` with its local `$ref`s followed."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/definitions/"):
            return None
        node = schema.get("definitions", {}).get(ref[len("#/definitions/"):])
    return node if isinstance(node, dict) else None


def resolves(schema, path):
    """Whether the property path names something the schema defines (`*`: array items)."""
    node = {"properties": schema.get("properties", {})}
    for segment in path.split("/"):
        node = schema_node(schema, node)
        if node is None:
            return False
        if segment == "*":
            node = node.get("items")
        else:
            node = node.get("properties", {}).get(segment)
        if node is None:
            return False
    return True


def overlaps(path, patterns):
    """Whether `path` is, is inside, or holds one of `patterns` (`*` matches any segment)."""
    segments = path.split("/")
    return any(
        all(a == b or "*" in (a, b) for a, b in zip(segments, pattern.split("/")))
        for pattern in patterns
    )


def hand_kept(name, table, type_name, schema):
    """The paths the hand-kept `table` (called `name`) lists for the type, checked."""
    listed = table.get(type_name, [])
    for path in listed:
        if not resolves(schema, path):
            sys.exit(f"resource_table.py: {name} {type_name}: the schema has no {path!r}")
    if len(set(listed)) != len(listed):
        sys.exit(f"resource_table.py: {name} {type_name} lists a path twice")
    return listed


def build():
    data = cfnlint_data()
    schemas = data / "schemas"
    providers = load_json(schemas / "providers" / f"{REGION}.json")
    stateful_types = set(
        load_json(data / "AdditionalSpecs" / "StatefulResources.json")["ResourceTypes"]
    )
    names = emitted_names()
    dropped = sorted(name for name in names if name not in providers)
    if dropped:
        note(f"not resource types in {REGION}, dropped: {', '.join(dropped)}")
    types = {}
    for type_name in sorted(names - set(dropped)):
        schema = load_json(schemas / "resources" / f"{providers[type_name]}.json")
        if schema.get("typeName") != type_name:
            sys.exit(
                f"resource_table.py: the schema {providers[type_name]}.json for {type_name} "
                f"is of {schema.get('typeName')!r}"
            )
        stateful = type_name in stateful_types or type_name in LOSS
        create_only = paths(type_name, "createOnlyProperties", schema)
        read_only = paths(type_name, "readOnlyProperties", schema)
        # A writable primary identifier names the physical resource: a new value is a new one.
        identifiers = [
            path
            for path in paths(type_name, "primaryIdentifier", schema)
            if path not in read_only
        ]
        extra = hand_kept("EXTRA_CREATE_ONLY", EXTRA_CREATE_ONLY, type_name, schema)
        for path in extra:
            if path in create_only:
                note(f"EXTRA_CREATE_ONLY {type_name}: the schema has {path} now; drop the entry")
        conditional = paths(type_name, "conditionalCreateOnlyProperties", schema)
        create_only = sorted(set(create_only) | set(identifiers) | set(extra))
        immutable = sorted(hand_kept("IMMUTABLE", IMMUTABLE, type_name, schema))
        for path in immutable:
            if overlaps(path, create_only + conditional):
                sys.exit(
                    f"resource_table.py: IMMUTABLE {type_name}: {path} overlaps a "
                    f"(conditionally) create-only path; a change cannot both replace and fail"
                )
        types[type_name] = {
            "conditional_create_only": conditional,
            "create_only": create_only,
            "immutable": immutable,
            "loss": LOSS.get(type_name, "data") if stateful else None,
            "stateful": stateful,
        }
    for name, table in (("IMMUTABLE", IMMUTABLE), ("EXTRA_CREATE_ONLY", EXTRA_CREATE_ONLY)):
        unknown = sorted(set(table) - set(types))
        if unknown:
            sys.exit(f"resource_table.py: {name} names types not in the table: {', '.join(unknown)}")
    return {
        "generated_by": "tests/tools/resource_table.py",
        "cfn_lint": cfnlint.version.__version__,
        "region": REGION,
        "types": types,
    }


def render(table):
    """Deterministic: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(table, indent=2, sort_keys=True) + "\n"


def differences(committed, wanted):
    """Readable lines saying how the committed table differs from the wanted one."""
    lines = []
    for key in ("generated_by", "cfn_lint", "region"):
        if committed.get(key) != wanted[key]:
            lines.append(f"{key}: committed {committed.get(key)!r}, wanted {wanted[key]!r}")
    have = committed.get("types")
    if not isinstance(have, dict):
        return lines + ["types: missing or not an object"]
    for type_name in sorted(set(have) | set(wanted["types"])):
        if type_name not in wanted["types"]:
            lines.append(f"{type_name}: in the committed table, not emitted (or not a type)")
            continue
        if type_name not in have:
            lines.append(f"{type_name}: missing from the committed table")
            continue
        old, new = have[type_name], wanted["types"][type_name]
        for field in sorted(set(old) | set(new)):
            before, after = old.get(field), new.get(field)
            if before == after:
                continue
            if field not in old:
                lines.append(f"{type_name} {field}: missing, wanted {after!r}")
                continue
            if field not in new:
                lines.append(f"{type_name} {field}: not a field the table has")
                continue
            if isinstance(before, list) and isinstance(after, list):
                added = sorted(set(after) - set(before))
                removed = sorted(set(before) - set(after))
                detail = []
                if added:
                    detail.append(f"missing {', '.join(added)}")
                if removed:
                    detail.append(f"extra {', '.join(removed)}")
                if not detail:
                    detail.append("order or duplicates differ")
                lines.append(f"{type_name} {field}: {'; '.join(detail)}")
            else:
                lines.append(f"{type_name} {field}: committed {before!r}, wanted {after!r}")
    return lines


def check(text):
    try:
        committed_text = TABLE.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [f"{TABLE.relative_to(ROOT)} does not exist"]
    if committed_text == text:
        return []
    try:
        committed = json.loads(committed_text)
    except json.JSONDecodeError as err:
        return [f"{TABLE.relative_to(ROOT)} is not JSON: {err}"]
    lines = differences(committed, json.loads(text))
    return lines or ["same content, different formatting or key order"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write {TABLE.relative_to(ROOT)}")
    mode.add_argument(
        "--check",
        action="store_true",
        help=f"exit non-zero if {TABLE.relative_to(ROOT)} is not what this script makes",
    )
    args = parser.parse_args()
    text = render(build())
    if args.write:
        TABLE.parent.mkdir(parents=True, exist_ok=True)
        TABLE.write_text(text, encoding="utf-8")
        note(f"wrote {TABLE.relative_to(ROOT)}")
    elif args.check:
        problems = check(text)
        if problems:
            print(
                f"{TABLE.relative_to(ROOT)} is not what the pinned cfn-lint "
                f"{cfnlint.version.__version__} makes:",
                file=sys.stderr,
            )
            for line in problems:
                print(f"  {line}", file=sys.stderr)
            print(f"fix: run {FIX}", file=sys.stderr)
            return 1
        print(f"{TABLE.relative_to(ROOT)} is up to date (cfn-lint {cfnlint.version.__version__})")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
