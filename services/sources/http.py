"""Pull an `http` source: CSV or JSON pages, bearer or basic auth, link/cursor/page pagination."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from services.runtime.settings import Settings
from services.sources.batch import BatchFile
from services.sources.config import CursorPagination, HttpSource, LinkPagination, PagePagination
from services.sources.errors import PullError, TransientPullError
from services.sources.retry import with_retries
from services.sources.secrets import resolve_secret


@dataclass(frozen=True)
class _Request:
    url: str
    params: dict[str, str]


@dataclass(frozen=True)
class _Page:
    rows: int
    body: Any = None
    """The parsed JSON page (for cursors); None for CSV."""


def fetch_http(source: HttpSource, *, since: datetime | None, settings: Settings, batch: BatchFile) -> None:
    """Fetch every page of `source` changed since `since` into `batch`."""
    limits = source.timeout
    timeout = httpx.Timeout(connect=limits.connect_s, read=limits.read_s, write=limits.read_s, pool=limits.connect_s)
    params = dict(source.params)
    if source.since_param and since is not None:
        params[source.since_param] = since.isoformat()
    pagination = source.pagination
    if isinstance(pagination, PagePagination):
        params[pagination.param] = str(pagination.start)
        if pagination.size_param and pagination.size:
            params[pagination.size_param] = str(pagination.size)
    request: _Request | None = _Request(url=source.url, params=params)
    with httpx.Client(
        timeout=timeout, auth=_basic_auth(source, settings), headers=_headers(source, settings)
    ) as client:
        page = 0
        while request is not None:
            page += 1
            if page > source.max_pages:
                raise PullError(
                    f"source {source.name!r} returned more than {source.max_pages} pages",
                    fix="raise max_pages, or check that the pagination settings match the endpoint",
                )
            current = request
            response = with_retries(
                functools.partial(_get, client, current, source=source.name),
                policy=source.retry,
                what=f"{source.name} page {page}",
            )
            request = _next_request(source, current, response=response, page=_read_page(response, source, batch, page))


def _get(client: httpx.Client, request: _Request, *, source: str) -> httpx.Response:
    try:
        response = client.get(request.url, params=request.params or None)
    except httpx.TimeoutException as exc:
        raise TransientPullError(f"source {source!r}: {request.url} timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise TransientPullError(f"source {source!r}: cannot reach {request.url} ({exc})") from exc
    if response.status_code >= 500:
        raise TransientPullError(f"source {source!r}: {response.url} answered {response.status_code}")
    if response.status_code >= 400:
        auth_problem = response.status_code in (401, 403)
        fix = "check the token or password the source refers to" if auth_problem else "check the url and params"
        problem = f"source {source!r}: {response.url} answered {response.status_code} {response.reason_phrase}"
        raise PullError(problem, fix=fix)
    return response


def _read_page(response: httpx.Response, source: HttpSource, batch: BatchFile, page: int) -> _Page:
    """Add the page's rows to the batch."""
    if source.format == "csv":
        return _Page(rows=batch.add_csv_page(response.text, page=page))
    try:
        body = json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        problem = f"source {source.name!r}: page {page} is not valid JSON ({exc})"
        raise PullError(problem, fix="check `format:` (csv or json)") from exc
    records = _dig(body, source.records) if source.records else body
    if not isinstance(records, list):
        where = f"at {source.records!r}" if source.records else "at the top level"
        raise PullError(
            f"source {source.name!r}: page {page} has no list of records {where}",
            fix="set `records` to the dotted path of the row list, e.g. records: data",
        )
    return _Page(rows=batch.add_records(records, page=page), body=body)


def _next_request(source: HttpSource, current: _Request, *, response: httpx.Response, page: _Page) -> _Request | None:
    pagination = source.pagination
    if isinstance(pagination, LinkPagination):
        link = response.links.get("next", {}).get("url")
        return _Request(url=str(response.url.join(link)), params={}) if link else None
    if isinstance(pagination, CursorPagination):
        cursor = _dig(page.body, pagination.field) if page.body is not None else None
        return _Request(url=current.url, params={**current.params, pagination.param: str(cursor)}) if cursor else None
    if isinstance(pagination, PagePagination):
        if page.rows == 0 or (pagination.size is not None and page.rows < pagination.size):
            return None
        number = int(current.params[pagination.param]) + 1
        return _Request(url=current.url, params={**current.params, pagination.param: str(number)})
    return None


def _dig(body: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body


def _headers(source: HttpSource, settings: Settings) -> dict[str, str]:
    headers = {"Accept": "text/csv" if source.format == "csv" else "application/json"}
    if source.auth is not None and source.auth.type == "bearer":
        token = resolve_secret(
            env=source.auth.token_env,
            secret=source.auth.token_secret,
            secrets_dir=settings.secrets_dir,
            source=source.name,
            field="auth.token",
        )
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _basic_auth(source: HttpSource, settings: Settings) -> httpx.BasicAuth | None:
    if source.auth is None or source.auth.type != "basic":
        return None
    password = resolve_secret(
        env=source.auth.password_env,
        secret=source.auth.password_secret,
        secrets_dir=settings.secrets_dir,
        source=source.name,
        field="auth.password",
    )
    return httpx.BasicAuth(source.auth.username, password)
