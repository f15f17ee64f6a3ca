"""`/api/v1/imports`: upload a file to import, list runs, read one run's report and rejected rows."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from sqlmodel import Session

from db.engine import get_engine
from db.models import ApiToken
from services.auth import Role
from services.settings import Settings
from services.sync.api.deps import require_role
from services.sync.api.upload import BadUploadError, UploadTooLargeError, receive_upload, upload_dir
from services.sync.imports import ImportKind, ImportReport, RunStatus, run_import
from services.sync.imports.rejected_csv import rejected_csv
from services.sync.imports.runs import fail_interrupted_runs, list_reports, load_report

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])

_UPLOAD_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "mapping": {"type": "string", "description": 'JSON object, e.g. {"order_date": "Date"}'},
                        "source": {"type": "string"},
                        "strict": {"type": "boolean"},
                        "dry_run": {"type": "boolean"},
                    },
                }
            }
        },
    }
}
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


@router.post("/{kind}", response_model=ImportReport, openapi_extra=_UPLOAD_FORM)
async def create_import(
    kind: ImportKind, request: Request, caller: Annotated[ApiToken, Depends(require_role(Role.analyst))]
) -> JSONResponse:
    """Import the uploaded `file`; 200 with the report, 422 when refused, 500 when it failed."""
    settings: Settings = request.app.state.settings
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
        report = await run_in_threadpool(
            run_import,
            get_engine(),
            kind=kind,
            file=upload.path,
            filename=upload.filename,
            source=upload.fields.get("source") or None,
            mapping=_mapping(upload.fields.get("mapping")),
            strict=_flag(upload.fields.get("strict")),
            dry_run=_flag(upload.fields.get("dry_run")),
            requested_by=f"token:{caller.name}",
            settings=settings,
        )
    return JSONResponse(report.model_dump(mode="json"), status_code=_STATUS_CODES.get(report.status, 200))


@router.get("", response_model=list[ImportReport])
def list_imports(_: Annotated[ApiToken, Depends(require_role(Role.viewer))], limit: int = 50) -> list[ImportReport]:
    """The latest import runs, newest first (without their rejections)."""
    fail_interrupted_runs(get_engine())  # a run whose process was killed shows as failed, not running forever
    with Session(get_engine()) as session:
        return list_reports(session, limit=max(1, min(limit, 500)))


@router.get("/{run_id}", response_model=ImportReport)
def get_import(
    run_id: Annotated[int, Path(ge=1, le=RUN_ID_MAX)], _: Annotated[ApiToken, Depends(require_role(Role.viewer))]
) -> ImportReport:
    """One run's report, with its first rejections."""
    fail_interrupted_runs(get_engine())
    with Session(get_engine()) as session:
        report = load_report(session, run_id=run_id)
    if report is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"there is no import run {run_id}")
    return report


@router.get("/{run_id}/rejected.csv", response_class=StreamingResponse)
def get_rejected_csv(
    run_id: Annotated[int, Path(ge=1, le=RUN_ID_MAX)], _: Annotated[ApiToken, Depends(require_role(Role.viewer))]
) -> StreamingResponse:
    """Every rejected row of a run as CSV (formulas neutralised), ready to fix and re-import."""
    with Session(get_engine()) as session:
        if load_report(session, run_id=run_id, limit=0) is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"there is no import run {run_id}")
    return StreamingResponse(
        rejected_csv(get_engine(), run_id=run_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{run_id}-rejected.csv"'},
    )
