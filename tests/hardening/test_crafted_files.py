"""Files crafted to hurt, imported with `glance import` in a real process: refused with a clear reason, memory bounded.

Each import runs as a child process whose peak resident memory is read by GNU `time`; an import
of a plain small file sets the baseline. The figures are printed (`-s`) for the README.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from tests.sync.conftest import sales_rows, write_csv

HEADER = ["external_id", "order_date", "territory", "units", "net_revenue"]
MEMORY_BOUND_MB = 450  # the CLI itself takes about 200 MB; the unguarded zip bomb took 2,200 MB


@dataclass(frozen=True)
class ChildRun:
    """What `glance import` did: exit code, JSON report, peak memory and wall time."""

    code: int
    report: dict[str, object]
    stderr: str
    peak_mb: float
    seconds: float


def glance_import(file: Path, data_dir: Path, *extra: str) -> ChildRun:
    """Run `glance import sales FILE --format json` on an embedded database and measure it."""
    env = {
        **os.environ,
        "GLANCE_DATA_DIR": str(data_dir),
        "GLANCE_DATABASE_URL": f"sqlite:///{data_dir / 'glance.db'}",
        "GLANCE_REDIS_URL": "",
        "COLUMNS": "200",
    }
    if not (data_dir / "glance.db").exists():
        subprocess.run([sys.executable, "-m", "services", "db", "upgrade"], env=env, check=True, capture_output=True)
    out, err, rss = data_dir / "import.out", data_dir / "import.err", data_dir / "import.rss"
    started = time.perf_counter()
    with out.open("w") as stdout, err.open("w") as stderr:
        # GNU time forks the import from its own small process: the child's peak then excludes the
        # pytest parent's pages, which a fork from here would count (ru_maxrss survives exec).
        code = subprocess.run(
            [
                "/usr/bin/time",
                "-o",
                str(rss),
                "-f",
                "%M",
                sys.executable,
                "-m",
                "services",
                "import",
                "sales",
                str(file),
                "--format",
                "json",
                *extra,
            ],
            env=env,
            stdout=stdout,
            stderr=stderr,
            check=False,
        ).returncode
    seconds = time.perf_counter() - started
    text = out.read_text(encoding="utf-8")
    report = json.loads(text[text.find("{") :]) if "{" in text else {}
    peak = int(rss.read_text(encoding="utf-8").split()[-1]) / 1024
    print(f"{file.name}: exit {code}, peak {peak:.0f} MB, {seconds:.2f} s, {report.get('message', '')!s:.90}")
    return ChildRun(code=code, report=report, stderr=err.read_text(encoding="utf-8"), peak_mb=peak, seconds=seconds)


def assert_refused(run: ChildRun, *phrases: str) -> None:
    assert run.code == 1, run.stderr
    assert run.report["status"] == "refused" and run.report["inserted"] == 0
    message = str(run.report["message"])
    assert all(phrase in message for phrase in phrases), message
    assert "fix:" in message
    assert run.peak_mb < MEMORY_BOUND_MB


def _zip_bomb(path: Path, *, unpacked_gb: int) -> Path:
    """A real workbook whose sheet is padded with gigabytes of spaces (compresses about 1000 to 1)."""
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(["1", "2025-01-01", "UK", "1", "2"])
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(part, data)
                continue
            head, tail = data.split(b"</sheetData>")
            with bomb.open(part.filename, "w", force_zip64=True) as sheet:
                sheet.write(head)
                for _ in range(unpacked_gb * 1024):
                    sheet.write(b" " * (1 << 20))
                sheet.write(b"</sheetData>" + tail)
    return path


def test_a_small_plain_file_sets_the_memory_baseline(tmp_path: Path) -> None:
    run = glance_import(write_csv(tmp_path / "plain.csv", sales_rows(50)), tmp_path)
    assert run.code == 0 and run.report["inserted"] == 50
    assert run.peak_mb < MEMORY_BOUND_MB


@pytest.mark.slow
def test_a_zip_bomb_disguised_as_xlsx_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    bomb = _zip_bomb(tmp_path / "quarterly.xlsx", unpacked_gb=2)
    assert bomb.stat().st_size < 5 * 2**20
    assert_refused(glance_import(bomb, tmp_path), "2.0 GB", "zip bomb")


def test_a_workbook_that_lies_about_its_size_is_refused(tmp_path: Path) -> None:
    book = _zip_bomb(tmp_path / "book.xlsx", unpacked_gb=0)
    data = bytearray(book.read_bytes())
    # Shrink the sheet's declared uncompressed size in the central directory; the data still unpacks to more.
    name = b"xl/worksheets/sheet1.xml"
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    data[entry + 24 : entry + 28] = (10).to_bytes(4, "little")
    (tmp_path / "liar.xlsx").write_bytes(bytes(data))
    assert_refused(glance_import(tmp_path / "liar.xlsx", tmp_path), "not a readable XLSX")


@pytest.mark.slow
def test_a_csv_with_a_100_mb_field_is_refused_naming_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(HEADER) + '\n1,2025-01-01,"')
        for _ in range(100):
            handle.write("x" * (1 << 20))
        handle.write('",1,2\n')
    assert_refused(glance_import(path, tmp_path), "a field is longer than", "at most 65,536")


def test_a_field_over_the_limit_deep_in_the_file_is_refused_naming_its_row(tmp_path: Path) -> None:
    rows = sales_rows(6000)
    rows[5000]["product"] = "y" * 100_000
    assert_refused(
        glance_import(write_csv(tmp_path / "long.csv", rows), tmp_path), "row 5002", "'product'", "100,000 bytes"
    )


def test_a_field_over_the_limit_near_the_top_is_refused(tmp_path: Path) -> None:
    rows = sales_rows(3)
    rows[1]["product"] = "y" * 200_000
    assert_refused(
        glance_import(write_csv(tmp_path / "top.csv", rows), tmp_path), "a field is longer than", "at most 65,536"
    )


def test_a_csv_with_10000_columns_is_refused(tmp_path: Path) -> None:
    header = HEADER + [f"extra {i}" for i in range(10_000)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(header) + "\n" + ",".join(["1", "2025-01-01", "UK", "1", "2"] + ["v"] * 10_000) + "\n")
    assert_refused(glance_import(path, tmp_path), "10,005 columns", "at most 1,000")


def test_deeply_nested_json_lines_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    flat = json.dumps(dict(zip(HEADER, ["1", "2025-01-01", "UK", "1", "2"], strict=True)))
    path.write_text(flat + "\n" + '{"external_id": "2", "territory": ' + "[" * 200_000 + "]" * 200_000 + "}\n")
    assert_refused(glance_import(path, tmp_path), "line 2 is nested more than 32 levels")


def test_invalid_utf8_inside_a_utf8_file_is_refused_naming_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"external_id,order_date,territory,units,net_revenue\n"
        b"1,2025-01-01,S\xc3\xa3o Paulo,1,2\n2,2025-01-01,U\xffK,1,2\n"
    )
    assert_refused(glance_import(path, tmp_path), "byte 93 is not valid UTF-8")


def test_invalid_utf8_with_an_explicit_utf8_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"external_id,order_date,territory,units,net_revenue\n1,2025-01-01,M\xfcnchen,1,2\n")
    assert_refused(glance_import(path, tmp_path, "--encoding", "utf-8"), "could not be read as utf-8")


def test_formula_cells_are_never_evaluated_and_stay_literal_text(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(["1", "2025-01-01", "UK", 1, "=1+1"])  # no cached value: a formula, never computed here
    book.active.append(["2", "2025-01-01", '=HYPERLINK("http://evil.example","UK")', 1, 5])
    book.save(tmp_path / "formulas.xlsx")
    run = glance_import(tmp_path / "formulas.xlsx", tmp_path)
    assert run.code == 0
    assert run.report["inserted"] == 0 and run.report["rejected"] == 2
    reasons = {(r["row"], r["field"]) for r in run.report["rejections"]}  # type: ignore[union-attr]
    assert reasons == {(2, "net_revenue"), (3, "territory")}


def test_rich_markup_in_a_rejected_value_is_printed_as_text(tmp_path: Path) -> None:
    rows = sales_rows(2)
    rows[0]["units"] = "[/bold] [red]"
    env = {
        **os.environ,
        "GLANCE_DATA_DIR": str(tmp_path),
        "GLANCE_DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
        "COLUMNS": "200",
    }
    subprocess.run([sys.executable, "-m", "services", "db", "upgrade"], env=env, check=True, capture_output=True)
    shown = subprocess.run(
        [sys.executable, "-m", "services", "import", "sales", str(write_csv(tmp_path / "m.csv", rows))],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    assert "[/bold] [red]" in shown.stdout
