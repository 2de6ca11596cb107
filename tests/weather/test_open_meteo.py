"""The Open-Meteo client against replies mocked at the wire with ``responses``."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import requests
import responses

from weather.open_meteo import (
    HOURLY_VARIABLES,
    OpenMeteoConnectionError,
    OpenMeteoError,
    OpenMeteoRateLimitError,
    OpenMeteoRequestError,
    OpenMeteoResponseError,
    OpenMeteoServerError,
    parse_reply,
)

BERLIN = (52.52, 13.41)
PARIS = (48.85, 2.35)
MINUTELY = "Minutely API request limit exceeded. Please try again in one minute."


def _query(call) -> dict[str, str]:
    """The query of a recorded call, one value per key (commas kept)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


@responses.activate
def test_recent_single_location(make_client, om):
    responses.get(om.forecast, json=om.location(*BERLIN, hours=3))
    client = make_client()

    [series] = client.get_recent([BERLIN], past_days=7)

    assert (series.latitude, series.longitude) == BERLIN  # as requested, not the model point
    assert series.hours_utc.dtype == np.int64
    assert series.hours_utc.tolist() == [om.t0, om.t0 + 3600, om.t0 + 7200]
    np.testing.assert_array_equal(series.surface_pressure_hpa, [1000.0, 1001.0, 1002.0])
    np.testing.assert_array_equal(series.msl_hpa, [1013.0, 1014.0, 1015.0])
    assert series.elevation_m == 34.0
    assert client.last_attempts == 1
    query = _query(responses.calls[0])
    assert query == {
        "latitude": "52.52",
        "longitude": "13.41",
        "hourly": "surface_pressure,pressure_msl",
        "timeformat": "unixtime",
        "timezone": "GMT",
        "past_days": "7",
        "forecast_days": "1",
    }
    assert "apikey" not in query
    assert "latitude=52.52&longitude=13.41" in responses.calls[0].request.url
    assert responses.calls[0].request.headers["User-Agent"].startswith("migraine-weather")


@responses.activate
def test_archive_batch_maps_back_by_order(make_client, om):
    body = [
        om.location(*BERLIN, surface=[990.0, 991.0]),
        om.location(*PARIS, surface=[1020.0, 1021.0]),
    ]
    responses.get(om.archive, json=body)
    client = make_client()

    result = client.get_archive([BERLIN, PARIS], date(2024, 1, 1), date(2024, 1, 31))

    assert [(s.latitude, s.longitude) for s in result] == [BERLIN, PARIS]
    assert result[0].surface_pressure_hpa.tolist() == [990.0, 991.0]
    assert result[1].surface_pressure_hpa.tolist() == [1020.0, 1021.0]
    url = responses.calls[0].request.url
    assert "latitude=52.52,48.85&longitude=13.41,2.35" in url  # commas, not %2C
    query = _query(responses.calls[0])
    assert query["start_date"] == "2024-01-01" and query["end_date"] == "2024-01-31"
    assert query["hourly"] == ",".join(HOURLY_VARIABLES)
    assert "past_days" not in query


@responses.activate
def test_nulls_become_nan_gaps(make_client, om):
    responses.get(
        om.forecast,
        json=om.location(*BERLIN, surface=[1000.0, None, 1002.5], msl=[None, 1013, None]),
    )
    [series] = make_client().get_recent([BERLIN], past_days=1)
    np.testing.assert_array_equal(series.surface_pressure_hpa, [1000.0, np.nan, 1002.5])
    np.testing.assert_array_equal(series.msl_hpa, [np.nan, 1013.0, np.nan])
    assert series.msl_hpa.dtype == np.float64


@responses.activate
def test_400_carries_the_reason_and_is_not_retried(make_client, om, fake_time):
    reason = "Parameter 'start_date' is out of allowed range from 1940-01-01 to 2024-06-01"
    responses.get(om.archive, status=400, json={"error": True, "reason": reason})
    client = make_client()

    with pytest.raises(OpenMeteoRequestError) as info:
        client.get_archive([BERLIN], date(1900, 1, 1), date(1900, 1, 2))

    assert info.value.reason == reason
    assert info.value.status == 400
    assert isinstance(info.value, OpenMeteoError)
    assert len(responses.calls) == 1
    assert fake_time.sleeps == []
    assert client.last_attempts == 1


@responses.activate
def test_429_then_success_is_retried_after_a_jittered_backoff(make_client, om, fake_time):
    responses.get(om.forecast, status=429, json={"error": True, "reason": MINUTELY})
    responses.get(om.forecast, json=om.location(*BERLIN))
    client = make_client(backoff_seconds=2.0)

    [series] = client.get_recent([BERLIN], past_days=2)

    assert len(series) == 3
    assert len(responses.calls) == 2
    assert client.last_attempts == 2
    assert len(fake_time.sleeps) == 1
    assert 0.0 <= fake_time.sleeps[0] <= 2.0  # full jitter: uniform(0, base)


@responses.activate
def test_429_exhausted_raises_rate_limit_error(make_client, om, fake_time):
    responses.get(om.forecast, status=429, json={"error": True, "reason": MINUTELY})
    client = make_client(max_retries=3, backoff_seconds=1.0)

    with pytest.raises(OpenMeteoRateLimitError) as info:
        client.get_recent([BERLIN], past_days=2)

    assert info.value.reason == MINUTELY
    assert info.value.status == 429
    assert info.value.attempts == 4
    assert len(responses.calls) == 4
    # Exponential ceilings 1, 2, 4 with full jitter.
    assert len(fake_time.sleeps) == 3
    for sleep, ceiling in zip(fake_time.sleeps, [1.0, 2.0, 4.0], strict=True):
        assert 0.0 <= sleep <= ceiling


@responses.activate
def test_429_with_any_reason_text(make_client, om):
    responses.get(om.forecast, status=429, body="slow down")
    with pytest.raises(OpenMeteoRateLimitError) as info:
        make_client(max_retries=0).get_recent([BERLIN], past_days=1)
    assert info.value.reason == "slow down"


@responses.activate
def test_500_then_success(make_client, om):
    responses.get(om.archive, status=500, json={"error": True, "reason": "Something went wrong."})
    responses.get(om.archive, status=503, body="")
    responses.get(om.archive, json=om.location(*BERLIN))
    client = make_client()
    [series] = client.get_archive([BERLIN], date(2024, 1, 1), date(2024, 1, 1))
    assert len(series) == 3
    assert client.last_attempts == 3


@responses.activate
def test_500_exhausted(make_client, om, fake_time):
    responses.get(om.archive, status=500, json={"error": True, "reason": "Something went wrong."})
    client = make_client(max_retries=2)
    with pytest.raises(OpenMeteoServerError) as info:
        client.get_archive([BERLIN], date(2024, 1, 1), date(2024, 1, 1))
    assert info.value.reason == "Something went wrong."
    assert info.value.status == 500
    assert len(responses.calls) == 3
    assert len(fake_time.sleeps) == 2


@responses.activate
def test_timeout_is_retried_then_raised_as_connection_error(make_client, om):
    responses.get(om.forecast, body=requests.exceptions.ConnectTimeout("connect timed out"))
    responses.get(om.forecast, body=requests.exceptions.ReadTimeout("read timed out"))
    client = make_client(max_retries=1)
    with pytest.raises(OpenMeteoConnectionError) as info:
        client.get_recent([BERLIN], past_days=1)
    assert info.value.status is None
    assert "timed out" in info.value.reason
    assert len(responses.calls) == 2


@responses.activate
def test_timeout_then_success(make_client, om):
    responses.get(om.forecast, body=requests.exceptions.ReadTimeout("read timed out"))
    responses.get(om.forecast, json=om.location(*BERLIN))
    [series] = make_client().get_recent([BERLIN], past_days=1)
    assert len(series) == 3


@responses.activate
def test_connection_error(make_client, om):
    responses.get(om.forecast, body=requests.exceptions.ConnectionError("refused"))
    client = make_client(max_retries=2)
    with pytest.raises(OpenMeteoConnectionError):
        client.get_recent([BERLIN], past_days=1)
    assert len(responses.calls) == 3


@responses.activate
def test_malformed_json_is_a_response_error_and_not_retried(make_client, om):
    responses.get(
        om.forecast, body='{"latitude": 52.5, "hourly": {', content_type="application/json"
    )
    client = make_client()
    with pytest.raises(OpenMeteoResponseError):
        client.get_recent([BERLIN], past_days=1)
    assert len(responses.calls) == 1


@responses.activate
def test_wrong_length_arrays(make_client, om):
    body = om.location(*BERLIN)
    body["hourly"]["pressure_msl"] = body["hourly"]["pressure_msl"][:-1]
    responses.get(om.forecast, json=body)
    with pytest.raises(OpenMeteoResponseError, match="pressure_msl has 2 values for 3 times"):
        make_client().get_recent([BERLIN], past_days=1)


@responses.activate
def test_wrong_number_of_locations(make_client, om):
    responses.get(om.forecast, json=[om.location(*BERLIN)])
    with pytest.raises(OpenMeteoResponseError, match="1 locations, 2 were requested"):
        make_client().get_recent([BERLIN, PARIS], past_days=1)


@responses.activate
def test_object_instead_of_array_for_a_batch(make_client, om):
    responses.get(om.forecast, json=om.location(*BERLIN))
    with pytest.raises(OpenMeteoResponseError):
        make_client().get_recent([BERLIN, PARIS], past_days=1)


@responses.activate
def test_api_key_is_sent_as_apikey(make_client, om):
    responses.get(om.forecast, json=om.location(*BERLIN))
    make_client(api_key="s3cret").get_recent([BERLIN], past_days=1)
    assert _query(responses.calls[0])["apikey"] == "s3cret"


@responses.activate
def test_other_4xx_is_a_request_error(make_client, om):
    responses.get(om.forecast, status=401, json={"error": True, "reason": "Invalid API key"})
    with pytest.raises(OpenMeteoRequestError) as info:
        make_client().get_recent([BERLIN], past_days=1)
    assert (info.value.status, info.value.reason) == (401, "Invalid API key")
    assert len(responses.calls) == 1


@responses.activate
def test_rate_limiter_waits_for_the_sliding_window(make_client, om, fake_time):
    responses.get(om.forecast, json=om.location(*BERLIN))
    client = make_client(max_calls_per_minute=2)

    client.get_recent([BERLIN], past_days=1)  # t = 1000
    fake_time.now += 10
    client.get_recent([BERLIN], past_days=1)  # t = 1010
    assert fake_time.sleeps == []
    client.get_recent([BERLIN], past_days=1)  # must wait until the first leaves: t = 1060

    assert fake_time.sleeps == [pytest.approx(50.0)]
    assert fake_time.now == pytest.approx(1060.0)
    client.get_recent([BERLIN], past_days=1)  # the second leaves at 1070
    assert fake_time.sleeps[-1] == pytest.approx(10.0)
    assert len(responses.calls) == 4


@responses.activate
def test_rate_limiter_counts_locations_and_long_ranges_as_calls(make_client, om, fake_time):
    responses.get(om.archive, json=[om.location(*BERLIN), om.location(*PARIS)])
    client = make_client(max_calls_per_minute=4)
    # 2 locations x 15 days (two 14-day blocks) = 4 calls: fills the window.
    client.get_archive([BERLIN, PARIS], date(2024, 1, 1), date(2024, 1, 15))
    assert fake_time.sleeps == []
    client.get_archive([BERLIN, PARIS], date(2024, 1, 1), date(2024, 1, 2))
    assert fake_time.sleeps == [pytest.approx(60.0)]


@responses.activate
def test_a_retried_call_is_charged_to_the_rate_limiter_once(make_client, om, fake_time):
    responses.get(om.forecast, status=500, json={"error": True, "reason": "x"})
    responses.get(om.forecast, json=om.location(*BERLIN))
    client = make_client(max_calls_per_minute=1, backoff_seconds=0.0)
    client.get_recent([BERLIN], past_days=1)
    assert len(responses.calls) == 2 and client.last_attempts == 2
    # One logical call: charged once, so the retry never waits for a fresh window.
    assert sum(fake_time.sleeps) == 0.0
    assert client.calls_last_minute() == 1
    client.get_recent([BERLIN], past_days=1)  # the next logical call does wait
    assert sum(fake_time.sleeps) == pytest.approx(60.0)


@responses.activate
def test_a_weighted_call_retried_after_a_5xx_is_charged_its_weight_once(
    make_client, om, fake_time
):
    responses.get(om.archive, status=503, json={"error": True, "reason": "busy"})
    responses.get(om.archive, json=[om.location(*BERLIN), om.location(*PARIS)])
    client = make_client(max_calls_per_minute=4, backoff_seconds=0.0)
    # 2 locations x 15 days (two 14-day blocks) = 4 calls, the whole window, whatever the
    # attempts: the retry goes out at once instead of waiting a minute.
    client.get_archive([BERLIN, PARIS], date(2024, 1, 1), date(2024, 1, 15))
    assert client.last_attempts == 2
    assert fake_time.sleeps == [0.0]  # the (zero) backoff only
    assert client.calls_last_minute() == 4


def test_arguments_are_checked(make_client):
    client = make_client()
    with pytest.raises(ValueError, match="past_days"):
        client.get_recent([BERLIN], past_days=93)
    with pytest.raises(ValueError, match="locations"):
        client.get_recent([], past_days=1)
    with pytest.raises(ValueError, match="end_date"):
        client.get_archive([BERLIN], date(2024, 1, 2), date(2024, 1, 1))
    with pytest.raises(ValueError, match="latitude"):
        client.get_recent([(91.0, 0.0)], past_days=1)


def test_parse_reply_is_pure_and_checks_shapes(om):
    good = om.location(*BERLIN)
    [series] = parse_reply(json.loads(json.dumps(good)), [BERLIN])
    assert series.surface_pressure_hpa.tolist() == [1000.0, 1001.0, 1002.0]

    for mutate, message in [
        (lambda b: b.pop("hourly"), "no hourly"),
        (lambda b: b["hourly"].pop("surface_pressure"), "surface_pressure is missing"),
        (lambda b: b["hourly"].__setitem__("time", [1, 2, 3]), "not on the hour"),
        (lambda b: b["hourly"]["surface_pressure"].__setitem__(0, "x"), "not a number"),
        (lambda b: b["hourly_units"].__setitem__("pressure_msl", "Pa"), "expected 'hPa'"),
        (
            lambda b: b["hourly"].__setitem__("time", list(reversed(b["hourly"]["time"]))),
            "increasing",
        ),
    ]:
        body = json.loads(json.dumps(good))
        mutate(body)
        with pytest.raises(OpenMeteoResponseError, match=message):
            parse_reply(body, [BERLIN])
    with pytest.raises(OpenMeteoResponseError):
        parse_reply("nonsense", [BERLIN])
