"""Attacks: record, edit, end, delete and list them; no two of a patient overlap."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.diary.attack_input import ATTACK_FIELDS, AttackInput, validate_attack
from tracker.diary.attack_overlap import overlap_message
from tracker.diary.day_clash import settle_checkin_clash
from tracker.diary.fields import FieldRule
from tracker.diary.locks import lock_patient_diary
from tracker.diary.profile import require_patient
from tracker.diary.validation import is_row_id
from tracker.errors import ConflictError, NotFoundError, ValidationError
from tracker.models import ATTACK_SOURCES, Attack, User

#: The phone's own id of an attack (e.g. a UUID made offline): the idempotency key of a
#: create, unique per patient, so a retried send finds the attack instead of adding another.
CLIENT_ID = FieldRule(
    "client_id", "text", "Your device's id of the attack",
    "An id your device made for this attack (e.g. a UUID), unique among your attacks. Sending "
    "the same id again answers with the attack stored under it (200) instead of a second one.",
    nullable=True, max_length=64, non_blank=True)


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
        zone = patient.profile.timezone if patient.profile is not None else "UTC"
        raise ConflictError(overlap_message(clash.started_at, zone), "started_at")


def record_attack(
    session: Session,
    patient: User,
    data: AttackInput,
    *,
    source: str = "web",
    now: datetime | None = None,
    replace_checkin: bool = False,
    client_id: str | None = None,
) -> Attack:
    """Validate and store a new attack for ``patient``.

    On a day marked headache-free it raises CheckinClashError, unless ``replace_checkin``:
    then that check-in becomes not headache-free (amendment A1). ``client_id`` is stored as
    given (checked); :func:`record_attack_once` looks it up first.
    """
    require_patient(patient)
    now = now or utcnow()
    validate_attack(data, now)
    if source not in ATTACK_SOURCES:
        raise ValidationError(f"{source!r} is not a known source", "source")
    lock_patient_diary(session, patient.id)
    check_overlap(session, patient, data, None)
    settle_checkin_clash(session, patient, data.started_at, data.ended_at,
                         replace=replace_checkin)
    attack = Attack(patient_id=patient.id, source=source, created_at=now, updated_at=now,
                    client_id=None if client_id is None else check_client_id(client_id))
    _assign(attack, data)
    session.add(attack)
    session.flush()
    return attack


def check_client_id(client_id: object) -> str:
    """Return ``client_id`` if it is a usable device id (text, not blank, at most 64)."""
    if not isinstance(client_id, str):
        raise ValidationError("expected a string", CLIENT_ID.name)
    CLIENT_ID.check(client_id)
    if not client_id.strip():
        raise ValidationError("must not be blank", CLIENT_ID.name)
    return client_id


def attack_by_client_id(session: Session, patient: User, client_id: str) -> Attack | None:
    """Return the patient's attack stored under the device id ``client_id``, or None."""
    return session.scalars(select(Attack).where(
        Attack.patient_id == patient.id, Attack.client_id == client_id)).first()


def record_attack_once(
    session: Session, patient: User, data: AttackInput, client_id: str, *,
    source: str = "web", now: datetime | None = None, replace_checkin: bool = False,
) -> tuple[Attack, bool]:
    """Store an attack under the device id ``client_id``, once: return it and True, or the
    attack already stored under that id (unchanged) and False.

    The lookup and the insert happen under the patient's diary lock, so two sends of the
    same attack in parallel store it once; other patients may use the same id.
    """
    require_patient(patient)
    client_id = check_client_id(client_id)
    lock_patient_diary(session, patient.id)
    stored = attack_by_client_id(session, patient, client_id)
    if stored is not None:
        return stored, False
    attack = record_attack(session, patient, data, source=source, now=now,
                           replace_checkin=replace_checkin, client_id=client_id)
    return attack, True


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
    session: Session, patient: User, attack_id: int, data: AttackInput, now: datetime | None = None,
    *, check_checkins: bool = True,
) -> Attack:
    """Replace the fields of one of the patient's attacks after validating them.

    Moving or lengthening it onto a day marked headache-free raises CheckinClashError
    (unless ``check_checkins`` is false: ending an ongoing attack is never refused).
    """
    now = now or utcnow()
    lock_patient_diary(session, patient.id)
    attack = get_attack(session, patient, attack_id)
    validate_attack(data, now)
    check_overlap(session, patient, data, attack.id)
    if check_checkins:
        settle_checkin_clash(session, patient, data.started_at, data.ended_at, replace=False,
                             before=attack)
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
    return update_attack(session, patient, attack_id, data, now, check_checkins=False)


def end_once(
    session: Session, patient: User, attack: Attack, ended_at: datetime | None = None,
    now: datetime | None = None,
) -> Attack:
    """End ``attack`` if it is still going on; one that has an end already is returned as
    it is, so a repeated "it has ended" changes nothing."""
    if attack.ended_at is not None:
        return attack
    return end_attack(session, patient, attack.id, ended_at, now)


def end_by_client_id(
    session: Session, patient: User, client_id: str, ended_at: datetime | None = None,
    now: datetime | None = None,
) -> Attack:
    """End the attack stored under the device id ``client_id`` (idempotent, see end_once)."""
    client_id = check_client_id(client_id)
    lock_patient_diary(session, patient.id)
    attack = attack_by_client_id(session, patient, client_id)
    if attack is None:
        raise NotFoundError(f"no attack with client_id {client_id!r}", CLIENT_ID.name)
    return end_once(session, patient, attack, ended_at, now)


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

