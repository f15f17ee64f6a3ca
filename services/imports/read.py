"""Open a file of any supported format and read it in batches of text columns.

Every batch is a polars frame of strings plus `ROW`, the row number a person sees (in CSV and
XLSX the header is row 1; in JSON lines it is the line number; in Parquet the record number).
Batches keep memory flat however large the file is. A JSON-lines file's columns are the keys of
all its lines, collected by a first pass, so a key that first appears on the last line is read.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import cast

import fastexcel
import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from services.imports.errors import ImportRefusedError
from services.imports.guards import (
    MAX_JSON_DEPTH,
    check_columns,
    check_field_sizes,
    check_json_depth,
    check_xlsx_archive,
    too_long_field,
)

ROW = "__row"
_SAMPLE_BYTES = 256 * 1024
_KEY_BLOCK_BYTES = 8 << 20  # JSON lines read at a time to collect their keys
_NOT_OPENING = bytes(sorted(set(range(256)) - set(b"{[\n")))
_MAYBE_TOO_DEEP = re.compile(rb"[^\n]{%d}" % (MAX_JSON_DEPTH + 1))
_DELIMITERS = (",", ";", "\t", "|")
_CSV_BLOCK_BYTES = 1 << 20  # a row may not be longer; larger blocks only raise the peak memory of a read
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


class FileFormat(StrEnum):
    """The formats Glance reads."""

    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"
    jsonl = "jsonl"


@dataclass(frozen=True)
class TableFile:
    """An opened file: its format, how it is read, and its column names."""

    path: Path
    format: FileFormat
    columns: list[str]
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    _sheet_index: int = field(default=0, repr=False)

    def batches(
        self, *, batch_rows: int, columns: list[str] | None = None, counted: Sequence[str] = ()
    ) -> Iterator[pl.DataFrame]:
        """The rows in batches of about `batch_rows`, as text, with `ROW`; rows blank in all `columns` skipped.

        The `counted` columns (others than `columns`) come along as the file holds them, for
        `filled_rows` only: they keep no row that is otherwise blank, and no limit applies to them.
        """
        wanted = columns if columns is not None else self.columns
        reader = {
            FileFormat.csv: self._csv_batches,
            FileFormat.xlsx: self._xlsx_batches,
            FileFormat.parquet: self._parquet_batches,
            FileFormat.jsonl: self._jsonl_batches,
        }[self.format]
        for frame in reader(batch_rows, [*wanted, *counted]):
            frame = frame.with_columns(pl.col(c).cast(pl.String) for c in wanted)
            check_field_sizes(frame, columns=wanted, row_column=ROW)
            cells = [_filled(c, pl.String()) for c in wanted]
            yield frame.filter(pl.any_horizontal(cells)) if cells else frame

    def estimated_rows(self) -> int | None:
        """About how many rows the file holds, without reading it all (for a progress bar's total)."""
        if self.format is FileFormat.parquet:
            num_rows: int = pq.ParquetFile(self.path).metadata.num_rows
            return num_rows
        if self.format is FileFormat.xlsx:
            return None
        head = _read_head(self.path)
        lines = head.count(b"\n") - (self.format is FileFormat.csv)  # not the header
        if lines <= 0:
            return None
        size = self.path.stat().st_size
        return max(1, round(size * lines / len(head))) if len(head) < size else lines

    def _csv_batches(self, batch_rows: int, wanted: list[str]) -> Iterator[pl.DataFrame]:
        ragged: list[str] = []

        def on_ragged(row: pa_csv.InvalidRow) -> str:
            ragged.append(
                f"a row has {row.actual_columns} fields but the header has {row.expected_columns}: {row.text[:120]!r}"
            )
            return "error"

        first_row = 2
        pending: list[pa.RecordBatch] = []
        try:
            # Opening reads the first block, so it can already meet a bad row or a too-long field.
            reader = self._open_csv_reader(wanted, on_ragged)
            for record_batch in reader:
                pending.append(record_batch)
                if sum(b.num_rows for b in pending) >= batch_rows:
                    frame = _numbered(_from_arrow(pa.Table.from_batches(pending)), first_row)
                    first_row += frame.height
                    pending = []
                    yield frame
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if "straddling" in str(exc):
                raise too_long_field(_CSV_BLOCK_BYTES) from exc
            problem = ragged[0] if ragged else f"the file could not be read as {self.encoding} CSV: {exc}"
            raise ImportRefusedError(
                problem, fix="quote fields that contain the delimiter or a line break, or pass the right --encoding"
            ) from exc
        if pending:
            yield _numbered(_from_arrow(pa.Table.from_batches(pending)), first_row)

    def _open_csv_reader(
        self, wanted: list[str], on_ragged: Callable[[pa_csv.InvalidRow], str]
    ) -> pa_csv.CSVStreamingReader:
        return pa_csv.open_csv(
            self.path,
            read_options=pa_csv.ReadOptions(
                column_names=self.columns, skip_rows=1, encoding=self.encoding, block_size=_CSV_BLOCK_BYTES
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=self.delimiter, newlines_in_values=True, invalid_row_handler=on_ragged
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={c: pa.string() for c in self.columns},
                include_columns=wanted,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    def _xlsx_batches(self, batch_rows: int, wanted: list[str]) -> Iterator[pl.DataFrame]:
        # XLSX cannot be streamed by fastexcel; a sheet holds at most about a million rows anyway.
        sheet = fastexcel.read_excel(str(self.path)).load_sheet(self._sheet_index, dtypes="string", use_columns=wanted)
        frame = _numbered(sheet.to_polars(), 2)
        for offset in range(0, frame.height, batch_rows):
            yield frame.slice(offset, batch_rows)

    def _parquet_batches(self, batch_rows: int, wanted: list[str]) -> Iterator[pl.DataFrame]:
        first_row = 1
        for record_batch in pq.ParquetFile(self.path).iter_batches(batch_size=batch_rows, columns=wanted):
            frame = _from_arrow(record_batch)
            yield _numbered(frame, first_row)
            first_row += frame.height

    def _jsonl_batches(self, batch_rows: int, wanted: list[str]) -> Iterator[pl.DataFrame]:
        schema = {c: pl.String for c in wanted}
        with self.path.open("rb") as handle:
            line_number = 0
            while True:
                numbers, lines = [], []
                for raw in handle:
                    line_number += 1
                    if raw.strip():
                        numbers.append(line_number)
                        lines.append(raw if raw.endswith(b"\n") else raw + b"\n")
                    if len(lines) >= batch_rows:
                        break
                if not lines:
                    return
                block = b"".join(lines)
                _check_depths(block, lines=lines, numbers=numbers)
                try:
                    frame = pl.read_ndjson(io.BytesIO(block), schema=schema)
                except pl.exceptions.ComputeError as exc:
                    raise _bad_json_line(numbers, lines) from exc
                yield frame.with_columns(pl.Series(ROW, numbers, dtype=pl.Int64)).select(ROW, *wanted)


def filled_rows(frame: pl.DataFrame, columns: Sequence[str]) -> dict[str, int]:
    """How many rows of `frame` hold a value that is not blank in each of `columns`."""
    counts = frame.select(_filled(c, frame.schema[c]).sum() for c in columns)
    return {c: int(counts.get_column(c)[0]) for c in columns} if columns else {}


def _filled(column: str, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        # A regex stops at the first character that is not white space: far cheaper than trimming every cell.
        return pl.col(column).str.contains(r"\S").fill_null(False)
    return pl.col(column).is_not_null()  # a Parquet number, date or list in a column left as the file holds it


def _from_arrow(data: pa.Table | pa.RecordBatch) -> pl.DataFrame:
    # pyarrow ships no types, so polars' overloads cannot see that a Table or RecordBatch gives a DataFrame.
    return cast(pl.DataFrame, pl.from_arrow(data))


def _numbered(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    return frame.with_row_index(ROW, offset=first_row).with_columns(pl.col(ROW).cast(pl.Int64))


def _check_depths(block: bytes, *, lines: list[bytes], numbers: Iterable[int]) -> None:
    """`check_json_depth` for every line of `block` (`lines` joined), line by line only if one may be too deep."""
    # With only opening brackets and line breaks left, a line can be too deep only if it keeps more
    # than MAX_JSON_DEPTH characters: one C-level pass instead of a Python call per line, as a rule.
    if _MAYBE_TOO_DEEP.search(block.translate(None, _NOT_OPENING)):
        for number, line in zip(numbers, lines, strict=True):
            check_json_depth(line, number=number)


def _bad_json_line(numbers: list[int], lines: list[bytes]) -> ImportRefusedError:
    for number, line in zip(numbers, lines, strict=True):
        try:
            _json_object(line, number=number)
        except ImportRefusedError as refusal:
            return refusal
    return ImportRefusedError("the file is not valid JSON lines", fix="write one {...} object per line")


def _json_object(line: bytes, *, number: int) -> dict[str, object]:
    """One line read as a JSON object, or the refusal that names it."""
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise ImportRefusedError(f"line {number} is not valid JSON ({exc})", fix="correct or remove that line") from exc
    if not isinstance(record, dict):
        raise ImportRefusedError(f"line {number} is not a JSON object", fix="write one {...} object per line")
    return record


def open_table(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> TableFile:
    """Detect the format (by content, not name), encoding, delimiter and header of `path`."""
    head = _read_head(path)
    if not head.strip():
        raise ImportRefusedError(f"{path.name} is empty", fix="export the file again with its header and rows")
    if head.startswith(b"PK\x03\x04"):
        check_xlsx_archive(path)
        return _checked(_open_xlsx(path, sheet))
    if head.startswith(b"PAR1"):
        return _checked(_open_parquet(path))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefusedError(
            f"{path.name} is an old Excel (.xls) workbook", fix="save it as .xlsx or CSV and import that"
        )
    text_encoding = _text_encoding(path, head, encoding)
    sample = _decode_sample(head, text_encoding)
    if sample.lstrip().startswith("{"):
        return _checked(_open_jsonl(path))
    return _checked(_open_csv(path, sample, text_encoding))


def _checked(table: TableFile) -> TableFile:
    check_columns(table.columns, name=table.path.name)
    return table


def _read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(_SAMPLE_BYTES)


def _text_encoding(path: Path, head: bytes, requested: str | None) -> str:
    if requested:
        try:
            return codecs.lookup(requested).name
        except LookupError as exc:
            raise ImportRefusedError(
                f"'{requested}' is not an encoding Python knows", fix="use utf-8, cp1252 or latin-1"
            ) from exc
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise ImportRefusedError(
            f"{path.name} is a binary file, not text: it cannot be read as CSV",
            fix="export the data as CSV, XLSX, Parquet or JSON lines",
        )
    bad_byte = _first_undecodable(path, "utf-8")
    if bad_byte is None:
        return "utf-8"
    if _UTF8_SEQUENCE.search(head):
        # Valid UTF-8 letters and invalid bytes in one file: no single encoding reads it right.
        raise ImportRefusedError(
            f"{path.name} is written in UTF-8 but byte {bad_byte:,} is not valid UTF-8 (a damaged or mixed file)",
            fix="save the file again as UTF-8, or pass --encoding if it really is another encoding",
        )
    # Every byte decodes in Latin-1; cp1252 is the usual Windows superset, tried first.
    return "cp1252" if _decodes(path, "cp1252") else "latin-1"


def _decodes(path: Path, encoding: str) -> bool:
    return _first_undecodable(path, encoding) is None


def _first_undecodable(path: Path, encoding: str) -> int | None:
    """The offset of the first byte `encoding` cannot decode, or None when the whole file decodes."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = pending = 0
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 22):
                pending = len(decoder.getstate()[0])  # a sequence cut by the previous chunk
                decoder.decode(chunk)
                offset += len(chunk)
            pending = len(decoder.getstate()[0])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return offset - pending + exc.start
    return None


def _decode_sample(head: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head).lstrip("\ufeff")


def _open_csv(path: Path, sample: str, encoding: str) -> TableFile:
    lines = sample.splitlines(keepends=True)
    if len(sample.encode()) >= _SAMPLE_BYTES - 4 and len(lines) > 1:
        lines = lines[:-1]  # the last line of a cut sample may be partial
    text = "".join(lines)
    try:
        delimiter = _sniff_delimiter(text)
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise too_long_field(csv.field_size_limit()) from exc
        raise ImportRefusedError(
            f"the header cannot be read as CSV ({exc})", fix="export the file again as CSV"
        ) from exc
    columns = [name.strip() or f"column {i + 1}" for i, name in enumerate(header)]
    repeated = sorted(c for c, n in Counter(columns).items() if n > 1)
    if repeated:
        raise ImportRefusedError(
            f"the header repeats the column name {', '.join(repr(c) for c in repeated)}",
            fix="give every column its own name",
        )
    return TableFile(path=path, format=FileFormat.csv, columns=columns, encoding=encoding, delimiter=delimiter)


def _sniff_delimiter(text: str) -> str:
    """The candidate that splits the header into most columns and every sampled row alike."""
    best, best_score = ",", (-1.0, 0)
    for delimiter in _DELIMITERS:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))[:200]
        rows = [r for r in rows if r]
        if not rows or len(rows[0]) < 2:
            continue
        consistent = sum(len(r) == len(rows[0]) for r in rows) / len(rows)
        score = (consistent, len(rows[0]))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _open_xlsx(path: Path, sheet: str | None) -> TableFile:
    try:
        reader = fastexcel.read_excel(str(path))
    except fastexcel.FastExcelError as exc:
        raise ImportRefusedError(
            f"{path.name} is not a readable XLSX workbook ({exc})", fix="save it again as .xlsx"
        ) from exc
    names = reader.sheet_names
    index = 0
    if sheet is not None:
        if sheet in names:
            index = names.index(sheet)
        elif sheet.isdigit() and 1 <= int(sheet) <= len(names):
            index = int(sheet) - 1
        else:
            raise ImportRefusedError(
                f"the workbook has no sheet '{sheet}'; its sheets are {', '.join(names)}",
                fix="pass one of those names with --sheet",
            )
    columns = [c.name for c in reader.load_sheet(index, n_rows=0, dtypes="string").available_columns()]
    return TableFile(path=path, format=FileFormat.xlsx, columns=columns, sheet=names[index], _sheet_index=index)


def _open_parquet(path: Path) -> TableFile:
    try:
        schema = pq.read_schema(path)
    except pa.ArrowException as exc:
        raise ImportRefusedError(f"{path.name} is not a readable Parquet file ({exc})", fix="write it again") from exc
    return TableFile(path=path, format=FileFormat.parquet, columns=list(schema.names))


def _open_jsonl(path: Path) -> TableFile:
    """Every key of every line, in the order keys first appear: a key may first appear on any line."""
    columns: dict[str, None] = {}
    first = 1
    with path.open("rb") as handle:
        while lines := handle.readlines(_KEY_BLOCK_BYTES):
            columns.update(dict.fromkeys(_block_keys(lines, first=first)))
            check_columns(list(columns), name=path.name)  # at the block that passes the limit, not the end
            first += len(lines)
    return TableFile(path=path, format=FileFormat.jsonl, columns=list(columns), encoding="utf-8")


def _block_keys(lines: list[bytes], *, first: int) -> list[str]:
    """The keys of a block of lines (the first is line `first`), in the order they first appear."""
    block = b"".join(lines)
    _check_depths(block, lines=lines, numbers=range(first, first + len(lines)))
    try:
        # Polars reads a block's keys (inferring types nobody uses) with a third of the CPU of json.loads.
        return pl.scan_ndjson(io.BytesIO(block), infer_schema_length=None).collect_schema().names()
    except pl.exceptions.PolarsError:
        # A bad line, or a key holding an object on some lines and a list on others: read line by line.
        return _keys_line_by_line(lines, first=first)


def _keys_line_by_line(lines: list[bytes], *, first: int) -> list[str]:
    """`_block_keys` the slow way, naming the first line that is not a JSON object."""
    keys: dict[str, None] = {}
    for number, line in enumerate(lines, start=first):
        if line.strip():
            keys.update(dict.fromkeys(_json_object(line, number=number)))
    return list(keys)
