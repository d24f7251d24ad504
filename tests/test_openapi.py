"""docs/api/openapi.yaml is a valid OpenAPI 3.1 document and agrees with the server and schemas."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate
from pydantic import BaseModel

from studio_ext import schemas
from studio_ext.app import StudioApp
from studio_ext.handlers.base import StudioHandler

SPEC_PATH = Path(__file__).resolve().parents[1] / "docs" / "api" / "openapi.yaml"
HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head")


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text())


def registered_operations() -> set[tuple[str, str]]:
    """(path template, method) for every route StudioApp registers, e.g. ('/studio/api/jobs/{job_id}', 'get')."""
    ops = set()
    for pattern, handler, *_ in StudioApp.handlers:
        template = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)
        assert "(" not in template, f"route {pattern} has an unnamed group the spec cannot name"
        for klass in handler.__mro__:
            if klass is StudioHandler:
                break
            ops.update((template, m) for m in HTTP_METHODS if m in vars(klass))
    return ops


def spec_operations(spec: dict) -> set[tuple[str, str]]:
    return {(path, method) for path, item in spec["paths"].items() for method in item if method in HTTP_METHODS}


def test_given_the_spec_when_validated_then_it_is_valid_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_given_the_server_routes_when_compared_with_the_spec_then_paths_and_methods_match(spec):
    registered = registered_operations()
    documented = spec_operations(spec)
    assert registered - documented == set(), "routes the server has but the spec does not document"
    assert documented - registered == set(), "routes the spec documents but the server does not have"


def test_given_every_operation_then_it_requires_the_jupyter_token_and_documents_errors(spec):
    scheme = spec["components"]["securitySchemes"]["JupyterToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert spec["security"] == [{"JupyterToken": []}]
    for path, method in spec_operations(spec):
        op = spec["paths"][path][method]
        assert op.get("security", spec["security"]) == [{"JupyterToken": []}], (path, method)
        assert "403" in op["responses"], f"{method} {path}: no 403 documented"
        assert any(code.startswith("4") and code != "403" for code in op["responses"]) or method == "get", (path, method)
        assert op.get("operationId"), (path, method)


def test_given_the_error_schema_then_it_is_error_code_and_message(spec):
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error_code", "message"}


def test_given_pydantic_models_when_compared_with_spec_components_then_fields_match(spec):
    components = spec["components"]["schemas"]
    checked = 0
    for name, component in components.items():
        model = getattr(schemas, name, None)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        documented = set(component.get("properties", {}))
        actual = set(model.model_fields)
        assert documented == actual, (
            f"{name}: spec and schemas.py differ; add {sorted(actual - documented)} to / "
            f"drop {sorted(documented - actual)} from docs/api/openapi.yaml")
        checked += 1
    assert checked >= 15


def test_given_the_spec_components_then_they_are_exactly_the_models_json_schemas(spec):
    # Constraints included (lengths, ranges, patterns): a schema changed without
    # `python docs/api/sync_schemas.py` fails here.
    import importlib.util

    loader = importlib.util.spec_from_file_location("sync_schemas", SPEC_PATH.with_name("sync_schemas.py"))
    sync = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(sync)
    components = spec["components"]["schemas"]
    expected = sync.model_components(list(components))
    stale = [name for name, schema in expected.items()
             if {k: v for k, v in components.get(name, {}).items() if k not in ("example", "examples")} != schema]
    assert stale == [], f"run `python docs/api/sync_schemas.py`: {stale} differ from their pydantic models"


def test_given_list_routes_then_query_parameters_match_the_list_query_models(spec):
    pairs = {
        "/studio/api/jobs": schemas.ListJobsQuery,
        "/studio/api/job-definitions": schemas.ListJobDefinitionsQuery,
        "/studio/api/audit-events": schemas.ListAuditEventsQuery,
        "/studio/api/jobs/{job_id}/logs": schemas.GetJobLogsQuery,
        "/studio/api/notebook-parameters": schemas.NotebookParametersQuery,
        "/studio/api/endpoints/{name}/metrics": schemas.EndpointMetricsQuery,
    }
    for path, model in pairs.items():
        documented = {p["name"] for p in spec["paths"][path]["get"].get("parameters", []) if p["in"] == "query"}
        assert documented == set(model.model_fields), path
