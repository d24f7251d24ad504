"""GET /studio/api/audit-events: who did what to which resource, newest first."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import schemas
from .base import StudioHandler


class AuditEventsHandler(StudioHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.parse_query(schemas.ListAuditEventsQuery)
        self.write_model(await self.call(self.audit_service.list_events, query))
