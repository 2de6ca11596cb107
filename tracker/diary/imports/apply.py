"""Storing an ImportPlan: every new attack (and the confirmed places), or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.diary.attacks_csv import CSVImportError, LineError, insert_attacks
from tracker.diary.fields import LOCATION_RULES
from tracker.diary.imports.plan import ImportPlan, ProposedLocation
from tracker.diary.imports.stored import check_against_stored
from tracker.diary.locks import lock_patient_diary
from tracker.diary.profile import add_location_period, require_patient
from tracker.diary.validation import check_day, check_latitude, check_longitude, check_timezone
from tracker.errors import ValidationError
from tracker.models import User

#: The label of a location period added from an import.
LOCATION_LABEL = "from import"


@dataclass(frozen=True)
class ImportResult:
    """What an applied plan stored: attacks added, duplicates skipped, places added."""

    added: int
    duplicates: int
    locations_added: int


def apply_plan(
    session: Session, patient: User, plan: ImportPlan, *,
    locations: Sequence[ProposedLocation] = (), now: datetime | None = None,
) -> ImportResult:
    """Store a plan's new attacks and the confirmed ``locations``: all of them, or none.

    The patient's diary is locked, then the plan is compared with the diary again (the
    preview may be old): duplicates are skipped, and any problem or conflict raises
    CSVImportError before anything is written. Attacks go in through the bulk insert of
    :mod:`tracker.diary.attacks_csv`. Flushes, does not commit: the caller owns the
    transaction (and rolls it back on any error).
    """
    require_patient(patient)
    now = now or utcnow()
    plan.raise_problems()
    _check_locations(locations)
    lock_patient_diary(session, patient.id)
    check_against_stored(session, patient, plan)
    plan.raise_problems()
    added = insert_attacks(session, patient, [p.attack for p in plan.new_attacks], now)
    for loc in locations:
        add_location_period(session, patient, starts_on=loc.starts_on, latitude=loc.latitude,
                            longitude=loc.longitude, timezone=loc.timezone,
                            label=LOCATION_LABEL)
    return ImportResult(added, len(plan.duplicates), len(locations))


def _check_locations(locations: Sequence[ProposedLocation]) -> None:
    """Raise CSVImportError (with the proposal's line) for a proposal that cannot be stored."""
    errors = []
    days = set()
    for loc in locations:
        try:
            check_day(loc.starts_on, "starts_on")
            check_latitude(loc.latitude)
            check_longitude(loc.longitude)
            check_timezone(loc.timezone)
            LOCATION_RULES["label"].check(LOCATION_LABEL)
        except ValidationError as exc:
            errors.append(LineError(loc.line, exc.field, exc.message))
        if loc.starts_on in days:
            errors.append(LineError(loc.line, "starts_on",
                                    f"two places proposed for {loc.starts_on.isoformat()}"))
        days.add(loc.starts_on)
    if errors:
        raise CSVImportError(errors)
