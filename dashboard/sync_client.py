"""The dashboard's client for the sync service API: uploads and import history, with timeouts.

The dashboard never writes facts itself; it sends files to the sync service with its own
bearer token (`GLANCE_API_TOKEN`) and shows the run report the service returns. Every call names
the person it is made for (`X-Glance-User`), so the service narrows the token's role and
territories to theirs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import httpx

from services.contracts.report import FileColumns, ImportKind, ImportReport
from services.runtime.probes import VersionPayload
from services.runtime.settings import Settings

HISTORY_LIMIT = 20
ACTING_USER_HEADER = "X-Glance-User"


class SyncUnavailable(RuntimeError):
    """The sync service did not answer (down, unreachable or timed out)."""


class UploadRefused(RuntimeError):
    """The sync service answered but would not import the file (bad form, token, size)."""


@dataclass(frozen=True)
class SyncClient:
    """Calls the sync service at `base_url` with the dashboard's token, for `acting_user` when one is set."""

    base_url: str
    token: str
    timeout_s: float
    acting_user: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> SyncClient:
        """The client configured by `GLANCE_SYNC_URL`, `GLANCE_API_TOKEN` and `sync_timeout_s`."""
        token = settings.api_token.get_secret_value() if settings.api_token else ""
        return cls(base_url=settings.sync_url.rstrip("/"), token=token, timeout_s=settings.sync_timeout_s)

    def acting_for(self, username: str) -> SyncClient:
        """The same client making every call for `username` (their role and territories, at most the token's)."""
        return replace(self, acting_user=username)

    def _client(self, timeout_s: float | None = None) -> httpx.Client:
        acting = {ACTING_USER_HEADER: self.acting_user} if self.acting_user else {}
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token}", **acting},
            timeout=httpx.Timeout(timeout_s or self.timeout_s, connect=3.0),
        )

    def upload(
        self,
        *,
        kind: ImportKind,
        filename: str,
        content: bytes,
        source: str,
        mapping: dict[str, str],
        strict: bool,
    ) -> ImportReport:
        """Send one file to `POST /api/v1/imports/{kind}` and return its run report (refused runs included)."""
        form = {"mapping": json.dumps(mapping), "source": source, "strict": "true" if strict else "false"}
        try:
            with self._client() as client:
                response = client.post(
                    f"/api/v1/imports/{kind.value}",
                    files={"file": (filename, content)},
                    data=form,
                )
        except httpx.HTTPError as exc:
            raise SyncUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code in (200, 422, 500) and response.headers.get("content-type", "").startswith(
            "application/json"
        ):
            body = response.json()
            if "run_id" in body:
                return ImportReport.model_validate(body)
        raise UploadRefused(_detail(response))

    def columns(self, *, filename: str, content: bytes) -> list[str]:
        """The header of a file as the import would read it (`POST /api/v1/imports/columns`).

        The sync service reads it, so no dashboard process loads the file readers.
        """
        try:
            with self._client() as client:
                response = client.post("/api/v1/imports/columns", files={"file": (filename, content)})
        except httpx.HTTPError as exc:
            raise SyncUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise UploadRefused(_detail(response))
        return FileColumns.model_validate(response.json()).columns

    def history(self) -> list[ImportReport]:
        """The latest import runs, newest first."""
        try:
            with self._client(timeout_s=5.0) as client:
                response = client.get("/api/v1/imports", params={"limit": HISTORY_LIMIT})
        except httpx.HTTPError as exc:
            raise SyncUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise UploadRefused(_detail(response))
        return [ImportReport.model_validate(item) for item in response.json()]

    def rejected_csv(self, run_id: int) -> bytes:
        """Every rejected row of one run, as the service's CSV."""
        try:
            with self._client() as client:
                response = client.get(f"/api/v1/imports/{run_id}/rejected.csv")
        except httpx.HTTPError as exc:
            raise SyncUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise UploadRefused(_detail(response))
        return response.content

    def version(self) -> VersionPayload | None:
        """The sync service's `/version` (release, digest check, schema), or None when it does not answer."""
        try:
            with self._client(timeout_s=5.0) as client:
                response = client.get("/version")
        except httpx.HTTPError:
            return None
        return VersionPayload.model_validate(response.json()) if response.status_code == 200 else None

    def alive(self) -> bool:
        """True when `GET /healthz` answers 200 within two seconds."""
        try:
            with self._client(timeout_s=2.0) as client:
                return client.get("/healthz").status_code == 200
        except httpx.HTTPError:
            return False


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", "")
    except ValueError:
        detail = response.text[:200]
    if isinstance(detail, list):  # a 422 names each problem: {"loc", "msg", "type"}
        detail = "; ".join(str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in detail)
    return f"HTTP {response.status_code}: {detail}"
