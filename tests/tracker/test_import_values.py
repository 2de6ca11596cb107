"""The cell readers of the import formats: durations, kinds, intensities, geohashes, places."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tracker.diary.imports.locations import (
    Sighting,
    decode_geohash,
    grid_centre,
    propose_locations,
)
from tracker.diary.imports.values import (
    MAX_DURATION,
    kind_from_text,
    parse_duration,
    parse_offset,
    scale_intensity,
)
from tracker.errors import ValidationError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01h 00m", timedelta(hours=1)),
        ("1d 02h 15m", timedelta(days=1, hours=2, minutes=15)),
        ("00h 00m", timedelta(0)),
        ("45m", timedelta(minutes=45)),
        ("2h", timedelta(hours=2)),
        ("3d", timedelta(days=3)),
        ("1d 15m", timedelta(days=1, minutes=15)),
        ("1D 2H 5M", timedelta(days=1, hours=2, minutes=5)),
        ("1d02h15m", timedelta(days=1, hours=2, minutes=15)),
        ("  01h 30m ", timedelta(hours=1, minutes=30)),
        ("36h 00m", timedelta(hours=36)),  # no day part: hours may pass 24
        ("90m", timedelta(minutes=90)),    # minutes alone may pass 60
        ("90min", timedelta(minutes=90)),
        ("1:30", timedelta(hours=1, minutes=30)),
        ("90", timedelta(minutes=90)),
        ("365d", MAX_DURATION),
    ],
)
def test_durations(text, expected):
    assert parse_duration(text, "Lasted") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not a duration"),
        ("h", "is not a duration"),
        ("1 hour", "is not a duration"),
        ("01m 02h", "is not a duration"),  # out of order
        ("-1h", "is not a duration"),
        ("1.5h", "is not a duration"),
        ("1:75", "is not a duration"),
        ("01h 60m", "minutes must be below 60"),
        ("1d 24h", "hours must be below 24"),
        ("366d", "longer than 365 days"),
        ("99999999999d", "longer than 365 days"),
    ],
)
def test_bad_durations_name_the_column(text, message):
    with pytest.raises(ValidationError, match=message) as info:
        parse_duration(text, "Lasted")
    assert info.value.field == "Lasted"


@pytest.mark.parametrize(
    ("text", "kind", "plain"),
    [
        ("", "migraine", True),
        ("Migraine", "migraine", True),
        ("migraine with aura", "migraine", False),
        ("Headache", "headache", True),
        ("Tension-type headache", "headache", False),
        ("Cluster", "headache", False),
        ("Migraine, Headache", "migraine", False),
        ("Sinus pressure", "migraine", False),  # unknown: the default, the text kept in notes
    ],
)
def test_kinds_from_another_apps_types(text, kind, plain):
    assert kind_from_text(text) == (kind, plain)


def test_intensity_scales_map_onto_ours():
    assert [scale_intensity(str(v), "Pain", 10) for v in range(11)] == list(range(11))
    assert [scale_intensity(str(v), "Pain", 5) for v in range(6)] == [0, 2, 4, 6, 8, 10]
    assert [scale_intensity(str(v), "Pain", 3) for v in range(4)] == [0, 3, 7, 10]
    assert scale_intensity(" ", "Pain") is None
    with pytest.raises(ValidationError, match="6 is outside 0..5"):
        scale_intensity("6", "Pain", 5)
    with pytest.raises(ValidationError, match="'7.5' is not a whole number 0-10"):
        scale_intensity("7.5", "Pain")


def test_offsets():
    assert parse_offset("-300", "o").utcoffset(None) == timedelta(hours=-5)
    assert parse_offset("", "o") is None
    assert parse_offset("840", "o").utcoffset(None) == timedelta(hours=14)
    with pytest.raises(ValidationError, match="-721 is outside"):
        parse_offset("-721", "o")


@pytest.mark.parametrize(
    ("code", "lat", "lon"),
    [
        ("u4pruydqqvj", 57.64911, 10.40744),  # the example of the geohash description
        ("ezs42", 42.605, -5.603),
        ("s", 22.5, 22.5),
        ("DR5REGW", 40.7133, -74.0060),
    ],
)
def test_geohash_decoding(code, lat, lon):
    got = decode_geohash(code)
    assert got == pytest.approx((lat, lon), abs=5e-4)


@pytest.mark.parametrize("code", ["", "u33a", "u33 dc", "ü", "u" * 23])
def test_bad_geohashes(code):
    with pytest.raises(ValidationError, match="is not a geohash"):
        decode_geohash(code)


def test_grid_centres():
    assert grid_centre(52.5193, 13.4054) == (52.55, 13.45)
    assert grid_centre(-33.87, 151.21, 0.5) == (-33.75, 151.25)


def _at(day: int, hour: int) -> datetime:
    return datetime(2024, 5, day, hour, tzinfo=UTC)


def test_places_become_periods_where_the_cell_changes():
    home, away = (52.55, 13.45), (48.15, 11.55)
    sightings = [
        Sighting(5, _at(3, 8), *home), Sighting(2, _at(1, 8), *home),  # out of order
        Sighting(7, _at(5, 8), *away), Sighting(8, _at(6, 8), *away),
        Sighting(9, _at(9, 6), *home), Sighting(10, _at(9, 20), *away),  # the later one wins
        Sighting(11, _at(12, 8), *away),
    ]
    periods = propose_locations(sightings, "Europe/Berlin")
    assert [(p.starts_on, (p.latitude, p.longitude), p.line, p.attacks) for p in periods] == [
        (date(2024, 5, 1), home, 2, 2),
        (date(2024, 5, 5), away, 7, 4),
    ]


def test_a_place_change_back_on_the_same_day_leaves_no_period():
    home, away = (52.55, 13.45), (48.15, 11.55)
    sightings = [Sighting(2, _at(1, 8), *home), Sighting(3, _at(4, 6), *away),
                 Sighting(4, _at(4, 20), *home)]
    periods = propose_locations(sightings, "UTC")
    assert [(p.starts_on, p.line) for p in periods] == [(date(2024, 5, 1), 2)]
