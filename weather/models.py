"""Tables owned by the weather package: grid cells, hourly pressure, the fetch log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from weather.sqltypes import NAMING_CONVENTION, UTCDateTime

#: Source precedence: a higher rank is never overwritten by a lower one (DESIGN "Storage").
SOURCE_RANK: dict[str, int] = {"measured": 3, "simulated": 3, "archive": 2, "forecast": 1}

#: The sources that are Open-Meteo's data (their credit is shown where they are used).
OPEN_METEO_SOURCES: tuple[str, ...] = ("archive", "forecast")

#: Fixed-point scale of a cell's centre coordinates (1e-4 degree).
COORD_SCALE = 10_000


class Base(DeclarativeBase):
    """Declarative base of the weather tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class GridCell(Base):
    """A grid cell: its centre, rounded to the configured grid, in 1e-4 degree units."""

    __tablename__ = "grid_cells"
    __table_args__ = (UniqueConstraint("lat_e4", "lon_e4"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lat_e4: Mapped[int] = mapped_column(Integer)
    lon_e4: Mapped[int] = mapped_column(Integer)
    grid_degrees: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime]
    #: when Open-Meteo data (OPEN_METEO_SOURCES) was first stored for the cell, else None
    open_meteo_at: Mapped[datetime | None]

    @property
    def latitude(self) -> float:
        """Latitude of the cell centre in degrees north."""
        return self.lat_e4 / COORD_SCALE

    @property
    def longitude(self) -> float:
        """Longitude of the cell centre in degrees east."""
        return self.lon_e4 / COORD_SCALE


class PressureObservation(Base):
    """One hour of pressure for one cell; pressures in hPa, ``observed_at`` on the UTC hour.

    On SQLite the table is WITHOUT ROWID: rows are stored in (cell, hour) order, so a page's
    two years are one range of one B-tree. The (cell, fetched_at) index serves "what arrived
    since" (report freshness) without reading every hour.
    """

    __tablename__ = "pressure_observations"
    __table_args__ = (
        CheckConstraint(
            "source IN ('measured', 'simulated', 'archive', 'forecast')", name="source"
        ),
        Index("ix_pressure_observations_cell_id_fetched_at", "cell_id", "fetched_at"),
        {"sqlite_with_rowid": False},
    )

    cell_id: Mapped[int] = mapped_column(
        ForeignKey("grid_cells.id", ondelete="CASCADE"), primary_key=True
    )
    observed_at: Mapped[datetime] = mapped_column(primary_key=True)
    surface_pressure_hpa: Mapped[float | None] = mapped_column(Float)
    msl_hpa: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))
    source_rank: Mapped[int] = mapped_column(SmallInteger)
    fetched_at: Mapped[datetime]


class FetchLog(Base):
    """One provider call (a batch of cells): what was asked, what came back, any error."""

    __tablename__ = "fetch_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    provider: Mapped[str] = mapped_column(String(32))
    endpoint: Mapped[str] = mapped_column(String(16))
    cell_ids: Mapped[str] = mapped_column(Text, default="")
    range_start: Mapped[datetime | None]
    range_end: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
