"""Security headers for both services: a Content-Security-Policy per kind of page, no sniffing, no framing.

The sync service answers JSON, so its policy forbids everything except on the API docs pages,
which load Swagger UI / ReDoc from jsDelivr. The dashboard's policy is the least Bokeh and Panel
work with: their documents are started by inline scripts, BokehJS compiles some callbacks with
`new Function` and loads some modules from blob: URLs; everything else is same-origin.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tornado.httputil import HTTPHeaders
from tornado.web import OutputTransform

_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'"
)
DASHBOARD_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_DOCS_PATHS = ("/docs", "/redoc")


def headers_for(policy: str) -> dict[str, str]:
    """Every security header, with `policy` as the Content-Security-Policy."""
    return {**_COMMON, "Content-Security-Policy": policy}


class SecurityHeadersMiddleware:
    """ASGI middleware adding the headers to every HTTP response of the sync service."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"].startswith(_DOCS_PATHS) else API_POLICY
        extra = [(name.lower().encode(), value.encode()) for name, value in headers_for(policy).items()]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


class DashboardSecurityHeaders(OutputTransform):
    """Tornado output transform adding the headers to every response of the dashboard server."""

    def transform_first_chunk(
        self, status_code: int, headers: HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, HTTPHeaders, bytes]:
        for name, value in headers_for(DASHBOARD_POLICY).items():
            headers.setdefault(name, value)
        return status_code, headers, chunk
