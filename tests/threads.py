"""Run real threads at once for the concurrency tests (each test brings its own Barrier)."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_in_threads(target: Callable[[int], object], count: int, timeout: float = 60) -> None:
    """Start ``count`` threads running ``target(index)``, join them, and fail if one hangs."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"
