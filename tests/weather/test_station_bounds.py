"""Station pressure timestamps stay within the diary's years (issue #10, item 15)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from weather.station_csv import StationCSVError, parse_station_csv

HEADER = "observed_at,surface_pressure_hpa\n"


@pytest.mark.parametrize("value", [
    "0001-01-01T00:00", "0001-01-01T00:00+05:00", "1899-12-31T23:00", "1939-12-31T23:00",
    "2101-01-01T00:00", "9999-12-31T23:00", "9999-12-31T23:00-05:00",
])
@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Tokyo"])
def test_years_outside_the_bounds_are_line_numbered_errors(value, zone):
    text = HEADER + "2026-03-01T10:00,1000\n" + f"{value},1001\n"
    with pytest.raises(StationCSVError) as info:
        parse_station_csv(text, default_timezone=zone)
    assert info.value.errors == [
        f"line 3: observed_at: {value!r} is outside 1940-01-01..2100-12-31"]


def test_the_bounds_themselves_are_accepted():
    text = HEADER + "1940-01-01T00:00,1000\n2100-12-31T23:00,1001\n"
    series = parse_station_csv(text)
    assert series.datetimes_utc == [datetime(1940, 1, 1, tzinfo=UTC),
                                    datetime(2100, 12, 31, 23, tzinfo=UTC)]


def test_the_weather_bounds_agree_with_the_diary():
    from tracker.diary.validation import MAX_DAY, MIN_DAY
    from weather.station_csv import EARLIEST_DAY, LATEST_DAY

    assert (EARLIEST_DAY, LATEST_DAY) == (MIN_DAY, MAX_DAY)


def test_the_cli_refuses_year_one_and_stores_nothing(runner, tmp_path, session_factory):
    from sqlalchemy import func, select

    from weather.models import PressureObservation

    src = tmp_path / "station.csv"
    src.write_text(HEADER + "2026-03-01T10:00,1000\n0001-01-01T00:00,1001\n")
    result = runner.invoke("weather", "import", str(src), "--lat", "52.5",
                           "--lon", "13.4")
    assert result.exit_code != 0
    assert "line 3: observed_at: '0001-01-01T00:00' is outside" in result.output
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(PressureObservation)) == 0
