"""Sharing a diary with clinicians: invitation codes, care links, and who may see whom."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from tracker.accounts.audit import record_event
from tracker.accounts.throttle import check_attempts
from tracker.accounts.tokens import hash_token
from tracker.clock import utcnow
from tracker.diary.profile import require_patient
from tracker.diary.validation import is_row_id
from tracker.errors import NotFoundError, PermissionDeniedError, ValidationError
from tracker.models import CareLink, ShareInvitation, User

#: Letters that cannot be mistaken for each other when read aloud or typed from paper.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def _hash_code(code: str) -> str:
    return hash_token(code.replace("-", "").replace(" ", "").upper())


def create_invitation(
    session: Session, patient: User, *, valid_hours: int = 72, now: datetime | None = None
) -> tuple[str, ShareInvitation]:
    """Create a single-use share code; return the code (shown once) and its record."""
    require_patient(patient)
    now = now or utcnow()
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
    code = f"{raw[:5]}-{raw[5:]}"
    invitation = ShareInvitation(
        patient_id=patient.id,
        code_hash=_hash_code(code),
        created_at=now,
        expires_at=now + timedelta(hours=valid_hours),
    )
    session.add(invitation)
    session.flush()
    record_event(session, actor=patient, patient_id=patient.id, action="share_code_created",
                 now=now)
    return code, invitation


def count_redeem_attempt(
    session: Session, clinician: User, address: str, *, per_account: int, per_address: int,
    now: datetime | None = None,
) -> None:
    """Count a share-code attempt per account and per address; raise ThrottledError if over.

    Commit right after (before redeeming), so a failed attempt still counts.
    """
    check_attempts(session, (
        ("share_code_account", str(clinician.id), per_account),
        ("share_code_address", address or "unknown", per_address),
    ), now=now)


def redeem_invitation(
    session: Session, clinician: User, code: str, now: datetime | None = None
) -> CareLink:
    """Link ``clinician`` to the patient who made ``code``; the code then stops working."""
    now = now or utcnow()
    if clinician.role != "clinician":
        raise PermissionDeniedError("only clinicians can redeem a share code", "code")
    if not isinstance(code, str) or not code.strip():
        raise ValidationError("enter the share code", "code")
    # One atomic UPDATE claims the code, so it cannot be redeemed twice, nor after the patient
    # revoked it, however requests interleave.
    claimed = session.execute(
        update(ShareInvitation)
        .where(
            ShareInvitation.code_hash == _hash_code(code),
            ShareInvitation.redeemed_at.is_(None),
            ShareInvitation.revoked_at.is_(None),
            ShareInvitation.expires_at > now,
        )
        .values(redeemed_at=now, redeemed_by_id=clinician.id)
        .returning(ShareInvitation.id)
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        raise ValidationError("this code is unknown, used or expired", "code")
    invitation = session.get(ShareInvitation, claimed[0], populate_existing=True)
    assert invitation is not None
    link = active_link(session, clinician.id, invitation.patient_id)
    if link is None:
        link = CareLink(
            patient_id=invitation.patient_id, clinician_id=clinician.id, created_at=now
        )
        session.add(link)
    session.flush()
    record_event(session, actor=clinician, patient_id=invitation.patient_id,
                 action="share_link_created", now=now)
    return link


def active_link(session: Session, clinician_id: int, patient_id: int) -> CareLink | None:
    """Return the clinician's active link to the patient, if any."""
    return session.scalar(
        select(CareLink).where(
            CareLink.clinician_id == clinician_id,
            CareLink.patient_id == patient_id,
            CareLink.revoked_at.is_(None),
        )
    )


def revoke_link(
    session: Session, patient: User, link_id: int, now: datetime | None = None
) -> None:
    """End a clinician's access to the patient's diary."""
    now = now or utcnow()
    link = session.get(CareLink, link_id) if is_row_id(link_id) else None
    if link is None or link.patient_id != patient.id or link.revoked_at is not None:
        raise NotFoundError(f"no active sharing {link_id}", "id")
    link.revoked_at = now
    session.flush()
    codes = _revoke_pending_codes(session, patient, now)
    record_event(session, actor=patient, patient_id=patient.id, action="share_link_revoked",
                 detail=f"clinician {link.clinician_id}; {codes} unused share code(s) revoked",
                 now=now)


def _pending(patient: User, now: datetime):
    """The conditions of the patient's share codes that could still be redeemed."""
    return (
        ShareInvitation.patient_id == patient.id,
        ShareInvitation.redeemed_at.is_(None),
        ShareInvitation.revoked_at.is_(None),
        ShareInvitation.expires_at > now,
    )


def _revoke_pending_codes(session: Session, patient: User, now: datetime) -> int:
    """Revoke every share code of the patient that could still be redeemed; return how many.

    Ending a clinician's access must not leave a spare code that would let them (or anyone
    holding it) back in.
    """
    result = session.execute(
        update(ShareInvitation).where(*_pending(patient, now)).values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def pending_codes(
    session: Session, patient: User, now: datetime | None = None
) -> list[ShareInvitation]:
    """Return the patient's share codes that could still be redeemed, newest first."""
    return list(session.scalars(
        select(ShareInvitation).where(*_pending(patient, now or utcnow()))
        .order_by(ShareInvitation.created_at.desc(), ShareInvitation.id.desc())
    ))


def revoke_code(
    session: Session, patient: User, code_id: int, now: datetime | None = None
) -> None:
    """Revoke one of the patient's pending share codes; it stops working at once."""
    now = now or utcnow()
    if not is_row_id(code_id):
        raise NotFoundError(f"no pending share code {code_id}", "id")
    result = session.execute(
        update(ShareInvitation)
        .where(ShareInvitation.id == code_id, *_pending(patient, now))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if not result.rowcount:
        raise NotFoundError(f"no pending share code {code_id}", "id")
    record_event(session, actor=patient, patient_id=patient.id, action="share_code_revoked",
                 detail=f"code {code_id}", now=now)


def links_of_patient(session: Session, patient: User) -> list[tuple[CareLink, User]]:
    """Return the patient's active links with the clinician of each."""
    rows = session.execute(
        select(CareLink, User)
        .join(User, User.id == CareLink.clinician_id)
        .where(CareLink.patient_id == patient.id, CareLink.revoked_at.is_(None))
        .order_by(CareLink.created_at)
    )
    return [(link, user) for link, user in rows]


def patients_of_clinician(session: Session, clinician: User) -> list[User]:
    """Return the patients who share their diary with ``clinician``, by name."""
    return list(
        session.scalars(
            select(User)
            .join(CareLink, CareLink.patient_id == User.id)
            .where(CareLink.clinician_id == clinician.id, CareLink.revoked_at.is_(None))
            .order_by(User.name, User.email)
            .options(joinedload(User.profile))  # every list reads each one's profile
        )
    )


def can_view(session: Session, viewer: User, patient: User) -> bool:
    """Return whether ``viewer`` may read ``patient``'s diary (self, or a linked clinician)."""
    if patient.role != "patient" or not viewer.is_active:
        return False
    if viewer.id == patient.id:
        return True
    return viewer.role == "clinician" and active_link(session, viewer.id, patient.id) is not None


def require_view(session: Session, viewer: User, patient_id: int) -> User:
    """Return the patient if ``viewer`` may read their diary, else raise NotFoundError."""
    patient = session.get(User, patient_id) if is_row_id(patient_id) else None
    if patient is None or not can_view(session, viewer, patient):
        raise NotFoundError(f"no patient {patient_id}", "patient")
    return patient
