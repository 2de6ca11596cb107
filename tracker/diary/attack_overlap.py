"""Overlaps among many attacks, checked in memory after one sort (O(n log n)).

The rule is :func:`tracker.diary.attacks.check_overlap`'s: two attacks clash when they start at the
same instant, or when their intervals ``[start, end)`` overlap; an attack without an end is
the instant ``[start, start]``. So a point clashes with an interval that contains it (the
interval's start included, its end excluded), and two points clash only when they are equal.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Span:
    """An attack as an interval of UTC instants; ``end == start`` for an attack without end."""

    start: datetime
    end: datetime


def span(started_at: datetime, ended_at: datetime | None) -> Span:
    """Return the span of an attack (aware instants, converted to UTC)."""
    start = started_at.astimezone(UTC)
    return Span(start, ended_at.astimezone(UTC) if ended_at is not None else start)


def clash(a: Span, b: Span) -> bool:
    """Whether two attacks overlap by the diary's rule."""
    return a.start == b.start or (a.start < b.end and b.start < a.end)


def overlap_message(started_at: datetime, timezone: str) -> str:
    """Return the overlap refusal, naming the other attack's start in the patient's local time.

    The form shows local times, so the message does too (with the zone's name, as the form's
    hint does); an instant in UTC here would read as a different hour.
    """
    local = started_at.astimezone(ZoneInfo(timezone or "UTC"))
    return f"it overlaps the attack that started {local:%Y-%m-%d %H:%M} ({timezone or 'UTC'} time)"


def overlaps_within(spans: Sequence[Span]) -> list[tuple[int, int]]:
    """Return ``(i, j)``: ``spans[i]`` clashes with ``spans[j]``, which starts no later.

    Every span that clashes with one starting no later than it is listed once (with one
    such partner); a pair of clashing spans therefore always has at least one entry.
    """
    order = sorted(range(len(spans)), key=lambda k: (spans[k].start, spans[k].end))
    found: list[tuple[int, int]] = []
    reach: tuple[datetime, int] | None = None  # the furthest end so far, and whose it is
    previous: int | None = None
    for i in order:
        current = spans[i]
        if previous is not None and spans[previous].start == current.start:
            found.append((i, previous))
        elif reach is not None and current.start < reach[0]:
            found.append((i, reach[1]))
        if reach is None or current.end > reach[0]:
            reach = (current.end, i)
        previous = i
    return found


class SpanIndex:
    """Stored attacks, sorted once, to find the one a new attack clashes with in O(log n)."""

    def __init__(self, spans: Iterable[Span]) -> None:
        self._spans = sorted(spans, key=lambda s: (s.start, s.end))
        self._starts = [s.start for s in self._spans]
        # _reach[k]: (the furthest end among spans[0..k], its index).
        self._reach: list[tuple[datetime, int]] = []
        for k, s in enumerate(self._spans):
            if not self._reach or s.end > self._reach[-1][0]:
                self._reach.append((s.end, k))
            else:
                self._reach.append(self._reach[-1])

    def __len__(self) -> int:
        """Return the number of spans indexed."""
        return len(self._spans)

    def find_clash(self, new: Span) -> Span | None:
        """Return an indexed span that clashes with ``new``, or None."""
        i = bisect_right(self._starts, new.start)  # spans[:i] start at or before new
        if i:
            if self._starts[i - 1] == new.start:
                return self._spans[i - 1]
            end, k = self._reach[i - 1]
            if end > new.start:
                return self._spans[k]
        if i < len(self._starts) and self._starts[i] < new.end:
            return self._spans[i]
        return None
