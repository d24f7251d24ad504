"""GET /studio/api/algorithms[/{name}]: the built-in algorithm catalog (train one with an algorithm job), and
POST /studio/api/algorithms/{name}/channel-preview: a channel's first rows as that algorithm reads them."""

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


class ChannelPreviewHandler(StudioHandler):
    # A read (nothing changes, so no audit event), but a POST: the channel is a body like a job's.
    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        self.parse_query(NoQuery)
        request = self.parse_body(schemas.PreviewChannelRequest)
        self.write_model(await self.call(self.job_service.preview_channel, name, request))
