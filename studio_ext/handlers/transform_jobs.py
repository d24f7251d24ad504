"""/studio/api/transform-jobs: batch transform jobs (score files with a registered model)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import schemas
from .base import NoQuery, StudioHandler, audited


class TransformBase(StudioHandler):
    @property
    def transform_service(self):
        return self.settings["studio_ext_transform_service"]


class TransformJobsHandler(TransformBase):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.parse_query(NoQuery)
        self.write_model(await self.call(self.transform_service.list))

    @web.authenticated
    @authorized
    @audited("CreateTransformJob", "transform-job")
    async def post(self) -> None:
        self.parse_query(NoQuery)
        request = self.parse_body(schemas.CreateTransformJob, required=True)
        described = await self.call(self.transform_service.create, request, self.username)
        self.audit_resource_id = described.transform_job_id
        self.write_model(described, status=201)


class TransformJobHandler(TransformBase):
    @web.authenticated
    @authorized
    async def get(self, transform_job_id: str) -> None:
        self.parse_query(NoQuery)
        self.write_model(await self.call(self.transform_service.describe, transform_job_id))

    @web.authenticated
    @authorized
    @audited("DeleteTransformJob", "transform-job")
    async def delete(self, transform_job_id: str) -> None:
        self.parse_query(NoQuery)
        await self.call(self.transform_service.delete, transform_job_id)
        self.no_content()
