"""A plan against the patient's diary: duplicates, overlaps, headache-free days, known places.

Read-only: :func:`plan_import` (parse + compare) is what a preview shows, and
:func:`check_against_stored` runs again in :func:`tracker.diary.imports.apply.apply_plan`
under the diary lock, so the stored state it acts on is the current one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.diary.attack_overlap import SpanIndex, span
from tracker.diary.day_clash import day_label, headache_free_checkins, local_span
from tracker.diary.imports.parse import ImportOptions, ZoneAt, parse_import
from tracker.diary.imports.plan import ImportPlan, LineError, ProposedLocation
from tracker.diary.profile import list_location_periods, require_patient
from tracker.models import Attack, LocationPeriod, User
from weather.grid import cell_key


def plan_import(
    session: Session, patient: User, data: str | bytes, options: ImportOptions | None = None,
    now: datetime | None = None, zone_at: ZoneAt | None = None,
) -> ImportPlan:
    """Parse a file for ``patient`` and compare it with their diary; never writes.

    The timezone is ``options.timezone`` or the patient's. Raises CSVImportError only for a
    file that cannot be read at all (see :func:`parse_import`).
    """
    options = options or ImportOptions()
    profile = require_patient(patient)
    plan = parse_import(data, options.timezone or profile.timezone, options, now, zone_at)
    check_against_stored(session, patient, plan, options.grid_degrees)
    return plan


def check_against_stored(
    session: Session, patient: User, plan: ImportPlan, grid_degrees: float | None = None
) -> None:
    """Fill the plan's duplicates and conflicts, and drop proposals the diary already has.

    A duplicate starts at the same instant as a stored attack (it is skipped). Another
    attack that overlaps a stored one, or falls on a day marked headache-free (amendment
    A1), is a conflict on its line.
    """
    stored = session.execute(
        select(Attack.started_at, Attack.ended_at).where(Attack.patient_id == patient.id))
    spans = [span(start, end) for start, end in stored]
    starts = {s.start for s in spans}
    index = SpanIndex(spans)
    plan.duplicates, plan.conflicts = [], []
    for p in plan.attacks:
        if p.started_at in starts:
            plan.duplicates.append(p)
            continue
        other = index.find_clash(span(p.started_at, p.ended_at)) if spans else None
        if other is not None:
            when = other.start.isoformat(timespec="minutes")
            plan.conflicts.append(LineError(p.line, plan.start_field,
                                            f"it overlaps the attack that started {when}"))
    plan.conflicts.extend(_headache_free_clashes(session, patient, plan))
    if grid_degrees is not None:
        plan.locations = _new_places(list_location_periods(session, patient),
                                     plan.locations, grid_degrees)
    plan.checked_against_stored = True


def _headache_free_clashes(session: Session, patient: User, plan: ImportPlan
                           ) -> list[LineError]:
    """Conflicts of new attacks with days the patient marked headache-free."""
    new = plan.new_attacks
    if not new:
        return []
    zone = ZoneInfo(require_patient(patient).timezone)
    first = min(p.started_at for p in new).astimezone(zone).date() - timedelta(days=1)
    last = max(p.ended_at or p.started_at for p in new).astimezone(zone).date()
    free = {c.day for c in headache_free_checkins(session, patient, first, last)}
    if not free:
        return []
    found = []
    for p in new:
        lo, hi = local_span(p.started_at, p.ended_at, zone)
        days = [lo + timedelta(days=k) for k in range((hi - lo).days + 1)]
        marked = [d for d in days if d in free]
        if marked:
            listed = ", ".join(day_label(d) for d in marked)
            found.append(LineError(p.line, plan.start_field,
                                   f"your diary marks {listed} as headache-free; change or "
                                   "delete that check-in first"))
    return found


def _new_places(periods: list[LocationPeriod], proposals: list[ProposedLocation],
                grid_degrees: float) -> list[ProposedLocation]:
    """Drop proposals whose cell is already the place in effect on their day.

    The place in effect is the latest-starting stored period or kept proposal on or before
    that day (a proposal replaces a stored period of the same day); the first stored period
    also covers the days before it (docs/architecture.md).
    """
    if not periods:
        return proposals
    keep: list[ProposedLocation] = []
    for proposal in sorted(proposals, key=lambda p: p.starts_on):
        day = proposal.starts_on
        before = [period for period in periods if period.starts_on <= day]
        current: LocationPeriod | ProposedLocation = before[-1] if before else periods[0]
        if keep and (not before or keep[-1].starts_on >= before[-1].starts_on):
            current = keep[-1]
        here = cell_key(proposal.latitude, proposal.longitude, grid_degrees)
        if cell_key(current.latitude, current.longitude, grid_degrees) != here:
            keep.append(proposal)
    return keep
