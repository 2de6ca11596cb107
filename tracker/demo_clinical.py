"""Demo clinical diary (issue #16): PRT practice, trigger tags, acute medication, function and
questionnaire answers, so the demo's reports and the clinician's first page show every section
offline; seeded, so every run gives the same diary."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.clinical_models import PracticeDay, QuestionnaireResponse
from tracker.diary.clinical_terms import FUNCTION_LEVELS
from tracker.diary.medications import Taken, add_medication, set_attack_medications
from tracker.models import Attack, User
from tracker.questionnaires.definitions import load_instruments

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


#: The demo's acute medications: (name, class, share of attacks it is taken for).
DEMO_MEDICATIONS = (("Sumatriptan 50 mg", "triptan", 0.45), ("Ibuprofen 400 mg",
                    "simple_analgesic", 0.35))
#: Share of attacks with each function level.
FUNCTION_SHARE = (0.35, 0.45, 0.20)
#: GAD-7 answers (0-3 per item) before the course and at its end: a calmer second time.
QUESTIONNAIRE_LEVELS = {"baseline": (1, 3), "course_end": (0, 2)}


def seed_demo_medications(session: Session, patient: User, seed: int) -> None:
    """A two-entry medication list, taken for some attacks (doses, helped), and function."""
    rng = random.Random(seed)
    entries = [(add_medication(session, patient, name, drug_class), share)
               for name, drug_class, share in DEMO_MEDICATIONS]
    for attack in session.scalars(select(Attack).where(Attack.patient_id == patient.id)
                                  .order_by(Attack.started_at)):
        attack.function = rng.choices(FUNCTION_LEVELS, weights=FUNCTION_SHARE)[0]
        taken = [Taken(entry.id, doses=rng.choice((1, 1, 2)),
                       helped=rng.choice(("yes", "partly", "no")))
                 for entry, share in entries if rng.random() < share]
        if taken:
            set_attack_medications(session, patient, attack, taken)
    session.flush()


def seed_demo_questionnaires(session: Session, patient: User, course_start: date,
                             course_end: date, seed: int, now: datetime) -> None:
    """GAD-7 answered at the baseline and at the course's end (scored by the definition)."""
    rng = random.Random(seed)
    instrument = load_instruments()["gad7"]
    when = {"baseline": course_start - timedelta(days=3), "course_end": course_end}
    for timepoint, (low, high) in QUESTIONNAIRE_LEVELS.items():
        answers = {item.id: rng.randint(low, high) for item in instrument.items}
        score, band = instrument.score(answers)
        answered = datetime.combine(when[timepoint], datetime.min.time(), now.tzinfo)
        session.add(QuestionnaireResponse(
            patient_id=patient.id, instrument=instrument.id, timepoint=timepoint,
            answers={k: float(v) for k, v in answers.items()}, score=score, band=band,
            answered_at=min(answered, now)))
    session.flush()
