"""A freshly started server answers concurrent first requests to its MLflow-backed routes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.slow

# What a lab's panels send at start, together, each answered on its own executor thread before
# MLflow was ever imported in the server.
FIRST_REQUESTS = [("GET", "models", None), ("GET", "experiments", None), ("GET", "experiments", None),
                  ("POST", "endpoints", {"name": "first", "variants": [{"model": "models:/nothing/1"}]}),
                  ("GET", "runs/0123456789abcdef", None)]


def test_given_fresh_servers_when_mlflow_routes_are_hit_at_once_then_none_answers_500(studio_server_factory,
                                                                                       tmp_path):
    # The race is timing-dependent (it failed 1 to 3 times in 3 starts before the fix): 3 fresh servers.
    for attempt in range(3):
        server = studio_server_factory(root_dir=tmp_path / f"root{attempt}", studio_home=tmp_path / f"home{attempt}",
                                       start_agent=False)

        def send(request, server=server):
            method, path, body = request
            return server.api(method, path, json=body)

        with ThreadPoolExecutor(len(FIRST_REQUESTS)) as pool:
            first = list(pool.map(send, FIRST_REQUESTS))
        assert [r.status_code for r in first] == [200, 200, 200, 404, 404], [r.text[:300] for r in first]
        # ... and they keep working afterwards (no half-imported module left in sys.modules).
        assert [send(r).status_code for r in FIRST_REQUESTS] == [200, 200, 200, 404, 404]
        server.stop()
