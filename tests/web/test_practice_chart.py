"""The practice chart's rows: migraine days and practice minutes per calendar week."""

from __future__ import annotations

from datetime import date, timedelta

from web.practice_chart import practice_chart, practice_rows


def _days(first: date, n: int, migraine: set[int], uncovered: frozenset = frozenset()):
    return [{"date": (first + timedelta(days=i)).isoformat(), "covered": i not in uncovered,
             "migraine_day": i in migraine} for i in range(n)]


def test_rows_count_covered_migraine_days_per_monday_week_and_take_the_minutes():
    days = _days(date(2026, 3, 4), 14, {0, 1, 5, 6, 12}, uncovered=frozenset({6}))  # a Wednesday
    rows = practice_rows(days, [{"week": "2026-03-09", "minutes": 25},
                                {"week": "1999-01-04", "minutes": 5}])  # outside: ignored
    assert [r["week"] for r in rows][-3:] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    by_week = {r["week"]: r for r in rows}
    assert by_week["2026-03-02"]["migraine_days"] == 2  # 4 and 5 March
    assert by_week["2026-03-09"]["migraine_days"] == 1  # the 10th; the 11th is not covered
    assert by_week["2026-03-16"]["migraine_days"] == 1
    assert by_week["2026-03-09"]["minutes"] == 25 and by_week["2026-03-02"]["minutes"] == 0
    assert by_week["2026-03-09"]["label"] == "9 Mar 2026"
    assert len(rows) == 27  # 26 weeks back from the last day, starting on a Monday


def test_no_chart_without_practice():
    days = _days(date(2026, 3, 4), 3, set())
    assert practice_chart({"days": days, "clinical": {}}) is None
    assert practice_chart({"days": days, "clinical": {"practice": {"entries": 0}}}) is None
    spec = practice_chart({"days": days, "clinical": {"practice": {
        "entries": 1, "weekly_minutes": [{"week": "2026-03-02", "minutes": 9}]}}})
    assert spec["datasets"]["practice_weeks"][-1]["minutes"] == 9
