"""Overlap work with I/O: the next result is made in a thread while the caller uses the last one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, cast

T = TypeVar("T")
U = TypeVar("U")
_END = object()


def one_ahead(
    items: Iterator[T],
    work: Callable[[T], U],
    *,
    finish: Callable[[], object] | None = None,
    name: str = "one-ahead",
) -> Iterator[U]:
    """`work(item)` for each item in order, each made in a thread while the caller uses the one before.

    Taking the next item and working on it both happen in the thread, so a slow reader overlaps
    too; for work that releases the GIL (Polars, Arrow) the two really run at once. `finish`
    runs in the thread after the last item. One result waits at most, so memory holds two.
    """

    def next_result() -> object:
        item = next(items, _END)
        if item is _END:
            if finish is not None:
                finish()
            return _END
        return work(cast(T, item))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=name) as pool:
        pending = pool.submit(next_result)
        while (result := pending.result()) is not _END:
            pending = pool.submit(next_result)
            yield cast(U, result)
