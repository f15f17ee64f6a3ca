"""Imports (analyst and admin): upload a file to the sync service, see its report and rejected rows."""

from __future__ import annotations

import asyncio
import html
import io
from typing import cast

import panel as pn
import structlog

from dashboard.pages.base import Page, PageContext, Part, Step
from dashboard.sync_client import SyncUnavailable, UploadRefused
from dashboard.views.notices import html_pane, notice_html
from dashboard.views.tables import Column, Table
from services.auth import Role
from services.contracts.kinds import KINDS
from services.contracts.report import ImportKind, ImportReport, RunStatus

log = structlog.get_logger(__name__)
ACCEPT = ".csv,.tsv,.txt,.xlsx,.parquet,.jsonl,.json"
REJECTION_COLUMNS = (Column("row", "count"), Column("field", "text"), Column("value", "text"), Column("reason", "text"))
HISTORY_COLUMNS = (
    Column("run_id", "text"),
    Column("kind", "text"),
    Column("source", "text"),
    Column("filename", "text"),
    Column("status", "text"),
    Column("rows_read", "count"),
    Column("inserted", "count"),
    Column("updated", "count"),
    Column("rejected", "count"),
)


def auto_column(field: str, columns: list[str]) -> str | None:
    """The file column an import would match to `field` by itself (case and spacing ignored)."""
    wanted = field.replace("_", "").lower()
    return next((c for c in columns if c.replace(" ", "").replace("_", "").replace("-", "").lower() == wanted), None)


class ImportsPage(Page):
    """Upload with kind, source and mapping; the report and the rejected rows come back at once."""

    needs_data = False  # an empty database is exactly when imports matter

    def __init__(self, ctx: PageContext) -> None:
        self.client = ctx.client
        self.report: ImportReport | None = None
        self.columns: list[str] = []
        super().__init__(ctx)

    def build(self) -> list[Part]:
        tr = self.ctx.tr
        self.availability = html_pane("", visible=False)
        read_only = html_pane(
            notice_html(tr("view_as.read_only", name=self.ctx.user.name), "warn"), visible=self.ctx.read_only
        )
        self.kind = pn.widgets.Select(label=tr("imports.kind"), options=[k.value for k in ImportKind], value="sales")
        self.source = pn.widgets.TextInput(label=tr("imports.source"), value="dashboard")
        self.strict = pn.widgets.Checkbox(label=tr("imports.strict"), value=False)
        self.file = pn.widgets.FileInput(accept=ACCEPT, multiple=False)
        self.mapping = pn.Column(sizing_mode="stretch_width")
        self.upload_button = pn.widgets.Button(label=tr("imports.upload"), color="primary")
        self.upload_button.on_click(self._on_upload)
        self.file.disabled = self.upload_button.disabled = self.ctx.read_only
        self.file.param.watch(lambda _e: self.offer_mapping(), "value")
        self.kind.param.watch(lambda _e: self.offer_mapping(), "value")
        self.report_pane = html_pane("")
        self.rejections = Table(REJECTION_COLUMNS, tr, self.ctx.fmt, loading_text="", page_size=20)
        self.rejected_download = pn.widgets.FileDownload(
            callback=self._rejected_csv, filename="rejected.csv", label=tr("imports.rejected_csv"), visible=False
        )
        self.history = Table(HISTORY_COLUMNS, tr, self.ctx.fmt, loading_text=tr("state.loading"), page_size=10)
        return [
            read_only,
            self.availability,
            pn.Row(self.kind, self.source, self.strict),
            pn.pane.Markdown(f"**{tr('imports.file')}**"),
            self.file,
            pn.pane.Markdown(f"**{tr('imports.mapping')}**"),
            self.mapping,
            self.upload_button,
            pn.pane.Markdown(f"### {tr('imports.report')}"),
            self.report_pane,
            pn.pane.Markdown(f"### {tr('imports.rejected')}"),
            self.rejected_download,
            self.rejections,
            pn.pane.Markdown(f"### {tr('imports.history')}"),
            self.history,
        ]

    def steps(self) -> list[Step]:
        return [self.load_history]

    def load_history(self) -> None:
        """Import history from the sync service; if it is down, say uploads are unavailable."""
        try:
            runs = self.client.history()
        except SyncUnavailable as exc:
            log.warning("sync_service_unavailable", error=str(exc))
            self.availability.object = notice_html(self.ctx.tr("imports.unavailable", problem=str(exc)[:120]), "warn")
            self.availability.visible = True
            return
        except UploadRefused as exc:
            log.error("import_history_failed", error=str(exc))
            self.availability.object = notice_html(
                self.ctx.tr("imports.history_failed", problem=str(exc)[:120]), "warn"
            )
            self.availability.visible = True
            return
        self.availability.visible = False
        self.history.fill(runs)

    def offer_mapping(self) -> None:
        """One column picker per field of the chosen kind, preset to the column the import would match."""
        tr = self.ctx.tr
        self.columns = []
        if self.file.value:
            try:
                self.columns = self.client.columns(filename=self.file.filename or "upload", content=self.file.value)
            except UploadRefused as exc:
                self.report_pane.object = notice_html(str(exc), "error")
            except SyncUnavailable as exc:
                log.warning("sync_unavailable", error=str(exc))
                self.report_pane.object = notice_html(tr("imports.unavailable", problem=str(exc)[:120]), "warn")
        none = tr("imports.not_in_file")
        pickers = []
        for spec in KINDS[ImportKind(self.kind.value)].fields:
            found = auto_column(spec.name, self.columns)
            label = f"{spec.name} *" if spec.required else spec.name
            pickers.append(
                pn.widgets.Select(label=label, options={none: "", **{c: c for c in self.columns}}, value=found or "")
            )
        self.mapping.objects = [pn.GridBox(*pickers, ncols=4, sizing_mode="stretch_width")] if self.columns else []

    def chosen_mapping(self) -> dict[str, str]:
        """field -> column for every picker set to a column."""
        if not self.mapping.objects:
            return {}
        spec = KINDS[ImportKind(self.kind.value)]
        pickers = self.mapping.objects[0].objects
        return {f.name: p.value for f, p in zip(spec.fields, pickers, strict=True) if p.value}

    async def _on_upload(self, _event: object) -> None:
        tr = self.ctx.tr
        # Never built for viewers, its controls disabled while viewing as: this guards the action too.
        if not self.ctx.user.can(Role.analyst) or self.ctx.read_only:
            return
        if not self.file.value:
            self.report_pane.object = notice_html(tr("imports.pick_file"), "warn")
            return
        self.upload_button.loading = True
        try:
            report = await asyncio.to_thread(
                self.client.upload,
                kind=ImportKind(self.kind.value),
                filename=self.file.filename or "upload",
                content=self.file.value,
                # Panel types a TextInput's value as optional; this one starts as "dashboard" and is never None.
                source=cast(str, self.source.value).strip() or "dashboard",
                mapping=self.chosen_mapping(),
                strict=self.strict.value,
            )
            self.report = report
        except SyncUnavailable as exc:
            log.warning("upload_sync_unavailable", error=str(exc))
            self.report_pane.object = notice_html(tr("imports.unavailable", problem=str(exc)[:120]), "error")
            return
        except UploadRefused as exc:
            self.report_pane.object = notice_html(tr("imports.refused", problem=str(exc)), "error")
            return
        finally:
            self.upload_button.loading = False
        self.show_report(report)
        self.load_history()

    def show_report(self, report: ImportReport) -> None:
        """The run report, its rejected rows and the CSV of all of them."""
        kind = "info" if report.status is RunStatus.succeeded else "error"
        tr, fmt = self.ctx.tr, self.ctx.fmt
        facts = [
            (tr("col.run_id"), str(report.run_id)),
            (tr("col.status"), report.status.value),
            (tr("col.filename"), report.filename),
            *(
                (tr(f"col.{name}"), fmt.count(getattr(report, name)))
                for name in ("rows_read", "inserted", "updated", "unchanged", "rejected")
            ),
        ]
        if report.ignored_columns:
            unused = ", ".join(f"{c.column} ({fmt.count(c.rows)})" for c in report.ignored_columns)
            facts.append((tr("imports.not_used"), unused))
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in facts)
        self.report_pane.object = (
            f'<div class="glance" data-run="{report.run_id}">{notice_html(report.summary(), kind)}'
            f'<table class="kv">{rows}</table></div>'
        )
        self.rejections.fill(report.rejections)
        self.rejected_download.filename = f"import-{report.run_id}-rejected.csv"
        self.rejected_download.visible = report.rejected > 0

    def _rejected_csv(self) -> io.BytesIO:
        if self.report is None:
            return io.BytesIO(b"")
        return io.BytesIO(self.client.rejected_csv(self.report.run_id))
