"""The demo: a clinician and three simulated patients, about nine months ending today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from correlation.simulate import DEMO_PATIENTS
from tracker.accounts.users import create_user
from tracker.clock import utcnow
from tracker.diary.attack_input import AttackInput
from tracker.diary.attacks import record_attack
from tracker.diary.courses import record_course
from tracker.diary.profile import add_location_period, local_today
from tracker.models import CareLink, User
from weather.grid import get_or_create_cell
from weather.models import PressureObservation
from weather.observations import upsert_observations

DEMO_DOMAIN = "demo.example"
CLINICIAN_EMAIL = f"clinician@{DEMO_DOMAIN}"
DEMO_DAYS = 270
#: Sea-level pressure of the demo sites sits this far above their surface pressure (hPa).
MSL_OFFSET_HPA = {0: 12.0, 1: 6.0, 2: 22.0}


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


def remove_demo(session: Session, grid_degrees: float = 0.1) -> None:
    """Delete the demo accounts (with their diaries) and the demo sites' simulated pressure."""
    ids = list(session.scalars(select(User.id).where(User.email.like(f"%@{DEMO_DOMAIN}"))))
    for user_id in ids:
        session.delete(session.get(User, user_id))
    for site in SITES:
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
    logins = [(CLINICIAN_EMAIL, "clinician: sees the three patients below")]
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
        session.add(CareLink(patient_id=patient.id, clinician_id=clinician.id, created_at=now))
        logins.append((email, f"{spec.name} ({site.label})"))
    session.flush()
    return logins


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


