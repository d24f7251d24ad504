"""Rewrite the schema components of openapi.yaml from the pydantic models they document.

    .venv/bin/python docs/api/sync_schemas.py

Each component whose name is a model of `studio_ext.schemas` is replaced by that model's JSON
Schema (its field constraints included: lengths, ranges, patterns; a hand-written `example`
stays); models it refers to are added as components too. Paths and hand-written components (Error, ...) are kept as they are.
tests/test_openapi.py fails when the file and the models disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from pydantic import BaseModel

SPEC = Path(__file__).with_name("openapi.yaml")
REF = "#/components/schemas/{model}"


def model_components(names: list[str]) -> dict[str, dict]:
    """{component name: JSON Schema} for the named pydantic models and every model they use."""
    from studio_ext import schemas

    out: dict[str, dict] = {}
    for name in names:
        model = getattr(schemas, name, None)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        schema = model.model_json_schema(ref_template=REF)
        for sub_name, sub in schema.pop("$defs", {}).items():
            out.setdefault(sub_name, sub)
        out[name] = schema
    return out


def synced(spec: dict) -> dict:
    components = spec["components"]["schemas"]
    for name, schema in model_components(list(components)).items():
        kept = {k: v for k, v in components.get(name, {}).items() if k in ("example", "examples")}
        components[name] = {**schema, **kept}  # hand-written examples stay
    return spec


def main() -> int:
    text = SPEC.read_text()
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    spec = synced(yaml.safe_load(text))
    SPEC.write_text(header + yaml.safe_dump(spec, sort_keys=False, width=116, allow_unicode=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
