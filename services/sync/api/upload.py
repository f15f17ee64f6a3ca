"""Receive a multipart upload by streaming it to a file under the data dir, counting bytes as they come."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import Field, File, FormParser, parse_options_header


class UploadTooLargeError(ValueError):
    """The request body is over the configured limit."""


class BadUploadError(ValueError):
    """The request is not a usable multipart form."""


@dataclass
class Upload:
    """A received form: the file on disk (if one was sent), its client-side name, and the other fields."""

    path: Path | None = None
    filename: str = ""
    fields: dict[str, str] = field(default_factory=dict)


@contextmanager
def upload_dir(data_dir: Path) -> Iterator[Path]:
    """A private directory under `<data dir>/uploads`, removed with everything in it afterwards."""
    root = data_dir / "uploads"
    root.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(dir=root))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def receive_upload(request: Request, *, directory: Path, max_bytes: int) -> Upload:
    """Stream the body into `directory`, refusing it as soon as it passes `max_bytes`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise UploadTooLargeError(f"the upload is {int(declared) / 2**20:.1f} MB")
    upload = Upload()
    files: list[File] = []

    def on_field(part: Field) -> None:
        upload.fields[(part.field_name or b"").decode()] = (part.value or b"").decode("utf-8", "replace")

    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    try:
        parser = FormParser(
            content_type.decode(),
            on_field=on_field,
            on_file=files.append,
            boundary=options.get(b"boundary"),
            config={"UPLOAD_DIR": str(directory), "MAX_MEMORY_FILE_SIZE": 0, "UPLOAD_DELETE_TMP": False},
        )
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_bytes:
                raise UploadTooLargeError(f"the upload passed {max_bytes / 2**20:.0f} MB")
            parser.write(chunk)
        parser.finalize()
    except (FormParserError, ValueError) as exc:
        if isinstance(exc, UploadTooLargeError):
            raise
        raise BadUploadError(f"the request is not a multipart form with a file ({exc})") from exc
    for part in files:
        if part.field_name == b"file":
            upload.filename = Path((part.file_name or b"upload").decode("utf-8", "replace")).name
            upload.path = _on_disk(part, directory / _stored_name(upload.filename))
    return upload


def _stored_name(filename: str) -> str:
    """The client's file name as a name on disk (so the readers' messages name the file the user sent)."""
    name = "".join(ch for ch in filename if ch.isprintable() and ch not in "/\\")
    if name in ("", ".", "..") or len(name.encode()) > 200:
        return "upload"
    return name


def _on_disk(part: File, target: Path) -> Path:
    """The uploaded file moved to `target` in the request's private directory (written out first if in memory)."""
    if part.in_memory:
        part.flush_to_disk()
    part.file_object.flush()
    part.file_object.close()
    name = part.actual_file_name
    return Path(name.decode() if isinstance(name, bytes) else str(name)).rename(target)
