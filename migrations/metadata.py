"""The metadata of every package that owns tables, in the order Alembic compares them."""

from __future__ import annotations

from sqlalchemy import MetaData


def all_metadata() -> list[MetaData]:
    """Return the MetaData of tracker, weather and jobs (imported lazily)."""
    import tracker.clinical_models  # noqa: F401  (its tables are on tracker's Base)
    import tracker.reminder_models  # noqa: F401  (its tables are on tracker's Base)
    from jobs.models import Base as JobsBase
    from tracker.models import Base as TrackerBase
    from weather.models import Base as WeatherBase

    return [WeatherBase.metadata, TrackerBase.metadata, JobsBase.metadata]


def create_all(engine) -> None:
    """Create every table directly (tests; production uses ``db upgrade``)."""
    for metadata in all_metadata():
        metadata.create_all(engine)


#: APScheduler creates and owns this table; Alembic leaves it alone.
EXTERNAL_TABLES = {"apscheduler_jobs"}


#: Procrastinate's tables (the task queue, PostgreSQL only) all start with this.
EXTERNAL_PREFIX = "procrastinate_"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: skip tables that another library owns."""
    return not (type_ == "table" and (name in EXTERNAL_TABLES or name.startswith(EXTERNAL_PREFIX)))
