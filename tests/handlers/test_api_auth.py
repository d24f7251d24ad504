"""Every studio route refuses requests without a valid Jupyter token (and writes nothing)."""

from __future__ import annotations

import json
import re

import pytest

from studio_ext.app import StudioApp
from studio_ext.handlers.base import StudioHandler

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _operations() -> list[tuple[str, str]]:
    ops = []
    for pattern, handler, *_ in StudioApp.handlers:
        path = re.sub(r"\(\?P<\w+>[^)]*\)", "x", pattern)
        for klass in handler.__mro__:
            if klass is StudioHandler:
                break
            ops += [(method.upper(), path) for method in HTTP_METHODS if method in vars(klass)]
    return sorted(set(ops))


OPERATIONS = _operations()


def test_given_the_route_table_then_every_route_is_covered_here():
    assert len(OPERATIONS) >= 17  # config, instance-types, audit, parameters, jobs (7), definitions (6)


@pytest.mark.parametrize("authorization", ["", "token not-the-token"], ids=["no-token", "wrong-token"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
async def test_given_no_valid_token_when_any_route_is_called_then_403_json(jp_fetch, method, path, authorization):
    kwargs = {"method": method, "raise_error": False, "headers": {"Authorization": authorization}}
    if method in ("POST", "PATCH", "PUT"):
        kwargs["body"] = "{}"

    response = await jp_fetch(*path.strip("/").split("/"), **kwargs)

    assert response.code == 403, (method, path, response.code)
    # Without a token a mutation is refused by Jupyter's xsrf check, a read by the authentication
    # check; both go through the studio's write_error, so the body has the studio's error shape.
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body)["error_code"] == "AccessDenied"


async def test_given_no_token_when_creating_a_job_then_no_job_and_no_audit_event(jp_fetch, studio_api,
                                                                                write_notebook):
    write_notebook("nb.ipynb")
    response = await jp_fetch("studio", "api", "jobs", method="POST", raise_error=False,
                              body='{"input": "nb.ipynb"}', headers={"Authorization": ""})
    assert response.code == 403

    _, jobs = await studio_api("GET", "jobs")
    _, events = await studio_api("GET", "audit-events")
    assert jobs["items"] == [] and events["items"] == []
