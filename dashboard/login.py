"""Sign-in at /login against the users in the database, sign-out at /logout.

Panel's `BasicAuthProvider` does the cookie plumbing (a `user` cookie signed with the secret
key, checked on every HTTP and websocket request); Glance replaces only its login and logout
pages, so passwords are checked with argon2 against `app_user` instead of a shared password.
"""

from __future__ import annotations

import asyncio
import html

import structlog
from panel.auth import BasicAuthProvider
from panel.config import config
from sqlalchemy.exc import SQLAlchemyError
from tornado.web import RequestHandler

from dashboard.assets import asset_url
from dashboard.login_throttle import get_throttle
from dashboard.text import Translator, choose_language
from services.auth import authenticate
from services.runtime.database import session_scope

log = structlog.get_logger(__name__)
USER_COOKIE = "user"

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Glance</title><link rel="stylesheet" href="{css}"></head>
<body class="login glance"><main>{body}</main></body></html>"""

_FORM = """<form method="post" action="/login">
<h1>{title}</h1>{message}
<label for="username">{username}</label><input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">{password}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="{next}">
<button type="submit">{submit}</button></form>"""


def safe_next(url: str | None) -> str:
    """Only same-site paths, so the login page cannot be used to send people elsewhere."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url or url.startswith("/login"):
        return "/"
    return url


def _check_password(username: str, password: str) -> str | None:
    with session_scope() as session:
        user = authenticate(session, username=username, password=password)
        return user.username if user is not None else None


class LoginHandler(RequestHandler):
    """GET shows the form; POST checks the password and sets the signed `user` cookie."""

    def _translator(self) -> Translator:
        return Translator(choose_language(None, self.request.headers.get("Accept-Language")))

    def _render(self, *, next_url: str, message: str = "", status: int = 200) -> None:
        tr = self._translator()
        note = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
        form = _FORM.format(
            title=tr("login.title"),
            message=note,
            username=tr("login.username"),
            password=tr("login.password"),
            submit=tr("login.submit"),
            next=html.escape(next_url, quote=True),
        )
        self.set_status(status)
        self.set_header("Cache-Control", "no-store")
        self.write(_PAGE.format(lang=tr.language, css=asset_url("glance.css"), body=form))

    def get(self) -> None:
        self._render(next_url=safe_next(self.get_argument("next", "/")))

    async def post(self) -> None:
        username = self.get_argument("username", "").strip()
        password = self.get_argument("password", "")
        next_url = safe_next(self.get_argument("next", "/"))
        tr = self._translator()
        address = self.request.remote_ip or ""
        throttle = get_throttle()
        # Off the event loop: the shared count is a Redis call (bounded by its timeouts, but not free).
        wait_s = await asyncio.to_thread(throttle.retry_after, username=username, address=address)
        if wait_s > 0:
            log.warning("login_throttled", username=username, address=address)
            self.set_header("Retry-After", str(int(wait_s) + 1))
            self._render(next_url=next_url, message=tr("login.throttled", seconds=int(wait_s) + 1), status=429)
            return
        try:
            # argon2 takes tens of milliseconds by design: keep it off the event loop.
            found = await asyncio.to_thread(_check_password, username, password)
        except SQLAlchemyError as exc:
            log.error("login_database_error", error=str(exc).splitlines()[0])
            self._render(next_url=next_url, message=tr("login.unavailable"), status=503)
            return
        if found is None:
            await asyncio.to_thread(throttle.failed, username=username, address=address)
            log.info("login_failed", username=username, address=address)
            self._render(next_url=next_url, message=tr("login.failed"), status=401)
            return
        await asyncio.to_thread(throttle.succeeded, username=username, address=address)
        log.info("login", username=found)
        self.clear_cookie("is_guest")
        self.set_secure_cookie(
            USER_COOKIE,
            found,
            expires_days=config.oauth_expiry,
            httponly=True,
            path=config.cookie_path,
            samesite="Lax",
            secure=_over_tls(self),
        )
        self.redirect(next_url)


def _over_tls(handler: RequestHandler) -> bool:
    # Behind the TLS-terminating proxy the request arrives as plain HTTP; the proxy says what the browser used.
    forwarded = handler.request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return handler.request.protocol == "https" or forwarded == "https"


class LogoutHandler(RequestHandler):
    """Clears the cookie and offers to sign in again."""

    def get(self) -> None:
        self.clear_cookie(USER_COOKIE, path=config.cookie_path)
        self.clear_cookie("id_token", path=config.cookie_path)
        tr = Translator(choose_language(None, self.request.headers.get("Accept-Language")))
        body = (
            f'<form action="/login"><h1>{tr("login.logged_out")}</h1>'
            f'<button type="submit">{tr("login.again")}</button></form>'
        )
        self.set_header("Cache-Control", "no-store")
        self.write(_PAGE.format(lang=tr.language, css=asset_url("glance.css"), body=body))


class GlanceAuthProvider(BasicAuthProvider):
    """Panel's cookie-based provider with Glance's database-backed login and logout pages."""

    def __init__(self) -> None:
        super().__init__(login_endpoint="/login", logout_endpoint="/logout")

    @property
    def login_handler(self) -> type[RequestHandler]:
        return LoginHandler

    @property
    def logout_handler(self) -> type[RequestHandler]:
        return LogoutHandler
