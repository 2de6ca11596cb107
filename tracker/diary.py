"""The diary: attacks, check-ins and treatment courses, validated before they are stored."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from tracker.attack_input import ATTACK_FIELDS, AttackInput, validate_attack
from tracker.clock import utcnow
from tracker.errors import ConflictError, NotFoundError, ValidationError
from tracker.locks import lock_patient_diary
from tracker.models import ATTACK_SOURCES, Attack, CheckIn, TreatmentCourse, User
from tracker.profile import local_today, require_patient
from tracker.validation import check_day, check_scale, check_text, is_row_id


def check_overlap(
    session: Session, patient: User, data: AttackInput, exclude_id: int | None
) -> None:
    """Raise ConflictError if the attack overlaps another of the patient's attacks.

    The caller holds :func:`tracker.locks.lock_patient_diary` for the patient, so that no
    other transaction can add an overlapping attack between this check and the insert.
    """
    start = data.started_at
    end = data.ended_at or data.started_at
    other_end = Attack.ended_at
    stmt = select(Attack).where(
        Attack.patient_id == patient.id,
        or_(
            Attack.started_at == start,
            and_(
                Attack.started_at < end,
                or_(
                    and_(other_end.is_not(None), other_end > start),
                    and_(other_end.is_(None), Attack.started_at > start),
                ),
            ),
        ),
    )
    if exclude_id is not None:
        stmt = stmt.where(Attack.id != exclude_id)
    clash = session.scalars(stmt.limit(1)).first()
    if clash is not None:
        when = clash.started_at.isoformat(timespec="minutes")
        raise ConflictError(f"it overlaps the attack that started {when}", "started_at")


def record_attack(
    session: Session,
    patient: User,
    data: AttackInput,
    *,
    source: str = "web",
    now: datetime | None = None,
) -> Attack:
    """Validate and store a new attack for ``patient``."""
    require_patient(patient)
    now = now or utcnow()
    validate_attack(data, now)
    if source not in ATTACK_SOURCES:
        raise ValidationError(f"{source!r} is not a known source", "source")
    lock_patient_diary(session, patient.id)
    check_overlap(session, patient, data, None)
    attack = Attack(patient_id=patient.id, source=source, created_at=now, updated_at=now)
    _assign(attack, data)
    session.add(attack)
    session.flush()
    return attack


def _assign(attack: Attack, data: AttackInput) -> None:
    for name in ATTACK_FIELDS:
        setattr(attack, name, getattr(data, name))
    attack.medication = (data.medication or "").strip()
    attack.notes = data.notes or ""


def attack_input(attack: Attack) -> AttackInput:
    """Return the editable fields of a stored attack."""
    return AttackInput(**{name: getattr(attack, name) for name in ATTACK_FIELDS})


def get_attack(session: Session, patient: User, attack_id: int) -> Attack:
    """Return one of the patient's attacks, or raise NotFoundError."""
    attack = session.get(Attack, attack_id) if is_row_id(attack_id) else None
    if attack is None or attack.patient_id != patient.id:
        raise NotFoundError(f"no attack {attack_id}", "id")
    return attack


def update_attack(
    session: Session, patient: User, attack_id: int, data: AttackInput, now: datetime | None = None
) -> Attack:
    """Replace the fields of one of the patient's attacks after validating them."""
    now = now or utcnow()
    lock_patient_diary(session, patient.id)
    attack = get_attack(session, patient, attack_id)
    validate_attack(data, now)
    check_overlap(session, patient, data, attack.id)
    _assign(attack, data)
    attack.updated_at = now
    session.flush()
    return attack


def end_attack(
    session: Session, patient: User, attack_id: int, ended_at: datetime | None = None,
    now: datetime | None = None,
) -> Attack:
    """Set the end of an ongoing attack (default: now)."""
    now = now or utcnow()
    lock_patient_diary(session, patient.id)
    attack = get_attack(session, patient, attack_id)
    data = attack_input(attack)
    data.ended_at = ended_at or now
    return update_attack(session, patient, attack_id, data, now)


def delete_attack(session: Session, patient: User, attack_id: int) -> None:
    """Delete one of the patient's attacks."""
    session.delete(get_attack(session, patient, attack_id))
    session.flush()


def list_attacks(
    session: Session,
    patient: User,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Attack]:
    """Return the patient's attacks starting in [start, end), oldest first."""
    stmt = select(Attack).where(Attack.patient_id == patient.id)
    if start is not None:
        stmt = stmt.where(Attack.started_at >= start)
    if end is not None:
        stmt = stmt.where(Attack.started_at < end)
    return list(session.scalars(stmt.order_by(Attack.started_at, Attack.id)))


def record_checkin(
    session: Session,
    patient: User,
    day: date,
    *,
    headache_free: bool = True,
    note: str = "",
    now: datetime | None = None,
) -> CheckIn:
    """Record (or replace) the check-in of a local day; switches the diary to check-in mode."""
    profile = require_patient(patient)
    now = now or utcnow()
    check_day(day, "day")
    check_text(note, "note", 2000)
    if day > local_today(profile.timezone, now):
        raise ValidationError("the day is in the future", "day")
    lock_patient_diary(session, patient.id)  # one check-in a day: select, then insert
    checkin = session.scalar(
        select(CheckIn).where(CheckIn.patient_id == patient.id, CheckIn.day == day)
    )
    if checkin is None:
        checkin = CheckIn(patient_id=patient.id, day=day, created_at=now)
        session.add(checkin)
    checkin.headache_free = bool(headache_free)
    checkin.note = (note or "")[:2000]
    profile.checkins_in_use = True
    session.flush()
    return checkin


def delete_checkin(session: Session, patient: User, checkin_id: int) -> None:
    """Delete one of the patient's check-ins; with none left, completeness is assumed again."""
    profile = require_patient(patient)
    lock_patient_diary(session, patient.id)  # checkins_in_use follows the remaining rows
    checkin = session.get(CheckIn, checkin_id) if is_row_id(checkin_id) else None
    if checkin is None or checkin.patient_id != patient.id:
        raise NotFoundError(f"no check-in {checkin_id}", "id")
    session.delete(checkin)
    session.flush()
    remaining = session.scalar(select(CheckIn.id).where(CheckIn.patient_id == patient.id).limit(1))
    profile.checkins_in_use = remaining is not None
    session.flush()


def list_checkins(session: Session, patient: User) -> list[CheckIn]:
    """Return the patient's check-ins, oldest first."""
    return list(
        session.scalars(
            select(CheckIn).where(CheckIn.patient_id == patient.id).order_by(CheckIn.day)
        )
    )


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
    if not isinstance(kind, str) or not kind.strip() or len(kind) > 40:
        raise ValidationError("give the kind of treatment (at most 40 characters)", "kind")
    check_text(kind, "kind", 40)
    check_scale(sessions, "sessions", 0, 500)
    check_text(notes, "notes", 5000)


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
