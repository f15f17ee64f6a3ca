"""Coverage-guided fuzzing of the import readers with atheris (libFuzzer): any bytes, read or refused.

Run locally, e.g. for five minutes: `.venv/bin/python tests/hardening/atheris_read.py -max_total_time=300`.
A crash (any exception other than a refusal) stops the run and leaves the input as `crash-<hash>`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris
import fastexcel  # noqa: F401  (imported before instrumenting: only Glance's own code is instrumented)
import polars  # noqa: F401
import pyarrow.csv
import pyarrow.parquet  # noqa: F401

with atheris.instrument_imports(include=["services"]):
    from services.imports.errors import ImportRefusedError
    from services.imports.read import open_table

_SCRATCH = Path(tempfile.mkdtemp(prefix="glance-atheris-")) / "input"


def read_or_refuse(data: bytes) -> None:
    """Open `data` as an import file and read every batch; a refusal is the only allowed failure."""
    _SCRATCH.write_bytes(data)
    try:
        table = open_table(_SCRATCH)
        for _ in table.batches(batch_rows=16):
            pass
    except ImportRefusedError:
        return


if __name__ == "__main__":
    atheris.Setup(sys.argv, read_or_refuse)
    atheris.Fuzz()
