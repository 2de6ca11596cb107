"""Per-patient write locks, so that check-then-insert rules hold under concurrency."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

#: First key of PostgreSQL's two-key advisory locks taken for a patient's diary.
DIARY_LOCK_NAMESPACE = 0x6D77  # "mw"


def lock_patient_diary(session: Session, patient_id: int) -> None:
    """Serialise diary writes of one patient until the transaction ends.

    PostgreSQL: a transaction-level advisory lock keyed by the patient. SQLite: writers are
    already serialised, because write transactions start with ``BEGIN IMMEDIATE`` (see
    :func:`tracker.database.make_writer_session_factory`, which the web and CLI use for
    writes); nothing to do here.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :pid)"),
            {"ns": DIARY_LOCK_NAMESPACE, "pid": int(patient_id)},
        )
