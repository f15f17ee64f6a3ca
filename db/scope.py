"""Access scopes: which territories a person or token may see. The one place access is decided.

Every figure in `db.queries` takes a `Scope` (a required argument, so no caller can forget it)
and every table with a territory is read through `Scope.where`. A scope is either every
territory or an explicit list; a list may name territories that have no data yet (they appear
when their data arrives). An empty list grants nothing, and text that cannot be read as a scope
is refused: a scope never fails open.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, true

EVERY_TERRITORY = "*"
"""How a stored scope and the `--territories` option write "every territory"."""
_EVERY_TERRITORY_WORDS = (EVERY_TERRITORY, "all")
_NAME = re.compile(r"[^\x00-\x1f\x7f-\x9f,*]{1,100}")
"""A territory as the data holds it: 1-100 characters, no control characters (C0 or C1), commas or `*`."""


class ScopeError(ValueError):
    """Text that is not a scope (the message names the part that is wrong and how to write it)."""


@dataclass(frozen=True)
class Scope:
    """Every territory (`territories is None`) or exactly the territories listed (sorted)."""

    territories: tuple[str, ...] | None

    @classmethod
    def everything(cls) -> Scope:
        """Every territory, including ones that arrive later."""
        return cls(None)

    @classmethod
    def only(cls, territories: Iterable[str]) -> Scope:
        """Exactly these territories; none at all grants nothing."""
        names = sorted({name.strip() for name in territories})
        for name in names:
            # `all` is how `parse` reads every territory, so no territory may be called that:
            # a list holding it would widen to everything when its text is read back.
            if not _NAME.fullmatch(name) or name in _EVERY_TERRITORY_WORDS:
                raise ScopeError(f"{name[:40]!r} is not a territory name; {_HOW}")
        return cls(tuple(names))

    @classmethod
    def parse(cls, text: str) -> Scope:
        """`*` (or `all`) for every territory, else a comma-separated list such as `UK,IE`.

        Blank text is refused, not read as "no territories": an empty cell or variable is more
        often a slip than a decision, so an edge that lets people grant nothing says so itself.
        """
        stripped = text.strip()
        if stripped in _EVERY_TERRITORY_WORDS:
            return cls.everything()
        parts = [part.strip() for part in stripped.split(",")]
        if not stripped or any(not part for part in parts):
            raise ScopeError(f"{text[:40]!r} is not a list of territories; {_HOW}")
        if any(part in _EVERY_TERRITORY_WORDS for part in parts):
            raise ScopeError(f"{text[:40]!r} mixes * or all (every territory) with a list; {_HOW}")
        return cls.only(parts)

    @property
    def is_everything(self) -> bool:
        """True for the unrestricted scope."""
        return self.territories is None

    @property
    def single(self) -> str | None:
        """The territory of a one-territory scope, else None."""
        if self.territories is not None and len(self.territories) == 1:
            return self.territories[0]
        return None

    def allows(self, territory: str) -> bool:
        """Whether figures of `territory` may be shown under this scope."""
        return self.territories is None or territory in self.territories

    def narrowed(self, other: Scope) -> Scope:
        """What both scopes allow: a second scope can only take territories away, never add them."""
        if other.territories is None:
            return self
        if self.territories is None:
            return other
        return Scope(tuple(sorted(set(self.territories) & set(other.territories))))

    def where(self, column: ColumnElement[str]) -> ColumnElement[bool]:
        """The SQL condition that keeps only this scope's rows of a territory column."""
        if self.territories is None:
            return true()
        if not self.territories:
            return false()
        return column.in_(self.territories)

    def text(self) -> str:
        """`*` or the comma-separated list, as `parse` reads it ("" for the empty scope, which `parse` refuses)."""
        return EVERY_TERRITORY if self.territories is None else ",".join(self.territories)

    def describe(self) -> str:
        """For people: 'all territories', 'no territories' or 'UK, IE'."""
        if self.territories is None:
            return "all territories"
        return ", ".join(self.territories) or "no territories"


_HOW = "write * for every territory or the territories separated by commas, e.g. UK,IE"
