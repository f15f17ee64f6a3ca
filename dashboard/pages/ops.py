"""Ops (admin): what each part runs, dependency health, cache status, data freshness, people and territories."""

from __future__ import annotations

import panel as pn

from dashboard.pages.base import Page, PageContext, Part, Step
from dashboard.pages.people import PeopleSection
from dashboard.sync_client import SyncUnavailable, UploadRefused
from dashboard.system import source_check
from dashboard.views.notices import html_pane, kv_table, notice_html
from services.cache.query_cache import get_cache
from services.runtime.probes import database_checks, probe_database, version_payload


class OpsPage(Page):
    """The same facts `/version` and `/readyz` give, side by side for dashboard and sync service; then people."""

    needs_data = False  # ops facts matter most when there is no data

    def __init__(self, ctx: PageContext) -> None:
        self.client = ctx.client
        # Only an admin who sees every territory manages people: the table names everyone's territories.
        self.people = PeopleSection(ctx) if ctx.user.manages_people else None
        super().__init__(ctx)

    def build(self) -> list[Part]:
        tr = self.ctx.tr
        self.parts = html_pane("")
        self.dependencies = html_pane("")
        self.cache = html_pane("")
        self.freshness = html_pane("")
        return [
            pn.pane.Markdown(f"### {tr('ops.parts')}"),
            self.parts,
            pn.pane.Markdown(f"### {tr('ops.dependencies')}"),
            self.dependencies,
            pn.pane.Markdown(f"### {tr('ops.cache')}"),
            self.cache,
            pn.pane.Markdown(f"### {tr('ops.freshness')}"),
            self.freshness,
            self.people or html_pane(notice_html(tr("people.needs_every_territory"))),
        ]

    def steps(self) -> list[Step]:
        return [
            self.load_parts,
            self.load_dependencies,
            self.load_freshness,
            *([self.people.load] if self.people else []),
        ]

    def load_parts(self) -> None:
        mine = version_payload(service="dashboard", engine=self.ctx.engine)
        sync = self.client.version()
        self.parts.object = kv_table(
            [
                ("dashboard", f"{mine.release} (digest {'ok' if mine.digest_ok else 'MISMATCH'})"),
                (
                    "sync service",
                    f"{sync.release} (digest {'ok' if sync.digest_ok else 'MISMATCH'})" if sync else "not answering",
                ),
                ("database schema", f"{mine.schema_revision or '?'} (code head {mine.alembic_head})"),
                ("data version", str(mine.data_version)),
                ("source check", source_check().describe()),
            ]
        )

    def load_dependencies(self) -> None:
        checks = database_checks(probe_database(self.ctx.engine))
        cache = get_cache().check()
        rows = [(c.name, f"{c.state.value}: {c.detail}") for c in checks]
        rows.append(
            (
                "redis",
                "not configured (in-process cache)"
                if not self.ctx.settings.redis_url
                else ("FAILING: " + cache.reason if cache.degraded else "ok"),
            )
        )
        rows.append(("sync service", "ok" if self.client.alive() else "not answering"))
        self.dependencies.object = kv_table(rows)
        self.cache.object = kv_table([("cache", cache.describe())])

    def load_freshness(self) -> None:
        found = self.ctx.store.dimensions()
        rows = [
            ("data as of", self.ctx.fmt.moment(found.last_import_at)),
            ("last sales day", self.ctx.fmt.day(found.last_day)),
        ]
        try:
            latest: dict[str, str] = {}
            for run in self.client.history():
                latest.setdefault(
                    f"{run.kind.value} · {run.source}",
                    f"run {run.run_id}, {run.status.value}, data version {run.data_version}",
                )
            rows.extend(latest.items())
        except (SyncUnavailable, UploadRefused) as exc:
            rows.append(("import runs", f"sync service unavailable: {exc}"))
        self.freshness.object = kv_table(rows)
