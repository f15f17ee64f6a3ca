"""`/api/v1/imports`: upload a file to import, list runs, read one run's report and rejected rows."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse

from services.auth import Role
from services.contracts.report import FileColumns
from services.imports import ImportKind, ImportReport, RunStatus, run_import
from services.imports.errors import ImportRefusedError
from services.imports.read import open_table
from services.imports.rejected_csv import rejected_csv
from services.imports.runs import fail_interrupted_runs, list_reports, load_report
from services.runtime.settings import Settings
from services.sync.api.deps import Caller, EngineDep, SessionDep, SettingsDep, require_role
from services.sync.api.upload import BadUploadError, Upload, UploadTooLargeError, receive_upload, upload_dir

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])


def _multipart_form(**fields: dict[str, str]) -> dict[str, Any]:
    """OpenAPI for a multipart form of a required `file` and optional `fields` (the body is parsed by hand)."""
    properties = {"file": {"type": "string", "format": "binary"}, **fields}
    schema = {"type": "object", "required": ["file"], "properties": properties}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


_UPLOAD_FORM = _multipart_form(
    mapping={"type": "string", "description": 'JSON object, e.g. {"order_date": "Date"}'},
    source={"type": "string"},
    strict={"type": "boolean"},
    dry_run={"type": "boolean"},
)
_COLUMNS_FORM = _multipart_form(
    encoding={"type": "string", "description": "a text file's encoding; detected when left out"},
    sheet={"type": "string", "description": "an XLSX sheet's name or number (default: the first)"},
)
RUN_ID_MAX = 2**31 - 1
"""Run ids are Postgres INTEGERs; a larger one is a 422, never a database overflow (a 500)."""
_STATUS_CODES = {RunStatus.succeeded: 200, RunStatus.refused: 422, RunStatus.failed: 500}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _mapping(value: str | None) -> dict[str, str]:
    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=f"mapping is not JSON ({exc})") from exc
    if not isinstance(parsed, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail='mapping must be a JSON object of field to column, e.g. {"units": "Qty"}',
        )
    return parsed


@asynccontextmanager
async def _uploaded_file(request: Request, settings: Settings) -> AsyncIterator[Upload]:
    """The request's multipart form with its `file` on disk, removed afterwards; 413 or 400 when unusable."""
    limit_mb = settings.max_upload_mb
    with upload_dir(settings.data_dir) as directory:
        try:
            upload = await receive_upload(request, directory=directory, max_bytes=limit_mb * 2**20)
        except UploadTooLargeError as exc:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                detail=f"{exc}; the limit is {limit_mb} MB (GLANCE_MAX_UPLOAD_MB): split the file or raise the limit",
            ) from exc
        except BadUploadError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from exc
        if upload.path is None:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST, detail="the form has no 'file' part; send the file as 'file'"
            )
        yield upload


# Before `/{kind}`, which would otherwise take "columns" for an import kind.
@router.post("/columns", response_model=FileColumns, openapi_extra=_COLUMNS_FORM)
async def read_columns(
    request: Request, settings: SettingsDep, _: Annotated[Caller, Depends(require_role(Role.analyst))]
) -> FileColumns:
    """The header of the uploaded `file` as an import would read it (format detected from the content); 422 naming
    the problem when the file cannot be read."""
    async with _uploaded_file(request, settings) as upload:
        assert upload.path is not None
        try:
            table = await run_in_threadpool(
                open_table,
                upload.path,
                encoding=upload.fields.get("encoding") or None,
                sheet=upload.fields.get("sheet") or None,
            )
        except ImportRefusedError as exc:
            # The shape of every other 422 of the API (FastAPI's validation errors), pointing at the file part.
            problem = {"loc": ["body", "file"], "msg": str(exc), "type": "value_error"}
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=[problem]) from exc
    return FileColumns(format=table.format.value, columns=table.columns)


@router.post("/{kind}", response_model=ImportReport, openapi_extra=_UPLOAD_FORM)
async def create_import(
    kind: ImportKind,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    caller: Annotated[Caller, Depends(require_role(Role.analyst))],
) -> JSONResponse:
    """Import the uploaded `file`; 200 with the report, 422 when refused, 500 when it failed."""
    async with _uploaded_file(request, settings) as upload:
        assert upload.path is not None
        report = await run_in_threadpool(
            run_import,
            engine,
            kind=kind,
            file=upload.path,
            filename=upload.filename,
            source=upload.fields.get("source") or None,
            mapping=_mapping(upload.fields.get("mapping")),
            strict=_flag(upload.fields.get("strict")),
            dry_run=_flag(upload.fields.get("dry_run")),
            scope=caller.scope,
            requested_by=caller.label,
            settings=settings,
        )
    return JSONResponse(report.model_dump(mode="json"), status_code=_STATUS_CODES.get(report.status, 200))


@router.get("", response_model=list[ImportReport])
def list_imports(
    engine: EngineDep,
    session: SessionDep,
    caller: Annotated[Caller, Depends(require_role(Role.viewer))],
    limit: int = 50,
) -> list[ImportReport]:
    """The latest import runs the caller may see, newest first (without their rejections)."""
    fail_interrupted_runs(engine)  # a run whose process was killed shows as failed, not running forever
    return list_reports(session, scope=caller.scope, requester=caller.label, limit=max(1, min(limit, 500)))


@router.get("/{run_id}", response_model=ImportReport)
def get_import(
    run_id: Annotated[int, Path(ge=1, le=RUN_ID_MAX)],
    engine: EngineDep,
    session: SessionDep,
    caller: Annotated[Caller, Depends(require_role(Role.viewer))],
) -> ImportReport:
    """One run's report, with its first rejections; 404 for a run outside the caller's territories."""
    fail_interrupted_runs(engine)
    report = load_report(session, run_id=run_id, scope=caller.scope, requester=caller.label)
    if report is None:
        raise _no_run(run_id)
    return report


@router.get("/{run_id}/rejected.csv", response_class=StreamingResponse)
def get_rejected_csv(
    run_id: Annotated[int, Path(ge=1, le=RUN_ID_MAX)],
    engine: EngineDep,
    session: SessionDep,
    caller: Annotated[Caller, Depends(require_role(Role.viewer))],
) -> StreamingResponse:
    """The rejected rows of a run the caller may see as CSV (formulas neutralised), ready to fix and re-import."""
    if load_report(session, run_id=run_id, scope=caller.scope, requester=caller.label, limit=0) is None:
        raise _no_run(run_id)
    return StreamingResponse(
        rejected_csv(engine, run_id=run_id, scope=caller.scope, requester=caller.label),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{run_id}-rejected.csv"'},
    )


def _no_run(run_id: int) -> HTTPException:
    # The same answer for a run outside the caller's territories as for none at all: ids reveal nothing.
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"there is no import run {run_id}")
