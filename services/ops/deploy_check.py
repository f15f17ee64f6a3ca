"""`glance verify-deploy`: ask each running service what it runs and compare with the expected release."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from pydantic import ValidationError

from services.runtime.build_info import revision_matches
from services.runtime.probes import VersionPayload


@dataclass(frozen=True)
class ServiceReport:
    """What one service said at `/version`, and what is wrong with it."""

    service: str
    url: str
    revision: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_service(*, service: str, url: str, expect_revision: str, timeout_s: float) -> ServiceReport:
    """Fetch `<url>/version` and check the revision, the source digest and the schema."""
    endpoint = url.rstrip("/") + "/version"
    try:
        response = httpx.get(endpoint, timeout=timeout_s)
        response.raise_for_status()
        payload = VersionPayload.model_validate_json(response.content)
    except httpx.HTTPError as exc:
        return ServiceReport(
            service=service, url=url, problems=[f"unreachable at {endpoint}: {exc or type(exc).__name__}"]
        )
    except ValidationError as exc:
        return ServiceReport(
            service=service,
            url=url,
            problems=[f"{endpoint} did not answer a version payload: {exc.errors()[0]['msg']}"],
        )
    problems: list[str] = []
    if not revision_matches(payload.revision, expect_revision):
        problems.append(f"runs revision {payload.revision}, expected {expect_revision}")
    if not payload.digest_ok:
        problems.append("source digest differs from its release: " + "; ".join(payload.digest_problems))
    if payload.migrating:
        problems.append("a schema migration is still in progress")
    elif not payload.schema_at_head:
        found = payload.schema_revision or payload.database_error or "empty"
        problems.append(f"database schema {found} is not at the code's head {payload.alembic_head}")
    return ServiceReport(service=service, url=url, revision=payload.revision, problems=problems)
