"""Limits that stop a hostile or broken file before it costs memory, stack or minutes.

Each check runs before the expensive step it protects and refuses the file with a message
naming the limit: a zip bomb is caught from the archive's directory (and its declared sizes
are proved by streaming the data sheets through zlib with the CRC checked); a huge field, a
huge header and deep JSON nesting are caught before the parser that would choke on them.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import cast

import polars as pl

from services.imports.errors import ImportRefusedError

MAX_COLUMNS = 1_000
MAX_FIELD_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32
MAX_XLSX_UNPACKED_BYTES = 1 << 30
MAX_XLSX_RATIO = 100
_RATIO_FLOOR_BYTES = 16 << 20  # small parts (styles, themes) may compress very well and cost nothing
_DATA_PARTS = ("xl/worksheets/", "xl/sharedStrings.xml")


def check_columns(columns: list[str], *, name: str) -> None:
    """Refuse a header wider than any sales, expense or target export needs."""
    if len(columns) > MAX_COLUMNS:
        raise ImportRefusedError(
            f"{name} has {len(columns):,} columns; Glance reads at most {MAX_COLUMNS:,}",
            fix="export only the columns the import needs",
        )


def check_field_sizes(frame: pl.DataFrame, *, columns: list[str], row_column: str) -> None:
    """Refuse a batch holding a field longer than `MAX_FIELD_BYTES`, naming its row and column."""
    for column in columns:
        lengths = frame.get_column(column).cast(pl.String).str.len_bytes()
        longest = lengths.max()
        if isinstance(longest, int) and longest > MAX_FIELD_BYTES:
            # arg_max() is None only for an all-null column, and then `longest` is None too.
            row = frame.get_column(row_column)[cast(int, lengths.arg_max())]
            raise ImportRefusedError(
                f"row {row}, column '{column}' holds {longest:,} bytes; a field may hold at most {MAX_FIELD_BYTES:,}",
                fix="check that row: an unclosed quote often swallows the rest of the file into one field",
            )


def too_long_field(block_bytes: int) -> ImportRefusedError:
    """The refusal for a CSV field longer than a reader's buffer (Arrow's "straddling object", csv's field limit)."""
    return ImportRefusedError(
        f"a field is longer than {block_bytes:,} bytes; a field may hold at most {MAX_FIELD_BYTES:,}",
        fix="check the file for an unclosed quote, which swallows the rest of the file into one field",
    )


def check_json_depth(line: bytes, *, number: int) -> None:
    """Refuse a JSON line nested deeper than `MAX_JSON_DEPTH` (flat records are one level deep)."""
    if line.count(b"{") + line.count(b"[") <= MAX_JSON_DEPTH:
        return  # cannot be deeper: the usual case costs two C-level counts
    depth, in_string, escaped = 0, False, False
    for byte in line:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ImportRefusedError(
                    f"line {number} is nested more than {MAX_JSON_DEPTH} levels deep",
                    fix="write one flat {...} object per line",
                )
        elif byte in (0x7D, 0x5D):
            depth -= 1


def check_xlsx_archive(path: Path) -> None:
    """Refuse a workbook whose parts would unpack past the size or ratio limits (a zip bomb), or lie about it."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            unpacked = sum(part.file_size for part in parts)
            if unpacked > MAX_XLSX_UNPACKED_BYTES:
                raise _bomb(path, f"would unpack to {unpacked / 2**30:.1f} GB")
            for part in parts:
                ratio = part.file_size / max(part.compress_size, 1)
                if part.file_size > _RATIO_FLOOR_BYTES and ratio > MAX_XLSX_RATIO:
                    raise _bomb(path, f"has a part ({part.filename}) compressed {ratio:,.0f} to 1")
            for part in parts:
                if part.filename.startswith(_DATA_PARTS):
                    _stream(archive, part)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise ImportRefusedError(
            f"{path.name} is not a readable XLSX workbook ({exc})", fix="save it again as .xlsx"
        ) from exc


def _stream(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
    # zipfile stops at the declared size and checks the CRC, so a part that lies about its size fails here.
    with archive.open(part) as data:
        while data.read(1 << 22):
            pass


def _bomb(path: Path, problem: str) -> ImportRefusedError:
    return ImportRefusedError(
        f"{path.name} {problem}; Glance refuses workbooks over {MAX_XLSX_UNPACKED_BYTES >> 30} GB unpacked "
        f"or {MAX_XLSX_RATIO} to 1 compressed (a zip bomb)",
        fix="export the sheet as CSV, or check where the file came from",
    )
