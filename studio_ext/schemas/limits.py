"""The documented size limits of request fields (docs/api/openapi.yaml, the jobs guide).

Every value a client sends is stored, listed back and often logged to MLflow, so each is bounded:
a request over a limit is a 400 naming the field and the limit (a body over MAX_REQUEST_BYTES is a
413 before it is parsed). The parameter limits follow MLflow's (a parameter becomes a run param).
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field

MAX_REQUEST_BYTES = 1024 * 1024  # a REST request body (invocations have their own payload limit)
MAX_PARAMETERS = 100
MAX_PARAMETER_NAME = 250  # MLflow's param key limit
MAX_PARAMETER_VALUE = 6000  # characters of the value as JSON; MLflow's param value limit
MAX_ENVIRONMENT = 100
MAX_ENVIRONMENT_VALUE = 8192
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
MAX_TEXT = 5000  # descriptions
MAX_NAME = 256  # experiment names, input paths' segments are bounded by MAX_PATH
MAX_PATH = 1024

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,255}$")


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def check_parameters(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) > MAX_PARAMETERS:
        raise ValueError(f"at most {MAX_PARAMETERS} parameters (got {len(value)})")
    for key, item in value.items():
        if not key or len(key) > MAX_PARAMETER_NAME:
            raise ValueError(f"parameter names are 1 to {MAX_PARAMETER_NAME} characters (got {len(key)})")
        if not _finite(item):
            raise ValueError(f"{key}: NaN and infinity are not JSON numbers; send a string or null")
        if len(json.dumps(item)) > MAX_PARAMETER_VALUE:
            raise ValueError(f"{key}: a value is at most {MAX_PARAMETER_VALUE} characters as JSON")
    return value


def check_environment(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_ENVIRONMENT:
        raise ValueError(f"at most {MAX_ENVIRONMENT} variables (got {len(value)})")
    for key, item in value.items():
        if not _ENV_NAME.match(key):
            raise ValueError(f"invalid environment variable name {key[:80]!r}: letters, digits and _, "
                             "not starting with a digit, at most 256 characters")
        if len(item) > MAX_ENVIRONMENT_VALUE or "\0" in item:
            raise ValueError(f"{key}: a value is at most {MAX_ENVIRONMENT_VALUE} characters, without NUL")
    return value


def check_tags(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags (got {len(value)})")
    for key, item in value.items():
        if not key or len(key) > MAX_TAG_KEY:
            raise ValueError(f"tag keys are 1 to {MAX_TAG_KEY} characters (got {len(key)})")
        if item is not None and len(item) > MAX_TAG_VALUE:
            raise ValueError(f"{key}: a tag value is at most {MAX_TAG_VALUE} characters")
    return value


Parameters = Annotated[dict[str, Any], AfterValidator(check_parameters)]
Environment = Annotated[dict[str, str], AfterValidator(check_environment)]
Tags = Annotated[dict[str, str], AfterValidator(check_tags)]
TagChanges = Annotated[dict[str, str | None], AfterValidator(check_tags)]  # None deletes the tag
Text = Annotated[str, Field(max_length=MAX_TEXT)]
InputPath = Annotated[str, Field(min_length=1, max_length=MAX_PATH)]
# A list's next_token as the server issued it (base64 of the studio's or MLflow's cursor).
PageToken = Annotated[str, Field(max_length=4096, pattern=r"^[A-Za-z0-9+/=_-]*$")]
