"""/studio/api/runs: one run (with its job), metric histories, artifacts (list or download), compare."""

from __future__ import annotations

import mimetypes
import shutil

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import schemas
from .base import NoQuery
from .experiments import MlflowHandler


class RunsCompareHandler(MlflowHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.parse_query(schemas.CompareRunsQuery)
        self.write_model(await self.call(self.experiment_service.compare_runs, query.run_ids.split(",")))


class RunHandler(MlflowHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        self.parse_query(NoQuery)
        self.write_model(await self.call(self.experiment_service.get_run, run_id))


class RunMetricHistoryHandler(MlflowHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str, key: str) -> None:
        self.parse_query(NoQuery)
        self.write_model(await self.call(self.experiment_service.metric_history, run_id, key))


class RunArtifactsHandler(MlflowHandler):
    @property
    def content_security_policy(self) -> str:
        # An artifact may be HTML with scripts: never let it run with the Jupyter origin's rights.
        return super().content_security_policy + "; sandbox allow-scripts"

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        query = self.parse_query(schemas.ListArtifactsQuery)
        listing = await self.call(self.experiment_service.list_artifacts, run_id, query.path)
        if listing is not None:
            self.write_model(listing)
            return
        path, tmp = await self.call(self.experiment_service.download_artifact, run_id, query.path)
        try:
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            await self.stream_file(path, content_type, query.download)
        finally:
            await self.call(shutil.rmtree, tmp, True)
