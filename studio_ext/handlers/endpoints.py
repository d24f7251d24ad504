"""/studio/api/endpoints (desired state, metrics, capture) and the invocation router /studio/endpoints/{name}/invocations."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.httpclient import AsyncHTTPClient
from tornado.ioloop import IOLoop

from .. import schemas
from ..exceptions import ServiceUnavailable
from .base import NoQuery, StudioHandler, audited

ROUTER_MAX_CLIENTS = 256  # concurrent forwarded requests (tornado's default of 10 would queue them)
MAX_ATTEMPTS = 3
_clients: dict[int, AsyncHTTPClient] = {}


def _router_client() -> AsyncHTTPClient:
    """One client per IOLoop, separate from the shared AsyncHTTPClient so its limits are ours."""
    loop = IOLoop.current()
    client = _clients.get(id(loop))
    if client is None:
        client = _clients[id(loop)] = AsyncHTTPClient(force_instance=True, max_clients=ROUTER_MAX_CLIENTS)
    return client


class EndpointBase(StudioHandler):
    @property
    def endpoint_service(self):
        return self.settings["studio_ext_endpoint_service"]


class EndpointsHandler(EndpointBase):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.parse_query(NoQuery)
        self.write_model(await self.call(self.endpoint_service.list_endpoints))

    @web.authenticated
    @authorized
    @audited("CreateEndpoint", "endpoint")
    async def post(self) -> None:
        self.parse_query(NoQuery)
        request = self.parse_body(schemas.CreateEndpoint)
        self.audit_resource_id = request.name
        self.write_model(await self.call(self.endpoint_service.create_endpoint, request, self.username), status=201)


class EndpointHandler(EndpointBase):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.parse_query(NoQuery)
        self.write_model(await self.call(self.endpoint_service.describe_endpoint, name))

    @web.authenticated
    @authorized
    @audited("UpdateEndpoint", "endpoint")
    async def patch(self, name: str) -> None:
        self.parse_query(NoQuery)
        request = self.parse_body(schemas.UpdateEndpoint)
        await self.call(self.endpoint_service.update_endpoint, name, request, self.username)
        self.no_content()

    @web.authenticated
    @authorized
    @audited("DeleteEndpoint", "endpoint")
    async def delete(self, name: str) -> None:
        self.parse_query(NoQuery)
        await self.call(self.endpoint_service.delete_endpoint, name)
        self.no_content()


class EndpointRollbackHandler(EndpointBase):
    @web.authenticated
    @authorized
    @audited("RollbackEndpoint", "endpoint")
    async def post(self, name: str) -> None:
        self.parse_query(NoQuery)
        request = self.parse_body(schemas.RollbackEndpoint)
        await self.call(self.endpoint_service.rollback_endpoint, name, request, self.username)
        self.no_content()


class EndpointMetricsHandler(EndpointBase):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        query = self.parse_query(schemas.EndpointMetricsQuery)
        self.write_model(await self.call(self.endpoint_service.metrics, name, query))


class EndpointCaptureHandler(EndpointBase):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        query = self.parse_query(schemas.EndpointCaptureQuery)
        self.write_model(await self.call(self.endpoint_service.read_capture, name, query))


class EndpointInvocationsHandler(EndpointBase):
    """The router: Jupyter-authenticated, forwards the body to a replica chosen by variant weight,
    and tries another replica when one refuses the connection (a replica that just died).

    Invocations are audited in aggregate (one event per user and endpoint every 30 s with the
    counts), not one row per request: a busy endpoint would otherwise write more audit rows than
    predictions are worth, and SQLite would become the bottleneck of every call.
    """

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        self.parse_query(NoQuery)
        service = self.endpoint_service
        try:
            table = service.cached_routes(name)
            if table is None:  # read the database off the event loop
                table = await self.call(service.routes, name)
            order = service.pick_replicas(name, table)
        except Exception:
            self._count(name, 404)
            raise
        headers = {"Content-Type": self.request.headers.get("Content-Type", "application/json")}
        last_error = None
        for port, variant in order[:MAX_ATTEMPTS]:
            try:
                response = await _router_client().fetch(
                    f"http://127.0.0.1:{port}/invocations", method="POST", body=self.request.body, headers=headers,
                    raise_error=False, request_timeout=120, connect_timeout=5)
            except OSError as exc:  # refused/reset: the replica is gone; the next one gets it
                last_error = exc
                service.forget_routes(name)
                continue
            if response.code == 599:  # tornado's "no HTTP response" (connection closed mid-way)
                last_error = response.error
                service.forget_routes(name)
                continue
            self.set_status(response.code)
            self.set_header("Content-Type", response.headers.get("Content-Type", "application/json"))
            self.set_header("X-Studio-Variant", variant)
            self.write(response.body or b"")
            self._count(name, response.code)
            return
        self._count(name, 503)
        raise ServiceUnavailable(f"endpoint {name!r}: no replica answered ({last_error})")

    def _count(self, name: str, status: int) -> None:
        if self.endpoint_service.count_invocation(self.username, name, status):
            IOLoop.current().run_in_executor(None, self.endpoint_service.flush_invocations)
