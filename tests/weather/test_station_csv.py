"""Barometer / station CSV: units, time zones, hourly placement, error reporting."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from weather.station_csv import (
    StationCSVError,
    parse_station_csv,
    read_station_csv,
)

NAN = np.nan


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _as_dict(series):
    return {
        h: (sp, ms)
        for h, sp, ms in zip(
            series.datetimes_utc,
            series.surface_pressure_hpa.tolist(),
            series.msl_hpa.tolist(),
            strict=True,
        )
    }


def test_units_are_converted_to_hpa():
    text = (
        "observed_at,pressure,unit\n"
        "2024-01-01T00:00:00Z,1013.25,hPa\n"
        "2024-01-01T01:00:00Z,29.92,inHg\n"
        "2024-01-01T02:00:00Z,760,mmHg\n"
        "2024-01-01T03:00:00Z,101.3,kPa\n"
        "2024-01-01T04:00:00Z,1000,mbar\n"
    )
    series = parse_station_csv(text)
    np.testing.assert_allclose(
        series.surface_pressure_hpa,
        [1013.25, 29.92 * 33.8639, 760 * 1.333224, 1013.0, 1000.0],
    )
    assert np.isnan(series.msl_hpa).all()
    assert series.readings == 5 and len(series) == 5
    assert series.hours_utc.dtype == np.int64


def test_unit_argument_when_the_column_is_absent_or_empty():
    text = "observed_at,pressure\n2024-01-01T00:00Z,29.92\n"
    series = parse_station_csv(text, unit="inHg")
    assert series.surface_pressure_hpa[0] == pytest.approx(1013.21, abs=0.01)
    text = "observed_at,pressure,unit\n2024-01-01T00:00Z,29.92,\n2024-01-01T01:00Z,1000,hPa\n"
    series = parse_station_csv(text, unit="inhg")
    np.testing.assert_allclose(series.surface_pressure_hpa, [29.92 * 33.8639, 1000.0])


def test_two_column_layout_in_hpa():
    text = (
        "observed_at,surface_pressure_hpa,msl_hpa\n"
        "2024-01-01T00:00Z,980.5,1012.0\n"
        "2024-01-01T01:00Z,,1012.5\n"
        "2024-01-01T02:00Z,981.0,\n"
    )
    got = _as_dict(parse_station_csv(text))
    assert got[_utc(2024, 1, 1, 0)] == (980.5, 1012.0)
    assert got[_utc(2024, 1, 1, 1)][1] == 1012.5 and np.isnan(got[_utc(2024, 1, 1, 1)][0])
    assert got[_utc(2024, 1, 1, 2)][0] == 981.0 and np.isnan(got[_utc(2024, 1, 1, 2)][1])


def test_local_times_use_the_default_timezone_and_offsets_win():
    text = (
        "observed_at,pressure,unit\n"
        "2024-07-01 14:00,1000,hPa\n"  # Berlin summer time: 12:00 UTC
        "2024-07-01T14:00:00+00:00,1001,hPa\n"
        "2024-01-15T09:00,1002,hPa\n"  # winter: 08:00 UTC
    )
    got = _as_dict(parse_station_csv(text, default_timezone="Europe/Berlin"))
    assert got[_utc(2024, 7, 1, 12)][0] == 1000
    assert got[_utc(2024, 7, 1, 14)][0] == 1001
    assert got[_utc(2024, 1, 15, 8)][0] == 1002


def test_nearest_reading_within_30_minutes_ties_go_to_the_earlier():
    text = (
        "observed_at,pressure,unit\n"
        "2024-01-01T00:40Z,1001,hPa\n"  # 20 min before 01:00
        "2024-01-01T01:20Z,1002,hPa\n"  # 20 min after 01:00: tie, the earlier wins
        "2024-01-01T02:31Z,1003,hPa\n"  # 29 min before 03:00, 31 after 02:00
        "2024-01-01T02:29Z,1004,hPa\n"  # 29 min after 02:00
        "2024-01-01T05:30Z,1005,hPa\n"  # exactly between 05:00 and 06:00: both
        "2024-01-01T08:45Z,1006,hPa\n"  # 15 min before 09:00 (08:00 stays a gap)
        "2024-01-01T10:10Z,1007,hPa\n"
        "2024-01-01T10:00Z,1008,hPa\n"  # on the hour beats 10 minutes late
        "2024-01-01T12:00Z,1009,hPa\n"
        "2024-01-01T12:00Z,1010,hPa\n"  # same instant: the first line wins
    )
    got = {h: sp for h, (sp, _) in _as_dict(parse_station_csv(text)).items()}
    assert got == {
        _utc(2024, 1, 1, 1): 1001,
        _utc(2024, 1, 1, 2): 1004,
        _utc(2024, 1, 1, 3): 1003,
        _utc(2024, 1, 1, 5): 1005,
        _utc(2024, 1, 1, 6): 1005,
        _utc(2024, 1, 1, 9): 1006,
        _utc(2024, 1, 1, 10): 1008,
        _utc(2024, 1, 1, 12): 1009,
    }


def test_gaps_stay_gaps_no_interpolation():
    text = "observed_at,pressure,unit\n2024-01-01T00:00Z,1000,hPa\n2024-01-01T06:00Z,1006,hPa\n"
    series = parse_station_csv(text)
    assert series.datetimes_utc == [_utc(2024, 1, 1, 0), _utc(2024, 1, 1, 6)]


def test_every_bad_line_is_reported_with_line_and_field():
    text = (
        "observed_at,pressure,unit\n"  # line 1
        "2024-01-01T00:00Z,1000,hPa\n"
        "\n"  # blank lines are skipped but counted
        "yesterday,1000,hPa\n"  # line 4
        "2024-01-01T02:00Z,abc,hPa\n"  # line 5
        "2024-01-01T03:00Z,1000,psi\n"  # line 6
        "2024-01-01T04:00Z,29.9,hPa\n"  # line 7: inHg value labelled hPa
        "2024-01-01,1000,hPa\n"  # line 8
        "2024-01-01T05:00Z,1000\n"  # line 9
        "2024-03-31T02:30,1000,hPa\n"  # line 10: does not exist in Berlin
        "2024-01-01T06:00Z,,hPa\n"  # line 11
    )
    with pytest.raises(StationCSVError) as info:
        parse_station_csv(text, default_timezone="Europe/Berlin")
    errors = info.value.errors
    assert errors == [
        "line 4: observed_at: 'yesterday' is not an ISO 8601 date and time",
        "line 5: pressure: 'abc' is not a number",
        "line 6: unit: 'psi' is not one of hPa, inHg, mmHg, kPa",
        "line 7: pressure: 29.9 hPa is outside the plausible range 300..1100 hPa (wrong unit?)",
        "line 8: observed_at: '2024-01-01' has no time of day",
        "line 9: expected 3 fields, got 2",
        "line 10: observed_at: '2024-03-31T02:30' does not exist in Europe/Berlin "
        "(clocks went forward)",
        "line 11: pressure: is empty",
    ]
    assert "line 4" in str(info.value) and isinstance(info.value, ValueError)


def test_range_checks_in_the_hpa_layout():
    text = (
        "observed_at,surface_pressure_hpa,msl_hpa\n2024-01-01T00:00Z,250,800\n2024-01-01T01:00Z,,\n"
    )
    with pytest.raises(StationCSVError) as info:
        parse_station_csv(text)
    outside = "is outside the plausible range"
    assert info.value.errors == [
        f"line 2: surface_pressure_hpa: 250 hPa {outside} 300..1100 hPa (wrong unit?)",
        f"line 2: msl_hpa: 800 hPa {outside} 850..1100 hPa (wrong unit?)",
        "line 3: surface_pressure_hpa, msl_hpa: both are empty",
    ]


def test_converted_values_are_range_checked_too():
    with pytest.raises(StationCSVError, match=r"line 2: pressure: 1013 inHg = 34304.1 hPa"):
        parse_station_csv("observed_at,pressure,unit\n2024-01-01T00:00Z,1013,inHg\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("when,pressure,unit\n", "observed_at"),
        ("observed_at,value\n", "expected"),
        ("observed_at,pressure\n2024-01-01T00:00Z,1000\n", "no unit"),
    ],
)
def test_header_problems(text, message):
    with pytest.raises(StationCSVError, match=message):
        parse_station_csv(text)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unit"):
        parse_station_csv("observed_at,pressure\n", unit="psi")
    with pytest.raises(ValueError, match="default_timezone"):
        parse_station_csv("observed_at,pressure\n", unit="hPa", default_timezone="Mars/Olympus")


def test_semicolons_decimal_commas_bom_and_crlf():
    text = "\ufeffObserved_At;Pressure;Unit\r\n2024-01-01T00:00Z;1013,5;hPa\r\n"
    series = parse_station_csv(text)
    assert series.surface_pressure_hpa.tolist() == [1013.5]


def test_read_station_csv(tmp_path):
    path = tmp_path / "baro.csv"
    path.write_text("observed_at,pressure,unit\n2024-01-01T00:00Z,760,mmHg\n", encoding="utf-8")
    series = read_station_csv(path)
    assert series.surface_pressure_hpa[0] == pytest.approx(1013.25, abs=0.01)


def test_empty_body_gives_an_empty_series():
    series = parse_station_csv("observed_at,pressure,unit\n")
    assert len(series) == 0 and series.readings == 0
