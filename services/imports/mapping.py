"""Match a file's columns to a kind's canonical fields: explicit `field=column` first, then by name."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.contracts.kinds import KindSpec
from services.imports.errors import ImportRefusedError


@dataclass(frozen=True)
class ColumnMap:
    """Which file column holds each canonical field (fields the file lacks are absent)."""

    columns: dict[str, str]
    unused: list[str] = field(default_factory=list)
    """The file's other columns, in file order: no field reads them."""

    def label(self, name: str) -> str:
        """How a rejection names a field: with the file's column when that differs."""
        column = self.columns.get(name)
        return name if column is None or _normalise(column) == name else f"{name} (column '{column}')"


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """Turn `["field=column", ...]` into a dict, refusing malformed pairs."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        name, separator, column = pair.partition("=")
        if not separator or not name.strip() or not column.strip():
            raise ImportRefusedError(f"'{pair}' is not a FIELD=COLUMN mapping", fix="write it like order_date=Date")
        mapping[name.strip()] = column.strip()
    return mapping


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def resolve_columns(spec: KindSpec, *, header: list[str], mapping: dict[str, str]) -> ColumnMap:
    """Map canonical fields to header columns, refusing unknown fields, absent columns and missing requirements."""
    found = ", ".join(repr(c) for c in header) or "none"
    columns: dict[str, str] = {}
    for name, column in mapping.items():
        if name not in spec.names:
            raise ImportRefusedError(
                f"'{name}' is not a {spec.kind.value} field; the fields are {', '.join(spec.names)}",
                fix=f"map one of those fields, e.g. {spec.names[0]}={column}",
            )
        matches = [c for c in header if c == column] or [c for c in header if c.lower() == column.lower()]
        if not matches:
            raise ImportRefusedError(
                f"the mapping {name}={column} names a column the file does not have; its columns are {found}",
                fix=f"check the spelling of '{column}' or drop that mapping",
            )
        columns[name] = matches[0]
    mapped = set(columns.values())
    by_name = {_normalise(c): c for c in header if c not in mapped}
    for name in spec.names:
        if name not in columns and name in by_name:
            columns[name] = by_name[name]
    _require(spec, columns, found)
    used = set(columns.values())
    return ColumnMap(columns=columns, unused=[c for c in header if c not in used])


def _require(spec: KindSpec, columns: dict[str, str], found: str) -> None:
    required = [f.name for f in spec.fields if f.required]
    if not columns:
        raise ImportRefusedError(
            f"no recognised header: none of the columns ({found}) is a {spec.kind.value} field "
            f"such as {', '.join(required)}",
            fix="add a header row, or map your columns with --map FIELD=COLUMN",
        )
    missing = [name for name in required if name not in columns]
    for group in spec.one_of:
        if not any(name in columns for name in group):
            missing.append(" or ".join(group))
    if missing:
        raise ImportRefusedError(
            f"the file has no column for {', '.join(missing)} (its columns are {found})",
            fix=f"map one with --map {missing[0].split(' or ')[0]}=COLUMN",
        )
