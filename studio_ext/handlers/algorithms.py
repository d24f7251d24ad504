"""GET /studio/api/algorithms[/{name}]: the built-in algorithm catalog (train one with an algorithm job)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .. import schemas
from ..exceptions import NotFound
from .base import NoQuery, StudioHandler


def _catalog():
    from .. import algorithms  # scikit-learn and friends: imported on the first request only

    return algorithms


class AlgorithmsHandler(StudioHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.parse_query(NoQuery)
        specs = await self.call(lambda: [a.spec() for a in _catalog().catalog()])
        self.write_model(schemas.ListAlgorithmsResponse(items=specs))


class AlgorithmHandler(StudioHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.parse_query(NoQuery)
        algorithm = await self.call(_catalog().get, name)
        if algorithm is None:
            raise NotFound(f"name: no built-in algorithm {name!r}; GET /studio/api/algorithms lists them")
        self.write_model(algorithm.spec())
