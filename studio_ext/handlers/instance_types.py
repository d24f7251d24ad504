"""GET /studio/api/instance-types: the catalog jobs may run on."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import schemas
from .base import NoQuery, StudioHandler


class InstanceTypesHandler(StudioHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.parse_query(NoQuery)
        catalog = self.studio_settings.instance_types
        self.write_model(schemas.ListInstanceTypesResponse(items=list(catalog.values())))

