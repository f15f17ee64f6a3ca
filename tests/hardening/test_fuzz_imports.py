"""Fuzzing the import readers, the mapping and the whole pipeline: a clean refusal or a clean import, nothing else.

Profiles (Hypothesis): `ci` (the default, 300 examples each, about 80 s on a shared 2-core box) and
`long` (20,000 each, about an hour) for a local soak:
`GLANCE_FUZZ_PROFILE=long .venv/bin/pytest tests/hardening/test_fuzz_imports.py`.
Coverage-guided byte fuzzing of the readers with atheris:
`.venv/bin/python tests/hardening/atheris_read.py -max_total_time=300`.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from db.engine import make_engine
from db.migrate import upgrade
from db.scope import Scope
from services.contracts.kinds import KINDS
from services.imports import ImportRefusedError, run_import
from services.imports.mapping import parse_mapping, resolve_columns
from services.imports.read import ROW, open_table
from services.runtime.settings import Settings

settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
settings.register_profile("long", max_examples=20_000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("GLANCE_FUZZ_PROFILE", "ci"))

HEADER = "external_id,order_date,territory,units,net_revenue\n"
_nasty_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(['"', '""', "\r", "\r\n", "\x00", "\ufeff", ";", "\t", "|", "{", "[", "=1+1", "[/b]", "\\", "é"]),
)
_csv_bytes = st.builds(
    lambda head, cells, encoding: (head + "".join(cells)).encode(encoding, "replace"),
    st.sampled_from([HEADER, HEADER.replace(",", ";"), "", "a,a\n", HEADER.upper()]),
    st.lists(_nasty_text, max_size=40),
    st.sampled_from(["utf-8", "utf-16", "latin-1"]),
)
_jsonl_bytes = st.lists(
    st.dictionaries(
        st.sampled_from(["external_id", "order_date", "territory", "units", "net_revenue", "x"]),
        st.one_of(
            st.none(), st.booleans(), st.integers(), st.floats(), _nasty_text, st.lists(st.integers(), max_size=3)
        ),
        max_size=6,
    )
    .map(json.dumps)
    .map(str.encode)
    | st.binary(max_size=30),
    max_size=20,
).map(lambda lines: b"\n".join(lines))
_zip_bytes = st.builds(
    lambda names, body: _zip(names, body),
    st.lists(st.sampled_from(["xl/workbook.xml", "[Content_Types].xml", "x"]), max_size=3),
    st.binary(max_size=200),
)
_any_bytes = st.one_of(
    _csv_bytes, _jsonl_bytes, _zip_bytes, st.binary(max_size=300), st.just(b"PAR1").map(lambda p: p + b"\x00" * 10)
)


def _zip(names: list[str], body: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in dict.fromkeys(names):
            archive.writestr(name, body)
    return buffer.getvalue()


def _read_all(content: bytes) -> int:
    """Open and read `content` as an import file; the number of rows read."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.bin"
        path.write_bytes(content)
        table = open_table(path)
        rows = 0
        for frame in table.batches(batch_rows=7):
            assert frame.columns[0] == ROW and all(
                frame.schema[c] == pl.String for c in table.columns if c in frame.columns
            )
            rows += frame.height
        return rows


@given(content=_any_bytes)
def test_any_bytes_are_read_as_text_rows_or_refused_with_a_reason(content: bytes) -> None:
    try:
        _read_all(content)
    except ImportRefusedError as refusal:
        assert refusal.problem and refusal.fix


@given(
    pairs=st.lists(st.text(max_size=20), max_size=6),
    header=st.lists(st.text(max_size=12), max_size=8),
    kind=st.sampled_from(sorted(KINDS)),
)
def test_any_mapping_resolves_to_columns_the_file_has_or_is_refused(
    pairs: list[str], header: list[str], kind: str
) -> None:
    try:
        mapping = parse_mapping(pairs)
        columns = resolve_columns(KINDS[kind], header=header, mapping=mapping)
    except ImportRefusedError as refusal:
        assert refusal.problem and refusal.fix
        return
    assert set(columns.columns.values()) <= set(header)
    assert set(columns.columns) <= set(KINDS[kind].names)


@given(
    content=st.one_of(_csv_bytes, _jsonl_bytes),
    mapping=st.dictionaries(st.sampled_from(["territory", "units", "x"]), st.text(max_size=8), max_size=2),
)
def test_the_pipeline_stores_or_rejects_every_row_and_never_fails(content: bytes, mapping: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        config = Settings(data_dir=root, database_url=f"sqlite:///{root / 'g.db'}", import_batch_rows=5)
        engine = make_engine(config, url=config.database_url)
        upgrade(engine)
        (root / "fuzz.csv").write_bytes(content)
        report = run_import(
            engine, scope=Scope.everything(), kind="sales", file=root / "fuzz.csv", mapping=mapping, settings=config
        )
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM sales_line")).scalar_one()
            rejected_rows = conn.execute(text("SELECT count(DISTINCT row_number) FROM rejected_row")).scalar_one()
        engine.dispose()
    assert report.status in ("succeeded", "refused"), report.message
    if report.status == "refused":
        assert stored == 0 and report.message
    else:
        assert stored == report.inserted and rejected_rows == report.rejected
        assert stored + report.rejected == report.rows_read  # every row stored or rejected, never both, never lost
