"""Benchmark: one registered model served by `mlflow models serve` and by the studio scoring server.

    .venv/bin/python bench/serving.py [--seconds 8] [--concurrency 8,32] [--workers 0] [--kill]

Trains a logistic regression on load_breast_cancer, registers it in a fresh MLflow store, then
starts both servers on the same registered version (ours gets the version's local folder, as the
agent passes it) and measures, on loopback with a small asyncio load generator (keep-alive
connections, one request in flight each, bounded in time): time from process start to the first
200, 1-row throughput and p50/p99 latency at each concurrency, error counts. Prints the ratios
(studio / mlflow). With --kill, also runs a load against ours while one worker process is killed
and reports the errors. Prints figures only; nothing asserts on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def register_model(tmp: Path) -> tuple[str, str, list[list[float]], list[str]]:
    import mlflow
    from mlflow.models import infer_signature
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    exp = mlflow.create_experiment("bench", artifact_location=(tmp / "artifacts").as_uri())
    data = load_breast_cancer(as_frame=True)
    x, y = data.data, data.target
    model = LogisticRegression(max_iter=5000).fit(x, y)
    with mlflow.start_run(experiment_id=exp):
        mlflow.sklearn.log_model(model, name="model", signature=infer_signature(x, model.predict(x)),
                                 input_example=x.head(2), registered_model_name="bench-lr")
    source = mlflow.MlflowClient(uri).get_model_version_download_uri("bench-lr", "1")
    return uri, source, x.values.tolist(), list(x.columns)


def request_bytes(port: int, body: bytes, path: str = "/invocations", headers: dict[str, str] | None = None) -> bytes:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


async def load(port: int, bodies: list[bytes], concurrency: int, seconds: float, path: str = "/invocations",
               headers: dict[str, str] | None = None) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(i: int) -> None:
        nonlocal errors
        reader = writer = None
        while time.perf_counter() < deadline:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                msg = request_bytes(port, random.choice(bodies), path, headers)
                t0 = time.perf_counter()
                writer.write(msg)
                status = await asyncio.wait_for(_read_response(reader), 30)
                latencies.append(time.perf_counter() - t0)
                if status != 200:
                    errors += 1
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                errors += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.01)
        if writer is not None:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - t0
    lat = sorted(latencies)
    pick = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000) if lat else (lambda q: float("nan"))
    return {"rps": len(lat) / elapsed, "p50_ms": pick(0.50), "p99_ms": pick(0.99), "errors": errors,
            "requests": len(lat)}


def first_200(port: int, body: bytes, proc: subprocess.Popen, started: float, timeout: float = 120) -> float:
    import http.client

    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("POST", "/invocations", body, {"Content-Type": "application/json"})
            if conn.getresponse().status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError("no 200 before the timeout")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="load duration per measurement")
    parser.add_argument("--concurrency", default="8,32")
    parser.add_argument("--workers", type=int, default=0, help="studio worker processes (0: CPUs)")
    parser.add_argument("--kill", action="store_true", help="also kill a studio worker under load")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="studio-bench-serving-"))
    uri, source, rows, columns = register_model(tmp)
    bodies = [json.dumps({"dataframe_split": {"columns": columns, "data": [r]}}).encode()
              for r in random.Random(0).sample(rows, 200)]
    env = dict(os.environ, MLFLOW_TRACKING_URI=uri, PYTHONPATH=str(REPO), OPENBLAS_NUM_THREADS="1",
               PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")  # mlflow execs uvicorn
    results: dict[str, dict] = {}
    servers = {
        "mlflow": lambda port: [str(VENV_BIN / "mlflow"), "models", "serve", "-m", "models:/bench-lr/1",
                                "-h", "127.0.0.1", "-p", str(port), "--env-manager", "local"],
        "studio": lambda port: [sys.executable, "-m", "studio_ext.serving", "--model-uri", source,
                                "--port", str(port), "--workers", str(args.workers)],
    }
    for name, command in servers.items():
        port = free_port()
        started = time.perf_counter()
        proc = subprocess.Popen(command(port), env=env, cwd=tmp, stdout=subprocess.DEVNULL,
                                stderr=open(tmp / f"{name}.log", "wb"), start_new_session=True)
        try:
            res = {"first_200_s": first_200(port, bodies[0], proc, started)}
            asyncio.run(load(port, bodies, 4, 1.0))  # warm-up
            for c in levels:
                res[c] = asyncio.run(load(port, bodies, c, args.seconds))
            if name == "studio" and args.kill:
                res["kill"] = asyncio.run(load_with_kill(port, bodies, 8, args.seconds, proc.pid))
        finally:
            stop(proc)
        results[name] = res
        print(f"{name}: first 200 after {res['first_200_s']:.2f} s; " + "; ".join(
            f"c={c}: {res[c]['rps']:.0f} req/s, p50 {res[c]['p50_ms']:.2f} ms, p99 {res[c]['p99_ms']:.2f} ms, "
            f"{res[c]['errors']} errors / {res[c]['requests']}" for c in levels), flush=True)
    m, s = results["mlflow"], results["studio"]
    print("\nratios (studio / mlflow):")
    print(f"  time to first 200: {s['first_200_s'] / m['first_200_s']:.2f}x  (target <= 0.5x)")
    for c in levels:
        print(f"  c={c}: throughput {s[c]['rps'] / m[c]['rps']:.1f}x (target >= 5x), "
              f"p50 {s[c]['p50_ms'] / m[c]['p50_ms']:.2f}x, p99 {s[c]['p99_ms'] / m[c]['p99_ms']:.2f}x "
              f"(targets <= 0.3x); errors mlflow {m[c]['errors']}, studio {s[c]['errors']}")
    if "kill" in s:
        k = s["kill"]
        print(f"  worker killed under load (c=8): {k['errors']} errors / {k['requests']} requests")
    return 0


async def load_with_kill(port: int, bodies: list[bytes], concurrency: int, seconds: float, parent: int) -> dict:
    """Load while one worker process of the replica is SIGKILLed halfway (the parent restarts it)."""
    import psutil

    async def killer() -> None:
        await asyncio.sleep(seconds / 2)
        workers = psutil.Process(parent).children()
        if workers:
            workers[0].kill()

    result, _ = await asyncio.gather(load(port, bodies, concurrency, seconds), killer())
    return result


if __name__ == "__main__":
    sys.exit(main())
