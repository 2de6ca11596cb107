"""End to end against a fake Open-Meteo server on 127.0.0.1 (configured by URL only)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import requests

from weather.fetching import fetch_and_store_archive
from weather.grid import get_or_create_cell
from weather.observations import load_series
from weather.open_meteo import OpenMeteoClient, OpenMeteoConnectionError, OpenMeteoRequestError

TODAY = date(2024, 2, 10)
MINUTELY = "Minutely API request limit exceeded. Please try again in one minute."


def _pressure(lat: float, t: int) -> float:
    """A deterministic surface pressure (hPa) for a latitude and unix time."""
    return round(1000.0 + lat / 10 + 5 * np.sin(t / 86_400), 3)


class FakeOpenMeteo(BaseHTTPRequestHandler):
    """Answers /v1/forecast and /v1/archive like Open-Meteo does (unixtime, GMT)."""

    server: _Server

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.requests.append((url.path, query, dict(self.headers)))
        if self.server.script:
            action = self.server.script.pop(0)
            if action == "slow":
                time.sleep(1.0)
            elif action == "429":
                return self._send(
                    429,
                    {
                        "error": True,
                        "reason": MINUTELY,
                    },
                )
        if self.server.api_key and query.get("apikey") != self.server.api_key:
            return self._send(400, {"error": True, "reason": "Invalid API key"})
        if url.path == "/v1/archive":
            first = date.fromisoformat(query["start_date"])
            last = date.fromisoformat(query["end_date"])
        elif url.path == "/v1/forecast":
            first = TODAY - timedelta(days=int(query["past_days"]))
            last = TODAY + timedelta(days=int(query["forecast_days"]) - 1)
        else:
            return self._send(404, {"error": True, "reason": "Not found"})
        start = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp())
        times = list(range(start, start + ((last - first).days + 1) * 86_400, 3600))
        lats = [float(x) for x in query["latitude"].split(",")]
        lons = [float(x) for x in query["longitude"].split(",")]
        items = [
            {
                "latitude": lat,
                "longitude": lon,
                "generationtime_ms": 0.2,
                "utc_offset_seconds": 0,
                "timezone": "GMT",
                "timezone_abbreviation": "GMT",
                "elevation": 40.0,
                "hourly_units": {
                    "time": "unixtime",
                    "surface_pressure": "hPa",
                    "pressure_msl": "hPa",
                },
                "hourly": {
                    "time": times,
                    "surface_pressure": [
                        None if i == 5 else _pressure(lat, t) for i, t in enumerate(times)
                    ],
                    "pressure_msl": [_pressure(lat, t) + 12 for t in times],
                },
            }
            for lat, lon in zip(lats, lons, strict=True)
        ]
        self._send(200, items if len(items) > 1 else items[0])


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """Stay quiet when a client gave up on a slow answer (the timeout test)."""
    requests: list
    script: list[str]
    api_key: str


@pytest.fixture
def fake_server() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), FakeOpenMeteo)
    server.requests, server.script, server.api_key = [], [], ""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def _client(server: _Server, http: requests.Session, **kwargs) -> OpenMeteoClient:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    kwargs.setdefault("backoff_seconds", 0.0)
    return OpenMeteoClient(
        http, forecast_url=f"{base}/v1/forecast", archive_url=f"{base}/v1/archive", **kwargs
    )


def test_archive_batch_end_to_end_into_the_database(fake_server, http, session):
    cells = [get_or_create_cell(session, 52.52, 13.41), get_or_create_cell(session, 48.85, 2.35)]
    fake_server.script = ["429"]  # one rate-limit reply first: retried over the wire
    client = _client(fake_server, http, user_agent="mw-test/1.0")

    summary = fetch_and_store_archive(
        session, client, cells, date(2024, 1, 1), date(2024, 1, 2), datetime.now(UTC)
    )
    session.commit()

    assert (summary.cells_done, summary.cells_failed) == (2, 0)
    assert summary.rows_written == 2 * 48  # the null surface hour still has msl
    assert len(fake_server.requests) == 2
    path, query, headers = fake_server.requests[-1]
    assert path == "/v1/archive" and query["latitude"] == "52.55,48.85"
    assert headers["User-Agent"] == "mw-test/1.0"
    start = datetime(2024, 1, 1, tzinfo=UTC)
    series = load_series(session, cells[1].id, start, start + timedelta(days=2))
    assert np.isnan(series[5]) and np.isnan(series).sum() == 1
    assert series[0] == _pressure(cells[1].latitude, int(start.timestamp()))


def test_recent_with_api_key(fake_server, http):
    fake_server.api_key = "k-123"
    [series] = _client(fake_server, http, api_key="k-123").get_recent([(10.0, 20.0)], 3)
    assert len(series) == 4 * 24
    assert series.hours_utc[0] == int(datetime(2024, 2, 7, tzinfo=UTC).timestamp())
    with pytest.raises(OpenMeteoRequestError, match="Invalid API key"):
        _client(fake_server, http).get_recent([(10.0, 20.0)], 3)


def test_timeout_over_the_wire(fake_server, http):
    fake_server.script = ["slow"]
    with pytest.raises(OpenMeteoConnectionError):
        _client(fake_server, http, timeout=0.2, max_retries=0).get_recent([(10.0, 20.0)], 1)
