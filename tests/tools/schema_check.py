"""Checks `hubctl schema`'s output with a real validator (jsonschema, pinned in schema.txt).

Usage: schema_check.py SCHEMA.json DOCUMENTS.json. DOCUMENTS is a list of {"name", "document"};
prints one JSON line per document, {"name", "valid", "error", "valid_draft7"}, after checking
that the schema itself is a valid draft 2020-12 schema (exit 1 when it is not).
`valid_draft7` is the verdict of the same schema read as draft-07, as editors whose language
server knows only draft-07 (yaml-language-server) read it.
"""

import json
import sys

from jsonschema import Draft7Validator, Draft202012Validator
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
    draft7 = dict(schema, **{"$schema": Draft7Validator.META_SCHEMA["$schema"]})
    try:
        Draft7Validator.check_schema(draft7)
    except SchemaError as error:
        print(f"the schema is not valid as draft-07: {error.message} at {list(error.path)}")
        return 1
    validator7 = Draft7Validator(draft7)
    for entry in documents:
        error = next(iter(sorted(validator.iter_errors(entry["document"]), key=str)), None)
        print(json.dumps({
            "name": entry["name"],
            "valid": error is None,
            "error": None if error is None else f"{'.'.join(map(str, error.absolute_path))}: {error.message}",
            "valid_draft7": validator7.is_valid(entry["document"]),
        }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
