"""Methods a route does not have: 405 with an Allow header naming those it has (RFC 9110)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("path", "allowed"), [
    ("jobs", {"GET", "POST"}),
    ("endpoints", {"GET", "POST"}),
    ("config", {"GET"}),
])
@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE"])
async def test_given_a_method_the_route_lacks_then_405_with_allow(jp_fetch, path, allowed, method):
    response = await jp_fetch("studio", "api", path, method=method, raise_error=False,
                              allow_nonstandard_methods=True, body=b"" if method in ("PUT",) else None)

    assert response.code == 405, response.body
    assert set(response.headers["Allow"].split(", ")) >= allowed
    assert set(response.headers["Allow"].split(", ")) - allowed <= {"HEAD", "OPTIONS"}
