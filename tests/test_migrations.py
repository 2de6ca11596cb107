"""Alembic: the migrated schema equals the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from migrations.metadata import all_metadata, include_object
from migrations.runner import current_revision, head_revision, upgrade
from tracker.database import make_engine


def _diff(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        return compare_metadata(ctx, all_metadata())


def test_upgrade_creates_exactly_the_models(db_url):
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        expected = {t for md in all_metadata() for t in md.tables}
        assert expected <= tables
        assert _diff(engine) == []
        upgrade(engine)  # a second upgrade is a no-op
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_models_differ_from_an_empty_database(db_url):
    """The comparison can fail: an unmigrated database shows every table as missing."""
    engine = make_engine(db_url)
    try:
        diff = _diff(engine)
        added = {d[1].name for d in diff if d[0] == "add_table"}
        assert {"users", "attacks", "pressure_observations", "job_runs"} <= added
    finally:
        engine.dispose()


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def test_upgrade_from_the_first_revision_keeps_data(db_url):
    """Data written under the first schema survives every later migration."""
    from sqlalchemy import text

    engine = make_engine(db_url)
    try:
        upgrade(engine, "3b3bcd7f61f4")
        with engine.begin() as conn:
            _insert_patient(conn, "UTC", checkins_in_use=False)
            conn.execute(text(
                "INSERT INTO attacks (id, patient_id, started_at, kind, aura, medication, notes,"
                " source, created_at, updated_at) VALUES (1, 1, :t, 'migraine', false, '', 'kept',"
                " 'web', :t, :t)"), {"t": FIRST_INSTANT})
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT notes FROM attacks")).scalar() == "kept"
            assert conn.execute(text("SELECT email FROM users")).scalar() == "a@x.org"
            assert conn.execute(text("SELECT diary_changed_at FROM patient_profiles")
                                ).scalar() is None
        assert _diff(engine) == []
    finally:
        engine.dispose()


def test_records_every_day_from_is_added_empty_to_existing_profiles(db_url):
    """Issue #13: the stated date arrives as an empty column; existing profiles keep theirs."""

    from sqlalchemy import text

    engine = make_engine(db_url)
    try:
        upgrade(engine, "d7e3e881077c")
        assert "records_every_day_from" not in {
            c["name"] for c in inspect(engine).get_columns("patient_profiles")}
        with engine.begin() as conn:
            _insert_patient(conn, "Europe/Oslo", checkins_in_use=True)
        upgrade(engine)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT timezone, checkins_in_use, records_every_day_from"
                                    " FROM patient_profiles")).one()
        assert (row[0], bool(row[1]), row[2]) == ("Europe/Oslo", True, None)
        assert _diff(engine) == []
    finally:
        engine.dispose()


#: A naive UTC instant, as raw SQL against an older revision writes it.
FIRST_INSTANT = datetime(2026, 1, 1)


def _insert_patient(conn, timezone: str, *, checkins_in_use: bool) -> None:
    """Insert patient 1 with raw SQL, as an older revision's tables hold it."""
    from sqlalchemy import text

    conn.execute(text(
        "INSERT INTO users (id, email, password_hash, role, name, is_active, created_at,"
        " failed_logins) VALUES (1, 'a@x.org', 'h', 'patient', 'A', true, :t, 0)"
    ), {"t": FIRST_INSTANT})
    conn.execute(text(
        "INSERT INTO patient_profiles (user_id, timezone, pressure_unit, checkins_in_use)"
        " VALUES (1, :tz, 'hPa', :checkins)"), {"tz": timezone, "checkins": checkins_in_use})


def _insert_cell_hour(conn, source: str) -> None:
    from sqlalchemy import text

    conn.execute(text(
        "INSERT INTO pressure_observations (cell_id, observed_at, surface_pressure_hpa,"
        " msl_hpa, source, source_rank, fetched_at) VALUES (1, :t, 1001.5, 1012.0, :s, 2, :t)"),
        {"t": FIRST_INSTANT, "s": source})


def test_pressure_table_is_rebuilt_clustered_with_its_rows_and_rules(db_url):
    """a7d2c4e9b813: SQLite's table becomes WITHOUT ROWID; rows, the CHECK and the cascade stay."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    engine = make_engine(db_url)
    try:
        upgrade(engine, "c84c97e5ab45")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO grid_cells (id, lat_e4, lon_e4, grid_degrees,"
                              " created_at) VALUES (1, 515000, -1000, 0.25, :t)"),
                         {"t": FIRST_INSTANT})
            _insert_cell_hour(conn, "archive")
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT surface_pressure_hpa, source FROM"
                                     " pressure_observations")).one() == (1001.5, "archive")
            assert conn.execute(text("SELECT open_meteo_at FROM grid_cells")
                                ).scalar() is not None  # its archive row: the credit is due
            if engine.dialect.name == "sqlite":
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE"
                                        " name = 'pressure_observations'")).scalar()
                assert "WITHOUT ROWID" in sql.upper()
        indexes = {i["name"] for i in inspect(engine).get_indexes("pressure_observations")}
        assert "ix_pressure_observations_cell_id_fetched_at" in indexes
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("DELETE FROM pressure_observations"))
            _insert_cell_hour(conn, "guessed")  # the CHECK on source survived the rebuild
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM grid_cells"))  # ON DELETE CASCADE survived too
            assert conn.execute(text("SELECT count(*) FROM pressure_observations")).scalar() == 0
        assert _diff(engine) == []
    finally:
        engine.dispose()
