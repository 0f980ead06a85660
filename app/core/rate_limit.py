"""Per-address rate limits of the anonymous endpoints (casting, answering, credentials).

Used by the referendum voting API and the survey API (moved here from the former
``referendums/voting/limits.py`` so that surveys, which may not import referendums,
get the same limiter).

A fixed one-minute window per (route, client address), counted in this process (one
`RateLimiter` per app, kept in ``app.state``). It
stops one address from making the server check junk or replayed ballots by the
thousand, or from hammering the credential route; the reverse proxy should limit too,
across all app processes (``docs/operations.md``, "Rate limits"). The client address
is the one the ASGI server reports: behind a proxy run ``stimmwerk serve`` with the
proxy's address trusted for ``X-Forwarded-For`` (uvicorn's ``--forwarded-allow-ips``),
never trust the header from anyone else. A limit of 0 switches the limit off.

Members behind one address (a party office, a mobile carrier's NAT) share its limit;
the defaults leave room for that: a member needs one credential request and one cast.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Final

from litestar import Request

_WINDOW: Final = 60.0
_MAX_KEYS: Final = 100_000
"""Bound on the table's size: a flood of spoofed addresses cannot grow it without end."""


class RateLimiter:
    """Counts requests per key in fixed windows of a minute (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}

    def allow(self, route: str, address: str, per_minute: int) -> bool:
        """Count one request; False once ``per_minute`` requests came in this window."""
        if per_minute <= 0:
            return True
        window = int(time.monotonic() // _WINDOW)
        key = (route, address)
        with self._lock:
            seen_window, count = self._counts.get(key, (window, 0))
            if seen_window != window:
                count = 0
            if len(self._counts) >= _MAX_KEYS:
                self._forget_old(window)
            self._counts[key] = (window, count + 1)
            return count < per_minute

    def _forget_old(self, window: int) -> None:
        for key in [k for k, (w, _) in self._counts.items() if w != window]:
            del self._counts[key]


def over_limit(
    request: Request[Any, Any, Any],
    limiter: str,
    route: str,
    per_minute: int,
    *,
    key: str | None = None,
) -> bool:
    """Count this request against ``route``'s limit for the client address (or for
    ``key``, e.g. an account, where one person is the unit), in the app's limiter
    ``limiter`` (a key of ``app.state``, one per API, created on first use); True once
    over it. A limit of 0 switches it off."""
    if per_minute <= 0:
        return False
    state = request.app.state
    counter = state.get(limiter)
    if counter is None:  # one per app (and so per process), created on first use
        counter = state.setdefault(limiter, RateLimiter())
    if key is None:
        key = request.client.host if request.client else ""
    return not counter.allow(route, key, per_minute)
