"""Tables of the clinical diary (issue #16): medications, function, triggers, cycle, PRT
practice and questionnaires.

They live on tracker's ``Base`` (the same metadata and naming convention as
:mod:`tracker.models`), in a module of their own so that one stays short;
``migrations.metadata`` imports this module so Alembic and ``create_all`` see them.
Vocabularies come from :mod:`tracker.diary.clinical_terms`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.diary.clinical_terms import (
    DRUG_CLASSES,
    HELPED,
    QUESTIONNAIRE_TIMEPOINTS,
)
from tracker.models import Base, one_of


class Medication(Base):
    """One acute medication on a patient's list (name and class)."""

    __tablename__ = "medications"
    __table_args__ = (
        CheckConstraint(one_of("drug_class", DRUG_CLASSES), name="drug_class"),
        UniqueConstraint("patient_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    drug_class: Mapped[str] = mapped_column(String(24))
    #: hidden from the attack form's picker, kept for past attacks
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class AttackMedication(Base):
    """A medication taken for an attack: how many doses, and whether it helped."""

    __tablename__ = "attack_medications"
    __table_args__ = (
        CheckConstraint(one_of("helped", HELPED), name="helped"),
        CheckConstraint("doses BETWEEN 1 AND 20", name="doses"),
        UniqueConstraint("attack_id", "medication_id"),
        Index("ix_attack_medications_medication", "medication_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attack_id: Mapped[int] = mapped_column(ForeignKey("attacks.id", ondelete="CASCADE"))
    medication_id: Mapped[int] = mapped_column(
        ForeignKey("medications.id", ondelete="CASCADE"))
    doses: Mapped[int | None] = mapped_column(SmallInteger)
    helped: Mapped[str | None] = mapped_column(String(8))


class MedicationAlias(Base):
    """A free-text medication (old attacks, imports) mapped to a list entry, once per text."""

    __tablename__ = "medication_aliases"
    __table_args__ = (UniqueConstraint("patient_id", "text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(200))
    medication_id: Mapped[int] = mapped_column(
        ForeignKey("medications.id", ondelete="CASCADE"))


class CycleDay(Base):
    """A day of menstrual bleeding (optional cycle tracking)."""

    __tablename__ = "cycle_days"
    __table_args__ = (UniqueConstraint("patient_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)


class PracticeDay(Base):
    """One day's PRT practice: minutes of each kind, and worry about the weather (0-10)."""

    __tablename__ = "practice_days"
    __table_args__ = (
        UniqueConstraint("patient_id", "day"),
        CheckConstraint("somatic_tracking_minutes BETWEEN 0 AND 1440", name="somatic"),
        CheckConstraint("reappraisal_minutes BETWEEN 0 AND 1440", name="reappraisal"),
        CheckConstraint("other_minutes BETWEEN 0 AND 1440", name="other"),
        CheckConstraint("weather_worry BETWEEN 0 AND 10", name="weather_worry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    somatic_tracking_minutes: Mapped[int] = mapped_column(SmallInteger, default=0)
    reappraisal_minutes: Mapped[int] = mapped_column(SmallInteger, default=0)
    other_minutes: Mapped[int] = mapped_column(SmallInteger, default=0)
    weather_worry: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class QuestionnaireResponse(Base):
    """A patient's answers to one questionnaire at one time point, with its score."""

    __tablename__ = "questionnaire_responses"
    __table_args__ = (
        CheckConstraint(one_of("timepoint", QUESTIONNAIRE_TIMEPOINTS), name="timepoint"),
        UniqueConstraint("patient_id", "instrument", "timepoint"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    instrument: Mapped[str] = mapped_column(String(40))
    timepoint: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(60))
    answered_at: Mapped[datetime]
