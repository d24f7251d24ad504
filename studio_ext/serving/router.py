"""The invocation router: route table, weighted pick, forward with retry, aggregated invocation audit.

It runs in the Jupyter server only (never in a replica, so tornado is welcome here): the handler of
/studio/endpoints/<name>/invocations calls `EndpointRouter.invoke`, one straight line from the
route table to the replica's answer. Replicas come from the endpoint service's query (a callable),
never from the store.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from tornado.ioloop import IOLoop

from .. import schemas
from ..exceptions import BadGateway, GatewayTimeout, PayloadTooLarge, ServiceUnavailable

Routes = list[tuple[float, int, str]]  # (weight, port, variant) of each replica that takes traffic
RecordAudit = Callable[[str, str, str, str, schemas.AuditOutcome, dict], None]

ROUTES_TTL_S = 0.5  # the router re-reads healthy replicas at most this often
AUDIT_FLUSH_S = 30.0  # invocations are summed per (user, endpoint) and written this often
MAX_ATTEMPTS = 3  # replicas tried for one request (the others refused: they just died)
ROUTER_MAX_CLIENTS = 256  # concurrent forwarded requests (tornado's default of 10 would queue them)
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # SageMaker's real-time invocation payload limit
INVOCATION_TIMEOUT_S = 60.0  # SageMaker's too: a replica that takes longer is answered 504


@dataclass
class Answer:
    """What a replica answered, to pass on as it is."""

    status: int
    content_type: str
    variant: str
    body: bytes


class EndpointRouter:
    """Spreads an endpoint's requests over its healthy replicas by weight.

    Invocations are audited in aggregate (one event per user and endpoint every AUDIT_FLUSH_S
    with the counts), not one row per request: a busy endpoint would otherwise write more audit
    rows than predictions are worth, and SQLite would become the bottleneck of every call.

    Args:
        healthy_replicas: name -> Routes, raising NotFound for an unknown or deleted endpoint
            (`BaseEndpointService.healthy_replicas`); blocking, so called off the event loop.
        record_audit: `AuditService.record`; None records nothing.
        replica_token: what the replicas require (credentials.replica_token).
        max_payload_bytes: a larger request body is a 413 before it reaches a replica.
        timeout_seconds: a replica that has not answered by then is a 504 (not retried: the
            request may be what keeps it busy).
    """

    def __init__(self, healthy_replicas: Callable[[str], Routes],
                 record_audit: RecordAudit | None = None, replica_token: str = "",
                 max_payload_bytes: int = MAX_PAYLOAD_BYTES, timeout_seconds: float = INVOCATION_TIMEOUT_S):
        self._healthy_replicas = healthy_replicas
        self.max_payload_bytes = max_payload_bytes
        self.timeout_seconds = timeout_seconds
        self._authorization = f"Bearer {replica_token}"
        self._record_audit = record_audit
        self._routes: dict[str, tuple[float, Routes]] = {}
        self._counts: dict[tuple[str, str], list[int]] = {}
        self._counts_lock = threading.Lock()
        self._last_flush = time.monotonic()
        self._clients: dict[int, AsyncHTTPClient] = {}

    async def invoke(self, user: str, name: str, body: bytes, content_type: str) -> Answer:
        """Forward one request to a replica chosen by weight; another one when it refuses.

        A replica's failure is never a 500: whatever it answered is passed on, and when it did
        not answer the caller learns why (502, 503, 504), with the endpoint named.

        Raises:
            PayloadTooLarge: a body over max_payload_bytes (nothing is forwarded).
            NotFound: no endpoint `name` (or it is being deleted).
            ServiceUnavailable: no healthy replica, or none of MAX_ATTEMPTS took the connection.
            BadGateway: the replicas tried closed the connection without an answer.
            GatewayTimeout: the replica did not answer within timeout_seconds.
        """
        if len(body) > self.max_payload_bytes:
            self._count(user, name, 413)
            raise PayloadTooLarge(f"request body: {len(body)} bytes; an invocation is at most "
                                  f"{self.max_payload_bytes} bytes (score larger inputs with a batch transform job)")
        try:
            table = self.cached_routes(name)
            if table is None:  # read the database off the event loop
                table = await IOLoop.current().run_in_executor(None, self.routes, name)
            order = self.pick_replicas(name, table)
        except Exception:
            self._count(user, name, 404)
            raise
        headers = {"Content-Type": content_type, "Authorization": self._authorization}
        refused: BaseException | None = None
        closed: BaseException | None = None
        for port, variant in order[:MAX_ATTEMPTS]:
            try:
                response = await self._client().fetch(
                    f"http://127.0.0.1:{port}/invocations", method="POST", body=body, headers=headers,
                    raise_error=False, request_timeout=self.timeout_seconds, connect_timeout=5)
            except OSError as exc:  # refused: the replica is gone; the next one gets it
                refused = exc
                self.forget_routes(name)
                continue
            except HTTPClientError as exc:  # 599: timed out, or the connection closed mid-way
                if "Timeout" in type(exc).__name__:
                    self._count(user, name, 504)
                    raise GatewayTimeout(f"endpoint {name!r}: variant {variant!r} did not answer within "
                                         f"{self.timeout_seconds:g} s") from None
                closed = exc
                self.forget_routes(name)
                continue
            self._count(user, name, response.code)
            return Answer(response.code, response.headers.get("Content-Type", "application/json"),
                          variant, response.body or b"")
        if closed is not None:
            self._count(user, name, 502)
            raise BadGateway(f"endpoint {name!r}: the replica closed the connection without an answer ({closed}); "
                             "it may have restarted, retry")
        self._count(user, name, 503)
        raise ServiceUnavailable(f"endpoint {name!r}: no replica took the request ({refused})")

    def _client(self) -> AsyncHTTPClient:
        """One client per IOLoop, separate from the shared AsyncHTTPClient so its limits are ours."""
        loop = IOLoop.current()
        client = self._clients.get(id(loop))
        if client is None:
            client = self._clients[id(loop)] = AsyncHTTPClient(
                force_instance=True, max_clients=ROUTER_MAX_CLIENTS)
        return client

    # ------------------------------------------------------------------ the route table

    def routes(self, name: str) -> Routes:
        """The healthy replicas of `name`, read again once the cached table is ROUTES_TTL_S old."""
        now = time.monotonic()
        cached = self._routes.get(name)
        if cached and now - cached[0] < ROUTES_TTL_S:
            return cached[1]
        table = self._healthy_replicas(name)
        self._routes[name] = (now, table)
        return table

    def cached_routes(self, name: str) -> Routes | None:
        """The route table if read within ROUTES_TTL_S (no database hit), else None."""
        cached = self._routes.get(name)
        return cached[1] if cached and time.monotonic() - cached[0] < ROUTES_TTL_S else None

    def pick_replicas(self, name: str, table: Routes) -> list[tuple[int, str]]:
        """(port, variant) in the order to try: the first by weight, then the others (retries)."""
        if not table:
            raise ServiceUnavailable(f"endpoint {name!r} has no healthy replica yet; see its status")
        remaining = list(table)
        order = []
        while remaining:
            total = sum(w for w, _p, _v in remaining)
            pick = random.random() * total
            for i, (w, p, v) in enumerate(remaining):
                pick -= w
                if pick <= 0 or i == len(remaining) - 1:
                    order.append((p, v))
                    remaining.pop(i)
                    break
        return order

    def forget_routes(self, name: str) -> None:
        """A replica refused a connection, or the endpoint was deleted: read the table again on
        the next request."""
        self._routes.pop(name, None)

    # ------------------------------------------------------------------ invocation audit

    def _count(self, user: str, name: str, status: int) -> None:
        """Count one routed request; every AUDIT_FLUSH_S, flush the counts on a worker thread."""
        with self._counts_lock:
            counts = self._counts.setdefault((user, name), [0, 0, 0])
            counts[0] += 1
            if 400 <= status < 500:
                counts[1] += 1
            elif status >= 500:
                counts[2] += 1
            due = time.monotonic() - self._last_flush >= AUDIT_FLUSH_S
        if due:
            IOLoop.current().run_in_executor(None, self.flush_invocations)

    def flush_invocations(self) -> int:
        """One audit event per (user, endpoint) with the counts since the last flush (blocking)."""
        with self._counts_lock:
            counts, self._counts = self._counts, {}
            since, self._last_flush = self._last_flush, time.monotonic()
        if self._record_audit is None:
            return 0
        window = round(time.monotonic() - since, 1)
        for (user, name), (total, c4, c5) in counts.items():
            outcome = schemas.AuditOutcome.SUCCESS if c4 + c5 == 0 else schemas.AuditOutcome.FAILURE
            self._record_audit(user, "InvokeEndpoint", "endpoint", name, outcome,
                               {"invocations": total, "errors_4xx": c4, "errors_5xx": c5,
                                "window_seconds": window})
        return len(counts)
