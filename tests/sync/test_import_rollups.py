"""The rollups an import leaves behind equal the rollups rebuilt from the stored lines.

A first import of a source adds what its lines sum to (no re-read of stored lines); a later
import of the same source rebuilds the days it touched. Either way the dashboard's figures
must equal a rebuild from the facts, orders included: an order belongs to its source, and an
order whose lines fall in different read batches is still one order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from db.rollups import rebuild_all
from services.runtime.database import session_scope
from services.runtime.settings import Settings
from tests.sync.conftest import Importer, sales_rows, write_csv

ROLLUPS = (
    "SELECT * FROM sales_daily ORDER BY 1, 2, 3, 4",
    "SELECT * FROM orders_daily ORDER BY 1, 2, 3",
    "SELECT * FROM sales_product_monthly ORDER BY 1, 2, 3, 4, 5",
)


def rollups(engine: Engine) -> list[list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return [[tuple(r) for r in conn.execute(text(sql))] for sql in ROLLUPS]


def rebuilt(engine: Engine) -> list[list[tuple[Any, ...]]]:
    """The rollups rebuilt from scratch from the stored lines, then put back as they were."""
    with session_scope(engine) as session:
        rebuild_all(session)
        return [[tuple(r) for r in session.execute(text(sql))] for sql in ROLLUPS]


def test_first_and_later_imports_leave_rollups_equal_to_a_rebuild(
    tmp_path: Path, do_import: Importer, backend_engine: Engine
) -> None:
    # Two lines per order, in batches of 3 rows: most orders straddle two batches.
    small_batches = Settings(import_batch_rows=3)
    shop = sales_rows(20)
    do_import("sales", write_csv(tmp_path / "shop.csv", shop), source="shop", settings=small_batches)
    # A second system reuses the same order numbers on the same days: they are other orders.
    market = sales_rows(12, territory="UK")
    do_import("sales", write_csv(tmp_path / "market.csv", market), source="market", settings=small_batches)
    after_first_imports = rollups(backend_engine)
    assert after_first_imports == rebuilt(backend_engine)

    with backend_engine.connect() as conn:
        orders = conn.execute(text("SELECT sum(orders) FROM orders_daily")).scalar_one()
        distinct = conn.execute(
            text(
                "SELECT count(*) FROM"
                " (SELECT DISTINCT source, order_id, order_date, territory, channel FROM sales_line) o"
            )
        ).scalar_one()
    assert orders == distinct
    assert orders > len({r["order_id"] for r in shop})  # the market's orders were not merged into the shop's

    # A later import of a known source changes and adds lines: the touched days are rebuilt.
    shop[3]["units"] = "30"
    more = write_csv(tmp_path / "shop.csv", shop + sales_rows(6, start=40))
    report = do_import("sales", more, source="shop", settings=small_batches)
    assert (report.inserted, report.updated) == (6, 1)
    assert rollups(backend_engine) == rebuilt(backend_engine)
