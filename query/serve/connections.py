"""Keep-alive connections spread over the processes of ``--workers N``.

Every process accepts from the one listening socket, and a new connection goes to whichever
takes it first; a keep-alive connection would then stay with that process for good, so most of
the clients can end up on one process while another idles. :class:`Recycle` closes each
connection with its first answer after it has been open ``seconds`` (``Connection: close``,
like nginx's ``keepalive_time``), and its client opens a new one. Every process so loses its
connections at a rate in proportion to how many it holds, and each new connection goes to
either; the counts even out within a few ``seconds``, the faster as a process waiting in its
event loop is the first to accept.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Connections followed at once; the longest unused is forgotten first (and then counted as
#: new when it is seen again).
COUNTED = 4096
CLOSE = (b"connection", b"close")


class Recycle:
    """The ASGI middleware that closes a connection with its first answer after ``seconds``.

    A connection is known by its client's address and port (``scope["client"]``); its age
    counts from its first request seen."""

    def __init__(
        self, app: ASGIApp, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not seconds > 0:
            raise ValueError(f"seconds must be above 0, got {seconds}")
        self.app = app
        self.seconds = seconds
        self.clock = clock
        self.opened: OrderedDict[tuple[str, int], float] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client") if scope["type"] == "http" else None
        if client is None:
            await self.app(scope, receive, send)
            return
        key, now = (str(client[0]), int(client[1])), self.clock()
        opened = self.opened.pop(key, now)
        if now - opened < self.seconds:
            self.opened[key] = opened
            if len(self.opened) > COUNTED:
                self.opened.popitem(last=False)
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), CLOSE]}
            await send(message)

        await self.app(scope, receive, closing)
