"""Reject a key the file already used: the second occurrence goes, naming the first row."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from db.chunks import among
from services.imports.read import ROW
from services.imports.validate import PROBLEM_SCHEMA, Split

_FIRST = "__first_row"


@dataclass
class SeenKeys:
    """Every key stored so far in this file, with the row that first used it (kept across batches).

    Each batch is looked up by streaming the keys seen so far past a hash of the batch's own
    keys (`db.chunks.among`): the memory a lookup takes stays the size of a batch however
    large the file grows.
    """

    key: tuple[str, ...]
    seen: list[pl.DataFrame] = field(default_factory=list)

    def split(self, good: pl.DataFrame) -> Split:
        """The rows whose key is new, and problems for those repeating an earlier row's key."""
        numbered = good.with_columns(pl.col(ROW).min().over(self.key).alias(_FIRST))
        if self.seen:
            batch_keys = numbered.select(self.key).unique()
            earlier = among(self.seen, batch_keys, on=self.key)
            if not earlier.is_empty():
                numbered = numbered.join(
                    earlier, on=self.key, how="left", suffix="_seen", maintain_order="left"
                ).with_columns(pl.coalesce(f"{_FIRST}_seen", _FIRST).alias(_FIRST))
        repeated = numbered.filter(pl.col(_FIRST) != pl.col(ROW))
        fresh = numbered.filter(pl.col(_FIRST) == pl.col(ROW))
        self.seen.append(fresh.select(*self.key, pl.col(ROW).alias(_FIRST)))
        return Split(good=fresh.select(good.columns), problems=_problems(repeated, self.key))


def _problems(repeated: pl.DataFrame, key: tuple[str, ...]) -> pl.DataFrame:
    value = pl.concat_str([pl.col(k).cast(pl.String) for k in key], separator=" / ")
    named = " / ".join(key)
    return repeated.select(
        pl.col(ROW).alias("row"),
        pl.lit(named).alias("field"),
        value.alias("value"),
        pl.concat_str(
            [
                pl.lit(f"{named} '"),
                value,
                pl.lit("' repeats row "),
                pl.col(_FIRST).cast(pl.String),
                pl.lit(" (the first is kept)"),
            ]
        ).alias("reason"),
    ).cast(PROBLEM_SCHEMA)  # type: ignore[arg-type]  # polars' cast() wants a Mapping keyed by column-or-dtype; a dict[str, ...] is invariant
