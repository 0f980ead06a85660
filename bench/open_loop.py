"""Open-loop load, shared by the benches that offer a rate (cast, survey answers,
initiative signing).

Request i is due at a fixed moment whatever the server does, and its latency counts
from that moment: a server that falls behind shows it in the latency, not in a lower
rate the generator quietly slowed to (no coordinated omission).

Each request's task is made when it is due. The benches used to make all of them at the
start (``gather`` over 30,000 coroutines, each sleeping until its moment): that cost the
generator about a second of CPU before the first request left, so the first requests
went out late and the first ten seconds of a signing run showed a p99 of 1.1 s that the
server never caused (the other windows: 65-130 ms).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any


async def open_loop(
    dues: Sequence[float], one: Callable[[int, float], Coroutine[Any, Any, None]]
) -> float:
    """Run ``one(i, due)`` for every i, started at ``due`` = the loop's start plus
    ``dues[i]`` seconds (``dues`` ascending; ``due`` is a ``time.perf_counter`` moment).
    Returns when all have finished; the value is the start."""
    start = time.perf_counter()
    running: set[asyncio.Task[None]] = set()
    for i, offset in enumerate(dues):
        due = start + offset
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(i, due))
        running.add(task)
        task.add_done_callback(running.discard)
    if running:
        await asyncio.gather(*running)
    return start
