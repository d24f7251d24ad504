"""/studio/api/tuning-jobs: hyperparameter tuning jobs (many trial jobs, the best one kept)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import schemas
from .base import NoQuery, StudioHandler, audited


class TuningBase(StudioHandler):
    @property
    def tuning_service(self):
        return self.settings["studio_ext_tuning_service"]


class TuningJobsHandler(TuningBase):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.parse_query(NoQuery)
        self.write_model(await self.call(self.tuning_service.list))

    @web.authenticated
    @authorized
    @audited("CreateTuningJob", "tuning-job")
    async def post(self) -> None:
        self.parse_query(NoQuery)
        request = self.parse_body(schemas.CreateTuningJob, required=True)
        described = await self.call(self.tuning_service.create, request, self.username)
        self.audit_resource_id = described.tuning_job_id
        self.write_model(described, status=201)


class TuningJobHandler(TuningBase):
    @web.authenticated
    @authorized
    async def get(self, tuning_job_id: str) -> None:
        query = self.parse_query(schemas.DescribeTuningJobQuery)
        self.write_model(await self.call(self.tuning_service.describe, tuning_job_id, query.sort_by))


class TuningJobStopHandler(TuningBase):
    @web.authenticated
    @authorized
    @audited("StopTuningJob", "tuning-job")
    async def post(self, tuning_job_id: str) -> None:
        self.parse_query(NoQuery)
        self.parse_body(NoQuery)
        await self.call(self.tuning_service.stop, tuning_job_id, self.username)
        self.no_content()
