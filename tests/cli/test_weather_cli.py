"""`weather pull/backfill/gaps/export/import` against a fake Open-Meteo on 127.0.0.1."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest

from tests.fakes.open_meteo import FakeOpenMeteo, served_pressure
from weather.grid import cell_key

SITES = [(59.91, 10.75), (41.88, -87.63)]


@pytest.fixture
def fake():
    server = FakeOpenMeteo().start()
    yield server
    server.stop()


@pytest.fixture
def configured(runner, fake, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(fake.config_toml(batch_size=1))
    for i, (lat, lon) in enumerate(SITES):
        result = runner.invoke("users", "create", "--email", f"p{i}@example.org", "--password",
                               "long enough", "--role", "patient", "--timezone", "UTC",
                               "--lat", str(lat), "--lon", str(lon))
        assert result.exit_code == 0, result.output
    return lambda *args: runner.invoke("--config", str(cfg), *args)


def _export(mw, lat, lon, first, last):
    result = mw("weather", "export", "--lat", str(lat), "--lon", str(lon),
                "--from", first.isoformat(), "--to", last.isoformat())
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def test_pull_and_backfill_fill_every_cell_survive_faults_and_rerun_quietly(configured, fake):
    mw = configured
    fake.script = ["429", "500"]  # the first two requests fail; the client retries
    result = mw("weather", "pull")
    assert result.exit_code == 0, result.output
    assert "2 cell(s) done, 0 failed" in result.output

    today = fake.today()
    since = today - timedelta(days=20)
    fake.script = ["500", "429"]
    result = mw("weather", "backfill", "--since", since.isoformat())
    assert result.exit_code == 0, result.output
    assert ", 0 failed" in result.output

    result = mw("weather", "gaps", "--since", since.isoformat())
    assert result.output.count("0 missing hour(s)") == 2, result.output

    before = len(fake.requests)
    result = mw("weather", "backfill", "--since", since.isoformat())
    assert result.exit_code == 0
    assert "0 row(s) written" in result.output
    assert len(fake.requests) == before  # nothing was missing, so nothing was asked

    result = mw("weather", "pull")  # archive values are never replaced by the forecast
    assert result.exit_code == 0 and "0 row(s) written" in result.output

    # Exactly the served values come back out, archive where the archive has them.
    for lat, lon in SITES:
        cell_lat, cell_lon = (v / 10_000 for v in cell_key(lat, lon, 0.1))
        rows = _export(mw, lat, lon, since, today - timedelta(days=1))
        assert len(rows) == 20 * 24
        for row in rows:
            t = int(datetime.fromisoformat(row["observed_at"]).timestamp())
            assert float(row["surface_pressure_hpa"]) == served_pressure(cell_lat, cell_lon, t)
        sources = {r["source"] for r in rows}
        assert sources == {"archive", "forecast"}
        old = [r for r in rows if r["observed_at"] < (today - timedelta(days=6)).isoformat()]
        assert {r["source"] for r in old} == {"archive"}


def test_a_failing_batch_is_reported_and_the_others_still_land(configured, fake):
    mw = configured
    fake.script = ["400"]  # not retried: the first cell's batch fails
    result = mw("weather", "pull")
    assert result.exit_code == 1
    assert "1 cell(s) done, 1 failed" in result.output
    result = mw("weather", "pull")  # the next run fills the gap
    assert result.exit_code == 0 and "2 cell(s) done" in result.output


def test_import_station_csv_is_all_or_nothing(configured, tmp_path):
    mw = configured
    good = tmp_path / "baro.csv"
    good.write_text("observed_at,pressure,unit\n2026-01-01T10:05:00Z,29.92,inHg\n"
                    "2026-01-01T11:20:00Z,1012.5,hPa\n")
    result = mw("weather", "import", str(good), "--lat", "59.91", "--lon", "10.75")
    assert result.exit_code == 0, result.output
    rows = _export(mw, 59.91, 10.75, datetime(2026, 1, 1).date(), datetime(2026, 1, 1).date())
    assert [(r["observed_at"], r["source"]) for r in rows] == [
        ("2026-01-01T10:00:00+00:00", "measured"), ("2026-01-01T11:00:00+00:00", "measured")]
    assert float(rows[0]["surface_pressure_hpa"]) == pytest.approx(29.92 * 33.8639)

    bad = tmp_path / "bad.csv"
    bad.write_text("observed_at,pressure,unit\n2026-01-02T10:00:00Z,1000,hPa\n"
                   "2026-01-02T11:00:00Z,abc,hPa\n")
    result = mw("weather", "import", str(bad), "--lat", "59.91", "--lon", "10.75")
    assert result.exit_code != 0 and "line 3" in result.output
    rows = _export(mw, 59.91, 10.75, datetime(2026, 1, 2).date(), datetime(2026, 1, 2).date())
    assert rows == []


def test_pull_with_no_patients_does_nothing(runner, fake, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(fake.config_toml())
    result = runner.invoke("--config", str(cfg), "weather", "pull")
    assert result.exit_code == 0 and "0 cell(s) done" in result.output
    assert fake.requests == []
