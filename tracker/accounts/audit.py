"""The audit log: who viewed, exported or changed access to whose data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.models import AuditEvent, User


def record_event(
    session: Session,
    *,
    actor: User | None,
    patient_id: int | None,
    action: str,
    detail: str = "",
    now: datetime | None = None,
) -> AuditEvent:
    """Append one audit event (the caller's transaction keeps it with the action)."""
    event = AuditEvent(
        occurred_at=now or utcnow(),
        actor_id=actor.id if actor is not None else None,
        patient_id=patient_id,
        action=action,
        detail=detail,
    )
    session.add(event)
    session.flush()
    return event


def record_access(
    session: Session, viewer: User, patient: User, action: str, detail: str = ""
) -> None:
    """Log a view or export of ``patient``'s data when the viewer is someone else."""
    record_accesses(session, viewer, [patient], action, detail)


def record_accesses(
    session: Session, viewer: User, patients: Iterable[User], action: str, detail: str = ""
) -> None:
    """:func:`record_access` for many patients at once (one statement: a list of 50 patients
    wrote 50, each flushed on its own)."""
    now = utcnow()
    rows = [{"occurred_at": now, "actor_id": viewer.id, "patient_id": p.id, "action": action,
             "detail": detail} for p in patients if p.id != viewer.id]
    if rows:
        session.execute(insert(AuditEvent), rows)  # one executemany, no objects


def events_for_patient(session: Session, patient: User, limit: int = 200) -> list[AuditEvent]:
    """Return the newest audit events about ``patient``."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.patient_id == patient.id)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


def record_password_change(
    session: Session, user: User, *, actor: User | None, tokens: int, sessions: int,
    now: datetime | None = None,
) -> AuditEvent:
    """Log a password change (by the user) or reset (``actor`` None: an operator)."""
    action = "password_reset" if actor is None else "password_changed"
    return record_event(
        session, actor=actor, patient_id=user.id, action=action,
        detail=f"{tokens} API token(s) revoked, {sessions} session(s) ended", now=now,
    )
