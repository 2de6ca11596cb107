"""Treatment courses (PRT by default): start and end dates, sessions, notes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from correlation.comparison import COMPARISON_KIND, COMPARISON_LABEL
from tracker.clock import utcnow
from tracker.diary.fields import COURSE_RULES
from tracker.diary.profile import require_patient
from tracker.diary.validation import check_day, is_row_id
from tracker.errors import NotFoundError, ValidationError
from tracker.models import TreatmentCourse, User

#: A course of this kind marks a comparison patient (wait-list or usual care, DESIGN A8): its
#: dates are assessment dates, and the periods are computed the same way.
__all__ = ["COMPARISON_KIND", "COMPARISON_LABEL", "record_course", "update_course",
           "get_course", "delete_course", "list_courses"]


def record_course(
    session: Session,
    patient: User,
    *,
    started_on: date,
    ended_on: date | None,
    kind: str = "PRT",
    sessions: int | None = None,
    notes: str = "",
    now: datetime | None = None,
) -> TreatmentCourse:
    """Store a treatment course (PRT by default) with local start and end dates."""
    require_patient(patient)
    now = now or utcnow()
    _check_course(started_on, ended_on, kind, sessions, notes)
    course = TreatmentCourse(
        patient_id=patient.id,
        kind=kind.strip(),
        started_on=started_on,
        ended_on=ended_on,
        sessions=sessions,
        notes=notes or "",
        created_at=now,
    )
    session.add(course)
    session.flush()
    return course


def _check_course(
    started_on: date, ended_on: date | None, kind: str, sessions: int | None, notes: str = ""
) -> None:
    check_day(started_on, "started_on")
    if ended_on is not None:
        check_day(ended_on, "ended_on")
        if ended_on < started_on:
            raise ValidationError("the course ends before it starts", "ended_on")
    longest = COURSE_RULES["kind"].max_length
    if not isinstance(kind, str) or not kind.strip() or len(kind) > (longest or 0):
        raise ValidationError(f"give the kind of treatment (at most {longest} characters)", "kind")
    COURSE_RULES["kind"].check(kind)
    COURSE_RULES["sessions"].check(sessions)
    COURSE_RULES["notes"].check(notes)


def update_course(
    session: Session,
    patient: User,
    course_id: int,
    *,
    started_on: date,
    ended_on: date | None,
    kind: str = "PRT",
    sessions: int | None = None,
    notes: str = "",
) -> TreatmentCourse:
    """Change one of the patient's treatment courses."""
    course = get_course(session, patient, course_id)
    _check_course(started_on, ended_on, kind, sessions, notes)
    course.started_on, course.ended_on = started_on, ended_on
    course.kind, course.sessions, course.notes = kind.strip(), sessions, notes or ""
    session.flush()
    return course


def get_course(session: Session, patient: User, course_id: int) -> TreatmentCourse:
    """Return one of the patient's courses, or raise NotFoundError."""
    course = session.get(TreatmentCourse, course_id) if is_row_id(course_id) else None
    if course is None or course.patient_id != patient.id:
        raise NotFoundError(f"no treatment course {course_id}", "id")
    return course


def delete_course(session: Session, patient: User, course_id: int) -> None:
    """Delete one of the patient's courses."""
    session.delete(get_course(session, patient, course_id))
    session.flush()


def list_courses(session: Session, patient: User) -> list[TreatmentCourse]:
    """Return the patient's treatment courses, earliest first."""
    return list(
        session.scalars(
            select(TreatmentCourse)
            .where(TreatmentCourse.patient_id == patient.id)
            .order_by(TreatmentCourse.started_on, TreatmentCourse.id)
        )
    )
