"""Tables owned by the tracker package: accounts, diary, courses, sharing, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    inspect,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from tracker.diary.attack_input import ATTACK_KINDS
from tracker.diary.clinical_terms import FUNCTION_LEVELS
from weather.sqltypes import NAMING_CONVENTION, UTCDateTime

ROLES = ("patient", "clinician", "admin")
ATTACK_SOURCES = ("web", "api", "import")
PRESSURE_UNITS = ("hPa", "inHg", "mmHg", "kPa")


def one_of(column: str, values: tuple[str, ...]) -> str:
    """A check constraint's text: ``column`` takes one of ``values`` (every tracker table)."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base of the tracker tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class User(Base):
    """An account: a patient, a clinician or an admin."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]

    profile: Mapped[PatientProfile | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )


class PatientProfile(Base):
    """A patient's settings: the timezone their days are counted in and their pressure unit."""

    __tablename__ = "patient_profiles"
    __table_args__ = (CheckConstraint(one_of("pressure_unit", PRESSURE_UNITS), name="unit"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    timezone: Mapped[str] = mapped_column(String(64))
    pressure_unit: Mapped[str] = mapped_column(String(8), default="hPa")
    tracking_started_on: Mapped[date | None] = mapped_column(Date)
    checkins_in_use: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The day the patient states "I record every day from" (amendment A1); None: the first
    #: check-in's day starts check-in mode.
    records_every_day_from: Mapped[date | None] = mapped_column(Date)
    #: When anything the report reads from the diary last changed (set on every flush).
    diary_changed_at: Mapped[datetime | None]
    #: Optional diary parts (issue #16), off until the patient turns them on.
    tracks_triggers: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())
    tracks_cycle: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    user: Mapped[User] = relationship(back_populates="profile")


class LocationPeriod(Base):
    """Where a patient was from ``starts_on`` on (until the next period); the first is home."""

    __tablename__ = "location_periods"
    __table_args__ = (
        UniqueConstraint("patient_id", "starts_on"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(120), default="")


class Attack(Base):
    """One headache or migraine attack; instants in UTC, ``ended_at`` empty while ongoing."""

    __tablename__ = "attacks"
    __table_args__ = (
        CheckConstraint(one_of("kind", ATTACK_KINDS), name="kind"),
        CheckConstraint(one_of("source", ATTACK_SOURCES), name="source"),
        CheckConstraint("intensity BETWEEN 0 AND 10", name="intensity"),
        CheckConstraint("threat BETWEEN 0 AND 10", name="threat"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="end_after_start"),
        CheckConstraint(one_of("function", FUNCTION_LEVELS), name="function"),
        Index("ix_attacks_patient_started", "patient_id", "started_at"),
        UniqueConstraint("patient_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    kind: Mapped[str] = mapped_column(String(16), default="migraine")
    intensity: Mapped[int | None] = mapped_column(SmallInteger)
    aura: Mapped[bool] = mapped_column(Boolean, default=False)
    medication: Mapped[str] = mapped_column(String(200), default="")
    medication_helped: Mapped[bool | None] = mapped_column(Boolean)
    threat: Mapped[int | None] = mapped_column(SmallInteger)
    expected_weather: Mapped[bool | None] = mapped_column(Boolean)
    notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(8), default="web")
    #: the phone's own id for an attack logged offline (idempotency key: a retry finds it)
    client_id: Mapped[str | None] = mapped_column(String(64))
    #: "What could you do?" (tracker.diary.clinical_terms.FUNCTION_LEVELS)
    function: Mapped[str | None] = mapped_column(String(8))
    #: trigger tags the patient gave (clinical_terms.TRIGGER_TAGS), when they track triggers
    triggers: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CheckIn(Base):
    """A diary check-in for one local day (e.g. "no headache today")."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("patient_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    headache_free: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class TreatmentCourse(Base):
    """A course of treatment (PRT by default) with its local start and end dates."""

    __tablename__ = "treatment_courses"
    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="end_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40), default="PRT")
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    sessions: Mapped[int | None] = mapped_column(SmallInteger)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class CareLink(Base):
    """A clinician's read access to a patient's diary, until revoked."""

    __tablename__ = "care_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_care_links_pair", "patient_id", "clinician_id"),)


class ShareInvitation(Base):
    """A single-use, expiring code a patient gives a clinician; only its hash is stored."""

    __tablename__ = "share_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    redeemed_at: Mapped[datetime | None]
    redeemed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None]


class ApiToken(Base):
    """A personal access token for the JSON API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class UserSession(Base):
    """A logged-in browser session; the cookie holds a random token, only its hash is stored.

    Logout, a password change and "log out everywhere" end the row, so a copied cookie stops
    working at once; ``last_seen_at`` drives the idle timeout.
    """

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    #: token rotation (issue #15): the replaced token's hash, accepted until
    #: ``previous_valid_until`` (requests already on their way); when the token last changed
    previous_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    previous_valid_until: Mapped[datetime | None]
    rotated_at: Mapped[datetime | None]


class ImportUpload(Base):
    """An uploaded diary file waiting for the patient's confirmation (issue #14).

    The preview is computed from ``content`` and ``options`` each time it is shown, so
    nothing parsed lives in the cookie; the row expires and is deleted after confirmation.
    """

    __tablename__ = "import_uploads"
    __table_args__ = (Index("ix_import_uploads_expires", "expires_at"),)

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class RateBucket(Base):
    """A fixed-window attempt counter (e.g. share-code redemptions per account or address).

    Incremented with one atomic upsert, so parallel requests cannot slip past the limit.
    """

    __tablename__ = "rate_buckets"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class AuditEvent(Base):
    """Who did what to whose data, and when (views and exports by others included)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_patient_at", "patient_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")


class ReportSnapshot(Base):
    """The latest stored report of a patient, with the inputs' fingerprint and the config."""

    __tablename__ = "report_snapshots"

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    computed_at: Mapped[datetime]
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: The profile's diary_changed_at when the report was computed.
    diary_changed_at: Mapped[datetime | None]
    config: Mapped[dict[str, Any]]
    #: The report without its days (what lists read); the full report is loaded on demand.
    summary: Mapped[dict[str, Any] | None]
    report: Mapped[dict[str, Any]] = mapped_column(deferred=True)


#: Tables whose rows feed a patient's report (they all have ``patient_id``).
DIARY_MODELS = (Attack, CheckIn, TreatmentCourse, LocationPeriod)


@event.listens_for(Session, "before_flush")
def _stamp_diary_changes(session: Session, _context, _instances) -> None:
    """Stamp ``diary_changed_at`` of every patient whose diary this flush changes."""
    patient_ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, DIARY_MODELS) and obj.patient_id is not None:
            if obj in session.dirty and not session.is_modified(obj):
                continue
            patient_ids.add(obj.patient_id)
        elif isinstance(obj, PatientProfile) and obj in session.dirty:
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes()
                   for name in ("timezone", "tracking_started_on", "checkins_in_use",
                                "records_every_day_from")):
                patient_ids.add(obj.user_id)
    if not patient_ids:
        return
    now = datetime.now(UTC)
    with session.no_autoflush:
        for patient_id in patient_ids:
            profile = session.get(PatientProfile, patient_id)
            if profile is not None:
                profile.diary_changed_at = now
