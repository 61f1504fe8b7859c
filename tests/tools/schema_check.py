"""Checks `hubctl schema`'s output with a real validator (jsonschema, pinned in schema.txt).

Usage: schema_check.py SCHEMA.json DOCUMENTS.json. DOCUMENTS is a list of {"name", "document"};
prints one JSON line per document, {"name", "valid", "error"}, after checking that the schema
itself is a valid draft 2020-12 schema (exit 1 when it is not).
"""

import json
import sys

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        schema = json.load(file)
    with open(sys.argv[2], encoding="utf-8") as file:
        documents = json.load(file)
    if schema.get("$schema") != Draft202012Validator.META_SCHEMA["$id"]:
        print(f"not a draft 2020-12 schema: {schema.get('$schema')!r}")
        return 1
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        print(f"the schema is not valid: {error.message} at {list(error.path)}")
        return 1
    validator = Draft202012Validator(schema)
    for entry in documents:
        error = next(iter(sorted(validator.iter_errors(entry["document"]), key=str)), None)
        print(json.dumps({
            "name": entry["name"],
            "valid": error is None,
            "error": None if error is None else f"{'.'.join(map(str, error.absolute_path))}: {error.message}",
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
