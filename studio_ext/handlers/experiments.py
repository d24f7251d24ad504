"""/studio/api/experiments: list and describe MLflow experiments, search their runs."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import schemas
from .base import NoQuery, StudioHandler


class MlflowHandler(StudioHandler):
    """Base of the experiments/runs/models handlers: reaches their services through settings."""

    @property
    def experiment_service(self):
        return self.settings["studio_ext_experiment_service"]

    @property
    def registry_service(self):
        return self.settings["studio_ext_registry_service"]

    @property
    def lineage_service(self):
        return self.settings["studio_ext_lineage_service"]


class ExperimentsHandler(MlflowHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.parse_query(schemas.ListExperimentsQuery)
        self.write_model(await self.call(self.experiment_service.list_experiments, query))


class ExperimentHandler(MlflowHandler):
    @web.authenticated
    @authorized
    async def get(self, experiment_id: str) -> None:
        self.parse_query(NoQuery)
        self.write_model(await self.call(self.experiment_service.get_experiment, experiment_id))


class ExperimentRunsHandler(MlflowHandler):
    @web.authenticated
    @authorized
    async def get(self, experiment_id: str) -> None:
        query = self.parse_query(schemas.SearchRunsQuery)
        self.write_model(await self.call(self.experiment_service.search_runs, experiment_id, query))
