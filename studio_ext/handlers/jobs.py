"""/studio/api/jobs: submit, list, describe, stop, delete, follow logs, fetch outputs."""

from __future__ import annotations

import mimetypes

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import schemas
from ..exceptions import StudioError
from .base import NoQuery, StudioHandler, audited

# Types a browser should render or a client should parse; everything else is a download.
_CONTENT_TYPES = {
    ".ipynb": "application/x-ipynb+json",
    ".log": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
}


class JobsHandler(StudioHandler):
    @web.authenticated
    @authorized
    @audited("CreateJob", "job")
    async def post(self) -> None:
        self.parse_query(NoQuery)
        request = self.parse_body(schemas.CreateJob, required=True)
        job_id = await self.call(self.job_service.create_job, request, self.username)
        self.audit_resource_id = job_id
        self.write_model(schemas.CreateJobResponse(job_id=job_id), status=201)

    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.parse_query(schemas.ListJobsQuery)
        self.write_model(await self.call(self.job_service.list_jobs, query))


class JobHandler(StudioHandler):
    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        self.parse_query(NoQuery)
        self.write_model(await self.call(self.job_service.describe_job, job_id))

    @web.authenticated
    @authorized
    @audited("DeleteJob", "job")
    async def delete(self, job_id: str) -> None:
        self.parse_query(NoQuery)
        await self.call(self.job_service.delete_job, job_id)
        self.no_content()


class JobStopHandler(StudioHandler):
    @web.authenticated
    @authorized
    @audited("StopJob", "job")
    async def post(self, job_id: str) -> None:
        self.parse_query(NoQuery)
        self.parse_body(NoQuery)  # no body fields today; a non-empty one is a client mistake
        await self.call(self.job_service.stop_job, job_id, self.username)
        self.no_content()


class JobLogsHandler(StudioHandler):
    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        query = self.parse_query(schemas.GetJobLogsQuery)
        logs = await self.call(self.job_service.read_logs, job_id, query.offset, query.max_bytes)
        self.write_model(logs)


class JobOutputHandler(StudioHandler):
    @property
    def content_security_policy(self) -> str:
        # Executed notebooks rendered as HTML may carry scripts: sandbox them so they never run
        # with the Jupyter origin's privileges (cookies, xsrf, the REST API).
        return super().content_security_policy + "; sandbox allow-scripts"

    @web.authenticated
    @authorized
    async def get(self, job_id: str, name: str) -> None:
        query = self.parse_query(schemas.GetJobOutputQuery)
        path = await self.call(self.job_service.output_file, job_id, name)
        content_type = (_CONTENT_TYPES.get(path.suffix.lower())
                        or mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        await self.stream_file(path, content_type, query.download)


class NotebookParametersHandler(StudioHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.parse_query(schemas.NotebookParametersQuery)
        try:
            parameters = await self.call(self.job_service.notebook_parameters, query.path)
        except StudioError as exc:
            # The service names its argument `input`; this route calls it `path`.
            if exc.message.startswith("input:"):
                raise type(exc)("path:" + exc.message[len("input:"):], exc.error_code) from None
            raise
        self.write_model(schemas.NotebookParametersResponse(path=query.path, parameters=parameters))
