"""The demo: a clinician and three simulated patients, about nine months ending today, and a
fourth patient who joined last week and imported two years of Migraine Buddy history."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from correlation.simulate import DEMO_PATIENTS, SimulatedPatient, simulate_patient
from tracker.accounts.users import create_user
from tracker.clock import utcnow
from tracker.demo_clinical import (
    seed_demo_medications,
    seed_demo_practice,
    seed_demo_questionnaires,
    seed_demo_triggers,
)
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack
from tracker.diary.courses import record_course
from tracker.diary.imports import ImportOptions
from tracker.diary.profile import add_location_period, local_today
from tracker.diary.uploads import confirm_upload, store_upload
from tracker.models import CareLink, User
from weather.grid import get_or_create_cell
from weather.models import PressureObservation
from weather.observations import upsert_observations

DEMO_DOMAIN = "demo.example"
CLINICIAN_EMAIL = f"clinician@{DEMO_DOMAIN}"
DEMO_DAYS = 270
#: Sea-level pressure of the demo sites sits this far above their surface pressure (hPa).
MSL_OFFSET_HPA = {0: 12.0, 1: 6.0, 2: 22.0, 3: 17.0}


@dataclass(frozen=True)
class DemoSite:
    """Where a demo patient lives."""

    label: str
    latitude: float
    longitude: float
    timezone: str


SITES = (
    DemoSite("Oslo", 59.91, 10.75, "Europe/Oslo"),
    DemoSite("Bristol", 51.45, -2.59, "Europe/London"),
    DemoSite("Chicago", 41.88, -87.63, "America/Chicago"),
)
#: Where patient 4 (the imported history) lives.
IMPORT_SITE = DemoSite("Lyon", 45.76, 4.84, "Europe/Paris")
#: Patient 4: the simulator's seed, the history's length, when they joined and began PRT.
IMPORT_SEED = 11
IMPORT_DAYS = 2 * 365 + 7
JOINED_DAYS_AGO = 7
COURSE_DAYS_AGO = 3
IMPORT_MAX_BYTES = 10 * 2**20
#: The columns of Migraine Buddy's attack table (docs/data-formats.md).
MB_COLUMNS = (
    "#", "Started", "Lasted", "Start UTC Offset (min)", "End UTC Offset (min)", "Geohash",
    "Attack Types", "Attack Location", "Pain Level", "Affected Activities",
    "Potential Triggers", "Symptoms", "Most Bothersome Symptom", "Premonitory Symptoms",
    "Pain Positions", "Helpful Medication", "Somewhat Helpful Medication",
    "Unhelpful Medication", "Unsure Medication", "Helpful Non Drug Relief Methods",
    "Somewhat Helpful Non Drug Relief Methods", "Unhelpful Non Drug Relief Methods",
    "Unsure Non Drug Relief Methods", "Notes",
)


def remove_demo(session: Session, grid_degrees: float = 0.1) -> None:
    """Delete the demo accounts (with their diaries) and the demo sites' simulated pressure."""
    ids = list(session.scalars(select(User.id).where(User.email.like(f"%@{DEMO_DOMAIN}"))))
    for user_id in ids:
        session.delete(session.get(User, user_id))
    for site in (*SITES, IMPORT_SITE):
        cell = get_or_create_cell(session, site.latitude, site.longitude, grid_degrees)
        session.execute(
            delete(PressureObservation).where(
                PressureObservation.cell_id == cell.id, PressureObservation.source == "simulated"
            )
        )
    session.flush()


def seed_demo(
    session: Session,
    *,
    password: str,
    grid_degrees: float = 0.1,
    now: datetime | None = None,
) -> list[tuple[str, str]]:
    """Replace the demo data; return (email, description) of each demo login."""
    now = now or utcnow()
    remove_demo(session, grid_degrees)
    clinician = create_user(session, email=CLINICIAN_EMAIL, password=password, role="clinician",
                            name="Dr Demo Clinician", now=now)
    logins = [(CLINICIAN_EMAIL, "clinician: sees patients 1-3 below")]
    for index, (spec, site) in enumerate(zip(DEMO_PATIENTS, SITES, strict=True), start=1):
        today = local_today(site.timezone, now)
        sim = spec.simulate(today, days=DEMO_DAYS, timezone=site.timezone)
        email = f"patient{index}@{DEMO_DOMAIN}"
        patient = create_user(
            session, email=email, password=password, role="patient",
            name=f"Demo patient {index} ({site.label})", timezone=site.timezone, now=now,
        )
        patient.profile.tracking_started_on = sim.tracking_start
        add_location_period(
            session, patient, starts_on=sim.tracking_start, latitude=site.latitude,
            longitude=site.longitude, timezone=site.timezone, label=site.label,
        )
        record_course(session, patient, started_on=sim.course.started_on,
                      ended_on=sim.course.ended_on, kind="PRT", sessions=8,
                      notes="Simulated demo course", now=now)
        for attack in sim.attacks:
            if attack.started_at > now:
                continue
            ended = attack.ended_at if attack.ended_at is None or attack.ended_at <= now else now
            record_attack(
                session, patient,
                AttackInput(started_at=attack.started_at, ended_at=ended, kind=attack.kind,
                            intensity=_intensity(attack, index)),
                source="import", now=now,
            )
        _store_pressure(session, sim.pressure_start, sim.pressure_hpa, site, grid_degrees,
                        MSL_OFFSET_HPA[index - 1], now)
        _seed_clinical(session, patient, sim, index, today, now)
        session.add(CareLink(patient_id=patient.id, clinician_id=clinician.id, created_at=now))
        logins.append((email, f"{spec.name} ({site.label})"))
    logins.append(seed_imported_patient(session, password=password, grid_degrees=grid_degrees,
                                        now=now))
    session.flush()
    return logins


def _seed_clinical(session: Session, patient: User, sim: SimulatedPatient, index: int,
                   today: date, now: datetime) -> None:
    """The clinical diary of a demo patient: medication, function, practice, questionnaires
    (and trigger tags for patient 1)."""
    course = sim.course
    seed_demo_medications(session, patient, seed=index)
    seed_demo_practice(session, patient, course.started_on, course.ended_on,
                       sim.tracking_start, today, seed=index, now=now)
    seed_demo_questionnaires(session, patient, course.started_on, course.ended_on,
                             seed=index, now=now)
    if index == 1:
        seed_demo_triggers(session, patient, seed=1)


def seed_imported_patient(session: Session, *, password: str, grid_degrees: float,
                          now: datetime) -> tuple[str, str]:
    """Patient 4: joined a week ago, imported two years of Migraine Buddy history through the
    import service (the file is written from the simulator), and started PRT since."""
    site = IMPORT_SITE
    joined = now - timedelta(days=JOINED_DAYS_AGO)
    today = local_today(site.timezone, now)
    course_start = today - timedelta(days=COURSE_DAYS_AGO)
    sim = simulate_patient(IMPORT_SEED, report_date=today, days=IMPORT_DAYS,
                           timezone=site.timezone, course_start=course_start,
                           base_rate=0.2, sensitivity=3.0)
    email = f"patient4@{DEMO_DOMAIN}"
    patient = create_user(session, email=email, password=password, role="patient",
                          name=f"Demo patient 4 ({site.label})", timezone=site.timezone,
                          latitude=site.latitude, longitude=site.longitude, now=joined)
    record_course(session, patient, started_on=sim.course.started_on,
                  ended_on=sim.course.ended_on, kind="PRT", sessions=8,
                  notes="Simulated demo course", now=now)
    before = [a for a in sim.attacks if a.ended_at is not None and a.ended_at <= joined]
    since = [a for a in sim.attacks if a.started_at >= joined and a.started_at <= now]
    upload = store_upload(session, patient, migraine_buddy_csv(before, site.timezone),
                          ImportOptions(grid_degrees=grid_degrees), filename="MigraineBuddy.csv",
                          max_bytes=IMPORT_MAX_BYTES, preview_minutes=60, now=joined)
    confirm_upload(session, patient, upload.id, now=joined)
    for attack in since:
        ended = attack.ended_at if attack.ended_at is None or attack.ended_at <= now else now
        record_attack(session, patient, AttackInput(
            started_at=attack.started_at, ended_at=ended, kind=attack.kind,
            intensity=_intensity(attack, 4)), source="web", now=now)
    _store_pressure(session, sim.pressure_start, sim.pressure_hpa, site, grid_degrees,
                    MSL_OFFSET_HPA[3], now)
    return email, ("joined last week with two years of imported Migraine Buddy history "
                   f"({site.label})")


def migraine_buddy_csv(attacks, timezone: str) -> bytes:
    """The attacks as Migraine Buddy's CSV export (local start, offsets, pain 0-10)."""
    zone = ZoneInfo(timezone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("Date", "Time Period", "Description", "Notes"))
    writer.writerow(())
    writer.writerow(MB_COLUMNS)
    for number, attack in enumerate(attacks, start=1):
        start = attack.started_at.astimezone(zone)
        end = attack.ended_at.astimezone(zone)
        minutes = int((attack.ended_at - attack.started_at).total_seconds() // 60)
        days, rest = divmod(minutes, 24 * 60)
        lasted = (f"{days}d " if days else "") + f"{rest // 60:02d}h {rest % 60:02d}m"
        kind = "Migraine" if attack.kind == "migraine" else "Tension-type headache"
        row = {"#": number, "Started": start.strftime("%m/%d/%y %H:%M"), "Lasted": lasted,
               "Start UTC Offset (min)": _offset_minutes(start),
               "End UTC Offset (min)": _offset_minutes(end), "Attack Types": kind,
               "Attack Location": "Home", "Pain Level": _intensity(attack, 4)}
        writer.writerow([row.get(column, "") for column in MB_COLUMNS])
    return out.getvalue().encode()


def _offset_minutes(value: datetime) -> int:
    return int(value.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]


def _intensity(attack, index: int) -> int:
    """A plausible 3-9 peak intensity, stable for the same attack."""
    return 3 + (attack.started_at.toordinal() * 7 + attack.started_at.hour + index) % 7


def _store_pressure(
    session: Session, start: datetime, pressure: np.ndarray, site: DemoSite,
    grid_degrees: float, msl_offset: float, now: datetime,
) -> None:
    cell = get_or_create_cell(session, site.latitude, site.longitude, grid_degrees)
    hours = int(start.timestamp()) + 3600 * np.arange(len(pressure), dtype=np.int64)
    keep = hours <= now.timestamp()
    upsert_observations(
        session, cell.id, hours[keep], pressure[keep], pressure[keep] + msl_offset,
        "simulated", now,
    )


