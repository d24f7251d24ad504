"""/studio/mlflow/...: the MLflow UI, proxied behind Jupyter's authentication to a private `mlflow server`."""

from __future__ import annotations

import json
import socket
import time
from http.client import responses
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import JupyterHandler
from tornado import httpclient, web
from tornado.ioloop import IOLoop
from tornado.netutil import Resolver

from .. import schemas
from .base import STATUS_TO_ERROR_CODE, username_of

# Hop-by-hop headers and those the proxy recomputes; never forwarded either way.
_SKIP_REQUEST = frozenset({"host", "connection", "keep-alive", "proxy-authorization", "te", "trailers",
                           "transfer-encoding", "upgrade", "content-length", "authorization", "cookie",
                           "origin", "referer", "accept-encoding"})
_SKIP_RESPONSE = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "server",
                            "date", "content-encoding"})

# Query arguments that carry Jupyter credentials: never forwarded (nor logged by the child).
_CREDENTIAL_QUERY_ARGS = frozenset({"token", "_xsrf"})
_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class UnixSocketResolver(Resolver):
    """Resolves every host to one Unix socket: tornado's TCP client then connects there."""

    def initialize(self, socket_path: str) -> None:  # type: ignore[override]
        self.socket_path = socket_path

    async def resolve(self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC):
        return [(socket.AF_UNIX, self.socket_path)]


_clients: dict[tuple[int, str], httpclient.AsyncHTTPClient] = {}


def _client_for(socket_path: str | None) -> httpclient.AsyncHTTPClient:
    """The shared client, or one per (IOLoop, socket) that connects to that Unix socket."""
    if socket_path is None:
        return httpclient.AsyncHTTPClient()
    key = (id(IOLoop.current()), socket_path)
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = httpclient.AsyncHTTPClient(
            force_instance=True, resolver=UnixSocketResolver(socket_path=socket_path))
    return client


def without_credentials(uri: str) -> str:
    """`uri` without the query arguments that carry Jupyter credentials."""
    parts = urlsplit(uri)
    if not parts.query:
        return uri
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _CREDENTIAL_QUERY_ARGS]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _is_read(path: str) -> bool:
    """MLflow's searches are POSTs too (experiments/search, runs/search, ...): not mutations."""
    last = path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return "search" in last or last.startswith(("get", "list"))


_STARTING_PAGE = """<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>Starting MLflow</title></head><body style="font-family: sans-serif; margin: 3em">
<h2>Starting the MLflow UI&hellip;</h2><p>{detail}</p><p>This page reloads by itself.</p></body></html>"""


class MlflowUIHandler(JupyterHandler):
    """Forwards every method to the supervised MLflow server; starts it on the first visit.

    The browser reaches it with the Jupyter session cookie (or a token), like the rest of the lab.
    MLflow's own UI posts JSON without Jupyter's xsrf token, so for those requests the
    same-origin check below stands in for the xsrf check. Credentials never reach the child (the
    Authorization and Cookie headers and the `token` query argument are dropped), and every
    mutating request is recorded in the studio's audit log (action `MlflowRequest`, the MLflow
    API path as the resource) with its outcome.
    """

    auth_resource = "studio"

    @property
    def ui_server(self):
        return self.settings["studio_ext_mlflow_ui"]

    def check_xsrf_cookie(self) -> None:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return
        if self.request.headers.get("Authorization") or self.get_query_argument("token", None):
            return  # token auth is not a browser session (a forged page cannot know the token)
        source = self.request.headers.get("Origin") or self.request.headers.get("Referer")
        if not source or urlsplit(source).netloc != self.request.host:
            raise web.HTTPError(403, "cross-origin request to the MLflow UI refused")

    async def _proxy(self, path: str) -> None:
        server = self.ui_server
        state = await self._ensure_started(server)
        if state != "ready":
            self.set_status(503 if state != "failed" else 502)
            self.set_header("Retry-After", "2")
            if "text/html" in self.request.headers.get("Accept", ""):
                self.set_header("Content-Type", "text/html; charset=utf-8")
                detail = server.error or self._starting_detail(server)
                self.finish(_STARTING_PAGE.format(detail=web.escape.xhtml_escape(detail)))
            else:
                self.finish({"error_code": "ServiceUnavailable",
                             "message": server.error or "the MLflow UI server is starting; retry shortly"})
            return
        # The child serves under the same (still percent-encoded) path as we do: forward the URI as
        # is, less Jupyter's credentials.
        url = server.upstream + without_credentials(self.request.uri or "")
        headers = {k: v for k, v in self.request.headers.get_all() if k.lower() not in _SKIP_REQUEST}
        body = self.request.body if self.request.method in ("POST", "PUT", "PATCH", "DELETE") else None
        if self.request.method in ("POST", "PUT", "PATCH") and body is None:
            body = b""
        request = httpclient.HTTPRequest(url, method=self.request.method, headers=headers, body=body,
                                         follow_redirects=False, request_timeout=300,
                                         allow_nonstandard_methods=True, decompress_response=True)
        try:
            response = await _client_for(server.socket_path).fetch(request, raise_error=False)
        except OSError as exc:  # the child died between the health check and now
            server.state = "failed"
            server.error = f"MLflow UI server unreachable: {exc}"
            await self._audit(path, 502)
            raise web.HTTPError(502, server.error) from None
        await self._audit(path, response.code)
        self.set_status(response.code, response.reason)
        for name, value in response.headers.get_all():
            lower = name.lower()
            if lower == "set-cookie":  # may repeat
                self.add_header(name, value)
            elif lower not in _SKIP_RESPONSE:
                self.set_header(name, value)
        if response.code not in (204, 304) and response.body:
            self.write(response.body)
        self.finish()

    @staticmethod
    def _starting_detail(server) -> str:
        since = getattr(server, "spawned_at", None)
        elapsed = f" ({time.monotonic() - since:.0f} s so far)" if since is not None else ""
        return (f"The MLflow server is starting{elapsed}. The first start takes 15 to 60 seconds, "
                "longer on a busy machine; later visits are instant.")

    def _log(self) -> None:
        # Jupyter logs every 5xx at error level with the request's headers: the 503s of a page that
        # reloads itself while the UI server starts are expected, so they are logged once, briefly.
        if self.get_status() == 503 and self.ui_server.state == "starting":
            if not getattr(self.ui_server, "_start_logged", False):
                self.ui_server._start_logged = True
                self.log.info("studio: the MLflow UI server is starting; /studio/mlflow/ answers 503 until it is up")
            return
        super()._log()

    async def _audit(self, path: str, status: int) -> None:
        if self.request.method not in _MUTATING or _is_read(path):
            return
        outcome = schemas.AuditOutcome.SUCCESS if status < 400 else schemas.AuditOutcome.FAILURE
        audit = self.settings["studio_ext_audit_service"]
        try:
            await IOLoop.current().run_in_executor(
                None, audit.record, username_of(self.current_user), "MlflowRequest", "mlflow",
                path.split("?", 1)[0][:500], outcome, {"method": self.request.method, "status": status})
        except Exception:  # the audit log failing must not hide the answer itself
            self.log.exception("studio: could not record the MLflow request %s %s", self.request.method, path)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """`{"error_code", "message"}` like the REST API (Jupyter's HTML error page needs a user
        this handler may not have yet: a refused xsrf check happens before authentication)."""
        exc = kwargs["exc_info"][1] if kwargs.get("exc_info") else None
        message = getattr(exc, "log_message", None) or responses.get(status_code, "error")
        code = STATUS_TO_ERROR_CODE.get(status_code, "InternalError")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error_code": code, "message": message}))

    async def _ensure_started(self, server) -> str:
        proc = server.proc
        if server.state == "ready" and proc is not None and proc.poll() is None:
            return "ready"
        # Spawning the child blocks briefly: keep it off the event loop.
        await IOLoop.current().run_in_executor(None, server.ensure_started)
        return server.state

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        await self._proxy(path)

    @web.authenticated
    @authorized
    async def post(self, path: str) -> None:
        await self._proxy(path)

    @web.authenticated
    @authorized
    async def put(self, path: str) -> None:
        await self._proxy(path)

    @web.authenticated
    @authorized
    async def patch(self, path: str) -> None:
        await self._proxy(path)

    @web.authenticated
    @authorized
    async def delete(self, path: str) -> None:
        await self._proxy(path)

    @web.authenticated
    @authorized
    async def head(self, path: str) -> None:
        await self._proxy(path)


class MlflowUIRedirectHandler(JupyterHandler):
    """/studio/mlflow -> /studio/mlflow/ (the UI's relative URLs need the slash)."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        self.redirect(self.request.path + "/")

    auth_resource = "studio"
