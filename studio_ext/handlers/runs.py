"""/studio/api/runs: one run (with its job), metric histories, artifacts (list or download), compare."""

from __future__ import annotations

import mimetypes
import shutil
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import schemas
from .base import NoQuery
from .experiments import MlflowHandler

_CHUNK = 256 * 1024


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
            self.set_header("Content-Type", content_type)
            self.set_header("X-Content-Type-Options", "nosniff")
            disposition = "attachment" if query.download else "inline"
            self.set_header("Content-Disposition", f"{disposition}; filename*=UTF-8''{quote(path.name)}")
            fh = await self.call(open, path, "rb")
            try:
                while True:
                    chunk = await self.call(fh.read, _CHUNK)
                    if not chunk:
                        break
                    self.write(chunk)
                    await self.flush()
            finally:
                fh.close()
        finally:
            await self.call(shutil.rmtree, tmp, True)
        self.finish(set_content_type=content_type)
