"""/studio/api/models: the model registry (models, versions, aliases) and reproducing a version's job."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import schemas
from .base import NoQuery, audited
from .experiments import MlflowHandler


class ModelsHandler(MlflowHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        query = self.parse_query(schemas.ListModelsQuery)
        self.write_model(await self.call(self.registry_service.list_models, query))

    @web.authenticated
    @authorized
    @audited("CreateModelVersion", "model-version")
    async def post(self) -> None:
        self.parse_query(NoQuery)
        request = self.parse_body(schemas.CreateModelVersion, required=True)
        self.audit_resource_id = request.name
        version = await self.call(self.registry_service.register, request)
        self.audit_resource_id = f"{version.name}/{version.version}"
        self.write_model(version, status=201)


class ModelHandler(MlflowHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.parse_query(NoQuery)
        self.write_model(await self.call(self.registry_service.get_model, name))

    @web.authenticated
    @authorized
    @audited("UpdateRegisteredModel", "registered-model")
    async def patch(self, name: str) -> None:
        self.parse_query(NoQuery)
        request = self.parse_body(schemas.UpdateRegisteredModel, required=True)
        await self.call(self.registry_service.update_model, name, request)
        self.no_content()

    @web.authenticated
    @authorized
    @audited("DeleteRegisteredModel", "registered-model")
    async def delete(self, name: str) -> None:
        self.parse_query(NoQuery)
        await self.call(self.registry_service.delete_model, name)
        self.no_content()


class ModelVersionHandler(MlflowHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str, version: str) -> None:
        self.parse_query(NoQuery)
        self.write_model(await self.call(self.registry_service.get_version, name, version))

    @web.authenticated
    @authorized
    @audited("UpdateModelVersion", "model-version")
    async def patch(self, name: str, version: str) -> None:
        self.audit_resource_id = f"{name}/{version}"
        self.parse_query(NoQuery)
        request = self.parse_body(schemas.UpdateModelVersion, required=True)
        await self.call(self.registry_service.update_version, name, version, request)
        self.no_content()


class ModelAliasHandler(MlflowHandler):
    @web.authenticated
    @authorized
    @audited("SetModelAlias", "model-alias")
    async def put(self, name: str, alias: str) -> None:
        self.audit_resource_id = f"{name}@{alias}"
        self.parse_query(NoQuery)
        request = self.parse_body(schemas.SetModelAlias, required=True)
        await self.call(self.registry_service.set_alias, name, alias, request.version)
        self.no_content()

    @web.authenticated
    @authorized
    @audited("DeleteModelAlias", "model-alias")
    async def delete(self, name: str, alias: str) -> None:
        self.audit_resource_id = f"{name}@{alias}"
        self.parse_query(NoQuery)
        await self.call(self.registry_service.delete_alias, name, alias)
        self.no_content()


class ModelVersionReproduceHandler(MlflowHandler):
    @web.authenticated
    @authorized
    @audited("ReproduceModelVersion", "model-version")
    async def post(self, name: str, version: str) -> None:
        self.audit_resource_id = f"{name}/{version}"
        self.parse_query(NoQuery)
        self.parse_body(NoQuery)
        result = await self.call(self.lineage_service.reproduce_model_version, name, version, self.username)
        self.write_model(result, status=201)


class JobReproduceHandler(MlflowHandler):
    @web.authenticated
    @authorized
    @audited("ReproduceJob", "job")
    async def post(self, job_id: str) -> None:
        self.parse_query(NoQuery)
        self.parse_body(NoQuery)
        result = await self.call(self.lineage_service.reproduce_job, job_id, self.username)
        self.write_model(result, status=201)
