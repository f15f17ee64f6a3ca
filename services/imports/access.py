"""Imports under a territory scope: which rows a caller may store, and which files need every territory.

A caller scoped to some territories imports only rows of those territories; every other row is
rejected with the reason, like any bad row (so a strict import refuses the file). What applies to
the whole business needs every territory: a `*` target row, and whole files of FX rates (they
reconvert every territory's figures) or users (they grant access of their own).
"""

from __future__ import annotations

import polars as pl

from db.models import ALL_TERRITORIES
from db.scope import Scope
from services.contracts.report import ImportKind
from services.imports.errors import ImportRefusedError
from services.imports.plan import Plan
from services.imports.read import ROW
from services.imports.validate import PROBLEM_SCHEMA
from services.imports.values import clean_text

TERRITORY = "territory"
OUTSIDE = "is outside your access"
"""Every rejection for a territory the caller may not import says this after the territory."""
_BUSINESS_WIDE = {
    ImportKind.fx_rates: "FX rates apply to every territory's figures",
    ImportKind.users: "users are given access of their own",
}


def check_kind(kind: ImportKind, scope: Scope) -> None:
    """Refuse a file of a kind that applies to the whole business when `scope` is not every territory."""
    why = _BUSINESS_WIDE.get(kind)
    if why is None or scope.is_everything:
        return
    raise ImportRefusedError(
        f"a {kind.value} import needs access to every territory ({why}); your access covers {scope.describe()}",
        fix="ask an admin to import this file",
    )


def outside_scope(frame: pl.DataFrame, *, plan: Plan, scope: Scope) -> pl.DataFrame | None:
    """One problem (field `territory`) for each row of `frame` whose territory `scope` does not allow.

    Read off the file's own text, so a row outside is refused for that whatever else is wrong
    with it. A blank territory is the kind's default (a target's `*`, the whole business); where
    the territory is required, the field check rejects the blank. None when `scope` allows all.
    """
    if scope.territories is None or TERRITORY not in plan.spec.names:
        return None
    column = plan.columns.columns.get(TERRITORY)
    default = plan.spec.field(TERRITORY).default
    cell = clean_text(column) if column is not None else pl.lit(None, dtype=pl.String)
    territory = cell.fill_null(pl.lit(default, dtype=pl.String)) if default is not None else cell
    label = plan.columns.label(TERRITORY)
    rows = frame.select(pl.col(ROW), territory.alias("value")).filter(
        pl.col("value").is_not_null() & ~pl.col("value").is_in(list(scope.territories))
    )
    return rows.select(
        pl.col(ROW).alias("row"),
        pl.lit(TERRITORY).alias("field"),
        pl.col("value"),
        pl.when(pl.col("value") == ALL_TERRITORIES)
        .then(pl.lit(f"{label} '{ALL_TERRITORIES}' {OUTSIDE} ({_WHOLE_BUSINESS_FIX})"))
        .otherwise(pl.concat_str([pl.lit(f"{label} '"), pl.col("value"), pl.lit(f"' {OUTSIDE} ({_fix(scope)})")]))
        .alias("reason"),
    ).cast(PROBLEM_SCHEMA)  # type: ignore[arg-type]  # polars' cast() wants a Mapping keyed by column-or-dtype; a dict[str, ...] is invariant


_WHOLE_BUSINESS_FIX = "a whole-business target needs access to every territory: name one of yours, or ask an admin"


def _fix(scope: Scope) -> str:
    return f"your access covers {scope.describe()}: import only those rows, or ask an admin to import the rest"
