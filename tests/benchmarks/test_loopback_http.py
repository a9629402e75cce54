"""The load benchmarks' HTTP client, against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest

from benchmarks.loopback_http import Connection, HttpError


async def _serve(replies: list[bytes]) -> tuple[asyncio.Server, int, list[bytes]]:
    """A server that answers each request line with the next of ``replies``, keeping the
    connection open; the request heads it read."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while replies:
            try:
                seen.append(await reader.readuntil(b"\r\n\r\n"))
            except asyncio.IncompleteReadError:
                break
            reply = replies.pop(0)
            if not reply:
                break
            writer.write(reply)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], seen


def test_keep_alive_gets_status_and_body_and_a_closed_connection_is_an_error():
    async def run() -> None:
        ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n"
        replies = [ok + b'{"a":1}', b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\nno", b""]
        server, port, seen = await _serve(replies)
        async with server:
            connection = Connection("127.0.0.1", port, timeout=5)
            first = await connection.get("/api/x/neighbors", {"word": "bank", "k": 3})
            assert (first.status, first.body, first.is_success) == (200, b'{"a":1}', True)
            second = await connection.get("/missing")
            assert (second.status, second.text, second.is_success) == (404, "no", False)
            with pytest.raises(HttpError):
                await connection.get("/closed")
            connection.close()
        assert seen[0].startswith(b"GET /api/x/neighbors?word=bank&k=3 HTTP/1.1\r\n")
        assert len(seen) == 3  # one connection carried all three

    asyncio.run(run())


def test_no_answer_in_time_is_an_error_naming_the_timeout():
    async def run() -> None:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(5)
            writer.close()

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        async with server:
            connection = Connection("127.0.0.1", server.sockets[0].getsockname()[1], 0.3)
            with pytest.raises(HttpError, match=r"no answer in 0\.3 s"):
                await connection.get("/")

    asyncio.run(run())


def test_only_loopback_addresses():
    with pytest.raises(ValueError, match="not a loopback"):
        Connection("10.0.0.1", 80, timeout=1)


def test_an_answer_that_closes_its_connection_is_followed_by_a_new_one():
    async def run() -> None:
        connections: list[int] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            connections.append(len(connections))
            while True:
                try:
                    await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                await writer.drain()
                break  # the server closes, as the answer said
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        async with server:
            connection = Connection("127.0.0.1", server.sockets[0].getsockname()[1], timeout=5)
            for _ in range(3):
                answer = await connection.get("/")
                assert (answer.status, answer.text) == (200, "ok")
            connection.close()
        assert connections == [0, 1, 2]  # a new connection for each request, and no error

    asyncio.run(run())
