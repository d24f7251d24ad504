"""/studio/mlflow/...: the MLflow UI, proxied behind Jupyter's authentication to a loopback `mlflow server`."""

from __future__ import annotations

from urllib.parse import urlsplit

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import JupyterHandler
from tornado import httpclient, web
from tornado.ioloop import IOLoop

# Hop-by-hop headers and those the proxy recomputes; never forwarded either way.
_SKIP_REQUEST = frozenset({"host", "connection", "keep-alive", "proxy-authorization", "te", "trailers",
                           "transfer-encoding", "upgrade", "content-length", "authorization", "cookie",
                           "origin", "referer", "accept-encoding"})
_SKIP_RESPONSE = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "server",
                            "date", "content-encoding"})

_STARTING_PAGE = """<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>Starting MLflow</title></head><body style="font-family: sans-serif; margin: 3em">
<h2>Starting the MLflow UI&hellip;</h2><p>{detail}</p><p>This page reloads by itself.</p></body></html>"""


class MlflowUIHandler(JupyterHandler):
    """Forwards every method to the supervised MLflow server; starts it on the first visit.

    The browser reaches it with the Jupyter session cookie (or a token), like the rest of the lab.
    MLflow's own UI posts JSON without Jupyter's xsrf token, so for those requests the
    same-origin check below stands in for the xsrf check.
    """

    auth_resource = "studio"

    @property
    def ui_server(self):
        return self.settings["studio_ext_mlflow_ui"]

    def check_xsrf_cookie(self) -> None:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return
        if self.request.headers.get("Authorization"):  # token auth is not a browser session
            return
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
                detail = server.error or "The MLflow server is starting (it can take half a minute)."
                self.finish(_STARTING_PAGE.format(detail=web.escape.xhtml_escape(detail)))
            else:
                self.finish({"error_code": "ServiceUnavailable",
                             "message": server.error or "the MLflow UI server is starting; retry shortly"})
            return
        # The child serves under the same (still percent-encoded) path as we do: forward the URI as is.
        url = server.upstream + self.request.uri
        headers = {k: v for k, v in self.request.headers.get_all() if k.lower() not in _SKIP_REQUEST}
        body = self.request.body if self.request.method in ("POST", "PUT", "PATCH", "DELETE") else None
        if self.request.method in ("POST", "PUT", "PATCH") and body is None:
            body = b""
        request = httpclient.HTTPRequest(url, method=self.request.method, headers=headers, body=body,
                                         follow_redirects=False, request_timeout=300,
                                         allow_nonstandard_methods=True, decompress_response=True)
        try:
            response = await httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
        except OSError as exc:  # the child died between the health check and now
            server.state = "failed"
            server.error = f"MLflow UI server unreachable: {exc}"
            raise web.HTTPError(502, server.error) from None
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
