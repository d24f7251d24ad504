"""GET /studio/api/audit-events: who did what to which resource, newest first; .../verify checks the
hash chain that makes the log tamper-evident."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import schemas
from .base import NoQuery, StudioHandler


class AuditEventsHandler(StudioHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.parse_query(schemas.ListAuditEventsQuery)
        self.write_model(await self.call(self.audit_service.list_events, query))


class AuditVerifyHandler(StudioHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.parse_query(NoQuery)
        self.write_model(await self.call(self.audit_service.verify))
