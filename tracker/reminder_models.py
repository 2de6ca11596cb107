"""Tables of the mail features: reminder preferences, the sent-message log, password resets.

They live on tracker's ``Base`` (the same metadata and naming convention as
:mod:`tracker.models`), in a module of their own so that one stays short;
``migrations.metadata`` imports this module so Alembic and ``create_all`` see them.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models import Base, one_of

#: The kinds of reminder (a sent message's kind too).
REMINDER_KINDS = ("daily", "weekly")
#: What became of a reminder due on a day: being sent, sent, skipped (nothing to remind
#: of), or refused by the SMTP server (tried again up to ``[mail] max_send_attempts``).
SEND_STATUSES = ("sending", "sent", "skipped", "failed")


class ReminderPreference(Base):
    """A patient's reminder choices (no row: every reminder off)."""

    __tablename__ = "reminder_preferences"
    __table_args__ = (CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),)

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    daily: Mapped[bool] = mapped_column(Boolean, default=False)
    weekly: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The local wall-clock time both reminders are sent at (the patient's timezone).
    send_at: Mapped[time] = mapped_column(Time)
    #: The weekly message's day, Monday = 0.
    weekday: Mapped[int] = mapped_column(SmallInteger, default=6)
    updated_at: Mapped[datetime]


class SentMessage(Base):
    """One reminder of one kind for one local day: the unique key makes sure it is sent at
    most once, whatever restarts or parallel schedulers do."""

    __tablename__ = "sent_messages"
    __table_args__ = (
        UniqueConstraint("patient_id", "kind", "local_day"),
        CheckConstraint(one_of("kind", REMINDER_KINDS), name="kind"),
        CheckConstraint(one_of("status", SEND_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    local_day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(SmallInteger, default=1)
    claimed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class PasswordReset(Base):
    """A single-use, expiring password-reset link; only the SHA-256 of its token is stored."""

    __tablename__ = "password_resets"
    __table_args__ = (Index("ix_password_resets_user", "user_id", "used_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
