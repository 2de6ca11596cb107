"""The demo's practice and trigger tags: seeded, practice only from the course on, worry that
eases, tags on about two attacks in three."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tracker.accounts.users import create_user
from tracker.demo_clinical import seed_demo_practice, seed_demo_triggers
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import list_attacks, record_attack
from tracker.diary.practice import list_practice, total_minutes

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_demo_practice_follows_the_course_and_is_repeatable(session):
    p = create_user(session, email="p@example.org", password="long enough", role="patient",
                    timezone="UTC", now=NOW)
    start, end, first = date(2026, 3, 1), date(2026, 4, 15), date(2026, 1, 1)
    added = seed_demo_practice(session, p, start, end, first, date(2026, 6, 1), seed=1, now=NOW)
    rows = list_practice(session, p)
    assert added == len(rows) > 60
    assert all(total_minutes(r) == 0 for r in rows if r.day < start)
    during = [r for r in rows if start <= r.day <= end]
    assert sum(total_minutes(r) > 0 for r in during) > len(during) / 2

    def worry(rs):
        rated = [r.weather_worry for r in rs if r.weather_worry is not None]
        return sum(rated) / len(rated)

    assert worry([r for r in rows if r.day < start]) > worry([r for r in rows if r.day > end])
    for i in range(30):
        record_attack(session, p, AttackInput(started_at=NOW - timedelta(days=2 * i + 1)),
                      now=NOW)
    seed_demo_triggers(session, p, seed=1)
    tagged = [a for a in list_attacks(session, p) if a.triggers]
    assert p.profile.tracks_triggers and 10 < len(tagged) < 30
