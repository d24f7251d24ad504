"""The scoring server: raw asyncio HTTP/1.1, worker processes on one SO_REUSEPORT port, micro-batching.

    python -m studio_ext.serving --model-uri PATH_OR_URI --port P [--workers N] [--host 127.0.0.1]
        [--endpoint NAME --variant NAME] [--capture-dir D --capture-percent 10 --capture input,output]

Routes: GET /ping (200 once the model is loaded), POST /invocations, GET /metrics (Prometheus).
Why not uvicorn/FastAPI: a 1-row request costs tens of microseconds of HTTP work here, and each
worker owns its own listening socket (SO_REUSEPORT) so the kernel spreads connections without the
accept hand-off delays of a shared socket. Requests that arrive together are scored in one
predict call (numeric signatures only), which is where the throughput under load comes from.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import os
import signal
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..credentials import REPLICA_TOKEN_ENV
from . import model as model_mod
from .capture import Capture
from .metrics import SharedMetrics
from .mlflow_protocol import MlflowProtocol, Reply, mlflow_version
from .payload import PayloadError, has_nonfinite, parse

MAX_HEADER = 64 * 1024
MAX_BODY = 100 * 1024 * 1024
MAX_BATCH_ROWS = 4096
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
            411: "Length Required", 413: "Payload Too Large", 415: "Unsupported Media Type",
            431: "Request Header Fields Too Large", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout"}


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error_code": code, "message": message}).encode()


# A queued request: its connection, the array, the raw body (for capture), start time, keep-alive.
_Pending = tuple["HttpProtocol", np.ndarray, bytes, float, bool]


class Scorer:
    """Everything a worker shares between its connections: the model, metrics, capture, the batch."""

    def __init__(self, loaded: model_mod.LoadedModel, metrics: SharedMetrics, labels: str,
                 capture: Capture | None, token: str | None = None, schema_enforcement: str = "mlflow"):
        self.model = loaded
        # mlflow: answer as `mlflow models serve` does (what the fast path does not take, or
        # refuses, MLflow's own code answers); strict: the studio's stricter checks and messages.
        self.strict = schema_enforcement == "strict"
        self.protocol = MlflowProtocol(loaded.path, loaded.pyfunc)
        self._mlflow_thread: ThreadPoolExecutor | None = None
        # The fast path: a tabular numeric model loaded without mlflow (payload.py).
        self.fast = loaded.flavor == "sklearn" and loaded.schema.numeric
        # The expected Authorization header (credentials.py); None: no check (a replica started
        # by hand, like `mlflow models serve`).
        self.authorization = f"Bearer {token}".encode() if token else None
        self.metrics = metrics
        self.labels = labels
        self.capture = capture
        self.pending: list[_Pending] = []
        self.flush_scheduled = False
        self.loop: asyncio.AbstractEventLoop | None = None

    def submit(self, conn: HttpProtocol, x, body: bytes, started: float, keep_alive: bool) -> None:
        """Queue an array for the batch that runs once this loop iteration's reads are done."""
        self.pending.append((conn, x, body, started, keep_alive))
        if not self.flush_scheduled:
            self.flush_scheduled = True
            assert self.loop is not None  # serve() sets it before the server accepts a connection
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.flush_scheduled = False
        pending, self.pending = self.pending, []
        while pending:
            group: list[_Pending] = []
            rows = 0
            while pending and (not group or rows + len(pending[0][1]) <= MAX_BATCH_ROWS):
                item = pending.pop(0)
                group.append(item)
                rows += len(item[1])
            self._score_group(group)

    def _score_group(self, group: list[_Pending]) -> None:
        if len(group) > 1 and all(g[1].ndim == 2 and g[1].shape[1] == group[0][1].shape[1] for g in group):
            try:
                predictions = np.asarray(self.model.predict(np.concatenate([g[1] for g in group])))
            except Exception:  # one bad request must not fail its neighbours: score one by one
                predictions = None
            if predictions is not None and len(predictions) == sum(len(g[1]) for g in group):
                start = 0
                for conn, x, body, started, keep_alive in group:
                    part = predictions[start:start + len(x)]
                    start += len(x)
                    self.answer(conn, part, body, started, keep_alive)
                return
        for conn, x, body, started, keep_alive in group:
            self.score_one(conn, x, body, started, keep_alive)

    def takes_fast(self, body: bytes, content_type: str) -> bool:
        """Whether the fast path answers this request (plain JSON or CSV, no params)."""
        if not self.fast or b'"params"' in body:
            return False
        base, _, extra = content_type.lower().partition(";")
        return base.strip() in ("application/json", "text/csv", "") and extra.replace(" ", "") in ("", "charset=utf-8")

    def answer_mlflow(self, conn: HttpProtocol, body: bytes, content_type: str, started: float,
                      keep_alive: bool) -> None:
        """MLflow's own answer (mlflow_protocol.py), computed on a thread of this worker: the first
        one imports MLflow and loads the pyfunc model (seconds), and the event loop must keep
        answering /ping and the fast path meanwhile. The connection waits for it (one request
        in flight per connection)."""
        if self._mlflow_thread is None:  # made here, after the fork, one per worker
            self._mlflow_thread = ThreadPoolExecutor(1, thread_name_prefix="mlflow-protocol")
        assert self.loop is not None  # serve_worker sets it before any request
        future = self.loop.run_in_executor(self._mlflow_thread, self.protocol.invoke, body, content_type)

        def done(result: asyncio.Future) -> None:
            try:
                reply = result.result()
            except Exception as exc:  # invoke answers every request's fault itself; this is ours
                reply = Reply(500, _error("InternalError", f"{type(exc).__name__}: {exc}"))
            if reply.status == 200 and self.capture is not None:
                self.capture.maybe_write(body, reply.body)
            conn.respond(reply.status, reply.body, keep_alive, started, content_type=reply.content_type)

        future.add_done_callback(done)

    def score_one(self, conn: HttpProtocol, x, body: bytes, started: float, keep_alive: bool) -> None:
        try:
            predictions = self.model.predict(x)
        except Exception as exc:
            if not self.strict and has_nonfinite(x):  # the input's fault: MLflow's answer, in its shape
                self.answer_mlflow(conn, body, conn.content_type, started, keep_alive)
                return
            # Input that passed the signature check and still fails is the model's fault (a 500,
            # counted against the variant's error rate); without a signature it may be the input's.
            # NaN or infinity in the input is the caller's to fix too (most models refuse them).
            nonfinite = has_nonfinite(x)
            message = ("the model could not score this input" + (" (it holds NaN or infinity)" if nonfinite else "")
                       + f": {type(exc).__name__}: {exc}")[:1000]
            status = 400 if nonfinite or self.model.schema.kind == "none" else 500
            conn.respond(status, _error("InvalidParameterValue" if nonfinite else "ModelError", message),
                         keep_alive, started)
            return
        self.answer(conn, predictions, body, started, keep_alive)

    def answer(self, conn: HttpProtocol, predictions, body: bytes, started: float, keep_alive: bool) -> None:
        try:
            out = json.dumps({"predictions": model_mod.to_jsonable(predictions)}).encode()
        except (TypeError, ValueError) as exc:
            conn.respond(500, _error("InternalError", f"predictions are not JSON: {exc}"), keep_alive, started)
            return
        if self.capture is not None:
            self.capture.maybe_write(body, out)
        conn.respond(200, out, keep_alive, started)


class HttpProtocol(asyncio.Protocol):
    """One keep-alive connection. Requests on it are answered in order (one in flight at a time)."""

    def __init__(self, scorer: Scorer):
        self.scorer = scorer
        self.buf = b""
        self.busy = False
        self.closed = False
        self.continued = False
        self.content_type = "application/json"  # of the request being answered
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc) -> None:
        self.closed = True

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.busy:
            self.process()

    def process(self) -> None:
        while not self.busy and not self.closed:
            buf = self.buf
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEADER:
                    self.respond(431, _error("InvalidParameterValue", "request headers too large"), False)
                return
            try:
                head = buf[:end].decode("latin-1").split("\r\n")
                method, target, version = head[0].split(" ", 2)
                headers = {}
                for line in head[1:]:
                    key, _, value = line.partition(":")
                    headers[key.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
            except ValueError:
                self.respond(400, _error("InvalidParameterValue", "malformed HTTP request"), False)
                return
            if "chunked" in headers.get("transfer-encoding", "").lower():
                self.respond(411, _error("InvalidParameterValue", "send the body with Content-Length"), False)
                return
            if length > MAX_BODY or length < 0:
                self.respond(413, _error("InvalidParameterValue", f"body over {MAX_BODY} bytes"), False)
                return
            total = end + 4 + length
            if len(buf) < total:
                if not self.continued and headers.get("expect", "").lower() == "100-continue":
                    self.continued = True
                    assert self.transport is not None  # bytes arrive only after connection_made
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                return
            body = buf[end + 4:total]
            self.buf = buf[total:]
            self.continued = False
            conn_header = headers.get("connection", "").lower()
            keep_alive = conn_header != "close" if version == "HTTP/1.1" else conn_header == "keep-alive"
            self.busy = True
            self.route(method, target.split("?", 1)[0], headers, body, keep_alive)

    def route(self, method: str, path: str, headers: dict, body: bytes, keep_alive: bool) -> None:
        started = time.perf_counter()
        scorer = self.scorer
        if scorer.authorization is not None and not hmac.compare_digest(
                headers.get("authorization", "").encode("latin-1"), scorer.authorization):
            self.respond(401, _error("Unauthorized", "this replica answers the studio only: send "
                                     "'Authorization: Bearer <$STUDIO_HOME/secrets/replica-token>'"),
                         keep_alive)
            return
        if path == "/invocations":
            if method != "POST":
                self.respond(405, _error("InvalidParameterValue", "POST to /invocations"), keep_alive, started)
                return
            ctype = self.content_type = headers.get("content-type", "application/json")
            fast = scorer.takes_fast(body, ctype)
            if not (fast or scorer.strict):
                scorer.answer_mlflow(self, body, ctype, started, keep_alive)
                return
            try:
                x = parse(body, ctype, scorer.model.schema)
            except Exception as exc:
                if not scorer.strict:  # refused here, maybe accepted by MLflow: its answer counts
                    scorer.answer_mlflow(self, body, ctype, started, keep_alive)
                    return
                # whatever a malformed body trips over is still the body's fault
                message = str(exc) if isinstance(exc, PayloadError) else f"request body: {type(exc).__name__}: {exc}"
                self.respond(400, _error("InvalidParameterValue", message), keep_alive, started)
                return
            if not fast:  # strict checks passed; MLflow's code scores what the fast path cannot
                scorer.answer_mlflow(self, body, ctype, started, keep_alive)
                return
            if isinstance(x, np.ndarray) and x.ndim == 2:
                scorer.submit(self, x, body, started, keep_alive)
            else:
                scorer.score_one(self, x, body, started, keep_alive)
        elif path in ("/ping", "/health"):
            self.respond(200, b"{}", keep_alive)
        elif path == "/version":
            self.respond(200, mlflow_version().encode(), keep_alive)
        elif path == "/metrics":
            self.respond(200, scorer.metrics.prometheus(scorer.labels).encode(), keep_alive,
                         content_type="text/plain; version=0.0.4")
        else:
            self.respond(404, _error("ResourceNotFound", f"no route {path}; use /invocations, /ping, /version, /metrics"),
                         keep_alive)

    def respond(self, status: int, body: bytes, keep_alive: bool, started: float | None = None,
                content_type: str = "application/json") -> None:
        if started is not None:
            self.scorer.metrics.observe(status, time.perf_counter() - started)
        if self.closed:
            return
        assert self.transport is not None  # a request came, so connection_made ran
        head = (f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n" + ("" if keep_alive else "Connection: close\r\n") + "\r\n")
        self.transport.write(head.encode() + body)
        if not keep_alive:
            self.transport.close()
            self.closed = True
            return
        self.busy = False
        if self.buf:
            self.process()


# ------------------------------------------------------------------------------ processes


def _listen_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _die_with_parent() -> None:
    """Linux: a worker gets SIGTERM when the replica's main process dies (even by SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def serve_worker(scorer: Scorer, host: str, port: int) -> None:
    sock = _listen_socket(host, port)
    sock.listen(1024)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    scorer.loop = loop
    server = loop.run_until_complete(loop.create_server(lambda: HttpProtocol(scorer), sock=sock))
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
        if scorer.capture is not None:
            scorer.capture.close()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m studio_ext.serving", description=__doc__.splitlines()[0])
    p.add_argument("--model-uri", required=True, help="model folder (with MLmodel) or an MLflow model URI")
    p.add_argument("--tracking-uri", help="MLflow tracking/registry URI for models:/ URIs")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--workers", type=int, default=0, help="worker processes (default: the CPUs we may use)")
    p.add_argument("--endpoint", default="", help="endpoint name (a metrics label)")
    p.add_argument("--variant", default="", help="variant name (a metrics label)")
    p.add_argument("--capture-dir", help="write sampled requests/responses as JSONL here")
    p.add_argument("--capture-percent", type=float, default=0.0)
    p.add_argument("--capture", default="input,output", help="input, output or input,output")
    p.add_argument("--capture-keyring", help="seal captured payloads with this key ring's active key")
    p.add_argument("--schema-enforcement", choices=("mlflow", "strict"), default="mlflow",
                   help="mlflow: accept what `mlflow models serve` accepts, answer as it does; strict: refuse "
                        "unknown columns and keys, and values of the wrong JSON type, with the studio's messages")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The studio passes its replica token in the environment (argv is readable by every local
    # user); it leaves the environment before the model loads, so the model's code never sees it.
    token = os.environ.pop(REPLICA_TOKEN_ENV, None)
    try:
        loaded = model_mod.load(args.model_uri, args.tracking_uri)
    except Exception as exc:
        print(f"studio serving: cannot load model {args.model_uri}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    workers = args.workers or min(4, model_mod.cpu_count())
    metrics = SharedMetrics(workers)
    labels = ",".join(f'{k}="{v}"' for k, v in (("endpoint", args.endpoint), ("variant", args.variant)) if v)

    def make_scorer(index: int) -> Scorer:
        metrics.use_row(index)
        capture = None
        if args.capture_dir and args.capture_percent > 0:
            keyring = None
            if args.capture_keyring:  # payloads sealed at rest with the studio's key
                from ..security.keys import KeyRing

                keyring = KeyRing.load(args.capture_keyring, create=False)
            capture = Capture(args.capture_dir, args.capture_percent, args.capture, keyring)
        return Scorer(loaded, metrics, labels, capture, token, args.schema_enforcement)

    print(f"studio serving: {loaded.flavor} model from {loaded.path}, {workers} worker(s) on "
          f"{args.host}:{args.port}", file=sys.stderr, flush=True)
    if workers == 1:
        serve_worker(make_scorer(0), args.host, args.port)
        return 0
    # Hold the port in the parent (bound, not listening: the kernel only hands connections to the
    # workers' listening sockets), so a restarted worker rebinds the same port.
    holder = _listen_socket(args.host, args.port)
    children: dict[int, int] = {}
    stopping = False

    def spawn(index: int) -> None:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                _die_with_parent()
                holder.close()
                serve_worker(make_scorer(index), args.host, args.port)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        children[pid] = index

    def stop(*_):
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for i in range(workers):
        spawn(i)
    while children:
        try:
            pid, _status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        index = children.pop(pid, None)
        if index is not None and not stopping:
            print(f"studio serving: worker {pid} died; starting another", file=sys.stderr, flush=True)
            spawn(index)
    return 0
