"""Demo PRT practice and trigger tags (issue #16), so the demo's reports show the practice
chart and section offline: seeded, so every run gives the same diary."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.clinical_models import PracticeDay
from tracker.models import Attack, User

#: Share of days with practice (during the course, after it) and with a worry rating.
PRACTICE_SHARE = {"during": 0.7, "after": 0.4}
WORRY_SHARE = 0.6
#: The demo's worry about the weather (0-10) before, during and after the course.
WORRY_RANGE = {"before": (5, 8), "during": (3, 6), "after": (2, 5)}


def seed_demo_practice(session: Session, patient: User, course_start: date, course_end: date,
                       first: date, today: date, seed: int, now: datetime) -> int:
    """Practice entries from ``first`` to ``today`` (none before the course, most during it,
    fewer after), worry ratings that ease over the course; returns the entries added."""
    rng = random.Random(seed)
    rows = []
    day = first
    while day <= today:
        phase = "before" if day < course_start else ("during" if day <= course_end else "after")
        practised = phase != "before" and rng.random() < PRACTICE_SHARE[phase]
        rated = rng.random() < WORRY_SHARE
        if practised or rated:
            rows.append(PracticeDay(
                patient_id=patient.id, day=day,
                somatic_tracking_minutes=rng.randint(5, 20) if practised else 0,
                reappraisal_minutes=rng.choice((0, 5, 10, 15)) if practised else 0,
                other_minutes=0,
                weather_worry=rng.randint(*WORRY_RANGE[phase]) if rated else None,
                created_at=now, updated_at=now))
        day += timedelta(days=1)
    session.add_all(rows)
    patient.profile.diary_changed_at = now
    session.flush()
    return len(rows)


def seed_demo_triggers(session: Session, patient: User, seed: int) -> None:
    """Turn trigger tags on and tag about two attacks in three (weather most often)."""
    rng = random.Random(seed)
    patient.profile.tracks_triggers = True
    for attack in session.scalars(select(Attack).where(Attack.patient_id == patient.id)
                                  .order_by(Attack.started_at)):
        if rng.random() < 0.65:
            tags = [t for t, p in (("weather", 0.55), ("stress", 0.35), ("sleep", 0.25))
                    if rng.random() < p]
            attack.triggers = tags or ["other"]
    session.flush()
