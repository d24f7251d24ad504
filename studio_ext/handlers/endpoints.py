"""/studio/api/endpoints (desired state, metrics, capture) and /studio/endpoints/{name}/invocations."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import schemas
from .base import NoQuery, StudioHandler, audited


class EndpointBase(StudioHandler):
    @property
    def endpoint_service(self):
        return self.settings["studio_ext_endpoint_service"]

    @property
    def endpoint_router(self):
        return self.settings["studio_ext_endpoint_router"]


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
        request = self.parse_body(schemas.CreateEndpoint, required=True)
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
        request = self.parse_body(schemas.UpdateEndpoint, required=True)
        await self.call(self.endpoint_service.update_endpoint, name, request, self.username)
        self.no_content()

    @web.authenticated
    @authorized
    @audited("DeleteEndpoint", "endpoint")
    async def delete(self, name: str) -> None:
        self.parse_query(NoQuery)
        await self.call(self.endpoint_service.delete_endpoint, name)
        self.endpoint_router.forget_routes(name)  # no request routed to it from now on
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
    """The router's door: Jupyter-authenticated; serving/router.py picks the replica, retries on
    a dead one and counts the invocation for the audit log."""

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        self.parse_query(NoQuery)
        answer = await self.endpoint_router.invoke(
            self.username, name, self.request.body,
            self.request.headers.get("Content-Type", "application/json"))
        self.set_status(answer.status)
        self.set_header("Content-Type", answer.content_type)
        self.set_header("X-Studio-Variant", answer.variant)
        self.write(answer.body)
