"""The in-memory overlap check agrees with the diary's rule on every arrangement (no database:
the rule is written out from tracker.diary.attacks.check_overlap's query)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.diary.attack_overlap import Span, SpanIndex, overlaps_within, span

BASE = datetime(2026, 1, 1, tzinfo=UTC)


def query_rule(stored: tuple[datetime, datetime | None], start: datetime,
               end: datetime | None) -> bool:
    """check_overlap's WHERE clause for one stored attack (S, E) and a new one."""
    s_start, s_end = stored
    end = end or start
    return s_start == start or (
        s_start < end and ((s_end is not None and s_end > start)
                           or (s_end is None and s_start > start)))


_ATTACK = st.tuples(st.integers(0, 30), st.one_of(st.none(), st.integers(0, 6))).map(
    lambda t: (BASE + timedelta(hours=t[0]),
               None if t[1] is None else BASE + timedelta(hours=t[0] + t[1])))


@settings(max_examples=500, deadline=None)
@given(stored=st.lists(_ATTACK, max_size=8), new=_ATTACK)
def test_the_index_finds_a_clash_exactly_when_the_query_would(stored, new):
    index = SpanIndex(span(*a) for a in stored)
    found = index.find_clash(span(*new))
    expected = [a for a in stored if query_rule(a, *new)]
    assert (found is not None) == bool(expected)
    if found is not None:
        assert any(span(*a) == found for a in expected)


@settings(max_examples=500, deadline=None)
@given(attacks=st.lists(_ATTACK, max_size=10))
def test_within_a_file_every_clashing_attack_is_reported(attacks):
    spans = [span(*a) for a in attacks]
    reported = overlaps_within(spans)
    for i, j in reported:
        assert i != j and query_rule(attacks[j], *attacks[i])
    flagged = {i for i, _ in reported}
    for i in range(len(attacks)):
        for j in range(i + 1, len(attacks)):
            if query_rule(attacks[j], *attacks[i]):
                assert i in flagged or j in flagged, (i, j)


def test_the_rule_is_symmetric_and_points_at_an_end_do_not_clash():
    a = Span(BASE, BASE + timedelta(hours=2))
    assert overlaps_within([a, Span(a.end, a.end)]) == []
    assert overlaps_within([Span(a.start, a.start), a]) != []
    assert overlaps_within([a, Span(a.start, a.start)]) != []
