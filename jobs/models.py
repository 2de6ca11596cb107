"""Tables owned by the jobs package: the run log, the queue's tasks per run and the shared
provider budget (APScheduler and Procrastinate keep their own tables)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from weather.sqltypes import NAMING_CONVENTION, UTCDateTime


class Base(DeclarativeBase):
    """Declarative base of the jobs tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class JobRun(Base):
    """One run of a scheduled job: when, how it ended, what it did."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    cells_done: Mapped[int] = mapped_column(Integer, default=0)
    cells_failed: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    #: Who runs it: the process id and host name; a run whose owner is gone was interrupted.
    owner_pid: Mapped[int | None] = mapped_column(Integer)
    owner_host: Mapped[str | None] = mapped_column(String(255))
    #: Queue runs only (None inline): tasks enqueued (set once all are), done, failed for good.
    tasks_total: Mapped[int | None] = mapped_column(Integer)
    tasks_done: Mapped[int | None] = mapped_column(Integer)
    tasks_failed: Mapped[int | None] = mapped_column(Integer)


class JobRunTask(Base):
    """One queued task of a run: its queue job and, once finished, its outcome (counted once)."""

    __tablename__ = "job_run_tasks"

    run_id: Mapped[int] = mapped_column(ForeignKey("job_runs.id", ondelete="CASCADE"),
                                        primary_key=True)
    task_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The task queue's job id (Procrastinate's ``procrastinate_jobs.id``).
    queue_job_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    #: ``queued`` until it finished: ``done`` or ``failed`` (for good).
    state: Mapped[str] = mapped_column(String(16))
    #: Cells (patients for refresh-reports) it was given.
    size: Mapped[int] = mapped_column(Integer)
    cells_done: Mapped[int] = mapped_column(Integer, default=0)
    cells_failed: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]


class ProviderBudget(Base):
    """A provider's call budget shared by every worker: a token bucket updated atomically."""

    __tablename__ = "provider_budgets"

    provider: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: Calls that may start now (negative: calls already promised to waiting workers).
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime]
