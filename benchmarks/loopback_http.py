"""A lean HTTP/1.1 client for load benchmarks: one keep-alive connection on asyncio streams.

The load generator shares the machine with the server it measures, so it must cost little:
a general client (httpx) spends more CPU per request than a quick request costs the server.
This one writes a GET and reads the status line, the headers and a ``Content-Length`` body,
nothing more (a ``Connection: close`` answer closes the connection; the next request opens
another); it talks to loopback addresses only.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlencode


class HttpError(Exception):
    """No well-formed answer: the connection failed or closed, timed out, or the answer was
    not an HTTP/1.1 one with a ``Content-Length`` body."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Connection:
    """One connection to ``host:port`` (a loopback address), opened on first use and again
    after a failure; one request at a time, each answered within ``timeout`` seconds."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"{host} is not a loopback address")
        self.host, self.port, self.timeout = host, port, timeout
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str, params: dict[str, str | int] | None = None) -> Answer:
        target = f"{path}?{urlencode(params)}" if params else path
        request = f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n"
        loop = asyncio.get_running_loop()
        if self._streams is None:
            self._streams = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.timeout
            )
        reader, writer = self._streams
        expired = loop.call_later(self.timeout, writer.transport.abort)
        try:
            writer.write(request.encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status, length, closing = _head(head)
            body = await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as err:
            self.close()
            late = expired.when() <= loop.time()
            raise HttpError(f"no answer in {self.timeout:g} s" if late else repr(err)) from err
        except HttpError:
            self.close()
            raise
        finally:
            expired.cancel()
        if closing:
            self.close()
        return Answer(status, body)

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def _head(head: bytes) -> tuple[int, int, bool]:
    """The status, the body's length, and whether the server closes the connection after it,
    of an answer's head.

    >>> _head(b"HTTP/1.1 200 OK\\r\\ncontent-length: 12\\r\\n\\r\\n")
    (200, 12, False)
    >>> _head(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\n")
    (200, 2, True)
    """
    lines = head.split(b"\r\n")
    if not lines[0].startswith(b"HTTP/1.1 "):
        raise HttpError(f"not an HTTP/1.1 answer: {lines[0][:80]!r}")
    status, length, closing = int(lines[0][9:12]), None, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            closing = b"close" in value.lower()
    if length is None:
        raise HttpError("an answer without Content-Length")
    return status, length, closing
