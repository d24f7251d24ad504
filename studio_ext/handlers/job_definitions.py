"""/studio/api/job-definitions: schedules (create, list, describe, edit, pause, delete, runs)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import schemas
from ..exceptions import InvalidParameter
from .base import NoQuery, StudioHandler, audited


class JobDefinitionsHandler(StudioHandler):
    @web.authenticated
    @authorized
    @audited("CreateJobDefinition", "job-definition")
    async def post(self) -> None:
        self.parse_query(NoQuery)
        request = self.parse_body(schemas.CreateJobDefinition, required=True)
        definition_id = await self.call(self.schedule_service.create, request, self.username)
        self.audit_resource_id = definition_id
        self.write_model(schemas.CreateJobDefinitionResponse(job_definition_id=definition_id), status=201)

    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.parse_query(schemas.ListJobDefinitionsQuery)
        self.write_model(await self.call(self.schedule_service.list, query))


class JobDefinitionHandler(StudioHandler):
    @web.authenticated
    @authorized
    async def get(self, job_definition_id: str) -> None:
        self.parse_query(NoQuery)
        self.write_model(await self.call(self.schedule_service.describe, job_definition_id))

    @web.authenticated
    @authorized
    @audited("UpdateJobDefinition", "job-definition")
    async def patch(self, job_definition_id: str) -> None:
        self.parse_query(NoQuery)
        request = self.parse_body(schemas.UpdateJobDefinition, required=True)
        await self.call(self.schedule_service.update, job_definition_id, request)
        self.no_content()

    @web.authenticated
    @authorized
    @audited("DeleteJobDefinition", "job-definition")
    async def delete(self, job_definition_id: str) -> None:
        self.parse_query(NoQuery)
        await self.call(self.schedule_service.delete, job_definition_id)
        self.no_content()


class JobDefinitionJobsHandler(StudioHandler):
    """The runs a schedule created: the jobs list, filtered to this definition."""

    @web.authenticated
    @authorized
    async def get(self, job_definition_id: str) -> None:
        query = self.parse_query(schemas.ListJobsQuery)
        if query.job_definition_id not in (None, job_definition_id):
            raise InvalidParameter("job_definition_id: already given by the path; drop the query parameter")
        # The schedule service answers 404 for a definition that never existed (not an empty list
        # that hides a typo) and still lists the runs of a deleted one.
        self.write_model(await self.call(self.schedule_service.list_runs, job_definition_id, query))
