"""Who may ask and how much: the bearer token (and the page's cookie), and the body size.

With a token, every request but ``/healthz`` needs ``Authorization: Bearer TOKEN`` or the
cookie the login form sets (for the web page, whose own requests a browser cannot give a
header); without one the answer is 401. Bodies over the bound are refused with 413 before
they are read whole.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "elmo_index_token"
OPEN_PATHS = ("/healthz", "/login")

LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>elmo-sense-index: sign in</title></head>
<body><main><h1>elmo-sense-index</h1>
<form method="post" action="/login">
<label for="token">Access token</label> <input id="token" name="token" type="password" required>
<button type="submit">Sign in</button></form></main></body></html>
"""


def error(status: int, message: str, parameter: str | None = None) -> JSONResponse:
    """The one shape of every error answer."""
    return JSONResponse({"error": {"parameter": parameter, "message": message}}, status_code=status)


def authorized(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    given = header[7:] if header.lower().startswith("bearer ") else request.cookies.get(COOKIE, "")
    return hmac.compare_digest(given.encode(), token.encode())


class Guard:
    """The ASGI middleware: the token check, then the body bound (a plain ASGI layer, not
    Starlette's ``BaseHTTPMiddleware``, which costs a task per request)."""

    def __init__(self, app: ASGIApp, token: str | None, body_bytes: int) -> None:
        self.app = app
        self.token = token
        self.body_bytes = body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(Request(scope))
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def refusal(self, request: Request) -> Response | None:
        token, body_bytes = self.token, self.body_bytes
        open_path = request.url.path in OPEN_PATHS
        if token is not None and not open_path and not authorized(request, token):
            if request.url.path == "/" and request.method == "GET":
                return HTMLResponse(LOGIN_PAGE, status_code=401)
            return error(401, "a bearer token is needed: Authorization: Bearer TOKEN")
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > body_bytes):
            return error(413, f"the request body is over {body_bytes} bytes", "body")
        if request.method in ("POST", "PUT", "PATCH") and length is None:
            return error(411, "a request body needs a Content-Length", "body")
        return None


async def login(request: Request, token: str | None) -> Response:
    """``POST /login``: the form's token, checked, becomes an HttpOnly cookie."""
    if token is None:
        return Response(status_code=303, headers={"location": "/"})
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    given = form.get("token", [""])[-1]
    if not hmac.compare_digest(given.encode(), token.encode()):
        return HTMLResponse(LOGIN_PAGE, status_code=401)
    response = Response(status_code=303, headers={"location": "/"})
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
    return response
