"""Benchmark: an endpoint through the studio's router vs its replica directly, on one real studio.

    .venv/bin/python bench/router.py [--seconds 8] [--concurrency 8,32]

Starts a real `jupyter lab` with the studio (tests/e2e/server.py), registers a logistic regression
in its MLflow store, deploys it as a one-replica endpoint and loads both doors with the same 1-row
requests (keep-alive connections, one request in flight each): `/studio/endpoints/<name>/invocations`
with the Jupyter token (authentication, routing, the invocation audit) and the replica's own port
with the replica token. Prints throughput and latency of each and the ratio router / direct: the
cost of the door every user goes through. Prints figures only; nothing asserts on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "bench")]

from e2e.server import kill_studio_processes, start_studio_server  # noqa: E402
from serving import load  # noqa: E402


def register(tracking_uri: str, home: Path) -> list[list[float]]:
    import mlflow
    from mlflow.models import infer_signature
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    from studio_ext import tracking

    tracking.client(tracking_uri, home)  # the studio's own first-use migration lock
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    exp = mlflow.create_experiment("bench-router", artifact_location=(home / "bench-artifacts").as_uri())
    data = load_breast_cancer(as_frame=True)
    model = LogisticRegression(max_iter=5000).fit(data.data, data.target)
    with mlflow.start_run(experiment_id=exp):
        mlflow.sklearn.log_model(model, name="model", signature=infer_signature(data.data, model.predict(data.data)),
                                 registered_model_name="bench-router-lr", pip_requirements=["scikit-learn"])
    return data.data.values.tolist()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", default="8,32")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-router-"))
    server = start_studio_server(base / "root", base / "home", log_dir=base / "logs")
    try:
        config = server.api("GET", "config").json()
        rows = register(config["mlflow_tracking_uri"], server.studio_home)
        answer = server.api("POST", "endpoints", json={"name": "bench", "variants": [
            {"model": "models:/bench-router-lr/1", "instance_type": "local.small"}]})
        assert answer.status_code == 201, answer.text
        deadline = time.monotonic() + 180
        while (described := server.api("GET", "endpoints/bench").json())["status"] != "InService":
            assert time.monotonic() < deadline and described["status"] != "Failed", described
            time.sleep(0.5)
        replica_port = described["replicas"][0]["port"]
        token = (server.studio_home / "secrets" / "replica-token")
        bodies = [json.dumps({"instances": [row]}).encode() for row in rows[:200]]
        doors = {
            "router": (server.port, "/studio/endpoints/bench/invocations", {"Authorization": f"token {server.token}"}),
            "direct": (replica_port, "/invocations",
                       {"Authorization": f"Bearer {token.read_text().strip()}"} if token.exists() else {}),
        }
        print(f"{'door':8} {'conc':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            figures = {}
            for door, (port, path, headers) in doors.items():
                asyncio.run(load(port, bodies, concurrency, 1.0, path, headers))  # warm up
                figures[door] = r = asyncio.run(load(port, bodies, concurrency, args.seconds, path, headers))
                print(f"{door:8} {concurrency:>5} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
                      f"{r['errors']:>7}")
            print(f"router / direct at {concurrency}: throughput x{figures['router']['rps'] / figures['direct']['rps']:.3f}")
    finally:
        server.stop()
        kill_studio_processes(server.studio_home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
