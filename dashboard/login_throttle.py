"""Failed sign-ins counted per username and client address: the sixth failure within a minute is refused.

Counting per (username, address) stops password guessing against one account from one place
without letting anyone lock another person out from elsewhere. The count lives in the process:
with several dashboard processes each one counts on its own, so the limit is per process.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

MAX_FAILURES = 5
WINDOW_S = 60.0
_MAX_KEYS = 10_000


@dataclass
class LoginThrottle:
    """A sliding window of failed sign-ins per (username, address)."""

    max_failures: int = MAX_FAILURES
    window_s: float = WINDOW_S
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        return times

    def retry_after(self, *, username: str, address: str, now: float | None = None) -> float:
        """Seconds until this pair may try again; 0 when it may try now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent((username.lower(), address), now)
            if len(times) < self.max_failures:
                return 0.0
            return max(self.window_s - (now - times[0]), 0.0)

    def failed(self, *, username: str, address: str, now: float | None = None) -> None:
        """Count one failed sign-in."""
        now = time.monotonic() if now is None else now
        key = (username.lower(), address)
        with self._lock:
            if len(self._failures) >= _MAX_KEYS:
                # Bound the memory a flood of made-up usernames can take: drop pairs with no recent failure.
                self._failures = {k: v for k, v in self._failures.items() if self._recent(k, now)}
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times

    def succeeded(self, *, username: str, address: str) -> None:
        """Forget the failures of a pair that has just signed in."""
        with self._lock:
            self._failures.pop((username.lower(), address), None)


THROTTLE = LoginThrottle()
"""The process-wide throttle the login page uses."""
