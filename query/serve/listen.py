"""Where a service listens: its socket, bound once (a busy port is one error naming the option
to change), the addresses to open, and the wait for its first answer."""

from __future__ import annotations

import errno
import http.client
import socket
import threading
import time
from collections.abc import Callable

from indexer.errors import QueryError

#: Addresses that mean every interface of the machine.
ANY_ADDRESS = ("0.0.0.0", "::", "")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (port 0: a free one), as uvicorn binds it.

    A port in use, an address this machine does not have and a port it may not open are each
    a :class:`QueryError` naming the setting to change.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as err:
        sock.close()
        where = address(host, port)
        if err.errno == errno.EADDRINUSE:
            raise QueryError(
                f"{where} is in use (another server?); choose another port", setting="port"
            ) from err
        if err.errno in (errno.EACCES, errno.EPERM):
            raise QueryError(
                f"{where}: not allowed to listen there; choose a port from 1024 up",
                setting="port",
            ) from err
        if err.errno == errno.EADDRNOTAVAIL:
            raise QueryError(
                f"{where}: this machine has no such address; choose another host", setting="host"
            ) from err
        raise QueryError(f"cannot listen on {where}: {err.strerror or err}") from err
    sock.set_inheritable(True)
    return sock


def address(host: str, port: int) -> str:
    """``host:port``, an IPv6 address in brackets.

    >>> address("127.0.0.1", 8765), address("::1", 80)
    ('127.0.0.1:8765', '[::1]:80')
    """
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def urls(host: str, port: int) -> list[str]:
    """The addresses to open for a service listening on ``host``: itself, or for every
    interface, this machine's name and loopback.

    >>> urls("127.0.0.1", 8765)
    ['http://127.0.0.1:8765/']
    """
    if host in ANY_ADDRESS:
        loopback = "::1" if host == "::" else "127.0.0.1"
        return [
            f"http://{address(socket.gethostname(), port)}/",
            f"http://{address(loopback, port)}/",
        ]
    return [f"http://{address(host, port)}/"]


def when_ready(
    host: str, port: int, ready: Callable[[], None], *, timeout: float = 600.0
) -> threading.Event:
    """Call ``ready`` (on a thread) once the service on ``host``:``port`` answers ``/healthz``;
    set the event returned to stop waiting."""
    stop = threading.Event()
    target = ("::1" if ":" in host else "127.0.0.1") if host in ANY_ADDRESS else host

    def wait() -> None:
        deadline = time.monotonic() + timeout
        while not stop.is_set() and time.monotonic() < deadline:
            if _answers(target, port):
                if not stop.is_set():
                    ready()
                return
            stop.wait(0.1)

    threading.Thread(target=wait, name="ready-check", daemon=True).start()
    return stop


def _answers(host: str, port: int) -> bool:
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()
