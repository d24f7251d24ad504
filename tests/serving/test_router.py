"""The invocation router against replicas that misbehave: it never answers 500 for a replica's failure.

The "replicas" here are small asyncio servers that close the connection mid-request, never answer,
or answer normally: the faults a real replica shows when it dies or hangs, caused on purpose.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from studio_ext.exceptions import BadGateway, GatewayTimeout, PayloadTooLarge, ServiceUnavailable
from studio_ext.serving.router import EndpointRouter


class FakeReplica:
    """A loopback server that, per request: 'ok' answers 200, 'close' closes without an answer,
    'hang' never answers (until the test ends it). `seen`: the raw requests it read."""

    def __init__(self, behaviour: str):
        self.behaviour = behaviour
        self.seen: list[bytes] = []
        self.release = asyncio.Event()
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    async def __aenter__(self) -> FakeReplica:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self.release.set()  # a hanging handler ends and closes its connection
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length")), b"0"))
            self.seen.append(head + await reader.readexactly(length))
            if self.behaviour == "ok":
                body = b'{"predictions": [1]}'
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
            elif self.behaviour == "hang":
                await self.release.wait()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except ConnectionError:
                pass


def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def router_for(*ports: int, **kwargs) -> EndpointRouter:
    return EndpointRouter(lambda name: [(1.0, port, "v1") for port in ports], None, "t0ken", **kwargs)


async def test_given_a_healthy_replica_then_the_answer_is_passed_on_with_the_replica_token():
    async with FakeReplica("ok") as replica:
        answer = await router_for(replica.port).invoke("alice", "ep", b'{"instances": [[1]]}', "application/json")
    assert (answer.status, answer.body, answer.variant) == (200, b'{"predictions": [1]}', "v1")
    assert b"Authorization: Bearer t0ken" in replica.seen[0]


async def test_given_a_body_over_the_payload_limit_then_413_and_no_replica_sees_it():
    async with FakeReplica("ok") as replica:
        with pytest.raises(PayloadTooLarge, match="at most 1000 bytes"):
            await router_for(replica.port, max_payload_bytes=1000).invoke("alice", "ep", b"x" * 1001, "text/csv")
    assert replica.seen == []


async def test_given_replicas_that_close_the_connection_then_502_naming_the_endpoint():
    async with FakeReplica("close") as first, FakeReplica("close") as second:
        with pytest.raises(BadGateway, match="endpoint 'ep': the replica closed the connection"):
            await router_for(first.port, second.port).invoke("alice", "ep", b"{}", "application/json")
    assert len(first.seen) == len(second.seen) == 1  # the other replica was tried too


async def test_given_a_replica_that_does_not_answer_then_504_after_the_timeout():
    async with FakeReplica("hang") as replica:
        with pytest.raises(GatewayTimeout, match="did not answer within 0.5 s"):
            await router_for(replica.port, timeout_seconds=0.5).invoke("alice", "ep", b"{}", "application/json")


async def test_given_replicas_that_refuse_then_503_and_a_live_one_takes_over():
    with pytest.raises(ServiceUnavailable, match="no replica took the request"):
        await router_for(refused_port()).invoke("alice", "ep", b"{}", "application/json")
    async with FakeReplica("ok") as replica:
        answer = await router_for(refused_port(), replica.port).invoke("alice", "ep", b"{}", "application/json")
    assert answer.status == 200
